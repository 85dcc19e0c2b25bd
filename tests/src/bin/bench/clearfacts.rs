//! The Clearfacts part of the benchmark, in a fresh child process (`--child-clearfacts`) like
//! the others:
//!
//! - **export** of a generated account ([`Scenario::account`]: ~10 % credit notes, one
//!   customer per 7 documents, a tenth of them private persons, a year of dates) to the
//!   Clearfacts simulator's demo company ([`COMPANY`]) through the real export handler
//!   (`Stack::dispatch_nightly` + `Stack::drain_exports`): every request the simulator counted
//!   (GraphQL requests, the fields they carried — `uploadFile` per document, `administration`
//!   per invocation, the company check — and the token grants), the split between Peppol BIS 3
//!   files and PDFs with the PDFs' reasons grouped by rule, and Teamleader's calls;
//! - **validation**: every check of the official rules the export made (a Peppol BIS 3 file per
//!   document, before it is sent), timed around the validator (a persistent worker): the first
//!   check starts the worker (cold), the median and p95 are over the others (warm); every XML
//!   that reached the simulator is checked again afterwards;
//! - **payment poll** right after the export: one invoice in [`PAID_EVERY`] of those Teamleader
//!   shows unpaid set `PAID` in the simulator; the poll's GraphQL requests per 50 open
//!   documents (aliased `document` fields) and the invoices marked paid.
//!
//! On virtual time with Koppel's state in memory: Clearfacts documents no rate limit, so the
//! figures depend on the account, never on this machine's speed — except the validation's
//! milliseconds, which are this machine's.

use crate::heap::Part;
use crate::scenario::{
    EXPORTER_THREADS, INVOCATION_BUDGET, RunError, SIMULATOR_THREADS, Scenario,
    TEAMLEADER_UNLIMITED, delta, runtime,
};
use async_trait::async_trait;
use koppel_connect::{AppSecret, LiveConnector};
use koppel_core::jobs::export::ExportOptions;
use koppel_core::{
    Clock, CreditNoteFacts, DocumentId, EinvoiceFiles, ExportState, ExternalError, IssueOutcome,
    JobKind, RunReport, RunStatus, Verdict,
};
use koppel_e2e::stack::{Backend, Stack, StackOptions};
use koppel_einvoice::{Einvoices, PeppolValidator};
use koppel_sim::clearfacts::{self, FileKind, PaymentState, SimStats};
use koppel_sim::teamleader;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The company every run uploads to (the simulator's demo company).
pub const COMPANY: &str = clearfacts::ADMINISTRATION_DEMO;

/// Of the invoices Teamleader shows unpaid, one in this many is set `PAID` before the poll.
pub const PAID_EVERY: usize = 20;

/// Documents whose payment state one GraphQL request reads (aliased `document` fields).
pub const STATES_PER_REQUEST: u64 = 50;

/// One Clearfacts run: the export of `docs` booked documents, then a payment poll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClearfactsScenario {
    /// Booked documents.
    pub docs: usize,
    /// Generator seed.
    pub seed: u64,
}

impl ClearfactsScenario {
    /// For people.
    pub fn label(&self) -> String {
        format!("Clearfacts export + payment poll, {} docs", self.docs)
    }
}

/// What the simulator counted between two snapshots of its statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClearfactsCalls {
    /// Requests by the simulator's key: `graphql` (every POST), one per top-level field
    /// (`uploadFile`, `administration`, `document` per alias, …), `token`,
    /// `token:refresh_token`, `userinfo`, `discovery`.
    pub by_endpoint: BTreeMap<String, u64>,
    /// Documents stored.
    pub uploads_stored: u64,
    /// Uploads refused.
    pub uploads_refused: u64,
    /// Answers 401.
    pub unauthorized: u64,
    /// GraphQL errors answered.
    pub graphql_errors: u64,
}

impl ClearfactsCalls {
    fn between(after: &SimStats, before: &SimStats) -> Self {
        Self {
            by_endpoint: delta(&after.requests, &before.requests),
            uploads_stored: after.uploads_stored - before.uploads_stored,
            uploads_refused: after.uploads_refused - before.uploads_refused,
            unauthorized: after.unauthorized - before.unauthorized,
            graphql_errors: after.graphql_errors - before.graphql_errors,
        }
    }

    /// Requests counted under `key`.
    pub fn get(&self, key: &str) -> u64 {
        self.by_endpoint.get(key).copied().unwrap_or(0)
    }

    /// GraphQL requests (each POST to `/graphql`, whatever it carried).
    pub fn graphql(&self) -> u64 {
        self.get("graphql")
    }

    /// Sign-in requests: token grants, userinfo, discovery.
    pub fn sign_in(&self) -> u64 {
        self.get("token") + self.get("userinfo") + self.get("discovery") + self.get("jwks")
    }

    /// GraphQL requests that read payment states (those carrying neither an upload nor a
    /// company check).
    pub fn state_requests(&self) -> u64 {
        self.graphql().saturating_sub(
            self.get("uploadFile") + self.get("administration") + self.get("administrations"),
        )
    }
}

/// Timings of the official rules' checks, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ValidationTimes {
    /// Checks timed.
    pub checks: usize,
    /// The first check (it starts the worker).
    pub cold_ms: Option<f64>,
    /// Median of the other checks.
    pub median_ms: Option<f64>,
    /// 95th percentile of the other checks.
    pub p95_ms: Option<f64>,
    /// The slowest of the other checks.
    pub max_ms: Option<f64>,
    /// Checks that found the file invalid (it went as the PDF).
    pub invalid: usize,
    /// Checks that could not run completely.
    pub errors: usize,
}

impl ValidationTimes {
    /// From the samples in the order they were taken (`valid`: `Some(true/false)` for a
    /// complete check, `None` when it could not run).
    fn of(samples: &[(Duration, Option<bool>)]) -> Self {
        let ms = |d: &Duration| d.as_secs_f64() * 1_000.0;
        let mut warm: Vec<f64> = samples.iter().skip(1).map(|(d, _)| ms(d)).collect();
        warm.sort_by(f64::total_cmp);
        let at = |q: f64| -> Option<f64> {
            let last = warm.len().checked_sub(1)?;
            let index = ((last as f64) * q).round() as usize;
            warm.get(index.min(last)).copied()
        };
        Self {
            checks: samples.len(),
            cold_ms: samples.first().map(|(d, _)| ms(d)),
            median_ms: at(0.5),
            p95_ms: at(0.95),
            max_ms: warm.last().copied(),
            invalid: samples.iter().filter(|(_, v)| *v == Some(false)).count(),
            errors: samples.iter().filter(|(_, v)| v.is_none()).count(),
        }
    }
}

/// What a Clearfacts run measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClearfactsMeasurement {
    /// The scenario.
    pub scenario: ClearfactsScenario,
    /// Booked documents in the generated account.
    pub documents: usize,
    /// Documents the run report says were exported.
    pub exported: u32,
    /// Sent as a Peppol BIS 3 file that passed the rules.
    pub sent_structured: u32,
    /// Sent as the PDF.
    pub sent_as_pdf: u32,
    /// Reported as maybe sent twice.
    pub maybe_sent_twice: u32,
    /// The PDFs' reasons in the report, grouped by rule (notices are capped per report).
    pub pdf_reasons: BTreeMap<String, u32>,
    /// Uploads in the simulator: in all, distinct files (SHA-256), XML ones.
    pub uploads: (usize, usize, usize),
    /// Handler invocations of the export.
    pub invocations: u32,
    /// Clearfacts requests of the export.
    pub clearfacts: ClearfactsCalls,
    /// Teamleader calls of the export, by endpoint.
    pub teamleader_calls: BTreeMap<String, u64>,
    /// Whether the official rules were configured (else every document went as its PDF).
    pub validator_configured: bool,
    /// The export's checks of the official rules.
    pub validation: ValidationTimes,
    /// The XML uploads checked again afterwards: (checked, refused, seconds).
    pub recheck: (usize, usize, f64),
    /// Wall seconds of the export.
    pub seconds: f64,
    /// Invoices set `PAID` in the simulator before the poll.
    pub set_paid: u32,
    /// Open documents the poll checked.
    pub open: u32,
    /// Invoices marked paid.
    pub marked_paid: u32,
    /// Clearfacts requests of the poll.
    pub poll_clearfacts: ClearfactsCalls,
    /// Teamleader calls of the poll, by endpoint.
    pub poll_teamleader_calls: BTreeMap<String, u64>,
    /// Wall seconds of the poll.
    pub poll_seconds: f64,
}

/// Core's e-invoice port with every check of the official rules timed.
struct TimedEinvoices {
    inner: Einvoices,
    samples: Mutex<Vec<(Duration, Option<bool>)>>,
}

#[async_trait]
impl EinvoiceFiles for TimedEinvoices {
    fn credit_note(&self, facts: &CreditNoteFacts<'_>) -> Result<Vec<u8>, String> {
        self.inner.credit_note(facts)
    }

    async fn validate(&self, xml: &[u8]) -> Result<Verdict, ExternalError> {
        let started = Instant::now();
        let verdict = self.inner.validate(xml).await;
        let valid = verdict.as_ref().ok().map(Verdict::is_valid);
        self.samples
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((started.elapsed(), valid));
        verdict
    }
}

/// A stack on virtual time without Teamleader's limit, Koppel's state in memory, the
/// simulators on their own runtime; its connector checks files with `einvoice`.
fn stack(
    sims: &tokio::runtime::Runtime,
    generate: teamleader::GenerateSpec,
    einvoice: Arc<TimedEinvoices>,
) -> Result<Stack, RunError> {
    crate::heap::set_part(Part::Simulators);
    let mut stack = sims.block_on(Stack::start(StackOptions {
        speed: 1.0,
        virtual_time: true,
        exact_limits: None,
        teamleader_limit: TEAMLEADER_UNLIMITED,
        generate,
        attach_pdf: false,
        backend: Backend::Memory,
    }));
    crate::heap::set_part(Part::Other);
    // The stack's connector, with the timed checks instead of its own.
    let app = AppSecret::from_json(
        "bench/app",
        &serde_json::json!({
            "teamleader": {
                "client_id": teamleader::DEFAULT_CLIENT_ID,
                "client_secret": teamleader::DEFAULT_CLIENT_SECRET,
            },
            "clearfacts": {
                "client_id": clearfacts::DEFAULT_CLIENT_ID,
                "client_secret": clearfacts::DEFAULT_CLIENT_SECRET,
                "login_url": stack.clearfacts.base_url,
                "api_url": stack.clearfacts.base_url,
            },
        }),
    )
    .map_err(|e| RunError::Export(format!("the bench's app secret: {e}")))?;
    let clock: Arc<dyn Clock> = stack.clock.clone();
    let connector = LiveConnector::new(
        app,
        koppel_teamleader::oauth::TeamleaderUrls {
            api: stack.teamleader.base_url.clone(),
            auth: stack.teamleader.base_url.clone(),
        },
        stack.aws.store.clone(),
        stack.aws.vault.clone(),
        clock,
    )
    .with_einvoice(einvoice);
    stack.connector = Arc::new(connector);
    Ok(stack)
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

/// The rule (or the reason) a PDF was sent for: "rule PEPPOL-EN16931-R010", or the reason's
/// first clause when no rule was broken.
pub fn pdf_reason_group(reason: &str) -> String {
    let reason = reason.strip_prefix("Sent as PDF: ").unwrap_or(reason);
    if let Some((_, after)) = reason.split_once("broke rule ") {
        let rule = after.split_whitespace().next().unwrap_or("?");
        return format!("rule {rule}");
    }
    let end = [", so ", ": "]
        .iter()
        .filter_map(|mark| reason.find(mark))
        .min()
        .unwrap_or(reason.len());
    reason[..end].trim_end_matches('.').to_owned()
}

/// Every XML upload checked again: (checked, refused, seconds).
async fn recheck(stack: &Stack, validator: &PeppolValidator) -> (usize, usize, f64) {
    let started = Instant::now();
    let mut checked = 0;
    let mut refused = 0;
    for upload in stack
        .clearfacts
        .uploads()
        .iter()
        .filter(|u| u.kind == FileKind::Xml)
    {
        checked += 1;
        let passes = match stack.clearfacts.upload_bytes(&upload.uuid) {
            Some(bytes) => validator
                .check(&bytes)
                .await
                .is_ok_and(|verdict| verdict.is_valid()),
            None => false,
        };
        if !passes {
            refused += 1;
        }
    }
    (checked, refused, started.elapsed().as_secs_f64())
}

/// Set one in [`PAID_EVERY`] of the exported invoices Teamleader shows unpaid `PAID` in the
/// simulator; how many.
async fn pay_some(stack: &Stack, connection: &koppel_core::Connection) -> Result<u32, RunError> {
    let unpaid: Vec<String> = stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            let mut ids: Vec<String> = a
                .invoices
                .values()
                .filter(|i| i.number.is_some() && i.payments.is_empty())
                .map(|i| i.id.clone())
                .collect();
            ids.sort();
            ids
        })
        .unwrap_or_default();
    let mut paid = 0;
    for id in unpaid.iter().step_by(PAID_EVERY) {
        let record = stack
            .aws
            .store
            .document(&connection.id, &DocumentId::new(id.as_str()))
            .await
            .map_err(|e| RunError::Export(e.to_string()))?;
        if let Some(ExportState::Exported { entry_id, .. }) = record.map(|r| r.state) {
            stack
                .clearfacts
                .set_payment_state(entry_id.as_str(), PaymentState::Paid)
                .map_err(|e| RunError::Export(format!("setting PAID in Clearfacts: {e}")))?;
            paid += 1;
        }
    }
    Ok(paid)
}

/// Run `scenario` in this process.
pub fn run(scenario: &ClearfactsScenario) -> Result<ClearfactsMeasurement, RunError> {
    let sims = runtime(SIMULATOR_THREADS, Part::Simulators)?;
    let jobs = runtime(EXPORTER_THREADS, Part::Exporter)?;
    let account = Scenario {
        docs: scenario.docs,
        attach_pdf: false,
        limits: false,
        speed: 1.0,
        seed: scenario.seed,
    }
    .account();
    let validator = PeppolValidator::from_env();
    let validator_configured = validator.is_some();
    let einvoice = Arc::new(TimedEinvoices {
        inner: validator.map_or_else(Einvoices::default, Einvoices::new),
        samples: Mutex::new(Vec::new()),
    });
    let stack = stack(&sims, account, einvoice.clone())?;
    let department = stack
        .departments()
        .first()
        .cloned()
        .ok_or_else(|| RunError::Export("the generated account has no department".into()))?;
    let connection = jobs.block_on(stack.connect_clearfacts(&department, COMPANY));

    // ------------------------------------------------------------------ the export
    let function = stack.export_function(ExportOptions::default());
    let before = stack.clearfacts.stats();
    let teamleader_before = stack.teamleader.request_counts();
    let wall = Instant::now();
    let drained = jobs.block_on(async {
        stack.dispatch_nightly().await;
        stack.drain_exports(&function, INVOCATION_BUDGET).await
    });
    let seconds = wall.elapsed().as_secs_f64();
    let calls = ClearfactsCalls::between(&stack.clearfacts.stats(), &before);
    let teamleader_calls = delta(&stack.teamleader.request_counts(), &teamleader_before);
    let report = jobs
        .block_on(stack.aws.store.run_reports(&connection.id, 1))
        .map_err(|e| RunError::Export(e.to_string()))?
        .into_iter()
        .next()
        .ok_or_else(|| RunError::Export("no run report was written".into()))?;
    let documents = booked_documents(&stack);
    let counts = report.export_counts();
    if report.status != RunStatus::Succeeded
        || counts.exported as usize != documents
        || drained.failed_messages > 0
    {
        return Err(RunError::Export(format!(
            "{documents} booked documents, {} failed messages, Clearfacts calls {:?}; {}",
            drained.failed_messages,
            calls.by_endpoint,
            failed("the export", &report)
        )));
    }
    let mut pdf_reasons: BTreeMap<String, u32> = BTreeMap::new();
    for notice in report
        .notices
        .iter()
        .filter(|n| n.outcome == IssueOutcome::SentAsPdf)
    {
        *pdf_reasons
            .entry(pdf_reason_group(&notice.reason))
            .or_default() += 1;
    }
    let uploads = stack.clearfacts.uploads();
    let distinct: BTreeSet<&str> = uploads.iter().map(|u| u.sha256.as_str()).collect();
    let xml = uploads.iter().filter(|u| u.kind == FileKind::Xml).count();
    let upload_counts = (uploads.len(), distinct.len(), xml);
    let validation = ValidationTimes::of(
        &einvoice
            .samples
            .lock()
            .unwrap_or_else(PoisonError::into_inner),
    );
    let recheck = match PeppolValidator::from_env() {
        Some(validator) => jobs.block_on(recheck(&stack, &validator)),
        None => (0, 0, 0.0),
    };

    // ------------------------------------------------------------------ the payment poll
    let set_paid = jobs.block_on(pay_some(&stack, &connection))?;
    let before = stack.clearfacts.stats();
    let teamleader_before = stack.teamleader.request_counts();
    let wall = Instant::now();
    let poll = jobs.block_on(stack.run_to_report(&connection.id, JobKind::PaymentPoll, "poll-1"));
    let poll_seconds = wall.elapsed().as_secs_f64();
    if poll.status != RunStatus::Succeeded {
        return Err(failed("the payment poll", &poll));
    }
    let poll_counts = poll.payment_counts();
    let measurement = ClearfactsMeasurement {
        scenario: scenario.clone(),
        documents,
        exported: counts.exported,
        sent_structured: counts.sent_structured,
        sent_as_pdf: counts.sent_as_pdf,
        maybe_sent_twice: counts.maybe_sent_twice,
        pdf_reasons,
        uploads: upload_counts,
        invocations: drained.invocations,
        clearfacts: calls,
        teamleader_calls,
        validator_configured,
        validation,
        recheck,
        seconds,
        set_paid,
        open: poll_counts.checked,
        marked_paid: poll_counts.marked_paid,
        poll_clearfacts: ClearfactsCalls::between(&stack.clearfacts.stats(), &before),
        poll_teamleader_calls: delta(&stack.teamleader.request_counts(), &teamleader_before),
        poll_seconds,
    };
    let _sims = sims.enter();
    drop(stack);
    Ok(measurement)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reasons_group_by_rule_or_first_clause() {
        assert_eq!(
            pdf_reason_group(
                "Sent as PDF: its Peppol BIS 3 file broke rule PEPPOL-EN16931-R010 — \"Buyer electronic address\" (and 1 more rule), so the PDF was sent instead"
            ),
            "rule PEPPOL-EN16931-R010"
        );
        assert_eq!(
            pdf_reason_group(
                "Sent as PDF: no Peppol BIS 3 file could be built for it: the customer has no country. The PDF was sent."
            ),
            "no Peppol BIS 3 file could be built for it"
        );
    }

    #[test]
    fn warm_figures_leave_the_first_check_out() {
        let samples: Vec<(Duration, Option<bool>)> = [500, 10, 20, 30, 40, 50]
            .iter()
            .map(|ms| (Duration::from_millis(*ms), Some(true)))
            .collect();
        let times = ValidationTimes::of(&samples);
        assert_eq!(times.checks, 6);
        assert_eq!(times.cold_ms.map(f64::round), Some(500.0));
        assert_eq!(times.median_ms.map(f64::round), Some(30.0));
        assert_eq!(times.p95_ms.map(f64::round), Some(50.0));
    }
}
