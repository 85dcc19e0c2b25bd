//! A job queue that keeps what was sent, for tests to inspect.

use super::lock;
use crate::{Job, JobQueue, QueueError};
use async_trait::async_trait;
use std::sync::Mutex;

/// Records every job sent, in order. Tests read them with [`InMemoryQueue::sent`] and can
/// make sending fail with [`InMemoryQueue::fail_sends`].
#[derive(Debug, Default)]
pub struct InMemoryQueue {
    state: Mutex<QueueState>,
}

/// What the queue holds.
#[derive(Debug, Default)]
struct QueueState {
    /// Jobs sent, oldest first.
    sent: Vec<Job>,
    /// When set, `send` fails with this message and records nothing.
    failure: Option<String>,
}

impl InMemoryQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every job sent so far, oldest first.
    pub fn sent(&self) -> Vec<Job> {
        lock(&self.state).sent.clone()
    }

    /// The jobs sent so far, emptying the record (to look at one step of a test at a time).
    pub fn take_sent(&self) -> Vec<Job> {
        std::mem::take(&mut lock(&self.state).sent)
    }

    /// Makes every following `send` fail with `message` (`None` makes it work again).
    pub fn fail_sends(&self, message: Option<&str>) {
        lock(&self.state).failure = message.map(str::to_owned);
    }
}

#[async_trait]
impl JobQueue for InMemoryQueue {
    async fn send(&self, jobs: &[Job]) -> Result<(), QueueError> {
        let mut state = lock(&self.state);
        if let Some(message) = &state.failure {
            return Err(QueueError::Unavailable(message.clone()));
        }
        state.sent.extend_from_slice(jobs);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ConnectionId, JobKind, RunId};

    fn job(connection: &str, kind: JobKind) -> Job {
        Job::start(ConnectionId::from(connection), RunId::from("run-1"), kind)
    }

    #[tokio::test]
    async fn records_jobs_in_order() {
        let queue = InMemoryQueue::new();
        let first = job("c1", JobKind::InvoiceExport);
        let second = first.continuation("page-2".into());
        let third = job("c2", JobKind::PaymentPoll);
        queue.send(&[first.clone(), second.clone()]).await.unwrap();
        queue.send(std::slice::from_ref(&third)).await.unwrap();
        queue.send(&[]).await.unwrap();
        assert_eq!(queue.sent(), vec![first, second, third]);
    }

    #[tokio::test]
    async fn take_sent_empties_the_record() {
        let queue = InMemoryQueue::new();
        queue
            .send(&[job("c1", JobKind::CompanyImport)])
            .await
            .unwrap();
        assert_eq!(queue.take_sent().len(), 1);
        assert!(queue.sent().is_empty());
    }

    #[tokio::test]
    async fn failing_sends_record_nothing() {
        let queue = InMemoryQueue::new();
        queue.fail_sends(Some("throttled"));
        let err = queue
            .send(&[job("c1", JobKind::InvoiceExport)])
            .await
            .unwrap_err();
        assert!(err.to_string().contains("throttled"));
        assert!(queue.sent().is_empty());
        queue.fail_sends(None);
        queue
            .send(&[job("c1", JobKind::InvoiceExport)])
            .await
            .unwrap();
        assert_eq!(queue.sent().len(), 1);
    }
}
