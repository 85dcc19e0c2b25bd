//! CloudWatch metrics as embedded-metric-format (EMF) lines: one JSON object per line on
//! stdout, which Lambda ships to CloudWatch Logs, where CloudWatch turns it into metrics. No
//! CloudWatch API call and no permission beyond writing logs; the line stays in the log, so
//! Logs Insights can also query it by connection.
//!
//! A small typed writer, not a general EMF library: the envelope (`_aws` with `Timestamp` and
//! `CloudWatchMetrics: [{Namespace, Dimensions, Metrics: [{Name, Unit}]}]`) and the line's
//! dimensions, properties and values are serde types serialised with `serde_json`, so names,
//! units and values cannot disagree: the directive lists exactly the metrics the line holds.
//!
//! What is published (docs/OPERATIONS.md, "Metrics, alarms and the dashboard"):
//! - [`invocation_line`]: one line per job invocation (one SQS message), built by
//!   [`crate::LifecycleFunction`] — the calls, 429 answers and quota left of the Teamleader
//!   account and the ledger, the invocation's duration; and, on the invocation that ends a
//!   run, the run's totals (documents exported / failed / deferred, payments registered, its
//!   duration, whether it failed or paused because the ledger's quota was spent);
//! - [`FleetGauges`]: the hourly sweep's gauges (connections that need a person), emitted by
//!   the dispatcher.
//!
//! Dimensions are the job and the ledger, never the connection: a dimension value makes a
//! metric of its own, and 1,000 connections × some fifteen metrics would be 15,000 custom
//! metrics billed every month for series nobody graphs one by one. The connection and run ids
//! travel in the same line as plain properties (not metrics), so Logs Insights finds a
//! connection's numbers when an alarm points at a job or a ledger.

use chrono::{DateTime, Utc};
use koppel_core::jobs::lifecycle::{JobError, JobOutcome};
use koppel_core::jobs::sweep::SweepSummary;
use koppel_core::{ApiSystem, ApiUsage, Job, LedgerKind, RunCounts, RunReport, RunStatus};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::OnceLock;
use thiserror::Error;
use tracing::{debug, warn};

/// The CloudWatch namespace of every Koppel metric.
pub const NAMESPACE: &str = "Koppel";

/// A metric line that could not be written.
#[derive(Debug, Error)]
pub enum MetricsError {
    /// The line could not be serialised (it holds only strings and finite numbers, so this
    /// is a bug).
    #[error("the metric line could not be serialised: {0}")]
    Serialise(#[from] serde_json::Error),
    /// The output refused the line.
    #[error("the metric line could not be written: {0}")]
    Write(#[from] std::io::Error),
}

/// The unit of a metric, as CloudWatch names it (it graphs and converts by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Unit {
    /// A number of things (calls, documents, runs; a 0/1 flag counts occurrences).
    Count,
    /// A duration in seconds.
    Seconds,
}

/// The dimensions a metric can be broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dimension {
    /// The job (`invoice-export`, `payment-poll`, `company-import`, `merge-file`).
    Job,
    /// The ledger (`exact_online`, `octopus`, `twinfield`, `clearfacts`).
    Ledger,
}

impl Dimension {
    /// Its name in the line and in CloudWatch.
    pub fn name(self) -> &'static str {
        match self {
            Self::Job => "Job",
            Self::Ledger => "Ledger",
        }
    }
}

/// Which dimension sets a metric is published with: each set is a metric of its own in
/// CloudWatch (and on the bill), so only what an alarm or a graph needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakdown {
    /// No dimension: one fleet-wide series (the sweep's gauges).
    Fleet,
    /// Per job (Teamleader's side and Koppel's own errors: the ledger says nothing there).
    Job,
    /// Per job, and per job and ledger.
    JobAndLedger,
    /// Per job, per job and ledger, and per ledger alone (what an alarm per ledger watches).
    JobLedgerAndLedger,
}

impl Breakdown {
    /// The dimension sets, as EMF lists them.
    pub fn dimension_sets(self) -> &'static [&'static [Dimension]] {
        use Dimension::{Job, Ledger};
        match self {
            Self::Fleet => &[&[]],
            Self::Job => &[&[Job]],
            Self::JobAndLedger => &[&[Job], &[Job, Ledger]],
            Self::JobLedgerAndLedger => &[&[Job], &[Job, Ledger], &[Ledger]],
        }
    }
}

/// Every metric Koppel publishes. The names are a contract with `template.yaml` (alarms and
/// the dashboard; tests/tests/template_metrics.rs checks them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// Documents an export run posted to the ledger (run total, on its last invocation).
    DocumentsExported,
    /// Documents an export run could not post (each is in the run report with its reason).
    DocumentsFailed,
    /// Documents an export run left pending for a later pass (never failed).
    DocumentsDeferred,
    /// Payments a payment poll registered in Teamleader (run total).
    PaymentsRegistered,
    /// Documents whose payment a payment poll could not register (run total).
    PaymentsFailed,
    /// Requests sent to the ledger in the invocation (retries included).
    LedgerCalls,
    /// Ledger requests answered 429 in the invocation.
    LedgerThrottled,
    /// Requests the ledger still allowed at the end of the invocation, when it said.
    LedgerQuotaLeft,
    /// Requests sent to Teamleader in the invocation (retries included).
    TeamleaderCalls,
    /// Teamleader requests answered 429 in the invocation.
    TeamleaderThrottled,
    /// Requests Teamleader still allowed at the end of the invocation, when it said.
    TeamleaderQuotaLeft,
    /// The invocation's duration (clock time), whatever its outcome.
    InvocationDuration,
    /// A run's duration from its start to its end, over all its invocations.
    RunDuration,
    /// 1 for every run that ended (succeeded, with issues, paused or failed).
    RunsFinished,
    /// 1 for a run that ended failed (a person must act), 0 for another end.
    RunsFailed,
    /// 1 for a run that ended paused (an outage, a spent quota; the next run continues).
    RunsPaused,
    /// 1 for a run that paused because the ledger's quota ran out before it finished.
    QuotaSpentBeforeFinish,
    /// 1 for an invocation that failed on Koppel's side (store, queue, another invocation
    /// busy with the same job): its message is retried, after five tries it is dead-lettered.
    JobErrors,
    /// The sweep's gauge: runs it found interrupted (no invocation works on them any more).
    InterruptedRuns,
    /// The sweep's gauge: connections that have needed a new sign-in for over 24 hours.
    ConnectionsNeedingReauthOver24h,
    /// The sweep's gauge: connections whose nightly export did not finish two nights in a row.
    ConnectionsFailedTwoNightsInRow,
}

impl Metric {
    /// Every metric, in a fixed order.
    pub const ALL: [Metric; 21] = [
        Self::DocumentsExported,
        Self::DocumentsFailed,
        Self::DocumentsDeferred,
        Self::PaymentsRegistered,
        Self::PaymentsFailed,
        Self::LedgerCalls,
        Self::LedgerThrottled,
        Self::LedgerQuotaLeft,
        Self::TeamleaderCalls,
        Self::TeamleaderThrottled,
        Self::TeamleaderQuotaLeft,
        Self::InvocationDuration,
        Self::RunDuration,
        Self::RunsFinished,
        Self::RunsFailed,
        Self::RunsPaused,
        Self::QuotaSpentBeforeFinish,
        Self::JobErrors,
        Self::InterruptedRuns,
        Self::ConnectionsNeedingReauthOver24h,
        Self::ConnectionsFailedTwoNightsInRow,
    ];

    /// Its name in CloudWatch.
    pub fn name(self) -> &'static str {
        match self {
            Self::DocumentsExported => "DocumentsExported",
            Self::DocumentsFailed => "DocumentsFailed",
            Self::DocumentsDeferred => "DocumentsDeferred",
            Self::PaymentsRegistered => "PaymentsRegistered",
            Self::PaymentsFailed => "PaymentsFailed",
            Self::LedgerCalls => "LedgerCalls",
            Self::LedgerThrottled => "LedgerThrottled",
            Self::LedgerQuotaLeft => "LedgerQuotaLeft",
            Self::TeamleaderCalls => "TeamleaderCalls",
            Self::TeamleaderThrottled => "TeamleaderThrottled",
            Self::TeamleaderQuotaLeft => "TeamleaderQuotaLeft",
            Self::InvocationDuration => "InvocationDuration",
            Self::RunDuration => "RunDuration",
            Self::RunsFinished => "RunsFinished",
            Self::RunsFailed => "RunsFailed",
            Self::RunsPaused => "RunsPaused",
            Self::QuotaSpentBeforeFinish => "QuotaSpentBeforeFinish",
            Self::JobErrors => "JobErrors",
            Self::InterruptedRuns => "InterruptedRuns",
            Self::ConnectionsNeedingReauthOver24h => "ConnectionsNeedingReauthOver24h",
            Self::ConnectionsFailedTwoNightsInRow => "ConnectionsFailedTwoNightsInRow",
        }
    }

    /// Its unit.
    pub fn unit(self) -> Unit {
        match self {
            Self::InvocationDuration | Self::RunDuration => Unit::Seconds,
            _ => Unit::Count,
        }
    }

    /// The dimension sets it is published with.
    pub fn breakdown(self) -> Breakdown {
        match self {
            Self::TeamleaderCalls
            | Self::TeamleaderThrottled
            | Self::TeamleaderQuotaLeft
            | Self::JobErrors => Breakdown::Job,
            Self::QuotaSpentBeforeFinish => Breakdown::JobLedgerAndLedger,
            Self::InterruptedRuns
            | Self::ConnectionsNeedingReauthOver24h
            | Self::ConnectionsFailedTwoNightsInRow => Breakdown::Fleet,
            Self::DocumentsExported
            | Self::DocumentsFailed
            | Self::DocumentsDeferred
            | Self::PaymentsRegistered
            | Self::PaymentsFailed
            | Self::LedgerCalls
            | Self::LedgerThrottled
            | Self::LedgerQuotaLeft
            | Self::InvocationDuration
            | Self::RunDuration
            | Self::RunsFinished
            | Self::RunsFailed
            | Self::RunsPaused => Breakdown::JobAndLedger,
        }
    }
}

/// Plain fields of a line: in the log (Logs Insights reads them), not metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Property {
    /// The connection.
    ConnectionId,
    /// The run.
    RunId,
    /// How the invocation ended: `finished`, `continued`, `skipped` or `error`.
    Outcome,
    /// The run's status after the invocation (`running`, `succeeded`, `paused`, …).
    Status,
}

impl Property {
    /// Its name in the line.
    pub fn name(self) -> &'static str {
        match self {
            Self::ConnectionId => "ConnectionId",
            Self::RunId => "RunId",
            Self::Outcome => "Outcome",
            Self::Status => "Status",
        }
    }
}

/// A metric's value: a whole number (counts) or a fraction (seconds).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// A count.
    Whole(u64),
    /// A measured quantity (always finite).
    Fraction(f64),
}

impl Value {
    /// The value as a float, for comparisons.
    pub fn as_f64(self) -> f64 {
        match self {
            Self::Whole(n) => n as f64,
            Self::Fraction(x) => x,
        }
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Self {
        Self::Whole(n)
    }
}

impl From<u32> for Value {
    fn from(n: u32) -> Self {
        Self::Whole(u64::from(n))
    }
}

impl From<bool> for Value {
    fn from(flag: bool) -> Self {
        Self::Whole(u64::from(flag))
    }
}

/// One EMF line being put together: its instant, dimensions, properties and metric values.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricLine {
    at: DateTime<Utc>,
    dimensions: BTreeMap<Dimension, String>,
    properties: BTreeMap<Property, String>,
    values: BTreeMap<Metric, Value>,
}

/// The EMF document: the `_aws` envelope and, flattened beside it, the members it names.
#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "_aws")]
    aws: Envelope,
    #[serde(flatten)]
    dimensions: BTreeMap<&'static str, &'a str>,
    #[serde(flatten)]
    properties: BTreeMap<&'static str, &'a str>,
    #[serde(flatten)]
    values: BTreeMap<&'static str, Value>,
}

/// `_aws`: when, and which members CloudWatch turns into metrics.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Envelope {
    /// Epoch milliseconds.
    timestamp: i64,
    cloud_watch_metrics: Vec<Directive>,
}

/// One `MetricDirective`: metrics published with the same dimension sets.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Directive {
    namespace: &'static str,
    dimensions: Vec<Vec<&'static str>>,
    metrics: Vec<Definition>,
}

/// One `MetricDefinition`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Definition {
    name: &'static str,
    unit: Unit,
}

impl MetricLine {
    /// An empty line stamped `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self {
            at,
            dimensions: BTreeMap::new(),
            properties: BTreeMap::new(),
            values: BTreeMap::new(),
        }
    }

    /// Set a dimension.
    pub fn dimension(&mut self, dimension: Dimension, value: impl Into<String>) -> &mut Self {
        self.dimensions.insert(dimension, value.into());
        self
    }

    /// Set a plain property.
    pub fn property(&mut self, property: Property, value: impl Into<String>) -> &mut Self {
        self.properties.insert(property, value.into());
        self
    }

    /// Set a metric's value.
    pub fn set(&mut self, metric: Metric, value: impl Into<Value>) -> &mut Self {
        self.values.insert(metric, value.into());
        self
    }

    /// A duration in seconds (negative ones, from a clock set back, count as zero).
    pub fn set_seconds(&mut self, metric: Metric, duration: chrono::Duration) -> &mut Self {
        let seconds = duration.num_milliseconds().max(0) as f64 / 1000.0;
        self.values.insert(metric, Value::Fraction(seconds));
        self
    }

    /// A metric's value, if set.
    pub fn value(&self, metric: Metric) -> Option<Value> {
        self.values.get(&metric).copied()
    }

    /// A dimension's value, if set.
    pub fn dimension_value(&self, dimension: Dimension) -> Option<&str> {
        self.dimensions.get(&dimension).map(String::as_str)
    }

    /// The EMF document of the line. A metric is declared with the dimension sets of its
    /// [`Breakdown`] that the line can fill (per ledger only when the line names a ledger);
    /// one directive per distinct list of sets.
    fn document(&self) -> Document<'_> {
        let mut directives: BTreeMap<Vec<Vec<&'static str>>, Vec<Definition>> = BTreeMap::new();
        for metric in self.values.keys() {
            let sets: Vec<Vec<&'static str>> = metric
                .breakdown()
                .dimension_sets()
                .iter()
                .filter(|set| set.iter().all(|d| self.dimensions.contains_key(d)))
                .map(|set| set.iter().map(|d| d.name()).collect())
                .collect();
            if sets.is_empty() {
                // Nothing to publish it under: it stays a plain field of the log line.
                continue;
            }
            directives.entry(sets).or_default().push(Definition {
                name: metric.name(),
                unit: metric.unit(),
            });
        }
        Document {
            aws: Envelope {
                timestamp: self.at.timestamp_millis(),
                cloud_watch_metrics: directives
                    .into_iter()
                    .map(|(dimensions, metrics)| Directive {
                        namespace: NAMESPACE,
                        dimensions,
                        metrics,
                    })
                    .collect(),
            },
            dimensions: self
                .dimensions
                .iter()
                .map(|(d, v)| (d.name(), v.as_str()))
                .collect(),
            properties: self
                .properties
                .iter()
                .map(|(p, v)| (p.name(), v.as_str()))
                .collect(),
            values: self.values.iter().map(|(m, v)| (m.name(), *v)).collect(),
        }
    }

    /// The line as JSON (no newline).
    pub fn to_json(&self) -> Result<String, MetricsError> {
        Ok(serde_json::to_string(&self.document())?)
    }

    /// Write the line to `out` as one line (one write, newline included).
    pub fn write_to(&self, out: &mut dyn Write) -> Result<(), MetricsError> {
        let mut bytes = serde_json::to_vec(&self.document())?;
        bytes.push(b'\n');
        out.write_all(&bytes)?;
        out.flush()?;
        Ok(())
    }
}

/// Publish `line`: on stdout inside Lambda (CloudWatch Logs turns it into metrics); as a
/// debug log elsewhere (tests, the demo), so terminals are not flooded with JSON. A line
/// that cannot be written is logged, never an error: metrics must not fail a job.
pub fn publish(line: &MetricLine) {
    static IN_LAMBDA: OnceLock<bool> = OnceLock::new();
    let in_lambda =
        *IN_LAMBDA.get_or_init(|| std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some());
    if in_lambda {
        if let Err(error) = line.write_to(&mut std::io::stdout().lock()) {
            warn!(%error, "metric line not written");
        }
    } else {
        match line.to_json() {
            Ok(json) => debug!(metrics = %json, "metric line"),
            Err(error) => warn!(%error, "metric line not written"),
        }
    }
}

/// The ledger's name as the `Ledger` dimension gives it: its stored (serde) name, the same
/// in the table, the logs and the alarms.
pub fn ledger_dimension(kind: LedgerKind) -> String {
    match serde_json::to_value(kind) {
        Ok(serde_json::Value::String(name)) => name,
        // A unit variant always serialises as its name; keep a readable fallback anyway.
        _ => kind.display_name().to_owned(),
    }
}

/// The line of one job invocation: `message` handled from `started` to `ended` with
/// `outcome`, the connector's `usage` of its systems. Run totals only on the invocation that
/// ended the run (a run's counts are cumulative over its invocations: published once, at its
/// end, they add up per night without counting a document twice).
pub fn invocation_line(
    message: &Job,
    outcome: Result<&JobOutcome, &JobError>,
    usage: &[ApiUsage],
    started: DateTime<Utc>,
    ended: DateTime<Utc>,
) -> MetricLine {
    let mut line = MetricLine::new(ended);
    line.dimension(Dimension::Job, message.kind.name())
        .property(Property::ConnectionId, message.connection_id.as_str())
        .property(Property::RunId, message.run_id.as_str())
        .set_seconds(Metric::InvocationDuration, ended - started)
        .set(Metric::JobErrors, outcome.is_err());
    let mut ledger_quota_spent = false;
    for api in usage {
        let (calls, throttled, quota_left) = match api.system {
            ApiSystem::Teamleader => (
                Metric::TeamleaderCalls,
                Metric::TeamleaderThrottled,
                Metric::TeamleaderQuotaLeft,
            ),
            ApiSystem::Ledger(kind) => {
                line.dimension(Dimension::Ledger, ledger_dimension(kind));
                ledger_quota_spent |= api.quota_exhausted > 0;
                (
                    Metric::LedgerCalls,
                    Metric::LedgerThrottled,
                    Metric::LedgerQuotaLeft,
                )
            }
        };
        line.set(calls, api.calls).set(throttled, api.throttled);
        if let Some(left) = api.quota_left {
            line.set(quota_left, left);
        }
    }
    let (outcome_name, report) = match outcome {
        Ok(JobOutcome::Finished(report)) => ("finished", Some(report)),
        Ok(JobOutcome::Continued(report)) => ("continued", Some(report)),
        Ok(JobOutcome::Skipped(_)) => ("skipped", None),
        Err(_) => ("error", None),
    };
    line.property(Property::Outcome, outcome_name);
    if let Some(report) = report {
        line.property(Property::Status, status_name(report.status));
    }
    if let Ok(JobOutcome::Finished(report)) = outcome {
        run_totals(&mut line, report, ledger_quota_spent);
    }
    line
}

/// The totals of a run that ended, on the line of its last invocation.
fn run_totals(line: &mut MetricLine, report: &RunReport, ledger_quota_spent: bool) {
    line.set(Metric::RunsFinished, 1u64)
        .set_seconds(Metric::RunDuration, report.updated_at - report.started_at)
        .set(Metric::RunsFailed, report.status == RunStatus::Failed)
        .set(Metric::RunsPaused, report.status == RunStatus::Paused);
    if line.dimension_value(Dimension::Ledger).is_some() {
        // Only the rate gate refuses a wait as a spent quota, and a refused wait pauses the
        // run: paused with a refused wait at the ledger is the ledger's quota spent.
        line.set(
            Metric::QuotaSpentBeforeFinish,
            report.status == RunStatus::Paused && ledger_quota_spent,
        );
    }
    match &report.counts {
        RunCounts::InvoiceExport(counts) => {
            line.set(Metric::DocumentsExported, counts.exported)
                .set(Metric::DocumentsFailed, counts.failed)
                .set(Metric::DocumentsDeferred, counts.deferred);
        }
        RunCounts::PaymentPoll(counts) => {
            line.set(Metric::PaymentsRegistered, counts.payments_registered)
                .set(Metric::PaymentsFailed, counts.failed);
        }
        RunCounts::CompanyImport(_) | RunCounts::MergeFile(_) | RunCounts::Nothing => {}
    }
}

/// A run status as the run report stores it (`paused`, `completed_with_issues`, …).
fn status_name(status: RunStatus) -> String {
    match serde_json::to_value(status) {
        Ok(serde_json::Value::String(name)) => name,
        _ => format!("{status:?}"),
    }
}

/// The hourly sweep's gauges: how many connections need a person now. The dispatcher's
/// sweep counts them and publishes them with [`publish`] (or [`emit_fleet_gauges`]); the
/// alarms `<stack>-connections-needing-reauth` and `<stack>-connections-failed-two-nights`
/// watch the last two.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FleetGauges {
    /// Runs the sweep found interrupted (and closed).
    pub interrupted_runs: u64,
    /// Connections that have needed a new sign-in for over 24 hours.
    pub needs_reauth_over_day: u64,
    /// Connections whose nightly export did not finish two nights in a row.
    pub failed_two_nights: u64,
}

impl From<&SweepSummary> for FleetGauges {
    /// The gauges of what the sweeper found.
    fn from(summary: &SweepSummary) -> Self {
        Self {
            interrupted_runs: u64::from(summary.interrupted),
            needs_reauth_over_day: u64::from(summary.needs_reauth_over_day),
            failed_two_nights: u64::from(summary.failed_two_nights),
        }
    }
}

impl FleetGauges {
    /// The gauges as a line stamped `at` (no dimension: fleet-wide).
    pub fn line(&self, at: DateTime<Utc>) -> MetricLine {
        let mut line = MetricLine::new(at);
        line.set(Metric::InterruptedRuns, self.interrupted_runs)
            .set(
                Metric::ConnectionsNeedingReauthOver24h,
                self.needs_reauth_over_day,
            )
            .set(
                Metric::ConnectionsFailedTwoNightsInRow,
                self.failed_two_nights,
            );
        line
    }
}

/// Write the sweep's `gauges`, stamped `at`, to `out` as one EMF line (the dispatcher passes
/// stdout; tests a buffer).
pub fn emit_fleet_gauges(
    out: &mut dyn Write,
    at: DateTime<Utc>,
    gauges: &FleetGauges,
) -> Result<(), MetricsError> {
    gauges.line(at).write_to(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use koppel_core::{ConnectionId, ExportCounts, JobKind, RunId};
    use serde_json::{Value as Json, json};

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0).unwrap()
    }

    /// The line as CloudWatch reads it: written to a buffer, one line, parsed back.
    fn written(line: &MetricLine) -> Json {
        let mut out = Vec::new();
        line.write_to(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with('\n'), "{text}");
        assert_eq!(text.lines().count(), 1, "one line: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Every directive's metric: (name, unit, dimension sets).
    fn declared(document: &Json) -> Vec<(String, String, Json)> {
        let mut found = Vec::new();
        for directive in document["_aws"]["CloudWatchMetrics"].as_array().unwrap() {
            assert_eq!(directive["Namespace"], "Koppel");
            for metric in directive["Metrics"].as_array().unwrap() {
                found.push((
                    metric["Name"].as_str().unwrap().to_owned(),
                    metric["Unit"].as_str().unwrap().to_owned(),
                    directive["Dimensions"].clone(),
                ));
            }
        }
        found
    }

    /// What the EMF specification asks of every line: each declared metric is a number at
    /// the root, each dimension a string at the root, at most 30 keys per set, 100 metrics
    /// per directive.
    fn assert_valid_emf(document: &Json) {
        assert!(document["_aws"]["Timestamp"].is_i64());
        for directive in document["_aws"]["CloudWatchMetrics"].as_array().unwrap() {
            assert!(directive["Metrics"].as_array().unwrap().len() <= 100);
            for set in directive["Dimensions"].as_array().unwrap() {
                let set = set.as_array().unwrap();
                assert!(set.len() <= 30);
                for key in set {
                    let key = key.as_str().unwrap();
                    assert!(document[key].is_string(), "dimension {key} missing");
                }
            }
            for metric in directive["Metrics"].as_array().unwrap() {
                let name = metric["Name"].as_str().unwrap();
                assert!(document[name].is_number(), "metric {name} has no value");
            }
        }
    }

    fn message() -> Job {
        Job::start(
            ConnectionId::from("conn-7"),
            RunId::from("run-3"),
            JobKind::InvoiceExport,
        )
    }

    fn usage() -> Vec<ApiUsage> {
        vec![
            ApiUsage {
                system: ApiSystem::Teamleader,
                calls: 12,
                throttled: 1,
                quota_left: Some(180),
                quota_exhausted: 0,
            },
            ApiUsage {
                system: ApiSystem::Ledger(LedgerKind::ExactOnline),
                calls: 30,
                throttled: 2,
                quota_left: Some(4_970),
                quota_exhausted: 0,
            },
        ]
    }

    fn finished(status: RunStatus) -> JobOutcome {
        let mut report = RunReport::start(
            ConnectionId::from("conn-7"),
            RunId::from("run-3"),
            "invoice-export",
            RunCounts::InvoiceExport(ExportCounts {
                exported: 40,
                failed: 2,
                deferred: 3,
                skipped: 5,
                ..Default::default()
            }),
            at() - chrono::Duration::seconds(1_500),
        );
        report.status = status;
        report.updated_at = at();
        JobOutcome::Finished(report)
    }

    #[test]
    fn an_invocation_line_is_emf_with_its_names_units_values_and_dimensions() {
        let outcome = finished(RunStatus::CompletedWithIssues);
        let line = invocation_line(
            &message(),
            Ok(&outcome),
            &usage(),
            at() - chrono::Duration::milliseconds(90_250),
            at(),
        );
        let document = written(&line);
        assert_valid_emf(&document);
        assert_eq!(document["_aws"]["Timestamp"], at().timestamp_millis());
        assert_eq!(document["Job"], "invoice-export");
        assert_eq!(document["Ledger"], "exact_online");
        assert_eq!(document["ConnectionId"], "conn-7");
        assert_eq!(document["RunId"], "run-3");
        assert_eq!(document["Outcome"], "finished");
        assert_eq!(document["Status"], "completed_with_issues");
        for (name, value) in [
            ("DocumentsExported", json!(40)),
            ("DocumentsFailed", json!(2)),
            ("DocumentsDeferred", json!(3)),
            ("TeamleaderCalls", json!(12)),
            ("TeamleaderThrottled", json!(1)),
            ("TeamleaderQuotaLeft", json!(180)),
            ("LedgerCalls", json!(30)),
            ("LedgerThrottled", json!(2)),
            ("LedgerQuotaLeft", json!(4970)),
            ("InvocationDuration", json!(90.25)),
            ("RunDuration", json!(1500.0)),
            ("RunsFinished", json!(1)),
            ("RunsFailed", json!(0)),
            ("RunsPaused", json!(0)),
            ("QuotaSpentBeforeFinish", json!(0)),
            ("JobErrors", json!(0)),
        ] {
            assert_eq!(document[name], value, "{name}");
        }
        let by_job = json!([["Job"]]);
        let by_job_and_ledger = json!([["Job"], ["Job", "Ledger"]]);
        let also_by_ledger = json!([["Job"], ["Job", "Ledger"], ["Ledger"]]);
        let declared = declared(&document);
        let expect = |name: &str, unit: &str, sets: &Json| {
            assert!(
                declared
                    .iter()
                    .any(|(n, u, s)| n == name && u == unit && s == sets),
                "{name} {unit} {sets} not in {declared:?}"
            );
        };
        expect("DocumentsExported", "Count", &by_job_and_ledger);
        expect("LedgerThrottled", "Count", &by_job_and_ledger);
        expect("RunDuration", "Seconds", &by_job_and_ledger);
        expect("InvocationDuration", "Seconds", &by_job_and_ledger);
        expect("TeamleaderCalls", "Count", &by_job);
        expect("JobErrors", "Count", &by_job);
        expect("QuotaSpentBeforeFinish", "Count", &also_by_ledger);
        assert_eq!(
            declared.len(),
            16,
            "every value declared once: {declared:?}"
        );
        // The connection is a property, never a dimension (see the module's comment).
        assert!(
            !document["_aws"].to_string().contains("ConnectionId"),
            "{document}"
        );
    }

    #[test]
    fn a_run_paused_by_the_ledgers_spent_quota_says_so_and_an_outage_does_not() {
        let mut spent = usage();
        spent[1].quota_exhausted = 1;
        spent[1].quota_left = Some(0);
        let paused = finished(RunStatus::Paused);
        let line = invocation_line(&message(), Ok(&paused), &spent, at(), at());
        assert_eq!(
            line.value(Metric::QuotaSpentBeforeFinish),
            Some(Value::Whole(1))
        );
        assert_eq!(line.value(Metric::RunsPaused), Some(Value::Whole(1)));
        assert_eq!(line.value(Metric::LedgerQuotaLeft), Some(Value::Whole(0)));
        assert_valid_emf(&written(&line));

        let outage = invocation_line(&message(), Ok(&paused), &usage(), at(), at());
        assert_eq!(
            outage.value(Metric::QuotaSpentBeforeFinish),
            Some(Value::Whole(0))
        );
        // Teamleader's quota is not the ledger's.
        let mut teamleader_spent = usage();
        teamleader_spent[0].quota_exhausted = 1;
        let line = invocation_line(&message(), Ok(&paused), &teamleader_spent, at(), at());
        assert_eq!(
            line.value(Metric::QuotaSpentBeforeFinish),
            Some(Value::Whole(0))
        );

        let failed = finished(RunStatus::Failed);
        let line = invocation_line(&message(), Ok(&failed), &usage(), at(), at());
        assert_eq!(line.value(Metric::RunsFailed), Some(Value::Whole(1)));
        assert_eq!(line.value(Metric::RunsPaused), Some(Value::Whole(0)));
    }

    #[test]
    fn only_the_invocation_that_ends_a_run_carries_its_totals() {
        let JobOutcome::Finished(report) = finished(RunStatus::Running) else {
            unreachable!()
        };
        let continued = JobOutcome::Continued(report);
        let line = invocation_line(&message(), Ok(&continued), &usage(), at(), at());
        let document = written(&line);
        assert_valid_emf(&document);
        assert_eq!(document["Outcome"], "continued");
        assert_eq!(document["Status"], "running");
        for total in [
            "DocumentsExported",
            "RunsFinished",
            "RunDuration",
            "QuotaSpentBeforeFinish",
        ] {
            assert!(document.get(total).is_none(), "{total} in {document}");
        }
        assert_eq!(document["LedgerCalls"], 30, "the invocation's calls are");
    }

    #[test]
    fn an_invocation_without_a_ledger_or_that_failed_is_published_by_job_only() {
        let skipped = JobOutcome::Skipped("connection c is Paused".into());
        let line = invocation_line(&message(), Ok(&skipped), &[], at(), at());
        let document = written(&line);
        assert_valid_emf(&document);
        assert_eq!(document["Outcome"], "skipped");
        assert!(document.get("Ledger").is_none());
        assert!(
            declared(&document)
                .iter()
                .all(|(_, _, sets)| sets == &json!([["Job"]])),
            "no set naming a ledger the line does not have: {document}"
        );

        let error = JobError::Busy {
            job: "invoice-export",
            connection: "conn-7".into(),
        };
        let line = invocation_line(&message(), Err(&error), &usage(), at(), at());
        let document = written(&line);
        assert_eq!(document["Outcome"], "error");
        assert_eq!(document["JobErrors"], 1);
        assert_eq!(document["LedgerCalls"], 30);
        assert!(document.get("Status").is_none());
    }

    #[test]
    fn the_fleet_gauges_are_one_line_without_dimensions() {
        let mut out = Vec::new();
        let gauges = FleetGauges {
            interrupted_runs: 2,
            needs_reauth_over_day: 3,
            failed_two_nights: 1,
        };
        let summary = SweepSummary {
            connections: 40,
            interrupted: 2,
            needs_reauth_over_day: 3,
            failed_two_nights: 1,
        };
        assert_eq!(FleetGauges::from(&summary), gauges);
        emit_fleet_gauges(&mut out, at(), &gauges).unwrap();
        let document: Json = serde_json::from_slice(&out).unwrap();
        assert_valid_emf(&document);
        assert_eq!(
            document,
            json!({
                "_aws": {
                    "Timestamp": at().timestamp_millis(),
                    "CloudWatchMetrics": [{
                        "Namespace": "Koppel",
                        "Dimensions": [[]],
                        "Metrics": [
                            {"Name": "InterruptedRuns", "Unit": "Count"},
                            {"Name": "ConnectionsNeedingReauthOver24h", "Unit": "Count"},
                            {"Name": "ConnectionsFailedTwoNightsInRow", "Unit": "Count"},
                        ],
                    }],
                },
                "InterruptedRuns": 2,
                "ConnectionsNeedingReauthOver24h": 3,
                "ConnectionsFailedTwoNightsInRow": 1,
            })
        );
    }

    #[test]
    fn names_are_unique_and_every_ledger_has_a_dimension_value() {
        let names: std::collections::BTreeSet<_> = Metric::ALL.iter().map(|m| m.name()).collect();
        assert_eq!(names.len(), Metric::ALL.len());
        assert_eq!(ledger_dimension(LedgerKind::ExactOnline), "exact_online");
        assert_eq!(ledger_dimension(LedgerKind::Clearfacts), "clearfacts");
    }
}
