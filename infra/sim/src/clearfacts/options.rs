//! How a Clearfacts simulator is started (clock, port) and the names of the default scenario.

use std::sync::Arc;

use koppel_core::{Clock, SystemClock};
use serde::{Deserialize, Serialize};

/// The OAuth client registered by default (Koppel's local app).
pub const DEFAULT_CLIENT_ID: &str = "koppel-local";
/// The secret of [`DEFAULT_CLIENT_ID`].
pub const DEFAULT_CLIENT_SECRET: &str = "koppel-local-secret";
/// The seeded user every authorization signs in as unless told otherwise.
pub const DEFAULT_USER: &str = "accountant@example.be";
/// The password of [`DEFAULT_USER`].
pub const DEFAULT_PASSWORD: &str = "clearfacts-demo";
/// The first seeded administration ("Demo BV").
pub const ADMINISTRATION_DEMO: &str = "0899623035";
/// The second seeded administration ("Koppel Services").
pub const ADMINISTRATION_SERVICES: &str = "0456789012";
/// How long an access token lives in rotating mode (seconds on the sim clock).
pub const ACCESS_TOKEN_SECONDS: i64 = 3600;
/// How long a refresh token lives in rotating mode (30 days, seconds on the sim clock).
pub const REFRESH_TOKEN_SECONDS: i64 = 30 * 24 * 3600;
/// How long a "long-lived" access token lives (ten years: it never expires in practice).
pub const LONG_LIVED_TOKEN_SECONDS: i64 = 10 * 365 * 24 * 3600;
/// How long an authorization code lives (seconds).
pub const CODE_SECONDS: i64 = 300;
/// Active OIDC tokens per user and application; issuing one more revokes the least recently used.
pub const MAX_ACTIVE_TOKENS: usize = 10;
/// Customers per `customers` page.
pub const CUSTOMERS_PAGE_SIZE: usize = 100;
/// Length of an inner access token and of a personal access token.
pub const TOKEN_LENGTH: usize = 80;
/// The largest request body `/graphql` takes (an upload).
pub const MAX_REQUEST_BYTES: usize = 32 * 1024 * 1024;

/// How the token endpoint hands out tokens (the refresh-token rotation is UNCONFIRMED in the
/// public docs, so the simulator does both).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenMode {
    /// With `offline_access` a refresh token comes along; access tokens live
    /// [`ACCESS_TOKEN_SECONDS`]; a refresh hands out a new refresh token and revokes the old
    /// pair (default).
    #[default]
    Rotating,
    /// No refresh token; access tokens do not expire.
    LongLived,
}

/// Options for [`super::spawn`].
#[derive(Clone)]
pub struct SimOptions {
    /// Base clock; share a `koppel_core::ScaledClock` with the client to agree on the time.
    pub clock: Arc<dyn Clock>,
    /// Port to bind on 127.0.0.1 (0 = any free port).
    pub port: u16,
    /// How tokens are handed out at start.
    pub token_mode: TokenMode,
}

impl std::fmt::Debug for SimOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimOptions")
            .field("now", &self.clock.now())
            .field("port", &self.port)
            .field("token_mode", &self.token_mode)
            .finish()
    }
}

impl Default for SimOptions {
    /// System clock, any free port, rotating tokens.
    fn default() -> Self {
        Self::on_clock(Arc::new(SystemClock))
    }
}

impl SimOptions {
    /// The default options on `clock`.
    pub fn on_clock(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            port: 0,
            token_mode: TokenMode::default(),
        }
    }

    /// The same options on another base clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The same options with another token mode.
    pub fn with_token_mode(mut self, mode: TokenMode) -> Self {
        self.token_mode = mode;
        self
    }
}
