//! The admin API under `/_sim/twinfield/…` (for the demo and scripts; tests may use
//! [`super::SimControl`] directly). JSON in, JSON out; refusals are 404 with `{"error": "…"}`.
//!
//! | call | does |
//! |---|---|
//! | `GET /health` | `ok` |
//! | `GET /state` | organisation, stats, faults, fair use, clock, cluster URL |
//! | `GET /offices/{office}/transactions` | its transactions |
//! | `DELETE /offices/{office}/transactions/{code}/{number}` | delete one |
//! | `GET /offices/{office}/dimensions` | its customers |
//! | `POST /offices/{office}/customers` | `{"name","vat"?}` → `{"code"}` |
//! | `POST /offices/{office}/periods/close` | `{"period":"2026/11","open"?}` |
//! | `POST /transactions/match` | `{"office","code","number","amount"?,"date"}` → `{"open_value"}` |
//! | `PUT /duplicate-check` | `"error"`, `"warning"` or `"off"` |
//! | `GET`/`PUT /fair-use` | `{"credits_per_minute","concurrent_requests"}` |
//! | `POST /latency` | `{"millis"}` |
//! | `POST /faults` | `{"fail_next":{"count","status"?,"target"?,"html"?},"lose_transaction_answers"?,"lose_dimension_answers"?,"lose_token_answers"?}` |
//! | `DELETE /faults` | clear faults |
//! | `POST /tokens/issue` | `{"client_id"}` → a token pair |
//! | `POST /tokens/expire`, `POST /tokens/revoke` | expire / revoke every token |
//! | `POST /cluster` | `{"cluster": n}` |
//! | `GET`/`DELETE /stats` | call counters / reset them |
//! | `GET /clock`, `POST /clock` | `{"advance_seconds"?,"now"?}` |

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::control::{SimControl, SimError};
use super::faults::FailNext;
use super::options::{DuplicateCheck, FairUse};
use super::state::Shared;

type Reply = Result<Response, (StatusCode, Json<ErrorAnswer>)>;

#[derive(Serialize)]
struct ErrorAnswer {
    error: String,
}

fn not_found(error: SimError) -> (StatusCode, Json<ErrorAnswer>) {
    (
        StatusCode::NOT_FOUND,
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

/// The `/_sim/twinfield` router.
pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/state", get(state))
        .route("/offices/{office}/transactions", get(transactions))
        .route(
            "/offices/{office}/transactions/{code}/{number}",
            delete(delete_transaction),
        )
        .route("/offices/{office}/dimensions", get(dimensions))
        .route("/offices/{office}/customers", post(add_customer))
        .route("/offices/{office}/periods/close", post(close_period))
        .route("/transactions/match", post(match_transaction))
        .route("/duplicate-check", put(duplicate_check))
        .route("/fair-use", get(fair_use).put(set_fair_use))
        .route("/latency", post(latency))
        .route("/faults", post(set_faults).delete(clear_faults))
        .route("/tokens/issue", post(issue_tokens))
        .route("/tokens/expire", post(expire_tokens))
        .route("/tokens/revoke", post(revoke_tokens))
        .route("/cluster", post(set_cluster))
        .route("/stats", get(stats).delete(reset_stats))
        .route("/clock", get(clock).post(set_clock))
}

async fn state(State(shared): State<Arc<Shared>>) -> Reply {
    let c = control(Arc::clone(&shared));
    json(serde_json::json!({
        "organisation": c.organisation(),
        "cluster_url": c.cluster_url(),
        "stats": c.stats(),
        "faults": c.faults(),
        "fair_use": c.fair_use(),
        "now": shared.now(),
    }))
}

async fn transactions(State(shared): State<Arc<Shared>>, Path(office): Path<String>) -> Reply {
    json(control(shared).transactions(&office))
}

async fn delete_transaction(
    State(shared): State<Arc<Shared>>,
    Path((office, code, number)): Path<(String, String, u64)>,
) -> Reply {
    json(
        control(shared)
            .delete_transaction(&office, &code, number)
            .map_err(not_found)?,
    )
}

async fn dimensions(State(shared): State<Arc<Shared>>, Path(office): Path<String>) -> Reply {
    json(control(shared).dimensions(&office))
}

#[derive(Deserialize)]
struct CustomerRequest {
    name: String,
    #[serde(default)]
    vat: String,
}

async fn add_customer(
    State(shared): State<Arc<Shared>>,
    Path(office): Path<String>,
    Json(r): Json<CustomerRequest>,
) -> Reply {
    let code = control(shared)
        .add_customer(&office, &r.name, &r.vat)
        .map_err(not_found)?;
    json(serde_json::json!({ "code": code }))
}

#[derive(Deserialize)]
struct PeriodRequest {
    period: String,
    #[serde(default)]
    open: bool,
}

async fn close_period(
    State(shared): State<Arc<Shared>>,
    Path(office): Path<String>,
    Json(r): Json<PeriodRequest>,
) -> Reply {
    control(shared)
        .set_period_open(&office, &r.period, r.open)
        .map_err(not_found)?;
    ok()
}

#[derive(Deserialize)]
struct MatchRequest {
    office: String,
    code: String,
    number: u64,
    #[serde(default)]
    amount: Option<Decimal>,
    date: NaiveDate,
}

async fn match_transaction(
    State(shared): State<Arc<Shared>>,
    Json(r): Json<MatchRequest>,
) -> Reply {
    let open_value = control(shared)
        .match_transaction(&r.office, &r.code, r.number, r.amount, r.date)
        .map_err(not_found)?;
    json(serde_json::json!({ "open_value": open_value }))
}

async fn duplicate_check(
    State(shared): State<Arc<Shared>>,
    Json(check): Json<DuplicateCheck>,
) -> Reply {
    control(shared).set_duplicate_invoice_check(check);
    ok()
}

async fn fair_use(State(shared): State<Arc<Shared>>) -> Reply {
    json(control(shared).fair_use())
}

async fn set_fair_use(State(shared): State<Arc<Shared>>, Json(limits): Json<FairUse>) -> Reply {
    control(shared).set_fair_use(limits);
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

#[derive(Deserialize)]
struct FaultRequest {
    #[serde(default)]
    fail_next: Option<FailNext>,
    #[serde(default)]
    lose_transaction_answers: Option<u32>,
    #[serde(default)]
    lose_dimension_answers: Option<u32>,
    #[serde(default)]
    lose_token_answers: Option<u32>,
}

async fn set_faults(State(shared): State<Arc<Shared>>, Json(r): Json<FaultRequest>) -> Reply {
    let c = control(shared);
    if let Some(fail) = r.fail_next {
        c.set_fail_next(fail);
    }
    if let Some(n) = r.lose_transaction_answers {
        c.lose_transaction_answers(n);
    }
    if let Some(n) = r.lose_dimension_answers {
        c.lose_dimension_answers(n);
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
struct IssueRequest {
    client_id: String,
}

async fn issue_tokens(State(shared): State<Arc<Shared>>, Json(r): Json<IssueRequest>) -> Reply {
    json(
        control(shared)
            .issue_tokens(&r.client_id)
            .map_err(not_found)?,
    )
}

async fn expire_tokens(State(shared): State<Arc<Shared>>) -> Reply {
    control(shared).expire_tokens();
    ok()
}

async fn revoke_tokens(State(shared): State<Arc<Shared>>) -> Reply {
    control(shared).revoke_tokens();
    ok()
}

#[derive(Deserialize)]
struct ClusterRequest {
    cluster: u32,
}

async fn set_cluster(State(shared): State<Arc<Shared>>, Json(r): Json<ClusterRequest>) -> Reply {
    let c = control(shared);
    c.set_cluster(r.cluster);
    json(serde_json::json!({ "cluster_url": c.cluster_url() }))
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
