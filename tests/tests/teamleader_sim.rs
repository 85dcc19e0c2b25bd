//! koppel-teamleader against the Teamleader simulator: paging, drafts, mapping, batching,
//! payments, companies, files, OAuth, faults, and every request body checked against the spec.

mod teamleader_support;

use chrono::{NaiveDate, TimeZone, Utc};
use koppel_core::{
    CompanyQuery, CompanyUpdate, CustomerRef, DepartmentId, DocumentId, DocumentKind,
    DocumentQuery, ExternalError, FileFormat, Money, NewCompany, NewContact, Payment,
    PaymentMethod, PersonName, Source, SourceStatus,
};
use koppel_sim::openapi::{request_validator, violations};
use koppel_sim::teamleader::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Fault, FaultKind, GenerateSpec, SeedAccount,
    SeedAddress, SeedCompany, SeedContact, SeedCreditNote, SeedCustomField, SeedCustomer,
    SeedDepartment, SeedInvoice, SeedInvoiceStatus, SeedLedger, SeedLine, SeedPaymentTerm,
    SeedProductCategory, SeedTaxRate, generate,
};
use koppel_teamleader::companies::TagCompanyRequest;
use koppel_teamleader::webhooks::RegisterWebhookRequest;
use koppel_teamleader::{TeamleaderClient, TeamleaderUrls};
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;
use teamleader_support::{Stub, harness, harness_via};

const DEPARTMENT: &str = "dep-koppel";
const RATE_21: &str = "rate-21";
const RATE_6: &str = "rate-6";
const CATEGORY: &str = "cat-services";
const EXTERNAL_FIELD: &str = "field-external-id";
const BREWERY: &str = "company-brewery";
const BAKERY: &str = "company-bakery";
const PERSON: &str = "contact-zoe";
const INVOICE: &str = "invoice-1";
const DRAFT: &str = "invoice-draft";
const PAID_LATER: &str = "invoice-3";

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::from_str(text).unwrap()
}

fn line(
    description: &str,
    quantity: &str,
    price: &str,
    rate: &str,
    discount: Option<&str>,
) -> SeedLine {
    SeedLine {
        description: description.into(),
        quantity: Some(d(quantity)),
        unit_price: d(price),
        tax_rate_id: rate.into(),
        discount_percent: discount.map(d),
        product_category_id: (rate == RATE_21).then(|| CATEGORY.to_owned()),
    }
}

fn credit_note(id: &str, day: &str, number: &str) -> SeedCreditNote {
    SeedCreditNote {
        id: Some(id.into()),
        invoice_id: Some(INVOICE.into()),
        credit_note_date: Some(date(day)),
        number: Some(number.into()),
        lines: vec![line("Refund", "1", "10", RATE_21, None)],
        ..SeedCreditNote::default()
    }
}

/// A small account with every case the mapping must handle.
fn small_account() -> SeedAccount {
    SeedAccount {
        name: "Koppel test".into(),
        departments: vec![SeedDepartment {
            id: Some(DEPARTMENT.into()),
            name: "Koppel BV".into(),
            vat_number: "BE0899623035".into(),
            tax_rates: vec![
                SeedTaxRate {
                    id: Some(RATE_21.into()),
                    rate: d("0.21"),
                    description: Some("21%".into()),
                },
                SeedTaxRate {
                    id: Some(RATE_6.into()),
                    rate: d("0.06"),
                    description: None,
                },
            ],
            ..SeedDepartment::default()
        }],
        product_categories: vec![SeedProductCategory {
            id: Some(CATEGORY.into()),
            name: "Services".into(),
            ledgers: vec![SeedLedger {
                department_id: DEPARTMENT.into(),
                ledger_account_number: "700000".into(),
            }],
        }],
        custom_fields: vec![SeedCustomField {
            id: Some(EXTERNAL_FIELD.into()),
            context: "company".into(),
            kind: None,
            label: "External ID".into(),
        }],
        companies: vec![
            SeedCompany {
                id: Some(BREWERY.into()),
                name: "Brouwerij Çelik BV".into(),
                vat_number: Some("be 0899.623.035".into()),
                email: Some("info@celik.be".into()),
                address: Some(SeedAddress {
                    line_1: Some("Dok Noord 3A".into()),
                    postal_code: Some("9000".into()),
                    city: Some("Gent".into()),
                    country: Some("BE".into()),
                }),
                custom_fields: BTreeMap::from([(EXTERNAL_FIELD.to_owned(), json!("4711"))]),
                ..SeedCompany::default()
            },
            SeedCompany {
                id: Some(BAKERY.into()),
                name: "Bakkerij Peeters".into(),
                ..SeedCompany::default()
            },
        ],
        contacts: vec![SeedContact {
            id: Some(PERSON.into()),
            first_name: "Zoë".into(),
            last_name: "Peeters".into(),
            ..SeedContact::default()
        }],
        invoices: vec![
            SeedInvoice {
                id: Some(INVOICE.into()),
                department_id: DEPARTMENT.into(),
                customer: SeedCustomer {
                    kind: "company".into(),
                    id: BREWERY.into(),
                },
                invoice_date: Some(date("2026-02-01")),
                number: Some("2026 / 1".into()),
                lines: vec![
                    line("Consultancy", "3", "100.10", RATE_21, Some("10")),
                    line("Boeken", "0.5", "0.10", RATE_6, None),
                ],
                payment_term: Some(SeedPaymentTerm {
                    kind: "after_invoice_date".into(),
                    days: 30,
                }),
                ..SeedInvoice::default()
            },
            SeedInvoice {
                id: Some(DRAFT.into()),
                department_id: DEPARTMENT.into(),
                customer: SeedCustomer {
                    kind: "contact".into(),
                    id: PERSON.into(),
                },
                status: SeedInvoiceStatus::Draft,
                lines: vec![line("Draft work", "1", "50", RATE_21, None)],
                ..SeedInvoice::default()
            },
            SeedInvoice {
                id: Some(PAID_LATER.into()),
                department_id: DEPARTMENT.into(),
                customer: SeedCustomer {
                    kind: "contact".into(),
                    id: PERSON.into(),
                },
                invoice_date: Some(date("2026-02-03")),
                number: Some("2026 / 2".into()),
                lines: vec![line("Installatie", "1", "450", RATE_21, None)],
                ..SeedInvoice::default()
            },
        ],
        credit_notes: vec![
            credit_note("credit-0131", "2026-01-31", "2026 / 1"),
            credit_note("credit-0201", "2026-02-01", "2026 / 2"),
            credit_note("credit-0202", "2026-02-02", "2026 / 3"),
        ],
        ..SeedAccount::default()
    }
}

fn query(kind: DocumentKind) -> DocumentQuery {
    DocumentQuery {
        ids: Vec::new(),
        kind,
        department_id: None,
        updated_since: None,
        date_from: None,
        page: 1,
        page_size: 100,
    }
}

#[tokio::test]
async fn booked_invoices_are_listed_across_pages_without_drafts() {
    let spec = GenerateSpec {
        invoices: 250,
        drafts: 7,
        credit_notes: 0,
        companies: 10,
        contacts: 3,
        ..GenerateSpec::default()
    };
    let h = harness(generate(&spec, Utc::now())).await;
    let dump = h.sim.dump(&h.account).unwrap();
    let drafts: Vec<String> = dump["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|invoice| invoice["status"] == "draft")
        .map(|invoice| invoice["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(drafts.len(), 7);

    let all = h
        .client
        .all_booked_documents(&query(DocumentKind::Invoice))
        .await
        .unwrap();
    assert_eq!(all.len(), 250);
    assert_eq!(
        h.sim.request_count("invoices.list"),
        3,
        "250 invoices at 100 per page is 3 calls"
    );
    assert!(
        all.iter()
            .all(|summary| summary.status.is_booked() && summary.number.is_some())
    );
    assert!(all.iter().all(|summary| !drafts.contains(&summary.id.0)));
    let mut ids: Vec<&str> = all.iter().map(|summary| summary.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 250, "no invoice twice across pages");

    let third = h
        .client
        .booked_documents(&DocumentQuery {
            ids: Vec::new(),
            page: 3,
            ..query(DocumentKind::Invoice)
        })
        .await
        .unwrap();
    assert_eq!(third.len(), 50);
    let department = all[0].department_id.clone();
    let only = h
        .client
        .all_booked_documents(&DocumentQuery {
            ids: Vec::new(),
            department_id: Some(department.clone()),
            ..query(DocumentKind::Invoice)
        })
        .await
        .unwrap();
    assert!(
        only.iter()
            .all(|summary| summary.department_id == department)
    );
}

#[tokio::test]
async fn invoice_maps_lines_discount_and_tax_exclusive_totals() {
    let h = harness(small_account()).await;
    let listed = h
        .client
        .all_booked_documents(&query(DocumentKind::Invoice))
        .await
        .unwrap();
    let numbers: Vec<_> = listed.iter().map(|s| s.number.clone().unwrap()).collect();
    assert_eq!(
        numbers,
        vec!["2026 / 1".to_owned(), "2026 / 2".to_owned()],
        "oldest number first, no draft"
    );
    assert_eq!(listed[0].customer, CustomerRef::company(BREWERY));
    assert_eq!(listed[1].customer, CustomerRef::contact(PERSON));

    let document = h
        .client
        .document(DocumentKind::Invoice, &DocumentId::new(INVOICE))
        .await
        .unwrap();
    assert_eq!(document.status, SourceStatus::Outstanding);
    assert_eq!(document.department_id, DepartmentId::new(DEPARTMENT));
    assert_eq!(document.date, date("2026-02-01"));
    assert_eq!(document.due_on, Some(date("2026-03-03")));
    assert_eq!(document.payment_term_days, Some(30));
    assert_eq!(document.lines.len(), 2);
    let consultancy = &document.lines[0];
    assert_eq!(consultancy.quantity, d("3"));
    assert_eq!(consultancy.unit_price, d("100.10"));
    assert_eq!(consultancy.discount.as_ref().unwrap().percentage, d("10"));
    assert_eq!(consultancy.total_excl, d("270.27"), "3 × 100.10 − 10 %");
    assert_eq!(consultancy.discount_amount(), d("30.03"));
    assert_eq!(consultancy.vat_percentage, Some(d("21")));
    assert_eq!(consultancy.tax_rate_id.as_ref().unwrap().as_str(), RATE_21);
    assert_eq!(
        consultancy.product_category_id.as_ref().unwrap().as_str(),
        CATEGORY
    );
    let books = &document.lines[1];
    assert_eq!(books.total_excl, d("0.05"));
    assert_eq!(books.vat_percentage, Some(d("6")));
    assert_eq!(books.discount, None);
    let line_sum: Decimal = document.lines.iter().map(|line| line.total_excl).sum();
    assert_eq!(document.total_excl.amount, line_sum);
    let tax_sum: Decimal = document.taxes.iter().map(|tax| tax.tax).sum();
    assert_eq!(
        document.total_incl.amount,
        document.total_excl.amount + tax_sum
    );
    assert!(
        document
            .taxes
            .iter()
            .any(|tax| tax.rate == d("21") && tax.taxable == d("270.27"))
    );
    assert!(
        document
            .payment_reference
            .as_deref()
            .is_some_and(|r| r.starts_with("+++"))
    );
    assert_ne!(
        document.expected_payment_method,
        Some(PaymentMethod::DirectDebit)
    );
    assert!(!document.paid);

    let missing = h
        .client
        .document(DocumentKind::Invoice, &DocumentId::new("no-such-invoice"))
        .await
        .unwrap_err();
    match missing {
        ExternalError::NotFound { what, .. } => {
            assert!(what.contains("Invoice no-such-invoice not found"), "{what}")
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[tokio::test]
async fn credit_notes_are_listed_from_the_start_date_inclusive() {
    let h = harness(small_account()).await;
    let from = DocumentQuery {
        ids: Vec::new(),
        date_from: Some(date("2026-02-01")),
        ..query(DocumentKind::CreditNote)
    };
    let listed = h.client.all_booked_documents(&from).await.unwrap();
    let mut ids: Vec<&str> = listed.iter().map(|summary| summary.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        vec!["credit-0201", "credit-0202"],
        "the start day itself is included"
    );
    assert!(
        listed
            .iter()
            .all(|summary| summary.status == SourceStatus::Booked
                && summary.kind == DocumentKind::CreditNote)
    );

    let note = h
        .client
        .document(DocumentKind::CreditNote, &DocumentId::new("credit-0201"))
        .await
        .unwrap();
    assert_eq!(note.credited_invoice_id, Some(DocumentId::new(INVOICE)));
    assert_eq!(note.customer, CustomerRef::company(BREWERY));
    assert_eq!(note.lines[0].total_excl, d("10"));
    assert_eq!(note.lines[0].vat_percentage, Some(d("21")));
    assert_eq!(note.total_incl.amount, d("12.10"));
}

#[tokio::test]
async fn customers_are_fetched_in_batches() {
    let spec = GenerateSpec {
        companies: 150,
        contacts: 30,
        invoices: 0,
        drafts: 0,
        credit_notes: 0,
        ..GenerateSpec::default()
    };
    let h = harness(generate(&spec, Utc::now())).await;
    let dump = h.sim.dump(&h.account).unwrap();
    let ids = |key: &str| -> Vec<String> {
        dump[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut refs: Vec<CustomerRef> = ids("companies")
        .into_iter()
        .map(CustomerRef::company)
        .collect();
    refs.extend(ids("contacts").into_iter().map(CustomerRef::contact));
    refs.push(CustomerRef::company("no-such-company"));
    refs.push(refs[0].clone());
    assert_eq!(refs.len(), 182);

    h.sim.clear_requests();
    let before = h.client.calls();
    let customers = h.client.customers(&refs).await.unwrap();
    assert_eq!(
        customers.len(),
        180,
        "unknown ones left out, duplicates once"
    );
    assert_eq!(customers[0].reference, refs[0]);
    let calls = h.client.calls() - before;
    assert!((2..=4).contains(&calls), "{calls} calls for 180 customers");
    assert_eq!(h.sim.request_count("companies.list"), 2);
    assert_eq!(h.sim.request_count("contacts.list"), 1);
    assert_eq!(h.sim.request_count("companies.info"), 0);
    let contact = customers
        .iter()
        .find(|c| c.reference.kind == koppel_core::CustomerKind::Contact)
        .unwrap();
    assert!(
        contact.name.contains(' '),
        "contacts are named First Last: {}",
        contact.name
    );
}

#[tokio::test]
async fn company_customer_carries_normalised_vat_and_external_id() {
    let h = harness(small_account()).await;
    let customers = h
        .client
        .customers(&[
            CustomerRef::company(BREWERY),
            CustomerRef::contact(PERSON),
            CustomerRef::company(BAKERY),
        ])
        .await
        .unwrap();
    assert_eq!(customers.len(), 3);
    let brewery = &customers[0];
    assert_eq!(brewery.name, "Brouwerij Çelik BV");
    assert_eq!(
        brewery.vat_number.as_ref().unwrap().as_str(),
        "BE0899623035"
    );
    assert_eq!(brewery.enterprise_number.as_deref(), Some("0899623035"));
    assert_eq!(brewery.external_id.as_deref(), Some("4711"));
    assert_eq!(brewery.emails, vec!["info@celik.be".to_owned()]);
    assert_eq!(brewery.addresses[0].city.as_deref(), Some("Gent"));
    assert_eq!(customers[1].name, "Zoë Peeters");
    assert_eq!(customers[2].external_id, None);
}

#[tokio::test]
async fn payment_registered_makes_the_invoice_matched() {
    let h = harness(small_account()).await;
    let id = DocumentId::new(PAID_LATER);
    let before = h.client.document(DocumentKind::Invoice, &id).await.unwrap();
    assert_eq!(before.status, SourceStatus::Outstanding);
    let paid_at = Utc.with_ymd_and_hms(2026, 2, 10, 12, 0, 0).unwrap();
    h.client
        .register_payment(
            &id,
            &Payment {
                amount: before.total_incl.clone(),
                paid_at,
            },
        )
        .await
        .unwrap();
    let after = h.client.document(DocumentKind::Invoice, &id).await.unwrap();
    assert_eq!(after.status, SourceStatus::Matched);
    assert!(after.paid);
    assert_eq!(after.total_incl.amount, d("544.50"));
    let payments = h.sim.payments();
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0].invoice_id, PAID_LATER);
    let listed = h
        .client
        .all_booked_documents(&query(DocumentKind::Invoice))
        .await
        .unwrap();
    assert!(listed.iter().any(|summary| summary.id == id
        && summary.paid
        && summary.status == SourceStatus::Matched));
}

#[tokio::test]
async fn a_private_customer_is_added_as_a_contact_found_again_by_its_external_id() {
    let mut seed = small_account();
    seed.custom_fields.clear();
    seed.contacts
        .iter_mut()
        .for_each(|contact| contact.custom_fields.clear());
    let h = harness(seed).await;
    let before = h.client.list_contacts(1).await.unwrap();
    assert!(before.customers.iter().all(|c| c.external_id.is_none()));
    let jan = NewContact {
        name: PersonName {
            first_name: None,
            last_name: "Jan Peeters".into(),
        },
        email: Some("jan@peeters.be".into()),
        phone: Some("0475 12 34 56".into()),
        address: Some(koppel_core::Address {
            line_1: Some("Kerkstraat 1".into()),
            postal_code: Some("9000".into()),
            city: Some("Gent".into()),
            country: Some("BE".into()),
        }),
        language: Some("nl".into()),
        tags: vec!["Exact Online Import".into()],
        external_id: Some("C-200".into()),
    };
    let id = h.client.add_contact(&jan).await.unwrap();
    assert_eq!(
        h.sim.request_count("customFieldDefinitions.create"),
        1,
        "the contacts' external-id field is created"
    );
    let listed = h.client.list_contacts(1).await.unwrap();
    let found = listed
        .customers
        .iter()
        .find(|c| c.reference == CustomerRef::contact(&id))
        .expect("the new contact is listed");
    assert_eq!(found.name, "Jan Peeters");
    assert_eq!(found.external_id.as_deref(), Some("C-200"));
    assert_eq!(found.emails, vec!["jan@peeters.be".to_owned()]);
    let (tags, phones) = h
        .sim
        .with_account(&h.account, |account| {
            let contact = &account.contacts[&id];
            (contact.tags.clone(), contact.telephones.clone())
        })
        .unwrap();
    assert_eq!(tags, vec!["Exact Online Import".to_owned()]);
    assert_eq!(
        phones,
        vec![("phone".to_owned(), "0475 12 34 56".to_owned())]
    );

    // An existing contact gets its customer number; the field is not created twice.
    let other = before.customers[0].reference.id.clone();
    h.client
        .set_contact_external_id(&other, "C-201")
        .await
        .unwrap();
    let again = h
        .client
        .customers(&[CustomerRef::contact(&other)])
        .await
        .unwrap();
    assert_eq!(again[0].external_id.as_deref(), Some("C-201"));
    assert_eq!(h.sim.request_count("customFieldDefinitions.create"), 1);
}

#[tokio::test]
async fn companies_are_added_updated_tagged_and_deleted() {
    let mut seed = small_account();
    seed.custom_fields.clear();
    seed.companies
        .iter_mut()
        .for_each(|company| company.custom_fields.clear());
    let h = harness(seed).await;
    let new = NewCompany {
        name: "Drukkerij Ó Briain".into(),
        vat_number: Some("BE0417497106".into()),
        email: Some("hallo@obriain.be".into()),
        phone: Some("09 123 45 67".into()),
        address: Some(koppel_core::Address {
            line_1: Some("Kouter 1".into()),
            postal_code: Some("9000".into()),
            city: Some("Gent".into()),
            country: Some("BE".into()),
        }),
        tags: vec!["Exact Online Import".into()],
        external_id: Some("C-100".into()),
    };
    let id = h.client.add_company(&new).await.unwrap();
    assert_eq!(
        h.sim.request_count("customFieldDefinitions.create"),
        1,
        "the external-id field is created once"
    );

    let found = h
        .client
        .find_companies(&CompanyQuery::VatNumber("BE0417497106".into()), 1)
        .await
        .unwrap();
    assert_eq!(found.customers.len(), 1);
    assert!(!found.more);
    let company = &found.customers[0];
    assert_eq!(company.reference, CustomerRef::company(&id));
    assert_eq!(company.external_id.as_deref(), Some("C-100"));
    assert_eq!(company.emails, vec!["hallo@obriain.be".to_owned()]);

    let update = CompanyUpdate {
        name: Some("Drukkerij Ó Briain BV".into()),
        vat_number: None,
        external_id: Some("C-101".into()),
    };
    h.client.update_company(&id, &update).await.unwrap();
    h.client
        .companies()
        .tag(&TagCompanyRequest {
            id: id.clone(),
            tags: vec!["Koppel".into()],
        })
        .await
        .unwrap();
    let info = h.client.companies().info(&id).await.unwrap();
    assert_eq!(info.name, "Drukkerij Ó Briain BV");
    assert_eq!(
        info.vat_number.as_deref(),
        Some("BE0417497106"),
        "unchanged fields stay"
    );
    assert!(
        info.tags.contains(&"Koppel".to_owned())
            && info.tags.contains(&"Exact Online Import".to_owned())
    );
    let by_term = h
        .client
        .find_companies(&CompanyQuery::Term("Briain".into()), 1)
        .await
        .unwrap();
    assert_eq!(by_term.customers[0].external_id.as_deref(), Some("C-101"));
    let phones = h
        .sim
        .with_account(&h.account, |account| {
            account.companies[&id].telephones.clone()
        })
        .unwrap();
    assert_eq!(
        phones,
        vec![("phone".to_owned(), "09 123 45 67".to_owned())]
    );
    assert_eq!(h.sim.request_count("customFieldDefinitions.create"), 1);

    h.client.companies().delete(&id).await.unwrap();
    let gone = h.client.companies().info(&id).await.unwrap_err();
    assert!(matches!(gone, ExternalError::NotFound { .. }), "{gone:?}");
}

#[tokio::test]
async fn document_files_are_downloaded_from_the_temporary_location() {
    let h = harness(small_account()).await;
    let id = DocumentId::new(INVOICE);
    h.client.document(DocumentKind::Invoice, &id).await.unwrap();
    let pdf = h
        .client
        .document_file(DocumentKind::Invoice, &id, FileFormat::Pdf)
        .await
        .unwrap();
    assert!(pdf.bytes.starts_with(b"%PDF"), "a PDF");
    assert_eq!(pdf.file_name, "2026-1.pdf");
    let ubl = h
        .client
        .document_file(DocumentKind::Invoice, &id, FileFormat::UblPeppolBis3)
        .await
        .unwrap();
    assert!(
        String::from_utf8_lossy(&ubl.bytes).contains("<Invoice"),
        "a UBL invoice"
    );
    assert_eq!(ubl.file_name, "2026-1.xml");
    let note = DocumentId::new("credit-0202");
    let efff = h
        .client
        .document_file(DocumentKind::CreditNote, &note, FileFormat::UblEfff)
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&efff.bytes).contains("CreditNote"));
    assert_eq!(
        efff.file_name, "2026-3.xml",
        "the number is read when not known yet"
    );
    let refused = h
        .client
        .document_file(DocumentKind::CreditNote, &note, FileFormat::UblPeppolBis3)
        .await
        .unwrap_err();
    assert!(matches!(refused, ExternalError::Unsupported { .. }));
}

#[tokio::test]
async fn reference_data_is_read_and_tax_rates_cached() {
    let h = harness(small_account()).await;
    let departments = h
        .client
        .departments()
        .list(&Default::default())
        .await
        .unwrap();
    assert_eq!(departments[0].name, "Koppel BV");
    let source: &dyn Source = &h.client;
    assert_eq!(
        source.departments().await.unwrap()[0].id,
        DepartmentId::new(DEPARTMENT)
    );
    let rates = source.tax_rates().await.unwrap();
    assert!(
        rates
            .iter()
            .any(|rate| rate.rate == d("21") && rate.id.as_str() == RATE_21)
    );
    source.tax_rates().await.unwrap();
    source
        .document(DocumentKind::Invoice, &DocumentId::new(INVOICE))
        .await
        .unwrap();
    assert_eq!(
        h.sim.request_count("taxRates.list"),
        1,
        "tax rates are read once per client"
    );
    let categories = source.product_categories().await.unwrap();
    assert_eq!(
        categories[0].ledger_accounts,
        vec![(DepartmentId::new(DEPARTMENT), "700000".to_owned())]
    );
    let me = h.client.users().me().await.unwrap();
    assert_eq!(me.account.id, h.account);
    let hook = RegisterWebhookRequest {
        url: "https://koppel.example/hook".into(),
        types: vec!["invoice.booked".into()],
    };
    h.client.webhooks().register(&hook).await.unwrap();
    let hooks = h.client.webhooks().list().await.unwrap();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].url, hook.url);
    assert_eq!(hooks[0].types, hook.types);
}

#[tokio::test]
async fn throttled_request_waits_and_succeeds() {
    let h = harness(small_account()).await;
    h.sim.inject_fault(Fault {
        kind: FaultKind::RateLimited {
            reset_after_seconds: 3,
        },
        count: 1,
        endpoint: Some("departments.list".into()),
    });
    let started = h.clock.now();
    let departments = Source::departments(&h.client).await.unwrap();
    assert_eq!(departments.len(), 1);
    assert_eq!(
        h.sim.request_count("departments.list"),
        2,
        "the 429 and the retry"
    );
    assert_eq!(h.client.api().gate().stats().throttled, 1);
    assert!(
        h.clock.now() - started >= chrono::Duration::seconds(2),
        "waited for the window to reset"
    );
}

#[tokio::test]
async fn server_errors_are_retried_then_reported_unavailable() {
    let h = harness(small_account()).await;
    h.sim.inject_fault(Fault {
        kind: FaultKind::Status { status: 500 },
        count: 2,
        endpoint: Some("invoices.list".into()),
    });
    let listed = h
        .client
        .booked_documents(&query(DocumentKind::Invoice))
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(h.sim.request_count("invoices.list"), 3);

    h.sim.inject_fault(Fault {
        kind: FaultKind::Status { status: 503 },
        count: 50,
        endpoint: Some("invoices.info".into()),
    });
    let error = h
        .client
        .document(DocumentKind::Invoice, &DocumentId::new(INVOICE))
        .await
        .unwrap_err();
    assert!(
        matches!(error, ExternalError::Unavailable { .. }),
        "{error:?}"
    );
    assert!(error.is_transient());
}

#[tokio::test]
async fn malformed_answer_names_endpoint_and_field() {
    let body = json!({"data": [
        {"id": "a", "department": {"type": "department", "id": "d"}, "status": "outstanding",
         "invoicee": {"customer": {"type": "company", "id": "c"}},
         "total": {"tax_exclusive": {"amount": 1}, "tax_inclusive": {"amount": 1.21}},
         "updated_at": "2026-02-01T00:00:00+00:00"},
        {"id": "b", "department": {"type": "department", "id": "d"}, "status": "outstanding",
         "invoicee": {"customer": {"type": "company", "id": "c"}},
         "total": {"tax_exclusive": {"amount": "one"}, "tax_inclusive": {"amount": 1.21}},
         "updated_at": "2026-02-01T00:00:00+00:00"}
    ]});
    let stub = Stub::start(200, body).await;
    let clock: Arc<dyn koppel_core::Clock> = Arc::new(koppel_core::SystemClock);
    let client = TeamleaderClient::new(
        TeamleaderClient::api_client(
            &stub.url,
            None,
            clock.clone(),
            koppel_core::Deadline::none(),
        ),
        clock,
    );
    let error = client
        .booked_documents(&query(DocumentKind::Invoice))
        .await
        .unwrap_err();
    match error {
        ExternalError::Malformed {
            endpoint, detail, ..
        } => {
            assert_eq!(endpoint, "invoices.list");
            assert!(
                detail.starts_with("data[1].total.tax_exclusive.amount"),
                "{detail}"
            );
        }
        other => panic!("expected Malformed, got {other:?}"),
    }

    let refusal = Stub::start(
        400,
        json!({"errors": [{"title": "filter.status must be an array", "status": 400}]}),
    )
    .await;
    let clock: Arc<dyn koppel_core::Clock> = Arc::new(koppel_core::SystemClock);
    let client = TeamleaderClient::new(
        TeamleaderClient::api_client(
            &refusal.url,
            None,
            clock.clone(),
            koppel_core::Deadline::none(),
        ),
        clock,
    );
    match client
        .booked_documents(&query(DocumentKind::Invoice))
        .await
        .unwrap_err()
    {
        ExternalError::Rejected {
            status, message, ..
        } => {
            assert_eq!(status, 400);
            assert_eq!(
                message, "filter.status must be an array",
                "the API's own title"
            );
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
}

#[tokio::test]
async fn oauth_code_flow_gives_a_working_client() {
    let h = harness(small_account()).await;
    let urls = TeamleaderUrls::same(&h.sim.base_url);
    let redirect = "https://koppel.example/callback";
    let authorize = urls
        .authorize_url(DEFAULT_CLIENT_ID, redirect, "state-123")
        .unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = http.get(authorize.as_str()).send().await.unwrap();
    assert_eq!(answer.status().as_u16(), 302);
    let location = reqwest::Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(redirect));
    let params: BTreeMap<String, String> = location.query_pairs().into_owned().collect();
    assert_eq!(params["state"], "state-123");
    let oauth = urls.oauth_client(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, h.clock.clone());
    let tokens = oauth
        .exchange_code(&params["code"], redirect)
        .await
        .unwrap();
    let refreshed = oauth.refresh(&tokens.refresh_token).await.unwrap();
    assert_ne!(
        refreshed.refresh_token, tokens.refresh_token,
        "refresh tokens rotate"
    );
    let reused = oauth.refresh(&tokens.refresh_token).await.unwrap_err();
    assert!(matches!(
        ExternalError::from(reused),
        ExternalError::NeedsReauth { .. }
    ));
}

#[tokio::test]
async fn every_request_body_sent_to_the_simulator_conforms_to_the_spec() {
    // Without the external-id field, so that adding a company with an external id creates it.
    let mut seed = small_account();
    seed.custom_fields.clear();
    seed.companies
        .iter_mut()
        .for_each(|company| company.custom_fields.clear());
    let (h, recorder) = harness_via(seed, true).await;
    let recorder = recorder.unwrap();
    let client = &h.client;
    client.users().me().await.unwrap();
    Source::departments(client).await.unwrap();
    Source::tax_rates(client).await.unwrap();
    Source::product_categories(client).await.unwrap();
    let full = DocumentQuery {
        ids: Vec::new(),
        department_id: Some(DepartmentId::new(DEPARTMENT)),
        updated_since: Some(Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap()),
        date_from: Some(date("2026-01-01")),
        ..query(DocumentKind::Invoice)
    };
    assert_eq!(client.booked_documents(&full).await.unwrap().len(), 2);
    client
        .booked_documents(&query(DocumentKind::Invoice))
        .await
        .unwrap();
    client
        .booked_documents(&DocumentQuery {
            ids: Vec::new(),
            kind: DocumentKind::CreditNote,
            ..full.clone()
        })
        .await
        .unwrap();
    client
        .document(DocumentKind::Invoice, &DocumentId::new(INVOICE))
        .await
        .unwrap();
    client
        .document(DocumentKind::CreditNote, &DocumentId::new("credit-0131"))
        .await
        .unwrap();
    client
        .document_file(
            DocumentKind::Invoice,
            &DocumentId::new(INVOICE),
            FileFormat::UblEfff,
        )
        .await
        .unwrap();
    client
        .document_file(
            DocumentKind::CreditNote,
            &DocumentId::new("credit-0131"),
            FileFormat::Pdf,
        )
        .await
        .unwrap();
    client
        .customers(&[CustomerRef::company(BREWERY), CustomerRef::contact(PERSON)])
        .await
        .unwrap();
    client.find_companies(&CompanyQuery::All, 1).await.unwrap();
    client
        .find_companies(&CompanyQuery::VatNumber("BE0899623035".into()), 1)
        .await
        .unwrap();
    let id = client
        .add_company(&NewCompany {
            name: "Hooli".into(),
            vat_number: None,
            email: None,
            phone: None,
            address: None,
            tags: Vec::new(),
            external_id: Some("H-1".into()),
        })
        .await
        .unwrap();
    client
        .update_company(
            &id,
            &CompanyUpdate {
                vat_number: Some("NL123456789B01".into()),
                ..CompanyUpdate::default()
            },
        )
        .await
        .unwrap();
    client
        .companies()
        .tag(&TagCompanyRequest {
            id: id.clone(),
            tags: vec!["x".into()],
        })
        .await
        .unwrap();
    client.companies().delete(&id).await.unwrap();
    client
        .register_payment(
            &DocumentId::new(PAID_LATER),
            &Payment {
                amount: Money::eur(d("100.5")),
                paid_at: Utc::now(),
            },
        )
        .await
        .unwrap();
    client
        .webhooks()
        .register(&RegisterWebhookRequest {
            url: "https://koppel.example/hook".into(),
            types: vec!["invoice.booked".into()],
        })
        .await
        .unwrap();
    client.webhooks().list().await.unwrap();

    let bodies = recorder.bodies();
    let endpoints: std::collections::BTreeSet<&str> = bodies
        .iter()
        .map(|(endpoint, _)| endpoint.as_str())
        .collect();
    for expected in [
        "users.me",
        "departments.list",
        "taxRates.list",
        "productCategories.list",
        "invoices.list",
        "creditNotes.list",
        "invoices.info",
        "creditNotes.info",
        "invoices.download",
        "creditNotes.download",
        "companies.list",
        "contacts.list",
        "customFieldDefinitions.list",
        "customFieldDefinitions.create",
        "companies.add",
        "companies.update",
        "companies.tag",
        "companies.delete",
        "invoices.registerPayment",
        "webhooks.register",
        "webhooks.list",
    ] {
        assert!(
            endpoints.contains(expected),
            "{expected} was not called; saw {endpoints:?}"
        );
    }
    let failures: Vec<String> = bodies
        .iter()
        .filter_map(|(endpoint, body)| {
            let found = violations(&request_validator(endpoint), body);
            (!found.is_empty()).then(|| format!("{endpoint}: {} — {body}", found.join("; ")))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "bodies that break the spec:\n  {}",
        failures.join("\n  ")
    );
}
