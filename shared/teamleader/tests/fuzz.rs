//! Fuzzing of every Teamleader answer Koppel reads: each endpoint's body decoded into its wire
//! types the way the client does (`{data: …}` through `ApiResponse::json`), then turned into
//! core types by `mapping`; error bodies (`TeamleaderErrors`); rate-limit headers through the
//! rate gate. Property: no panic; a body that does not fit is `Malformed` naming the
//! endpoint; error texts carry no HTML tags.
//!
//! Cases and seed: `shared/core/tests/common/fuzz_config.rs` (`KOPPEL_FUZZ_CASES`,
//! `KOPPEL_FUZZ_SEED`); `infra/dev fuzz` runs many more.

#[path = "../../core/tests/common/fuzz_config.rs"]
mod fuzz_config;
#[path = "../../core/tests/common/fuzz_inputs.rs"]
mod fuzz_inputs;

use chrono::{TimeZone, Utc};
use fuzz_config::fuzz_config;
use fuzz_inputs::{Body, body_like, has_html_tag, html_error_page};
use koppel_api::rate::header_map;
use koppel_api::{ApiResponse, ErrorBodyParser, HeaderMap, RateGate, RateGateConfig};
use koppel_core::memory::ManualClock;
use koppel_core::{Deadline, ExternalError};
use koppel_teamleader::common::{Created, Data};
use koppel_teamleader::companies::Company;
use koppel_teamleader::contacts::Contact;
use koppel_teamleader::credit_notes::{CreditNoteListItem, credit_note_from_info_data};
use koppel_teamleader::custom_fields::CustomFieldDefinition;
use koppel_teamleader::deals::DealListItem;
use koppel_teamleader::departments::WireDepartment;
use koppel_teamleader::documents::Download;
use koppel_teamleader::invoices::{Invoice, InvoiceListItem};
use koppel_teamleader::mapping;
use koppel_teamleader::policy::{TeamleaderErrors, TeamleaderRateLimit};
use koppel_teamleader::product_categories::WireProductCategory;
use koppel_teamleader::source::file_stem;
use koppel_teamleader::tax_rates::WireTaxRate;
use koppel_teamleader::users::Me;
use koppel_teamleader::webhooks::Webhook;
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::sync::Arc;

fn invoice() -> Value {
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
                 "product_category": {"type": "productCategory", "id": "cat-1"}}
            ]
        }],
        "total": {
            "tax_exclusive": {"amount": 270.27, "currency": "EUR"},
            "tax_inclusive": {"amount": 327.03, "currency": "EUR"},
            "payable": {"amount": 327.03, "currency": "EUR"},
            "taxes": [{"rate": 0.21, "taxable": {"amount": 270.27, "currency": "EUR"},
                       "tax": {"amount": 56.76, "currency": "EUR"}}],
            "due": {"amount": 327.03, "currency": "EUR"}
        },
        "payment_term": {"type": "after_invoice_date", "days": 30},
        "payments": [{"payment": {"amount": 10, "currency": "EUR"}, "paid_at": "2026-03-05T10:00:00+00:00"}],
        "payment_reference": "+++084/2613/66074+++",
        "currency": "EUR",
        "expected_payment_method": {"method": "sepa_direct_debit", "reference": "MANDATE-1"},
        "updated_at": "2026-03-02T10:15:00+01:00"
    })
}

fn credit_note() -> Value {
    json!({
        "id": "cn-1", "department": {"type": "department", "id": "dep-1"},
        "credit_note_number": "2026 / 3", "credit_note_date": "2026-03-05", "status": "booked",
        "invoice": {"type": "invoice", "id": "inv-1"}, "paid": false, "currency": "EUR",
        "invoicee": {"name": "Erlich", "customer": {"type": "contact", "id": "con-1"}},
        "total": {"tax_exclusive": {"amount": 10, "currency": "EUR"},
                  "tax_inclusive": {"amount": 12.1, "currency": "EUR"},
                  "taxes": [{"rate": 0.21, "taxable": {"amount": 10}, "tax": {"amount": 2.1}}]},
        "grouped_lines": [{"line_items": [{"quantity": 1, "description": "Refund",
            "unit_price": {"amount": 10, "currency": "EUR", "tax": "excluding"},
            "tax": {"type": "taxRate", "id": "tax-21"},
            "total": {"tax_exclusive": {"amount": 10, "currency": "EUR"}}}]}],
        "updated_at": "2026-03-05T08:00:00+00:00"
    })
}

fn company() -> Value {
    json!({
        "id": "comp-1", "name": " Pied Piper ", "vat_number": "be 0899.623.035",
        "national_identification_number": "0899.623.035",
        "emails": [{"type": "invoicing", "email": "billing@pp.eu"}, {"type": "primary", "email": "info@pp.eu"}],
        "addresses": [
            {"type": "primary", "address": {"line_1": "Main 1", "postal_code": "9000", "city": "Ghent", "country": "be"}},
            {"type": "invoicing", "address": {"line_1": "Dok Noord 3A", "postal_code": "9000", "city": "Ghent", "country": "BE"}}
        ],
        "language": "nl",
        "custom_fields": [
            {"definition": {"type": "customFieldDefinition", "id": "ext"}, "value": " 4711 "}
        ]
    })
}

fn contact() -> Value {
    json!({
        "id": "con-1", "first_name": "Erlich", "last_name": "Bachman", "vat_number": "BE0403170701",
        "emails": [{"type": "primary", "email": "erlich@aviato.com"}],
        "primary_address": {"line_1": "Dok Noord 3A 101", "postal_code": "9000", "city": "Ghent", "country": "BE"},
        "language": "en",
        "custom_fields": [{"definition": {"type": "customFieldDefinition", "id": "ext"}, "value": 4711}]
    })
}

fn tax_rate() -> Value {
    json!({"id": "tax-21", "description": "21%", "rate": 0.21, "department": {"type": "department", "id": "dep-1"}})
}

/// An answer of `endpoint` with `body`, as the client receives it.
fn answer(endpoint: &str, body: &Body) -> ApiResponse {
    ApiResponse {
        system: koppel_teamleader::SYSTEM,
        endpoint: endpoint.to_owned(),
        status: 200,
        headers: HeaderMap::new(),
        body: body.0.clone(),
    }
}

/// The payload of `endpoint`'s answer, read as the client reads it; a failure must be
/// `Malformed` about that endpoint.
fn decode<T: DeserializeOwned>(endpoint: &str, body: &Body) -> Option<T> {
    match answer(endpoint, body).json::<Data<T>>() {
        Ok(data) => Some(data.data),
        Err(ExternalError::Malformed {
            endpoint: named, ..
        }) => {
            assert_eq!(named, endpoint);
            None
        }
        Err(other) => panic!("{endpoint}: not Malformed: {other:?}"),
    }
}

/// A mapping failure must be `Malformed` too.
fn check_mapped<T>(result: Result<T, ExternalError>) {
    if let Err(error) = result {
        assert!(
            matches!(error, ExternalError::Malformed { .. }),
            "{error:?}"
        );
    }
}

/// Rates from a fuzzed taxRates.list page, or the good ones.
fn percentages(
    rates: Option<Vec<WireTaxRate>>,
) -> std::collections::HashMap<String, rust_decimal::Decimal> {
    let rates =
        rates.unwrap_or_else(|| serde_json::from_value(json!([tax_rate()])).unwrap_or_default());
    mapping::vat_percentages(&rates)
}

/// Header values as rate-limit headers come, and ones that do not.
fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        prop::sample::select(vec![
            "2026-02-08T11:09:08+00:00".to_owned(),
            "+262143-12-31T23:59:59Z".to_owned(),
            "9999999999999".to_owned(),
            "-9223372036854775808".to_owned(),
            "".to_owned(),
            "0".to_owned(),
        ]),
        "[ -~]{0,24}",
    ]
}

proptest! {
    #![proptest_config(fuzz_config())]

    #[test]
    fn invoices_info(body in body_like(json!({"data": invoice()})), rates in body_like(json!({"data": [tax_rate()]}))) {
        let rates = decode::<Vec<WireTaxRate>>("taxRates.list", &rates);
        if let Some(invoice) = decode::<Invoice>("invoices.info", &body) {
            check_mapped(mapping::invoice_document(&invoice, &percentages(rates)));
            if let Some(number) = &invoice.invoice_number {
                let stem = file_stem(number);
                prop_assert!(stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
            }
        }
    }

    #[test]
    fn invoices_list(body in body_like(json!({"data": [invoice(), invoice()]}))) {
        if let Some(items) = decode::<Vec<InvoiceListItem>>("invoices.list", &body) {
            for (index, item) in items.iter().enumerate() {
                check_mapped(mapping::invoice_summary(index, item));
            }
        }
    }

    #[test]
    fn credit_notes_info(body in body_like(json!({"data": credit_note()})), also_as_array in any::<bool>()) {
        if let Some(data) = decode::<Value>("creditNotes.info", &body) {
            let data = if also_as_array { Value::Array(vec![data]) } else { data };
            match credit_note_from_info_data(data) {
                Ok(Some(note)) => check_mapped(mapping::credit_note_document(&note, &percentages(None))),
                Ok(None) => {}
                Err(error) => prop_assert!(matches!(error, ExternalError::Malformed { .. }), "{:?}", error),
            }
        }
    }

    #[test]
    fn credit_notes_list(body in body_like(json!({"data": [credit_note()]}))) {
        if let Some(items) = decode::<Vec<CreditNoteListItem>>("creditNotes.list", &body) {
            for (index, item) in items.iter().enumerate() {
                check_mapped(mapping::credit_note_summary(index, item));
            }
        }
    }

    #[test]
    fn companies_and_contacts(
        companies in body_like(json!({"data": [company()]})),
        contacts in body_like(json!({"data": [contact()]})),
        field in prop::option::of(prop_oneof![Just("ext".to_owned()), ".{0,4}"]),
    ) {
        for company in decode::<Vec<Company>>("companies.list", &companies).unwrap_or_default() {
            let customer = mapping::company_customer(&company, field.as_deref());
            prop_assert_eq!(customer.name.trim(), customer.name.as_str());
        }
        for contact in decode::<Vec<Contact>>("contacts.list", &contacts).unwrap_or_default() {
            let _ = mapping::contact_customer(&contact, field.as_deref());
        }
    }

    #[test]
    fn account_settings(
        rates in body_like(json!({"data": [tax_rate()]})),
        departments in body_like(json!({"data": [{"id": "dep-1", "name": "Pied Piper BV", "vat_number": "BE0899623035", "currency": "EUR", "emails": [], "status": "active"}]})),
        categories in body_like(json!({"data": [{"id": "cat-1", "name": "Services", "ledgers": [{"department": {"type": "department", "id": "dep-1"}, "ledger_account_number": "700000"}]}]})),
        fields in body_like(json!({"data": [{"id": "ext", "context": "company", "type": "single_line", "label": "External ID"}]})),
    ) {
        for rate in decode::<Vec<WireTaxRate>>("taxRates.list", &rates).unwrap_or_default() {
            let _ = mapping::tax_rate(&rate);
        }
        for department in decode::<Vec<WireDepartment>>("departments.list", &departments).unwrap_or_default() {
            let _ = mapping::department(&department);
        }
        for category in decode::<Vec<WireProductCategory>>("productCategories.list", &categories).unwrap_or_default() {
            let _ = mapping::product_category(&category);
        }
        for field in decode::<Vec<CustomFieldDefinition>>("customFields.list", &fields).unwrap_or_default() {
            let _ = field.is_external_id("company");
        }
    }

    #[test]
    fn small_answers(
        me in body_like(json!({"data": {"id": "u-1", "account": {"type": "account", "id": "acc-1"}, "first_name": "Richard", "last_name": "Hendricks", "email": "r@pp.eu", "language": "nl", "time_zone": "Europe/Brussels"}})),
        created in body_like(json!({"data": {"type": "company", "id": "comp-9"}})),
        download in body_like(json!({"data": {"location": "https://cdn.example/file.pdf", "expires": "2026-03-02T10:15:00+01:00"}})),
        hooks in body_like(json!({"data": [{"url": "https://koppel.example/webhook", "types": ["invoice.booked"]}]})),
        deals in body_like(json!({"data": [{"id": "deal-1", "title": "Big one"}]})),
    ) {
        let _ = decode::<Me>("users.me", &me);
        let _ = decode::<Created>("companies.add", &created);
        let _ = decode::<Download>("invoices.download", &download);
        let _ = decode::<Vec<Webhook>>("webhooks.list", &hooks);
        let _ = decode::<Vec<DealListItem>>("deals.list", &deals);
    }

    #[test]
    fn error_bodies(
        body in prop_oneof![
            body_like(json!({"errors": [{"title": "Invalid data", "detail": "name is required", "status": 400}, {"title": "Other"}]})),
            html_error_page().prop_map(|page| Body(page.into_bytes())),
        ],
        status in 400u16..600,
    ) {
        if let Some(text) = TeamleaderErrors.message(status, &body.0) {
            prop_assert!(!text.trim().is_empty());
            prop_assert!(!has_html_tag(&text), "{}", text);
        }
        let _ = TeamleaderErrors.is_business_error(status, &body.0);
    }

    #[test]
    fn rate_headers(
        limit in header_value(),
        remaining in header_value(),
        reset in header_value(),
        throttled_times in 1u32..4,
    ) {
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).single().expect("a date"),
        ));
        let gate = RateGate::new(koppel_teamleader::SYSTEM, TeamleaderRateLimit, clock, RateGateConfig::default());
        let headers = header_map(&[
            ("X-RateLimit-Limit", limit.as_str()),
            ("X-RateLimit-Remaining", remaining.as_str()),
            ("X-RateLimit-Reset", reset.as_str()),
        ]);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a runtime");
        runtime.block_on(async {
            gate.observe(&headers);
            for count in 1..=throttled_times {
                if gate.acquire(&Deadline::none()).await.is_err() {
                    break;
                }
                if gate.throttled(&headers, count, &Deadline::none()).await.is_err() {
                    break;
                }
            }
        });
    }
}

/// Found by the fuzzing: a tax rate of 7.9e27 (a fraction in Teamleader's terms) overflowed
/// the multiplication into a percentage and panicked; it now saturates and maps to no code.
#[test]
fn a_rate_too_large_to_be_a_percentage_does_not_panic() {
    let rates: Vec<WireTaxRate> = serde_json::from_value(json!([
        {"id": "t", "rate": 7.922816251426434e27, "department": {"type": "department", "id": "d"}},
        {"id": "u", "rate": -7.922816251426434e27, "department": {"type": "department", "id": "d"}}
    ]))
    .expect("rates that decode");
    let percentages = mapping::vat_percentages(&rates);
    assert_eq!(percentages["t"], rust_decimal::Decimal::MAX);
    assert_eq!(percentages["u"], rust_decimal::Decimal::MIN);
    assert_eq!(
        mapping::tax_rate(&rates[0]).rate,
        rust_decimal::Decimal::MAX
    );
}

/// Found by the fuzzing: markup in an error's detail came through to the message people read.
#[test]
fn error_titles_are_read_as_plain_text() {
    let body = br#"{"errors":[{"detail":"<html><body><h1>502 Bad Gateway</h1></body></html>","status":400,"title":"Invalid data"},{"title":"Other"}]}"#;
    assert_eq!(
        TeamleaderErrors.message(400, body).as_deref(),
        Some("Invalid data: 502 Bad Gateway; Other")
    );
}
