//! Checks of [`ConnectionStore`]: connections by id, by account (tenant isolation), the
//! active ones, and status changes with a reason.

use super::fixtures::{conn, connection};
use crate::{AccountId, Connection, ConnectionStatus, ConnectionStore};

/// Ids of `connections`, sorted (for lists whose order the contract leaves open).
fn sorted_ids(connections: &[Connection]) -> Vec<String> {
    let mut ids: Vec<String> = connections.iter().map(|c| c.id.0.clone()).collect();
    ids.sort();
    ids
}

/// Active connections of the store, sorted by id.
async fn active<S: ConnectionStore>(store: &S) -> Vec<Connection> {
    let mut active = store.active_connections().await.unwrap();
    active.sort_by(|a, b| a.id.cmp(&b.id));
    active
}

/// A stored connection reads back equal, putting it again replaces it, and an unknown id is
/// `None`.
pub async fn a_connection_round_trips_and_is_replaced<S: ConnectionStore>(
    make: impl AsyncFnOnce() -> S,
) {
    let store = make().await;
    assert_eq!(store.connection(&conn("c1")).await.unwrap(), None);

    let original = connection("c1", "acc-1", ConnectionStatus::Active);
    store.put_connection(&original).await.unwrap();
    assert_eq!(
        store.connection(&conn("c1")).await.unwrap(),
        Some(original.clone())
    );

    let mut changed = original.clone();
    changed.ledger_company = "654321".into();
    changed.settings.attach_pdf = false;
    changed.settings.invoice_journal = Some("72".into());
    changed.status = ConnectionStatus::Paused;
    changed.status_reason = Some("paused by the user".into());
    store.put_connection(&changed).await.unwrap();
    assert_eq!(store.connection(&conn("c1")).await.unwrap(), Some(changed));
    assert_eq!(store.connection(&conn("c2")).await.unwrap(), None);
}

/// `connections_of_account` lists exactly the account's connections, whatever their status,
/// ordered by id; another account's never appear, an unknown account has none, and a
/// connection moved to another account leaves its old one.
pub async fn connections_of_an_account_are_that_accounts_only<S: ConnectionStore>(
    make: impl AsyncFnOnce() -> S,
) {
    let store = make().await;
    let a1 = connection("c-a1", "acct-a", ConnectionStatus::Active);
    let a2 = connection("c-a2", "acct-a", ConnectionStatus::Paused);
    let b1 = connection("c-b1", "acct-b", ConnectionStatus::Active);
    let b2 = connection("c-b2", "acct-b", ConnectionStatus::NeedsReauth);
    for c in [&b2, &a2, &b1, &a1] {
        store.put_connection(c).await.unwrap();
    }
    let of = async |account: &str| {
        store
            .connections_of_account(&AccountId::from(account))
            .await
            .unwrap()
    };
    assert_eq!(of("acct-a").await, vec![a1.clone(), a2.clone()]);
    assert_eq!(of("acct-b").await, vec![b1.clone(), b2.clone()]);
    assert_eq!(of("acct-c").await, Vec::<Connection>::new());

    let mut moved = b1.clone();
    moved.account_id = AccountId::from("acct-a");
    store.put_connection(&moved).await.unwrap();
    assert_eq!(of("acct-b").await, vec![b2]);
    assert_eq!(of("acct-a").await, vec![a1, a2, moved.clone()]);
    assert_eq!(store.connection(&b1.id).await.unwrap(), Some(moved));
}

/// `active_connections` lists the active connections of every account and no other (in
/// any order).
pub async fn active_connections_are_the_active_ones_only<S: ConnectionStore>(
    make: impl AsyncFnOnce() -> S,
) {
    let store = make().await;
    assert_eq!(store.active_connections().await.unwrap(), Vec::new());
    let c1 = connection("c1", "acc-1", ConnectionStatus::Active);
    let c2 = connection("c2", "acc-1", ConnectionStatus::Paused);
    let c3 = connection("c3", "acc-2", ConnectionStatus::Active);
    let c4 = connection("c4", "acc-2", ConnectionStatus::NeedsReauth);
    for c in [&c4, &c3, &c2, &c1] {
        store.put_connection(c).await.unwrap();
    }
    assert_eq!(active(&store).await, vec![c1.clone(), c3.clone()]);
    // Every connection, whatever its status, in id order.
    assert_eq!(
        store.all_connections().await.unwrap(),
        vec![c1.clone(), c2.clone(), c3, c4]
    );

    // Replacing a connection with another status moves it out of the list.
    let mut paused = c1;
    paused.status = ConnectionStatus::Paused;
    store.put_connection(&paused).await.unwrap();
    assert_eq!(sorted_ids(&active(&store).await), ["c3"]);
}

/// A status change keeps the rest of the connection, records the reason (`None` clears it)
/// and moves the connection in or out of the active list; changing it back restores the
/// connection exactly.
pub async fn a_status_change_carries_its_reason_and_follows_the_active_list<S: ConnectionStore>(
    make: impl AsyncFnOnce() -> S,
) {
    let store = make().await;
    let one = connection("c1", "acct", ConnectionStatus::Active);
    let two = connection("c2", "acct", ConnectionStatus::Active);
    let paused = connection("c3", "acct", ConnectionStatus::Paused);
    for c in [&one, &two, &paused] {
        store.put_connection(c).await.unwrap();
    }
    assert_eq!(sorted_ids(&active(&store).await), ["c1", "c2"]);

    let reason = "Teamleader refused Koppel's access; sign in again".to_owned();
    store
        .set_connection_status(&one.id, ConnectionStatus::NeedsReauth, Some(reason.clone()))
        .await
        .unwrap();
    store
        .set_connection_status(&paused.id, ConnectionStatus::Active, None)
        .await
        .unwrap();
    assert_eq!(sorted_ids(&active(&store).await), ["c2", "c3"]);
    assert_eq!(
        sorted_ids(&store.all_connections().await.unwrap()),
        ["c1", "c2", "c3"],
        "a connection waiting for a sign-in is still listed among all"
    );

    let changed = Connection {
        status: ConnectionStatus::NeedsReauth,
        status_reason: Some(reason),
        ..one.clone()
    };
    assert_eq!(
        store.connection(&one.id).await.unwrap(),
        Some(changed.clone())
    );
    let of_account = store
        .connections_of_account(&AccountId::from("acct"))
        .await
        .unwrap();
    assert_eq!(of_account[0], changed);

    store
        .set_connection_status(&one.id, ConnectionStatus::Active, None)
        .await
        .unwrap();
    assert_eq!(store.connection(&one.id).await.unwrap(), Some(one));
    assert_eq!(sorted_ids(&active(&store).await), ["c1", "c2", "c3"]);
}

/// A status change of a connection that does not exist succeeds, creates nothing and leaves
/// the active list alone.
pub async fn a_status_change_of_an_unknown_connection_changes_nothing<S: ConnectionStore>(
    make: impl AsyncFnOnce() -> S,
) {
    let store = make().await;
    let c1 = connection("c1", "acct", ConnectionStatus::Active);
    store.put_connection(&c1).await.unwrap();
    store
        .set_connection_status(&conn("nope"), ConnectionStatus::Active, None)
        .await
        .unwrap();
    store
        .set_connection_status(
            &conn("gone"),
            ConnectionStatus::Paused,
            Some("paused by the user".into()),
        )
        .await
        .unwrap();
    assert_eq!(store.connection(&conn("nope")).await.unwrap(), None);
    assert_eq!(store.connection(&conn("gone")).await.unwrap(), None);
    assert_eq!(active(&store).await, vec![c1.clone()]);
    assert_eq!(
        store
            .connections_of_account(&AccountId::from("acct"))
            .await
            .unwrap(),
        vec![c1]
    );
}
