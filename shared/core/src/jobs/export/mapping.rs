//! Turning a Teamleader document into a ledger entry: journal, GL account and VAT code per
//! line, discounts, VAT amounts that add up to the document's own totals, and every refusal
//! worded so a user knows what to change.

use crate::domain::preflight::chosen_journal;
use crate::{
    ConnectionSettings, CustomerLink, DocumentKind, DocumentLine, EntryLine, LedgerEntry,
    LedgerLimits, LedgerReferenceData, PaymentMethod, ProductCategoryId, SalesDocument,
};
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::{BTreeMap, HashMap};

/// Ledger accounts of the product categories, for the connection's department.
pub type CategoryAccounts = HashMap<ProductCategoryId, String>;

/// What the mapping needs besides the document.
pub struct MappingContext<'a> {
    /// The ledger's name as users know it (for wording).
    pub ledger: &'a str,
    /// The user's choices.
    pub settings: &'a ConnectionSettings,
    /// The ledger's current lists.
    pub reference: &'a LedgerReferenceData,
    /// Product category → ledger account for this department.
    pub category_accounts: &'a CategoryAccounts,
    /// False for ledgers without a general ledger: lines carry no accounts, entries no
    /// journal.
    pub general_ledger: bool,
    /// The ledger's limits on entries.
    pub limits: LedgerLimits,
}

/// The journal a document goes to (`None` for ledgers without journals), or why it cannot go
/// anywhere.
pub fn journal_for(kind: DocumentKind, ctx: &MappingContext<'_>) -> Result<Option<String>, String> {
    if !ctx.general_ledger {
        return Ok(None);
    }
    chosen_journal(ctx.ledger, kind, ctx.settings, ctx.reference).map(Some)
}

/// Check that the document's date falls in an open fiscal period of the ledger.
pub fn check_period(doc: &SalesDocument, ctx: &MappingContext<'_>) -> Result<(), String> {
    if ctx.reference.periods.is_empty() {
        return Ok(());
    }
    let ledger = ctx.ledger;
    match ctx.reference.period_of(doc.date) {
        None => Err(format!(
            "No fiscal year in {ledger} covers {}: create the fiscal year (period/date table) for {} in {ledger}; the document is exported on the next run.",
            doc.date,
            doc.date.format("%Y")
        )),
        Some(p) if p.closed => Err(format!(
            "Period {}/{} is closed in {ledger}: reopen it in {ledger} (or ask your accountant) to export this {}.",
            p.year, p.period, doc.kind
        )),
        Some(_) => Ok(()),
    }
}

fn percent_label(line: &DocumentLine) -> String {
    line.vat_percentage
        .map(|p| format!("{}%", p.normalize()))
        .unwrap_or_else(|| "(unknown)".to_owned())
}

/// The ledger VAT code for a line, checked against the ledger's list.
fn vat_code_for(line: &DocumentLine, ctx: &MappingContext<'_>) -> Result<String, String> {
    let ledger = ctx.ledger;
    let Some(rate_id) = &line.tax_rate_id else {
        return Err(format!(
            "Line \"{}\" has no tax rate in Teamleader: give it one and book the document again.",
            line.description
        ));
    };
    let Some(code) = ctx.settings.vat_codes.get(rate_id) else {
        return Err(format!(
            "Teamleader tax rate {} has no {ledger} VAT code mapped — map it on the connection page.",
            percent_label(line)
        ));
    };
    if !ctx.reference.vat_codes.is_empty() {
        match ctx.reference.vat_code(code) {
            None => {
                return Err(format!(
                    "VAT code {code} (mapped to Teamleader tax rate {}) no longer exists in {ledger}: map another one on the connection page.",
                    percent_label(line)
                ));
            }
            Some(v) if !v.exclusive => {
                return Err(format!(
                    "VAT code {code} in {ledger} is not of type 'exclusive'; Koppel sends amounts without VAT, so map tax rate {} to an exclusive VAT code.",
                    percent_label(line)
                ));
            }
            Some(v) if v.blocked => {
                return Err(format!(
                    "VAT code {code} is blocked in {ledger}: unblock it or map tax rate {} to another code.",
                    percent_label(line)
                ));
            }
            Some(_) => {}
        }
    }
    Ok(code.clone())
}

/// The GL account for a line: the product category's account, else the account mapped for the
/// tax rate, else the connection's default account.
fn gl_account_for(line: &DocumentLine, ctx: &MappingContext<'_>) -> Result<String, String> {
    let ledger = ctx.ledger;
    let from_category = line
        .product_category_id
        .as_ref()
        .and_then(|c| ctx.category_accounts.get(c));
    let from_rate = line
        .tax_rate_id
        .as_ref()
        .and_then(|r| ctx.settings.gl_account_by_tax_rate.get(r));
    let Some(code) = from_category
        .or(from_rate)
        .or(ctx.settings.default_gl_account.as_ref())
    else {
        return Err(format!(
            "Line \"{}\" has no {ledger} account: give its product category a ledger account in Teamleader, map an account for tax rate {}, or set a default account on the connection page.",
            line.description,
            percent_label(line)
        ));
    };
    check_gl_account(code, ctx)?;
    Ok(code.clone())
}

fn check_gl_account(code: &str, ctx: &MappingContext<'_>) -> Result<(), String> {
    let ledger = ctx.ledger;
    if ctx.reference.gl_accounts.is_empty() {
        return Ok(());
    }
    match ctx.reference.gl_account(code) {
        None => Err(format!(
            "GL account {code} does not exist in {ledger}: create it in {ledger} or change the mapping on the connection page."
        )),
        Some(a) if a.blocked => Err(format!(
            "GL account {code} is blocked in {ledger}: unblock it or choose another account."
        )),
        Some(a) if !a.is_revenue => Err(format!(
            "GL account {code} is not a revenue account in {ledger}: sales lines need a revenue account (70xxxx in Belgium, 8xxx in the Netherlands)."
        )),
        Some(_) => Ok(()),
    }
}

fn round_cents(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Build the ledger entry for a document. All refusals of all lines are collected so the user
/// sees everything to fix at once.
pub fn build_entry(
    doc: &SalesDocument,
    customer: &CustomerLink,
    ctx: &MappingContext<'_>,
) -> Result<LedgerEntry, Vec<String>> {
    let mut problems = Vec::new();
    let ledger = ctx.ledger;
    let reference = match doc.ledger_reference() {
        Some(r) => r.to_owned(),
        None => {
            problems.push(format!(
                "The {} has no number: only booked documents can be exported.",
                doc.kind
            ));
            String::new()
        }
    };
    if let Some(max) = ctx.limits.reference
        && reference.chars().count() > max
    {
        problems.push(format!(
            "The number \"{reference}\" is longer than the {max} characters {ledger} keeps as a reference: Koppel could not find the entry again. Use a shorter number format in Teamleader."
        ));
    }
    let journal = journal_for(doc.kind, ctx)
        .map_err(|e| problems.push(e))
        .unwrap_or_default();
    if ctx.general_ledger
        && let Err(e) = check_period(doc, ctx)
    {
        problems.push(e);
    }

    // (gl account, vat code) → (net, vat percentage, description) ; grouped so an entry
    // carries one line per account and code: fewer booking lines against the ledger's quota.
    let mut groups: BTreeMap<(String, String), (Decimal, Option<Decimal>, String)> =
        BTreeMap::new();
    let discount_account = ctx.settings.discount_gl_account.clone();
    if let Some(code) = &discount_account
        && ctx.general_ledger
        && let Err(e) = check_gl_account(code, ctx)
    {
        problems.push(format!("Discount account: {e}"));
    }
    for line in &doc.lines {
        if line.total_excl.is_zero() && line.gross().is_zero() {
            continue; // text or section lines
        }
        let (gl, vat) = if ctx.general_ledger {
            let gl = gl_account_for(line, ctx);
            let vat = vat_code_for(line, ctx);
            match (gl, vat) {
                (Ok(g), Ok(v)) => (g, v),
                (g, v) => {
                    problems.extend(g.err());
                    problems.extend(v.err());
                    continue;
                }
            }
        } else {
            (String::new(), String::new())
        };
        // Without a general ledger the key is empty: lines group by VAT rate only.
        let discount = line.discount_amount();
        let (net_on_line, discount_part) = match (&discount_account, discount.is_zero()) {
            (Some(_), false) => (line.gross(), discount),
            _ => (line.total_excl, Decimal::ZERO),
        };
        let entry = groups.entry((gl.clone(), vat.clone())).or_insert((
            Decimal::ZERO,
            line.vat_percentage,
            line.description.clone(),
        ));
        entry.0 += net_on_line;
        if !discount_part.is_zero()
            && let Some(account) = &discount_account
        {
            let d = groups.entry((account.clone(), vat)).or_insert((
                Decimal::ZERO,
                line.vat_percentage,
                "Discount".to_owned(),
            ));
            d.0 -= discount_part;
        }
    }
    if !problems.is_empty() {
        problems.dedup();
        return Err(problems);
    }

    let mut rated: Vec<(EntryLine, Option<Decimal>)> = groups
        .into_iter()
        .map(|((gl_account, vat_code), (net, pct, description))| {
            let vat_amount = pct
                .map(|p| round_cents(net * p / Decimal::ONE_HUNDRED))
                .unwrap_or_default();
            let line = EntryLine {
                gl_account: (!gl_account.is_empty()).then_some(gl_account),
                vat_code: (!vat_code.is_empty()).then_some(vat_code),
                amount_excl: round_cents(net),
                vat_amount,
                description: truncate(&description, ctx.limits.line_description),
            };
            (line, pct.map(|p| p.normalize()))
        })
        .collect();
    reconcile_vat(&mut rated, doc);
    let lines: Vec<EntryLine> = rated.into_iter().map(|(line, _)| line).collect();
    if let Some(max) = ctx.limits.lines_per_entry
        && lines.len() > max
    {
        return Err(vec![format!(
            "This {} needs {} booking lines (one per account and VAT code) and {ledger} takes at most {max} per entry: use fewer different accounts or VAT rates on it, or split it.",
            doc.kind,
            lines.len()
        )]);
    }

    Ok(LedgerEntry {
        kind: doc.kind,
        journal,
        customer: customer.clone(),
        reference: reference.clone(),
        date: doc.date,
        due_date: doc.due_on,
        description: truncate(
            &format!("{} {}", capitalised(doc.kind), reference),
            ctx.limits.entry_description,
        ),
        payment_reference: doc.payment_reference.clone(),
        direct_debit: matches!(
            doc.expected_payment_method,
            Some(PaymentMethod::DirectDebit)
        ),
        currency: doc.total_incl.currency.0.clone(),
        lines,
        total_incl: doc.total_incl.amount,
        retry: false,
    })
}

/// Make line VAT amounts add up to Teamleader's VAT per rate (it rounds per rate, not per
/// line): a difference of a few cents goes on the largest line of that rate.
fn reconcile_vat(lines: &mut [(EntryLine, Option<Decimal>)], doc: &SalesDocument) {
    for total in &doc.taxes {
        let rate = total.rate.normalize();
        let of_rate: Vec<usize> = (0..lines.len())
            .filter(|&i| lines[i].1 == Some(rate))
            .collect();
        let sum: Decimal = of_rate.iter().map(|&i| lines[i].0.vat_amount).sum();
        let diff = total.tax - sum;
        if diff.is_zero() || diff.abs() > Decimal::new(5, 2) {
            continue; // nothing to do, or not a rounding matter: keep the computed amounts
        }
        if let Some(&largest) = of_rate
            .iter()
            .max_by_key(|&&i| lines[i].0.amount_excl.abs())
        {
            lines[largest].0.vat_amount += diff;
        }
    }
}

fn capitalised(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Invoice => "Invoice",
        DocumentKind::CreditNote => "Credit note",
    }
}

/// `text` cut to `max` characters (whole characters, never bytes); unchanged without a limit.
fn truncate(text: &str, max: Option<usize>) -> String {
    match max {
        Some(max) => text.chars().take(max).collect(),
        None => text.to_owned(),
    }
}

/// Condensed content of a document as exported (date, customer, total excl. and incl.): when a
/// later listing shows a different fingerprint, the document was edited after export.
pub fn fingerprint(
    date: chrono::NaiveDate,
    customer: &crate::CustomerRef,
    total_incl: &crate::Money,
) -> String {
    format!(
        "{date}|{}|{}",
        customer.key(),
        total_incl.amount.normalize()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        CustomerRef, DepartmentId, DocumentId, FiscalPeriod, GlAccount, Journal, JournalKind,
        LineDiscount, Money, SourceStatus, TaxRateId, TaxTotal, VatCode,
    };
    use chrono::{NaiveDate, TimeZone, Utc};
    use rust_decimal_macros::dec;

    fn customer(id: &str) -> CustomerLink {
        CustomerLink::Ledger {
            id: crate::LedgerCustomerId::from(id),
        }
    }

    fn reference() -> LedgerReferenceData {
        let account = |code: &str, revenue: bool| GlAccount {
            id: format!("id-{code}"),
            code: code.to_owned(),
            description: code.to_owned(),
            is_revenue: revenue,
            blocked: false,
        };
        let vat = |code: &str, pct: Decimal, exclusive: bool| VatCode {
            code: code.to_owned(),
            description: code.to_owned(),
            percentage: pct,
            exclusive,
            blocked: false,
        };
        LedgerReferenceData {
            gl_accounts: vec![
                account("700000", true),
                account("700100", true),
                account("708000", true),
                account("400000", false),
            ],
            journals: vec![
                Journal {
                    code: "700".into(),
                    description: "Verkopen".into(),
                    kind: JournalKind::Sales,
                },
                Journal {
                    code: "710".into(),
                    description: "Creditnota's".into(),
                    kind: JournalKind::Sales,
                },
            ],
            vat_codes: vec![
                vat("21", dec!(21), true),
                vat("6", dec!(6), true),
                vat("21I", dec!(21), false),
            ],
            periods: vec![
                FiscalPeriod {
                    year: 2026,
                    period: 1,
                    start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                    end: NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
                    closed: true,
                },
                FiscalPeriod {
                    year: 2026,
                    period: 2,
                    start: NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
                    end: NaiveDate::from_ymd_opt(2026, 2, 28).unwrap(),
                    closed: false,
                },
            ],
        }
    }

    fn settings() -> ConnectionSettings {
        ConnectionSettings {
            invoice_journal: Some("700".into()),
            credit_note_journal: Some("710".into()),
            vat_codes: [
                (TaxRateId::from("tr21"), "21".to_owned()),
                (TaxRateId::from("tr6"), "6".to_owned()),
            ]
            .into(),
            default_gl_account: Some("700000".into()),
            ..Default::default()
        }
    }

    fn line(desc: &str, qty: Decimal, price: Decimal, rate: &str, pct: Decimal) -> DocumentLine {
        DocumentLine {
            description: desc.into(),
            quantity: qty,
            unit_price: price,
            discount: None,
            total_excl: qty * price,
            tax_rate_id: Some(TaxRateId::from(rate)),
            vat_percentage: Some(pct),
            product_category_id: None,
        }
    }

    fn doc(lines: Vec<DocumentLine>, taxes: Vec<TaxTotal>) -> SalesDocument {
        let excl: Decimal = lines.iter().map(|l| l.total_excl).sum();
        let tax: Decimal = taxes.iter().map(|t| t.tax).sum();
        SalesDocument {
            id: DocumentId::from("d1"),
            kind: DocumentKind::Invoice,
            number: Some("2026 / 7".into()),
            department_id: DepartmentId::from("dep"),
            status: SourceStatus::Outstanding,
            customer: CustomerRef::company("c1"),
            date: NaiveDate::from_ymd_opt(2026, 2, 10).unwrap(),
            due_on: NaiveDate::from_ymd_opt(2026, 3, 12),
            lines,
            total_excl: Money::eur(excl),
            total_incl: Money::eur(excl + tax),
            taxes,
            payment_reference: Some("+++123/4567/89012+++".into()),
            expected_payment_method: Some(PaymentMethod::DirectDebit),
            payment_term_days: Some(30),
            credited_invoice_id: None,
            paid: false,
            payments: Vec::new(),
            updated_at: Utc.with_ymd_and_hms(2026, 2, 10, 8, 0, 0).unwrap(),
        }
    }

    fn ctx<'a>(
        settings: &'a ConnectionSettings,
        reference: &'a LedgerReferenceData,
        cats: &'a CategoryAccounts,
    ) -> MappingContext<'a> {
        MappingContext {
            ledger: "Books",
            settings,
            reference,
            category_accounts: cats,
            general_ledger: true,
            limits: LedgerLimits {
                line_description: Some(60),
                ..Default::default()
            },
        }
    }

    #[test]
    fn lines_take_category_then_rate_then_default_account() {
        let mut s = settings();
        s.gl_account_by_tax_rate
            .insert(TaxRateId::from("tr6"), "700100".into());
        let r = reference();
        let cats: CategoryAccounts = [(ProductCategoryId::from("cat"), "708000".to_owned())].into();
        let mut with_cat = line("consulting", dec!(2), dec!(100), "tr21", dec!(21));
        with_cat.product_category_id = Some(ProductCategoryId::from("cat"));
        let d = doc(
            vec![
                with_cat,
                line("books", dec!(1), dec!(50), "tr6", dec!(6)),
                line("other", dec!(1), dec!(10), "tr21", dec!(21)),
            ],
            vec![
                TaxTotal {
                    rate: dec!(21),
                    taxable: dec!(210),
                    tax: dec!(44.10),
                },
                TaxTotal {
                    rate: dec!(6),
                    taxable: dec!(50),
                    tax: dec!(3),
                },
            ],
        );
        let entry = build_entry(&d, &customer("cust"), &ctx(&s, &r, &cats)).unwrap();
        let by_account: Vec<(&str, Decimal, Decimal)> = entry
            .lines
            .iter()
            .map(|l| {
                (
                    l.gl_account.as_deref().unwrap_or(""),
                    l.amount_excl,
                    l.vat_amount,
                )
            })
            .collect();
        assert_eq!(
            by_account,
            vec![
                ("700000", dec!(10), dec!(2.10)),
                ("700100", dec!(50), dec!(3.00)),
                ("708000", dec!(200), dec!(42.00))
            ]
        );
        assert_eq!(entry.journal.as_deref(), Some("700"));
        assert_eq!(entry.reference, "2026 / 7");
        assert!(entry.direct_debit);
        assert_eq!(entry.description, "Invoice 2026 / 7");
    }

    #[test]
    fn unmapped_vat_rate_is_refused_with_an_actionable_reason() {
        let s = settings();
        let r = reference();
        let cats = CategoryAccounts::new();
        let d = doc(
            vec![line("food", dec!(1), dec!(10), "tr12", dec!(12))],
            vec![],
        );
        let problems = build_entry(&d, &customer("c"), &ctx(&s, &r, &cats)).unwrap_err();
        assert_eq!(problems, vec!["Teamleader tax rate 12% has no Books VAT code mapped — map it on the connection page.".to_owned()]);
    }

    #[test]
    fn inclusive_vat_code_and_non_revenue_account_are_refused() {
        let mut s = settings();
        s.vat_codes.insert(TaxRateId::from("tr21"), "21I".into());
        s.default_gl_account = Some("400000".into());
        let r = reference();
        let cats = CategoryAccounts::new();
        let d = doc(vec![line("x", dec!(1), dec!(10), "tr21", dec!(21))], vec![]);
        let problems = build_entry(&d, &customer("c"), &ctx(&s, &r, &cats)).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("not a revenue account")));
        assert!(
            problems
                .iter()
                .any(|p| p.contains("not of type 'exclusive'"))
        );
    }

    #[test]
    fn closed_period_and_missing_fiscal_year_are_explained() {
        let s = settings();
        let r = reference();
        let cats = CategoryAccounts::new();
        let mut d = doc(vec![line("x", dec!(1), dec!(10), "tr21", dec!(21))], vec![]);
        d.date = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
        let problems = build_entry(&d, &customer("c"), &ctx(&s, &r, &cats)).unwrap_err();
        assert!(
            problems[0].starts_with("Period 2026/1 is closed in Books"),
            "{problems:?}"
        );
        d.date = NaiveDate::from_ymd_opt(2027, 5, 1).unwrap();
        let problems = build_entry(&d, &customer("c"), &ctx(&s, &r, &cats)).unwrap_err();
        assert!(
            problems[0].starts_with("No fiscal year in Books covers 2027-05-01"),
            "{problems:?}"
        );
    }

    #[test]
    fn discounts_go_to_the_discount_account_when_one_is_set() {
        let mut s = settings();
        let r = reference();
        let cats = CategoryAccounts::new();
        let mut l = line("work", dec!(4), dec!(25), "tr21", dec!(21));
        l.discount = Some(LineDiscount {
            percentage: dec!(10),
        });
        l.total_excl = dec!(90);
        let d = doc(
            vec![l],
            vec![TaxTotal {
                rate: dec!(21),
                taxable: dec!(90),
                tax: dec!(18.90),
            }],
        );
        let without = build_entry(&d, &customer("c"), &ctx(&s, &r, &cats)).unwrap();
        assert_eq!(without.lines.len(), 1);
        assert_eq!(without.lines[0].amount_excl, dec!(90));
        s.discount_gl_account = Some("708000".into());
        let with = build_entry(&d, &customer("c"), &ctx(&s, &r, &cats)).unwrap();
        let amounts: Vec<(String, Decimal)> = with
            .lines
            .iter()
            .map(|l| (l.gl_account.clone().unwrap_or_default(), l.amount_excl))
            .collect();
        assert_eq!(
            amounts,
            vec![
                ("700000".to_owned(), dec!(100)),
                ("708000".to_owned(), dec!(-10))
            ]
        );
        let vat: Decimal = with.lines.iter().map(|l| l.vat_amount).sum();
        assert_eq!(vat, dec!(18.90));
    }

    #[test]
    fn line_vat_is_reconciled_with_teamleaders_total_per_rate() {
        let s = settings();
        let r = reference();
        // Three lines of 0.35 at 21 %: 0.0735 each → 0.07 per line (0.21), Teamleader says 0.22.
        let mut cat_lines = Vec::new();
        let mut cats_map = CategoryAccounts::new();
        for (i, acc) in ["700000", "700100", "708000"].iter().enumerate() {
            let mut l = line("pen", dec!(1), dec!(0.35), "tr21", dec!(21));
            let id = ProductCategoryId::new(format!("c{i}"));
            l.product_category_id = Some(id.clone());
            cats_map.insert(id, acc.to_string());
            cat_lines.push(l);
        }
        let d = doc(
            cat_lines,
            vec![TaxTotal {
                rate: dec!(21),
                taxable: dec!(1.05),
                tax: dec!(0.22),
            }],
        );
        let entry = build_entry(&d, &customer("c"), &ctx(&s, &r, &cats_map)).unwrap();
        let vat: Decimal = entry.lines.iter().map(|l| l.vat_amount).sum();
        assert_eq!(vat, dec!(0.22));
    }

    #[test]
    fn same_journal_for_both_kinds_is_refused_and_missing_journal_is_explained() {
        let mut s = settings();
        s.credit_note_journal = None;
        let r = reference();
        let cats = CategoryAccounts::new();
        let err = journal_for(DocumentKind::CreditNote, &ctx(&s, &r, &cats)).unwrap_err();
        assert!(
            err.contains("pick a sales journal for credit notes"),
            "{err}"
        );
    }

    #[test]
    fn fingerprint_ignores_payment_but_sees_amount_changes() {
        let c = CustomerRef::company("c");
        let d = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
        assert_eq!(
            fingerprint(d, &c, &Money::eur(dec!(121.00))),
            fingerprint(d, &c, &Money::eur(dec!(121)))
        );
        assert_ne!(
            fingerprint(d, &c, &Money::eur(dec!(121))),
            fingerprint(d, &c, &Money::eur(dec!(122)))
        );
    }
}
