//! The Twinfield plug-in against the Twinfield simulator, on one manual clock: the cluster
//! asked once per access token, a transaction booked with the number Twinfield returns, the
//! same invoice number sent again found instead of refused, Koppel's own pacing within the
//! credits of a minute (no 429), and Dutch refusals with what to do.

use chrono::Utc;
use koppel_api::{TokenStores, save_tokens};
use koppel_core::memory::{InMemoryStore, InMemoryVault, ManualClock};
use koppel_core::{
    AccountId, Clock, Connection, ConnectionId, ConnectionSettings, ConnectionStatus, CustomerLink,
    Deadline, DepartmentId, DocumentKind, EntryLine, ExternalError, LedgerCustomerId, LedgerEntry,
    LedgerKind, OAuthTokens,
};
use koppel_ledgers::twinfield::PLUGIN;
use koppel_ledgers::{LedgerApp, LedgerDeps, LedgerPlugin};
use koppel_sim::twinfield::{self, CUSTOMER_ANKER, OFFICE_BE};
use rust_decimal::Decimal;
use std::sync::Arc;

const SECRET: &str = "koppel/tw1/twinfield";

struct Harness {
    sim: twinfield::SimHandle,
    app: Arc<dyn LedgerApp>,
    deps: LedgerDeps,
    clock: Arc<ManualClock>,
    connection: Connection,
}

async fn start() -> Harness {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let shared: Arc<dyn Clock> = clock.clone();
    let sim = twinfield::spawn(twinfield::SimOptions::on_clock(shared.clone()))
        .await
        .unwrap();
    let app = PLUGIN
        .configure(&serde_json::json!({
            "client_id": twinfield::DEFAULT_CLIENT_ID,
            "client_secret": twinfield::DEFAULT_CLIENT_SECRET,
            "login_url": sim.base_url,
        }))
        .unwrap();
    let store = Arc::new(InMemoryStore::new());
    let vault = Arc::new(InMemoryVault::new());
    let pair = sim.issue_tokens(twinfield::DEFAULT_CLIENT_ID).unwrap();
    save_tokens(
        vault.as_ref(),
        SECRET,
        &OAuthTokens {
            access_token: pair.access_token,
            refresh_token: pair.refresh_token,
            expires_at: clock.now() + chrono::Duration::seconds(pair.expires_in),
        },
    )
    .await
    .unwrap();
    let deps = LedgerDeps {
        stores: TokenStores::from_store(store),
        vault,
        clock: shared,
    };
    let connection = Connection {
        id: ConnectionId::new("tw1"),
        account_id: AccountId::new("acc-1"),
        department_id: DepartmentId::new("dep-1"),
        ledger: LedgerKind::Twinfield,
        ledger_company: OFFICE_BE.into(),
        status: ConnectionStatus::Active,
        settings: ConnectionSettings::default(),
        teamleader_secret: "koppel/tw1/teamleader".into(),
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

fn entry(reference: &str, kind: DocumentKind, date: chrono::NaiveDate) -> LedgerEntry {
    LedgerEntry {
        kind,
        journal: Some("VRK".into()),
        customer: CustomerLink::Ledger {
            id: LedgerCustomerId::new(CUSTOMER_ANKER),
        },
        reference: reference.into(),
        date,
        due_date: None,
        description: format!("{kind} {reference}"),
        payment_reference: None,
        direct_debit: false,
        currency: "EUR".into(),
        lines: vec![EntryLine {
            gl_account: Some("700000".into()),
            vat_code: Some("VH".into()),
            amount_excl: Decimal::from(100),
            vat_amount: Decimal::from(21),
            description: "Advies".into(),
        }],
        total_incl: Decimal::from(121),
        retry: false,
    }
}

#[tokio::test]
async fn a_transaction_gets_twinfield_s_number_and_sent_again_is_found_not_refused() {
    let h = start().await;
    let today = h.clock.now().date_naive();
    let ledger = h
        .app
        .open(&h.connection, &h.deps, Deadline::none())
        .unwrap();
    let invoice = entry("2026 / 1", DocumentKind::Invoice, today);
    let posted = ledger.post_entry(&invoice, None).await.unwrap();
    assert!(posted.id.as_str().starts_with("VRK/"), "{posted:?}");
    // The same number as a credit note is another document ("CN 2026 / 1").
    let credit = ledger
        .post_entry(&entry("2026 / 1", DocumentKind::CreditNote, today), None)
        .await
        .unwrap();
    assert_ne!(credit.id, posted.id);
    // A worker that did not hear back sends the invoice again: Twinfield says "komt reeds
    // voor", Koppel finds it, nothing is refused or booked twice.
    let again = ledger.post_entry(&invoice, None).await.unwrap();
    assert_eq!(again.id, posted.id);
    assert_eq!(h.sim.transactions(OFFICE_BE).len(), 2);
    assert_eq!(
        ledger
            .find_entry(&invoice.key())
            .await
            .unwrap()
            .map(|p| p.id),
        Some(posted.id)
    );
}

#[tokio::test]
async fn the_cluster_is_asked_once_per_access_token_and_credits_are_paced_without_a_429() {
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
            .any(|v| v.code == "VM" && v.percentage == Decimal::from(12))
    );
    assert!(reference.journals.iter().any(|j| j.code == "VRK"));
    assert!(!reference.periods.is_empty());
    // 400 transactions are 1,200 credits: more than Twinfield's 1,000 a minute, and more than
    // twice Koppel's share (500): Koppel waits for the next clock minutes instead of a 429.
    let started = h.clock.now();
    let today = started.date_naive();
    for n in 0..400 {
        ledger
            .post_entry(
                &entry(&format!("2026 / {n}"), DocumentKind::Invoice, today),
                None,
            )
            .await
            .unwrap();
    }
    assert!(
        h.clock.now() - started >= chrono::Duration::seconds(60),
        "Koppel waited for new minutes"
    );
    let stats = h.sim.stats();
    assert_eq!(stats.rate_limited, 0, "no 429: {stats:?}");
    assert_eq!(stats.transactions_booked, 400);
    let validations = stats
        .requests
        .iter()
        .filter(|(name, _)| name.contains("accesstokenvalidation"))
        .map(|(_, n)| *n)
        .sum::<u64>();
    assert_eq!(
        validations, 1,
        "one validation for one access token: {stats:?}"
    );
}

#[tokio::test]
async fn a_closed_period_is_refused_in_dutch_with_what_to_do() {
    let h = start().await;
    let today = h.clock.now().date_naive();
    let period = format!(
        "{}/{:02}",
        chrono::Datelike::year(&today),
        chrono::Datelike::month(&today)
    );
    h.sim.close_period(OFFICE_BE, &period).unwrap();
    let ledger = h
        .app
        .open(&h.connection, &h.deps, Deadline::none())
        .unwrap();
    let refused = ledger
        .post_entry(&entry("2026 / 9", DocumentKind::Invoice, today), None)
        .await
        .unwrap_err();
    let ExternalError::Rejected { message, .. } = &refused else {
        panic!("{refused:?}");
    };
    assert!(message.contains("afgesloten"), "{message}");
    assert!(message.contains("reopen the period"), "{message}");
    assert!(h.sim.transactions(OFFICE_BE).is_empty());
}

#[tokio::test]
async fn onboarding_lists_the_organisation_s_offices() {
    let h = start().await;
    let offices = h
        .app
        .administrations(SECRET, &h.connection.id, &h.deps)
        .await
        .unwrap();
    let codes: Vec<&str> = offices.iter().map(|o| o.id.as_str()).collect();
    assert!(
        codes.contains(&OFFICE_BE) && codes.contains(&twinfield::OFFICE_NL),
        "{offices:?}"
    );
}
