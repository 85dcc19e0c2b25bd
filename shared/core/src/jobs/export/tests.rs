//! The export against the memory ports: an in-memory Teamleader account, an in-memory ledger
//! with fault injection, the memory store and queue, a manual clock. No AWS, no HTTP.

use super::{ExportStores, request_reexport};
use crate::jobs::lifecycle::JobOutcome;
use crate::jobs::test_world::*;
use crate::memory::{InMemoryLedger, PostFault};
use crate::{
    Clock, ConnectionId, ConnectionSettings, CursorStore, CustomerLink, Deadline, DepartmentId,
    DocumentId, DocumentKind, DocumentStore, ExportCounts, ExportState, ExternalError, FileFormat,
    GlAccount, IssueOutcome, Job, JobKind, LeaseStore, LedgerKind, LedgerLimits, Money,
    ProductCategory, ProductCategoryId, RunId, RunReport, RunStatus,
};
use rust_decimal_macros::dec;
use std::time::Duration;

fn counts(report: &RunReport) -> ExportCounts {
    report.export_counts()
}

/// Every booked document of the account exactly once in the ledger.
fn assert_exactly_once(world: &World, invoices: u32, credit_notes: u32) {
    let refs = world.booked_references();
    let mut unique = refs.clone();
    unique.dedup();
    assert_eq!(
        unique.len(),
        refs.len(),
        "an entry was posted twice: {refs:?}"
    );
    assert_eq!(
        refs.len() as u32,
        invoices + credit_notes,
        "a document is missing"
    );
}

#[tokio::test]
async fn booked_documents_go_to_their_journals_once_drafts_never_customers_first() {
    let world = World::with_account(25, 5, 3);
    world.connect(connection()).await;
    let (_, report) = world.run("night-1", None).await;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    assert_eq!(counts(&report).exported, 30);
    assert_eq!(counts(&report).customers_created, 3);
    assert_eq!(world.ledger.customers_created(), 3);
    assert_exactly_once(&world, 25, 5);
    for held in world.ledger.entries() {
        let expected = match held.entry.kind {
            DocumentKind::Invoice => "700",
            DocumentKind::CreditNote => "710",
        };
        assert_eq!(held.entry.journal.as_deref(), Some(expected));
        assert!(matches!(held.entry.customer, CustomerLink::Ledger { .. }));
        assert_eq!(held.entry.lines[0].gl_account.as_deref(), Some("700000"));
    }
    // The next night finds nothing new and posts nothing.
    let posts = world.ledger.posts();
    let (_, second) = world.run("night-2", None).await;
    assert_eq!(second.status, RunStatus::Succeeded);
    assert_eq!(counts(&second).exported, 0);
    assert_eq!(world.ledger.posts(), posts);
}

#[tokio::test]
async fn a_customer_created_by_a_worker_that_died_before_recording_it_is_found_not_created_again() {
    use crate::LedgerCustomers;
    let world = World::with_account(3, 0, 1);
    world.connect(connection()).await;
    // A worker noted the creation, the ledger created the customer, the worker died before
    // storing the mapping.
    // Nothing to find it by but its name: no VAT number, no customer number.
    let mut customer = world.source.companies().remove(0);
    customer.vat_number = None;
    customer.external_id = None;
    world.source.put_customer(customer.clone());
    let note = format!("customer-creation:{}", customer.reference.key());
    world
        .store
        .put_cursor(&connection().id, &note, &world.clock.now().to_rfc3339())
        .await
        .unwrap();
    world.ledger.create_customer(&customer).await.unwrap();
    assert_eq!(world.ledger.customers_created(), 1);

    let (_, report) = world.run("night-1", None).await;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    assert_eq!(
        world.ledger.customers_created(),
        1,
        "not created a second time"
    );
    assert_exactly_once(&world, 3, 0);
}

#[tokio::test]
async fn one_refused_document_fails_alone_with_the_ledgers_words() {
    let world = World::with_account(6, 0, 2);
    world.connect(connection()).await;
    world.ledger.refuse("2026 / 0003", "Periode is afgesloten");
    let (_, report) = world.run("night-1", None).await;
    assert_eq!(report.status, RunStatus::CompletedWithIssues);
    assert_eq!(counts(&report).exported, 5);
    assert_eq!(counts(&report).failed, 1);
    assert_eq!(report.issues.len(), 1);
    assert_eq!(report.issues[0].document_number(), Some("2026 / 0003"));
    assert_eq!(report.issues[0].outcome, IssueOutcome::Failed);
    assert!(
        report.issues[0]
            .reason
            .contains("refused it: Periode is afgesloten"),
        "{}",
        report.issues[0].reason
    );

    // Fixed in the ledger: the next run tries it again (the cursor reaches back) and only it.
    world.ledger.accept("2026 / 0003");
    world.clock.advance(Duration::from_secs(86_400));
    let (_, second) = world.run("night-2", None).await;
    assert_eq!(counts(&second).exported, 1, "{second:#?}");
    assert_exactly_once(&world, 6, 0);
    // The ledger is told it is a retry (a file an earlier try uploaded may be reused).
    let retried: Vec<(String, bool)> = world
        .ledger
        .entries()
        .into_iter()
        .map(|e| (e.entry.reference, e.entry.retry))
        .filter(|(_, retry)| *retry)
        .collect();
    assert_eq!(retried, vec![("2026 / 0003".to_owned(), true)]);
}

#[tokio::test]
async fn a_worker_killed_after_the_ledger_booked_is_resolved_by_lookup_not_a_second_post() {
    let world = World::with_account(8, 0, 2);
    world.connect(connection()).await;
    let message = Job::start(
        ConnectionId::from("c1"),
        RunId::new("r"),
        JobKind::InvoiceExport,
    );
    let crashed = world.export_killed_after_posts(&message, 1).await;
    assert!(crashed, "the worker was killed");
    assert_eq!(world.ledger.entries().len(), 1);

    // The message comes back after the claim lapsed: the entry is found, not posted again.
    world.clock.advance(Duration::from_secs(21 * 60));
    let outcome = world.invoke(&message, Deadline::none()).await;
    let JobOutcome::Finished(report) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(counts(&report).already_exported, 1);
    assert_eq!(counts(&report).exported, 7);
    assert_eq!(world.ledger.posts(), 8);
    assert_exactly_once(&world, 8, 0);
}

#[tokio::test]
async fn an_answer_lost_after_booking_is_looked_up_and_recorded_once() {
    let world = World::with_account(5, 0, 1);
    world.connect(connection()).await;
    world.ledger.fault_posts([
        PostFault::LoseAnswerAfterBooking,
        PostFault::LoseAnswerAfterBooking,
    ]);
    let (_, report) = world.run("night-1", None).await;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    assert_eq!(counts(&report).exported, 5);
    assert_eq!(world.ledger.posts(), 5, "no second post");
    assert_exactly_once(&world, 5, 0);
}

#[tokio::test]
async fn an_answer_lost_whose_lookup_fails_too_is_looked_up_again_before_the_next_post() {
    // Chaos seed 1164: the entry is booked, its answer lost, and the lookup that should settle
    // it fails (the daily quota ran out); the next night must look again, not post again.
    let world = World::with_account(3, 0, 1);
    world.connect(connection()).await;
    world
        .ledger
        .fault_posts([PostFault::LoseAnswerAfterBooking]);
    world.ledger.fault_finds([ExternalError::Unavailable {
        system: "L",
        detail: "daily quota spent".into(),
    }]);
    let (_, first) = world.run("night-1", None).await;
    assert_eq!(first.status, RunStatus::Paused, "{first:#?}");
    assert_eq!(
        world.ledger.entries().len(),
        1,
        "booked, though Koppel never heard"
    );
    world.clock.advance(Duration::from_secs(24 * 3600));
    let (_, second) = world.run("night-2", None).await;
    assert_eq!(second.status, RunStatus::Succeeded, "{second:#?}");
    assert_eq!(
        world.ledger.posts(),
        3,
        "no second post of the first document"
    );
    assert_exactly_once(&world, 3, 0);
}

#[tokio::test]
async fn a_request_lost_before_booking_pauses_the_run_and_the_next_run_posts_it_once() {
    let world = World::with_account(5, 0, 1);
    world.connect(connection()).await;
    world
        .ledger
        .fault_posts([PostFault::Fail(ExternalError::Unavailable {
            system: "L",
            detail: "down".into(),
        })]);
    let (_, first) = world.run("night-1", None).await;
    assert_eq!(first.status, RunStatus::Paused, "{first:#?}");
    assert!(
        first
            .message
            .as_deref()
            .unwrap_or("")
            .contains("Nothing is lost")
    );
    assert_eq!(world.ledger.entries().len(), 0);
    world.clock.advance(Duration::from_secs(3600));
    let (_, second) = world.run("night-2", None).await;
    assert_eq!(second.status, RunStatus::Succeeded, "{second:#?}");
    assert_exactly_once(&world, 5, 0);

    // An unknown outcome that the lookup shows was not booked: paused, posted once later.
    let world = World::with_account(3, 0, 1);
    world.connect(connection()).await;
    world.ledger.fault_posts([PostFault::LoseRequest]);
    let (_, first) = world.run("night-1", None).await;
    assert_eq!(first.status, RunStatus::Paused, "{first:#?}");
    let (_, second) = world.run("night-2", None).await;
    assert_eq!(second.status, RunStatus::Succeeded);
    assert_exactly_once(&world, 3, 0);
}

#[tokio::test]
async fn a_backlog_continues_over_invocations_by_the_clock_with_progress_in_each() {
    // Every Teamleader call takes 200 ms of clock time; each invocation gets 6 s of it.
    let world = World::with_account(40, 6, 4);
    world.connect(connection()).await;
    let (invocations, report) = world.run("night-1", Some(Duration::from_secs(6))).await;
    assert!(invocations > 2, "{invocations} invocations");
    assert_eq!(report.invocations, invocations);
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    assert_eq!(counts(&report).exported, 46);
    assert_exactly_once(&world, 40, 6);
}

#[tokio::test]
async fn no_time_left_for_a_wait_hands_over_instead_of_pausing() {
    let world = World::with_account(6, 0, 1);
    world.connect(connection()).await;
    world
        .ledger
        .fault_posts([PostFault::Fail(ExternalError::NoTimeLeft {
            system: "L",
            until: start() + chrono::Duration::hours(1),
        })]);
    let (invocations, report) = world.run("night-1", None).await;
    assert_eq!(invocations, 2, "handed over once");
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    assert_eq!(counts(&report).skipped, 0);
    assert_exactly_once(&world, 6, 0);
}

#[tokio::test]
async fn pre_flight_blockers_stop_the_run_before_any_post() {
    let world = World::with_account(3, 0, 1);
    let mut c = connection();
    c.settings.credit_note_journal = Some("700".into());
    world.connect(c).await;
    let (_, report) = world.run("night-1", None).await;
    assert_eq!(report.status, RunStatus::Failed);
    assert!(
        report
            .message
            .as_deref()
            .unwrap_or("")
            .contains("Invoices and credit notes go to the same journal (700)"),
        "{report:#?}"
    );
    assert_eq!(world.ledger.posts(), 0);
}

#[tokio::test]
async fn refused_credentials_fail_the_run_and_a_spent_quota_pauses_it() {
    let world = World::with_account(3, 0, 1);
    world.connect(connection()).await;
    world
        .ledger
        .fault_reference_data([ExternalError::NeedsReauth {
            system: "L",
            detail: "revoked".into(),
        }]);
    let (_, report) = world.run("night-1", None).await;
    assert_eq!(report.status, RunStatus::Failed);
    assert!(
        report
            .message
            .as_deref()
            .unwrap_or("")
            .contains("sign in to L again"),
        "{report:#?}"
    );
    // The connection waits for a new sign-in; the person signs in again.
    let id = connection().id;
    let marked = crate::ConnectionStore::connection(&world.store, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(marked.status, crate::ConnectionStatus::NeedsReauth);
    assert!(marked.status_reason.is_some_and(|r| r.contains("revoked")));
    crate::ConnectionStore::set_connection_status(
        &world.store,
        &id,
        crate::ConnectionStatus::Active,
        None,
    )
    .await
    .unwrap();

    world.source.fault_listings([ExternalError::QuotaExhausted {
        system: "Teamleader Focus",
        until: start(),
    }]);
    let (_, report) = world.run("night-2", None).await;
    assert_eq!(report.status, RunStatus::Paused, "{report:#?}");
    let (_, report) = world.run("night-3", None).await;
    assert_eq!(report.status, RunStatus::Succeeded);
    assert_exactly_once(&world, 3, 0);
}

#[tokio::test]
async fn edits_and_deletions_after_export_are_reported_and_reexport_is_the_users_call() {
    let world = World::with_account(4, 0, 1);
    world.connect(connection()).await;
    world.run("night-1", None).await;
    let later = world.clock.now() + chrono::Duration::hours(2);
    world.clock.advance(Duration::from_secs(3 * 3600));
    world.source.edit_document(&DocumentId::from("INV-1"), |d| {
        d.total_incl = Money::eur(dec!(242));
        d.updated_at = later;
    });
    world
        .source
        .edit_document(&DocumentId::from("INV-2"), |d| d.updated_at = later);
    assert!(world.ledger.delete_entry("2026 / 0002"));
    let (_, report) = world.run("night-2", None).await;
    assert_eq!(report.status, RunStatus::CompletedWithIssues, "{report:#?}");
    assert_eq!(counts(&report).changed_after_export, 1);
    assert_eq!(counts(&report).missing_in_ledger, 1);
    assert_eq!(counts(&report).exported, 0, "never re-posted by itself");
    let outcomes: Vec<(Option<&str>, IssueOutcome)> = report
        .issues
        .iter()
        .map(|i| (i.document_number(), i.outcome))
        .collect();
    assert!(outcomes.contains(&(Some("2026 / 0001"), IssueOutcome::ChangedAfterExport)));
    assert!(outcomes.contains(&(Some("2026 / 0002"), IssueOutcome::MissingInLedger)));

    assert!(
        request_reexport(
            &world.store,
            &world.store,
            world.clock.as_ref(),
            &ConnectionId::from("c1"),
            &DocumentId::from("INV-2")
        )
        .await
        .unwrap()
    );
    let (_, third) = world.run("night-3", None).await;
    assert_eq!(counts(&third).exported, 1, "{third:#?}");
    assert_eq!(
        world
            .booked_references()
            .iter()
            .filter(|r| *r == "2026 / 0002")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_ledger_without_general_ledger_gets_files_and_customers_inside_them() {
    let world = World::new(InMemoryLedger::file_only(
        LedgerKind::Clearfacts,
        FileFormat::UblPeppolBis3,
    ));
    account(3, 1, 2, &world.source);
    let mut c = connection();
    c.ledger = LedgerKind::Clearfacts;
    c.settings = ConnectionSettings {
        automatic_sync: true,
        ..Default::default()
    };
    world.connect(c).await;
    let (_, report) = world.run("night-1", None).await;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    assert_exactly_once(&world, 3, 1);
    for held in world.ledger.entries() {
        assert_eq!(held.entry.journal, None);
        assert!(
            held.entry
                .lines
                .iter()
                .all(|l| l.gl_account.is_none() && l.vat_code.is_none())
        );
        assert!(matches!(
            held.entry.customer,
            CustomerLink::InDocument { .. }
        ));
        assert!(
            held.file_name
                .as_deref()
                .is_some_and(|f| f.ends_with(".xml"))
        );
    }
    assert_eq!(counts(&report).customers_created, 0);
}

#[tokio::test]
async fn the_ledgers_limits_shape_entries_or_refuse_them_with_the_reason() {
    // A second revenue account, used by a product category on one line of INV-2, so that
    // document needs two booking lines where the ledger takes one.
    let mut lists = reference();
    lists.gl_accounts.push(GlAccount {
        id: "gl-700100".into(),
        code: "700100".into(),
        description: "Other sales".into(),
        is_revenue: true,
        blocked: false,
    });
    let world = World::new(InMemoryLedger::new(LedgerKind::Octopus, lists).with_limits(
        LedgerLimits {
            entry_description: Some(12),
            line_description: Some(20),
            lines_per_entry: Some(1),
            reference: None,
        },
    ));
    account(2, 0, 1, &world.source);
    world.source.set_categories(vec![ProductCategory {
        id: ProductCategoryId::from("cat"),
        name: "Other".into(),
        ledger_accounts: vec![(DepartmentId::from("dep"), "700100".into())],
    }]);
    world.source.edit_document(&DocumentId::from("INV-2"), |d| {
        let mut second = d.lines[0].clone();
        second.product_category_id = Some(ProductCategoryId::from("cat"));
        d.lines.push(second);
    });
    world.connect(connection()).await;
    let (_, report) = world.run("night-1", None).await;
    assert_eq!(counts(&report).exported, 1, "{report:#?}");
    assert_eq!(counts(&report).failed, 1);
    assert!(
        report.issues[0].reason.contains("needs 2 booking lines")
            && report.issues[0].reason.contains("at most 1"),
        "{}",
        report.issues[0].reason
    );
    let held = &world.ledger.entries()[0];
    assert_eq!(held.entry.description, "Invoice 2026");
    assert_eq!(held.entry.lines[0].description.chars().count(), 20);
}

#[tokio::test]
async fn a_document_held_by_another_worker_is_skipped_and_tried_next_run() {
    let world = World::with_account(3, 0, 1);
    world.connect(connection()).await;
    let record = crate::DocumentRecord::pending(
        ConnectionId::from("c1"),
        DocumentId::from("INV-2"),
        DocumentKind::Invoice,
        Some("2026 / 0002".into()),
        start(),
    );
    let now = world.clock.now();
    world
        .store
        .claim_document(
            &record,
            &RunId::new("other"),
            now,
            now + chrono::Duration::minutes(15),
        )
        .await
        .unwrap();
    let (_, report) = world.run("night-1", None).await;
    assert_eq!(counts(&report).skipped, 1);
    assert_eq!(counts(&report).exported, 2);
    world.clock.advance(Duration::from_secs(20 * 60));
    let (_, second) = world.run("night-2", None).await;
    assert_eq!(counts(&second).exported, 1, "{second:#?}");
    assert_exactly_once(&world, 3, 0);
    let stored = world
        .store
        .document(&ConnectionId::from("c1"), &DocumentId::from("INV-2"))
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(stored.state, ExportState::Exported { .. }));
}

/// Customer 1 has no external id, customer 2 has one, customer 3 has a stale one and is found
/// in the ledger by VAT number under another code.
fn world_with_numbered_customers() -> World {
    let world = World::with_account(3, 0, 3);
    let mut numbered = customer(2);
    numbered.external_id = Some("K2".into());
    world.source.put_customer(numbered);
    let mut stale = customer(3);
    stale.external_id = Some("OLD".into());
    stale.vat_number = Some(crate::VatNumber("BE0123456749".into()));
    world.source.put_customer(stale.clone());
    stale.external_id = None;
    world.ledger.add_customer("L9", stale);
    world
}

fn external_ids(world: &World) -> std::collections::BTreeMap<String, Option<String>> {
    world
        .source
        .companies()
        .into_iter()
        .map(|c| (c.reference.id, c.external_id))
        .collect()
}

#[tokio::test]
async fn a_company_gets_the_ledgers_customer_number_where_it_had_none_and_a_stale_one_is_reported()
{
    let world = world_with_numbered_customers();
    world.connect(connection()).await;
    let (_, report) = world.run("night-1", None).await;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    let c = counts(&report);
    assert_eq!((c.customers_created, c.customers_matched), (2, 1), "{c:?}");
    assert_eq!(c.customer_numbers_written, 1, "{c:?}");
    let ids = external_ids(&world);
    let linked: std::collections::BTreeSet<String> = world
        .ledger
        .entries()
        .iter()
        .filter_map(|h| {
            h.entry
                .customer
                .ledger_id()
                .map(|id| id.as_str().to_owned())
        })
        .collect();
    let written = ids["company-1"].clone().expect("company 1 got a number");
    assert!(
        linked.contains(&written) && !["K2", "L9"].contains(&written.as_str()),
        "{written} must be the ledger customer of company 1's invoice: {linked:?}"
    );
    assert_eq!(
        ids["company-2"].as_deref(),
        Some("K2"),
        "created under its own number"
    );
    assert_eq!(
        ids["company-3"].as_deref(),
        Some("OLD"),
        "never overwritten"
    );
    let stale: Vec<&String> = report
        .warnings
        .iter()
        .filter(|w| w.contains("OLD") && w.contains("L9") && w.contains("Company 3"))
        .collect();
    assert_eq!(stale.len(), 1, "{:#?}", report.warnings);
    // The next night reads the stored links: nothing is written or reported again.
    let (_, second) = world.run("night-2", None).await;
    assert_eq!(counts(&second).customer_numbers_written, 0);
    assert!(second.warnings.is_empty(), "{:#?}", second.warnings);
}

#[tokio::test]
async fn a_contact_billed_gets_the_ledgers_customer_number_too() {
    let world = World::with_account(1, 0, 1);
    let person = crate::Customer {
        reference: crate::CustomerRef::contact("contact-1"),
        name: "Jan Peeters".into(),
        ..customer(1)
    };
    world.source.put_customer(person.clone());
    world.source.edit_document(&DocumentId::new("INV-1"), |d| {
        d.customer = person.reference.clone()
    });
    world.connect(connection()).await;
    let (_, report) = world.run("night-1", None).await;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    let c = counts(&report);
    assert_eq!(
        (c.customers_created, c.customer_numbers_written),
        (1, 1),
        "{c:?}"
    );
    let contact = &world.source.contacts()[0];
    let number = contact
        .external_id
        .clone()
        .expect("the contact got its number");
    assert_eq!(
        world.ledger.entries()[0]
            .entry
            .customer
            .ledger_id()
            .map(|id| id.as_str().to_owned()),
        Some(number)
    );
}

#[tokio::test]
async fn with_a_second_connection_on_the_account_teamleaders_external_ids_are_left_alone() {
    let world = world_with_numbered_customers();
    world.connect(connection()).await;
    let mut other = connection();
    other.id = ConnectionId::from("c2");
    other.department_id = DepartmentId::from("dep-nl");
    world.connect(other).await;
    let before = external_ids(&world);
    let (_, report) = world.run("night-1", None).await;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    assert_eq!(counts(&report).customers_created, 2);
    assert_eq!(counts(&report).customer_numbers_written, 0);
    assert_eq!(report.warnings.len(), 1, "{:#?}", report.warnings);
    assert!(
        report.warnings[0].contains("not written to Teamleader's external id"),
        "the user learns why the column stays empty: {:#?}",
        report.warnings
    );
    assert_eq!(external_ids(&world), before);
}

#[tokio::test]
async fn the_preview_shows_what_the_next_run_would_post_and_posts_nothing() {
    use super::preview::{PreviewCustomer, PreviewOutcome, preview_export};
    let world = World::with_account(4, 1, 2);
    world.connect(connection()).await;
    // One document whose line the mapping refuses (no account anywhere for its category).
    world.source.edit_document(&DocumentId::new("inv-2"), |d| {
        d.lines[0].product_category_id = Some(ProductCategoryId::new("unmapped"));
    });
    let mut settings_without_default = connection();
    settings_without_default.settings.default_gl_account = None;
    let preview = preview_export(
        ExportStores::of(&world.store),
        world.source.as_ref(),
        world.ledger.as_ref(),
        &settings_without_default,
        50,
    )
    .await
    .unwrap();
    assert!(preview.blockers.is_empty(), "{:?}", preview.blockers);
    assert_eq!(
        preview.items.len(),
        5,
        "4 invoices and 1 credit note, never the draft"
    );
    assert!(!preview.truncated);
    let refused: Vec<_> = preview
        .items
        .iter()
        .filter(|i| matches!(i.outcome, PreviewOutcome::Refused(_)))
        .collect();
    assert!(
        !refused.is_empty(),
        "the unmapped line is refused with its reason"
    );
    for item in &preview.items {
        if let PreviewOutcome::Entry { entry, customer } = &item.outcome {
            let expected = match entry.kind {
                DocumentKind::Invoice => "700",
                DocumentKind::CreditNote => "710",
            };
            assert_eq!(entry.journal.as_deref(), Some(expected));
            assert!(matches!(customer, PreviewCustomer::New(_)), "{customer:?}");
            assert!(
                entry
                    .lines
                    .iter()
                    .all(|l| l.gl_account.is_some() && l.vat_code.is_some())
            );
        }
    }
    assert_eq!(world.ledger.posts(), 0, "nothing posted");
    assert_eq!(world.ledger.customers_created(), 0, "no customer created");
    assert!(
        world
            .store
            .document(&ConnectionId::new("conn-1"), &DocumentId::new("inv-1"))
            .await
            .unwrap()
            .is_none(),
        "nothing recorded"
    );

    // After the run, exported documents are no longer in the preview; customers are linked.
    world.run("night-1", None).await;
    let mut new = document(DocumentKind::Invoice, 50, 1);
    new.updated_at = world.clock.now() + chrono::Duration::hours(1);
    world.source.put_document(new);
    let after = preview_export(
        ExportStores::of(&world.store),
        world.source.as_ref(),
        world.ledger.as_ref(),
        &connection(),
        1,
    )
    .await
    .unwrap();
    let numbers: Vec<_> = after
        .items
        .iter()
        .map(|i| i.summary.number.clone())
        .collect();
    assert_eq!(after.items.len(), 1, "{numbers:?}");
    assert!(matches!(
        &after.items[0].outcome,
        PreviewOutcome::Entry {
            customer: PreviewCustomer::Linked(_),
            ..
        }
    ));
}

#[tokio::test]
async fn a_backfill_looks_every_unrecorded_document_up_and_posts_none_twice() {
    let world = World::with_account(8, 2, 3);
    world.connect(connection()).await;
    let (_, first) = world.run("night-1", None).await;
    assert_eq!(counts(&first).exported, 10);
    let posts = world.ledger.posts();
    // Three records are lost (a restored backup, another deployment): Koppel no longer
    // knows these documents reached the ledger.
    for n in 1..=3 {
        let id = DocumentId::new(format!("INV-{n}"));
        let mut record = world
            .store
            .document(&ConnectionId::from("c1"), &id)
            .await
            .unwrap()
            .expect("exported record");
        record.state = ExportState::Pending;
        record.attempts = 0;
        world.store.put_document(&record).await.unwrap();
    }
    world.clock.advance(Duration::from_secs(3600));
    let since = super::super::test_world::start() - chrono::Duration::days(30);
    let message = backfill_message(since, world.clock.now());
    let JobOutcome::Finished(report) = world.invoke(&message, Deadline::none()).await else {
        panic!("the backfill finishes in one invocation")
    };
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    assert_eq!(counts(&report).already_exported, 3, "found by look-up");
    assert_eq!(counts(&report).exported, 0);
    assert_eq!(world.ledger.posts(), posts, "nothing posted again");
    assert_exactly_once(&world, 8, 2);
}

#[tokio::test]
async fn a_customer_lock_left_by_a_dead_worker_defers_its_documents_never_fails_them() {
    let world = World::with_account(6, 0, 2);
    world.connect(connection()).await;
    // A worker died while creating company 1: its lease lives until its kill instant plus a
    // request in flight.
    let now = world.clock.now();
    assert!(
        world
            .store
            .acquire_lease(
                "customer:c1:company:company-1",
                "dead-worker",
                now,
                now + super::CLAIM_TTL
            )
            .await
            .unwrap()
    );
    let (_, report) = world.run("night-1", None).await;
    let first = counts(&report);
    assert_eq!(
        first.failed, 0,
        "a lock never fails a document: {report:#?}"
    );
    assert!(first.deferred > 0, "{report:#?}");
    assert_eq!(first.exported + first.deferred, 6);
    assert_eq!(report.notices.len() as u32, first.deferred);
    assert!(report.issues.is_empty());

    // The lease lapses; the next run exports the deferred documents, the customer once.
    world.clock.advance(Duration::from_secs(21 * 60));
    let (_, second) = world.run("night-2", None).await;
    assert_eq!(counts(&second).exported, first.deferred, "{second:#?}");
    assert_eq!(counts(&second).deferred, 0);
    assert_eq!(world.ledger.customers_created(), 2);
    assert_exactly_once(&world, 6, 0);
}

#[tokio::test]
async fn a_backfill_from_a_recent_date_keeps_the_nightly_bound_on_older_unfinished_documents() {
    let world = World::with_account(3, 0, 1);
    world.connect(connection()).await;
    let (_, first) = world.run("night-1", None).await;
    assert_eq!(counts(&first).exported, 3);
    // A night left a document unfinished three weeks ago: the stored bound reaches back to it.
    let old_bound = world.clock.now() - chrono::Duration::days(21);
    world
        .store
        .put_cursor(
            &ConnectionId::from("c1"),
            super::SINCE_CURSOR,
            &old_bound.to_rfc3339(),
        )
        .await
        .unwrap();
    let message = backfill_message(
        world.clock.now() - chrono::Duration::days(2),
        world.clock.now(),
    );
    let JobOutcome::Finished(_) = world.invoke(&message, Deadline::none()).await else {
        panic!("the backfill finishes")
    };
    let stored = super::cursor::read_since(&world.store, &ConnectionId::from("c1"))
        .await
        .unwrap();
    assert_eq!(
        stored,
        Some(old_bound),
        "the backfill did not list before its date"
    );
    // A nightly run lists from the stored bound and moves it on.
    world.clock.advance(Duration::from_secs(3600));
    world.run("night-2", None).await;
    let moved = super::cursor::read_since(&world.store, &ConnectionId::from("c1"))
        .await
        .unwrap()
        .unwrap();
    assert!(moved > old_bound);
}

/// The message of a backfill of connection c1 from `since`, asked at `now`.
fn backfill_message(
    since: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> Job {
    let cursor = super::ExportCursor::backfill(since, now);
    Job {
        cursor: Some(serde_json::to_string(&cursor).unwrap()),
        ..Job::start(
            ConnectionId::from("c1"),
            RunId::new("backfill"),
            JobKind::InvoiceExport,
        )
    }
}
