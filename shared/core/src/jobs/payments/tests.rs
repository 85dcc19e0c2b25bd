//! The payment poll against the memory ports: documents exported by the export job first,
//! then reconciled (or not) in the in-memory ledger.

use super::{PaymentPoll, PaymentPollOptions};
use crate::jobs::test_world::*;
use crate::{
    ConnectionId, DocumentId, DocumentStore, IssueOutcome, JobKind, PaymentCounts, RunReport,
    RunStatus,
};
use chrono::{DateTime, Utc};
use rust_decimal_macros::dec;
use std::time::Duration;

/// A world whose account is exported: `invoices` invoices and `credit_notes` credit notes of
/// 121.00 each.
async fn exported(invoices: u32, credit_notes: u32) -> World {
    let world = World::with_account(invoices, credit_notes, 2);
    world.connect(connection()).await;
    let (_, report) = world.run("night-1", None).await;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    world
}

async fn poll(world: &World, run: &str, chunk: usize) -> RunReport {
    let job = PaymentPoll {
        documents: &world.store,
        mailer: None,
        options: PaymentPollOptions { chunk },
    };
    world.run_job(&job, JobKind::PaymentPoll, run, None).await.1
}

fn counts(report: &RunReport) -> PaymentCounts {
    report.payment_counts()
}

fn invoice_payments(world: &World, id: &str) -> Vec<(String, String)> {
    world
        .source
        .payments()
        .into_iter()
        .filter(|(doc, _)| doc.as_str() == id)
        .map(|(_, p)| {
            (
                p.amount.amount.to_string(),
                p.paid_at.format("%Y-%m-%d").to_string(),
            )
        })
        .collect()
}

/// The stored record of a document of connection c1.
async fn record(world: &World, id: &str) -> crate::DocumentRecord {
    world
        .store
        .document(&ConnectionId::from("c1"), &DocumentId::from(id))
        .await
        .unwrap()
        .expect("a record")
}

fn at(day: u32) -> DateTime<Utc> {
    chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, day, 9, 30, 0).unwrap()
}

#[tokio::test]
async fn a_reconciled_invoice_becomes_paid_once_with_the_ledgers_date_and_leaves_the_index() {
    let world = exported(3, 0).await;
    world.ledger.reconcile("2026 / 0002", dec!(121), at(21));
    let reads_before = world.ledger.payment_reads();

    let report = poll(&world, "poll-1", 1000).await;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    assert_eq!(counts(&report).checked, 3);
    assert_eq!(counts(&report).marked_paid, 1);
    assert_eq!(
        world.ledger.payment_reads() - reads_before,
        1,
        "one bulk read for all"
    );
    assert_eq!(
        invoice_payments(&world, "INV-2"),
        vec![("121".to_owned(), "2026-11-21".to_owned())]
    );
    assert_eq!(report.notices.len(), 1);
    assert_eq!(report.notices[0].outcome, IssueOutcome::MarkedPaid);
    assert_eq!(report.notices[0].document_number(), Some("2026 / 0002"));

    // Paid stays paid: the next poll does not even look at it, and registers nothing.
    let second = poll(&world, "poll-2", 1000).await;
    assert_eq!(counts(&second).checked, 2);
    assert_eq!(world.source.payments().len(), 1);
    let unpaid = world
        .store
        .unpaid_exported(&ConnectionId::from("c1"))
        .await
        .unwrap();
    assert!(unpaid.iter().all(|r| r.document_id.as_str() != "INV-2"));
}

#[tokio::test]
async fn a_partial_then_a_full_payment_registers_each_part_once() {
    let world = exported(1, 0).await;
    world.ledger.reconcile("2026 / 0001", dec!(50), at(10));
    let first = poll(&world, "poll-1", 1000).await;
    assert_eq!(counts(&first).partly_paid, 1);
    assert_eq!(counts(&first).marked_paid, 0);
    // Nothing new in the ledger: nothing registered again.
    let again = poll(&world, "poll-2", 1000).await;
    assert_eq!(counts(&again).payments_registered, 0);
    world.ledger.reconcile("2026 / 0001", dec!(71), at(20));
    let second = poll(&world, "poll-3", 1000).await;
    assert_eq!(counts(&second).marked_paid, 1);
    assert_eq!(
        invoice_payments(&world, "INV-1"),
        vec![
            ("50".to_owned(), "2026-11-10".to_owned()),
            ("71".to_owned(), "2026-11-20".to_owned())
        ]
    );
}

#[tokio::test]
async fn an_unmatch_after_a_partial_payment_is_reported_and_teamleader_left_alone() {
    let world = exported(1, 0).await;
    world.ledger.reconcile("2026 / 0001", dec!(60), at(10));
    poll(&world, "poll-1", 1000).await;
    world.ledger.unmatch("2026 / 0001");
    let report = poll(&world, "poll-2", 1000).await;
    assert_eq!(counts(&report).unmatched, 1);
    assert_eq!(report.issues[0].outcome, IssueOutcome::UnmatchedInLedger);
    assert_eq!(
        world.source.payments().len(),
        1,
        "Teamleader keeps the payment"
    );
    // Said once, not at every poll.
    let later = poll(&world, "poll-3", 1000).await;
    assert_eq!(counts(&later).unmatched, 0);
}

#[tokio::test]
async fn a_settled_credit_note_is_recorded_and_said_never_pretended_paid() {
    let world = exported(0, 1).await;
    world.ledger.reconcile("2026 / 1001", dec!(121), at(12));
    let report = poll(&world, "poll-1", 1000).await;
    assert_eq!(counts(&report).credit_notes_settled, 1);
    assert!(
        world.source.payments().is_empty(),
        "no payment call for a credit note"
    );
    assert_eq!(report.notices[0].outcome, IssueOutcome::CreditNoteSettled);
    assert!(
        report.notices[0]
            .reason
            .contains("cannot mark a credit note paid")
    );
}

#[tokio::test]
async fn a_registration_whose_answer_was_lost_is_found_on_the_invoice_not_sent_again() {
    let world = exported(2, 0).await;
    world.ledger.reconcile("2026 / 0001", dec!(121), at(15));
    world.source.fault_payments([true]);
    let first = poll(&world, "poll-1", 1000).await;
    assert_eq!(first.status, RunStatus::Paused, "{first:#?}");
    assert_eq!(
        world.source.payments().len(),
        1,
        "it went through before the answer was lost"
    );

    let second = poll(&world, "poll-2", 1000).await;
    assert_eq!(second.status, RunStatus::Succeeded, "{second:#?}");
    assert_eq!(world.source.payments().len(), 1, "never registered twice");
    let record = record(&world, "INV-1").await;
    assert!(record.paid);
    assert_eq!(record.payments_registered, dec!(121));

    // A request lost before it reached Teamleader is sent once on the next poll.
    world.ledger.reconcile("2026 / 0002", dec!(121), at(16));
    world.source.fault_payments([false]);
    assert_eq!(poll(&world, "poll-3", 1000).await.status, RunStatus::Paused);
    poll(&world, "poll-4", 1000).await;
    assert_eq!(invoice_payments(&world, "INV-2").len(), 1);
}

#[tokio::test]
async fn thousands_of_open_documents_cost_one_ledger_read_per_invocation() {
    let world = exported(45, 0).await;
    for n in [3, 17, 44] {
        world
            .ledger
            .reconcile(&format!("2026 / {n:04}"), dec!(121), at(18));
    }
    let reads = world.ledger.payment_reads();
    let report = poll(&world, "poll-1", 10).await;
    assert_eq!(counts(&report).checked, 45);
    assert_eq!(counts(&report).marked_paid, 3);
    assert_eq!(
        world.ledger.payment_reads() - reads,
        1,
        "one bulk question for all 45, whatever the chunk"
    );
    assert_eq!(
        world.source.payments().len(),
        3,
        "one Teamleader call per newly paid invoice"
    );
}

#[tokio::test]
async fn a_long_poll_continues_where_it_stopped() {
    let world = exported(30, 0).await;
    for n in 1..=30 {
        world
            .ledger
            .reconcile(&format!("2026 / {n:04}"), dec!(121), at(19));
    }
    let job = PaymentPoll {
        documents: &world.store,
        mailer: None,
        options: PaymentPollOptions { chunk: 7 },
    };
    // Each Teamleader call takes 200 ms of clock time; 3 s per invocation.
    let (invocations, report) = world
        .run_job(
            &job,
            JobKind::PaymentPoll,
            "poll-1",
            Some(Duration::from_secs(3)),
        )
        .await;
    assert!(invocations > 1, "{invocations}");
    assert_eq!(counts(&report).marked_paid, 30);
    assert_eq!(world.source.payments().len(), 30, "each once");
}

#[tokio::test]
async fn teamleader_refusing_a_payment_fails_only_that_invoice() {
    let world = exported(2, 0).await;
    world.ledger.reconcile("2026 / 0001", dec!(121), at(15));
    world.ledger.reconcile("2026 / 0002", dec!(121), at(15));
    // The first invoice was deleted in Teamleader: registering its payment is refused.
    world.source.remove_document(&DocumentId::from("INV-1"));
    let report = poll(&world, "poll-1", 1000).await;
    assert_eq!(report.status, RunStatus::CompletedWithIssues, "{report:#?}");
    assert_eq!(counts(&report).failed, 1);
    assert_eq!(counts(&report).marked_paid, 1);
    assert!(
        report.issues[0]
            .reason
            .contains("could not be registered in Teamleader")
    );
}

#[tokio::test]
async fn an_invoice_paid_by_hand_in_teamleader_is_never_paid_twice() {
    let world = exported(2, 0).await;
    world
        .source
        .edit_document(&DocumentId::from("INV-1"), |d| d.paid = true);
    world.ledger.reconcile("2026 / 0001", dec!(121), at(15));
    world.ledger.reconcile("2026 / 0002", dec!(121), at(15));
    let calls = world.source.calls();
    let report = poll(&world, "poll-1", 1000).await;
    assert_eq!(counts(&report).already_paid, 1);
    assert_eq!(counts(&report).marked_paid, 1);
    assert!(invoice_payments(&world, "INV-1").is_empty());
    assert_eq!(invoice_payments(&world, "INV-2").len(), 1);
    assert_eq!(
        world.source.calls() - calls,
        2,
        "one list for both, one registration"
    );
}

#[tokio::test]
async fn a_digest_of_the_invoices_marked_paid_is_mailed_when_asked_in_the_accounts_language() {
    let world = exported(3, 0).await;
    let mut c = connection();
    c.settings.notify_email = Some("boekhouding@example.be".into());
    world.connect(c).await;
    world.source.set_language("nl-BE");
    world.ledger.reconcile("2026 / 0001", dec!(121), at(21));
    world.ledger.reconcile("2026 / 0003", dec!(21), at(22));
    let mailer = crate::memory::InMemoryMailer::new();
    let job = PaymentPoll {
        documents: &world.store,
        mailer: Some(&mailer),
        options: PaymentPollOptions::default(),
    };
    world
        .run_job(&job, JobKind::PaymentPoll, "poll-1", None)
        .await;
    let sent = mailer.sent();
    assert_eq!(sent.len(), 1, "one digest per run");
    assert_eq!(sent[0].to, "boekhouding@example.be");
    assert!(sent[0].subject.contains("betaald"), "{}", sent[0].subject);
    assert!(
        sent[0].text.contains("2026 / 0001") && sent[0].text.contains("2026 / 0003"),
        "{}",
        sent[0].text
    );
    // Nothing new: no e-mail.
    world
        .run_job(&job, JobKind::PaymentPoll, "poll-2", None)
        .await;
    assert_eq!(mailer.sent().len(), 1);
}

/// A world whose connection carries hand payments to the ledger's journal "550".
async fn carrying(invoices: u32) -> World {
    let world = exported(invoices, 0).await;
    let mut c = connection();
    c.settings.payment_journal = Some("550".into());
    world.connect(c).await;
    world
}

/// The customer pays `amount` and the user registers it by hand in Teamleader on `day`.
fn paid_by_hand(world: &World, id: &str, amount: rust_decimal::Decimal, day: u32) {
    world.source.edit_document(&DocumentId::from(id), |d| {
        d.payments.push(crate::Payment {
            amount: crate::Money {
                amount,
                currency: d.total_incl.currency.clone(),
            },
            paid_at: at(day),
        });
        let paid: rust_decimal::Decimal = d.payments.iter().map(|p| p.amount.amount).sum();
        d.paid = paid >= d.total_incl.amount;
    });
}

#[tokio::test]
async fn a_payment_registered_by_hand_in_teamleader_is_booked_in_the_ledger_once_and_never_echoed()
{
    let world = carrying(3).await;
    paid_by_hand(&world, "INV-2", dec!(121), 20);
    let report = poll(&world, "poll-1", 1000).await;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    assert_eq!(counts(&report).payments_booked, 1, "{report:#?}");
    let booked = world.ledger.received_payments();
    assert_eq!(booked.len(), 1);
    assert_eq!(booked[0].amount.amount, dec!(121));
    assert_eq!(booked[0].journal, "550");
    assert_eq!(booked[0].received_on.to_string(), "2026-11-20");
    assert_eq!(report.notices[0].outcome, IssueOutcome::PaymentBooked);

    // The ledger now shows it paid because of Koppel's booking: nothing goes back to
    // Teamleader, nothing is booked again, and the invoice leaves the index.
    let second = poll(&world, "poll-2", 1000).await;
    assert_eq!(counts(&second).payments_booked, 0, "{second:#?}");
    assert_eq!(counts(&second).payments_registered, 0, "no echo");
    assert!(
        world.source.payments().is_empty(),
        "nothing registered by Koppel"
    );
    assert_eq!(world.ledger.received_payments().len(), 1);
    let record = record(&world, "INV-2").await;
    assert!(record.paid, "{record:#?}");
    assert_eq!(counts(&poll(&world, "poll-3", 1000).await).checked, 2);
}

#[tokio::test]
async fn without_the_opt_in_a_payment_by_hand_stays_in_teamleader() {
    let world = exported(2, 0).await;
    paid_by_hand(&world, "INV-1", dec!(121), 20);
    let report = poll(&world, "poll-1", 1000).await;
    assert_eq!(counts(&report).payments_booked, 0);
    assert!(world.ledger.received_payments().is_empty());
}

#[tokio::test]
async fn a_payment_the_ledger_already_has_from_a_bank_statement_is_not_booked_twice() {
    let world = carrying(2).await;
    paid_by_hand(&world, "INV-1", dec!(121), 20);
    world.ledger.reconcile("2026 / 0001", dec!(121), at(21));
    let report = poll(&world, "poll-1", 1000).await;
    assert_eq!(counts(&report).payments_booked, 0, "{report:#?}");
    assert_eq!(counts(&report).payments_registered, 0, "{report:#?}");
    assert_eq!(counts(&report).already_paid, 1);
    assert!(world.ledger.received_payments().is_empty());
    assert!(world.source.payments().is_empty());
}

#[tokio::test]
async fn part_paid_by_hand_is_booked_and_the_rest_reconciled_in_the_ledger_reaches_teamleader() {
    let world = carrying(1).await;
    paid_by_hand(&world, "INV-1", dec!(50), 20);
    let first = poll(&world, "poll-1", 1000).await;
    assert_eq!(counts(&first).payments_booked, 1, "{first:#?}");
    assert_eq!(world.ledger.received_payments()[0].amount.amount, dec!(50));
    // The accountant reconciles the remaining 71 from the bank statement.
    world.ledger.reconcile("2026 / 0001", dec!(71), at(25));
    let second = poll(&world, "poll-2", 1000).await;
    assert_eq!(counts(&second).marked_paid, 1, "{second:#?}");
    assert_eq!(
        invoice_payments(&world, "INV-1"),
        vec![("71".to_owned(), "2026-11-25".to_owned())],
        "only the ledger's own 71 goes to Teamleader, not Koppel's 50 back"
    );
    assert_eq!(world.ledger.received_payments().len(), 1);
}

#[tokio::test]
async fn a_booking_whose_answer_was_lost_is_found_and_never_booked_twice() {
    let world = carrying(1).await;
    paid_by_hand(&world, "INV-1", dec!(121), 20);
    world
        .ledger
        .fail_next_received_payment(crate::memory::PostFault::LoseAnswerAfterBooking);
    let first = poll(&world, "poll-1", 1000).await;
    assert_eq!(first.status, RunStatus::Paused, "{first:#?}");
    let second = poll(&world, "poll-2", 1000).await;
    assert_eq!(counts(&second).payments_booked, 0, "{second:#?}");
    assert_eq!(world.ledger.received_payments().len(), 1, "booked once");
    let record = record(&world, "INV-1").await;
    assert_eq!(record.payments_carried, dec!(121));
    assert!(record.carry_intent.is_none());
    assert!(world.source.payments().is_empty(), "no echo");

    // A request lost before it reached the ledger is booked on the next poll.
    let world = carrying(1).await;
    paid_by_hand(&world, "INV-1", dec!(121), 20);
    world
        .ledger
        .fail_next_received_payment(crate::memory::PostFault::LoseRequest);
    poll(&world, "poll-1", 1000).await;
    assert!(world.ledger.received_payments().is_empty());
    poll(&world, "poll-2", 1000).await;
    assert_eq!(world.ledger.received_payments().len(), 1);
}

#[tokio::test]
async fn a_booking_the_ledger_did_not_match_is_reported_once_and_never_booked_again() {
    let world = carrying(1).await;
    world.ledger.leave_received_payments_unmatched();
    paid_by_hand(&world, "INV-1", dec!(121), 20);
    let first = poll(&world, "poll-1", 1000).await;
    assert_eq!(counts(&first).payments_booked, 1, "{first:#?}");
    let second = poll(&world, "poll-2", 1000).await;
    assert_eq!(counts(&second).payments_booked, 0, "{second:#?}");
    assert_eq!(second.issues.len(), 1, "{second:#?}");
    assert!(
        second.issues[0]
            .reason
            .contains("match the payment line to the invoice"),
        "{:?}",
        second.issues
    );
    let third = poll(&world, "poll-3", 1000).await;
    assert!(third.issues.is_empty(), "reported once: {third:#?}");
    assert_eq!(
        world.ledger.received_payments().len(),
        1,
        "never booked again"
    );
    assert!(world.source.payments().is_empty());
}
