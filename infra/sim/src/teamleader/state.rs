//! Everything the simulator remembers besides account data: OAuth apps, codes and tokens, rate
//! windows, injected faults, the request log and download files.

use super::model::Account;
use crate::common::SimClock;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// An integration registered with Teamleader (an OAuth client).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthApp {
    /// Client id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: String,
    /// The only redirect URI accepted, when set (any otherwise).
    #[serde(default)]
    pub redirect_uri: Option<String>,
    /// Scopes granted (departments, users, companies, contacts, invoices, products); None = all.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
}

/// Who "logs in" when the authorize page is opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Login {
    /// Approve as this user of this account (first user when None).
    Approve {
        /// Account id.
        account_id: String,
        /// User id.
        #[serde(default)]
        user_id: Option<String>,
    },
    /// The user refuses: redirect with `error=access_denied`.
    Deny,
}

/// A pending authorization code.
#[derive(Debug, Clone)]
pub(crate) struct AuthCode {
    pub client_id: String,
    pub redirect_uri: Option<String>,
    pub account_id: String,
    pub user_id: String,
    pub expires_at: DateTime<Utc>,
    pub used: bool,
}

/// A grant shared by an access token and its refresh token.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub client_id: String,
    pub account_id: String,
    pub user_id: String,
}

/// An issued access token.
#[derive(Debug, Clone)]
pub(crate) struct AccessToken {
    pub grant: Grant,
    pub expires_at: DateTime<Utc>,
    pub revoked: bool,
}

/// An issued refresh token; `used` once exchanged (single use).
#[derive(Debug, Clone)]
pub(crate) struct RefreshToken {
    pub grant: Grant,
    pub access_token: String,
    pub used: bool,
    pub revoked: bool,
}

/// What an injected fault does to a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with this HTTP status (500, 502, 503, …) and a Teamleader error body.
    Status {
        /// HTTP status.
        status: u16,
    },
    /// Answer 429 with rate-limit headers saying the window resets after `reset_after_seconds`.
    RateLimited {
        /// Seconds (sim clock) until X-RateLimit-Reset.
        #[serde(default = "one")]
        reset_after_seconds: u32,
    },
    /// Delay the answer by this many real milliseconds, then answer normally.
    Latency {
        /// Delay in milliseconds of real time.
        millis: u64,
    },
}

fn one() -> u32 {
    1
}

/// A fault for the next `count` matching requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// What happens.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// How many requests it hits.
    #[serde(default = "one")]
    pub count: u32,
    /// Only requests to this endpoint (`invoices.list`, `oauth2/access_token`); all API and
    /// token requests when None.
    #[serde(default)]
    pub endpoint: Option<String>,
}

/// One logged request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestRecord {
    /// Sim-clock time it arrived.
    pub at: DateTime<Utc>,
    /// `invoices.list`, `oauth2/access_token`, `oauth2/authorize`.
    pub endpoint: String,
    /// Status answered.
    pub status: u16,
    /// Account of the caller, when known.
    pub account_id: Option<String>,
    /// OAuth client of the caller, when known.
    pub client_id: Option<String>,
}

/// A payment registered through the API, for inspection.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PaymentRecord {
    /// Account.
    pub account_id: String,
    /// Invoice id.
    pub invoice_id: String,
    /// Amount.
    pub amount: rust_decimal::Decimal,
    /// Currency.
    pub currency: String,
    /// paid_at as sent.
    pub paid_at: DateTime<Utc>,
    /// Sim-clock time it was registered.
    pub registered_at: DateTime<Utc>,
}

/// A file behind a download `location`.
#[derive(Debug, Clone)]
pub(crate) struct StoredFile {
    pub content_type: &'static str,
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub expires_at: DateTime<Utc>,
}

/// Size limit of the kept request log (counts are kept for all requests).
pub(crate) const REQUEST_LOG_LIMIT: usize = 100_000;

/// All mutable simulator state, behind one lock.
#[derive(Debug, Default)]
pub(crate) struct SimState {
    pub accounts: BTreeMap<String, Account>,
    pub apps: Vec<OAuthApp>,
    pub login: Option<Login>,
    pub codes: HashMap<String, AuthCode>,
    pub access_tokens: HashMap<String, AccessToken>,
    pub refresh_tokens: HashMap<String, RefreshToken>,
    pub rate_limit: u32,
    pub windows: HashMap<(String, String), VecDeque<DateTime<Utc>>>,
    pub faults: Vec<Fault>,
    pub log: VecDeque<RequestRecord>,
    pub counts: BTreeMap<String, u64>,
    pub payments: Vec<PaymentRecord>,
    pub files: HashMap<String, StoredFile>,
}

impl SimState {
    /// The app with this client id.
    pub fn app(&self, client_id: &str) -> Option<&OAuthApp> {
        self.apps.iter().find(|app| app.client_id == client_id)
    }

    /// Record a request.
    pub fn log_request(&mut self, record: RequestRecord) {
        *self.counts.entry(record.endpoint.clone()).or_default() += 1;
        if self.log.len() >= REQUEST_LOG_LIMIT {
            self.log.pop_front();
        }
        self.log.push_back(record);
    }

    /// Take the fault hitting a request to `endpoint`, if one is armed: latency faults first
    /// (all of them add up), then the first status fault.
    pub fn take_faults(&mut self, endpoint: &str) -> (u64, Option<FaultKind>) {
        let mut latency = 0;
        let mut outcome = None;
        for fault in &mut self.faults {
            let matches = fault.count > 0
                && fault
                    .endpoint
                    .as_deref()
                    .is_none_or(|only| only.trim_start_matches('/') == endpoint);
            if !matches {
                continue;
            }
            match fault.kind {
                FaultKind::Latency { millis } => {
                    latency += millis;
                    fault.count -= 1;
                }
                _ if outcome.is_none() => {
                    outcome = Some(fault.kind.clone());
                    fault.count -= 1;
                }
                _ => {}
            }
        }
        self.faults.retain(|fault| fault.count > 0);
        (latency, outcome)
    }
}

/// Options fixed at start.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub access_token_ttl: chrono::Duration,
    pub auth_code_ttl: chrono::Duration,
    pub download_ttl: chrono::Duration,
    pub credit_note_info_as_object: bool,
}

/// The simulator shared by the HTTP handlers and the in-process handle.
#[derive(Debug)]
pub(crate) struct Sim {
    pub clock: Arc<SimClock>,
    pub settings: Settings,
    pub base_url: String,
    /// Webhook deliveries (their queue, worker and log).
    pub webhooks: super::webhooks::Deliveries,
    state: Mutex<SimState>,
}

impl Sim {
    pub fn new(
        clock: Arc<SimClock>,
        settings: Settings,
        base_url: String,
        state: SimState,
    ) -> Self {
        Self {
            clock,
            settings,
            base_url,
            webhooks: super::webhooks::Deliveries::default(),
            state: Mutex::new(state),
        }
    }

    /// Lock the state; a panic in another handler does not poison the simulator.
    pub fn state(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Now, on the simulator's clock.
    pub fn now(&self) -> DateTime<Utc> {
        koppel_core::Clock::now(self.clock.as_ref())
    }
}
