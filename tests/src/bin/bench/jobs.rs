//! The other jobs' benchmark (issue 7, item 6), each run in a fresh child process like the
//! export's:
//!
//! - **payment poll** of `open` exported, unpaid documents: a tenth of the invoices then
//!   reconciled in Exact and one in a hundred partly; Exact and Teamleader calls of the poll
//!   that marks them paid, and of the next poll that finds nothing new;
//! - **company import** of `customers` Exact customers into an account holding a fifth of them
//!   already (same VAT number): Teamleader calls per ledger customer besides the creates;
//! - **merge preview** of a `rows`-row file (`;` CSV, Teamleader's NL headers) against as many
//!   Teamleader companies, by VAT number and by name: time and peak heap of reading the file
//!   and computing the preview (the job's own work; its Teamleader listing is one call per
//!   100 companies).

use crate::heap::{self, Part};
use crate::scenario::{
    EXPORTER_THREADS, RunError, SIMULATOR_THREADS, TEAMLEADER_UNLIMITED, delta, exact_api_calls,
    runtime,
};
use koppel_core::jobs::merge::{MatchBy, MergeLimits, parse_merge_file, preview_merge};
use koppel_core::{Customer, CustomerRef, JobKind, RunStatus, VatNumber};
use koppel_e2e::stack::{Backend, Stack, StackOptions};
use koppel_sim::{exact, teamleader};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Instant;

/// One run of another job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobScenario {
    /// The payment poll over this many exported documents.
    PaymentPoll { docs: usize, seed: u64 },
    /// The company import of this many Exact customers.
    CompanyImport { customers: usize, seed: u64 },
    /// The merge preview of a file of this many rows.
    MergePreview { rows: usize },
}

impl JobScenario {
    /// For people.
    pub fn label(&self) -> String {
        match self {
            Self::PaymentPoll { docs, .. } => format!("payment poll, {docs} exported documents"),
            Self::CompanyImport { customers, .. } => {
                format!("company import, {customers} Exact customers")
            }
            Self::MergePreview { rows } => format!("merge preview, {rows} rows"),
        }
    }
}

/// What a run measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum JobMeasurement {
    /// See [`JobScenario::PaymentPoll`].
    PaymentPoll(PollFigures),
    /// See [`JobScenario::CompanyImport`].
    CompanyImport(ImportFigures),
    /// See [`JobScenario::MergePreview`].
    MergePreview(MergeFigures),
}

/// The payment poll's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PollFigures {
    /// Open (exported, unpaid) documents the poll checked.
    pub open: u32,
    /// Invoices marked fully paid, and partly paid.
    pub marked_paid: u32,
    /// Invoices partly paid.
    pub partly_paid: u32,
    /// Exact calls of the poll, by endpoint.
    pub exact_calls: BTreeMap<String, u64>,
    /// Teamleader calls of the poll, by endpoint.
    pub teamleader_calls: BTreeMap<String, u64>,
    /// Exact calls of the next poll (nothing new).
    pub exact_calls_next: u64,
    /// Teamleader calls of the next poll.
    pub teamleader_calls_next: u64,
    /// Wall time of the poll, seconds.
    pub seconds: f64,
}

/// The company import's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportFigures {
    /// Exact customers listed.
    pub listed: u32,
    /// Linked to existing Teamleader companies.
    pub linked: u32,
    /// Created in Teamleader as companies.
    pub created: u32,
    /// Created in Teamleader as contacts (private customers).
    #[serde(default)]
    pub contacts_created: u32,
    /// Exact calls by endpoint.
    pub exact_calls: BTreeMap<String, u64>,
    /// Teamleader calls by endpoint.
    pub teamleader_calls: BTreeMap<String, u64>,
    /// Wall time, seconds.
    pub seconds: f64,
}

/// The merge preview's figures, per criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergeFigures {
    /// Rows in the file.
    pub rows: usize,
    /// File size, bytes.
    pub file_bytes: usize,
    /// By VAT number: seconds, peak heap bytes, companies to link.
    pub by_vat: (f64, usize, u32),
    /// By name: seconds, peak heap bytes, companies to link.
    pub by_name: (f64, usize, u32),
}

/// Run `scenario` in this process.
pub fn run(scenario: &JobScenario) -> Result<JobMeasurement, RunError> {
    match scenario {
        JobScenario::PaymentPoll { docs, seed } => {
            poll(*docs, *seed).map(JobMeasurement::PaymentPoll)
        }
        JobScenario::CompanyImport { customers, seed } => {
            import(*customers, *seed).map(JobMeasurement::CompanyImport)
        }
        JobScenario::MergePreview { rows } => Ok(JobMeasurement::MergePreview(merge(*rows))),
    }
}

/// A stack without limits, Koppel's state in memory, on its own runtime.
fn stack(sims: &tokio::runtime::Runtime, generate: teamleader::GenerateSpec) -> Stack {
    heap::set_part(Part::Simulators);
    let stack = sims.block_on(Stack::start(StackOptions {
        speed: 1.0,
        virtual_time: false,
        exact_limits: None,
        teamleader_limit: TEAMLEADER_UNLIMITED,
        generate,
        attach_pdf: false,
        backend: Backend::Memory,
    }));
    heap::set_part(Part::Other);
    stack
}

fn failed(what: &str, report: &koppel_core::RunReport) -> RunError {
    RunError::Export(format!(
        "{what}: {:?} {}; first issues {:?}",
        report.status,
        report.message.clone().unwrap_or_default(),
        report.issues.iter().take(3).collect::<Vec<_>>()
    ))
}

fn poll(docs: usize, seed: u64) -> Result<PollFigures, RunError> {
    let sims = runtime(SIMULATOR_THREADS, Part::Simulators)?;
    let jobs = runtime(EXPORTER_THREADS, Part::Exporter)?;
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
    let division = exact::DEFAULT_BE_DIVISION;
    let department = stack.departments()[0].clone();
    let connection = jobs.block_on(stack.connect(&department, division));
    let export =
        jobs.block_on(stack.run_to_report(&connection.id, JobKind::InvoiceExport, "export"));
    if export.status != RunStatus::Succeeded {
        return Err(failed("the export before the poll", &export));
    }
    // The accountant reconciles a tenth of the invoices, and one in a hundred partly.
    let today = chrono::Utc::now().date_naive();
    for (i, entry) in stack
        .exact
        .entries(division)
        .into_iter()
        .filter(|e| e.amount() > Decimal::ZERO)
        .enumerate()
    {
        let amount = match i % 100 {
            n if n % 10 == 0 => None,
            5 => Some((entry.amount() / Decimal::TWO).round_dp(2)),
            _ => continue,
        };
        stack
            .exact
            .register_payment(division, entry.entry_id, amount, Some(today))
            .map_err(|e| RunError::Export(format!("payment in Exact: {e:?}")))?;
    }
    let exact_before = stack.exact.stats().requests;
    let teamleader_before = stack.teamleader.request_counts();
    let wall = Instant::now();
    let report = jobs.block_on(stack.run_to_report(&connection.id, JobKind::PaymentPoll, "poll-1"));
    let seconds = wall.elapsed().as_secs_f64();
    if report.status != RunStatus::Succeeded {
        return Err(failed("the payment poll", &report));
    }
    let exact_after = stack.exact.stats().requests;
    let teamleader_after = stack.teamleader.request_counts();
    let next = jobs.block_on(stack.run_to_report(&connection.id, JobKind::PaymentPoll, "poll-2"));
    if next.status != RunStatus::Succeeded {
        return Err(failed("the next payment poll", &next));
    }
    let counts = report.payment_counts();
    let figures = PollFigures {
        open: counts.checked,
        marked_paid: counts.marked_paid,
        partly_paid: counts.partly_paid,
        exact_calls: delta(&exact_after, &exact_before),
        teamleader_calls: delta(&teamleader_after, &teamleader_before),
        exact_calls_next: exact_api_calls(&delta(&stack.exact.stats().requests, &exact_after)),
        teamleader_calls_next: api_calls(&delta(
            &stack.teamleader.request_counts(),
            &teamleader_after,
        )),
        seconds,
    };
    let _sims = sims.enter();
    drop(stack);
    Ok(figures)
}

/// Teamleader API calls (token calls left out).
pub fn api_calls(calls: &BTreeMap<String, u64>) -> u64 {
    calls
        .iter()
        .filter(|(key, _)| !key.contains("oauth2"))
        .map(|(_, n)| n)
        .sum()
}

fn import(customers: usize, seed: u64) -> Result<ImportFigures, RunError> {
    let sims = runtime(SIMULATOR_THREADS, Part::Simulators)?;
    let jobs = runtime(EXPORTER_THREADS, Part::Exporter)?;
    let existing = customers / 5;
    let stack = stack(
        &sims,
        teamleader::GenerateSpec::companies_only(seed, existing),
    );
    let division = exact::DEFAULT_BE_DIVISION;
    let known = stack.company_identities(&stack.account_id);
    let add = |name: &str, vat: Option<&str>| {
        stack
            .exact
            .add_customer(division, name, vat)
            .map(|_| ())
            .map_err(|e| RunError::Export(format!("customer in Exact: {e:?}")))
    };
    for (name, vat) in &known {
        add(name, vat.as_deref())?;
    }
    let seeded = stack
        .exact
        .division(division)
        .map_or(0, |d| d.accounts.len());
    // The rest are new: nine in ten companies, one in ten private persons (a BSN in Exact,
    // imported as contacts with their phone).
    for i in seeded..customers {
        if i % 10 == 0 {
            let id = stack
                .exact
                .add_customer(division, &format!("Klant {i}"), None)
                .map_err(|e| RunError::Export(format!("customer in Exact: {e:?}")))?;
            stack
                .exact
                .update_account(division, id, |account| {
                    account.phone = Some(format!("0470 {i:06}"));
                    account
                        .extra
                        .insert("BSN".to_owned(), format!("{:09}", 100_000_000 + i).into());
                })
                .map_err(|e| RunError::Export(format!("private customer in Exact: {e:?}")))?;
        } else {
            add(&format!("Klant {i} BV"), None)?;
        }
    }
    let department = stack.departments()[0].clone();
    let connection = jobs.block_on(stack.connect(&department, division));
    let exact_before = stack.exact.stats().requests;
    let teamleader_before = stack.teamleader.request_counts();
    let wall = Instant::now();
    let report =
        jobs.block_on(stack.run_to_report(&connection.id, JobKind::CompanyImport, "import"));
    let seconds = wall.elapsed().as_secs_f64();
    if report.status != RunStatus::Succeeded {
        return Err(failed("the company import", &report));
    }
    let counts = report.import_counts();
    let figures = ImportFigures {
        listed: counts.listed,
        linked: counts.linked,
        created: counts.created,
        contacts_created: counts.contacts_created,
        exact_calls: delta(&stack.exact.stats().requests, &exact_before),
        teamleader_calls: delta(&stack.teamleader.request_counts(), &teamleader_before),
        seconds,
    };
    let _sims = sims.enter();
    drop(stack);
    Ok(figures)
}

/// A valid Belgian VAT number (mod-97 check digits) for `n`.
fn belgian_vat(n: usize) -> String {
    let base = 2_000_000 + n as u64;
    let check = 97 - (base % 97);
    format!("BE0{base}{check:02}")
}

fn merge(rows: usize) -> MergeFigures {
    // Teamleader: `rows` companies; the file: nine in ten of them with their customer number,
    // the rest customers Teamleader does not have.
    let companies: Vec<Customer> = (0..rows)
        .map(|i| Customer {
            reference: CustomerRef::company(format!("company-{i}")),
            name: format!("Bedrijf {i} BV"),
            vat_number: Some(VatNumber(belgian_vat(i))),
            enterprise_number: None,
            addresses: Vec::new(),
            emails: Vec::new(),
            external_id: None,
            language: None,
        })
        .collect();
    let mut csv = String::from("Naam;Klantennummer boekhoudpakket;Btw-nummer\n");
    for i in 0..rows {
        let (name, vat) = if i % 10 == 9 {
            (format!("Nieuwe klant {i} NV"), belgian_vat(rows + i))
        } else {
            (format!("BEDRIJF {i} bv"), belgian_vat(i))
        };
        csv.push_str(&format!("{name};{};{vat}\n", 10_000 + i));
    }
    let bytes = csv.into_bytes();
    let measure = |by: MatchBy| {
        heap::reset_peaks();
        let before = heap::total().live;
        let wall = Instant::now();
        let file = parse_merge_file("segment.csv", &bytes, &MergeLimits::default());
        let to_link = file
            .map(|f| preview_merge(&f.rows, &companies, by).counts.to_update)
            .unwrap_or(0);
        let seconds = wall.elapsed().as_secs_f64();
        (seconds, heap::total().peak.saturating_sub(before), to_link)
    };
    MergeFigures {
        rows,
        file_bytes: bytes.len(),
        by_vat: measure(MatchBy::VatNumber),
        by_name: measure(MatchBy::Name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_vat_numbers_pass_the_belgian_check() {
        for n in [0, 1, 9_999, 20_000] {
            assert!(
                koppel_core::parse_vat(&belgian_vat(n)).is_ok(),
                "{}",
                belgian_vat(n)
            );
        }
    }
}
