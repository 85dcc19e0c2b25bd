//! Helpers for the Lambda functions that consume the job queues, without depending on the
//! Lambda crates: read a message body as a [`Job`], and collect the message ids to report
//! as failed in a partial-batch response (`SqsBatchResponse.batchItemFailures`).

use koppel_core::Job;
use std::collections::HashSet;
use thiserror::Error;

/// A message that is not a Koppel job.
#[derive(Debug, Error)]
#[error(
    "SQS message {message_id} is not a Koppel job ({detail}); it is reported failed and will end up in the \
     dead-letter queue, where an operator can inspect it"
)]
pub struct JobMessageError {
    /// The SQS message id.
    pub message_id: String,
    /// Why it could not be read.
    pub detail: String,
}

/// Reads the body of SQS message `message_id` as a job.
pub fn parse_job(message_id: &str, body: Option<&str>) -> Result<Job, JobMessageError> {
    let error = |detail: String| JobMessageError {
        message_id: message_id.to_owned(),
        detail,
    };
    let body = body.ok_or_else(|| error("the message has no body".into()))?;
    serde_json::from_str(body).map_err(|e| error(format!("the body does not decode: {e}")))
}

/// Which messages of a FIFO batch to report as failed.
///
/// SQS FIFO keeps one message group in order only if, once a message of a group fails,
/// the later messages of that group in the same batch are not processed either and are
/// reported failed too (they come back after it). Ask [`FifoBatchFailures::admit`] before
/// processing each message, in batch order, and report failures with
/// [`FifoBatchFailures::failed`].
#[derive(Debug, Default)]
pub struct FifoBatchFailures {
    failed: Vec<String>,
    blocked_groups: HashSet<String>,
    unidentified: bool,
}

impl FifoBatchFailures {
    /// No failures yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// True when the message may be processed now. False when an earlier message of its
    /// group failed in this batch: the message is then recorded as failed, unprocessed.
    /// A message without group is treated as a group of its own.
    pub fn admit(&mut self, message_id: &str, group: Option<&str>) -> bool {
        match group {
            Some(group) if self.blocked_groups.contains(group) => {
                self.push(message_id);
                false
            }
            _ => true,
        }
    }

    /// Records that processing the message failed; later messages of its group are refused.
    pub fn failed(&mut self, message_id: &str, group: Option<&str>) {
        if let Some(group) = group {
            self.blocked_groups.insert(group.to_owned());
        }
        self.push(message_id);
    }

    fn push(&mut self, message_id: &str) {
        if message_id.is_empty() {
            // An empty item identifier would fail the whole batch anyway; say so explicitly.
            self.unidentified = true;
        } else if !self.failed.iter().any(|id| id == message_id) {
            self.failed.push(message_id.to_owned());
        }
    }

    /// True when nothing failed.
    pub fn is_empty(&self) -> bool {
        self.failed.is_empty() && !self.unidentified
    }

    /// The item identifiers for the batch response, in batch order; `None` when a failed
    /// message had no id, in which case the handler must fail the whole batch (return an
    /// error) so SQS delivers every message again.
    pub fn item_identifiers(&self) -> Option<Vec<String>> {
        (!self.unidentified).then(|| self.failed.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use koppel_core::{ConnectionId, JobKind, RunId};

    #[test]
    fn parses_a_job_body_and_names_the_message_on_failure() {
        let job = Job::start(
            ConnectionId::new("c1"),
            RunId::new("r1"),
            JobKind::InvoiceExport,
        );
        let body = serde_json::to_string(&job).unwrap();
        assert_eq!(parse_job("m1", Some(&body)).unwrap(), job);

        let error = parse_job("m2", Some(r#"{"connection_id":"c1"}"#)).unwrap_err();
        assert_eq!(error.message_id, "m2");
        assert!(
            error.to_string().contains("m2") && error.to_string().contains("run_id"),
            "{error}"
        );
        assert!(
            parse_job("m3", None)
                .unwrap_err()
                .detail
                .contains("no body")
        );
    }

    #[test]
    fn a_failure_holds_back_the_rest_of_its_group_only() {
        let mut batch = FifoBatchFailures::new();
        assert!(batch.admit("1", Some("a")));
        batch.failed("1", Some("a"));
        assert!(batch.admit("2", Some("b")));
        assert!(!batch.admit("3", Some("a")));
        assert!(batch.admit("4", Some("b")));
        assert!(!batch.admit("5", Some("a")));
        assert_eq!(batch.item_identifiers().unwrap(), vec!["1", "3", "5"]);
    }

    #[test]
    fn no_failures_means_an_empty_list_and_a_missing_id_fails_the_batch() {
        let mut batch = FifoBatchFailures::new();
        assert!(batch.admit("1", None));
        assert!(batch.is_empty());
        assert_eq!(batch.item_identifiers().unwrap(), Vec::<String>::new());
        batch.failed("", None);
        assert!(!batch.is_empty());
        assert_eq!(batch.item_identifiers(), None);
    }
}
