//! The Twinfield section of the benchmark report: the export's SOAP calls and credits per
//! document by endpoint, the 429s, the simulated minutes the credits pacing took, the payment
//! poll's calls and credits, and the targets.

use crate::jobs::api_calls;
use crate::report::{Verdict, customer_numbers_written, information, teamleader_api, verdict};
use crate::twinfield::{
    CreditMinutes, ExportFigures, PollFigures, TwinfieldCalls, TwinfieldMeasurement,
};
use koppel_sim::twinfield::DEFAULT_CREDITS_PER_MINUTE;
use std::collections::BTreeMap;
use std::fmt::Write;

/// "A handful per run": what an export may spend besides one transaction per document and
/// one ProcessXml per new customer, per handler invocation. Measured (1,000 documents, one
/// invocation): 13 — the reference data (finder pages of balance and P&L accounts, sales
/// transaction types, sales VAT codes + one `read vat` per code (4 in the Belgian office),
/// periods of three years: 11), one finder page of the office's DEB dimensions, and the
/// access token's validation. Allowed: 15, the 13 + a token refresh (an access token lives an
/// hour) + one more VAT code. The DEB dimensions are read again by every later invocation,
/// a page per 100 customers: [`export_allowance`] adds a page per 100 customers created.
pub const HANDFUL: u64 = 15;

/// Finder rows a page.
const FINDER_PAGE: u64 = 100;

fn exports(runs: &[TwinfieldMeasurement]) -> impl Iterator<Item = &ExportFigures> {
    runs.iter().filter_map(|m| match m {
        TwinfieldMeasurement::Export(e) => Some(e),
        TwinfieldMeasurement::PaymentPoll(_) => None,
    })
}

fn polls(runs: &[TwinfieldMeasurement]) -> impl Iterator<Item = &PollFigures> {
    runs.iter().filter_map(|m| match m {
        TwinfieldMeasurement::PaymentPoll(p) => Some(p.as_ref()),
        TwinfieldMeasurement::Export(_) => None,
    })
}

fn per_doc(calls: u64, docs: usize) -> f64 {
    calls as f64 / docs.max(1) as f64
}

fn minutes(seconds: f64) -> f64 {
    seconds / 60.0
}

/// `a 3 · b 1`, in the map's order.
fn listing(calls: &BTreeMap<String, u64>) -> String {
    calls
        .iter()
        .map(|(key, n)| format!("`{key}` {n}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// What the export may spend: one transaction per document, one ProcessXml per new
/// customer, a handful per invocation, and one more DEB page per 100 customers created (the
/// next invocation reads them).
pub fn export_allowance(docs: usize, calls: &TwinfieldCalls, invocations: u32) -> u64 {
    let invocations = u64::from(invocations.max(1));
    docs as u64
        + calls.dimensions_created
        + HANDFUL * invocations
        + calls.dimensions_created.div_ceil(FINDER_PAGE) * (invocations - 1)
}

/// Requests besides the transactions and the customers created.
fn besides_documents(calls: &TwinfieldCalls) -> u64 {
    calls
        .total()
        .saturating_sub(calls.process_xml("transactions") + calls.process_xml("dimensions"))
}

/// Credits a simulated minute over the run.
fn credits_per_minute(calls: &TwinfieldCalls, seconds: f64) -> f64 {
    calls.credits as f64 / minutes(seconds).max(1.0 / 60.0)
}

/// The fewest whole minutes the credits need at Twinfield's rate.
fn minimum_minutes(calls: &TwinfieldCalls) -> u64 {
    calls
        .credits
        .div_ceil(u64::from(DEFAULT_CREDITS_PER_MINUTE))
}

/// The credits per clock minute, in words.
fn pacing(m: &CreditMinutes) -> String {
    format!(
        "{} clock minutes with credits, at most {} in one, {} over {DEFAULT_CREDITS_PER_MINUTE} (by {} credits in all), the clock moved {} times",
        m.minutes, m.max, m.over, m.excess, m.clock_moves
    )
}

fn breakdown(calls: &TwinfieldCalls) -> String {
    format!(
        "{} transactions + {} dimensions + {} read + {} browse + {} finder ({}) + {} token + {} validation",
        calls.process_xml("transactions"),
        calls.process_xml("dimensions"),
        calls.process_xml("read"),
        calls.process_xml("columns"),
        calls.get("finder"),
        ["DIM", "TRS", "VAT", "PRD", "OFF", "IVT"]
            .iter()
            .filter(|k| calls.finder(k) > 0)
            .map(|k| format!("{k} {}", calls.finder(k)))
            .collect::<Vec<_>>()
            .join(", "),
        calls.get("token"),
        calls.get("accesstokenvalidation"),
    )
}

/// The section's Markdown.
pub fn section(runs: &[TwinfieldMeasurement], verdicts: &[Verdict]) -> String {
    let mut out = String::from("\n### Twinfield\n\n");
    out.push_str("#### Export (virtual time; Koppel paces at 1,000 credits a minute, one request at a time)\n\n");
    out.push_str("| run | documents | customers created (+ matched) | invocations | SOAP calls/doc | transactions/doc | dimensions (new customers) | reads: finder + read vat + browse | sign-in: token + validation | allowed (docs + new customers + handful) | credits (per doc) | 429s + clock minutes over 1,000 | most credits in a clock minute | simulated minutes (credits ÷ 1,000) | Teamleader API calls/doc | wall time |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for e in exports(runs) {
        let t = &e.twinfield;
        let (tl, _) = teamleader_api(&e.teamleader_calls);
        let allowed = export_allowance(e.documents, t, e.invocations);
        let _ = writeln!(
            out,
            "| {} docs | {} | {} (+ {}) | {} | {:.3} | {:.3} | {} | {} + {} + {} | {} + {} | {} ({:.3}/doc) | {} ({:.2}) | {} + {} | {} | {:.1} ({}) | {:.3} | {:.1} s |",
            e.documents,
            e.documents,
            e.customers_created,
            e.customers_matched,
            e.invocations,
            per_doc(t.soap(), e.documents),
            per_doc(t.process_xml("transactions"), e.documents),
            t.process_xml("dimensions"),
            t.get("finder"),
            t.process_xml("read"),
            t.process_xml("columns"),
            t.get("token"),
            t.get("accesstokenvalidation"),
            allowed,
            per_doc(allowed, e.documents),
            t.credits,
            per_doc(t.credits, e.documents),
            t.rate_limited,
            e.minutes.over,
            e.minutes.max,
            minutes(e.simulated_seconds),
            minimum_minutes(t),
            per_doc(tl, e.documents),
            e.seconds
        );
    }
    for e in exports(runs) {
        let _ = writeln!(
            out,
            "\n{} documents — Twinfield calls: {}; credits by endpoint: {}; {:.0} credits a simulated minute; {}; Teamleader: {}.",
            e.documents,
            listing(&e.twinfield.by_endpoint),
            listing(&e.twinfield.credits_by_endpoint()),
            credits_per_minute(&e.twinfield, e.simulated_seconds),
            pacing(&e.minutes),
            listing(&e.teamleader_calls)
        );
    }
    out.push_str("\n#### Payment poll\n\n");
    out.push_str("| payment poll | open documents | matched in Twinfield: full (invoices + credit notes) + part | newly paid (full + partly) | Twinfield calls | of which browse + sign-in | credits | 429s + clock minutes over 1,000 | Teamleader calls | next poll (nothing new): Twinfield calls (credits) + Teamleader | wall time |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for p in polls(runs) {
        let t = &p.twinfield;
        let _ = writeln!(
            out,
            "| {} open | {} | {} + {} + {} | {} + {} | {} | {} + {} | {} | {} + {} | {} | {} ({}) + {} | {:.1} s |",
            p.open,
            p.open,
            p.matched_full.0,
            p.matched_full.1,
            p.matched_part,
            p.marked_paid,
            p.partly_paid,
            t.total(),
            t.process_xml("columns"),
            t.sign_in(),
            t.credits,
            t.rate_limited,
            p.minutes.over,
            api_calls(&p.teamleader_calls),
            p.next_twinfield.total(),
            p.next_twinfield.credits,
            api_calls(&p.next_teamleader_calls),
            p.seconds
        );
        let _ = writeln!(
            out,
            "\nThe poll — Twinfield: {}; Teamleader: {}. The next poll — Twinfield: {}; Teamleader: {}.",
            listing(&t.by_endpoint),
            listing(&p.teamleader_calls),
            listing(&p.next_twinfield.by_endpoint),
            listing(&p.next_teamleader_calls)
        );
        let e = &p.export_twinfield;
        let _ = writeln!(
            out,
            "\nThe export of these {} documents before the poll (no drafts, no contacts, {} customers created, {} invocations): {} SOAP calls ({:.3} per document), {} credits, {} 429s, {}; {:.1} simulated minutes; {}.",
            p.exported,
            e.dimensions_created,
            p.export_invocations,
            e.soap(),
            per_doc(e.soap(), p.exported as usize),
            e.credits,
            e.rate_limited,
            pacing(&p.export_minutes),
            minutes(p.export_simulated_seconds),
            breakdown(e)
        );
    }
    out.push_str("\n#### Targets (Twinfield)\n\n");
    out.push_str(&crate::report::verdict_table(verdicts));
    out
}

fn export_verdicts(
    out: &mut Vec<Verdict>,
    label: &str,
    docs: usize,
    calls: &TwinfieldCalls,
    invocations: u32,
    simulated_seconds: f64,
    paced: &CreditMinutes,
) {
    let allowed = export_allowance(docs, calls, invocations);
    let total = calls.total();
    out.push(verdict(
        &format!(
            "Twinfield export: calls ≤ 1 per document + 1 per new customer + a handful ({HANDFUL} per invocation: reference data, DEB pages, token, validation; + 1 DEB page per 100 new customers per later invocation) ({label})"
        ),
        format!(
            "{total} calls for {docs} documents and {} new customers in {invocations} invocation(s): {:.3} per document (allowed {allowed}, {:.3}); besides transactions and new customers {} ({})",
            calls.dimensions_created,
            per_doc(total, docs),
            per_doc(allowed, docs),
            besides_documents(calls),
            breakdown(calls)
        ),
        total <= allowed,
    ));
    let transactions = calls.process_xml("transactions");
    out.push(verdict(
        &format!("Twinfield export: exactly 1 transaction ProcessXml per document ({label})"),
        format!(
            "{transactions} ProcessXml transactions, {} booked, {} refused",
            calls.transactions_booked, calls.transactions_refused
        ),
        transactions == docs as u64 && calls.transactions_booked == docs as u64,
    ));
    out.push(verdict(
        &format!(
            "Twinfield export: zero 429s — none answered, no clock minute over {DEFAULT_CREDITS_PER_MINUTE} credits ({label})"
        ),
        format!(
            "{} answers 429; {}; {} credits in {:.1} simulated minutes ({:.0} a minute; the credits need at least {} windows of a minute)",
            calls.rate_limited,
            pacing(paced),
            calls.credits,
            minutes(simulated_seconds),
            credits_per_minute(calls, simulated_seconds),
            minimum_minutes(calls)
        ),
        calls.rate_limited == 0 && paced.over == 0,
    ));
}

/// The Twinfield targets.
pub fn verdicts(runs: &[TwinfieldMeasurement]) -> Vec<Verdict> {
    let mut out = Vec::new();
    for e in exports(runs) {
        let label = format!("{} docs", e.documents);
        export_verdicts(
            &mut out,
            &label,
            e.documents,
            &e.twinfield,
            e.invocations,
            e.simulated_seconds,
            &e.minutes,
        );
        let created = e.twinfield.process_xml("dimensions");
        out.push(verdict(
            &format!("Twinfield export: 1 ProcessXml per new customer ({label})"),
            format!(
                "{created} ProcessXml dimensions for {} customers created ({} in the run report)",
                e.twinfield.dimensions_created, e.customers_created
            ),
            created == e.twinfield.dimensions_created
                && e.twinfield.dimensions_created == u64::from(e.customers_created),
        ));
        let (tl, downloads) = teamleader_api(&e.teamleader_calls);
        let numbers = customer_numbers_written(&e.teamleader_calls);
        let documents = per_doc(tl - downloads - numbers, e.documents);
        out.push(verdict(
            &format!(
                "Twinfield export: ≤ 1.05 Teamleader calls per document (+1 per customer number written) ({label})"
            ),
            format!(
                "{documents:.3} + {numbers} calls writing customer numbers (the account has {} customers)",
                e.customers
            ),
            documents <= 1.05 && numbers <= e.customers as u64 + 2,
        ));
    }
    for p in polls(runs) {
        let label = format!("{} open", p.open);
        export_verdicts(
            &mut out,
            &format!("{} docs, before the poll", p.exported),
            p.exported as usize,
            &p.export_twinfield,
            p.export_invocations,
            p.export_simulated_seconds,
            &p.export_minutes,
        );
        let t = &p.twinfield;
        let browses = t.process_xml("columns");
        out.push(verdict(
            &format!(
                "Twinfield payment poll: 1 browse per transaction type for all open documents + sign-in, zero 429s ({label})"
            ),
            format!(
                "{} calls: {browses} browse + {} sign-in + {} other; {} credits; {} answers 429; both polls: {}",
                t.total(),
                t.sign_in(),
                t.total() - browses - t.sign_in(),
                t.credits,
                t.rate_limited,
                pacing(&p.minutes)
            ),
            browses == 1 && t.sign_in() <= 2 && t.total() == browses + t.sign_in()
                && t.rate_limited == 0
                && p.minutes.over == 0,
        ));
        let registered = p
            .teamleader_calls
            .get("invoices.registerPayment")
            .copied()
            .unwrap_or(0);
        let newly = u64::from(p.marked_paid + p.partly_paid);
        let teamleader = api_calls(&p.teamleader_calls);
        // The poll asks Teamleader per chunk of 1,000 open documents, 100 invoices a call.
        let lists = u64::from(p.open).div_ceil(1_000) + newly.div_ceil(100);
        out.push(verdict(
            &format!(
                "Twinfield payment poll: 1 Teamleader registration per newly paid invoice ({label})"
            ),
            format!(
                "{registered} registrations for {newly} newly paid ({} matched in full + {} in part in Twinfield); {teamleader} Teamleader calls in all (at most {} expected: the registrations and `invoices.list` per chunk)",
                p.matched_full.0,
                p.matched_part,
                registered + lists
            ),
            registered == newly
                && newly == u64::from(p.matched_full.0 + p.matched_part)
                && teamleader <= registered + lists,
        ));
        out.push(information(
            &format!("Twinfield payment poll with nothing new ({label})"),
            format!(
                "{} Twinfield calls ({}), {} credits, {} answers 429 + {} Teamleader calls",
                p.next_twinfield.total(),
                listing(&p.next_twinfield.by_endpoint),
                p.next_twinfield.credits,
                p.next_twinfield.rate_limited,
                api_calls(&p.next_teamleader_calls)
            ),
        ));
        out.push(verdict(
            &format!("Twinfield: zero 429s in the next poll ({label})"),
            format!("{} answers 429", p.next_twinfield.rate_limited),
            p.next_twinfield.rate_limited == 0,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calls(endpoints: &[(&str, u64)]) -> TwinfieldCalls {
        TwinfieldCalls {
            by_endpoint: endpoints
                .iter()
                .map(|(k, n)| ((*k).to_owned(), *n))
                .collect(),
            ..TwinfieldCalls::default()
        }
    }

    #[test]
    fn the_export_allowance_is_documents_new_customers_and_a_handful() {
        let mut c = calls(&[
            ("processxml", 804),
            ("processxml:transactions", 700),
            ("processxml:dimensions", 100),
            ("processxml:read", 4),
            ("finder", 7),
            ("finder:DIM", 3),
            ("finder:PRD", 3),
            ("finder:VAT", 1),
            ("token", 1),
            ("accesstokenvalidation", 1),
        ]);
        c.dimensions_created = 100;
        c.transactions_booked = 700;
        assert_eq!(c.soap(), 811);
        assert_eq!(c.total(), 813);
        assert_eq!(besides_documents(&c), 13);
        assert_eq!(
            c.credits_by_endpoint().values().sum::<u64>(),
            2_100 + 300 + 4 + 7
        );
        assert_eq!(export_allowance(700, &c, 1), 815);
        assert_eq!(export_allowance(700, &c, 3), 700 + 100 + 45 + 2);
        let paced = CreditMinutes::default();
        let mut out = Vec::new();
        export_verdicts(&mut out, "t", 700, &c, 1, 180.0, &paced);
        assert!(out.iter().all(|v| v.met == Some(true)), "{out:?}");
        *c.by_endpoint.get_mut("finder").unwrap() += 3;
        let mut out = Vec::new();
        export_verdicts(&mut out, "t", 700, &c, 1, 180.0, &paced);
        assert_eq!(out[0].met, Some(false), "{out:?}");
        c.rate_limited = 1;
        let mut out = Vec::new();
        export_verdicts(&mut out, "t", 700, &c, 2, 180.0, &paced);
        assert_eq!(out[2].met, Some(false), "a 429: {out:?}");
        c.rate_limited = 0;
        let over = CreditMinutes {
            over: 1,
            ..CreditMinutes::default()
        };
        let mut out = Vec::new();
        export_verdicts(&mut out, "t", 700, &c, 2, 180.0, &over);
        assert_eq!(out[2].met, Some(false), "a minute over 1,000: {out:?}");
    }
}
