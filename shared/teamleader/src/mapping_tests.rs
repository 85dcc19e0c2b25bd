//! Unit tests of the wire types and [`crate::mapping`] on hand-written Teamleader bodies.

use crate::companies::Company;
use crate::contacts::Contact;
use crate::credit_notes::credit_note_from_info_data;
use crate::invoices::{Invoice, InvoiceListItem};
use crate::mapping::{self, vat_percentages};
use crate::tax_rates::WireTaxRate;
use koppel_core::{CustomerKind, PaymentMethod, SourceStatus};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::json;

fn invoice_json() -> serde_json::Value {
    json!({
        "id": "inv-1",
        "department": {"type": "department", "id": "dep-1"},
        "invoice_number": "2026 / 17",
        "invoice_date": "2026-03-02",
        "status": "outstanding",
        "due_on": "2026-04-01",
        "paid": false,
        "invoicee": {"name": "Pied Piper", "vat_number": "BE0899623035",
                     "customer": {"type": "company", "id": "comp-1"}},
        "grouped_lines": [{
            "section": {"title": ""},
            "line_items": [
                {"quantity": 3, "description": "Consulting",
                 "unit_price": {"amount": 100.1, "tax": "excluding"},
                 "tax": {"type": "taxRate", "id": "tax-21"},
                 "discount": {"type": "percentage", "value": 10},
                 "total": {"tax_exclusive": {"amount": 270.27, "currency": "EUR"}},
                 "product_category": {"type": "productCategory", "id": "cat-1"}},
                {"quantity": 0.5, "description": "Travel",
                 "unit_price": {"amount": 0.1, "tax": "excluding"},
                 "tax": {"type": "taxRate", "id": "tax-6"},
                 "discount": null,
                 "total": {"tax_exclusive": {"amount": 0.05, "currency": "EUR"}},
                 "product_category": null}
            ]
        }],
        "total": {
            "tax_exclusive": {"amount": 270.32, "currency": "EUR"},
            "tax_inclusive": {"amount": 327.03, "currency": "EUR"},
            "payable": {"amount": 327.03, "currency": "EUR"},
            "taxes": [{"rate": 0.21, "taxable": {"amount": 270.27, "currency": "EUR"},
                       "tax": {"amount": 56.76, "currency": "EUR"}},
                      {"rate": 0.06, "taxable": {"amount": 0.05, "currency": "EUR"},
                       "tax": {"amount": 0.0, "currency": "EUR"}}],
            "due": {"amount": 327.03, "currency": "EUR"}
        },
        "payment_term": {"type": "after_invoice_date", "days": 30},
        "payments": [],
        "payment_reference": "+++084/2613/66074+++",
        "currency": "EUR",
        "expected_payment_method": {"method": "sepa_direct_debit", "reference": "MANDATE-1"},
        "updated_at": "2026-03-02T10:15:00+01:00"
    })
}

fn rates() -> Vec<WireTaxRate> {
    serde_json::from_value(json!([
        {"id": "tax-21", "description": "21%", "rate": 0.21, "department": {"type": "department", "id": "dep-1"}},
        {"id": "tax-6", "description": "6%", "rate": 0.06, "department": {"type": "department", "id": "dep-1"}}
    ]))
    .unwrap()
}

#[test]
fn json_numbers_become_exact_decimals() {
    let amount: crate::common::Amount =
        serde_json::from_str(r#"{"amount": 0.30000000000000004, "currency": "EUR"}"#).unwrap();
    assert_eq!(amount.amount.to_string(), "0.30000000000000004");
    let sum: Vec<crate::common::Amount> =
        serde_json::from_str(r#"[{"amount": 0.1}, {"amount": 0.2}, {"amount": 1234567.89}]"#)
            .unwrap();
    assert_eq!(sum[0].amount + sum[1].amount, dec!(0.3));
    assert_eq!(sum[2].amount, dec!(1234567.89));
}

#[test]
fn invoice_maps_lines_discounts_rates_and_direct_debit() {
    let invoice: Invoice = serde_json::from_value(invoice_json()).unwrap();
    let document = mapping::invoice_document(&invoice, &vat_percentages(&rates())).unwrap();
    assert_eq!(document.number.as_deref(), Some("2026 / 17"));
    assert_eq!(document.status, SourceStatus::Outstanding);
    assert_eq!(document.customer.kind, CustomerKind::Company);
    assert_eq!(document.customer.id, "comp-1");
    assert_eq!(document.lines.len(), 2);
    let consulting = &document.lines[0];
    assert_eq!(consulting.quantity, dec!(3));
    assert_eq!(consulting.unit_price, dec!(100.1));
    assert_eq!(consulting.discount.as_ref().unwrap().percentage, dec!(10));
    assert_eq!(consulting.total_excl, dec!(270.27));
    assert_eq!(consulting.discount_amount(), dec!(30.03));
    assert_eq!(consulting.vat_percentage, Some(dec!(21)));
    assert_eq!(
        consulting.product_category_id.as_ref().unwrap().as_str(),
        "cat-1"
    );
    let travel = &document.lines[1];
    assert_eq!(travel.discount, None);
    assert_eq!(travel.quantity * travel.unit_price, dec!(0.05));
    assert_eq!(travel.vat_percentage, Some(dec!(6)));
    assert_eq!(document.taxes[0].rate, dec!(21));
    assert_eq!(document.taxes[1].rate, dec!(6));
    assert_eq!(document.total_excl.amount, dec!(270.32));
    assert_eq!(document.total_incl.amount, dec!(327.03));
    assert_eq!(
        document.expected_payment_method,
        Some(PaymentMethod::DirectDebit)
    );
    assert_eq!(document.payment_term_days, Some(30));
    assert_eq!(
        document.payment_reference.as_deref(),
        Some("+++084/2613/66074+++")
    );
    assert_eq!(
        document.updated_at.to_rfc3339(),
        "2026-03-02T09:15:00+00:00"
    );
    assert_eq!(document.due_on.unwrap().to_string(), "2026-04-01");
}

#[test]
fn bank_transfer_is_not_direct_debit_and_cash_is_zero_days() {
    let mut body = invoice_json();
    body["expected_payment_method"] = json!({"method": "bank_transfer"});
    body["payment_term"] = json!({"type": "cash"});
    let invoice: Invoice = serde_json::from_value(body).unwrap();
    let document = mapping::invoice_document(&invoice, &vat_percentages(&rates())).unwrap();
    assert_eq!(
        document.expected_payment_method,
        Some(PaymentMethod::Other("bank_transfer".into()))
    );
    assert_eq!(document.payment_term_days, Some(0));
}

#[test]
fn drafts_are_never_summarised() {
    let mut body = invoice_json();
    body["status"] = json!("draft");
    body["invoice_number"] = json!(null);
    let item: InvoiceListItem = serde_json::from_value(body).unwrap();
    assert_eq!(mapping::invoice_summary(0, &item).unwrap(), None);
    let mut body = invoice_json();
    body["status"] = json!("matched");
    body["paid"] = json!(true);
    let item: InvoiceListItem = serde_json::from_value(body).unwrap();
    let summary = mapping::invoice_summary(0, &item).unwrap().unwrap();
    assert_eq!(summary.status, SourceStatus::Matched);
    assert!(summary.paid);
    assert_eq!(summary.customer.id, "comp-1");
}

#[test]
fn booked_invoice_without_customer_is_malformed_naming_the_field() {
    let mut body = invoice_json();
    body["invoicee"]["customer"] = json!({"type": "deal", "id": "x"});
    let item: InvoiceListItem = serde_json::from_value(body.clone()).unwrap();
    let error = mapping::invoice_summary(4, &item).unwrap_err();
    assert!(
        error.to_string().contains("data[4].invoicee.customer"),
        "{error}"
    );
    let invoice: Invoice = serde_json::from_value(body).unwrap();
    let error = mapping::invoice_document(&invoice, &Default::default()).unwrap_err();
    assert!(
        matches!(error, koppel_core::ExternalError::Malformed { ref endpoint, .. } if endpoint == "invoices.info")
    );
}

#[test]
fn credit_note_info_accepts_object_and_documented_array() {
    let note = json!({
        "id": "cn-1", "department": {"type": "department", "id": "dep-1"},
        "credit_note_number": "2026 / 3", "credit_note_date": "2026-03-05", "status": "booked",
        "invoice": {"type": "invoice", "id": "inv-1"}, "paid": false,
        "invoicee": {"name": "Erlich", "customer": {"type": "contact", "id": "con-1"}},
        "total": {"tax_exclusive": {"amount": 10, "currency": "EUR"},
                  "tax_inclusive": {"amount": 12.1, "currency": "EUR"}, "taxes": []},
        "grouped_lines": [{"line_items": [{"quantity": 1, "description": "Refund",
            "unit_price": {"amount": 10, "currency": "EUR", "tax": "excluding"},
            "tax": {"type": "taxRate", "id": "tax-21"},
            "total": {"tax_exclusive": {"amount": 10, "currency": "EUR"}}}]}],
        "updated_at": "2026-03-05T08:00:00+00:00"
    });
    let one = credit_note_from_info_data(note.clone()).unwrap().unwrap();
    let many = credit_note_from_info_data(json!([note.clone()]))
        .unwrap()
        .unwrap();
    assert_eq!(one, many);
    assert_eq!(credit_note_from_info_data(json!([])).unwrap(), None);
    let mut broken = note;
    broken["total"]["tax_exclusive"]["amount"] = json!("ten");
    let error = credit_note_from_info_data(broken).unwrap_err().to_string();
    assert!(
        error.contains("creditNotes.info") && error.contains("data.total.tax_exclusive.amount"),
        "{error}"
    );
    let note = one;
    let document = mapping::credit_note_document(&note, &vat_percentages(&rates())).unwrap();
    assert_eq!(document.status, SourceStatus::Booked);
    assert_eq!(document.credited_invoice_id.unwrap().as_str(), "inv-1");
    assert_eq!(document.customer.kind, CustomerKind::Contact);
    assert_eq!(document.lines[0].vat_percentage, Some(dec!(21)));
}

#[test]
fn company_maps_vat_addresses_emails_and_external_id() {
    let company: Company = serde_json::from_value(json!({
        "id": "comp-1", "name": " Pied Piper ", "vat_number": "be 0899.623.035",
        "emails": [{"type": "invoicing", "email": "billing@pp.eu"}, {"type": "primary", "email": "info@pp.eu"}],
        "addresses": [
            {"type": "primary", "address": {"line_1": "Main 1", "postal_code": "9000", "city": "Ghent", "country": "be"}},
            {"type": "invoicing", "address": {"line_1": "Dok Noord 3A", "postal_code": "9000", "city": "Ghent", "country": "BE"}}
        ],
        "language": "nl",
        "custom_fields": [
            {"definition": {"type": "customFieldDefinition", "id": "other"}, "value": "nope"},
            {"definition": {"type": "customFieldDefinition", "id": "ext"}, "value": " 4711 "}
        ]
    }))
    .unwrap();
    let customer = mapping::company_customer(&company, Some("ext"));
    assert_eq!(customer.name, "Pied Piper");
    assert_eq!(customer.vat_number.unwrap().as_str(), "BE0899623035");
    assert_eq!(customer.enterprise_number.as_deref(), Some("0899623035"));
    assert_eq!(
        customer.addresses[0].line_1.as_deref(),
        Some("Dok Noord 3A")
    );
    assert_eq!(customer.addresses[1].country.as_deref(), Some("BE"));
    assert_eq!(
        customer.emails,
        vec!["info@pp.eu".to_owned(), "billing@pp.eu".to_owned()]
    );
    assert_eq!(customer.external_id.as_deref(), Some("4711"));
    assert_eq!(mapping::company_customer(&company, None).external_id, None);
}

#[test]
fn unparseable_vat_is_kept_raw() {
    assert_eq!(
        mapping::vat_number(Some(" BE 123 ")).unwrap().as_str(),
        "BE 123"
    );
    assert_eq!(mapping::vat_number(Some("  ")), None);
    assert_eq!(mapping::vat_number(None), None);
}

#[test]
fn contact_is_named_first_last() {
    let contact: Contact = serde_json::from_value(json!({
        "id": "con-1", "first_name": "Erlich", "last_name": "Bachman",
        "emails": [{"type": "primary", "email": "erlich@aviato.com"}],
        "primary_address": {"line_1": "Dok Noord 3A 101", "postal_code": "9000", "city": "Ghent", "country": "BE"},
        "language": "en"
    }))
    .unwrap();
    let customer = mapping::contact_customer(&contact, None);
    assert_eq!(customer.name, "Erlich Bachman");
    assert_eq!(customer.reference.kind, CustomerKind::Contact);
    assert_eq!(customer.addresses.len(), 1);
    assert_eq!(customer.language.as_deref(), Some("en"));
}

#[test]
fn tax_rate_fraction_becomes_percentage() {
    let rate = mapping::tax_rate(&rates()[0]);
    assert_eq!(rate.rate, dec!(21));
    assert_eq!(rate.rate.to_string(), "21");
    assert_eq!(
        mapping::fraction_to_percentage(Decimal::new(55, 3)),
        dec!(5.5)
    );
}
