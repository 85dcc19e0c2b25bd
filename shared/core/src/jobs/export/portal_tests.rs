//! The export to a portal that takes the document file itself and cannot be searched
//! (Clearfacts), against the memory ports: a structured file whenever one passes the rules,
//! else the PDF with the reason; an upload whose answer was lost is sent again and reported
//! as "may have been sent twice", never silently doubled or dropped.

use crate::jobs::test_world::*;
use crate::memory::{InMemoryEinvoice, InMemoryLedger, PostFault};
use crate::{
    Address, ConnectionSettings, Department, DepartmentId, DocumentId, ExternalError, IssueOutcome,
    LedgerKind, RunStatus,
};
use std::sync::Arc;

/// A Clearfacts-like connection over `world`, with Peppol files from `einvoice`.
async fn portal_world(
    invoices: u32,
    credit_notes: u32,
    einvoice: Option<Arc<InMemoryEinvoice>>,
) -> World {
    let mut world = World::new(InMemoryLedger::document_portal(LedgerKind::Clearfacts));
    account(invoices, credit_notes, 2, &world.source);
    for n in 1..=2 {
        let mut buyer = customer(n);
        buyer.addresses.push(Address {
            country: Some("BE".into()),
            ..Default::default()
        });
        world.source.put_customer(buyer);
    }
    world.source.put_department(Department {
        id: DepartmentId::from("dep"),
        name: "Demo BV".into(),
        vat_number: Some("BE0899623035".into()),
        currency: Some("EUR".into()),
        status: None,
        address: Some(Address {
            country: Some("BE".into()),
            ..Default::default()
        }),
    });
    world.connector.einvoice = einvoice.map(|e| e as Arc<dyn crate::EinvoiceFiles>);
    let mut c = connection();
    c.ledger = LedgerKind::Clearfacts;
    c.settings = ConnectionSettings {
        automatic_sync: true,
        ..Default::default()
    };
    world.connect(c).await;
    world
}

fn file_names(world: &World) -> Vec<String> {
    world
        .ledger
        .entries()
        .iter()
        .filter_map(|h| h.file_name.clone())
        .collect()
}

#[tokio::test]
async fn every_document_goes_as_a_checked_structured_file_credit_notes_built_by_koppel() {
    let einvoice = Arc::new(InMemoryEinvoice::default());
    let world = portal_world(3, 2, Some(einvoice.clone())).await;
    let (_, report) = world.run("night-1", None).await;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    let counts = report.export_counts();
    assert_eq!(
        (counts.exported, counts.sent_structured, counts.sent_as_pdf),
        (5, 5, 0)
    );
    assert_eq!(
        einvoice.checked(),
        5,
        "every file is checked before it is sent"
    );
    assert!(file_names(&world).iter().all(|f| f.ends_with(".xml")));
    assert_eq!(
        world.ledger.finds(),
        0,
        "a portal without search is never searched"
    );
}

#[tokio::test]
async fn a_file_that_breaks_a_rule_is_never_sent_the_pdf_goes_with_the_rule_and_the_fix() {
    let einvoice = Arc::new(InMemoryEinvoice::default());
    einvoice.break_rule_for("0002", "PEPPOL-EN16931-R010");
    let world = portal_world(3, 0, Some(einvoice)).await;
    let (_, report) = world.run("night-1", None).await;
    let counts = report.export_counts();
    assert_eq!(
        (counts.exported, counts.sent_structured, counts.sent_as_pdf),
        (3, 2, 1)
    );
    let names = file_names(&world);
    assert_eq!(
        names.iter().filter(|f| f.ends_with(".pdf")).count(),
        1,
        "{names:?}"
    );
    let notice = report
        .notices
        .iter()
        .find(|n| n.outcome == IssueOutcome::SentAsPdf)
        .expect("the PDF is reported");
    assert!(
        notice.reason.contains("PEPPOL-EN16931-R010"),
        "{}",
        notice.reason
    );
    assert!(notice.reason.contains("VAT number"), "{}", notice.reason);
}

#[tokio::test]
async fn without_a_rule_engine_or_buyer_country_the_pdf_goes_and_the_report_says_why() {
    // No Peppol set-up on the deployment: PDFs, each with the reason.
    let world = portal_world(2, 0, None).await;
    let (_, report) = world.run("night-1", None).await;
    assert_eq!(report.export_counts().sent_as_pdf, 2);
    assert!(
        report
            .notices
            .iter()
            .all(|n| n.reason.contains("not set up"))
    );

    // The rules cannot run: never an unchecked XML.
    let einvoice = Arc::new(InMemoryEinvoice::default());
    einvoice.make_unavailable();
    let world = portal_world(1, 0, Some(einvoice)).await;
    let (_, report) = world.run("night-1", None).await;
    assert_eq!(report.export_counts().sent_as_pdf, 1);
    assert!(file_names(&world)[0].ends_with(".pdf"));

    // A credit note whose customer has no country: no structured file can be built.
    let einvoice = Arc::new(InMemoryEinvoice::default());
    let world = portal_world(0, 1, Some(einvoice)).await;
    let mut buyer = customer(2);
    buyer.addresses.clear();
    world.source.put_customer(buyer);
    let (_, report) = world.run("night-1", None).await;
    assert_eq!(report.export_counts().sent_as_pdf, 1, "{report:#?}");
    assert!(
        report.notices[0].reason.contains("country"),
        "{:?}",
        report.notices
    );
}

#[tokio::test]
async fn an_upload_whose_answer_was_lost_is_sent_again_and_reported_never_dropped() {
    let world = portal_world(3, 0, Some(Arc::new(InMemoryEinvoice::default()))).await;
    // The first upload reaches the portal, its answer is lost; the second is refused
    // outright (nothing left behind); the third goes through.
    world.ledger.fault_posts([
        PostFault::LoseAnswerAfterBooking,
        PostFault::Fail(ExternalError::Rejected {
            system: "Clearfacts",
            status: 400,
            message: "Unsupported file".into(),
        }),
    ]);
    // The lost answer pauses the run (the portal may be down); nothing else is tried.
    let (_, first) = world.run("night-1", None).await;
    assert_eq!(first.status, RunStatus::Paused, "{first:#?}");
    assert_eq!(first.export_counts().exported, 0);

    // The next run sends it again; this time it is refused outright: it fails, the doubt
    // about the first upload stays. The other two go.
    let (_, second) = world.run("night-2", None).await;
    let counts = second.export_counts();
    assert_eq!((counts.exported, counts.failed), (2, 1), "{second:#?}");
    assert_eq!(counts.maybe_sent_twice, 0);

    // The night after it goes, and the report says it may be there twice.
    let (_, third) = world.run("night-3", None).await;
    let counts = third.export_counts();
    assert_eq!(
        (counts.exported, counts.maybe_sent_twice),
        (1, 1),
        "{third:#?}"
    );
    let doubt = third
        .issues
        .iter()
        .find(|i| i.outcome == IssueOutcome::MaybeSentTwice)
        .expect("reported");
    assert!(
        doubt
            .reason
            .contains("may have been sent twice — check the sales inbox")
    );
    let (_, fourth) = world.run("night-4", None).await;
    assert_eq!(fourth.export_counts().exported, 0, "{fourth:#?}");

    // The lost one is in the portal twice (reported), every other once, none missing.
    let refs = world.booked_references();
    assert_eq!(
        refs.iter().filter(|r| *r == "2026 / 0001").count(),
        2,
        "{refs:?}"
    );
    assert_eq!(
        refs.iter().filter(|r| *r == "2026 / 0002").count(),
        1,
        "{refs:?}"
    );
    assert_eq!(
        refs.iter().filter(|r| *r == "2026 / 0003").count(),
        1,
        "{refs:?}"
    );
    assert_eq!(world.ledger.finds(), 0);
}

#[tokio::test]
async fn a_document_edited_after_it_was_sent_is_reported_with_what_to_do_never_resent() {
    let world = portal_world(1, 0, Some(Arc::new(InMemoryEinvoice::default()))).await;
    world.run("night-1", None).await;
    world.source.edit_document(&DocumentId::from("INV-1"), |d| {
        d.date = d.date.succ_opt().expect("a next day");
        d.updated_at += chrono::Duration::hours(30);
    });
    world.clock.advance(std::time::Duration::from_secs(86_400));
    let (_, report) = world.run("night-2", None).await;
    assert_eq!(report.export_counts().exported, 0);
    let issue = report
        .issues
        .iter()
        .find(|i| i.outcome == IssueOutcome::ChangedAfterExport)
        .expect("reported");
    assert!(
        issue.reason.contains("delete it from the sales inbox"),
        "{}",
        issue.reason
    );
    assert!(issue.reason.contains("export again"), "{}", issue.reason);
    assert_eq!(world.booked_references().len(), 1);
}
