//! The dispatcher: one job message per active connection, woken by a schedule.

use crate::{Clock, ConnectionStore, Job, JobKind, JobQueue, QueueError, RunId, StoreError};
use chrono::{DateTime, Utc};
use thiserror::Error;

/// Failure of a dispatch.
#[derive(Debug, Error)]
pub enum DispatchError {
    /// Connections could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Messages could not be sent.
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// The run id of a scheduled run: derived from the job and the scheduled minute, so a schedule
/// that fires twice produces the same message ids and the FIFO queue drops the duplicate.
pub fn scheduled_run_id(kind: &JobKind, scheduled_at: DateTime<Utc>) -> RunId {
    RunId(format!(
        "{}-{}",
        kind.name(),
        scheduled_at.format("%Y%m%dT%H%MZ")
    ))
}

/// Send one `kind` job per active connection that runs automatically. Returns how many.
pub async fn dispatch(
    store: &dyn ConnectionStore,
    queue: &dyn JobQueue,
    clock: &dyn Clock,
    kind: JobKind,
    scheduled_at: Option<DateTime<Utc>>,
) -> Result<usize, DispatchError> {
    let run_id = scheduled_run_id(&kind, scheduled_at.unwrap_or_else(|| clock.now()));
    let jobs: Vec<Job> = store
        .active_connections()
        .await?
        .into_iter()
        .filter(|c| match kind {
            JobKind::InvoiceExport => c.settings.automatic_sync,
            _ => true,
        })
        .map(|c| Job::start(c.id, run_id.clone(), kind.clone()))
        .collect();
    queue.send(&jobs).await?;
    Ok(jobs.len())
}
