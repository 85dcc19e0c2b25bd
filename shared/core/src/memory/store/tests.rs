//! Tests of the in-memory store against the `Store` contract.

use super::*;
use crate::{
    ConnectionSettings, DepartmentId, DocumentKind, GlAccount, LedgerEntryId, LedgerKind,
    RunCounts, RunStatus,
};
use chrono::{TimeDelta, TimeZone};
use std::sync::Arc;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 2, 2, 8, 0, 0).unwrap()
}

fn minutes(n: i64) -> TimeDelta {
    TimeDelta::minutes(n)
}

fn conn(id: &str) -> ConnectionId {
    ConnectionId::from(id)
}

fn record(connection: &str, document: &str) -> DocumentRecord {
    DocumentRecord::pending(
        conn(connection),
        DocumentId::from(document),
        DocumentKind::Invoice,
        Some("2026 / 1".into()),
        t0(),
    )
}

fn with_state(connection: &str, document: &str, state: ExportState) -> DocumentRecord {
    DocumentRecord {
        state,
        ..record(connection, document)
    }
}

fn exported(connection: &str, document: &str, paid: bool) -> DocumentRecord {
    DocumentRecord {
        paid,
        ..with_state(
            connection,
            document,
            ExportState::Exported {
                entry_id: LedgerEntryId::from("entry-1"),
                at: t0(),
            },
        )
    }
}

fn connection(id: &str, account: &str, status: ConnectionStatus) -> Connection {
    Connection {
        id: conn(id),
        account_id: AccountId::from(account),
        department_id: DepartmentId::from("dep-1"),
        ledger: LedgerKind::ExactOnline,
        ledger_company: "123456".into(),
        status,
        settings: ConnectionSettings::default(),
        teamleader_secret: format!("koppel/{id}/teamleader"),
        ledger_secret: format!("koppel/{id}/ledger"),
        created_at: t0(),
        status_reason: None,
    }
}

fn report(connection: &str, run: &str, started_at: DateTime<Utc>) -> RunReport {
    RunReport {
        connection_id: conn(connection),
        run_id: RunId::from(run),
        job: "invoice-export".into(),
        started_at,
        updated_at: started_at,
        status: RunStatus::Succeeded,
        counts: RunCounts::Nothing,
        issues: Vec::new(),
        warnings: Vec::new(),
        message: None,
        invocations: 1,
    }
}

// --- claims

#[tokio::test]
async fn claiming_a_new_document_records_the_claim() {
    let store = InMemoryStore::new();
    let run = RunId::from("run-a");
    let outcome = store
        .claim_document(&record("c1", "d1"), &run, t0(), t0() + minutes(5))
        .await
        .unwrap();
    assert_eq!(outcome, ClaimOutcome::Claimed { previous: None });
    let stored = store
        .document(&conn("c1"), &DocumentId::from("d1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.state,
        ExportState::Exporting {
            run_id: run,
            until: t0() + minutes(5)
        }
    );
    assert_eq!(stored.attempts, 1);
    assert_eq!(stored.updated_at, t0());
}

#[tokio::test]
async fn pending_and_failed_documents_can_be_claimed() {
    let store = InMemoryStore::new();
    let pending = record("c1", "d1");
    let failed = DocumentRecord {
        attempts: 2,
        ..with_state(
            "c1",
            "d2",
            ExportState::Failed {
                reason: "map VAT code 21".into(),
            },
        )
    };
    store.put_document(&pending).await.unwrap();
    store.put_document(&failed).await.unwrap();
    let run = RunId::from("run-b");
    let later = t0() + minutes(60);
    let first = store
        .claim_document(&pending, &run, later, later + minutes(5))
        .await
        .unwrap();
    assert_eq!(
        first,
        ClaimOutcome::Claimed {
            previous: Some(pending)
        }
    );
    let second = store
        .claim_document(&failed, &run, later, later + minutes(5))
        .await
        .unwrap();
    assert_eq!(
        second,
        ClaimOutcome::Claimed {
            previous: Some(failed)
        }
    );
    let stored = store
        .document(&conn("c1"), &DocumentId::from("d2"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.attempts, 3);
    assert_eq!(stored.state.name(), "exporting");
}

#[tokio::test]
async fn exported_documents_are_never_claimed_again() {
    let store = InMemoryStore::new();
    let done = exported("c1", "d1", false);
    store.put_document(&done).await.unwrap();
    let outcome = store
        .claim_document(
            &record("c1", "d1"),
            &RunId::from("run-x"),
            t0(),
            t0() + minutes(5),
        )
        .await
        .unwrap();
    assert_eq!(outcome, ClaimOutcome::AlreadyExported(done.clone()));
    assert_eq!(
        store
            .document(&conn("c1"), &DocumentId::from("d1"))
            .await
            .unwrap(),
        Some(done)
    );
}

#[tokio::test]
async fn a_live_claim_of_another_run_is_busy() {
    let store = InMemoryStore::new();
    let first = RunId::from("run-1");
    store
        .claim_document(&record("c1", "d1"), &first, t0(), t0() + minutes(5))
        .await
        .unwrap();
    let held = store
        .document(&conn("c1"), &DocumentId::from("d1"))
        .await
        .unwrap()
        .unwrap();
    let outcome = store
        .claim_document(
            &record("c1", "d1"),
            &RunId::from("run-2"),
            t0() + minutes(4),
            t0() + minutes(9),
        )
        .await
        .unwrap();
    assert_eq!(outcome, ClaimOutcome::Busy(held.clone()));
    assert_eq!(
        store
            .document(&conn("c1"), &DocumentId::from("d1"))
            .await
            .unwrap(),
        Some(held)
    );
}

#[tokio::test]
async fn a_lapsed_claim_is_taken_over_with_the_crashed_record_as_previous() {
    let store = InMemoryStore::new();
    store
        .claim_document(
            &record("c1", "d1"),
            &RunId::from("crashed"),
            t0(),
            t0() + minutes(5),
        )
        .await
        .unwrap();
    let crashed = store
        .document(&conn("c1"), &DocumentId::from("d1"))
        .await
        .unwrap()
        .unwrap();
    let rescuer = RunId::from("rescuer");
    let at_expiry = store
        .claim_document(
            &record("c1", "d1"),
            &rescuer,
            t0() + minutes(5),
            t0() + minutes(10),
        )
        .await
        .unwrap();
    assert_eq!(
        at_expiry,
        ClaimOutcome::Claimed {
            previous: Some(crashed)
        }
    );
    let stored = store
        .document(&conn("c1"), &DocumentId::from("d1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.state,
        ExportState::Exporting {
            run_id: rescuer,
            until: t0() + minutes(10)
        }
    );
    assert_eq!(stored.attempts, 2);
}

#[tokio::test]
async fn the_same_run_can_claim_again_while_its_claim_is_live() {
    let store = InMemoryStore::new();
    let run = RunId::from("run-1");
    store
        .claim_document(&record("c1", "d1"), &run, t0(), t0() + minutes(5))
        .await
        .unwrap();
    let outcome = store
        .claim_document(
            &record("c1", "d1"),
            &run,
            t0() + minutes(1),
            t0() + minutes(6),
        )
        .await
        .unwrap();
    assert!(
        matches!(outcome, ClaimOutcome::Claimed { previous: Some(ref p) } if p.state.name() == "exporting")
    );
}

#[tokio::test]
async fn claims_are_per_connection() {
    let store = InMemoryStore::new();
    store
        .claim_document(
            &record("c1", "d1"),
            &RunId::from("r1"),
            t0(),
            t0() + minutes(5),
        )
        .await
        .unwrap();
    let other = store
        .claim_document(
            &record("c2", "d1"),
            &RunId::from("r2"),
            t0(),
            t0() + minutes(5),
        )
        .await
        .unwrap();
    assert_eq!(other, ClaimOutcome::Claimed { previous: None });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_one_of_twenty_racing_workers_claims_a_document() {
    let store = Arc::new(InMemoryStore::new());
    let barrier = Arc::new(tokio::sync::Barrier::new(20));
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                store
                    .claim_document(
                        &record("c1", "d1"),
                        &RunId::new(format!("run-{i}")),
                        t0(),
                        t0() + minutes(5),
                    )
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut claimed = 0;
    let mut busy = 0;
    for task in tasks {
        match task.await.unwrap() {
            ClaimOutcome::Claimed { previous: None } => claimed += 1,
            ClaimOutcome::Busy(_) => busy += 1,
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!((claimed, busy), (1, 19));
    let stored = store
        .document(&conn("c1"), &DocumentId::from("d1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.attempts, 1);
}

// --- documents

#[tokio::test]
async fn unpaid_exported_lists_only_exported_unpaid_documents_of_the_connection() {
    let store = InMemoryStore::new();
    for doc in [
        exported("c1", "d3", false),
        exported("c1", "d1", false),
        exported("c1", "d2", true),
        record("c1", "d4"),
        with_state(
            "c1",
            "d5",
            ExportState::Failed {
                reason: "no journal".into(),
            },
        ),
        exported("c2", "d6", false),
    ] {
        store.put_document(&doc).await.unwrap();
    }
    let unpaid = store.unpaid_exported(&conn("c1")).await.unwrap();
    let ids: Vec<&str> = unpaid.iter().map(|r| r.document_id.as_str()).collect();
    assert_eq!(ids, ["d1", "d3"]);
    assert_eq!(store.documents(&conn("c1")).len(), 5);
}

#[tokio::test]
async fn put_document_replaces_the_record() {
    let store = InMemoryStore::new();
    store.put_document(&record("c1", "d1")).await.unwrap();
    store
        .put_document(&exported("c1", "d1", true))
        .await
        .unwrap();
    let stored = store
        .document(&conn("c1"), &DocumentId::from("d1"))
        .await
        .unwrap()
        .unwrap();
    assert!(stored.paid);
    assert_eq!(
        store
            .document(&conn("c1"), &DocumentId::from("nope"))
            .await
            .unwrap(),
        None
    );
}

// --- customer mappings

#[tokio::test]
async fn the_first_customer_mapping_stands() {
    let store = InMemoryStore::new();
    let customer = CustomerRef::company("tl-1");
    assert_eq!(
        store
            .customer_mapping(&conn("c1"), &customer)
            .await
            .unwrap(),
        None
    );
    let first = store
        .put_customer_mapping(&conn("c1"), &customer, &LedgerCustomerId::from("A"))
        .await
        .unwrap();
    let second = store
        .put_customer_mapping(&conn("c1"), &customer, &LedgerCustomerId::from("B"))
        .await
        .unwrap();
    assert_eq!(first, LedgerCustomerId::from("A"));
    assert_eq!(second, LedgerCustomerId::from("A"));
    assert_eq!(
        store
            .customer_mapping(&conn("c1"), &customer)
            .await
            .unwrap(),
        Some(LedgerCustomerId::from("A"))
    );
}

#[tokio::test]
async fn mappings_are_per_connection_and_customer_kind() {
    let store = InMemoryStore::new();
    store
        .put_customer_mapping(
            &conn("c1"),
            &CustomerRef::company("x"),
            &LedgerCustomerId::from("A"),
        )
        .await
        .unwrap();
    let contact = store
        .put_customer_mapping(
            &conn("c1"),
            &CustomerRef::contact("x"),
            &LedgerCustomerId::from("B"),
        )
        .await
        .unwrap();
    let other_connection = store
        .put_customer_mapping(
            &conn("c2"),
            &CustomerRef::company("x"),
            &LedgerCustomerId::from("C"),
        )
        .await
        .unwrap();
    assert_eq!(contact, LedgerCustomerId::from("B"));
    assert_eq!(other_connection, LedgerCustomerId::from("C"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_mappings_all_get_the_same_winner() {
    let store = Arc::new(InMemoryStore::new());
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .put_customer_mapping(
                        &conn("c1"),
                        &CustomerRef::company("tl-1"),
                        &LedgerCustomerId::new(format!("ledger-{i}")),
                    )
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    let stored = store
        .customer_mapping(&conn("c1"), &CustomerRef::company("tl-1"))
        .await
        .unwrap()
        .unwrap();
    assert!(results.iter().all(|r| *r == stored), "{results:?}");
}

// --- leases

#[tokio::test]
async fn leases_are_exclusive_until_they_lapse() {
    let store = InMemoryStore::new();
    assert!(
        store
            .acquire_lease("token:s", "w1", t0(), t0() + minutes(1))
            .await
            .unwrap()
    );
    assert!(
        !store
            .acquire_lease("token:s", "w2", t0() + minutes(0), t0() + minutes(1))
            .await
            .unwrap()
    );
    assert_eq!(
        store.lease("token:s"),
        Some(("w1".into(), t0() + minutes(1)))
    );
    assert!(
        store
            .acquire_lease("token:s", "w2", t0() + minutes(1), t0() + minutes(2))
            .await
            .unwrap()
    );
    assert_eq!(
        store.lease("token:s"),
        Some(("w2".into(), t0() + minutes(2)))
    );
}

#[tokio::test]
async fn the_holder_can_take_its_lease_again_and_extend_it() {
    let store = InMemoryStore::new();
    assert!(
        store
            .acquire_lease("l", "w1", t0(), t0() + minutes(1))
            .await
            .unwrap()
    );
    assert!(
        store
            .acquire_lease("l", "w1", t0(), t0() + minutes(3))
            .await
            .unwrap()
    );
    assert_eq!(store.lease("l"), Some(("w1".into(), t0() + minutes(3))));
}

#[tokio::test]
async fn only_the_holder_releases_a_lease() {
    let store = InMemoryStore::new();
    store
        .acquire_lease("l", "w1", t0(), t0() + minutes(5))
        .await
        .unwrap();
    store.release_lease("l", "w2").await.unwrap();
    assert!(
        !store
            .acquire_lease("l", "w2", t0(), t0() + minutes(5))
            .await
            .unwrap()
    );
    store.release_lease("l", "w1").await.unwrap();
    assert_eq!(store.lease("l"), None);
    assert!(
        store
            .acquire_lease("l", "w2", t0(), t0() + minutes(5))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn leases_are_independent_by_name() {
    let store = InMemoryStore::new();
    assert!(
        store
            .acquire_lease("a", "w1", t0(), t0() + minutes(5))
            .await
            .unwrap()
    );
    assert!(
        store
            .acquire_lease("b", "w2", t0(), t0() + minutes(5))
            .await
            .unwrap()
    );
}

// --- connections

#[tokio::test]
async fn connections_by_account_and_active_ones() {
    let store = InMemoryStore::new();
    store
        .put_connection(&connection("c1", "acc-1", ConnectionStatus::Active))
        .await
        .unwrap();
    store
        .put_connection(&connection("c2", "acc-1", ConnectionStatus::Paused))
        .await
        .unwrap();
    store
        .put_connection(&connection("c3", "acc-2", ConnectionStatus::Active))
        .await
        .unwrap();
    store
        .put_connection(&connection("c4", "acc-2", ConnectionStatus::NeedsReauth))
        .await
        .unwrap();

    let of_account: Vec<_> = store
        .connections_of_account(&AccountId::from("acc-1"))
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id.0)
        .collect();
    assert_eq!(of_account, ["c1", "c2"]);
    let active: Vec<_> = store
        .active_connections()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id.0)
        .collect();
    assert_eq!(active, ["c1", "c3"]);
}

#[tokio::test]
async fn status_changes_carry_a_reason_and_leave_the_active_list() {
    let store = InMemoryStore::new();
    store
        .put_connection(&connection("c1", "acc-1", ConnectionStatus::Active))
        .await
        .unwrap();
    store
        .set_connection_status(
            &conn("c1"),
            ConnectionStatus::NeedsReauth,
            Some("sign in again".into()),
        )
        .await
        .unwrap();
    let stored = store.connection(&conn("c1")).await.unwrap().unwrap();
    assert_eq!(stored.status, ConnectionStatus::NeedsReauth);
    assert_eq!(stored.status_reason.as_deref(), Some("sign in again"));
    assert!(store.active_connections().await.unwrap().is_empty());
    store
        .set_connection_status(&conn("c1"), ConnectionStatus::Active, None)
        .await
        .unwrap();
    assert_eq!(store.active_connections().await.unwrap().len(), 1);
    store
        .set_connection_status(&conn("unknown"), ConnectionStatus::Paused, None)
        .await
        .unwrap();
    assert_eq!(store.connection(&conn("unknown")).await.unwrap(), None);
}

// --- reference data, cursors, reports

#[tokio::test]
async fn reference_data_and_cursors_round_trip() {
    let store = InMemoryStore::new();
    assert_eq!(store.reference_data(&conn("c1")).await.unwrap(), None);
    let data = LedgerReferenceData {
        gl_accounts: vec![GlAccount {
            id: "g1".into(),
            code: "700000".into(),
            description: "Sales".into(),
            is_revenue: true,
            blocked: false,
        }],
        ..LedgerReferenceData::default()
    };
    store
        .put_reference_data(&conn("c1"), &data, t0())
        .await
        .unwrap();
    assert_eq!(
        store.reference_data(&conn("c1")).await.unwrap(),
        Some((data, t0()))
    );

    assert_eq!(
        store
            .cursor(&conn("c1"), "invoice-export.updated_since")
            .await
            .unwrap(),
        None
    );
    store
        .put_cursor(
            &conn("c1"),
            "invoice-export.updated_since",
            "2026-02-01T00:00:00Z",
        )
        .await
        .unwrap();
    store
        .put_cursor(
            &conn("c1"),
            "invoice-export.updated_since",
            "2026-02-02T00:00:00Z",
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .cursor(&conn("c1"), "invoice-export.updated_since")
            .await
            .unwrap()
            .as_deref(),
        Some("2026-02-02T00:00:00Z")
    );
    assert_eq!(
        store
            .cursor(&conn("c2"), "invoice-export.updated_since")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn run_reports_come_newest_first_and_limited() {
    let store = InMemoryStore::new();
    store
        .put_run_report(&report("c1", "r-old", t0()))
        .await
        .unwrap();
    store
        .put_run_report(&report("c1", "r-new", t0() + minutes(120)))
        .await
        .unwrap();
    store
        .put_run_report(&report("c1", "r-mid", t0() + minutes(60)))
        .await
        .unwrap();
    store
        .put_run_report(&report("c2", "r-other", t0() + minutes(500)))
        .await
        .unwrap();

    let all: Vec<_> = store
        .run_reports(&conn("c1"), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.run_id.0)
        .collect();
    assert_eq!(all, ["r-new", "r-mid", "r-old"]);
    let two: Vec<_> = store
        .run_reports(&conn("c1"), 2)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.run_id.0)
        .collect();
    assert_eq!(two, ["r-new", "r-mid"]);

    let mut updated = report("c1", "r-old", t0());
    updated.status = RunStatus::CompletedWithIssues;
    store.put_run_report(&updated).await.unwrap();
    assert_eq!(
        store
            .run_report(&conn("c1"), &RunId::from("r-old"))
            .await
            .unwrap(),
        Some(updated)
    );
    assert_eq!(
        store
            .run_report(&conn("c2"), &RunId::from("r-old"))
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn a_failing_store_fails_every_call() {
    let store = InMemoryStore::new();
    store.fail_calls(Some("connection reset"));
    let err = store.connection(&conn("c1")).await.unwrap_err();
    assert!(err.to_string().contains("connection reset"));
    assert!(
        store
            .claim_document(&record("c1", "d1"), &RunId::from("r"), t0(), t0())
            .await
            .is_err()
    );
    assert!(store.acquire_lease("l", "w", t0(), t0()).await.is_err());
    store.fail_calls(None);
    assert!(store.documents(&conn("c1")).is_empty());
    assert!(store.connection(&conn("c1")).await.unwrap().is_none());
}
