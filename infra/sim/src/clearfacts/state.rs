//! The simulator's state behind one mutex, with the shared clock.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::faults::Faults;
use super::model::{Administration, OAuthClient, Upload, User};
use super::tokens::TokenStore;
use crate::common::SimClock;

/// Counters for tests and the bench.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimStats {
    /// Calls per key: `discovery`, `jwks`, `authorize`, `token:authorization_code`,
    /// `token:refresh_token`, `userinfo`, `graphql` (every POST), and one per top-level
    /// GraphQL field executed (`administrations`, `administration`, `journals`, `customers`,
    /// `uploadFile`, `document` — an aliased field counts once per alias).
    pub requests: BTreeMap<String, u64>,
    /// Requests refused with 401 (bad, expired or revoked token).
    pub unauthorized: u64,
    /// Requests failed by the fail-next fault.
    pub injected_failures: u64,
    /// Uploads or grants carried out whose answer was lost (500 or dropped connection).
    pub lost_answers: u64,
    /// Tokens issued by the token endpoint (codes and refreshes).
    pub tokens_issued: u64,
    /// Tokens revoked because a user + application had [`super::MAX_ACTIVE_TOKENS`] already.
    pub tokens_revoked_by_limit: u64,
    /// Documents stored by `uploadFile`.
    pub uploads_stored: u64,
    /// `uploadFile` calls refused (no file, unsupported file, unknown administration, …).
    pub uploads_refused: u64,
    /// GraphQL errors answered (validation and field errors).
    pub graphql_errors: u64,
}

impl SimStats {
    /// Calls counted for this key.
    pub fn calls(&self, key: &str) -> u64 {
        self.requests.get(key).copied().unwrap_or(0)
    }

    pub(crate) fn count(&mut self, key: &str) {
        *self.requests.entry(key.to_owned()).or_default() += 1;
    }
}

/// Whom the authorize endpoint signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignIn {
    /// Approve as this user (unless `login_hint` names another seeded user).
    As(String),
    /// The user refuses: redirect with `error=access_denied`.
    Deny,
}

/// Everything mutable.
#[derive(Debug)]
pub(crate) struct SimState {
    pub(crate) users: BTreeMap<String, User>,
    pub(crate) administrations: BTreeMap<String, Administration>,
    pub(crate) clients: BTreeMap<String, OAuthClient>,
    pub(crate) tokens: TokenStore,
    pub(crate) sign_in: SignIn,
    /// Uploads in arrival order.
    pub(crate) uploads: Vec<Upload>,
    /// The bytes of each upload by uuid.
    pub(crate) files: BTreeMap<String, Bytes>,
    pub(crate) faults: Faults,
    pub(crate) latency: Duration,
    pub(crate) stats: SimStats,
}

impl SimState {
    /// The upload with this uuid (any case).
    pub(crate) fn upload(&self, uuid: &str) -> Option<&Upload> {
        self.uploads
            .iter()
            .find(|u| u.uuid.eq_ignore_ascii_case(uuid))
    }

    /// The upload with this uuid (any case), to change it.
    pub(crate) fn upload_mut(&mut self, uuid: &str) -> Option<&mut Upload> {
        self.uploads
            .iter_mut()
            .find(|u| u.uuid.eq_ignore_ascii_case(uuid))
    }

    /// The user with this name.
    pub(crate) fn user(&self, username: &str) -> Option<&User> {
        self.users.get(username)
    }
}

/// State plus the clock, shared by every handler.
pub(crate) struct Shared {
    pub(crate) clock: Arc<SimClock>,
    pub(crate) base_url: String,
    state: Mutex<SimState>,
}

impl Shared {
    pub(crate) fn new(clock: Arc<SimClock>, base_url: String, state: SimState) -> Self {
        Self {
            clock,
            base_url,
            state: Mutex::new(state),
        }
    }

    /// The simulator's time.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        koppel_core::Clock::now(self.clock.as_ref())
    }

    /// Lock the state (a panicked holder does not poison the simulator).
    pub(crate) fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The issuer (`iss`) of tokens: the base URL.
    pub(crate) fn issuer(&self) -> &str {
        &self.base_url
    }
}
