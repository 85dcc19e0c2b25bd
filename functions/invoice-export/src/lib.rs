//! The invoice-export Lambda: one SQS message = one connection's export run (or its
//! continuation). The use-case is `koppel_core::jobs::export` on the shared job lifecycle;
//! this is its Lambda face.

use async_trait::async_trait;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use koppel_core::jobs::export::{ExportOptions, ExportStores, InvoiceExport};
use koppel_core::jobs::lifecycle::{
    JobError, JobOutcome, LifecycleOptions, LifecyclePorts, run_job,
};
use koppel_core::{Clock, Connector, Deadline, Job, JobQueue, Store};
use koppel_runtime::JobHandler;
use koppel_runtime::sqs::WholeBatchFailed;
use lambda_runtime::LambdaEvent;
use std::sync::Arc;
use tracing::info;

/// The export function with its ports.
pub struct ExportFunction {
    /// State store.
    pub store: Arc<dyn Store>,
    /// Job queues (continuations).
    pub queue: Arc<dyn JobQueue>,
    /// Clock.
    pub clock: Arc<dyn Clock>,
    /// Opens each connection's Teamleader account and ledger.
    pub connector: Arc<dyn Connector>,
    /// Tunables.
    pub options: ExportOptions,
}

impl ExportFunction {
    /// Handle one SQS batch, as Lambda calls it.
    pub async fn handle(
        &self,
        event: LambdaEvent<SqsEvent>,
    ) -> Result<SqsBatchResponse, WholeBatchFailed> {
        koppel_runtime::handle_batch(self, event).await
    }

    /// Run one job until done or until `deadline`.
    pub async fn run(&self, job: Job, deadline: Deadline) -> Result<JobOutcome, JobError> {
        let store: &dyn Store = self.store.as_ref();
        let export = InvoiceExport {
            stores: ExportStores::of(store),
            options: self.options.clone(),
        };
        let ports = LifecyclePorts {
            connector: self.connector.as_ref(),
            connections: store,
            reports: store,
            queue: self.queue.as_ref(),
            clock: self.clock.as_ref(),
        };
        let outcome = run_job(&export, &ports, &job, deadline, LifecycleOptions::default()).await?;
        if let JobOutcome::Skipped(why) = &outcome {
            info!(connection_id = %job.connection_id, run_id = %job.run_id, reason = %why, "export skipped");
        }
        Ok(outcome)
    }
}

#[async_trait]
impl JobHandler for ExportFunction {
    fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    async fn handle_job(&self, job: Job, deadline: Deadline) -> Result<(), String> {
        self.run(job, deadline)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}
