//! The Octopus part of the benchmark, each run in a fresh child process (`--child-octopus`)
//! like the others:
//!
//! - **export** of the same generated account as Exact's export runs ([`Scenario::account`]:
//!   ~10 % credit notes, one customer per 7 documents, a year of dates) to the Octopus
//!   simulator's demo dossier through the real export handler (`Stack::dispatch_nightly` +
//!   `Stack::drain_exports`): every HTTP request the simulator received during the export
//!   (its `stats()`, by endpoint group and by endpoint), sign-ins apart, and Teamleader's
//!   calls;
//! - **payment poll** of `docs` open documents, built the way Exact's poll run builds them:
//!   the same account as there exported first through the real handler, then a few percent
//!   of the bookings matched in the simulator (`match_booking`: invoices and credit notes in
//!   full, some invoices in part); the calls of the poll that marks them paid and of the next
//!   poll that finds nothing new.
//!
//! The simulator's default budgets stay in force: 48 modified-bookings reads per dossier per
//! day ([`octopus::budget::DEFAULT_MODIFIED_CALLS_PER_DAY`]); the figures say how many were
//! used.

use crate::heap::Part;
use crate::scenario::{
    EXPORTER_THREADS, INVOCATION_BUDGET, RunError, SIMULATOR_THREADS, Scenario,
    TEAMLEADER_UNLIMITED, delta, runtime,
};
use koppel_core::jobs::export::ExportOptions;
use koppel_core::{JobKind, RunReport, RunStatus};
use koppel_e2e::stack::{Backend, Stack, StackOptions};
use koppel_sim::octopus::budget::Group;
use koppel_sim::octopus::{self, seed};
use koppel_sim::teamleader;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Instant;

/// The dossier every run books in (the simulator's seeded demo dossier).
pub const DOSSIER: i64 = seed::DEMO_DOSSIER_ID;

/// Of every 100 invoices booked before the poll, these are matched in full …
const FULL_INVOICES: [usize; 3] = [0, 33, 66];
/// … and this one for half its amount.
const PART_INVOICE: usize = 50;
/// Of every 100 credit notes, these are matched in full.
const FULL_CREDIT_NOTES: [usize; 3] = [0, 33, 66];

/// One Octopus run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OctopusScenario {
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

impl OctopusScenario {
    /// For people.
    pub fn label(&self) -> String {
        match self {
            Self::Export { docs, .. } => format!("Octopus export, {docs} docs"),
            Self::PaymentPoll { docs, .. } => format!("Octopus payment poll, {docs} open"),
        }
    }
}

/// What the simulator counted between two snapshots of its statistics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OctopusCalls {
    /// Every HTTP request, by endpoint group (`authentication`, `dossiers`, `reference`,
    /// `relations`, `bookings`, `modified`, `reports`).
    pub by_group: BTreeMap<String, u64>,
    /// Every HTTP request, by "METHOD path-template".
    pub by_endpoint: BTreeMap<String, u64>,
    /// User sign-ins (`POST /authentication` answered with a token).
    pub sign_ins: u64,
    /// Dossier tokens issued (`POST /dossiers?dossierId=` answered with a token).
    pub dossier_tokens: u64,
    /// Bookings stored.
    pub bookings_posted: u64,
    /// Relations created.
    pub relations_created: u64,
    /// Answers 429 (a spent daily budget).
    pub rate_limited: u64,
    /// Answers with an error body (404 "nothing found" included).
    pub refusals: u64,
}

impl OctopusCalls {
    fn between(after: &octopus::SimStats, before: &octopus::SimStats) -> Self {
        let groups = |s: &octopus::SimStats| -> BTreeMap<String, u64> {
            s.by_group
                .iter()
                .map(|(g, n)| (g.name().to_owned(), *n))
                .collect()
        };
        Self {
            by_group: delta(&groups(after), &groups(before)),
            by_endpoint: delta(&after.requests, &before.requests),
            sign_ins: after.authentications - before.authentications,
            dossier_tokens: after.dossier_tokens - before.dossier_tokens,
            bookings_posted: after.bookings_posted - before.bookings_posted,
            relations_created: after.relations_created - before.relations_created,
            rate_limited: after.rate_limited - before.rate_limited,
            refusals: after.refusals - before.refusals,
        }
    }

    /// Every HTTP request counted.
    pub fn total(&self) -> u64 {
        self.by_group.values().sum()
    }

    /// Requests of one group.
    pub fn group(&self, group: Group) -> u64 {
        self.by_group.get(group.name()).copied().unwrap_or(0)
    }

    /// The sign-in requests: `POST /authentication` and the dossier token (the
    /// `authentication` and `dossiers` groups).
    pub fn sign_in_calls(&self) -> u64 {
        self.group(Group::Authentication) + self.group(Group::Dossiers)
    }

    /// Requests to the endpoints whose key contains `needle`.
    pub fn to(&self, needle: &str) -> u64 {
        self.by_endpoint
            .iter()
            .filter(|(k, _)| k.contains(needle))
            .map(|(_, n)| n)
            .sum()
    }
}

/// What an export run measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportFigures {
    /// Booked documents in the generated account.
    pub documents: usize,
    /// Documents the run report says were exported.
    pub exported: u32,
    /// Relations the run report says were created.
    pub customers_created: u32,
    /// Customers matched to an existing relation.
    pub customers_matched: u32,
    /// Teamleader customers (companies and contacts) in the generated account.
    pub customers: usize,
    /// Handler invocations the run took.
    pub invocations: u32,
    /// Octopus requests during the export.
    pub octopus: OctopusCalls,
    /// Modified-bookings reads counted today for the dossier at the end of the run (the
    /// simulator's daily budget counter).
    pub modified_today: u32,
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
    /// Octopus requests of that export.
    pub export_octopus: OctopusCalls,
    /// Bookings matched in full in the simulator before the poll (invoices, credit notes).
    pub matched_full: (u32, u32),
    /// Invoices matched in part.
    pub matched_part: u32,
    /// Open documents the poll checked.
    pub open: u32,
    /// Invoices marked fully paid.
    pub marked_paid: u32,
    /// Invoices marked partly paid.
    pub partly_paid: u32,
    /// Octopus requests of the poll.
    pub octopus: OctopusCalls,
    /// Teamleader calls of the poll, by endpoint.
    pub teamleader_calls: BTreeMap<String, u64>,
    /// Octopus requests of the next poll (nothing new).
    pub next_octopus: OctopusCalls,
    /// Teamleader calls of the next poll, by endpoint.
    pub next_teamleader_calls: BTreeMap<String, u64>,
    /// Modified-bookings reads counted today for the dossier after both polls.
    pub modified_today: u32,
    /// Wall seconds of the poll.
    pub seconds: f64,
}

impl PollFigures {
    /// Bookings that left the open-items report before the poll (matched in full).
    pub fn left_report(&self) -> u64 {
        u64::from(self.matched_full.0 + self.matched_full.1)
    }
}

/// What an Octopus run measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum OctopusMeasurement {
    /// See [`OctopusScenario::Export`].
    Export(ExportFigures),
    /// See [`OctopusScenario::PaymentPoll`].
    PaymentPoll(Box<PollFigures>),
}

/// Run `scenario` in this process.
pub fn run(scenario: &OctopusScenario) -> Result<OctopusMeasurement, RunError> {
    match scenario {
        OctopusScenario::Export { docs, seed } => {
            export(*docs, *seed).map(OctopusMeasurement::Export)
        }
        OctopusScenario::PaymentPoll { docs, seed } => {
            poll(*docs, *seed).map(|p| OctopusMeasurement::PaymentPoll(Box::new(p)))
        }
    }
}

/// A stack without limits (the Octopus simulator's default budgets stay), Koppel's state in
/// memory, the simulators on their own runtime.
fn stack(sims: &tokio::runtime::Runtime, generate: teamleader::GenerateSpec) -> Stack {
    crate::heap::set_part(Part::Simulators);
    let stack = sims.block_on(Stack::start(StackOptions {
        speed: 1.0,
        virtual_time: false,
        exact_limits: None,
        teamleader_limit: TEAMLEADER_UNLIMITED,
        generate,
        attach_pdf: false,
        backend: Backend::Memory,
    }));
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

/// Export everything through the real handler, as the nightly schedule does; the report
/// and the Octopus requests it took.
fn export_all(
    stack: &Stack,
    jobs: &tokio::runtime::Runtime,
    connection: &koppel_core::Connection,
) -> Result<(RunReport, OctopusCalls, u32, f64), RunError> {
    let function = stack.export_function(ExportOptions::default());
    let before = stack.octopus.stats();
    let wall = Instant::now();
    let drained = jobs.block_on(async {
        stack.dispatch_nightly().await;
        stack.drain_exports(&function, INVOCATION_BUDGET).await
    });
    let seconds = wall.elapsed().as_secs_f64();
    let calls = OctopusCalls::between(&stack.octopus.stats(), &before);
    let report = jobs
        .block_on(stack.aws.store.run_reports(&connection.id, 1))
        .map_err(|e| RunError::Export(e.to_string()))?
        .into_iter()
        .next()
        .ok_or_else(|| RunError::Export("no run report was written".into()))?;
    let documents = booked_documents(stack);
    let bookings = stack.octopus.bookings(DOSSIER).len();
    if report.status != RunStatus::Succeeded
        || report.export_counts().exported as usize != documents
        || bookings != documents
        || drained.failed_messages > 0
    {
        return Err(RunError::Export(format!(
            "{documents} booked documents, {bookings} bookings in Octopus, {} failed messages, Octopus calls {:?}; {}",
            drained.failed_messages,
            calls.by_endpoint,
            failed("the export", &report)
        )));
    }
    Ok((report, calls, drained.invocations, seconds))
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
    let connection = jobs.block_on(stack.connect_octopus(&department, DOSSIER));
    let teamleader_before = stack.teamleader.request_counts();
    let (report, octopus, invocations, seconds) = export_all(&stack, &jobs, &connection)?;
    let counts = report.export_counts();
    let figures = ExportFigures {
        documents: booked_documents(&stack),
        exported: counts.exported,
        customers_created: counts.customers_created,
        customers_matched: counts.customers_matched,
        customers,
        invocations,
        octopus,
        modified_today: stack.octopus.calls_today(DOSSIER, Group::Modified),
        teamleader_calls: delta(&stack.teamleader.request_counts(), &teamleader_before),
        seconds,
    };
    let _sims = sims.enter();
    drop(stack);
    Ok(figures)
}

/// Match a few percent of the bookings in Octopus as the accountant would: per 100
/// invoices three in full and one for half its amount, per 100 credit notes three in full.
/// Returns ((invoices, credit notes) in full, invoices in part).
fn match_some(stack: &Stack) -> Result<((u32, u32), u32), RunError> {
    let mut full = (0, 0);
    let mut part = 0;
    let bookings = stack.octopus.bookings(DOSSIER);
    let (invoices, credit_notes): (Vec<_>, Vec<_>) =
        bookings.iter().partition(|b| b.data.amount > Decimal::ZERO);
    let matching = |b: &octopus::BookingSummary, amount: Option<Decimal>| {
        stack
            .octopus
            .match_booking(
                DOSSIER,
                b.data.bookyear_key.id,
                &b.data.journal_key,
                b.data.document_sequence_nr,
                amount,
            )
            .map_err(|e| RunError::Export(format!("matching in Octopus: {e}")))
    };
    for (i, booking) in invoices.iter().enumerate() {
        if FULL_INVOICES.contains(&(i % 100)) {
            matching(booking, None)?;
            full.0 += 1;
        } else if i % 100 == PART_INVOICE {
            matching(
                booking,
                Some((booking.data.amount / Decimal::TWO).round_dp(2)),
            )?;
            part += 1;
        }
    }
    for (i, booking) in credit_notes.iter().enumerate() {
        if FULL_CREDIT_NOTES.contains(&(i % 100)) {
            matching(booking, None)?;
            full.1 += 1;
        }
    }
    Ok((full, part))
}

fn poll(docs: usize, seed: u64) -> Result<PollFigures, RunError> {
    let sims = runtime(SIMULATOR_THREADS, Part::Simulators)?;
    let jobs = runtime(EXPORTER_THREADS, Part::Exporter)?;
    // The same account as Exact's poll run (`jobs.rs`): no drafts, nothing paid yet.
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
    let department = stack.departments()[0].clone();
    let connection = jobs.block_on(stack.connect_octopus(&department, DOSSIER));
    let (export, export_octopus, _, _) = export_all(&stack, &jobs, &connection)?;
    let (matched_full, matched_part) = match_some(&stack)?;

    let octopus_before = stack.octopus.stats();
    let teamleader_before = stack.teamleader.request_counts();
    let wall = Instant::now();
    let report = jobs.block_on(stack.run_to_report(&connection.id, JobKind::PaymentPoll, "poll-1"));
    let seconds = wall.elapsed().as_secs_f64();
    if report.status != RunStatus::Succeeded {
        return Err(failed("the payment poll", &report));
    }
    let octopus_after = stack.octopus.stats();
    let teamleader_after = stack.teamleader.request_counts();
    let next = jobs.block_on(stack.run_to_report(&connection.id, JobKind::PaymentPoll, "poll-2"));
    if next.status != RunStatus::Succeeded {
        return Err(failed("the next payment poll", &next));
    }
    let counts = report.payment_counts();
    let figures = PollFigures {
        exported: export.export_counts().exported,
        export_octopus,
        matched_full,
        matched_part,
        open: counts.checked,
        marked_paid: counts.marked_paid,
        partly_paid: counts.partly_paid,
        octopus: OctopusCalls::between(&octopus_after, &octopus_before),
        teamleader_calls: delta(&teamleader_after, &teamleader_before),
        next_octopus: OctopusCalls::between(&stack.octopus.stats(), &octopus_after),
        next_teamleader_calls: delta(&stack.teamleader.request_counts(), &teamleader_after),
        modified_today: stack.octopus.calls_today(DOSSIER, Group::Modified),
        seconds,
    };
    let _sims = sims.enter();
    drop(stack);
    Ok(figures)
}
