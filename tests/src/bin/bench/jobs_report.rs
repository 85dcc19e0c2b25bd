//! The other jobs' section of the benchmark report: one table per job and the targets of
//! issue 7, item 6.

use crate::jobs::{ImportFigures, JobMeasurement, MergeFigures, PollFigures, api_calls};
use crate::report::{Verdict, information, verdict};
use crate::scenario::exact_api_calls;
use std::collections::BTreeMap;
use std::fmt::Write;

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn endpoints(calls: &BTreeMap<String, u64>) -> String {
    calls
        .iter()
        .filter(|(key, _)| !key.contains("oauth2"))
        .map(|(key, n)| format!("`{key}` {n}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn polls(runs: &[JobMeasurement]) -> impl Iterator<Item = &PollFigures> {
    runs.iter().filter_map(|m| match m {
        JobMeasurement::PaymentPoll(p) => Some(p),
        _ => None,
    })
}

fn imports(runs: &[JobMeasurement]) -> impl Iterator<Item = &ImportFigures> {
    runs.iter().filter_map(|m| match m {
        JobMeasurement::CompanyImport(i) => Some(i),
        _ => None,
    })
}

fn merges(runs: &[JobMeasurement]) -> impl Iterator<Item = &MergeFigures> {
    runs.iter().filter_map(|m| match m {
        JobMeasurement::MergePreview(f) => Some(f),
        _ => None,
    })
}

/// Newly paid invoices of a poll (fully or partly).
fn newly_paid(p: &PollFigures) -> u64 {
    u64::from(p.marked_paid + p.partly_paid)
}

/// Teamleader calls of an import besides the creates, per ledger customer listed.
fn import_calls_per_customer(i: &ImportFigures) -> f64 {
    let creates: u64 = ["companies.add", "contacts.add"]
        .iter()
        .map(|endpoint| i.teamleader_calls.get(*endpoint).copied().unwrap_or(0))
        .sum();
    (api_calls(&i.teamleader_calls) - creates) as f64 / f64::from(i.listed.max(1))
}

/// The section's Markdown.
pub fn section(runs: &[JobMeasurement], verdicts: &[Verdict]) -> String {
    let mut out = String::from("\n### Payment poll, company import, merge preview\n\n");
    out.push_str("| payment poll | open documents | newly paid (full + partly) | Exact calls | Teamleader calls | next poll (nothing new): Exact + Teamleader | wall time |\n|---|---:|---:|---:|---:|---:|---:|\n");
    for p in polls(runs) {
        let _ = writeln!(
            out,
            "| {} open | {} | {} + {} | {} | {} | {} + {} | {:.1} s |",
            p.open,
            p.open,
            p.marked_paid,
            p.partly_paid,
            exact_api_calls(&p.exact_calls),
            api_calls(&p.teamleader_calls),
            p.exact_calls_next,
            p.teamleader_calls_next,
            p.seconds
        );
        let _ = writeln!(
            out,
            "\nBy endpoint — Exact: {}; Teamleader: {}.\n",
            endpoints(&p.exact_calls),
            endpoints(&p.teamleader_calls)
        );
    }
    out.push_str("| company import | listed | linked | created: companies + contacts | Exact calls | Teamleader calls besides the creates, per customer | wall time |\n|---|---:|---:|---:|---:|---:|---:|\n");
    for i in imports(runs) {
        let _ = writeln!(
            out,
            "| {} Exact customers | {} | {} | {} + {} | {} | {:.3} | {:.1} s |",
            i.listed,
            i.listed,
            i.linked,
            i.created,
            i.contacts_created,
            exact_api_calls(&i.exact_calls),
            import_calls_per_customer(i),
            i.seconds
        );
        let _ = writeln!(
            out,
            "\nBy endpoint — Exact: {}; Teamleader: {}.\n",
            endpoints(&i.exact_calls),
            endpoints(&i.teamleader_calls)
        );
    }
    out.push_str("| merge preview | file | by VAT number: time, peak heap, to link | by name: time, peak heap, to link | peak heap per file byte (by name) |\n|---|---:|---:|---:|---:|\n");
    for m in merges(runs) {
        let _ = writeln!(
            out,
            "| {} rows | {:.2} MiB | {:.3} s, {:.2} MiB, {} | {:.3} s, {:.2} MiB, {} | {:.1} |",
            m.rows,
            mib(m.file_bytes),
            m.by_vat.0,
            mib(m.by_vat.1),
            m.by_vat.2,
            m.by_name.0,
            mib(m.by_name.1),
            m.by_name.2,
            m.by_name.1 as f64 / m.file_bytes.max(1) as f64
        );
    }
    out.push_str("\n#### Targets (issue 7)\n\n");
    out.push_str(&crate::report::verdict_table(verdicts));
    out
}

/// The targets of issue 7, item 6.
pub fn verdicts(runs: &[JobMeasurement]) -> Vec<Verdict> {
    let mut out = Vec::new();
    for p in polls(runs) {
        let budget = u64::from(p.open).div_ceil(1000) + 5;
        let exact = exact_api_calls(&p.exact_calls);
        out.push(verdict(
            "payment poll: ledger calls ≤ ceil(open ÷ 1,000) + 5",
            format!("{exact} for {} open documents (budget {budget})", p.open),
            exact <= budget,
        ));
        let registered = p
            .teamleader_calls
            .get("invoices.registerPayment")
            .copied()
            .unwrap_or(0);
        let teamleader = api_calls(&p.teamleader_calls);
        out.push(verdict(
            "payment poll: 1 Teamleader registration per newly paid invoice",
            format!(
                "{registered} registrations for {} newly paid; {teamleader} Teamleader calls in all ({:.3} per newly paid: the rest are `invoices.list`, one per 100 invoices to register, checking for payments made by hand)",
                newly_paid(p),
                teamleader as f64 / newly_paid(p).max(1) as f64
            ),
            registered == newly_paid(p) && teamleader * 100 <= newly_paid(p) * 102,
        ));
        out.push(information(
            "payment poll with nothing new",
            format!(
                "{} Exact + {} Teamleader calls",
                p.exact_calls_next, p.teamleader_calls_next
            ),
        ));
    }
    for i in imports(runs) {
        let per = import_calls_per_customer(i);
        out.push(verdict(
            "company import: Teamleader calls per company ≤ 1.1 besides the creates",
            format!("{per:.3} ({} customers)", i.listed),
            per <= 1.1,
        ));
    }
    let merges: Vec<&MergeFigures> = merges(runs).collect();
    if let Some(largest) = merges.iter().max_by_key(|m| m.rows) {
        let slowest = largest.by_vat.0.max(largest.by_name.0);
        out.push(verdict(
            "merge preview of a 10,000-row file under 2 s",
            format!("{slowest:.3} s at {} rows (dev profile)", largest.rows),
            slowest < 2.0,
        ));
        if let Some(smallest) = merges.iter().min_by_key(|m| m.rows) {
            let ratio = |m: &MergeFigures| m.by_name.1 as f64 / m.file_bytes.max(1) as f64;
            let (small, large) = (ratio(smallest), ratio(largest));
            out.push(verdict(
                "merge preview: flat memory (peak heap per file byte no higher at 10× the rows)",
                format!(
                    "{small:.1} bytes per file byte at {} rows, {large:.1} at {} rows",
                    smallest.rows, largest.rows
                ),
                large <= small * 1.1,
            ));
        }
    }
    out
}
