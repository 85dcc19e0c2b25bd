//! OAuth 2 as Teamleader runs it: `GET /oauth2/authorize` (auto-approved as the configured
//! login) and `POST /oauth2/access_token` (form or JSON). Codes are single-use and live 10
//! minutes; access tokens live an hour; every refresh rotates the refresh token and kills the
//! old pair, so reusing a refresh token gets `400 invalid_grant`.

use super::state::{
    AccessToken, AuthCode, Grant, Login, RefreshToken, RequestRecord, Sim, SimState,
};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use rand::distr::{Alphanumeric, SampleString};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// A token pair as the token endpoint returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPair {
    /// Always "Bearer".
    pub token_type: String,
    /// Seconds the access token lives (3600).
    pub expires_in: i64,
    /// The access token.
    pub access_token: String,
    /// The single-use refresh token.
    pub refresh_token: String,
}

fn random_token(length: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), length)
}

/// Issue a fresh pair for a grant.
pub(crate) fn issue(
    state: &mut SimState,
    sim: &Sim,
    grant: Grant,
    now: DateTime<Utc>,
) -> TokenPair {
    let access_token = random_token(48);
    let refresh_token = random_token(64);
    state.access_tokens.insert(
        access_token.clone(),
        AccessToken {
            grant: grant.clone(),
            expires_at: now + sim.settings.access_token_ttl,
            revoked: false,
        },
    );
    state.refresh_tokens.insert(
        refresh_token.clone(),
        RefreshToken {
            grant,
            access_token: access_token.clone(),
            used: false,
            revoked: false,
        },
    );
    TokenPair {
        token_type: "Bearer".to_owned(),
        expires_in: sim.settings.access_token_ttl.num_seconds(),
        access_token,
        refresh_token,
    }
}

fn oauth_error(status: StatusCode, error: &str, description: &str, hint: &str) -> Response {
    (
        status,
        axum::Json(json!({
            "error": error,
            "error_description": description,
            "hint": hint,
            "message": description,
        })),
    )
        .into_response()
}

fn invalid_grant(description: &str, hint: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description, hint)
}

/// 302 Found to `location`, as Teamleader's authorize page answers.
fn found(location: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location.to_owned())]).into_response()
}

fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    match url::Url::parse(uri) {
        Ok(mut url) => {
            {
                let mut query = url.query_pairs_mut();
                for (key, value) in pairs {
                    query.append_pair(key, value);
                }
            }
            url.to_string()
        }
        Err(_) => uri.to_owned(),
    }
}

/// `GET /oauth2/authorize?client_id&response_type=code&redirect_uri&state`.
pub(crate) async fn authorize(
    State(sim): State<Arc<Sim>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let now = sim.now();
    let mut state = sim.state();
    let client_id = params.get("client_id").cloned().unwrap_or_default();
    let mut record = RequestRecord {
        at: now,
        endpoint: "oauth2/authorize".to_owned(),
        status: 0,
        account_id: None,
        client_id: Some(client_id.clone()),
    };
    let response = authorize_inner(&mut state, &sim, &params, now, &mut record);
    record.status = response.status().as_u16();
    state.log_request(record);
    response
}

fn authorize_inner(
    state: &mut SimState,
    sim: &Sim,
    params: &HashMap<String, String>,
    now: DateTime<Utc>,
    record: &mut RequestRecord,
) -> Response {
    let client_id = params
        .get("client_id")
        .map(String::as_str)
        .unwrap_or_default();
    let Some(app) = state.app(client_id).cloned() else {
        return (
            StatusCode::BAD_REQUEST,
            "Unknown client_id: register the integration first",
        )
            .into_response();
    };
    let redirect_uri = params.get("redirect_uri").cloned();
    let target = match (&app.redirect_uri, &redirect_uri) {
        (Some(registered), Some(given)) if registered != given => {
            return (
                StatusCode::BAD_REQUEST,
                "redirect_uri does not match the one registered for this integration",
            )
                .into_response();
        }
        (_, Some(given)) => given.clone(),
        (Some(registered), None) => registered.clone(),
        (None, None) => {
            return (StatusCode::BAD_REQUEST, "redirect_uri is required").into_response();
        }
    };
    let state_param = params.get("state").cloned().unwrap_or_default();
    let mut back = vec![];
    if params.get("response_type").map(String::as_str) != Some("code") {
        back.push(("error", "unsupported_response_type"));
        back.push(("state", state_param.as_str()));
        return found(&with_query(&target, &back));
    }
    let login = state.login.clone().or_else(|| {
        state.accounts.keys().next().map(|id| Login::Approve {
            account_id: id.clone(),
            user_id: None,
        })
    });
    let (account_id, user_id) = match login {
        Some(Login::Approve {
            account_id,
            user_id,
        }) => {
            let user = state
                .accounts
                .get(&account_id)
                .and_then(|account| match &user_id {
                    Some(id) => account.users.iter().find(|u| &u.id == id),
                    None => account.users.first(),
                });
            match user {
                Some(user) => (account_id, user.id.clone()),
                None => {
                    return (
                        StatusCode::BAD_REQUEST,
                        "The simulator has no such account/user to log in as: seed one first",
                    )
                        .into_response();
                }
            }
        }
        Some(Login::Deny) | None => {
            back.push(("error", "access_denied"));
            back.push(("state", state_param.as_str()));
            return found(&with_query(&target, &back));
        }
    };
    record.account_id = Some(account_id.clone());
    let code = random_token(40);
    state.codes.insert(
        code.clone(),
        AuthCode {
            client_id: app.client_id.clone(),
            redirect_uri,
            account_id,
            user_id,
            expires_at: now + sim.settings.auth_code_ttl,
            used: false,
        },
    );
    found(&with_query(
        &target,
        &[("code", &code), ("state", &state_param)],
    ))
}

fn token_params(headers: &HeaderMap, body: &Bytes) -> HashMap<String, String> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if is_json {
        serde_json::from_slice::<serde_json::Map<String, Value>>(body)
            .map(|map| {
                map.into_iter()
                    .filter_map(|(k, v)| match v {
                        Value::String(s) => Some((k, s)),
                        Value::Null => None,
                        other => Some((k, other.to_string())),
                    })
                    .collect()
            })
            .unwrap_or_default()
    } else {
        url::form_urlencoded::parse(body).into_owned().collect()
    }
}

/// `POST /oauth2/access_token`.
pub(crate) async fn access_token(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let endpoint = "oauth2/access_token";
    let (latency, fault) = sim.state().take_faults(endpoint);
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let now = sim.now();
    let mut state = sim.state();
    let params = token_params(&headers, &body);
    let mut record = RequestRecord {
        at: now,
        endpoint: endpoint.to_owned(),
        status: 0,
        account_id: None,
        client_id: params.get("client_id").cloned(),
    };
    let response = match fault {
        Some(super::state::FaultKind::Status { status }) => oauth_error(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "server_error",
            "The simulator was told to fail this request (injected fault)",
            "",
        ),
        Some(super::state::FaultKind::RateLimited { .. }) => oauth_error(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "Too many requests (injected fault)",
            "",
        ),
        _ => exchange(&mut state, &sim, &params, now, &mut record),
    };
    record.status = response.status().as_u16();
    state.log_request(record);
    response
}

fn exchange(
    state: &mut SimState,
    sim: &Sim,
    params: &HashMap<String, String>,
    now: DateTime<Utc>,
    record: &mut RequestRecord,
) -> Response {
    let get = |key: &str| {
        params
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let (Some(client_id), Some(secret)) = (get("client_id"), get("client_secret")) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The request is missing a required parameter: client_id and client_secret.",
            "Send client_id and client_secret in the body",
        );
    };
    let authenticated = state
        .app(client_id)
        .is_some_and(|app| app.client_secret == secret);
    if !authenticated {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
            "",
        );
    }
    match get("grant_type") {
        Some("authorization_code") => {
            let Some(code) = get("code") else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "The request is missing a required parameter: code.",
                    "",
                );
            };
            let Some(entry) = state.codes.get_mut(code) else {
                return invalid_grant(
                    "The provided authorization grant is invalid, expired or revoked.",
                    "Cannot decrypt the authorization code",
                );
            };
            if entry.used {
                return invalid_grant(
                    "The provided authorization grant is invalid, expired or revoked.",
                    "Authorization code has been revoked",
                );
            }
            if entry.expires_at <= now {
                return invalid_grant(
                    "The provided authorization grant is invalid, expired or revoked.",
                    "Authorization code has expired",
                );
            }
            if entry.client_id != client_id {
                return invalid_grant(
                    "The provided authorization grant is invalid, expired or revoked.",
                    "Authorization code was not issued to this client",
                );
            }
            if entry.redirect_uri.is_some() && entry.redirect_uri.as_deref() != get("redirect_uri")
            {
                return invalid_grant(
                    "The provided authorization grant is invalid, expired or revoked.",
                    "Invalid redirect URI",
                );
            }
            entry.used = true;
            let grant = Grant {
                client_id: client_id.to_owned(),
                account_id: entry.account_id.clone(),
                user_id: entry.user_id.clone(),
            };
            record.account_id = Some(grant.account_id.clone());
            let pair = issue(state, sim, grant, now);
            (StatusCode::OK, axum::Json(pair)).into_response()
        }
        Some("refresh_token") => {
            let Some(token) = get("refresh_token") else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "The request is missing a required parameter: refresh_token.",
                    "",
                );
            };
            let Some(entry) = state.refresh_tokens.get_mut(token) else {
                return invalid_grant(
                    "The refresh token is invalid.",
                    "Cannot decrypt the refresh token",
                );
            };
            if entry.used || entry.revoked {
                return invalid_grant("The refresh token is invalid.", "Token has been revoked");
            }
            if entry.grant.client_id != client_id {
                return invalid_grant(
                    "The refresh token is invalid.",
                    "Token is not linked to client",
                );
            }
            entry.used = true;
            let grant = entry.grant.clone();
            let old_access = entry.access_token.clone();
            if let Some(old) = state.access_tokens.get_mut(&old_access) {
                old.revoked = true;
            }
            record.account_id = Some(grant.account_id.clone());
            let pair = issue(state, sim, grant, now);
            (StatusCode::OK, axum::Json(pair)).into_response()
        }
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
            "Check that all required parameters have been provided",
        ),
    }
}
