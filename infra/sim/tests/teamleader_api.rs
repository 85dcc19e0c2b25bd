//! Behaviour of the Teamleader simulator's API over real HTTP: envelopes, errors, rate limit,
//! paging, filters, booking, payments, tenants, downloads, CRM updates, faults.

mod teamleader_support;

use chrono::{DateTime, Utc};
use koppel_sim::openapi;
use koppel_sim::teamleader::{Fault, FaultKind, OAuthApp};
use serde_json::{Value, json};
use teamleader_support::{ACCOUNT_A, Answer, Fixture, start};

fn ids(data: &Value) -> Vec<String> {
    data.as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn calls_without_a_valid_token_get_401_with_an_error_body() {
    let fixture = start().await;
    let none = fixture
        .http
        .post(format!("{}/invoices.list", fixture.sim.base_url))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status().as_u16(), 401);
    let body: Value = none.json().await.unwrap();
    assert_eq!(body["errors"][0]["status"], 401);
    assert!(
        body["errors"][0]["title"]
            .as_str()
            .unwrap()
            .contains("Bearer")
    );

    let unknown = fixture
        .call_with("made-up", "invoices.list", json!({}))
        .await;
    assert_eq!(unknown.status, 401);
    let endpoint = fixture.call("nothing.here", json!({})).await;
    assert_eq!(endpoint.status, 404);
    assert!(endpoint.error_title().contains("nothing.here"));
}

#[tokio::test]
async fn every_api_answer_carries_rate_limit_headers_and_the_201st_request_in_a_minute_is_429() {
    let fixture = start().await;
    let first = fixture.call("users.me", json!({})).await;
    assert_eq!(first.header("x-ratelimit-limit"), Some("200"));
    assert_eq!(first.header("x-ratelimit-remaining"), Some("199"));
    let reset = DateTime::parse_from_rfc3339(first.header("x-ratelimit-reset").unwrap()).unwrap();
    let until = (reset.with_timezone(&Utc) - Utc::now()).num_seconds();
    assert!((55..=60).contains(&until), "reset in {until}s");
    let error = fixture
        .call("invoices.info", json!({"id": "missing"}))
        .await;
    assert_eq!(error.status, 404);
    assert_eq!(error.header("x-ratelimit-remaining"), Some("198"));

    for _ in 0..198 {
        assert_eq!(fixture.call("users.me", json!({})).await.status, 200);
    }
    let limited = fixture.call("users.me", json!({})).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(limited.body["errors"][0]["status"], 429);
    // The window is per (integration, account): account B still has its full quota.
    let other = fixture
        .call_with(&fixture.token_b.clone(), "users.me", json!({}))
        .await;
    assert_eq!(other.status, 200);
    assert_eq!(other.header("x-ratelimit-remaining"), Some("199"));
}

#[tokio::test]
async fn the_window_slides_a_minute_on_the_sim_clock_and_the_limit_can_be_lowered() {
    let fixture = start().await;
    fixture.sim.set_rate_limit(3);
    for remaining in ["2", "1", "0"] {
        let answer = fixture.call("users.me", json!({})).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("x-ratelimit-remaining"), Some(remaining));
    }
    let limited = fixture.call("users.me", json!({})).await;
    assert_eq!(limited.status, 429);
    fixture.sim.clock().advance(chrono::Duration::seconds(61));
    let again = fixture.call("users.me", json!({})).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.header("x-ratelimit-remaining"), Some("2"));
}

#[tokio::test]
async fn paging_is_checked_and_lists_have_no_meta() {
    let fixture = start().await;
    let too_big = fixture
        .call("invoices.list", json!({"page": {"size": 101}}))
        .await;
    assert_eq!(too_big.status, 400);
    assert!(too_big.error_title().contains("page.size"));
    assert_eq!(
        fixture
            .call("invoices.list", json!({"page": {"number": 0}}))
            .await
            .status,
        400
    );
    assert_eq!(
        fixture
            .call("companies.list", json!({"page": {"size": 500}}))
            .await
            .status,
        400
    );

    let page_one = fixture
        .call("invoices.list", json!({"page": {"size": 2, "number": 1}, "sort": [{"field": "invoice_number", "order": "asc"}]}))
        .await;
    assert_eq!(page_one.status, 200);
    assert!(page_one.body.get("meta").is_none());
    assert_eq!(page_one.body["data"].as_array().unwrap().len(), 2);
    let page_three = fixture
        .data("invoices.list", json!({"page": {"size": 2, "number": 3}, "sort": [{"field": "invoice_number", "order": "asc"}]}))
        .await;
    assert_eq!(
        page_three.as_array().unwrap().len(),
        1,
        "5 invoices: a short last page"
    );

    // departments.list ignores paging.
    let departments = fixture
        .data(
            "departments.list",
            json!({"page": {"size": 1, "number": 5}}),
        )
        .await;
    assert_eq!(departments.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn invoice_filters_status_must_be_an_array_and_dates_are_inclusive() {
    let fixture = start().await;
    let not_array = fixture
        .call(
            "invoices.list",
            json!({"filter": {"status": "outstanding"}}),
        )
        .await;
    assert_eq!(not_array.status, 400);
    assert!(not_array.error_title().contains("array"));

    let outstanding = fixture
        .data(
            "invoices.list",
            json!({"filter": {"status": ["outstanding"]}}),
        )
        .await;
    let mut found = ids(&outstanding);
    found.sort();
    assert_eq!(found, ["inv-1", "inv-3", "inv-5"]);
    let drafts = fixture
        .data("invoices.list", json!({"filter": {"status": ["draft"]}}))
        .await;
    assert_eq!(ids(&drafts), ["inv-4"]);
    assert!(drafts[0]["invoice_number"].is_null());

    let window = fixture
        .data(
            "invoices.list",
            json!({"filter": {"invoice_date_after": "2024-01-15", "invoice_date_before": "2024-01-31", "department_id": "dep-a1"},
                   "sort": [{"field": "invoice_date", "order": "asc"}]}),
        )
        .await;
    assert_eq!(
        ids(&window),
        ["inv-1", "inv-2"],
        "both bounds are inclusive"
    );
    assert_eq!(
        fixture
            .call(
                "invoices.list",
                json!({"filter": {"invoice_date_after": "15/01/2024"}})
            )
            .await
            .status,
        400
    );
    let by_customer = fixture
        .data(
            "invoices.list",
            json!({"filter": {"customer": {"type": "contact", "id": "cont-1"}}}),
        )
        .await;
    assert_eq!(ids(&by_customer), ["inv-3"]);
}

#[tokio::test]
async fn updated_since_compares_with_updated_at() {
    let fixture = start().await;
    let since = fixture.sim.clock().now_string();
    assert!(
        fixture
            .data("invoices.list", json!({"filter": {"updated_since": since}}))
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
    // The payment happens clearly after `since` (two loopback calls can take less than the
    // millisecond `since` was rounded up by).
    fixture.sim.clock().advance(chrono::Duration::seconds(1));
    let pay = fixture
        .call(
            "invoices.registerPayment",
            json!({"id": "inv-3", "payment": {"amount": 10, "currency": "EUR"}, "paid_at": "2024-03-01T10:00:00+00:00"}),
        )
        .await;
    assert_eq!(pay.status, 204);
    let changed = fixture
        .data("invoices.list", json!({"filter": {"updated_since": since}}))
        .await;
    assert_eq!(ids(&changed), ["inv-3"]);
    assert_eq!(
        fixture
            .call(
                "invoices.list",
                json!({"filter": {"updated_since": "yesterday"}})
            )
            .await
            .status,
        400
    );
}

trait NowString {
    fn now_string(&self) -> String;
}

impl NowString for std::sync::Arc<koppel_sim::common::SimClock> {
    fn now_string(&self) -> String {
        let now = koppel_core::Clock::now(self.as_ref()) + chrono::Duration::milliseconds(1);
        now.to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
    }
}

#[tokio::test]
async fn booking_numbers_run_per_department_and_year() {
    let fixture = start().await;
    let draft = fixture
        .call(
            "invoices.draft",
            json!({
                "invoicee": {"customer": {"type": "company", "id": "comp-1"}},
                "department_id": "dep-a1",
                "payment_term": {"type": "after_invoice_date", "days": 30},
                "grouped_lines": [{"section": {"title": ""}, "line_items": [
                    {"quantity": 2, "description": "Taart", "unit_price": {"amount": 20, "tax": "excluding"}, "tax_rate_id": "tax-a1-21"}
                ]}]
            }),
        )
        .await;
    assert_eq!(draft.status, 201);
    assert_eq!(draft.body["data"]["type"], "invoice");
    let id = draft.body["data"]["id"].as_str().unwrap().to_owned();
    let info = fixture.data("invoices.info", json!({"id": id})).await;
    assert_eq!(info["status"], "draft");
    assert!(info["invoice_number"].is_null());

    let book = fixture
        .call("invoices.book", json!({"id": id, "on": "2024-02-20"}))
        .await;
    assert_eq!(book.status, 204);
    assert!(book.body.is_null());
    let info = fixture.data("invoices.info", json!({"id": id})).await;
    assert_eq!(info["invoice_number"], "2024 / 4", "dep-a1 had 2024 / 1..3");
    assert_eq!(info["invoice_date"], "2024-02-20");
    assert_eq!(info["status"], "outstanding");
    assert_eq!(info["total"]["payable"]["amount"], 48.4);

    // Booking the draft of the seed in another year starts at 1; booking twice is refused.
    assert_eq!(
        fixture
            .call("invoices.book", json!({"id": "inv-4", "on": "2025-01-02"}))
            .await
            .status,
        204
    );
    assert_eq!(
        fixture.data("invoices.info", json!({"id": "inv-4"})).await["invoice_number"],
        "2025 / 1"
    );
    assert_eq!(
        fixture
            .call("invoices.book", json!({"id": "inv-4", "on": "2025-01-03"}))
            .await
            .status,
        400
    );
    // dep-a2 has its own sequence.
    assert_eq!(
        fixture.data("invoices.info", json!({"id": "inv-5"})).await["invoice_number"],
        "2024 / 1"
    );
}

#[tokio::test]
async fn drafts_refuse_tax_rates_of_another_department_and_unknown_customers() {
    let fixture = start().await;
    let body = |tax: &str, customer: &str| {
        json!({
            "invoicee": {"customer": {"type": "company", "id": customer}},
            "department_id": "dep-a1",
            "payment_term": {"type": "cash"},
            "grouped_lines": [{"line_items": [{"quantity": 1, "description": "x", "tax_rate_id": tax,
                "unit_price": {"amount": 1, "tax": "excluding"}}]}]
        })
    };
    let other_department = fixture
        .call("invoices.draft", body("tax-a2-21", "comp-1"))
        .await;
    assert_eq!(other_department.status, 400);
    assert!(
        other_department
            .error_title()
            .contains("another department")
    );
    assert_eq!(
        fixture
            .call("invoices.draft", body("tax-a1-21", "comp-b1"))
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn payments_reduce_the_due_amount_until_the_invoice_is_matched() {
    let fixture = start().await;
    let before = fixture.data("invoices.info", json!({"id": "inv-3"})).await;
    assert_eq!(before["total"]["due"]["amount"], 121);
    let pay = |amount: f64| json!({"id": "inv-3", "payment": {"amount": amount, "currency": "EUR"}, "paid_at": "2024-03-01T10:00:00+01:00"});
    assert_eq!(
        fixture
            .call("invoices.registerPayment", pay(21.0))
            .await
            .status,
        204
    );
    let partly = fixture.data("invoices.info", json!({"id": "inv-3"})).await;
    assert_eq!(partly["status"], "outstanding");
    assert_eq!(partly["total"]["due"]["amount"], 100);
    assert_eq!(partly["paid"], false);

    assert_eq!(
        fixture
            .call("invoices.registerPayment", pay(100.0))
            .await
            .status,
        204
    );
    let paid = fixture.data("invoices.info", json!({"id": "inv-3"})).await;
    assert_eq!(paid["status"], "matched");
    assert_eq!(paid["paid"], true);
    assert_eq!(paid["paid_at"], "2024-03-01T09:00:00+00:00");
    assert_eq!(paid["total"]["due"]["amount"], 0);
    assert_eq!(paid["payments"].as_array().unwrap().len(), 2);
    assert_eq!(fixture.sim.payments().len(), 2);

    let wrong_currency = fixture
        .call(
            "invoices.registerPayment",
            json!({"id": "inv-1", "payment": {"amount": 1, "currency": "USD"}, "paid_at": "2024-03-01T10:00:00+00:00"}),
        )
        .await;
    assert_eq!(wrong_currency.status, 400);
    let on_draft = fixture
        .call(
            "invoices.registerPayment",
            json!({"id": "inv-4", "payment": {"amount": 1, "currency": "EUR"}, "paid_at": "2024-03-01T10:00:00+00:00"}),
        )
        .await;
    assert_eq!(on_draft.status, 400);

    assert_eq!(
        fixture
            .call("invoices.removePayments", json!({"id": "inv-3"}))
            .await
            .status,
        204
    );
    let reverted = fixture.data("invoices.info", json!({"id": "inv-3"})).await;
    assert_eq!(reverted["status"], "outstanding");
    assert_eq!(reverted["total"]["due"]["amount"], 121);
}

#[tokio::test]
async fn credit_note_dates_before_is_exclusive_and_only_booked_notes_exist() {
    let fixture = start().await;
    let before = fixture
        .data(
            "creditNotes.list",
            json!({"filter": {"credit_note_date_before": "2024-02-11"}}),
        )
        .await;
    assert_eq!(ids(&before), ["cn-1"], "2024-02-11 itself is excluded");
    let after = fixture
        .data(
            "creditNotes.list",
            json!({"filter": {"credit_note_date_after": "2024-02-11"}}),
        )
        .await;
    assert_eq!(ids(&after), ["cn-2"], "the after bound is inclusive");
    let for_invoice = fixture
        .data(
            "creditNotes.list",
            json!({"filter": {"invoice_id": "inv-1"}}),
        )
        .await;
    assert_eq!(ids(&for_invoice), ["cn-1"]);
    assert_eq!(for_invoice[0]["status"], "booked");
    assert_eq!(for_invoice[0]["credit_note_number"], "2024 / 1");
}

#[tokio::test]
async fn one_account_never_sees_another_accounts_data() {
    let fixture = start().await;
    let token_b = fixture.token_b.clone();
    let foreign = fixture
        .call_with(&token_b, "invoices.info", json!({"id": "inv-1"}))
        .await;
    assert_eq!(foreign.status, 404);
    assert_eq!(foreign.body["errors"][0]["status"], 404);
    let own = fixture
        .call_with(&token_b, "invoices.list", json!({}))
        .await;
    assert_eq!(ids(&own.body["data"]), ["inv-b1"]);
    let pay = fixture
        .call_with(
            &token_b,
            "invoices.registerPayment",
            json!({"id": "inv-1", "payment": {"amount": 1, "currency": "EUR"}, "paid_at": "2024-03-01T10:00:00+00:00"}),
        )
        .await;
    assert_eq!(pay.status, 404);
    assert_eq!(
        fixture
            .call_with(&token_b, "companies.info", json!({"id": "comp-1"}))
            .await
            .status,
        404
    );
    assert!(fixture.sim.payments().is_empty());
}

#[tokio::test]
async fn downloads_point_to_real_files_that_expire() {
    let fixture = start().await;
    let pdf = fixture
        .data("invoices.download", json!({"id": "inv-1", "format": "pdf"}))
        .await;
    let location = pdf["location"].as_str().unwrap();
    let expires = DateTime::parse_from_rfc3339(pdf["expires"].as_str().unwrap()).unwrap();
    assert!(expires.with_timezone(&Utc) > Utc::now());
    let response = fixture.http.get(location).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-1.4"));
    assert!(bytes.ends_with(b"%%EOF\n"));
    let text = String::from_utf8_lossy(&bytes);
    let xref_at: usize = text
        .split("startxref\n")
        .nth(1)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        text[xref_at..].starts_with("xref"),
        "startxref points at the xref table"
    );
    assert!(text.contains("Invoice 2024 / 1"));

    for format in ["ubl/e-fff", "ubl/peppol_bis_3"] {
        let ubl = fixture
            .data(
                "invoices.download",
                json!({"id": "inv-1", "format": format}),
            )
            .await;
        let xml = fixture
            .http
            .get(ubl["location"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(xml.contains("<cbc:ID>2024 / 1</cbc:ID>"), "{xml}");
        assert!(
            xml.contains("<cbc:PayableAmount currencyID=\"EUR\">144.85</cbc:PayableAmount>"),
            "{xml}"
        );
        assert_eq!(
            xml.contains("EmbeddedDocumentBinaryObject"),
            format == "ubl/e-fff"
        );
    }
    let credit = fixture
        .data(
            "creditNotes.download",
            json!({"id": "cn-1", "format": "ubl/e-fff"}),
        )
        .await;
    let xml = fixture
        .http
        .get(credit["location"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(xml.contains("<CreditNote "));
    let peppol = fixture
        .call(
            "creditNotes.download",
            json!({"id": "cn-1", "format": "ubl/peppol_bis_3"}),
        )
        .await;
    assert_eq!(peppol.status, 400);

    fixture.sim.clock().advance(chrono::Duration::hours(2));
    assert_eq!(
        fixture
            .http
            .get(location)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        403
    );
}

#[tokio::test]
async fn company_updates_replace_collections_and_merge_custom_fields() {
    let fixture = start().await;
    let added = fixture
        .call(
            "companies.add",
            json!({"name": "Garage Wouters NV", "vat_number": "BE0417497106",
                   "emails": [{"type": "primary", "email": "a@wouters.be"}, {"type": "invoicing", "email": "f@wouters.be"}],
                   "tags": ["Exact Online Import"],
                   "custom_fields": [{"id": "cf-extid", "value": "EX-77"}]}),
        )
        .await;
    assert_eq!(added.status, 201);
    assert_eq!(added.body["data"]["type"], "company");
    let id = added.body["data"]["id"].as_str().unwrap().to_owned();

    let update = fixture
        .call("companies.update", json!({"id": id, "emails": [{"type": "primary", "email": "new@wouters.be"}], "website": "https://wouters.be"}))
        .await;
    assert_eq!(update.status, 204);
    let info = fixture.data("companies.info", json!({"id": id})).await;
    assert_eq!(
        info["emails"],
        json!([{"type": "primary", "email": "new@wouters.be"}])
    );
    assert_eq!(info["tags"], json!(["Exact Online Import"]));
    assert_eq!(
        info["custom_fields"][0]["value"], "EX-77",
        "untouched by an update without custom_fields"
    );
    assert_eq!(info["website"], "https://wouters.be");

    let bad_field = fixture
        .call(
            "companies.update",
            json!({"id": id, "custom_fields": [{"id": "nope", "value": "x"}]}),
        )
        .await;
    assert_eq!(bad_field.status, 400);

    let by_vat = fixture
        .data(
            "companies.list",
            json!({"filter": {"vat_number": "BE 0417.497.106"}}),
        )
        .await;
    assert_eq!(ids(&by_vat), std::slice::from_ref(&id));
    let tagged = fixture
        .data("companies.list", json!({"filter": {"tags": ["klant"]}}))
        .await;
    assert_eq!(ids(&tagged), ["comp-1"]);
    assert_eq!(
        fixture
            .call("companies.tag", json!({"id": id, "tags": ["klant"]}))
            .await
            .status,
        204
    );
    let tagged = fixture
        .data("companies.list", json!({"filter": {"tags": ["klant"]}}))
        .await;
    assert_eq!(tagged.as_array().unwrap().len(), 2);
    assert_eq!(
        fixture
            .call("companies.delete", json!({"id": id}))
            .await
            .status,
        204
    );
    assert_eq!(
        fixture
            .call("companies.info", json!({"id": id}))
            .await
            .status,
        404
    );
}

/// Call `operation` with a request the spec accepts (strict) and check the answer's status and
/// body against the spec too; returns the answer.
async fn spec_call(fixture: &Fixture, operation: &str, body: Value, status: u16) -> Answer {
    openapi::assert_conforms(
        &openapi::request_validator(operation),
        &body,
        &format!("{operation} request (test input)"),
    );
    let answer = fixture.call(operation, body).await;
    assert_eq!(answer.status, status, "{operation}: {:?}", answer.body);
    if status == 204 {
        assert!(answer.body.is_null(), "{operation}: 204 with a body");
    } else {
        openapi::assert_conforms(
            &openapi::response_validator(operation, status),
            &answer.body,
            &format!("{operation} response"),
        );
    }
    answer
}

/// A custom field definition created over the API; returns its id.
async fn custom_field(fixture: &Fixture, label: &str, context: &str) -> String {
    let created = spec_call(
        fixture,
        "customFieldDefinitions.create",
        json!({"label": label, "type": "single_line", "context": context}),
        201,
    )
    .await;
    assert_eq!(created.body["data"]["type"], "customFieldDefinition");
    created.body["data"]["id"].as_str().unwrap().to_owned()
}

/// The events of account A, as `(type, subject id)`.
fn events(fixture: &Fixture) -> Vec<(String, String)> {
    let dump = fixture.sim.dump(ACCOUNT_A).unwrap();
    dump["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| {
            (
                event["type"].as_str().unwrap().to_owned(),
                event["subject"]["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn contacts_add_keeps_every_field_and_info_and_list_render_them() {
    let fixture = start().await;
    let field = custom_field(&fixture, "Klantnummer", "contact").await;
    let before = koppel_core::Clock::now(fixture.sim.clock().as_ref());
    let added = spec_call(
        &fixture,
        "contacts.add",
        json!({"first_name": "Lotte", "last_name": "Verstraeten",
               "emails": [{"type": "primary", "email": "lotte@verstraeten.be"}],
               "telephones": [{"type": "phone", "number": "+32 9 222 33 44"},
                              {"type": "mobile", "number": "+32 470 12 34 56"}],
               "addresses": [{"type": "invoicing", "address": {"line_1": "Kouter 12", "postal_code": "9000",
                              "city": "Gent", "country": "BE", "addressee": "Lotte Verstraeten"}}],
               "language": "nl", "tags": ["Exact Online Import", "particulier"],
               "national_identification_number": "85.07.30-033.61",
               "marketing_mails_consent": true,
               "custom_fields": [{"id": field, "value": "K-1042"}]}),
        201,
    )
    .await;
    assert_eq!(added.body["data"]["type"], "contact");
    let id = added.body["data"]["id"].as_str().unwrap().to_owned();
    assert!(events(&fixture).contains(&("contact.added".to_owned(), id.clone())));

    let info = spec_call(&fixture, "contacts.info", json!({"id": id}), 200).await;
    let info = &info.body["data"];
    assert_eq!(info["id"], id.as_str());
    assert_eq!(info["first_name"], "Lotte");
    assert_eq!(info["last_name"], "Verstraeten");
    assert_eq!(
        info["emails"],
        json!([{"type": "primary", "email": "lotte@verstraeten.be"}])
    );
    let telephones = json!([{"type": "phone", "number": "+32 9 222 33 44"},
                            {"type": "mobile", "number": "+32 470 12 34 56"}]);
    assert_eq!(info["telephones"], telephones);
    assert_eq!(info["addresses"][0]["type"], "invoicing");
    assert_eq!(info["addresses"][0]["address"]["line_1"], "Kouter 12");
    assert_eq!(info["addresses"][0]["address"]["postal_code"], "9000");
    assert_eq!(info["addresses"][0]["address"]["city"], "Gent");
    assert_eq!(info["addresses"][0]["address"]["country"], "BE");
    assert_eq!(
        info["addresses"][0]["address"]["addressee"],
        "Lotte Verstraeten"
    );
    assert_eq!(info["language"], "nl");
    assert_eq!(info["tags"], json!(["Exact Online Import", "particulier"]));
    assert_eq!(info["national_identification_number"], "85.07.30-033.61");
    assert_eq!(info["marketing_mails_consent"], true);
    assert_eq!(info["vat_number"], Value::Null);
    assert_eq!(
        info["custom_fields"],
        json!([{"definition": {"type": "customFieldDefinition", "id": field}, "value": "K-1042"}])
    );
    let added_at = DateTime::parse_from_rfc3339(info["added_at"].as_str().unwrap()).unwrap();
    let after = koppel_core::Clock::now(fixture.sim.clock().as_ref());
    assert!(
        added_at >= before - chrono::Duration::seconds(1) && added_at <= after,
        "added_at {added_at} is the sim's now"
    );
    assert_eq!(info["updated_at"], info["added_at"]);

    let listed = spec_call(
        &fixture,
        "contacts.list",
        json!({"filter": {"ids": [id]}, "includes": "custom_fields"}),
        200,
    )
    .await;
    let item = &listed.body["data"][0];
    assert_eq!(ids(&listed.body["data"]), std::slice::from_ref(&id));
    assert_eq!(item["telephones"], telephones);
    assert_eq!(item["tags"], json!(["Exact Online Import", "particulier"]));
    assert_eq!(
        item["emails"],
        json!([{"type": "primary", "email": "lotte@verstraeten.be"}])
    );
    assert_eq!(item["primary_address"]["line_1"], "Kouter 12");
    assert_eq!(item["primary_address"]["city"], "Gent");
    assert_eq!(item["custom_fields"][0]["definition"]["id"], field.as_str());
    assert_eq!(item["custom_fields"][0]["value"], "K-1042");
    let plain = fixture
        .data("contacts.list", json!({"filter": {"ids": [id]}}))
        .await;
    assert!(
        plain[0].get("custom_fields").is_none(),
        "custom fields only with includes=custom_fields"
    );
    let tagged = fixture
        .data(
            "contacts.list",
            json!({"filter": {"tags": ["particulier"]}}),
        )
        .await;
    assert_eq!(ids(&tagged), std::slice::from_ref(&id));
    let by_email = fixture
        .data(
            "contacts.list",
            json!({"filter": {"email": {"type": "primary", "email": "LOTTE@verstraeten.be"}}}),
        )
        .await;
    assert_eq!(ids(&by_email), [id]);
}

#[tokio::test]
async fn contacts_add_refuses_a_missing_or_empty_last_name_and_bad_collections() {
    let fixture = start().await;
    for body in [
        json!({"first_name": "Lotte"}),
        json!({"first_name": "Lotte", "last_name": ""}),
        json!({"first_name": "Lotte", "last_name": null}),
    ] {
        let refused = fixture.call("contacts.add", body).await;
        assert_eq!(refused.status, 400, "{:?}", refused.body);
        assert!(
            refused.error_title().contains("last_name"),
            "{}",
            refused.error_title()
        );
    }
    let not_a_string = fixture.call("contacts.add", json!({"last_name": 42})).await;
    assert_eq!(not_a_string.status, 400);
    let wrong_phone = fixture
        .call(
            "contacts.add",
            json!({"last_name": "Maes", "telephones": [{"type": "pager", "number": "1"}]}),
        )
        .await;
    assert_eq!(wrong_phone.status, 400);
    let wrong_email = fixture
        .call(
            "contacts.add",
            json!({"last_name": "Maes", "emails": [{"type": "invoicing", "email": "a@b.be"}]}),
        )
        .await;
    assert_eq!(wrong_email.status, 400);
    let no_country = fixture
        .call(
            "contacts.add",
            json!({"last_name": "Maes", "addresses": [{"type": "primary", "address": {"city": "Gent"}}]}),
        )
        .await;
    assert_eq!(no_country.status, 400);
    let dump = fixture.sim.dump(ACCOUNT_A).unwrap();
    assert_eq!(
        dump["contacts"].as_array().unwrap().len(),
        1,
        "nothing refused was stored"
    );
}

#[tokio::test]
async fn contacts_update_sets_a_custom_field_and_leaves_the_other_fields() {
    let fixture = start().await;
    let number = custom_field(&fixture, "Klantnummer", "contact").await;
    let source = custom_field(&fixture, "Bron", "contact").await;
    let added = fixture
        .call(
            "contacts.add",
            json!({"first_name": "Lotte", "last_name": "Verstraeten",
                   "emails": [{"type": "primary", "email": "lotte@verstraeten.be"}],
                   "telephones": [{"type": "phone", "number": "+32 9 222 33 44"}],
                   "addresses": [{"type": "primary", "address": {"line_1": "Kouter 12", "postal_code": "9000", "city": "Gent", "country": "BE"}}],
                   "tags": ["particulier"],
                   "custom_fields": [{"id": source, "value": "beurs"}]}),
        )
        .await;
    assert_eq!(added.status, 201, "{:?}", added.body);
    let id = added.body["data"]["id"].as_str().unwrap().to_owned();
    let before = fixture.data("contacts.info", json!({"id": id})).await;

    // Half an hour on: access tokens live an hour.
    fixture.sim.clock().advance(chrono::Duration::minutes(30));
    spec_call(
        &fixture,
        "contacts.update",
        json!({"id": id, "custom_fields": [{"id": number, "value": "K-7"}]}),
        204,
    )
    .await;
    assert!(events(&fixture).contains(&("contact.updated".to_owned(), id.clone())));
    let after = spec_call(&fixture, "contacts.info", json!({"id": id}), 200).await;
    let after = &after.body["data"];
    let mut values: Vec<(String, Value)> = after["custom_fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["definition"]["id"].as_str().unwrap().to_owned(),
                f["value"].clone(),
            )
        })
        .collect();
    values.sort_by(|a, b| a.0.cmp(&b.0));
    let mut expected = vec![
        (number.clone(), json!("K-7")),
        (source.clone(), json!("beurs")),
    ];
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(values, expected, "only the definition sent changed");
    for key in [
        "first_name",
        "last_name",
        "emails",
        "telephones",
        "addresses",
        "tags",
        "added_at",
    ] {
        assert_eq!(after[key], before[key], "{key} untouched by the update");
    }
    let updated_at = DateTime::parse_from_rfc3339(after["updated_at"].as_str().unwrap()).unwrap();
    let added_at = DateTime::parse_from_rfc3339(after["added_at"].as_str().unwrap()).unwrap();
    assert!(
        updated_at - added_at >= chrono::Duration::minutes(29),
        "updated_at is the sim's now"
    );

    // Collections are replaced whole, a null clears a custom field (as companies.update: the
    // spec's value types leave null out), names can change.
    let cleared = fixture
        .call(
            "contacts.update",
            json!({"id": id, "first_name": null, "last_name": "Verstraeten-Maes",
                   "telephones": [{"type": "mobile", "number": "+32 470 00 00 00"}],
                   "tags": ["klant"], "custom_fields": [{"id": source, "value": null}],
                   "vat_number": "BE0899623034"}),
        )
        .await;
    assert_eq!(cleared.status, 204, "{:?}", cleared.body);
    let info = fixture.data("contacts.info", json!({"id": id})).await;
    assert_eq!(info["first_name"], "");
    assert_eq!(info["last_name"], "Verstraeten-Maes");
    assert_eq!(
        info["telephones"],
        json!([{"type": "mobile", "number": "+32 470 00 00 00"}])
    );
    assert_eq!(info["tags"], json!(["klant"]));
    assert_eq!(info["emails"], before["emails"]);
    // Not in the spec's contacts.update request, but kept (sole traders have one).
    assert_eq!(info["vat_number"], "BE0899623034");
    assert_eq!(
        info["custom_fields"],
        json!([{"definition": {"type": "customFieldDefinition", "id": number}, "value": "K-7"}])
    );
    // `telephones` is nullable in contacts.update: null clears them; an empty `emails` too.
    spec_call(
        &fixture,
        "contacts.update",
        json!({"id": id, "telephones": null, "emails": []}),
        204,
    )
    .await;
    let info = fixture.data("contacts.info", json!({"id": id})).await;
    assert_eq!(info["telephones"], json!([]));
    assert_eq!(info["emails"], json!([]));

    let empty_name = fixture
        .call("contacts.update", json!({"id": id, "last_name": ""}))
        .await;
    assert_eq!(empty_name.status, 400);
    assert!(empty_name.error_title().contains("last_name"));
}

#[tokio::test]
async fn contacts_update_of_an_unknown_id_is_404_like_contacts_info() {
    let fixture = start().await;
    let update = fixture
        .call(
            "contacts.update",
            json!({"id": "nobody", "last_name": "Maes"}),
        )
        .await;
    assert_eq!(update.status, 404);
    assert_eq!(update.body["errors"][0]["status"], 404);
    assert!(update.error_title().contains("Contact nobody not found"));
    let info = fixture.call("contacts.info", json!({"id": "nobody"})).await;
    assert_eq!(info.status, 404);
    assert_eq!(info.error_title(), update.error_title());
    let no_id = fixture
        .call("contacts.update", json!({"last_name": "Maes"}))
        .await;
    assert_eq!(no_id.status, 400);
    assert!(no_id.error_title().contains("id"));
}

#[tokio::test]
async fn a_company_custom_field_is_refused_on_a_contact() {
    let fixture = start().await;
    // `cf-extid` is seeded with context company.
    let add = fixture
        .call(
            "contacts.add",
            json!({"last_name": "Maes", "custom_fields": [{"id": "cf-extid", "value": "EX-1"}]}),
        )
        .await;
    assert_eq!(add.status, 400, "{:?}", add.body);
    assert!(
        add.error_title().contains("cf-extid"),
        "{}",
        add.error_title()
    );
    assert!(
        add.error_title().contains("contact"),
        "{}",
        add.error_title()
    );
    let created_for_company = custom_field(&fixture, "Sector", "company").await;
    let update = fixture
        .call(
            "contacts.update",
            json!({"id": "cont-1", "custom_fields": [{"id": created_for_company, "value": "horeca"}]}),
        )
        .await;
    assert_eq!(update.status, 400, "{:?}", update.body);
    let info = fixture.data("contacts.info", json!({"id": "cont-1"})).await;
    assert_eq!(info["custom_fields"], json!([]), "nothing stored");
    let dump = fixture.sim.dump(ACCOUNT_A).unwrap();
    assert_eq!(dump["contacts"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn contacts_add_and_update_need_the_contacts_scope() {
    let fixture = start().await;
    fixture.sim.register_app(OAuthApp {
        client_id: "companies-only".to_owned(),
        client_secret: "companies-only-secret".to_owned(),
        redirect_uri: None,
        scopes: Some(vec!["companies".to_owned()]),
    });
    let token = fixture
        .sim
        .issue_tokens(ACCOUNT_A, Some("companies-only"), None)
        .unwrap()
        .access_token;
    for (operation, body) in [
        ("contacts.add", json!({"last_name": "Maes"})),
        (
            "contacts.update",
            json!({"id": "cont-1", "last_name": "Maes"}),
        ),
    ] {
        let denied = fixture.call_with(&token, operation, body).await;
        assert_eq!(denied.status, 403, "{operation}: {:?}", denied.body);
        assert!(denied.error_title().contains("contacts"));
    }
}

#[tokio::test]
async fn injected_faults_hit_the_next_requests_then_stop() {
    let fixture = start().await;
    fixture.sim.inject_fault(Fault {
        kind: FaultKind::Status { status: 500 },
        count: 2,
        endpoint: Some("invoices.list".to_owned()),
    });
    assert_eq!(
        fixture.call("users.me", json!({})).await.status,
        200,
        "other endpoints unaffected"
    );
    assert_eq!(fixture.call("invoices.list", json!({})).await.status, 500);
    assert_eq!(fixture.call("invoices.list", json!({})).await.status, 500);
    assert_eq!(fixture.call("invoices.list", json!({})).await.status, 200);

    fixture.sim.inject_fault(Fault {
        kind: FaultKind::RateLimited {
            reset_after_seconds: 5,
        },
        count: 1,
        endpoint: None,
    });
    let limited = fixture.call("users.me", json!({})).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("x-ratelimit-remaining"), Some("0"));
    let reset = DateTime::parse_from_rfc3339(limited.header("x-ratelimit-reset").unwrap()).unwrap();
    assert!((reset.with_timezone(&Utc) - Utc::now()).num_seconds() <= 5);
    assert_eq!(fixture.call("users.me", json!({})).await.status, 200);

    let counts = fixture.sim.request_counts();
    assert_eq!(counts["invoices.list"], 3);
    assert_eq!(counts["users.me"], 3);
    let log = fixture.sim.requests();
    assert!(
        log.iter()
            .any(|r| r.status == 429 && r.account_id.as_deref() == Some(ACCOUNT_A))
    );
}

#[tokio::test]
async fn the_admin_api_seeds_generated_accounts_and_reports_state() {
    let fixture = start().await;
    let base = &fixture.sim.base_url;
    let generated: Value = fixture
        .http
        .post(format!("{base}/_sim/generate"))
        .json(&json!({"seed": 7, "invoices": 30, "companies": 10, "credit_notes": 3}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let account = generated["account_id"].as_str().unwrap().to_owned();
    assert_eq!(generated["invoices"], 32, "30 booked + 2 drafts");
    let tokens: Value = fixture
        .http
        .post(format!("{base}/_sim/tokens"))
        .json(&json!({"account_id": account}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    let listed = fixture
        .call_with(
            access,
            "invoices.list",
            json!({"filter": {"status": ["outstanding", "matched"]}, "page": {"size": 100}}),
        )
        .await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 30);
    let state: Value = fixture
        .http
        .get(format!("{base}/_sim/state/{account}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["companies"].as_array().unwrap().len(), 10);
    let seeded = fixture
        .http
        .post(format!("{base}/_sim/seed"))
        .json(&json!({
            "id": "acc-json", "name": "Seeded as JSON",
            "departments": [{"id": "d", "name": "D", "vat_number": "BE0403170701",
                             "tax_rates": [{"id": "t21", "rate": 0.21}]}],
            "companies": [{"id": "c", "name": "C"}],
            "invoices": [{"id": "i", "department_id": "d", "customer": {"type": "company", "id": "c"},
                          "invoice_date": "2024-05-01",
                          "lines": [{"description": "x", "quantity": 3, "unit_price": "12.50", "tax_rate_id": "t21"}]}]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(seeded.status().as_u16(), 201);
    let dump = fixture.sim.dump("acc-json").unwrap();
    assert_eq!(dump["invoices"][0]["total"]["payable"]["amount"], 45.38);
    assert_eq!(dump["invoices"][0]["invoice_number"], "2024 / 1");
    let refused = fixture
        .http
        .post(format!("{base}/_sim/seed"))
        .json(&json!({"id": "acc-json"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 400, "ids are unique");
    let inspect: Value = fixture
        .http
        .get(format!("{base}/_sim/inspect"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(inspect["requests_per_endpoint"]["invoices.list"], 1);
    let clock: Value = fixture
        .http
        .post(format!("{base}/_sim/clock"))
        .json(&json!({"advance_seconds": 86400}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let now = DateTime::parse_from_rfc3339(clock["now"].as_str().unwrap()).unwrap();
    assert!((now.with_timezone(&Utc) - Utc::now()).num_hours() >= 23);
}
