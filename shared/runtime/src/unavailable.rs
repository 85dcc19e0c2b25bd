//! A Lambda for a job this version of Koppel does not perform yet: it acknowledges each
//! message with a run report telling the user so (instead of letting messages bounce to the
//! dead-letter queue).

use crate::sqs::{WholeBatchFailed, drive};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use koppel_core::jobs::unavailable::report_unavailable;
use koppel_core::{Clock, RunReportStore};
use lambda_runtime::LambdaEvent;
use std::sync::Arc;

/// The function with its ports and the sentence the user reads.
pub struct UnavailableJob {
    /// Where the run report goes.
    pub store: Arc<dyn RunReportStore>,
    /// Clock.
    pub clock: Arc<dyn Clock>,
    /// What the user reads in the run report.
    pub message: &'static str,
}

/// A Lambda `main` for such a job: adapters from the environment, then serve SQS batches.
pub async fn serve(message: &'static str) -> Result<(), lambda_runtime::Error> {
    crate::init_tracing();
    let aws = koppel_aws::AwsAdapters::from_env().await?;
    let function = UnavailableJob {
        store: Arc::new(aws.store),
        clock: Arc::new(koppel_core::SystemClock),
        message,
    };
    let function = &function;
    lambda_runtime::run(lambda_runtime::service_fn(move |event| async move {
        function
            .handle(event)
            .await
            .map_err(lambda_runtime::Error::from)
    }))
    .await
}

impl UnavailableJob {
    /// Handle one SQS batch.
    pub async fn handle(
        &self,
        event: LambdaEvent<SqsEvent>,
    ) -> Result<SqsBatchResponse, WholeBatchFailed> {
        drive(event.payload, |job| async move {
            report_unavailable(self.store.as_ref(), self.clock.as_ref(), &job, self.message)
                .await
                .map(|_| ())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::sqs::SqsMessage;
    use koppel_core::memory::InMemoryStore;
    use koppel_core::{ConnectionId, Job, JobKind, RunId, RunReportStore, RunStatus, SystemClock};

    fn message(id: &str, body: &str) -> SqsMessage {
        let mut m = SqsMessage::default();
        m.message_id = Some(id.to_owned());
        m.body = Some(body.to_owned());
        m
    }

    #[tokio::test]
    async fn acknowledges_jobs_with_a_report_and_fails_only_unreadable_messages() {
        let store = Arc::new(InMemoryStore::new());
        let function = UnavailableJob {
            store: store.clone(),
            clock: Arc::new(SystemClock),
            message: "not yet",
        };
        let job = Job::start(
            ConnectionId::from("c1"),
            RunId::from("r1"),
            JobKind::PaymentPoll,
        );
        let mut event = SqsEvent::default();
        event.records = vec![
            message("m1", &serde_json::to_string(&job).unwrap()),
            message("m2", "not json"),
        ];
        let response = function
            .handle(LambdaEvent::new(event, lambda_runtime::Context::default()))
            .await
            .unwrap();
        let failed: Vec<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, ["m2"]);
        let report = store
            .run_report(&ConnectionId::from("c1"), &RunId::from("r1"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(report.status, RunStatus::Failed);
        assert_eq!(report.message.as_deref(), Some("not yet"));
    }
}
