//! `DynamoStore` against moto: claims, leases, indexes, reports, mappings, reference data.

use crate::common::{ManualClock, at, fresh_store};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};
use koppel_aws::schema::{TABLE_PK, TABLE_SK};
use koppel_core::{
    AccountId, ClaimOutcome, Connection, ConnectionId, ConnectionSettings, ConnectionStatus,
    ConnectionStore, CursorStore, CustomerMappingStore, CustomerRef, DepartmentId, DocumentId,
    DocumentKind, DocumentRecord, DocumentStore, ExportState, FiscalPeriod, GlAccount, Journal,
    JournalKind, LeaseStore, LedgerCustomerId, LedgerEntryId, LedgerKind, LedgerReferenceData,
    ReferenceDataStore, RunCounts, RunId, RunReport, RunReportStore, RunStatus, StoreError,
    VatCode,
};
use rust_decimal::Decimal;
use std::sync::Arc;

fn connection(id: &str, account: &str, status: ConnectionStatus) -> Connection {
    Connection {
        id: ConnectionId::new(id),
        account_id: AccountId::new(account),
        department_id: DepartmentId::new(format!("dept-{id}")),
        ledger: LedgerKind::ExactOnline,
        ledger_company: "123456".into(),
        status,
        settings: ConnectionSettings {
            invoice_journal: Some("70".into()),
            credit_note_journal: Some("71".into()),
            attach_pdf: true,
            ..Default::default()
        },
        teamleader_secret: format!("koppel/{id}/teamleader"),
        ledger_secret: format!("koppel/{id}/exact"),
        created_at: at(1, 0),
        status_reason: None,
    }
}

fn pending(connection: &str, document: &str) -> DocumentRecord {
    DocumentRecord::pending(
        ConnectionId::new(connection),
        DocumentId::new(document),
        DocumentKind::Invoice,
        Some(format!("2026 / {document}")),
        at(2, 0),
    )
}

fn exported(connection: &str, document: &str, paid: bool) -> DocumentRecord {
    let mut record = pending(connection, document);
    record.state = ExportState::Exported {
        entry_id: LedgerEntryId::new(format!("entry-{document}")),
        at: at(3, 0),
    };
    record.paid = paid;
    record.attempts = 1;
    record
}

#[tokio::test]
async fn concurrent_claims_have_exactly_one_winner() {
    let store = Arc::new(fresh_store().await);
    let record = pending("c1", "race");
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..16 {
        let store = store.clone();
        let record = record.clone();
        tasks.spawn(async move {
            let run = RunId::new(format!("run-{worker}"));
            (
                run.clone(),
                store
                    .claim_document(&record, &run, at(4, 0), at(4, 5))
                    .await
                    .unwrap(),
            )
        });
    }
    let mut winners = Vec::new();
    let mut busy = 0;
    while let Some(joined) = tasks.join_next().await {
        match joined.unwrap() {
            (run, ClaimOutcome::Claimed { previous }) => {
                assert_eq!(previous, None);
                winners.push(run);
            }
            (_, ClaimOutcome::Busy(current)) => {
                assert!(
                    matches!(current.state, ExportState::Exporting { .. }),
                    "{current:?}"
                );
                busy += 1;
            }
            (_, other) => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one claim must win");
    assert_eq!(busy, 15);
    let stored = store
        .document(&record.connection_id, &record.document_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.state,
        ExportState::Exporting {
            run_id: winners[0].clone(),
            until: at(4, 5)
        }
    );
}

#[tokio::test]
async fn a_live_claim_is_busy_and_a_lapsed_one_is_taken_over() {
    let store = fresh_store().await;
    let record = pending("c1", "d1");
    let first = RunId::new("run-1");
    let second = RunId::new("run-2");
    assert_eq!(
        store
            .claim_document(&record, &first, at(4, 0), at(4, 10))
            .await
            .unwrap(),
        ClaimOutcome::Claimed { previous: None }
    );

    // Before the claim lapses: busy, and the record is untouched.
    match store
        .claim_document(&record, &second, at(4, 9), at(4, 20))
        .await
        .unwrap()
    {
        ClaimOutcome::Busy(current) => {
            assert_eq!(
                current.state,
                ExportState::Exporting {
                    run_id: first.clone(),
                    until: at(4, 10)
                }
            )
        }
        other => panic!("expected Busy, got {other:?}"),
    }

    // After: taken over, and `previous` shows the crashed worker's exporting record.
    match store
        .claim_document(&record, &second, at(4, 11), at(4, 21))
        .await
        .unwrap()
    {
        ClaimOutcome::Claimed {
            previous: Some(previous),
        } => {
            assert_eq!(
                previous.state,
                ExportState::Exporting {
                    run_id: first,
                    until: at(4, 10)
                }
            );
            assert_eq!(previous.updated_at, at(4, 0));
        }
        other => panic!("expected a takeover, got {other:?}"),
    }
    let stored = store
        .document(&record.connection_id, &record.document_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.state,
        ExportState::Exporting {
            run_id: second,
            until: at(4, 21)
        }
    );
    assert_eq!(stored.updated_at, at(4, 11));
}

#[tokio::test]
async fn a_claim_lapses_at_its_until_and_its_own_run_may_take_it_again() {
    let store = fresh_store().await;
    let record = pending("c1", "d1");
    let (first, second) = (RunId::new("run-1"), RunId::new("run-2"));
    store
        .claim_document(&record, &first, at(4, 0), at(4, 10))
        .await
        .unwrap();
    // A redelivered message of the same run takes its own live claim again.
    match store
        .claim_document(&record, &first, at(4, 1), at(4, 11))
        .await
        .unwrap()
    {
        ClaimOutcome::Claimed {
            previous: Some(previous),
        } => {
            assert_eq!(
                previous.state,
                ExportState::Exporting {
                    run_id: first.clone(),
                    until: at(4, 10)
                }
            )
        }
        other => panic!("expected the same run to re-claim, got {other:?}"),
    }
    assert!(matches!(
        store
            .claim_document(
                &record,
                &second,
                at(4, 11) - Duration::milliseconds(1),
                at(4, 20)
            )
            .await
            .unwrap(),
        ClaimOutcome::Busy(_)
    ));
    assert!(matches!(
        store
            .claim_document(&record, &second, at(4, 11), at(4, 20))
            .await
            .unwrap(),
        ClaimOutcome::Claimed { previous: Some(_) }
    ));
}

#[tokio::test]
async fn each_claim_counts_an_attempt_on_the_stored_record() {
    let store = fresh_store().await;
    let fresh = pending("c1", "d1");
    store
        .claim_document(&fresh, &RunId::new("r1"), at(4, 0), at(4, 5))
        .await
        .unwrap();
    let stored = store
        .document(&fresh.connection_id, &fresh.document_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.attempts, 1);

    let mut failed = stored.clone();
    failed.state = ExportState::Failed {
        reason: "journal 70 is blocked".into(),
    };
    store.put_document(&failed).await.unwrap();
    // The caller passes a fresh pending record (attempts 0); the count continues from the store.
    match store
        .claim_document(&fresh, &RunId::new("r2"), at(5, 0), at(5, 5))
        .await
        .unwrap()
    {
        ClaimOutcome::Claimed { previous } => assert_eq!(previous, Some(failed)),
        other => panic!("expected a claim, got {other:?}"),
    }
    let stored = store
        .document(&fresh.connection_id, &fresh.document_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.attempts, 2);
    assert_eq!(
        stored.state,
        ExportState::Exporting {
            run_id: RunId::new("r2"),
            until: at(5, 5)
        }
    );
    assert_eq!(stored.number, fresh.number);
}

#[tokio::test]
async fn an_exported_document_is_never_claimed_again() {
    let store = fresh_store().await;
    let done = exported("c1", "d1", false);
    store.put_document(&done).await.unwrap();
    // Even long after, and even with a record saying pending.
    let outcome = store
        .claim_document(&pending("c1", "d1"), &RunId::new("r"), at(9, 0), at(9, 5))
        .await
        .unwrap();
    assert_eq!(outcome, ClaimOutcome::AlreadyExported(done.clone()));
    assert_eq!(
        store
            .document(&done.connection_id, &done.document_id)
            .await
            .unwrap(),
        Some(done)
    );
}

#[tokio::test]
async fn failed_and_pending_records_can_be_claimed_with_their_previous_state() {
    let store = fresh_store().await;
    let mut failed = pending("c1", "d1");
    failed.state = ExportState::Failed {
        reason: "VAT code 21 is not mapped".into(),
    };
    failed.attempts = 2;
    store.put_document(&failed).await.unwrap();
    match store
        .claim_document(&failed, &RunId::new("r"), at(5, 0), at(5, 5))
        .await
        .unwrap()
    {
        ClaimOutcome::Claimed { previous } => assert_eq!(previous, Some(failed)),
        other => panic!("expected a claim, got {other:?}"),
    }

    let waiting = pending("c1", "d2");
    store.put_document(&waiting).await.unwrap();
    assert_eq!(
        store
            .claim_document(&waiting, &RunId::new("r"), at(5, 0), at(5, 5))
            .await
            .unwrap(),
        ClaimOutcome::Claimed {
            previous: Some(waiting)
        }
    );
}

#[tokio::test]
async fn unpaid_index_lists_exported_unpaid_records_only_and_drops_paid_ones() {
    let store = fresh_store().await;
    let open_1 = exported("c1", "open-1", false);
    let open_2 = exported("c1", "open-2", false);
    let paid = exported("c1", "paid", true);
    let other_connection = exported("c2", "open-3", false);
    let mut claimed = pending("c1", "claimed");
    claimed.state = ExportState::Exporting {
        run_id: RunId::new("r"),
        until: at(6, 0),
    };
    let mut failed = pending("c1", "failed");
    failed.state = ExportState::Failed {
        reason: "no journal".into(),
    };
    for record in [
        &open_1,
        &open_2,
        &paid,
        &other_connection,
        &claimed,
        &failed,
        &pending("c1", "new"),
    ] {
        store.put_document(record).await.unwrap();
    }

    let mut unpaid = store
        .unpaid_exported(&ConnectionId::new("c1"))
        .await
        .unwrap();
    unpaid.sort_by(|a, b| a.document_id.cmp(&b.document_id));
    assert_eq!(unpaid, vec![open_1.clone(), open_2.clone()]);

    let mut now_paid = open_1.clone();
    now_paid.paid = true;
    store.put_document(&now_paid).await.unwrap();
    assert_eq!(
        store
            .unpaid_exported(&ConnectionId::new("c1"))
            .await
            .unwrap(),
        vec![open_2]
    );
    assert_eq!(
        store
            .unpaid_exported(&ConnectionId::new("c2"))
            .await
            .unwrap(),
        vec![other_connection]
    );
}

#[tokio::test]
async fn connections_of_an_account_never_include_another_accounts() {
    let store = fresh_store().await;
    let a1 = connection("c-a1", "acct-a", ConnectionStatus::Active);
    let a2 = connection("c-a2", "acct-a", ConnectionStatus::Paused);
    let b1 = connection("c-b1", "acct-b", ConnectionStatus::Active);
    for c in [&a1, &a2, &b1] {
        store.put_connection(c).await.unwrap();
    }
    assert_eq!(
        store
            .connections_of_account(&AccountId::new("acct-a"))
            .await
            .unwrap(),
        vec![a1.clone(), a2]
    );
    assert_eq!(
        store
            .connections_of_account(&AccountId::new("acct-b"))
            .await
            .unwrap(),
        vec![b1.clone()]
    );
    assert_eq!(
        store
            .connections_of_account(&AccountId::new("acct-c"))
            .await
            .unwrap(),
        vec![]
    );

    // A connection moved to another account leaves its old account.
    let mut moved = b1.clone();
    moved.account_id = AccountId::new("acct-a");
    store.put_connection(&moved).await.unwrap();
    assert_eq!(
        store
            .connections_of_account(&AccountId::new("acct-b"))
            .await
            .unwrap(),
        vec![]
    );
    assert_eq!(store.connection(&b1.id).await.unwrap(), Some(moved));
}

#[tokio::test]
async fn active_index_follows_status_changes() {
    let store = fresh_store().await;
    let one = connection("c1", "acct", ConnectionStatus::Active);
    let two = connection("c2", "acct", ConnectionStatus::Active);
    let paused = connection("c3", "acct", ConnectionStatus::Paused);
    for c in [&one, &two, &paused] {
        store.put_connection(c).await.unwrap();
    }
    let ids = |list: Vec<Connection>| {
        let mut ids: Vec<String> = list.into_iter().map(|c| c.id.0).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(store.active_connections().await.unwrap()), ["c1", "c2"]);

    let reason = "Teamleader refused Koppel's access; sign in again".to_owned();
    store
        .set_connection_status(&one.id, ConnectionStatus::NeedsReauth, Some(reason.clone()))
        .await
        .unwrap();
    store
        .set_connection_status(&paused.id, ConnectionStatus::Active, None)
        .await
        .unwrap();
    assert_eq!(ids(store.active_connections().await.unwrap()), ["c2", "c3"]);

    let changed = store.connection(&one.id).await.unwrap().unwrap();
    assert_eq!(changed.status, ConnectionStatus::NeedsReauth);
    assert_eq!(changed.status_reason, Some(reason));
    assert_eq!(changed.settings, one.settings);

    store
        .set_connection_status(&one.id, ConnectionStatus::Active, None)
        .await
        .unwrap();
    let back = store.connection(&one.id).await.unwrap().unwrap();
    assert_eq!(back, one);
    assert_eq!(
        ids(store.active_connections().await.unwrap()),
        ["c1", "c2", "c3"]
    );

    // A status change for a connection that is gone changes nothing and creates nothing.
    store
        .set_connection_status(&ConnectionId::new("nope"), ConnectionStatus::Active, None)
        .await
        .unwrap();
    assert_eq!(
        store.connection(&ConnectionId::new("nope")).await.unwrap(),
        None
    );
    assert_eq!(
        ids(store.active_connections().await.unwrap()),
        ["c1", "c2", "c3"]
    );
}

#[tokio::test]
async fn a_lease_is_exclusive_until_it_lapses() {
    let store = fresh_store().await;
    let name = "token:koppel/c1/teamleader";
    assert!(
        store
            .acquire_lease(name, "worker-a", at(7, 0), at(7, 1))
            .await
            .unwrap()
    );
    assert!(
        !store
            .acquire_lease(name, "worker-b", at(7, 0), at(7, 1))
            .await
            .unwrap()
    );
    assert!(
        !store
            .acquire_lease(name, "worker-b", at(7, 0) + Duration::seconds(59), at(7, 2))
            .await
            .unwrap()
    );
    // The holder may extend it.
    assert!(
        store
            .acquire_lease(name, "worker-a", at(7, 0) + Duration::seconds(30), at(7, 2))
            .await
            .unwrap()
    );
    assert!(
        !store
            .acquire_lease(name, "worker-b", at(7, 1) + Duration::seconds(30), at(7, 3))
            .await
            .unwrap()
    );
    // Lapsed (at its end): another owner takes it.
    assert!(
        !store
            .acquire_lease(
                name,
                "worker-b",
                at(7, 2) - Duration::milliseconds(1),
                at(7, 3)
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .acquire_lease(name, "worker-b", at(7, 2), at(7, 3))
            .await
            .unwrap()
    );
    assert!(
        !store
            .acquire_lease(name, "worker-a", at(7, 2) + Duration::seconds(2), at(7, 4))
            .await
            .unwrap()
    );

    // Releasing someone else's lease does nothing; releasing one's own frees it.
    store.release_lease(name, "worker-a").await.unwrap();
    assert!(
        !store
            .acquire_lease(name, "worker-c", at(7, 2) + Duration::seconds(3), at(7, 4))
            .await
            .unwrap()
    );
    store.release_lease(name, "worker-b").await.unwrap();
    assert!(
        store
            .acquire_lease(name, "worker-c", at(7, 2) + Duration::seconds(4), at(7, 4))
            .await
            .unwrap()
    );
    store
        .release_lease("never-taken", "worker-c")
        .await
        .unwrap();
}

fn report(connection: &str, run: &str, started: DateTime<Utc>) -> RunReport {
    RunReport {
        connection_id: ConnectionId::new(connection),
        run_id: RunId::new(run),
        job: "invoice-export".into(),
        started_at: started,
        updated_at: started + Duration::minutes(2),
        status: RunStatus::Succeeded,
        counts: RunCounts {
            exported: 3,
            ..Default::default()
        },
        issues: vec![],
        message: None,
        invocations: 1,
    }
}

#[tokio::test]
async fn run_reports_come_newest_first_and_by_run_id() {
    let clock = ManualClock::new(at(12, 0));
    let store = fresh_store().await.with_clock(clock.clone());
    let reports: Vec<RunReport> = [(8, "run-b"), (10, "run-c"), (9, "run-a"), (11, "run-d")]
        .into_iter()
        .map(|(hour, run)| report("c1", run, at(hour, 0)))
        .collect();
    for r in &reports {
        store.put_run_report(r).await.unwrap();
    }
    store
        .put_run_report(&report("c2", "run-other", at(11, 30)))
        .await
        .unwrap();

    let runs = |list: Vec<RunReport>| list.into_iter().map(|r| r.run_id.0).collect::<Vec<_>>();
    let c1 = ConnectionId::new("c1");
    assert_eq!(
        runs(store.run_reports(&c1, 10).await.unwrap()),
        ["run-d", "run-c", "run-a", "run-b"]
    );
    assert_eq!(
        runs(store.run_reports(&c1, 2).await.unwrap()),
        ["run-d", "run-c"]
    );
    assert_eq!(
        runs(store.run_reports(&c1, 0).await.unwrap()),
        Vec::<String>::new()
    );

    // Updating a running report replaces it.
    let mut updated = reports[1].clone();
    updated.status = RunStatus::CompletedWithIssues;
    updated.invocations = 3;
    store.put_run_report(&updated).await.unwrap();
    assert_eq!(
        store.run_report(&c1, &RunId::new("run-c")).await.unwrap(),
        Some(updated)
    );
    assert_eq!(store.run_reports(&c1, 10).await.unwrap().len(), 4);
    assert_eq!(
        store
            .run_report(&c1, &RunId::new("run-other"))
            .await
            .unwrap(),
        None
    );

    // Ninety days after its start a report is gone, even before DynamoDB deletes it.
    clock.set(at(8, 30) + Duration::days(90));
    assert_eq!(
        runs(store.run_reports(&c1, 10).await.unwrap()),
        ["run-d", "run-c", "run-a"]
    );
    assert_eq!(
        store.run_report(&c1, &RunId::new("run-b")).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn a_report_rewritten_with_another_start_time_leaves_no_copy() {
    let store = fresh_store().await.with_clock(ManualClock::new(at(9, 0)));
    store
        .put_run_report(&report("c1", "run-1", at(8, 0)))
        .await
        .unwrap();
    let moved = report("c1", "run-1", at(8, 1));
    store.put_run_report(&moved).await.unwrap();
    let c1 = ConnectionId::new("c1");
    assert_eq!(
        store.run_reports(&c1, 10).await.unwrap(),
        vec![moved.clone()]
    );
    assert_eq!(
        store.run_report(&c1, &RunId::new("run-1")).await.unwrap(),
        Some(moved)
    );
}

#[tokio::test]
async fn the_first_customer_mapping_stands() {
    let store = Arc::new(fresh_store().await);
    let c1 = ConnectionId::new("c1");
    let customer = CustomerRef::company("tl-company-1");
    assert_eq!(store.customer_mapping(&c1, &customer).await.unwrap(), None);

    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..10 {
        let (store, c1, customer) = (store.clone(), c1.clone(), customer.clone());
        tasks.spawn(async move {
            store
                .put_customer_mapping(
                    &c1,
                    &customer,
                    &LedgerCustomerId::new(format!("exact-{worker}")),
                )
                .await
                .unwrap()
        });
    }
    let mut answers = Vec::new();
    while let Some(answer) = tasks.join_next().await {
        answers.push(answer.unwrap());
    }
    let stored = store
        .customer_mapping(&c1, &customer)
        .await
        .unwrap()
        .unwrap();
    assert!(
        answers.iter().all(|a| a == &stored),
        "every racer must get the mapping that stands: {answers:?}"
    );

    // A contact with the same Teamleader id, and another connection, are separate mappings.
    assert_eq!(
        store
            .customer_mapping(&c1, &CustomerRef::contact("tl-company-1"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .customer_mapping(&ConnectionId::new("c2"), &customer)
            .await
            .unwrap(),
        None
    );
}

fn reference_data(accounts: usize) -> LedgerReferenceData {
    LedgerReferenceData {
        gl_accounts: (0..accounts)
            .map(|i| GlAccount {
                id: format!("guid-{i}"),
                code: format!("{}", 700_000 + i),
                description: format!("Omzet — categorie {i} (é, ü, ß)"),
                is_revenue: true,
                blocked: i % 7 == 0,
            })
            .collect(),
        journals: vec![Journal {
            code: "70".into(),
            description: "Verkoop".into(),
            kind: JournalKind::Sales,
        }],
        vat_codes: vec![VatCode {
            code: "4".into(),
            description: "21 % excl".into(),
            percentage: Decimal::new(21, 0),
            exclusive: true,
            blocked: false,
        }],
        periods: vec![FiscalPeriod {
            year: 2026,
            period: 3,
            start: at(0, 0).date_naive(),
            end: at(0, 0).date_naive() + Duration::days(30),
            closed: false,
        }],
    }
}

async fn item_count(store: &koppel_aws::DynamoStore, prefix: &str) -> usize {
    let output = store
        .client()
        .query()
        .table_name(store.table())
        .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
        .expression_attribute_names("#pk", TABLE_PK)
        .expression_attribute_names("#sk", TABLE_SK)
        .expression_attribute_values(":pk", AttributeValue::S("CONN#c1".into()))
        .expression_attribute_values(":prefix", AttributeValue::S(prefix.into()))
        .send()
        .await
        .unwrap();
    output.items().len()
}

#[tokio::test]
async fn reference_data_round_trips_inline_and_split_in_parts() {
    // Parts of 2 KB so a few hundred accounts need several parts.
    let store = fresh_store().await.with_reference_part_bytes(2_000);
    let c1 = ConnectionId::new("c1");
    assert_eq!(store.reference_data(&c1).await.unwrap(), None);

    let small = reference_data(2);
    store
        .put_reference_data(&c1, &small, at(1, 0))
        .await
        .unwrap();
    assert_eq!(
        store.reference_data(&c1).await.unwrap(),
        Some((small, at(1, 0)))
    );
    assert_eq!(item_count(&store, "REFDATA#").await, 0);

    let large = reference_data(300);
    store
        .put_reference_data(&c1, &large, at(2, 0))
        .await
        .unwrap();
    assert_eq!(
        store.reference_data(&c1).await.unwrap(),
        Some((large.clone(), at(2, 0)))
    );
    let parts = item_count(&store, "REFDATA#").await;
    assert_eq!(
        parts,
        serde_json::to_string(&large).unwrap().len().div_ceil(2_000)
    );
    assert!(
        parts > 5,
        "expected the lists split in parts, found {parts}"
    );

    // Replacing it removes the old parts.
    let larger = reference_data(310);
    store
        .put_reference_data(&c1, &larger, at(3, 0))
        .await
        .unwrap();
    let expected = serde_json::to_string(&larger)
        .unwrap()
        .len()
        .div_ceil(2_000);
    assert_eq!(
        store.reference_data(&c1).await.unwrap(),
        Some((larger, at(3, 0)))
    );
    assert_eq!(
        item_count(&store, "REFDATA#").await,
        expected,
        "old parts left behind"
    );
    let small = reference_data(1);
    store
        .put_reference_data(&c1, &small, at(4, 0))
        .await
        .unwrap();
    assert_eq!(
        store.reference_data(&c1).await.unwrap(),
        Some((small, at(4, 0)))
    );
    assert_eq!(item_count(&store, "REFDATA#").await, 0);
}

#[tokio::test]
async fn cursors_are_per_connection_and_name() {
    let store = fresh_store().await;
    let (c1, c2) = (ConnectionId::new("c1"), ConnectionId::new("c2"));
    let name = "invoice-export.updated_since";
    assert_eq!(store.cursor(&c1, name).await.unwrap(), None);
    store
        .put_cursor(&c1, name, "2026-03-01T00:00:00Z")
        .await
        .unwrap();
    store
        .put_cursor(&c1, name, "2026-03-02T00:00:00Z")
        .await
        .unwrap();
    store.put_cursor(&c2, name, "other").await.unwrap();
    assert_eq!(
        store.cursor(&c1, name).await.unwrap().as_deref(),
        Some("2026-03-02T00:00:00Z")
    );
    assert_eq!(store.cursor(&c1, "payment-poll.page").await.unwrap(), None);
    assert_eq!(
        store.cursor(&c2, name).await.unwrap().as_deref(),
        Some("other")
    );
}

#[tokio::test]
async fn a_malformed_item_is_reported_as_corrupt_naming_it() {
    let store = fresh_store().await;
    store
        .client()
        .put_item()
        .table_name(store.table())
        .item(TABLE_PK, AttributeValue::S("CONN#broken".into()))
        .item(TABLE_SK, AttributeValue::S("META".into()))
        .item("id", AttributeValue::S("broken".into()))
        .item("status", AttributeValue::S("exploded".into()))
        .send()
        .await
        .unwrap();
    match store.connection(&ConnectionId::new("broken")).await {
        Err(StoreError::Corrupt { what, detail }) => {
            assert!(
                what.contains("CONN#broken") && what.contains("META"),
                "{what}"
            );
            assert!(!detail.is_empty());
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[tokio::test]
async fn a_missing_table_is_an_unavailable_error_naming_it() {
    let client = aws_sdk_dynamodb::Client::new(&crate::common::sdk().await);
    let store = koppel_aws::DynamoStore::new(client, "no-such-table-koppel");
    match store.connection(&ConnectionId::new("c1")).await {
        Err(StoreError::Unavailable(message)) => {
            assert!(message.contains("no-such-table-koppel"), "{message}")
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
}
