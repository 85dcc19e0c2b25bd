//! Printing: amounts, durations, the run reports and what an Exact division holds.

use koppel_core::{Connection, RunReport};
use koppel_sim::exact::{self, SalesEntry};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// "€ 12,345.67" (negative: "-€ 12.50").
pub fn eur(amount: Decimal) -> String {
    let rounded = amount.round_dp(2);
    let text = format!("{:.2}", rounded.abs());
    let (whole, cents) = text.split_once('.').unwrap_or((&text, "00"));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
        "-"
    } else {
        ""
    };
    format!("{sign}€ {grouped}.{cents}")
}

/// "1m07s" / "12.3 s".
pub fn duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1} s")
    } else {
        format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

/// A section title.
pub fn title(text: &str) {
    println!();
    println!(
        "── {text} {}",
        "─".repeat(86usize.saturating_sub(text.chars().count()))
    );
}

/// The run report of one Exact connection, every issue with its reason.
pub fn report(label: &str, report: &RunReport) {
    report_for("Exact", label, report);
}

/// The run report of one connection to `ledger` ("Exact", "Octopus"), every issue with its
/// reason.
pub fn report_for(ledger: &str, label: &str, report: &RunReport) {
    let c = report.export_counts();
    println!("  {label}");
    println!(
        "    status {:?} after {} invocation(s); exported {}, already there {}, failed {}, skipped {}",
        report.status, report.invocations, c.exported, c.already_exported, c.failed, c.skipped
    );
    println!(
        "    customers created in {ledger} {}, matched to existing ones {}; customer numbers written to Teamleader {}",
        c.customers_created, c.customers_matched, c.customer_numbers_written
    );
    if let Some(message) = &report.message {
        println!("    message: {message}");
    }
    if report.issues.is_empty() {
        println!("    nothing needs attention");
        return;
    }
    println!("    {} document(s) need attention:", report.issues.len());
    for issue in &report.issues {
        println!(
            "    • {} ({:?}): {}",
            issue.subject, issue.outcome, issue.reason
        );
    }
}

/// The connection's settings as suggested at connect time.
pub fn settings(connection: &Connection, rates: &HashMap<String, (String, Decimal)>) {
    let s = &connection.settings;
    println!(
        "    journals: invoices {}, credit notes {}; default revenue account {}",
        s.invoice_journal.as_deref().unwrap_or("-"),
        s.credit_note_journal.as_deref().unwrap_or("-"),
        s.default_gl_account.as_deref().unwrap_or("-")
    );
    let mut mapped: Vec<String> = rates
        .iter()
        .filter_map(|(id, (label, _))| {
            let code = s
                .vat_codes
                .get(&koppel_core::TaxRateId::from(id.as_str()))?;
            Some(format!("{label} → {code}"))
        })
        .collect();
    mapped.sort();
    println!("    VAT codes: {}", mapped.join(", "));
}

/// What a division holds: entries per journal with totals, customers, PDFs and samples.
pub fn division(ex: &exact::SimHandle, code: i32, seeded_customers: usize) {
    let Some(d) = ex.division(code) else {
        println!("  division {code} does not exist");
        return;
    };
    println!(
        "  {} — division {code} ({})",
        d.description,
        d.legislation.country()
    );
    let mut journals: BTreeMap<&str, (usize, Decimal, Decimal)> = BTreeMap::new();
    for e in &d.entries {
        let j = journals.entry(e.journal.as_str()).or_default();
        j.0 += 1;
        j.1 += e.net_amount();
        j.2 += e.vat_amount();
    }
    for (journal, (count, net, vat)) in &journals {
        let name = d.journal(journal).map_or("", |j| j.description.as_str());
        println!(
            "    journal {journal:<4} {name:<22} {count:>4} entries   excl. VAT {:>15}   VAT {:>13}   incl. VAT {:>15}",
            eur(*net),
            eur(*vat),
            eur(*net + *vat)
        );
    }
    let net: Decimal = d.entries.iter().map(SalesEntry::net_amount).sum();
    let vat: Decimal = d.entries.iter().map(SalesEntry::vat_amount).sum();
    println!(
        "    total                       {:>4} entries   excl. VAT {:>15}   VAT {:>13}   incl. VAT {:>15}",
        d.entries.len(),
        eur(net),
        eur(vat),
        eur(net + vat)
    );
    let with_pdf = d
        .entries
        .iter()
        .filter(|e| {
            e.document
                .is_some_and(|doc| d.attachments_of(doc).next().is_some())
        })
        .count();
    println!(
        "    customers: {} (of which {} created by Koppel); entries with the PDF attached: {with_pdf}",
        d.accounts.len(),
        d.accounts.len().saturating_sub(seeded_customers)
    );
    println!("    sample entries:");
    for e in samples(&d.entries) {
        let customer = d.account(e.customer).map_or("?", |a| a.name.as_str());
        let lines: Vec<String> = e
            .lines
            .iter()
            .map(|l| {
                let account = d.gl_account(l.gl_account).map_or("?", |a| a.code.as_str());
                format!(
                    "{account} {} @VAT {}",
                    eur(l.amount_fc),
                    l.vat_code.as_deref().unwrap_or("-")
                )
            })
            .collect();
        println!(
            "      {} #{:<10} YourRef {:<12} {:<34} excl. {:>12} incl. {:>12}  [{}]",
            e.journal,
            e.entry_number,
            e.your_ref.as_deref().unwrap_or("-"),
            truncate(customer, 34),
            eur(e.net_amount()),
            eur(e.amount()),
            lines.join("; ")
        );
    }
}

/// A few telling entries: the first invoice, the largest, one with several VAT codes, the
/// first credit note, and the latest entry.
fn samples(entries: &[SalesEntry]) -> Vec<&SalesEntry> {
    let several_vat_codes = |e: &SalesEntry| {
        let first = e.lines.first().and_then(|l| l.vat_code.clone());
        e.lines.iter().any(|l| l.vat_code != first)
    };
    let candidates = [
        entries.iter().find(|e| e.amount() > Decimal::ZERO),
        entries.iter().max_by_key(|e| e.amount()),
        entries.iter().find(|e| several_vat_codes(e)),
        entries.iter().find(|e| e.amount() < Decimal::ZERO),
        entries.last(),
    ];
    let mut picked: Vec<&SalesEntry> = Vec::new();
    for e in candidates.into_iter().flatten() {
        if !picked.iter().any(|p| p.entry_id == e.entry_id) {
            picked.push(e);
        }
    }
    picked
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let mut t: String = text.chars().take(width - 1).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_with_cents() {
        assert_eq!(eur(Decimal::new(123456789, 2)), "€ 1,234,567.89");
        assert_eq!(eur(Decimal::new(-1250, 2)), "-€ 12.50");
        assert_eq!(eur(Decimal::ZERO), "€ 0.00");
        assert_eq!(eur(Decimal::new(100000, 0)), "€ 100,000.00");
    }
}
