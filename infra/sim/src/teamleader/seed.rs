//! Seeding: a serde description of an account ([`SeedAccount`], also accepted as JSON by
//! `POST /_sim/seed`) and a deterministic generator of realistic accounts ([`generate`]) for
//! the demo and benchmarks.

use super::api::structured_reference_for;
use super::model::{
    Account, Address, Company, Contact, CreditNote, CustomFieldDefinition, CustomerRef, Department,
    Invoice, Line, Payment, PaymentTerm, ProductCategory, Section, TaxRate, User,
    parse_booking_number,
};
use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Why a seed was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("seed refused: {0}")]
pub struct SeedError(pub String);

fn refuse<T>(message: impl Into<String>) -> Result<T, SeedError> {
    Err(SeedError(message.into()))
}

/// An account to create. Ids are optional everywhere (a UUID is made up); give them when
/// other seed entries refer to them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SeedAccount {
    /// Account id.
    pub id: Option<String>,
    /// Account name.
    pub name: String,
    /// Users (one default user when empty); the first one logs in by default.
    pub users: Vec<SeedUser>,
    /// Departments with their tax rates.
    pub departments: Vec<SeedDepartment>,
    /// Product categories with ledger accounts.
    pub product_categories: Vec<SeedProductCategory>,
    /// Custom field definitions.
    pub custom_fields: Vec<SeedCustomField>,
    /// Companies.
    pub companies: Vec<SeedCompany>,
    /// Contacts.
    pub contacts: Vec<SeedContact>,
    /// Invoices (booked by default; drafts too).
    pub invoices: Vec<SeedInvoice>,
    /// Credit notes (always booked).
    pub credit_notes: Vec<SeedCreditNote>,
}

/// A user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SeedUser {
    /// User id.
    pub id: Option<String>,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// E-mail.
    pub email: String,
    /// Language (default nl).
    pub language: Option<String>,
}

/// A department.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SeedDepartment {
    /// Department id.
    pub id: Option<String>,
    /// Name.
    pub name: String,
    /// VAT number.
    pub vat_number: String,
    /// Currency (default EUR).
    pub currency: Option<String>,
    /// Primary e-mail.
    pub email: Option<String>,
    /// The entity's address.
    pub address: Option<SeedAddress>,
    /// Its tax rates.
    pub tax_rates: Vec<SeedTaxRate>,
}

/// A tax rate of a department.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SeedTaxRate {
    /// Tax rate id.
    pub id: Option<String>,
    /// Fraction, e.g. 0.21.
    pub rate: Decimal,
    /// Label (default "21%").
    pub description: Option<String>,
}

/// A product category.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SeedProductCategory {
    /// Category id.
    pub id: Option<String>,
    /// Name.
    pub name: String,
    /// Ledger account per department.
    pub ledgers: Vec<SeedLedger>,
}

/// A ledger account of a product category in a department.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SeedLedger {
    /// Department id.
    pub department_id: String,
    /// Ledger account number, e.g. 700000.
    pub ledger_account_number: String,
}

/// A custom field definition.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SeedCustomField {
    /// Definition id.
    pub id: Option<String>,
    /// company, contact, invoice, …
    pub context: String,
    /// single_line, number, … (default single_line).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Label.
    pub label: String,
}

/// A postal address.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SeedAddress {
    /// Street and number.
    pub line_1: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// City.
    pub city: Option<String>,
    /// ISO country code (default BE).
    pub country: Option<String>,
}

impl SeedAddress {
    fn into_address(self) -> Address {
        Address {
            kind: "primary".to_owned(),
            line_1: self.line_1,
            postal_code: self.postal_code,
            city: self.city,
            country: self.country.unwrap_or_else(|| "BE".to_owned()),
            addressee: None,
        }
    }
}

/// A company.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SeedCompany {
    /// Company id.
    pub id: Option<String>,
    /// Name.
    pub name: String,
    /// VAT number.
    pub vat_number: Option<String>,
    /// Company number.
    pub national_identification_number: Option<String>,
    /// Primary e-mail.
    pub email: Option<String>,
    /// Phone number.
    pub telephone: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Primary address.
    pub address: Option<SeedAddress>,
    /// IBAN.
    pub iban: Option<String>,
    /// Language (default nl).
    pub language: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Custom field values by definition id.
    pub custom_fields: BTreeMap<String, Value>,
    /// Creation instant (default now).
    pub added_at: Option<DateTime<Utc>>,
}

/// A contact.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SeedContact {
    /// Contact id.
    pub id: Option<String>,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// E-mail.
    pub email: Option<String>,
    /// VAT number (sole traders).
    pub vat_number: Option<String>,
    /// Address.
    pub address: Option<SeedAddress>,
    /// Companies the contact works for.
    pub company_ids: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Custom field values by definition id.
    pub custom_fields: BTreeMap<String, Value>,
    /// Creation instant (default now).
    pub added_at: Option<DateTime<Utc>>,
}

/// `{type: company|contact, id}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SeedCustomer {
    /// company or contact.
    #[serde(rename = "type")]
    pub kind: String,
    /// Id.
    pub id: String,
}

/// Whether a seeded invoice is booked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedInvoiceStatus {
    /// Booked (numbered); outstanding or matched depending on payments.
    #[default]
    Booked,
    /// A draft without number.
    Draft,
}

/// One line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SeedLine {
    /// Text.
    pub description: String,
    /// Quantity (default 1).
    pub quantity: Option<Decimal>,
    /// Unit price excluding tax.
    pub unit_price: Decimal,
    /// Tax rate id of the document's department.
    pub tax_rate_id: String,
    /// Percentage discount.
    pub discount_percent: Option<Decimal>,
    /// Product category.
    pub product_category_id: Option<String>,
}

/// A payment already registered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SeedPayment {
    /// Amount.
    pub amount: Decimal,
    /// When.
    pub paid_at: DateTime<Utc>,
}

/// Payment term.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedPaymentTerm {
    /// cash, end_of_month or after_invoice_date.
    #[serde(rename = "type")]
    pub kind: String,
    /// Days.
    #[serde(default)]
    pub days: u32,
}

/// An invoice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SeedInvoice {
    /// Invoice id.
    pub id: Option<String>,
    /// Department id.
    pub department_id: String,
    /// Customer.
    pub customer: SeedCustomer,
    /// Booked (default) or draft.
    pub status: SeedInvoiceStatus,
    /// Invoice date (booked default: today).
    pub invoice_date: Option<NaiveDate>,
    /// "YYYY / N"; booked invoices without one are numbered in date order.
    pub number: Option<String>,
    /// Lines (one section).
    pub lines: Vec<SeedLine>,
    /// Payment term (default 30 days after the invoice date).
    pub payment_term: Option<SeedPaymentTerm>,
    /// Payments already made.
    pub payments: Vec<SeedPayment>,
    /// Customer's order reference.
    pub purchase_order_number: Option<String>,
    /// Currency (default: the department's).
    pub currency: Option<String>,
    /// Sent to the customer.
    pub sent: bool,
    /// Creation instant (default: invoice date 09:00 UTC, or now).
    pub created_at: Option<DateTime<Utc>>,
    /// Last change (default: the latest of creation and payments).
    pub updated_at: Option<DateTime<Utc>>,
}

/// A booked credit note.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SeedCreditNote {
    /// Credit note id.
    pub id: Option<String>,
    /// Department id (default: the credited invoice's).
    pub department_id: Option<String>,
    /// Credited invoice.
    pub invoice_id: Option<String>,
    /// Customer (default: the credited invoice's).
    pub customer: Option<SeedCustomer>,
    /// Date (default today).
    pub credit_note_date: Option<NaiveDate>,
    /// "YYYY / N"; numbered in date order when absent.
    pub number: Option<String>,
    /// Lines.
    pub lines: Vec<SeedLine>,
    /// Settled at.
    pub paid_at: Option<DateTime<Utc>>,
    /// Currency (default: the department's).
    pub currency: Option<String>,
    /// Creation instant.
    pub created_at: Option<DateTime<Utc>>,
    /// Last change.
    pub updated_at: Option<DateTime<Utc>>,
}

fn id_or_new(id: &Option<String>) -> String {
    id.clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

fn at_nine(date: NaiveDate) -> DateTime<Utc> {
    date.and_time(NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default())
        .and_utc()
}

fn lines_of(
    account: &Account,
    department_id: &str,
    lines: &[SeedLine],
    what: &str,
) -> Result<Vec<Section>, SeedError> {
    let mut out = Vec::new();
    for line in lines {
        match account.tax_rate(&line.tax_rate_id) {
            Some(rate) if rate.department_id == department_id => {}
            _ => {
                return refuse(format!(
                    "{what}: tax rate {} is not a tax rate of department {department_id}",
                    line.tax_rate_id
                ));
            }
        }
        if let Some(category) = &line.product_category_id
            && !account.product_categories.iter().any(|c| &c.id == category)
        {
            return refuse(format!(
                "{what}: product category {category} does not exist"
            ));
        }
        out.push(Line {
            description: line.description.clone(),
            extended_description: None,
            quantity: line.quantity.unwrap_or(Decimal::ONE),
            unit_price: line.unit_price,
            tax_rate_id: line.tax_rate_id.clone(),
            discount_percent: line.discount_percent,
            product_category_id: line.product_category_id.clone(),
        });
    }
    Ok(vec![Section {
        title: String::new(),
        lines: out,
    }])
}

fn customer_of(
    account: &Account,
    customer: &SeedCustomer,
    what: &str,
) -> Result<(CustomerRef, String, Option<String>), SeedError> {
    let reference = CustomerRef {
        kind: customer.kind.clone(),
        id: customer.id.clone(),
    };
    match account.customer_identity(&reference) {
        Some((name, vat)) => Ok((reference, name, vat)),
        None => refuse(format!(
            "{what}: customer {} {} does not exist",
            customer.kind, customer.id
        )),
    }
}

/// Build an account from a seed (validated: every reference must exist in the seed).
pub(crate) fn build(seed: SeedAccount, now: DateTime<Utc>) -> Result<Account, SeedError> {
    let today = now.date_naive();
    let mut account = Account {
        id: id_or_new(&seed.id),
        name: if seed.name.is_empty() {
            "Simulated account".to_owned()
        } else {
            seed.name
        },
        ..Account::default()
    };
    let users = if seed.users.is_empty() {
        vec![SeedUser {
            first_name: "Ada".to_owned(),
            last_name: "Admin".to_owned(),
            email: "ada@example.be".to_owned(),
            ..SeedUser::default()
        }]
    } else {
        seed.users
    };
    account.users = users
        .into_iter()
        .map(|u| User {
            id: id_or_new(&u.id),
            first_name: u.first_name,
            last_name: u.last_name,
            email: u.email,
            language: u.language.unwrap_or_else(|| "nl".to_owned()),
        })
        .collect();
    for department in seed.departments {
        let id = id_or_new(&department.id);
        for rate in department.tax_rates {
            let percent = (rate.rate * Decimal::ONE_HUNDRED).normalize();
            account.tax_rates.push(TaxRate {
                id: id_or_new(&rate.id),
                department_id: id.clone(),
                rate: rate.rate,
                description: rate.description.unwrap_or_else(|| format!("{percent}%")),
            });
        }
        account.departments.push(Department {
            id,
            name: department.name,
            vat_number: department.vat_number,
            currency: department.currency.unwrap_or_else(|| "EUR".to_owned()),
            email: department.email,
            address: department.address.map(SeedAddress::into_address),
        });
    }
    for category in seed.product_categories {
        for ledger in &category.ledgers {
            if !account
                .departments
                .iter()
                .any(|d| d.id == ledger.department_id)
            {
                return refuse(format!(
                    "product category {}: department {} does not exist",
                    category.name, ledger.department_id
                ));
            }
        }
        account.product_categories.push(ProductCategory {
            id: id_or_new(&category.id),
            name: category.name,
            ledgers: category
                .ledgers
                .into_iter()
                .map(|l| (l.department_id, l.ledger_account_number))
                .collect(),
        });
    }
    for field in seed.custom_fields {
        account.custom_fields.push(CustomFieldDefinition {
            id: id_or_new(&field.id),
            context: field.context,
            kind: field.kind.unwrap_or_else(|| "single_line".to_owned()),
            label: field.label,
            required: false,
        });
    }
    let responsible = account.users[0].id.clone();
    for company in seed.companies {
        let id = id_or_new(&company.id);
        let added_at = company.added_at.unwrap_or(now);
        account.companies.insert(
            id.clone(),
            Company {
                id,
                name: company.name,
                vat_number: company.vat_number,
                national_identification_number: company.national_identification_number,
                emails: company
                    .email
                    .map(|e| vec![("primary".to_owned(), e)])
                    .unwrap_or_default(),
                telephones: company
                    .telephone
                    .map(|t| vec![("phone".to_owned(), t)])
                    .unwrap_or_default(),
                website: company.website,
                addresses: company
                    .address
                    .map(|a| vec![a.into_address()])
                    .unwrap_or_default(),
                iban: company.iban,
                bic: None,
                language: Some(company.language.unwrap_or_else(|| "nl".to_owned())),
                remarks: None,
                tags: company.tags,
                custom_fields: company.custom_fields,
                marketing_mails_consent: false,
                preferred_currency: Some("EUR".to_owned()),
                responsible_user_id: responsible.clone(),
                added_at,
                updated_at: added_at,
            },
        );
    }
    for contact in seed.contacts {
        for company in &contact.company_ids {
            if !account.companies.contains_key(company) {
                return refuse(format!(
                    "contact {} {}: company {company} does not exist",
                    contact.first_name, contact.last_name
                ));
            }
        }
        let id = id_or_new(&contact.id);
        let added_at = contact.added_at.unwrap_or(now);
        account.contacts.insert(
            id.clone(),
            Contact {
                id,
                first_name: contact.first_name,
                last_name: contact.last_name,
                email: contact.email,
                telephones: Vec::new(),
                vat_number: contact.vat_number,
                national_identification_number: None,
                addresses: contact
                    .address
                    .map(|a| vec![a.into_address()])
                    .unwrap_or_default(),
                language: Some("nl".to_owned()),
                tags: contact.tags,
                custom_fields: contact.custom_fields,
                marketing_mails_consent: false,
                company_ids: contact.company_ids,
                added_at,
                updated_at: added_at,
            },
        );
    }
    add_invoices(&mut account, seed.invoices, now, today)?;
    add_credit_notes(&mut account, seed.credit_notes, now, today)?;
    Ok(account)
}

fn add_invoices(
    account: &mut Account,
    invoices: Vec<SeedInvoice>,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<(), SeedError> {
    let mut taken = HashSet::new();
    let mut unnumbered = Vec::new();
    for seed in invoices {
        let id = id_or_new(&seed.id);
        let what = format!("invoice {id}");
        let department = account
            .departments
            .iter()
            .find(|d| d.id == seed.department_id)
            .cloned()
            .ok_or_else(|| {
                SeedError(format!(
                    "{what}: department {} does not exist",
                    seed.department_id
                ))
            })?;
        let (customer, name, vat) = customer_of(account, &seed.customer, &what)?;
        let sections = lines_of(account, &department.id, &seed.lines, &what)?;
        let booked = seed.status == SeedInvoiceStatus::Booked;
        let invoice_date = if booked {
            Some(seed.invoice_date.unwrap_or(today))
        } else {
            seed.invoice_date
        };
        let number = match (&seed.number, booked) {
            (Some(text), true) => {
                let number = parse_booking_number(text).ok_or_else(|| {
                    SeedError(format!("{what}: number {text} is not like \"2024 / 7\""))
                })?;
                if !taken.insert((department.id.clone(), number)) {
                    return refuse(format!(
                        "{what}: number {text} is used twice in its department"
                    ));
                }
                Some(number)
            }
            (None, true) => {
                unnumbered.push(id.clone());
                None
            }
            (_, false) => None,
        };
        let created_at = seed
            .created_at
            .unwrap_or_else(|| invoice_date.map(at_nine).unwrap_or(now));
        let payments: Vec<Payment> = seed
            .payments
            .iter()
            .map(|p| Payment {
                amount: p.amount,
                currency: seed
                    .currency
                    .clone()
                    .unwrap_or_else(|| department.currency.clone()),
                paid_at: p.paid_at,
            })
            .collect();
        if !booked && !payments.is_empty() {
            return refuse(format!("{what}: a draft cannot carry payments"));
        }
        let updated_at = seed.updated_at.unwrap_or_else(|| {
            payments
                .iter()
                .map(|p| p.paid_at)
                .chain([created_at])
                .max()
                .unwrap_or(created_at)
        });
        let term = seed.payment_term.map_or(
            PaymentTerm {
                kind: "after_invoice_date".to_owned(),
                days: 30,
            },
            |t| PaymentTerm {
                kind: t.kind,
                days: t.days,
            },
        );
        account.invoices.insert(
            id.clone(),
            Invoice {
                id,
                department_id: department.id.clone(),
                number,
                invoice_date,
                customer,
                invoicee_name: name,
                invoicee_vat_number: vat,
                sections,
                payment_term: term,
                payments,
                currency: seed.currency.unwrap_or(department.currency),
                purchase_order_number: seed.purchase_order_number,
                payment_reference: None,
                note: None,
                sent: seed.sent,
                custom_fields: BTreeMap::new(),
                created_at,
                updated_at,
            },
        );
    }
    // Number the rest in date order after the numbers given.
    unnumbered.sort_by_key(|id| {
        account
            .invoices
            .get(id)
            .map(|i| (i.invoice_date, i.created_at))
    });
    // The highest number per (department, year), kept up to date while numbering: the same
    // numbers as `Account::next_invoice_sequence` gives, without a scan per invoice.
    let mut last: HashMap<(String, i32), u32> = HashMap::new();
    for invoice in account.invoices.values() {
        if let Some((year, sequence)) = invoice.number {
            let top = last
                .entry((invoice.department_id.clone(), year))
                .or_default();
            *top = (*top).max(sequence);
        }
    }
    for id in unnumbered {
        let Some(invoice) = account.invoices.get_mut(&id) else {
            continue;
        };
        let year = invoice.invoice_date.unwrap_or(today).year();
        let top = last
            .entry((invoice.department_id.clone(), year))
            .or_default();
        *top += 1;
        invoice.number = Some((year, *top));
    }
    for invoice in account.invoices.values_mut() {
        if let Some((year, sequence)) = invoice.number {
            invoice.payment_reference = Some(structured_reference_for(year, sequence));
        }
    }
    Ok(())
}

fn add_credit_notes(
    account: &mut Account,
    notes: Vec<SeedCreditNote>,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<(), SeedError> {
    let mut unnumbered = Vec::new();
    for seed in notes {
        let id = id_or_new(&seed.id);
        let what = format!("credit note {id}");
        let invoice = match &seed.invoice_id {
            Some(invoice_id) => {
                Some(account.invoices.get(invoice_id).cloned().ok_or_else(|| {
                    SeedError(format!("{what}: invoice {invoice_id} does not exist"))
                })?)
            }
            None => None,
        };
        let department_id = seed
            .department_id
            .clone()
            .or_else(|| invoice.as_ref().map(|i| i.department_id.clone()))
            .ok_or_else(|| SeedError(format!("{what}: give department_id or invoice_id")))?;
        let department = account
            .departments
            .iter()
            .find(|d| d.id == department_id)
            .cloned()
            .ok_or_else(|| {
                SeedError(format!("{what}: department {department_id} does not exist"))
            })?;
        let (customer, name, vat) = match (&seed.customer, &invoice) {
            (Some(customer), _) => customer_of(account, customer, &what)?,
            (None, Some(invoice)) => (
                invoice.customer.clone(),
                invoice.invoicee_name.clone(),
                invoice.invoicee_vat_number.clone(),
            ),
            (None, None) => return refuse(format!("{what}: give customer or invoice_id")),
        };
        let sections = lines_of(account, &department.id, &seed.lines, &what)?;
        let date = seed.credit_note_date.unwrap_or(today);
        let number = match &seed.number {
            Some(text) => parse_booking_number(text).ok_or_else(|| {
                SeedError(format!("{what}: number {text} is not like \"2024 / 7\""))
            })?,
            None => {
                unnumbered.push(id.clone());
                (date.year(), 0)
            }
        };
        let created_at = seed.created_at.unwrap_or_else(|| at_nine(date).min(now));
        account.credit_notes.insert(
            id.clone(),
            CreditNote {
                id,
                department_id: department.id.clone(),
                number,
                date,
                invoice_id: seed.invoice_id,
                customer,
                invoicee_name: name,
                invoicee_vat_number: vat,
                sections,
                currency: seed.currency.unwrap_or(department.currency),
                paid_at: seed.paid_at,
                created_at,
                updated_at: seed.updated_at.unwrap_or(created_at),
            },
        );
    }
    unnumbered.sort_by_key(|id| account.credit_notes.get(id).map(|c| (c.date, c.created_at)));
    // As for invoices: the highest number per (department, year), without a scan per note.
    // Unnumbered notes hold sequence 0 until numbered, which never raises a maximum.
    let mut last: HashMap<(String, i32), u32> = HashMap::new();
    for note in account.credit_notes.values() {
        let top = last
            .entry((note.department_id.clone(), note.number.0))
            .or_default();
        *top = (*top).max(note.number.1);
    }
    for id in unnumbered {
        let Some(note) = account.credit_notes.get_mut(&id) else {
            continue;
        };
        let year = note.date.year();
        let top = last.entry((note.department_id.clone(), year)).or_default();
        *top += 1;
        note.number = (year, *top);
    }
    Ok(())
}

// ---- the generator ----

/// What to generate; every field has a default, so `{}` is a small demo account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GenerateSpec {
    /// Seed of the random generator: the same seed gives the same account (ids included).
    pub seed: u64,
    /// Account id (default derived from the seed).
    pub account_id: Option<String>,
    /// Account name.
    pub name: Option<String>,
    /// Departments (1–3 sensible).
    pub departments: usize,
    /// Companies (customers).
    pub companies: usize,
    /// Contacts (private customers).
    pub contacts: usize,
    /// Booked invoices.
    pub invoices: usize,
    /// Draft invoices (never exported).
    pub drafts: usize,
    /// Credit notes (each crediting a booked invoice).
    pub credit_notes: usize,
    /// Share of booked invoices that are fully paid, in percent.
    pub paid_percent: u8,
    /// Invoice dates spread over this many days before today.
    pub days: u32,
}

impl GenerateSpec {
    /// An account of one department with `companies` companies and nothing else (no contacts,
    /// no documents): what the company-import and merge-file scenarios start from.
    pub fn companies_only(seed: u64, companies: usize) -> Self {
        Self {
            seed,
            departments: 1,
            companies,
            contacts: 0,
            invoices: 0,
            drafts: 0,
            credit_notes: 0,
            ..Self::default()
        }
    }
}

impl Default for GenerateSpec {
    fn default() -> Self {
        Self {
            seed: 42,
            account_id: None,
            name: None,
            departments: 1,
            companies: 20,
            contacts: 5,
            invoices: 50,
            drafts: 2,
            credit_notes: 5,
            paid_percent: 60,
            days: 180,
        }
    }
}

const PREFIXES: [&str; 12] = [
    "Bakkerij",
    "Brouwerij",
    "Garage",
    "Drukkerij",
    "Atelier",
    "Studio",
    "Schrijnwerkerij",
    "Boulangerie",
    "Imprimerie",
    "Menuiserie",
    "Brasserie",
    "Café",
];
const SURNAMES: [&str; 16] = [
    "Peeters",
    "Janssens",
    "Maes",
    "Jacobs",
    "Willems",
    "Claes",
    "Goossens",
    "Wouters",
    "De Smet",
    "Dubois",
    "Lambert",
    "Dupont",
    "Lefèvre",
    "Van den Broeck",
    "Çelik",
    "Ó Briain",
];
const FORMS: [&str; 4] = ["BV", "SRL", "NV", "VOF"];
const FIRST_NAMES: [&str; 8] = [
    "Anna", "Lucas", "Émile", "Noor", "Louis", "Chloë", "Arthur", "Zoë",
];
const CITIES: [(&str, &str); 6] = [
    ("9000", "Gent"),
    ("2000", "Antwerpen"),
    ("1000", "Brussel"),
    ("4000", "Liège"),
    ("3000", "Leuven"),
    ("8000", "Brugge"),
];
const PRODUCTS: [(&str, &str, i64); 8] = [
    ("Consultancy (uur)", "services", 9500),
    ("Installatie", "services", 45000),
    ("Onderhoudscontract", "services", 120000),
    ("Hosting (maand)", "services", 2999),
    ("Drukwerk A4 (doos)", "goods", 1850),
    ("Ontwerp logo", "services", 65000),
    ("Verzending", "shipping", 895),
    ("Boeken", "goods", 2450),
];

fn uuid_from(rng: &mut StdRng) -> String {
    uuid::Builder::from_random_bytes(rng.random())
        .into_uuid()
        .to_string()
}

/// A valid Belgian VAT number: BE0 + 7 digits + mod-97 check.
fn belgian_vat(rng: &mut StdRng) -> String {
    let base: u64 = rng.random_range(2_000_000..9_999_999);
    let check = 97 - (base % 97);
    format!("BE0{base:07}{check:02}")
}

/// A Dutch VAT number passing the 11-test: NL + 9 digits + B01.
fn dutch_vat(rng: &mut StdRng) -> String {
    loop {
        let digits: Vec<u32> = (0..8).map(|_| rng.random_range(0..10)).collect();
        let sum: u32 = digits.iter().zip((2..=9).rev()).map(|(d, w)| d * w).sum();
        let last = sum % 11;
        if last < 10 && digits[0] != 0 {
            let text: String = digits
                .iter()
                .map(|d| char::from_digit(*d, 10).unwrap_or('0'))
                .collect();
            return format!("NL{text}{last}B01");
        }
    }
}

/// A realistic account: departments with Belgian tax rates, product categories with ledger
/// accounts, companies (mostly Belgian, some Dutch, with valid VAT numbers and non-ASCII
/// names), contacts, booked invoices spread over `days` (a share paid), drafts and credit notes.
pub fn generate(spec: &GenerateSpec, now: DateTime<Utc>) -> SeedAccount {
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let today = now.date_naive();
    let account_id = spec
        .account_id
        .clone()
        .unwrap_or_else(|| uuid_from(&mut rng));
    let mut seed = SeedAccount {
        id: Some(account_id),
        name: spec
            .name
            .clone()
            .unwrap_or_else(|| format!("Demo account {}", spec.seed)),
        users: vec![SeedUser {
            id: Some(uuid_from(&mut rng)),
            first_name: "Ada".to_owned(),
            last_name: "Admin".to_owned(),
            email: "ada@example.be".to_owned(),
            language: Some("nl".to_owned()),
        }],
        ..SeedAccount::default()
    };
    let mut department_rates = Vec::new();
    for index in 0..spec.departments.max(1) {
        let id = uuid_from(&mut rng);
        let rates: Vec<(String, Decimal)> = [21, 12, 6, 0]
            .iter()
            .map(|percent| (uuid_from(&mut rng), Decimal::new(*percent, 2)))
            .collect();
        seed.departments.push(SeedDepartment {
            id: Some(id.clone()),
            name: if index == 0 {
                "Hoofdzetel".to_owned()
            } else {
                format!("Vestiging {}", index + 1)
            },
            vat_number: belgian_vat(&mut rng),
            currency: Some("EUR".to_owned()),
            email: Some(format!("facturen{}@example.be", index + 1)),
            // Taken from the index, not the random generator, so that every other generated
            // value stays what it was before departments had addresses.
            address: Some(SeedAddress {
                line_1: Some(format!("Stationsstraat {}", index + 1)),
                postal_code: Some(CITIES[index % CITIES.len()].0.to_owned()),
                city: Some(CITIES[index % CITIES.len()].1.to_owned()),
                country: Some("BE".to_owned()),
            }),
            tax_rates: rates
                .iter()
                .map(|(id, rate)| SeedTaxRate {
                    id: Some(id.clone()),
                    rate: *rate,
                    description: None,
                })
                .collect(),
        });
        department_rates.push((id, rates));
    }
    let categories: Vec<(String, &str)> = [
        ("services", "700000"),
        ("goods", "700100"),
        ("shipping", "705000"),
    ]
    .iter()
    .map(|(name, _)| (uuid_from(&mut rng), *name))
    .collect();
    for ((id, name), (_, ledger)) in categories.iter().zip([
        ("services", "700000"),
        ("goods", "700100"),
        ("shipping", "705000"),
    ]) {
        seed.product_categories.push(SeedProductCategory {
            id: Some(id.clone()),
            name: (*name).to_owned(),
            ledgers: department_rates
                .iter()
                .map(|(department, _)| SeedLedger {
                    department_id: department.clone(),
                    ledger_account_number: ledger.to_owned(),
                })
                .collect(),
        });
    }
    let mut customers = Vec::new();
    for index in 0..spec.companies {
        let id = uuid_from(&mut rng);
        let dutch = rng.random_range(0..5) == 0;
        let (postal, city) = CITIES[rng.random_range(0..CITIES.len())];
        let name = format!(
            "{} {} {}",
            PREFIXES[rng.random_range(0..PREFIXES.len())],
            SURNAMES[rng.random_range(0..SURNAMES.len())],
            FORMS[rng.random_range(0..FORMS.len())]
        );
        let with_vat = rng.random_range(0..10) > 0;
        seed.companies.push(SeedCompany {
            id: Some(id.clone()),
            name: format!("{name} #{}", index + 1),
            vat_number: with_vat.then(|| {
                if dutch {
                    dutch_vat(&mut rng)
                } else {
                    belgian_vat(&mut rng)
                }
            }),
            email: Some(format!("info{}@example.be", index + 1)),
            address: Some(SeedAddress {
                line_1: Some(format!("Kerkstraat {}", rng.random_range(1..200))),
                postal_code: Some(if dutch {
                    "1012 AB".to_owned()
                } else {
                    postal.to_owned()
                }),
                city: Some(if dutch {
                    "Amsterdam".to_owned()
                } else {
                    city.to_owned()
                }),
                country: Some(if dutch { "NL" } else { "BE" }.to_owned()),
            }),
            language: Some(if dutch { "nl" } else { "nl-BE" }.to_owned()),
            added_at: Some(now - chrono::Duration::days(i64::from(spec.days) + 30)),
            ..SeedCompany::default()
        });
        customers.push(SeedCustomer {
            kind: "company".to_owned(),
            id,
        });
    }
    for index in 0..spec.contacts {
        let id = uuid_from(&mut rng);
        seed.contacts.push(SeedContact {
            id: Some(id.clone()),
            first_name: FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())].to_owned(),
            last_name: SURNAMES[rng.random_range(0..SURNAMES.len())].to_owned(),
            email: Some(format!("persoon{}@example.be", index + 1)),
            added_at: Some(now - chrono::Duration::days(i64::from(spec.days) + 30)),
            ..SeedContact::default()
        });
        customers.push(SeedCustomer {
            kind: "contact".to_owned(),
            id,
        });
    }
    if customers.is_empty() {
        return seed;
    }
    let lines_for = |rng: &mut StdRng, rates: &[(String, Decimal)]| -> Vec<SeedLine> {
        (0..rng.random_range(1..=4))
            .map(|_| {
                let (description, category, cents) = PRODUCTS[rng.random_range(0..PRODUCTS.len())];
                let rate = &rates[match rng.random_range(0..10) {
                    0 => 2,
                    1 => 1,
                    _ => 0,
                }];
                SeedLine {
                    description: description.to_owned(),
                    quantity: Some(Decimal::from(rng.random_range(1..6))),
                    unit_price: Decimal::new(cents, 2),
                    tax_rate_id: rate.0.clone(),
                    discount_percent: (rng.random_range(0..8) == 0).then(|| Decimal::from(10)),
                    product_category_id: categories
                        .iter()
                        .find(|(_, name)| *name == category)
                        .map(|(id, _)| id.clone()),
                }
            })
            .collect()
    };
    let mut dates: Vec<NaiveDate> = (0..spec.invoices)
        .map(|_| {
            today
                .checked_sub_days(Days::new(u64::from(rng.random_range(0..=spec.days))))
                .unwrap_or(today)
        })
        .collect();
    dates.sort();
    let mut booked = Vec::new();
    for date in dates {
        let id = uuid_from(&mut rng);
        let (department, rates) = &department_rates[rng.random_range(0..department_rates.len())];
        let customer = customers[rng.random_range(0..customers.len())].clone();
        let lines = lines_for(&mut rng, rates);
        let age = (today - date).num_days();
        let paid = age > 5 && rng.random_range(0..100) < u32::from(spec.paid_percent);
        let rates_map: std::collections::HashMap<&str, Decimal> = rates
            .iter()
            .map(|(id, rate)| (id.as_str(), *rate))
            .collect();
        let sections = [Section {
            title: String::new(),
            lines: lines
                .iter()
                .map(|l| Line {
                    description: l.description.clone(),
                    extended_description: None,
                    quantity: l.quantity.unwrap_or(Decimal::ONE),
                    unit_price: l.unit_price,
                    tax_rate_id: l.tax_rate_id.clone(),
                    discount_percent: l.discount_percent,
                    product_category_id: l.product_category_id.clone(),
                })
                .collect(),
        }];
        let total = super::model::totals(&sections, &rates_map).inclusive;
        let payments = if paid {
            let days_later = rng.random_range(1..=age.clamp(1, 45));
            let paid_at = (at_nine(date) + chrono::Duration::days(days_later)).min(now);
            vec![SeedPayment {
                amount: total,
                paid_at,
            }]
        } else {
            Vec::new()
        };
        let index = seed.invoices.len();
        seed.invoices.push(SeedInvoice {
            id: Some(id.clone()),
            department_id: department.clone(),
            customer,
            invoice_date: Some(date),
            lines,
            payments,
            purchase_order_number: (rng.random_range(0..4) == 0)
                .then(|| format!("PO-{}", rng.random_range(1000..9999))),
            sent: true,
            ..SeedInvoice::default()
        });
        booked.push((id, index, date));
    }
    for _ in 0..spec.drafts {
        let (department, rates) = &department_rates[rng.random_range(0..department_rates.len())];
        let customer = customers[rng.random_range(0..customers.len())].clone();
        let lines = lines_for(&mut rng, rates);
        seed.invoices.push(SeedInvoice {
            id: Some(uuid_from(&mut rng)),
            department_id: department.clone(),
            customer,
            status: SeedInvoiceStatus::Draft,
            lines,
            ..SeedInvoice::default()
        });
    }
    for _ in 0..spec.credit_notes.min(booked.len()) {
        let (invoice_id, index, date) = booked[rng.random_range(0..booked.len())].clone();
        let Some(invoice) = seed.invoices.get(index) else {
            continue;
        };
        let line = invoice.lines[0].clone();
        let credit_date = (date + chrono::Duration::days(rng.random_range(1..20))).min(today);
        seed.credit_notes.push(SeedCreditNote {
            id: Some(uuid_from(&mut rng)),
            invoice_id: Some(invoice_id),
            credit_note_date: Some(credit_date),
            lines: vec![line],
            ..SeedCreditNote::default()
        });
    }
    seed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_deterministic_and_builds_a_valid_account() {
        let now = Utc::now();
        let spec = GenerateSpec {
            invoices: 40,
            credit_notes: 4,
            ..GenerateSpec::default()
        };
        let a = generate(&spec, now);
        let b = generate(&spec, now);
        assert_eq!(a, b);
        let account = build(a, now).unwrap();
        assert_eq!(account.invoices.len(), 42);
        assert_eq!(account.credit_notes.len(), 4);
        let numbered = account
            .invoices
            .values()
            .filter(|i| i.number.is_some())
            .count();
        assert_eq!(numbered, 40);
        let rates = account.rates();
        assert!(
            account
                .invoices
                .values()
                .any(|i| i.status(&rates) == super::super::model::InvoiceStatus::Matched)
        );
        for company in account.companies.values() {
            if let Some(vat) = company
                .vat_number
                .as_deref()
                .filter(|v| v.starts_with("BE"))
            {
                let digits: u64 = vat[2..].parse().unwrap();
                assert_eq!(97 - (digits / 100) % 97, digits % 100, "{vat}");
            }
        }
    }

    #[test]
    fn generated_numbers_run_from_one_without_gaps_per_department_and_year() {
        let now = Utc::now();
        let spec = GenerateSpec {
            departments: 2,
            invoices: 600,
            credit_notes: 60,
            days: 500,
            ..GenerateSpec::default()
        };
        let account = build(generate(&spec, now), now).unwrap();
        let mut series: BTreeMap<(String, i32, &str), Vec<u32>> = BTreeMap::new();
        for invoice in account.invoices.values() {
            if let Some((year, n)) = invoice.number {
                series
                    .entry((invoice.department_id.clone(), year, "invoice"))
                    .or_default()
                    .push(n);
            }
        }
        for note in account.credit_notes.values() {
            series
                .entry((note.department_id.clone(), note.number.0, "credit note"))
                .or_default()
                .push(note.number.1);
        }
        assert!(series.len() >= 4, "two departments over two years");
        for (key, mut numbers) in series {
            numbers.sort_unstable();
            let expected: Vec<u32> = (1..=numbers.len() as u32).collect();
            assert_eq!(numbers, expected, "{key:?}");
        }
    }

    #[test]
    fn seeds_with_dangling_references_are_refused() {
        let seed = SeedAccount {
            invoices: vec![SeedInvoice {
                department_id: "nope".into(),
                ..SeedInvoice::default()
            }],
            ..SeedAccount::default()
        };
        let error = build(seed, Utc::now()).unwrap_err();
        assert!(error.0.contains("department nope"), "{error}");
    }
}
