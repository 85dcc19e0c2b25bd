//! The demo's story set-up: the Teamleader account to generate, the Dutch branch, the
//! Dutch administration's credit-note journal and the one closed period, plus what the
//! Teamleader side holds (to check Exact against afterwards).

use chrono::{Datelike, Days, Months, NaiveDate};
use koppel_sim::exact::{JOURNAL_TYPE_SALES_RETURN, Journal};
use koppel_sim::teamleader::{self, model};
use koppel_sim::{exact, teamleader::GenerateSpec};
use rust_decimal::Decimal;
use std::collections::{BTreeSet, HashMap, HashSet};

/// Seed of the generated account: the same account every run (dates move with today).
const SEED: u64 = 2026;
/// Days of the closed month that carry documents (the generated history starts there).
const DAYS_IN_CLOSED_MONTH: u64 = 4;
/// How many months back the history (and the closed month) starts.
const MONTHS_OF_HISTORY: u32 = 5;

/// The month the Belgian accountant closed, and the generator spec that starts the history
/// in its last few days (so only a handful of documents fall in it).
#[derive(Debug, Clone)]
pub struct Plan {
    /// The account to generate.
    pub spec: GenerateSpec,
    /// Closed period of the Belgian division (year, month).
    pub closed: (i32, u32),
}

/// The plan for an account generated on `today`.
pub fn plan(today: NaiveDate) -> Plan {
    let month_start = today
        .with_day(1)
        .and_then(|d| d.checked_sub_months(Months::new(MONTHS_OF_HISTORY)))
        .unwrap_or(today);
    let month_end = month_start
        .checked_add_months(Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(month_start);
    let first_day = month_end
        .checked_sub_days(Days::new(DAYS_IN_CLOSED_MONTH - 1))
        .unwrap_or(month_end);
    let days = (today - first_day).num_days().max(1) as u32;
    Plan {
        spec: GenerateSpec {
            seed: SEED,
            account_id: None,
            name: Some("Studio Noord & Zuid".to_owned()),
            // Two departments on Exact (~200 invoices each), one on Octopus, one on
            // Twinfield, one on Clearfacts.
            departments: 5,
            companies: 130,
            contacts: 20,
            invoices: 1000,
            // Enough for the Octopus department's three bookings on its second night and the
            // Clearfacts department's one booking in near real time.
            drafts: 40,
            credit_notes: 100,
            paid_percent: 60,
            days,
        },
        closed: (month_start.year(), month_start.month()),
    }
}

/// Dutch VAT number of the branch (passes the 11-test).
const BRANCH_VAT: &str = "NL123456782B01";

/// Make department 2 the Dutch branch, as its admin set it up in Teamleader: Dutch tax rates
/// (21 % high, 9 % low, 0 % export and intra-EU) and its product categories booked on the
/// Dutch revenue accounts (8xxx). The generator makes every department Belgian; amounts and
/// payments of the branch's invoices are recomputed so paid invoices stay exactly paid.
pub fn make_dutch_branch(tl: &teamleader::SimHandle, account_id: &str, department: &str) {
    tl.with_account(account_id, |a| {
        let old_totals = inclusive_totals(a, department);
        if let Some(d) = a.departments.iter_mut().find(|d| d.id == department) {
            d.name = "Vestiging Breda (NL)".to_owned();
            d.vat_number = BRANCH_VAT.to_owned();
        }
        for rate in a
            .tax_rates
            .iter_mut()
            .filter(|r| r.department_id == department)
        {
            let (fraction, label) = match (rate.rate * Decimal::ONE_HUNDRED).normalize() {
                p if p == Decimal::from(21) => (rate.rate, "21% hoog tarief"),
                p if p == Decimal::from(12) => (Decimal::new(9, 2), "9% laag tarief"),
                p if p == Decimal::from(6) => (Decimal::ZERO, "0% export buiten de EU"),
                _ => (Decimal::ZERO, "0% intracommunautaire levering"),
            };
            rate.rate = fraction;
            rate.description = label.to_owned();
        }
        for category in &mut a.product_categories {
            let account = match category.name.as_str() {
                "services" => "8100",
                _ => "8000",
            };
            for (d, ledger) in &mut category.ledgers {
                if d == department {
                    *ledger = account.to_owned();
                }
            }
        }
        let new_totals = inclusive_totals(a, department);
        for (id, invoice) in a.invoices.iter_mut() {
            let (Some(old), Some(new)) = (old_totals.get(id), new_totals.get(id)) else {
                continue;
            };
            if invoice.payments.len() == 1 && invoice.payments[0].amount == *old {
                invoice.payments[0].amount = *new;
            }
        }
    })
    .expect("the generated account exists");
}

fn inclusive_totals(a: &model::Account, department: &str) -> HashMap<String, Decimal> {
    let rates = a.rates();
    a.invoices
        .values()
        .filter(|i| i.department_id == department)
        .map(|i| (i.id.clone(), i.totals(&rates).inclusive))
        .collect()
}

/// Give the Dutch administration a sales journal for credit notes: Koppel books them apart
/// from invoices (Teamleader numbers them in their own series), and the seeded Dutch
/// division has only its sales journal 70.
pub fn add_credit_note_journal(ex: &exact::SimHandle, division: i32) {
    let mut d = ex.division(division).expect("the Dutch division exists");
    if d.journal("71").is_none() {
        d.journals.push(Journal {
            id: uuid::Uuid::new_v4(),
            code: "71".to_owned(),
            description: "Creditnota's verkoop".to_owned(),
            kind: JOURNAL_TYPE_SALES_RETURN,
        });
    }
    ex.add_division(d);
}

/// What one Teamleader department holds.
#[derive(Debug, Clone, Default)]
pub struct DepartmentBooks {
    /// Department name.
    pub name: String,
    /// Numbers of booked invoices ("2026 / 17").
    pub invoices: BTreeSet<String>,
    /// Numbers of credit notes.
    pub credit_notes: BTreeSet<String>,
    /// Draft invoices.
    pub drafts: usize,
    /// Paid (matched) invoices.
    pub paid: usize,
    /// Customers on booked documents.
    pub customers: HashSet<String>,
    /// Total incl. VAT of booked invoices.
    pub invoiced_incl: Decimal,
    /// Total incl. VAT of credit notes.
    pub credited_incl: Decimal,
    /// Booked documents dated in a given month: (kind word, number).
    pub in_month: BTreeSet<(String, String)>,
    /// Lines per tax-rate label.
    pub lines_per_rate: HashMap<String, usize>,
}

/// The books of `department`, with the documents dated in `month` (year, month).
pub fn books(
    tl: &teamleader::SimHandle,
    account_id: &str,
    department: &str,
    month: (i32, u32),
) -> DepartmentBooks {
    tl.with_account(account_id, |a| {
        let rates = a.rates();
        let label = |rate_id: &str| {
            a.tax_rate(rate_id)
                .map_or_else(|| "?".to_owned(), |r| r.description.clone())
        };
        let in_month = |date: NaiveDate| (date.year(), date.month()) == month;
        let mut b = DepartmentBooks {
            name: a
                .departments
                .iter()
                .find(|d| d.id == department)
                .map(|d| d.name.clone())
                .unwrap_or_default(),
            ..DepartmentBooks::default()
        };
        for invoice in a
            .invoices
            .values()
            .filter(|i| i.department_id == department)
        {
            let Some(number) = invoice.number else {
                b.drafts += 1;
                continue;
            };
            let number = model::booking_number(number);
            let totals = invoice.totals(&rates);
            b.invoiced_incl += totals.inclusive;
            if invoice.status(&rates) == model::InvoiceStatus::Matched {
                b.paid += 1;
            }
            b.customers.insert(invoice.customer.id.clone());
            if invoice.invoice_date.is_some_and(in_month) {
                b.in_month.insert(("invoice".to_owned(), number.clone()));
            }
            for line in invoice.sections.iter().flat_map(|s| &s.lines) {
                *b.lines_per_rate
                    .entry(label(&line.tax_rate_id))
                    .or_default() += 1;
            }
            b.invoices.insert(number);
        }
        for note in a
            .credit_notes
            .values()
            .filter(|c| c.department_id == department)
        {
            let number = model::booking_number(note.number);
            b.credited_incl += model::totals(&note.sections, &rates).inclusive;
            b.customers.insert(note.customer.id.clone());
            if in_month(note.date) {
                b.in_month
                    .insert(("credit note".to_owned(), number.clone()));
            }
            b.credit_notes.insert(number);
        }
        b
    })
    .expect("the generated account exists")
}

/// Tax-rate labels of a department by id (for showing the VAT mapping).
pub fn tax_rate_labels(
    tl: &teamleader::SimHandle,
    account_id: &str,
) -> HashMap<String, (String, Decimal)> {
    tl.with_account(account_id, |a| {
        a.tax_rates
            .iter()
            .map(|r| (r.id.clone(), (r.description.clone(), r.rate)))
            .collect()
    })
    .unwrap_or_default()
}

/// Product category name → ledger account for a department.
pub fn category_accounts(
    tl: &teamleader::SimHandle,
    account_id: &str,
    department: &str,
) -> Vec<(String, String)> {
    tl.with_account(account_id, |a| {
        a.product_categories
            .iter()
            .filter_map(|c| {
                c.ledgers
                    .iter()
                    .find(|(d, _)| d == department)
                    .map(|(_, account)| (c.name.clone(), account.clone()))
            })
            .collect()
    })
    .unwrap_or_default()
}
