//! `ExactLedger` against the Exact Online simulator: reference data with paging, customers
//! by code / VAT number / created, invoices and credit notes with the right signs and
//! journals, the PDF in exactly three calls, recovery after a crash after commit, a closed
//! period explained, and payment states after payments are registered.

mod exact_ledger_support;

use exact_ledger_support::{DIVISION, Harness, customer, customer_id, day, entry, start};
use koppel_core::memory::ManualClock;
use koppel_core::{
    AttachmentSupport, DocumentFile, DocumentKind, EntryKey, ExternalError, FileFormat,
    JournalKind, Ledger, LedgerEntry, LedgerEntryId,
};
use koppel_sim::exact::{CrashMode, Division, FailNext, GlAccount, SimOptions, model::BalanceType};
use rust_decimal::Decimal;
use std::sync::Arc;

async fn harness() -> Harness {
    start(
        SimOptions::default(),
        Arc::new(ManualClock::default()),
        DIVISION,
    )
    .await
}

fn dec(text: &str) -> Decimal {
    text.parse().expect("decimal")
}

#[tokio::test]
async fn reference_data_follows_every_page() {
    // 130 extra revenue accounts: with the seeded ones that is more than two pages of 60.
    let mut division = Division::belgian(DIVISION, "Paging BV");
    for n in 0..130 {
        division.gl_accounts.push(GlAccount {
            id: uuid::Uuid::new_v4(),
            code: format!("7{:05}", 20_000 + n),
            description: format!("Omzet {n}"),
            kind: 110,
            balance_type: BalanceType::ProfitLoss,
            vat_code: Some("21".into()),
            blocked: false,
        });
    }
    let expected_accounts = division.gl_accounts.len();
    assert!(expected_accounts > 120, "the seed must need three pages");
    let options = SimOptions {
        divisions: vec![division],
        ..SimOptions::default()
    };
    let h = start(options, Arc::new(ManualClock::default()), DIVISION).await;

    let data = h.ledger.reference_data().await.unwrap();

    assert_eq!(data.gl_accounts.len(), expected_accounts);
    assert_eq!(
        h.sim.stats().calls_to("GET financial/GLAccounts"),
        3,
        "{:?}",
        h.sim.stats()
    );
    let revenue = data.gl_account("700000").unwrap();
    assert!(revenue.is_revenue && !revenue.blocked);
    assert_eq!(revenue.id.len(), 36, "GL accounts carry Exact's GUID");
    assert!(
        !data.gl_account("400000").unwrap().is_revenue,
        "receivables are not revenue"
    );
    assert!(data.gl_account("749000").unwrap().blocked);
    assert_eq!(data.journal("700").unwrap().kind, JournalKind::Sales);
    assert_eq!(data.journal("710").unwrap().kind, JournalKind::Sales);
    assert_eq!(data.journal("600").unwrap().kind, JournalKind::Other);
    let vat21 = data.vat_code("21").unwrap();
    assert_eq!(
        (vat21.percentage, vat21.exclusive, vat21.blocked),
        (dec("21"), true, false)
    );
    assert!(
        !data.vat_code("21I").unwrap().exclusive,
        "inclusive codes are not mappable"
    );
    assert!(data.vat_code("19").unwrap().blocked);
    assert_eq!(data.periods.len(), 36);
    let march = data.period_of(day(3, 15)).unwrap();
    assert_eq!(
        (march.year, march.period, march.start, march.end),
        (2026, 3, day(3, 1), day(3, 31))
    );
    assert_eq!(
        h.ledger.capabilities().attachment,
        AttachmentSupport::Optional(FileFormat::Pdf)
    );
}

#[tokio::test]
async fn customers_by_code_by_vat_and_created() {
    let h = harness().await;
    let customers = h.ledger.customers().unwrap();
    let brouwerij = customer_id(&h.sim, DIVISION, "1");
    let atelier = customer_id(&h.sim, DIVISION, "2");

    // Code "2" is stored as 17 spaces + "2"; the VAT number is written another way.
    let by_code = customer("Atelier", None, Some("2"));
    let by_vat = customer("Brouwerij", Some("be 0403.170.701"), None);
    let stale_code = customer("Brouwerij", Some("BE0403170701"), Some("999"));
    let unknown = customer("Nieuwe Klant BV", Some("BE0123456749"), Some("4242"));
    h.sim.reset_stats();
    let found = customers
        .find_customers(&[by_code, by_vat, stale_code, unknown.clone()])
        .await
        .unwrap();
    let found_as = |i: usize| {
        found[i]
            .as_ref()
            .map(|key| (key.id.as_str(), key.number.as_deref()))
    };
    assert_eq!(found_as(0), Some((atelier.as_str(), Some("2"))));
    assert_eq!(found_as(1), Some((brouwerij.as_str(), Some("1"))));
    assert_eq!(
        found_as(2),
        Some((brouwerij.as_str(), Some("1"))),
        "falls back to the VAT number, with Exact's own code"
    );
    assert_eq!(found[3], None);
    assert_eq!(
        h.sim.stats().total(),
        1,
        "four look-ups in one call: {:?}",
        h.sim.stats()
    );

    let created = customers.create_customer(&unknown).await.unwrap();
    let account = h
        .sim
        .division(DIVISION)
        .unwrap()
        .accounts
        .into_iter()
        .find(|a| a.id.to_string() == created.id.as_str())
        .expect("the account exists in Exact");
    assert_eq!(account.code, format!("{:>18}", "4242"));
    assert_eq!(
        created.number.as_deref(),
        Some("4242"),
        "the code, unpadded"
    );
    // Without a Teamleader external id Exact numbers the customer; Koppel reads that number
    // from the answer (to write it back to Teamleader).
    let numbered = customers
        .create_customer(&customer("Zonder Nummer", None, None))
        .await
        .unwrap();
    let given = h
        .sim
        .division(DIVISION)
        .unwrap()
        .accounts
        .into_iter()
        .find(|a| a.id.to_string() == numbered.id.as_str())
        .expect("the account exists in Exact");
    assert_eq!(numbered.number.as_deref(), Some(given.code.trim()));
    assert_eq!(account.status, "C");
    assert_eq!(account.vat_number.as_deref(), Some("BE0123456749"));
    assert_eq!(account.city.as_deref(), Some("Gent"));
    assert_eq!(account.language.as_deref(), Some("NL"));
    let again = customers
        .find_customers(&[customer("Nieuwe Klant BV", None, Some("4242"))])
        .await
        .unwrap();
    assert_eq!(again[0].as_ref(), Some(&created));

    // A creation whose answer never came back is found by the name sent, in one call; a name
    // Exact does not hold finds nothing.
    let started = koppel_core::Clock::now(h.sim.clock().as_ref()) - chrono::Duration::minutes(1);
    h.sim.reset_stats();
    let lost = customers
        .find_created(&customer("Zonder Nummer", None, None), started)
        .await
        .unwrap();
    assert_eq!(lost.as_ref(), Some(&numbered));
    assert_eq!(h.sim.stats().total(), 1);
    let never = customers
        .find_created(&customer("Nooit Gemaakt BV", None, None), started)
        .await
        .unwrap();
    assert_eq!(never, None);
}

#[tokio::test]
async fn customer_list_pages_with_a_cursor() {
    let h = harness().await;
    for n in 0..70 {
        h.sim
            .add_customer(DIVISION, &format!("Klant {n}"), None)
            .unwrap();
    }
    let customers = h.ledger.customers().unwrap();
    let first = customers.list_customers(None).await.unwrap();
    assert_eq!(first.customers.len(), 60);
    let cursor = first.next.clone().expect("a second page");
    let second = customers.list_customers(Some(&cursor)).await.unwrap();
    assert_eq!(second.customers.len(), 13);
    assert_eq!(second.next, None);
    let all: Vec<_> = first.customers.iter().chain(&second.customers).collect();
    let mut ids: Vec<&str> = all.iter().map(|listed| listed.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 73, "every customer once");
    // No VAT number is no evidence of a person: only a BSN is.
    let klant = all
        .iter()
        .find(|listed| listed.customer.name == "Klant 7")
        .expect("added customer listed");
    assert_eq!(klant.person, None);
    let listed = all
        .iter()
        .find(|listed| listed.customer.name == "Brouwerij De Ster BV")
        .expect("seeded customer listed");
    assert_eq!(listed.person, None, "a company");
    let brouwerij = &listed.customer;
    assert_eq!(brouwerij.external_id.as_deref(), Some("1"));
    assert_eq!(
        brouwerij.vat_number.as_ref().map(|v| v.0.as_str()),
        Some("BE0403170701")
    );
    // A cursor naming another host is asked of the configured Exact host only (the token
    // never leaves it; paging works behind a proxy); a link that is not an API link is refused.
    let elsewhere = customers
        .list_customers(Some(&format!(
            "https://elsewhere.example/api/v1/{DIVISION}/crm/Accounts?$select=ID,Code,Name&$filter=Status%20eq%20'C'"
        )))
        .await
        .expect("asked of the configured host");
    assert!(!elsewhere.customers.is_empty());
    let foreign = customers
        .list_customers(Some("https://evil.example/steal?token=please"))
        .await;
    assert!(
        matches!(foreign, Err(ExternalError::Malformed { .. })),
        "{foreign:?}"
    );
}

#[tokio::test]
async fn invoice_and_credit_note_are_booked_with_their_signs_in_one_call_each() {
    let h = harness().await;
    let atelier = customer_id(&h.sim, DIVISION, "2");
    h.ledger.reference_data().await.unwrap();
    h.sim.reset_stats();

    let invoice = h
        .ledger
        .post_entry(
            &entry(DocumentKind::Invoice, "2026 / 17", &atelier, day(3, 2)),
            None,
        )
        .await
        .unwrap();
    let credit = h
        .ledger
        .post_entry(
            &entry(DocumentKind::CreditNote, "2026 / 3", &atelier, day(3, 9)),
            None,
        )
        .await
        .unwrap();

    let stats = h.sim.stats();
    assert_eq!(stats.total(), 2, "exactly one call per entry: {stats:?}");
    let entries = h.sim.entries(DIVISION);
    let booked_invoice = entries
        .iter()
        .find(|e| e.entry_id.to_string() == invoice.id.as_str())
        .unwrap();
    assert_eq!(booked_invoice.journal, "700");
    assert_eq!(booked_invoice.your_ref.as_deref(), Some("2026 / 17"));
    assert_eq!(booked_invoice.entry_type(), 20);
    assert_eq!(booked_invoice.net_amount(), dec("150.50"));
    assert_eq!(booked_invoice.amount(), dec("174.53"));
    assert_eq!(
        booked_invoice.payment_reference.as_deref(),
        Some("+++090/9337/55493+++")
    );
    assert_eq!(booked_invoice.entry_date, day(3, 2));
    assert_eq!(booked_invoice.due_date, day(4, 1));
    assert_eq!(
        invoice.entry_number,
        Some(booked_invoice.entry_number.to_string())
    );

    let booked_credit = entries
        .iter()
        .find(|e| e.entry_id.to_string() == credit.id.as_str())
        .unwrap();
    assert_eq!(booked_credit.journal, "710");
    assert_eq!(booked_credit.entry_type(), 21, "a credit note");
    assert!(
        booked_credit
            .lines
            .iter()
            .all(|l| l.amount_fc < Decimal::ZERO && l.vat_amount_fc < Decimal::ZERO)
    );
    assert_eq!(booked_credit.amount(), dec("-174.53"));
}

#[tokio::test]
async fn the_pdf_costs_exactly_two_more_calls() {
    let h = harness().await;
    let brouwerij = customer_id(&h.sim, DIVISION, "1");
    h.ledger.reference_data().await.unwrap();
    h.sim.reset_stats();
    let pdf = DocumentFile {
        file_name: "2026-18.pdf".into(),
        format: FileFormat::Pdf,
        bytes: b"%PDF-1.7 invoice 2026 / 18 %%EOF".to_vec(),
    };

    let posted = h
        .ledger
        .post_entry(
            &entry(DocumentKind::Invoice, "2026 / 18", &brouwerij, day(2, 10)),
            Some(&pdf),
        )
        .await
        .unwrap();

    let stats = h.sim.stats();
    assert_eq!(stats.total(), 3, "{stats:?}");
    assert_eq!(stats.calls_to("POST documents/Documents"), 1);
    assert_eq!(stats.calls_to("POST documents/DocumentAttachments"), 1);
    let division = h.sim.division(DIVISION).unwrap();
    let booked = division
        .entries
        .iter()
        .find(|e| e.entry_id.to_string() == posted.id.as_str())
        .unwrap();
    let document = booked.document.expect("the entry links the document");
    let attachment = division
        .attachments_of(document)
        .next()
        .expect("the PDF is attached");
    assert_eq!(attachment.file_name, "2026-18.pdf");
    assert_eq!(attachment.bytes, pdf.bytes);
    assert_eq!(division.document(document).unwrap().kind, 10);

    let xml = DocumentFile {
        file_name: "2026-18.xml".into(),
        format: FileFormat::UblEfff,
        bytes: vec![1],
    };
    let refused = h
        .ledger
        .post_entry(
            &entry(DocumentKind::Invoice, "2026 / 19", &brouwerij, day(2, 10)),
            Some(&xml),
        )
        .await;
    assert!(
        matches!(refused, Err(ExternalError::Unsupported { .. })),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_lost_answer_is_an_unknown_outcome_sent_once_and_found_by_reference() {
    let h = harness().await;
    let atelier = customer_id(&h.sim, DIVISION, "2");
    h.ledger.reference_data().await.unwrap();

    for (reference, mode) in [
        ("O'Neill 2026 / 20", CrashMode::DropConnection),
        ("2026 / 21", CrashMode::InternalError),
    ] {
        h.sim.crash_after_commit(1, mode);
        let posts_before = h.sim.stats().calls_to("salesentry/SalesEntries");
        let lost = h
            .ledger
            .post_entry(
                &entry(DocumentKind::Invoice, reference, &atelier, day(3, 20)),
                None,
            )
            .await
            .expect_err("the answer was lost");
        assert!(
            matches!(lost, ExternalError::OutcomeUnknown { .. }),
            "{mode:?}: {lost:?}"
        );
        let booked: Vec<_> = h
            .sim
            .entries(DIVISION)
            .into_iter()
            .filter(|e| e.your_ref.as_deref() == Some(reference))
            .collect();
        assert_eq!(booked.len(), 1, "{mode:?}: booked once, never sent twice");
        assert_eq!(
            h.sim.stats().calls_to("salesentry/SalesEntries") - posts_before,
            1,
            "{mode:?}: one POST"
        );
        // The look-up the export makes next (quote escaped): the entry is found.
        let found = h
            .ledger
            .find_entry(&key("700", reference))
            .await
            .unwrap()
            .expect("found by YourRef");
        assert_eq!(found.id.as_str(), booked[0].entry_id.to_string());
        assert_eq!(
            h.ledger.find_entry(&key("710", reference)).await.unwrap(),
            None,
            "journal is part of the key"
        );
    }
    assert_eq!(h.sim.stats().crashes_after_commit, 2);
}

fn key(journal: &str, reference: &str) -> EntryKey {
    EntryKey {
        kind: koppel_core::DocumentKind::Invoice,
        journal: Some(journal.to_owned()),
        reference: reference.to_owned(),
    }
}

#[tokio::test]
async fn a_closed_period_is_refused_with_what_to_do() {
    let h = harness().await;
    let atelier = customer_id(&h.sim, DIVISION, "2");
    h.ledger.reference_data().await.unwrap();
    h.sim.set_period_closed(DIVISION, 2026, 1, true).unwrap();
    h.sim.reset_stats();

    let refused = h
        .ledger
        .post_entry(
            &entry(DocumentKind::Invoice, "2026 / 17", &atelier, day(1, 15)),
            None,
        )
        .await;

    match refused {
        Err(ExternalError::Rejected {
            status, message, ..
        }) => {
            assert_eq!(status, 500);
            assert_eq!(
                message,
                "entry 2026 / 17: Periode is afgesloten: 2026 - 1 — reopen the period in Exact Online or change the document date."
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(h.sim.stats().total(), 1, "a refusal is not retried");
    assert!(h.sim.entries(DIVISION).is_empty());

    let unknown_customer = entry(
        DocumentKind::Invoice,
        "2026 / 22",
        "00000000-0000-0000-0000-000000000001",
        day(2, 1),
    );
    let refused = h
        .ledger
        .post_entry(&unknown_customer, None)
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("Ongeldige referentie: Klant"),
        "{refused}"
    );
    assert!(
        refused.to_string().contains("no longer exists"),
        "{refused}"
    );
}

#[tokio::test]
async fn payment_states_after_payments_are_registered() {
    let h = harness().await;
    let atelier = customer_id(&h.sim, DIVISION, "2");
    h.ledger.reference_data().await.unwrap();
    let mut ids = Vec::new();
    for n in 0..3 {
        let reference = format!("2026 / {}", 30 + n);
        let posted = h
            .ledger
            .post_entry(
                &entry(DocumentKind::Invoice, &reference, &atelier, day(2, 1)),
                None,
            )
            .await
            .unwrap();
        ids.push(posted.id);
    }
    let guid = |id: &LedgerEntryId| id.as_str().parse::<uuid::Uuid>().unwrap();
    h.sim
        .register_payment(DIVISION, guid(&ids[0]), None, Some(day(2, 20)))
        .unwrap();
    h.sim
        .register_payment(DIVISION, guid(&ids[1]), Some(dec("100")), Some(day(2, 21)))
        .unwrap();
    h.sim.reset_stats();

    // Upper-case ids come back as they were asked.
    let asked: Vec<LedgerEntryId> = ids
        .iter()
        .map(|id| LedgerEntryId::new(id.as_str().to_uppercase()))
        .collect();
    let states = h
        .ledger
        .payments()
        .unwrap()
        .payment_states(&asked, None)
        .await
        .unwrap();

    assert_eq!(states.len(), 3);
    let state = |id: &LedgerEntryId| {
        states
            .iter()
            .find(|s| &s.entry == id)
            .expect("state of every entry")
    };
    let paid = state(&asked[0]);
    assert!(paid.fully_paid);
    assert_eq!(paid.open_amount, Decimal::ZERO);
    assert_eq!(paid.paid_at.unwrap().date_naive(), day(2, 20));
    let partly = state(&asked[1]);
    assert!(!partly.fully_paid);
    assert_eq!(partly.open_amount, dec("74.53"));
    assert_eq!(partly.paid_at.unwrap().date_naive(), day(2, 21));
    let open = state(&asked[2]);
    assert!(!open.fully_paid);
    assert_eq!((open.open_amount, open.paid_at), (dec("174.53"), None));
    assert_eq!(
        h.sim.stats().total(),
        2,
        "receivables + open items of the partly paid one: {:?}",
        h.sim.stats()
    );
}

#[tokio::test]
async fn direct_debit_entries_get_the_collection_condition() {
    let h = harness().await;
    let brouwerij = customer_id(&h.sim, DIVISION, "1");
    h.ledger.reference_data().await.unwrap();
    h.sim.reset_stats();

    for n in 0..2 {
        let mut collected = entry(
            DocumentKind::Invoice,
            &format!("2026 / {}", 40 + n),
            &brouwerij,
            day(3, 3),
        );
        collected.direct_debit = true;
        h.ledger.post_entry(&collected, None).await.unwrap();
    }
    let transfer = entry(DocumentKind::Invoice, "2026 / 42", &brouwerij, day(3, 3));
    h.ledger.post_entry(&transfer, None).await.unwrap();

    let entries = h.sim.entries(DIVISION);
    let condition = |reference: &str| {
        entries
            .iter()
            .find(|e| e.your_ref.as_deref() == Some(reference))
            .and_then(|e| e.payment_condition.clone())
    };
    assert_eq!(
        condition("2026 / 40").as_deref(),
        Some("DOM"),
        "the division's collection condition"
    );
    assert_eq!(condition("2026 / 41").as_deref(), Some("DOM"));
    assert_eq!(
        condition("2026 / 42"),
        None,
        "other entries keep the account's condition"
    );
    let stats = h.sim.stats();
    assert_eq!(
        stats.calls_to("GET cashflow/PaymentConditions"),
        1,
        "looked up once: {stats:?}"
    );
    assert_eq!(stats.total(), 4);
}

fn pdf(name: &str) -> DocumentFile {
    DocumentFile {
        file_name: name.into(),
        format: FileFormat::Pdf,
        bytes: format!("%PDF-1.7 {name} %%EOF").into_bytes(),
    }
}

#[tokio::test]
async fn a_refused_entry_leaves_no_pdf_document_behind() {
    let h = harness().await;
    let atelier = customer_id(&h.sim, DIVISION, "2");
    h.ledger.reference_data().await.unwrap();
    h.sim.set_period_closed(DIVISION, 2026, 1, true).unwrap();
    let before = h.sim.documents(DIVISION).len();

    let refused = h
        .ledger
        .post_entry(
            &entry(DocumentKind::Invoice, "2026 / 30", &atelier, day(1, 15)),
            Some(&pdf("2026-30.pdf")),
        )
        .await;

    assert!(
        matches!(refused, Err(ExternalError::Rejected { .. })),
        "{refused:?}"
    );
    assert_eq!(
        h.sim.documents(DIVISION).len(),
        before,
        "the uploaded document was removed"
    );
    assert!(h.sim.orphan_documents(DIVISION).is_empty());
    assert_eq!(h.sim.stats().calls_to("DELETE documents/Documents"), 1);

    // Reopened and tried again: one entry, one document, nothing left over.
    h.sim.set_period_closed(DIVISION, 2026, 1, false).unwrap();
    let again = LedgerEntry {
        retry: true,
        ..entry(DocumentKind::Invoice, "2026 / 30", &atelier, day(1, 15))
    };
    h.ledger
        .post_entry(&again, Some(&pdf("2026-30.pdf")))
        .await
        .unwrap();
    assert_eq!(h.sim.documents(DIVISION).len(), before + 1);
    assert!(h.sim.orphan_documents(DIVISION).is_empty());
}

#[tokio::test]
async fn a_document_left_by_a_lost_try_is_reused_by_the_retry() {
    let h = harness().await;
    let atelier = customer_id(&h.sim, DIVISION, "2");
    h.ledger.reference_data().await.unwrap();
    let before = h.sim.documents(DIVISION).len();
    // The document and its attachment are stored; the entry's POST fails without booking.
    h.sim.fail_next(FailNext {
        count: 1,
        status: 503,
        path_contains: Some("SalesEntries".into()),
    });
    let lost = h
        .ledger
        .post_entry(
            &entry(DocumentKind::Invoice, "2026 / 31", &atelier, day(2, 3)),
            Some(&pdf("2026-31.pdf")),
        )
        .await;
    assert!(
        matches!(lost, Err(ExternalError::OutcomeUnknown { .. })),
        "{lost:?}"
    );
    assert_eq!(
        h.sim.orphan_documents(DIVISION).len(),
        1,
        "kept: the entry might refer to it"
    );

    let retry = LedgerEntry {
        retry: true,
        ..entry(DocumentKind::Invoice, "2026 / 31", &atelier, day(2, 3))
    };
    h.sim.reset_stats();
    h.ledger
        .post_entry(&retry, Some(&pdf("2026-31.pdf")))
        .await
        .unwrap();
    let stats = h.sim.stats();
    assert_eq!(
        stats.calls_to("POST documents/Documents"),
        0,
        "reused, not uploaded again"
    );
    assert_eq!(h.sim.documents(DIVISION).len(), before + 1);
    assert!(
        h.sim.orphan_documents(DIVISION).is_empty(),
        "the entry refers to it now"
    );
}
