//! The Clearfacts section of the benchmark report: the export's calls per document (uploads
//! and company checks), the Peppol BIS 3 / PDF split with the PDFs' reasons, the time of the
//! official rules' checks, the payment poll's requests per 50 documents, and the targets.

use crate::clearfacts::{ClearfactsMeasurement, STATES_PER_REQUEST};
use crate::jobs::api_calls;
use crate::report::{Verdict, information, teamleader_api, verdict};
use std::collections::BTreeMap;
use std::fmt::Write;

/// What an export may spend besides one upload per document, per handler invocation: the
/// company check (`administration`, it also proves the token) and a token refresh.
pub const PER_INVOCATION: u64 = 2;

fn per_doc(calls: u64, docs: usize) -> f64 {
    calls as f64 / docs.max(1) as f64
}

fn ms(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.1} ms"))
}

/// `a 3 · b 1`, in the map's order.
fn listing<V: std::fmt::Display>(calls: &BTreeMap<String, V>) -> String {
    if calls.is_empty() {
        return "none".to_owned();
    }
    calls
        .iter()
        .map(|(key, n)| format!("`{key}` {n}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The PDFs' reasons, most frequent first.
fn reasons(m: &ClearfactsMeasurement) -> String {
    let mut by: Vec<(&String, &u32)> = m.pdf_reasons.iter().collect();
    by.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    if by.is_empty() {
        return "none".to_owned();
    }
    by.iter()
        .map(|(reason, n)| format!("{reason} ×{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The section's Markdown.
pub fn section(runs: &[ClearfactsMeasurement], verdicts: &[Verdict]) -> String {
    let mut out = String::from("\n### Clearfacts\n\n");
    out.push_str("#### Export (virtual time, Koppel's state in memory)\n\n");
    out.push_str("| run | documents | as Peppol BIS 3 + as PDF | invocations | Clearfacts requests/doc | uploads/doc | company checks (`administration`) | token grants | Teamleader API calls/doc | validation: checks, cold, warm median, warm p95 | wall time |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for m in runs {
        let c = &m.clearfacts;
        let (tl, _) = teamleader_api(&m.teamleader_calls);
        let _ = writeln!(
            out,
            "| {} docs | {} | {} + {} | {} | {:.3} | {:.3} | {} | {} | {:.3} | {}, {}, {}, {} | {:.1} s |",
            m.documents,
            m.documents,
            m.sent_structured,
            m.sent_as_pdf,
            m.invocations,
            per_doc(c.graphql() + c.sign_in(), m.documents),
            per_doc(c.get("uploadFile"), m.documents),
            c.get("administration"),
            c.get("token"),
            per_doc(tl, m.documents),
            m.validation.checks,
            ms(m.validation.cold_ms),
            ms(m.validation.median_ms),
            ms(m.validation.p95_ms),
            m.seconds
        );
    }
    for m in runs {
        let _ = writeln!(
            out,
            "\n{} documents — Clearfacts: {}; Teamleader: {}. PDFs by reason: {}. Validation: {} checks by the export ({} found the file invalid, {} could not run), the slowest warm one {}; the {} XML upload(s) checked again afterwards: {} refused, {:.1} s.{}",
            m.documents,
            listing(&m.clearfacts.by_endpoint),
            listing(&m.teamleader_calls),
            reasons(m),
            m.validation.checks,
            m.validation.invalid,
            m.validation.errors,
            ms(m.validation.max_ms),
            m.recheck.0,
            m.recheck.1,
            m.recheck.2,
            if m.validator_configured {
                ""
            } else {
                " The official rules were NOT configured (KOPPEL_PEPPOL_PYTHON, EINVOICE_RULES_DIR: `set -a; . .dev/env; set +a` after `infra/dev up`): every document went as its PDF."
            }
        );
    }
    out.push_str("\n#### Payment poll\n\n");
    out.push_str("| payment poll | open documents | set `PAID` in Clearfacts | marked paid | GraphQL requests | `document` fields | requests per 50 documents | Teamleader calls | wall time |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for m in runs {
        let p = &m.poll_clearfacts;
        let _ = writeln!(
            out,
            "| {} open | {} | {} | {} | {} | {} | {:.2} | {} | {:.1} s |",
            m.open,
            m.open,
            m.set_paid,
            m.marked_paid,
            p.graphql(),
            p.get("document"),
            p.state_requests() as f64 / (f64::from(m.open) / STATES_PER_REQUEST as f64).max(1.0),
            api_calls(&m.poll_teamleader_calls),
            m.poll_seconds
        );
        let _ = writeln!(
            out,
            "\nThe poll — Clearfacts: {}; Teamleader: {}.",
            listing(&p.by_endpoint),
            listing(&m.poll_teamleader_calls)
        );
    }
    out.push_str("\n#### Targets (Clearfacts)\n\n");
    out.push_str(&crate::report::verdict_table(verdicts));
    out
}

/// The Clearfacts targets.
pub fn verdicts(runs: &[ClearfactsMeasurement]) -> Vec<Verdict> {
    let mut out = Vec::new();
    for m in runs {
        let label = format!("{} docs", m.documents);
        let c = &m.clearfacts;
        let docs = m.documents as u64;
        let invocations = u64::from(m.invocations.max(1));
        let allowed = docs + PER_INVOCATION * invocations;
        let requests = c.graphql() + c.sign_in();
        out.push(verdict(
            &format!(
                "Clearfacts export: 1 upload per document + the company check and a token refresh per invocation ({label})"
            ),
            format!(
                "{requests} requests for {docs} documents in {} invocation(s): {} `uploadFile`, {} `administration`, {} sign-in; {:.3} per document (allowed {allowed})",
                m.invocations,
                c.get("uploadFile"),
                c.get("administration"),
                c.sign_in(),
                per_doc(requests, m.documents)
            ),
            c.get("uploadFile") == docs
                && c.uploads_stored == docs
                && c.get("administration") <= invocations
                && requests <= allowed,
        ));
        let (uploads, distinct, xml) = m.uploads;
        out.push(verdict(
            &format!(
                "Clearfacts export: each document once — distinct files (SHA-256) = uploads = documents ({label})"
            ),
            format!(
                "{uploads} uploads, {distinct} distinct, {} reported as maybe twice",
                m.maybe_sent_twice
            ),
            uploads == m.documents && distinct == uploads && m.maybe_sent_twice == 0,
        ));
        let reasoned: u32 = m.pdf_reasons.values().sum();
        out.push(verdict(
            &format!(
                "Clearfacts export: every document as a Peppol BIS 3 file or as the PDF with its reason ({label})"
            ),
            format!(
                "{} BIS 3 ({xml} XML uploads) + {} PDF ({reasoned} reasons in the report: {})",
                m.sent_structured,
                m.sent_as_pdf,
                reasons(m)
            ),
            (m.sent_structured + m.sent_as_pdf) as usize == m.documents
                && xml == m.sent_structured as usize
                && reasoned == m.sent_as_pdf,
        ));
        if m.validator_configured {
            out.push(verdict(
                &format!(
                    "Clearfacts export: every XML upload passes the official rules, checked again ({label})"
                ),
                format!(
                    "{} checked again, {} refused",
                    m.recheck.0, m.recheck.1
                ),
                m.recheck.0 == xml && m.recheck.1 == 0 && m.validation.errors == 0,
            ));
        }
        out.push(information(
            &format!("Clearfacts: time of the official rules' check per document, warm ({label})"),
            if m.validator_configured {
                format!(
                    "median {}, p95 {}, max {} over {} checks; the first (starts the worker) {}",
                    ms(m.validation.median_ms),
                    ms(m.validation.p95_ms),
                    ms(m.validation.max_ms),
                    m.validation.checks.saturating_sub(1),
                    ms(m.validation.cold_ms)
                )
            } else {
                "not measured: the official rules are not configured".to_owned()
            },
        ));
        let needed = u64::from(m.open).div_ceil(STATES_PER_REQUEST);
        let p = &m.poll_clearfacts;
        out.push(verdict(
            &format!(
                "Clearfacts payment poll: 1 GraphQL request per {STATES_PER_REQUEST} open documents ({label})"
            ),
            format!(
                "{} state request(s) carrying {} `document` fields for {} open documents ({needed} needed); {} requests in all",
                p.state_requests(),
                p.get("document"),
                m.open,
                p.graphql() + p.sign_in()
            ),
            p.state_requests() == needed && p.get("document") == u64::from(m.open),
        ));
        let registered = m
            .poll_teamleader_calls
            .get("invoices.registerPayment")
            .copied()
            .unwrap_or(0);
        out.push(verdict(
            &format!(
                "Clearfacts payment poll: the invoices set PAID marked paid, 1 Teamleader registration each ({label})"
            ),
            format!(
                "{} set PAID, {} marked paid, {registered} registrations",
                m.set_paid, m.marked_paid
            ),
            m.marked_paid == m.set_paid && registered == u64::from(m.set_paid),
        ));
    }
    out
}
