//! Answers several endpoints share: the bearer token of a request, a 401, an injected outage
//! and a connection dropped after the work was done.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::tokens::BearerRefusal;

/// The token of an `Authorization: Bearer …` header.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// HTTP 401 `{"error":"invalid_token","error_description":…}` with a `WWW-Authenticate`
/// header.
pub(crate) fn unauthorized(refusal: BearerRefusal) -> Response {
    let description = refusal.description();
    let mut response = (
        StatusCode::UNAUTHORIZED,
        Json(json!({"error": "invalid_token", "error_description": description})),
    )
        .into_response();
    let challenge = format!(
        "Bearer realm=\"Service\", error=\"invalid_token\", error_description=\"{description}\""
    );
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

const OUTAGE_PAGE: &str = "<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head>\
<body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your request.</p>\
</body></html>";

/// An injected failure: 401 as a revoked token, else `status` with a plain text or HTML body.
pub(crate) fn outage(status: u16, html: bool) -> Response {
    if status == 401 {
        return unauthorized(BearerRefusal::Revoked);
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if html {
        let mut response = (status, OUTAGE_PAGE).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        return response;
    }
    (status, "Internal Server Error").into_response()
}

/// A response whose body fails: the client sees the connection reset after the work was done.
pub(crate) fn dropped_connection() -> Response {
    let failing = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "simulated lost answer",
        ))
    });
    Response::new(Body::from_stream(failing))
}
