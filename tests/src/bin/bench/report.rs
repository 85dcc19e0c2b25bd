//! Turning measurements into the tables of docs/PERFORMANCE.md and checking the targets.

use crate::scenario::{Measurement, exact_api_calls};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Exact calls of one run, by what they were for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExactSplit {
    /// `POST salesentry/SalesEntries`: the entries themselves.
    pub entries: u64,
    /// `GET crm/Accounts`: customer look-ups by code / VAT number.
    pub customer_lookups: u64,
    /// `POST crm/Accounts`: customers created.
    pub customer_creates: u64,
    /// Other reads: GL accounts, journals, VAT codes, periods, payment conditions, …
    pub reference_reads: u64,
    /// `documents/…`: the PDF as a document with an attachment.
    pub attachments: u64,
    /// `GET salesentry/SalesEntries`: entries looked up by reference (crash recovery).
    pub entry_lookups: u64,
    /// Anything else.
    pub other: u64,
    /// OAuth (no quota).
    pub oauth: u64,
}

impl ExactSplit {
    /// Split the per-resource counts.
    pub fn of(calls: &BTreeMap<String, u64>) -> Self {
        let mut split = Self::default();
        for (key, &n) in calls {
            let slot = match key.as_str() {
                k if k.contains("oauth2") => &mut split.oauth,
                "POST salesentry/SalesEntries" => &mut split.entries,
                "GET salesentry/SalesEntries" => &mut split.entry_lookups,
                "GET crm/Accounts" => &mut split.customer_lookups,
                "POST crm/Accounts" => &mut split.customer_creates,
                k if k.contains("documents/") => &mut split.attachments,
                k if k.starts_with("GET ") => &mut split.reference_reads,
                _ => &mut split.other,
            };
            *slot += n;
        }
        split
    }

    /// Calls that count against the quota.
    pub fn api(&self) -> u64 {
        self.entries
            + self.customer_lookups
            + self.customer_creates
            + self.reference_reads
            + self.attachments
            + self.entry_lookups
            + self.other
    }
}

/// Teamleader API calls (OAuth excluded) and the file downloads among them.
pub fn teamleader_api(calls: &BTreeMap<String, u64>) -> (u64, u64) {
    let api: u64 = calls
        .iter()
        .filter(|(k, _)| !k.starts_with("oauth2"))
        .map(|(_, n)| n)
        .sum();
    let downloads = calls
        .iter()
        .filter(|(k, _)| k.ends_with(".download"))
        .map(|(_, n)| n)
        .sum();
    (api, downloads)
}

/// Companies and contacts of a generated account.
fn customers_of(account: &koppel_sim::teamleader::GenerateSpec) -> u64 {
    (account.companies + account.contacts) as u64
}

/// Teamleader calls an export spends writing customer numbers to the external id (since
/// issue 7): one `companies.update` / `contacts.update` per customer created or matched in
/// the ledger, which Teamleader cannot do in bulk, and the external-id fields (companies,
/// contacts) created once each when the account has none.
pub fn customer_numbers_written(calls: &BTreeMap<String, u64>) -> u64 {
    [
        "companies.update",
        "contacts.update",
        "customFieldDefinitions.create",
    ]
    .iter()
    .map(|endpoint| calls.get(*endpoint).copied().unwrap_or(0))
    .sum()
}

fn per_doc(calls: u64, m: &Measurement) -> f64 {
    calls as f64 / m.documents.max(1) as f64
}

fn mib(bytes: Option<u64>) -> String {
    bytes.map_or("n/a".to_owned(), |b| {
        format!("{:.1}", b as f64 / 1_048_576.0)
    })
}

fn mib_usize(bytes: usize) -> String {
    mib(Some(bytes as u64))
}

/// Documents exported per wall second.
pub fn docs_per_second(m: &Measurement) -> f64 {
    m.exported as f64 / m.export_seconds.max(f64::EPSILON)
}

/// The Markdown tables for `runs`.
pub fn tables(runs: &[Measurement]) -> String {
    let mut out = String::new();
    let unlimited: Vec<&Measurement> = runs.iter().filter(|m| !m.scenario.limits).collect();
    let _ = writeln!(
        out,
        "#### Calls per document and throughput (rate limits off)\n"
    );
    let _ = writeln!(
        out,
        "| run | customers created | Exact calls/doc | entries/doc | customer look-ups + creates /doc | reference reads (per run) | attachment calls/doc | other Exact | Teamleader API calls/doc | of which PDF downloads/doc | docs/s (end to end) | exporter CPU/doc | simulators' CPU | export wall time |"
    );
    let _ = writeln!(
        out,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for m in &unlimited {
        let exact = ExactSplit::of(&m.exact_calls);
        let (tl, downloads) = teamleader_api(&m.teamleader_calls);
        let _ = writeln!(
            out,
            "| {} | {} | {:.3} | {:.3} | {:.3} + {:.3} | {} | {:.3} | {} | {:.3} | {:.3} | {:.0} | {:.2} ms | {:.1} s | {:.1} s |",
            m.scenario.label(),
            m.customers_created,
            per_doc(exact.api(), m),
            per_doc(exact.entries, m),
            per_doc(exact.customer_lookups, m),
            per_doc(exact.customer_creates, m),
            exact.reference_reads,
            per_doc(exact.attachments, m),
            exact.entry_lookups + exact.other,
            per_doc(tl, m),
            per_doc(downloads, m),
            docs_per_second(m),
            m.exporter_cpu_seconds * 1000.0 / m.documents.max(1) as f64,
            m.simulators_cpu_seconds,
            m.export_seconds,
        );
    }

    let paced: Vec<&Measurement> = runs.iter().filter(|m| m.scenario.limits).collect();
    if !paced.is_empty() {
        let _ = writeln!(
            out,
            "\n#### Pacing (Exact 60/min + 5,000/day, Teamleader 200/min, accelerated clock)\n"
        );
        let _ = writeln!(
            out,
            "| run | Exact API calls | simulated minutes | full minute windows | calls per full window (min–max) | pacing, full windows | pacing, whole run | Exact 429s | Teamleader 429s | wall time |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for m in paced {
            let Some(p) = &m.pacing else { continue };
            let min = p.window_calls.iter().min().copied().unwrap_or(0);
            let max = p.window_calls.iter().max().copied().unwrap_or(0);
            let _ = writeln!(
                out,
                "| {} | {} | {:.1} | {} | {min}–{max} | {} | {:.3} | {} | {} | {:.1} s |",
                m.scenario.label(),
                exact_api_calls(&m.exact_calls),
                m.sim_seconds / 60.0,
                p.window_calls.len(),
                p.full_windows
                    .map_or("n/a".to_owned(), |e| format!("{e:.3}")),
                p.whole_run,
                m.exact_429,
                m.teamleader_429,
                m.export_seconds,
            );
        }
    }

    let _ = writeln!(out, "\n#### Memory (MiB; every run in a fresh process)\n");
    let _ = writeln!(
        out,
        "| run | RSS at start | RSS after generating + connecting (baseline) | peak RSS during export | peak − baseline | simulators' heap: generated → after export | Koppel state heap (in-memory store) | exporter peak heap | of which Teamleader client (its peak) | Teamleader client caches at the end of the run |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for m in runs {
        let mem = &m.memory;
        let growth = match (mem.rss_export_peak, mem.rss_baseline) {
            (Some(peak), Some(base)) if mem.rss_peak_was_reset => {
                mib(Some(peak.saturating_sub(base)))
            }
            _ => "n/a".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {growth} | {} → {} | {} | {} | {} | {} |",
            m.scenario.label(),
            mib(mem.rss_start),
            mib(mem.rss_baseline),
            mib(mem.rss_export_peak),
            mib_usize(mem.heap_simulators_seeded),
            mib_usize(mem.heap_simulators_end),
            mib_usize(mem.heap_store_end),
            mib_usize(mem.heap_exporter_peak),
            mib_usize(mem.heap_teamleader_client_peak),
            mib_usize(mem.heap_teamleader_client_retained),
        );
    }
    let _ = writeln!(out, "\n#### Calls by endpoint\n");
    let _ = writeln!(out, "| run | Exact | Teamleader |\n|---|---|---|");
    for m in runs {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            m.scenario.label(),
            listing(&m.exact_calls),
            listing(&m.teamleader_calls)
        );
    }
    out
}

/// `key n, key n` for a table cell.
fn listing(calls: &BTreeMap<String, u64>) -> String {
    calls
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One target and whether it was met.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// What the target says.
    pub target: String,
    /// What was measured.
    pub measured: String,
    /// Met (`None`: shown for information, no target).
    pub met: Option<bool>,
}

/// A verdict on a target.
pub fn verdict(target: &str, measured: String, met: bool) -> Verdict {
    Verdict {
        target: target.to_owned(),
        measured,
        met: Some(met),
    }
}

/// A figure shown without a target.
pub fn information(what: &str, measured: String) -> Verdict {
    Verdict {
        target: what.to_owned(),
        measured,
        met: None,
    }
}

fn find(runs: &[Measurement], docs: usize, pdf: bool, limits: bool) -> Option<&Measurement> {
    runs.iter().find(|m| {
        m.scenario.docs == docs && m.scenario.attach_pdf == pdf && m.scenario.limits == limits
    })
}

/// The targets, checked against `runs` (`small`/`large`: the document counts
/// compared for memory).
pub fn verdicts(runs: &[Measurement], small: usize, large: usize) -> Vec<Verdict> {
    let mut out = Vec::new();
    for m in runs.iter().filter(|m| !m.scenario.limits) {
        let exact = ExactSplit::of(&m.exact_calls);
        let entries = per_doc(exact.entries, m);
        out.push(verdict(
            &format!(
                "≤ 1.0 ledger call per document for the entry ({})",
                m.scenario.label()
            ),
            format!("{entries:.3}"),
            entries <= 1.0,
        ));
        let creates = exact.customer_creates as f64 / f64::from(m.customers_created.max(1));
        out.push(verdict(
            &format!("+1 call per new customer ({})", m.scenario.label()),
            format!(
                "{} creates for {} new customers, + {} look-ups",
                exact.customer_creates, m.customers_created, exact.customer_lookups
            ),
            creates <= 1.0,
        ));
        if m.scenario.attach_pdf {
            let attachments = per_doc(exact.attachments, m);
            out.push(verdict(
                "+2 ledger calls per document with the PDF",
                format!("+{attachments:.3}"),
                attachments <= 2.0,
            ));
        }
        // Since issue 7 the export writes each customer's number to Teamleader's external id:
        // counted apart, against one per customer (and the contacts' field created once).
        let (tl, downloads) = teamleader_api(&m.teamleader_calls);
        let numbers = customer_numbers_written(&m.teamleader_calls);
        let without_pdf = per_doc(tl - downloads - numbers, m);
        out.push(verdict(
            &format!(
                "≤ 1.05 Teamleader calls per document (+1 for the PDF, +1 per customer number written) ({})",
                m.scenario.label()
            ),
            format!(
                "{without_pdf:.3} + {:.3} PDF downloads + {numbers} calls writing customer numbers (the account has {} customers)",
                per_doc(downloads, m),
                customers_of(&m.scenario.account())
            ),
            without_pdf <= 1.05
                && per_doc(downloads, m) <= 1.0
                && numbers <= customers_of(&m.scenario.account()) + 2,
        ));
    }
    for m in runs.iter().filter(|m| m.scenario.limits) {
        if let Some(p) = &m.pacing {
            let efficiency = p.full_windows.unwrap_or(p.whole_run);
            out.push(verdict(
                "pacing ≥ 0.95 of Exact's minute quota",
                format!("{efficiency:.3} ({})", m.scenario.label()),
                efficiency >= 0.95,
            ));
        }
        out.push(verdict(
            "zero 429s",
            format!("Exact {}, Teamleader {}", m.exact_429, m.teamleader_429),
            m.exact_429 == 0 && m.teamleader_429 == 0,
        ));
    }
    if let (Some(a), Some(b)) = (
        find(runs, small, false, false),
        find(runs, large, false, false),
    ) {
        let ratio = b.memory.heap_exporter_peak as f64 / a.memory.heap_exporter_peak.max(1) as f64;
        out.push(verdict(
            &format!("exporter's peak memory at {large} ≤ 1.2 × at {small}"),
            format!(
                "{ratio:.2}× ({} → {} MiB exporter heap)",
                mib_usize(a.memory.heap_exporter_peak),
                mib_usize(b.memory.heap_exporter_peak)
            ),
            ratio <= 1.2,
        ));
        if let (Some(pa), Some(pb)) = (a.memory.rss_export_peak, b.memory.rss_export_peak) {
            out.push(information(
                &format!("whole process (simulators included): peak RSS at {large} vs {small}"),
                format!(
                    "{:.2}× ({} → {} MiB)",
                    pb as f64 / pa.max(1) as f64,
                    mib(Some(pa)),
                    mib(Some(pb))
                ),
            ));
        }
    }
    out
}

/// The verdicts as a Markdown table.
pub fn verdict_table(verdicts: &[Verdict]) -> String {
    let mut out = String::from("| target | measured | met |\n|---|---|---|\n");
    for v in verdicts {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            v.target,
            v.measured,
            match v.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "(information)",
            }
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calls(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn exact_calls_are_split_by_purpose() {
        let split = ExactSplit::of(&calls(&[
            ("POST salesentry/SalesEntries", 100),
            ("GET salesentry/SalesEntries", 1),
            ("GET crm/Accounts", 3),
            ("POST crm/Accounts", 14),
            ("POST documents/Documents", 100),
            ("POST documents/DocumentAttachments", 100),
            ("GET financial/GLAccounts", 1),
            ("GET vat/VATCodes", 1),
            ("POST oauth2/token", 2),
        ]));
        assert_eq!(split.entries, 100);
        assert_eq!(split.entry_lookups, 1);
        assert_eq!(split.customer_lookups, 3);
        assert_eq!(split.customer_creates, 14);
        assert_eq!(split.attachments, 200);
        assert_eq!(split.reference_reads, 2);
        assert_eq!(split.oauth, 2);
        assert_eq!(split.api(), 320);
    }

    fn run(docs: usize, exporter_peak: usize, exact: &[(&str, u64)]) -> Measurement {
        Measurement {
            scenario: crate::scenario::Scenario {
                docs,
                attach_pdf: false,
                limits: false,
                speed: 1.0,
                seed: 1,
            },
            documents: docs,
            exported: docs as u32,
            customers_created: (docs / 7) as u32,
            invocations: 1,
            generate_seconds: 0.1,
            export_seconds: 1.0,
            sim_seconds: 1.0,
            exporter_cpu_seconds: 0.5,
            simulators_cpu_seconds: 0.5,
            exact_calls: calls(exact),
            exact_429: 0,
            teamleader_calls: calls(&[("invoices.info", docs as u64), ("invoices.list", 1)]),
            teamleader_429: 0,
            pacing: None,
            memory: crate::scenario::Memory {
                heap_exporter_peak: exporter_peak,
                ..Default::default()
            },
        }
    }

    #[test]
    fn verdicts_flag_what_misses_a_target() {
        let good = [
            ("POST salesentry/SalesEntries", 1_000),
            ("POST crm/Accounts", 142),
        ];
        let runs = [
            run(1_000, 1_000_000, &good),
            run(
                10_000,
                1_100_000,
                &[
                    ("POST salesentry/SalesEntries", 10_000),
                    ("POST crm/Accounts", 1_500),
                ],
            ),
        ];
        let verdicts = verdicts(&runs, 1_000, 10_000);
        let missed: Vec<&str> = verdicts
            .iter()
            .filter(|v| v.met == Some(false))
            .map(|v| v.target.as_str())
            .collect();
        assert_eq!(
            missed,
            vec!["+1 call per new customer (10000 docs, no PDF, limits off)"]
        );

        let grown = [run(1_000, 1_000_000, &good), run(10_000, 2_000_000, &good)];
        let memory = verdicts_for_memory(&grown);
        assert_eq!(memory, Some(false));
    }

    fn verdicts_for_memory(runs: &[Measurement]) -> Option<bool> {
        verdicts(runs, 1_000, 10_000)
            .into_iter()
            .find(|v| v.target.starts_with("exporter's peak memory"))
            .and_then(|v| v.met)
    }

    #[test]
    fn teamleader_oauth_is_not_an_api_call_and_downloads_are_counted() {
        let (api, downloads) = teamleader_api(&calls(&[
            ("invoices.info", 90),
            ("creditNotes.info", 10),
            ("invoices.download", 90),
            ("creditNotes.download", 10),
            ("oauth2/access_token", 1),
        ]));
        assert_eq!((api, downloads), (200, 100));
    }
}
