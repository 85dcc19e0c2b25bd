//! Checks of [`LeaseStore`]: exclusive leases that lapse at their `until`, taken again and
//! extended by their holder, released only by their holder, and raced for.

use super::fixtures::{at, ms};
use crate::LeaseStore;
use chrono::TimeDelta;
use std::sync::Arc;

/// How many workers race in [`exactly_one_of_many_racing_lease_takers_wins`].
pub const RACING_LEASES: usize = 20;

/// Seconds after `at(minutes)`.
fn at_s(minutes: i64, seconds: i64) -> chrono::DateTime<chrono::Utc> {
    at(minutes) + TimeDelta::seconds(seconds)
}

/// A lease is refused to others up to the last millisecond before its `until` and taken
/// over at its `until`; the former holder is then refused.
pub async fn a_lease_is_exclusive_until_it_lapses<S: LeaseStore>(make: impl AsyncFnOnce() -> S) {
    let store = make().await;
    let name = "token:koppel/c1/teamleader";
    assert!(
        store
            .acquire_lease(name, "worker-a", at(420), at(421))
            .await
            .unwrap()
    );
    for now in [at(420), at_s(420, 59), at(421) - ms()] {
        assert!(
            !store
                .acquire_lease(name, "worker-b", now, at(422))
                .await
                .unwrap(),
            "taken by another owner at {now}"
        );
    }
    assert!(
        store
            .acquire_lease(name, "worker-b", at(421), at(422))
            .await
            .unwrap(),
        "a lease lapses at its until"
    );
    assert!(
        !store
            .acquire_lease(name, "worker-a", at_s(421, 2), at(423))
            .await
            .unwrap(),
        "the former holder must not take a lease taken over"
    );
}

/// The holder takes its live lease again, moving its `until`; others are refused until the
/// new `until`.
pub async fn the_holder_takes_its_lease_again_and_extends_it<S: LeaseStore>(
    make: impl AsyncFnOnce() -> S,
) {
    let store = make().await;
    assert!(
        store
            .acquire_lease("l", "w1", at(420), at(421))
            .await
            .unwrap()
    );
    assert!(
        store
            .acquire_lease("l", "w1", at_s(420, 30), at(423))
            .await
            .unwrap()
    );
    for now in [at(421), at(422), at(423) - ms()] {
        assert!(
            !store.acquire_lease("l", "w2", now, at(424)).await.unwrap(),
            "extended until {}, taken by another owner at {now}",
            at(423)
        );
    }
    assert!(
        store
            .acquire_lease("l", "w2", at(423), at(424))
            .await
            .unwrap()
    );
}

/// Releasing a lease one does not hold does nothing (also when one's own lapsed and was
/// taken over); releasing one's own frees it at once; releasing a lease never taken is fine.
pub async fn only_the_holder_releases_a_lease<S: LeaseStore>(make: impl AsyncFnOnce() -> S) {
    let store = make().await;
    assert!(
        store
            .acquire_lease("l", "w1", at(420), at(425))
            .await
            .unwrap()
    );
    store.release_lease("l", "w2").await.unwrap();
    assert!(
        !store
            .acquire_lease("l", "w2", at(421), at(425))
            .await
            .unwrap()
    );
    store.release_lease("l", "w1").await.unwrap();
    assert!(
        store
            .acquire_lease("l", "w2", at(421), at(422))
            .await
            .unwrap(),
        "a released lease is free before its until"
    );

    // w2's lease lapses and w3 takes it over: w2 giving it back must not free w3's.
    assert!(
        store
            .acquire_lease("l", "w3", at(422), at(430))
            .await
            .unwrap()
    );
    store.release_lease("l", "w2").await.unwrap();
    assert!(
        !store
            .acquire_lease("l", "w4", at(423), at(430))
            .await
            .unwrap()
    );

    store.release_lease("never-taken", "w1").await.unwrap();
    assert!(
        store
            .acquire_lease("never-taken", "w1", at(423), at(424))
            .await
            .unwrap()
    );
}

/// Leases of different names do not exclude each other.
pub async fn leases_are_independent_by_name<S: LeaseStore>(make: impl AsyncFnOnce() -> S) {
    let store = make().await;
    assert!(
        store
            .acquire_lease("a", "w1", at(420), at(425))
            .await
            .unwrap()
    );
    assert!(
        store
            .acquire_lease("b", "w2", at(420), at(425))
            .await
            .unwrap()
    );
    assert!(
        !store
            .acquire_lease("a", "w2", at(421), at(425))
            .await
            .unwrap()
    );
    assert!(
        !store
            .acquire_lease("b", "w1", at(421), at(425))
            .await
            .unwrap()
    );
}

/// Of [`RACING_LEASES`] owners taking one free lease at the same moment, exactly one gets
/// it.
pub async fn exactly_one_of_many_racing_lease_takers_wins<S: LeaseStore + 'static>(
    make: impl AsyncFnOnce() -> S,
) {
    let store = Arc::new(make().await);
    let barrier = Arc::new(tokio::sync::Barrier::new(RACING_LEASES));
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..RACING_LEASES {
        let (store, barrier) = (store.clone(), barrier.clone());
        tasks.spawn(async move {
            let owner = format!("worker-{worker}");
            barrier.wait().await;
            let taken = store
                .acquire_lease("token:race", &owner, at(420), at(421))
                .await
                .unwrap();
            (owner, taken)
        });
    }
    let mut holders = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (owner, taken) = joined.unwrap();
        if taken {
            holders.push(owner);
        }
    }
    assert_eq!(
        holders.len(),
        1,
        "exactly one owner must hold it: {holders:?}"
    );
    let holder = &holders[0];
    assert!(
        store
            .acquire_lease("token:race", holder, at(420), at(421))
            .await
            .unwrap(),
        "the winner {holder} holds the lease"
    );
    assert!(
        !store
            .acquire_lease("token:race", "late", at(420), at(421))
            .await
            .unwrap()
    );
}
