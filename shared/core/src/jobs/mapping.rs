//! Turning a Teamleader document into a ledger entry: journal, GL account and VAT code per
//! line, discounts, VAT amounts that add up to the document's own totals, and every refusal
//! worded so a user knows what to change.

use crate::{
    ConnectionSettings, DocumentKind, DocumentLine, EntryLine, LedgerCustomerId, LedgerEntry,
    LedgerKind, LedgerReferenceData, PaymentMethod, ProductCategoryId, SalesDocument,
};
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::{BTreeMap, HashMap};

/// Ledger accounts of the product categories, for the connection's department.
pub type CategoryAccounts = HashMap<ProductCategoryId, String>;

/// What the mapping needs besides the document.
pub struct MappingContext<'a> {
    /// Which ledger (for wording).
    pub ledger: LedgerKind,
    /// The user's choices.
    pub settings: &'a ConnectionSettings,
    /// The ledger's current lists.
    pub reference: &'a LedgerReferenceData,
    /// Product category → ledger account for this department.
    pub category_accounts: &'a CategoryAccounts,
    /// False for ledgers without a general ledger (Clearfacts): lines carry no accounts.
    pub general_ledger: bool,
}

/// The journal a document goes to, or why it cannot go anywhere.
pub fn journal_for(kind: DocumentKind, ctx: &MappingContext<'_>) -> Result<String, String> {
    let ledger = ctx.ledger.display_name();
    let (chosen, what) = match kind {
        DocumentKind::Invoice => (&ctx.settings.invoice_journal, "invoices"),
        DocumentKind::CreditNote => (&ctx.settings.credit_note_journal, "credit notes"),
    };
    let Some(code) = chosen else {
        return Err(format!(
            "No {ledger} journal is chosen for {what}: pick a sales journal for {what} on the connection page."
        ));
    };
    if ctx.general_ledger
        && !ctx.reference.journals.is_empty()
        && ctx.reference.journal(code).is_none()
    {
        return Err(format!(
            "Journal {code} chosen for {what} no longer exists in {ledger}: create it as a sales journal in {ledger} or pick another one on the connection page."
        ));
    }
    Ok(code.clone())
}

/// Check that the document's date falls in an open fiscal period of the ledger.
pub fn check_period(doc: &SalesDocument, ctx: &MappingContext<'_>) -> Result<(), String> {
    if ctx.reference.periods.is_empty() {
        return Ok(());
    }
    let ledger = ctx.ledger.display_name();
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
    let ledger = ctx.ledger.display_name();
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
    let ledger = ctx.ledger.display_name();
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
    let ledger = ctx.ledger.display_name();
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
    customer: &LedgerCustomerId,
    ctx: &MappingContext<'_>,
) -> Result<LedgerEntry, Vec<String>> {
    let mut problems = Vec::new();
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
                gl_account,
                vat_code: (!vat_code.is_empty()).then_some(vat_code),
                amount_excl: round_cents(net),
                vat_amount,
                description: truncate(&description, 60),
            };
            (line, pct.map(|p| p.normalize()))
        })
        .collect();
    reconcile_vat(&mut rated, doc);
    let lines = rated.into_iter().map(|(line, _)| line).collect();

    Ok(LedgerEntry {
        kind: doc.kind,
        journal,
        customer: customer.clone(),
        reference: reference.clone(),
        date: doc.date,
        due_date: doc.due_on,
        description: format!("{} {}", capitalised(doc.kind), reference),
        payment_reference: doc.payment_reference.clone(),
        direct_debit: matches!(
            doc.expected_payment_method,
            Some(PaymentMethod::DirectDebit)
        ),
        currency: doc.total_incl.currency.0.clone(),
        lines,
        total_incl: doc.total_incl.amount,
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

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
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
