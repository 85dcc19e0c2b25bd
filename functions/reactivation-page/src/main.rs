//! reactivation-page Lambda (function URL): wiring only (see lib.rs).

use koppel_aws::AwsAdapters;
use koppel_connect::AppSecret;
use lambda_http::Error;
use reactivation_page::ReactivationPage;

#[tokio::main]
async fn main() -> Result<(), Error> {
    koppel_runtime::init_tracing();
    let aws = AwsAdapters::from_env().await?;
    let app = AppSecret::load(&aws.vault, &aws.resources.app_secret).await?;
    let urls = koppel_connect::teamleader_urls(&aws.resources);
    let page = ReactivationPage {
        authorize_endpoint: urls.authorize_endpoint().parse()?,
        client_id: app.teamleader.client_id,
    };
    lambda_http::run(page.router()).await
}
