//! The OAuth 2 token endpoint: exchanging an authorization code and refreshing tokens.
//!
//! Grants are POSTed form-encoded with the client id and secret in the body. Refusals are
//! classified: a dead refresh token (`invalid_grant`, `unauthorized_client`, an expired token
//! reported as `invalid_request`, `access_denied`) means a person must sign in again
//! ([`ExternalError::NeedsReauth`]). A provider that refuses refreshes before a token reached
//! a minimum age says so in its own way; its [`TooEarlyRule`] recognises that, and the refusal
//! is reported as [`OAuthError::TooEarly`] so the caller keeps using the current access token.

use crate::{RetryPolicy, error_body::plain_text};
use chrono::{DateTime, Utc};
use koppel_core::{Clock, ExternalError, OAuthTokens};
use serde::Deserialize;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use thiserror::Error;

/// Failure of a token grant.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OAuthError {
    /// The provider refuses refreshing an access token this young (see [`TooEarlyRule`]):
    /// the current access token is still good.
    #[error(
        "{system} refuses to refresh this early ({detail}); the current access token stays in use"
    )]
    TooEarly {
        /// System name.
        system: &'static str,
        /// The system's own words.
        detail: String,
    },
    /// Any other failure, already classified (`NeedsReauth`, `Unavailable`, `Malformed`,
    /// `Rejected`).
    #[error(transparent)]
    External(#[from] ExternalError),
}

impl From<OAuthError> for ExternalError {
    /// `TooEarly` becomes `Unavailable` for callers that cannot do better than "try later".
    fn from(error: OAuthError) -> Self {
        match error {
            OAuthError::TooEarly { system, detail } => ExternalError::Unavailable {
                system,
                detail: format!("token refresh refused as too early: {detail}"),
            },
            OAuthError::External(error) => error,
        }
    }
}

/// A refusal of the token endpoint, as a [`TooEarlyRule`] sees it.
#[derive(Debug, Clone, Copy)]
pub struct GrantRefusal<'a> {
    /// HTTP status.
    pub status: u16,
    /// The `Reason` response header, when sent.
    pub reason: Option<&'a str>,
    /// The OAuth `error` code ("" when none).
    pub code: &'a str,
    /// The `error_description` (or the body's text).
    pub detail: &'a str,
}

/// Recognises a provider's "too early to refresh" refusal (the provider's plug-in supplies it).
pub type TooEarlyRule = fn(&GrantRefusal<'_>) -> bool;

/// A client of one token endpoint. Cheap to clone; clones share the grant counter.
#[derive(Clone)]
pub struct OAuthClient {
    inner: Arc<Inner>,
    retry: RetryPolicy,
    too_early: Option<TooEarlyRule>,
}

struct Inner {
    system: &'static str,
    token_url: String,
    client_id: String,
    client_secret: String,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    grants: AtomicU64,
}

impl fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClient")
            .field("system", &self.inner.system)
            .field("token_url", &self.inner.token_url)
            .field("client_id", &self.inner.client_id)
            .finish_non_exhaustive()
    }
}

/// The token endpoint's answer. `expires_in` is a number, or a number in a string ("600") as
/// some providers send it.
#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    refresh_token: String,
    expires_in: serde_json::Value,
}

/// The token endpoint's refusal body.
#[derive(Deserialize, Default)]
struct ErrorResponse {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

/// Token endpoint timeout (real time).
const TOKEN_TIMEOUT: Duration = Duration::from_secs(20);

impl OAuthClient {
    /// A client POSTing grants to `token_url` for the app `client_id`/`client_secret` of
    /// `system` (the provider's name as users know it); backoff sleeps on `clock`.
    pub fn new(
        system: &'static str,
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let http = reqwest::Client::builder()
            .timeout(TOKEN_TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self {
            inner: Arc::new(Inner {
                system,
                token_url: token_url.into(),
                client_id: client_id.into(),
                client_secret: client_secret.into(),
                http,
                clock,
                grants: AtomicU64::new(0),
            }),
            retry: RetryPolicy::default(),
            too_early: None,
        }
    }

    /// The same client recognising the provider's "too early to refresh" refusal with `rule`.
    pub fn with_too_early_rule(mut self, rule: TooEarlyRule) -> Self {
        self.too_early = Some(rule);
        self
    }

    /// The same client with another retry policy for 5xx and timeouts.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// System name.
    pub fn system(&self) -> &'static str {
        self.inner.system
    }

    /// Grant requests sent (attempts included), for tests and benchmarks.
    pub fn grants_sent(&self) -> u64 {
        self.inner.grants.load(Ordering::Relaxed)
    }

    /// Exchange an authorization code (from the redirect) for tokens.
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
    ) -> Result<OAuthTokens, OAuthError> {
        self.grant(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
        ])
        .await
    }

    /// Use a (single-use) refresh token for a new token pair. The old refresh token is dead
    /// once this succeeds: store the new pair before anything else.
    pub async fn refresh(&self, refresh_token: &str) -> Result<OAuthTokens, OAuthError> {
        self.grant(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    async fn grant(&self, fields: &[(&str, &str)]) -> Result<OAuthTokens, OAuthError> {
        let inner = &self.inner;
        let grant_type = fields.first().map(|(_, value)| *value).unwrap_or_default();
        let mut form: Vec<(&str, &str)> = vec![
            ("client_id", inner.client_id.as_str()),
            ("client_secret", inner.client_secret.as_str()),
        ];
        form.extend_from_slice(fields);
        let mut attempt = 0;
        loop {
            attempt += 1;
            inner.grants.fetch_add(1, Ordering::Relaxed);
            let sent = inner.http.post(&inner.token_url).form(&form).send().await;
            let failure = match sent {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let reason = response
                        .headers()
                        .get("reason")
                        .and_then(|value| value.to_str().ok())
                        .map(str::to_owned);
                    match response.bytes().await {
                        Ok(body) => {
                            tracing::debug!(
                                system = inner.system,
                                grant_type,
                                status,
                                attempt,
                                "token grant answered"
                            );
                            match self.classify(status, reason.as_deref(), &body) {
                                Outcome::Done(result) => return result,
                                Outcome::Transient(detail) => detail,
                            }
                        }
                        Err(error) => format!("reading the token answer failed: {error}"),
                    }
                }
                Err(error) => format!("token endpoint not reachable: {}", error.without_url()),
            };
            if !self.retry.should_retry(attempt) {
                return Err(ExternalError::Unavailable {
                    system: inner.system,
                    detail: failure,
                }
                .into());
            }
            tracing::warn!(system = inner.system, grant_type, attempt, detail = %failure, "token grant failed, retrying");
            inner.clock.sleep(self.retry.delay(attempt)).await;
        }
    }

    fn classify(&self, status: u16, reason: Option<&str>, body: &[u8]) -> Outcome {
        let system = self.inner.system;
        if (200..300).contains(&status) {
            return Outcome::Done(self.parse_tokens(body).map_err(OAuthError::from));
        }
        if status == 429 || status >= 500 {
            return Outcome::Transient(format!(
                "token endpoint answered HTTP {status}{}",
                plain_text(body)
                    .map(|text| format!(": {text}"))
                    .unwrap_or_default()
            ));
        }
        let refusal: ErrorResponse = serde_json::from_slice(body).unwrap_or_default();
        let code = refusal.error.clone().unwrap_or_default();
        // The provider's words, read as plain text (a description may carry markup).
        let words = |text: &Option<String>| text.as_deref().and_then(|t| plain_text(t.as_bytes()));
        let detail = words(&refusal.error_description)
            .or_else(|| words(&refusal.error))
            .or_else(|| plain_text(body))
            .unwrap_or_else(|| format!("HTTP {status}"));
        let refusal = GrantRefusal {
            status,
            reason,
            code: &code,
            detail: &detail,
        };
        if self.too_early.is_some_and(|rule| rule(&refusal)) {
            return Outcome::Done(Err(OAuthError::TooEarly { system, detail }));
        }
        let error = match (status, code.as_str()) {
            (
                400 | 401,
                "invalid_grant" | "unauthorized_client" | "invalid_request" | "access_denied",
            ) => ExternalError::NeedsReauth { system, detail },
            // An unreadable 400/401 from the token endpoint is still a refusal of the grant.
            (400 | 401, "") => ExternalError::NeedsReauth { system, detail },
            _ => ExternalError::Rejected {
                system,
                status,
                message: detail,
            },
        };
        Outcome::Done(Err(error.into()))
    }

    fn parse_tokens(&self, body: &[u8]) -> Result<OAuthTokens, ExternalError> {
        let malformed = |detail: String| ExternalError::Malformed {
            system: self.inner.system,
            endpoint: "token endpoint".into(),
            detail: crate::error_body::without_markup(&detail),
        };
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        let parsed: TokenResponse = serde_path_to_error::deserialize(&mut deserializer)
            .map_err(|error| malformed(format!("{}: {}", error.path(), error.inner())))?;
        let seconds = expires_in_seconds(&parsed.expires_in).ok_or_else(|| {
            malformed(format!(
                "expires_in: not a number of seconds: {}",
                parsed.expires_in
            ))
        })?;
        let now: DateTime<Utc> = self.inner.clock.now();
        // A lifetime past the calendar's end is no lifetime a provider means.
        let expires_at = chrono::Duration::try_seconds(seconds)
            .and_then(|lifetime| now.checked_add_signed(lifetime))
            .ok_or_else(|| malformed(format!("expires_in: {seconds} seconds is out of range")))?;
        Ok(OAuthTokens {
            access_token: parsed.access_token,
            refresh_token: parsed.refresh_token,
            expires_at,
        })
    }
}

enum Outcome {
    Done(Result<OAuthTokens, OAuthError>),
    Transient(String),
}

/// `expires_in` as seconds, from a JSON number or a numeric string ("600").
fn expires_in_seconds(value: &serde_json::Value) -> Option<i64> {
    let seconds = match value {
        serde_json::Value::Number(number) => number
            .as_i64()
            .or_else(|| number.as_f64().map(|f| f as i64)),
        serde_json::Value::String(text) => text.trim().parse::<i64>().ok(),
        _ => None,
    }?;
    (seconds > 0).then_some(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expires_in_accepts_numbers_and_strings() {
        assert_eq!(expires_in_seconds(&json!(3600)), Some(3600));
        assert_eq!(expires_in_seconds(&json!("600")), Some(600));
        assert_eq!(expires_in_seconds(&json!("soon")), None);
        assert_eq!(expires_in_seconds(&json!(null)), None);
        assert_eq!(expires_in_seconds(&json!(-5)), None);
    }
}
