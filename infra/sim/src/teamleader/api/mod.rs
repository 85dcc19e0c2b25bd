//! The JSON-RPC API: `POST /{resource}.{action}` with bearer auth, rate limiting, faults, and
//! Teamleader's `{data}` / `{errors}` envelopes. `.list` and `.info` endpoints answer `GET`
//! with the body's fields in the query string too ([`query`]).

mod credit_notes;
mod crm;
mod invoices;
pub(crate) mod query;
mod settings;

pub(crate) use invoices::structured_reference_for;

use super::model::{Account, CustomerRef};
use super::render::instant;
use super::state::{FaultKind, RequestRecord, Sim, SimState};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// A Teamleader error: HTTP status plus `{errors: [{title, status}]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub title: String,
}

impl ApiError {
    pub fn new(status: StatusCode, title: impl Into<String>) -> Self {
        Self {
            status,
            title: title.into(),
        }
    }
    pub fn bad_request(title: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, title)
    }
    pub fn not_found(title: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, title)
    }
    pub fn body(&self) -> Value {
        json!({"errors": [{"title": self.title, "status": self.status.as_u16()}]})
    }
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}

/// A successful answer.
#[derive(Debug)]
pub(crate) enum Reply {
    /// 200 with `{data: …}`.
    Data(Value),
    /// 201 with `{data: {type, id}}`.
    Created(&'static str, String),
    /// 204, no body.
    NoContent,
}

pub(crate) type ApiResult = Result<Reply, ApiError>;

/// Who is calling, from the access token.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub account_id: String,
    pub user_id: String,
    pub client_id: String,
    pub scopes: Option<Vec<String>>,
}

/// What a handler gets besides the state and the body.
pub(crate) struct Ctx<'a> {
    pub now: DateTime<Utc>,
    pub caller: &'a Caller,
    pub sim: &'a Sim,
}

impl Ctx<'_> {
    /// The caller's account (it exists: the token was checked under the same lock).
    pub fn account<'s>(&self, state: &'s mut SimState) -> Result<&'s mut Account, ApiError> {
        state
            .accounts
            .get_mut(&self.caller.account_id)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "Unauthorized: the account no longer exists",
                )
            })
    }
}

/// Scope an endpoint needs, by resource.
fn required_scope(resource: &str) -> Option<&'static str> {
    match resource {
        "invoices" | "creditNotes" | "taxRates" => Some("invoices"),
        "companies" => Some("companies"),
        "contacts" => Some("contacts"),
        "departments" => Some("departments"),
        "productCategories" => Some("products"),
        _ => None,
    }
}

fn dispatch(state: &mut SimState, ctx: &Ctx<'_>, method: &str, body: &Value) -> ApiResult {
    match method {
        "users.me" => settings::users_me(state, ctx),
        "departments.list" => settings::departments_list(state, ctx, body),
        "departments.info" => settings::departments_info(state, ctx, body),
        "taxRates.list" => settings::tax_rates_list(state, ctx, body),
        "productCategories.list" => settings::product_categories_list(state, ctx, body),
        "customFieldDefinitions.list" => settings::custom_fields_list(state, ctx, body),
        "customFieldDefinitions.info" => settings::custom_fields_info(state, ctx, body),
        "customFieldDefinitions.create" => settings::custom_fields_create(state, ctx, body),
        "webhooks.register" => super::webhooks::register(state, ctx, body),
        "webhooks.list" => super::webhooks::list(state, ctx),
        "webhooks.unregister" => super::webhooks::unregister(state, ctx, body),
        "invoices.list" => invoices::list(state, ctx, body),
        "invoices.info" => invoices::info(state, ctx, body),
        "invoices.download" => invoices::download(state, ctx, body),
        "invoices.draft" => invoices::draft(state, ctx, body),
        "invoices.book" => invoices::book(state, ctx, body),
        "invoices.delete" => invoices::delete(state, ctx, body),
        "invoices.registerPayment" => invoices::register_payment(state, ctx, body),
        "invoices.removePayments" => invoices::remove_payments(state, ctx, body),
        "creditNotes.list" => credit_notes::list(state, ctx, body),
        "creditNotes.info" => credit_notes::info(state, ctx, body),
        "creditNotes.download" => credit_notes::download(state, ctx, body),
        "companies.list" => crm::companies_list(state, ctx, body),
        "companies.info" => crm::companies_info(state, ctx, body),
        "companies.add" => crm::companies_add(state, ctx, body),
        "companies.update" => crm::companies_update(state, ctx, body),
        "companies.delete" => crm::companies_delete(state, ctx, body),
        "companies.tag" => crm::companies_tag(state, ctx, body, true),
        "companies.untag" => crm::companies_tag(state, ctx, body, false),
        "contacts.list" => crm::contacts_list(state, ctx, body),
        "deals.list" => crm::deals_list(state, ctx, body),
        "contacts.info" => crm::contacts_info(state, ctx, body),
        "contacts.add" => crm::contacts_add(state, ctx, body),
        "contacts.update" => crm::contacts_update(state, ctx, body),
        _ => Err(ApiError::not_found(format!(
            "Not found: the simulator does not serve `{method}`"
        ))),
    }
}

/// Rate-limit verdict and header values.
struct RateInfo {
    limit: u32,
    remaining: u32,
    reset: DateTime<Utc>,
    limited: bool,
}

impl RateInfo {
    fn apply(&self, headers: &mut HeaderMap) {
        let pairs = [
            ("x-ratelimit-limit", self.limit.to_string()),
            ("x-ratelimit-remaining", self.remaining.to_string()),
            ("x-ratelimit-reset", instant(self.reset)),
        ];
        for (name, value) in pairs {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
    }
}

/// Count a request in the sliding one-minute window of (client, account).
fn rate_check(state: &mut SimState, caller: &Caller, now: DateTime<Utc>) -> RateInfo {
    let limit = state.rate_limit;
    let window = state
        .windows
        .entry((caller.client_id.clone(), caller.account_id.clone()))
        .or_default();
    let minute = chrono::Duration::minutes(1);
    while window.front().is_some_and(|at| *at <= now - minute) {
        window.pop_front();
    }
    let limited = window.len() >= limit as usize;
    if !limited {
        window.push_back(now);
    }
    let reset = window
        .front()
        .map_or(now + minute, |oldest| *oldest + minute);
    RateInfo {
        limit,
        remaining: limit.saturating_sub(window.len() as u32),
        reset,
        limited,
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn authenticate(
    state: &SimState,
    headers: &HeaderMap,
    now: DateTime<Utc>,
) -> Result<Caller, ApiError> {
    let unauthorized = |title: &str| ApiError::new(StatusCode::UNAUTHORIZED, title);
    let token = bearer(headers).ok_or_else(|| {
        unauthorized("Unauthorized: send an access token as `Authorization: Bearer <token>`")
    })?;
    let access = state
        .access_tokens
        .get(token)
        .ok_or_else(|| unauthorized("Unauthorized: the access token is not valid"))?;
    if access.revoked {
        return Err(unauthorized(
            "Unauthorized: the access token has been revoked",
        ));
    }
    if access.expires_at <= now {
        return Err(unauthorized("Unauthorized: the access token has expired"));
    }
    if !state.accounts.contains_key(&access.grant.account_id) {
        return Err(unauthorized("Unauthorized: the account no longer exists"));
    }
    Ok(Caller {
        account_id: access.grant.account_id.clone(),
        user_id: access.grant.user_id.clone(),
        client_id: access.grant.client_id.clone(),
        scopes: state
            .app(&access.grant.client_id)
            .and_then(|app| app.scopes.clone()),
    })
}

fn parse_body(body: &Bytes) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(ApiError::bad_request(
            "The request body must be a JSON object",
        )),
        Err(e) => Err(ApiError::bad_request(format!(
            "The request body is not valid JSON: {e}"
        ))),
    }
}

/// `POST /{resource}.{action}`: the request's fields are the JSON body.
pub(crate) async fn api_call(
    State(sim): State<Arc<Sim>>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    answer(sim, method, headers, || parse_body(&body)).await
}

/// `GET /{resource}.{action}`: for `.list` and `.info` the request's fields are the query
/// string (see [`query`]); any other endpoint answers 405, as it takes POST only.
pub(crate) async fn api_get(
    State(sim): State<Arc<Sim>>,
    Path(method): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    if !query::serves_get(&method) {
        let mut response = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!(
                "Method not allowed: `{method}` takes POST; only .list and .info endpoints \
                 also answer GET"
            ),
        )
        .into_response();
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    answer(sim, method, headers, || {
        query::body_from_query(raw.as_deref())
    })
    .await
}

/// Faults, authentication, rate limit, scope, then the endpoint with the body `read` gives.
async fn answer(
    sim: Arc<Sim>,
    method: String,
    headers: HeaderMap,
    read: impl FnOnce() -> Result<Value, ApiError>,
) -> Response {
    let (latency, fault) = sim.state().take_faults(&method);
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let now = sim.now();
    let mut state = sim.state();
    let mut record = RequestRecord {
        at: now,
        endpoint: method.clone(),
        status: 0,
        account_id: None,
        client_id: None,
    };
    if let Some(FaultKind::Status { status }) = &fault {
        let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        record.status = status.as_u16();
        state.log_request(record);
        return ApiError::new(
            status,
            "The simulator was told to fail this request (injected fault)",
        )
        .into_response();
    }
    let caller = match authenticate(&state, &headers, now) {
        Ok(caller) => caller,
        Err(error) => {
            record.status = error.status.as_u16();
            state.log_request(record);
            let mut response = error.into_response();
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return response;
        }
    };
    record.account_id = Some(caller.account_id.clone());
    record.client_id = Some(caller.client_id.clone());

    let rate = if let Some(FaultKind::RateLimited {
        reset_after_seconds,
    }) = &fault
    {
        RateInfo {
            limit: state.rate_limit,
            remaining: 0,
            reset: now + chrono::Duration::seconds(i64::from(*reset_after_seconds)),
            limited: true,
        }
    } else {
        rate_check(&mut state, &caller, now)
    };
    let outcome = if rate.limited {
        Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests: the rate limit of this integration for this account is reached; retry after X-RateLimit-Reset",
        ))
    } else {
        let resource = method.split('.').next().unwrap_or_default();
        let denied = required_scope(resource).filter(|scope| {
            caller
                .scopes
                .as_ref()
                .is_some_and(|granted| !granted.iter().any(|g| g == scope))
        });
        match (denied, read()) {
            (Some(scope), _) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("Forbidden: this integration lacks the `{scope}` scope"),
            )),
            (None, Err(error)) => Err(error),
            (None, Ok(body)) => {
                let ctx = Ctx {
                    now,
                    caller: &caller,
                    sim: &sim,
                };
                let seen = super::webhooks::events_seen(&state, &caller.account_id);
                let outcome = dispatch(&mut state, &ctx, &method, &body);
                // Events the call recorded (`invoice.booked`, …) go to the registered URLs.
                super::webhooks::deliver_since(
                    &sim.webhooks,
                    &state,
                    &caller.account_id,
                    seen,
                    now,
                );
                outcome
            }
        }
    };
    let mut response = match outcome {
        Ok(Reply::Data(data)) => {
            (StatusCode::OK, axum::Json(json!({"data": data}))).into_response()
        }
        Ok(Reply::Created(kind, id)) => (
            StatusCode::CREATED,
            axum::Json(json!({"data": {"type": kind, "id": id}})),
        )
            .into_response(),
        Ok(Reply::NoContent) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => error.into_response(),
    };
    record.status = response.status().as_u16();
    state.log_request(record);
    drop(state);
    rate.apply(response.headers_mut());
    response
}

// ---- request helpers shared by the resource modules ----

/// A required string field of an object.
pub(crate) fn required_str<'a>(object: &'a Value, key: &str) -> Result<&'a str, ApiError> {
    match object.get(key) {
        Some(Value::String(text)) if !text.is_empty() => Ok(text),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            Err(ApiError::bad_request(format!("`{key}` is required")))
        }
        Some(_) => Err(ApiError::bad_request(format!("`{key}` must be a string"))),
    }
}

/// An optional string field (null counts as absent).
pub(crate) fn optional_str<'a>(object: &'a Value, key: &str) -> Result<Option<&'a str>, ApiError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(ApiError::bad_request(format!("`{key}` must be a string"))),
    }
}

/// The `filter` object (empty when absent).
pub(crate) fn filter_of(body: &Value) -> Result<Value, ApiError> {
    match body.get("filter") {
        None | Some(Value::Null) => Ok(Value::Object(Map::new())),
        Some(value @ Value::Object(_)) => Ok(value.clone()),
        Some(_) => Err(ApiError::bad_request("`filter` must be an object")),
    }
}

/// An optional array of strings; anything else than an array is refused.
pub(crate) fn string_array(object: &Value, key: &str) -> Result<Option<Vec<String>>, ApiError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str().map(str::to_owned).ok_or_else(|| {
                    ApiError::bad_request(format!("`{key}` must be an array of strings"))
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(ApiError::bad_request(format!("`{key}` must be an array"))),
    }
}

/// Page size and 1-based number.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Page {
    pub size: usize,
    pub number: usize,
}

impl Page {
    /// The slice of `items` on this page.
    pub fn slice<T>(&self, items: Vec<T>) -> Vec<T> {
        items
            .into_iter()
            .skip((self.number - 1).saturating_mul(self.size))
            .take(self.size)
            .collect()
    }
}

fn positive_integer(value: &Value, key: &str) -> Result<usize, ApiError> {
    value
        .as_u64()
        .or_else(|| {
            value
                .as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                .map(|f| f as u64)
        })
        .map(|n| n as usize)
        .ok_or_else(|| ApiError::bad_request(format!("`page.{key}` must be a positive integer")))
}

/// `page: {size (1..=100, default 20), number (from 1, default 1)}`.
pub(crate) fn page_of(body: &Value) -> Result<Page, ApiError> {
    let page = match body.get("page") {
        None | Some(Value::Null) => {
            return Ok(Page {
                size: 20,
                number: 1,
            });
        }
        Some(value @ Value::Object(_)) => value,
        Some(_) => return Err(ApiError::bad_request("`page` must be an object")),
    };
    let size = match page.get("size") {
        None | Some(Value::Null) => 20,
        Some(value) => positive_integer(value, "size")?,
    };
    if !(1..=100).contains(&size) {
        return Err(ApiError::bad_request(
            "`page.size` must be between 1 and 100",
        ));
    }
    let number = match page.get("number") {
        None | Some(Value::Null) => 1,
        Some(value) => positive_integer(value, "number")?,
    };
    if number < 1 {
        return Err(ApiError::bad_request("`page.number` starts at 1"));
    }
    Ok(Page { size, number })
}

/// `YYYY-MM-DD`.
pub(crate) fn parse_date(key: &str, text: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| ApiError::bad_request(format!("`{key}` must be a date like 2024-01-31")))
}

/// An ISO 8601 date-time with offset.
pub(crate) fn parse_instant(key: &str, text: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| {
            ApiError::bad_request(format!(
                "`{key}` must be an ISO 8601 date-time like 2024-01-31T10:00:00+00:00"
            ))
        })
}

/// An optional date field.
pub(crate) fn optional_date(object: &Value, key: &str) -> Result<Option<NaiveDate>, ApiError> {
    optional_str(object, key)?
        .map(|text| parse_date(key, text))
        .transpose()
}

/// A JSON number as an exact decimal.
pub(crate) fn decimal(value: &Value, key: &str) -> Result<Decimal, ApiError> {
    let Value::Number(number) = value else {
        return Err(ApiError::bad_request(format!("`{key}` must be a number")));
    };
    let text = number.to_string();
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .map_err(|_| ApiError::bad_request(format!("`{key}` is not a usable number")))
}

/// `{type: company|contact, id}`.
pub(crate) fn customer_ref(value: &Value, key: &str) -> Result<CustomerRef, ApiError> {
    let kind = required_str(value, "type")
        .map_err(|_| ApiError::bad_request(format!("`{key}.type` is required")))?;
    if kind != "company" && kind != "contact" {
        return Err(ApiError::bad_request(format!(
            "`{key}.type` must be company or contact"
        )));
    }
    let id = required_str(value, "id")
        .map_err(|_| ApiError::bad_request(format!("`{key}.id` is required")))?;
    Ok(CustomerRef {
        kind: kind.to_owned(),
        id: id.to_owned(),
    })
}

/// `sort: [{field, order}]` → (field, descending), checking the field against `allowed`.
pub(crate) fn sort_of(
    body: &Value,
    allowed: &[&str],
    default: (&'static str, bool),
) -> Result<(String, bool), ApiError> {
    let Some(sort) = body.get("sort").filter(|v| !v.is_null()) else {
        return Ok((default.0.to_owned(), default.1));
    };
    let Some(first) = sort.as_array().and_then(|items| items.first()) else {
        return Err(ApiError::bad_request(
            "`sort` must be a non-empty array of {field, order}",
        ));
    };
    let field = required_str(first, "field")
        .map_err(|_| ApiError::bad_request("`sort[0].field` is required"))?;
    if !allowed.contains(&field) {
        return Err(ApiError::bad_request(format!(
            "`sort[0].field` must be one of {}",
            allowed.join(", ")
        )));
    }
    let descending = match optional_str(first, "order")? {
        None => default.1,
        Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(ApiError::bad_request("`sort[0].order` must be asc or desc")),
    };
    Ok((field.to_owned(), descending))
}

/// A fresh UUID v4 id.
pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
