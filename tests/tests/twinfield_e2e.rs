//! End-to-end with Twinfield: the real dispatcher, export, payment poll and company import
//! handlers from the Teamleader simulator to the Twinfield simulator (OpenID Connect, the
//! cluster from the token validation, SOAP ProcessXml, finder, browse, fair use). The jobs
//! are the same as for every ledger.

use koppel_core::{JobKind, RunStatus};
use koppel_e2e::stack::{Backend, Stack};
use koppel_sim::teamleader;
use koppel_sim::twinfield::{self, OFFICE_BE as OFFICE_NL};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::time::Duration;

fn account(seed: u64, invoices: usize, credit_notes: usize) -> teamleader::GenerateSpec {
    teamleader::GenerateSpec {
        seed,
        departments: 1,
        companies: 8,
        contacts: 2,
        invoices,
        drafts: 2,
        credit_notes,
        paid_percent: 0,
        days: 40,
        ..Default::default()
    }
}

/// Booked Teamleader documents: (invoice numbers, credit-note numbers as Koppel books them).
fn booked(stack: &Stack) -> (Vec<String>, Vec<String>) {
    stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            let mut invoices: Vec<String> = a
                .invoices
                .values()
                .filter_map(|i| i.number.map(|(year, n)| format!("{year} / {n}")))
                .collect();
            let mut credit_notes: Vec<String> = a
                .credit_notes
                .values()
                .map(|c| format!("CN {} / {}", c.number.0, c.number.1))
                .collect();
            invoices.sort();
            credit_notes.sort();
            (invoices, credit_notes)
        })
        .expect("account")
}

/// Invoice numbers of the booked transactions (with repeats): (invoices, credit notes).
fn transactions(stack: &Stack) -> (Vec<String>, Vec<String>) {
    let mut invoices = Vec::new();
    let mut credit_notes = Vec::new();
    for t in stack.twinfield.transactions(OFFICE_NL) {
        if t.invoice_number.starts_with("CN ") {
            credit_notes.push(t.invoice_number);
        } else {
            invoices.push(t.invoice_number);
        }
    }
    invoices.sort();
    credit_notes.sort();
    (invoices, credit_notes)
}

#[tokio::test]
async fn nightly_export_books_sales_transactions_each_once_credit_notes_mirrored_customers_first() {
    let stack = Stack::for_ledger(Backend::moto_for_tests(), account(81, 20, 4)).await;
    let department = stack.departments()[0].clone();
    let connection = stack.connect_twinfield(&department, OFFICE_NL).await;
    assert_eq!(connection.settings.invoice_journal.as_deref(), Some("VRK"));
    assert_eq!(
        connection.settings.credit_note_journal.as_deref(),
        Some("VRK")
    );
    let customers_before = stack.twinfield.dimensions(OFFICE_NL).len();

    let report = stack.export_night("2026-11-30T01:00:00Z").await;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    assert_eq!(
        transactions(&stack),
        booked(&stack),
        "every document once, drafts never"
    );
    for t in stack.twinfield.transactions(OFFICE_NL) {
        let total = t.total_line().expect("a total line");
        let credit_note = t.invoice_number.starts_with("CN ");
        assert_eq!(
            format!("{:?}", total.side).to_lowercase(),
            if credit_note { "credit" } else { "debit" },
            "{t:?}"
        );
        assert!(
            t.lines.iter().all(|l| l.value >= Decimal::ZERO),
            "unsigned: {t:?}"
        );
        assert!(t.number > 0);
    }
    let counts = report.export_counts();
    assert_eq!(
        stack.twinfield.dimensions(OFFICE_NL).len() - customers_before,
        counts.customers_created as usize,
        "{counts:?}"
    );
    let stats = stack.twinfield.stats();
    assert_eq!(stats.rate_limited, 0, "fair use kept: {stats:?}");

    let again = stack.export_night("2026-12-01T01:00:00Z").await;
    assert_eq!(again.export_counts().exported, 0, "{again:#?}");
    assert_eq!(transactions(&stack), booked(&stack));
}

#[tokio::test]
async fn lost_answers_and_a_moved_cluster_never_book_twice() {
    let stack = Stack::for_ledger(Backend::Memory, account(82, 10, 2)).await;
    let department = stack.departments()[0].clone();
    stack.connect_twinfield(&department, OFFICE_NL).await;
    stack.twinfield.lose_transaction_answers(2);
    stack.twinfield.lose_dimension_answers(1);
    stack.twinfield.set_cluster(2);

    for night in [
        "2026-11-30T01:00:00Z",
        "2026-12-01T01:00:00Z",
        "2026-12-02T01:00:00Z",
    ] {
        stack.export_night(night).await;
    }
    let last = stack.last_report("invoice-export").await;
    assert_eq!(last.status, RunStatus::Succeeded, "{last:#?}");
    assert_eq!(
        transactions(&stack),
        booked(&stack),
        "each document exactly once"
    );
    let faults = stack.twinfield.faults();
    assert_eq!(
        (
            faults.lose_transaction_answers,
            faults.lose_dimension_answers
        ),
        (0, 0),
        "the lost answers happened: {faults:?}"
    );
    let mut names: Vec<String> = stack
        .twinfield
        .dimensions(OFFICE_NL)
        .into_iter()
        .map(|c| c.name)
        .collect();
    let all = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), all, "no customer created twice");
}

#[tokio::test]
async fn a_closed_period_is_said_before_any_call_and_the_next_run_books_it() {
    let stack = Stack::for_ledger(Backend::Memory, account(83, 6, 0)).await;
    let department = stack.departments()[0].clone();
    stack.connect_twinfield(&department, OFFICE_NL).await;
    // The oldest invoice's period is closed.
    let oldest = stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            a.invoices
                .values()
                .filter(|i| i.number.is_some())
                .filter_map(|i| i.invoice_date)
                .min()
        })
        .unwrap()
        .expect("an invoice");
    let period = format!(
        "{}/{:02}",
        chrono::Datelike::year(&oldest),
        chrono::Datelike::month(&oldest)
    );
    stack.twinfield.close_period(OFFICE_NL, &period).unwrap();

    let report = stack.export_night("2026-11-30T01:00:00Z").await;
    assert_eq!(report.status, RunStatus::CompletedWithIssues, "{report:#?}");
    assert!(
        report
            .issues
            .iter()
            .all(|i| i.reason.contains("is closed in Twinfield: reopen it")),
        "{:#?}",
        report.issues
    );
    stack
        .twinfield
        .set_period_open(OFFICE_NL, &period, true)
        .unwrap();
    let next = stack.export_night("2026-12-01T01:00:00Z").await;
    assert_eq!(next.status, RunStatus::Succeeded, "{next:#?}");
    assert_eq!(transactions(&stack), booked(&stack));
}

#[tokio::test]
async fn matched_in_twinfield_paid_in_teamleader_in_full_or_in_part() {
    let stack = Stack::for_ledger(Backend::Memory, account(84, 4, 0)).await;
    let department = stack.departments()[0].clone();
    stack.connect_twinfield(&department, OFFICE_NL).await;
    let exported = stack.export_night("2026-11-30T01:00:00Z").await;
    assert_eq!(exported.status, RunStatus::Succeeded, "{exported:#?}");
    let booked = stack.twinfield.transactions(OFFICE_NL);
    let (full, part) = (&booked[0], &booked[1]);
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    stack
        .twinfield
        .match_transaction(OFFICE_NL, &full.code, full.number, None, day)
        .unwrap();
    stack
        .twinfield
        .match_transaction(
            OFFICE_NL,
            &part.code,
            part.number,
            Some(Decimal::new(4000, 2)),
            day,
        )
        .unwrap();

    assert_eq!(
        stack
            .dispatch_at("payment-poll", "2026-11-30T09:30:00Z")
            .await,
        1
    );
    stack
        .drain(
            JobKind::PaymentPoll,
            &stack.payment_poll_function(),
            Duration::from_secs(900),
        )
        .await;
    let poll = stack.last_report("payment-poll").await;
    assert_eq!(poll.status, RunStatus::Succeeded, "{poll:#?}");
    let counts = poll.payment_counts();
    assert_eq!(
        (counts.marked_paid, counts.partly_paid),
        (1, 1),
        "{counts:?}"
    );
    let paid: BTreeMap<String, Decimal> = stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            a.invoices
                .values()
                .filter_map(|i| {
                    let (year, n) = i.number?;
                    Some((format!("{year} / {n}"), i.paid_amount()))
                })
                .collect()
        })
        .unwrap();
    assert_eq!(paid[&full.invoice_number], full.total_line().unwrap().value);
    assert_eq!(paid[&part.invoice_number], Decimal::new(4000, 2));
}

#[tokio::test]
async fn twinfield_customers_become_teamleader_companies_tagged_twinfield_import() {
    let stack = Stack::for_ledger(Backend::Memory, account(85, 0, 0)).await;
    let department = stack.departments()[0].clone();
    let connection = stack.connect_twinfield(&department, OFFICE_NL).await;
    let report = stack
        .run_to_report(&connection.id, JobKind::CompanyImport, "import-1")
        .await;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    let companies = stack.companies_of(&stack.account_id);
    for customer in stack.twinfield.dimensions(OFFICE_NL) {
        let found = companies
            .values()
            .find(|c| c.name == customer.name)
            .unwrap_or_else(|| panic!("{} imported: {companies:#?}", customer.name));
        assert_eq!(found.external_id.as_deref(), Some(customer.code.as_str()));
        assert!(
            found.tags.iter().any(|t| t == "Twinfield Import"),
            "{found:?}"
        );
    }
}

#[tokio::test]
async fn a_withdrawn_sign_in_asks_for_a_new_one() {
    let stack = Stack::for_ledger(Backend::Memory, account(86, 3, 0)).await;
    let department = stack.departments()[0].clone();
    let connection = stack.connect_twinfield(&department, OFFICE_NL).await;
    stack.twinfield.revoke_tokens();
    stack.twinfield.expire_tokens();
    let report = stack.export_night("2026-11-30T01:00:00Z").await;
    assert_eq!(report.status, RunStatus::Failed, "{report:#?}");
    let stored = stack
        .aws
        .store
        .connection(&connection.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, koppel_core::ConnectionStatus::NeedsReauth);
    let _ = twinfield::DEFAULT_CLIENT_ID;
}

/// Scenario C with Twinfield: customers in both systems; the import brings the DEB
/// customers in, those it could not match become duplicates, and the merge file by VAT
/// number gives the originals their Twinfield codes and removes the duplicates.
#[tokio::test]
async fn scenario_c_the_merge_file_gives_the_originals_their_twinfield_codes() {
    use koppel_core::jobs::merge::MatchBy;
    let stack = Stack::for_ledger(
        Backend::Memory,
        teamleader::GenerateSpec {
            invoices: 6,
            ..teamleader::GenerateSpec::companies_only(91, 4)
        },
    )
    .await;
    let department = stack.departments()[0].clone();
    let connection = stack.connect_twinfield(&department, OFFICE_NL).await;
    let originals: Vec<(String, String)> = stack
        .company_identities(&stack.account_id)
        .into_iter()
        .filter_map(|(n, v)| v.map(|v| (n, v)))
        .take(2)
        .collect();
    assert_eq!(originals.len(), 2, "the generated account has VAT numbers");
    for (name, _) in &originals {
        stack
            .twinfield
            .add_customer(OFFICE_NL, &format!("{name} & Zonen"), "")
            .unwrap();
    }
    let import = stack
        .run_to_report(&connection.id, JobKind::CompanyImport, "import-1")
        .await;
    assert_eq!(import.status, RunStatus::Succeeded, "{import:#?}");
    let imported = stack.teamleader_companies();
    let mut rows = String::from("Naam;Klantennummer boekhoudpakket;Btw-nummer\n");
    let mut codes = BTreeMap::new();
    for (name, vat) in &originals {
        let (code, tags) = &imported[&format!("{name} & Zonen")];
        assert_eq!(tags, &vec!["Twinfield Import".to_owned()]);
        let code = code.clone().expect("imported with its code");
        rows.push_str(&format!("\"{name}\";{code};{vat}\n"));
        codes.insert(name.clone(), code);
    }
    stack
        .upload_merge_file(&connection.id, "m1", rows.as_bytes(), MatchBy::VatNumber)
        .await;
    let applied = stack
        .run_to_report(
            &connection.id,
            JobKind::MergeFile {
                merge_id: "m1".into(),
                apply: true,
            },
            "apply-1",
        )
        .await;
    assert_eq!(applied.merge_counts().linked, 2, "{applied:#?}");
    assert_eq!(applied.merge_counts().removed, 2, "{applied:#?}");
    let merged = stack.teamleader_companies();
    for (name, _) in &originals {
        assert_eq!(merged[name].0.as_ref(), Some(&codes[name]), "{name}");
    }
    let export = stack.export_night("2026-11-30T01:00:00Z").await;
    assert_eq!(export.status, RunStatus::Succeeded, "{export:#?}");
    assert_eq!(transactions(&stack), booked(&stack));
}
