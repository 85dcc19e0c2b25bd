//! Exact's OAuth 2 server: `GET /api/oauth2/auth` (consent, answered at once with a redirect
//! carrying a single-use code valid 3 minutes) and `POST /api/oauth2/token` (form-encoded
//! `authorization_code` and `refresh_token` grants).
//!
//! Rules reproduced: `expires_in` is the *string* `"600"`; access tokens live 10 minutes;
//! refresh tokens are single-use (a used one answers 401 `unauthorized_client` "Old refresh
//! token used."), live 30 days, and may not be used before the access token is 9.5 minutes
//! old (400 `access_denied` with header `Reason: TooEarlyToRefreshTokens`).
//!
//! Simulator extension: `division=<code>` on the consent URL picks the user's current division
//! for that grant (default: the first seeded division).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::state::{Shared, SimState};

/// Lifetime of an access token.
pub const ACCESS_TOKEN_SECONDS: i64 = 600;
/// Minimum age of the access token before its refresh token may be used.
pub const MIN_REFRESH_AGE_SECONDS: i64 = 570;
/// Lifetime of an authorization code.
pub const CODE_SECONDS: i64 = 180;
/// Lifetime of an unused refresh token.
pub const REFRESH_TOKEN_DAYS: i64 = 30;

/// A token pair as handed out by the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPair {
    /// Bearer token for the REST API.
    pub access_token: String,
    /// Single-use refresh token.
    pub refresh_token: String,
    /// Seconds the access token lives (600).
    pub expires_in: i64,
}

#[derive(Debug, Clone)]
struct AuthCode {
    client_id: String,
    redirect_uri: String,
    division: i32,
    issued: DateTime<Utc>,
    used: bool,
}

/// What a valid access token stands for.
#[derive(Debug, Clone)]
pub(crate) struct AccessGrant {
    /// The app.
    pub(crate) client_id: String,
    /// The user's current division for this grant.
    pub(crate) division: i32,
    expires: DateTime<Utc>,
    revoked: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RefreshState {
    Active,
    Used,
    Revoked,
}

#[derive(Debug, Clone)]
struct RefreshGrant {
    client_id: String,
    division: i32,
    issued: DateTime<Utc>,
    access_issued: DateTime<Utc>,
    state: RefreshState,
}

/// Why a bearer token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    /// No `Authorization: Bearer` header.
    Missing,
    /// Unknown or revoked token.
    Invalid,
    /// Past its 10 minutes.
    Expired,
}

/// A refusal of the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenError {
    status: StatusCode,
    error: &'static str,
    description: String,
    reason: Option<&'static str>,
}

impl TokenError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
            reason: None,
        }
    }

    fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.error, "error_description": self.description});
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(reason) = self.reason {
            response
                .headers_mut()
                .insert("Reason", HeaderValue::from_static(reason));
        }
        response
    }
}

/// Codes, access tokens and refresh tokens ever issued.
#[derive(Debug, Default)]
pub(crate) struct OAuthStore {
    codes: HashMap<String, AuthCode>,
    access: HashMap<String, AccessGrant>,
    refresh: HashMap<String, RefreshGrant>,
}

fn random(len: usize) -> String {
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

impl OAuthStore {
    /// Every access and refresh token ever issued (for tests that look for leaks).
    pub(crate) fn issued(&self) -> Vec<String> {
        self.access
            .keys()
            .chain(self.refresh.keys())
            .cloned()
            .collect()
    }

    /// Issue a fresh pair for `client_id` with `division` as current division.
    pub(crate) fn issue(
        &mut self,
        client_id: &str,
        division: i32,
        now: DateTime<Utc>,
    ) -> TokenPair {
        let access_token = format!("gAAAA{}", random(120));
        // Real refresh tokens carry a '!', which clients must form-encode.
        let refresh_token = format!("Gcp7!IAAA{}", random(80));
        self.access.insert(
            access_token.clone(),
            AccessGrant {
                client_id: client_id.to_owned(),
                division,
                expires: now + Duration::seconds(ACCESS_TOKEN_SECONDS),
                revoked: false,
            },
        );
        self.refresh.insert(
            refresh_token.clone(),
            RefreshGrant {
                client_id: client_id.to_owned(),
                division,
                issued: now,
                access_issued: now,
                state: RefreshState::Active,
            },
        );
        TokenPair {
            access_token,
            refresh_token,
            expires_in: ACCESS_TOKEN_SECONDS,
        }
    }

    /// A single-use authorization code.
    pub(crate) fn authorize(
        &mut self,
        client_id: &str,
        redirect_uri: &str,
        division: i32,
        now: DateTime<Utc>,
    ) -> String {
        // Shaped like Exact's codes, '!' included (clients must URL-decode it).
        let code = format!("stampBE001.{}!IAAA{}", random(8), random(60));
        self.codes.insert(
            code.clone(),
            AuthCode {
                client_id: client_id.to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                division,
                issued: now,
                used: false,
            },
        );
        code
    }

    /// The `authorization_code` grant.
    pub(crate) fn exchange_code(
        &mut self,
        client_id: &str,
        code: &str,
        redirect_uri: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<TokenPair, TokenError> {
        let grant = self
            .codes
            .get_mut(code)
            .ok_or_else(|| TokenError::invalid_grant("The authorization code is invalid."))?;
        if grant.used {
            return Err(TokenError::invalid_grant(
                "The authorization code has already been used.",
            ));
        }
        if grant.client_id != client_id {
            return Err(TokenError::invalid_grant(
                "The authorization code was issued to another client.",
            ));
        }
        if now - grant.issued > Duration::seconds(CODE_SECONDS) {
            return Err(TokenError::invalid_grant(
                "The authorization code has expired.",
            ));
        }
        if redirect_uri.is_some_and(|r| r != grant.redirect_uri) {
            return Err(TokenError::invalid_grant(
                "The redirect_uri does not match the authorization request.",
            ));
        }
        grant.used = true;
        let division = grant.division;
        Ok(self.issue(client_id, division, now))
    }

    /// The `refresh_token` grant.
    pub(crate) fn refresh(
        &mut self,
        client_id: &str,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<TokenPair, TokenError> {
        let grant = self
            .refresh
            .get_mut(token)
            .ok_or_else(|| TokenError::invalid_grant("The refresh token is invalid."))?;
        if grant.client_id != client_id {
            return Err(TokenError::invalid_grant(
                "The refresh token was issued to another client.",
            ));
        }
        match grant.state {
            RefreshState::Used => {
                return Err(TokenError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized_client",
                    "Old refresh token used.",
                ));
            }
            RefreshState::Revoked => {
                return Err(TokenError::invalid_grant(
                    "The refresh token has been revoked.",
                ));
            }
            RefreshState::Active => {}
        }
        let expires = grant.issued + Duration::days(REFRESH_TOKEN_DAYS);
        if now >= expires {
            let fmt = "%-m/%-d/%Y %-I:%M:%S %p";
            return Err(TokenError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                format!(
                    "The refresh token expired at {} and it is now {}",
                    expires.format(fmt),
                    now.format(fmt)
                ),
            ));
        }
        if now - grant.access_issued < Duration::seconds(MIN_REFRESH_AGE_SECONDS) {
            let mut error = TokenError::new(
                StatusCode::BAD_REQUEST,
                "access_denied",
                "Rate limit exceeded: access_token not expired",
            );
            error.reason = Some("TooEarlyToRefreshTokens");
            return Err(error);
        }
        grant.state = RefreshState::Used;
        let division = grant.division;
        Ok(self.issue(client_id, division, now))
    }

    /// Check a bearer token.
    pub(crate) fn check_access(
        &self,
        token: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<AccessGrant, AuthFailure> {
        let token = token.ok_or(AuthFailure::Missing)?;
        let grant = self.access.get(token).ok_or(AuthFailure::Invalid)?;
        if grant.revoked {
            return Err(AuthFailure::Invalid);
        }
        if now >= grant.expires {
            return Err(AuthFailure::Expired);
        }
        Ok(grant.clone())
    }

    /// Revoke every token (the user withdrew the app's access).
    pub(crate) fn revoke_all(&mut self) {
        for grant in self.access.values_mut() {
            grant.revoked = true;
        }
        for grant in self.refresh.values_mut() {
            if grant.state == RefreshState::Active {
                grant.state = RefreshState::Revoked;
            }
        }
    }

    /// Age every token as if 10 minutes had passed: access tokens expire, refresh is allowed.
    pub(crate) fn expire_all(&mut self, now: DateTime<Utc>) {
        for grant in self.access.values_mut() {
            grant.expires = grant.expires.min(now);
        }
        for grant in self.refresh.values_mut() {
            grant.access_issued = grant
                .access_issued
                .min(now - Duration::seconds(ACCESS_TOKEN_SECONDS));
        }
    }
}

/// The bearer token of a request, if any.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// `GET /api/oauth2/auth`.
pub(crate) async fn authorize(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
) -> Response {
    let params: HashMap<String, String> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let now = shared.now();
    let mut state = shared.lock();
    state.stats.count("GET", "oauth2/auth");
    let client_id = params
        .get("client_id")
        .map(String::as_str)
        .unwrap_or_default();
    if !state.clients.contains_key(client_id) {
        return (
            StatusCode::BAD_REQUEST,
            "The client_id is unknown; register the app first.",
        )
            .into_response();
    }
    let Some(redirect_uri) = params.get("redirect_uri") else {
        return (
            StatusCode::BAD_REQUEST,
            "The redirect_uri parameter is missing.",
        )
            .into_response();
    };
    let Ok(mut location) = url::Url::parse(redirect_uri) else {
        return (
            StatusCode::BAD_REQUEST,
            "The redirect_uri is not an absolute URL.",
        )
            .into_response();
    };
    let division = match params.get("division").map(|d| d.parse::<i32>()) {
        None => state.current_division,
        Some(Ok(code)) if state.divisions.contains_key(&code) => code,
        Some(_) => return (StatusCode::BAD_REQUEST, "Unknown division.").into_response(),
    };
    {
        let mut pairs = location.query_pairs_mut();
        if params.get("response_type").map(String::as_str) == Some("code") {
            let code = state
                .oauth
                .authorize(client_id, redirect_uri, division, now);
            pairs.append_pair("code", &code);
        } else {
            pairs.append_pair("error", "unsupported_response_type");
        }
        if let Some(st) = params.get("state") {
            pairs.append_pair("state", st);
        }
    }
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(location.as_str()) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn client_credentials(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Option<(String, String)> {
    if let (Some(id), Some(secret)) = (form.get("client_id"), form.get("client_secret")) {
        return Some((id.clone(), secret.clone()));
    }
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

fn grant(
    state: &mut SimState,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<TokenPair, TokenError> {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    let Some((client_id, secret)) = client_credentials(headers, &form) else {
        return Err(TokenError::new(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "Client credentials are missing.",
        ));
    };
    if state.clients.get(&client_id) != Some(&secret) {
        return Err(TokenError::new(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "Client authentication failed.",
        ));
    }
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    match field("grant_type") {
        Some("authorization_code") => {
            let code = field("code").ok_or_else(|| {
                TokenError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "The code parameter is missing.",
                )
            })?;
            state
                .oauth
                .exchange_code(&client_id, code, field("redirect_uri"), now)
        }
        Some("refresh_token") => {
            let token = field("refresh_token").ok_or_else(|| {
                TokenError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "The refresh_token parameter is missing.",
                )
            })?;
            state.oauth.refresh(&client_id, token, now)
        }
        _ => Err(TokenError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The grant_type is not supported.",
        )),
    }
}

/// `POST /api/oauth2/token`.
pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = shared.now();
    let mut state = shared.lock();
    state.stats.count("POST", "oauth2/token");
    let lose_answer = state.faults.lose_token_answers > 0;
    match grant(&mut state, &headers, &body, now) {
        Ok(_) if lose_answer => {
            // The pair is issued (the old refresh token is spent), the answer never arrives:
            // no client can recover from this; it must ask the user to sign in again.
            state.faults.lose_token_answers -= 1;
            state.stats.crashes_after_commit += 1;
            (StatusCode::BAD_GATEWAY, "upstream connection reset").into_response()
        }
        Ok(pair) => {
            let body = json!({
                "access_token": pair.access_token,
                "token_type": "bearer",
                "expires_in": pair.expires_in.to_string(),
                "refresh_token": pair.refresh_token,
            });
            (StatusCode::OK, axum::Json(body)).into_response()
        }
        Err(error) => {
            tracing::debug!(error = error.error, "exact sim: token request refused");
            error.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-15T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn refresh_tokens_are_single_use_and_not_too_early() {
        let mut store = OAuthStore::default();
        let pair = store.issue("app", 1, t0());
        let early = store
            .refresh("app", &pair.refresh_token, t0() + Duration::seconds(569))
            .unwrap_err();
        assert_eq!(
            (early.status, early.error, early.reason),
            (
                StatusCode::BAD_REQUEST,
                "access_denied",
                Some("TooEarlyToRefreshTokens")
            )
        );
        let later = t0() + Duration::seconds(570);
        let next = store.refresh("app", &pair.refresh_token, later).unwrap();
        let reuse = store
            .refresh("app", &pair.refresh_token, later + Duration::minutes(20))
            .unwrap_err();
        assert_eq!(
            (reuse.status, reuse.description.as_str()),
            (StatusCode::UNAUTHORIZED, "Old refresh token used.")
        );
        assert!(store.check_access(Some(&next.access_token), later).is_ok());
        assert_eq!(
            store
                .check_access(Some(&next.access_token), later + Duration::seconds(600))
                .unwrap_err(),
            AuthFailure::Expired
        );
    }

    #[test]
    fn codes_are_single_use_and_short_lived() {
        let mut store = OAuthStore::default();
        let code = store.authorize("app", "https://x/cb", 1, t0());
        assert!(code.contains('!'));
        assert!(
            store
                .exchange_code("app", &code, Some("https://x/cb"), t0())
                .is_ok()
        );
        assert!(
            store
                .exchange_code("app", &code, Some("https://x/cb"), t0())
                .is_err()
        );
        let late = store.authorize("app", "https://x/cb", 1, t0());
        assert!(
            store
                .exchange_code("app", &late, None, t0() + Duration::seconds(181))
                .is_err()
        );
    }

    #[test]
    fn expired_refresh_tokens_say_when() {
        let mut store = OAuthStore::default();
        let pair = store.issue("app", 1, t0());
        let err = store
            .refresh("app", &pair.refresh_token, t0() + Duration::days(31))
            .unwrap_err();
        assert_eq!(err.error, "invalid_request");
        assert!(
            err.description
                .starts_with("The refresh token expired at 4/14/2026 10:00:00 AM"),
            "{}",
            err.description
        );
    }
}
