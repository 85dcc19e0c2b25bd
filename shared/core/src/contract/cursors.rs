//! Checks of [`CursorStore`]: named cursors per connection.

use super::fixtures::conn;
use crate::CursorStore;

/// A cursor is `None` until put, a later put replaces it, and cursors of another name or
/// another connection are separate.
pub async fn cursors_are_per_connection_and_name<S: CursorStore>(make: impl AsyncFnOnce() -> S) {
    let store = make().await;
    let (c1, c2) = (conn("c1"), conn("c2"));
    let name = "invoice-export.updated_since";
    assert_eq!(store.cursor(&c1, name).await.unwrap(), None);
    store
        .put_cursor(&c1, name, "2026-03-01T00:00:00Z")
        .await
        .unwrap();
    assert_eq!(
        store.cursor(&c1, name).await.unwrap().as_deref(),
        Some("2026-03-01T00:00:00Z")
    );
    store
        .put_cursor(&c1, name, "2026-03-02T00:00:00Z")
        .await
        .unwrap();
    assert_eq!(store.cursor(&c2, name).await.unwrap(), None);
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
