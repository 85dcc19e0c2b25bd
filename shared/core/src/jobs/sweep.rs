//! The hourly sweeper: every run ends in a true state. A run whose invocations stopped without
//! finishing — killed at Lambda's timeout, its message dead-lettered, a continuation that never
//! ran — would otherwise say "Running" for ever. The sweeper closes such a run as
//! [`RunStatus::Interrupted`] once nothing can still work on it, with its counts recomputed
//! from the document records (a killed invocation never saved its own), and tells the
//! operator's alarms what needs a person: connections waiting for a sign-in for over a day,
//! connections whose nightly export did not finish two nights in a row.
//!
//! It runs on the dispatcher's hourly tick (the payment poll's schedule), so it needs no
//! schedule of its own.

use super::lifecycle::job_hold_name;
use crate::{
    Clock, Connection, ConnectionStatus, ConnectionStore, CursorStore, DocumentRecord,
    DocumentStore, ExportCounts, ExportState, IssueOutcome, IssueSubject, JobCounts, LeaseStore,
    RunCounts, RunIssue, RunReport, RunReportStore, RunStatus, StoreError,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tracing::{info, warn};

/// How long a run must have been quiet (its report unchanged) before the sweeper looks at it:
/// longer than the longest time a live run can go without writing its report — a message
/// hidden for the export queue's visibility timeout (90 minutes) after a killed invocation,
/// then an invocation of up to the Lambda timeout (15 minutes) — plus a margin. Checked
/// against template.yaml by `tests/tests/template_drift.rs`. Even then the sweeper closes a run
/// only while it holds the run's job hold itself, so a run being worked on is never closed.
pub const QUIET_FOR: chrono::Duration = chrono::Duration::hours(2);

/// A connection waiting for a sign-in longer than this raises the operator's alarm.
pub const NEEDS_REAUTH_ALARM_AFTER: chrono::Duration = chrono::Duration::hours(24);

/// The note (a per-connection cursor) holding when the sweeper first saw the connection
/// waiting for a sign-in; empty once it is active again.
pub const NEEDS_REAUTH_SINCE: &str = "ops.needs-reauth-since";

/// How many of a connection's latest reports the sweeper reads.
const REPORTS_LOOKED_AT: usize = 20;

/// How long the sweeper holds a run's job hold while closing it.
const SWEEP_HOLD: chrono::Duration = chrono::Duration::minutes(5);

/// The roles of Koppel's store the sweeper uses.
#[derive(Clone, Copy)]
pub struct SweepPorts<'a> {
    /// Every connection.
    pub connections: &'a dyn ConnectionStore,
    /// Their run reports.
    pub reports: &'a dyn RunReportStore,
    /// The document records an interrupted export's counts are recomputed from.
    pub documents: &'a dyn DocumentStore,
    /// The job holds (a run being worked on is never closed).
    pub leases: &'a dyn LeaseStore,
    /// Where "waiting for a sign-in since" is noted.
    pub notes: &'a dyn CursorStore,
    /// Time.
    pub clock: &'a dyn Clock,
}

/// What a sweep found: the runs it closed and the fleet's gauges for the operator's alarms.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepSummary {
    /// Connections looked at.
    pub connections: u32,
    /// Runs closed as interrupted in this sweep.
    pub interrupted: u32,
    /// Connections waiting for a sign-in for over [`NEEDS_REAUTH_ALARM_AFTER`].
    pub needs_reauth_over_day: u32,
    /// Active connections whose last two nightly exports did not finish (failed or
    /// interrupted).
    pub failed_two_nights: u32,
}

/// Sweep every connection once (see the module doc).
pub async fn sweep(ports: &SweepPorts<'_>) -> Result<SweepSummary, StoreError> {
    let now = ports.clock.now();
    let mut summary = SweepSummary::default();
    for connection in ports.connections.all_connections().await? {
        summary.connections += 1;
        let mut reports = ports
            .reports
            .run_reports(&connection.id, REPORTS_LOOKED_AT)
            .await?;
        for report in &mut reports {
            if report.status == RunStatus::Running
                && now - report.updated_at >= QUIET_FOR
                && let Some(closed) = close_interrupted(ports, report, now).await?
            {
                *report = closed;
                summary.interrupted += 1;
            }
        }
        if connection.status == ConnectionStatus::Active && failed_two_nights(&reports, now) {
            summary.failed_two_nights += 1;
        }
        if waits_for_sign_in_over_a_day(ports, &connection, now).await? {
            summary.needs_reauth_over_day += 1;
        }
    }
    info!(
        connections = summary.connections,
        interrupted = summary.interrupted,
        needs_reauth_over_day = summary.needs_reauth_over_day,
        failed_two_nights = summary.failed_two_nights,
        "sweep done"
    );
    Ok(summary)
}

/// Close `report`'s run as interrupted, unless an invocation holds its job (then it is being
/// worked on) or it changed meanwhile. Returns the closed report.
async fn close_interrupted(
    ports: &SweepPorts<'_>,
    report: &RunReport,
    now: DateTime<Utc>,
) -> Result<Option<RunReport>, StoreError> {
    let hold = job_hold_name(&report.connection_id, &report.job);
    let owner = format!("sweeper~{}", uuid::Uuid::new_v4().simple());
    if !ports
        .leases
        .acquire_lease(&hold, &owner, now, now + SWEEP_HOLD)
        .await?
    {
        return Ok(None);
    }
    let closed = async {
        let Some(mut fresh) = ports
            .reports
            .run_report(&report.connection_id, &report.run_id)
            .await?
        else {
            return Ok(None);
        };
        if fresh.status != RunStatus::Running || now - fresh.updated_at < QUIET_FOR {
            return Ok(None);
        }
        if let RunCounts::InvoiceExport(_) = fresh.counts {
            let records = ports
                .documents
                .documents_changed_since(&fresh.connection_id, fresh.started_at)
                .await?;
            recount_export(&mut fresh, &records);
        }
        fresh.status = RunStatus::Interrupted;
        fresh.message = Some(format!(
            "This run stopped before its end: its last invocation was cut off (Lambda's time limit, or an error repeated until its message was set aside) and nothing has worked on it since {}. Nothing is lost: what it did not finish goes with the next run — press \"Run again\" or wait for the next scheduled run. {}",
            fresh.updated_at.format("%Y-%m-%d %H:%M UTC"),
            if matches!(fresh.counts, RunCounts::InvoiceExport(_)) {
                "Its counts were recomputed from Koppel's document records."
            } else {
                "Its counts are those saved by its last finished invocation."
            }
        ));
        fresh.updated_at = now;
        ports.reports.put_run_report(&fresh).await?;
        warn!(connection_id = %fresh.connection_id, run_id = %fresh.run_id, job = %fresh.job, "run closed as interrupted");
        Ok(Some(fresh))
    }
    .await;
    if let Err(error) = ports.leases.release_lease(&hold, &owner).await {
        warn!(lease = %hold, %error, "could not release the sweeper's hold; it lapses by itself");
    }
    closed
}

/// An interrupted export's counts from its connection's document records changed since it
/// started: what killed invocations did is counted (exported, failed, left pending), never
/// less than the report already said. Failed documents missing from the list are added with
/// their reasons.
pub fn recount_export(report: &mut RunReport, records: &[DocumentRecord]) {
    let started = report.started_at;
    let mut counts = ExportCounts::from_report(&report.counts);
    let mut exported = 0u32;
    let mut failed = 0u32;
    let mut unfinished = 0u32;
    for record in records {
        match &record.state {
            ExportState::Exported { at, .. } if *at >= started => exported += 1,
            ExportState::Exported { .. } => {}
            ExportState::Failed { reason } => {
                failed += 1;
                let subject = IssueSubject::Document {
                    id: record.document_id.clone(),
                    number: record.number.clone(),
                    kind: record.kind,
                };
                let listed = report
                    .issues
                    .iter()
                    .any(|i| i.subject == subject && i.outcome == IssueOutcome::Failed);
                if !listed {
                    report.issues.push(RunIssue {
                        subject,
                        outcome: IssueOutcome::Failed,
                        reason: reason.clone(),
                    });
                }
            }
            ExportState::Pending | ExportState::Exporting { .. } => unfinished += 1,
        }
    }
    // A document found already in the ledger is recorded exported too: those the report
    // counted that way are not counted twice.
    counts.exported = counts
        .exported
        .max(exported.saturating_sub(counts.already_exported));
    counts.failed = counts.failed.max(failed);
    counts.deferred = counts.deferred.max(unfinished);
    report.counts = counts.into_report();
}

/// True when the connection's last two scheduled exports (the nightly runs, run ids
/// `invoice-export-…`) did not finish and the latest started within the last day and a half
/// (an old pair of failures of a connection that no longer runs does not keep the alarm on).
fn failed_two_nights(reports: &[RunReport], now: DateTime<Utc>) -> bool {
    let mut nightly: Vec<&RunReport> = reports
        .iter()
        .filter(|r| r.job == "invoice-export" && r.run_id.as_str().starts_with("invoice-export-"))
        .collect();
    nightly.sort_by_key(|r| std::cmp::Reverse(r.started_at));
    match nightly.as_slice() {
        [latest, before, ..] => {
            now - latest.started_at <= chrono::Duration::hours(36)
                && latest.did_not_finish()
                && before.did_not_finish()
        }
        _ => false,
    }
}

/// Note when a connection started waiting for a sign-in (first sweep that saw it), clear the
/// note once it is active again; true when it has waited over a day.
async fn waits_for_sign_in_over_a_day(
    ports: &SweepPorts<'_>,
    connection: &Connection,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let noted = ports
        .notes
        .cursor(&connection.id, NEEDS_REAUTH_SINCE)
        .await?
        .filter(|raw| !raw.is_empty());
    if connection.status != ConnectionStatus::NeedsReauth {
        if noted.is_some() {
            ports
                .notes
                .put_cursor(&connection.id, NEEDS_REAUTH_SINCE, "")
                .await?;
        }
        return Ok(false);
    }
    let since = noted
        .as_deref()
        .and_then(|raw| DateTime::parse_from_rfc3339(raw).ok())
        .map(|at| at.with_timezone(&Utc));
    match since {
        Some(since) => Ok(now - since > NEEDS_REAUTH_ALARM_AFTER),
        None => {
            ports
                .notes
                .put_cursor(&connection.id, NEEDS_REAUTH_SINCE, &now.to_rfc3339())
                .await?;
            Ok(false)
        }
    }
}

#[cfg(test)]
mod tests;
