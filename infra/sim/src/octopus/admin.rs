//! The admin API under `/_sim/octopus/…` (for the demo and scripts; tests may use
//! [`super::SimControl`] directly). JSON in, JSON out; refusals are 404/400 with
//! `{"error": "…"}`.
//!
//! | call | does |
//! |---|---|
//! | `GET /health` | `ok` |
//! | `GET /state` | dossiers with everything in them, stats, budgets, faults, clock |
//! | `POST /dossiers` | a [`super::Dossier`] (snake_case) seeds a dossier |
//! | `GET /dossiers/{id}` | one dossier |
//! | `GET /dossiers/{id}/bookings` | its bookings with open amount and attachment count |
//! | `GET /dossiers/{id}/relations` | its relations |
//! | `DELETE /dossiers/{id}/bookings/{bookyear}/{journal}/{nr}` | delete a booking |
//! | `POST /users` | `{"user","password","dossiers":[…]}` |
//! | `POST /users/password` | `{"user","password"}` changes a password |
//! | `POST /journals/lock` | `{"dossier","journal","user"}`; `POST /journals/unlock` `{"dossier","journal"}` |
//! | `POST /journals/visible` | `{"dossier","bookyear","journal","visible"}` |
//! | `POST /journals/periods` | `{"dossier","bookyear","journal","closed_period"?,"protected_period"?,"closed"?}` |
//! | `POST /periods/close` | `{"dossier","bookyear","period","closed"?}` (default true) |
//! | `POST /bookings/match` | `{"dossier","bookyear","journal","document_nr","amount"?}` |
//! | `GET /budgets`, `PUT /budgets` | the [`super::Budgets`] (`{"per_day":{"modified":48}}`) |
//! | `GET /calls-today?dossier=&group=` | `{"calls": n}` |
//! | `POST /faults` | `{"fail_next":{"count","status"?,"target"?,"html"?},"lose_booking_answers"?,"lose_relation_answers"?}` |
//! | `DELETE /faults` | clear faults |
//! | `POST /tokens/expire` | invalidate every token |
//! | `GET`/`DELETE /stats` | call counters / reset them |
//! | `GET /clock`, `POST /clock` | `{"advance_seconds"?,"now"?}` |

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::budget::{Budgets, Group};
use super::control::{SimControl, SimError};
use super::faults::FailNext;
use super::model::Dossier;
use super::state::Shared;

type Reply = Result<Response, (StatusCode, Json<ErrorAnswer>)>;

#[derive(Serialize)]
struct ErrorAnswer {
    error: String,
}

#[derive(Serialize)]
struct Done {
    ok: bool,
}

fn refuse(status: StatusCode, message: impl std::fmt::Display) -> (StatusCode, Json<ErrorAnswer>) {
    (
        status,
        Json(ErrorAnswer {
            error: message.to_string(),
        }),
    )
}

fn not_found(error: SimError) -> (StatusCode, Json<ErrorAnswer>) {
    refuse(StatusCode::NOT_FOUND, error)
}

fn control(shared: Arc<Shared>) -> SimControl {
    SimControl { shared }
}

fn ok() -> Reply {
    Ok(Json(Done { ok: true }).into_response())
}

fn json<T: Serialize>(value: T) -> Reply {
    Ok(Json(value).into_response())
}

/// The `/_sim/octopus` router.
pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/state", get(state))
        .route("/dossiers", post(add_dossier))
        .route("/dossiers/{id}", get(dossier))
        .route("/dossiers/{id}/bookings", get(bookings))
        .route("/dossiers/{id}/relations", get(relations))
        .route(
            "/dossiers/{id}/bookings/{bookyear}/{journal}/{nr}",
            delete(delete_booking),
        )
        .route("/users", post(add_user))
        .route("/users/password", post(change_password))
        .route("/journals/lock", post(lock_journal))
        .route("/journals/unlock", post(unlock_journal))
        .route("/journals/visible", post(journal_visible))
        .route("/journals/periods", post(journal_periods))
        .route("/periods/close", post(close_period))
        .route("/bookings/match", post(match_booking))
        .route("/budgets", get(budgets).put(set_budgets))
        .route("/calls-today", get(calls_today))
        .route("/faults", post(set_faults).delete(clear_faults))
        .route("/tokens/expire", post(expire_tokens))
        .route("/stats", get(stats).delete(reset_stats))
        .route("/clock", get(clock).post(set_clock))
}

#[derive(Serialize)]
struct StateAnswer {
    dossiers: Vec<Dossier>,
    stats: super::SimStats,
    budgets: Budgets,
    faults: super::Faults,
    now: DateTime<Utc>,
}

async fn state(State(shared): State<Arc<Shared>>) -> Reply {
    let c = control(Arc::clone(&shared));
    json(StateAnswer {
        dossiers: c
            .dossier_ids()
            .into_iter()
            .filter_map(|id| c.dossier(id))
            .collect(),
        stats: c.stats(),
        budgets: c.budgets(),
        faults: c.faults(),
        now: shared.now(),
    })
}

async fn add_dossier(State(shared): State<Arc<Shared>>, Json(dossier): Json<Dossier>) -> Reply {
    control(shared).add_dossier(dossier);
    ok()
}

async fn dossier(State(shared): State<Arc<Shared>>, Path(id): Path<i64>) -> Reply {
    control(shared)
        .dossier(id)
        .map(|d| Json(d).into_response())
        .ok_or_else(|| not_found(SimError::UnknownDossier(id)))
}

async fn bookings(State(shared): State<Arc<Shared>>, Path(id): Path<i64>) -> Reply {
    json(control(shared).bookings(id))
}

async fn relations(State(shared): State<Arc<Shared>>, Path(id): Path<i64>) -> Reply {
    json(control(shared).relations(id))
}

async fn delete_booking(
    State(shared): State<Arc<Shared>>,
    Path((id, bookyear, journal, nr)): Path<(i64, i64, String, i64)>,
) -> Reply {
    control(shared)
        .delete_booking(id, bookyear, &journal, nr)
        .map_err(not_found)?;
    ok()
}

#[derive(Deserialize)]
struct UserRequest {
    user: String,
    password: String,
    #[serde(default)]
    dossiers: Vec<i64>,
}

async fn add_user(State(shared): State<Arc<Shared>>, Json(r): Json<UserRequest>) -> Reply {
    control(shared).add_user(&r.user, &r.password, &r.dossiers);
    ok()
}

async fn change_password(State(shared): State<Arc<Shared>>, Json(r): Json<UserRequest>) -> Reply {
    control(shared)
        .change_password(&r.user, &r.password)
        .map_err(not_found)?;
    ok()
}

#[derive(Deserialize)]
struct JournalRequest {
    dossier: i64,
    #[serde(default)]
    bookyear: i64,
    journal: String,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    visible: Option<bool>,
    #[serde(default)]
    closed: Option<bool>,
    #[serde(default)]
    closed_period: Option<i32>,
    #[serde(default)]
    protected_period: Option<i32>,
}

async fn lock_journal(State(shared): State<Arc<Shared>>, Json(r): Json<JournalRequest>) -> Reply {
    let user = r
        .user
        .unwrap_or_else(|| "accountant@octopus.example".to_owned());
    control(shared)
        .lock_journal(r.dossier, &r.journal, &user)
        .map_err(not_found)?;
    ok()
}

async fn unlock_journal(State(shared): State<Arc<Shared>>, Json(r): Json<JournalRequest>) -> Reply {
    control(shared)
        .unlock_journal(r.dossier, &r.journal)
        .map_err(not_found)?;
    ok()
}

async fn journal_visible(
    State(shared): State<Arc<Shared>>,
    Json(r): Json<JournalRequest>,
) -> Reply {
    control(shared)
        .set_journal_visible(r.dossier, r.bookyear, &r.journal, r.visible.unwrap_or(true))
        .map_err(not_found)?;
    ok()
}

async fn journal_periods(
    State(shared): State<Arc<Shared>>,
    Json(r): Json<JournalRequest>,
) -> Reply {
    let c = control(shared);
    if let Some(period) = r.closed_period {
        c.set_closed_period(r.dossier, r.bookyear, &r.journal, period)
            .map_err(not_found)?;
    }
    if let Some(period) = r.protected_period {
        c.set_protected_period(r.dossier, r.bookyear, &r.journal, period)
            .map_err(not_found)?;
    }
    if let Some(closed) = r.closed {
        c.set_journal_closed(r.dossier, r.bookyear, &r.journal, closed)
            .map_err(not_found)?;
    }
    ok()
}

#[derive(Deserialize)]
struct PeriodRequest {
    dossier: i64,
    bookyear: i64,
    period: i32,
    #[serde(default)]
    closed: Option<bool>,
}

async fn close_period(State(shared): State<Arc<Shared>>, Json(r): Json<PeriodRequest>) -> Reply {
    control(shared)
        .set_period_closed(r.dossier, r.bookyear, r.period, r.closed.unwrap_or(true))
        .map_err(not_found)?;
    ok()
}

#[derive(Deserialize)]
struct MatchRequest {
    dossier: i64,
    bookyear: i64,
    journal: String,
    document_nr: i64,
    #[serde(default)]
    amount: Option<Decimal>,
}

#[derive(Serialize)]
struct OpenAnswer {
    open_amount: Decimal,
}

async fn match_booking(State(shared): State<Arc<Shared>>, Json(r): Json<MatchRequest>) -> Reply {
    let open_amount = control(shared)
        .match_booking(r.dossier, r.bookyear, &r.journal, r.document_nr, r.amount)
        .map_err(not_found)?;
    json(OpenAnswer { open_amount })
}

async fn budgets(State(shared): State<Arc<Shared>>) -> Reply {
    json(control(shared).budgets())
}

async fn set_budgets(State(shared): State<Arc<Shared>>, Json(budgets): Json<Budgets>) -> Reply {
    control(shared).set_budgets(budgets);
    ok()
}

#[derive(Deserialize)]
struct CallsQuery {
    #[serde(default)]
    dossier: i64,
    group: String,
}

#[derive(Serialize)]
struct CallsAnswer {
    calls: u32,
}

async fn calls_today(State(shared): State<Arc<Shared>>, Query(q): Query<CallsQuery>) -> Reply {
    let group = Group::parse(&q.group).ok_or_else(|| {
        refuse(
            StatusCode::BAD_REQUEST,
            format!("unknown group {:?}", q.group),
        )
    })?;
    json(CallsAnswer {
        calls: control(shared).calls_today(q.dossier, group),
    })
}

#[derive(Deserialize)]
struct FaultRequest {
    #[serde(default)]
    fail_next: Option<FailNext>,
    #[serde(default)]
    lose_booking_answers: Option<u32>,
    #[serde(default)]
    lose_relation_answers: Option<u32>,
}

async fn set_faults(State(shared): State<Arc<Shared>>, Json(r): Json<FaultRequest>) -> Reply {
    let c = control(shared);
    if let Some(fail) = r.fail_next {
        c.set_fail_next(fail);
    }
    if let Some(count) = r.lose_booking_answers {
        c.lose_booking_answers(count);
    }
    if let Some(count) = r.lose_relation_answers {
        c.lose_relation_answers(count);
    }
    ok()
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> Reply {
    control(shared).clear_faults();
    ok()
}

async fn expire_tokens(State(shared): State<Arc<Shared>>) -> Reply {
    control(shared).expire_tokens();
    ok()
}

async fn stats(State(shared): State<Arc<Shared>>) -> Reply {
    json(control(shared).stats())
}

async fn reset_stats(State(shared): State<Arc<Shared>>) -> Reply {
    control(shared).reset_stats();
    ok()
}

#[derive(Serialize)]
struct ClockAnswer {
    now: DateTime<Utc>,
}

async fn clock(State(shared): State<Arc<Shared>>) -> Reply {
    json(ClockAnswer { now: shared.now() })
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
    json(ClockAnswer { now: shared.now() })
}
