//! Checks of [`DocumentStore`]: the conditional claim that makes export exactly-once
//! (new, pending, failed and lapsed records are claimable; a live claim of another run is
//! busy; an exported record never is), attempts counted by the store, record replacement,
//! and the unpaid exported documents.

use super::fixtures::{at, conn, exported, failed, ms, pending, with_state};
use crate::{ClaimOutcome, DocumentId, DocumentRecord, DocumentStore, ExportState, RunId};
use std::sync::Arc;

/// How many workers race in [`exactly_one_of_many_racing_claims_wins`].
pub const RACING_CLAIMS: usize = 20;

/// The stored record of `document` of connection `connection`, which must exist.
async fn stored<S: DocumentStore + ?Sized>(
    store: &S,
    connection: &str,
    document: &str,
) -> DocumentRecord {
    store
        .document(&conn(connection), &DocumentId::from(document))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("document {connection}/{document} is not stored"))
}

/// `record` as a claim of `run` taken at `now` until `until`, after `attempts` attempts.
fn claimed(
    record: &DocumentRecord,
    run: &RunId,
    now: chrono::DateTime<chrono::Utc>,
    until: chrono::DateTime<chrono::Utc>,
    attempts: u32,
) -> DocumentRecord {
    DocumentRecord {
        state: ExportState::Exporting {
            run_id: run.clone(),
            until,
        },
        attempts,
        updated_at: now,
        ..record.clone()
    }
}

/// Claiming a document never seen succeeds with no previous record and stores the claim:
/// the caller's record in `Exporting { run, until }`, one attempt, `updated_at = now`.
pub async fn claiming_a_new_document_records_the_claim<S: DocumentStore>(
    make: impl AsyncFnOnce() -> S,
) {
    let store = make().await;
    let record = pending("c1", "d1");
    let run = RunId::from("run-a");
    let outcome = store
        .claim_document(&record, &run, at(120), at(125))
        .await
        .unwrap();
    assert_eq!(outcome, ClaimOutcome::Claimed { previous: None });
    assert_eq!(
        stored(&store, "c1", "d1").await,
        claimed(&record, &run, at(120), at(125), 1)
    );
}

/// Pending and failed records are claimed, `previous` being the stored record exactly;
/// attempts continue from the stored record whatever the caller's record says.
pub async fn pending_and_failed_documents_are_claimed_with_their_previous_record<
    S: DocumentStore,
>(
    make: impl AsyncFnOnce() -> S,
) {
    let store = make().await;
    let waiting = pending("c1", "d1");
    let refused = failed("c1", "d2", 2);
    store.put_document(&waiting).await.unwrap();
    store.put_document(&refused).await.unwrap();
    let run = RunId::from("run-b");

    let first = store
        .claim_document(&waiting, &run, at(180), at(185))
        .await
        .unwrap();
    assert_eq!(
        first,
        ClaimOutcome::Claimed {
            previous: Some(waiting.clone())
        }
    );
    assert_eq!(
        stored(&store, "c1", "d1").await,
        claimed(&waiting, &run, at(180), at(185), 1)
    );

    // The caller passes a fresh pending record (no attempts): the count comes from the store.
    let fresh = pending("c1", "d2");
    let second = store
        .claim_document(&fresh, &run, at(180), at(185))
        .await
        .unwrap();
    assert_eq!(
        second,
        ClaimOutcome::Claimed {
            previous: Some(refused)
        }
    );
    assert_eq!(
        stored(&store, "c1", "d2").await,
        claimed(&fresh, &run, at(180), at(185), 3)
    );
}

/// An exported record, paid or not, is never claimed again (not even long after, with a
/// caller's record saying pending): the outcome carries it and it stays as it was.
pub async fn an_exported_document_is_never_claimed_again<S: DocumentStore>(
    make: impl AsyncFnOnce() -> S,
) {
    let store = make().await;
    let unpaid = exported("c1", "d1", false);
    let paid = exported("c1", "d2", true);
    store.put_document(&unpaid).await.unwrap();
    store.put_document(&paid).await.unwrap();
    for (done, now) in [(&unpaid, at(120)), (&unpaid, at(1_400)), (&paid, at(1_400))] {
        let outcome = store
            .claim_document(
                &pending("c1", done.document_id.as_str()),
                &RunId::from("run-x"),
                now,
                now + chrono::TimeDelta::minutes(5),
            )
            .await
            .unwrap();
        assert_eq!(outcome, ClaimOutcome::AlreadyExported(done.clone()));
        assert_eq!(stored(&store, "c1", done.document_id.as_str()).await, *done);
    }
}

/// A live claim of another run is busy up to the last millisecond before its `until`; the
/// outcome carries the holder's record and the record is untouched.
pub async fn a_live_claim_of_another_run_is_busy<S: DocumentStore>(make: impl AsyncFnOnce() -> S) {
    let store = make().await;
    let record = pending("c1", "d1");
    store
        .claim_document(&record, &RunId::from("run-1"), at(120), at(130))
        .await
        .unwrap();
    let held = stored(&store, "c1", "d1").await;
    for now in [at(120), at(124), at(130) - ms()] {
        let outcome = store
            .claim_document(&record, &RunId::from("run-2"), now, at(140))
            .await
            .unwrap();
        assert_eq!(outcome, ClaimOutcome::Busy(held.clone()), "at {now}");
    }
    assert_eq!(stored(&store, "c1", "d1").await, held);
}

/// A claim lapses at its `until`: from then on another run takes it over, `previous` being
/// the crashed worker's exporting record, and the new claim counts one more attempt.
pub async fn a_lapsed_claim_is_taken_over_with_the_crashed_record_as_previous<S: DocumentStore>(
    make: impl AsyncFnOnce() -> S,
) {
    let store = make().await;
    let rescuer = RunId::from("rescuer");
    // Taken over exactly at the lapse (d1) and some time after it (d2).
    for (document, now) in [("d1", at(125)), ("d2", at(131))] {
        let record = pending("c1", document);
        store
            .claim_document(&record, &RunId::from("crashed"), at(120), at(125))
            .await
            .unwrap();
        let crashed = stored(&store, "c1", document).await;
        let outcome = store
            .claim_document(&record, &rescuer, now, at(140))
            .await
            .unwrap();
        assert_eq!(
            outcome,
            ClaimOutcome::Claimed {
                previous: Some(crashed)
            },
            "{document}"
        );
        assert_eq!(
            stored(&store, "c1", document).await,
            claimed(&record, &rescuer, now, at(140), 2)
        );
    }
}

/// The run holding a live claim takes it again (a redelivered message), moving its `until`;
/// the claim then lapses at the new `until`.
pub async fn the_same_run_takes_its_live_claim_again<S: DocumentStore>(
    make: impl AsyncFnOnce() -> S,
) {
    let store = make().await;
    let record = pending("c1", "d1");
    let run = RunId::from("run-1");
    store
        .claim_document(&record, &run, at(120), at(130))
        .await
        .unwrap();
    let first = stored(&store, "c1", "d1").await;
    let again = store
        .claim_document(&record, &run, at(121), at(131))
        .await
        .unwrap();
    assert_eq!(
        again,
        ClaimOutcome::Claimed {
            previous: Some(first)
        }
    );
    let extended = claimed(&record, &run, at(121), at(131), 2);
    assert_eq!(stored(&store, "c1", "d1").await, extended);

    let other = RunId::from("run-2");
    assert_eq!(
        store
            .claim_document(&record, &other, at(131) - ms(), at(140))
            .await
            .unwrap(),
        ClaimOutcome::Busy(extended.clone())
    );
    assert_eq!(
        store
            .claim_document(&record, &other, at(131), at(140))
            .await
            .unwrap(),
        ClaimOutcome::Claimed {
            previous: Some(extended)
        }
    );
}

/// The same document id under two connections is two documents: both are claimed.
pub async fn claims_are_per_connection<S: DocumentStore>(make: impl AsyncFnOnce() -> S) {
    let store = make().await;
    let (r1, r2) = (RunId::from("r1"), RunId::from("r2"));
    let one = pending("c1", "d1");
    let two = pending("c2", "d1");
    for (record, run) in [(&one, &r1), (&two, &r2)] {
        assert_eq!(
            store
                .claim_document(record, run, at(120), at(125))
                .await
                .unwrap(),
            ClaimOutcome::Claimed { previous: None }
        );
    }
    assert_eq!(
        stored(&store, "c1", "d1").await,
        claimed(&one, &r1, at(120), at(125), 1)
    );
    assert_eq!(
        stored(&store, "c2", "d1").await,
        claimed(&two, &r2, at(120), at(125), 1)
    );
}

/// Of [`RACING_CLAIMS`] runs claiming one new document at the same moment, exactly one wins;
/// every other is told busy with the winner's claim, and the stored claim is the winner's,
/// counted once.
pub async fn exactly_one_of_many_racing_claims_wins<S: DocumentStore + 'static>(
    make: impl AsyncFnOnce() -> S,
) {
    let store = Arc::new(make().await);
    let barrier = Arc::new(tokio::sync::Barrier::new(RACING_CLAIMS));
    let record = pending("c1", "race");
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..RACING_CLAIMS {
        let (store, barrier, record) = (store.clone(), barrier.clone(), record.clone());
        tasks.spawn(async move {
            let run = RunId::new(format!("run-{worker}"));
            barrier.wait().await;
            let outcome = store
                .claim_document(&record, &run, at(240), at(245))
                .await
                .unwrap();
            (run, outcome)
        });
    }
    let mut winners = Vec::new();
    let mut busy = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined.unwrap() {
            (run, ClaimOutcome::Claimed { previous: None }) => winners.push(run),
            (_, ClaimOutcome::Busy(current)) => busy.push(current),
            (run, other) => panic!("{run} got {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one claim must win: {winners:?}");
    assert_eq!(busy.len(), RACING_CLAIMS - 1);
    let expected = claimed(&record, &winners[0], at(240), at(245), 1);
    for current in busy {
        assert!(
            matches!(&current.state, ExportState::Exporting { .. }),
            "a busy outcome must show the live claim: {current:?}"
        );
    }
    assert_eq!(stored(&*store, "c1", "race").await, expected);
}

/// `put_document` creates or replaces the record; an unknown document, or the same id under
/// another connection, reads as `None`.
pub async fn put_document_replaces_the_record<S: DocumentStore>(make: impl AsyncFnOnce() -> S) {
    let store = make().await;
    assert_eq!(
        store
            .document(&conn("c1"), &DocumentId::from("d1"))
            .await
            .unwrap(),
        None
    );
    let first = pending("c1", "d1");
    store.put_document(&first).await.unwrap();
    assert_eq!(stored(&store, "c1", "d1").await, first);
    let done = exported("c1", "d1", true);
    store.put_document(&done).await.unwrap();
    assert_eq!(stored(&store, "c1", "d1").await, done);
    assert_eq!(
        store
            .document(&conn("c1"), &DocumentId::from("nope"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .document(&conn("c2"), &DocumentId::from("d1"))
            .await
            .unwrap(),
        None
    );
}

/// `unpaid_exported` lists exactly the connection's exported, unpaid records (never pending,
/// exporting, failed or paid ones, never another connection's), in any order, and follows
/// later writes: a record paid since leaves the list, one exported since joins it.
pub async fn unpaid_exported_lists_exported_unpaid_documents_of_the_connection_only<
    S: DocumentStore,
>(
    make: impl AsyncFnOnce() -> S,
) {
    let store = make().await;
    let unpaid = async |connection: &str| {
        let mut list = store.unpaid_exported(&conn(connection)).await.unwrap();
        list.sort_by(|a, b| a.document_id.cmp(&b.document_id));
        list
    };
    assert_eq!(unpaid("c1").await, Vec::new());

    let open_1 = exported("c1", "open-1", false);
    let open_2 = exported("c1", "open-2", false);
    let other_connection = exported("c2", "open-3", false);
    let records = [
        open_2.clone(),
        open_1.clone(),
        exported("c1", "paid", true),
        other_connection.clone(),
        with_state(
            "c1",
            "claimed",
            ExportState::Exporting {
                run_id: RunId::from("r"),
                until: at(360),
            },
        ),
        failed("c1", "failed", 1),
        pending("c1", "new"),
    ];
    for record in &records {
        store.put_document(record).await.unwrap();
    }
    assert_eq!(unpaid("c1").await, vec![open_1.clone(), open_2.clone()]);
    assert_eq!(unpaid("c2").await, vec![other_connection]);
    assert_eq!(unpaid("c3").await, Vec::new());

    let now_paid = DocumentRecord {
        paid: true,
        ..open_1
    };
    store.put_document(&now_paid).await.unwrap();
    let late = exported("c1", "failed", false);
    store.put_document(&late).await.unwrap();
    assert_eq!(unpaid("c1").await, vec![late, open_2]);
}

/// `documents_changed_since` lists the connection's records whose last change is at or after
/// the instant (any state), never another connection's.
pub async fn documents_changed_since_are_the_connections_records_changed_from_then<
    S: DocumentStore,
>(
    make: impl AsyncFnOnce() -> S,
) {
    let store = make().await;
    let changed = async |connection: &str, since| {
        let mut list = store
            .documents_changed_since(&conn(connection), since)
            .await
            .unwrap();
        list.sort_by(|a, b| a.document_id.cmp(&b.document_id));
        list
    };
    assert_eq!(changed("c1", at(0)).await, Vec::new());
    let early = DocumentRecord {
        updated_at: at(10),
        ..failed("c1", "early", 1)
    };
    let on_time = DocumentRecord {
        updated_at: at(60),
        ..pending("c1", "on-time")
    };
    let late = exported("c1", "late", false); // changed at(90)
    let elsewhere = exported("c2", "elsewhere", false);
    for record in [&early, &on_time, &late, &elsewhere] {
        store.put_document(record).await.unwrap();
    }
    assert_eq!(changed("c1", at(60)).await, vec![late.clone(), on_time]);
    assert_eq!(changed("c1", at(61)).await, vec![late]);
    assert_eq!(changed("c1", at(0)).await.len(), 3);
    assert_eq!(changed("c2", at(0)).await, vec![elsewhere]);
}
