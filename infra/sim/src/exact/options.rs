//! How a simulator is started: clock, quotas, seeded divisions, registered apps.

use std::sync::Arc;

use koppel_core::{Clock, SystemClock};
use serde::{Deserialize, Serialize};

use super::model::Division;

/// Client id of the app registered by default.
pub const DEFAULT_CLIENT_ID: &str = "koppel-exact-client";
/// Client secret of the app registered by default.
pub const DEFAULT_CLIENT_SECRET: &str = "koppel-exact-secret";
/// Division code of the default Belgian division (the user's current division).
pub const DEFAULT_BE_DIVISION: i32 = 100_001;
/// Division code of the default Dutch division.
pub const DEFAULT_NL_DIVISION: i32 = 200_001;

/// Exact's per (app, division) quotas: calls per clock-aligned minute and per UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimits {
    /// Calls per wall-clock minute (Exact: 60).
    pub per_minute: u32,
    /// Calls per day, reset at 00:00 UTC (Exact: 5,000 for new apps).
    pub per_day: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            per_minute: 60,
            per_day: 5_000,
        }
    }
}

/// An app registered with the simulator (Exact App Center registration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientApp {
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: String,
}

impl Default for ClientApp {
    fn default() -> Self {
        Self {
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            client_secret: DEFAULT_CLIENT_SECRET.to_owned(),
        }
    }
}

/// How the "crash after commit" fault loses the answer to a stored sales entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CrashMode {
    /// Close the connection without any response (the client sees a transport error).
    #[default]
    DropConnection,
    /// Answer 500 with a plain-text body (looks like a passing outage; clients retry).
    InternalError,
}

/// Options for [`super::spawn`].
#[derive(Clone)]
pub struct SimOptions {
    /// Base clock; share a `koppel_core::ScaledClock` with the client to run quota windows fast.
    pub clock: Arc<dyn Clock>,
    /// Quotas; `None` switches rate limiting (and its headers) off.
    pub rate_limits: Option<RateLimits>,
    /// Divisions to start with; the first is the user's current division.
    pub divisions: Vec<Division>,
    /// Registered apps.
    pub clients: Vec<ClientApp>,
    /// Port to bind on 127.0.0.1 (0 = any free port).
    pub port: u16,
}

impl std::fmt::Debug for SimOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimOptions")
            .field("now", &self.clock.now())
            .field("rate_limits", &self.rate_limits)
            .field(
                "divisions",
                &self.divisions.iter().map(|d| d.code).collect::<Vec<_>>(),
            )
            .field(
                "clients",
                &self
                    .clients
                    .iter()
                    .map(|c| &c.client_id)
                    .collect::<Vec<_>>(),
            )
            .field("port", &self.port)
            .finish()
    }
}

impl Default for SimOptions {
    /// System clock, Exact's real quotas (60/min, 5,000/day), a Belgian division
    /// ([`DEFAULT_BE_DIVISION`], current) and a Dutch one ([`DEFAULT_NL_DIVISION`]), one app
    /// ([`DEFAULT_CLIENT_ID`] / [`DEFAULT_CLIENT_SECRET`]), any free port.
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            rate_limits: Some(RateLimits::default()),
            divisions: vec![
                Division::belgian(DEFAULT_BE_DIVISION, "Koppel Demo BV (BE)"),
                Division::dutch(DEFAULT_NL_DIVISION, "Koppel Demo BV (NL)"),
            ],
            clients: vec![ClientApp::default()],
            port: 0,
        }
    }
}

impl SimOptions {
    /// The same options on another base clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The same options with other quotas (`None` = off).
    pub fn with_rate_limits(mut self, limits: Option<RateLimits>) -> Self {
        self.rate_limits = limits;
        self
    }
}
