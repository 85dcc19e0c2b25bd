//! Every request body koppel-teamleader can send, with optional fields set and unset, checked
//! against the official Teamleader OpenAPI spec in strict mode (no property the spec does not
//! list, no null where the spec does not allow one).

use chrono::{NaiveDate, TimeZone, Utc};
use koppel_core::{
    Address, CompanyQuery, CompanyUpdate, DepartmentId, DocumentId, DocumentKind, DocumentQuery,
    Money, NewCompany, NewContact, Payment, PersonName,
};
use koppel_sim::openapi::{request_validator, violations};
use koppel_teamleader::common::{IdRequest, Order, Page, Sort};
use koppel_teamleader::companies::{CompanyFilter, CompanyListRequest, TagCompanyRequest};
use koppel_teamleader::contacts::{ContactFilter, ContactListRequest, UpdateContactRequest};
use koppel_teamleader::credit_notes::{
    CreditNoteDownloadRequest, CreditNoteFileFormat, CreditNoteFilter, CreditNoteListRequest,
};
use koppel_teamleader::custom_fields::{
    CreateCustomFieldRequest, CustomFieldFilter, CustomFieldListRequest,
};
use koppel_teamleader::departments::{DepartmentFilter, DepartmentListRequest};
use koppel_teamleader::invoices::{
    InvoiceDownloadRequest, InvoiceFileFormat, InvoiceFilter, InvoiceListRequest, InvoiceStatus,
};
use koppel_teamleader::product_categories::{ProductCategoryFilter, ProductCategoryListRequest};
use koppel_teamleader::source::{
    add_company_request, add_contact_request, company_batch_request, company_query_request,
    contact_batch_request, credit_note_list_request, invoice_list_request,
    register_payment_request, update_company_request,
};
use koppel_teamleader::tax_rates::{TaxRateFilter, TaxRateListRequest};
use koppel_teamleader::webhooks::RegisterWebhookRequest;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Value, json};

/// Validate `body` against `operation`'s request schema; collect failures instead of stopping.
fn check<T: Serialize>(failures: &mut Vec<String>, operation: &str, case: &str, body: &T) -> Value {
    let value = serde_json::to_value(body).unwrap();
    let found = violations(&request_validator(operation), &value);
    if !found.is_empty() {
        failures.push(format!(
            "{operation} ({case}): {}\n    body: {value}",
            found.join("; ")
        ));
    }
    value
}

fn assert_none(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "requests that break the spec:\n  {}",
        failures.join("\n  ")
    );
}

fn full_query(kind: DocumentKind) -> DocumentQuery {
    DocumentQuery {
        ids: Vec::new(),
        kind,
        department_id: Some(DepartmentId::new("6a6343fc-fdd8-4bc0-aa69-3a004c710e87")),
        updated_since: Some(Utc.with_ymd_and_hms(2026, 1, 31, 23, 0, 0).unwrap()),
        date_from: Some(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()),
        page: 3,
        page_size: 100,
    }
}

fn bare_query(kind: DocumentKind) -> DocumentQuery {
    DocumentQuery {
        ids: Vec::new(),
        kind,
        department_id: None,
        updated_since: None,
        date_from: None,
        page: 1,
        page_size: 20,
    }
}

#[test]
fn document_requests_conform() {
    let mut failures = Vec::new();
    let full = check(
        &mut failures,
        "invoices.list",
        "every filter",
        &invoice_list_request(&full_query(DocumentKind::Invoice)),
    );
    assert_eq!(full["filter"]["status"], json!(["outstanding", "matched"]));
    assert_eq!(
        full["filter"]["updated_since"],
        json!("2026-01-31T23:00:00+00:00")
    );
    assert_eq!(full["filter"]["invoice_date_after"], json!("2026-01-01"));
    assert_eq!(full["page"], json!({"size": 100, "number": 3}));
    let bare = check(
        &mut failures,
        "invoices.list",
        "no filter",
        &invoice_list_request(&bare_query(DocumentKind::Invoice)),
    );
    assert_eq!(
        bare["filter"],
        json!({"status": ["outstanding", "matched"]}),
        "unset filters are left out"
    );
    check(
        &mut failures,
        "invoices.list",
        "ids, before, descending",
        &InvoiceListRequest {
            filter: InvoiceFilter {
                ids: vec!["a".into(), "b".into()],
                status: vec![InvoiceStatus::Draft],
                invoice_date_before: Some("2026-02-01".into()),
                ..InvoiceFilter::default()
            },
            page: Page::new(1, 500),
            sort: vec![
                Sort {
                    field: "invoice_date".into(),
                    order: Some(Order::Desc),
                },
                Sort {
                    field: "invoice_number".into(),
                    order: None,
                },
            ],
        },
    );
    check(
        &mut failures,
        "creditNotes.list",
        "every filter",
        &credit_note_list_request(&full_query(DocumentKind::CreditNote)),
    );
    let bare = check(
        &mut failures,
        "creditNotes.list",
        "no filter",
        &credit_note_list_request(&bare_query(DocumentKind::CreditNote)),
    );
    assert_eq!(
        bare,
        json!({"filter": {}, "page": {"size": 20, "number": 1}})
    );
    check(
        &mut failures,
        "creditNotes.list",
        "ids, invoice, before",
        &CreditNoteListRequest {
            filter: CreditNoteFilter {
                ids: vec!["a".into()],
                invoice_id: Some("inv".into()),
                credit_note_date_before: Some("2026-02-01".into()),
                ..CreditNoteFilter::default()
            },
            page: Page::new(2, 50),
        },
    );
    let id = IdRequest {
        id: "27300f09-6250-4a23-8557-d84c52f99ecf".into(),
    };
    check(&mut failures, "invoices.info", "id", &id);
    check(&mut failures, "creditNotes.info", "id", &id);
    for format in [
        InvoiceFileFormat::Pdf,
        InvoiceFileFormat::UblEfff,
        InvoiceFileFormat::UblPeppolBis3,
    ] {
        check(
            &mut failures,
            "invoices.download",
            &format!("{format:?}"),
            &InvoiceDownloadRequest {
                id: id.id.clone(),
                format,
            },
        );
    }
    for format in [CreditNoteFileFormat::Pdf, CreditNoteFileFormat::UblEfff] {
        check(
            &mut failures,
            "creditNotes.download",
            &format!("{format:?}"),
            &CreditNoteDownloadRequest {
                id: id.id.clone(),
                format,
            },
        );
    }
    let payment = Payment {
        amount: Money::eur(Decimal::new(12345, 2)),
        paid_at: Utc.with_ymd_and_hms(2026, 2, 3, 10, 0, 0).unwrap(),
    };
    let mut request = register_payment_request(&DocumentId::new("inv-1"), &payment);
    let body = check(
        &mut failures,
        "invoices.registerPayment",
        "no method",
        &request,
    );
    assert_eq!(
        body["payment"],
        json!({"amount": 123.45, "currency": "EUR"}),
        "amounts go out as JSON numbers"
    );
    assert_eq!(body["paid_at"], json!("2026-02-03T10:00:00+00:00"));
    request.payment_method_id = Some("method-1".into());
    check(
        &mut failures,
        "invoices.registerPayment",
        "with method",
        &request,
    );
    assert_none(failures);
}

#[test]
fn company_and_contact_requests_conform() {
    let mut failures = Vec::new();
    for (case, query) in [
        ("vat", CompanyQuery::VatNumber("BE0899623035".into())),
        ("term", CompanyQuery::Term("Pied".into())),
        ("all", CompanyQuery::All),
    ] {
        check(
            &mut failures,
            "companies.list",
            case,
            &company_query_request(&query, 2),
        );
    }
    let ids: Vec<String> = (0..100).map(|n| format!("id-{n}")).collect();
    let batch = check(
        &mut failures,
        "companies.list",
        "batch by ids",
        &company_batch_request(&ids),
    );
    assert_eq!(batch["filter"]["ids"].as_array().unwrap().len(), 100);
    assert_eq!(batch["includes"], json!("custom_fields"));
    check(
        &mut failures,
        "companies.list",
        "every filter, sorted",
        &CompanyListRequest {
            filter: CompanyFilter {
                ids: vec!["a".into()],
                term: Some("x".into()),
                updated_since: Some("2026-01-01T00:00:00+00:00".into()),
                tags: vec!["Exact Online Import".into()],
                vat_number: Some("BE0899623035".into()),
                status: Some("active".into()),
            },
            page: Page::new(1, 100),
            sort: vec![Sort {
                field: "name".into(),
                order: Some(Order::Asc),
            }],
            includes: None,
        },
    );
    check(
        &mut failures,
        "contacts.list",
        "batch by ids",
        &contact_batch_request(&ids),
    );
    check(
        &mut failures,
        "contacts.list",
        "every filter",
        &ContactListRequest {
            filter: ContactFilter {
                ids: vec!["a".into()],
                company_id: Some("c".into()),
                term: Some("x".into()),
                updated_since: Some("2026-01-01T00:00:00+00:00".into()),
            },
            page: Page::new(1, 10),
            includes: None,
        },
    );
    let id = IdRequest {
        id: "e8d31ae7-8258-4fcd-9b2d-78f41b0aa5d5".into(),
    };
    check(&mut failures, "companies.info", "id", &id);
    check(&mut failures, "companies.delete", "id", &id);
    check(&mut failures, "contacts.info", "id", &id);
    check(
        &mut failures,
        "companies.tag",
        "tags",
        &TagCompanyRequest {
            id: id.id.clone(),
            tags: vec!["Exact Online Import".into()],
        },
    );

    let full = NewCompany {
        name: "Pied Piper".into(),
        vat_number: Some("BE0899623035".into()),
        email: Some("info@piedpiper.eu".into()),
        phone: Some(" 09 298 06 15 ".into()),
        address: Some(Address {
            line_1: Some("Dok Noord 3A 101".into()),
            postal_code: Some("9000".into()),
            city: Some("Ghent".into()),
            country: Some("BE".into()),
        }),
        tags: vec!["Exact Online Import".into()],
        external_id: Some("4711".into()),
    };
    let body = check(
        &mut failures,
        "companies.add",
        "every field",
        &add_company_request(&full, Some("field-1")),
    );
    assert_eq!(
        body["custom_fields"],
        json!([{"id": "field-1", "value": "4711"}])
    );
    assert_eq!(
        body["telephones"],
        json!([{"type": "phone", "number": "09 298 06 15"}])
    );
    let partial_address = NewCompany {
        address: Some(Address {
            line_1: None,
            postal_code: None,
            city: Some("Gent".into()),
            country: Some("be".into()),
        }),
        ..full.clone()
    };
    check(
        &mut failures,
        "companies.add",
        "address with nulls",
        &add_company_request(&partial_address, Some("field-1")),
    );
    let minimal = NewCompany {
        name: "Hooli".into(),
        vat_number: None,
        email: None,
        phone: Some("  ".into()),
        address: Some(Address::default()),
        tags: Vec::new(),
        external_id: None,
    };
    let body = check(
        &mut failures,
        "companies.add",
        "name only",
        &add_company_request(&minimal, None),
    );
    assert_eq!(
        body,
        json!({"name": "Hooli"}),
        "an address without a country is not sent"
    );

    let jan = NewContact {
        name: PersonName {
            first_name: Some("Jan".into()),
            last_name: "Peeters".into(),
        },
        email: Some("jan@peeters.be".into()),
        phone: Some("0475 12 34 56".into()),
        address: full.address.clone(),
        language: Some("NL".into()),
        tags: vec!["Exact Online Import".into()],
        external_id: Some("4712".into()),
    };
    let body = check(
        &mut failures,
        "contacts.add",
        "every field",
        &add_contact_request(&jan, Some("field-2")),
    );
    assert_eq!(
        (&body["first_name"], &body["last_name"], &body["language"]),
        (&json!("Jan"), &json!("Peeters"), &json!("nl"))
    );
    assert_eq!(
        body["custom_fields"],
        json!([{"id": "field-2", "value": "4712"}])
    );
    let whole_name = NewContact {
        name: PersonName {
            first_name: Some(" ".into()),
            last_name: " Marie Dubois ".into(),
        },
        email: None,
        phone: None,
        address: None,
        language: None,
        tags: Vec::new(),
        external_id: None,
    };
    let body = check(
        &mut failures,
        "contacts.add",
        "last name only",
        &add_contact_request(&whole_name, None),
    );
    assert_eq!(body, json!({"last_name": "Marie Dubois"}));
    check(
        &mut failures,
        "contacts.update",
        "external id",
        &UpdateContactRequest {
            id: "contact-1".into(),
            custom_fields: vec![koppel_teamleader::common::CustomFieldInput {
                id: "field-2".into(),
                value: "4712".into(),
            }],
        },
    );
    check(
        &mut failures,
        "customFieldDefinitions.create",
        "on contacts",
        &CreateCustomFieldRequest::external_id_on_contacts(),
    );

    let updates = [
        (
            "name",
            CompanyUpdate {
                name: Some("New".into()),
                ..CompanyUpdate::default()
            },
        ),
        (
            "vat",
            CompanyUpdate {
                vat_number: Some("BE0899623035".into()),
                ..CompanyUpdate::default()
            },
        ),
        (
            "external id",
            CompanyUpdate {
                external_id: Some("4711".into()),
                ..CompanyUpdate::default()
            },
        ),
        (
            "everything",
            CompanyUpdate {
                name: Some("N".into()),
                vat_number: Some("NL123456789B01".into()),
                external_id: Some("1".into()),
            },
        ),
    ];
    for (case, update) in updates {
        let request = update_company_request("comp-1", &update, Some("field-1"))
            .expect("something to change");
        check(&mut failures, "companies.update", case, &request);
    }
    assert_eq!(
        update_company_request("comp-1", &CompanyUpdate::default(), Some("f")),
        None,
        "nothing to send"
    );
    assert_none(failures);
}

#[test]
fn settings_and_webhook_requests_conform() {
    let mut failures = Vec::new();
    let body = check(
        &mut failures,
        "departments.list",
        "no filter",
        &DepartmentListRequest::default(),
    );
    assert_eq!(body, json!({}));
    check(
        &mut failures,
        "departments.list",
        "filters",
        &DepartmentListRequest {
            filter: DepartmentFilter {
                ids: vec!["d".into()],
                status: vec!["active".into()],
            },
        },
    );
    check(
        &mut failures,
        "taxRates.list",
        "no filter",
        &TaxRateListRequest {
            filter: TaxRateFilter::default(),
            page: Page::new(1, 100),
        },
    );
    check(
        &mut failures,
        "taxRates.list",
        "department",
        &TaxRateListRequest {
            filter: TaxRateFilter {
                department_id: Some("d".into()),
            },
            page: Page::new(2, 100),
        },
    );
    check(
        &mut failures,
        "productCategories.list",
        "no filter",
        &ProductCategoryListRequest::default(),
    );
    check(
        &mut failures,
        "productCategories.list",
        "department",
        &ProductCategoryListRequest {
            filter: ProductCategoryFilter {
                department_id: Some("d".into()),
            },
        },
    );
    check(
        &mut failures,
        "customFieldDefinitions.list",
        "no filter",
        &CustomFieldListRequest {
            filter: CustomFieldFilter::default(),
            page: Page::new(1, 100),
        },
    );
    check(
        &mut failures,
        "customFieldDefinitions.list",
        "filters",
        &CustomFieldListRequest {
            filter: CustomFieldFilter {
                ids: vec!["f".into()],
                context: Some("company".into()),
            },
            page: Page::new(1, 100),
        },
    );
    check(
        &mut failures,
        "customFieldDefinitions.create",
        "external id",
        &CreateCustomFieldRequest::external_id_on_companies(),
    );
    check(
        &mut failures,
        "webhooks.register",
        "invoice events",
        &RegisterWebhookRequest {
            url: "https://koppel.example/hook".into(),
            types: vec!["invoice.booked".into(), "creditNote.booked".into()],
        },
    );
    // What near-real-time export registers and, when a connection is removed, unregisters.
    let booked = RegisterWebhookRequest::new(
        "https://koppel.example/webhooks/teamleader/c-1/token",
        &koppel_core::jobs::webhook::BOOKED_EVENT_TYPES,
    );
    let sent = check(&mut failures, "webhooks.register", "booked events", &booked);
    assert_eq!(
        sent["types"],
        json!(["invoice.booked", "creditNote.booked"])
    );
    check(
        &mut failures,
        "webhooks.unregister",
        "booked events",
        &booked,
    );
    // Operations without a body get an empty JSON object.
    check(&mut failures, "users.me", "empty", &serde_json::Map::new());
    check(
        &mut failures,
        "webhooks.list",
        "empty",
        &serde_json::Map::new(),
    );
    assert_none(failures);
}

#[test]
fn the_validator_catches_what_koppel_must_never_send() {
    // The checks above can fail: a null, an unknown property and a string amount are refused.
    let validator = request_validator("invoices.registerPayment");
    let good = json!({"id": "i", "payment": {"amount": 1.5, "currency": "EUR"}, "paid_at": "2026-01-01T00:00:00+00:00"});
    assert!(violations(&validator, &good).is_empty());
    for bad in [
        json!({"id": "i", "payment": {"amount": "1.5", "currency": "EUR"}, "paid_at": "2026-01-01T00:00:00+00:00"}),
        json!({"id": "i", "payment": {"amount": 1.5, "currency": "EUR"}, "paid_at": "2026-01-01T00:00:00+00:00", "payment_method_id": null}),
        json!({"id": "i", "payment": {"amount": 1.5, "currency": "EUR"}, "paid_at": "2026-01-01T00:00:00+00:00", "note": "x"}),
    ] {
        assert!(!violations(&validator, &bad).is_empty(), "accepted {bad}");
    }
}
