//! The admin API under `/_sim/clearfacts/…` (for the demo, scripts and the bench; tests may
//! use [`super::SimControl`] directly). JSON in, JSON out; refusals are 404 (400 for an
//! unknown scope) with `{"error": "…"}`.
//!
//! | call | does |
//! |---|---|
//! | `GET /health` | `ok` |
//! | `GET /state` | users, administrations, clients, token mode, sign-in, stats, faults, clock |
//! | `POST /users` | `{"username","password","administrations":[…]}` → `{"sub"}` |
//! | `POST /administrations` | an administration (`company_number`/`companyNumber`, `name`, `emails`, `address`, `account_manager`?, `journals`?, `customers`?) |
//! | `POST /administrations/{company}/customers` | `[{"id","name"}]` added |
//! | `POST /clients` | `{"client_id","secret","redirect_uris":[…]}` |
//! | `POST /sign-in` | `{"as":"user"}` or `"deny"`: whom authorize signs in |
//! | `POST /tokens/personal` | `{"username","scopes":[…]}` → `{"token"}` |
//! | `POST /tokens/issue` | `{"username","client_id","scopes":[…]}` → a token answer |
//! | `POST /tokens/revoke` | `{"username","client_id"}` → `{"revoked"}` (the user removed the app) |
//! | `POST /tokens/expire` | every expiring access token expires now |
//! | `GET`/`PUT /token-mode` | `"rotating"` or `"long_lived"` |
//! | `GET /uploads` | every upload (uuid, company number, file name, type, kind, XML root and ID, size, sha256, time, payment state, lost answer) |
//! | `GET /uploads/{uuid}` | one upload |
//! | `GET /uploads/{uuid}/file` | its bytes |
//! | `PUT /uploads/{uuid}/payment-state` | `"UNPAID"`, `"PARTIALLY_PAID"` or `"PAID"` |
//! | `POST /faults` | `{"fail_next":{"count","status"?,"target"?,"html"?},"fail_after_upload"?,"drop_after_upload"?,"lose_token_answers"?}` |
//! | `DELETE /faults` | clear faults and latency |
//! | `POST /latency` | `{"millis"}` |
//! | `GET`/`DELETE /stats` | counters / reset them |
//! | `GET /clock`, `POST /clock` | `{"advance_seconds"?,"now"?}` |

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::control::{SimControl, SimError};
use super::faults::FailNext;
use super::model::{Administration, Customer, PaymentState};
use super::options::TokenMode;
use super::state::{Shared, SignIn};

type Reply = Result<Response, (StatusCode, Json<ErrorAnswer>)>;

#[derive(Serialize)]
struct ErrorAnswer {
    error: String,
}

fn refused(error: SimError) -> (StatusCode, Json<ErrorAnswer>) {
    let status = match error {
        SimError::UnknownScope(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::NOT_FOUND,
    };
    (
        status,
        Json(ErrorAnswer {
            error: error.to_string(),
        }),
    )
}

fn control(shared: Arc<Shared>) -> SimControl {
    SimControl { shared }
}

fn ok() -> Reply {
    Ok(Json(serde_json::json!({"ok": true})).into_response())
}

fn json<T: Serialize>(value: T) -> Reply {
    Ok(Json(value).into_response())
}

/// The `/_sim/clearfacts` router.
pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/state", get(state))
        .route("/users", post(add_user))
        .route("/administrations", post(add_administration))
        .route("/administrations/{company}/customers", post(add_customers))
        .route("/clients", post(add_client))
        .route("/sign-in", post(sign_in))
        .route("/tokens/personal", post(personal_token))
        .route("/tokens/issue", post(issue_tokens))
        .route("/tokens/revoke", post(revoke_tokens))
        .route("/tokens/expire", post(expire_tokens))
        .route("/token-mode", get(token_mode).put(set_token_mode))
        .route("/uploads", get(uploads))
        .route("/uploads/{uuid}", get(upload))
        .route("/uploads/{uuid}/file", get(upload_file))
        .route("/uploads/{uuid}/payment-state", put(set_payment_state))
        .route("/faults", post(set_faults).delete(clear_faults))
        .route("/latency", post(latency))
        .route("/stats", get(stats).delete(reset_stats))
        .route("/clock", get(clock).post(set_clock))
}

async fn state(State(shared): State<Arc<Shared>>) -> Reply {
    let now = shared.now();
    let s = shared.lock();
    json(serde_json::json!({
        "users": s.users.values().collect::<Vec<_>>(),
        "administrations": s.administrations.values().collect::<Vec<_>>(),
        "clients": s.clients.values().collect::<Vec<_>>(),
        "token_mode": s.tokens.mode,
        "sign_in": s.sign_in,
        "stats": s.stats,
        "faults": s.faults,
        "latency_millis": s.latency.as_millis(),
        "uploads": s.uploads.len(),
        "now": now,
    }))
}

#[derive(Deserialize)]
struct UserRequest {
    username: String,
    password: String,
    #[serde(default)]
    administrations: Vec<String>,
}

async fn add_user(State(shared): State<Arc<Shared>>, Json(r): Json<UserRequest>) -> Reply {
    let administrations: Vec<&str> = r.administrations.iter().map(String::as_str).collect();
    let sub = control(shared).add_user(&r.username, &r.password, &administrations);
    json(serde_json::json!({ "sub": sub }))
}

async fn add_administration(
    State(shared): State<Arc<Shared>>,
    Json(administration): Json<Administration>,
) -> Reply {
    control(shared).add_administration(administration);
    ok()
}

async fn add_customers(
    State(shared): State<Arc<Shared>>,
    Path(company): Path<String>,
    Json(customers): Json<Vec<Customer>>,
) -> Reply {
    control(shared)
        .add_customers(&company, customers)
        .map_err(refused)?;
    ok()
}

#[derive(Deserialize)]
struct ClientRequest {
    client_id: String,
    secret: String,
    #[serde(default)]
    redirect_uris: Vec<String>,
}

async fn add_client(State(shared): State<Arc<Shared>>, Json(r): Json<ClientRequest>) -> Reply {
    let uris: Vec<&str> = r.redirect_uris.iter().map(String::as_str).collect();
    control(shared).add_client(&r.client_id, &r.secret, &uris);
    ok()
}

async fn sign_in(State(shared): State<Arc<Shared>>, Json(sign_in): Json<SignIn>) -> Reply {
    control(shared).set_sign_in(sign_in);
    ok()
}

#[derive(Deserialize)]
struct TokenRequest {
    username: String,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
}

async fn personal_token(State(shared): State<Arc<Shared>>, Json(r): Json<TokenRequest>) -> Reply {
    let scopes: Vec<&str> = r.scopes.iter().map(String::as_str).collect();
    let token = control(shared)
        .create_personal_token(&r.username, &scopes)
        .map_err(refused)?;
    json(serde_json::json!({ "token": token }))
}

async fn issue_tokens(State(shared): State<Arc<Shared>>, Json(r): Json<TokenRequest>) -> Reply {
    let scopes: Vec<&str> = r.scopes.iter().map(String::as_str).collect();
    let client_id = r.client_id.unwrap_or_default();
    json(
        control(shared)
            .issue_tokens(&r.username, &client_id, &scopes)
            .map_err(refused)?,
    )
}

async fn revoke_tokens(State(shared): State<Arc<Shared>>, Json(r): Json<TokenRequest>) -> Reply {
    let client_id = r.client_id.unwrap_or_default();
    let revoked = control(shared).revoke_app(&r.username, &client_id);
    json(serde_json::json!({ "revoked": revoked }))
}

async fn expire_tokens(State(shared): State<Arc<Shared>>) -> Reply {
    control(shared).expire_tokens();
    ok()
}

async fn token_mode(State(shared): State<Arc<Shared>>) -> Reply {
    json(control(shared).token_mode())
}

async fn set_token_mode(State(shared): State<Arc<Shared>>, Json(mode): Json<TokenMode>) -> Reply {
    control(shared).set_token_mode(mode);
    ok()
}

async fn uploads(State(shared): State<Arc<Shared>>) -> Reply {
    json(control(shared).uploads())
}

async fn upload(State(shared): State<Arc<Shared>>, Path(uuid): Path<String>) -> Reply {
    json(
        control(shared)
            .upload(&uuid)
            .ok_or(SimError::UnknownDocument(uuid))
            .map_err(refused)?,
    )
}

async fn upload_file(State(shared): State<Arc<Shared>>, Path(uuid): Path<String>) -> Reply {
    let c = control(shared);
    let (Some(upload), Some(bytes)) = (c.upload(&uuid), c.upload_bytes(&uuid)) else {
        return Err(refused(SimError::UnknownDocument(uuid)));
    };
    let mut response = bytes.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(upload.kind.content_type()),
    );
    Ok(response)
}

async fn set_payment_state(
    State(shared): State<Arc<Shared>>,
    Path(uuid): Path<String>,
    Json(state): Json<PaymentState>,
) -> Reply {
    control(shared)
        .set_payment_state(&uuid, state)
        .map_err(refused)?;
    ok()
}

#[derive(Deserialize)]
struct FaultRequest {
    #[serde(default)]
    fail_next: Option<FailNext>,
    #[serde(default)]
    fail_after_upload: Option<u32>,
    #[serde(default)]
    drop_after_upload: Option<u32>,
    #[serde(default)]
    lose_token_answers: Option<u32>,
}

async fn set_faults(State(shared): State<Arc<Shared>>, Json(r): Json<FaultRequest>) -> Reply {
    let c = control(shared);
    if let Some(fail) = r.fail_next {
        c.set_fail_next(fail);
    }
    if let Some(n) = r.fail_after_upload {
        c.fail_after_upload(n);
    }
    if let Some(n) = r.drop_after_upload {
        c.drop_after_upload(n);
    }
    if let Some(n) = r.lose_token_answers {
        c.lose_token_answers(n);
    }
    ok()
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> Reply {
    control(shared).clear_faults();
    ok()
}

#[derive(Deserialize)]
struct LatencyRequest {
    millis: u64,
}

async fn latency(State(shared): State<Arc<Shared>>, Json(r): Json<LatencyRequest>) -> Reply {
    control(shared).set_latency(Duration::from_millis(r.millis));
    ok()
}

async fn stats(State(shared): State<Arc<Shared>>) -> Reply {
    json(control(shared).stats())
}

async fn reset_stats(State(shared): State<Arc<Shared>>) -> Reply {
    control(shared).reset_stats();
    ok()
}

async fn clock(State(shared): State<Arc<Shared>>) -> Reply {
    json(serde_json::json!({ "now": shared.now() }))
}

#[derive(Deserialize)]
struct ClockRequest {
    #[serde(default)]
    advance_seconds: Option<i64>,
    #[serde(default)]
    now: Option<DateTime<Utc>>,
}

async fn set_clock(State(shared): State<Arc<Shared>>, Json(r): Json<ClockRequest>) -> Reply {
    if let Some(now) = r.now {
        shared.clock.set_now(now);
    }
    if let Some(seconds) = r.advance_seconds {
        shared.clock.advance(chrono::Duration::seconds(seconds));
    }
    json(serde_json::json!({ "now": shared.now() }))
}
