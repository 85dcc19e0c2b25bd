//! Response conformance: every endpoint the Teamleader simulator serves answers with a body
//! the official OpenAPI spec (v1.112.0) accepts in STRICT mode (no properties the spec does not
//! list), and with a status the spec documents. The requests the tests send are checked
//! against the spec too, so the simulator is exercised with spec-valid input.

mod teamleader_support;

use koppel_sim::openapi::{self, Strictness};
use koppel_sim::teamleader::{GenerateSpec, SimOptions};
use serde_json::{Value, json};
use teamleader_support::{Fixture, start, start_with};

/// Send a spec-valid request and check the answer against the spec; returns the body.
async fn conforming(fixture: &Fixture, token: &str, operation: &str, body: Value) -> Value {
    openapi::assert_conforms(
        &openapi::request_validator(operation),
        &body,
        &format!("{operation} request (test input)"),
    );
    let answer = fixture.call_with(token, operation, body).await;
    let documented = openapi::documented_statuses(operation).unwrap();
    assert!(
        documented.contains(&answer.status),
        "{operation} answered {} but the spec documents {documented:?}: {:?}",
        answer.status,
        answer.body
    );
    if answer.status != 204 {
        openapi::assert_conforms(
            &openapi::response_validator(operation, answer.status),
            &answer.body,
            &format!("{operation} response"),
        );
    } else {
        assert!(answer.body.is_null(), "{operation}: 204 with a body");
    }
    answer.body
}

#[tokio::test]
async fn every_served_endpoint_answers_as_the_spec_says() {
    let fixture = start().await;
    let a = fixture.token_a.clone();
    let check = |operation: &'static str, body: Value| {
        let fixture = &fixture;
        let a = a.clone();
        async move { conforming(fixture, &a, operation, body).await }
    };

    check("users.me", json!({})).await;
    check("departments.list", json!({})).await;
    check(
        "taxRates.list",
        json!({"filter": {"department_id": "dep-a1"}}),
    )
    .await;
    check(
        "productCategories.list",
        json!({"filter": {"department_id": "dep-a2"}}),
    )
    .await;
    check("productCategories.list", json!({})).await;
    let created = check(
        "customFieldDefinitions.create",
        json!({"label": "Exact ID", "type": "single_line", "context": "company"}),
    )
    .await;
    let definition = created["data"]["id"].as_str().unwrap().to_owned();
    check(
        "customFieldDefinitions.list",
        json!({"filter": {"context": "company"}, "page": {"size": 50, "number": 1}}),
    )
    .await;
    check("customFieldDefinitions.info", json!({"id": definition})).await;
    check("webhooks.register", json!({"url": "https://koppel.example/hook", "types": ["invoice.booked", "invoice.paymentRegistered"]})).await;
    let hooks = check("webhooks.list", json!({})).await;
    assert_eq!(hooks["data"].as_array().unwrap().len(), 1);

    // Invoices in every state: draft, outstanding, matched, partly paid, with discounts.
    let drafted = check(
        "invoices.draft",
        json!({
            "invoicee": {"customer": {"type": "company", "id": "comp-1"}},
            "department_id": "dep-a1",
            "payment_term": {"type": "end_of_month", "days": 30},
            "currency": {"code": "EUR"},
            "purchase_order_number": "PO-1",
            "grouped_lines": [{"section": {"title": "Diensten"}, "line_items": [
                {"quantity": 1.5, "description": "Advies", "extended_description": "Op locatie",
                 "unit_price": {"amount": 80, "tax": "excluding"}, "tax_rate_id": "tax-a1-21",
                 "discount": {"type": "percentage", "value": 5}, "product_category_id": "cat-services"}
            ]}]
        }),
    )
    .await;
    let new_invoice = drafted["data"]["id"].as_str().unwrap().to_owned();
    check("invoices.info", json!({"id": new_invoice})).await;
    check(
        "invoices.book",
        json!({"id": new_invoice, "on": "2024-03-05"}),
    )
    .await;
    check(
        "invoices.registerPayment",
        json!({"id": "inv-3", "payment": {"amount": 50, "currency": "EUR"}, "paid_at": "2024-03-06T12:00:00+00:00"}),
    )
    .await;
    for id in [
        "inv-1",
        "inv-2",
        "inv-3",
        "inv-4",
        "inv-5",
        new_invoice.as_str(),
    ] {
        check("invoices.info", json!({"id": id, "includes": "late_fees"})).await;
    }
    check(
        "invoices.list",
        json!({"filter": {"status": ["draft", "outstanding", "matched"], "department_id": "dep-a1",
                          "updated_since": "2020-01-01T00:00:00+00:00", "invoice_date_after": "2020-01-01",
                          "invoice_date_before": "2030-01-01"},
               "page": {"size": 100, "number": 1},
               "sort": [{"field": "invoice_date", "order": "asc"}]}),
    )
    .await;
    check("invoices.list", json!({})).await;
    for format in ["pdf", "ubl/e-fff", "ubl/peppol_bis_3"] {
        check(
            "invoices.download",
            json!({"id": "inv-1", "format": format}),
        )
        .await;
    }
    check("invoices.removePayments", json!({"id": "inv-3"})).await;

    check("creditNotes.list", json!({"filter": {"department_id": "dep-a1", "credit_note_date_after": "2024-01-01"}, "page": {"size": 10, "number": 1}})).await;
    for id in ["cn-1", "cn-2"] {
        let info = check("creditNotes.info", json!({"id": id})).await;
        assert_eq!(
            info["data"].as_array().map(Vec::len),
            Some(1),
            "the spec's array shape"
        );
    }
    for format in ["pdf", "ubl/e-fff"] {
        check(
            "creditNotes.download",
            json!({"id": "cn-1", "format": format}),
        )
        .await;
    }

    let added = check(
        "companies.add",
        json!({"name": "Imprimerie Dubois SRL", "vat_number": "BE0403170701",
               "emails": [{"type": "primary", "email": "info@dubois.be"}],
               "telephones": [{"type": "phone", "number": "+32 9 123 45 67"}],
               "addresses": [{"type": "invoicing", "address": {"line_1": "Rue Haute 5", "postal_code": "4000", "city": "Liège", "country": "BE", "addressee": "Compta"}}],
               "language": "fr", "tags": ["Exact Online Import"],
               "custom_fields": [{"id": "cf-extid", "value": "EX-9"}]}),
    )
    .await;
    let company = added["data"]["id"].as_str().unwrap().to_owned();
    check("companies.update", json!({"id": company, "website": "https://dubois.be", "iban": null, "custom_fields": [{"id": definition, "value": "123"}]})).await;
    check("companies.tag", json!({"id": company, "tags": ["vip"]})).await;
    check("companies.info", json!({"id": company})).await;
    check("companies.info", json!({"id": "comp-1"})).await;
    check("companies.info", json!({"id": "comp-2"})).await;
    check("companies.list", json!({"filter": {"term": "e"}, "page": {"size": 5, "number": 1}, "sort": [{"field": "name"}]})).await;
    check("companies.list", json!({"includes": "custom_fields"})).await;
    check("companies.untag", json!({"id": company, "tags": ["vip"]})).await;
    check("contacts.info", json!({"id": "cont-1"})).await;
    check("contacts.list", json!({"filter": {"ids": ["cont-1"]}})).await;
    check("contacts.list", json!({"includes": "custom_fields"})).await;
    let added = check(
        "contacts.add",
        json!({"first_name": "Jan", "last_name": "Peeters",
               "emails": [{"type": "primary", "email": "jan@peeters.be"}],
               "telephones": [{"type": "mobile", "number": "0475 12 34 56"}],
               "addresses": [{"type": "primary", "address": {"line_1": "Kerkstraat 1", "postal_code": "9000", "city": "Gent", "country": "BE"}}],
               "language": "nl", "tags": ["Exact Online Import"]}),
    )
    .await;
    let contact = added["data"]["id"].as_str().unwrap().to_owned();
    check(
        "contacts.update",
        json!({"id": contact, "first_name": "Johan"}),
    )
    .await;
    check("contacts.info", json!({"id": contact})).await;
    check("companies.delete", json!({"id": company})).await;
    check("webhooks.unregister", json!({"url": "https://koppel.example/hook", "types": ["invoice.booked", "invoice.paymentRegistered"]})).await;
    check("invoices.delete", json!({"id": new_invoice})).await;
}

#[tokio::test]
async fn a_generated_account_conforms_document_by_document() {
    let fixture = start().await;
    let account = fixture
        .sim
        .generate(&GenerateSpec {
            seed: 11,
            departments: 2,
            companies: 15,
            contacts: 5,
            invoices: 60,
            drafts: 3,
            credit_notes: 8,
            ..GenerateSpec::default()
        })
        .unwrap();
    let token = fixture
        .sim
        .issue_tokens(&account, None, None)
        .unwrap()
        .access_token;
    let mut invoices = Vec::new();
    for page in 1..=2 {
        let listed = conforming(
            &fixture,
            &token,
            "invoices.list",
            json!({"page": {"size": 50, "number": page}}),
        )
        .await;
        invoices.extend(
            listed["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_owned()),
        );
    }
    assert_eq!(invoices.len(), 63);
    for id in &invoices {
        conforming(&fixture, &token, "invoices.info", json!({"id": id})).await;
    }
    let notes = conforming(&fixture, &token, "creditNotes.list", json!({})).await;
    for note in notes["data"].as_array().unwrap() {
        conforming(
            &fixture,
            &token,
            "creditNotes.info",
            json!({"id": note["id"]}),
        )
        .await;
    }
    let companies = conforming(
        &fixture,
        &token,
        "companies.list",
        json!({"page": {"size": 100}}),
    )
    .await;
    for company in companies["data"].as_array().unwrap() {
        conforming(
            &fixture,
            &token,
            "companies.info",
            json!({"id": company["id"]}),
        )
        .await;
    }
    let contacts = conforming(&fixture, &token, "contacts.list", json!({})).await;
    for contact in contacts["data"].as_array().unwrap() {
        conforming(
            &fixture,
            &token,
            "contacts.info",
            json!({"id": contact["id"]}),
        )
        .await;
    }
}

#[tokio::test]
async fn strict_validation_catches_unknown_and_missing_fields() {
    let fixture = start().await;
    let answer = fixture.call("invoices.info", json!({"id": "inv-1"})).await;
    let validator = openapi::response_validator("invoices.info", 200);
    assert!(openapi::violations(&validator, &answer.body).is_empty());

    let mut extra = answer.body.clone();
    extra["data"]["grouped_lines"][0]["line_items"][0]["ledger"] = json!("700000");
    let found = openapi::violations(&validator, &extra);
    assert!(found.iter().any(|v| v.contains("ledger")), "{found:?}");

    let mut missing = answer.body.clone();
    missing["data"]["total"]["payable"]
        .as_object_mut()
        .unwrap()
        .remove("currency");
    assert!(!openapi::violations(&validator, &missing).is_empty());

    let mut wrong_type = answer.body.clone();
    wrong_type["data"]["total"]["due"]["amount"] = json!("12.00");
    assert!(!openapi::violations(&validator, &wrong_type).is_empty());

    // As written, the spec lets unknown properties through; strict mode is what bites.
    let loose =
        openapi::try_response_validator("invoices.info", 200, Strictness::AsWritten).unwrap();
    assert!(loose.is_valid(&extra));
}

#[tokio::test]
async fn credit_note_info_can_answer_with_an_object_whose_content_conforms() {
    let fixture = start_with(SimOptions {
        credit_note_info_as_object: true,
        ..SimOptions::default()
    })
    .await;
    let answer = fixture
        .call("creditNotes.info", json!({"id": "cn-1"}))
        .await;
    assert_eq!(answer.status, 200);
    assert!(answer.body["data"].is_object());
    let validator = openapi::response_validator("creditNotes.info", 200);
    assert!(
        !validator.is_valid(&answer.body),
        "the object shape is the documented deviation"
    );
    let as_spec = json!({"data": [answer.body["data"].clone()]});
    openapi::assert_conforms(&validator, &as_spec, "creditNotes.info content");
}
