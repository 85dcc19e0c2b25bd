//! Teamleader Focus's own rules for the shared HTTP plumbing: its rate-limit headers, its
//! error bodies and its token timings.

use chrono::{DateTime, Utc};
use koppel_api::rate::{keep_if_any, number, parse_iso_or_epoch, text};
use koppel_api::{
    ErrorBodyParser, HeaderMap, RateLimitPolicy, TokenSourceConfig, TokenTimings,
    WindowObservation, plain_text,
};
use koppel_core::ConnectionId;
use serde::Deserialize;
use std::time::Duration;

/// `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (an ISO-8601
/// datetime) for a sliding one-minute window.
#[derive(Debug, Clone, Copy, Default)]
pub struct TeamleaderRateLimit;

impl RateLimitPolicy for TeamleaderRateLimit {
    fn observe(&self, headers: &HeaderMap) -> Vec<WindowObservation> {
        let reset: Option<DateTime<Utc>> =
            text(headers, "x-ratelimit-reset").and_then(parse_iso_or_epoch);
        keep_if_any(WindowObservation {
            window: "minute",
            limit: number(headers, "x-ratelimit-limit"),
            remaining: number(headers, "x-ratelimit-remaining"),
            reset,
        })
        .into_iter()
        .collect()
    }
}

/// `{"errors":[{"title":"…","detail":"…","status":400,…}]}`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TeamleaderErrors;

#[derive(Deserialize)]
struct TeamleaderBody {
    #[serde(default)]
    errors: Vec<TeamleaderError>,
}

#[derive(Deserialize)]
struct TeamleaderError {
    title: Option<String>,
    detail: Option<String>,
}

impl ErrorBodyParser for TeamleaderErrors {
    fn message(&self, _status: u16, body: &[u8]) -> Option<String> {
        let parsed: TeamleaderBody = serde_json::from_slice(body).ok()?;
        let texts: Vec<String> = parsed
            .errors
            .into_iter()
            .filter_map(|error| match (error.title, error.detail) {
                (Some(title), Some(detail)) if !detail.is_empty() && detail != title => {
                    Some(format!("{title}: {detail}"))
                }
                (Some(title), _) => Some(title),
                (None, detail) => detail,
            })
            // Read as plain text: a title may carry markup, and people read these words.
            .filter_map(|text| plain_text(text.as_bytes()))
            .collect();
        if texts.is_empty() {
            None
        } else {
            Some(texts.join("; "))
        }
    }
}

/// One-hour access tokens, refreshed 5 minutes before expiry, no minimum age.
pub const TOKEN_TIMINGS: TokenTimings = TokenTimings {
    token_lifetime: Duration::from_secs(3600),
    refresh_margin: Duration::from_secs(5 * 60),
    min_token_age: Duration::ZERO,
};

/// Token settings for a connection whose Teamleader tokens live in `secret_name`.
pub fn token_config(secret_name: impl Into<String>, connection: ConnectionId) -> TokenSourceConfig {
    TokenSourceConfig::new(secret_name, connection, TOKEN_TIMINGS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use koppel_api::HeaderMap;
    use koppel_api::rate::header_map as headers;

    #[test]
    fn rate_headers_are_read() {
        let observed = TeamleaderRateLimit.observe(&headers(&[
            ("X-RateLimit-Limit", "200"),
            ("X-RateLimit-Remaining", "17"),
            ("X-RateLimit-Reset", "2026-02-08T11:09:08+00:00"),
        ]));
        assert_eq!(observed.len(), 1);
        assert_eq!(observed[0].window, "minute");
        assert_eq!(observed[0].limit, Some(200));
        assert_eq!(observed[0].remaining, Some(17));
        assert_eq!(
            observed[0].reset.map(|r| r.to_rfc3339()),
            Some("2026-02-08T11:09:08+00:00".to_owned())
        );
        assert!(TeamleaderRateLimit.observe(&HeaderMap::new()).is_empty());
    }

    #[test]
    fn error_titles_are_joined() {
        let body = br#"{"errors":[{"title":"Invalid data","detail":"name is required","status":400},{"title":"Other"}]}"#;
        assert_eq!(
            TeamleaderErrors.message(400, body).as_deref(),
            Some("Invalid data: name is required; Other")
        );
        assert_eq!(TeamleaderErrors.message(400, b"not json"), None);
        assert!(!TeamleaderErrors.is_business_error(500, body));
    }

    #[test]
    fn tokens_live_an_hour_and_refresh_five_minutes_early() {
        let config = token_config("koppel/c1/teamleader", ConnectionId::new("c1"));
        assert_eq!(config.token_lifetime, Duration::from_secs(3600));
        assert_eq!(config.refresh_margin, Duration::from_secs(300));
        assert_eq!(config.min_token_age, Duration::ZERO);
    }
}
