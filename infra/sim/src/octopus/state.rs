//! The simulator's state behind one mutex, the shared clock, and the gate every API call
//! passes: statistics, injected outages, tokens, the daily budget.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use koppel_core::Clock;
use rand::distr::{Alphanumeric, SampleString};
use serde::{Deserialize, Serialize};

use super::budget::{Budgets, Counters, Group, seconds_until_brussels_midnight};
use super::error::{self, ApiError};
use super::faults::Faults;
use super::model::Dossier;
use super::options::TOKEN_SECONDS;
use crate::common::SimClock;

/// Counters for tests and benchmarks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimStats {
    /// Calls per endpoint group.
    pub by_group: BTreeMap<Group, u64>,
    /// Calls per "METHOD path-template", e.g. `POST /dossiers/{dossierId}/buysellbookings`.
    pub requests: BTreeMap<String, u64>,
    /// User tokens issued (`POST /authentication` successes).
    pub authentications: u64,
    /// Dossier tokens issued (`POST /dossiers` successes).
    pub dossier_tokens: u64,
    /// Bookings stored (lost answers included).
    pub bookings_posted: u64,
    /// Relations created.
    pub relations_created: u64,
    /// Relations updated.
    pub relations_updated: u64,
    /// Calls answered with an error body (any status ≥ 400, injected failures excluded).
    pub refusals: u64,
    /// Refusals by Octopus error code.
    pub refusals_by_code: BTreeMap<i32, u64>,
    /// Calls refused with 429 (also in `refusals`).
    pub rate_limited: u64,
    /// Calls failed by the fail-next fault.
    pub injected_failures: u64,
    /// Calls committed whose answer was dropped.
    pub lost_answers: u64,
}

impl SimStats {
    /// Calls counted for request keys containing `needle` (e.g. "buysellbookings/modified").
    pub fn calls_to(&self, needle: &str) -> u64 {
        self.requests
            .iter()
            .filter(|(k, _)| k.contains(needle))
            .map(|(_, v)| v)
            .sum()
    }

    /// Calls counted in a group.
    pub fn group(&self, group: Group) -> u64 {
        self.by_group.get(&group).copied().unwrap_or(0)
    }

    /// Every call counted.
    pub fn total(&self) -> u64 {
        self.by_group.values().sum()
    }
}

/// A registered user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserEntry {
    pub(crate) password: String,
    pub(crate) dossiers: BTreeSet<i64>,
}

/// An issued token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Issued {
    pub(crate) user: String,
    /// The dossier of a dossier token (`None` for a user token).
    pub(crate) dossier: Option<i64>,
    pub(crate) expires: DateTime<Utc>,
}

/// Everything mutable.
#[derive(Debug, Default)]
pub(crate) struct SimState {
    pub(crate) dossiers: BTreeMap<i64, Dossier>,
    pub(crate) users: BTreeMap<String, UserEntry>,
    pub(crate) software_houses: BTreeSet<String>,
    pub(crate) user_tokens: HashMap<String, Issued>,
    pub(crate) dossier_tokens: HashMap<String, Issued>,
    pub(crate) budgets: Budgets,
    pub(crate) counters: Counters,
    pub(crate) faults: Faults,
    pub(crate) stats: SimStats,
}

impl SimState {
    /// Add (or replace) a dossier and give its users access.
    pub(crate) fn add_dossier(&mut self, dossier: Dossier) {
        for credentials in &dossier.users {
            let entry = self
                .users
                .entry(credentials.user.clone())
                .or_insert_with(|| UserEntry {
                    password: credentials.password.clone(),
                    dossiers: BTreeSet::new(),
                });
            entry.dossiers.insert(dossier.id);
        }
        self.dossiers.insert(dossier.id, dossier);
    }

    /// Issue a token valid [`TOKEN_SECONDS`].
    pub(crate) fn issue(&mut self, user: &str, dossier: Option<i64>, now: DateTime<Utc>) -> String {
        let token = Alphanumeric.sample_string(&mut rand::rng(), 40);
        let issued = Issued {
            user: user.to_owned(),
            dossier,
            expires: now + Duration::seconds(TOKEN_SECONDS),
        };
        if dossier.is_some() {
            self.stats.dossier_tokens += 1;
            self.dossier_tokens.insert(token.clone(), issued);
        } else {
            self.stats.authentications += 1;
            self.user_tokens.insert(token.clone(), issued);
        }
        token
    }

    /// Consume one call of the daily budget, or the 429 refusal.
    pub(crate) fn spend(
        &mut self,
        dossier: i64,
        group: Group,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        self.counters
            .take(&self.budgets, dossier, group, now)
            .map_err(|limit| {
                self.stats.rate_limited += 1;
                ApiError::Answer {
                    status: StatusCode::TOO_MANY_REQUESTS,
                    body: error::ErrorBody {
                        error_code: error::BUDGET,
                        error_message: format!(
                            "Daily call limit reached for dossier {dossier} ({group}: {limit} calls a day)"
                        ),
                        technical_info: String::new(),
                    },
                    retry_after: Some(seconds_until_brussels_midnight(now)),
                }
            })
    }
}

/// What a call is, for statistics, faults and budgets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call {
    /// Endpoint group.
    pub(crate) group: Group,
    /// "METHOD /path-template" (relative to `/octopus-rest-api/v1`).
    pub(crate) name: &'static str,
}

impl Call {
    /// A call of `group` named `name`.
    pub(crate) const fn new(group: Group, name: &'static str) -> Self {
        Self { group, name }
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

    /// The simulator's time, truncated to milliseconds (Octopus' timestamp precision).
    pub(crate) fn now(&self) -> DateTime<Utc> {
        let now = self.clock.now();
        DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
    }

    /// Lock the state (a panicked holder does not poison the simulator).
    pub(crate) fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Count a call and apply an armed outage; the locked state when the call may go on.
    pub(crate) fn enter(
        &self,
        call: Call,
        path: &str,
    ) -> Result<MutexGuard<'_, SimState>, ApiError> {
        let mut state = self.lock();
        *state.stats.by_group.entry(call.group).or_default() += 1;
        *state
            .stats
            .requests
            .entry(call.name.to_owned())
            .or_default() += 1;
        if let Some((status, html)) = state.faults.take_failure(call.group, path) {
            state.stats.injected_failures += 1;
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return Err(if html {
                ApiError::Html(status)
            } else {
                ApiError::new(status, error::SERVER_ERROR, "Internal server error")
            });
        }
        Ok(state)
    }

    /// [`Shared::enter`] for a call under `/dossiers/{dossierId}`: also checks the
    /// `dossierToken` header and spends the dossier's budget. Returns the state and the dossier id.
    pub(crate) fn enter_dossier(
        &self,
        call: Call,
        dossier: &str,
        headers: &HeaderMap,
    ) -> Result<(MutexGuard<'_, SimState>, i64), ApiError> {
        let path = format!(
            "/dossiers/{dossier}{}",
            call.name.split_once('}').map_or("", |(_, rest)| rest)
        );
        let mut state = self.enter(call, &path)?;
        let now = self.now();
        let token = header_text(headers, "dossiertoken").ok_or_else(ApiError::empty_token)?;
        let issued = state
            .dossier_tokens
            .get(token)
            .filter(|t| t.expires > now)
            .ok_or_else(ApiError::invalid_token)?;
        let id = dossier
            .parse::<i64>()
            .map_err(|_| ApiError::invalid_token())?;
        if issued.dossier != Some(id) || !state.dossiers.contains_key(&id) {
            return Err(ApiError::invalid_token());
        }
        state.spend(id, call.group, now)?;
        Ok((state, id))
    }

    /// Turn a handler's result into the answer, counting refusals.
    pub(crate) fn respond(&self, result: Result<Response, ApiError>) -> Response {
        match result {
            Ok(response) => response,
            Err(refusal) => {
                let mut state = self.lock();
                match &refusal {
                    ApiError::LostAnswer => state.stats.lost_answers += 1,
                    ApiError::Html(_) => {}
                    ApiError::Answer { body, .. } if body.error_code == error::SERVER_ERROR => {}
                    _ => {
                        state.stats.refusals += 1;
                        *state
                            .stats
                            .refusals_by_code
                            .entry(refusal.code())
                            .or_default() += 1;
                    }
                }
                drop(state);
                tracing::debug!(
                    status = refusal.status(),
                    code = refusal.code(),
                    "octopus sim refusal"
                );
                refusal.into_response()
            }
        }
    }
}

/// A non-empty header value as text.
pub(crate) fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}
