//! The Twinfield part of the benchmark, each run in a fresh child process
//! (`--child-twinfield`) like the others:
//!
//! - **export** of the same generated account as Exact's and Octopus's export runs
//!   ([`Scenario::account`]: ~10 % credit notes, one customer per 7 documents, a year of
//!   dates) to the Twinfield simulator's Belgian office ([`OFFICE`]) through the real export
//!   handler (`Stack::dispatch_nightly` + `Stack::drain_exports`): every request the simulator
//!   counted during the export (its `stats()`: SOAP calls by ProcessXml root and finder type,
//!   token and validation calls), the credits spent, the 429s, the simulated minutes the run
//!   took (Koppel paces itself within 1,000 credits a minute), and Teamleader's calls;
//! - **payment poll** of `docs` open documents, built the way Exact's and Octopus's poll runs
//!   build them: the same account exported first through the real handler, then a few percent
//!   of the transactions matched in the simulator (`match_transaction`: invoices and credit
//!   notes in full, some invoices in part); the calls and credits of the poll that marks them
//!   paid and of the next poll that finds nothing new.
//!
//! Every run is on virtual time (the clock moves only when something waits on it: Koppel's
//! credit pacer, the rate gates, the drain's redelivery), so the figures — simulated minutes
//! included — depend on the account and the limits, never on this machine's speed.
//!
//! Fair use: Koppel paces itself at its share of the credits (half of Twinfield's 1,000 a
//! clock minute); the simulator enforces Twinfield's limit and one request at a time, and the
//! bench also counts, per clock minute as the simulator does, the credits it receives
//! ([`CreditMinutes`]): a minute over [`twinfield::DEFAULT_CREDITS_PER_MINUTE`] or any 429
//! fails the bench.

use crate::heap::Part;
use crate::scenario::{
    EXPORTER_THREADS, INVOCATION_BUDGET, RunError, SIMULATOR_THREADS, Scenario,
    TEAMLEADER_UNLIMITED, delta, runtime,
};
use koppel_core::jobs::export::ExportOptions;
use koppel_core::{Clock, JobKind, RunReport, RunStatus};
use koppel_e2e::stack::{Backend, Stack, StackOptions};
use koppel_sim::teamleader;
use koppel_sim::twinfield::{self, fairuse};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// The office every run books in (the simulator's seeded Belgian office: its revenue
/// accounts and VAT codes match the generated Teamleader account).
pub const OFFICE: &str = twinfield::OFFICE_BE;

/// The simulator's credit ceiling during the runs: Twinfield's own.
pub const SIM_CREDITS_PER_MINUTE: u32 = twinfield::DEFAULT_CREDITS_PER_MINUTE;

/// Of every 100 invoices booked before the poll, these are matched in full …
const FULL_INVOICES: [usize; 3] = [0, 33, 66];
/// … and this one for half its amount.
const PART_INVOICE: usize = 50;
/// Of every 100 credit notes, these are matched in full.
const FULL_CREDIT_NOTES: [usize; 3] = [0, 33, 66];

/// One Twinfield run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TwinfieldScenario {
    /// The nightly export of an account of `docs` booked documents.
    Export {
        /// Booked documents.
        docs: usize,
        /// Generator seed.
        seed: u64,
    },
    /// The payment poll over `docs` exported, open documents.
    PaymentPoll {
        /// Booked (then exported, open) documents.
        docs: usize,
        /// Generator seed.
        seed: u64,
    },
}

impl TwinfieldScenario {
    /// For people.
    pub fn label(&self) -> String {
        match self {
            Self::Export { docs, .. } => format!("Twinfield export, {docs} docs"),
            Self::PaymentPoll { docs, .. } => format!("Twinfield payment poll, {docs} open"),
        }
    }
}

/// What the simulator counted between two snapshots of its statistics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TwinfieldCalls {
    /// Every request, by the simulator's key: `processxml` and `finder` (every SOAP call,
    /// refused ones included), `processxml:<root>` (`transactions`, `dimensions`, `read`,
    /// `columns` = browse), `finder:<type>` (`DIM`, `TRS`, `VAT`, `PRD`, …), `token`,
    /// `accesstokenvalidation`, `authorize`, `userinfo`.
    pub by_endpoint: BTreeMap<String, u64>,
    /// Fair-use credits spent.
    pub credits: u64,
    /// Answers 429 (credits of the minute spent, or a second request in flight).
    pub rate_limited: u64,
    /// Transactions booked.
    pub transactions_booked: u64,
    /// Transactions refused.
    pub transactions_refused: u64,
    /// Customers (DEB dimensions) created.
    pub dimensions_created: u64,
    /// Token pairs issued (refreshes).
    pub tokens_issued: u64,
    /// SOAP faults answered.
    pub soap_faults: u64,
}

impl TwinfieldCalls {
    fn between(after: &twinfield::SimStats, before: &twinfield::SimStats) -> Self {
        Self {
            by_endpoint: delta(&after.requests, &before.requests),
            credits: after.credits_spent - before.credits_spent,
            rate_limited: after.rate_limited - before.rate_limited,
            transactions_booked: after.transactions_booked - before.transactions_booked,
            transactions_refused: after.transactions_refused - before.transactions_refused,
            dimensions_created: after.dimensions_created - before.dimensions_created,
            tokens_issued: after.tokens_issued - before.tokens_issued,
            soap_faults: after.soap_faults - before.soap_faults,
        }
    }

    /// Requests counted under `key`.
    pub fn get(&self, key: &str) -> u64 {
        self.by_endpoint.get(key).copied().unwrap_or(0)
    }

    /// SOAP calls (ProcessXml + finder), the ones fair use counts.
    pub fn soap(&self) -> u64 {
        self.get("processxml") + self.get("finder")
    }

    /// Sign-in calls: token grants and access-token validations (free of credits).
    pub fn sign_in(&self) -> u64 {
        self.get("token")
            + self.get("accesstokenvalidation")
            + self.get("authorize")
            + self.get("userinfo")
    }

    /// Every request: SOAP and sign-in.
    pub fn total(&self) -> u64 {
        self.soap() + self.sign_in()
    }

    /// ProcessXml calls with root `root` (the singular root counted too: `transactions` also
    /// counts `transaction`, `dimensions` also `dimension`).
    pub fn process_xml(&self, root: &str) -> u64 {
        let single = root.strip_suffix('s').filter(|_| root != "columns");
        self.get(&format!("processxml:{root}"))
            + single.map_or(0, |s| self.get(&format!("processxml:{s}")))
    }

    /// Finder searches (pages) of type `kind`.
    pub fn finder(&self, kind: &str) -> u64 {
        self.get(&format!("finder:{kind}"))
    }

    /// Credits by what the calls were, from the simulator's prices (finder 1, ProcessXml
    /// `read`/`columns` 1, anything else 3): `finder`, `processxml:<root>`.
    pub fn credits_by_endpoint(&self) -> BTreeMap<String, u64> {
        self.by_endpoint
            .iter()
            .filter_map(|(key, n)| {
                if let Some(root) = key.strip_prefix("processxml:") {
                    Some((key.clone(), n * u64::from(fairuse::process_xml_cost(root))))
                } else if key.starts_with("finder:") {
                    Some((key.clone(), n * u64::from(fairuse::QUERY_CREDITS)))
                } else {
                    None
                }
            })
            .collect()
    }
}

/// The credits the simulator received per clock minute (its fair-use window).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditMinutes {
    /// Clock minutes in which credits were spent.
    pub minutes: u32,
    /// The most credits in one clock minute.
    pub max: u64,
    /// Minutes with more than [`twinfield::DEFAULT_CREDITS_PER_MINUTE`] credits (where
    /// Twinfield would have answered 429).
    pub over: u32,
    /// Credits above the limit, summed over those minutes.
    pub excess: u64,
    /// Times the shared clock moved during the run.
    pub clock_moves: u32,
}

/// Samples of the simulator's credits, each taken right after the virtual clock moved.
type Samples = Arc<Mutex<Vec<(chrono::DateTime<chrono::Utc>, u64)>>>;

/// Watches the virtual clock (without moving it) and samples the credits spent whenever it
/// moves: the credits between two samples were spent at the earlier sample's time. It runs on
/// the exporter's runtime (one thread): a sleeper moves the clock, wakes the watch and yields,
/// so the watch samples before the sleeper sends its next request (none is in flight while
/// Koppel's pacer sleeps: one request at a time). On the simulators' thread it would race
/// with the requests that thread serves.
struct MinuteWatch {
    samples: Samples,
    task: tokio::task::JoinHandle<()>,
}

impl MinuteWatch {
    fn start(jobs: &tokio::runtime::Runtime, stack: &Stack) -> Self {
        let clock = stack.clock.clone();
        let control = stack.twinfield.control();
        let samples: Samples = Arc::new(Mutex::new(vec![(
            clock.now(),
            control.stats().credits_spent,
        )]));
        let shared = Arc::clone(&samples);
        let task = jobs.spawn(async move {
            loop {
                let now = clock.now();
                clock.reached(now + chrono::Duration::milliseconds(1)).await;
                let sample = (clock.now(), control.stats().credits_spent);
                shared
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(sample);
            }
        });
        Self { samples, task }
    }

    fn finish(self, stack: &Stack) -> CreditMinutes {
        self.task.abort();
        let mut samples =
            std::mem::take(&mut *self.samples.lock().unwrap_or_else(PoisonError::into_inner));
        samples.push((stack.clock.now(), stack.twinfield.stats().credits_spent));
        let clock_moves = samples.len().saturating_sub(2) as u32;
        let mut by_minute: BTreeMap<i64, u64> = BTreeMap::new();
        for pair in samples.windows(2) {
            let ((at, before), (_, after)) = (pair[0], pair[1]);
            let spent = after.saturating_sub(before);
            if spent > 0 {
                *by_minute.entry(at.timestamp().div_euclid(60)).or_default() += spent;
            }
        }
        let limit = u64::from(twinfield::DEFAULT_CREDITS_PER_MINUTE);
        CreditMinutes {
            minutes: by_minute.len() as u32,
            max: by_minute.values().copied().max().unwrap_or(0),
            over: by_minute.values().filter(|c| **c > limit).count() as u32,
            excess: by_minute.values().map(|c| c.saturating_sub(limit)).sum(),
            clock_moves,
        }
    }
}

/// What an export run measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportFigures {
    /// Booked documents in the generated account.
    pub documents: usize,
    /// Documents the run report says were exported.
    pub exported: u32,
    /// Customers the run report says were created.
    pub customers_created: u32,
    /// Customers matched to an existing DEB dimension.
    pub customers_matched: u32,
    /// Teamleader customers (companies and contacts) in the generated account.
    pub customers: usize,
    /// Handler invocations the run took.
    pub invocations: u32,
    /// Twinfield requests during the export.
    pub twinfield: TwinfieldCalls,
    /// Credits per clock minute during the export.
    pub minutes: CreditMinutes,
    /// Simulated seconds from dispatch to the drained queue.
    pub simulated_seconds: f64,
    /// Teamleader calls during the export, by endpoint (token calls included).
    pub teamleader_calls: BTreeMap<String, u64>,
    /// Wall seconds from dispatch to the drained queue.
    pub seconds: f64,
}

/// What a payment-poll run measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PollFigures {
    /// Documents exported before the poll (all open).
    pub exported: u32,
    /// Handler invocations of that export.
    pub export_invocations: u32,
    /// Twinfield requests of that export.
    pub export_twinfield: TwinfieldCalls,
    /// Credits per clock minute during that export.
    pub export_minutes: CreditMinutes,
    /// Simulated seconds of that export.
    pub export_simulated_seconds: f64,
    /// Transactions matched in full in the simulator before the poll (invoices, credit
    /// notes).
    pub matched_full: (u32, u32),
    /// Invoices matched in part.
    pub matched_part: u32,
    /// Open documents the poll checked.
    pub open: u32,
    /// Invoices marked fully paid.
    pub marked_paid: u32,
    /// Invoices marked partly paid.
    pub partly_paid: u32,
    /// Twinfield requests of the poll.
    pub twinfield: TwinfieldCalls,
    /// Credits per clock minute during both polls.
    pub minutes: CreditMinutes,
    /// Simulated seconds of the poll.
    pub simulated_seconds: f64,
    /// Teamleader calls of the poll, by endpoint.
    pub teamleader_calls: BTreeMap<String, u64>,
    /// Twinfield requests of the next poll (nothing new).
    pub next_twinfield: TwinfieldCalls,
    /// Teamleader calls of the next poll, by endpoint.
    pub next_teamleader_calls: BTreeMap<String, u64>,
    /// Wall seconds of the poll.
    pub seconds: f64,
}

/// What a Twinfield run measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TwinfieldMeasurement {
    /// See [`TwinfieldScenario::Export`].
    Export(ExportFigures),
    /// See [`TwinfieldScenario::PaymentPoll`].
    PaymentPoll(Box<PollFigures>),
}

/// Run `scenario` in this process.
pub fn run(scenario: &TwinfieldScenario) -> Result<TwinfieldMeasurement, RunError> {
    match scenario {
        TwinfieldScenario::Export { docs, seed } => {
            export(*docs, *seed).map(TwinfieldMeasurement::Export)
        }
        TwinfieldScenario::PaymentPoll { docs, seed } => {
            poll(*docs, *seed).map(|p| TwinfieldMeasurement::PaymentPoll(Box::new(p)))
        }
    }
}

/// A stack on virtual time without Teamleader's limit, Twinfield's credit ceiling raised
/// ([`SIM_CREDITS_PER_MINUTE`]; one request at a time stays), Koppel's state in memory, the
/// simulators on their own runtime.
fn stack(sims: &tokio::runtime::Runtime, generate: teamleader::GenerateSpec) -> Stack {
    crate::heap::set_part(Part::Simulators);
    let stack = sims.block_on(Stack::start(StackOptions {
        speed: 1.0,
        virtual_time: true,
        exact_limits: None,
        teamleader_limit: TEAMLEADER_UNLIMITED,
        generate,
        attach_pdf: false,
        backend: Backend::Memory,
    }));
    stack.twinfield.set_fair_use(twinfield::FairUse {
        credits_per_minute: SIM_CREDITS_PER_MINUTE,
        ..twinfield::FairUse::default()
    });
    crate::heap::set_part(Part::Other);
    stack
}

fn failed(what: &str, report: &RunReport) -> RunError {
    RunError::Export(format!(
        "{what}: {:?} {}; counts {:?}; first issues {:?}",
        report.status,
        report.message.clone().unwrap_or_default(),
        report.counts,
        report.issues.iter().take(3).collect::<Vec<_>>()
    ))
}

fn booked_documents(stack: &Stack) -> usize {
    stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            a.invoices.values().filter(|i| i.number.is_some()).count() + a.credit_notes.len()
        })
        .unwrap_or(0)
}

fn simulated_since(stack: &Stack, start: chrono::DateTime<chrono::Utc>) -> f64 {
    (stack.clock.now() - start).num_milliseconds() as f64 / 1_000.0
}

/// What [`export_all`] measured.
struct Exported {
    report: RunReport,
    calls: TwinfieldCalls,
    minutes: CreditMinutes,
    invocations: u32,
    simulated_seconds: f64,
    seconds: f64,
}

/// Export everything through the real handler, as the nightly schedule does; the report
/// and the Twinfield requests it took.
fn export_all(
    stack: &Stack,
    jobs: &tokio::runtime::Runtime,
    connection: &koppel_core::Connection,
) -> Result<Exported, RunError> {
    let function = stack.export_function(ExportOptions::default());
    let before = stack.twinfield.stats();
    let watch = MinuteWatch::start(jobs, stack);
    let start = stack.clock.now();
    let wall = Instant::now();
    let drained = jobs.block_on(async {
        stack.dispatch_nightly().await;
        stack.drain_exports(&function, INVOCATION_BUDGET).await
    });
    let seconds = wall.elapsed().as_secs_f64();
    let simulated_seconds = simulated_since(stack, start);
    let minutes = watch.finish(stack);
    let calls = TwinfieldCalls::between(&stack.twinfield.stats(), &before);
    let report = jobs
        .block_on(stack.aws.store.run_reports(&connection.id, 1))
        .map_err(|e| RunError::Export(e.to_string()))?
        .into_iter()
        .next()
        .ok_or_else(|| RunError::Export("no run report was written".into()))?;
    let documents = booked_documents(stack);
    let transactions = stack.twinfield.transactions(OFFICE).len();
    if report.status != RunStatus::Succeeded
        || report.export_counts().exported as usize != documents
        || transactions != documents
        || drained.failed_messages > 0
    {
        return Err(RunError::Export(format!(
            "{documents} booked documents, {transactions} transactions in Twinfield, {} failed messages, Twinfield calls {:?}; {}",
            drained.failed_messages,
            calls.by_endpoint,
            failed("the export", &report)
        )));
    }
    Ok(Exported {
        report,
        calls,
        minutes,
        invocations: drained.invocations,
        simulated_seconds,
        seconds,
    })
}

fn export(docs: usize, seed: u64) -> Result<ExportFigures, RunError> {
    let sims = runtime(SIMULATOR_THREADS, Part::Simulators)?;
    let jobs = runtime(EXPORTER_THREADS, Part::Exporter)?;
    let account = Scenario {
        docs,
        attach_pdf: false,
        limits: false,
        speed: 1.0,
        seed,
    }
    .account();
    let customers = account.companies + account.contacts;
    let stack = stack(&sims, account);
    let department = stack
        .departments()
        .first()
        .cloned()
        .ok_or_else(|| RunError::Export("the generated account has no department".into()))?;
    let connection = jobs.block_on(stack.connect_twinfield(&department, OFFICE));
    let teamleader_before = stack.teamleader.request_counts();
    let exported = export_all(&stack, &jobs, &connection)?;
    let counts = exported.report.export_counts();
    let figures = ExportFigures {
        documents: booked_documents(&stack),
        exported: counts.exported,
        customers_created: counts.customers_created,
        customers_matched: counts.customers_matched,
        customers,
        invocations: exported.invocations,
        twinfield: exported.calls,
        minutes: exported.minutes,
        simulated_seconds: exported.simulated_seconds,
        teamleader_calls: delta(&stack.teamleader.request_counts(), &teamleader_before),
        seconds: exported.seconds,
    };
    let _sims = sims.enter();
    drop(stack);
    Ok(figures)
}

/// Match a few percent of the transactions in Twinfield as the accountant would: per 100
/// invoices three in full and one for half its amount, per 100 credit notes three in full.
/// Returns ((invoices, credit notes) in full, invoices in part).
fn match_some(stack: &Stack) -> Result<((u32, u32), u32), RunError> {
    let mut full = (0, 0);
    let mut part = 0;
    let day = stack.clock.now().date_naive();
    let transactions = stack.twinfield.transactions(OFFICE);
    let (credit_notes, invoices): (Vec<_>, Vec<_>) = transactions
        .iter()
        .partition(|t| t.invoice_number.starts_with("CN "));
    let matching = |t: &twinfield::Transaction, amount: Option<Decimal>| {
        stack
            .twinfield
            .match_transaction(OFFICE, &t.code, t.number, amount, day)
            .map_err(|e| RunError::Export(format!("matching in Twinfield: {e}")))
    };
    for (i, t) in invoices.iter().enumerate() {
        if FULL_INVOICES.contains(&(i % 100)) {
            matching(t, None)?;
            full.0 += 1;
        } else if i % 100 == PART_INVOICE {
            matching(t, Some((t.open_value / Decimal::TWO).round_dp(2)))?;
            part += 1;
        }
    }
    for (i, t) in credit_notes.iter().enumerate() {
        if FULL_CREDIT_NOTES.contains(&(i % 100)) {
            matching(t, None)?;
            full.1 += 1;
        }
    }
    Ok((full, part))
}

fn poll(docs: usize, seed: u64) -> Result<PollFigures, RunError> {
    let sims = runtime(SIMULATOR_THREADS, Part::Simulators)?;
    let jobs = runtime(EXPORTER_THREADS, Part::Exporter)?;
    // The same account as Exact's and Octopus's poll runs: no drafts, nothing paid yet.
    let credit_notes = docs / 11;
    let stack = stack(
        &sims,
        teamleader::GenerateSpec {
            seed,
            departments: 1,
            companies: (docs / 7).max(1),
            contacts: 0,
            invoices: docs - credit_notes,
            drafts: 0,
            credit_notes,
            paid_percent: 0,
            ..Default::default()
        },
    );
    let department = stack
        .departments()
        .first()
        .cloned()
        .ok_or_else(|| RunError::Export("the generated account has no department".into()))?;
    let connection = jobs.block_on(stack.connect_twinfield(&department, OFFICE));
    let exported = export_all(&stack, &jobs, &connection)?;
    let (matched_full, matched_part) = match_some(&stack)?;

    let twinfield_before = stack.twinfield.stats();
    let teamleader_before = stack.teamleader.request_counts();
    let start = stack.clock.now();
    let watch = MinuteWatch::start(&jobs, &stack);
    let wall = Instant::now();
    let report = jobs.block_on(stack.run_to_report(&connection.id, JobKind::PaymentPoll, "poll-1"));
    let seconds = wall.elapsed().as_secs_f64();
    let simulated_seconds = simulated_since(&stack, start);
    if report.status != RunStatus::Succeeded {
        return Err(failed("the payment poll", &report));
    }
    let twinfield_after = stack.twinfield.stats();
    let teamleader_after = stack.teamleader.request_counts();
    let next = jobs.block_on(stack.run_to_report(&connection.id, JobKind::PaymentPoll, "poll-2"));
    if next.status != RunStatus::Succeeded {
        return Err(failed("the next payment poll", &next));
    }
    let minutes = watch.finish(&stack);
    let counts = report.payment_counts();
    let figures = PollFigures {
        exported: exported.report.export_counts().exported,
        export_invocations: exported.invocations,
        export_twinfield: exported.calls,
        export_minutes: exported.minutes,
        export_simulated_seconds: exported.simulated_seconds,
        matched_full,
        matched_part,
        open: counts.checked,
        marked_paid: counts.marked_paid,
        partly_paid: counts.partly_paid,
        twinfield: TwinfieldCalls::between(&twinfield_after, &twinfield_before),
        minutes,
        simulated_seconds,
        teamleader_calls: delta(&teamleader_after, &teamleader_before),
        next_twinfield: TwinfieldCalls::between(&stack.twinfield.stats(), &twinfield_after),
        next_teamleader_calls: delta(&stack.teamleader.request_counts(), &teamleader_after),
        seconds,
    };
    let _sims = sims.enter();
    drop(stack);
    Ok(figures)
}
