//! End-to-end with Octopus: the real dispatcher, export, payment poll and company import
//! handlers from the Teamleader simulator to the Octopus simulator. Nothing here knows more
//! about Octopus than a test must: the jobs are the same as for every ledger.

use koppel_core::{JobKind, RunStatus};
use koppel_e2e::stack::{Backend, Stack};
use koppel_sim::octopus::{self, budget::Group, seed};
use koppel_sim::teamleader;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::time::Duration;

const DOSSIER: i64 = seed::DEMO_DOSSIER_ID;

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

/// Booked Teamleader documents of the account: (invoice numbers, credit-note numbers).
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
                .map(|c| format!("{} / {}", c.number.0, c.number.1))
                .collect();
            invoices.sort();
            credit_notes.sort();
            (invoices, credit_notes)
        })
        .expect("account")
}

/// The references (`orderReference`) of the bookings in `journal`, sorted, with repeats.
fn references(stack: &Stack, journal: &str) -> Vec<String> {
    let mut refs: Vec<String> = stack
        .octopus
        .bookings(DOSSIER)
        .into_iter()
        .filter(|b| b.data.journal_key == journal)
        .map(|b| b.data.order_reference)
        .collect();
    refs.sort();
    refs
}

#[tokio::test]
async fn nightly_export_books_invoices_in_v1_credit_notes_negative_in_v2_relations_first_each_once()
{
    let stack = Stack::for_ledger(Backend::moto_for_tests(), account(61, 24, 4)).await;
    let department = stack.departments()[0].clone();
    let connection = stack.connect_octopus(&department, DOSSIER).await;
    assert_eq!(connection.settings.invoice_journal.as_deref(), Some("V1"));
    assert_eq!(
        connection.settings.credit_note_journal.as_deref(),
        Some("V2")
    );
    let relations_before = stack.octopus.relations(DOSSIER).len();

    let report = stack.export_night("2026-11-30T01:00:00Z").await;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    let (invoices, credit_notes) = booked(&stack);
    assert_eq!(
        references(&stack, "V1"),
        invoices,
        "every booked invoice once, drafts never"
    );
    assert_eq!(
        references(&stack, "V2"),
        credit_notes,
        "every credit note once"
    );
    let bookings = stack.octopus.bookings(DOSSIER);
    for booking in &bookings {
        let lines: Decimal = booking
            .data
            .booking_lines
            .iter()
            .map(|l| {
                assert!(l.base_amount >= Decimal::ZERO && l.vat_amount >= Decimal::ZERO);
                l.base_amount + l.vat_amount
            })
            .sum();
        let expected = if booking.data.journal_key == "V2" {
            -lines
        } else {
            lines
        };
        assert_eq!(booking.data.amount, expected, "{booking:?}");
    }
    // Numbers follow each other in each journal, from 1.
    for journal in ["V1", "V2"] {
        let mut numbers: Vec<i64> = bookings
            .iter()
            .filter(|b| b.data.journal_key == journal)
            .map(|b| b.data.document_sequence_nr)
            .collect();
        numbers.sort();
        assert_eq!(numbers, (1..=numbers.len() as i64).collect::<Vec<_>>());
    }
    // Customers first, each once: every booking names a relation that exists, and the
    // Teamleader companies carry its number.
    let relations = stack.octopus.relations(DOSSIER);
    let ids: Vec<i64> = relations
        .iter()
        .map(|r| r.relation_identification_service_data.relation_key.id)
        .collect();
    assert!(
        bookings
            .iter()
            .all(|b| ids.contains(&b.data.relation_identification_service_data.relation_key.id))
    );
    let counts = report.export_counts();
    assert_eq!(
        relations.len() - relations_before,
        counts.customers_created as usize,
        "{counts:?}"
    );
    let mut names: Vec<&str> = relations.iter().map(|r| r.name.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), relations.len(), "no relation created twice");
    let numbered: Vec<String> = stack
        .companies_of(&stack.account_id)
        .into_values()
        .filter_map(|c| c.external_id)
        .collect();
    // Companies learn their relation's number (contacts have no external-id field).
    assert!(!numbered.is_empty());
    assert!(
        numbered
            .iter()
            .all(|n| n.parse::<i64>().is_ok_and(|n| ids.contains(&n))),
        "Teamleader learns the Octopus relation numbers: {numbered:?} of {ids:?}"
    );
    assert_eq!(
        counts.exported as usize,
        invoices.len() + credit_notes.len()
    );

    // The next night books nothing again.
    let again = stack.export_night("2026-12-01T01:00:00Z").await;
    assert_eq!(again.export_counts().exported, 0, "{again:#?}");
    assert_eq!(stack.octopus.bookings(DOSSIER).len(), bookings.len());
}

#[tokio::test]
async fn answers_lost_after_booking_are_found_again_by_reference_never_booked_twice() {
    let stack = Stack::for_ledger(Backend::Memory, account(62, 12, 2)).await;
    let department = stack.departments()[0].clone();
    stack.connect_octopus(&department, DOSSIER).await;
    stack.octopus.lose_booking_answers(3);
    stack.octopus.lose_relation_answers(1);

    let first = stack.export_night("2026-11-30T01:00:00Z").await;
    assert_ne!(first.status, RunStatus::Failed, "{first:#?}");
    let second = stack.export_night("2026-12-01T01:00:00Z").await;
    let third = stack.export_night("2026-12-02T01:00:00Z").await;
    assert_eq!(
        third.status,
        RunStatus::Succeeded,
        "{first:#?}\n{second:#?}\n{third:#?}"
    );

    let (invoices, credit_notes) = booked(&stack);
    assert_eq!(
        references(&stack, "V1"),
        invoices,
        "each invoice exactly once"
    );
    assert_eq!(
        references(&stack, "V2"),
        credit_notes,
        "each credit note exactly once"
    );
    let faults = stack.octopus.faults();
    assert_eq!(
        (faults.lose_booking_answers, faults.lose_relation_answers),
        (0, 0),
        "every lost answer happened"
    );
    assert!(
        stack
            .octopus
            .stats()
            .by_group
            .get(&Group::Modified)
            .copied()
            >= Some(1),
        "the bookings in doubt were looked up in the modified-bookings read"
    );
    assert!(
        stack.octopus.stats().bookings_posted as usize == invoices.len() + credit_notes.len(),
        "no booking was posted twice"
    );
    let relations = stack.octopus.relations(DOSSIER);
    let mut names: Vec<&str> = relations.iter().map(|r| r.name.as_str()).collect();
    names.sort();
    let before = names.len();
    names.dedup();
    assert_eq!(names.len(), before, "no relation created twice: {names:?}");
}

#[tokio::test]
async fn a_journal_open_in_octopus_pauses_the_run_with_the_fix_and_the_next_run_exports() {
    let stack = Stack::for_ledger(Backend::Memory, account(63, 6, 1)).await;
    let department = stack.departments()[0].clone();
    stack.connect_octopus(&department, DOSSIER).await;
    stack
        .octopus
        .lock_journal(DOSSIER, "V1", "boekhouder")
        .unwrap();

    let paused = stack.export_night("2026-11-30T01:00:00Z").await;
    assert_eq!(paused.status, RunStatus::Paused, "{paused:#?}");
    let said = format!("{paused:?}");
    assert!(said.contains("close it in Octopus"), "{said}");
    assert!(references(&stack, "V1").is_empty());

    stack.octopus.unlock_journal(DOSSIER, "V1").unwrap();
    let next = stack.export_night("2026-12-01T01:00:00Z").await;
    assert_eq!(next.status, RunStatus::Succeeded, "{next:#?}");
    let (invoices, credit_notes) = booked(&stack);
    assert_eq!(references(&stack, "V1"), invoices);
    assert_eq!(references(&stack, "V2"), credit_notes);
}

#[tokio::test]
async fn a_closed_period_refuses_its_documents_with_what_to_do_and_books_the_others() {
    let stack = Stack::for_ledger(Backend::Memory, account(64, 10, 0)).await;
    let department = stack.departments()[0].clone();
    stack.connect_octopus(&department, DOSSIER).await;
    // Close the period of the oldest invoice in V1.
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
    let period = chrono::Datelike::year(&oldest) * 100 + chrono::Datelike::month(&oldest) as i32;
    let bookyear = seed::DEMO_CURRENT_BOOKYEAR;
    stack
        .octopus
        .set_closed_period(DOSSIER, bookyear, "V1", period)
        .unwrap();

    let report = stack.export_night("2026-11-30T01:00:00Z").await;
    assert_eq!(report.status, RunStatus::CompletedWithIssues, "{report:#?}");
    let counts = report.export_counts();
    assert!(counts.failed >= 1 && counts.exported >= 1, "{counts:?}");
    assert!(
        report
            .issues
            .iter()
            .all(|i| i.reason.contains("Book year period is closed")
                && i.reason.contains("reopen the period")),
        "{:#?}",
        report.issues
    );
}

#[tokio::test]
async fn matched_in_octopus_paid_in_teamleader_in_full_or_in_part() {
    let stack = Stack::for_ledger(Backend::Memory, account(65, 5, 0)).await;
    let department = stack.departments()[0].clone();
    stack.connect_octopus(&department, DOSSIER).await;
    let exported = stack.export_night("2026-11-30T01:00:00Z").await;
    assert_eq!(exported.status, RunStatus::Succeeded, "{exported:#?}");
    let bookings = stack.octopus.bookings(DOSSIER);
    let v1: Vec<_> = bookings
        .iter()
        .filter(|b| b.data.journal_key == "V1")
        .collect();
    let (full, part) = (&v1[0].data, &v1[1].data);
    stack
        .octopus
        .match_booking(
            DOSSIER,
            full.bookyear_key.id,
            "V1",
            full.document_sequence_nr,
            None,
        )
        .unwrap();
    stack
        .octopus
        .match_booking(
            DOSSIER,
            part.bookyear_key.id,
            "V1",
            part.document_sequence_nr,
            Some(Decimal::new(4000, 2)),
        )
        .unwrap();

    assert_eq!(
        stack
            .dispatch_at("payment-poll", "2026-11-30T09:30:00Z")
            .await,
        1
    );
    let drained = stack
        .drain(
            JobKind::PaymentPoll,
            &stack.payment_poll_function(),
            Duration::from_secs(900),
        )
        .await;
    assert_eq!(drained.failed_messages, 0);
    let poll = stack.last_report("payment-poll").await;
    assert_eq!(poll.status, RunStatus::Succeeded, "{poll:#?}");
    let counts = poll.payment_counts();
    assert_eq!(counts.marked_paid, 1, "{counts:?}");
    assert_eq!(counts.partly_paid, 1, "{counts:?}");
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
    assert_eq!(paid[&full.order_reference], full.amount);
    assert_eq!(paid[&part.order_reference], Decimal::new(4000, 2));
    assert!(
        octopus::budget::DEFAULT_MODIFIED_CALLS_PER_DAY
            >= stack.octopus.calls_today(DOSSIER, Group::Modified),
        "the poll spends no modified-bookings read"
    );
}

#[tokio::test]
async fn relations_of_octopus_become_teamleader_companies_tagged_octopus_import() {
    let stack = Stack::for_ledger(Backend::Memory, account(66, 0, 0)).await;
    let department = stack.departments()[0].clone();
    let connection = stack.connect_octopus(&department, DOSSIER).await;
    let report = stack
        .run_to_report(&connection.id, JobKind::CompanyImport, "import-1")
        .await;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    let companies = stack.companies_of(&stack.account_id);
    for relation in stack.octopus.relations(DOSSIER) {
        let found = companies
            .values()
            .find(|c| c.name == relation.name)
            .unwrap_or_else(|| panic!("{} imported: {companies:#?}", relation.name));
        assert_eq!(
            found.external_id.as_deref(),
            Some(
                relation
                    .relation_identification_service_data
                    .relation_key
                    .id
                    .to_string()
                    .as_str()
            )
        );
        assert!(
            found.tags.iter().any(|t| t == "Octopus Import"),
            "{found:?}"
        );
    }
}

#[tokio::test]
async fn a_spent_daily_budget_pauses_the_export_and_the_next_day_finishes_it_each_once() {
    let stack = Stack::for_ledger(Backend::Memory, account(67, 8, 1)).await;
    let department = stack.departments()[0].clone();
    stack.connect_octopus(&department, DOSSIER).await;
    stack.octopus.set_budget(Group::Bookings, Some(3));

    let paused = stack.export_night("2026-11-30T01:00:00Z").await;
    assert_eq!(paused.status, RunStatus::Paused, "{paused:#?}");
    assert_eq!(paused.export_counts().exported, 3, "{paused:#?}");
    assert!(
        paused
            .message
            .as_deref()
            .is_some_and(|m| m.contains("Octopus") && m.contains("next run")),
        "{paused:#?}"
    );
    assert_eq!(stack.octopus.stats().bookings_posted, 3);

    stack.octopus.set_budget(Group::Bookings, Some(100));
    stack.clock.advance(chrono::Duration::days(1));
    let next = stack.export_night("2026-12-01T01:00:00Z").await;
    assert_eq!(next.status, RunStatus::Succeeded, "{next:#?}");
    let (invoices, credit_notes) = booked(&stack);
    assert_eq!(references(&stack, "V1"), invoices);
    assert_eq!(references(&stack, "V2"), credit_notes);
}

#[tokio::test]
async fn a_changed_password_asks_for_a_new_sign_in_and_tokens_are_renewed_only_when_due() {
    let stack = Stack::for_ledger(Backend::Memory, account(68, 4, 0)).await;
    let department = stack.departments()[0].clone();
    let connection = stack.connect_octopus(&department, DOSSIER).await;
    let first = stack.export_night("2026-11-30T01:00:00Z").await;
    assert_eq!(first.status, RunStatus::Succeeded, "{first:#?}");
    let stats = stack.octopus.stats();
    assert!(
        stats.authentications <= 2 && stats.dossier_tokens <= 2,
        "one sign-in and one dossier token per run (and one at connect): {stats:?}"
    );

    stack
        .octopus
        .change_password(seed::DEMO_USER, "a new password")
        .unwrap();
    stack.clock.advance(chrono::Duration::days(1));
    let refused = stack.export_night("2026-12-01T01:00:00Z").await;
    assert_eq!(refused.status, RunStatus::Failed, "{refused:#?}");
    let stored = stack
        .aws
        .store
        .connection(&connection.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, koppel_core::ConnectionStatus::NeedsReauth);
    assert!(
        stored
            .status_reason
            .as_deref()
            .is_some_and(|r| r.contains("user name and password")),
        "{stored:?}"
    );
}

/// Scenario C of the Octopus article: the customers are in both systems; the import brings
/// Octopus's relations in (tagged "Octopus Import"), those it could not match become
/// duplicates, and the merge file by VAT number gives the originals their relation numbers
/// and removes the duplicates. The next export books on those relations and creates none.
#[tokio::test]
async fn scenario_c_the_merge_file_gives_the_originals_their_octopus_numbers() {
    use koppel_core::jobs::merge::MatchBy;
    let stack = Stack::for_ledger(
        Backend::Memory,
        teamleader::GenerateSpec {
            invoices: 8,
            ..teamleader::GenerateSpec::companies_only(71, 4)
        },
    )
    .await;
    let department = stack.departments()[0].clone();
    let connection = stack.connect_octopus(&department, DOSSIER).await;
    let companies = stack.company_identities(&stack.account_id);
    let originals: Vec<(String, String)> = companies
        .iter()
        .filter_map(|(n, v)| v.clone().map(|v| (n.clone(), v)))
        .take(2)
        .collect();
    assert_eq!(originals.len(), 2, "the generated account has VAT numbers");
    for (name, _) in &originals {
        stack
            .octopus
            .add_relation(DOSSIER, &format!("{name} & Zonen"), None)
            .unwrap();
    }
    let import = stack
        .run_to_report(&connection.id, JobKind::CompanyImport, "import-1")
        .await;
    assert_eq!(import.status, RunStatus::Succeeded, "{import:#?}");
    let imported = stack.teamleader_companies();
    let mut rows = String::from("Naam;Klantennummer boekhoudpakket;Btw-nummer\n");
    let mut numbers = BTreeMap::new();
    for (name, vat) in &originals {
        let (number, tags) = &imported[&format!("{name} & Zonen")];
        assert_eq!(tags, &vec!["Octopus Import".to_owned()]);
        let number = number.clone().expect("imported with its relation number");
        rows.push_str(&format!("\"{name}\";{number};{vat}\n"));
        numbers.insert(name.clone(), number);
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
        assert_eq!(merged[name].0.as_ref(), Some(&numbers[name]), "{name}");
        assert!(!merged.contains_key(&format!("{name} & Zonen")));
    }

    let relations_before = stack.octopus.relations(DOSSIER).len();
    let export = stack.export_night("2026-11-30T01:00:00Z").await;
    assert_eq!(export.status, RunStatus::Succeeded, "{export:#?}");
    let created = stack.octopus.relations(DOSSIER).len() - relations_before;
    assert_eq!(created, export.export_counts().customers_created as usize);
    for (name, _) in &originals {
        let number: i64 = numbers[name].parse().unwrap();
        let billed = stack.teamleader.with_account(&stack.account_id, |a| {
            a.invoices.values().any(|i| {
                i.number.is_some()
                    && a.companies
                        .get(&i.customer.id)
                        .is_some_and(|c| &c.name == name)
            })
        });
        if billed == Some(true) {
            assert!(
                stack.octopus.bookings(DOSSIER).iter().any(|b| b
                    .data
                    .relation_identification_service_data
                    .relation_key
                    .id
                    == number),
                "{name}'s invoices are booked on relation {number}"
            );
        }
    }
}
