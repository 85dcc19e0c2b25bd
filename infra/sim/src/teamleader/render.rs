//! Entities as Teamleader's JSON, shaped after the OpenAPI spec (v1.112.0).
//!
//! Rule for absent values: a property the spec marks `nullable` is sent as `null`; one it does
//! not (a company's `vat_number`, `website`, …) is left out instead of sending a `null` the
//! spec forbids. Clients should treat both as "no value".

use super::model::{
    Account, Address, Company, Contact, CreditNote, CustomFieldDefinition, Deal, Department,
    Invoice, Line, ProductCategory, Section, TaxRate, Totals, User, booking_number,
};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};

/// A decimal as a JSON number (integers without a fraction).
pub fn num(amount: Decimal) -> Value {
    if amount.fract().is_zero()
        && let Some(whole) = amount.to_i64()
    {
        return Value::from(whole);
    }
    amount
        .to_f64()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// `{amount, currency}`.
pub fn money(amount: Decimal, currency: &str) -> Value {
    json!({"amount": num(amount), "currency": currency})
}

/// An instant the way Teamleader writes it: `2016-02-04T16:44:33+00:00`.
pub fn instant(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// A day: `2016-02-04`.
pub fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// `{type, id}`.
pub fn type_and_id(kind: &str, id: &str) -> Value {
    json!({"type": kind, "id": id})
}

fn opt_str(value: &Option<String>) -> Value {
    value.as_deref().map_or(Value::Null, Value::from)
}

fn insert_some(object: &mut Map<String, Value>, key: &str, value: &Option<String>) {
    if let Some(value) = value {
        object.insert(key.to_owned(), Value::from(value.as_str()));
    }
}

/// `users.me` data.
pub fn user_me(account: &Account, user: &User) -> Value {
    json!({
        "id": user.id,
        "account": type_and_id("account", &account.id),
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "email_verification_status": "confirmed",
        "telephones": [],
        "language": user.language,
        "function": "",
        "time_zone": "Europe/Brussels",
        "preferences": {
            "invoiceable": true,
            "historic_time_tracking_limit": null,
            "whitelabeling": false,
        },
    })
}

/// A `departments.list` item.
pub fn department(department: &Department) -> Value {
    let emails: Vec<Value> = department
        .email
        .iter()
        .map(|email| json!({"type": "primary", "email": email}))
        .collect();
    json!({
        "id": department.id,
        "name": department.name,
        "vat_number": department.vat_number,
        "currency": department.currency,
        "emails": emails,
        "status": "active",
    })
}

/// `departments.info` data: the list item plus what only the detail gives (the address).
pub fn department_info(department: &Department) -> Value {
    let mut data = self::department(department);
    if let Some(object) = data.as_object_mut() {
        object.insert("telephones".into(), json!([]));
        if let Some(address) = &department.address {
            object.insert(
                "address".into(),
                json!({
                    "line_1": address.line_1,
                    "postal_code": address.postal_code,
                    "city": address.city,
                    "country": address.country,
                    "area_level_two": null,
                }),
            );
        }
    }
    data
}

/// A `taxRates.list` item.
pub fn tax_rate(rate: &TaxRate) -> Value {
    json!({
        "id": rate.id,
        "description": rate.description,
        "rate": num(rate.rate),
        "department": type_and_id("department", &rate.department_id),
    })
}

/// A `productCategories.list` item; with a department, only that department's ledger.
pub fn product_category(category: &ProductCategory, department_id: Option<&str>) -> Value {
    let ledgers: Vec<Value> = category
        .ledgers
        .iter()
        .filter(|(department, _)| department_id.is_none_or(|only| only == department))
        .map(|(department, number)| {
            json!({
                "department": type_and_id("department", department),
                "ledger_account_number": number,
            })
        })
        .collect();
    json!({"id": category.id, "name": category.name, "ledgers": ledgers})
}

/// A `customFieldDefinitions.list` item.
pub fn custom_field_definition(definition: &CustomFieldDefinition) -> Value {
    json!({
        "id": definition.id,
        "context": definition.context,
        "type": definition.kind,
        "label": definition.label,
        "group": "",
        "required": definition.required,
    })
}

fn custom_fields(values: &BTreeMap<String, Value>) -> Value {
    Value::Array(
        values
            .iter()
            .filter(|(_, value)| !value.is_null())
            .map(|(id, value)| {
                json!({
                    "definition": type_and_id("customFieldDefinition", id),
                    "value": value,
                })
            })
            .collect(),
    )
}

fn taxes(totals: &Totals, currency: &str) -> Value {
    Value::Array(
        totals
            .taxes
            .iter()
            .map(|tax| {
                json!({
                    "rate": num(tax.rate),
                    "taxable": money(tax.taxable, currency),
                    "tax": money(tax.tax, currency),
                })
            })
            .collect(),
    )
}

fn invoicee(
    name: &str,
    vat_number: &Option<String>,
    customer: &super::model::CustomerRef,
) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("name".into(), Value::from(name));
    object.insert("vat_number".into(), opt_str(vat_number));
    object.insert("customer".into(), type_and_id(&customer.kind, &customer.id));
    object
}

fn web_url(kind: &str, id: &str) -> String {
    format!("https://focus.teamleader.eu/{kind}_detail.php?id={id}")
}

/// Fields shared by `invoices.list` items and `invoices.info`.
fn invoice_common(invoice: &Invoice, rates: &HashMap<&str, Decimal>) -> Map<String, Value> {
    let status = invoice.status(rates);
    let paid_at = invoice.paid_at(rates);
    let mut object = Map::new();
    object.insert("id".into(), Value::from(invoice.id.as_str()));
    object.insert(
        "department".into(),
        type_and_id("department", &invoice.department_id),
    );
    object.insert(
        "invoice_number".into(),
        invoice
            .number
            .map_or(Value::Null, |n| Value::from(booking_number(n))),
    );
    object.insert(
        "invoice_date".into(),
        invoice
            .invoice_date
            .map_or(Value::Null, |d| Value::from(day(d))),
    );
    object.insert("status".into(), Value::from(status.as_str()));
    object.insert(
        "due_on".into(),
        invoice
            .due_on()
            .map_or(Value::Null, |d| Value::from(day(d))),
    );
    object.insert("paid".into(), Value::Bool(paid_at.is_some()));
    object.insert(
        "paid_at".into(),
        paid_at.map_or(Value::Null, |at| Value::from(instant(at))),
    );
    object.insert("sent".into(), Value::Bool(invoice.sent));
    object.insert(
        "purchase_order_number".into(),
        opt_str(&invoice.purchase_order_number),
    );
    object.insert(
        "payment_reference".into(),
        opt_str(&invoice.payment_reference),
    );
    object.insert(
        "created_at".into(),
        Value::from(instant(invoice.created_at)),
    );
    object.insert(
        "updated_at".into(),
        Value::from(instant(invoice.updated_at)),
    );
    object.insert("file".into(), Value::Null);
    object.insert("deal".into(), Value::Null);
    object.insert("project".into(), Value::Null);
    object.insert("delivery_date".into(), Value::Null);
    object
}

/// An `invoices.list` item.
pub fn invoice_list_item(invoice: &Invoice, rates: &HashMap<&str, Decimal>) -> Value {
    let totals = invoice.totals(rates);
    let currency = invoice.currency.as_str();
    let mut object = invoice_common(invoice, rates);
    let mut who = invoicee(
        &invoice.invoicee_name,
        &invoice.invoicee_vat_number,
        &invoice.customer,
    );
    who.insert("for_attention_of".into(), Value::Null);
    object.insert("invoicee".into(), Value::Object(who));
    object.insert(
        "total".into(),
        json!({
            "tax_exclusive": money(totals.exclusive, currency),
            "tax_inclusive": money(totals.inclusive, currency),
            "payable": money(totals.inclusive, currency),
            "taxes": taxes(&totals, currency),
            "due": money(invoice.due(rates), currency),
        }),
    );
    object.insert(
        "web_url".into(),
        Value::from(web_url("invoice", &invoice.id)),
    );
    Value::Object(object)
}

fn invoice_line(line: &Line, rate: Decimal, currency: &str) -> Value {
    let totals = line.totals(rate);
    json!({
        "product": null,
        "product_category": line
            .product_category_id
            .as_deref()
            .map_or(Value::Null, |id| type_and_id("productCategory", id)),
        "quantity": num(line.quantity),
        "description": line.description,
        "extended_description": opt_str(&line.extended_description),
        "unit": null,
        "unit_price": {"amount": num(line.unit_price), "tax": "excluding"},
        "tax": type_and_id("taxRate", &line.tax_rate_id),
        "discount": line
            .discount_percent
            .map_or(Value::Null, |value| json!({"value": num(value), "type": "percentage"})),
        "total": line_total(&totals, currency),
        "withheld_tax": null,
    })
}

fn line_total(totals: &super::model::LineTotals, currency: &str) -> Value {
    json!({
        "tax_exclusive": money(totals.exclusive, currency),
        "tax_exclusive_before_discount": money(totals.exclusive_before_discount, currency),
        "tax_inclusive": money(totals.inclusive, currency),
        "tax_inclusive_before_discount": money(totals.inclusive_before_discount, currency),
    })
}

fn grouped_lines(
    sections: &[Section],
    rates: &HashMap<&str, Decimal>,
    render: impl Fn(&Line, Decimal) -> Value,
) -> Value {
    Value::Array(
        sections
            .iter()
            .map(|section| {
                let lines: Vec<Value> = section
                    .lines
                    .iter()
                    .map(|line| {
                        let rate = rates
                            .get(line.tax_rate_id.as_str())
                            .copied()
                            .unwrap_or_default();
                        render(line, rate)
                    })
                    .collect();
                json!({"section": {"title": section.title}, "line_items": lines})
            })
            .collect(),
    )
}

/// `invoices.info` data.
pub fn invoice_info(invoice: &Invoice, rates: &HashMap<&str, Decimal>) -> Value {
    let totals = invoice.totals(rates);
    let currency = invoice.currency.as_str();
    let mut object = invoice_common(invoice, rates);
    let mut who = invoicee(
        &invoice.invoicee_name,
        &invoice.invoicee_vat_number,
        &invoice.customer,
    );
    who.insert("for_attention_of".into(), Value::Null);
    who.insert("email".into(), Value::Null);
    who.insert("national_identification_number".into(), Value::Null);
    object.insert("invoicee".into(), Value::Object(who));
    object.insert("discounts".into(), json!([]));
    object.insert(
        "grouped_lines".into(),
        grouped_lines(&invoice.sections, rates, |line, rate| {
            invoice_line(line, rate, currency)
        }),
    );
    object.insert(
        "total".into(),
        json!({
            "tax_exclusive": money(totals.exclusive, currency),
            "tax_exclusive_before_discount": money(totals.exclusive_before_discount, currency),
            "tax_inclusive": money(totals.inclusive, currency),
            "tax_inclusive_before_discount": money(totals.inclusive_before_discount, currency),
            "taxes": taxes(&totals, currency),
            "withheld_taxes": [],
            "payable": money(totals.inclusive, currency),
            "due": money(invoice.due(rates), currency),
        }),
    );
    object.insert(
        "payment_term".into(),
        json!({"type": invoice.payment_term.kind, "days": invoice.payment_term.days}),
    );
    object.insert(
        "payments".into(),
        Value::Array(
            invoice
                .payments
                .iter()
                .map(|p| {
                    json!({
                        "paid_at": instant(p.paid_at),
                        "payment": money(p.amount, &p.currency),
                    })
                })
                .collect(),
        ),
    );
    object.insert("note".into(), opt_str(&invoice.note));
    object.insert("currency".into(), Value::from(currency));
    object.insert(
        "expected_payment_method".into(),
        json!({"method": "bank_transfer"}),
    );
    object.insert("on_hold_since".into(), Value::Null);
    object.insert(
        "custom_fields".into(),
        custom_fields(&invoice.custom_fields),
    );
    object.insert(
        "document_template".into(),
        type_and_id("documentTemplate", "6b3b9f4a-0d3e-4c52-9d1f-6a2f2c3e0001"),
    );
    object.insert("peppol_status".into(), Value::Null);
    Value::Object(object)
}

fn credit_note_common(
    note: &CreditNote,
    rates: &HashMap<&str, Decimal>,
) -> (Map<String, Value>, Totals) {
    let totals = super::model::totals(&note.sections, rates);
    let currency = note.currency.as_str();
    let mut object = Map::new();
    object.insert("id".into(), Value::from(note.id.as_str()));
    object.insert(
        "department".into(),
        type_and_id("department", &note.department_id),
    );
    object.insert(
        "credit_note_number".into(),
        Value::from(booking_number(note.number)),
    );
    object.insert("credit_note_date".into(), Value::from(day(note.date)));
    object.insert("status".into(), Value::from("booked"));
    object.insert(
        "invoice".into(),
        note.invoice_id
            .as_deref()
            .map_or(Value::Null, |id| type_and_id("invoice", id)),
    );
    object.insert("paid".into(), Value::Bool(note.paid_at.is_some()));
    object.insert(
        "paid_at".into(),
        note.paid_at
            .map_or(Value::Null, |at| Value::from(instant(at))),
    );
    object.insert(
        "total".into(),
        json!({
            "tax_exclusive": money(totals.exclusive, currency),
            "tax_inclusive": money(totals.inclusive, currency),
            "payable": money(totals.inclusive, currency),
            "taxes": taxes(&totals, currency),
        }),
    );
    object.insert("created_at".into(), Value::from(instant(note.created_at)));
    object.insert("updated_at".into(), Value::from(instant(note.updated_at)));
    (object, totals)
}

/// A `creditNotes.list` item.
pub fn credit_note_list_item(note: &CreditNote, rates: &HashMap<&str, Decimal>) -> Value {
    let (mut object, _) = credit_note_common(note, rates);
    object.insert(
        "invoicee".into(),
        Value::Object(invoicee(
            &note.invoicee_name,
            &note.invoicee_vat_number,
            &note.customer,
        )),
    );
    Value::Object(object)
}

fn credit_note_line(line: &Line, rate: Decimal, currency: &str) -> Value {
    let totals = line.totals(rate);
    let mut object = Map::new();
    object.insert("product".into(), Value::Null);
    object.insert(
        "product_category".into(),
        line.product_category_id
            .as_deref()
            .map_or(Value::Null, |id| type_and_id("productCategory", id)),
    );
    object.insert("quantity".into(), num(line.quantity));
    object.insert("description".into(), Value::from(line.description.as_str()));
    // The spec's second allOf branch re-declares extended_description as not nullable, so
    // an absent one is left out rather than sent as null.
    insert_some(
        &mut object,
        "extended_description",
        &line.extended_description,
    );
    object.insert("unit".into(), Value::Null);
    // Credit-note unit prices carry a currency (invoice ones do not), as the spec documents.
    object.insert(
        "unit_price".into(),
        json!({"amount": num(line.unit_price), "currency": currency, "tax": "excluding"}),
    );
    object.insert("tax".into(), type_and_id("taxRate", &line.tax_rate_id));
    object.insert(
        "discount".into(),
        line.discount_percent.map_or(
            Value::Null,
            |value| json!({"value": num(value), "type": "percentage"}),
        ),
    );
    object.insert("total".into(), line_total(&totals, currency));
    Value::Object(object)
}

/// One credit note as `creditNotes.info` describes it (the caller wraps it: the spec
/// documents `data` as an array).
pub fn credit_note_info(note: &CreditNote, rates: &HashMap<&str, Decimal>) -> Value {
    let (mut object, _) = credit_note_common(note, rates);
    let currency = note.currency.as_str();
    let mut who = invoicee(
        &note.invoicee_name,
        &note.invoicee_vat_number,
        &note.customer,
    );
    who.insert("email".into(), Value::Null);
    who.insert("national_identification_number".into(), Value::Null);
    object.insert("invoicee".into(), Value::Object(who));
    object.insert("discounts".into(), json!([]));
    object.insert(
        "grouped_lines".into(),
        grouped_lines(&note.sections, rates, |line, rate| {
            credit_note_line(line, rate, currency)
        }),
    );
    object.insert("currency".into(), Value::from(currency));
    object.insert(
        "document_template".into(),
        type_and_id("documentTemplate", "6b3b9f4a-0d3e-4c52-9d1f-6a2f2c3e0002"),
    );
    object.insert("peppol_status".into(), Value::Null);
    Value::Object(object)
}

fn address_fields(address: &Address, object: &mut Map<String, Value>) {
    object.insert("line_1".into(), opt_str(&address.line_1));
    object.insert("postal_code".into(), opt_str(&address.postal_code));
    object.insert("city".into(), opt_str(&address.city));
    object.insert("country".into(), Value::from(address.country.as_str()));
    object.insert("area_level_two".into(), Value::Null);
}

fn primary_address(addresses: &[Address]) -> Option<Value> {
    let address = addresses
        .iter()
        .find(|a| a.kind == "primary")
        .or_else(|| addresses.first())?;
    let mut object = Map::new();
    address_fields(address, &mut object);
    Some(Value::Object(object))
}

fn addresses(addresses: &[Address]) -> Value {
    Value::Array(
        addresses
            .iter()
            .map(|address| {
                let mut inner = Map::new();
                address_fields(address, &mut inner);
                insert_some(&mut inner, "addressee", &address.addressee);
                json!({"type": address.kind, "address": inner})
            })
            .collect(),
    )
}

fn company_common(company: &Company) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("id".into(), Value::from(company.id.as_str()));
    object.insert("name".into(), Value::from(company.name.as_str()));
    object.insert("status".into(), Value::from("active"));
    insert_some(&mut object, "vat_number", &company.vat_number);
    insert_some(
        &mut object,
        "national_identification_number",
        &company.national_identification_number,
    );
    object.insert(
        "emails".into(),
        Value::Array(
            company
                .emails
                .iter()
                .map(|(kind, email)| json!({"type": kind, "email": email}))
                .collect(),
        ),
    );
    object.insert(
        "telephones".into(),
        Value::Array(
            company
                .telephones
                .iter()
                .map(|(kind, number)| json!({"type": kind, "number": number}))
                .collect(),
        ),
    );
    insert_some(&mut object, "website", &company.website);
    insert_some(&mut object, "iban", &company.iban);
    insert_some(&mut object, "bic", &company.bic);
    insert_some(&mut object, "language", &company.language);
    object.insert(
        "preferred_currency".into(),
        opt_str(&company.preferred_currency),
    );
    object.insert("payment_term".into(), Value::Null);
    object.insert(
        "invoicing_preferences".into(),
        json!({"electronic_invoicing_address": null}),
    );
    object.insert(
        "responsible_user".into(),
        type_and_id("user", &company.responsible_user_id),
    );
    object.insert("added_at".into(), Value::from(instant(company.added_at)));
    object.insert(
        "updated_at".into(),
        Value::from(instant(company.updated_at)),
    );
    object.insert(
        "web_url".into(),
        Value::from(web_url("company", &company.id)),
    );
    object.insert(
        "tags".into(),
        Value::Array(
            company
                .tags
                .iter()
                .map(|t| Value::from(t.as_str()))
                .collect(),
        ),
    );
    object.insert(
        "marketing_mails_consent".into(),
        Value::Bool(company.marketing_mails_consent),
    );
    object
}

/// A `companies.list` item; custom fields only when asked with `includes: custom_fields`.
pub fn company_list_item(company: &Company, with_custom_fields: bool) -> Value {
    let mut object = company_common(company);
    if let Some(address) = primary_address(&company.addresses) {
        object.insert("primary_address".into(), address);
    }
    if with_custom_fields {
        object.insert(
            "custom_fields".into(),
            custom_fields(&company.custom_fields),
        );
    }
    Value::Object(object)
}

/// `companies.info` data.
pub fn company_info(company: &Company) -> Value {
    let mut object = company_common(company);
    object.insert("addresses".into(), addresses(&company.addresses));
    insert_some(&mut object, "remarks", &company.remarks);
    object.insert(
        "custom_fields".into(),
        custom_fields(&company.custom_fields),
    );
    object.insert("related_companies".into(), json!([]));
    object.insert("related_contacts".into(), json!([]));
    Value::Object(object)
}

fn contact_common(contact: &Contact) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("id".into(), Value::from(contact.id.as_str()));
    object.insert(
        "first_name".into(),
        Value::from(contact.first_name.as_str()),
    );
    object.insert("last_name".into(), Value::from(contact.last_name.as_str()));
    object.insert("status".into(), Value::from("active"));
    object.insert(
        "emails".into(),
        Value::Array(
            contact
                .email
                .iter()
                .map(|email| json!({"type": "primary", "email": email}))
                .collect(),
        ),
    );
    object.insert(
        "telephones".into(),
        Value::Array(
            contact
                .telephones
                .iter()
                .map(|(kind, number)| json!({"type": kind, "number": number}))
                .collect(),
        ),
    );
    object.insert("gender".into(), Value::Null);
    insert_some(
        &mut object,
        "national_identification_number",
        &contact.national_identification_number,
    );
    insert_some(&mut object, "language", &contact.language);
    object.insert("payment_term".into(), Value::Null);
    object.insert(
        "invoicing_preferences".into(),
        json!({"electronic_invoicing_address": null}),
    );
    object.insert(
        "tags".into(),
        Value::Array(
            contact
                .tags
                .iter()
                .map(|t| Value::from(t.as_str()))
                .collect(),
        ),
    );
    object.insert("added_at".into(), Value::from(instant(contact.added_at)));
    object.insert(
        "updated_at".into(),
        Value::from(instant(contact.updated_at)),
    );
    object.insert(
        "web_url".into(),
        Value::from(web_url("contact", &contact.id)),
    );
    object.insert(
        "marketing_mails_consent".into(),
        Value::Bool(contact.marketing_mails_consent),
    );
    object
}

/// A `deals.list` item: id, title and the customer (`lead.customer`).
pub fn deal_list_item(deal: &Deal) -> Value {
    json!({
        "id": deal.id,
        "title": deal.title,
        "lead": {
            "customer": type_and_id(&deal.customer.kind, &deal.customer.id),
            "contact_person": null,
        },
    })
}

/// A `contacts.list` item.
pub fn contact_list_item(contact: &Contact, with_custom_fields: bool) -> Value {
    let mut object = contact_common(contact);
    if let Some(address) = primary_address(&contact.addresses) {
        object.insert("primary_address".into(), address);
    }
    if with_custom_fields {
        object.insert(
            "custom_fields".into(),
            custom_fields(&contact.custom_fields),
        );
    }
    Value::Object(object)
}

/// `contacts.info` data.
pub fn contact_info(contact: &Contact) -> Value {
    let mut object = contact_common(contact);
    object.insert("vat_number".into(), opt_str(&contact.vat_number));
    object.insert("addresses".into(), addresses(&contact.addresses));
    object.insert(
        "companies".into(),
        Value::Array(
            contact
                .company_ids
                .iter()
                .map(|id| json!({"decision_maker": false, "company": type_and_id("company", id)}))
                .collect(),
        ),
    );
    object.insert(
        "custom_fields".into(),
        custom_fields(&contact.custom_fields),
    );
    Value::Object(object)
}
