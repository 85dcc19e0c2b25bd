//! Shared set-up of the Exact ledger tests: an Exact simulator and an `ExactLedger` on one
//! clock, with the connection's tokens in an in-memory vault and its refresh lease in an
//! in-memory store — built through the Exact plug-in, as the functions build it.

#![allow(dead_code)]

use chrono::{NaiveDate, Utc};
use koppel_api::{TokenStores, save_tokens};
use koppel_core::memory::{InMemoryStore, InMemoryVault};
use koppel_core::{
    AccountId, Clock, Connection, ConnectionId, ConnectionSettings, ConnectionStatus,
    ConnectionStore, Customer, CustomerLink, CustomerRef, Deadline, DepartmentId, DocumentKind,
    EntryLine, LedgerCustomerId, LedgerEntry, LedgerKind, OAuthTokens,
};
use koppel_ledgers::LedgerDeps;
use koppel_ledgers::exact::{ExactApp, ExactConnections, ExactLedger, ExactOptions};
use koppel_sim::exact::{self, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SimHandle, SimOptions};
use std::sync::Arc;

/// The Belgian division the simulator starts with.
pub const DIVISION: i32 = exact::DEFAULT_BE_DIVISION;
/// Where the connection's Exact tokens live.
pub const SECRET: &str = "koppel/c1/exact";

/// A simulator and a ledger talking to it.
pub struct Harness {
    /// The Exact simulator.
    pub sim: SimHandle,
    /// The ledger under test.
    pub ledger: ExactLedger,
    /// The store (refresh lease, connection status).
    pub store: Arc<InMemoryStore>,
    /// The vault (tokens).
    pub vault: Arc<InMemoryVault>,
    /// The clock shared by simulator and ledger.
    pub clock: Arc<dyn Clock>,
    /// The connection.
    pub connection: Connection,
}

/// The connection record of the tests.
pub fn connection(division: i32) -> Connection {
    Connection {
        id: ConnectionId::new("c1"),
        account_id: AccountId::new("acc-1"),
        department_id: DepartmentId::new("dep-1"),
        ledger: LedgerKind::ExactOnline,
        ledger_company: division.to_string(),
        status: ConnectionStatus::Active,
        settings: ConnectionSettings::default(),
        teamleader_secret: "koppel/c1/teamleader".into(),
        ledger_secret: SECRET.into(),
        created_at: Utc::now(),
        status_reason: None,
    }
}

/// Start a simulator with `options` on `clock`, connect a ledger to `division` with freshly
/// issued tokens.
pub async fn start(options: SimOptions, clock: Arc<dyn Clock>, division: i32) -> Harness {
    let sim = exact::spawn(options.with_clock(clock.clone()))
        .await
        .expect("simulator starts");
    let pair = sim
        .issue_tokens(DEFAULT_CLIENT_ID, Some(division))
        .expect("tokens issued");
    let vault = Arc::new(InMemoryVault::new());
    let store = Arc::new(InMemoryStore::new());
    let tokens = OAuthTokens {
        access_token: pair.access_token,
        refresh_token: pair.refresh_token,
        expires_at: clock.now() + chrono::Duration::seconds(pair.expires_in),
    };
    save_tokens(vault.as_ref(), SECRET, &tokens)
        .await
        .expect("tokens saved");
    let connection = connection(division);
    store
        .put_connection(&connection)
        .await
        .expect("connection stored");
    let app = ExactApp::new(&sim.base_url, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET);
    let deps = LedgerDeps {
        stores: TokenStores::from_store(store.clone()),
        vault: vault.clone(),
        clock: clock.clone(),
    };
    let ledger = ExactConnections { app }
        .exact_ledger(
            &connection,
            &deps,
            ExactOptions::default(),
            Deadline::none(),
        )
        .expect("ledger built");
    Harness {
        sim,
        ledger,
        store,
        vault,
        clock,
        connection,
    }
}

/// The id of the seeded customer with this code (1, 2, 3 …).
pub fn customer_id(sim: &SimHandle, division: i32, code: &str) -> String {
    sim.division(division)
        .expect("division exists")
        .accounts
        .iter()
        .find(|a| a.code.trim() == code)
        .map(|a| a.id.to_string())
        .expect("seeded customer exists")
}

/// A Teamleader customer as the export hands it to the ledger.
pub fn customer(name: &str, vat: Option<&str>, external_id: Option<&str>) -> Customer {
    Customer {
        reference: CustomerRef::company(format!("tl-{name}")),
        name: name.into(),
        vat_number: vat.map(|v| koppel_core::VatNumber(v.into())),
        enterprise_number: None,
        addresses: vec![koppel_core::Address {
            line_1: Some("Kerkstraat 1".into()),
            postal_code: Some("9000".into()),
            city: Some("Gent".into()),
            country: Some("BE".into()),
        }],
        emails: vec![format!(
            "{}@example.be",
            name.to_lowercase().replace(' ', ".")
        )],
        external_id: external_id.map(str::to_owned),
        language: Some("nl".into()),
    }
}

/// An entry with two lines (21 % and 6 %) in journal 700 (invoice) or 710 (credit note).
pub fn entry(kind: DocumentKind, reference: &str, customer: &str, date: NaiveDate) -> LedgerEntry {
    let journal = match kind {
        DocumentKind::Invoice => "700",
        DocumentKind::CreditNote => "710",
    };
    LedgerEntry {
        kind,
        journal: Some(journal.into()),
        customer: CustomerLink::Ledger {
            id: LedgerCustomerId::new(customer),
        },
        reference: reference.into(),
        date,
        due_date: date.checked_add_days(chrono::Days::new(30)),
        description: format!("{kind} {reference}"),
        payment_reference: Some("+++090/9337/55493+++".into()),
        direct_debit: false,
        currency: "EUR".into(),
        lines: vec![
            EntryLine {
                gl_account: Some("700000".into()),
                vat_code: Some("21".into()),
                amount_excl: "100.00".parse().expect("decimal"),
                vat_amount: "21.00".parse().expect("decimal"),
                description: "Consultancy".into(),
            },
            EntryLine {
                gl_account: Some("700100".into()),
                vat_code: Some("6".into()),
                amount_excl: "50.50".parse().expect("decimal"),
                vat_amount: "3.03".parse().expect("decimal"),
                description: "Boeken".into(),
            },
        ],
        total_incl: "174.53".parse().expect("decimal"),
        retry: false,
    }
}

/// A day in 2026 (periods 2025–2027 are seeded open).
pub fn day(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, day).expect("valid date")
}
