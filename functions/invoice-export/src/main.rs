//! invoice-export Lambda: wiring only (see lib.rs).

use invoice_export::ExportFunction;
use koppel_aws::AwsAdapters;
use koppel_core::SystemClock;
use koppel_core::jobs::export::ExportOptions;
use koppel_runtime::{AppSecret, LiveConnector};
use lambda_runtime::{Error, service_fn};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    koppel_runtime::init_tracing();
    let aws = AwsAdapters::from_env().await?;
    let app = AppSecret::load(&aws.vault, &aws.resources.app_secret).await?;
    let clock = Arc::new(SystemClock);
    let store = Arc::new(aws.store);
    let connector = LiveConnector::new(
        app,
        koppel_runtime::teamleader_urls(&aws.resources),
        store.clone(),
        Arc::new(aws.vault),
        clock.clone(),
    );
    let function = ExportFunction {
        store,
        queue: Arc::new(aws.queue),
        clock,
        connector: Arc::new(connector),
        options: ExportOptions::default(),
    };
    let function = &function;
    lambda_runtime::run(service_fn(move |event| async move {
        function.handle(event).await.map_err(Error::from)
    }))
    .await
}
