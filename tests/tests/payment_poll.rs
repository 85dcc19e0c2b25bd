//! The payment poll end to end on moto and both simulators: invoices reconciled in the Exact
//! simulator become paid in the Teamleader simulator with the right amount and date, once;
//! a partial then a full payment; paid stays paid after an un-match; credit notes are
//! reported, never pretended paid; invoices paid by hand in Teamleader are left alone.

use chrono::NaiveDate;
use koppel_core::jobs::export::ExportOptions;
use koppel_core::{IssueOutcome, JobKind, RunReport, RunStatus};
use koppel_e2e::stack::{Backend, Stack, StackOptions};
use koppel_sim::{exact, teamleader};
use rust_decimal::Decimal;
use std::time::Duration;

const DIVISION: i32 = exact::DEFAULT_BE_DIVISION;

/// An account exported to Exact: `invoices` booked invoices (none paid in Teamleader yet)
/// and a few credit notes.
async fn exported(invoices: usize, backend: Backend) -> Stack {
    // In memory, one worker: virtual time, so Teamleader's minute windows cost no real time.
    let virtual_time = matches!(backend, Backend::Memory);
    let stack = Stack::start(StackOptions {
        exact_limits: None,
        virtual_time,
        backend,
        generate: teamleader::GenerateSpec {
            seed: 31,
            departments: 1,
            companies: 5,
            contacts: 0,
            invoices,
            drafts: 1,
            credit_notes: 2,
            paid_percent: 0,
            days: 30,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let department = stack.departments()[0].clone();
    stack.connect(&department, DIVISION).await;
    stack.dispatch_nightly_at("2026-11-20T01:00:00Z").await;
    let drained = stack
        .drain_exports(
            &stack.export_function(ExportOptions::default()),
            Duration::from_secs(900),
        )
        .await;
    assert_eq!(drained.failed_messages, 0);
    stack
}

/// Dispatch the hourly poll and drain it; the connection's latest poll report.
async fn poll(stack: &Stack, at: &str) -> RunReport {
    assert_eq!(stack.dispatch_at("payment-poll", at).await, 1);
    let drained = stack
        .drain(
            JobKind::PaymentPoll,
            &stack.payment_poll_function(),
            Duration::from_secs(900),
        )
        .await;
    assert_eq!(drained.failed_messages, 0);
    assert_eq!(drained.killed, 0);
    let connection = &stack.aws.store.active_connections().await.unwrap()[0];
    stack
        .aws
        .store
        .run_reports(&connection.id, 10)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.job == "payment-poll")
        .expect("a payment-poll report")
}

/// (Exact entry id, Teamleader invoice id) of the invoice with this Teamleader number.
fn invoice(stack: &Stack, number: u32) -> (uuid::Uuid, String) {
    let (id, reference) = stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            let invoice = a
                .invoices
                .values()
                .find(|i| i.number.is_some_and(|(_, n)| n == number))
                .expect("invoice");
            let (year, n) = invoice.number.expect("booked");
            (invoice.id.clone(), format!("{year} / {n}"))
        })
        .unwrap();
    let entry = stack
        .exact
        .entries(DIVISION)
        .into_iter()
        .find(|e| e.your_ref.as_deref() == Some(reference.as_str()))
        .expect("exported entry");
    (entry.entry_id, id)
}

/// (amount, day) of every payment of a Teamleader invoice.
fn payments(stack: &Stack, invoice: &str) -> Vec<(Decimal, NaiveDate)> {
    stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            a.invoices[invoice]
                .payments
                .iter()
                .map(|p| (p.amount, p.paid_at.date_naive()))
                .collect()
        })
        .unwrap()
}

/// What the invoice with this Exact entry totals, VAT included.
fn total(stack: &Stack, entry: uuid::Uuid) -> Decimal {
    stack
        .exact
        .entries(DIVISION)
        .into_iter()
        .find(|e| e.entry_id == entry)
        .expect("entry")
        .amount()
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

#[tokio::test]
async fn reconciled_in_exact_paid_in_teamleader_once_partial_then_full_and_paid_stays_paid() {
    let stack = exported(6, Backend::moto_for_tests()).await;
    let (full_entry, full) = invoice(&stack, 1);
    let (part_entry, part) = invoice(&stack, 2);
    let full_total = total(&stack, full_entry);
    let part_total = total(&stack, part_entry);
    stack
        .exact
        .register_payment(DIVISION, full_entry, None, Some(day(21)))
        .unwrap();
    stack
        .exact
        .register_payment(
            DIVISION,
            part_entry,
            Some(Decimal::new(4000, 2)),
            Some(day(22)),
        )
        .unwrap();

    let first = poll(&stack, "2026-11-23T09:30:00Z").await;
    assert_eq!(first.status, RunStatus::Succeeded, "{first:#?}");
    let counts = first.payment_counts();
    assert_eq!(counts.marked_paid, 1, "{counts:?}");
    assert_eq!(counts.partly_paid, 1, "{counts:?}");
    assert_eq!(payments(&stack, &full), vec![(full_total, day(21))]);
    assert_eq!(
        payments(&stack, &part),
        vec![(Decimal::new(4000, 2), day(22))]
    );
    assert!(
        first
            .notices
            .iter()
            .any(|n| n.outcome == IssueOutcome::MarkedPaid),
        "the user reads which invoices turned paid: {:?}",
        first.notices
    );

    // The rest is paid; the next poll registers only the part not registered before.
    stack
        .exact
        .register_payment(DIVISION, part_entry, None, Some(day(24)))
        .unwrap();
    let second = poll(&stack, "2026-11-24T10:30:00Z").await;
    assert_eq!(second.payment_counts().marked_paid, 1);
    assert_eq!(
        payments(&stack, &part),
        vec![
            (Decimal::new(4000, 2), day(22)),
            (part_total - Decimal::new(4000, 2), day(24))
        ]
    );

    // The accountant undoes the match: paid stays paid, nothing is registered or removed.
    stack.exact.unmatch_payments(DIVISION, full_entry).unwrap();
    let third = poll(&stack, "2026-11-25T10:30:00Z").await;
    assert_eq!(third.payment_counts().payments_registered, 0);
    assert_eq!(payments(&stack, &full), vec![(full_total, day(21))]);
    assert!(
        stack
            .teamleader
            .with_account(&stack.account_id, |a| a.invoices[&full].paid_amount())
            .unwrap()
            >= full_total
    );
}

#[tokio::test]
async fn credit_notes_are_reported_and_invoices_paid_by_hand_left_alone() {
    let stack = exported(3, Backend::Memory).await;
    let (entry, by_hand) = invoice(&stack, 1);
    let amount = total(&stack, entry);
    // Paid by hand in Teamleader before the accountant reconciled it in Exact.
    stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            let invoice = a.invoices.get_mut(&by_hand).unwrap();
            invoice.payments.push(teamleader::model::Payment {
                amount,
                currency: "EUR".into(),
                paid_at: chrono::Utc::now(),
            });
        })
        .unwrap();
    stack
        .exact
        .register_payment(DIVISION, entry, None, Some(day(21)))
        .unwrap();
    let credit_notes: Vec<uuid::Uuid> = stack
        .exact
        .entries(DIVISION)
        .into_iter()
        .filter(|e| e.journal == "710")
        .map(|e| e.entry_id)
        .collect();
    for note in &credit_notes {
        stack
            .exact
            .register_payment(DIVISION, *note, None, Some(day(21)))
            .unwrap();
    }
    let report = poll(&stack, "2026-11-23T09:30:00Z").await;
    let counts = report.payment_counts();
    assert_eq!(counts.already_paid, 1, "{counts:?}");
    assert_eq!(payments(&stack, &by_hand).len(), 1, "never paid twice");
    assert_eq!(counts.credit_notes_settled as usize, credit_notes.len());
    assert!(
        report
            .notices
            .iter()
            .filter(|n| n.outcome == IssueOutcome::CreditNoteSettled)
            .all(|n| n.reason.contains("cannot mark a credit note paid"))
    );
}

#[tokio::test]
async fn hundreds_of_open_invoices_cost_a_few_exact_calls_and_one_teamleader_call_per_paid_one() {
    let stack = exported(240, Backend::Memory).await;
    for number in [5, 50, 150] {
        let (entry, _) = invoice(&stack, number);
        stack
            .exact
            .register_payment(DIVISION, entry, None, Some(day(21)))
            .unwrap();
    }
    let exact_before = stack.exact.stats();
    let teamleader_before = stack.teamleader.request_counts();
    let report = poll(&stack, "2026-11-23T09:30:00Z").await;
    assert_eq!(report.payment_counts().marked_paid, 3);
    let exact_after = stack.exact.stats();
    let receivable_reads =
        exact_after.calls_to("Receivables") - exact_before.calls_to("Receivables");
    // 242 open documents: one bulk page of unmatched receivables, the 3 matched ones in one
    // more read by EntryID.
    assert!(receivable_reads <= 3, "{receivable_reads} receivable reads");
    let teamleader_after = stack.teamleader.request_counts();
    let registered = teamleader_after
        .get("invoices.registerPayment")
        .copied()
        .unwrap_or(0)
        - teamleader_before
            .get("invoices.registerPayment")
            .copied()
            .unwrap_or(0);
    assert_eq!(registered, 3, "one registration per newly paid invoice");
}

#[tokio::test]
async fn a_payment_registered_in_teamleader_reaches_exact_once_and_is_not_echoed_back() {
    let stack = exported(4, Backend::moto_for_tests()).await;
    // The user opts in on the connection page: hand payments go to bank journal 550.
    let mut connection = stack.aws.store.active_connections().await.unwrap()[0].clone();
    connection.settings.payment_journal = Some("550".into());
    stack.aws.store.put_connection(&connection).await.unwrap();
    let by_hand =
        |number: u32, on: u32| {
            let (entry, invoice) = invoice(&stack, number);
            let amount = total(&stack, entry);
            stack
                .teamleader
                .with_account(&stack.account_id, |a| {
                    a.invoices.get_mut(&invoice).unwrap().payments.push(
                        teamleader::model::Payment {
                            amount,
                            currency: "EUR".into(),
                            paid_at: day(on).and_hms_opt(9, 0, 0).unwrap().and_utc(),
                        },
                    );
                })
                .unwrap();
            (entry, invoice, amount)
        };
    let (entry, invoice_id, amount) = by_hand(2, 21);
    let bank_lines = |stack: &Stack| {
        stack
            .exact
            .division(DIVISION)
            .unwrap()
            .financial_entries
            .iter()
            .flat_map(|e| e.lines.clone())
            .collect::<Vec<_>>()
    };

    let first = poll(&stack, "2026-11-23T09:30:00Z").await;
    assert_eq!(first.status, RunStatus::Succeeded, "{first:#?}");
    assert_eq!(first.payment_counts().payments_booked, 1, "{first:#?}");
    let lines = bank_lines(&stack);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].amount, amount);
    assert_eq!(lines[0].date, day(21));
    assert_eq!(
        lines[0].settled_entry,
        Some(entry),
        "Exact matched it to the invoice"
    );
    let settled = stack
        .exact
        .entries(DIVISION)
        .into_iter()
        .find(|e| e.entry_id == entry)
        .unwrap();
    assert!(settled.is_fully_paid());

    // Next hour: the ledger shows it paid because of Koppel's booking — nothing is booked
    // again and nothing is registered back in Teamleader.
    let second = poll(&stack, "2026-11-23T10:30:00Z").await;
    assert_eq!(second.payment_counts().payments_booked, 0, "{second:#?}");
    assert_eq!(second.payment_counts().payments_registered, 0, "no echo");
    assert_eq!(payments(&stack, &invoice_id).len(), 1);
    assert_eq!(
        stack.teamleader.request_count("invoices.registerPayment"),
        0
    );
    assert_eq!(bank_lines(&stack).len(), 1);

    // Exact books the next one but the answer is lost: the poll stops, and the next one
    // finds the line by its description instead of booking it again.
    let (other_entry, _, _) = by_hand(3, 22);
    stack
        .exact
        .crash_after_commit(1, exact::CrashMode::DropConnection);
    let third = poll(&stack, "2026-11-23T11:30:00Z").await;
    assert_ne!(third.status, RunStatus::Succeeded, "{third:#?}");
    stack.exact.clear_faults();
    let fourth = poll(&stack, "2026-11-23T12:30:00Z").await;
    assert_eq!(fourth.status, RunStatus::Succeeded, "{fourth:#?}");
    let lines = bank_lines(&stack);
    assert_eq!(lines.len(), 2, "booked once: {lines:#?}");
    assert_eq!(lines[1].settled_entry, Some(other_entry));
    assert_eq!(
        stack.teamleader.request_count("invoices.registerPayment"),
        0
    );
}
