//! Running a job handler over an SQS batch: each message is parsed into a [`Job`], handled,
//! and failures are reported per message (partial batch response) without breaking FIFO
//! order inside a connection's message group.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use koppel_aws::{FifoBatchFailures, parse_job};
use koppel_core::Job;
use std::future::Future;
use tracing::{error, warn};

/// The handler failed for the whole batch (a message without an id failed): Lambda must
/// retry every message.
#[derive(Debug, thiserror::Error)]
#[error("a message without an id failed; the whole batch is retried")]
pub struct WholeBatchFailed;

/// Handle every message of `event` with `handle`, returning the partial batch response.
pub async fn drive<F, Fut, E>(
    event: SqsEvent,
    mut handle: F,
) -> Result<SqsBatchResponse, WholeBatchFailed>
where
    F: FnMut(Job) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let mut failures = FifoBatchFailures::new();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let group = record.attributes.get("MessageGroupId").cloned();
        if !failures.admit(&id, group.as_deref()) {
            continue;
        }
        let job = match parse_job(&id, record.body.as_deref()) {
            Ok(job) => job,
            Err(e) => {
                // A message that can never be read would only bounce to the DLQ; say why.
                warn!(message_id = %id, error = %e, "unreadable job message");
                failures.failed(&id, group.as_deref());
                continue;
            }
        };
        if let Err(e) = handle(job).await {
            error!(message_id = %id, error = %e, "job failed; the message is retried");
            failures.failed(&id, group.as_deref());
        }
    }
    let Some(ids) = failures.item_identifiers() else {
        return Err(WholeBatchFailed);
    };
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = ids
        .into_iter()
        .map(|id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    Ok(response)
}
