//! The simulator's state behind one mutex: divisions, apps, tokens, quota windows, faults and
//! counters. Handlers lock it, do their (synchronous) work and unlock before answering.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use koppel_core::Clock;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::Division;
use super::oauth::OAuthStore;
use super::options::{CrashMode, RateLimits};
use super::ratelimit::Window;
use crate::common::SimClock;

/// The signed-in Exact user every authorization is granted by.
#[derive(Debug, Clone)]
pub(crate) struct SimUser {
    pub(crate) id: Uuid,
    pub(crate) user_name: String,
    pub(crate) full_name: String,
    pub(crate) email: String,
}

/// "Fail the next N calls" fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailNext {
    /// How many calls still to fail.
    pub count: u32,
    /// Status to answer (default 500).
    #[serde(default = "default_fail_status")]
    pub status: u16,
    /// Only calls whose resource path contains this text (e.g. "SalesEntries").
    #[serde(default)]
    pub path_contains: Option<String>,
}

fn default_fail_status() -> u16 {
    500
}

/// Active faults.
#[derive(Debug, Clone, Default)]
pub(crate) struct Faults {
    pub(crate) fail_next: Option<FailNext>,
    pub(crate) latency: Duration,
    pub(crate) crash_after_commit: Option<(u32, CrashMode)>,
    /// Accounts still to create and then lose the answer to (the connection dropped).
    pub(crate) lose_account_answers: u32,
    /// Token grants still to carry out and then answer with a 502 (the answer lost).
    pub(crate) lose_token_answers: u32,
}

impl Faults {
    /// Consume one injected failure for `resource`, if one is armed.
    pub(crate) fn take_failure(&mut self, resource: &str) -> Option<u16> {
        let fail = self.fail_next.as_mut()?;
        if fail
            .path_contains
            .as_deref()
            .is_some_and(|p| !resource.contains(p))
        {
            return None;
        }
        let status = fail.status;
        fail.count = fail.count.saturating_sub(1);
        if fail.count == 0 {
            self.fail_next = None;
        }
        Some(status)
    }

    /// Consume one "crash after commit", if armed.
    pub(crate) fn take_crash(&mut self) -> Option<CrashMode> {
        let (count, mode) = self.crash_after_commit.as_mut()?;
        let mode = *mode;
        *count = count.saturating_sub(1);
        if *count == 0 {
            self.crash_after_commit = None;
        }
        Some(mode)
    }
}

/// Counters for benchmarks and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimStats {
    /// Calls per "METHOD resource" (keys in parentheses shown as `()`), token calls included.
    pub requests: BTreeMap<String, u64>,
    /// Calls refused with 429.
    pub rate_limited: u64,
    /// Calls refused with 401.
    pub unauthorized: u64,
    /// Calls failed by the fail-next fault.
    pub injected_failures: u64,
    /// Sales entries stored but answered with a crash.
    pub crashes_after_commit: u64,
}

impl SimStats {
    /// Count one call.
    pub(crate) fn count(&mut self, method: &str, resource: &str) {
        let normalized = match (resource.find('('), resource.rfind(')')) {
            (Some(open), Some(close)) if close > open => {
                format!("{}(){}", &resource[..open], &resource[close + 1..])
            }
            _ => resource.to_owned(),
        };
        *self
            .requests
            .entry(format!("{method} {normalized}"))
            .or_default() += 1;
    }

    /// Total calls counted for resources whose key contains `needle`.
    pub fn calls_to(&self, needle: &str) -> u64 {
        self.requests
            .iter()
            .filter(|(k, _)| k.contains(needle))
            .map(|(_, v)| v)
            .sum()
    }

    /// Total calls.
    pub fn total(&self) -> u64 {
        self.requests.values().sum()
    }
}

/// Everything mutable.
#[derive(Debug)]
pub(crate) struct SimState {
    pub(crate) divisions: BTreeMap<i32, Division>,
    pub(crate) current_division: i32,
    pub(crate) clients: HashMap<String, String>,
    pub(crate) user: SimUser,
    pub(crate) oauth: OAuthStore,
    pub(crate) limits: Option<RateLimits>,
    pub(crate) windows: HashMap<(String, i32), Window>,
    pub(crate) faults: Faults,
    /// Armed "answer with this" faults (`answers.rs`).
    pub(crate) answers: super::answers::Answers,
    pub(crate) stats: SimStats,
    pub(crate) next_hid: i64,
}

impl SimState {
    /// The next HID (sequence number for receivables lists).
    pub(crate) fn take_hid(&mut self) -> i64 {
        self.next_hid += 1;
        self.next_hid
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
        self.clock.now()
    }

    /// Lock the state (a panicked holder does not poison the simulator).
    pub(crate) fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
