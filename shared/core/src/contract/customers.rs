//! Checks of [`CustomerMappingStore`]: put-if-absent mappings, sequential and racing, per
//! connection and customer kind.

use super::fixtures::conn;
use crate::{CustomerMappingStore, CustomerRef, LedgerCustomerId};
use std::sync::Arc;

/// How many workers race in [`racing_customer_mappings_all_get_the_mapping_that_stands`].
pub const RACING_MAPPINGS: usize = 20;

/// The first mapping of a customer stands: a second put returns it and changes nothing.
pub async fn the_first_customer_mapping_stands<S: CustomerMappingStore>(
    make: impl AsyncFnOnce() -> S,
) {
    let store = make().await;
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

/// Only the customers recorded as created by Koppel's import count as such, per connection.
pub async fn customers_created_by_koppel_are_remembered_per_connection<S: CustomerMappingStore>(
    make: impl AsyncFnOnce() -> S,
) {
    let store = make().await;
    let created = CustomerRef::company("tl-new");
    let existing = CustomerRef::company("tl-old");
    store
        .record_created_customer(&conn("c1"), &created)
        .await
        .unwrap();
    store
        .record_created_customer(&conn("c1"), &created)
        .await
        .unwrap();
    assert!(
        store
            .created_by_koppel(&conn("c1"), &created)
            .await
            .unwrap()
    );
    assert!(
        !store
            .created_by_koppel(&conn("c1"), &existing)
            .await
            .unwrap()
    );
    assert!(
        !store
            .created_by_koppel(&conn("c2"), &created)
            .await
            .unwrap()
    );
    assert!(
        !store
            .created_by_koppel(&conn("c1"), &CustomerRef::contact("tl-new"))
            .await
            .unwrap()
    );
}

/// A company and a contact with the same Teamleader id, and the same customer under
/// another connection, are separate mappings.
pub async fn customer_mappings_are_per_connection_and_customer_kind<S: CustomerMappingStore>(
    make: impl AsyncFnOnce() -> S,
) {
    let store = make().await;
    let (company, contact) = (CustomerRef::company("x"), CustomerRef::contact("x"));
    store
        .put_customer_mapping(&conn("c1"), &company, &LedgerCustomerId::from("A"))
        .await
        .unwrap();
    assert_eq!(
        store.customer_mapping(&conn("c1"), &contact).await.unwrap(),
        None
    );
    assert_eq!(
        store.customer_mapping(&conn("c2"), &company).await.unwrap(),
        None
    );
    let for_contact = store
        .put_customer_mapping(&conn("c1"), &contact, &LedgerCustomerId::from("B"))
        .await
        .unwrap();
    let other_connection = store
        .put_customer_mapping(&conn("c2"), &company, &LedgerCustomerId::from("C"))
        .await
        .unwrap();
    assert_eq!(for_contact, LedgerCustomerId::from("B"));
    assert_eq!(other_connection, LedgerCustomerId::from("C"));
    for (connection, customer, ledger) in [
        ("c1", &company, "A"),
        ("c1", &contact, "B"),
        ("c2", &company, "C"),
    ] {
        assert_eq!(
            store
                .customer_mapping(&conn(connection), customer)
                .await
                .unwrap(),
            Some(LedgerCustomerId::from(ledger)),
            "{connection} {customer}"
        );
    }
}

/// Of [`RACING_MAPPINGS`] workers mapping one customer at the same moment, each to its own
/// ledger customer, every one gets the mapping that stands, which is one of theirs.
pub async fn racing_customer_mappings_all_get_the_mapping_that_stands<
    S: CustomerMappingStore + 'static,
>(
    make: impl AsyncFnOnce() -> S,
) {
    let store = Arc::new(make().await);
    let barrier = Arc::new(tokio::sync::Barrier::new(RACING_MAPPINGS));
    let customer = CustomerRef::company("tl-1");
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..RACING_MAPPINGS {
        let (store, barrier, customer) = (store.clone(), barrier.clone(), customer.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            store
                .put_customer_mapping(
                    &conn("c1"),
                    &customer,
                    &LedgerCustomerId::new(format!("ledger-{worker}")),
                )
                .await
                .unwrap()
        });
    }
    let mut answers = Vec::new();
    while let Some(answer) = tasks.join_next().await {
        answers.push(answer.unwrap());
    }
    let stands = store
        .customer_mapping(&conn("c1"), &customer)
        .await
        .unwrap()
        .expect("one mapping stands");
    assert!(
        stands.as_str().starts_with("ledger-"),
        "the mapping that stands must be one a worker offered: {stands}"
    );
    assert!(
        answers.iter().all(|a| *a == stands),
        "every racer must get the mapping that stands ({stands}): {answers:?}"
    );
}
