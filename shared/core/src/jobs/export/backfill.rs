//! "Export again from…": a backfill of one connection from a date, asked by the operator's
//! admin command or by the user on the connection page.
//!
//! A backfill is an ordinary export run whose first message already carries its cursor
//! ([`ExportCursor::backfill`]): it lists every booked document Teamleader changed since the
//! start of that day (Brussels time) and looks each document Koppel holds no exported record
//! of up in the ledger before posting it. A document already exported is skipped by its
//! record; one that reached the ledger without Koppel knowing (a lost record, a restored
//! backup, an earlier deployment) is found by the look-up and recorded, never posted twice.
//!
//! It travels on the invoice-export queue in the connection's message group and takes the
//! export's job hold like every run, so it never overlaps the nightly run of that connection.

use super::cursor::ExportCursor;
use crate::{
    Clock, ConnectionId, ConnectionStatus, ConnectionStore, Job, JobKind, JobQueue, QueueError,
    RunId, StoreError,
};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Brussels;
use thiserror::Error;

/// Why a backfill was not queued.
#[derive(Debug, Error)]
pub enum BackfillError {
    /// No connection has this id.
    #[error("connection {0} does not exist")]
    UnknownConnection(ConnectionId),
    /// The connection cannot run now (paused, waiting for a sign-in, being set up): the export
    /// would skip the message, so none is sent.
    #[error("connection {id} is {status}{}: it must be active to export again", reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default())]
    NotActive {
        /// The connection.
        id: ConnectionId,
        /// Its status, as stored ("paused", "needs_reauth", "draft").
        status: String,
        /// The reason stored with the status, if any.
        reason: Option<String>,
    },
    /// The date is after today (Brussels): there is nothing to export from it.
    #[error("{from} is in the future: a backfill starts on a past day or today")]
    FromInTheFuture {
        /// The date asked for.
        from: NaiveDate,
    },
    /// The date has no midnight in Brussels (never happens: clocks change at 02:00 and 03:00).
    #[error("{from} has no start of day in Europe/Brussels")]
    NoStartOfDay {
        /// The date asked for.
        from: NaiveDate,
    },
    /// The cursor could not be written as JSON.
    #[error("the backfill cursor cannot be written: {0}")]
    Cursor(String),
    /// Reading the connection failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Sending the message failed (nothing was queued; asking again is safe).
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// The instant a backfill from `from` lists from: 00:00 in Europe/Brussels on that day, in
/// UTC (23:00 or 22:00 UTC the day before, by the season).
pub fn start_of_day_in_brussels(from: NaiveDate) -> Result<DateTime<Utc>, BackfillError> {
    Brussels
        .from_local_datetime(&from.and_time(NaiveTime::MIN))
        .earliest()
        .map(|local| local.with_timezone(&Utc))
        .ok_or(BackfillError::NoStartOfDay { from })
}

/// The run id of a backfill from `from` asked at `now`: `backfill-<from>-<now>`, to the
/// second. Asking twice in the same second gives the same run (and the same message, which
/// the FIFO queue keeps once).
pub fn backfill_run_id(from: NaiveDate, now: DateTime<Utc>) -> RunId {
    RunId::new(format!(
        "backfill-{}-{}",
        from.format("%Y-%m-%d"),
        now.format("%Y%m%dT%H%M%SZ")
    ))
}

/// Queue a backfill of `connection` from `from` (see the module): checks the connection
/// exists and is active, then sends one invoice-export message whose cursor lists every
/// document changed since 00:00 Brussels time on `from`, with look-up-first on. Returns the
/// run id, which the run report carries.
pub async fn request_backfill(
    connections: &dyn ConnectionStore,
    queue: &dyn JobQueue,
    clock: &dyn Clock,
    connection: &ConnectionId,
    from: NaiveDate,
) -> Result<RunId, BackfillError> {
    let Some(stored) = connections.connection(connection).await? else {
        return Err(BackfillError::UnknownConnection(connection.clone()));
    };
    if stored.status != ConnectionStatus::Active {
        return Err(BackfillError::NotActive {
            id: stored.id,
            status: serde_json::to_value(stored.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| format!("{:?}", stored.status)),
            reason: stored.status_reason,
        });
    }
    let now = clock.now();
    if from > now.with_timezone(&Brussels).date_naive() {
        return Err(BackfillError::FromInTheFuture { from });
    }
    let since = start_of_day_in_brussels(from)?;
    let cursor = serde_json::to_string(&ExportCursor::backfill(since, now))
        .map_err(|e| BackfillError::Cursor(e.to_string()))?;
    let run = backfill_run_id(from, now);
    let job = Job {
        cursor: Some(cursor),
        ..Job::start(stored.id.clone(), run.clone(), JobKind::InvoiceExport)
    };
    queue.send(&[job]).await?;
    tracing::info!(connection = %stored.id, run = %run, %from, %since, "backfill queued");
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::fixtures::connection;
    use crate::memory::{InMemoryQueue, InMemoryStore, ManualClock};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&Utc)
    }

    async fn world(status: ConnectionStatus) -> (InMemoryStore, InMemoryQueue, ManualClock) {
        let store = InMemoryStore::new();
        store
            .put_connection(&connection("c1", "acct", status))
            .await
            .unwrap();
        (
            store,
            InMemoryQueue::new(),
            ManualClock::new(at("2026-11-20T14:30:05Z")),
        )
    }

    #[test]
    fn the_day_starts_at_midnight_in_brussels_winter_and_summer() {
        assert_eq!(
            start_of_day_in_brussels(date(2026, 1, 15)).unwrap(),
            at("2026-01-14T23:00:00Z")
        );
        assert_eq!(
            start_of_day_in_brussels(date(2026, 7, 1)).unwrap(),
            at("2026-06-30T22:00:00Z")
        );
        // The days the clocks change: midnight is still there, before the change.
        assert_eq!(
            start_of_day_in_brussels(date(2026, 3, 29)).unwrap(),
            at("2026-03-28T23:00:00Z")
        );
        assert_eq!(
            start_of_day_in_brussels(date(2026, 10, 25)).unwrap(),
            at("2026-10-24T22:00:00Z")
        );
    }

    #[tokio::test]
    async fn one_export_message_lists_from_that_day_and_looks_every_document_up_first() {
        let (store, queue, clock) = world(ConnectionStatus::Active).await;
        let run = request_backfill(&store, &queue, &clock, &"c1".into(), date(2026, 9, 1))
            .await
            .unwrap();
        assert_eq!(run.as_str(), "backfill-2026-09-01-20261120T143005Z");

        let sent = queue.sent();
        assert_eq!(sent.len(), 1);
        let job = &sent[0];
        assert_eq!(job.connection_id.as_str(), "c1");
        assert_eq!(job.run_id, run);
        assert_eq!(job.kind, JobKind::InvoiceExport);
        assert_eq!(job.sequence, 0, "the first message of its run");
        let cursor: ExportCursor =
            serde_json::from_str(job.cursor.as_deref().expect("a cursor")).unwrap();
        assert_eq!(
            cursor,
            ExportCursor::backfill(at("2026-08-31T22:00:00Z"), clock.now())
        );
        assert!(cursor.look_up_first);
        assert!(cursor.moves_nightly_cursor());
    }

    #[tokio::test]
    async fn today_is_allowed_tomorrow_is_not() {
        let (store, queue, clock) = world(ConnectionStatus::Active).await;
        // 23:30 UTC on 20 November is already 21 November in Brussels.
        clock.set(at("2026-11-20T23:30:00Z"));
        request_backfill(&store, &queue, &clock, &"c1".into(), date(2026, 11, 21))
            .await
            .unwrap();
        let error = request_backfill(&store, &queue, &clock, &"c1".into(), date(2026, 11, 22))
            .await
            .unwrap_err();
        assert!(
            matches!(error, BackfillError::FromInTheFuture { .. }),
            "{error}"
        );
        assert_eq!(queue.sent().len(), 1);
    }

    #[tokio::test]
    async fn an_unknown_or_inactive_connection_gets_a_clear_error_and_no_message() {
        let (store, queue, clock) = world(ConnectionStatus::Active).await;
        let error = request_backfill(&store, &queue, &clock, &"nope".into(), date(2026, 9, 1))
            .await
            .unwrap_err();
        assert_eq!(error.to_string(), "connection nope does not exist");

        let mut paused = connection("c1", "acct", ConnectionStatus::NeedsReauth);
        paused.status_reason = Some("Exact refused the sign-in".into());
        store.put_connection(&paused).await.unwrap();
        let error = request_backfill(&store, &queue, &clock, &"c1".into(), date(2026, 9, 1))
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "connection c1 is needs_reauth (Exact refused the sign-in): it must be active to export again"
        );
        assert!(queue.sent().is_empty());
    }

    #[tokio::test]
    async fn a_queue_failure_is_reported() {
        let (store, queue, clock) = world(ConnectionStatus::Active).await;
        queue.fail_sends(Some("SQS is down"));
        let error = request_backfill(&store, &queue, &clock, &"c1".into(), date(2026, 9, 1))
            .await
            .unwrap_err();
        assert!(matches!(error, BackfillError::Queue(_)), "{error}");
    }
}
