//! Serving a job function on Lambda: an SQS batch in, each message's job handled with the
//! invocation's deadline, a partial batch response out.

use crate::sqs::{WholeBatchFailed, drive};
use async_trait::async_trait;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use koppel_core::jobs::lifecycle::{
    ConnectionJob, JobError, JobOutcome, LifecycleOptions, LifecyclePorts, run_job,
};
use koppel_core::{Clock, Connector, Deadline, Job, JobQueue, Store};
use lambda_runtime::LambdaEvent;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tracing::info;

/// How long before the Lambda deadline a job stops taking work and hands over (at most a
/// quarter of the invocation's time).
pub const HANDOVER_MARGIN: Duration = Duration::from_secs(60);

/// A function that handles one job at a time.
#[async_trait]
pub trait JobHandler: Send + Sync {
    /// The clock the job runs on (the deadline is measured in it).
    fn clock(&self) -> &dyn Clock;
    /// Handle one job until done or until `deadline`; an error makes SQS deliver the message
    /// again.
    async fn handle_job(&self, job: Job, deadline: Deadline) -> Result<(), String>;
}

/// Makes a function's job for one invocation, from the store (the job borrows the store
/// roles it needs).
pub trait JobFactory: Send + Sync {
    /// The job.
    type Job<'a>: ConnectionJob
    where
        Self: 'a;
    /// The job for one invocation.
    fn job<'a>(&'a self, store: &'a dyn Store) -> Self::Job<'a>;
}

/// A job function on the shared lifecycle: the ports every job needs and the factory of its
/// job. Each job's crate names its own (`ExportFunction`, `PaymentPollFunction`, …).
pub struct LifecycleFunction<F> {
    /// State store.
    pub store: Arc<dyn Store>,
    /// Job queues (continuations).
    pub queue: Arc<dyn JobQueue>,
    /// Clock.
    pub clock: Arc<dyn Clock>,
    /// Opens each connection's Teamleader account and ledger.
    pub connector: Arc<dyn Connector>,
    /// Makes the job.
    pub factory: F,
}

impl<F: JobFactory> LifecycleFunction<F> {
    /// Handle one SQS batch, as Lambda calls it.
    pub async fn handle(
        &self,
        event: LambdaEvent<SqsEvent>,
    ) -> Result<SqsBatchResponse, WholeBatchFailed> {
        handle_batch(self, event).await
    }

    /// Run one message until done or until `deadline`.
    pub async fn run(&self, message: Job, deadline: Deadline) -> Result<JobOutcome, JobError> {
        let store = self.store.as_ref();
        let ports = LifecyclePorts {
            connector: self.connector.as_ref(),
            connections: store,
            reports: store,
            leases: store,
            queue: self.queue.as_ref(),
            clock: self.clock.as_ref(),
        };
        let job = self.factory.job(store);
        let outcome = run_job(
            &job,
            &ports,
            &message,
            deadline,
            LifecycleOptions::default(),
        )
        .await?;
        if let JobOutcome::Skipped(why) = &outcome {
            info!(connection_id = %message.connection_id, run_id = %message.run_id, job = message.kind.name(), reason = %why, "skipped");
        }
        Ok(outcome)
    }
}

#[async_trait]
impl<F: JobFactory> JobHandler for LifecycleFunction<F> {
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

/// The invocation's deadline in the clock's time: Lambda says when it kills the invocation
/// (epoch milliseconds in the context); work stops `margin` (at most a quarter of the time
/// left) before it.
pub fn deadline_of(
    context: &lambda_runtime::Context,
    clock: &dyn Clock,
    margin: Duration,
) -> Deadline {
    if context.deadline == 0 {
        return Deadline::none();
    }
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let remaining = Duration::from_millis(context.deadline.saturating_sub(now_ms));
    Deadline::after(clock.now(), remaining, margin.min(remaining / 4))
}

/// Handle one SQS batch with `handler`.
pub async fn handle_batch<H: JobHandler + ?Sized>(
    handler: &H,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, WholeBatchFailed> {
    let deadline = deadline_of(&event.context, handler.clock(), HANDOVER_MARGIN);
    drive(event.payload, |job| handler.handle_job(job, deadline)).await
}

/// A Lambda `main` for a job function: serve SQS batches with `handler` until the runtime
/// stops.
pub async fn serve_jobs<H: JobHandler>(handler: H) -> Result<(), lambda_runtime::Error> {
    let handler = &handler;
    lambda_runtime::run(lambda_runtime::service_fn(move |event| async move {
        handle_batch(handler, event)
            .await
            .map_err(lambda_runtime::Error::from)
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use koppel_core::memory::ManualClock;

    #[test]
    fn the_deadline_is_the_contexts_in_clock_time_with_a_bounded_margin() {
        let clock = ManualClock::default();
        let mut context = lambda_runtime::Context::default();
        assert_eq!(
            deadline_of(&context, &clock, HANDOVER_MARGIN),
            Deadline::none()
        );
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        context.deadline = now_ms + 900_000;
        let deadline = deadline_of(&context, &clock, HANDOVER_MARGIN);
        let hard = deadline.hard().unwrap();
        let left = (hard - clock.now()).num_seconds();
        assert!((899..=900).contains(&left), "{left}");
        assert_eq!((hard - deadline.stop_at().unwrap()).num_seconds(), 60);
        // A short invocation keeps three quarters of its time for work.
        context.deadline = now_ms + 40_000;
        let short = deadline_of(&context, &clock, HANDOVER_MARGIN);
        let margin = (short.hard().unwrap() - short.stop_at().unwrap()).num_milliseconds();
        assert!((9_900..=10_000).contains(&margin), "{margin}");
    }
}
