//! Twenty workers of one connection, each with its own TokenSource and ApiClient (as separate
//! Lambdas would have), share one Store and one Vault and call the Teamleader simulator on a
//! fast clock while access tokens expire several times. Refresh tokens are single-use, so a
//! second refresh with the same token would kill the connection: every expiry must be
//! refreshed exactly once, by one worker, and no call may fail. Run twice: with the in-memory
//! ports, and on the real store (DynamoDB and Secrets Manager on moto).

use chrono::{DateTime, TimeZone, Utc};
use koppel_api::{
    ApiClient, OAuthClient, RateGate, RateGateConfig, TokenSource, TokenSourceConfig, TokenStores,
    save_tokens,
};
use koppel_core::memory::{InMemoryStore, InMemoryVault};
use koppel_core::{
    AccountId, Clock, Connection, ConnectionId, ConnectionSettings, ConnectionStatus, DepartmentId,
    ExternalError, LedgerKind, OAuthTokens, ScaledClock, Secret, Store, Vault, VaultError,
};
use koppel_sim::teamleader::{
    self, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Fault, FaultKind, GenerateSpec, SimOptions,
};
use koppel_teamleader::policy::{TeamleaderErrors, TeamleaderRateLimit, token_config};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const WORKERS: usize = 20;
const SECRET: &str = "koppel/c1/teamleader";
/// Simulated time per real second (100×: the 23 simulated minutes take about 14 s; at 300× a
/// refresh's real round trips on a loaded machine outlasted its lease, see `worker`).
const SPEED: f64 = 100.0;
/// Access tokens live 10 minutes here (1 hour at Teamleader) so they expire often.
const ACCESS_TTL_MINUTES: i64 = 10;
/// How long the workers run, in simulated minutes.
const RUN_MINUTES: i64 = 23;
/// Pause between two calls of one worker (simulated): the workers keep calling while a
/// refresh is under way, so most of them find the lease taken at every expiry.
const PAUSE: Duration = Duration::from_secs(2);
/// Real time the token endpoint takes to answer (12 simulated seconds at 300×), so waiting
/// workers pile up behind the refresh lease.
const REFRESH_LATENCY_MS: u64 = 40;

fn origin() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

fn connection(now: DateTime<Utc>, secret: &str) -> Connection {
    Connection {
        id: ConnectionId::new("c1"),
        account_id: AccountId::new("acc"),
        department_id: DepartmentId::new("dep"),
        ledger: LedgerKind::ExactOnline,
        ledger_company: "1".into(),
        status: ConnectionStatus::Active,
        settings: ConnectionSettings::default(),
        teamleader_secret: secret.into(),
        ledger_secret: "koppel/c1/exact".into(),
        created_at: now,
        status_reason: None,
    }
}

struct Worker {
    client: ApiClient,
    tokens: TokenSource,
}

/// Counts the writes of the vault it wraps (every saved pair).
struct CountingVault {
    inner: Arc<dyn Vault>,
    writes: AtomicU64,
}

#[async_trait::async_trait]
impl Vault for CountingVault {
    async fn read(&self, name: &str) -> Result<Option<Secret>, VaultError> {
        self.inner.read(name).await
    }
    async fn write(&self, name: &str, value: &serde_json::Value) -> Result<String, VaultError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.write(name, value).await
    }
}

/// Koppel's store and vault on moto (fresh table; secrets named per run).
async fn on_moto() -> (Arc<dyn Store>, Arc<dyn Vault>) {
    let url = std::env::var("KOPPEL_TEST_MOTO_URL").expect(
        "KOPPEL_TEST_MOTO_URL is not set: run the tests with `infra/dev test` (it starts moto)",
    );
    let config = koppel_aws::local_sdk_config(&url).await;
    let table = format!(
        "koppel-refresh-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    koppel_aws::create_table(&aws_sdk_dynamodb::Client::new(&config), &table)
        .await
        .expect("table created in moto");
    let unused = String::new;
    let adapters = koppel_aws::AwsAdapters::new(
        &config,
        koppel_aws::Resources {
            table,
            queues: koppel_aws::QueueUrls {
                invoice_export: unused(),
                payment_poll: unused(),
                company_import: unused(),
                merge_file: unused(),
            },
            merge_bucket: unused(),
            mail_from: None,
            app_secret: unused(),
            secret_prefix: unused(),
            teamleader_api_url: unused(),
            teamleader_auth_url: unused(),
        },
    );
    (Arc::new(adapters.store), Arc::new(adapters.vault))
}

fn worker(
    base_url: &str,
    clock: Arc<dyn Clock>,
    store: Arc<dyn Store>,
    vault: Arc<dyn Vault>,
    secret: &str,
) -> Worker {
    let oauth = OAuthClient::new(
        "Teamleader Focus",
        format!("{base_url}/oauth2/access_token"),
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        clock.clone(),
    );
    let config = TokenSourceConfig {
        // The lease must outlive a refresh's real round trips (DynamoDB, Secrets Manager and
        // the token endpoint, on moto and a loaded machine), as 0.3 s fits in the product's
        // 30 s: at 100× these 300 simulated seconds are 3 s of real time (at 300× and 120 s,
        // 0.4 s, a refresh on a fresh clone's busy CI run once outlasted it and a second worker
        // refreshed with the spent token). Still shorter than the 10-minute access token.
        lease_ttl: Duration::from_secs(300),
        max_wait: Duration::from_secs(600),
        ..token_config(secret, ConnectionId::new("c1"))
    };
    let tokens = TokenSource::new(
        config,
        oauth,
        TokenStores::from_store(store),
        vault,
        clock.clone(),
    );
    let gate = RateGate::new(
        "Teamleader Focus",
        TeamleaderRateLimit,
        clock.clone(),
        RateGateConfig::default(),
    );
    let client = ApiClient::builder("Teamleader Focus", base_url, clock)
        .tokens(tokens.clone())
        .gate(gate)
        .errors(TeamleaderErrors)
        .build();
    Worker { client, tokens }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_workers_refresh_each_expiry_exactly_once() {
    twenty_workers(
        Arc::new(InMemoryStore::new()),
        Arc::new(InMemoryVault::new()),
        SECRET,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_workers_on_dynamodb_and_secrets_manager_refresh_each_expiry_exactly_once() {
    let (store, vault) = on_moto().await;
    let secret = format!(
        "koppel-refresh-{}/c1/teamleader",
        uuid::Uuid::new_v4().simple()
    );
    twenty_workers(store, vault, &secret).await;
}

async fn twenty_workers(store: Arc<dyn Store>, vault: Arc<dyn Vault>, secret: &str) {
    let vault = Arc::new(CountingVault {
        inner: vault,
        writes: AtomicU64::new(0),
    });
    let clock: Arc<dyn Clock> = Arc::new(ScaledClock::new(origin(), SPEED));
    let options = SimOptions {
        access_token_ttl: chrono::Duration::minutes(ACCESS_TTL_MINUTES),
        // Rate limiting is not under test here (the RateGate tests cover it): 20 workers at
        // one call per 2 s would need 600 requests a minute.
        rate_limit_per_minute: 100_000,
        ..SimOptions::default().with_clock(clock.clone())
    };
    let sim = teamleader::spawn(options).await.unwrap();
    sim.inject_fault(Fault {
        kind: FaultKind::Latency {
            millis: REFRESH_LATENCY_MS,
        },
        count: 1_000,
        endpoint: Some("oauth2/access_token".into()),
    });
    let account = sim.generate(&GenerateSpec::default()).unwrap();
    let pair = sim.issue_tokens(&account, None, None).unwrap();

    store
        .put_connection(&connection(clock.now(), secret))
        .await
        .unwrap();
    let first = OAuthTokens {
        access_token: pair.access_token,
        refresh_token: pair.refresh_token,
        expires_at: clock.now() + chrono::Duration::seconds(pair.expires_in),
    };
    save_tokens(vault.as_ref(), secret, &first).await.unwrap();
    let vault_writes_before = vault.writes.load(Ordering::SeqCst);

    let start = clock.now();
    let end = start + chrono::Duration::minutes(RUN_MINUTES);
    let mut handles = Vec::new();
    let mut token_sources = Vec::new();
    for index in 0..WORKERS {
        let worker = worker(
            &sim.base_url,
            clock.clone(),
            store.clone(),
            vault.clone(),
            secret,
        );
        token_sources.push(worker.tokens.clone());
        let clock = clock.clone();
        handles.push(tokio::spawn(async move {
            let mut calls = 0u64;
            let mut failures: Vec<ExternalError> = Vec::new();
            let mut round = index;
            while clock.now() < end {
                let endpoint = if round % 2 == 0 {
                    "users.me"
                } else {
                    "departments.list"
                };
                round += 1;
                let url = worker.client.url(endpoint);
                match worker
                    .client
                    .send(endpoint, |http| {
                        http.post(&url).json(&serde_json::json!({}))
                    })
                    .await
                {
                    Ok(response) => {
                        assert_eq!(response.status, 200);
                        let body: serde_json::Value = response.json().unwrap();
                        assert!(body.get("data").is_some(), "{endpoint}: {body}");
                        calls += 1;
                    }
                    Err(error) => failures.push(error),
                }
                clock.sleep(PAUSE).await;
            }
            (calls, failures, worker.client.gate().stats())
        }));
    }

    let mut total_calls = 0;
    let mut failures = Vec::new();
    let mut throttled = 0;
    for handle in handles {
        let (calls, worker_failures, stats) = handle.await.unwrap();
        assert!(calls > 0, "every worker made calls");
        total_calls += calls;
        failures.extend(worker_failures);
        throttled += stats.throttled;
    }
    let elapsed = clock.now() - start;

    // 1. No call failed.
    assert!(
        failures.is_empty(),
        "{} of {} calls failed, e.g. {:?}",
        failures.len(),
        total_calls,
        failures.first()
    );

    // 2. The connection was never marked NeedsReauth.
    let stored = store
        .connection(&ConnectionId::new("c1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.status,
        ConnectionStatus::Active,
        "reason: {:?}",
        stored.status_reason
    );

    // 3. One refresh per expiry, not one per worker.
    let token_requests: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|request| request.endpoint == "oauth2/access_token")
        .collect();
    assert!(
        token_requests.iter().all(|request| request.status == 200),
        "a refresh was refused: {token_requests:?}"
    );
    let refreshes = token_requests.len() as u64;
    let per_worker: u64 = token_sources.iter().map(TokenSource::refreshes).sum();
    assert_eq!(
        refreshes, per_worker,
        "every grant the simulator saw was made by exactly one worker"
    );
    assert_eq!(
        vault.writes.load(Ordering::SeqCst) - vault_writes_before,
        refreshes,
        "every new pair was saved once"
    );
    // A token is refreshed when it enters its last 5 minutes: once per 5 simulated minutes.
    let margin = chrono::Duration::minutes(5);
    let interval = chrono::Duration::minutes(ACCESS_TTL_MINUTES) - margin;
    let expiries = elapsed.num_seconds() / interval.num_seconds();
    assert!(
        expiries >= 4,
        "the run covered several token lifetimes ({elapsed})"
    );
    assert!(
        refreshes == expiries as u64 || refreshes + 1 == expiries as u64,
        "{refreshes} refreshes for {expiries} expiries in {elapsed} ({total_calls} calls, {throttled} throttled)"
    );
    for pair in token_requests.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(
            gap >= interval,
            "refreshed again after only {gap}: the token was not expiring yet"
        );
    }
    println!(
        "{WORKERS} workers, {total_calls} calls, {refreshes} refreshes over {} simulated minutes, {throttled} throttled",
        elapsed.num_minutes()
    );
    sim.shutdown().await;
}
