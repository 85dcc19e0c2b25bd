//! Tests of what only the in-memory store has: its inspectors and its failure switch. The
//! port's behaviour is checked by the store contract (`crate::contract`), run against
//! this store in `super::contract`.

use super::*;
use crate::contract::fixtures::{at, conn, connection, exported, failed, pending};

#[tokio::test]
async fn documents_lists_every_record_of_the_connection_by_document_id() {
    let store = InMemoryStore::new();
    for record in [
        exported("c1", "d3", false),
        pending("c1", "d1"),
        failed("c1", "d2", 1),
        exported("c2", "d4", false),
    ] {
        store.put_document(&record).await.unwrap();
    }
    let ids: Vec<String> = store
        .documents(&conn("c1"))
        .into_iter()
        .map(|r| r.document_id.0)
        .collect();
    assert_eq!(ids, ["d1", "d2", "d3"]);
    assert!(store.documents(&conn("c3")).is_empty());
}

#[tokio::test]
async fn unpaid_and_active_lists_come_ordered_by_id() {
    let store = InMemoryStore::new();
    for record in [
        exported("c1", "d3", false),
        exported("c1", "d1", false),
        exported("c1", "d2", true),
    ] {
        store.put_document(&record).await.unwrap();
    }
    let unpaid: Vec<String> = store
        .unpaid_exported(&conn("c1"))
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.document_id.0)
        .collect();
    assert_eq!(unpaid, ["d1", "d3"]);

    for (id, status) in [
        ("c3", ConnectionStatus::Active),
        ("c2", ConnectionStatus::Paused),
        ("c1", ConnectionStatus::Active),
    ] {
        store
            .put_connection(&connection(id, "acc-1", status))
            .await
            .unwrap();
    }
    let active: Vec<String> = store
        .active_connections()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id.0)
        .collect();
    assert_eq!(active, ["c1", "c3"]);
}

#[tokio::test]
async fn lease_shows_the_holder_and_until_whether_or_not_it_lapsed() {
    let store = InMemoryStore::new();
    assert_eq!(store.lease("l"), None);
    store.acquire_lease("l", "w1", at(0), at(1)).await.unwrap();
    assert_eq!(store.lease("l"), Some(("w1".into(), at(1))));
    store.acquire_lease("l", "w1", at(0), at(3)).await.unwrap();
    assert_eq!(store.lease("l"), Some(("w1".into(), at(3))));
    store.acquire_lease("l", "w2", at(3), at(4)).await.unwrap();
    assert_eq!(store.lease("l"), Some(("w2".into(), at(4))));
    store.release_lease("l", "w1").await.unwrap();
    assert_eq!(store.lease("l"), Some(("w2".into(), at(4))));
    store.release_lease("l", "w2").await.unwrap();
    assert_eq!(store.lease("l"), None);
}

#[tokio::test]
async fn a_failing_store_fails_every_call() {
    let store = InMemoryStore::new();
    store.fail_calls(Some("connection reset"));
    let err = store.connection(&conn("c1")).await.unwrap_err();
    assert!(err.to_string().contains("connection reset"));
    assert!(
        store
            .claim_document(&pending("c1", "d1"), &RunId::from("r"), at(0), at(0))
            .await
            .is_err()
    );
    assert!(store.acquire_lease("l", "w", at(0), at(0)).await.is_err());
    store.fail_calls(None);
    assert!(store.documents(&conn("c1")).is_empty());
    assert!(store.connection(&conn("c1")).await.unwrap().is_none());
}
