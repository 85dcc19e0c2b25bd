//! The Octopus section of the benchmark report: the export's calls per document by endpoint
//! group, the payment poll's calls, the modified-bookings budget, and the targets.

use crate::jobs::api_calls;
use crate::octopus::{ExportFigures, OctopusCalls, OctopusMeasurement, PollFigures};
use crate::report::{Verdict, customer_numbers_written, information, teamleader_api, verdict};
use koppel_sim::octopus::DEFAULT_MODIFIED_CALLS_PER_DAY;
use koppel_sim::octopus::budget::Group;
use std::collections::BTreeMap;
use std::fmt::Write;

/// "A handful of reference reads per run": what an export may spend besides one booking per
/// document and one PUT per new relation, per handler invocation — the reference reads (book
/// years, VAT codes, journals per open book year, accounts), the one read of all relations,
/// and the sign-in (user token + dossier token).
pub const HANDFUL: u64 = 10;

fn exports(runs: &[OctopusMeasurement]) -> impl Iterator<Item = &ExportFigures> {
    runs.iter().filter_map(|m| match m {
        OctopusMeasurement::Export(e) => Some(e),
        OctopusMeasurement::PaymentPoll(_) => None,
    })
}

fn polls(runs: &[OctopusMeasurement]) -> impl Iterator<Item = &PollFigures> {
    runs.iter().filter_map(|m| match m {
        OctopusMeasurement::PaymentPoll(p) => Some(p.as_ref()),
        OctopusMeasurement::Export(_) => None,
    })
}

fn per_doc(calls: u64, docs: usize) -> f64 {
    calls as f64 / docs.max(1) as f64
}

/// `a 3 · b 1`, in the map's order.
fn listing(calls: &BTreeMap<String, u64>) -> String {
    calls
        .iter()
        .filter(|(key, _)| !key.contains("oauth2"))
        .map(|(key, n)| format!("`{key}` {n}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The groups in the order a run uses them.
fn groups(calls: &OctopusCalls) -> String {
    Group::ALL
        .iter()
        .map(|g| format!("{} {}", g.name(), calls.group(*g)))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// What the export may spend: one booking per document, one PUT per new relation, a
/// handful per invocation.
fn export_allowance(docs: usize, calls: &OctopusCalls, invocations: u32) -> u64 {
    docs as u64 + calls.relations_created + HANDFUL * u64::from(invocations.max(1))
}

/// Requests besides the bookings and the relations created: reference reads, relation
/// reads, sign-ins, anything else.
fn besides_documents(calls: &OctopusCalls) -> u64 {
    calls
        .total()
        .saturating_sub(calls.bookings_posted + calls.relations_created)
}

/// The section's Markdown.
pub fn section(runs: &[OctopusMeasurement], verdicts: &[Verdict]) -> String {
    let mut out = String::from("\n### Octopus\n\n");
    out.push_str("#### Export (rate limits off; the simulator's default budgets on)\n\n");
    out.push_str("| run | documents | relations created (+ matched) | Octopus calls/doc | bookings POST/doc | relation PUTs | reference reads | relation reads | sign-ins: user + dossier token | modified-bookings reads | allowed (docs + new relations + handful) | Teamleader API calls/doc | of which numbers written | wall time |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for e in exports(runs) {
        let o = &e.octopus;
        let (tl, _) = teamleader_api(&e.teamleader_calls);
        let _ = writeln!(
            out,
            "| {} docs | {} | {} (+ {}) | {:.3} | {:.3} | {} | {} | {} | {} + {} | {} | {} ({:.3}/doc) | {:.3} | {} | {:.1} s |",
            e.documents,
            e.documents,
            o.relations_created,
            e.customers_matched,
            per_doc(o.total(), e.documents),
            per_doc(
                o.to("POST /dossiers/{dossierId}/buysellbookings"),
                e.documents
            ),
            o.to("PUT /dossiers/{dossierId}/relations"),
            o.group(Group::Reference),
            o.to("GET /dossiers/{dossierId}/relations"),
            o.group(Group::Authentication),
            o.group(Group::Dossiers),
            o.group(Group::Modified),
            export_allowance(e.documents, o, e.invocations),
            per_doc(export_allowance(e.documents, o, e.invocations), e.documents),
            per_doc(tl, e.documents),
            customer_numbers_written(&e.teamleader_calls),
            e.seconds
        );
    }
    for e in exports(runs) {
        let _ = writeln!(
            out,
            "\n{} documents — Octopus by group: {}; by endpoint: {}; Teamleader: {}.",
            e.documents,
            groups(&e.octopus),
            listing(&e.octopus.by_endpoint),
            listing(&e.teamleader_calls)
        );
    }
    out.push_str("\n#### Payment poll\n\n");
    out.push_str("| payment poll | open documents | matched in Octopus: full (invoices + credit notes) + part | newly paid (full + partly) | Octopus calls | of which open-items reports + booking reads + sign-ins | Teamleader calls | next poll (nothing new): Octopus + Teamleader | modified-bookings reads | wall time |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for p in polls(runs) {
        let o = &p.octopus;
        let _ = writeln!(
            out,
            "| {} open | {} | {} + {} + {} | {} + {} | {} | {} + {} + {} | {} | {} + {} | {} | {:.1} s |",
            p.open,
            p.open,
            p.matched_full.0,
            p.matched_full.1,
            p.matched_part,
            p.marked_paid,
            p.partly_paid,
            o.total(),
            o.group(Group::Reports),
            o.group(Group::Bookings),
            o.sign_in_calls(),
            api_calls(&p.teamleader_calls),
            p.next_octopus.total(),
            api_calls(&p.next_teamleader_calls),
            o.group(Group::Modified),
            p.seconds
        );
        let _ = writeln!(
            out,
            "\nThe poll — Octopus by endpoint: {}; Teamleader: {}. The next poll — Octopus: {}; Teamleader: {}.",
            listing(&o.by_endpoint),
            listing(&p.teamleader_calls),
            listing(&p.next_octopus.by_endpoint),
            listing(&p.next_teamleader_calls)
        );
        let e = &p.export_octopus;
        let _ = writeln!(
            out,
            "\nThe export of these {} documents before the poll (no drafts, no contacts, {} relations created): {} Octopus calls ({:.3} per document); by group: {}.",
            p.exported,
            e.relations_created,
            e.total(),
            per_doc(e.total(), p.exported as usize),
            groups(e)
        );
    }
    out.push_str("\n#### Targets (Octopus)\n\n");
    out.push_str(&crate::report::verdict_table(verdicts));
    out
}

fn export_verdicts(
    out: &mut Vec<Verdict>,
    label: &str,
    docs: usize,
    calls: &OctopusCalls,
    invocations: u32,
) {
    let allowed = export_allowance(docs, calls, invocations);
    let total = calls.total();
    out.push(verdict(
        &format!(
            "Octopus export: calls ≤ 1.0 per document + 1 per new relation + a handful ({HANDFUL} per invocation: reference reads, the relations read, sign-in) ({label})"
        ),
        format!(
            "{total} calls for {docs} documents and {} new relations in {invocations} invocation(s): {:.3} per document (allowed {allowed}, {:.3}); besides the bookings and new relations {} (of which sign-in {})",
            calls.relations_created,
            per_doc(total, docs),
            per_doc(allowed, docs),
            besides_documents(calls),
            calls.sign_in_calls()
        ),
        total <= allowed,
    ));
    let posts = calls.to("POST /dossiers/{dossierId}/buysellbookings");
    out.push(verdict(
        &format!("Octopus export: exactly 1 booking POST per document ({label})"),
        format!("{posts} POSTs, {} bookings stored", calls.bookings_posted),
        posts == docs as u64 && calls.bookings_posted == docs as u64,
    ));
}

fn budget_verdict(out: &mut Vec<Verdict>, label: &str, calls: &OctopusCalls, today: u32) {
    out.push(verdict(
        &format!(
            "Octopus: the daily budget of {DEFAULT_MODIFIED_CALLS_PER_DAY} modified-bookings reads is not hit ({label})"
        ),
        format!(
            "{} modified-bookings reads ({today} counted today for the dossier), {} answers 429",
            calls.group(Group::Modified),
            calls.rate_limited
        ),
        today < DEFAULT_MODIFIED_CALLS_PER_DAY && calls.rate_limited == 0,
    ));
}

/// The Octopus targets.
pub fn verdicts(runs: &[OctopusMeasurement]) -> Vec<Verdict> {
    let mut out = Vec::new();
    for e in exports(runs) {
        let label = format!("{} docs", e.documents);
        export_verdicts(&mut out, &label, e.documents, &e.octopus, e.invocations);
        let puts = e.octopus.to("PUT /dossiers/{dossierId}/relations");
        out.push(verdict(
            &format!("Octopus export: 1 PUT per new relation ({label})"),
            format!(
                "{puts} PUTs for {} relations created ({} in the run report)",
                e.octopus.relations_created, e.customers_created
            ),
            puts == e.octopus.relations_created
                && e.octopus.relations_created == u64::from(e.customers_created),
        ));
        budget_verdict(&mut out, &label, &e.octopus, e.modified_today);
        let (tl, downloads) = teamleader_api(&e.teamleader_calls);
        let numbers = customer_numbers_written(&e.teamleader_calls);
        let documents = per_doc(tl - downloads - numbers, e.documents);
        out.push(verdict(
            &format!(
                "Octopus export: ≤ 1.05 Teamleader calls per document (+1 per customer number written) ({label})"
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
            &p.export_octopus,
            1,
        );
        let o = &p.octopus;
        let reports = o.group(Group::Reports);
        let reads = o.group(Group::Bookings);
        let left = p.left_report();
        out.push(verdict(
            &format!(
                "Octopus payment poll: 1 open-items report + 1 read per booking that left the report + sign-in ({label})"
            ),
            format!(
                "{} calls: {reports} report + {reads} booking reads for {left} bookings matched in full + {} sign-in calls + {} other",
                o.total(),
                o.sign_in_calls(),
                o.total() - reports - reads - o.sign_in_calls()
            ),
            reports == 1
                && reads == left
                && o.sign_in_calls() <= 2
                && o.total() == reports + reads + o.sign_in_calls(),
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
                "Octopus payment poll: 1 Teamleader registration per newly paid invoice ({label})"
            ),
            format!(
                "{registered} registrations for {newly} newly paid ({} matched in full + {} in part in Octopus); {teamleader} Teamleader calls in all (the rest `invoices.list`: per chunk of 1,000 open documents one per 100 invoices to register, checking for payments made by hand; at most {lists} here)",
                p.matched_full.0, p.matched_part
            ),
            registered == newly
                && newly == u64::from(p.matched_full.0 + p.matched_part)
                && teamleader <= registered + lists,
        ));
        out.push(information(
            &format!("Octopus payment poll with nothing new ({label})"),
            format!(
                "{} Octopus calls ({}) + {} Teamleader calls",
                p.next_octopus.total(),
                groups(&p.next_octopus),
                api_calls(&p.next_teamleader_calls)
            ),
        ));
        let mut both = p.export_octopus.clone();
        for (group, n) in o.by_group.iter().chain(&p.next_octopus.by_group) {
            *both.by_group.entry(group.clone()).or_default() += n;
        }
        both.rate_limited += o.rate_limited + p.next_octopus.rate_limited;
        budget_verdict(
            &mut out,
            &format!("{label}: export + poll + next poll"),
            &both,
            p.modified_today,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calls(groups: &[(Group, u64)], endpoints: &[(&str, u64)]) -> OctopusCalls {
        OctopusCalls {
            by_group: groups
                .iter()
                .map(|(g, n)| (g.name().to_owned(), *n))
                .collect(),
            by_endpoint: endpoints
                .iter()
                .map(|(k, n)| ((*k).to_owned(), *n))
                .collect(),
            ..OctopusCalls::default()
        }
    }

    #[test]
    fn the_export_allowance_is_documents_new_relations_and_a_handful() {
        let mut c = calls(
            &[
                (Group::Authentication, 1),
                (Group::Dossiers, 1),
                (Group::Reference, 6),
                (Group::Relations, 101),
                (Group::Bookings, 700),
            ],
            &[("POST /dossiers/{dossierId}/buysellbookings", 700)],
        );
        c.bookings_posted = 700;
        c.relations_created = 100;
        assert_eq!(c.total(), 809);
        assert_eq!(c.sign_in_calls(), 2);
        assert_eq!(besides_documents(&c), 9);
        assert_eq!(export_allowance(700, &c, 1), 810);
        let mut out = Vec::new();
        export_verdicts(&mut out, "t", 700, &c, 1);
        assert!(out.iter().all(|v| v.met == Some(true)), "{out:?}");
        c.by_group.insert("reference".into(), 8);
        let mut out = Vec::new();
        export_verdicts(&mut out, "t", 700, &c, 1);
        assert_eq!(out[0].met, Some(false), "{out:?}");
    }
}
