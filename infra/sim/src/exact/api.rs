//! The front door of `/api/v1/…`: latency fault, bearer check (401 with `WWW-Authenticate`),
//! the per (app, division) quota (bare 429), the fail-next fault, then the resource; the
//! quota headers go on every admitted answer.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::error::{ApiError, outage_response};
use super::oauth::{self, AuthFailure};
use super::odata::QueryOptions;
use super::ratelimit::{Admission, RateHeaders};
use super::resources::{self, Ctx};
use super::state::Shared;

/// Where a call is going: `{division}/{resource}[(key)]`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    division: String,
    resource: String,
    key: Option<String>,
}

impl Target {
    fn parse(path: &str) -> Option<Self> {
        let rest = path.strip_prefix("/api/v1/")?;
        let (division, resource) = rest.split_once('/')?;
        let resource = resource.trim_end_matches('/');
        if let Some(inner) = resource.strip_suffix(')')
            && let Some(open) = inner.rfind('(')
        {
            return Some(Self {
                division: division.to_owned(),
                resource: inner[..open].to_owned(),
                key: Some(inner[open + 1..].to_owned()),
            });
        }
        Some(Self {
            division: division.to_owned(),
            resource: resource.to_owned(),
            key: None,
        })
    }

    fn stat_key(&self) -> String {
        if self.key.is_some() {
            format!("{}()", self.resource)
        } else {
            self.resource.clone()
        }
    }
}

/// Decode `%xx` escapes of a URL path (quotes in `(guid'…')` may arrive encoded).
fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = path.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn unauthorized(failure: AuthFailure) -> Response {
    let challenge = match failure {
        AuthFailure::Missing => "Bearer",
        AuthFailure::Invalid => {
            r#"Bearer error="invalid_token", error_description="The access token is invalid""#
        }
        AuthFailure::Expired => {
            r#"Bearer error="invalid_token", error_description="The access token expired""#
        }
    };
    let mut response = StatusCode::UNAUTHORIZED.into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    response
}

fn with_headers(mut response: Response, headers: &RateHeaders) -> Response {
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            response
                .headers_mut()
                .insert(HeaderName::from_static(lowercase(name)), value);
        }
    }
    response
}

/// Header names must be lower-case for `from_static`.
fn lowercase(name: &'static str) -> &'static str {
    match name {
        "X-RateLimit-Limit" => "x-ratelimit-limit",
        "X-RateLimit-Remaining" => "x-ratelimit-remaining",
        "X-RateLimit-Reset" => "x-ratelimit-reset",
        "X-RateLimit-Minutely-Limit" => "x-ratelimit-minutely-limit",
        "X-RateLimit-Minutely-Remaining" => "x-ratelimit-minutely-remaining",
        _ => "x-ratelimit-minutely-reset",
    }
}

/// Every `/api/v1/…` call.
pub(crate) async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let latency = shared.lock().faults.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let now = shared.now();
    let query = QueryOptions::parse(uri.query());
    let path = percent_decode(uri.path());
    let Some(target) = Target::parse(&path) else {
        return ApiError::NotFound("Resource not found.".to_owned()).into_response();
    };

    let mut guard = shared.lock();
    let state = &mut *guard;
    state.stats.count(method.as_str(), &target.stat_key());
    let grant = match state.oauth.check_access(oauth::bearer(&headers), now) {
        Ok(grant) => grant,
        Err(failure) => {
            state.stats.unauthorized += 1;
            return unauthorized(failure);
        }
    };
    let division = if target.division == "current" {
        grant.division
    } else {
        match target.division.parse::<i32>() {
            Ok(code) => code,
            Err(_) => return ApiError::NotFound("Resource not found.".to_owned()).into_response(),
        }
    };
    let rate_headers = match state.limits {
        None => Vec::new(),
        Some(limits) => {
            let window = state
                .windows
                .entry((grant.client_id.clone(), division))
                .or_default();
            match window.admit(&limits, now) {
                Admission::Allowed(headers) => headers,
                Admission::Refused(headers) => {
                    state.stats.rate_limited += 1;
                    return with_headers(StatusCode::TOO_MANY_REQUESTS.into_response(), &headers);
                }
            }
        }
    };
    let response = if let Some(answer) = state.answers.take(method.as_str(), &target.resource) {
        state.stats.injected_failures += 1;
        answer
    } else if let Some(status) = state.faults.take_failure(&target.resource) {
        state.stats.injected_failures += 1;
        outage_response(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
    } else {
        let ctx = Ctx {
            method: &method,
            division,
            division_segment: &target.division,
            resource: &target.resource,
            key: target.key.as_deref(),
            query: &query,
            body: &body,
            now,
            base_url: &shared.base_url,
            grant: &grant,
        };
        resources::dispatch(state, &ctx).unwrap_or_else(IntoResponse::into_response)
    };
    drop(guard);
    tracing::debug!(%method, path = %target.resource, status = response.status().as_u16(), "exact sim: api call");
    with_headers(response, &rate_headers)
}

/// `GET /docs/SysAttachment.aspx?ID=…&_Division_=…[&Download=1]`: an attachment's bytes.
pub(crate) async fn download(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params: HashMap<String, String> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let now = shared.now();
    let state = shared.lock();
    if let Err(failure) = state.oauth.check_access(oauth::bearer(&headers), now) {
        return unauthorized(failure);
    }
    let id = params.get("ID").and_then(|id| Uuid::parse_str(id).ok());
    let division = params.get("_Division_").and_then(|d| d.parse::<i32>().ok());
    let found = division
        .and_then(|d| state.divisions.get(&d))
        .and_then(|d| d.attachments.iter().find(|a| Some(a.id) == id));
    let Some(attachment) = found else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let content_type = match attachment
        .file_name
        .rsplit('.')
        .next()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("pdf") => "application/pdf",
        Some("xml") => "application/xml",
        _ => "application/octet-stream",
    };
    let mut response = Response::new(Body::from(attachment.bytes.clone()));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_split_division_resource_and_key() {
        let t = Target::parse(
            "/api/v1/100001/salesentry/SalesEntries(guid'0f8fad5b-d9cb-469f-a165-70867728950e')",
        )
        .unwrap();
        assert_eq!(t.division, "100001");
        assert_eq!(t.resource, "salesentry/SalesEntries");
        assert_eq!(
            t.key.as_deref(),
            Some("guid'0f8fad5b-d9cb-469f-a165-70867728950e'")
        );
        let t = Target::parse("/api/v1/current/Me").unwrap();
        assert_eq!(
            (t.division.as_str(), t.resource.as_str(), t.key),
            ("current", "Me", None)
        );
        assert_eq!(percent_decode("a%27b%2"), "a'b%2");
    }
}
