//! End-to-end: the nightly export from the Teamleader simulator to the Exact simulator through
//! the real dispatcher and export handler, on moto (real AWS wire protocol).

use koppel_core::RunStatus;
use koppel_core::jobs::export::ExportOptions;
use koppel_e2e::stack::{Backend, Stack, StackOptions};
use koppel_sim::{exact, teamleader};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

/// Booked invoices and credit notes of `department` in the Teamleader simulator: (numbers of
/// invoices, numbers of credit notes, ids of customers billed).
fn booked(stack: &Stack, department: &str) -> (Vec<String>, Vec<String>, HashSet<String>) {
    stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            let mut customers = HashSet::new();
            let invoices = a
                .invoices
                .values()
                .filter(|i| i.department_id == department)
                .filter_map(|i| {
                    let (year, n) = i.number?;
                    customers.insert(i.customer.id.clone());
                    Some(format!("{year} / {n}"))
                })
                .collect();
            let credit_notes = a
                .credit_notes
                .values()
                .filter(|c| c.department_id == department)
                .map(|c| {
                    customers.insert(c.customer.id.clone());
                    format!("{} / {}", c.number.0, c.number.1)
                })
                .collect();
            (invoices, credit_notes, customers)
        })
        .expect("account")
}

fn small_account(seed: u64) -> teamleader::GenerateSpec {
    teamleader::GenerateSpec {
        seed,
        departments: 1,
        companies: 12,
        contacts: 3,
        invoices: 40,
        drafts: 4,
        credit_notes: 5,
        paid_percent: 50,
        days: 60,
        ..Default::default()
    }
}

async fn stack(backend: Backend, seed: u64) -> Stack {
    Stack::start(StackOptions {
        speed: 1.0,
        exact_limits: None,
        generate: small_account(seed),
        backend,
        ..Default::default()
    })
    .await
}

#[tokio::test]
async fn nightly_export_books_every_booked_document_once_customers_first_and_never_drafts() {
    let stack = stack(Backend::moto_for_tests(), 7).await;
    let department = stack.departments()[0].clone();
    let connection = stack.connect(&department, exact::DEFAULT_BE_DIVISION).await;

    assert_eq!(stack.dispatch_nightly().await, 1);
    let function = stack.export_function(ExportOptions::default());
    let drained = stack
        .drain_exports(&function, Duration::from_secs(600))
        .await;
    assert_eq!(drained.failed_messages, 0);

    let (invoices, credit_notes, customers) = booked(&stack, department.as_str());
    let reports = stack
        .aws
        .store
        .run_reports(&connection.id, 5)
        .await
        .unwrap();
    assert_eq!(reports.len(), 1);
    assert!(reports[0].issues.is_empty(), "{:#?}", reports[0]);
    let entries = stack.exact.entries(exact::DEFAULT_BE_DIVISION);
    let journals = (
        connection.settings.invoice_journal.clone().unwrap(),
        connection.settings.credit_note_journal.clone().unwrap(),
    );
    assert_ne!(journals.0, journals.1, "credit notes get their own journal");
    // Invoices and credit notes have separate number series in Teamleader: an entry is
    // identified by (journal, YourRef).
    let in_journal = |journal: &str| -> Vec<String> {
        let mut refs: Vec<String> = entries
            .iter()
            .filter(|e| e.journal == journal)
            .filter_map(|e| e.your_ref.clone())
            .collect();
        refs.sort();
        refs
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(
        in_journal(&journals.0),
        sorted(invoices.clone()),
        "every booked invoice exactly once, drafts never"
    );
    assert_eq!(
        in_journal(&journals.1),
        sorted(credit_notes.clone()),
        "every credit note exactly once"
    );
    assert_eq!(entries.len(), invoices.len() + credit_notes.len());
    for e in &entries {
        if e.journal == journals.1 {
            assert!(
                e.net_amount() < rust_decimal::Decimal::ZERO,
                "credit note {:?} is negative",
                e.your_ref
            );
        } else {
            assert!(
                e.net_amount() > rust_decimal::Decimal::ZERO,
                "invoice {:?} is positive",
                e.your_ref
            );
        }
    }
    let expected = invoices.len() + credit_notes.len();

    // Each customer created once in Exact, whatever the number of its documents.
    let division = stack.exact.division(exact::DEFAULT_BE_DIVISION).unwrap();
    let mut per_customer: BTreeMap<uuid::Uuid, usize> = BTreeMap::new();
    for e in &entries {
        *per_customer.entry(e.customer).or_default() += 1;
    }
    assert_eq!(
        per_customer.len(),
        customers.len(),
        "one Exact account per Teamleader customer billed"
    );
    assert!(
        per_customer
            .keys()
            .all(|id| division.account(*id).is_some())
    );
    // Every company and contact billed got its Exact customer number as external id in
    // Teamleader (the seeds: "the external id column is filled on all your invoices").
    let codes: HashSet<String> = per_customer
        .keys()
        .filter_map(|id| division.account(*id))
        .map(|a| a.code.trim().to_owned())
        .collect();
    let companies = stack.teamleader_companies_by_id();
    let billed: Vec<_> = customers
        .iter()
        .filter_map(|id| companies.get(id))
        .collect();
    assert!(!billed.is_empty());
    for company in &billed {
        let external = company.external_id.as_deref().unwrap_or_default();
        assert!(
            codes.contains(external),
            "{} has external id {external:?}, not one of the Exact codes {codes:?}",
            company.name
        );
    }
    let contacts = stack.teamleader_contacts();
    let billed_contacts: Vec<_> = customers.iter().filter_map(|id| contacts.get(id)).collect();
    for contact in &billed_contacts {
        let external = contact.external_id.as_deref().unwrap_or_default();
        assert!(
            codes.contains(external),
            "contact {} has external id {external:?}, not one of the Exact codes {codes:?}",
            contact.last_name
        );
    }

    let reports = stack
        .aws
        .store
        .run_reports(&connection.id, 5)
        .await
        .unwrap();
    assert_eq!(reports.len(), 1);
    let report = &reports[0];
    assert_eq!(report.status, RunStatus::Succeeded, "{report:?}");
    assert_eq!(report.export_counts().exported as usize, expected);
    assert_eq!(
        report.export_counts().customers_created as usize,
        customers.len()
    );
    assert_eq!(
        report.export_counts().customer_numbers_written as usize,
        billed.len() + billed_contacts.len()
    );

    // A second night exports nothing new and posts nothing twice.
    assert_eq!(stack.dispatch_nightly_at("2099-01-01T01:00:00Z").await, 1);
    stack
        .drain_exports(&function, Duration::from_secs(600))
        .await;
    assert_eq!(
        stack.exact.entries(exact::DEFAULT_BE_DIVISION).len(),
        entries.len()
    );
    let second = &stack
        .aws
        .store
        .run_reports(&connection.id, 5)
        .await
        .unwrap()[0];
    assert_eq!(second.status, RunStatus::Succeeded);
    assert_eq!(second.export_counts().exported, 0, "{second:?}");
}
