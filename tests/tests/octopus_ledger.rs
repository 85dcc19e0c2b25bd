//! The Octopus plug-in against the Octopus simulator, on one manual clock: the two-step
//! sign-in (renewed before it lapses, never more often), the dossier list for onboarding, a
//! refused password, reference data and its pre-flight findings, bookings numbered by Koppel
//! (a number taken meanwhile is stepped past), and a lost answer found again by reference.

use chrono::{NaiveDate, Utc};
use koppel_api::TokenStores;
use koppel_core::memory::{InMemoryStore, InMemoryVault, ManualClock};
use koppel_core::{
    AccountId, Clock, Connection, ConnectionId, ConnectionSettings, ConnectionStatus, CustomerLink,
    Deadline, DepartmentId, DocumentKind, EntryLine, ExternalError, Grant, LedgerCustomerId,
    LedgerEntry, LedgerKind, Severity, Vault,
};
use koppel_ledgers::octopus::PLUGIN;
use koppel_ledgers::{LedgerApp, LedgerDeps, LedgerPlugin};
use koppel_sim::octopus::{self, seed};
use rust_decimal::Decimal;
use std::sync::Arc;

const SECRET: &str = "koppel/oc1/octopus";

struct Harness {
    sim: octopus::SimHandle,
    app: Arc<dyn LedgerApp>,
    deps: LedgerDeps,
    clock: Arc<ManualClock>,
    connection: Connection,
}

async fn start() -> Harness {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let shared: Arc<dyn Clock> = clock.clone();
    let sim = octopus::spawn(octopus::SimOptions::on_clock(shared.clone()))
        .await
        .unwrap();
    let app = PLUGIN
        .configure(&serde_json::json!({
            "software_house_uuid": octopus::DEFAULT_SOFTWARE_HOUSE_UUID,
            "base_url": sim.api_url(),
        }))
        .unwrap();
    let store = Arc::new(InMemoryStore::new());
    let vault = Arc::new(InMemoryVault::new());
    let deps = LedgerDeps {
        stores: TokenStores::from_store(store),
        vault: vault.clone(),
        clock: shared,
    };
    vault
        .write(
            SECRET,
            &serde_json::json!({"user": seed::DEMO_USER, "password": seed::DEMO_PASSWORD}),
        )
        .await
        .unwrap();
    let connection = Connection {
        id: ConnectionId::new("oc1"),
        account_id: AccountId::new("acc-1"),
        department_id: DepartmentId::new("dep-1"),
        ledger: LedgerKind::Octopus,
        ledger_company: seed::DEMO_DOSSIER_ID.to_string(),
        status: ConnectionStatus::Active,
        settings: ConnectionSettings::default(),
        teamleader_secret: "koppel/oc1/teamleader".into(),
        ledger_secret: SECRET.into(),
        created_at: Utc::now(),
        status_reason: None,
    };
    Harness {
        sim,
        app,
        deps,
        clock,
        connection,
    }
}

fn entry(reference: &str, date: NaiveDate) -> LedgerEntry {
    LedgerEntry {
        kind: DocumentKind::Invoice,
        journal: Some("V1".into()),
        customer: CustomerLink::Ledger {
            id: LedgerCustomerId::new(seed::DEMO_RELATION_ANKER.to_string()),
        },
        reference: reference.into(),
        date,
        due_date: None,
        description: format!("Invoice {reference}"),
        payment_reference: None,
        direct_debit: false,
        currency: "EUR".into(),
        lines: vec![EntryLine {
            gl_account: Some("700000".into()),
            vat_code: Some("21".into()),
            amount_excl: Decimal::from(100),
            vat_amount: Decimal::from(21),
            description: "Advies".into(),
        }],
        total_incl: Decimal::from(121),
        retry: false,
    }
}

#[tokio::test]
async fn tokens_are_renewed_before_they_lapse_and_never_more_often() {
    let h = start().await;
    let ledger = h
        .app
        .open(&h.connection, &h.deps, Deadline::none())
        .unwrap();
    // Thirty minutes of work, a call a minute: tokens live ten minutes and are renewed after
    // nine, so four sign-ins and four dossier tokens, and never a refused token.
    for _ in 0..30 {
        ledger.reference_data().await.unwrap();
        h.clock.advance(std::time::Duration::from_secs(60));
    }
    let stats = h.sim.stats();
    assert_eq!(stats.authentications, 4, "{stats:?}");
    assert_eq!(stats.dossier_tokens, 4, "{stats:?}");
    assert_eq!(
        stats.refusals_by_code.get(&octopus::error::INVALID_TOKEN),
        None,
        "never a lapsed token: {stats:?}"
    );

    // Tokens ended early (Octopus restarted): one 401, one new dossier token, the call goes.
    h.sim.expire_tokens();
    ledger.reference_data().await.unwrap();
    let after = h.sim.stats();
    assert_eq!(after.dossier_tokens, 5, "{after:?}");
}

#[tokio::test]
async fn onboarding_lists_the_dossiers_and_a_wrong_password_is_refused_at_once() {
    let h = start().await;
    let grant = |password: &str| {
        Grant::Credentials(vec![
            ("user".into(), seed::DEMO_USER.into()),
            ("password".into(), password.into()),
        ])
    };
    let refused = h.app.authorise(&grant("wrong"), &h.deps).await.unwrap_err();
    assert!(
        matches!(&refused, ExternalError::NeedsReauth { detail, .. } if detail.contains("user name or password")),
        "{refused:?}"
    );
    let kept = h
        .app
        .authorise(&grant(seed::DEMO_PASSWORD), &h.deps)
        .await
        .unwrap();
    assert_eq!(kept["user"], seed::DEMO_USER);
    let dossiers = h
        .app
        .administrations(SECRET, &h.connection.id, &h.deps)
        .await
        .unwrap();
    assert_eq!(dossiers.len(), 1);
    assert_eq!(dossiers[0].id, seed::DEMO_DOSSIER_ID.to_string());
    assert_eq!(dossiers[0].name, seed::DEMO_DOSSIER_NAME);
}

#[tokio::test]
async fn preflight_names_a_journal_of_the_wrong_type_the_same_twice_and_an_unsynchronised_one() {
    let h = start().await;
    let ledger = h
        .app
        .open(&h.connection, &h.deps, Deadline::none())
        .unwrap();
    let reference = ledger.reference_data().await.unwrap();
    assert!(
        reference
            .gl_accounts
            .iter()
            .any(|a| a.code == "700000" && a.is_revenue)
    );
    assert!(
        reference
            .vat_codes
            .iter()
            .any(|v| v.code == "21" && !v.blocked)
    );
    assert!(
        reference
            .vat_codes
            .iter()
            .any(|v| v.code == "D21" && v.blocked)
    );
    let findings = |invoice: &str, credit: &str| {
        let settings = ConnectionSettings {
            invoice_journal: Some(invoice.into()),
            credit_note_journal: Some(credit.into()),
            start_date: NaiveDate::from_ymd_opt(2026, 1, 1),
            ..ConnectionSettings::default()
        };
        ledger.preflight(&settings, &reference)
    };
    assert!(
        findings("V1", "V2")
            .iter()
            .all(|f| f.severity != Severity::Blocker),
        "{:?}",
        findings("V1", "V2")
    );
    let wrong = findings("F1", "V2");
    assert!(
        wrong.iter().any(|f| f.severity == Severity::Blocker
            && f.message.contains("F1")
            && f.message.contains("Invoices")),
        "{wrong:?}"
    );
    let same = findings("V1", "V1");
    assert!(
        same.iter().any(|f| f.message.contains("same journal")),
        "{same:?}"
    );
    let unsynchronised = findings("V9", "V2");
    assert!(
        unsynchronised
            .iter()
            .any(|f| f.message.contains("File > Synchronise")),
        "{unsynchronised:?}"
    );
    let no_year = {
        let settings = ConnectionSettings {
            invoice_journal: Some("V1".into()),
            credit_note_journal: Some("V2".into()),
            start_date: NaiveDate::from_ymd_opt(2001, 1, 1),
            ..ConnectionSettings::default()
        };
        ledger.preflight(&settings, &reference)
    };
    assert!(
        no_year
            .iter()
            .any(|f| f.severity == Severity::Blocker && f.message.contains("financial year")),
        "{no_year:?}"
    );
}

#[tokio::test]
async fn koppel_numbers_bookings_steps_past_a_number_taken_meanwhile_and_finds_a_lost_one() {
    let h = start().await;
    let today = h.clock.now().date_naive();
    let ledger = h
        .app
        .open(&h.connection, &h.deps, Deadline::none())
        .unwrap();
    ledger.reference_data().await.unwrap();
    let first = ledger
        .post_entry(&entry("2026 / 1", today), None)
        .await
        .unwrap();
    assert!(first.id.as_str().ends_with("/V1/1"), "{first:?}");

    // Someone books number 2 in Octopus by hand: Koppel's next booking is refused once,
    // reads the journal again and books as 3.
    let other = h
        .app
        .open(&h.connection, &h.deps, Deadline::none())
        .unwrap();
    other.reference_data().await.unwrap();
    other
        .post_entry(&entry("by hand", today), None)
        .await
        .unwrap();
    let second = ledger
        .post_entry(&entry("2026 / 2", today), None)
        .await
        .unwrap();
    assert!(second.id.as_str().ends_with("/V1/3"), "{second:?}");

    // The answer of the next one is lost: it is booked, and found by its reference.
    h.sim.lose_booking_answers(1);
    let lost = ledger
        .post_entry(&entry("2026 / 3", today), None)
        .await
        .unwrap_err();
    assert!(
        matches!(lost, ExternalError::OutcomeUnknown { .. }),
        "{lost:?}"
    );
    let found = ledger
        .find_entry(&entry("2026 / 3", today).key())
        .await
        .unwrap()
        .expect("the booking is found again");
    assert!(found.id.as_str().ends_with("/V1/4"), "{found:?}");
    assert_eq!(
        ledger
            .find_entry(&entry("2026 / 99", today).key())
            .await
            .unwrap(),
        None
    );
    assert_eq!(h.sim.stats().bookings_posted, 4);
}

#[tokio::test]
async fn a_relation_number_in_teamleader_is_trusted_only_when_the_name_or_vat_number_agrees() {
    use koppel_core::{Customer, CustomerRef};
    let h = start().await;
    let ledger = h
        .app
        .open(&h.connection, &h.deps, Deadline::none())
        .unwrap();
    let customers = ledger.customers().expect("Octopus has relations");
    let anker = h
        .sim
        .relations(seed::DEMO_DOSSIER_ID)
        .into_iter()
        .find(|r| r.id() == seed::DEMO_RELATION_ANKER)
        .unwrap();
    let customer = |name: &str| Customer {
        reference: CustomerRef::company("tl-1"),
        name: name.into(),
        vat_number: None,
        enterprise_number: None,
        addresses: Vec::new(),
        emails: Vec::new(),
        // Another department's ledger (Exact) wrote its own customer number "1" here.
        external_id: Some(seed::DEMO_RELATION_ANKER.to_string()),
        language: None,
    };
    let found = customers
        .find_customers(&[customer(&anker.name), customer("Garage Peeters BV")])
        .await
        .unwrap();
    assert_eq!(
        found[0].as_ref().map(|k| k.id.as_str().to_owned()),
        Some(seed::DEMO_RELATION_ANKER.to_string())
    );
    assert_eq!(
        found[1], None,
        "another company's number is not this relation"
    );
}

#[tokio::test]
async fn a_relation_of_a_private_vat_type_is_listed_as_a_person_with_its_phone() {
    let h = start().await;
    let jan = h
        .sim
        .add_relation(seed::DEMO_DOSSIER_ID, "Peeters", None)
        .unwrap();
    h.sim
        .update_relation(seed::DEMO_DOSSIER_ID, jan, |relation| {
            relation.vat_type = 7;
            relation.first_name = "Jan".into();
            relation.telephone = "0475 12 34 56".into();
        })
        .unwrap();
    let ledger = h
        .app
        .open(&h.connection, &h.deps, Deadline::none())
        .unwrap();
    let page = ledger
        .customers()
        .expect("Octopus has relations")
        .list_customers(None)
        .await
        .unwrap();
    let listed = page
        .customers
        .iter()
        .find(|c| c.id.as_str() == jan.to_string())
        .expect("the new relation is listed");
    let person = listed
        .person
        .as_ref()
        .expect("VAT type 7: a private person");
    assert_eq!(
        (person.first_name.as_deref(), person.last_name.as_str()),
        (Some("Jan"), "Peeters")
    );
    assert_eq!(listed.customer.name, "Jan Peeters");
    assert_eq!(listed.phone.as_deref(), Some("0475 12 34 56"));
    let anker = page
        .customers
        .iter()
        .find(|c| c.id.as_str() == seed::DEMO_RELATION_ANKER.to_string())
        .expect("the seeded company");
    assert_eq!(anker.person, None);
}
