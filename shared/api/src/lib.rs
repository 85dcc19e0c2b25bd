//! Koppel's HTTP plumbing, shared by every outside-API client (Teamleader, the ledgers).
//! Generic only: each API's own policies (its rate headers, its error bodies, its token
//! timings, its OAuth quirks) live with its client and are handed in here.
//!
//! One place for what every integration must get right:
//! - [`OAuthClient`]: the token endpoint (code exchange, refresh) and the classification of
//!   its refusals (a dead refresh token means a person must sign in again);
//! - [`TokenSource`]: a valid access token for one connection, refreshed under a store
//!   lease because refresh tokens are single-use;
//! - [`RateGate`] with a per-API [`RateLimitPolicy`]: obeys the API's own rate headers;
//! - [`RetryPolicy`]: bounded exponential backoff with full jitter for transient failures;
//! - [`RequestAuth`]: how a request proves who sends it (a bearer token from a
//!   [`TokenSource`], or an API's own scheme);
//! - [`ApiClient`]: sends a request through all of the above and maps failures to
//!   [`koppel_core::ExternalError`] with the help of a per-API [`ErrorBodyParser`].
//!
//! Nothing here logs a token or a secret.

#![warn(missing_docs)]

pub mod auth;
pub mod client;
pub mod error_body;
pub mod oauth;
pub mod rate;
pub mod response;
pub mod retry;
pub mod tokens;

pub use auth::RequestAuth;
pub use client::{ApiClient, ApiClientBuilder};
pub use error_body::{ErrorBodyParser, PlainErrors, plain_text};
pub use oauth::{GrantRefusal, OAuthClient, OAuthError, TooEarlyRule};
pub use rate::{
    NoRateHeaders, RateGate, RateGateConfig, RateLimitPolicy, RateStats, RetryAfter,
    WindowObservation,
};
pub use response::ApiResponse;
pub use retry::RetryPolicy;
pub use tokens::{
    TokenSource, TokenSourceConfig, TokenStores, TokenTimings, load_tokens, save_tokens,
};

/// Re-exported so clients name header types without depending on `http` themselves.
pub use reqwest::header::HeaderMap;
