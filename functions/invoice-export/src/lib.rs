//! The invoice-export Lambda: one SQS message = one connection's export run (or its
//! continuation). The use-case is `koppel_core::jobs::export`; this is its Lambda face.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use koppel_core::jobs::Deadline;
use koppel_core::jobs::export::{
    ExportError, ExportOptions, ExportOutcome, ExportPorts, run_export,
};
use koppel_core::{Clock, Connector, Job, JobQueue, Store};
use koppel_runtime::sqs::{WholeBatchFailed, drive};
use lambda_runtime::LambdaEvent;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tracing::info;

/// How long before the Lambda deadline the export stops taking documents and hands over.
pub const HANDOVER_MARGIN: Duration = Duration::from_secs(60);

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

/// The deadline of an invocation from Lambda's context (epoch milliseconds), as an instant.
pub fn deadline_of(context: &lambda_runtime::Context, margin: Duration) -> Deadline {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    if context.deadline == 0 {
        return Deadline::none();
    }
    let remaining = Duration::from_millis(context.deadline.saturating_sub(now_ms));
    Deadline::new(Instant::now() + remaining, margin.min(remaining / 4))
}

impl ExportFunction {
    /// Handle one SQS batch.
    pub async fn handle(
        &self,
        event: LambdaEvent<SqsEvent>,
    ) -> Result<SqsBatchResponse, WholeBatchFailed> {
        let deadline = deadline_of(&event.context, HANDOVER_MARGIN);
        drive(event.payload, |job| async move {
            self.run(job, deadline).await.map(|_| ())
        })
        .await
    }

    /// Run one job until done or until `deadline`.
    pub async fn run(&self, job: Job, deadline: Deadline) -> Result<ExportOutcome, ExportError> {
        let ports = ExportPorts {
            connector: self.connector.as_ref(),
            store: self.store.as_ref(),
            queue: self.queue.as_ref(),
            clock: self.clock.as_ref(),
        };
        let outcome = run_export(&ports, &job, deadline, &self.options).await?;
        if let ExportOutcome::Skipped(why) = &outcome {
            info!(connection_id = %job.connection_id, run_id = %job.run_id, reason = %why, "export skipped");
        }
        Ok(outcome)
    }
}
