//! Octopus's own rules for the shared HTTP plumbing: its error body, and its (undocumented)
//! daily call limit.
//!
//! Octopus documents no rate headers. A spent daily budget is answered with HTTP 429 and a
//! `Retry-After` in seconds (the simulator's reading of the limit the reference notes as
//! unconfirmed, "48 calls a day" for the modified-bookings read); [`rate_limit`] turns it
//! into a spent "day" window so the rate gate reports a spent quota
//! ([`koppel_core::ExternalError::QuotaExhausted`]: the run pauses and resumes next time)
//! instead of sleeping until midnight.

use super::wire::ErrorBody;
use koppel_api::{ErrorBodyParser, RetryAfter, plain_text};
use koppel_core::Clock;
use std::sync::Arc;

/// Octopus's limit: `Retry-After` (seconds) names the spent day.
pub fn rate_limit(clock: Arc<dyn Clock>) -> RetryAfter {
    RetryAfter {
        clock,
        window: "day",
    }
}

/// `{"errorCode": n, "errorMessage": "…", "technicalInfo": "…"}`; the message, else the
/// technical info, else the body's text.
#[derive(Debug, Clone, Copy, Default)]
pub struct OctopusErrors;

impl ErrorBodyParser for OctopusErrors {
    fn message(&self, _status: u16, body: &[u8]) -> Option<String> {
        if let Ok(error) = serde_json::from_slice::<ErrorBody>(body) {
            let words = error
                .error_message
                .filter(|m| !m.trim().is_empty())
                .or(error.technical_info.filter(|m| !m.trim().is_empty()));
            if let Some(words) = words {
                return Some(words.trim().to_owned());
            }
        }
        plain_text(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use koppel_api::RateLimitPolicy;
    use koppel_api::rate::header_map;
    use koppel_core::memory::ManualClock;

    #[test]
    fn the_error_message_is_read_from_octopus_body() {
        let body = br#"{"errorCode":-79,"errorMessage":"Empty access token","technicalInfo":""}"#;
        assert_eq!(
            OctopusErrors.message(401, body).as_deref(),
            Some("Empty access token")
        );
        let body = br#"{"errorCode":-1,"errorMessage":"","technicalInfo":"NullPointer"}"#;
        assert_eq!(
            OctopusErrors.message(500, body).as_deref(),
            Some("NullPointer")
        );
        assert_eq!(
            OctopusErrors.message(500, b"  boom ").as_deref(),
            Some("boom")
        );
    }

    #[test]
    fn retry_after_is_a_spent_day_window() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-30T22:00:00Z")
            .unwrap()
            .to_utc();
        let policy = rate_limit(Arc::new(ManualClock::new(now)));
        let seen = policy.observe(&header_map(&[("retry-after", "3600")]));
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].remaining, Some(0));
        assert_eq!(seen[0].reset, Some(now + chrono::Duration::hours(1)));
        assert!(policy.observe(&header_map(&[])).is_empty());
    }
}
