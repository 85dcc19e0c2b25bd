//! Checks of [`RunReportStore`]: one report per connection and run, replaced when put
//! again, listed newest first up to a limit.

use super::fixtures::{at, conn, report, with_issue};
use crate::{RunId, RunReport, RunReportStore};

/// Run ids of `reports`, in their order.
fn runs(reports: &[RunReport]) -> Vec<&str> {
    reports.iter().map(|r| r.run_id.as_str()).collect()
}

/// `run_reports` lists a connection's reports (never another's) newest first by
/// `started_at`, at most `limit` of them; the reports read back equal.
pub async fn run_reports_come_newest_first_up_to_the_limit<S: RunReportStore>(
    make: impl AsyncFnOnce() -> S,
) {
    let store = make().await;
    let c1 = conn("c1");
    assert_eq!(store.run_reports(&c1, 10).await.unwrap(), Vec::new());
    let b = report("c1", "run-b", at(8 * 60));
    let c = report("c1", "run-c", at(10 * 60));
    let a = with_issue(&report("c1", "run-a", at(9 * 60)));
    let d = report("c1", "run-d", at(11 * 60));
    for r in [&b, &c, &a, &d] {
        store.put_run_report(r).await.unwrap();
    }
    let other = report("c2", "run-other", at(11 * 60 + 30));
    store.put_run_report(&other).await.unwrap();

    assert_eq!(
        store.run_reports(&c1, 10).await.unwrap(),
        vec![d.clone(), c.clone(), a.clone(), b]
    );
    assert_eq!(
        runs(&store.run_reports(&c1, 4).await.unwrap()),
        ["run-d", "run-c", "run-a", "run-b"]
    );
    assert_eq!(store.run_reports(&c1, 2).await.unwrap(), vec![d.clone(), c]);
    assert_eq!(store.run_reports(&c1, 1).await.unwrap(), vec![d]);
    assert_eq!(store.run_reports(&c1, 0).await.unwrap(), Vec::new());
    assert_eq!(
        store.run_reports(&conn("c2"), 10).await.unwrap(),
        vec![other]
    );
    assert_eq!(
        store.run_reports(&conn("c3"), 10).await.unwrap(),
        Vec::new()
    );
    assert_eq!(
        store.run_report(&c1, &RunId::from("run-a")).await.unwrap(),
        Some(a)
    );
}

/// Putting a run's report again replaces it (read by run and in the list, which keeps one
/// report per run); a run is looked up in its own connection only.
pub async fn putting_a_run_report_again_replaces_it<S: RunReportStore>(
    make: impl AsyncFnOnce() -> S,
) {
    let store = make().await;
    let c1 = conn("c1");
    let run = RunId::from("run-c");
    assert_eq!(store.run_report(&c1, &run).await.unwrap(), None);
    let running = report("c1", "run-c", at(10 * 60));
    let earlier = report("c1", "run-b", at(8 * 60));
    store.put_run_report(&earlier).await.unwrap();
    store.put_run_report(&running).await.unwrap();
    assert_eq!(
        store.run_report(&c1, &run).await.unwrap(),
        Some(running.clone())
    );

    let finished = with_issue(&running);
    store.put_run_report(&finished).await.unwrap();
    assert_eq!(
        store.run_report(&c1, &run).await.unwrap(),
        Some(finished.clone())
    );
    assert_eq!(
        store.run_reports(&c1, 10).await.unwrap(),
        vec![finished, earlier]
    );
    assert_eq!(store.run_report(&conn("c2"), &run).await.unwrap(), None);
    assert_eq!(
        store
            .run_report(&c1, &RunId::from("run-unknown"))
            .await
            .unwrap(),
        None
    );
}

/// A run's report put again with another `started_at` is moved, not copied: one report for
/// the run, in its new place in the list.
pub async fn a_report_rewritten_with_another_start_time_leaves_no_copy<S: RunReportStore>(
    make: impl AsyncFnOnce() -> S,
) {
    let store = make().await;
    let c1 = conn("c1");
    let run = RunId::from("run-1");
    store
        .put_run_report(&report("c1", "run-1", at(8 * 60)))
        .await
        .unwrap();
    let moved = report("c1", "run-1", at(8 * 60 + 1));
    store.put_run_report(&moved).await.unwrap();
    assert_eq!(
        store.run_reports(&c1, 10).await.unwrap(),
        vec![moved.clone()]
    );
    assert_eq!(store.run_report(&c1, &run).await.unwrap(), Some(moved));

    let middle = report("c1", "run-2", at(8 * 60 + 30));
    store.put_run_report(&middle).await.unwrap();
    let last = report("c1", "run-1", at(9 * 60));
    store.put_run_report(&last).await.unwrap();
    assert_eq!(
        store.run_reports(&c1, 10).await.unwrap(),
        vec![last.clone(), middle.clone()]
    );
    let first = report("c1", "run-1", at(7 * 60));
    store.put_run_report(&first).await.unwrap();
    assert_eq!(
        store.run_reports(&c1, 10).await.unwrap(),
        vec![middle, first.clone()]
    );
    assert_eq!(store.run_report(&c1, &run).await.unwrap(), Some(first));
}
