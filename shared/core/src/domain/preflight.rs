//! Pre-flight rules shared by ledgers that book into journals: checks that would make every
//! document of a run fail, said once for the whole run. A ledger's
//! [`crate::Ledger::preflight`] calls what applies to it and adds its own rules.

use crate::{ConnectionSettings, DocumentKind, Finding, JournalKind, LedgerReferenceData};

/// The journal chosen for `kind`, or why none can be used (not chosen, or no longer in the
/// ledger's current list). `ledger` is the ledger's name as users know it.
pub fn chosen_journal(
    ledger: &str,
    kind: DocumentKind,
    settings: &ConnectionSettings,
    reference: &LedgerReferenceData,
) -> Result<String, String> {
    let (chosen, what) = match kind {
        DocumentKind::Invoice => (&settings.invoice_journal, "invoices"),
        DocumentKind::CreditNote => (&settings.credit_note_journal, "credit notes"),
    };
    let Some(code) = chosen else {
        return Err(format!(
            "No {ledger} journal is chosen for {what}: pick a sales journal for {what} on the connection page."
        ));
    };
    if !reference.journals.is_empty() && reference.journal(code).is_none() {
        return Err(format!(
            "Journal {code} chosen for {what} no longer exists in {ledger}: create it as a sales journal in {ledger} or pick another one on the connection page."
        ));
    }
    Ok(code.clone())
}

/// Both journals chosen and present, different from each other, and sales journals.
pub fn sales_journal_findings(
    ledger: &str,
    settings: &ConnectionSettings,
    reference: &LedgerReferenceData,
) -> Vec<Finding> {
    let invoices = chosen_journal(ledger, DocumentKind::Invoice, settings, reference);
    let credit_notes = chosen_journal(ledger, DocumentKind::CreditNote, settings, reference);
    let (invoices, credit_notes) = match (invoices, credit_notes) {
        (Ok(i), Ok(c)) => (i, c),
        (i, c) => {
            return [i.err(), c.err()]
                .into_iter()
                .flatten()
                .map(Finding::blocker)
                .collect();
        }
    };
    if invoices == credit_notes {
        return vec![Finding::blocker(format!(
            "Invoices and credit notes go to the same journal ({invoices}). Create a sales journal for credit notes in {ledger} and choose it on the connection page."
        ))];
    }
    [&invoices, &credit_notes]
        .into_iter()
        .filter_map(|code| reference.journal(code))
        .filter(|journal| !matches!(journal.kind, JournalKind::Sales | JournalKind::SalesReturns))
        .map(|journal| {
            Finding::blocker(format!(
                "Journal {} ({}) is not a sales journal in {ledger}: Koppel can only book into sales journals. Choose a sales journal on the connection page.",
                journal.code, journal.description
            ))
        })
        .collect()
}

/// The financial journal hand payments are booked in (when the connection opted in): present
/// and a bank or cash journal. A warning, not a blocker: the export does not depend on it,
/// and the payment poll reports each payment it could not book.
pub fn payment_journal_findings(
    ledger: &str,
    settings: &ConnectionSettings,
    reference: &LedgerReferenceData,
) -> Vec<Finding> {
    let Some(code) = settings.payment_journal.as_deref() else {
        return Vec::new();
    };
    match reference.journal(code) {
        None => vec![Finding::warning(format!(
            "Journal {code}, chosen for the payments registered in Teamleader, does not exist in {ledger}: those payments are not booked. Choose a bank or cash journal on the connection page."
        ))],
        Some(journal) if journal.kind != JournalKind::Financial => vec![Finding::warning(format!(
            "Journal {} ({}) is not a bank or cash journal in {ledger}: the payments registered in Teamleader cannot be booked in it. Choose a bank or cash journal on the connection page.",
            journal.code, journal.description
        ))],
        Some(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Journal, Severity};

    fn reference() -> LedgerReferenceData {
        let journal = |code: &str, kind| Journal {
            code: code.into(),
            description: format!("Journal {code}"),
            kind,
        };
        LedgerReferenceData {
            journals: vec![
                journal("700", JournalKind::Sales),
                journal("710", JournalKind::Sales),
                journal("20", JournalKind::Other),
            ],
            ..Default::default()
        }
    }

    fn settings(invoices: Option<&str>, credit_notes: Option<&str>) -> ConnectionSettings {
        ConnectionSettings {
            invoice_journal: invoices.map(str::to_owned),
            credit_note_journal: credit_notes.map(str::to_owned),
            ..Default::default()
        }
    }

    fn messages(findings: Vec<Finding>) -> Vec<String> {
        assert!(findings.iter().all(|f| f.severity == Severity::Blocker));
        findings.into_iter().map(|f| f.message).collect()
    }

    #[test]
    fn two_different_sales_journals_pass() {
        assert!(
            sales_journal_findings("L", &settings(Some("700"), Some("710")), &reference())
                .is_empty()
        );
    }

    #[test]
    fn missing_same_and_non_sales_journals_are_blockers_with_the_fix() {
        let none = messages(sales_journal_findings(
            "L",
            &settings(None, Some("999")),
            &reference(),
        ));
        assert_eq!(none.len(), 2);
        assert!(
            none[0].starts_with("No L journal is chosen for invoices"),
            "{none:?}"
        );
        assert!(
            none[1].starts_with("Journal 999 chosen for credit notes no longer exists in L"),
            "{none:?}"
        );
        let same = messages(sales_journal_findings(
            "L",
            &settings(Some("700"), Some("700")),
            &reference(),
        ));
        assert!(
            same[0].contains("Create a sales journal for credit notes in L"),
            "{same:?}"
        );
        let other = messages(sales_journal_findings(
            "L",
            &settings(Some("700"), Some("20")),
            &reference(),
        ));
        assert!(
            other[0].starts_with("Journal 20 (Journal 20) is not a sales journal in L"),
            "{other:?}"
        );
    }
}
