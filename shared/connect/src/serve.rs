//! The `main` of a job function that talks to Teamleader and a ledger: adapters from the
//! environment, the app secret, the live connector, then SQS batches served with the job.

use crate::{AppSecret, LiveConnector, teamleader_urls};
use koppel_aws::AwsAdapters;
use koppel_core::SystemClock;
use koppel_runtime::{JobFactory, LifecycleFunction};
use std::sync::Arc;

/// Serve the job the factory makes (built from the AWS adapters, for jobs that need one of
/// them, like the file store), wired for Lambda, until the runtime stops.
pub async fn serve_job<F: JobFactory + 'static>(
    factory: impl FnOnce(&AwsAdapters) -> F,
) -> Result<(), lambda_runtime::Error> {
    koppel_runtime::init_tracing();
    let aws = AwsAdapters::from_env().await?;
    let factory = factory(&aws);
    let app = AppSecret::load(&aws.vault, &aws.resources.app_secret).await?;
    let clock = Arc::new(SystemClock);
    let store = Arc::new(aws.store);
    let mut connector = LiveConnector::new(
        app,
        teamleader_urls(&aws.resources),
        store.clone(),
        Arc::new(aws.vault),
        clock.clone(),
    );
    // Peppol BIS 3 files where the environment names the validator (a Python with
    // eu-einvoice and the official rules); without, portals get the PDF and the report says so.
    if let Some(validator) = koppel_einvoice::PeppolValidator::from_env() {
        connector = connector.with_einvoice(Arc::new(koppel_einvoice::Einvoices::new(validator)));
    }
    koppel_runtime::serve_jobs(LifecycleFunction {
        store,
        queue: Arc::new(aws.queue),
        clock,
        connector: Arc::new(connector),
        factory,
    })
    .await
}
