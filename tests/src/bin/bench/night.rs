//! The night: 1,000 connections' nightly export to Exact Online on virtual time, drained by
//! `N` Lambda workers with the quotas on, against the paper figure of `night_model.rs`
//! (docs/CAPACITY.md).
//!
//! One run, in a child process (`--child-night`), per worker count:
//!
//! 1. **Setup, the evening before** (not counted): one Teamleader account per connection in
//!    the simulator, each holding the documents of one night drawn from the model's
//!    distribution (seeded), one Exact division per connection, each department linked to
//!    its division with the suggested settings (`link`, what `Stack::connect` does).
//! 2. **The night**: at 02:00 Brussels (01:00 UTC) the real dispatcher use-case queues one
//!    export per active connection, and `N` workers drain the queue with the real export
//!    handler, the live Teamleader and Exact clients, Exact's quotas (60 per clock minute,
//!    5,000 per UTC day, per division) and Teamleader's (200 per sliding minute, per account).
//! 3. **Latency**: every call to Teamleader and Exact passes a relay that moves the clock by
//!    the API's assumed latency (half on the way there, half back); every store call moves it
//!    by DynamoDB's, every vault call by Secrets Manager's, every batch of ten messages sent
//!    by SQS's. Concurrent calls of one invocation (Exact's four reference reads) each cost
//!    their full latency, as in the paper.
//!
//! **The clock** ([`NightClock`]) is virtual: it moves only by those latencies and by what
//! the clients sleep (the rate gates waiting for a window), so the figures are the same on
//! every machine and every run. A sleep of a second or more ends on the whole second: the
//! rate gate adds 1 s and a random 0–0.5 s after a window's reset, and without that the
//! jitter would shift later invocations' minute windows from run to run.
//!
//! **N workers** are a discrete-event simulation: invocations run one at a time in real
//! time, each on a clock set to the instant its worker starts it — the earliest free of `N`
//! workers takes the oldest message available (FIFO; a continuation becomes available when
//! the invocation that sent it ends, as SQS keeps its message group locked until then). That
//! is what `N` concurrent Lambdas do when nothing they use limits them together, which holds
//! here: each connection has its own division and account and both quotas are per division
//! and per account (an app-wide quota is documented for neither). The stack's own virtual
//! clock (`Stack::drain_with`) cannot do this: there every sleeper moves the shared clock by
//! its own wait, so `N` concurrent workers would add their waits up; and real time sped up
//! would measure this machine, not the night.

use crate::heap::Part;
use crate::night_model::{
    self, DYNAMODB_LATENCY, EXACT_LATENCY, SECRETS_LATENCY, SQS_LATENCY, TEAMLEADER_LATENCY,
};
use crate::scenario::{RunError, delta, exact_api_calls, runtime};
use async_trait::async_trait;
use axum::response::IntoResponse;
use chrono::{DateTime, TimeZone, Timelike, Utc};
use futures::future::BoxFuture;
use invoice_export::{Export, ExportFunction};
use koppel_connect::{AppSecret, LiveConnector};
use koppel_core::jobs::dispatch::dispatch;
use koppel_core::jobs::export::ExportOptions;
use koppel_core::jobs::lifecycle::JobOutcome;
use koppel_core::jobs::setup::suggest_settings;
use koppel_core::memory::{InMemoryStore, InMemoryVault};
use koppel_core::{
    AccountId, Clock, Connection, ConnectionId, ConnectionStatus, ConnectionStore, Connector,
    Deadline, DepartmentId, Job, JobKind, JobQueue, LedgerKind, OAuthTokens, QueueError, RunStatus,
    Secret, Vault, VaultError,
};
use koppel_e2e::store_hook::{HookedStore, StoreHook};
use koppel_sim::app_secret::{SimulatorUrls, app_secret};
use koppel_sim::{exact, teamleader};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Lambda's timeout for the export (template.yaml), in clock time.
const BUDGET: Duration = Duration::from_secs(900);
/// How long SQS hides a message a handler failed (the export queue's visibility timeout).
const VISIBILITY_TIMEOUT: chrono::Duration = chrono::Duration::seconds(5_400);
/// Receives before SQS moves a message to the dead-letter queue.
const MAX_RECEIVES: u32 = 5;
/// The first Exact division code of the night's connections.
const FIRST_DIVISION: i32 = 300_001;

/// What to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NightScenario {
    /// Connections (one Teamleader account and one Exact division each).
    pub connections: usize,
    /// Concurrent workers (`WorkerMaximumConcurrency`).
    pub workers: usize,
    /// Seed of the documents per connection and of the generated accounts.
    pub seed: u64,
    /// Attach each document's PDF in Exact (the default the connection page suggests).
    pub attach_pdf: bool,
}

impl NightScenario {
    /// A short name for progress lines.
    pub fn label(&self) -> String {
        format!(
            "night of {} connections, {} workers, {}",
            self.connections,
            self.workers,
            self.costs().name
        )
    }

    /// The paper's costs for these settings.
    pub fn costs(&self) -> &'static night_model::Costs {
        if self.attach_pdf {
            &night_model::WITH_PDF
        } else {
            &night_model::WITHOUT_PDF
        }
    }

    /// 02:00 in Brussels (winter time) on the night measured.
    pub fn night_start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, 1, 0, 0)
            .single()
            .unwrap_or(DateTime::UNIX_EPOCH)
    }

    /// When the connections are made, the evening before (another UTC day: Exact's daily
    /// window of the night starts empty).
    fn evening() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 9, 17, 0, 0)
            .single()
            .unwrap_or(DateTime::UNIX_EPOCH)
    }
}

/// What one night measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NightMeasurement {
    /// The scenario.
    pub scenario: NightScenario,
    /// Every connection's night, in connection order.
    pub connections: Vec<ConnectionFigures>,
    /// Documents the run reports say were exported.
    pub exported: u64,
    /// Entries in the Exact divisions (each checked to be there once).
    pub entries: u64,
    /// Connections whose run succeeded.
    pub succeeded: usize,
    /// Handler invocations.
    pub invocations: u32,
    /// Invocations that handed over to a continuation.
    pub continued: u32,
    /// Messages a handler failed (delivered again after the visibility timeout).
    pub failed_messages: u32,
    /// Invocations that ran past Lambda's 900 s (a real Lambda would have been killed).
    pub over_deadline: u32,
    /// Virtual seconds from the schedule (02:00) to the last invocation's end.
    pub drain_seconds: f64,
    /// Virtual seconds the clients slept during the night (rate gates, backoff).
    pub waited_seconds: f64,
    /// Virtual seconds of call latency during the night.
    pub latency_seconds: f64,
    /// Highest number of workers busy at the same time.
    pub busiest_workers: usize,
    /// Exact calls during the night per "METHOD resource" (token calls included).
    pub exact_calls: BTreeMap<String, u64>,
    /// Exact calls answered 429.
    pub exact_429: u64,
    /// Teamleader calls during the night per endpoint (token calls included).
    pub teamleader_calls: BTreeMap<String, u64>,
    /// Teamleader calls answered 429.
    pub teamleader_429: u64,
    /// Store calls during the night per method.
    pub store_calls: BTreeMap<String, u64>,
    /// Vault reads during the night.
    pub vault_reads: u64,
    /// Vault writes during the night.
    pub vault_writes: u64,
    /// Real seconds to generate the accounts and make the connections.
    pub setup_real_seconds: f64,
    /// Real seconds the night took to simulate.
    pub night_real_seconds: f64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn later(at: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(by)
        .ok()
        .and_then(|by| at.checked_add_signed(by))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The night's virtual clock (see the module's notes).
pub struct NightClock {
    state: Mutex<NightTime>,
    latency_on: AtomicBool,
}

#[derive(Debug, Clone, Copy)]
struct NightTime {
    now: DateTime<Utc>,
    waited: Duration,
    latency: Duration,
}

impl NightClock {
    /// A clock standing at `start`, latency off.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            state: Mutex::new(NightTime {
                now: start,
                waited: Duration::ZERO,
                latency: Duration::ZERO,
            }),
            latency_on: AtomicBool::new(false),
        }
    }

    /// Put the clock at `at` (backwards too: the next invocation's start).
    pub fn set(&self, at: DateTime<Utc>) {
        lock(&self.state).now = at;
    }

    /// Calls cost their latency from now on (`true`) or nothing (setup).
    pub fn latency(&self, on: bool) {
        self.latency_on.store(on, Ordering::SeqCst);
    }

    /// A call's latency: the clock moves by `by` at once (when latency is on).
    pub fn pass(&self, by: Duration) {
        if !self.latency_on.load(Ordering::SeqCst) {
            return;
        }
        let mut state = lock(&self.state);
        state.now = later(state.now, by);
        state.latency += by;
    }

    /// Time slept and time of latency so far.
    pub fn totals(&self) -> (Duration, Duration) {
        let state = *lock(&self.state);
        (state.waited, state.latency)
    }
}

#[async_trait]
impl Clock for NightClock {
    fn now(&self) -> DateTime<Utc> {
        lock(&self.state).now
    }

    async fn sleep(&self, duration: Duration) {
        {
            let mut state = lock(&self.state);
            let mut end = later(state.now, duration);
            if duration >= Duration::from_secs(1) {
                end = end.with_nanosecond(0).unwrap_or(end);
            }
            if end > state.now {
                let slept = (end - state.now).to_std().unwrap_or_default();
                state.waited += slept;
                state.now = end;
            }
        }
        tokio::task::yield_now().await;
    }
}

/// An HTTP relay in front of a simulator that costs every call its latency on the clock.
struct Relay {
    upstream: String,
    base: String,
    latency: Duration,
    clock: Arc<NightClock>,
    client: reqwest::Client,
}

impl Relay {
    /// Serve a relay to `upstream` on 127.0.0.1 (a free port); its base URL and server task.
    async fn spawn(
        upstream: String,
        latency: Duration,
        clock: Arc<NightClock>,
    ) -> Result<(String, tokio::task::JoinHandle<()>), RunError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(RunError::Runtime)?;
        let address = listener.local_addr().map_err(RunError::Runtime)?;
        let base = format!("http://{address}");
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| RunError::Export(format!("relay client: {e}")))?;
        let relay = Arc::new(Self {
            upstream,
            base: base.clone(),
            latency,
            clock,
            client,
        });
        let router = axum::Router::new().fallback(relay_call).with_state(relay);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok((base, task))
    }

    async fn forward(
        &self,
        request: axum::extract::Request,
    ) -> Result<axum::response::Response, String> {
        use reqwest::header::{CONNECTION, CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, 64 * 1024 * 1024)
            .await
            .map_err(|e| e.to_string())?;
        let there = self.latency / 2;
        self.clock.pass(there);
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let mut headers = parts.headers;
        for name in [HOST, CONTENT_LENGTH, CONNECTION, TRANSFER_ENCODING] {
            headers.remove(name);
        }
        let answer = self
            .client
            .request(parts.method, format!("{}{path}", self.upstream))
            .headers(headers)
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = answer.status();
        let mut headers = answer.headers().clone();
        for name in [CONTENT_LENGTH, CONNECTION, TRANSFER_ENCODING] {
            headers.remove(name);
        }
        let bytes = answer.bytes().await.map_err(|e| e.to_string())?;
        // Links in answers (Exact's `__next`) point at the simulator: keep them on the relay.
        let bytes = match std::str::from_utf8(&bytes) {
            Ok(text) if text.contains(&self.upstream) => {
                axum::body::Bytes::from(text.replace(&self.upstream, &self.base))
            }
            _ => bytes,
        };
        self.clock.pass(self.latency - there);
        let mut response = axum::response::Response::new(axum::body::Body::from(bytes));
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        Ok(response)
    }
}

async fn relay_call(
    axum::extract::State(relay): axum::extract::State<Arc<Relay>>,
    request: axum::extract::Request,
) -> axum::response::Response {
    match relay.forward(request).await {
        Ok(response) => response,
        Err(why) => (axum::http::StatusCode::BAD_GATEWAY, why).into_response(),
    }
}

/// Costs every store call DynamoDB's latency and counts it by method.
struct StoreCost {
    clock: Arc<NightClock>,
    calls: Mutex<BTreeMap<String, u64>>,
    total: AtomicU64,
    writes: AtomicU64,
}

impl StoreHook for StoreCost {
    fn around<'a, T: Send + 'a>(
        &'a self,
        name: &'static str,
        call: BoxFuture<'a, T>,
    ) -> BoxFuture<'a, T> {
        *lock(&self.calls).entry(name.to_owned()).or_default() += 1;
        self.total.fetch_add(1, Ordering::Relaxed);
        if writes(name) {
            self.writes.fetch_add(1, Ordering::Relaxed);
        }
        self.clock.pass(DYNAMODB_LATENCY);
        call
    }
}

/// The in-memory vault, each call costing Secrets Manager's latency, counted.
struct TimedVault {
    inner: InMemoryVault,
    clock: Arc<NightClock>,
    reads: AtomicU64,
    writes: AtomicU64,
}

#[async_trait]
impl Vault for TimedVault {
    async fn read(&self, name: &str) -> Result<Option<Secret>, VaultError> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        self.clock.pass(SECRETS_LATENCY);
        self.inner.read(name).await
    }

    async fn write(&self, name: &str, value: &serde_json::Value) -> Result<String, VaultError> {
        self.writes.fetch_add(1, Ordering::Relaxed);
        self.clock.pass(SECRETS_LATENCY);
        self.inner.write(name, value).await
    }
}

/// The export queue: each message with the clock time it was sent; a batch of ten costs
/// SQS's latency.
struct NightQueue {
    clock: Arc<NightClock>,
    sent: Mutex<Vec<(DateTime<Utc>, Job)>>,
}

impl NightQueue {
    fn take(&self) -> Vec<(DateTime<Utc>, Job)> {
        std::mem::take(&mut *lock(&self.sent))
    }
}

#[async_trait]
impl JobQueue for NightQueue {
    async fn send(&self, jobs: &[Job]) -> Result<(), QueueError> {
        for batch in jobs.chunks(10) {
            self.clock.pass(SQS_LATENCY);
            let at = self.clock.now();
            lock(&self.sent).extend(batch.iter().map(|job| (at, job.clone())));
        }
        Ok(())
    }
}

/// A message waiting in the queue.
struct Pending {
    available: DateTime<Utc>,
    order: u64,
    receives: u32,
    job: Job,
}

/// One connection's night as measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConnectionFigures {
    /// Documents booked for the night (drawn from the model's distribution).
    pub docs: usize,
    /// Virtual seconds of its invocations.
    pub seconds: f64,
    /// Virtual seconds its clients slept (waiting for a quota window).
    pub waited: f64,
    /// Its invocations.
    pub invocations: u32,
    /// Exact calls in the quota (token calls excluded).
    pub exact: u64,
    /// Teamleader API calls (token calls excluded).
    pub teamleader: u64,
    /// Store calls.
    pub store: u64,
    /// Store calls that write.
    pub store_writes: u64,
    /// Vault reads.
    pub vault_reads: u64,
    /// Vault writes.
    pub vault_writes: u64,
    /// Documents its run reports say were exported.
    pub exported: u64,
    /// Its run succeeded.
    pub succeeded: bool,
}

/// Store methods that write (DynamoDB write request units).
fn writes(method: &str) -> bool {
    method.starts_with("put_")
        || matches!(
            method,
            "set_connection_status"
                | "claim_document"
                | "record_created_customer"
                | "acquire_lease"
                | "release_lease"
        )
}

/// The simulators, relays and Koppel's side of one night.
struct Night {
    clock: Arc<NightClock>,
    teamleader: teamleader::SimHandle,
    exact: exact::SimHandle,
    store: Arc<HookedStore<StoreCost>>,
    vault: Arc<TimedVault>,
    queue: Arc<NightQueue>,
    connector: Arc<LiveConnector>,
    relays: Vec<tokio::task::JoinHandle<()>>,
    /// (Teamleader account, Exact division) per connection.
    connections: Vec<(String, i32)>,
    /// Attach the PDFs.
    attach_pdf: bool,
}

impl Night {
    /// Start the simulators (one division per connection) and the relays, and generate one
    /// Teamleader account per entry of `docs`. Runs on the simulators' runtime.
    async fn start(
        clock: Arc<NightClock>,
        docs: &[usize],
        seed: u64,
        attach_pdf: bool,
    ) -> Result<Self, RunError> {
        let shared: Arc<dyn Clock> = clock.clone();
        let divisions: Vec<i32> = (0..docs.len())
            .map(|i| FIRST_DIVISION + i32::try_from(i).unwrap_or(i32::MAX - FIRST_DIVISION))
            .collect();
        let tl = teamleader::spawn(teamleader::SimOptions {
            rate_limit_per_minute: night_model::TEAMLEADER_PER_MINUTE as u32,
            ..teamleader::SimOptions::default().with_clock(shared.clone())
        })
        .await
        .map_err(RunError::Runtime)?;
        let ex = exact::spawn(exact::SimOptions {
            divisions: divisions
                .iter()
                .map(|&code| exact::Division::belgian(code, &format!("Klant {code} BV")))
                .collect(),
            ..exact::SimOptions::default()
                .with_clock(shared.clone())
                .with_rate_limits(Some(exact::RateLimits::default()))
        })
        .await
        .map_err(RunError::Runtime)?;
        let mut connections = Vec::with_capacity(docs.len());
        for (i, (&n, &division)) in docs.iter().zip(&divisions).enumerate() {
            let account = tl
                .generate(&account_spec(seed, i, n))
                .map_err(|e| RunError::Export(format!("account {i}: {e}")))?;
            connections.push((account, division));
        }
        let (tl_relay, tl_task) =
            Relay::spawn(tl.base_url.clone(), TEAMLEADER_LATENCY, clock.clone()).await?;
        let (ex_relay, ex_task) =
            Relay::spawn(ex.base_url.clone(), EXACT_LATENCY, clock.clone()).await?;
        let store = Arc::new(HookedStore::new(
            Arc::new(InMemoryStore::new()),
            StoreCost {
                clock: clock.clone(),
                calls: Mutex::new(BTreeMap::new()),
                total: AtomicU64::new(0),
                writes: AtomicU64::new(0),
            },
        ));
        let vault = Arc::new(TimedVault {
            inner: InMemoryVault::new(),
            clock: clock.clone(),
            reads: AtomicU64::new(0),
            writes: AtomicU64::new(0),
        });
        let app = AppSecret::from_json(
            "night/app",
            &app_secret(&SimulatorUrls {
                exact: Some(ex_relay.clone()),
                ..SimulatorUrls::default()
            }),
        )
        .map_err(|e| RunError::Export(format!("app secret: {e}")))?;
        let connector = Arc::new(LiveConnector::new(
            app,
            koppel_teamleader::oauth::TeamleaderUrls {
                api: tl_relay.clone(),
                auth: tl_relay,
            },
            store.clone(),
            vault.clone(),
            shared,
        ));
        Ok(Self {
            queue: Arc::new(NightQueue {
                clock: clock.clone(),
                sent: Mutex::new(Vec::new()),
            }),
            clock,
            teamleader: tl,
            exact: ex,
            store,
            vault,
            connector,
            relays: vec![tl_task, ex_task],
            connections,
            attach_pdf,
        })
    }

    /// Link connection `index` as `Stack::connect` does: tokens from both simulators, secrets
    /// in the vault, settings suggested from both sides' lists, connection stored and active.
    /// Every division has the same chart, so Exact's lists are read through the first
    /// connection only and `reference` keeps them for the others.
    async fn link(
        &self,
        index: usize,
        reference: &mut Option<koppel_core::LedgerReferenceData>,
    ) -> Result<(), RunError> {
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            RunError::Export(format!("connection {index}: {what}: {e}"))
        };
        let (account_id, division) = self
            .connections
            .get(index)
            .cloned()
            .ok_or_else(|| RunError::Export(format!("no connection {index}")))?;
        let department = self
            .teamleader
            .with_account(&account_id, |a| {
                a.departments
                    .first()
                    .map(|d| DepartmentId::new(d.id.clone()))
            })
            .flatten()
            .ok_or_else(|| RunError::Export(format!("account {account_id} has no department")))?;
        let id = connection_id(index, division);
        let now = self.clock.now();
        let tl = self
            .teamleader
            .issue_tokens(&account_id, Some(teamleader::DEFAULT_CLIENT_ID), None)
            .map_err(|e| fail("Teamleader tokens", &e))?;
        let ex = self
            .exact
            .issue_tokens(exact::DEFAULT_CLIENT_ID, Some(division))
            .map_err(|e| fail("Exact tokens", &e))?;
        let tokens = |access: String, refresh: String, seconds: i64| {
            serde_json::to_value(OAuthTokens {
                access_token: access,
                refresh_token: refresh,
                expires_at: now + chrono::Duration::seconds(seconds),
            })
        };
        let teamleader_secret = format!("night/{id}/teamleader");
        let ledger_secret = format!("night/{id}/ledger");
        let tl_json = tokens(tl.access_token, tl.refresh_token, tl.expires_in)
            .map_err(|e| fail("tokens", &e))?;
        let ex_json = tokens(ex.access_token, ex.refresh_token, ex.expires_in)
            .map_err(|e| fail("tokens", &e))?;
        self.vault
            .write(&teamleader_secret, &tl_json)
            .await
            .map_err(|e| fail("vault", &e))?;
        self.vault
            .write(&ledger_secret, &ex_json)
            .await
            .map_err(|e| fail("vault", &e))?;
        let mut connection = Connection {
            id,
            account_id: AccountId::new(account_id),
            department_id: department.clone(),
            ledger: LedgerKind::ExactOnline,
            ledger_company: division.to_string(),
            status: ConnectionStatus::Active,
            settings: Default::default(),
            teamleader_secret,
            ledger_secret,
            created_at: now,
            status_reason: None,
        };
        let source = self
            .connector
            .source(&connection, Deadline::none())
            .await
            .map_err(|e| fail("Teamleader", &e))?;
        if reference.is_none() {
            let ledger = self
                .connector
                .ledger(&connection, Deadline::none())
                .await
                .map_err(|e| fail("Exact", &e))?;
            *reference = Some(
                ledger
                    .reference_data()
                    .await
                    .map_err(|e| fail("Exact reference data", &e))?,
            );
        }
        let reference = reference
            .as_ref()
            .ok_or_else(|| RunError::Export("no Exact reference data".into()))?;
        let rates = source
            .tax_rates()
            .await
            .map_err(|e| fail("Teamleader tax rates", &e))?;
        connection.settings = suggest_settings(&department, &rates, reference);
        connection.settings.attach_pdf = self.attach_pdf;
        self.store
            .put_connection(&connection)
            .await
            .map_err(|e| fail("store", &e))
    }

    fn export_function(&self) -> ExportFunction {
        ExportFunction {
            store: self.store.clone(),
            queue: self.queue.clone(),
            clock: self.clock.clone(),
            connector: self.connector.clone(),
            factory: Export {
                options: ExportOptions::default(),
            },
        }
    }

    /// The counters a connection's figures are taken from.
    fn counters(&self) -> Counters {
        let hook = self.store.hook();
        Counters {
            exact: exact_api_calls(&self.exact.stats().requests),
            teamleader: self
                .teamleader
                .request_counts()
                .iter()
                .filter(|(endpoint, _)| !endpoint.starts_with("oauth2"))
                .map(|(_, n)| n)
                .sum(),
            store: hook.total.load(Ordering::Relaxed),
            store_writes: hook.writes.load(Ordering::Relaxed),
            vault_reads: self.vault.reads.load(Ordering::Relaxed),
            vault_writes: self.vault.writes.load(Ordering::Relaxed),
        }
    }

    /// Dispatch at 02:00 and drain with `workers` workers; every connection's night, in
    /// connection order (`docs` booked each).
    async fn run_night(
        &self,
        workers: usize,
        docs: &[usize],
        stats: &mut NightMeasurement,
    ) -> Result<Vec<ConnectionFigures>, RunError> {
        let start = NightScenario::night_start();
        self.clock.set(start);
        self.clock.latency(true);
        let dispatched = dispatch(
            self.store.as_ref() as &dyn ConnectionStore,
            self.queue.as_ref(),
            self.clock.as_ref(),
            JobKind::InvoiceExport,
            Some(start),
        )
        .await
        .map_err(|e| RunError::Export(format!("dispatch: {e}")))?;
        if dispatched != self.connections.len() {
            return Err(RunError::Export(format!(
                "{dispatched} export messages for {} connections",
                self.connections.len()
            )));
        }
        let index: HashMap<ConnectionId, usize> = self
            .connections
            .iter()
            .enumerate()
            .map(|(i, (_, division))| (connection_id(i, *division), i))
            .collect();
        let mut figures: Vec<ConnectionFigures> = docs
            .iter()
            .map(|&docs| ConnectionFigures {
                docs,
                ..ConnectionFigures::default()
            })
            .collect();
        let function = self.export_function();
        let mut order = 0u64;
        let mut pending: Vec<Pending> = Vec::new();
        let mut enqueue =
            |pending: &mut Vec<Pending>, available: DateTime<Utc>, receives: u32, job: Job| {
                order += 1;
                pending.push(Pending {
                    available,
                    order,
                    receives,
                    job,
                });
            };
        for (at, job) in self.queue.take() {
            enqueue(&mut pending, at, 0, job);
        }
        let mut free = vec![start; workers.max(1)];
        let mut busy: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
        let mut last_end = start;
        while let Some(next) = pending
            .iter()
            .enumerate()
            .min_by_key(|(_, p)| (p.available, p.order))
            .map(|(i, _)| i)
        {
            let message = pending.swap_remove(next);
            let connection = message.job.connection_id.clone();
            let mine = index
                .get(&connection)
                .and_then(|&i| figures.get_mut(i))
                .ok_or_else(|| RunError::Export(format!("a message for {connection}")))?;
            let (worker, &worker_free) = free
                .iter()
                .enumerate()
                .min_by_key(|(_, at)| **at)
                .ok_or_else(|| RunError::Export("no worker".into()))?;
            let begin = worker_free.max(message.available);
            self.clock.set(begin);
            let before = self.counters();
            let (waited_before, _) = self.clock.totals();
            let deadline = Deadline::after(
                begin,
                BUDGET,
                koppel_runtime::jobs::HANDOVER_MARGIN.min(BUDGET / 4),
            );
            let outcome = function.run(message.job.clone(), deadline).await;
            let end = self.clock.now();
            let spent = self.counters().since(&before);
            free[worker] = end;
            last_end = last_end.max(end);
            busy.push((begin, end));
            stats.invocations += 1;
            if (end - begin).to_std().unwrap_or_default() > BUDGET {
                stats.over_deadline += 1;
            }
            mine.seconds += (end - begin).as_seconds_f64();
            mine.waited += (self.clock.totals().0 - waited_before).as_secs_f64();
            mine.invocations += 1;
            mine.exact += spent.exact;
            mine.teamleader += spent.teamleader;
            mine.store += spent.store;
            mine.store_writes += spent.store_writes;
            mine.vault_reads += spent.vault_reads;
            mine.vault_writes += spent.vault_writes;
            match outcome {
                Ok(JobOutcome::Finished(report)) => {
                    mine.exported += u64::from(report.export_counts().exported);
                    mine.succeeded = report.status == RunStatus::Succeeded;
                }
                Ok(JobOutcome::Continued(report)) => {
                    mine.exported += u64::from(report.export_counts().exported);
                    stats.continued += 1;
                }
                Ok(JobOutcome::Skipped(why)) => {
                    return Err(RunError::Export(format!("{connection} skipped: {why}")));
                }
                Err(e) => {
                    stats.failed_messages += 1;
                    if message.receives + 1 >= MAX_RECEIVES {
                        return Err(RunError::Export(format!(
                            "{connection} failed {MAX_RECEIVES} times: {e}"
                        )));
                    }
                    enqueue(
                        &mut pending,
                        end + VISIBILITY_TIMEOUT,
                        message.receives + 1,
                        message.job.clone(),
                    );
                }
            }
            // A continuation of the same connection waits for this invocation's end (SQS
            // keeps the message group locked while its message is in flight).
            for (at, job) in self.queue.take() {
                let available = if job.connection_id == connection {
                    at.max(end)
                } else {
                    at
                };
                enqueue(&mut pending, available, 0, job);
            }
        }
        stats.drain_seconds = (last_end - start).as_seconds_f64();
        stats.busiest_workers = most_at_once(&busy);
        Ok(figures)
    }
}

/// The counters of the simulators, the store and the vault at one instant.
#[derive(Debug, Clone, Copy, Default)]
struct Counters {
    exact: u64,
    teamleader: u64,
    store: u64,
    store_writes: u64,
    vault_reads: u64,
    vault_writes: u64,
}

impl Counters {
    /// What was counted since `before`.
    fn since(&self, before: &Self) -> Self {
        Self {
            exact: self.exact - before.exact,
            teamleader: self.teamleader - before.teamleader,
            store: self.store - before.store,
            store_writes: self.store_writes - before.store_writes,
            vault_reads: self.vault_reads - before.vault_reads,
            vault_writes: self.vault_writes - before.vault_writes,
        }
    }
}

/// The id of connection `index` (to Exact `division`).
fn connection_id(index: usize, division: i32) -> ConnectionId {
    ConnectionId::new(format!("conn-{index:04}-{division}"))
}

/// One connection's Teamleader account: `docs` booked documents (a tenth credit notes), one
/// customer per 7 documents (a tenth private persons), dated in the month before.
fn account_spec(seed: u64, index: usize, docs: usize) -> teamleader::GenerateSpec {
    let credit_notes = docs / 11;
    let customers = (docs / 7).max(1);
    let contacts = customers / 10;
    teamleader::GenerateSpec {
        seed: seed.wrapping_mul(1_000_003).wrapping_add(index as u64 + 1),
        departments: 1,
        companies: customers - contacts,
        contacts,
        invoices: docs - credit_notes,
        drafts: 0,
        credit_notes,
        paid_percent: 60,
        days: 30,
        ..teamleader::GenerateSpec::default()
    }
}

/// The most intervals overlapping at one instant.
fn most_at_once(intervals: &[(DateTime<Utc>, DateTime<Utc>)]) -> usize {
    let mut edges: Vec<(DateTime<Utc>, i32)> = intervals
        .iter()
        .flat_map(|&(begin, end)| [(begin, 1), (end, -1)])
        .collect();
    // Ends before starts at the same instant: a worker freed and taken again is one.
    edges.sort_by_key(|&(at, change)| (at, change));
    let (mut now, mut most) = (0i32, 0i32);
    for (_, change) in edges {
        now += change;
        most = most.max(now);
    }
    usize::try_from(most).unwrap_or(0)
}

/// Run `scenario` in this process.
pub fn run(scenario: &NightScenario) -> Result<NightMeasurement, RunError> {
    let sims = runtime("sims", Part::Simulators)?;
    let driver = runtime("exporter", Part::Exporter)?;
    let docs = night_model::documents(scenario.seed, scenario.connections);
    let clock = Arc::new(NightClock::new(NightScenario::evening()));

    let setup = Instant::now();
    let night = sims.block_on(Night::start(
        clock.clone(),
        &docs,
        scenario.seed,
        scenario.attach_pdf,
    ))?;
    driver.block_on(async {
        let mut reference = None;
        for index in 0..docs.len() {
            night.link(index, &mut reference).await?;
        }
        Ok::<(), RunError>(())
    })?;
    let setup_real_seconds = setup.elapsed().as_secs_f64();

    let exact_before = night.exact.stats();
    let teamleader_before = night.teamleader.request_counts();
    let store_before = lock(&night.store.hook().calls).clone();
    let counted_before = night.counters();
    let (waited_before, latency_before) = clock.totals();
    let mut stats = NightMeasurement {
        scenario: scenario.clone(),
        connections: Vec::new(),
        exported: 0,
        entries: 0,
        succeeded: 0,
        invocations: 0,
        continued: 0,
        failed_messages: 0,
        over_deadline: 0,
        drain_seconds: 0.0,
        waited_seconds: 0.0,
        latency_seconds: 0.0,
        busiest_workers: 0,
        exact_calls: BTreeMap::new(),
        exact_429: 0,
        teamleader_calls: BTreeMap::new(),
        teamleader_429: 0,
        store_calls: BTreeMap::new(),
        vault_reads: 0,
        vault_writes: 0,
        setup_real_seconds,
        night_real_seconds: 0.0,
    };
    let started = Instant::now();
    let figures = driver.block_on(night.run_night(scenario.workers, &docs, &mut stats))?;
    stats.night_real_seconds = started.elapsed().as_secs_f64();
    clock.latency(false);

    let (waited, latency) = clock.totals();
    stats.waited_seconds = (waited - waited_before).as_secs_f64();
    stats.latency_seconds = (latency - latency_before).as_secs_f64();
    let exact_after = night.exact.stats();
    stats.exact_calls = delta(&exact_after.requests, &exact_before.requests);
    stats.exact_429 = exact_after.rate_limited - exact_before.rate_limited;
    stats.teamleader_calls = delta(&night.teamleader.request_counts(), &teamleader_before);
    stats.teamleader_429 = night
        .teamleader
        .requests()
        .iter()
        .filter(|r| r.at >= NightScenario::night_start() && r.status == 429)
        .count() as u64;
    stats.store_calls = delta(&lock(&night.store.hook().calls), &store_before);
    let counted = night.counters().since(&counted_before);
    stats.vault_reads = counted.vault_reads;
    stats.vault_writes = counted.vault_writes;

    let mut problems = Vec::new();
    for (index, (mine, (_, division))) in figures.iter().zip(&night.connections).enumerate() {
        let entries = night.exact.entries(*division);
        let distinct: std::collections::HashSet<(String, Option<String>)> = entries
            .iter()
            .map(|e| (e.journal.clone(), e.your_ref.clone()))
            .collect();
        stats.entries += entries.len() as u64;
        stats.exported += mine.exported;
        stats.succeeded += usize::from(mine.succeeded);
        if entries.len() != mine.docs
            || distinct.len() != mine.docs
            || mine.exported != mine.docs as u64
            || !mine.succeeded
        {
            problems.push(format!(
                "{}: {} documents, {} entries ({} distinct), {} exported, succeeded {}",
                connection_id(index, *division),
                mine.docs,
                entries.len(),
                distinct.len(),
                mine.exported,
                mine.succeeded
            ));
        }
    }
    stats.connections = figures;
    {
        // The simulators' servers and the relays stop with their runtime.
        let _sims = sims.enter();
        for relay in &night.relays {
            relay.abort();
        }
        drop(night);
    }
    if !problems.is_empty() {
        return Err(RunError::Export(format!(
            "{} connections not exported exactly once, e.g. {}",
            problems.len(),
            problems
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("a test instant")
            .with_timezone(&Utc)
    }

    #[tokio::test]
    async fn long_sleeps_end_on_the_whole_second_latency_only_when_on() {
        let clock = NightClock::new(at("2026-03-10T01:00:00.300Z"));
        clock.pass(Duration::from_millis(150));
        assert_eq!(clock.now(), at("2026-03-10T01:00:00.300Z"));
        clock.latency(true);
        clock.pass(Duration::from_millis(150));
        assert_eq!(clock.now(), at("2026-03-10T01:00:00.450Z"));
        // A rate gate's wait: until the reset (01:01:00) + 1 s + jitter.
        clock
            .sleep(Duration::from_millis(59_550 + 1_000 + 437))
            .await;
        assert_eq!(clock.now(), at("2026-03-10T01:01:01Z"));
        clock.sleep(Duration::from_millis(200)).await;
        assert_eq!(clock.now(), at("2026-03-10T01:01:01.200Z"));
        let (waited, latency) = clock.totals();
        assert_eq!(latency, Duration::from_millis(150));
        assert_eq!(waited, Duration::from_millis(60_550 + 200));
    }

    #[test]
    fn workers_busy_at_once_count_a_handover_as_one() {
        let busy = [
            (at("2026-03-10T01:00:00Z"), at("2026-03-10T01:00:10Z")),
            (at("2026-03-10T01:00:10Z"), at("2026-03-10T01:00:20Z")),
            (at("2026-03-10T01:00:05Z"), at("2026-03-10T01:00:15Z")),
        ];
        assert_eq!(most_at_once(&busy), 2);
    }

    #[test]
    fn accounts_hold_the_night_s_documents() {
        for docs in [0, 1, 12, 97] {
            let spec = account_spec(2026, 3, docs);
            assert_eq!(spec.invoices + spec.credit_notes, docs);
            assert!(spec.companies >= 1);
        }
    }
}
