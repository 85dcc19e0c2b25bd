//! payment-poll Lambda: wiring only. This version acknowledges its jobs with a run report telling
//! the user the job is not available yet (see `koppel_runtime::unavailable`).

use koppel_aws::AwsAdapters;
use koppel_core::SystemClock;
use koppel_runtime::unavailable::UnavailableJob;
use lambda_runtime::{Error, service_fn};
use std::sync::Arc;

/// What the user reads in the run report.
const NOT_AVAILABLE: &str = "Reading payment states back from the ledger is not available in this version of Koppel yet; invoices are not marked paid automatically.";

#[tokio::main]
async fn main() -> Result<(), Error> {
    koppel_runtime::init_tracing();
    let aws = AwsAdapters::from_env().await?;
    let function = UnavailableJob {
        store: Arc::new(aws.store),
        clock: Arc::new(SystemClock),
        message: NOT_AVAILABLE,
    };
    let function = &function;
    lambda_runtime::run(service_fn(move |event| async move {
        function.handle(event).await.map_err(Error::from)
    }))
    .await
}
