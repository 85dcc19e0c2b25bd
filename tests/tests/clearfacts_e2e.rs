//! End-to-end with Clearfacts: the real dispatcher, export and payment poll handlers from the
//! Teamleader simulator to the Clearfacts simulator (OpenID Connect with rotating refresh
//! tokens, one GraphQL endpoint, multipart uploads, payment states). Every XML that reaches
//! the simulator is checked here again against the official Peppol BIS 3 rules.

use koppel_core::{IssueOutcome, JobKind, RunStatus};
use koppel_e2e::stack::{Backend, Stack};
use koppel_einvoice::PeppolValidator;
use koppel_sim::clearfacts::{self, ADMINISTRATION_DEMO, FileKind, PaymentState};
use koppel_sim::teamleader;
use std::time::Duration;

fn account(seed: u64, invoices: usize, credit_notes: usize) -> teamleader::GenerateSpec {
    teamleader::GenerateSpec {
        seed,
        departments: 1,
        companies: 6,
        contacts: 2,
        invoices,
        drafts: 2,
        credit_notes,
        paid_percent: 0,
        days: 40,
        ..Default::default()
    }
}

/// The official rules, as `infra/dev` configures them: a test that cannot check fails.
fn validator() -> PeppolValidator {
    PeppolValidator::from_env().expect(
        "KOPPEL_PEPPOL_PYTHON and EINVOICE_RULES_DIR name the Peppol validator: run the tests with `infra/dev test`",
    )
}

/// How many uploads carried the same bytes (a document sent twice is the same file twice).
fn repeated_files(stack: &Stack) -> usize {
    let uploads = stack.clearfacts.uploads();
    let distinct: std::collections::BTreeSet<String> =
        uploads.iter().map(|u| u.sha256.clone()).collect();
    uploads.len() - distinct.len()
}

/// Every XML upload passes every layer of the official rules.
async fn assert_every_xml_passes_the_rules(stack: &Stack) -> usize {
    let validator = validator();
    let mut checked = 0;
    for upload in stack.clearfacts.uploads() {
        if upload.kind != FileKind::Xml {
            continue;
        }
        let bytes = stack.clearfacts.upload_bytes(&upload.uuid).expect("bytes");
        let verdict = validator.check(&bytes).await.expect("a complete check");
        assert!(
            verdict.is_valid(),
            "{}: {:?}",
            upload.file_name,
            verdict.findings
        );
        checked += 1;
    }
    checked
}

#[tokio::test]
async fn nightly_export_sends_each_document_once_as_a_valid_bis3_file_or_the_pdf_with_the_reason() {
    let stack = Stack::for_ledger(Backend::moto_for_tests(), account(91, 12, 3)).await;
    let department = stack.departments()[0].clone();
    stack
        .connect_clearfacts(&department, ADMINISTRATION_DEMO)
        .await;

    let report = stack.export_night("2026-11-30T01:00:00Z").await;
    assert!(
        matches!(
            report.status,
            RunStatus::Succeeded | RunStatus::CompletedWithIssues
        ),
        "{report:#?}"
    );
    let counts = report.export_counts();
    assert_eq!(counts.exported, 15, "{report:#?}");
    assert_eq!(
        counts.sent_structured + counts.sent_as_pdf,
        15,
        "{counts:?}"
    );
    assert!(counts.sent_structured > 0, "{report:#?}");
    let uploads = stack.clearfacts.uploads();
    assert_eq!(uploads.len(), 15);
    assert!(
        uploads
            .iter()
            .all(|u| u.company_number == ADMINISTRATION_DEMO)
    );
    assert_eq!(repeated_files(&stack), 0, "each document once");
    for notice in &report.notices {
        println!("{:?}: {}", notice.subject, notice.reason);
    }
    let credit_notes = uploads
        .iter()
        .filter(|u| u.xml_root.as_deref() == Some("CreditNote"))
        .count();
    let pdf_notes = report
        .notices
        .iter()
        .filter(|n| n.outcome == IssueOutcome::SentAsPdf)
        .count();
    assert_eq!(pdf_notes as u32, counts.sent_as_pdf, "every PDF says why");
    assert!(
        credit_notes + pdf_notes >= 3,
        "credit notes built by Koppel or reasoned PDFs"
    );
    let checked = assert_every_xml_passes_the_rules(&stack).await;
    assert_eq!(checked as u32, counts.sent_structured);

    let again = stack.export_night("2026-12-01T01:00:00Z").await;
    assert_eq!(again.export_counts().exported, 0, "{again:#?}");
    assert_eq!(stack.clearfacts.uploads().len(), 15, "nothing sent twice");
}

#[tokio::test]
async fn a_lost_upload_answer_is_sent_again_next_run_and_reported_as_maybe_twice() {
    let stack = Stack::for_ledger(Backend::Memory, account(92, 4, 0)).await;
    let department = stack.departments()[0].clone();
    stack
        .connect_clearfacts(&department, ADMINISTRATION_DEMO)
        .await;
    stack.clearfacts.fail_after_upload(1);

    let first = stack.export_night("2026-11-30T01:00:00Z").await;
    assert_eq!(first.status, RunStatus::Paused, "{first:#?}");
    let second = stack.export_night("2026-12-01T01:00:00Z").await;
    let counts = second.export_counts();
    assert_eq!(counts.maybe_sent_twice, 1, "{second:#?}");
    let doubt = second
        .issues
        .iter()
        .find(|i| i.outcome == IssueOutcome::MaybeSentTwice)
        .expect("reported");
    assert!(
        doubt.reason.contains("check the sales inbox in Clearfacts"),
        "{}",
        doubt.reason
    );
    // Four documents, one of them twice in the inbox (the reported one), none missing.
    assert_eq!(stack.clearfacts.uploads().len(), 5);
    assert_eq!(repeated_files(&stack), 1);
    let third = stack.export_night("2026-12-02T01:00:00Z").await;
    assert_eq!(third.export_counts().exported, 0, "{third:#?}");
    assert_eq!(stack.clearfacts.uploads().len(), 5);
}

#[tokio::test]
async fn paid_in_clearfacts_marks_the_invoice_paid_in_teamleader_partly_paid_is_reported() {
    let stack = Stack::for_ledger(Backend::Memory, account(93, 3, 0)).await;
    let department = stack.departments()[0].clone();
    stack
        .connect_clearfacts(&department, ADMINISTRATION_DEMO)
        .await;
    let exported = stack.export_night("2026-11-30T01:00:00Z").await;
    assert_eq!(exported.export_counts().exported, 3, "{exported:#?}");
    let uploads = stack.clearfacts.uploads();
    stack
        .clearfacts
        .set_payment_state(&uploads[0].uuid, PaymentState::Paid)
        .expect("known");
    stack
        .clearfacts
        .set_payment_state(&uploads[1].uuid, PaymentState::PartiallyPaid)
        .expect("known");
    let before = stack.clearfacts.stats();

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
    let counts = poll.payment_counts();
    assert_eq!((counts.checked, counts.marked_paid), (3, 1), "{poll:#?}");
    assert!(
        poll.notices
            .iter()
            .any(|n| n.outcome == IssueOutcome::PartlyPaidAmountUnknown),
        "{poll:#?}"
    );
    let after = stack.clearfacts.stats();
    assert_eq!(
        (
            after.calls("document") - before.calls("document"),
            after.calls("graphql") - before.calls("graphql"),
        ),
        (3, 1),
        "three document fields in one request"
    );
    let paid: usize = stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            a.invoices
                .values()
                .filter(|i| i.paid_amount() > rust_decimal::Decimal::ZERO)
                .count()
        })
        .expect("account");
    assert_eq!(paid, 1);
    let _ = clearfacts::DEFAULT_USER;
}
