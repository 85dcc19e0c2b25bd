//! Exact's refusals, rendered the way Exact renders them.
//!
//! Every error body is `{"error":{"code":"","message":{"lang":"","value":"…"}}}`. Query and
//! payload problems are HTTP 400 with English text from the OData layer; business rules are
//! HTTP 500 with localized (here Dutch) text, several lines joined by `\r\n`.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::options::CrashMode;

/// Prefix of every malformed-payload message.
pub(crate) const STREAM_ERROR: &str = "Error processing request stream.";

/// Everything a request can fail with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ApiError {
    /// 400: bad query option or payload.
    BadRequest(String),
    /// 403: no access to the division or resource.
    Forbidden(String),
    /// 404: unknown resource or key.
    NotFound(String),
    /// 405: the resource exists but not with this method.
    MethodNotAllowed(String),
    /// 500 with business-rule messages (joined by `\r\n`).
    Business(Vec<String>),
    /// The "crash after commit" fault: the work was done, the answer is lost.
    CrashAfterCommit(CrashMode),
}

impl ApiError {
    /// A payload that is not a JSON object.
    pub(crate) fn not_an_object() -> Self {
        Self::BadRequest(format!(
            "{STREAM_ERROR} The request should be a valid top-level resource object."
        ))
    }

    /// A payload value that cannot be converted to the property's type.
    pub(crate) fn conversion(property: &str, clr_type: &str) -> Self {
        Self::BadRequest(format!(
            "{STREAM_ERROR} Error encountered in converting the value from request payload for \
             property '{property}' to type '{clr_type}', which is the property type. See inner \
             exception for more detail."
        ))
    }

    /// A payload property the entity does not have.
    pub(crate) fn unknown_property(property: &str, entity_type: &str) -> Self {
        Self::BadRequest(format!(
            "{STREAM_ERROR} The property name '{property}' specified for type '{entity_type}' \
             is not valid."
        ))
    }
}

/// The standard error body with `value` as the message.
pub(crate) fn error_body(value: &str) -> serde_json::Value {
    json!({"error": {"code": "", "message": {"lang": "", "value": value}}})
}

/// A JSON response with Exact's error body.
pub(crate) fn error_response(status: StatusCode, value: &str) -> Response {
    let mut response = (status, axum::Json(error_body(value))).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// A 500 like a load balancer or crashed worker gives: no JSON error, so clients retry it.
pub(crate) fn outage_response(status: StatusCode) -> Response {
    (status, "Internal Server Error").into_response()
}

/// A response whose body fails before anything is written: the connection is dropped and
/// the client never sees a status line.
fn dropped_connection() -> Response {
    let failing = futures::stream::once(async {
        Err::<axum::body::Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "simulated crash after commit",
        ))
    });
    Response::new(Body::from_stream(failing))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::BadRequest(m) => error_response(StatusCode::BAD_REQUEST, &m),
            Self::Forbidden(m) => error_response(StatusCode::FORBIDDEN, &m),
            Self::NotFound(m) => error_response(StatusCode::NOT_FOUND, &m),
            Self::MethodNotAllowed(m) => error_response(StatusCode::METHOD_NOT_ALLOWED, &m),
            Self::Business(lines) => {
                let mut unique: Vec<String> = Vec::with_capacity(lines.len());
                for line in lines {
                    if !unique.contains(&line) {
                        unique.push(line);
                    }
                }
                error_response(StatusCode::INTERNAL_SERVER_ERROR, &unique.join("\r\n"))
            }
            Self::CrashAfterCommit(CrashMode::InternalError) => {
                outage_response(StatusCode::INTERNAL_SERVER_ERROR)
            }
            Self::CrashAfterCommit(CrashMode::DropConnection) => dropped_connection(),
        }
    }
}
