//! The sweeper against the memory store and a manual clock; and end to end, an export whose
//! invocation is killed, closed by the sweeper, then run again with nothing lost or doubled.

use super::*;
use crate::jobs::test_world::*;
use crate::memory::{InMemoryStore, ManualClock};
use crate::{ConnectionId, Deadline, DocumentId, DocumentKind, Job, JobKind, LedgerEntryId, RunId};
use std::time::Duration;

fn ports<'a>(store: &'a InMemoryStore, clock: &'a ManualClock) -> SweepPorts<'a> {
    SweepPorts {
        connections: store,
        reports: store,
        documents: store,
        leases: store,
        notes: store,
        clock,
    }
}

fn running(run: &str, started: DateTime<Utc>) -> RunReport {
    RunReport::start(
        ConnectionId::from("c1"),
        RunId::new(run),
        "invoice-export",
        RunCounts::InvoiceExport(ExportCounts::default()),
        started,
    )
}

fn record(n: u32, state: ExportState, at: DateTime<Utc>) -> DocumentRecord {
    DocumentRecord {
        state,
        updated_at: at,
        ..DocumentRecord::pending(
            ConnectionId::from("c1"),
            DocumentId::new(format!("INV-{n}")),
            DocumentKind::Invoice,
            Some(format!("2026 / {n:04}")),
            at,
        )
    }
}

#[tokio::test]
async fn a_run_quiet_past_the_limit_is_closed_as_interrupted_with_counts_from_the_records() {
    let clock = ManualClock::new(start());
    let store = InMemoryStore::new();
    store.put_connection(&connection()).await.unwrap();
    let began = start();
    let mut report = running("invoice-export-20261120T0100Z", began);
    report.counts = RunCounts::InvoiceExport(ExportCounts {
        exported: 1,
        ..ExportCounts::default()
    });
    store.put_run_report(&report).await.unwrap();
    // What the killed invocations did: three exported (one counted before the kill), one
    // refused, one left claimed; and a document exported the night before.
    let minute = chrono::Duration::minutes(1);
    let exported = |n| {
        record(
            n,
            ExportState::Exported {
                entry_id: LedgerEntryId::new(format!("e{n}")),
                at: began + minute * n as i32,
            },
            began + minute * n as i32,
        )
    };
    for r in [
        exported(1),
        exported(2),
        exported(3),
        record(
            4,
            ExportState::Failed {
                reason: "VAT code 6 is not mapped".into(),
            },
            began + minute * 4,
        ),
        record(
            5,
            ExportState::Exporting {
                run_id: RunId::new("invoice-export-20261120T0100Z~a"),
                until: began + minute * 30,
            },
            began + minute * 5,
        ),
        record(
            6,
            ExportState::Exported {
                entry_id: LedgerEntryId::new("e6"),
                at: began - chrono::Duration::days(1),
            },
            began - chrono::Duration::days(1),
        ),
    ] {
        store.put_document(&r).await.unwrap();
    }

    // Not yet: a live run may be hidden for a visibility timeout after a kill.
    clock.advance(Duration::from_secs(100 * 60));
    let summary = sweep(&ports(&store, &clock)).await.unwrap();
    assert_eq!(summary.interrupted, 0);

    clock.advance(Duration::from_secs(30 * 60));
    let summary = sweep(&ports(&store, &clock)).await.unwrap();
    assert_eq!(summary.interrupted, 1);
    let closed = store
        .run_report(&ConnectionId::from("c1"), &report.run_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(closed.status, RunStatus::Interrupted);
    let counts = closed.export_counts();
    assert_eq!(
        (counts.exported, counts.failed, counts.deferred),
        (3, 1, 1),
        "{closed:#?}"
    );
    assert_eq!(closed.issues.len(), 1, "the refused document is listed");
    assert_eq!(closed.issues[0].reason, "VAT code 6 is not mapped");
    assert!(closed.message.as_deref().unwrap().contains("Run again"));

    // A second sweep changes nothing.
    let again = sweep(&ports(&store, &clock)).await.unwrap();
    assert_eq!(again.interrupted, 0);
}

#[tokio::test]
async fn a_run_whose_job_hold_is_held_is_left_running() {
    let clock = ManualClock::new(start());
    let store = InMemoryStore::new();
    store.put_connection(&connection()).await.unwrap();
    let report = running("r-held", start());
    store.put_run_report(&report).await.unwrap();
    clock.advance(Duration::from_secs(3 * 3600));
    let now = clock.now();
    let hold = job_hold_name(&ConnectionId::from("c1"), "invoice-export");
    assert!(
        store
            .acquire_lease(
                &hold,
                "an invocation",
                now,
                now + chrono::Duration::minutes(10)
            )
            .await
            .unwrap()
    );
    let summary = sweep(&ports(&store, &clock)).await.unwrap();
    assert_eq!(summary.interrupted, 0);
    let kept = store
        .run_report(&report.connection_id, &report.run_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.status, RunStatus::Running);
}

#[tokio::test]
async fn the_gauges_count_sign_ins_waiting_over_a_day_and_two_failed_nights() {
    let clock = ManualClock::new(start());
    let store = InMemoryStore::new();
    let mut waiting = connection();
    waiting.id = ConnectionId::from("c2");
    waiting.status = ConnectionStatus::NeedsReauth;
    store.put_connection(&connection()).await.unwrap();
    store.put_connection(&waiting).await.unwrap();
    for (night, status) in [(18, RunStatus::Succeeded), (19, RunStatus::Failed)] {
        let mut report = running(
            &format!("invoice-export-202611{night}T0100Z"),
            start() - chrono::Duration::days(20 - night),
        );
        report.status = status;
        store.put_run_report(&report).await.unwrap();
    }
    let first = sweep(&ports(&store, &clock)).await.unwrap();
    assert_eq!(
        (first.needs_reauth_over_day, first.failed_two_nights),
        (0, 0)
    );

    // The next night fails too; a day later the sign-in is still awaited.
    let mut third = running("invoice-export-20261120T0100Z", start());
    third.status = RunStatus::Failed;
    store.put_run_report(&third).await.unwrap();
    // A manual run in between does not break the nightly pattern.
    let mut manual = running("manual-1", start() + chrono::Duration::hours(3));
    manual.status = RunStatus::Succeeded;
    store.put_run_report(&manual).await.unwrap();
    clock.advance(Duration::from_secs(25 * 3600));
    let later = sweep(&ports(&store, &clock)).await.unwrap();
    assert_eq!(
        (later.needs_reauth_over_day, later.failed_two_nights),
        (1, 1)
    );

    // Signed in again: the note is cleared and the gauge drops.
    store
        .set_connection_status(&waiting.id, ConnectionStatus::Active, None)
        .await
        .unwrap();
    let after = sweep(&ports(&store, &clock)).await.unwrap();
    assert_eq!(after.needs_reauth_over_day, 0);
    assert_eq!(
        store.cursor(&waiting.id, NEEDS_REAUTH_SINCE).await.unwrap(),
        Some(String::new())
    );
}

#[tokio::test]
async fn an_export_killed_mid_run_is_closed_and_the_next_run_finishes_it_exactly_once() {
    let world = World::with_account(8, 0, 2);
    world.connect(connection()).await;
    let message = Job::start(
        ConnectionId::from("c1"),
        RunId::new("invoice-export-20261120T0100Z"),
        JobKind::InvoiceExport,
    );
    assert!(world.export_killed_after_posts(&message, 1).await);
    let stuck = world
        .store
        .run_report(&message.connection_id, &message.run_id)
        .await
        .unwrap()
        .expect("the report was written when the invocation started");
    assert_eq!(stuck.status, RunStatus::Running);

    // Its message is dead-lettered: nothing comes back. The sweeper closes the run.
    world.clock.advance(Duration::from_secs(3 * 3600));
    let summary = sweep(&ports(&world.store, &world.clock)).await.unwrap();
    assert_eq!(summary.interrupted, 1);
    let closed = world
        .store
        .run_report(&message.connection_id, &message.run_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(closed.status, RunStatus::Interrupted);
    assert_eq!(closed.export_counts().deferred, 1, "the claimed document");

    // "Run again": a new run exports the rest once (what the killed worker booked is found
    // by look-up).
    let (_, again) = world.run("manual-again", None).await;
    let counts = again.export_counts();
    assert_eq!(counts.exported + counts.already_exported, 8, "{again:#?}");
    assert_eq!(
        counts.already_exported, 1,
        "the killed post was found by look-up"
    );
    let mut refs = world.booked_references();
    let all = refs.len();
    refs.dedup();
    assert_eq!((refs.len(), all), (8, 8), "every invoice once");
}

#[tokio::test]
async fn a_redriven_message_of_an_interrupted_run_resumes_it_and_posts_nothing_twice() {
    let world = World::with_account(8, 0, 2);
    world.connect(connection()).await;
    let message = Job::start(
        ConnectionId::from("c1"),
        RunId::new("invoice-export-20261120T0100Z"),
        JobKind::InvoiceExport,
    );
    assert!(world.export_killed_after_posts(&message, 1).await);
    world.clock.advance(Duration::from_secs(3 * 3600));
    let summary = sweep(&ports(&world.store, &world.clock)).await.unwrap();
    assert_eq!(summary.interrupted, 1);

    // The operator redrives the dead-lettered message: the run resumes and ends.
    let resumed = world.invoke(&message, Deadline::none()).await;
    let crate::jobs::lifecycle::JobOutcome::Finished(report) = resumed else {
        panic!("the interrupted run resumes and finishes: {resumed:?}")
    };
    assert_eq!(report.run_id, message.run_id);
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    assert_eq!(
        world.ledger.posts(),
        8,
        "the killed post was found, not posted again"
    );
    let mut refs = world.booked_references();
    let all = refs.len();
    refs.dedup();
    assert_eq!((refs.len(), all), (8, 8), "every invoice once");
}

#[tokio::test]
async fn a_message_for_a_connection_no_longer_active_closes_its_running_run_at_once() {
    let world = World::with_account(2, 0, 1);
    world.connect(connection()).await;
    let report = running("invoice-export-20261120T0100Z", start());
    world.store.put_run_report(&report).await.unwrap();
    world
        .store
        .set_connection_status(
            &ConnectionId::from("c1"),
            ConnectionStatus::NeedsReauth,
            Some("Exact Online refused the sign-in: sign in again on the reactivation page".into()),
        )
        .await
        .unwrap();
    let message = Job {
        sequence: 1,
        cursor: Some("{}".into()),
        ..Job::start(
            ConnectionId::from("c1"),
            report.run_id.clone(),
            JobKind::InvoiceExport,
        )
    };
    let outcome = world.invoke(&message, Deadline::none()).await;
    assert!(matches!(
        outcome,
        crate::jobs::lifecycle::JobOutcome::Skipped(_)
    ));
    let closed = world
        .store
        .run_report(&report.connection_id, &report.run_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(closed.status, RunStatus::Interrupted);
    assert!(
        closed
            .message
            .as_deref()
            .is_some_and(|m| m.contains("sign in again")),
        "{closed:#?}"
    );
    assert_eq!(world.ledger.posts(), 0, "nothing was exported");
}
