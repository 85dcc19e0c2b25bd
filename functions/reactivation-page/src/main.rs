//! reactivation-page Lambda (function URL): wiring only (see lib.rs).

use koppel_aws::AwsAdapters;
use koppel_runtime::AppSecret;
use lambda_http::{Error, service_fn};
use reactivation_page::ReactivationPage;

/// Where Teamleader sends people back after sign-in (set by the template to the function URL).
const REDIRECT_URI_ENV: &str = "KOPPEL_REDIRECT_URI";

#[tokio::main]
async fn main() -> Result<(), Error> {
    koppel_runtime::init_tracing();
    let aws = AwsAdapters::from_env().await?;
    let app = AppSecret::load(&aws.vault, &aws.resources.app_secret).await?;
    let redirect = std::env::var(REDIRECT_URI_ENV).unwrap_or_default();
    let urls = koppel_runtime::teamleader_urls(&aws.resources);
    let sign_in_url = urls.authorize_url(&app.teamleader.client_id, &redirect, "")?;
    let page = ReactivationPage { sign_in_url };
    let page = &page;
    lambda_http::run(service_fn(move |request| async move {
        page.handle(request).await.map_err(Error::from)
    }))
    .await
}
