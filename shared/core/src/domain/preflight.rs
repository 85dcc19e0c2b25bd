//! Pre-flight rules shared by ledgers that book into journals: checks that would make every
//! document of a run fail, said once for the whole run, in Dutch, French and English (the
//! connection page shows them in the user's language before anything is saved; run reports
//! carry the English). A ledger's [`crate::Ledger::preflight`] calls what applies to it and
//! adds its own rules.

use crate::{
    ConnectionSettings, DocumentKind, Finding, JournalKind, LedgerReferenceData, Localized,
};

fn said(nl: String, fr: String, en: String) -> Localized {
    Localized { nl, fr, en }
}

/// The journal chosen for `kind`, or why none can be used (not chosen, or no longer in the
/// ledger's current list), in three languages.
fn journal_problem(
    ledger: &str,
    kind: DocumentKind,
    settings: &ConnectionSettings,
    reference: &LedgerReferenceData,
) -> Result<String, Localized> {
    let (chosen, nl, fr, en) = match kind {
        DocumentKind::Invoice => (
            &settings.invoice_journal,
            "facturen",
            "les factures",
            "invoices",
        ),
        DocumentKind::CreditNote => (
            &settings.credit_note_journal,
            "creditnota's",
            "les notes de crédit",
            "credit notes",
        ),
    };
    let Some(code) = chosen else {
        return Err(said(
            format!(
                "Er is geen {ledger}-dagboek gekozen voor {nl}: kies een verkoopdagboek voor {nl} op de koppelingspagina."
            ),
            format!(
                "Aucun journal {ledger} n'est choisi pour {fr} : choisissez un journal de vente pour {fr} sur la page de connexion."
            ),
            format!(
                "No {ledger} journal is chosen for {en}: pick a sales journal for {en} on the connection page."
            ),
        ));
    };
    if !reference.journals.is_empty() && reference.journal(code).is_none() {
        return Err(said(
            format!(
                "Dagboek {code}, gekozen voor {nl}, bestaat niet meer in {ledger}: maak het aan als verkoopdagboek in {ledger} of kies een ander op de koppelingspagina."
            ),
            format!(
                "Le journal {code}, choisi pour {fr}, n'existe plus dans {ledger} : créez-le comme journal de vente dans {ledger} ou choisissez-en un autre sur la page de connexion."
            ),
            format!(
                "Journal {code} chosen for {en} no longer exists in {ledger}: create it as a sales journal in {ledger} or pick another one on the connection page."
            ),
        ));
    }
    Ok(code.clone())
}

/// The journal chosen for `kind`, or why none can be used (not chosen, or no longer in the
/// ledger's current list). `ledger` is the ledger's name as users know it.
pub fn chosen_journal(
    ledger: &str,
    kind: DocumentKind,
    settings: &ConnectionSettings,
    reference: &LedgerReferenceData,
) -> Result<String, String> {
    journal_problem(ledger, kind, settings, reference).map_err(|text| text.en)
}

/// Both journals chosen and present, different from each other, and sales journals.
pub fn sales_journal_findings(
    ledger: &str,
    settings: &ConnectionSettings,
    reference: &LedgerReferenceData,
) -> Vec<Finding> {
    let invoices = journal_problem(ledger, DocumentKind::Invoice, settings, reference);
    let credit_notes = journal_problem(ledger, DocumentKind::CreditNote, settings, reference);
    let (invoices, credit_notes) = match (invoices, credit_notes) {
        (Ok(i), Ok(c)) => (i, c),
        (i, c) => {
            return [i.err(), c.err()]
                .into_iter()
                .flatten()
                .map(Finding::blocker_in)
                .collect();
        }
    };
    if invoices == credit_notes {
        return vec![Finding::blocker_in(said(
            format!(
                "Facturen en creditnota's gaan naar hetzelfde dagboek ({invoices}). Maak in {ledger} een verkoopdagboek voor creditnota's aan en kies het op de koppelingspagina."
            ),
            format!(
                "Les factures et les notes de crédit vont dans le même journal ({invoices}). Créez un journal de vente pour les notes de crédit dans {ledger} et choisissez-le sur la page de connexion."
            ),
            format!(
                "Invoices and credit notes go to the same journal ({invoices}). Create a sales journal for credit notes in {ledger} and choose it on the connection page."
            ),
        ))];
    }
    [&invoices, &credit_notes]
        .into_iter()
        .filter_map(|code| reference.journal(code))
        .filter(|journal| !matches!(journal.kind, JournalKind::Sales | JournalKind::SalesReturns))
        .map(|journal| {
            let (code, description) = (&journal.code, &journal.description);
            Finding::blocker_in(said(
                format!("Dagboek {code} ({description}) is geen verkoopdagboek in {ledger}: Koppel boekt alleen in verkoopdagboeken. Kies een verkoopdagboek op de koppelingspagina."),
                format!("Le journal {code} ({description}) n'est pas un journal de vente dans {ledger} : Koppel ne comptabilise que dans des journaux de vente. Choisissez un journal de vente sur la page de connexion."),
                format!("Journal {code} ({description}) is not a sales journal in {ledger}: Koppel can only book into sales journals. Choose a sales journal on the connection page."),
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
        None => vec![Finding::warning_in(said(
            format!(
                "Dagboek {code}, gekozen voor de betalingen uit Teamleader, bestaat niet in {ledger}: die betalingen worden niet geboekt. Kies een bank- of kasdagboek op de koppelingspagina."
            ),
            format!(
                "Le journal {code}, choisi pour les paiements de Teamleader, n'existe pas dans {ledger} : ces paiements ne sont pas comptabilisés. Choisissez un journal de banque ou de caisse sur la page de connexion."
            ),
            format!(
                "Journal {code}, chosen for the payments registered in Teamleader, does not exist in {ledger}: those payments are not booked. Choose a bank or cash journal on the connection page."
            ),
        ))],
        Some(journal) if journal.kind != JournalKind::Financial => {
            let description = &journal.description;
            vec![Finding::warning_in(said(
                format!(
                    "Dagboek {code} ({description}) is geen bank- of kasdagboek in {ledger}: de betalingen uit Teamleader kunnen er niet in geboekt worden. Kies een bank- of kasdagboek op de koppelingspagina."
                ),
                format!(
                    "Le journal {code} ({description}) n'est pas un journal de banque ou de caisse dans {ledger} : les paiements de Teamleader ne peuvent pas y être comptabilisés. Choisissez un journal de banque ou de caisse sur la page de connexion."
                ),
                format!(
                    "Journal {code} ({description}) is not a bank or cash journal in {ledger}: the payments registered in Teamleader cannot be booked in it. Choose a bank or cash journal on the connection page."
                ),
            ))]
        }
        Some(_) => Vec::new(),
    }
}

/// Every VAT code chosen for a Teamleader tax rate exists, is exclusive (Koppel sends amounts
/// without VAT) and is not blocked. Checked only when the ledger listed its VAT codes.
pub fn vat_code_findings(
    ledger: &str,
    settings: &ConnectionSettings,
    reference: &LedgerReferenceData,
) -> Vec<Finding> {
    if reference.vat_codes.is_empty() {
        return Vec::new();
    }
    let mut findings = Vec::new();
    for code in settings.vat_codes.values() {
        let text = match reference.vat_code(code) {
            None => said(
                format!(
                    "Btw-code {code} bestaat niet (meer) in {ledger}: kies een bestaande exclusieve btw-code op de koppelingspagina."
                ),
                format!(
                    "Le code TVA {code} n'existe pas (plus) dans {ledger} : choisissez un code TVA exclusif existant sur la page de connexion."
                ),
                format!(
                    "VAT code {code} does not exist in {ledger}: choose an existing exclusive VAT code on the connection page."
                ),
            ),
            Some(vat) if !vat.exclusive => said(
                format!(
                    "Btw-code {code} is niet van het type \u{201c}Exclusief\u{201d} in {ledger}: Koppel boekt bedragen zonder btw. Kies een exclusieve btw-code of zet het type van deze code op \u{201c}Exclusief\u{201d}."
                ),
                format!(
                    "Le code TVA {code} n'est pas de type \u{ab} Exclusif \u{bb} dans {ledger} : Koppel comptabilise des montants hors TVA. Choisissez un code TVA exclusif ou passez ce code en \u{ab} Exclusif \u{bb}."
                ),
                format!(
                    "VAT code {code} is not of type \u{201c}Exclusive\u{201d} in {ledger}: Koppel books amounts without VAT. Choose an exclusive VAT code or set this code's type to \u{201c}Exclusive\u{201d}."
                ),
            ),
            Some(vat) if vat.blocked => said(
                format!(
                    "Btw-code {code} is geblokkeerd in {ledger}: deblokkeer ze of kies een andere op de koppelingspagina."
                ),
                format!(
                    "Le code TVA {code} est bloqué dans {ledger} : débloquez-le ou choisissez-en un autre sur la page de connexion."
                ),
                format!(
                    "VAT code {code} is blocked in {ledger}: unblock it or choose another one on the connection page."
                ),
            ),
            Some(_) => continue,
        };
        if !findings.iter().any(|f: &Finding| f.message == text.en) {
            findings.push(Finding::blocker_in(text));
        }
    }
    findings
}

/// The revenue accounts chosen (default, per tax rate, discounts) exist, are revenue accounts
/// and are not blocked; without a default revenue account, lines whose product category has
/// no account would be refused (a warning: categories may cover every line).
pub fn revenue_account_findings(
    ledger: &str,
    settings: &ConnectionSettings,
    reference: &LedgerReferenceData,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if settings.default_gl_account.is_none() {
        findings.push(Finding::warning_in(said(
            "Er is geen standaard omzetrekening gekozen: lijnen zonder rekening via hun productcategorie worden geweigerd. Kies een omzetrekening (70xxxx in België, 8xxx in Nederland) op de koppelingspagina.".to_owned(),
            "Aucun compte de produits par défaut n'est choisi : les lignes sans compte via leur catégorie de produits seront refusées. Choisissez un compte de produits (70xxxx en Belgique, 8xxx aux Pays-Bas) sur la page de connexion.".to_owned(),
            "No default revenue account is chosen: lines without an account from their product category will be refused. Choose a revenue account (70xxxx in Belgium, 8xxx in the Netherlands) on the connection page.".to_owned(),
        )));
    }
    if reference.gl_accounts.is_empty() {
        return findings;
    }
    let chosen = settings
        .default_gl_account
        .iter()
        .chain(settings.gl_account_by_tax_rate.values())
        .chain(settings.discount_gl_account.iter());
    for code in chosen {
        let text = match reference.gl_account(code) {
            None => said(
                format!(
                    "Rekening {code} bestaat niet in {ledger}: kies een bestaande omzetrekening op de koppelingspagina."
                ),
                format!(
                    "Le compte {code} n'existe pas dans {ledger} : choisissez un compte de produits existant sur la page de connexion."
                ),
                format!(
                    "Account {code} does not exist in {ledger}: choose an existing revenue account on the connection page."
                ),
            ),
            Some(account) if !account.is_revenue => said(
                format!(
                    "Rekening {code} ({}) is geen omzetrekening in {ledger}: kies een omzetrekening op de koppelingspagina.",
                    account.description
                ),
                format!(
                    "Le compte {code} ({}) n'est pas un compte de produits dans {ledger} : choisissez un compte de produits sur la page de connexion.",
                    account.description
                ),
                format!(
                    "Account {code} ({}) is not a revenue account in {ledger}: choose a revenue account on the connection page.",
                    account.description
                ),
            ),
            Some(account) if account.blocked => said(
                format!(
                    "Rekening {code} ({}) is geblokkeerd in {ledger}: deblokkeer ze of kies een andere op de koppelingspagina.",
                    account.description
                ),
                format!(
                    "Le compte {code} ({}) est bloqué dans {ledger} : débloquez-le ou choisissez-en un autre sur la page de connexion.",
                    account.description
                ),
                format!(
                    "Account {code} ({}) is blocked in {ledger}: unblock it or choose another one on the connection page.",
                    account.description
                ),
            ),
            Some(_) => continue,
        };
        if !findings.iter().any(|f: &Finding| f.message == text.en) {
            findings.push(Finding::blocker_in(text));
        }
    }
    findings
}

/// The start date falls in a financial year of the ledger (a blocker when the ledger lists
/// periods and none holds it: every document from that date would be refused); a closed
/// period there is a warning (its documents are refused until it is reopened).
pub fn period_findings(
    ledger: &str,
    settings: &ConnectionSettings,
    reference: &LedgerReferenceData,
) -> Vec<Finding> {
    let Some(start) = settings.start_date else {
        return Vec::new();
    };
    if reference.periods.is_empty() {
        return Vec::new();
    }
    let day = start.format("%d/%m/%Y");
    match reference
        .periods
        .iter()
        .find(|p| p.start <= start && start <= p.end)
    {
        None => vec![Finding::blocker_in(said(
            format!(
                "Er is geen boekjaar of periode in {ledger} voor de startdatum {day}: maak het boekjaar aan in {ledger} of kies een latere startdatum."
            ),
            format!(
                "Il n'y a pas d'exercice ou de période dans {ledger} pour la date de début {day} : créez l'exercice dans {ledger} ou choisissez une date de début plus tardive."
            ),
            format!(
                "There is no financial year or period in {ledger} for the start date {day}: create the financial year in {ledger} or choose a later start date."
            ),
        ))],
        Some(period) if period.closed => vec![Finding::warning_in(said(
            format!(
                "Periode {}/{} van {ledger} (met de startdatum {day}) is afgesloten: documenten uit die periode worden geweigerd tot ze heropend wordt.",
                period.period, period.year
            ),
            format!(
                "La période {}/{} de {ledger} (avec la date de début {day}) est clôturée : les documents de cette période seront refusés jusqu'à sa réouverture.",
                period.period, period.year
            ),
            format!(
                "Period {}/{} of {ledger} (holding the start date {day}) is closed: documents of that period are refused until it is reopened.",
                period.period, period.year
            ),
        ))],
        Some(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FiscalPeriod, GlAccount, Journal, Severity, TaxRateId, VatCode};
    use chrono::NaiveDate;
    use rust_decimal_macros::dec;

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

    #[test]
    fn findings_are_said_in_three_languages() {
        let same = sales_journal_findings("L", &settings(Some("700"), Some("700")), &reference());
        assert!(
            same[0]
                .text("nl")
                .starts_with("Facturen en creditnota's gaan naar hetzelfde dagboek")
        );
        assert!(
            same[0]
                .text("fr")
                .starts_with("Les factures et les notes de crédit")
        );
        assert_eq!(same[0].text("en"), same[0].message);
    }

    #[test]
    fn vat_codes_accounts_and_the_start_date_are_checked_before_a_run() {
        let mut reference = reference();
        reference.vat_codes = vec![
            VatCode {
                code: "21".into(),
                description: "21%".into(),
                percentage: dec!(21),
                exclusive: true,
                blocked: false,
            },
            VatCode {
                code: "I21".into(),
                description: "21% incl".into(),
                percentage: dec!(21),
                exclusive: false,
                blocked: false,
            },
        ];
        reference.gl_accounts = vec![
            GlAccount {
                id: "1".into(),
                code: "700000".into(),
                description: "Omzet".into(),
                is_revenue: true,
                blocked: false,
            },
            GlAccount {
                id: "2".into(),
                code: "400000".into(),
                description: "Klanten".into(),
                is_revenue: false,
                blocked: false,
            },
        ];
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        reference.periods = vec![FiscalPeriod {
            year: 2026,
            period: 1,
            start: day(1, 1),
            end: day(1, 31),
            closed: true,
        }];
        let mut s = settings(Some("700"), Some("710"));
        s.vat_codes.insert(TaxRateId::new("r21"), "I21".into());
        s.vat_codes.insert(TaxRateId::new("r0"), "X".into());
        let vat = vat_code_findings("L", &s, &reference);
        assert_eq!(vat.len(), 2, "{vat:?}");
        assert!(vat.iter().all(|f| f.severity == Severity::Blocker));
        assert!(
            vat.iter()
                .any(|f| f.message.contains("not of type \u{201c}Exclusive\u{201d}"))
        );
        assert!(
            vat.iter()
                .any(|f| f.text("nl").contains("Btw-code X bestaat niet"))
        );

        let none = revenue_account_findings("L", &s, &reference);
        assert_eq!(none.len(), 1);
        assert_eq!(
            none[0].severity,
            Severity::Warning,
            "categories may cover every line"
        );
        s.default_gl_account = Some("400000".into());
        s.discount_gl_account = Some("999".into());
        let wrong = revenue_account_findings("L", &s, &reference);
        assert_eq!(wrong.len(), 2, "{wrong:?}");
        assert!(wrong[0].message.contains("is not a revenue account"));
        assert!(wrong[1].message.contains("Account 999 does not exist"));

        s.start_date = Some(day(1, 15));
        let closed = period_findings("L", &s, &reference);
        assert_eq!(closed[0].severity, Severity::Warning);
        s.start_date = Some(day(3, 1));
        let outside = period_findings("L", &s, &reference);
        assert_eq!(outside[0].severity, Severity::Blocker);
        assert!(outside[0].text("fr").contains("pas d'exercice"));
    }
}
