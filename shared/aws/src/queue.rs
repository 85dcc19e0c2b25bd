//! [`SqsJobQueue`]: the [`JobQueue`] on SQS FIFO queues, one queue per job kind.
//!
//! Each message is the JSON of a [`Job`]; its message group is the connection id (one
//! connection's jobs run in order, different connections in parallel) and its
//! deduplication id is [`Job::dedup_id`], so sending the same run step twice within SQS's
//! five-minute window is harmless. That also makes [`JobQueue::send`]'s "all or an error"
//! safe to retry as a whole after a partial failure.

use crate::schema::ProvisionError;
use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::{QueueAttributeName, SendMessageBatchRequestEntry};
use koppel_core::{Job, JobKind, JobQueue, QueueError};

/// Most entries one SendMessageBatch call takes.
pub const SQS_BATCH_LIMIT: usize = 10;

/// The queue URL of each job kind (contracts.md §1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueUrls {
    /// Invoice-export jobs (`KOPPEL_EXPORT_QUEUE_URL`).
    pub invoice_export: String,
    /// Payment-poll jobs (`KOPPEL_PAYMENT_QUEUE_URL`).
    pub payment_poll: String,
    /// Company-import jobs (`KOPPEL_IMPORT_QUEUE_URL`).
    pub company_import: String,
    /// Merge-file jobs (`KOPPEL_MERGE_QUEUE_URL`).
    pub merge_file: String,
}

impl QueueUrls {
    /// The URL of the queue that carries jobs of `kind`.
    pub fn for_kind(&self, kind: &JobKind) -> &str {
        match kind {
            JobKind::InvoiceExport | JobKind::DocumentExport { .. } => &self.invoice_export,
            JobKind::PaymentPoll => &self.payment_poll,
            JobKind::CompanyImport => &self.company_import,
            JobKind::MergeFile { .. } => &self.merge_file,
        }
    }
}

/// Sends jobs to the SQS FIFO queue of their kind.
#[derive(Debug, Clone)]
pub struct SqsJobQueue {
    client: Client,
    urls: QueueUrls,
}

impl SqsJobQueue {
    /// A queue sending through `client` to `urls`.
    pub fn new(client: Client, urls: QueueUrls) -> Self {
        Self { client, urls }
    }

    /// The queue URLs.
    pub fn urls(&self) -> &QueueUrls {
        &self.urls
    }

    /// Sends jobs that all go to `url`, ten per call, in order.
    async fn send_to(&self, url: &str, jobs: &[&Job]) -> Result<(), QueueError> {
        for batch in jobs.chunks(SQS_BATCH_LIMIT) {
            let mut entries = Vec::with_capacity(batch.len());
            for (index, job) in batch.iter().enumerate() {
                let body = job_body(job)?;
                let entry = SendMessageBatchRequestEntry::builder()
                    .id(index.to_string())
                    .message_body(body)
                    .message_group_id(job.connection_id.as_str())
                    .message_deduplication_id(job.dedup_id())
                    .build()
                    .map_err(|e| {
                        QueueError::Unavailable(format!("could not build an SQS message: {e}"))
                    })?;
                entries.push(entry);
            }
            let output = self
                .client
                .send_message_batch()
                .queue_url(url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| {
                    QueueError::Unavailable(format!(
                        "SendMessageBatch to {url} failed: {}",
                        DisplayErrorContext(&e)
                    ))
                })?;
            if !output.failed.is_empty() {
                let failures: Vec<String> = output
                    .failed
                    .iter()
                    .map(|failure| {
                        let job = failure.id.parse::<usize>().ok().and_then(|i| batch.get(i));
                        format!(
                            "{} ({}{})",
                            job.map_or_else(
                                || format!("entry {}", failure.id),
                                |job| job.dedup_id()
                            ),
                            failure.code,
                            failure
                                .message
                                .as_deref()
                                .map(|m| format!(": {m}"))
                                .unwrap_or_default()
                        )
                    })
                    .collect();
                return Err(QueueError::Unavailable(format!(
                    "SQS refused {} of {} jobs sent to {url}: {}; sending them again is safe",
                    failures.len(),
                    batch.len(),
                    failures.join("; ")
                )));
            }
        }
        Ok(())
    }
}

#[async_trait]
impl JobQueue for SqsJobQueue {
    async fn send(&self, jobs: &[Job]) -> Result<(), QueueError> {
        // Group by queue, keeping the callers' order inside each queue.
        let mut by_queue: Vec<(&str, Vec<&Job>)> = Vec::new();
        for job in jobs {
            let url = self.urls.for_kind(&job.kind);
            match by_queue.iter_mut().find(|(u, _)| *u == url) {
                Some((_, list)) => list.push(job),
                None => by_queue.push((url, vec![job])),
            }
        }
        for (url, jobs) in by_queue {
            self.send_to(url, &jobs).await?;
            tracing::debug!(queue = url, count = jobs.len(), "jobs sent");
        }
        Ok(())
    }
}

/// The message body of a job: its JSON (contracts.md §1).
pub fn job_body(job: &Job) -> Result<String, QueueError> {
    serde_json::to_string(job).map_err(|e| {
        QueueError::Unavailable(format!(
            "job {} cannot be written as JSON: {e}",
            job.dedup_id()
        ))
    })
}

/// A FIFO queue and its dead-letter queue, as created by [`create_fifo_queue_with_dlq`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FifoQueue {
    /// URL of the queue.
    pub url: String,
    /// URL of its dead-letter queue.
    pub dlq_url: String,
}

/// Create `<name>.fifo` with a dead-letter queue `<name>-dlq.fifo` receiving messages after
/// `max_receive_count` receives, both without content-based deduplication, as
/// `template.yaml` does. For tests and local set-ups.
pub async fn create_fifo_queue_with_dlq(
    client: &Client,
    name: &str,
    max_receive_count: u32,
) -> Result<FifoQueue, ProvisionError> {
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    let dlq_name = format!("{base}-dlq.fifo");
    let queue_name = format!("{base}.fifo");
    let failed = |what: &str, e: String| ProvisionError::new(format!("SQS queue {what}"), e);

    let dlq_url = client
        .create_queue()
        .queue_name(&dlq_name)
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "false")
        .send()
        .await
        .map_err(|e| failed(&dlq_name, DisplayErrorContext(&e).to_string()))?
        .queue_url
        .ok_or_else(|| failed(&dlq_name, "no queue URL in the answer".into()))?;
    let dlq_arn = client
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| failed(&dlq_name, DisplayErrorContext(&e).to_string()))?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| failed(&dlq_name, "no queue ARN in the answer".into()))?;
    let redrive =
        serde_json::json!({ "deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count });
    let url = client
        .create_queue()
        .queue_name(&queue_name)
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "false")
        .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
        .send()
        .await
        .map_err(|e| failed(&queue_name, DisplayErrorContext(&e).to_string()))?
        .queue_url
        .ok_or_else(|| failed(&queue_name, "no queue URL in the answer".into()))?;
    Ok(FifoQueue { url, dlq_url })
}

#[cfg(test)]
mod tests {
    use super::*;
    use koppel_core::{ConnectionId, RunId};

    fn urls() -> QueueUrls {
        QueueUrls {
            invoice_export: "export".into(),
            payment_poll: "payment".into(),
            company_import: "import".into(),
            merge_file: "merge".into(),
        }
    }

    #[test]
    fn each_kind_has_its_queue() {
        let urls = urls();
        assert_eq!(urls.for_kind(&JobKind::InvoiceExport), "export");
        assert_eq!(urls.for_kind(&JobKind::PaymentPoll), "payment");
        assert_eq!(urls.for_kind(&JobKind::CompanyImport), "import");
        assert_eq!(
            urls.for_kind(&JobKind::MergeFile {
                merge_id: "m".into(),
                apply: true
            }),
            "merge"
        );
    }

    #[test]
    fn body_is_the_job_json() {
        let job = Job::start(
            ConnectionId::new("c1"),
            RunId::new("r1"),
            JobKind::PaymentPoll,
        );
        let body = job_body(&job).unwrap();
        assert_eq!(serde_json::from_str::<Job>(&body).unwrap(), job);
    }
}
