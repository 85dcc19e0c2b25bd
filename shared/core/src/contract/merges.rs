//! Checks of [`MergeJobStore`]: merge jobs per connection.

use super::fixtures::{conn, epoch};
use crate::jobs::merge::{MatchBy, MergeCounts};
use crate::{MergeApplied, MergeJob, MergeJobStore, RunId};

fn merge(connection: &str, id: &str) -> MergeJob {
    MergeJob {
        connection_id: conn(connection),
        merge_id: id.to_owned(),
        file_name: "klanten (é).csv".to_owned(),
        file_key: format!("{connection}/{id}"),
        match_by: MatchBy::VatNumber,
        uploaded_at: epoch(),
        preview: None,
        applied: None,
        updated_at: epoch(),
    }
}

/// A merge job is `None` until put; it round-trips whole, a later put replaces it, and merge
/// jobs of another connection or id are separate.
pub async fn merge_jobs_round_trip_per_connection_and_are_replaced<S: MergeJobStore>(
    make: impl AsyncFnOnce() -> S,
) {
    let store = make().await;
    assert_eq!(store.merge_job(&conn("c1"), "m1").await.unwrap(), None);
    let first = merge("c1", "m1");
    store.put_merge_job(&first).await.unwrap();
    store.put_merge_job(&merge("c2", "m1")).await.unwrap();
    assert_eq!(
        store.merge_job(&conn("c1"), "m1").await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(store.merge_job(&conn("c1"), "m2").await.unwrap(), None);
    let applied = MergeJob {
        preview: Some(MergeCounts {
            rows: 10,
            to_update: 7,
            to_add: 2,
            already_linked: 1,
            ..MergeCounts::default()
        }),
        applied: Some(MergeApplied {
            linked: 7,
            duplicates: 1,
            removed: 1,
            unmatched: 2,
            run_id: Some(RunId::from("r1")),
        }),
        ..first
    };
    store.put_merge_job(&applied).await.unwrap();
    assert_eq!(
        store.merge_job(&conn("c1"), "m1").await.unwrap(),
        Some(applied)
    );
    assert_eq!(
        store.merge_job(&conn("c2"), "m1").await.unwrap(),
        Some(merge("c2", "m1"))
    );
}
