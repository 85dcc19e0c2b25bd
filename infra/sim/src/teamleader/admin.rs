//! `/_sim/…`: seed, faults, inspect and clock over HTTP (no auth), for the demo and scripts.
//! Every route calls the same code as the in-process [`super::SimHandle`].
//!
//! | route | body / answer |
//! |---|---|
//! | `POST /_sim/seed` | [`SeedAccount`] → `{account_id}` |
//! | `POST /_sim/generate` | [`GenerateSpec`] → `{account_id, companies, contacts, invoices, credit_notes}` |
//! | `POST /_sim/clients` | [`OAuthApp`] → 204 |
//! | `POST /_sim/login` | [`Login`] (`{"mode":"approve","account_id":…}` or `{"mode":"deny"}`) → 204 |
//! | `POST /_sim/tokens` | `{account_id, client_id?, user_id?}` → a token pair, skipping the browser |
//! | `POST /_sim/faults` | a [`Fault`] (`{"kind":"status","status":500,"count":2}`, `rate_limited`, `latency`) or `{"kind":"revoke_tokens","account_id":…}`, `{"kind":"expire_access_tokens","account_id"?}`, `{"kind":"clear"}` → 204 |
//! | `POST /_sim/rate_limit` | `{limit}` → 204 |
//! | `GET /_sim/inspect` | counts per endpoint, accounts, now |
//! | `GET /_sim/requests`, `DELETE /_sim/requests` | the request log / clear it and the counts |
//! | `GET /_sim/payments` | payments registered through the API |
//! | `GET /_sim/state/{account_id}` | the account as JSON |
//! | `GET /_sim/clock`, `POST /_sim/clock` | `{now, speed}` / `{speed?, advance_seconds?, now?}` |
//! | `POST /_sim/events` | `{account_id, type, subject: {type, id}}` → 204: the event is recorded and delivered to the webhooks registered for it (404 for an unknown account) |
//! | `GET /_sim/webhooks/deliveries` | every webhook delivery so far, with its outcome |
//! | `POST /_sim/webhooks/settle` | waits until no delivery is pending, then the deliveries |

use super::SimCore;
use super::seed::{GenerateSpec, SeedAccount};
use super::state::{Fault, Login, OAuthApp, Sim};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// A fault or an action on tokens, as `POST /_sim/faults` takes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FaultRequest {
    /// A fault for the next requests.
    Fault(Fault),
    /// An action taking effect at once.
    Action(TokenAction),
}

/// Token actions.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TokenAction {
    /// Revoke every access and refresh token of an account (the user uninstalled/revoked).
    RevokeTokens {
        /// Account.
        account_id: String,
    },
    /// Expire access tokens now (of one account, or all).
    ExpireAccessTokens {
        /// Account, or all when absent.
        #[serde(default)]
        account_id: Option<String>,
    },
    /// Remove every armed fault.
    Clear,
}

#[derive(Debug, Deserialize)]
struct TokenRequest {
    account_id: String,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct EventSubject {
    #[serde(rename = "type")]
    kind: String,
    id: String,
}

#[derive(Debug, Deserialize)]
struct EventRequest {
    account_id: String,
    #[serde(rename = "type")]
    kind: String,
    subject: EventSubject,
}

#[derive(Debug, Deserialize)]
struct RateLimitRequest {
    limit: u32,
}

#[derive(Debug, Deserialize)]
struct ClockRequest {
    #[serde(default)]
    speed: Option<f64>,
    #[serde(default)]
    advance_seconds: Option<i64>,
    #[serde(default)]
    now: Option<DateTime<Utc>>,
}

fn bad(message: impl std::fmt::Display) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": message.to_string()})),
    )
        .into_response()
}

async fn seed(State(sim): State<Arc<Sim>>, Json(seed): Json<SeedAccount>) -> Response {
    match SimCore(&sim).seed(seed) {
        Ok(account_id) => {
            (StatusCode::CREATED, Json(json!({"account_id": account_id}))).into_response()
        }
        Err(error) => bad(error),
    }
}

async fn generate(State(sim): State<Arc<Sim>>, Json(spec): Json<GenerateSpec>) -> Response {
    let seed = super::seed::generate(&spec, sim.now());
    let counts = json!({
        "companies": seed.companies.len(),
        "contacts": seed.contacts.len(),
        "invoices": seed.invoices.len(),
        "credit_notes": seed.credit_notes.len(),
    });
    match SimCore(&sim).seed(seed) {
        Ok(account_id) => {
            let mut body = counts;
            body["account_id"] = Value::from(account_id);
            (StatusCode::CREATED, Json(body)).into_response()
        }
        Err(error) => bad(error),
    }
}

async fn clients(State(sim): State<Arc<Sim>>, Json(app): Json<OAuthApp>) -> StatusCode {
    SimCore(&sim).register_app(app);
    StatusCode::NO_CONTENT
}

async fn login(State(sim): State<Arc<Sim>>, Json(login): Json<Login>) -> StatusCode {
    SimCore(&sim).set_login(login);
    StatusCode::NO_CONTENT
}

async fn tokens(State(sim): State<Arc<Sim>>, Json(request): Json<TokenRequest>) -> Response {
    match SimCore(&sim).issue_tokens(
        &request.account_id,
        request.client_id.as_deref(),
        request.user_id.as_deref(),
    ) {
        Ok(pair) => Json(pair).into_response(),
        Err(error) => bad(error),
    }
}

async fn faults(State(sim): State<Arc<Sim>>, Json(request): Json<FaultRequest>) -> StatusCode {
    let core = SimCore(&sim);
    match request {
        FaultRequest::Fault(fault) => core.inject(fault),
        FaultRequest::Action(TokenAction::RevokeTokens { account_id }) => {
            core.revoke_tokens(&account_id)
        }
        FaultRequest::Action(TokenAction::ExpireAccessTokens { account_id }) => {
            core.expire_access_tokens(account_id.as_deref());
        }
        FaultRequest::Action(TokenAction::Clear) => core.clear_faults(),
    }
    StatusCode::NO_CONTENT
}

async fn rate_limit(
    State(sim): State<Arc<Sim>>,
    Json(request): Json<RateLimitRequest>,
) -> StatusCode {
    SimCore(&sim).set_rate_limit(request.limit);
    StatusCode::NO_CONTENT
}

async fn inspect(State(sim): State<Arc<Sim>>) -> Json<Value> {
    Json(SimCore(&sim).summary())
}

async fn requests(State(sim): State<Arc<Sim>>) -> Json<Value> {
    Json(json!(SimCore(&sim).requests()))
}

async fn clear_requests(State(sim): State<Arc<Sim>>) -> StatusCode {
    SimCore(&sim).clear_requests();
    StatusCode::NO_CONTENT
}

async fn payments(State(sim): State<Arc<Sim>>) -> Json<Value> {
    Json(json!(SimCore(&sim).payments()))
}

async fn state(State(sim): State<Arc<Sim>>, Path(account_id): Path<String>) -> Response {
    match SimCore(&sim).dump(&account_id) {
        Some(dump) => Json(dump).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "no such account"})),
        )
            .into_response(),
    }
}

async fn events(State(sim): State<Arc<Sim>>, Json(event): Json<EventRequest>) -> Response {
    let recorded = SimCore(&sim).record_event(
        &event.account_id,
        &event.kind,
        &event.subject.kind,
        &event.subject.id,
    );
    if recorded {
        StatusCode::NO_CONTENT.into_response()
    } else {
        (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "no such account"})),
        )
            .into_response()
    }
}

async fn deliveries(State(sim): State<Arc<Sim>>) -> Json<Value> {
    Json(json!(sim.webhooks.log()))
}

async fn settle(State(sim): State<Arc<Sim>>) -> Json<Value> {
    Json(json!(sim.webhooks.settle().await))
}

fn clock_body(sim: &Sim) -> Json<Value> {
    Json(json!({"now": super::render::instant(sim.now()), "speed": sim.clock.speed()}))
}

async fn clock_get(State(sim): State<Arc<Sim>>) -> Json<Value> {
    clock_body(&sim)
}

async fn clock_set(State(sim): State<Arc<Sim>>, Json(request): Json<ClockRequest>) -> Json<Value> {
    if let Some(now) = request.now {
        sim.clock.set_now(now);
    }
    if let Some(seconds) = request.advance_seconds {
        sim.clock.advance(chrono::Duration::seconds(seconds));
    }
    if let Some(speed) = request.speed {
        sim.clock.set_speed(speed);
    }
    clock_body(&sim)
}

/// The `/_sim` routes.
pub(crate) fn router() -> Router<Arc<Sim>> {
    Router::new()
        .route("/seed", post(seed))
        .route("/generate", post(generate))
        .route("/clients", post(clients))
        .route("/login", post(login))
        .route("/tokens", post(tokens))
        .route("/faults", post(faults))
        .route("/rate_limit", post(rate_limit))
        .route("/inspect", get(inspect))
        .route("/requests", get(requests).delete(clear_requests))
        .route("/payments", get(payments))
        .route("/state/{account_id}", get(state))
        .route("/clock", get(clock_get).post(clock_set))
        .route("/events", post(events))
        .route("/webhooks/deliveries", get(deliveries))
        .route("/webhooks/settle", post(settle))
}
