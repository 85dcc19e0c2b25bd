//! Pure conversions from Teamleader's wire types to Koppel's core types. No I/O here, so
//! every rule (drafts, rates as fractions, discounts, direct debit, external id) is testable
//! on plain values.

use crate::SYSTEM;
use crate::common::{Amount, CustomFieldValue, Email, TypeAndId, TypedAddress, WireAddress};
use crate::companies::Company;
use crate::contacts::Contact;
use crate::credit_notes::{CreditNote, CreditNoteListItem, CreditNoteStatus};
use crate::departments::WireDepartment;
use crate::documents::{DocumentCustomer, GroupedLines, LineItem, Totals};
use crate::invoices::{ExpectedPaymentMethod, Invoice, InvoiceListItem, InvoiceStatus};
use crate::product_categories::WireProductCategory;
use crate::tax_rates::WireTaxRate;
use koppel_core::vat::{EnterpriseNumber, VatNumber, parse_enterprise_number, parse_vat};
use koppel_core::{
    Address, Currency, Customer, CustomerKind, CustomerRef, Department, DepartmentId, DocumentId,
    DocumentKind, DocumentLine, DocumentSummary, ExternalError, LineDiscount, Money, Payment,
    PaymentMethod, ProductCategory, ProductCategoryId, SalesDocument, SourceStatus, TaxRate,
    TaxRateId, TaxTotal,
};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// Teamleader's rate fraction (0.21) as the percentage Koppel uses (21). A fraction too large
/// to multiply (no real rate is) saturates at the largest decimal, which maps to no VAT code.
pub fn fraction_to_percentage(rate: Decimal) -> Decimal {
    rate.checked_mul(Decimal::ONE_HUNDRED)
        .unwrap_or(if rate.is_sign_negative() {
            Decimal::MIN
        } else {
            Decimal::MAX
        })
        .normalize()
}

/// The status of an invoice in core terms; `None` for statuses Koppel does not know.
pub fn invoice_status(status: InvoiceStatus) -> Option<SourceStatus> {
    match status {
        InvoiceStatus::Draft => Some(SourceStatus::Draft),
        InvoiceStatus::Outstanding => Some(SourceStatus::Outstanding),
        InvoiceStatus::Matched => Some(SourceStatus::Matched),
        InvoiceStatus::Unknown => None,
    }
}

/// The status of a credit note in core terms; `None` for statuses Koppel does not know.
pub fn credit_note_status(status: CreditNoteStatus) -> Option<SourceStatus> {
    match status {
        CreditNoteStatus::Booked => Some(SourceStatus::Booked),
        CreditNoteStatus::Draft => Some(SourceStatus::Draft),
        CreditNoteStatus::Unknown => None,
    }
}

/// Direct debit (SEPA or other) is the one method that changes how a ledger collects.
pub fn payment_method(expected: &ExpectedPaymentMethod) -> PaymentMethod {
    match expected.method.as_str() {
        "sepa_direct_debit" | "direct_debit" => PaymentMethod::DirectDebit,
        other => PaymentMethod::Other(other.to_owned()),
    }
}

/// A customer reference from `{type, id}`; `None` for types that are not customers.
pub fn customer_ref(reference: &TypeAndId) -> Option<CustomerRef> {
    match reference.kind.as_str() {
        "company" => Some(CustomerRef::company(&reference.id)),
        "contact" => Some(CustomerRef::contact(&reference.id)),
        _ => None,
    }
}

/// The customer a document bills, or `Malformed` naming `field` of `endpoint`: every booked
/// document has a company or contact as invoicee.
fn billed_customer(
    invoicee: Option<&DocumentCustomer>,
    endpoint: &str,
    field: &str,
) -> Result<CustomerRef, ExternalError> {
    invoicee
        .and_then(|invoicee| customer_ref(&invoicee.customer))
        .ok_or_else(|| {
            malformed(
                endpoint,
                format!("{field}: missing or not a company/contact"),
            )
        })
}

/// The document's currency; Teamleader omits it for the account's default, the euro.
fn currency_or_eur(currency: Option<&String>) -> String {
    currency.cloned().unwrap_or_else(|| "EUR".to_owned())
}

fn money(amount: &Amount, fallback_currency: &str) -> Money {
    let currency = amount
        .currency
        .clone()
        .unwrap_or_else(|| fallback_currency.to_owned());
    Money::new(amount.amount, Currency(currency))
}

fn malformed(endpoint: &str, detail: impl Into<String>) -> ExternalError {
    ExternalError::Malformed {
        system: SYSTEM,
        endpoint: endpoint.to_owned(),
        detail: detail.into(),
    }
}

fn taxes(totals: &Totals) -> Vec<TaxTotal> {
    totals
        .taxes
        .iter()
        .map(|tax| TaxTotal {
            rate: fraction_to_percentage(tax.rate),
            taxable: tax.taxable.amount,
            tax: tax.tax.amount,
        })
        .collect()
}

/// VAT percentages by tax-rate id, from a taxRates.list answer.
pub fn vat_percentages(rates: &[WireTaxRate]) -> HashMap<String, Decimal> {
    rates
        .iter()
        .map(|rate| (rate.id.clone(), fraction_to_percentage(rate.rate)))
        .collect()
}

fn line(item: &LineItem, percentages: &HashMap<String, Decimal>) -> DocumentLine {
    let tax_rate_id = item.tax.as_ref().map(|tax| tax.id.clone());
    DocumentLine {
        description: item.description.clone().unwrap_or_default(),
        quantity: item.quantity,
        unit_price: item.unit_price.amount,
        discount: item
            .discount
            .as_ref()
            .filter(|discount| !discount.value.is_zero())
            .map(|discount| LineDiscount {
                percentage: discount.value,
            }),
        total_excl: item.total.tax_exclusive.amount,
        vat_percentage: tax_rate_id
            .as_ref()
            .and_then(|id| percentages.get(id).copied()),
        tax_rate_id: tax_rate_id.map(TaxRateId),
        product_category_id: item
            .product_category
            .as_ref()
            .map(|category| ProductCategoryId::new(&category.id)),
    }
}

fn lines(groups: &[GroupedLines], percentages: &HashMap<String, Decimal>) -> Vec<DocumentLine> {
    groups
        .iter()
        .flat_map(|group| group.line_items.iter())
        .map(|item| line(item, percentages))
        .collect()
}

/// An invoices.list item (at `index` of the page) as a summary: `Ok(None)` for drafts and
/// unknown statuses (never exported), `Malformed` for a booked invoice without a customer.
pub fn invoice_summary(
    index: usize,
    item: &InvoiceListItem,
) -> Result<Option<DocumentSummary>, ExternalError> {
    let Some(status) = invoice_status(item.status).filter(|status| status.is_booked()) else {
        return Ok(None);
    };
    let customer = billed_customer(
        item.invoicee.as_ref(),
        "invoices.list",
        &format!("data[{index}].invoicee.customer"),
    )?;
    let currency = currency_or_eur(item.total.tax_inclusive.currency.as_ref());
    Ok(Some(DocumentSummary {
        id: DocumentId::new(&item.id),
        kind: DocumentKind::Invoice,
        number: item.invoice_number.clone(),
        status,
        department_id: DepartmentId::new(&item.department.id),
        customer,
        // A booked invoice always has a date; should one lack it, it is listed (to be read in
        // full and refused there with a clear reason) rather than silently skipped.
        date: item
            .invoice_date
            .unwrap_or_else(|| item.updated_at.date_naive()),
        total_incl: money(&item.total.tax_inclusive, &currency),
        paid: item.paid,
        amount_due: item.total.due.as_ref().map(|due| due.amount),
        updated_at: item.updated_at,
    }))
}

/// A creditNotes.list item (at `index` of the page) as a summary: `Ok(None)` for drafts and
/// unknown statuses, `Malformed` for a booked credit note without a customer.
pub fn credit_note_summary(
    index: usize,
    item: &CreditNoteListItem,
) -> Result<Option<DocumentSummary>, ExternalError> {
    let Some(status) = credit_note_status(item.status).filter(|status| status.is_booked()) else {
        return Ok(None);
    };
    let customer = billed_customer(
        item.invoicee.as_ref(),
        "creditNotes.list",
        &format!("data[{index}].invoicee.customer"),
    )?;
    let currency = currency_or_eur(item.total.tax_inclusive.currency.as_ref());
    Ok(Some(DocumentSummary {
        id: DocumentId::new(&item.id),
        kind: DocumentKind::CreditNote,
        number: item.credit_note_number.clone(),
        status,
        department_id: DepartmentId::new(&item.department.id),
        customer,
        date: item
            .credit_note_date
            .unwrap_or_else(|| item.updated_at.date_naive()),
        total_incl: money(&item.total.tax_inclusive, &currency),
        paid: item.paid,
        amount_due: None,
        updated_at: item.updated_at,
    }))
}

/// An invoices.info answer as a sales document; VAT percentages come from `percentages`
/// (tax-rate id → percentage). Fails with `Malformed` naming the field when a booked invoice
/// lacks what every booked invoice has (date, customer).
pub fn invoice_document(
    invoice: &Invoice,
    percentages: &HashMap<String, Decimal>,
) -> Result<SalesDocument, ExternalError> {
    const ENDPOINT: &str = "invoices.info";
    let status = invoice_status(invoice.status)
        .ok_or_else(|| malformed(ENDPOINT, "data.status: a status Koppel does not know"))?;
    let date = invoice
        .invoice_date
        .ok_or_else(|| malformed(ENDPOINT, "data.invoice_date: missing"))?;
    let customer = billed_customer(
        invoice.invoicee.as_ref(),
        ENDPOINT,
        "data.invoicee.customer",
    )?;
    let currency = currency_or_eur(invoice.currency.as_ref());
    let payment_term_days =
        invoice
            .payment_term
            .as_ref()
            .and_then(|term| match term.kind.as_str() {
                "cash" => Some(term.days.unwrap_or(0)),
                _ => term.days,
            });
    Ok(SalesDocument {
        id: DocumentId::new(&invoice.id),
        kind: DocumentKind::Invoice,
        number: invoice.invoice_number.clone(),
        department_id: DepartmentId::new(&invoice.department.id),
        status,
        customer,
        date,
        due_on: invoice.due_on,
        lines: lines(&invoice.grouped_lines, percentages),
        total_excl: money(&invoice.total.tax_exclusive, &currency),
        total_incl: money(&invoice.total.tax_inclusive, &currency),
        taxes: taxes(&invoice.total),
        payment_reference: invoice
            .payment_reference
            .clone()
            .filter(|reference| !reference.trim().is_empty()),
        expected_payment_method: invoice.expected_payment_method.as_ref().map(payment_method),
        payment_term_days,
        credited_invoice_id: None,
        paid: invoice.paid,
        payments: invoice
            .payments
            .iter()
            .map(|p| Payment {
                amount: money(&p.payment, &currency),
                paid_at: p.paid_at,
            })
            .collect(),
        updated_at: invoice.updated_at,
    })
}

/// A creditNotes.info answer as a sales document.
pub fn credit_note_document(
    note: &CreditNote,
    percentages: &HashMap<String, Decimal>,
) -> Result<SalesDocument, ExternalError> {
    const ENDPOINT: &str = "creditNotes.info";
    let status = credit_note_status(note.status)
        .ok_or_else(|| malformed(ENDPOINT, "data.status: a status Koppel does not know"))?;
    let date = note
        .credit_note_date
        .ok_or_else(|| malformed(ENDPOINT, "data.credit_note_date: missing"))?;
    let customer = billed_customer(note.invoicee.as_ref(), ENDPOINT, "data.invoicee.customer")?;
    let currency = currency_or_eur(note.currency.as_ref());
    Ok(SalesDocument {
        id: DocumentId::new(&note.id),
        kind: DocumentKind::CreditNote,
        number: note.credit_note_number.clone(),
        department_id: DepartmentId::new(&note.department.id),
        status,
        customer,
        date,
        due_on: None,
        lines: lines(&note.grouped_lines, percentages),
        total_excl: money(&note.total.tax_exclusive, &currency),
        total_incl: money(&note.total.tax_inclusive, &currency),
        taxes: taxes(&note.total),
        payment_reference: None,
        expected_payment_method: None,
        payment_term_days: None,
        credited_invoice_id: note
            .invoice
            .as_ref()
            .map(|invoice| DocumentId::new(&invoice.id)),
        paid: note.paid,
        payments: Vec::new(),
        updated_at: note.updated_at,
    })
}

/// A VAT number as Koppel keeps it: normalised when it parses ("be 0899.623.035" →
/// "BE0899623035"), else the raw text as typed (the ledger or the user decides); `None` when
/// empty.
pub fn vat_number(raw: Option<&str>) -> Option<VatNumber> {
    let raw = raw?.trim();
    if raw.is_empty() {
        return None;
    }
    Some(parse_vat(raw).unwrap_or_else(|_| VatNumber(raw.to_owned())))
}

/// The Belgian enterprise number (10 digits, checked): from the national identification
/// number when it is one, else from a Belgian VAT number.
pub fn enterprise_number(national: Option<&str>, vat: Option<&VatNumber>) -> Option<String> {
    national
        .map(str::trim)
        .filter(|national| !national.is_empty())
        .and_then(|national| parse_enterprise_number(national).ok())
        .or_else(|| vat.and_then(EnterpriseNumber::from_vat))
        .map(|number| number.as_str().to_owned())
}

fn address(wire: &WireAddress) -> Option<Address> {
    let clean = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let address = Address {
        line_1: clean(&wire.line_1),
        postal_code: clean(&wire.postal_code),
        city: clean(&wire.city),
        country: clean(&wire.country).map(|country| country.to_ascii_uppercase()),
    };
    (address != Address::default()).then_some(address)
}

/// Addresses with the invoicing one first, then primary, then the others.
fn addresses(typed: &[TypedAddress], primary: Option<&WireAddress>) -> Vec<Address> {
    let rank = |kind: &str| match kind {
        "invoicing" => 0,
        "primary" => 1,
        _ => 2,
    };
    let mut sorted: Vec<&TypedAddress> = typed.iter().collect();
    sorted.sort_by_key(|typed| rank(&typed.kind));
    let mut out: Vec<Address> = sorted
        .into_iter()
        .filter_map(|typed| address(&typed.address))
        .collect();
    if let Some(primary) = primary.and_then(address)
        && !out.contains(&primary)
    {
        out.push(primary);
    }
    out
}

/// E-mail addresses with the primary one first, without duplicates.
fn emails(emails: &[Email]) -> Vec<String> {
    let mut sorted: Vec<&Email> = emails.iter().collect();
    sorted.sort_by_key(|email| if email.kind == "primary" { 0 } else { 1 });
    let mut out: Vec<String> = Vec::new();
    for email in sorted {
        let address = email.email.trim();
        if !address.is_empty() && !out.iter().any(|known| known.eq_ignore_ascii_case(address)) {
            out.push(address.to_owned());
        }
    }
    out
}

/// The value of the external-id custom field, when the field exists and is filled in.
pub fn external_id(values: &[CustomFieldValue], field_id: Option<&str>) -> Option<String> {
    let field_id = field_id?;
    values
        .iter()
        .find(|value| value.definition.id == field_id)
        .and_then(CustomFieldValue::as_text)
}

fn language(raw: Option<&str>) -> Option<String> {
    let raw = raw?.trim();
    let base = raw
        .split(['-', '_'])
        .next()
        .unwrap_or(raw)
        .to_ascii_lowercase();
    (!base.is_empty()).then_some(base)
}

/// A company as a customer; `external_id_field` is the id of the external-id custom field.
pub fn company_customer(company: &Company, external_id_field: Option<&str>) -> Customer {
    let vat = vat_number(company.vat_number.as_deref());
    Customer {
        reference: CustomerRef {
            kind: CustomerKind::Company,
            id: company.id.clone(),
        },
        name: company.name.trim().to_owned(),
        enterprise_number: enterprise_number(
            company.national_identification_number.as_deref(),
            vat.as_ref(),
        ),
        vat_number: vat,
        addresses: addresses(&company.addresses, company.primary_address.as_ref()),
        emails: emails(&company.emails),
        external_id: external_id(&company.custom_fields, external_id_field),
        language: language(company.language.as_deref()),
    }
}

/// A contact (person) as a customer, named "First Last".
pub fn contact_customer(contact: &Contact, external_id_field: Option<&str>) -> Customer {
    Customer {
        reference: CustomerRef {
            kind: CustomerKind::Contact,
            id: contact.id.clone(),
        },
        name: contact.full_name(),
        vat_number: vat_number(contact.vat_number.as_deref()),
        enterprise_number: None,
        addresses: addresses(&contact.addresses, contact.primary_address.as_ref()),
        emails: emails(&contact.emails),
        external_id: external_id(&contact.custom_fields, external_id_field),
        language: language(contact.language.as_deref()),
    }
}

/// A department in core terms.
pub fn department(wire: &WireDepartment) -> Department {
    Department {
        id: DepartmentId::new(&wire.id),
        name: wire.name.clone(),
        vat_number: wire.vat_number.clone().filter(|vat| !vat.trim().is_empty()),
        currency: wire.currency.clone(),
        status: wire.status.clone(),
        address: wire.address.as_ref().and_then(address),
    }
}

/// A tax rate in core terms (rate as a percentage).
pub fn tax_rate(wire: &WireTaxRate) -> TaxRate {
    let percentage = fraction_to_percentage(wire.rate);
    TaxRate {
        id: TaxRateId::new(&wire.id),
        department_id: DepartmentId::new(&wire.department.id),
        rate: percentage,
        description: wire
            .description
            .clone()
            .unwrap_or_else(|| format!("{percentage}%")),
    }
}

/// A product category in core terms.
pub fn product_category(wire: &WireProductCategory) -> ProductCategory {
    ProductCategory {
        id: ProductCategoryId::new(&wire.id),
        name: wire.name.clone(),
        ledger_accounts: wire
            .ledgers
            .iter()
            .map(|ledger| {
                (
                    DepartmentId::new(&ledger.department.id),
                    ledger.ledger_account_number.clone(),
                )
            })
            .collect(),
    }
}
