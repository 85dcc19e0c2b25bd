//! reactivation-page Lambda (function URL): wiring only (see lib.rs).

use koppel_aws::AwsAdapters;
use koppel_runtime::AppSecret;
use lambda_http::{Error, service_fn};
use reactivation_page::ReactivationPage;

#[tokio::main]
async fn main() -> Result<(), Error> {
    koppel_runtime::init_tracing();
    let aws = AwsAdapters::from_env().await?;
    let app = AppSecret::load(&aws.vault, &aws.resources.app_secret).await?;
    let urls = koppel_runtime::teamleader_urls(&aws.resources);
    let authorize_endpoint = urls.authorize_endpoint().parse()?;
    let page = ReactivationPage {
        authorize_endpoint,
        client_id: app.teamleader.client_id,
    };
    let page = &page;
    lambda_http::run(service_fn(move |request| async move {
        page.handle(request).await.map_err(Error::from)
    }))
    .await
}
