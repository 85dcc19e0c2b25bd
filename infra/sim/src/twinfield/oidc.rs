//! Twinfield's OpenID Connect server on the login host:
//! `GET /auth/authentication/connect/authorize` (auto-approved for [`DEFAULT_USER`]; `nonce`
//! required), `POST …/connect/token` (`authorization_code` and `refresh_token` grants, single-use
//! refresh tokens, only with scope `offline_access`), `GET …/connect/accesstokenvalidation`
//! (claims with `twf.clusterUrl`, 400 for an unknown or expired token) and `GET …/userinfo`.
//!
//! [`DEFAULT_USER`]: super::options::DEFAULT_USER

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

use super::faults;
use super::options::{ACCESS_TOKEN_SECONDS, CODE_SECONDS, DEFAULT_USER};
use super::soap::{dropped_connection, outage};
use super::state::{Shared, SimState};

/// A token pair as handed out by the token endpoint (always with a refresh token here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPair {
    /// Access token for the SOAP header.
    pub access_token: String,
    /// Single-use refresh token.
    pub refresh_token: String,
    /// Seconds the access token lives (3600).
    pub expires_in: i64,
}

#[derive(Debug, Clone)]
struct AuthCode {
    client_id: String,
    redirect_uri: String,
    scope: String,
    issued: DateTime<Utc>,
    used: bool,
}

/// What a valid access token stands for.
#[derive(Debug, Clone)]
pub(crate) struct AccessGrant {
    pub(crate) client_id: String,
    pub(crate) user: String,
    pub(crate) scope: String,
    pub(crate) issued: DateTime<Utc>,
    pub(crate) expires: DateTime<Utc>,
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
    user: String,
    scope: String,
    state: RefreshState,
}

/// Codes, access tokens and refresh tokens ever issued.
#[derive(Debug, Default)]
pub(crate) struct TokenStore {
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

/// A refusal of the token endpoint: `{"error": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenError {
    status: StatusCode,
    error: &'static str,
}

impl TokenError {
    fn grant() -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_grant",
        }
    }

    fn request() -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_request",
        }
    }
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(json!({"error": self.error}))).into_response()
    }
}

/// What the token endpoint hands out.
struct Issued {
    access_token: String,
    refresh_token: Option<String>,
}

impl TokenStore {
    fn issue(&mut self, client_id: &str, user: &str, scope: &str, now: DateTime<Utc>) -> Issued {
        let access_token = format!("eyJ{}", random(200));
        self.access.insert(
            access_token.clone(),
            AccessGrant {
                client_id: client_id.to_owned(),
                user: user.to_owned(),
                scope: scope.to_owned(),
                issued: now,
                expires: now + Duration::seconds(ACCESS_TOKEN_SECONDS),
                revoked: false,
            },
        );
        let offline = scope.split_whitespace().any(|s| s == "offline_access");
        let refresh_token = offline.then(|| {
            let token = random(64);
            self.refresh.insert(
                token.clone(),
                RefreshGrant {
                    client_id: client_id.to_owned(),
                    user: user.to_owned(),
                    scope: scope.to_owned(),
                    state: RefreshState::Active,
                },
            );
            token
        });
        Issued {
            access_token,
            refresh_token,
        }
    }

    /// A pair for tests (scope with `offline_access`).
    pub(crate) fn issue_pair(&mut self, client_id: &str, now: DateTime<Utc>) -> TokenPair {
        let issued = self.issue(
            client_id,
            DEFAULT_USER,
            "openid twf.user twf.organisation twf.organisationUser offline_access",
            now,
        );
        TokenPair {
            access_token: issued.access_token,
            refresh_token: issued.refresh_token.unwrap_or_default(),
            expires_in: ACCESS_TOKEN_SECONDS,
        }
    }

    fn authorize(
        &mut self,
        client_id: &str,
        redirect_uri: &str,
        scope: &str,
        now: DateTime<Utc>,
    ) -> String {
        let code = random(64);
        self.codes.insert(
            code.clone(),
            AuthCode {
                client_id: client_id.to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                scope: scope.to_owned(),
                issued: now,
                used: false,
            },
        );
        code
    }

    fn exchange_code(
        &mut self,
        client_id: &str,
        code: &str,
        redirect_uri: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Issued, TokenError> {
        let grant = self.codes.get_mut(code).ok_or_else(TokenError::grant)?;
        if grant.used
            || grant.client_id != client_id
            || now - grant.issued > Duration::seconds(CODE_SECONDS)
            || redirect_uri.is_some_and(|r| r != grant.redirect_uri)
        {
            return Err(TokenError::grant());
        }
        grant.used = true;
        let scope = grant.scope.clone();
        Ok(self.issue(client_id, DEFAULT_USER, &scope, now))
    }

    fn refresh(
        &mut self,
        client_id: &str,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Issued, TokenError> {
        let grant = self.refresh.get_mut(token).ok_or_else(TokenError::grant)?;
        if grant.client_id != client_id || grant.state != RefreshState::Active {
            return Err(TokenError::grant());
        }
        grant.state = RefreshState::Used;
        let (user, scope) = (grant.user.clone(), grant.scope.clone());
        Ok(self.issue(client_id, &user, &scope, now))
    }

    /// The grant of a live access token.
    pub(crate) fn check(&self, token: &str, now: DateTime<Utc>) -> Option<&AccessGrant> {
        self.access
            .get(token)
            .filter(|g| !g.revoked && now < g.expires)
    }

    /// Revoke every access and refresh token.
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

    /// Let every access token expire now (refresh tokens stay usable).
    pub(crate) fn expire_all(&mut self, now: DateTime<Utc>) {
        for grant in self.access.values_mut() {
            grant.expires = grant.expires.min(now);
        }
    }
}

fn params(query: Option<String>) -> HashMap<String, String> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (status, text).into_response()
}

/// Apply an armed outage to a non-SOAP endpoint.
fn injected(state: &mut SimState, endpoint: &str) -> Option<Response> {
    let (status, html) = state.faults.take_failure(endpoint, endpoint, false)?;
    state.stats.injected_failures += 1;
    Some(outage(status, html, false))
}

/// `GET /auth/authentication/connect/authorize`.
pub(crate) async fn authorize(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = params(query);
    let now = shared.now();
    let mut state = shared.lock();
    state.stats.count("authorize");
    let get = |name: &str| params.get(name).map(String::as_str).unwrap_or_default();
    if !state.clients.contains_key(get("client_id")) {
        return plain(StatusCode::BAD_REQUEST, "invalid_client: unknown client_id");
    }
    if get("nonce").is_empty() {
        return plain(
            StatusCode::BAD_REQUEST,
            "invalid_request: nonce is required",
        );
    }
    let Ok(mut location) = url::Url::parse(get("redirect_uri")) else {
        return plain(
            StatusCode::BAD_REQUEST,
            "invalid_request: redirect_uri is missing or not absolute",
        );
    };
    {
        let mut pairs = location.query_pairs_mut();
        if get("response_type") == "code" {
            let code =
                state
                    .tokens
                    .authorize(get("client_id"), get("redirect_uri"), get("scope"), now);
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
) -> Result<Issued, TokenError> {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    let client = client_credentials(headers, &form);
    let Some(client_id) = client
        .filter(|(id, secret)| state.clients.get(id) == Some(secret))
        .map(|(id, _)| id)
    else {
        return Err(TokenError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
        });
    };
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    match field("grant_type") {
        Some("authorization_code") => {
            let code = field("code").ok_or_else(TokenError::request)?;
            state
                .tokens
                .exchange_code(&client_id, code, field("redirect_uri"), now)
        }
        Some("refresh_token") => {
            let token = field("refresh_token").ok_or_else(TokenError::request)?;
            state.tokens.refresh(&client_id, token, now)
        }
        _ => Err(TokenError {
            status: StatusCode::BAD_REQUEST,
            error: "unsupported_grant_type",
        }),
    }
}

/// `POST /auth/authentication/connect/token`.
pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = shared.now();
    let mut state = shared.lock();
    state.stats.count("token");
    if let Some(failure) = injected(&mut state, "token") {
        return failure;
    }
    match grant(&mut state, &headers, &body, now) {
        Ok(_) if faults::take(&mut state.faults.lose_token_answers) => {
            state.stats.tokens_issued += 1;
            state.stats.lost_answers += 1;
            dropped_connection()
        }
        Ok(issued) => {
            state.stats.tokens_issued += 1;
            let mut body = json!({
                "access_token": issued.access_token,
                "expires_in": ACCESS_TOKEN_SECONDS,
                "token_type": "Bearer",
                "id_token": format!("idt.{}", random(48)),
            });
            if let Some(refresh) = issued.refresh_token {
                body["refresh_token"] = json!(refresh);
            }
            (StatusCode::OK, axum::Json(body)).into_response()
        }
        Err(error) => error.into_response(),
    }
}

/// `GET /auth/authentication/connect/accesstokenvalidation?token=`.
pub(crate) async fn validate(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = params(query);
    let now = shared.now();
    let mut state = shared.lock();
    state.stats.count("accesstokenvalidation");
    if let Some(failure) = injected(&mut state, "accesstokenvalidation") {
        return failure;
    }
    let token = params.get("token").map(String::as_str).unwrap_or_default();
    let Some(grant) = state.tokens.check(token, now) else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"Message": "The token is invalid."})),
        )
            .into_response();
    };
    let body = json!({
        "iss": format!("{}/auth", shared.base_url),
        "exp": grant.expires.timestamp(),
        "nbf": grant.issued.timestamp(),
        "client_id": grant.client_id,
        "scope": grant.scope.split_whitespace().collect::<Vec<_>>(),
        "sub": grant.user,
        "twf.organisationId": state.org.id,
        "twf.clusterUrl": shared.cluster_url(state.org.cluster),
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// `GET /auth/authentication/connect/userinfo` (bearer token).
pub(crate) async fn userinfo(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let now = shared.now();
    let mut state = shared.lock();
    state.stats.count("userinfo");
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    match state.tokens.check(token.trim(), now) {
        Some(grant) => (
            StatusCode::OK,
            axum::Json(json!({"sub": grant.user, "twf.organisationId": state.org.id})),
        )
            .into_response(),
        None => (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "invalid_token"})),
        )
            .into_response(),
    }
}
