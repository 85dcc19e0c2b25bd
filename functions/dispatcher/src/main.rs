//! dispatcher Lambda: wiring only (see lib.rs).

use dispatcher::Dispatcher;
use koppel_aws::AwsAdapters;
use koppel_core::SystemClock;
use lambda_runtime::{Error, service_fn};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    koppel_runtime::init_tracing();
    let aws = AwsAdapters::from_env().await?;
    let dispatcher = Dispatcher {
        store: Arc::new(aws.store),
        queue: Arc::new(aws.queue),
        clock: Arc::new(SystemClock),
    };
    let dispatcher = &dispatcher;
    lambda_runtime::run(service_fn(move |event| async move {
        dispatcher.handle(event).await.map_err(Error::from)
    }))
    .await
}
