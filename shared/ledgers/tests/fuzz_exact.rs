//! Fuzzing of every Exact Online answer Koppel reads: each resource's OData feed decoded into
//! its wire type the way `ExactHttp` does (`{"d": {"results": …, "__next"}}` or `{"d": […]}`
//! through `ApiResponse::json`), then mapped; `/Date(ms)/` and ISO dates; `__next` links;
//! error bodies (`ExactErrors`), refusal texts turned into advice (`refusals`), the "too
//! early" rule and the rate headers. Property: no panic, failures are `Malformed`, texts for
//! people carry no HTML tags.
//!
//! Cases and seed: `shared/core/tests/common/fuzz_config.rs` (`KOPPEL_FUZZ_CASES`,
//! `KOPPEL_FUZZ_SEED`); `infra/dev fuzz` runs many more.

#[path = "../../core/tests/common/fuzz_config.rs"]
mod fuzz_config;
#[path = "../../core/tests/common/fuzz_inputs.rs"]
mod fuzz_inputs;

use chrono::{TimeZone, Utc};
use fuzz_config::fuzz_config;
use fuzz_inputs::{Body, body_like, has_html_tag, html_error_page, weird_text};
use koppel_api::rate::header_map;
use koppel_api::{
    ApiResponse, ErrorBodyParser, GrantRefusal, HeaderMap, RateGate, RateGateConfig,
    RateLimitPolicy,
};
use koppel_core::memory::ManualClock;
use koppel_core::{Deadline, ExternalError};
use koppel_ledgers::exact::odata::{self, Feed, Single};
use koppel_ledgers::exact::policy::{ExactErrors, ExactRateLimit, too_early};
use koppel_ledgers::exact::{http, mapping, refusals, wire};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::sync::Arc;

/// A paged feed of `records` (the fuzzing also turns it into a bare array or worse).
fn feed(records: Value) -> Value {
    json!({"d": {"results": records, "__next": "https://start.exactonline.be/api/v1/1/x?$skiptoken=guid'ab'"}})
}

/// The records of `resource`'s answer, read as `ExactHttp` reads them; a failure must be
/// `Malformed` about that resource.
fn records<T: DeserializeOwned>(resource: &str, body: &Body) -> Vec<T> {
    let answer = ApiResponse {
        system: refusals::SYSTEM,
        endpoint: resource.to_owned(),
        status: 200,
        headers: HeaderMap::new(),
        body: body.0.clone(),
    };
    match answer.json::<Feed<T>>() {
        Ok(feed) => {
            let (records, next) = feed.into_page();
            if let Some(url) =
                next.and_then(|next| http::on_base("http://127.0.0.1:4100/proxy", &next))
            {
                assert!(
                    url.starts_with("http://127.0.0.1:4100/proxy/api/v1/"),
                    "{url}"
                );
            }
            records
        }
        Err(ExternalError::Malformed { endpoint, .. }) => {
            assert_eq!(endpoint, resource);
            Vec::new()
        }
        Err(other) => panic!("{resource}: not Malformed: {other:?}"),
    }
}

fn check_mapped<T>(result: Result<T, ExternalError>) {
    if let Err(error) = result {
        assert!(
            matches!(error, ExternalError::Malformed { .. }),
            "{error:?}"
        );
    }
}

fn receivable() -> Value {
    json!({"TransactionEntryID": "0b5cbe0f-4d64-4ba4-9a40-1e8f9b3c5a11", "IsFullyPaid": false,
           "AmountFC": 121.0, "AmountDC": 121.0, "LastPaymentDate": "/Date(1767225600000)/"})
}

/// Text as Exact words its refusals, and other text.
fn refusal_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "Error 500: Periode is afgesloten: 2026 - 1",
            "Error 1€: x",
            "Error 12€: x",
            "Error ",
            "Verplicht: Factuur voor\r\nOngeldig: BTW-code",
            "<html><body><h1>Service Unavailable</h1></body></html>",
        ])
        .prop_map(str::to_owned),
        weird_text().prop_map(|text| text.as_str().unwrap_or_default().to_owned()),
        "Error [0-9€é ]{0,5}:?.{0,20}",
        ".{0,60}",
    ]
}

proptest! {
    #![proptest_config(fuzz_config())]

    #[test]
    fn settings_feeds(
        accounts in body_like(feed(json!([{"ID": "6a1", "Code": "700000", "Description": "Omzet", "Type": 110, "IsBlocked": false}]))),
        journals in body_like(feed(json!([{"Code": "70", "Description": "Verkoop", "Type": 20}]))),
        vat_codes in body_like(feed(json!([{"Code": "4 ", "Description": "21%", "Percentage": 0.21, "Type": "E", "IsBlocked": false}]))),
        periods in body_like(feed(json!([{"FinYear": 2026, "FinPeriod": 1, "StartDate": "/Date(1767225600000)/", "EndDate": "2026-01-31T00:00:00"}]))),
        me in body_like(json!({"d": [{"CurrentDivision": 12345, "FullName": "Richard"}]})),
        divisions in body_like(feed(json!([{"Code": 12345, "Description": "Pied Piper BV"}]))),
    ) {
        for account in records::<wire::GlAccount>("financial/GLAccounts", &accounts) {
            let _ = mapping::gl_account(account);
        }
        for journal in records::<wire::Journal>("financial/Journals", &journals) {
            let _ = mapping::journal(journal);
        }
        for code in records::<wire::VatCode>("vat/VATCodes", &vat_codes) {
            let _ = mapping::vat_code(code);
        }
        for period in records::<wire::FinancialPeriod>("financial/FinancialPeriods", &periods) {
            check_mapped(mapping::period("financial/FinancialPeriods", period));
        }
        let _ = records::<wire::Me>("current/Me", &me);
        let _ = records::<wire::Division>("system/Divisions", &divisions);
    }

    #[test]
    fn customers_and_created_entities(
        accounts in body_like(feed(json!([{"ID": "0b5c", "Code": "            4711", "Name": " Pied Piper ", "VATNumber": "be 0899.623.035", "Email": "info@pp.eu", "Phone": "+32 9 123 45 67", "ChamberOfCommerce": "0899623035", "BSN": "", "AddressLine1": "Main 1", "Postcode": "9000", "City": "Ghent", "Country": "be", "Language": "NL", "Status": "C"}]))),
        created in body_like(json!({"d": {"ID": "0b5c", "Code": "4711", "EntryID": "0b5c", "EntryNumber": 17}})),
    ) {
        for account in records::<wire::Account>("crm/Accounts", &accounts) {
            let listed = mapping::customer_from_account(account);
            if let Some(vat) = &listed.customer.vat_number {
                prop_assert!(vat.as_str().chars().all(|c| c.is_ascii_alphanumeric()));
                prop_assert!(listed.person.is_none(), "a VAT number makes a company");
            }
            if let Some(person) = &listed.person {
                prop_assert!(!person.last_name.trim().is_empty());
            }
        }
        let answer = ApiResponse { system: refusals::SYSTEM, endpoint: "crm/Accounts".into(), status: 201, headers: HeaderMap::new(), body: created.0.clone() };
        let _ = answer.json::<Single<wire::CreatedAccount>>();
        let _ = answer.json::<Single<wire::PostedSalesEntry>>();
        let _ = answer.json::<Single<wire::Created>>();
        let _ = answer.json::<Single<wire::PostedFinancialEntry>>();
    }

    #[test]
    fn payments(
        receivables in body_like(feed(json!([receivable(), receivable()]))),
        open_items in body_like(feed(json!([{"Id": "0b5cbe0f-4d64-4ba4-9a40-1e8f9b3c5a11", "Amount": 21.0}, {"Id": "0B5CBE0F-4D64-4BA4-9A40-1E8F9B3C5A11", "Amount": 100.0}]))),
        conditions in body_like(feed(json!([{"Code": "30", "Description": "30 dagen", "PaymentMethod": "I"}]))),
        lines in body_like(feed(json!([{"EntryID": "0b5c", "Description": "Koppel payment p-1"}]))),
        targets in body_like(feed(json!([{"Account": "0b5c", "InvoiceNumber": 17, "GLAccount": "0b5d", "IsFullyPaid": false}]))),
    ) {
        let receivables = records::<wire::Receivable>("cashflow/Receivables", &receivables);
        let _ = mapping::partly_paid(&receivables);
        let open_items = records::<wire::OpenItem>("read/financial/ReceivablesList", &open_items);
        let remaining = mapping::remaining_by_entry(&open_items);
        check_mapped(mapping::payment_states("cashflow/Receivables", receivables, &remaining));
        let _ = records::<wire::PaymentCondition>("cashflow/PaymentConditions", &conditions);
        let _ = records::<wire::PaymentLine>("financialtransaction/BankEntryLines", &lines);
        let _ = records::<wire::PaymentTarget>("cashflow/Receivables", &targets);
    }

    #[test]
    fn dates_literals_and_links(text in refusal_text(), link in prop_oneof![".{0,40}", "https?://[a-z.]{1,12}(:[0-9]{1,5})?/[a-z/]{0,10}(api/v1/)?[a-z0-9?#=/']{0,20}"]) {
        let _ = odata::parse_datetime(&text);
        let _ = odata::parse_date(&text);
        if let Some(literal) = odata::guid_literal(&text) {
            prop_assert!(literal.starts_with("guid'"));
        }
        if let Some(code) = odata::padded_account_code(&text) {
            prop_assert_eq!(code.chars().count(), odata::ACCOUNT_CODE_WIDTH);
        }
        let quoted = odata::string_literal(&text);
        prop_assert!(quoted.starts_with('\'') && quoted.ends_with('\''));
        if let Some(url) = http::on_base("https://start.exactonline.be", &link) {
            prop_assert!(url.starts_with("https://start.exactonline.be/api/v1/"), "{}", url);
        }
    }

    #[test]
    fn refusals_become_advice(text in refusal_text(), subject in ".{0,20}", status in 400u16..600) {
        let tidy = refusals::tidy(&text);
        prop_assert!(!tidy.contains('\n'));
        let message = refusals::message(&subject, &text);
        prop_assert!(message.ends_with('.'));
        let explained = refusals::explain(
            ExternalError::Rejected { system: refusals::SYSTEM, status, message: text.clone() },
            &subject,
        );
        let still_a_refusal = matches!(explained, ExternalError::Rejected { .. });
        prop_assert!(still_a_refusal);
        let _ = refusals::advice_for(&text);
    }

    #[test]
    fn error_bodies(
        body in prop_oneof![
            body_like(json!({"error": {"code": "", "message": {"lang": "", "value": "Periode is afgesloten: 2026 - 1"}}})),
            html_error_page().prop_map(|page| Body(page.into_bytes())),
        ],
        status in 400u16..600,
        reason in prop::option::of("[ -~]{0,24}"),
    ) {
        if let Some(text) = ExactErrors.message(status, &body.0) {
            prop_assert!(!text.trim().is_empty());
            prop_assert!(!has_html_tag(&text), "{}", text);
        }
        let _ = ExactErrors.is_business_error(status, &body.0);
        let detail = String::from_utf8_lossy(&body.0);
        let _ = too_early(&GrantRefusal { status, reason: reason.as_deref(), code: "access_denied", detail: &detail });
    }

    #[test]
    fn rate_headers(values in prop::collection::vec(prop_oneof![any::<u64>().prop_map(|n| n.to_string()), "[ -~]{0,20}"], 6)) {
        let names = [
            "X-RateLimit-Minutely-Limit", "X-RateLimit-Minutely-Remaining", "X-RateLimit-Minutely-Reset",
            "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
        ];
        let pairs: Vec<(&str, &str)> = names.iter().copied().zip(values.iter().map(String::as_str)).collect();
        let headers = header_map(&pairs);
        let _ = ExactRateLimit.observe(&headers);
        let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).single().expect("a date")));
        let gate = RateGate::new(refusals::SYSTEM, ExactRateLimit, clock, RateGateConfig::default());
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a runtime");
        runtime.block_on(async {
            gate.observe(&headers);
            if gate.acquire(&Deadline::none()).await.is_ok() {
                let _ = gate.throttled(&headers, 1, &Deadline::none()).await;
            }
        });
    }
}

/// Found by the fuzzing: "Error 1€: x" made `tidy` slice inside the "€" and panic.
#[test]
fn an_error_prefix_cut_inside_a_character_does_not_panic() {
    assert_eq!(refusals::tidy("Error 1€: x"), "Error 1€: x");
    assert_eq!(refusals::tidy("Error 00é: x"), "Error 00é: x");
    assert_eq!(
        refusals::tidy("Error 500: Periode is afgesloten"),
        "Periode is afgesloten"
    );
}

/// Found by the fuzzing: markup in Exact's message value came through to the message people
/// read.
#[test]
fn exact_message_values_are_read_as_plain_text() {
    let body = br#"{"error":{"code":"","message":{"lang":"","value":"<html><body><h1>502 Bad Gateway</h1></body></html>"}}}"#;
    assert_eq!(
        ExactErrors.message(400, body).as_deref(),
        Some("502 Bad Gateway")
    );
}

/// Open amounts summed past the decimal's limit used to panic (`+=` on `Decimal`); the sums
/// saturate now.
#[test]
fn open_amounts_past_the_decimal_limit_do_not_panic() {
    let receivables: Vec<wire::Receivable> = serde_json::from_value(json!([
        {"TransactionEntryID": "e1", "IsFullyPaid": false, "AmountFC": 4e28},
        {"TransactionEntryID": "E1", "IsFullyPaid": false, "AmountFC": 4e28},
        {"TransactionEntryID": "E1", "IsFullyPaid": false, "AmountFC": 7.922816251426434e27}
    ]))
    .expect("receivables that decode");
    let items: Vec<wire::OpenItem> = serde_json::from_value(json!([
        {"Id": "e1", "Amount": 4e28},
        {"Id": "E1", "Amount": 4e28},
        {"Id": "E1", "Amount": 4e28}
    ]))
    .expect("open items that decode");
    let remaining = mapping::remaining_by_entry(&items);
    assert_eq!(remaining["e1"], rust_decimal::Decimal::MAX);
    let states = mapping::payment_states(
        "cashflow/Receivables",
        receivables.clone(),
        &Default::default(),
    )
    .expect("states");
    assert_eq!(states[0].open_amount, rust_decimal::Decimal::MAX);
    assert!(mapping::payment_states("cashflow/Receivables", receivables, &remaining).is_ok());
}
