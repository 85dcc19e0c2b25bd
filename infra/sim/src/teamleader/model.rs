//! The simulator's data: one [`Account`] per Teamleader account (tenant), and the arithmetic
//! that turns invoice lines into Teamleader's totals.

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// A co-worker who can log in (and who `users.me` describes).
#[derive(Debug, Clone)]
pub struct User {
    /// User id.
    pub id: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Login e-mail.
    pub email: String,
    /// Interface language, e.g. `nl`.
    pub language: String,
}

/// A department: a legal entity that numbers its own invoices.
#[derive(Debug, Clone)]
pub struct Department {
    /// Department id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The entity's VAT number.
    pub vat_number: String,
    /// Its currency.
    pub currency: String,
    /// Primary e-mail, if any.
    pub email: Option<String>,
    /// The entity's address (`departments.info` gives it; the seller's on a UBL file).
    pub address: Option<Address>,
}

/// A tax rate; ids are per department.
#[derive(Debug, Clone)]
pub struct TaxRate {
    /// Tax rate id.
    pub id: String,
    /// Owning department.
    pub department_id: String,
    /// Fraction, e.g. 0.21.
    pub rate: Decimal,
    /// Label, e.g. "21%".
    pub description: String,
}

/// A product category and its ledger account per department.
#[derive(Debug, Clone)]
pub struct ProductCategory {
    /// Category id.
    pub id: String,
    /// Name.
    pub name: String,
    /// (department id, ledger account number).
    pub ledgers: Vec<(String, String)>,
}

/// A custom field definition.
#[derive(Debug, Clone)]
pub struct CustomFieldDefinition {
    /// Definition id.
    pub id: String,
    /// Entity kind it belongs to: company, contact, invoice, …
    pub context: String,
    /// Field type: single_line, number, …
    pub kind: String,
    /// Label shown to users.
    pub label: String,
    /// Whether a value is mandatory.
    pub required: bool,
}

/// A postal address of a company or contact.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Address {
    /// primary, invoicing, delivery or visiting.
    pub kind: String,
    /// Street and number.
    pub line_1: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// City.
    pub city: Option<String>,
    /// ISO country code, e.g. BE.
    pub country: String,
    /// Addressee, if set.
    pub addressee: Option<String>,
}

/// A deal (opportunity) of a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deal {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// The customer the deal is with (`lead.customer`).
    pub customer: CustomerRef,
}

/// A company (customer) in the CRM.
#[derive(Debug, Clone, Default)]
pub struct Company {
    /// Company id.
    pub id: String,
    /// Name.
    pub name: String,
    /// VAT number, as typed.
    pub vat_number: Option<String>,
    /// National identification number (company number).
    pub national_identification_number: Option<String>,
    /// (type, address) pairs; type is primary or invoicing.
    pub emails: Vec<(String, String)>,
    /// (type, number) pairs; type is phone or fax.
    pub telephones: Vec<(String, String)>,
    /// Website.
    pub website: Option<String>,
    /// Addresses.
    pub addresses: Vec<Address>,
    /// IBAN.
    pub iban: Option<String>,
    /// BIC.
    pub bic: Option<String>,
    /// Language code.
    pub language: Option<String>,
    /// Free text.
    pub remarks: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Custom field values by definition id.
    pub custom_fields: BTreeMap<String, Value>,
    /// Consent to marketing mail.
    pub marketing_mails_consent: bool,
    /// Preferred currency.
    pub preferred_currency: Option<String>,
    /// Responsible user.
    pub responsible_user_id: String,
    /// Creation instant.
    pub added_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A contact (person) in the CRM.
#[derive(Debug, Clone, Default)]
pub struct Contact {
    /// Contact id.
    pub id: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Primary e-mail.
    pub email: Option<String>,
    /// (type, number) pairs.
    pub telephones: Vec<(String, String)>,
    /// VAT number (sole traders).
    pub vat_number: Option<String>,
    /// National identification number (national register number).
    pub national_identification_number: Option<String>,
    /// Addresses.
    pub addresses: Vec<Address>,
    /// Language code.
    pub language: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Custom field values by definition id.
    pub custom_fields: BTreeMap<String, Value>,
    /// Consent to marketing mail.
    pub marketing_mails_consent: bool,
    /// Companies the contact works for.
    pub company_ids: Vec<String>,
    /// Creation instant.
    pub added_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Who a document is addressed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRef {
    /// company or contact.
    pub kind: String,
    /// Its id.
    pub id: String,
}

/// Payment term of an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentTerm {
    /// cash, end_of_month or after_invoice_date.
    pub kind: String,
    /// Days (after the invoice date or after the end of its month).
    pub days: u32,
}

impl PaymentTerm {
    /// The day payment is due for an invoice dated `date`.
    pub fn due_on(&self, date: NaiveDate) -> NaiveDate {
        let start = match self.kind.as_str() {
            "cash" => return date,
            "end_of_month" => end_of_month(date),
            _ => date,
        };
        start
            .checked_add_days(Days::new(u64::from(self.days)))
            .unwrap_or(start)
    }
}

fn end_of_month(date: NaiveDate) -> NaiveDate {
    let (year, month) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1)
        .and_then(|first| first.pred_opt())
        .unwrap_or(date)
}

/// One invoice or credit-note line.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Line text.
    pub description: String,
    /// Longer text, if any.
    pub extended_description: Option<String>,
    /// Quantity.
    pub quantity: Decimal,
    /// Unit price, tax excluded.
    pub unit_price: Decimal,
    /// Tax rate id (of the document's department).
    pub tax_rate_id: String,
    /// Percentage discount on the line, if any.
    pub discount_percent: Option<Decimal>,
    /// Product category, which carries the ledger account.
    pub product_category_id: Option<String>,
}

/// A titled group of lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Section title ("" for the default section).
    pub title: String,
    /// Its lines.
    pub lines: Vec<Line>,
}

/// A registered payment.
#[derive(Debug, Clone, PartialEq)]
pub struct Payment {
    /// Amount paid.
    pub amount: Decimal,
    /// Currency of the amount.
    pub currency: String,
    /// When it was paid.
    pub paid_at: DateTime<Utc>,
}

/// An invoice; `number` is None while it is a draft.
#[derive(Debug, Clone)]
pub struct Invoice {
    /// Invoice id.
    pub id: String,
    /// Department that issues it.
    pub department_id: String,
    /// (year, sequence) once booked; rendered "YYYY / N".
    pub number: Option<(i32, u32)>,
    /// Invoice date (set when booked; drafts may carry one).
    pub invoice_date: Option<NaiveDate>,
    /// The customer.
    pub customer: CustomerRef,
    /// Invoicee name, copied from the customer when drafted.
    pub invoicee_name: String,
    /// Invoicee VAT number, copied from the customer when drafted.
    pub invoicee_vat_number: Option<String>,
    /// Grouped lines.
    pub sections: Vec<Section>,
    /// Payment term.
    pub payment_term: PaymentTerm,
    /// Payments registered so far.
    pub payments: Vec<Payment>,
    /// Currency code.
    pub currency: String,
    /// Customer's order reference.
    pub purchase_order_number: Option<String>,
    /// Structured payment reference (+++…+++).
    pub payment_reference: Option<String>,
    /// Note on the invoice.
    pub note: Option<String>,
    /// Whether it was sent to the customer.
    pub sent: bool,
    /// Custom field values by definition id.
    pub custom_fields: BTreeMap<String, Value>,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Invoice status as Teamleader reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceStatus {
    /// Not booked; no number.
    Draft,
    /// Booked, something still due.
    Outstanding,
    /// Booked and fully paid.
    Matched,
}

impl InvoiceStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Outstanding => "outstanding",
            Self::Matched => "matched",
        }
    }
}

/// Render a booking number the way Teamleader does: `2024 / 7`.
pub fn booking_number((year, sequence): (i32, u32)) -> String {
    format!("{year} / {sequence}")
}

/// Parse `2024 / 7` (spaces optional) back into (year, sequence).
pub fn parse_booking_number(text: &str) -> Option<(i32, u32)> {
    let (year, sequence) = text.split_once('/')?;
    Some((year.trim().parse().ok()?, sequence.trim().parse().ok()?))
}

/// A booked credit note.
#[derive(Debug, Clone)]
pub struct CreditNote {
    /// Credit note id.
    pub id: String,
    /// Department that issues it.
    pub department_id: String,
    /// (year, sequence); credit notes have their own sequence.
    pub number: (i32, u32),
    /// Credit note date.
    pub date: NaiveDate,
    /// The invoice it credits, if any.
    pub invoice_id: Option<String>,
    /// The customer.
    pub customer: CustomerRef,
    /// Invoicee name.
    pub invoicee_name: String,
    /// Invoicee VAT number.
    pub invoicee_vat_number: Option<String>,
    /// Grouped lines.
    pub sections: Vec<Section>,
    /// Currency code.
    pub currency: String,
    /// When it was settled, if it was.
    pub paid_at: Option<DateTime<Utc>>,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A webhook registration; Teamleader keys them by URL and types (no id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Where events go.
    pub url: String,
    /// Event types, e.g. invoice.booked.
    pub types: Vec<String>,
}

/// One Teamleader account (tenant) and everything in it.
#[derive(Debug, Clone, Default)]
pub struct Account {
    /// Account id.
    pub id: String,
    /// Account name.
    pub name: String,
    /// Users.
    pub users: Vec<User>,
    /// Departments.
    pub departments: Vec<Department>,
    /// Tax rates of all departments.
    pub tax_rates: Vec<TaxRate>,
    /// Product categories.
    pub product_categories: Vec<ProductCategory>,
    /// Custom field definitions.
    pub custom_fields: Vec<CustomFieldDefinition>,
    /// Companies by id.
    pub companies: BTreeMap<String, Company>,
    /// Contacts by id.
    pub contacts: BTreeMap<String, Contact>,
    /// Invoices by id.
    pub invoices: BTreeMap<String, Invoice>,
    /// Credit notes by id.
    pub credit_notes: BTreeMap<String, CreditNote>,
    /// Deals (opportunities) by id: only what `deals.list` filters on.
    pub deals: BTreeMap<String, Deal>,
    /// Webhook registrations.
    pub webhooks: Vec<Webhook>,
    /// Thin events that happened (what webhooks would carry), oldest first.
    pub events: Vec<Value>,
}

impl Account {
    /// Rate of a tax rate id, if it exists.
    pub fn tax_rate(&self, id: &str) -> Option<&TaxRate> {
        self.tax_rates.iter().find(|rate| rate.id == id)
    }

    /// A lookup of tax rate id → rate, for totals.
    pub fn rates(&self) -> HashMap<&str, Decimal> {
        self.tax_rates
            .iter()
            .map(|rate| (rate.id.as_str(), rate.rate))
            .collect()
    }

    /// Name and VAT number of a customer, if it exists in this account.
    pub fn customer_identity(&self, customer: &CustomerRef) -> Option<(String, Option<String>)> {
        match customer.kind.as_str() {
            "company" => self
                .companies
                .get(&customer.id)
                .map(|c| (c.name.clone(), c.vat_number.clone())),
            "contact" => self.contacts.get(&customer.id).map(|c| {
                (
                    format!("{} {}", c.first_name, c.last_name)
                        .trim()
                        .to_owned(),
                    c.vat_number.clone(),
                )
            }),
            _ => None,
        }
    }

    /// The next free booking sequence for invoices of a department in a year.
    pub fn next_invoice_sequence(&self, department_id: &str, year: i32) -> u32 {
        self.invoices
            .values()
            .filter(|i| i.department_id == department_id)
            .filter_map(|i| i.number)
            .filter(|(y, _)| *y == year)
            .map(|(_, n)| n)
            .max()
            .unwrap_or(0)
            + 1
    }

    /// The next free sequence for credit notes of a department in a year.
    pub fn next_credit_note_sequence(&self, department_id: &str, year: i32) -> u32 {
        self.credit_notes
            .values()
            .filter(|c| c.department_id == department_id && c.number.0 == year)
            .map(|c| c.number.1)
            .max()
            .unwrap_or(0)
            + 1
    }

    /// Record a thin event (`type`, `subject`, `account`), as a webhook would carry it.
    pub fn record_event(&mut self, kind: &str, subject_type: &str, subject_id: &str) {
        let event = serde_json::json!({
            "type": kind,
            "subject": {"type": subject_type, "id": subject_id},
            "account": {"type": "account", "id": self.id},
        });
        self.events.push(event);
    }
}

/// Round to cents, halves away from zero.
pub fn cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Totals of one line.
#[derive(Debug, Clone, PartialEq)]
pub struct LineTotals {
    /// Tax rate (fraction).
    pub rate: Decimal,
    /// Excluding tax, before the line discount.
    pub exclusive_before_discount: Decimal,
    /// Excluding tax, after the discount.
    pub exclusive: Decimal,
    /// Including tax, before the discount.
    pub inclusive_before_discount: Decimal,
    /// Including tax, after the discount.
    pub inclusive: Decimal,
}

impl Line {
    /// This line's totals at `rate`.
    pub fn totals(&self, rate: Decimal) -> LineTotals {
        let gross = self.quantity * self.unit_price;
        let factor =
            Decimal::ONE - self.discount_percent.unwrap_or_default() / Decimal::ONE_HUNDRED;
        let exclusive_before_discount = cents(gross);
        let exclusive = cents(gross * factor);
        LineTotals {
            rate,
            exclusive_before_discount,
            exclusive,
            inclusive_before_discount: cents(exclusive_before_discount * (Decimal::ONE + rate)),
            inclusive: cents(exclusive * (Decimal::ONE + rate)),
        }
    }
}

/// Per-rate tax summary.
#[derive(Debug, Clone, PartialEq)]
pub struct TaxLine {
    /// Rate (fraction).
    pub rate: Decimal,
    /// Taxable base.
    pub taxable: Decimal,
    /// Tax on it.
    pub tax: Decimal,
}

/// Totals of a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Totals {
    /// Sum of line amounts excluding tax, after discounts.
    pub exclusive: Decimal,
    /// The same before discounts.
    pub exclusive_before_discount: Decimal,
    /// Including tax, after discounts.
    pub inclusive: Decimal,
    /// Including tax, before discounts.
    pub inclusive_before_discount: Decimal,
    /// Tax per rate, highest rate first.
    pub taxes: Vec<TaxLine>,
}

/// Totals of a set of sections; `rates` maps tax rate ids to fractions (unknown ids count 0).
pub fn totals(sections: &[Section], rates: &HashMap<&str, Decimal>) -> Totals {
    let mut by_rate: BTreeMap<Decimal, (Decimal, Decimal)> = BTreeMap::new();
    let mut exclusive = Decimal::ZERO;
    let mut before = Decimal::ZERO;
    for line in sections.iter().flat_map(|s| &s.lines) {
        let rate = rates
            .get(line.tax_rate_id.as_str())
            .copied()
            .unwrap_or_default();
        let t = line.totals(rate);
        exclusive += t.exclusive;
        before += t.exclusive_before_discount;
        let entry = by_rate.entry(rate).or_default();
        entry.0 += t.exclusive;
        entry.1 += t.exclusive_before_discount;
    }
    let taxes: Vec<TaxLine> = by_rate
        .iter()
        .rev()
        .map(|(rate, (taxable, _))| TaxLine {
            rate: *rate,
            taxable: *taxable,
            tax: cents(*taxable * *rate),
        })
        .collect();
    let tax: Decimal = taxes.iter().map(|t| t.tax).sum();
    let tax_before: Decimal = by_rate
        .iter()
        .map(|(rate, (_, base))| cents(*base * *rate))
        .sum();
    Totals {
        exclusive,
        exclusive_before_discount: before,
        inclusive: exclusive + tax,
        inclusive_before_discount: before + tax_before,
        taxes,
    }
}

impl Invoice {
    /// Totals of the invoice.
    pub fn totals(&self, rates: &HashMap<&str, Decimal>) -> Totals {
        totals(&self.sections, rates)
    }

    /// Sum of registered payments.
    pub fn paid_amount(&self) -> Decimal {
        self.payments.iter().map(|p| p.amount).sum()
    }

    /// What is still due (never below zero).
    pub fn due(&self, rates: &HashMap<&str, Decimal>) -> Decimal {
        let payable = self.totals(rates).inclusive;
        (payable - self.paid_amount()).max(Decimal::ZERO)
    }

    /// draft → outstanding → matched (fully paid).
    pub fn status(&self, rates: &HashMap<&str, Decimal>) -> InvoiceStatus {
        if self.number.is_none() {
            InvoiceStatus::Draft
        } else if self.due(rates).is_zero() {
            InvoiceStatus::Matched
        } else {
            InvoiceStatus::Outstanding
        }
    }

    /// When it became fully paid: the last payment's date, once matched.
    pub fn paid_at(&self, rates: &HashMap<&str, Decimal>) -> Option<DateTime<Utc>> {
        if self.status(rates) == InvoiceStatus::Matched {
            self.payments.iter().map(|p| p.paid_at).max()
        } else {
            None
        }
    }

    /// Due date, once the invoice has a date.
    pub fn due_on(&self) -> Option<NaiveDate> {
        self.invoice_date.map(|d| self.payment_term.due_on(d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn line(quantity: Decimal, price: Decimal, rate_id: &str, discount: Option<Decimal>) -> Line {
        Line {
            description: "x".into(),
            extended_description: None,
            quantity,
            unit_price: price,
            tax_rate_id: rate_id.into(),
            discount_percent: discount,
            product_category_id: None,
        }
    }

    #[test]
    fn totals_group_taxes_per_rate_and_round_to_cents() {
        let rates: HashMap<&str, Decimal> = [("r21", dec!(0.21)), ("r6", dec!(0.06))].into();
        let sections = vec![Section {
            title: String::new(),
            lines: vec![
                line(dec!(3), dec!(33.333), "r21", None),
                line(dec!(1), dec!(200), "r21", Some(dec!(10))),
                line(dec!(2), dec!(10), "r6", None),
            ],
        }];
        let t = totals(&sections, &rates);
        assert_eq!(t.exclusive, dec!(100.00) + dec!(180.00) + dec!(20.00));
        assert_eq!(t.exclusive_before_discount, dec!(320.00));
        assert_eq!(t.taxes.len(), 2);
        assert_eq!(t.taxes[0].rate, dec!(0.21));
        assert_eq!(t.taxes[0].taxable, dec!(280.00));
        assert_eq!(t.taxes[0].tax, dec!(58.80));
        assert_eq!(t.taxes[1].tax, dec!(1.20));
        assert_eq!(t.inclusive, dec!(360.00));
    }

    #[test]
    fn payment_terms_and_booking_numbers() {
        let date = NaiveDate::from_ymd_opt(2024, 2, 10).unwrap();
        let eom = PaymentTerm {
            kind: "end_of_month".into(),
            days: 30,
        };
        assert_eq!(
            eom.due_on(date),
            NaiveDate::from_ymd_opt(2024, 3, 30).unwrap()
        );
        let after = PaymentTerm {
            kind: "after_invoice_date".into(),
            days: 14,
        };
        assert_eq!(
            after.due_on(date),
            NaiveDate::from_ymd_opt(2024, 2, 24).unwrap()
        );
        assert_eq!(booking_number((2024, 7)), "2024 / 7");
        assert_eq!(parse_booking_number("2024 / 7"), Some((2024, 7)));
        assert_eq!(parse_booking_number("2024/12"), Some((2024, 12)));
    }
}
