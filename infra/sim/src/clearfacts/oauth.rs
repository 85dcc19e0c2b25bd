//! Clearfacts' OpenID Connect server: discovery, `/oauth2-server/authorize` (Authorization
//! Code flow only; the sign-in is approved for a seeded user), `/oauth2-server/token`
//! (`authorization_code` and `refresh_token`), `/oauth2-server/userinfo` and an empty
//! `/oauth2-server/jwks.json` (see [`super::jwt`] for why).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::json;

use super::faults;
use super::jwt::ALGORITHM;
use super::model::OAuthClient;
use super::seed::ANY_REDIRECT_URI;
use super::state::{Shared, SignIn, SimState};
use super::tokens::{SCOPES, Subject, TokenAnswer, TokenError, scope_set};
use super::wire::{bearer, dropped_connection, outage, unauthorized};

/// The path prefix of the OIDC endpoints.
pub const OAUTH_PREFIX: &str = "/oauth2-server";

fn params(query: Option<String>) -> HashMap<String, String> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// `GET /.well-known/openid-configuration`.
pub(crate) async fn discovery(State(shared): State<Arc<Shared>>) -> Response {
    shared.lock().stats.count("discovery");
    let base = &shared.base_url;
    Json(json!({
        "issuer": shared.issuer(),
        "authorization_endpoint": format!("{base}{OAUTH_PREFIX}/authorize"),
        "token_endpoint": format!("{base}{OAUTH_PREFIX}/token"),
        "userinfo_endpoint": format!("{base}{OAUTH_PREFIX}/userinfo"),
        "jwks_uri": format!("{base}{OAUTH_PREFIX}/jwks.json"),
        "response_types_supported": ["code", "token"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": SCOPES,
        "claims_supported": ["sub", "username", "email"],
    }))
    .into_response()
}

/// `GET /oauth2-server/jwks.json`: no published keys (tokens are HMAC-signed here).
pub(crate) async fn jwks(State(shared): State<Arc<Shared>>) -> Response {
    shared.lock().stats.count("jwks");
    Json(json!({"keys": []})).into_response()
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (status, text).into_response()
}

fn found(location: &url::Url) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(location.as_str()) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

const LOOPBACK_HOSTS: &[&str] = &["127.0.0.1", "localhost", "[::1]"];

/// Whether a client may be sent back to `given`: `*`, the same URL, or the same loopback
/// URL on another port (RFC 8252 §7.3).
pub(crate) fn redirect_allowed(client: &OAuthClient, given: &url::Url) -> bool {
    client.redirect_uris.iter().any(|registered| {
        if registered == ANY_REDIRECT_URI {
            return true;
        }
        let Ok(registered) = url::Url::parse(registered) else {
            return false;
        };
        if registered == *given {
            return true;
        }
        let loopback = |u: &url::Url| {
            u.scheme() == "http" && u.host_str().is_some_and(|h| LOOPBACK_HOSTS.contains(&h))
        };
        loopback(&registered)
            && loopback(given)
            && registered.host_str() == given.host_str()
            && registered.path() == given.path()
            && registered.query() == given.query()
    })
}

/// Who signs in for this authorize request, or the OAuth error to redirect with.
fn signed_in(
    state: &SimState,
    params: &HashMap<String, String>,
) -> Result<Subject, (&'static str, &'static str)> {
    let subject = |username: &str| {
        state.user(username).map(|u| Subject {
            id: u.id.clone(),
            username: u.username.clone(),
        })
    };
    if let Some(username) = params.get("username") {
        let password = params
            .get("password")
            .map(String::as_str)
            .unwrap_or_default();
        return match state.user(username) {
            Some(user) if user.password == password => {
                subject(username).ok_or(("access_denied", "Unknown user"))
            }
            _ => Err(("access_denied", "Wrong username or password")),
        };
    }
    if let Some(hint) = params.get("login_hint")
        && let Some(found) = subject(hint)
    {
        return Ok(found);
    }
    match &state.sign_in {
        SignIn::As(username) => {
            subject(username).ok_or(("access_denied", "The user to sign in as is not seeded"))
        }
        SignIn::Deny => Err(("access_denied", "The user refused access")),
    }
}

/// `GET /oauth2-server/authorize`.
pub(crate) async fn authorize(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = params(query);
    let now = shared.now();
    let mut state = shared.lock();
    state.stats.count("authorize");
    let get = |name: &str| params.get(name).map(String::as_str).unwrap_or_default();
    let Some(client) = state.clients.get(get("client_id")).cloned() else {
        return plain(StatusCode::BAD_REQUEST, "invalid_client: unknown client_id");
    };
    let Ok(mut location) = url::Url::parse(get("redirect_uri")) else {
        return plain(
            StatusCode::BAD_REQUEST,
            "invalid_request: redirect_uri is missing or not absolute",
        );
    };
    if !redirect_allowed(&client, &location) {
        return plain(
            StatusCode::BAD_REQUEST,
            "invalid_request: the redirect_uri is not registered for this client",
        );
    }
    let requested = scope_set(get("scope"));
    let outcome: Result<String, (&str, &str)> = if get("response_type") != "code" {
        Err((
            "unsupported_response_type",
            "Only the authorization code flow is supported",
        ))
    } else if let Some(unknown) = requested.iter().find(|s| !SCOPES.contains(&s.as_str())) {
        tracing::info!(scope = %unknown, "clearfacts sim: unknown scope requested");
        Err(("invalid_scope", "An unknown scope was requested"))
    } else if !requested.contains("openid") {
        Err(("invalid_scope", "The openid scope is required"))
    } else {
        signed_in(&state, &params).map(|subject| {
            state.tokens.authorize(
                &client.client_id,
                get("redirect_uri"),
                requested,
                subject,
                now,
            )
        })
    };
    {
        let mut pairs = location.query_pairs_mut();
        match outcome {
            Ok(code) => {
                pairs.append_pair("code", &code);
            }
            Err((error, description)) => {
                pairs.append_pair("error", error);
                pairs.append_pair("error_description", description);
            }
        }
        if let Some(st) = params.get("state") {
            pairs.append_pair("state", st);
        }
    }
    found(&location)
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

fn token_error(error: TokenError) -> Response {
    (
        error.status,
        Json(json!({"error": error.error, "error_description": error.description})),
    )
        .into_response()
}

fn grant(
    shared: &Shared,
    state: &mut SimState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(TokenAnswer, u64), TokenError> {
    let now = shared.now();
    let form: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    let client_id = client_credentials(headers, &form)
        .filter(|(id, secret)| state.clients.get(id).is_some_and(|c| &c.secret == secret))
        .map(|(id, _)| id)
        .ok_or(TokenError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: "Client authentication failed",
        })?;
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    match field("grant_type") {
        Some("authorization_code") => {
            state.stats.count("token:authorization_code");
            let code = field("code").ok_or(TokenError::request("The code is missing"))?;
            state.tokens.exchange_code(
                &client_id,
                code,
                field("redirect_uri"),
                shared.issuer(),
                now,
            )
        }
        Some("refresh_token") => {
            state.stats.count("token:refresh_token");
            let token = field("refresh_token")
                .ok_or(TokenError::request("The refresh_token is missing"))?;
            state
                .tokens
                .refresh(&client_id, token, shared.issuer(), now)
                .map(|answer| (answer, 0))
        }
        _ => Err(TokenError {
            status: StatusCode::BAD_REQUEST,
            error: "unsupported_grant_type",
            description: "Only authorization_code and refresh_token are supported",
        }),
    }
}

/// `POST /oauth2-server/token`.
pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = shared.lock();
    state.stats.count("token");
    if let Some((status, html)) = state.faults.take_failure("token", &[]) {
        state.stats.injected_failures += 1;
        return outage(status, html);
    }
    match grant(&shared, &mut state, &headers, &body) {
        Ok((answer, revoked)) => {
            state.stats.tokens_issued += 1;
            state.stats.tokens_revoked_by_limit += revoked;
            if faults::take(&mut state.faults.lose_token_answers) {
                state.stats.lost_answers += 1;
                return dropped_connection();
            }
            let mut response = Json(answer).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => token_error(error),
    }
}

/// `GET /oauth2-server/userinfo` (bearer token: an OIDC token or a personal access token).
pub(crate) async fn userinfo(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let now = shared.now();
    let mut state = shared.lock();
    state.stats.count("userinfo");
    if let Some((status, html)) = state.faults.take_failure("userinfo", &[]) {
        state.stats.injected_failures += 1;
        return outage(status, html);
    }
    let grant = match state.tokens.authenticate(bearer(&headers), now) {
        Ok(grant) => grant,
        Err(refusal) => {
            state.stats.unauthorized += 1;
            return unauthorized(refusal);
        }
    };
    match state.user(&grant.subject.username) {
        Some(user) => Json(json!({
            "sub": user.id,
            "username": user.username,
            "email": user.email,
        }))
        .into_response(),
        None => unauthorized(super::tokens::BearerRefusal::Revoked),
    }
}
