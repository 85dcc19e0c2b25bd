//! reactivation-page Lambda (function URL): wiring only (see lib.rs).

use koppel_aws::AwsAdapters;
use koppel_connect::{AppSecret, LiveConnector};
use koppel_core::SystemClock;
use lambda_http::Error;
use reactivation_page::signing::SigningKey;
use reactivation_page::{PageConfig, PageServices, ReactivationPage};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    koppel_runtime::init_tracing();
    let aws = AwsAdapters::from_env().await?;
    let app = AppSecret::load(&aws.vault, &aws.resources.app_secret).await?;
    let teamleader = koppel_connect::teamleader_urls(&aws.resources);
    let config = PageConfig {
        public_url: app
            .page_url
            .as_deref()
            .and_then(|url| url.parse().ok())
            .ok_or("the app secret's page_url is not an https URL: set it to the function URL (or your domain) before people sign in")?,
        teamleader: teamleader.clone(),
        client_id: app.teamleader.client_id.clone(),
        signing_key: app
            .session_key
            .as_deref()
            .and_then(SigningKey::new)
            .ok_or("the app secret's session_key is missing or shorter than 32 characters")?,
        secret_prefix: aws.resources.secret_prefix.clone(),
    };
    let clock = Arc::new(SystemClock);
    let store = Arc::new(aws.store);
    let connector = LiveConnector::new(
        app,
        teamleader,
        store.clone(),
        Arc::new(aws.vault.clone()),
        clock.clone(),
    );
    let services = PageServices {
        store,
        vault: Arc::new(aws.vault),
        queue: Arc::new(aws.queue),
        files: Arc::new(aws.files),
        clock,
        connector: Arc::new(connector),
    };
    lambda_http::run(ReactivationPage::new(config, services).router()).await
}
