//! One benchmark run in this process: generate a Teamleader account of `docs` booked
//! documents, link its department to the Exact BE division, run the nightly export through
//! the real handler and measure calls, time, pacing and memory.
//!
//! The simulators run on their own runtime (own threads) and the exporter on another, so the
//! [`heap`] accounting can tell their allocations apart.

use crate::heap::{self, Part};
use crate::process_memory;
use crate::tagged_source::TaggedConnector;
use crate::tagged_store::{StorePart, TaggedStore};
use crate::thread_cpu;
use chrono::{DateTime, Utc};
use koppel_core::jobs::export::ExportOptions;
use koppel_core::{Clock, RunStatus};
use koppel_e2e::stack::{Backend, Stack, StackOptions};
use koppel_sim::{exact, teamleader};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Lambda's longest run: each handler invocation gets this much (real) time.
pub const INVOCATION_BUDGET: Duration = Duration::from_secs(900);
/// Exact's minute quota (what pacing is measured against).
pub const EXACT_PER_MINUTE: u32 = 60;
/// Teamleader's real limit, used when limits are on.
const TEAMLEADER_PER_MINUTE: u32 = 200;
/// "Off" for Teamleader's limit.
pub const TEAMLEADER_UNLIMITED: u32 = 1_000_000;

/// What to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// Booked documents (invoices + credit notes) to export.
    pub docs: usize,
    /// Attach each document's PDF to its entry.
    pub attach_pdf: bool,
    /// Exact's quotas (60/min, 5,000/day) and Teamleader's 200/min on.
    pub limits: bool,
    /// Speed of the shared clock.
    pub speed: f64,
    /// Generator seed.
    pub seed: u64,
}

impl Scenario {
    /// The Teamleader account: ~10% of the invoices credited, one customer per ~7
    /// documents (a tenth of them private contacts), a few drafts, a year of dates.
    pub fn account(&self) -> teamleader::GenerateSpec {
        let credit_notes = self.docs / 11;
        let customers = (self.docs / 7).max(1);
        let contacts = customers / 10;
        teamleader::GenerateSpec {
            seed: self.seed,
            departments: 1,
            companies: customers - contacts,
            contacts,
            invoices: self.docs - credit_notes,
            drafts: (self.docs / 100).max(1),
            credit_notes,
            paid_percent: 60,
            days: 365,
            ..Default::default()
        }
    }

    /// A short name for tables.
    pub fn label(&self) -> String {
        format!(
            "{} docs, {}, {}",
            self.docs,
            if self.attach_pdf { "PDF" } else { "no PDF" },
            if self.limits {
                format!("limits on at {}×", self.speed)
            } else {
                "limits off".to_owned()
            }
        )
    }
}

/// Exact's quota use, window by window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pacing {
    /// Exact API calls (token calls excluded) in each full clock-aligned minute of the run.
    pub window_calls: Vec<u64>,
    /// Calls in the full windows ÷ (quota × full windows); `None` when the run was shorter
    /// than a minute.
    pub full_windows: Option<f64>,
    /// All calls ÷ (quota × the run's simulated minutes), the last partial window included.
    pub whole_run: f64,
}

/// Memory figures in bytes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Memory {
    /// Process RSS before anything was built.
    pub rss_start: Option<u64>,
    /// Process RSS with the account generated and the connection made (the baseline).
    pub rss_baseline: Option<u64>,
    /// Process peak RSS up to the baseline (the account generation's peak).
    pub rss_setup_peak: Option<u64>,
    /// Process peak RSS during the export (peak reset at the baseline).
    pub rss_export_peak: Option<u64>,
    /// Whether the kernel let the peak be reset (else `rss_export_peak` is the process's).
    pub rss_peak_was_reset: bool,
    /// Simulators' heap after generation.
    pub heap_simulators_seeded: usize,
    /// Simulators' heap after the export (entries, accounts, logs added).
    pub heap_simulators_end: usize,
    /// Koppel's state (in-memory store) after the export.
    pub heap_store_end: usize,
    /// The exporter's peak heap during the export (Teamleader client included).
    pub heap_exporter_peak: usize,
    /// Peak of what the Teamleader client allocated inside its calls (results it handed
    /// to the export included) and still held.
    pub heap_teamleader_client_peak: usize,
    /// What the run's Teamleader clients still held when the run was over (their caches).
    pub heap_teamleader_client_retained: usize,
    /// The exporter's heap after the export.
    pub heap_exporter_end: usize,
    /// Peak of the whole heap during the export.
    pub heap_total_peak: usize,
}

/// What one run measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// The scenario.
    pub scenario: Scenario,
    /// Booked documents in the generated account.
    pub documents: usize,
    /// Documents the run report says were exported.
    pub exported: u32,
    /// Customers created in Exact.
    pub customers_created: u32,
    /// Handler invocations the run took.
    pub invocations: u32,
    /// Wall seconds to generate the account.
    pub generate_seconds: f64,
    /// Wall seconds from dispatch to the drained queue.
    pub export_seconds: f64,
    /// The same span on the shared (simulated) clock.
    pub sim_seconds: f64,
    /// CPU seconds the exporter's threads used during the export.
    pub exporter_cpu_seconds: f64,
    /// CPU seconds the simulators' threads used during the export.
    pub simulators_cpu_seconds: f64,
    /// Exact calls during the export per "METHOD resource" (token calls included).
    pub exact_calls: BTreeMap<String, u64>,
    /// Exact calls answered 429.
    pub exact_429: u64,
    /// Teamleader calls during the export per endpoint (token calls included).
    pub teamleader_calls: BTreeMap<String, u64>,
    /// Teamleader calls answered 429.
    pub teamleader_429: u64,
    /// Quota use (limits on only).
    pub pacing: Option<Pacing>,
    /// Memory.
    pub memory: Memory,
}

/// Why a run could not be measured.
#[derive(Debug)]
pub enum RunError {
    /// A runtime could not be built.
    Runtime(std::io::Error),
    /// The export did not do what it must (the numbers would be meaningless).
    Export(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Runtime(e) => write!(f, "could not start a tokio runtime: {e}"),
            Self::Export(why) => write!(f, "the export went wrong, no figures: {why}"),
        }
    }
}

impl std::error::Error for RunError {}

/// Thread names of the two runtimes.
pub const SIMULATOR_THREADS: &str = "sims";
pub const EXPORTER_THREADS: &str = "exporter";

/// A one-thread runtime whose allocations count for `part`.
pub fn runtime(name: &str, part: Part) -> Result<tokio::runtime::Runtime, RunError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(name)
        .on_thread_start(move || heap::set_part(part))
        .enable_all()
        .build()
        .map_err(RunError::Runtime)
}

/// Exact calls that count against the quota (OAuth excluded).
pub fn exact_api_calls(calls: &BTreeMap<String, u64>) -> u64 {
    calls
        .iter()
        .filter(|(key, _)| !key.contains("oauth2"))
        .map(|(_, n)| n)
        .sum()
}

/// Calls per key made between two snapshots of a simulator's counters.
pub fn delta(
    after: &BTreeMap<String, u64>,
    before: &BTreeMap<String, u64>,
) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, v)| *v > 0)
        .collect()
}

fn teamleader_429s(stack: &Stack, since: DateTime<Utc>) -> u64 {
    stack
        .teamleader
        .requests()
        .iter()
        .filter(|r| r.at >= since && r.status == 429)
        .count() as u64
}

fn booked_documents(stack: &Stack) -> usize {
    stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            a.invoices.values().filter(|i| i.number.is_some()).count() + a.credit_notes.len()
        })
        .unwrap_or(0)
}

/// The next clock-aligned minute after `now`.
fn next_minute(now: DateTime<Utc>) -> DateTime<Utc> {
    let ms = now.timestamp_millis();
    let next = (ms.div_euclid(60_000) + 1) * 60_000;
    DateTime::from_timestamp_millis(next).unwrap_or(now)
}

/// Exact's API call count at minute boundaries of the shared clock.
type Samples = Arc<Mutex<Vec<(DateTime<Utc>, u64)>>>;

/// Sample Exact's API call count at every minute boundary of the shared clock.
fn watch_windows(
    stack: &Stack,
    samples: Samples,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let clock = stack.clock.clone();
    let exact = stack.exact.control();
    async move {
        loop {
            let now = clock.now();
            let boundary = next_minute(now);
            clock
                .sleep((boundary - now).to_std().unwrap_or_default())
                .await;
            let _other = heap::enter(Part::Other);
            let calls = exact_api_calls(&exact.stats().requests);
            samples
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push((boundary, calls));
        }
    }
}

/// Run `scenario` in this process.
pub fn run(scenario: &Scenario) -> Result<Measurement, RunError> {
    let rss_start = process_memory::read().current;
    let sims = runtime(SIMULATOR_THREADS, Part::Simulators)?;
    let exporter = runtime(EXPORTER_THREADS, Part::Exporter)?;

    heap::set_part(Part::Simulators);
    let generating = Instant::now();
    let stack = sims.block_on(Stack::start(StackOptions {
        speed: scenario.speed,
        virtual_time: false,
        exact_limits: scenario.limits.then(exact::RateLimits::default),
        teamleader_limit: if scenario.limits {
            TEAMLEADER_PER_MINUTE
        } else {
            TEAMLEADER_UNLIMITED
        },
        generate: scenario.account(),
        attach_pdf: scenario.attach_pdf,
        backend: Backend::Memory,
    }));
    let generate_seconds = generating.elapsed().as_secs_f64();
    heap::set_part(Part::Other);
    let documents = booked_documents(&stack);
    let heap_simulators_seeded = heap::bytes(Part::Simulators).live;

    let department = stack
        .departments()
        .first()
        .cloned()
        .ok_or_else(|| RunError::Export("the generated account has no department".into()))?;
    let connection = exporter.block_on(stack.connect(&department, exact::DEFAULT_BE_DIVISION));
    if scenario.limits {
        // Start on a fresh Exact minute window, so the first window is a whole one.
        let now = stack.clock.now();
        let wait = (next_minute(now) - now + chrono::Duration::milliseconds(100))
            .to_std()
            .unwrap_or_default();
        exporter.block_on(stack.clock.sleep(wait));
    }

    let connector = Arc::new(TaggedConnector::new(stack.connector.clone()));
    let function = {
        let mut function = stack.export_function(ExportOptions::default());
        function.store = Arc::new(TaggedStore::new(stack.aws.store.clone(), StorePart));
        function.connector = connector.clone();
        function
    };
    let setup_rss = process_memory::read();
    let rss_peak_was_reset = process_memory::reset_peak();
    heap::reset_peaks();
    let exact_before = stack.exact.stats();
    let teamleader_before = stack.teamleader.request_counts();
    let sim_start = stack.clock.now();
    let samples: Samples = Arc::new(Mutex::new(vec![(
        sim_start,
        exact_api_calls(&exact_before.requests),
    )]));

    heap::set_part(Part::Exporter);
    let cpu_before = thread_cpu::by_thread_name();
    let wall = Instant::now();
    let drained = exporter.block_on(async {
        let watcher = scenario
            .limits
            .then(|| tokio::spawn(watch_windows(&stack, samples.clone())));
        stack.dispatch_nightly().await;
        let drained = stack.drain_exports(&function, INVOCATION_BUDGET).await;
        if let Some(watcher) = watcher {
            watcher.abort();
        }
        drained
    });
    let export_seconds = wall.elapsed().as_secs_f64();
    let cpu_after = thread_cpu::by_thread_name();
    let sim_end = stack.clock.now();
    heap::set_part(Part::Other);
    // The run is over; what the Teamleader clients still hold is their caches.
    let heap_teamleader_client_retained = heap::bytes(Part::TeamleaderClient).live;
    connector.release();
    drop(function);

    let rss = process_memory::read();
    let heap_total_peak = heap::total().peak;
    let exporter_heap = heap::exporter();
    let teamleader_client_heap = heap::bytes(Part::TeamleaderClient);
    let exact_after = stack.exact.stats();
    let exact_calls = delta(&exact_after.requests, &exact_before.requests);
    let teamleader_calls = delta(&stack.teamleader.request_counts(), &teamleader_before);
    let sim_seconds = (sim_end - sim_start).as_seconds_f64();

    let report = exporter
        .block_on(stack.aws.store.run_reports(&connection.id, 1))
        .map_err(|e| RunError::Export(e.to_string()))?
        .into_iter()
        .next()
        .ok_or_else(|| RunError::Export("no run report was written".into()))?;
    let entries = stack.exact.entries(exact::DEFAULT_BE_DIVISION).len();
    if report.status != RunStatus::Succeeded
        || report.export_counts().exported as usize != documents
        || entries != documents
        || drained.failed_messages > 0
    {
        return Err(RunError::Export(format!(
            "{documents} booked documents, {} exported, {entries} entries in Exact, {} failed messages, Exact calls {exact_calls:?}; run {:?}: {}; first issues: {:?}",
            report.export_counts().exported,
            drained.failed_messages,
            report.status,
            report.message.clone().unwrap_or_default(),
            report.issues.iter().take(3).collect::<Vec<_>>()
        )));
    }

    let pacing = scenario.limits.then(|| {
        // A sample taken after the run ended (before the watcher stopped) is no full window.
        let counts: Vec<u64> = samples
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .filter(|(at, _)| *at <= sim_end)
            .map(|(_, calls)| *calls)
            .collect();
        pacing(&counts, exact_api_calls(&exact_calls), sim_seconds)
    });
    let measurement = Measurement {
        scenario: scenario.clone(),
        documents,
        exported: report.export_counts().exported,
        customers_created: report.export_counts().customers_created,
        invocations: drained.invocations,
        generate_seconds,
        export_seconds,
        sim_seconds,
        exporter_cpu_seconds: thread_cpu::spent(&cpu_before, &cpu_after, thread_cpu::MAIN)
            + thread_cpu::spent(&cpu_before, &cpu_after, EXPORTER_THREADS),
        simulators_cpu_seconds: thread_cpu::spent(&cpu_before, &cpu_after, SIMULATOR_THREADS),
        exact_calls,
        exact_429: exact_after.rate_limited - exact_before.rate_limited,
        teamleader_429: teamleader_429s(&stack, sim_start),
        teamleader_calls,
        pacing,
        memory: Memory {
            rss_start,
            rss_baseline: setup_rss.current,
            rss_setup_peak: setup_rss.peak,
            rss_export_peak: rss.peak,
            rss_peak_was_reset,
            heap_simulators_seeded,
            heap_simulators_end: heap::bytes(Part::Simulators).live,
            heap_store_end: heap::bytes(Part::Store).live,
            heap_exporter_peak: exporter_heap.peak,
            heap_teamleader_client_peak: teamleader_client_heap.peak,
            heap_teamleader_client_retained,
            heap_exporter_end: exporter_heap.live,
            heap_total_peak,
        },
    };
    {
        // The simulators' servers stop when dropped; that needs their runtime.
        let _sims = sims.enter();
        drop(stack);
    }
    Ok(measurement)
}

/// Quota use from the call counts sampled at each minute boundary (the first sample is the
/// count at the start, on a boundary).
fn pacing(samples: &[u64], calls: u64, sim_seconds: f64) -> Pacing {
    let window_calls: Vec<u64> = samples.windows(2).map(|w| w[1] - w[0]).collect();
    let quota = f64::from(EXACT_PER_MINUTE);
    let full_windows = (!window_calls.is_empty())
        .then(|| window_calls.iter().sum::<u64>() as f64 / (quota * window_calls.len() as f64));
    Pacing {
        window_calls,
        full_windows,
        whole_run: calls as f64 / (quota * sim_seconds / 60.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacing_counts_full_windows_and_the_whole_run() {
        let p = pacing(&[0, 60, 120, 177], 190, 4.0 * 60.0);
        assert_eq!(p.window_calls, vec![60, 60, 57]);
        assert_eq!(p.full_windows, Some(177.0 / 180.0));
        assert!((p.whole_run - 190.0 / 240.0).abs() < 1e-9);
        assert_eq!(pacing(&[5], 5, 30.0).full_windows, None);
    }

    #[test]
    fn the_account_has_the_asked_number_of_documents() {
        for docs in [1_000, 10_000] {
            let spec = Scenario {
                docs,
                attach_pdf: false,
                limits: false,
                speed: 1.0,
                seed: 1,
            }
            .account();
            assert_eq!(spec.invoices + spec.credit_notes, docs);
            assert_eq!(spec.companies + spec.contacts, docs / 7);
        }
    }

    #[test]
    fn minutes_are_clock_aligned() {
        let at = DateTime::parse_from_rfc3339("2026-03-01T12:15:10.5Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(next_minute(at).to_rfc3339(), "2026-03-01T12:16:00+00:00");
    }
}
