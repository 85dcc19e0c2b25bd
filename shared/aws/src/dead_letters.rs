//! Dead-lettered jobs: reading a job queue's dead-letter queue and sending its messages back
//! (a redrive), for the operator's admin command (`koppel-admin dlq`).
//!
//! Every job queue is a FIFO queue whose `RedrivePolicy` moves a message to its dead-letter
//! queue after five failed receives (template.yaml). [`DeadLetterQueue::of_queue`] finds that
//! queue from the job queue's own policy, so the same code serves a deployed stack, moto and
//! any other naming.
//!
//! A redrive sends each message back to the job queue **before** deleting it from the
//! dead-letter queue, so a failure in between never loses a job: at worst the job is sent
//! twice, which is harmless (a second delivery of a run's message waits for the job hold or
//! finds its run finished, and every document is claimed once). Each message keeps its body
//! and its message group (the connection id, so a connection's jobs stay in order) and gets
//! a **fresh deduplication id** ([`redrive_dedup_id`]): the original one
//! (`<job>-<connection>-<run>-<sequence>`, [`koppel_core::Job::dedup_id`]) was used when the
//! job was first sent, or by an earlier redrive of the same message, and SQS accepts a message
//! whose deduplication id it saw in the last five minutes *with success and drops it*. The
//! redrive would then delete the only copy from the dead-letter queue and the job would be
//! gone without a trace.

use crate::queue::QueueUrls;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName, QueueAttributeName};
use chrono::{DateTime, Utc};
use koppel_core::Job;
use std::collections::HashSet;
use thiserror::Error;

/// The job names, as `--job` takes them and as the queues are named
/// (`<stack>-<job>.fifo`, dead-letter queue `<stack>-<job>-dlq.fifo`).
pub const JOB_NAMES: [&str; 4] = [
    "invoice-export",
    "payment-poll",
    "company-import",
    "merge-file",
];

/// How long a message received for a look or a redrive stays hidden from other readers; a
/// tool that dies meanwhile leaves it in the dead-letter queue, visible again after this.
const HOLD_SECONDS: i32 = 60;

/// Most messages one look gathers (a dead-letter queue that holds more is a bigger problem
/// than a list can show).
const LOOK_LIMIT: usize = 1000;

/// Failure to reach a queue or to read its settings.
#[derive(Debug, Error)]
pub enum DeadLetterError {
    /// SQS (or moto) refused or failed a call.
    #[error("SQS {operation} on {queue} failed: {detail}")]
    Sqs {
        /// The call.
        operation: &'static str,
        /// The queue's name or URL.
        queue: String,
        /// What SQS answered.
        detail: String,
    },
    /// The queue has no dead-letter queue configured.
    #[error("queue {queue} has no dead-letter queue (no RedrivePolicy)")]
    NoDeadLetterQueue {
        /// The queue's URL.
        queue: String,
    },
    /// The queue's redrive policy is not readable.
    #[error("the RedrivePolicy of queue {queue} is not readable: {detail}")]
    BadPolicy {
        /// The queue's URL.
        queue: String,
        /// Why.
        detail: String,
    },
    /// `job` is not one of [`JOB_NAMES`].
    #[error("unknown job {0}; one of invoice-export, payment-poll, company-import, merge-file")]
    UnknownJob(String),
}

fn sqs_error<E: std::error::Error + 'static, R: std::fmt::Debug>(
    operation: &'static str,
    queue: &str,
    error: aws_sdk_sqs::error::SdkError<E, R>,
) -> DeadLetterError {
    DeadLetterError::Sqs {
        operation,
        queue: queue.to_owned(),
        detail: DisplayErrorContext(&error).to_string(),
    }
}

/// The URL of the queue that carries `job` ("invoice-export", …), `None` for another name.
pub fn queue_url_of<'u>(urls: &'u QueueUrls, job: &str) -> Option<&'u str> {
    match job {
        "invoice-export" => Some(&urls.invoice_export),
        "payment-poll" => Some(&urls.payment_poll),
        "company-import" => Some(&urls.company_import),
        "merge-file" => Some(&urls.merge_file),
        _ => None,
    }
}

/// The name template.yaml gives the queue of `job` in stack `stack`: `<stack>-<job>.fifo`.
pub fn stack_queue_name(stack: &str, job: &str) -> String {
    format!("{stack}-{job}.fifo")
}

/// The name template.yaml gives the table of stack `stack`: `<stack>-data`.
pub fn stack_table_name(stack: &str) -> String {
    format!("{stack}-data")
}

/// The URL of the queue named `name` (in the account of the credentials, or `owner`'s).
pub async fn queue_url_by_name(
    client: &Client,
    name: &str,
    owner: Option<&str>,
) -> Result<String, DeadLetterError> {
    client
        .get_queue_url()
        .queue_name(name)
        .set_queue_owner_aws_account_id(owner.map(str::to_owned))
        .send()
        .await
        .map_err(|e| sqs_error("GetQueueUrl", name, e))?
        .queue_url
        .ok_or_else(|| DeadLetterError::Sqs {
            operation: "GetQueueUrl",
            queue: name.to_owned(),
            detail: "no queue URL in the answer".into(),
        })
}

/// The job queues of stack `stack`, found by the names template.yaml gives them.
pub async fn stack_queue_urls(client: &Client, stack: &str) -> Result<QueueUrls, DeadLetterError> {
    let url =
        async |job: &str| queue_url_by_name(client, &stack_queue_name(stack, job), None).await;
    Ok(QueueUrls {
        invoice_export: url("invoice-export").await?,
        payment_poll: url("payment-poll").await?,
        company_import: url("company-import").await?,
        merge_file: url("merge-file").await?,
    })
}

/// One message of a dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// SQS's id of the message (kept when SQS moved it to the dead-letter queue).
    pub message_id: String,
    /// Its message group: the connection id.
    pub group_id: Option<String>,
    /// How many times it was received, the failed tries on the job queue included.
    pub receive_count: Option<u32>,
    /// When it was first sent to the job queue.
    pub sent_at: Option<DateTime<Utc>>,
    /// The body: a job's JSON.
    pub body: String,
    /// The job, when the body is one.
    pub job: Option<Job>,
}

impl DeadLetter {
    fn from_message(message: &Message) -> Self {
        let attribute = |name: MessageSystemAttributeName| {
            message
                .attributes
                .as_ref()
                .and_then(|a| a.get(&name))
                .cloned()
        };
        let body = message.body.clone().unwrap_or_default();
        Self {
            message_id: message.message_id.clone().unwrap_or_default(),
            group_id: attribute(MessageSystemAttributeName::MessageGroupId),
            receive_count: attribute(MessageSystemAttributeName::ApproximateReceiveCount)
                .and_then(|c| c.parse().ok()),
            sent_at: attribute(MessageSystemAttributeName::SentTimestamp)
                .and_then(|t| t.parse::<i64>().ok())
                .and_then(DateTime::from_timestamp_millis),
            job: serde_json::from_str(&body).ok(),
            body,
        }
    }

    /// The message group to send it back in: its own, else its job's connection.
    fn group(&self) -> Option<String> {
        self.group_id
            .clone()
            .or_else(|| self.job.as_ref().map(|j| j.connection_id.to_string()))
    }
}

/// What a look at a dead-letter queue found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetterList {
    /// The messages that could be read now, oldest group first as SQS hands them out.
    pub messages: Vec<DeadLetter>,
    /// How many more messages SQS counts in the queue (approximate), which could not be read
    /// now: on a FIFO queue, a message behind a listed one in the same message group (the
    /// same connection) is handed out only once that one is deleted (redriven).
    pub more: u64,
}

/// What a redrive did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedriveOutcome {
    /// Sent back to the job queue and deleted from the dead-letter queue.
    pub redriven: Vec<DeadLetter>,
    /// Sent back, but still in the dead-letter queue (its delete failed): a later redrive
    /// sends it again, which is harmless.
    pub not_deleted: Vec<(DeadLetter, String)>,
    /// Not sent (left in the dead-letter queue), with why. The redrive stops at the first
    /// such failure: the job queue is unreachable or refuses.
    pub failed: Vec<(DeadLetter, String)>,
}

/// A job queue and its dead-letter queue.
#[derive(Debug, Clone)]
pub struct DeadLetterQueue {
    client: Client,
    job: String,
    queue_url: String,
    dlq_url: String,
}

impl DeadLetterQueue {
    /// The dead-letter queue of the queue of `job` at `queue_url`, read from that queue's
    /// `RedrivePolicy`.
    pub async fn of_queue(
        client: &Client,
        job: &str,
        queue_url: &str,
    ) -> Result<Self, DeadLetterError> {
        if !JOB_NAMES.contains(&job) {
            return Err(DeadLetterError::UnknownJob(job.to_owned()));
        }
        let policy = client
            .get_queue_attributes()
            .queue_url(queue_url)
            .attribute_names(QueueAttributeName::RedrivePolicy)
            .send()
            .await
            .map_err(|e| sqs_error("GetQueueAttributes", queue_url, e))?
            .attributes
            .and_then(|mut a| a.remove(&QueueAttributeName::RedrivePolicy))
            .ok_or_else(|| DeadLetterError::NoDeadLetterQueue {
                queue: queue_url.to_owned(),
            })?;
        let bad = |detail: String| DeadLetterError::BadPolicy {
            queue: queue_url.to_owned(),
            detail,
        };
        let policy: serde_json::Value =
            serde_json::from_str(&policy).map_err(|e| bad(e.to_string()))?;
        let arn = policy
            .get("deadLetterTargetArn")
            .and_then(|a| a.as_str())
            .ok_or_else(|| bad("no deadLetterTargetArn".into()))?;
        // arn:aws:sqs:<region>:<account>:<name>
        let parts: Vec<&str> = arn.split(':').collect();
        let (Some(account), Some(name)) = (parts.get(4), parts.get(5)) else {
            return Err(bad(format!("{arn} is not a queue ARN")));
        };
        let dlq_url = queue_url_by_name(client, name, Some(account)).await?;
        Ok(Self {
            client: client.clone(),
            job: job.to_owned(),
            queue_url: queue_url.to_owned(),
            dlq_url,
        })
    }

    /// The job whose queue this is ("invoice-export", …).
    pub fn job(&self) -> &str {
        &self.job
    }

    /// URL of the job queue.
    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    /// URL of the dead-letter queue.
    pub fn dlq_url(&self) -> &str {
        &self.dlq_url
    }

    /// Reads the messages of the dead-letter queue and leaves them there: each is received
    /// (hidden from other readers for a minute at most), then made visible again at once.
    pub async fn look(&self) -> Result<DeadLetterList, DeadLetterError> {
        let mut messages = Vec::new();
        let mut seen = HashSet::new();
        let mut receipts = Vec::new();
        let result = async {
            while messages.len() < LOOK_LIMIT {
                let received = self.receive().await?;
                let fresh: Vec<&Message> = received
                    .iter()
                    .filter(|m| seen.insert(m.message_id.clone().unwrap_or_default()))
                    .collect();
                receipts.extend(received.iter().filter_map(|m| m.receipt_handle.clone()));
                if fresh.is_empty() {
                    break;
                }
                messages.extend(fresh.into_iter().map(DeadLetter::from_message));
            }
            // Counted while the messages read are still hidden: the ones not read.
            self.approximate_count().await
        }
        .await;
        for receipt in receipts {
            self.release(&receipt).await;
        }
        Ok(DeadLetterList {
            messages,
            more: result?,
        })
    }

    /// Sends every message of the dead-letter queue back to the job queue (same body, same
    /// message group, a fresh deduplication id: see the module), deleting each from the
    /// dead-letter queue once it was sent. Stops at the first message the job queue does not
    /// take; that one and the rest stay in the dead-letter queue.
    pub async fn redrive(&self) -> Result<RedriveOutcome, DeadLetterError> {
        let mut outcome = RedriveOutcome::default();
        let mut seen = HashSet::new();
        loop {
            let received = self.receive().await?;
            let mut fresh = received
                .iter()
                .filter(|m| seen.insert(m.message_id.clone().unwrap_or_default()))
                .peekable();
            if fresh.peek().is_none() {
                break;
            }
            let mut stopped = false;
            for message in fresh {
                let letter = DeadLetter::from_message(message);
                let receipt = message.receipt_handle.clone().unwrap_or_default();
                if stopped {
                    self.release(&receipt).await;
                    continue;
                }
                match self.send_back(message, &letter).await {
                    Err(why) => {
                        tracing::warn!(queue = %self.queue_url, message_id = %letter.message_id, error = %why, "a dead-lettered job could not be sent back");
                        self.release(&receipt).await;
                        outcome.failed.push((letter, why));
                        stopped = true;
                    }
                    Ok(()) => match self.delete(&receipt).await {
                        Ok(()) => outcome.redriven.push(letter),
                        Err(why) => outcome.not_deleted.push((letter, why)),
                    },
                }
            }
            if stopped {
                break;
            }
        }
        tracing::info!(
            queue = %self.queue_url,
            redriven = outcome.redriven.len(),
            not_deleted = outcome.not_deleted.len(),
            failed = outcome.failed.len(),
            "redrive done"
        );
        Ok(outcome)
    }

    /// How many messages of the dead-letter queue are visible, as SQS counts them
    /// (approximate; messages received and not yet deleted or released are not counted).
    pub async fn approximate_count(&self) -> Result<u64, DeadLetterError> {
        let count = self
            .client
            .get_queue_attributes()
            .queue_url(&self.dlq_url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .map_err(|e| sqs_error("GetQueueAttributes", &self.dlq_url, e))?
            .attributes
            .and_then(|mut a| a.remove(&QueueAttributeName::ApproximateNumberOfMessages))
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        Ok(count)
    }

    /// Up to ten messages of the dead-letter queue, hidden for [`HOLD_SECONDS`].
    async fn receive(&self) -> Result<Vec<Message>, DeadLetterError> {
        Ok(self
            .client
            .receive_message()
            .queue_url(&self.dlq_url)
            .max_number_of_messages(10)
            .visibility_timeout(HOLD_SECONDS)
            // Long polling asks every SQS server, so an empty answer means an empty queue.
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(|e| sqs_error("ReceiveMessage", &self.dlq_url, e))?
            .messages
            .unwrap_or_default())
    }

    /// Sends `message` to the job queue with a fresh deduplication id.
    async fn send_back(&self, message: &Message, letter: &DeadLetter) -> Result<(), String> {
        let group = letter
            .group()
            .ok_or_else(|| "the message has no message group and is not a job".to_owned())?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(&letter.body)
            .set_message_attributes(message.message_attributes.clone())
            .message_group_id(group)
            .message_deduplication_id(redrive_dedup_id(&letter.message_id, Utc::now()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| DisplayErrorContext(&e).to_string())
    }

    async fn delete(&self, receipt: &str) -> Result<(), String> {
        self.client
            .delete_message()
            .queue_url(&self.dlq_url)
            .receipt_handle(receipt)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| DisplayErrorContext(&e).to_string())
    }

    /// Makes a received message visible again at once. Best effort: otherwise it shows
    /// again when its hold of [`HOLD_SECONDS`] ends.
    async fn release(&self, receipt: &str) {
        let result = self
            .client
            .change_message_visibility()
            .queue_url(&self.dlq_url)
            .receipt_handle(receipt)
            .visibility_timeout(0)
            .send()
            .await;
        if let Err(error) = result {
            tracing::warn!(queue = %self.dlq_url, error = %DisplayErrorContext(&error), "a dead-lettered message stays hidden until its hold ends");
        }
    }
}

/// The deduplication id of a redriven message: new for every redrive (see the module), and
/// within SQS's 128 characters.
pub fn redrive_dedup_id(message_id: &str, now: DateTime<Utc>) -> String {
    let mut id = format!("redrive-{}-{message_id}", now.timestamp_millis());
    id.truncate(128);
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_template() {
        assert_eq!(
            stack_queue_name("koppel", "invoice-export"),
            "koppel-invoice-export.fifo"
        );
        assert_eq!(stack_table_name("koppel"), "koppel-data");
        let urls = QueueUrls {
            invoice_export: "e".into(),
            payment_poll: "p".into(),
            company_import: "i".into(),
            merge_file: "m".into(),
        };
        let found: Vec<_> = JOB_NAMES
            .iter()
            .map(|job| queue_url_of(&urls, job))
            .collect();
        assert_eq!(found, [Some("e"), Some("p"), Some("i"), Some("m")]);
        assert_eq!(queue_url_of(&urls, "webhook"), None);
    }

    #[test]
    fn every_redrive_gets_a_new_deduplication_id_within_the_limit() {
        let at = DateTime::from_timestamp_millis(1_790_000_000_000).unwrap();
        let first = redrive_dedup_id("m-1", at);
        assert_eq!(first, "redrive-1790000000000-m-1");
        assert_ne!(
            first,
            redrive_dedup_id("m-1", at + chrono::Duration::milliseconds(1))
        );
        assert_eq!(redrive_dedup_id(&"x".repeat(300), at).len(), 128);
    }
}
