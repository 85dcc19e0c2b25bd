//! Jobs this version of Koppel does not perform yet still answer the user: their message is
//! acknowledged and the run report says so, instead of bouncing to a dead-letter queue.

use crate::{Clock, Job, RunCounts, RunReport, RunReportStore, RunStatus, StoreError};

/// Record a run report saying the job is not available, and return it.
pub async fn report_unavailable(
    store: &dyn RunReportStore,
    clock: &dyn Clock,
    job: &Job,
    message: &str,
) -> Result<RunReport, StoreError> {
    let mut report = RunReport::start(
        job.connection_id.clone(),
        job.run_id.clone(),
        job.kind.name(),
        RunCounts::Nothing,
        clock.now(),
    );
    report.status = RunStatus::Failed;
    report.message = Some(message.to_owned());
    report.invocations = 1;
    store.put_run_report(&report).await?;
    Ok(report)
}
