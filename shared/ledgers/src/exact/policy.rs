//! Exact Online's own rules for the shared HTTP plumbing: its rate-limit headers (a minute
//! and a day window), its error bodies (business refusals answered as HTTP 500), its token
//! timings and its "too early to refresh" answer.

use super::refusals;
use koppel_api::rate::{epoch_millis, keep_if_any, number};
use koppel_api::{
    ErrorBodyParser, GrantRefusal, HeaderMap, RateLimitPolicy, TokenTimings, WindowObservation,
    plain_text,
};
use serde::Deserialize;
use std::time::Duration;

/// `X-RateLimit-Minutely-Limit/Remaining/Reset` (minute window) and
/// `X-RateLimit-Limit/Remaining/Reset` (daily window); resets are epoch milliseconds. A 429
/// carries only the spent window's headers, or none.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExactRateLimit;

impl RateLimitPolicy for ExactRateLimit {
    fn observe(&self, headers: &HeaderMap) -> Vec<WindowObservation> {
        let minute = WindowObservation {
            window: "minute",
            limit: number(headers, "x-ratelimit-minutely-limit"),
            remaining: number(headers, "x-ratelimit-minutely-remaining"),
            reset: number(headers, "x-ratelimit-minutely-reset").and_then(epoch_millis),
        };
        let day = WindowObservation {
            window: "day",
            limit: number(headers, "x-ratelimit-limit"),
            remaining: number(headers, "x-ratelimit-remaining"),
            reset: number(headers, "x-ratelimit-reset").and_then(epoch_millis),
        };
        [minute, day].into_iter().filter_map(keep_if_any).collect()
    }
}

/// `{"error":{"code":"","message":{"lang":"","value":"…"}}}`.
///
/// - A **500** with a message value is a business refusal (Exact's way of saying "this entry
///   is not valid": "Verplicht: Factuur voor", "Periode is afgesloten", see the reference
///   notes): never retried, the document fails with Exact's words. Unless the words are an
///   outage's ("Internal server error", "Service unavailable", "try again later",
///   maintenance): then it is an outage like any other 5xx.
/// - A **502, 503, 504** (any 5xx but 500) is an outage whatever its body, Exact's JSON error
///   included: retried, and the run pauses when it persists.
/// - A **403** refuses the connection, not the request: Exact answers it for a division the
///   user may not use (`Forbidden - WrongDivision`), a blocked user, customer or division,
///   an expired licence, a scope the app was not granted (`Reason` header: `BlockedUser`,
///   `NoDivisionAccess`, …). Every other call would get it too, and each counts towards
///   Exact's limit of 10 errors per endpoint per hour; the export stops instead.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExactErrors;

/// Words in a 500's message that say "outage", not "this request is wrong" (lower case).
const OUTAGE_WORDS: &[&str] = &[
    "internal server error",
    "service unavailable",
    "temporarily",
    "try again",
    "timeout",
    "time-out",
    "timed out",
    "maintenance",
    "onderhoud",
    "maintenance en cours",
    "bad gateway",
    "an error has occurred",
    "er is een fout opgetreden",
    "une erreur est survenue",
];

#[derive(Deserialize)]
struct ExactBody {
    error: ExactError,
}

#[derive(Deserialize)]
struct ExactError {
    message: Option<ExactMessage>,
}

#[derive(Deserialize)]
struct ExactMessage {
    value: Option<String>,
}

impl ExactErrors {
    fn value(body: &[u8]) -> Option<String> {
        let parsed: ExactBody = serde_json::from_slice(body).ok()?;
        parsed
            .error
            .message?
            .value
            // Exact's words as plain text: people read them, markup included or not.
            .and_then(|v| plain_text(v.as_bytes()))
    }
}

impl ErrorBodyParser for ExactErrors {
    fn message(&self, _status: u16, body: &[u8]) -> Option<String> {
        Self::value(body).or_else(|| plain_text(body))
    }

    fn is_business_error(&self, status: u16, body: &[u8]) -> bool {
        status == 500
            && Self::value(body).is_some_and(|value| {
                let lower = value.to_lowercase();
                !OUTAGE_WORDS.iter().any(|words| lower.contains(words))
            })
    }

    fn connection_refusal(&self, status: u16, headers: &HeaderMap, body: &[u8]) -> Option<String> {
        if status != 403 {
            return None;
        }
        let value = Self::value(body);
        let reason = headers
            .get("reason")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|r| !r.is_empty() && !value.as_deref().is_some_and(|v| v.contains(r)));
        let words = match (value, reason) {
            (Some(value), Some(reason)) => format!("{value} ({reason})"),
            (Some(value), None) => value,
            (None, Some(reason)) => format!("Forbidden ({reason})"),
            (None, None) => "Forbidden".to_owned(),
        };
        let words = refusals::tidy(&words);
        Some(format!(
            "{words} — {}.",
            refusals::connection_advice(&words).en
        ))
    }
}

/// 10-minute access tokens, refreshed 30 s before expiry and never before 9.5 minutes of age
/// (Exact refuses earlier refreshes); refresh tokens are single-use.
pub const TOKEN_TIMINGS: TokenTimings = TokenTimings {
    token_lifetime: Duration::from_secs(600),
    refresh_margin: Duration::from_secs(30),
    min_token_age: Duration::from_secs(570),
};

/// Exact's "too early": `Reason: TooEarlyToRefreshTokens`, or `access_denied` saying the
/// access token has "not expired". The current access token stays good then.
pub fn too_early(refusal: &GrantRefusal<'_>) -> bool {
    refusal
        .reason
        .is_some_and(|reason| reason.eq_ignore_ascii_case("TooEarlyToRefreshTokens"))
        || (refusal.code == "access_denied"
            && refusal.detail.to_ascii_lowercase().contains("not expired"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use koppel_api::rate::header_map as headers;

    #[test]
    fn rate_headers_are_read_in_epoch_millis() {
        let observed = ExactRateLimit.observe(&headers(&[
            ("X-RateLimit-Limit", "9000"),
            ("X-RateLimit-Remaining", "8000"),
            ("X-RateLimit-Reset", "1638489600000"),
            ("X-RateLimit-Minutely-Limit", "100"),
            ("X-RateLimit-Minutely-Remaining", "0"),
            ("X-RateLimit-Minutely-Reset", "1638447360000"),
        ]));
        assert_eq!(observed.len(), 2);
        assert_eq!(observed[0].window, "minute");
        assert_eq!(observed[0].remaining, Some(0));
        assert_eq!(
            observed[0].reset.map(|r| r.to_rfc3339()),
            Some("2021-12-02T12:16:00+00:00".to_owned())
        );
        assert_eq!(observed[1].window, "day");
        assert_eq!(observed[1].limit, Some(9000));
        // A 429 with only the minute window's headers.
        let only_minute = ExactRateLimit.observe(&headers(&[
            ("X-RateLimit-Minutely-Remaining", "0"),
            ("X-RateLimit-Minutely-Reset", "1638447360000"),
        ]));
        assert_eq!(only_minute.len(), 1);
        assert_eq!(only_minute[0].window, "minute");
    }

    #[test]
    fn a_message_value_on_500_is_a_business_refusal() {
        let body =
            br#"{"error":{"code":"","message":{"lang":"","value":"Dagboek: 70 - Bestaat niet"}}}"#;
        assert_eq!(
            ExactErrors.message(500, body).as_deref(),
            Some("Dagboek: 70 - Bestaat niet")
        );
        assert!(ExactErrors.is_business_error(500, body));
        assert!(
            !ExactErrors.is_business_error(503, body),
            "only a 500 refuses"
        );
        assert!(!ExactErrors.is_business_error(502, body));
        let outage = br#"{"error":{"code":"","message":{"lang":"","value":"Internal server error. Please try again later."}}}"#;
        assert!(!ExactErrors.is_business_error(500, outage));
        assert!(!ExactErrors.is_business_error(500, b"<html>Service Unavailable</html>"));
        assert!(!ExactErrors.is_business_error(500, b""));
        // A web page's words reach no report as markup: the client shows a status text
        // for it (`koppel_api::client::is_web_page`).
        assert!(
            ExactErrors
                .message(503, b"<html>Service Unavailable</html>")
                .is_some_and(|m| m.contains("Service Unavailable"))
        );
    }

    #[test]
    fn a_403_refuses_the_connection_and_says_what_to_do() {
        let body =
            br#"{"error":{"code":"","message":{"lang":"","value":"Forbidden - WrongDivision"}}}"#;
        let words = ExactErrors
            .connection_refusal(403, &HeaderMap::new(), body)
            .unwrap();
        assert!(
            words.starts_with("Forbidden - WrongDivision — ") && words.contains("administration"),
            "{words}"
        );
        let by_header = ExactErrors
            .connection_refusal(403, &headers(&[("Reason", "BlockedUser")]), b"")
            .unwrap();
        assert!(
            by_header.starts_with("Forbidden (BlockedUser) — "),
            "{by_header}"
        );
        let page = ExactErrors
            .connection_refusal(
                403,
                &HeaderMap::new(),
                b"<html><body>Forbidden</body></html>",
            )
            .unwrap();
        assert!(!page.contains('<'), "{page}");
        assert_eq!(
            ExactErrors.connection_refusal(400, &HeaderMap::new(), body),
            None
        );
    }

    #[test]
    fn too_early_is_recognised_by_header_or_words() {
        let by_header = GrantRefusal {
            status: 400,
            reason: Some("TooEarlyToRefreshTokens"),
            code: "",
            detail: "",
        };
        let by_words = GrantRefusal {
            status: 400,
            reason: None,
            code: "access_denied",
            detail: "Rate limit exceeded: access_token not expired",
        };
        let dead = GrantRefusal {
            status: 400,
            reason: None,
            code: "invalid_grant",
            detail: "Old refresh token used.",
        };
        assert!(too_early(&by_header));
        assert!(too_early(&by_words));
        assert!(!too_early(&dead));
    }
}
