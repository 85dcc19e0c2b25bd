//! Peppol BIS 3 files against the official CEN EN 16931 + Peppol rules (../shared/peppol-rules):
//! every invoice of the Teamleader simulator's generated accounts downloaded through Koppel's
//! Teamleader client as `ubl/peppol_bis_3`, and every credit note Koppel builds itself from its
//! own `SalesDocument`s. All files go through the persistent worker; a few also through the
//! `eu-einvoice` CLI exactly as SOURCE.md prescribes. Plus the refusals: no BuyerReference
//! (R003), a wrong CustomizationID (R004), totals that do not add up (BR-CO-15), the rules
//! missing (an error, never "valid"), a private buyer without address (refused by name).
//!
//! Python and rules come from `KOPPEL_PEPPOL_PYTHON` / `EINVOICE_RULES_DIR` (`infra/dev`
//! writes them), else `<repo>/.venv/bin/python` and `<repo>/../shared/peppol-rules`; without
//! them these tests fail, saying so.

mod teamleader_support;

use chrono::{NaiveDate, Utc};
use koppel_core::{
    Address, CreditNoteFacts, Customer, CustomerRef, Department, DocumentKind, DocumentQuery,
    EinvoiceFiles, FileFormat, InvoiceParty, SalesDocument, Source, Verdict,
};
use koppel_einvoice::ubl::{self, Customization, DocumentDraft, LineDraft, UblDocument};
use koppel_einvoice::{Einvoices, PeppolValidator, credit_note_from};
use koppel_sim::teamleader::{GenerateSpec, generate};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use teamleader_support::harness;

/// The repository root (this crate is `<repo>/tests`).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the repository")
        .to_path_buf()
}

/// The Python with eu-einvoice and the rules folder; fails (never skips) when missing.
fn python_and_rules() -> (PathBuf, PathBuf) {
    let from_env = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let python = from_env("KOPPEL_PEPPOL_PYTHON")
        .unwrap_or_else(|| repo_root().join(".venv").join("bin").join("python"));
    let rules = from_env("EINVOICE_RULES_DIR")
        .unwrap_or_else(|| repo_root().join("..").join("shared").join("peppol-rules"));
    assert!(
        python.exists(),
        "no Python with eu-einvoice at {}: run `infra/dev test` (it installs eu-einvoice into .venv and sets KOPPEL_PEPPOL_PYTHON)",
        python.display()
    );
    assert!(
        rules.join("SOURCE.md").exists(),
        "the official Peppol rules are not at {}: run `infra/dev test` (it sets EINVOICE_RULES_DIR to ../shared/peppol-rules)",
        rules.display()
    );
    (python, rules)
}

fn validator() -> PeppolValidator {
    let (python, rules) = python_and_rules();
    PeppolValidator::new(python, rules)
}

/// The CLI check SOURCE.md prescribes: exit 0 and complete and nothing skipped.
fn cli_accepts(xml: &[u8], name: &str) {
    let (python, rules) = python_and_rules();
    let cli = python.with_file_name("eu-einvoice");
    let dir = std::env::temp_dir().join(format!("koppel-peppol-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}.xml"));
    std::fs::write(&file, xml).unwrap();
    let output = std::process::Command::new(&cli)
        .args(["validate", "--offline", "-p", "peppol", "--json"])
        .arg(&file)
        .env("EINVOICE_RULES_DIR", &rules)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}; run `infra/dev test`", cli.display()));
    let _ = std::fs::remove_dir_all(&dir);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{name}: the CLI's output is not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_eq!(output.status.code(), Some(0), "{name}: {report:#}");
    assert_eq!(report["complete"], true, "{name}: {report:#}");
    assert_eq!(
        report["layers_skipped"],
        serde_json::json!([]),
        "{name}: {report:#}"
    );
    assert_eq!(report["valid"], true, "{name}: {report:#}");
}

fn rules_broken(verdict: &Verdict) -> Vec<&str> {
    verdict
        .findings
        .iter()
        .filter(|f| f.fatal)
        .map(|f| f.rule.as_str())
        .collect()
}

fn seller_of(department: &Department) -> InvoiceParty {
    InvoiceParty {
        name: department.name.clone(),
        vat_number: department.vat_number.clone(),
        enterprise_number: None,
        address: department.address.clone().unwrap_or_default(),
        email: None,
    }
}

fn buyer_of(customer: &Customer) -> InvoiceParty {
    InvoiceParty {
        name: customer.name.clone(),
        vat_number: customer.vat_number.as_ref().map(|v| v.as_str().to_owned()),
        enterprise_number: customer.enterprise_number.clone(),
        address: customer.addresses.first().cloned().unwrap_or_default(),
        email: customer.emails.first().cloned(),
    }
}

/// A buyer the rules can address: a VAT or enterprise number.
fn identifiable(customer: &Customer) -> bool {
    customer.vat_number.is_some() || customer.enterprise_number.is_some()
}

/// Every booked document of one kind, through the client.
async fn booked(client: &dyn Source, kind: DocumentKind) -> Vec<SalesDocument> {
    let mut documents = Vec::new();
    for page in 1.. {
        let summaries = client
            .booked_documents(&DocumentQuery {
                kind,
                ids: Vec::new(),
                department_id: None,
                updated_since: None,
                date_from: None,
                page,
                page_size: 100,
            })
            .await
            .unwrap();
        for summary in &summaries {
            documents.push(client.document(kind, &summary.id).await.unwrap());
        }
        if summaries.len() < 100 {
            break;
        }
    }
    documents
}

/// What one generated account gave.
#[derive(Default)]
struct Tally {
    invoices_valid: usize,
    invoices_private: usize,
    credit_notes_valid: usize,
    credit_notes_private: usize,
    valid_files: Vec<(String, Vec<u8>)>,
}

async fn check_account(spec: &GenerateSpec, validator: &PeppolValidator) -> Tally {
    let h = harness(generate(spec, Utc::now())).await;
    let client: &dyn Source = &h.client;
    let departments: HashMap<_, _> = client
        .departments()
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.id.clone(), d))
        .collect();
    for department in departments.values() {
        let address = department.address.as_ref();
        assert!(
            address.and_then(|a| a.country.as_deref()) == Some("BE"),
            "departments.info gives the address: {department:?}"
        );
    }
    let invoices = booked(client, DocumentKind::Invoice).await;
    let credit_notes = booked(client, DocumentKind::CreditNote).await;
    let refs: Vec<CustomerRef> = invoices
        .iter()
        .chain(&credit_notes)
        .map(|d| d.customer.clone())
        .collect();
    let customers: HashMap<CustomerRef, Customer> = client
        .customers(&refs)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.reference.clone(), c))
        .collect();
    let mut tally = Tally::default();
    for invoice in &invoices {
        let number = invoice.number.clone().unwrap_or_default();
        let file = client
            .document_file(
                DocumentKind::Invoice,
                &invoice.id,
                FileFormat::UblPeppolBis3,
            )
            .await
            .unwrap();
        let verdict = validator.check(&file.bytes).await.unwrap();
        let customer = &customers[&invoice.customer];
        if identifiable(customer) {
            assert!(
                verdict.is_valid(),
                "invoice {number}: {:#?}\n{}",
                verdict.findings,
                String::from_utf8_lossy(&file.bytes)
            );
            tally.invoices_valid += 1;
            tally
                .valid_files
                .push((format!("invoice-{number}"), file.bytes));
        } else {
            // A private person has no Peppol address (the EAS code list has no scheme for
            // one): the file fails R010, and nothing else about the document.
            let broken = rules_broken(&verdict);
            assert!(
                broken.contains(&"PEPPOL-EN16931-R010"),
                "invoice {number}: {broken:?}"
            );
            assert!(
                broken
                    .iter()
                    .all(|r| ["PEPPOL-EN16931-R010", "BR-10", "BR-11"].contains(r)),
                "invoice {number}: only the private buyer's missing address and Peppol id: {broken:?}"
            );
            tally.invoices_private += 1;
        }
    }
    let numbers: HashMap<_, _> = invoices
        .iter()
        .map(|i| (i.id.clone(), i.number.clone().unwrap_or_default()))
        .collect();
    for note in &credit_notes {
        let number = note.number.clone().unwrap_or_default();
        let customer = &customers[&note.customer];
        let seller = seller_of(&departments[&note.department_id]);
        let buyer = buyer_of(customer);
        let facts = CreditNoteFacts {
            document: note,
            seller: &seller,
            buyer: &buyer,
            credited_invoice_number: note
                .credited_invoice_id
                .as_ref()
                .and_then(|id| numbers.get(id))
                .map(String::as_str),
        };
        match credit_note_from(&facts) {
            Ok(document) => {
                let xml = ubl::write(&document);
                let verdict = validator.check(&xml).await.unwrap();
                assert!(
                    verdict.is_valid(),
                    "credit note {number}: {:#?}\n{}",
                    verdict.findings,
                    String::from_utf8_lossy(&xml)
                );
                assert!(facts.credited_invoice_number.is_some());
                tally.credit_notes_valid += 1;
                tally
                    .valid_files
                    .push((format!("credit-note-{number}"), xml));
            }
            Err(message) => {
                assert!(!identifiable(customer), "credit note {number}: {message}");
                assert!(message.contains("\"VAT number\""), "{message}");
                tally.credit_notes_private += 1;
            }
        }
    }
    tally
}

#[tokio::test]
async fn every_generated_document_makes_a_file_that_passes_the_official_rules() {
    let validator = validator();
    let specs = [
        // The demo's and chaos' default account.
        GenerateSpec::default(),
        // More departments, Dutch and Belgian companies, discounts and every rate.
        GenerateSpec {
            seed: 7,
            departments: 3,
            companies: 30,
            contacts: 4,
            invoices: 80,
            drafts: 1,
            credit_notes: 12,
            ..GenerateSpec::default()
        },
    ];
    let mut files = Vec::new();
    let mut counts = (0, 0, 0, 0);
    for spec in &specs {
        let tally = check_account(spec, &validator).await;
        assert!(tally.invoices_valid > 0 && tally.credit_notes_valid > 0);
        counts.0 += tally.invoices_valid;
        counts.1 += tally.invoices_private;
        counts.2 += tally.credit_notes_valid;
        counts.3 += tally.credit_notes_private;
        files.extend(tally.valid_files);
    }
    // The CLI on a few, as SOURCE.md prescribes (about 2 s each).
    let invoice = files
        .iter()
        .find(|(n, _)| n.starts_with("invoice"))
        .unwrap();
    let note = files.iter().find(|(n, _)| n.starts_with("credit")).unwrap();
    let discounted = files
        .iter()
        .find(|(_, xml)| String::from_utf8_lossy(xml).contains("MultiplierFactorNumeric"))
        .expect("a generated line with a discount");
    for (name, xml) in [invoice, note, discounted] {
        cli_accepts(xml, &name.replace([' ', '/'], ""));
    }
    // Warm timing over every valid file (no assertion on time).
    let started = Instant::now();
    for (_, xml) in &files {
        assert!(validator.check(xml).await.unwrap().is_valid());
    }
    let per_file = started.elapsed() / u32::try_from(files.len()).unwrap();
    println!(
        "validated {} invoices + {} credit notes that pass, {} invoices + {} credit notes of private buyers refused as expected; warm validation {per_file:?} per file over {} files",
        counts.0,
        counts.2,
        counts.1,
        counts.3,
        files.len()
    );
}

fn party(name: &str, vat: Option<&str>, country: Option<&str>) -> InvoiceParty {
    InvoiceParty {
        name: name.into(),
        vat_number: vat.map(str::to_owned),
        enterprise_number: None,
        address: Address {
            line_1: Some("Kerkstraat 1".into()),
            postal_code: Some("9000".into()),
            city: Some("Gent".into()),
            country: country.map(str::to_owned),
        },
        email: None,
    }
}

fn sample(customization: Customization) -> UblDocument {
    ubl::build(DocumentDraft {
        kind: DocumentKind::Invoice,
        customization,
        number: "2026 / 17".into(),
        issue_date: NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
        due_date: NaiveDate::from_ymd_opt(2026, 5, 1),
        currency: "EUR".into(),
        buyer_reference: Some("REF-1".into()),
        order_reference: None,
        seller: party("Koppel BV", Some("BE0403170701"), Some("BE")),
        buyer: party("Bakkerij Peeters", Some("BE0202239951"), Some("BE")),
        payment_reference: Some("+++090/9337/55493+++".into()),
        lines: vec![
            LineDraft {
                description: "Consultancy".into(),
                quantity: Decimal::from(2),
                unit_price: Decimal::from(50),
                discount_percent: None,
                net_amount: Decimal::from(100),
                vat_percent: Decimal::from(21),
                vat_label: None,
            },
            LineDraft {
                description: "Boeken".into(),
                quantity: Decimal::from(5),
                unit_price: Decimal::from(10),
                discount_percent: None,
                net_amount: Decimal::from(50),
                vat_percent: Decimal::from(6),
                vat_label: None,
            },
        ],
        tax_per_rate: Vec::new(),
        total_incl: Some(Decimal::from(174)),
        credited_invoice: None,
        attachment: None,
    })
    .unwrap()
}

#[tokio::test]
async fn broken_files_are_refused_by_the_rule_that_says_why() {
    let einvoices = Einvoices::new(validator());
    let good = sample(Customization::PeppolBis3);
    let verdict = einvoices.validate(&ubl::write(&good)).await.unwrap();
    assert!(verdict.is_valid(), "{:#?}", verdict.findings);

    let mut no_reference = good.clone();
    no_reference.buyer_reference = String::new();
    let verdict = einvoices
        .validate(&ubl::write(&no_reference))
        .await
        .unwrap();
    assert!(
        rules_broken(&verdict).contains(&"PEPPOL-EN16931-R003"),
        "{verdict:#?}"
    );

    let efff = sample(Customization::UblBeEfff);
    let verdict = einvoices.validate(&ubl::write(&efff)).await.unwrap();
    assert!(
        rules_broken(&verdict).contains(&"PEPPOL-EN16931-R004"),
        "{verdict:#?}"
    );

    let mut totals_off = good.clone();
    totals_off.totals.tax_inclusive += Decimal::ONE;
    totals_off.totals.payable += Decimal::ONE;
    let verdict = einvoices.validate(&ubl::write(&totals_off)).await.unwrap();
    assert!(rules_broken(&verdict).contains(&"BR-CO-15"), "{verdict:#?}");
    assert_eq!(verdict.first_error().map(|f| f.fatal), Some(true));
}

#[tokio::test]
async fn a_check_without_the_rules_is_an_error_never_valid() {
    let (python, _) = python_and_rules();
    let missing =
        std::env::temp_dir().join(format!("koppel-no-rules-{}", uuid::Uuid::new_v4().simple()));
    let validator = PeppolValidator::new(python, &missing).with_timeout(Duration::from_secs(120));
    let error = validator
        .check(&ubl::write(&sample(Customization::PeppolBis3)))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("not complete"), "{error}");
    assert!(error.to_string().contains("EINVOICE_RULES_DIR"), "{error}");

    let nowhere = PeppolValidator::new(missing.join("python"), &missing);
    let error = nowhere.check(b"<Invoice/>").await.unwrap_err();
    assert!(
        error.to_string().contains("KOPPEL_PEPPOL_PYTHON"),
        "{error}"
    );
    let unconfigured = Einvoices::default();
    assert!(unconfigured.validate(b"<Invoice/>").await.is_err());
}

#[test]
fn a_private_buyer_without_an_address_is_refused_naming_the_field() {
    let document = SalesDocument {
        id: "cn-1".into(),
        kind: DocumentKind::CreditNote,
        number: Some("2026 / 3".into()),
        department_id: "dep".into(),
        status: koppel_core::SourceStatus::Booked,
        customer: CustomerRef::contact("contact-1"),
        date: NaiveDate::from_ymd_opt(2026, 4, 2).unwrap(),
        due_on: None,
        lines: vec![koppel_core::DocumentLine {
            description: "Refund".into(),
            quantity: Decimal::ONE,
            unit_price: Decimal::from(10),
            discount: None,
            total_excl: Decimal::from(10),
            tax_rate_id: None,
            vat_percentage: Some(Decimal::from(21)),
            product_category_id: None,
        }],
        total_excl: koppel_core::Money::eur(Decimal::from(10)),
        total_incl: koppel_core::Money::eur(Decimal::new(1210, 2)),
        taxes: vec![koppel_core::TaxTotal {
            rate: Decimal::from(21),
            taxable: Decimal::from(10),
            tax: Decimal::new(210, 2),
        }],
        payment_reference: None,
        expected_payment_method: None,
        payment_term_days: None,
        credited_invoice_id: None,
        paid: false,
        payments: Vec::new(),
        updated_at: Utc::now(),
    };
    let seller = party("Koppel BV", Some("BE0403170701"), Some("BE"));
    let buyer = InvoiceParty {
        name: "Zoë Peeters".into(),
        ..InvoiceParty::default()
    };
    let facts = CreditNoteFacts {
        document: &document,
        seller: &seller,
        buyer: &buyer,
        credited_invoice_number: Some("2026 / 9"),
    };
    let error = credit_note_from(&facts).unwrap_err();
    assert!(
        error.contains("Zoë Peeters has no address country"),
        "{error}"
    );
    assert!(
        error.contains("country of the customer's (invoicing) address"),
        "{error}"
    );
    assert_eq!(Einvoices::default().credit_note(&facts).unwrap_err(), error);

    let with_vat = InvoiceParty {
        vat_number: Some("BE0202239951".into()),
        address: Address {
            country: Some("BE".into()),
            ..Address::default()
        },
        ..buyer.clone()
    };
    let facts = CreditNoteFacts {
        buyer: &with_vat,
        ..facts
    };
    let xml = String::from_utf8(Einvoices::default().credit_note(&facts).unwrap()).unwrap();
    assert!(
        xml.contains(
            "<cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>2026 / 9</cbc:ID>"
        ),
        "{xml}"
    );
}
