//! Checks of [`ReferenceDataStore`]: the ledger lists round trip per connection, however
//! large, and a put replaces them.

use super::fixtures::{at, conn, reference_data};
use crate::ReferenceDataStore;

/// GL accounts in the large lists of [`large_reference_data_round_trips_and_is_replaced`]:
/// more than half a megabyte of JSON, beyond a DynamoDB item (400 KB).
pub const LARGE_ACCOUNTS: usize = 5_000;

/// No lists until put; then the lists and their `fetched_at` read back equal for that
/// connection only, and a later put replaces them.
pub async fn reference_data_round_trips_per_connection<S: ReferenceDataStore>(
    make: impl AsyncFnOnce() -> S,
) {
    let store = make().await;
    assert_eq!(store.reference_data(&conn("c1")).await.unwrap(), None);
    let first = reference_data(2);
    store
        .put_reference_data(&conn("c1"), &first, at(60))
        .await
        .unwrap();
    assert_eq!(
        store.reference_data(&conn("c1")).await.unwrap(),
        Some((first, at(60)))
    );
    assert_eq!(store.reference_data(&conn("c2")).await.unwrap(), None);

    let second = reference_data(3);
    store
        .put_reference_data(&conn("c1"), &second, at(120))
        .await
        .unwrap();
    assert_eq!(
        store.reference_data(&conn("c1")).await.unwrap(),
        Some((second, at(120)))
    );
}

/// Lists larger than a DynamoDB item round trip exactly (non-ASCII text included), and
/// replace and are replaced by large and small lists alike.
pub async fn large_reference_data_round_trips_and_is_replaced<S: ReferenceDataStore>(
    make: impl AsyncFnOnce() -> S,
) {
    let store = make().await;
    let c1 = conn("c1");
    let large = reference_data(LARGE_ACCOUNTS);
    let json_bytes = serde_json::to_vec(&large).map_or(0, |json| json.len());
    assert!(
        json_bytes > 500_000,
        "the large lists must exceed a DynamoDB item: {json_bytes} bytes"
    );
    let sequence = [
        (reference_data(1), at(60)),
        (large, at(120)),
        (reference_data(LARGE_ACCOUNTS + 100), at(180)),
        (reference_data(1), at(240)),
        (reference_data(LARGE_ACCOUNTS), at(300)),
    ];
    for (data, fetched_at) in sequence {
        store
            .put_reference_data(&c1, &data, fetched_at)
            .await
            .unwrap();
        let read = store.reference_data(&c1).await.unwrap();
        let Some((read, read_at)) = read else {
            panic!("the lists put at {fetched_at} read back as none")
        };
        assert_eq!(read_at, fetched_at);
        assert!(
            read == data,
            "the lists put at {fetched_at} ({} GL accounts) read back different ({} GL accounts)",
            data.gl_accounts.len(),
            read.gl_accounts.len()
        );
    }
}
