//! How a Twinfield simulator is started: clock, port, fair-use limits, duplicate check.

use std::sync::Arc;

use koppel_core::{Clock, SystemClock};
use serde::{Deserialize, Serialize};

/// The OIDC client registered by default.
pub const DEFAULT_CLIENT_ID: &str = "koppel-twinfield";
/// The secret of [`DEFAULT_CLIENT_ID`].
pub const DEFAULT_CLIENT_SECRET: &str = "twinfield-secret";
/// The user every authorization is approved for.
pub const DEFAULT_USER: &str = "KOPPEL";
/// The seeded organisation's name.
pub const DEFAULT_ORGANISATION: &str = "Koppel Demo";
/// The Dutch demo office.
pub const OFFICE_NL: &str = "NLA002058";
/// The Belgian demo office.
pub const OFFICE_BE: &str = "BE0001";
/// How long an access token lives (seconds on the sim clock).
pub const ACCESS_TOKEN_SECONDS: i64 = 3600;
/// How long an authorization code lives (seconds).
pub const CODE_SECONDS: i64 = 300;
/// Default fair-use credits per organisation per minute.
pub const DEFAULT_CREDITS_PER_MINUTE: u32 = 1000;
/// Default concurrent SOAP requests per organisation.
pub const DEFAULT_CONCURRENT_REQUESTS: u32 = 1;

/// What a duplicate `invoicenumber` (same transaction type and customer) gets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateCheck {
    /// Refused: "Factuurnummer X komt reeds voor." as an error (default).
    #[default]
    Error,
    /// Booked, with that text as a warning.
    Warning,
    /// Not checked.
    Off,
}

/// The fair-use limits, each per organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FairUse {
    /// Credits per clock minute (a query costs 1, anything else 3).
    pub credits_per_minute: u32,
    /// SOAP requests in flight at once.
    pub concurrent_requests: u32,
}

impl Default for FairUse {
    /// [`DEFAULT_CREDITS_PER_MINUTE`] and [`DEFAULT_CONCURRENT_REQUESTS`].
    fn default() -> Self {
        Self {
            credits_per_minute: DEFAULT_CREDITS_PER_MINUTE,
            concurrent_requests: DEFAULT_CONCURRENT_REQUESTS,
        }
    }
}

/// Options for [`super::spawn`].
#[derive(Clone)]
pub struct SimOptions {
    /// Base clock; share a `koppel_core::ScaledClock` with the client to agree on the time.
    pub clock: Arc<dyn Clock>,
    /// Port to bind on 127.0.0.1 (0 = any free port).
    pub port: u16,
    /// Fair-use limits.
    pub fair_use: FairUse,
    /// What a duplicate invoice number gets.
    pub duplicate_invoice_check: DuplicateCheck,
}

impl std::fmt::Debug for SimOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimOptions")
            .field("now", &self.clock.now())
            .field("port", &self.port)
            .field("fair_use", &self.fair_use)
            .field("duplicate_invoice_check", &self.duplicate_invoice_check)
            .finish()
    }
}

impl Default for SimOptions {
    /// System clock, any free port, the default limits.
    fn default() -> Self {
        Self::on_clock(Arc::new(SystemClock))
    }
}

impl SimOptions {
    /// The default options on `clock` (periods are seeded around that clock's year).
    pub fn on_clock(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            port: 0,
            fair_use: FairUse::default(),
            duplicate_invoice_check: DuplicateCheck::default(),
        }
    }

    /// The same options on another base clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The same options with other fair-use limits.
    pub fn with_fair_use(mut self, fair_use: FairUse) -> Self {
        self.fair_use = fair_use;
        self
    }
}
