//! Octopus' refusals: every error is `{"errorCode": int, "errorMessage": "…",
//! "technicalInfo": "…"}` with `application/json`.

use axum::Json;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Error code: bad credentials.
pub const BAD_CREDENTIALS: i32 = -1;
/// Error code: no access to the dossier.
pub const NO_ACCESS: i32 = -3;
/// Error code: a request that fails validation (bad parameter, body or business rule).
pub const INVALID: i32 = -10;
/// Error code: journal not found (or not synchronised).
pub const JOURNAL_NOT_FOUND: i32 = -20;
/// Error code: no relations match.
pub const NO_RELATIONS: i32 = -30;
/// Error code: journal in use by another user.
pub const JOURNAL_IN_USE: i32 = -40;
/// Error code: the document number is already booked in the journal.
pub const DUPLICATE_DOCUMENT: i32 = -50;
/// Error code: `/modified` found nothing.
pub const NO_MODIFIED: i32 = -60;
/// Error code: a booking read by key does not exist.
pub const BOOKING_NOT_FOUND: i32 = -61;
/// Error code: no such endpoint.
pub const NO_ENDPOINT: i32 = -70;
/// Error code: no token header.
pub const EMPTY_TOKEN: i32 = -79;
/// Error code: unknown, expired or wrong-dossier token.
pub const INVALID_TOKEN: i32 = -81;
/// Error code: the daily call budget is spent.
pub const BUDGET: i32 = -90;
/// Error code: an injected server error.
pub const SERVER_ERROR: i32 = -500;

/// The error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// Octopus error code (negative).
    pub error_code: i32,
    /// Human-readable message.
    pub error_message: String,
    /// Extra detail.
    pub technical_info: String,
}

/// A refusal: status plus error body, or a lost answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ApiError {
    /// An ordinary error answer.
    Answer {
        status: StatusCode,
        body: ErrorBody,
        retry_after: Option<i64>,
    },
    /// An injected outage page (HTML, as a proxy would answer).
    Html(StatusCode),
    /// The work was done but the connection is dropped before the answer.
    LostAnswer,
}

impl ApiError {
    /// An error answer with an empty `technicalInfo`.
    pub(crate) fn new(status: StatusCode, code: i32, message: impl Into<String>) -> Self {
        Self::Answer {
            status,
            body: ErrorBody {
                error_code: code,
                error_message: message.into(),
                technical_info: String::new(),
            },
            retry_after: None,
        }
    }

    /// 400 with [`INVALID`].
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, INVALID, message)
    }

    /// 401 "Empty access token".
    pub(crate) fn empty_token() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, EMPTY_TOKEN, "Empty access token")
    }

    /// 401 "Invalid or expired token".
    pub(crate) fn invalid_token() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            INVALID_TOKEN,
            "Invalid or expired token",
        )
    }

    /// The status this error answers with (0 for a lost answer).
    pub(crate) fn status(&self) -> u16 {
        match self {
            Self::Answer { status, .. } | Self::Html(status) => status.as_u16(),
            Self::LostAnswer => 0,
        }
    }

    /// The error code (0 when there is no error body).
    pub(crate) fn code(&self) -> i32 {
        match self {
            Self::Answer { body, .. } => body.error_code,
            _ => 0,
        }
    }
}

/// A response whose body fails before anything is written: the connection is dropped and
/// the client never sees a status line.
fn dropped_connection() -> Response {
    let failing = futures::stream::once(async {
        Err::<axum::body::Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "simulated lost answer after commit",
        ))
    });
    Response::new(Body::from_stream(failing))
}

const OUTAGE_PAGE: &str = "<!DOCTYPE html><html><head><title>Service Unavailable</title></head>\
<body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your request.</p>\
</body></html>";

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Answer {
                status,
                body,
                retry_after,
            } => {
                let mut response = (status, Json(body)).into_response();
                if let Some(seconds) = retry_after
                    && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
                {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                response
            }
            Self::Html(status) => {
                let mut response = (status, OUTAGE_PAGE).into_response();
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                );
                response
            }
            Self::LostAnswer => dropped_connection(),
        }
    }
}
