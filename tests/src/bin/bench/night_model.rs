//! The capacity model of docs/CAPACITY.md, in one place: what one connection's nightly
//! export to Exact Online costs (calls, time) and how long a fleet of `N` workers takes to
//! drain a night. The night bench (`night.rs`) prints this paper figure beside what it
//! measured for the same inputs; docs/CAPACITY.md quotes the formula and its table.
//!
//! Per connection with `n` documents, for the export's settings (`Costs`: the product's
//! default attaches each document's PDF in Exact, which costs two more Exact calls and one
//! more Teamleader call per document):
//!
//! ```text
//! C_x(n) = a_x + b_x·n                  Exact calls in the quota: reference reads (a_x = 4);
//!                                       per document the entry, the PDF's document and
//!                                       attachment, customer creates and look-ups
//!                                       (b_x = 3.156 with the PDF, 1.156 without)
//! C_t(n) = a_t + b_t·n                  Teamleader calls: setup reads, lists (a_t = 7); per
//!                                       document `*.info`, the PDF's download, customer
//!                                       numbers written (b_t = 2.128 with, 1.128 without)
//! L(n)   = (C_x + 1)·l_x + (C_t + 1 + f·n)·l_t + (s_0 + s_1·n)·l_s + (v_r + v_w)·l_v
//!                                       latency-bound time: every call one after the other,
//!                                       a token refresh each, the PDF files fetched (f per
//!                                       document), store and vault calls
//! R(C, Q) = L·Q/C + (C − Q)·60 s/Q      rate-bound time when C > Q calls per clock minute:
//!                                       the minutes of quota the calls beyond the first
//!                                       window need, plus the last window's share of L
//! T(n)   = max(L(n), R(C_x(n), 60), R(C_t(n), 200))
//!          + the per-run calls again for each 840 s of Lambda time beyond the first
//! ```
//!
//! A fleet of `N` workers (one connection per invocation) over connections of
//! `n_1 … n_k` documents, in the order the dispatcher queued them:
//!
//! ```text
//! drain(N) = the makespan of T(n_1) … T(n_k) handed in that order, each to the worker
//!            free first (SQS FIFO and Lambda's pollers);
//!            Σ T(n_i) / N  ≤  drain(N)  ≤  Σ T(n_i) / N + max T(n_i)
//! accounts per night(N) = N × W / E[T]         W = the night's window
//! ```
//!
//! The API calls per run and per document are the figures in docs/PERFORMANCE.md (a first
//! export: every customer new); the store and vault calls were counted by this bench; the
//! latencies and the document distribution are assumptions (docs/CAPACITY.md says why).

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Assumed round trip of one Teamleader Focus API call from a Lambda in the EU.
pub const TEAMLEADER_LATENCY: Duration = Duration::from_millis(150);
/// Assumed round trip of one Exact Online REST call (entries are POSTs with lines).
pub const EXACT_LATENCY: Duration = Duration::from_millis(350);
/// Assumed DynamoDB call (single-digit milliseconds, conditional writes included).
pub const DYNAMODB_LATENCY: Duration = Duration::from_millis(8);
/// Assumed Secrets Manager call.
pub const SECRETS_LATENCY: Duration = Duration::from_millis(20);
/// Assumed SQS `SendMessageBatch` call (10 messages).
pub const SQS_LATENCY: Duration = Duration::from_millis(20);

/// What one connection's export costs, in calls per run and per document.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Costs {
    /// What the settings are, in words.
    pub name: &'static str,
    /// Exact calls in the quota per run (the four reference reads, PERFORMANCE.md).
    pub exact_per_run: f64,
    /// Exact calls in the quota per document (PERFORMANCE.md, first export: every customer
    /// new, 0.143 creates and 0.011 look-ups a document).
    pub exact_per_doc: f64,
    /// Exact token refreshes per run (outside the quota; the access token lives 10 minutes).
    pub exact_tokens_per_run: f64,
    /// Teamleader calls per run: 3 setup reads, the invoice and credit-note lists, a page of
    /// companies and one of contacts.
    pub teamleader_per_run: f64,
    /// Teamleader calls per document: `*.info`, the PDF's `*.download`, 0.128 customer
    /// numbers written (PERFORMANCE.md).
    pub teamleader_per_doc: f64,
    /// Teamleader token refreshes per run (the access token lives an hour).
    pub teamleader_tokens_per_run: f64,
    /// Files fetched from Teamleader's temporary download location per document (no API
    /// call, one round trip).
    pub files_per_doc: f64,
    /// Store (DynamoDB) calls per run, counted by the night bench.
    pub store_per_run: f64,
    /// Store calls per document, counted by the night bench.
    pub store_per_doc: f64,
    /// Store writes per run, counted by the night bench.
    pub store_writes_per_run: f64,
    /// Store writes per document, counted by the night bench.
    pub store_writes_per_doc: f64,
    /// Secrets Manager reads per run, counted by the night bench.
    pub vault_reads_per_run: f64,
    /// Secrets Manager writes per run (one per token refresh), counted by the night bench.
    pub vault_writes_per_run: f64,
}

/// The product's default settings (`suggest_settings`: the PDF attached in Exact).
pub const WITH_PDF: Costs = Costs {
    name: "PDF attached (default)",
    exact_per_run: 4.0,
    exact_per_doc: 3.156,
    exact_tokens_per_run: 1.0,
    teamleader_per_run: 7.0,
    teamleader_per_doc: 2.128,
    teamleader_tokens_per_run: 1.0,
    files_per_doc: 1.0,
    store_per_run: 15.0,
    store_per_doc: 4.0,
    store_writes_per_run: 10.0,
    store_writes_per_doc: 2.5,
    vault_reads_per_run: 4.0,
    vault_writes_per_run: 2.0,
};

/// Without the PDF (a setting on the connection page).
pub const WITHOUT_PDF: Costs = Costs {
    name: "no PDF",
    exact_per_doc: 1.156,
    teamleader_per_doc: 1.128,
    files_per_doc: 0.0,
    ..WITH_PDF
};

/// Exact's quota per company (division) and clock-aligned minute (exact-online.md).
pub const EXACT_PER_MINUTE: f64 = 60.0;
/// Exact's quota per company and UTC day (exact-online.md).
pub const EXACT_PER_DAY: f64 = 5_000.0;
/// Teamleader's quota per integration and account, sliding minute (teamleader-focus.md).
pub const TEAMLEADER_PER_MINUTE: f64 = 200.0;
/// Lambda's timeout for the export (template.yaml).
pub const LAMBDA_TIMEOUT_SECONDS: f64 = 900.0;
/// What an invocation works before it hands over (the runtime's 60 s margin).
pub const WORK_PER_INVOCATION_SECONDS: f64 = LAMBDA_TIMEOUT_SECONDS - 60.0;

/// The night's window: 02:00 (the schedule, Europe/Brussels) to 07:00.
pub const NIGHT_WINDOW_SECONDS: f64 = 5.0 * 3600.0;
/// Median documents per connection per night (lognormal).
pub const DOCS_MEDIAN: f64 = 12.0;
/// Spread of the lognormal (σ of the logarithm): p10 ≈ 4, p90 ≈ 38, mean ≈ 18, p99 ≈ 97.
pub const DOCS_SIGMA: f64 = 0.9;

/// Lambda's concurrent executions per account and Region (default, adjustable).
pub const LAMBDA_ACCOUNT_CONCURRENCY: f64 = 1_000.0;
/// Highest `MaximumConcurrency` of an SQS event source (and of `WorkerMaximumConcurrency`).
pub const EVENT_SOURCE_MAX_CONCURRENCY: f64 = 1_000.0;
/// Secrets Manager: `PutSecretValue` (with `UpdateSecret` …) per second and Region, fixed.
pub const SECRETS_WRITES_PER_SECOND: f64 = 50.0;
/// DynamoDB on demand: write request units per second a new table takes at once.
pub const DYNAMODB_NEW_TABLE_WRITES_PER_SECOND: f64 = 4_000.0;
/// SQS FIFO: calls per second per API action without batching (receive, delete).
pub const SQS_FIFO_CALLS_PER_SECOND: f64 = 300.0;

/// One connection's night on paper.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ConnectionNight {
    /// Exact calls in the quota.
    pub exact_calls: f64,
    /// Teamleader API calls.
    pub teamleader_calls: f64,
    /// Latency-bound time (s).
    pub latency_seconds: f64,
    /// Rate-bound time (s), 0 when the quotas never bind.
    pub rate_seconds: f64,
    /// Invocations (more than one past 840 s of work).
    pub invocations: f64,
    /// Time to export it (s): the larger bound, plus restarts.
    pub seconds: f64,
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Time the per-run calls take (what each continuation pays again).
fn per_run_latency(c: &Costs) -> f64 {
    (c.exact_per_run + c.exact_tokens_per_run) * secs(EXACT_LATENCY)
        + (c.teamleader_per_run + c.teamleader_tokens_per_run) * secs(TEAMLEADER_LATENCY)
        + c.store_per_run * secs(DYNAMODB_LATENCY)
        + (c.vault_reads_per_run + c.vault_writes_per_run) * secs(SECRETS_LATENCY)
}

/// `R(C, Q)`: the rate-bound time of `calls` at `per_minute` per clock minute, when the
/// calls without the quota would take `latency` seconds.
pub fn rate_bound(calls: f64, per_minute: f64, latency: f64) -> f64 {
    if calls <= per_minute {
        return 0.0;
    }
    latency * per_minute / calls + (calls - per_minute) * 60.0 / per_minute
}

/// `T(n)`: one connection's night with `docs` documents.
pub fn connection_night(c: &Costs, docs: f64) -> ConnectionNight {
    let exact_calls = c.exact_per_run + c.exact_per_doc * docs;
    let teamleader_calls = c.teamleader_per_run + c.teamleader_per_doc * docs;
    let latency_seconds = per_run_latency(c)
        + c.exact_per_doc * docs * secs(EXACT_LATENCY)
        + (c.teamleader_per_doc + c.files_per_doc) * docs * secs(TEAMLEADER_LATENCY)
        + c.store_per_doc * docs * secs(DYNAMODB_LATENCY);
    let rate_seconds = rate_bound(exact_calls, EXACT_PER_MINUTE, latency_seconds).max(rate_bound(
        teamleader_calls,
        TEAMLEADER_PER_MINUTE,
        latency_seconds,
    ));
    let work = latency_seconds.max(rate_seconds);
    let invocations = (work / WORK_PER_INVOCATION_SECONDS).ceil().max(1.0);
    ConnectionNight {
        exact_calls,
        teamleader_calls,
        latency_seconds,
        rate_seconds,
        invocations,
        seconds: work + (invocations - 1.0) * per_run_latency(c),
    }
}

/// Most documents one connection can export in a UTC day within Exact's daily quota.
pub fn daily_documents(c: &Costs) -> f64 {
    ((EXACT_PER_DAY - c.exact_per_run) / c.exact_per_doc).floor()
}

/// `drain(N)`: the time `workers` take to export connections of `docs` documents each,
/// queued in that order: each connection goes to the worker free first.
pub fn drain_seconds(c: &Costs, docs: &[usize], workers: usize) -> f64 {
    let mut free = vec![0.0_f64; workers.max(1)];
    for &n in docs {
        let first = free
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(b.1))
            .map_or(0, |(i, _)| i);
        free[first] += connection_night(c, n as f64).seconds;
    }
    free.into_iter().fold(0.0, f64::max)
}

/// A deterministic generator (SplitMix64): the same seed gives the same nights.
#[derive(Debug, Clone)]
pub struct Draws(u64);

impl Draws {
    /// Draws from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// Documents of one connection's night: lognormal with [`DOCS_MEDIAN`] and
    /// [`DOCS_SIGMA`], rounded.
    pub fn documents(&mut self) -> usize {
        (DOCS_MEDIAN * (DOCS_SIGMA * self.normal()).exp()).round() as usize
    }
}

/// Documents per connection for `connections` connections drawn from `seed`.
pub fn documents(seed: u64, connections: usize) -> Vec<usize> {
    let mut draws = Draws::new(seed);
    (0..connections).map(|_| draws.documents()).collect()
}

/// The fleet at `workers` concurrent workers on paper.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fleet {
    /// Workers (`WorkerMaximumConcurrency`).
    pub workers: f64,
    /// Accounts (connections) exported in the night's window: `N × W / E[T]`.
    pub accounts_per_night: f64,
    /// Documents in those nights.
    pub documents_per_night: f64,
    /// Secrets Manager writes per second while draining.
    pub secrets_writes_per_second: f64,
    /// DynamoDB writes per second while draining.
    pub dynamodb_writes_per_second: f64,
    /// SQS receive (and delete) calls per second while draining.
    pub sqs_calls_per_second: f64,
    /// Exact calls per second over all companies (no app-wide quota is documented).
    pub exact_calls_per_second: f64,
    /// The limits exceeded at this concurrency (none: only time limits the night).
    pub limits_exceeded: Vec<String>,
}

/// Mean documents and mean `T` over the distribution: `samples` deterministic draws.
pub fn distribution_means(c: &Costs, samples: usize) -> (f64, f64) {
    let docs = documents(0x6E_6967_6874, samples);
    let n = docs.len().max(1) as f64;
    let mean_docs = docs.iter().sum::<usize>() as f64 / n;
    let mean_seconds = docs
        .iter()
        .map(|&d| connection_night(c, d as f64).seconds)
        .sum::<f64>()
        / n;
    (mean_docs, mean_seconds)
}

/// The fleet at `workers` for connections averaging `mean_docs` documents and `mean_seconds`.
pub fn fleet(c: &Costs, workers: f64, mean_docs: f64, mean_seconds: f64) -> Fleet {
    let per_second = workers / mean_seconds.max(f64::EPSILON);
    let secrets = per_second * c.vault_writes_per_run;
    let dynamodb = per_second * (c.store_writes_per_run + c.store_writes_per_doc * mean_docs);
    let sqs = per_second;
    let limits = [
        (
            2.0 * workers > LAMBDA_ACCOUNT_CONCURRENCY,
            "Lambda concurrency (1,000 a Region: the export's N and the payment poll's N)",
        ),
        (
            workers > EVENT_SOURCE_MAX_CONCURRENCY,
            "SQS event source MaximumConcurrency (at most 1,000)",
        ),
        (
            secrets > SECRETS_WRITES_PER_SECOND,
            "Secrets Manager writes (50 per second, fixed)",
        ),
        (
            dynamodb > DYNAMODB_NEW_TABLE_WRITES_PER_SECOND,
            "DynamoDB on-demand writes of a new table (4,000/s, then adapts)",
        ),
        (
            sqs > SQS_FIFO_CALLS_PER_SECOND,
            "SQS FIFO calls (300/s per action unbatched)",
        ),
    ];
    Fleet {
        workers,
        accounts_per_night: per_second * NIGHT_WINDOW_SECONDS,
        documents_per_night: per_second * NIGHT_WINDOW_SECONDS * mean_docs,
        secrets_writes_per_second: secrets,
        dynamodb_writes_per_second: dynamodb,
        sqs_calls_per_second: sqs,
        exact_calls_per_second: per_second * (c.exact_per_run + c.exact_per_doc * mean_docs),
        limits_exceeded: limits
            .iter()
            .filter(|(over, _)| *over)
            .map(|(_, what)| (*what).to_owned())
            .collect(),
    }
}

/// Workers at which Secrets Manager's 50 writes a second are reached.
pub fn secrets_limit_workers(c: &Costs, mean_seconds: f64) -> f64 {
    SECRETS_WRITES_PER_SECOND * mean_seconds / c.vault_writes_per_run
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_connections_are_latency_bound_large_ones_rate_bound() {
        let small = connection_night(&WITHOUT_PDF, 12.0);
        assert_eq!(small.rate_seconds, 0.0);
        assert_eq!(small.seconds, small.latency_seconds);
        let large = connection_night(&WITHOUT_PDF, 400.0);
        assert!(large.rate_seconds > large.latency_seconds);
        // 466 calls in the quota: about 7 minutes of Exact's 60 a minute.
        assert!((large.seconds / 60.0 - 7.4).abs() < 0.6, "{large:?}");
        // The PDF triples the calls in Exact's quota: the median night is rate-bound.
        let median = connection_night(&WITH_PDF, 30.0);
        assert!(median.rate_seconds > median.latency_seconds, "{median:?}");
    }

    #[test]
    fn the_rate_bound_adds_the_minutes_beyond_the_first_window() {
        assert_eq!(rate_bound(60.0, 60.0, 30.0), 0.0);
        assert_eq!(rate_bound(120.0, 60.0, 60.0), 30.0 + 60.0);
    }

    #[test]
    fn the_drain_is_the_work_shared_plus_the_tail() {
        let docs = vec![10; 100];
        let one = connection_night(&WITH_PDF, 10.0).seconds;
        assert!((drain_seconds(&WITH_PDF, &docs, 10) - one * 10.0).abs() < 1e-9);
        assert!((drain_seconds(&WITH_PDF, &docs, 1_000) - one).abs() < 1e-9);
        // A long connection queued last ends the night on its own.
        let mut tail = vec![10; 100];
        tail.push(200);
        let long = connection_night(&WITH_PDF, 200.0).seconds;
        assert!((drain_seconds(&WITH_PDF, &tail, 10) - (one * 10.0 + long)).abs() < 1e-9);
    }

    #[test]
    fn exact_s_daily_quota_caps_a_connection_s_day() {
        assert_eq!(daily_documents(&WITHOUT_PDF), 4_321.0);
        assert_eq!(daily_documents(&WITH_PDF), 1_583.0);
    }

    #[test]
    fn the_same_seed_draws_the_same_nights() {
        assert_eq!(documents(7, 50), documents(7, 50));
        assert_ne!(documents(7, 50), documents(8, 50));
        let docs = documents(2026, 20_000);
        let mean = docs.iter().sum::<usize>() as f64 / docs.len() as f64;
        assert!((mean - 18.0).abs() < 1.0, "mean {mean}");
        let mut sorted = docs.clone();
        sorted.sort_unstable();
        assert_eq!(sorted[sorted.len() / 2], 12);
    }
}
