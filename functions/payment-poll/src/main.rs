//! payment-poll Lambda: wiring only (see lib.rs).

use koppel_aws::AwsAdapters;
use koppel_connect::{AppSecret, LiveConnector};
use koppel_core::SystemClock;
use payment_poll::{PaymentPollFunction, Poll};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    koppel_runtime::init_tracing();
    let aws = AwsAdapters::from_env().await?;
    let app = AppSecret::load(&aws.vault, &aws.resources.app_secret).await?;
    let clock = Arc::new(SystemClock);
    let store = Arc::new(aws.store);
    let connector = LiveConnector::new(
        app,
        koppel_connect::teamleader_urls(&aws.resources),
        store.clone(),
        Arc::new(aws.vault),
        clock.clone(),
    );
    koppel_runtime::serve_jobs(PaymentPollFunction {
        store,
        queue: Arc::new(aws.queue),
        clock,
        connector: Arc::new(connector),
        factory: Poll::default(),
    })
    .await
}
