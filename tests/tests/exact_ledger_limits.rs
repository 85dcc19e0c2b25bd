//! `ExactLedger` and Exact's clocks: an access token expiring mid-run is refreshed once and
//! the run goes on (fast simulated clock); 61 calls in one minute wait for the next minute
//! instead of failing; the division choice for the reactivation page.

mod exact_ledger_support;

use chrono::{TimeZone, Utc};
use exact_ledger_support::{DIVISION, SECRET, start};
use koppel_api::{OAuthClient, TokenSource, TokenStores, load_tokens};
use koppel_core::memory::ManualClock;
use koppel_core::{Clock, ConnectionId, Deadline, EntryKey, Ledger, ScaledClock};
use koppel_ledgers::exact::{self, ExactApp};
use koppel_sim::exact::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_NL_DIVISION, RateLimits, SimOptions,
};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn an_access_token_expiring_mid_run_is_refreshed_once() {
    // 600× real time: the 10-minute token lives one real second.
    let clock: Arc<dyn Clock> = Arc::new(ScaledClock::new(
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
        600.0,
    ));
    let h = start(SimOptions::default(), clock.clone(), DIVISION).await;
    let before = load_tokens(h.vault.as_ref(), SECRET)
        .await
        .unwrap()
        .unwrap();

    h.ledger.reference_data().await.unwrap();
    clock.sleep(Duration::from_secs(11 * 60)).await;
    let data = h
        .ledger
        .reference_data()
        .await
        .expect("the run continues after the token expired");

    assert!(!data.gl_accounts.is_empty());
    let after = load_tokens(h.vault.as_ref(), SECRET)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(
        after.refresh_token, before.refresh_token,
        "the new pair is stored"
    );
    assert!(after.expires_at > before.expires_at);
    let stats = h.sim.stats();
    assert_eq!(
        stats.calls_to("POST oauth2/token"),
        1,
        "one refresh: {stats:?}"
    );
    assert_eq!(h.vault.writes(), 2, "initial save + one refresh");
}

#[tokio::test]
async fn sixty_one_calls_in_a_minute_wait_instead_of_failing() {
    let manual = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 5).unwrap(),
    ));
    let clock: Arc<dyn Clock> = manual.clone();
    let options = SimOptions::default().with_rate_limits(Some(RateLimits::default()));
    let h = start(options, clock.clone(), DIVISION).await;
    let started = clock.now();

    for n in 0..61 {
        let found = h
            .ledger
            .find_entry(&key("700", &format!("2026 / {n}")))
            .await;
        assert_eq!(found, Ok(None), "call {n}");
    }

    let stats = h.sim.stats();
    assert_eq!(
        stats.rate_limited, 0,
        "the gate waited before Exact had to refuse: {stats:?}"
    );
    assert_eq!(stats.calls_to("salesentry/SalesEntries"), 61);
    assert!(
        manual.slept() >= Duration::from_secs(50),
        "waited for the next minute: {:?}",
        manual.slept()
    );
    assert!(clock.now() - started >= chrono::Duration::seconds(55));
    assert!(h.ledger.http().reads().gate().stats().waited > Duration::ZERO);
}

#[tokio::test]
async fn a_bare_429_is_waited_out_too() {
    // The gate has not seen headers yet: the simulator's 429 (with only the minute headers)
    // makes it wait for the reset and try again.
    let manual = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 30).unwrap(),
    ));
    let clock: Arc<dyn Clock> = manual.clone();
    let options = SimOptions::default().with_rate_limits(Some(RateLimits {
        per_minute: 5,
        per_day: 5_000,
    }));
    let h = start(options, clock.clone(), DIVISION).await;
    // Another app instance spends this minute's quota with its own ledger and gate.
    let second = other_instance(&h).await;
    for _ in 0..5 {
        second.find_entry(&key("700", "x")).await.unwrap();
    }

    let found = h.ledger.find_entry(&key("700", "2026 / 1")).await;

    assert_eq!(found, Ok(None));
    assert_eq!(h.sim.stats().rate_limited, 1);
    assert!(
        manual.slept() >= Duration::from_secs(25),
        "{:?}",
        manual.slept()
    );
}

async fn other_instance(h: &exact_ledger_support::Harness) -> exact::ExactLedger {
    let app = ExactApp::new(&h.sim.base_url, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET);
    let tokens = TokenSource::new(
        ExactApp::token_config(SECRET, ConnectionId::new("c1")),
        app.oauth(h.clock.clone()),
        TokenStores::from_store(h.store.clone()),
        h.vault.clone(),
        h.clock.clone(),
    );
    exact::ExactLedger::new(
        &h.sim.base_url,
        i64::from(DIVISION),
        tokens,
        h.clock.clone(),
        Default::default(),
        Deadline::none(),
    )
}

fn key(journal: &str, reference: &str) -> EntryKey {
    EntryKey {
        kind: koppel_core::DocumentKind::Invoice,
        journal: Some(journal.to_owned()),
        reference: reference.to_owned(),
    }
}

#[tokio::test]
async fn divisions_for_the_reactivation_page() {
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::default());
    let h = start(SimOptions::default(), clock.clone(), DIVISION).await;
    let app = ExactApp::new(&h.sim.base_url, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET);
    let oauth: OAuthClient = app.oauth(clock.clone());
    let tokens = TokenSource::new(
        ExactApp::token_config(SECRET, ConnectionId::new("c1")),
        oauth,
        TokenStores::from_store(h.store.clone()),
        h.vault.clone(),
        clock.clone(),
    );
    let api = app.api(tokens, clock);

    assert_eq!(
        exact::current_division(&api).await.unwrap(),
        i64::from(DIVISION)
    );
    let divisions = exact::divisions(&api).await.unwrap();
    let codes: Vec<i64> = divisions.iter().map(|d| d.code).collect();
    assert!(
        codes.contains(&i64::from(DIVISION)) && codes.contains(&i64::from(DEFAULT_NL_DIVISION)),
        "{codes:?}"
    );
    let current: Vec<_> = divisions.iter().filter(|d| d.current).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0].code, i64::from(DIVISION));
    assert_eq!(current[0].name, "Koppel Demo BV (BE)");
    assert!(
        app.authorize_url("https://koppel.test/cb", "s1")
            .starts_with(&format!("{}/api/oauth2/auth?", h.sim.base_url))
    );
}
