//! The admin API under `/_sim/…` (for the demo and scripts; tests may use [`super::SimControl`]
//! directly). JSON in, JSON out; refusals are 404/400 with `{"error": "…"}`.
//!
//! | call | does |
//! |---|---|
//! | `GET /_sim/health` | `ok` |
//! | `GET /_sim/state` | divisions with everything booked, stats, quotas, clock |
//! | `GET /_sim/divisions/{code}` | one division |
//! | `POST /_sim/divisions` | `{"preset":"be"\|"nl","code":…,"description":…}` seeds a division |
//! | `POST /_sim/divisions/{code}/accounts` | `{"name","vat_number"?}` adds a customer |
//! | `POST /_sim/clients` | `{"client_id","client_secret"}` registers an app |
//! | `POST /_sim/tokens` | `{"client_id"?,"division"?}` hands out a token pair |
//! | `POST /_sim/tokens/revoke`, `POST /_sim/tokens/expire` | revoke / expire every token |
//! | `GET`/`DELETE /_sim/stats` | call counters / reset them |
//! | `PUT /_sim/rate-limits` | `{"per_minute","per_day"}` or `null` (off) |
//! | `POST /_sim/faults` | `{"fail_next":{"count","status"?,"path_contains"?}, "latency_ms", "crash_after_commit":{"count","mode"}}` |
//! | `DELETE /_sim/faults` | clear faults |
//! | `POST /_sim/periods/close`, `/_sim/periods/open` | `{"division","year","period"}` |
//! | `GET /_sim/divisions/{code}/documents[?orphans=true]` | its documents (only those no booked entry refers to), each with `attachments` (how many files it holds) |
//! | `DELETE /_sim/divisions/{code}/entries/{id}` | delete a booked entry |
//! | `POST /_sim/divisions/{code}/entries/{id}/payments` | `{"amount"?,"date"?}` registers a payment |
//! | `DELETE /_sim/divisions/{code}/entries/{id}/payments` | undoes the matches |
//! | `GET /_sim/clock`, `POST /_sim/clock` | `{"advance_seconds"?,"speed"?,"now"?}` |

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::control::{SimControl, SimError};
use super::model::{Division, Document};
use super::options::{ClientApp, CrashMode, DEFAULT_CLIENT_ID, RateLimits};
use super::state::{FailNext, Shared};

type Reply = Result<Response, (StatusCode, Json<serde_json::Value>)>;

fn refuse(
    status: StatusCode,
    message: impl std::fmt::Display,
) -> (StatusCode, Json<serde_json::Value>) {
    (status, Json(json!({"error": message.to_string()})))
}

fn not_found(error: SimError) -> (StatusCode, Json<serde_json::Value>) {
    refuse(StatusCode::NOT_FOUND, error)
}

fn control(shared: Arc<Shared>) -> SimControl {
    SimControl { shared }
}

fn ok() -> Reply {
    Ok(Json(json!({"ok": true})).into_response())
}

/// The `/_sim` router.
pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/state", get(state))
        .route("/divisions", post(seed_division))
        .route("/divisions/{code}", get(division))
        .route("/divisions/{code}/accounts", post(add_customer))
        .route("/divisions/{code}/documents", get(documents))
        .route("/divisions/{code}/entries/{id}", delete(delete_entry))
        .route(
            "/divisions/{code}/entries/{id}/payments",
            post(pay).delete(unmatch),
        )
        .route("/clients", post(add_client))
        .route("/tokens", post(issue_tokens))
        .route("/tokens/revoke", post(revoke_tokens))
        .route("/tokens/expire", post(expire_tokens))
        .route("/stats", get(stats).delete(reset_stats))
        .route("/rate-limits", put(set_rate_limits))
        .route("/faults", post(set_faults).delete(clear_faults))
        .route("/periods/close", post(close_period))
        .route("/periods/open", post(open_period))
        .route("/clock", get(clock).post(set_clock))
}

async fn state(State(shared): State<Arc<Shared>>) -> Reply {
    let c = control(Arc::clone(&shared));
    let divisions: Vec<Division> = c
        .division_codes()
        .into_iter()
        .filter_map(|code| c.division(code))
        .collect();
    Ok(Json(json!({
        "current_division": c.current_division(),
        "divisions": divisions,
        "stats": c.stats(),
        "rate_limits": c.rate_limits(),
        "now": shared.now(),
    }))
    .into_response())
}

async fn division(State(shared): State<Arc<Shared>>, Path(code): Path<i32>) -> Reply {
    control(shared)
        .division(code)
        .map(|d| Json(d).into_response())
        .ok_or_else(|| not_found(SimError::UnknownDivision(code)))
}

#[derive(Deserialize)]
struct SeedRequest {
    preset: String,
    code: i32,
    description: Option<String>,
}

async fn seed_division(
    State(shared): State<Arc<Shared>>,
    Json(request): Json<SeedRequest>,
) -> Reply {
    let description = request
        .description
        .unwrap_or_else(|| format!("Administratie {}", request.code));
    let division = match request.preset.as_str() {
        "be" => Division::belgian(request.code, &description),
        "nl" => Division::dutch(request.code, &description),
        other => {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                format!("unknown preset {other:?}; use \"be\" or \"nl\""),
            ));
        }
    };
    control(shared).add_division(division);
    Ok(Json(json!({"division": request.code})).into_response())
}

#[derive(Deserialize)]
struct CustomerRequest {
    name: String,
    vat_number: Option<String>,
}

async fn add_customer(
    State(shared): State<Arc<Shared>>,
    Path(code): Path<i32>,
    Json(request): Json<CustomerRequest>,
) -> Reply {
    let id = control(shared)
        .add_customer(code, &request.name, request.vat_number.as_deref())
        .map_err(not_found)?;
    Ok(Json(json!({"id": id})).into_response())
}

#[derive(Deserialize, Default)]
struct DocumentsQuery {
    #[serde(default)]
    orphans: bool,
}

async fn documents(
    State(shared): State<Arc<Shared>>,
    Path(code): Path<i32>,
    Query(query): Query<DocumentsQuery>,
) -> Reply {
    let division = control(shared)
        .division(code)
        .ok_or_else(|| not_found(SimError::UnknownDivision(code)))?;
    let chosen: Vec<&Document> = if query.orphans {
        division.orphan_documents().collect()
    } else {
        division.documents.iter().collect()
    };
    let listed: Vec<serde_json::Value> = chosen
        .into_iter()
        .map(|d| {
            let mut value = json!(d);
            value["attachments"] = json!(division.attachments_of(d.id).count());
            value
        })
        .collect();
    Ok(Json(json!({"division": code, "documents": listed})).into_response())
}

async fn delete_entry(
    State(shared): State<Arc<Shared>>,
    Path((code, id)): Path<(i32, Uuid)>,
) -> Reply {
    let entry = control(shared).delete_entry(code, id).map_err(not_found)?;
    Ok(Json(entry).into_response())
}

#[derive(Deserialize, Default)]
struct PaymentRequest {
    amount: Option<Decimal>,
    date: Option<NaiveDate>,
}

async fn pay(
    State(shared): State<Arc<Shared>>,
    Path((code, id)): Path<(i32, Uuid)>,
    body: Option<Json<PaymentRequest>>,
) -> Reply {
    let request = body.map(|Json(r)| r).unwrap_or_default();
    control(shared)
        .register_payment(code, id, request.amount, request.date)
        .map_err(not_found)?;
    ok()
}

async fn unmatch(State(shared): State<Arc<Shared>>, Path((code, id)): Path<(i32, Uuid)>) -> Reply {
    control(shared)
        .unmatch_payments(code, id)
        .map_err(not_found)?;
    ok()
}

async fn add_client(State(shared): State<Arc<Shared>>, Json(app): Json<ClientApp>) -> Reply {
    control(shared).add_client(app);
    ok()
}

#[derive(Deserialize, Default)]
struct TokenRequest {
    client_id: Option<String>,
    division: Option<i32>,
}

async fn issue_tokens(
    State(shared): State<Arc<Shared>>,
    body: Option<Json<TokenRequest>>,
) -> Reply {
    let request = body.map(|Json(r)| r).unwrap_or_default();
    let client_id = request
        .client_id
        .unwrap_or_else(|| DEFAULT_CLIENT_ID.to_owned());
    let pair = control(shared)
        .issue_tokens(&client_id, request.division)
        .map_err(not_found)?;
    Ok(Json(pair).into_response())
}

async fn revoke_tokens(State(shared): State<Arc<Shared>>) -> Reply {
    control(shared).revoke_tokens();
    ok()
}

async fn expire_tokens(State(shared): State<Arc<Shared>>) -> Reply {
    control(shared).expire_tokens();
    ok()
}

async fn stats(State(shared): State<Arc<Shared>>) -> Reply {
    Ok(Json(control(shared).stats()).into_response())
}

async fn reset_stats(State(shared): State<Arc<Shared>>) -> Reply {
    control(shared).reset_stats();
    ok()
}

async fn set_rate_limits(
    State(shared): State<Arc<Shared>>,
    Json(limits): Json<Option<RateLimits>>,
) -> Reply {
    control(shared).set_rate_limits(limits);
    ok()
}

#[derive(Deserialize)]
struct CrashRequest {
    count: u32,
    #[serde(default)]
    mode: CrashMode,
}

#[derive(Deserialize)]
struct FaultRequest {
    fail_next: Option<FailNext>,
    latency_ms: Option<u64>,
    crash_after_commit: Option<CrashRequest>,
}

async fn set_faults(State(shared): State<Arc<Shared>>, Json(request): Json<FaultRequest>) -> Reply {
    let c = control(shared);
    if let Some(fail) = request.fail_next {
        c.fail_next(fail);
    }
    if let Some(ms) = request.latency_ms {
        c.set_latency(Duration::from_millis(ms));
    }
    if let Some(crash) = request.crash_after_commit {
        c.crash_after_commit(crash.count, crash.mode);
    }
    ok()
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> Reply {
    control(shared).clear_faults();
    ok()
}

#[derive(Deserialize)]
struct PeriodRequest {
    division: i32,
    year: i32,
    period: i32,
}

async fn close_period(State(shared): State<Arc<Shared>>, Json(r): Json<PeriodRequest>) -> Reply {
    control(shared)
        .set_period_closed(r.division, r.year, r.period, true)
        .map_err(not_found)?;
    ok()
}

async fn open_period(State(shared): State<Arc<Shared>>, Json(r): Json<PeriodRequest>) -> Reply {
    control(shared)
        .set_period_closed(r.division, r.year, r.period, false)
        .map_err(not_found)?;
    ok()
}

async fn clock(State(shared): State<Arc<Shared>>) -> Reply {
    Ok(Json(json!({"now": shared.now(), "speed": shared.clock.speed()})).into_response())
}

#[derive(Deserialize)]
struct ClockRequest {
    advance_seconds: Option<i64>,
    speed: Option<f64>,
    now: Option<DateTime<Utc>>,
}

async fn set_clock(State(shared): State<Arc<Shared>>, Json(r): Json<ClockRequest>) -> Reply {
    if let Some(now) = r.now {
        shared.clock.set_now(now);
    }
    if let Some(seconds) = r.advance_seconds {
        shared.clock.advance(chrono::Duration::seconds(seconds));
    }
    if let Some(speed) = r.speed {
        shared.clock.set_speed(speed);
    }
    clock(State(shared)).await
}
