//! The simulator's state behind one mutex, the shared clock, and the in-flight counter the
//! concurrency limit and [`super::SimControl::wait_in_flight`] use.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::fairuse::Usage;
use super::faults::Faults;
use super::model::Office;
use super::oidc::TokenStore;
use super::options::{DuplicateCheck, FairUse};
use crate::common::SimClock;

/// Counters for tests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimStats {
    /// Calls per endpoint: `authorize`, `token`, `accesstokenvalidation`, `userinfo`,
    /// `processxml`, `finder`, and `processxml:<root>` / `finder:<type>`.
    pub requests: BTreeMap<String, u64>,
    /// Credits spent (all minutes together).
    pub credits_spent: u64,
    /// Calls refused with 429.
    pub rate_limited: u64,
    /// Calls failed by the fail-next fault.
    pub injected_failures: u64,
    /// Calls committed whose answer was dropped.
    pub lost_answers: u64,
    /// Token pairs issued by the token endpoint.
    pub tokens_issued: u64,
    /// Transactions booked.
    pub transactions_booked: u64,
    /// Transactions refused.
    pub transactions_refused: u64,
    /// Customers created over the API.
    pub dimensions_created: u64,
    /// SOAP faults answered (injected failures excluded).
    pub soap_faults: u64,
}

impl SimStats {
    /// Calls counted for this endpoint key.
    pub fn calls(&self, key: &str) -> u64 {
        self.requests.get(key).copied().unwrap_or(0)
    }

    pub(crate) fn count(&mut self, key: &str) {
        *self.requests.entry(key.to_owned()).or_default() += 1;
    }
}

/// The organisation every token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    /// `twf.organisationId`.
    pub id: String,
    /// Name.
    pub name: String,
    /// Cluster number: the cluster URL is `{base_url}/cluster{n}`.
    pub cluster: u32,
    /// Offices by code.
    pub offices: BTreeMap<String, Office>,
    /// Users and the offices they may use.
    pub users: BTreeMap<String, BTreeSet<String>>,
}

/// Everything mutable.
#[derive(Debug)]
pub(crate) struct SimState {
    pub(crate) org: Organisation,
    pub(crate) clients: BTreeMap<String, String>,
    pub(crate) tokens: TokenStore,
    pub(crate) fair_use: FairUse,
    pub(crate) usage: Usage,
    pub(crate) faults: Faults,
    pub(crate) stats: SimStats,
    pub(crate) duplicate_check: DuplicateCheck,
    pub(crate) latency: Duration,
    pub(crate) in_flight: u32,
}

/// State plus the clock, shared by every handler.
pub(crate) struct Shared {
    pub(crate) clock: Arc<SimClock>,
    pub(crate) base_url: String,
    state: Mutex<SimState>,
    /// SOAP requests in flight (for tests that wait for one to be held).
    pub(crate) in_flight: watch::Sender<u32>,
    /// While true, SOAP requests wait after taking their concurrency slot.
    pub(crate) hold: watch::Sender<bool>,
}

impl Shared {
    pub(crate) fn new(clock: Arc<SimClock>, base_url: String, state: SimState) -> Self {
        Self {
            clock,
            base_url,
            state: Mutex::new(state),
            in_flight: watch::Sender::new(0),
            hold: watch::Sender::new(false),
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

    /// `{base_url}/cluster{n}`.
    pub(crate) fn cluster_url(&self, n: u32) -> String {
        format!("{}/cluster{n}", self.base_url)
    }
}

/// A SOAP request's concurrency slot; released on drop.
pub(crate) struct Slot {
    pub(crate) shared: Arc<Shared>,
}

impl Slot {
    /// Take a slot, or `None` when the organisation already has its limit in flight.
    pub(crate) fn take(shared: &Arc<Shared>, state: &mut SimState) -> Option<Slot> {
        if state.in_flight >= state.fair_use.concurrent_requests {
            return None;
        }
        state.in_flight += 1;
        let count = state.in_flight;
        shared.in_flight.send_replace(count);
        Some(Slot {
            shared: Arc::clone(shared),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        let count = state.in_flight;
        drop(state);
        self.shared.in_flight.send_replace(count);
    }
}
