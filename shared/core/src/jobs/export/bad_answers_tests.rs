//! The export when the ledger (or Koppel's own store) answers badly: unreadable answers to the
//! steps every document depends on pause the run, a refusal of the whole connection stops it
//! after the second identical one with the rest left pending, a transient store failure
//! fails no document. Memory ports only.

use super::{ExportOptions, ExportStores, InvoiceExport};
use crate::jobs::lifecycle::{JobError, LifecycleOptions, LifecyclePorts, run_job, stop_words};
use crate::jobs::test_world::*;
use crate::memory::{InMemoryStore, PostFault};
use crate::{
    ClaimOutcome, ConnectionId, ConnectionStatus, ConnectionStore, Deadline, DocumentId,
    DocumentRecord, DocumentStore, ExportState, ExternalError, Job, JobKind, RunId, RunReportStore,
    RunStatus, StoreError,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicU32, Ordering};

const LEDGER: &str = "L";

fn malformed(endpoint: &str) -> ExternalError {
    ExternalError::Malformed {
        system: LEDGER,
        endpoint: endpoint.into(),
        detail: "expected value at line 1 column 1".into(),
    }
}

fn wrong_division() -> ExternalError {
    ExternalError::ConnectionRefused {
        system: LEDGER,
        status: 403,
        message: "Forbidden - WrongDivision — choose an administration this user may use".into(),
    }
}

fn failed_records(store: &InMemoryStore) -> usize {
    store
        .documents(&ConnectionId::from("c1"))
        .iter()
        .filter(|r| matches!(r.state, ExportState::Failed { .. }))
        .count()
}

#[tokio::test]
async fn an_unreadable_answer_to_the_reference_data_pauses_the_run() {
    let world = World::with_account(4, 0, 2);
    world.connect(connection()).await;
    world
        .ledger
        .fault_reference_data([malformed("financial/GLAccounts")]);
    let (_, first) = world.run("night-1", None).await;
    assert_eq!(first.status, RunStatus::Paused, "{first:#?}");
    let message = first.message.clone().unwrap_or_default();
    assert!(message.contains("Nothing is lost"), "{message}");
    assert_eq!(world.ledger.posts(), 0);
    let (_, second) = world.run("night-2", None).await;
    assert_eq!(second.status, RunStatus::Succeeded, "{second:#?}");
    assert_eq!(second.export_counts().exported, 4);
}

#[tokio::test]
async fn an_unreadable_answer_to_the_customer_lookup_pauses_the_run_and_fails_no_document() {
    let world = World::with_account(5, 0, 2);
    world.connect(connection()).await;
    world
        .ledger
        .fault_customer_finds([malformed("crm/Accounts")]);
    let (_, first) = world.run("night-1", None).await;
    assert_eq!(first.status, RunStatus::Paused, "{first:#?}");
    assert_eq!(first.export_counts().failed, 0);
    assert_eq!(failed_records(&world.store), 0);
    let (_, second) = world.run("night-2", None).await;
    assert_eq!(second.status, RunStatus::Succeeded, "{second:#?}");
    assert_eq!(second.export_counts().exported, 5);
}

#[test]
fn a_stopped_runs_status_and_words_always_agree() {
    let system = LEDGER;
    let errors = [
        ExternalError::Unavailable {
            system,
            detail: "financial/GLAccounts failed 4 times, last: HTTP 503".into(),
        },
        ExternalError::QuotaExhausted {
            system,
            until: DateTime::<Utc>::UNIX_EPOCH,
        },
        ExternalError::OutcomeUnknown {
            system,
            detail: "lost".into(),
        },
        malformed("vat/VATCodes"),
        ExternalError::Rejected {
            system,
            status: 400,
            message: "bad filter".into(),
        },
        ExternalError::NotFound {
            system,
            what: "financial/Journals".into(),
        },
        ExternalError::NeedsReauth {
            system,
            detail: "revoked".into(),
        },
        wrong_division(),
    ];
    for error in errors {
        let (status, message) = stop_words("export", &error);
        match status {
            RunStatus::Paused => assert!(
                message.contains("the next run continues"),
                "{error:?}: {message}"
            ),
            RunStatus::Failed => {
                assert!(
                    !message.contains("will try again") && !message.contains("continues where"),
                    "a failed run must not promise a retry: {message}"
                );
                assert!(
                    message.contains("reactivation page") || message.contains("after the fix"),
                    "a failed run says what to do: {message}"
                );
            }
            other => panic!("{other:?}"),
        }
        if error.is_transient() || matches!(error, ExternalError::Malformed { .. }) {
            assert_eq!(status, RunStatus::Paused, "{error:?}");
        }
    }
}

#[tokio::test]
async fn a_connection_refusal_stops_the_run_at_the_second_and_leaves_the_rest_pending() {
    let world = World::with_account(20, 0, 2);
    world.connect(connection()).await;
    world
        .ledger
        .fault_posts((0..20).map(|_| PostFault::Fail(wrong_division())));
    let (_, report) = world.run("night-1", None).await;
    assert_eq!(report.status, RunStatus::Failed, "{report:#?}");
    assert_eq!(
        world.ledger.posts(),
        2,
        "stopped at the second identical refusal"
    );
    assert_eq!(report.export_counts().failed, 1);
    assert_eq!(failed_records(&world.store), 1);
    let records = world.store.documents(&ConnectionId::from("c1"));
    assert!(
        records
            .iter()
            .filter(|r| !matches!(r.state, ExportState::Failed { .. }))
            .all(|r| r.state == ExportState::Pending),
        "{records:#?}"
    );
    let message = report.message.clone().unwrap_or_default();
    assert!(
        message.contains("WrongDivision") && message.contains("stays pending"),
        "{message}"
    );
    let connection = world
        .store
        .connection(&ConnectionId::from("c1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(connection.status, ConnectionStatus::NeedsReauth);
    assert!(
        connection
            .status_reason
            .as_deref()
            .is_some_and(|r| r.contains("WrongDivision")),
        "{connection:#?}"
    );

    // Fixed (the user chose the right administration and signed in again): the next run
    // exports every document, the failed one included.
    world.ledger.clear_faults();
    let mut fixed = connection;
    fixed.status = ConnectionStatus::Active;
    fixed.status_reason = None;
    world.connect(fixed).await;
    let (_, report) = world.run("night-2", None).await;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    assert_eq!(report.export_counts().exported, 20);
    assert_eq!(world.booked_references().len(), 20);
}

#[tokio::test]
async fn two_different_connection_refusals_are_not_taken_for_a_pattern_yet() {
    let world = World::with_account(4, 0, 1);
    world.connect(connection()).await;
    let other = ExternalError::ConnectionRefused {
        system: LEDGER,
        status: 401,
        message: "token refused".into(),
    };
    world
        .ledger
        .fault_posts([PostFault::Fail(wrong_division()), PostFault::Fail(other)]);
    let (_, report) = world.run("night-1", None).await;
    assert_eq!(report.status, RunStatus::CompletedWithIssues, "{report:#?}");
    assert_eq!(report.export_counts().failed, 2);
    assert_eq!(report.export_counts().exported, 2);
}

/// Document records that fail (like a DynamoDB 500 the SDK's retries did not outlast) once
/// `fail_from` writes have gone through.
struct FlakyDocuments<'a> {
    inner: &'a InMemoryStore,
    writes: AtomicU32,
    fail_from: u32,
}

impl FlakyDocuments<'_> {
    fn write(&self) -> Result<(), StoreError> {
        if self.writes.fetch_add(1, Ordering::SeqCst) >= self.fail_from {
            return Err(StoreError::Unavailable(
                "DynamoDB TransactWriteItems failed: HTTP 500 InternalServerError".into(),
            ));
        }
        Ok(())
    }
}

#[async_trait]
impl DocumentStore for FlakyDocuments<'_> {
    async fn claim_document(
        &self,
        record: &DocumentRecord,
        run_id: &RunId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<ClaimOutcome, StoreError> {
        self.write()?;
        self.inner.claim_document(record, run_id, now, until).await
    }
    async fn put_document(&self, record: &DocumentRecord) -> Result<(), StoreError> {
        self.write()?;
        self.inner.put_document(record).await
    }
    async fn document(
        &self,
        connection: &ConnectionId,
        document: &DocumentId,
    ) -> Result<Option<DocumentRecord>, StoreError> {
        self.inner.document(connection, document).await
    }
    async fn unpaid_exported(
        &self,
        connection: &ConnectionId,
    ) -> Result<Vec<DocumentRecord>, StoreError> {
        self.inner.unpaid_exported(connection).await
    }
    async fn documents_changed_since(
        &self,
        connection: &ConnectionId,
        since: DateTime<Utc>,
    ) -> Result<Vec<DocumentRecord>, StoreError> {
        self.inner.documents_changed_since(connection, since).await
    }
}

#[tokio::test]
async fn a_transient_store_failure_fails_no_document_and_the_message_is_retried() {
    let world = World::with_account(6, 0, 2);
    world.connect(connection()).await;
    let flaky = FlakyDocuments {
        inner: &world.store,
        writes: AtomicU32::new(0),
        fail_from: 5,
    };
    let export = InvoiceExport {
        stores: ExportStores {
            documents: &flaky,
            ..ExportStores::of(&world.store)
        },
        options: ExportOptions::default(),
    };
    let ports = LifecyclePorts {
        connector: &world.connector,
        connections: &world.store,
        reports: &world.store,
        leases: &world.store,
        queue: &world.queue,
        clock: world.clock.as_ref(),
    };
    let message = Job::start(
        ConnectionId::from("c1"),
        RunId::new("night-1"),
        JobKind::InvoiceExport,
    );
    let error = run_job(
        &export,
        &ports,
        &message,
        Deadline::none(),
        LifecycleOptions::default(),
    )
    .await
    .expect_err("a store failure is the queue's to retry");
    assert!(matches!(error, JobError::Store(_)), "{error}");
    assert_eq!(failed_records(&world.store), 0, "no document blamed");
    let report = world
        .store
        .run_reports(&ConnectionId::from("c1"), 1)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(report.status, RunStatus::Running, "{report:#?}");
    assert_eq!(report.export_counts().failed, 0);

    // The queue delivers the message again once the store is back: the same run finishes,
    // each document once.
    let (_, report) = world.run("night-1", None).await;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    assert_eq!(world.booked_references().len(), 6);
}
