//! OAuthClient and TokenSource against a fake token endpoint.

mod support;

use chrono::{DateTime, Utc};
use koppel_api::{
    ApiClient, OAuthClient, OAuthError, RetryPolicy, TokenSource, TokenSourceConfig, TokenStores,
    load_tokens, save_tokens,
};
use koppel_core::memory::{InMemoryStore, InMemoryVault, ManualClock};
use koppel_core::{
    AccountId, Clock, Connection, ConnectionId, ConnectionSettings, ConnectionStatus,
    ConnectionStore, DepartmentId, ExternalError, LeaseStore, LedgerKind, OAuthTokens, Secret,
    SystemClock, Vault, VaultError,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use support::{ErrorList, FakeServer, HOUR_TOKENS, TEN_MINUTE_TOKENS};

const SECRET: &str = "koppel/c1/teamleader";

fn connection_id() -> ConnectionId {
    ConnectionId::new("c1")
}

fn connection(now: DateTime<Utc>) -> Connection {
    Connection {
        id: connection_id(),
        account_id: AccountId::new("acc"),
        department_id: DepartmentId::new("dep"),
        ledger: LedgerKind::Octopus,
        ledger_company: "1".into(),
        status: ConnectionStatus::Active,
        settings: ConnectionSettings::default(),
        teamleader_secret: SECRET.into(),
        ledger_secret: "koppel/c1/ledger".into(),
        created_at: now,
        status_reason: None,
    }
}

fn oauth(server: &FakeServer, clock: Arc<dyn Clock>) -> OAuthClient {
    OAuthClient::new(
        "Teamleader Focus",
        server.url("/token"),
        "client",
        "secret",
        clock,
    )
    .with_retry(RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
    })
    .with_too_early_rule(support::too_early)
}

fn tokens(access: &str, refresh: &str, expires_at: DateTime<Utc>) -> OAuthTokens {
    OAuthTokens {
        access_token: access.into(),
        refresh_token: refresh.into(),
        expires_at,
    }
}

struct Fixture {
    server: FakeServer,
    clock: Arc<ManualClock>,
    store: Arc<InMemoryStore>,
    vault: Arc<InMemoryVault>,
}

impl Fixture {
    /// Stored tokens "access-0"/"refresh-0" expiring `expires_in` from now; the fake
    /// endpoint accepts "refresh-0".
    async fn new(expires_in: chrono::Duration) -> Self {
        let server = FakeServer::start().await;
        server.oauth("refresh-0", "access-0");
        let clock = Arc::new(ManualClock::default());
        let store = Arc::new(InMemoryStore::new());
        store
            .put_connection(&connection(clock.now()))
            .await
            .unwrap();
        let vault = Arc::new(InMemoryVault::new());
        vault.insert(
            SECRET,
            serde_json::to_value(tokens("access-0", "refresh-0", clock.now() + expires_in))
                .unwrap(),
        );
        Self {
            server,
            clock,
            store,
            vault,
        }
    }

    fn source_with(&self, config: TokenSourceConfig, vault: Arc<dyn Vault>) -> TokenSource {
        TokenSource::new(
            config,
            oauth(&self.server, self.clock.clone()),
            TokenStores::from_store(self.store.clone()),
            vault,
            self.clock.clone(),
        )
    }

    fn source(&self) -> TokenSource {
        self.source_with(
            TokenSourceConfig::new(SECRET, connection_id(), HOUR_TOKENS),
            self.vault.clone(),
        )
    }

    fn stored(&self) -> OAuthTokens {
        serde_json::from_value(self.vault.value(SECRET).unwrap()).unwrap()
    }

    fn grants(&self) -> u64 {
        self.server.with_oauth(|oauth| oauth.grants)
    }

    async fn status(&self) -> (ConnectionStatus, Option<String>) {
        let connection = self
            .store
            .connection(&connection_id())
            .await
            .unwrap()
            .unwrap();
        (connection.status, connection.status_reason)
    }
}

#[tokio::test]
async fn exchange_code_reads_expires_in_as_string() {
    let fixture = Fixture::new(chrono::Duration::hours(1)).await;
    fixture
        .server
        .with_oauth(|oauth| oauth.expires_in = serde_json::json!("600"));
    let client = oauth(&fixture.server, fixture.clock.clone());
    let tokens = client
        .exchange_code("the-code", "https://koppel.example/callback")
        .await
        .unwrap();
    assert_eq!(tokens.access_token, "access-1");
    assert_eq!(tokens.refresh_token, "refresh-1");
    assert_eq!(
        tokens.expires_at,
        fixture.clock.now() + chrono::Duration::seconds(600)
    );
    let sent = fixture.server.seen_on("/token");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, "POST");
    assert!(sent[0].body.contains("grant_type=authorization_code"));
    assert!(
        sent[0]
            .body
            .contains("redirect_uri=https%3A%2F%2Fkoppel.example%2Fcallback")
    );
    assert!(sent[0].body.contains("client_id=client"));
}

#[tokio::test]
async fn refresh_retries_5xx() {
    let fixture = Fixture::new(chrono::Duration::hours(1)).await;
    fixture.server.with_oauth(|oauth| oauth.failures_left = 2);
    let client = oauth(&fixture.server, fixture.clock.clone());
    let tokens = client.refresh("refresh-0").await.unwrap();
    assert_eq!(tokens.refresh_token, "refresh-1");
    assert_eq!(fixture.grants(), 3);
}

#[tokio::test]
async fn refusals_are_classified() {
    let fixture = Fixture::new(chrono::Duration::hours(1)).await;
    let client = oauth(&fixture.server, fixture.clock.clone());
    let cases = [
        (
            400,
            r#"{"error":"invalid_grant","error_description":"The refresh token is invalid."}"#,
            None,
            "The refresh token is invalid.",
        ),
        (
            401,
            r#"{"error":"unauthorized_client","error_description":"Old refresh token used."}"#,
            None,
            "Old refresh token used.",
        ),
        (
            400,
            r#"{"error":"invalid_request","error_description":"The refresh token expired at 10/11/2022 9:18:20 PM"}"#,
            None,
            "The refresh token expired at 10/11/2022 9:18:20 PM",
        ),
    ];
    for (status, body, reason, detail) in cases {
        fixture
            .server
            .with_oauth(|oauth| oauth.refusal = Some((status, body.into(), reason)));
        let error = client.refresh("refresh-0").await.unwrap_err();
        assert_eq!(
            error,
            OAuthError::External(ExternalError::NeedsReauth {
                system: "Teamleader Focus",
                detail: detail.into()
            })
        );
    }
    fixture.server.with_oauth(|oauth| {
        oauth.refusal = Some((
            400,
            r#"{"error":"access_denied","error_description":"Rate limit exceeded: access_token not expired"}"#.into(),
            Some("TooEarlyToRefreshTokens".into()),
        ))
    });
    let error = client.refresh("refresh-0").await.unwrap_err();
    assert!(
        matches!(error, OAuthError::TooEarly { ref detail, .. } if detail.contains("not expired")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_fresh_token_is_used_without_refreshing() {
    let fixture = Fixture::new(chrono::Duration::hours(1)).await;
    let source = fixture.source();
    assert_eq!(source.access_token().await.unwrap(), "access-0");
    assert_eq!(source.access_token().await.unwrap(), "access-0");
    assert_eq!(fixture.grants(), 0);
    assert_eq!(fixture.vault.writes(), 0);
}

#[tokio::test]
async fn an_expiring_token_is_refreshed_once_and_saved_before_use() {
    let fixture = Fixture::new(chrono::Duration::minutes(4)).await; // inside the 5-minute margin
    let source = fixture.source();
    let token = source.access_token().await.unwrap();
    assert_eq!(token, "access-1");
    assert_eq!(
        fixture.stored().access_token,
        "access-1",
        "the vault holds the pair handed out"
    );
    assert_eq!(fixture.stored().refresh_token, "refresh-1");
    assert_eq!(fixture.vault.writes(), 1);
    assert_eq!(source.access_token().await.unwrap(), "access-1");
    assert_eq!(fixture.grants(), 1);
    assert_eq!(source.refreshes(), 1);
    assert_eq!(
        fixture.store.lease("token:koppel/c1/teamleader"),
        None,
        "lease released"
    );
}

/// A vault whose writes fail.
struct BrokenWrites(Arc<InMemoryVault>);

#[async_trait::async_trait]
impl Vault for BrokenWrites {
    async fn read(&self, name: &str) -> Result<Option<Secret>, VaultError> {
        self.0.read(name).await
    }
    async fn write(&self, _name: &str, _value: &serde_json::Value) -> Result<String, VaultError> {
        Err(VaultError::Unavailable("throttled".into()))
    }
}

#[tokio::test]
async fn a_token_that_cannot_be_saved_is_not_handed_out() {
    let fixture = Fixture::new(chrono::Duration::minutes(1)).await;
    let source = fixture.source_with(
        TokenSourceConfig::new(SECRET, connection_id(), HOUR_TOKENS),
        Arc::new(BrokenWrites(fixture.vault.clone())),
    );
    let error = source.access_token().await.unwrap_err();
    assert!(
        matches!(&error, ExternalError::Unavailable { detail, .. } if detail.contains("could not be saved")),
        "{error:?}"
    );
    assert_eq!(fixture.grants(), 1);
}

/// A vault that, after `switch_after` reads, answers with tokens another worker refreshed.
struct OtherWorkerRefreshes {
    inner: Arc<InMemoryVault>,
    reads: AtomicU64,
    switch_after: u64,
    fresh: OAuthTokens,
}

#[async_trait::async_trait]
impl Vault for OtherWorkerRefreshes {
    async fn read(&self, name: &str) -> Result<Option<Secret>, VaultError> {
        if self.reads.fetch_add(1, Ordering::SeqCst) + 1 > self.switch_after {
            self.inner
                .insert(name, serde_json::to_value(&self.fresh).unwrap());
        }
        self.inner.read(name).await
    }
    async fn write(&self, name: &str, value: &serde_json::Value) -> Result<String, VaultError> {
        self.inner.write(name, value).await
    }
}

#[tokio::test]
async fn the_secret_is_read_again_after_taking_the_lease() {
    let fixture = Fixture::new(chrono::Duration::minutes(1)).await;
    let fresh = tokens(
        "access-other",
        "refresh-other",
        fixture.clock.now() + chrono::Duration::hours(1),
    );
    // Read 1 (before the lease) sees the expiring pair; read 2 (holding the lease) the fresh one.
    let vault = Arc::new(OtherWorkerRefreshes {
        inner: fixture.vault.clone(),
        reads: AtomicU64::new(0),
        switch_after: 1,
        fresh,
    });
    let source = fixture.source_with(
        TokenSourceConfig::new(SECRET, connection_id(), HOUR_TOKENS),
        vault.clone(),
    );
    assert_eq!(source.access_token().await.unwrap(), "access-other");
    assert_eq!(
        fixture.grants(),
        0,
        "no refresh with a refresh token another worker already used"
    );
    assert_eq!(vault.reads.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_held_lease_is_waited_for_while_re_reading_the_secret() {
    let fixture = Fixture::new(chrono::Duration::minutes(1)).await;
    let now = fixture.clock.now();
    let lease = "token:koppel/c1/teamleader";
    assert!(
        fixture
            .store
            .acquire_lease(
                lease,
                "other-worker",
                now,
                now + chrono::Duration::seconds(30)
            )
            .await
            .unwrap()
    );
    let fresh = tokens(
        "access-other",
        "refresh-other",
        now + chrono::Duration::hours(1),
    );
    let vault = Arc::new(OtherWorkerRefreshes {
        inner: fixture.vault.clone(),
        reads: AtomicU64::new(0),
        switch_after: 4,
        fresh,
    });
    let source = fixture.source_with(
        TokenSourceConfig::new(SECRET, connection_id(), HOUR_TOKENS),
        vault.clone(),
    );
    assert_eq!(source.access_token().await.unwrap(), "access-other");
    assert_eq!(fixture.grants(), 0);
    assert!(
        fixture.clock.slept() > Duration::ZERO,
        "polled on the clock"
    );
    assert!(
        fixture.clock.now() < now + chrono::Duration::seconds(30),
        "did not need the lease to lapse"
    );
}

#[tokio::test]
async fn a_lapsed_lease_is_taken_over() {
    let fixture = Fixture::new(chrono::Duration::minutes(1)).await;
    let now = fixture.clock.now();
    let lease = "token:koppel/c1/teamleader";
    // A crashed worker's lease: it never refreshes.
    assert!(
        fixture
            .store
            .acquire_lease(lease, "crashed", now, now + chrono::Duration::seconds(30))
            .await
            .unwrap()
    );
    let source = fixture.source();
    assert_eq!(source.access_token().await.unwrap(), "access-1");
    assert!(fixture.clock.now() >= now + chrono::Duration::seconds(30));
    assert_eq!(fixture.grants(), 1);
}

/// The fake token endpoint refuses every refresh token as used already.
fn refuse_as_used(fixture: &Fixture) {
    fixture.server.with_oauth(|oauth| {
        oauth.refusal = Some((
            401,
            r#"{"error":"unauthorized_client","error_description":"Old refresh token used."}"#
                .into(),
            None,
        ))
    });
}

#[tokio::test]
async fn a_refresh_refused_because_another_worker_rotated_first_uses_its_pair() {
    // Read 1 (before the lease) and read 2 (holding it) see the expired pair; the refresh
    // with it is refused as used; by then the other worker has saved its new pair.
    let fixture = Fixture::new(chrono::Duration::minutes(-5)).await;
    refuse_as_used(&fixture);
    let vault = Arc::new(OtherWorkerRefreshes {
        inner: fixture.vault.clone(),
        reads: AtomicU64::new(0),
        switch_after: 2,
        fresh: tokens(
            "access-other",
            "refresh-other",
            fixture.clock.now() + chrono::Duration::hours(1),
        ),
    });
    let source = fixture.source_with(
        TokenSourceConfig::new(SECRET, connection_id(), HOUR_TOKENS),
        vault,
    );
    assert_eq!(source.access_token().await.unwrap(), "access-other");
    assert_eq!(fixture.status().await.0, ConnectionStatus::Active);
    assert_eq!(fixture.grants(), 1, "one refused grant, no second one");
}

#[tokio::test]
async fn a_refused_refresh_marks_the_connection_needs_reauth() {
    let fixture = Fixture::new(chrono::Duration::minutes(-5)).await;
    refuse_as_used(&fixture);
    let source = fixture.source();
    let error = source.access_token().await.unwrap_err();
    assert_eq!(
        error,
        ExternalError::NeedsReauth {
            system: "Teamleader Focus",
            detail: "Old refresh token used.".into()
        }
    );
    let (status, reason) = fixture.status().await;
    assert_eq!(status, ConnectionStatus::NeedsReauth);
    let reason = reason.unwrap();
    assert!(
        reason.contains("Old refresh token used.") && reason.contains("sign in"),
        "{reason}"
    );
    // A second worker does not spend another grant on the dead token.
    let second = fixture.source();
    assert!(matches!(
        second.access_token().await,
        Err(ExternalError::NeedsReauth { .. })
    ));
    assert_eq!(fixture.grants(), 1);
    assert_eq!(fixture.store.lease("token:koppel/c1/teamleader"), None);
}

#[tokio::test]
async fn a_missing_secret_marks_the_connection_needs_reauth() {
    let fixture = Fixture::new(chrono::Duration::hours(1)).await;
    let source = fixture.source_with(
        TokenSourceConfig::new("koppel/nope", connection_id(), HOUR_TOKENS),
        fixture.vault.clone(),
    );
    assert!(matches!(
        source.access_token().await,
        Err(ExternalError::NeedsReauth { .. })
    ));
    assert_eq!(fixture.status().await.0, ConnectionStatus::NeedsReauth);
}

#[tokio::test]
async fn ten_minute_tokens_are_never_refreshed_young_and_keeps_it_when_told_too_early() {
    let fixture = Fixture::new(chrono::Duration::seconds(600)).await;
    let config = TokenSourceConfig::new(SECRET, connection_id(), TEN_MINUTE_TOKENS);
    let source = fixture.source_with(config, fixture.vault.clone());
    assert_eq!(source.access_token().await.unwrap(), "access-0");
    // 9 minutes in: inside nothing yet.
    fixture.clock.advance(Duration::from_secs(540));
    assert_eq!(source.access_token().await.unwrap(), "access-0");
    assert_eq!(fixture.grants(), 0);
    // 9 min 35 s: within 30 s of expiry and older than 9.5 min -> refresh; the provider says too early.
    fixture.clock.advance(Duration::from_secs(35));
    fixture.server.with_oauth(|oauth| {
        oauth.refusal = Some((
            400,
            r#"{"error":"access_denied","error_description":"Rate limit exceeded: access_token not expired"}"#.into(),
            Some("TooEarlyToRefreshTokens".into()),
        ))
    });
    assert_eq!(
        source.access_token().await.unwrap(),
        "access-0",
        "the current token stays in use"
    );
    assert_eq!(source.access_token().await.unwrap(), "access-0");
    assert_eq!(fixture.grants(), 1, "not asked again right away");
    assert_eq!(fixture.status().await.0, ConnectionStatus::Active);
    // Expired and allowed now: a real refresh.
    fixture.server.with_oauth(|oauth| oauth.refusal = None);
    fixture.clock.advance(Duration::from_secs(60));
    assert_eq!(source.access_token().await.unwrap(), "access-1");
}

#[tokio::test]
async fn a_401_gets_a_new_token_once_then_retries() {
    let fixture = Fixture::new(chrono::Duration::hours(1)).await;
    // The API no longer accepts the stored access token (revoked server-side).
    fixture
        .server
        .with_oauth(|oauth| oauth.access_token = "access-server-side".into());
    fixture.server.protect("/users.me");
    let source = fixture.source();
    let client = ApiClient::builder(
        "Teamleader Focus",
        &fixture.server.base_url,
        fixture.clock.clone(),
    )
    .tokens(source.clone())
    .errors(ErrorList)
    .build();
    let url = client.url("users.me");
    let response = client
        .send("users.me", |http| http.post(&url))
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    let seen = fixture.server.seen_on("/users.me");
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].authorization.as_deref(), Some("Bearer access-0"));
    assert_eq!(seen[1].authorization.as_deref(), Some("Bearer access-1"));
    assert_eq!(fixture.grants(), 1);
    assert_eq!(fixture.stored().access_token, "access-1");

    // Refused again right after a refresh: the app's access is refused, not the token
    // (issue 9): ConnectionRefused, so a job stops instead of repeating it for every item;
    // not an endless loop, not NeedsReauth of the token (the job marks the connection).
    let unauthorized = support::Answer::new(401, r#"{"errors":[{"title":"Forbidden scope"}]}"#);
    fixture
        .server
        .script("/companies.add", vec![unauthorized; 5]);
    let url = client.url("companies.add");
    let error = client
        .send("companies.add", |http| http.post(&url))
        .await
        .unwrap_err();
    assert_eq!(fixture.server.seen_on("/companies.add").len(), 2);
    assert!(
        matches!(error, ExternalError::ConnectionRefused { status: 401, .. }),
        "{error:?}"
    );
    assert_eq!(fixture.grants(), 2);
    assert_eq!(fixture.status().await.0, ConnectionStatus::Active);
}

#[tokio::test]
async fn concurrent_sources_refresh_once() {
    // Real time, so the lease TTL is not eaten by many sleepers advancing a manual clock.
    let server = FakeServer::start().await;
    server.oauth("refresh-0", "access-0");
    server.with_oauth(|oauth| oauth.delay = Duration::from_millis(50));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = Arc::new(InMemoryStore::new());
    store
        .put_connection(&connection(clock.now()))
        .await
        .unwrap();
    let vault = Arc::new(InMemoryVault::new());
    save_tokens(
        vault.as_ref(),
        SECRET,
        &tokens(
            "access-0",
            "refresh-0",
            clock.now() - chrono::Duration::seconds(1),
        ),
    )
    .await
    .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let config = TokenSourceConfig {
            poll_interval: Duration::from_millis(10),
            ..TokenSourceConfig::new(SECRET, connection_id(), HOUR_TOKENS)
        };
        let source = TokenSource::new(
            config,
            oauth(&server, clock.clone()),
            TokenStores::from_store(store.clone()),
            vault.clone(),
            clock.clone(),
        );
        tasks.push(tokio::spawn(async move { source.access_token().await }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), "access-1");
    }
    assert_eq!(server.with_oauth(|oauth| oauth.grants), 1);
    assert_eq!(
        load_tokens(vault.as_ref(), SECRET)
            .await
            .unwrap()
            .unwrap()
            .refresh_token,
        "refresh-1"
    );
}

/// Collects everything logged, at every level, for the secrets check.
#[derive(Clone, Default)]
struct LogBuffer(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The log of this whole test binary. A global subscriber, not a scoped one: with a scoped
/// subscriber, tests running on other threads can leave callsites cached as disabled and the
/// check below would see nothing. Every test of the file logs here, so the secrets check
/// covers all of them.
fn global_log() -> LogBuffer {
    static LOG: std::sync::OnceLock<LogBuffer> = std::sync::OnceLock::new();
    LOG.get_or_init(|| {
        let buffer = LogBuffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
        buffer
    })
    .clone()
}

#[tokio::test]
async fn tokens_never_reach_the_logs() {
    let buffer = global_log();

    let fixture = Fixture::new(chrono::Duration::minutes(1)).await;
    fixture.server.protect("/users.me");
    let source = fixture.source();
    let client = ApiClient::builder(
        "Teamleader Focus",
        &fixture.server.base_url,
        fixture.clock.clone(),
    )
    .tokens(source.clone())
    .errors(ErrorList)
    .build();
    let url = client.url("users.me");
    // Refresh, then a 401 (server-side revocation) and another refresh, then a refusal.
    client
        .send("users.me", |http| http.post(&url))
        .await
        .unwrap();
    fixture
        .server
        .with_oauth(|oauth| oauth.access_token = "revoked".into());
    client
        .send("users.me", |http| http.post(&url))
        .await
        .unwrap();
    fixture.server.with_oauth(|oauth| {
        oauth.refusal = Some((
            400,
            r#"{"error":"invalid_grant","error_description":"Token has been revoked"}"#.into(),
            None,
        ))
    });
    fixture
        .server
        .with_oauth(|oauth| oauth.access_token = "revoked-again".into());
    assert!(
        client
            .send("users.me", |http| http.post(&url))
            .await
            .is_err()
    );

    let logged = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(
        logged.contains("access token refreshed"),
        "the flow was logged: {logged}"
    );
    for secret in [
        "access-0",
        "refresh-0",
        "access-1",
        "refresh-1",
        "access-2",
        "refresh-2",
        "secret",
    ] {
        assert!(!logged.contains(secret), "{secret} was logged:\n{logged}");
    }
}
