//! Turning an API's error body into the API's own words.
//!
//! Every API wraps its error text differently; the [`crate::ApiClient`] asks an
//! [`ErrorBodyParser`] for the message to show and whether a 5xx answer is really a business
//! refusal (Exact answers rule violations with HTTP 500 and Dutch text: retrying those
//! would never help).

use serde::Deserialize;

/// Reads an API's error bodies.
pub trait ErrorBodyParser: Send + Sync {
    /// The API's own message in `body` (answered with `status`), if the body carries one.
    fn message(&self, status: u16, body: &[u8]) -> Option<String>;

    /// True when a 5xx answer is a refusal of the request itself (not a passing outage), so
    /// it must not be retried. Defaults to false.
    fn is_business_error(&self, status: u16, body: &[u8]) -> bool {
        let _ = (status, body);
        false
    }
}

/// For APIs without a known error format: the body's text, trimmed and shortened.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainErrors;

impl ErrorBodyParser for PlainErrors {
    fn message(&self, _status: u16, body: &[u8]) -> Option<String> {
        plain_text(body)
    }
}

/// Teamleader Focus: `{"errors":[{"title":"…","detail":"…","status":400,…}]}`.
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
            .filter(|text| !text.trim().is_empty())
            .collect();
        if texts.is_empty() {
            None
        } else {
            Some(texts.join("; "))
        }
    }
}

/// Exact Online: `{"error":{"code":"","message":{"lang":"","value":"…"}}}`. A 5xx with a
/// message value is a business refusal (Exact's way of saying "this entry is not valid").
#[derive(Debug, Clone, Copy, Default)]
pub struct ExactErrors;

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
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }
}

impl ErrorBodyParser for ExactErrors {
    fn message(&self, _status: u16, body: &[u8]) -> Option<String> {
        Self::value(body).or_else(|| plain_text(body))
    }

    fn is_business_error(&self, status: u16, body: &[u8]) -> bool {
        (500..600).contains(&status) && Self::value(body).is_some()
    }
}

/// Longest body text quoted in an error message.
const MAX_PLAIN_TEXT: usize = 300;

/// The body as trimmed text, cut at [`MAX_PLAIN_TEXT`] characters; `None` when empty.
pub(crate) fn plain_text(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut short: String = text.chars().take(MAX_PLAIN_TEXT).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    Some(short)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teamleader_titles_are_joined() {
        let body = br#"{"errors":[{"title":"Invalid data","detail":"name is required","status":400},{"title":"Other"}]}"#;
        assert_eq!(
            TeamleaderErrors.message(400, body).as_deref(),
            Some("Invalid data: name is required; Other")
        );
        assert_eq!(TeamleaderErrors.message(400, b"not json"), None);
        assert!(!TeamleaderErrors.is_business_error(500, body));
    }

    #[test]
    fn exact_message_value_is_a_business_error_on_500() {
        let body =
            br#"{"error":{"code":"","message":{"lang":"","value":"Dagboek: 70 - Bestaat niet"}}}"#;
        assert_eq!(
            ExactErrors.message(500, body).as_deref(),
            Some("Dagboek: 70 - Bestaat niet")
        );
        assert!(ExactErrors.is_business_error(500, body));
        assert!(!ExactErrors.is_business_error(500, b"<html>Service Unavailable</html>"));
        assert!(!ExactErrors.is_business_error(500, b""));
        assert_eq!(
            ExactErrors
                .message(503, b"<html>Service Unavailable</html>")
                .as_deref(),
            Some("<html>Service Unavailable</html>")
        );
    }

    #[test]
    fn plain_text_is_shortened() {
        let long = "x".repeat(1000);
        let text = PlainErrors.message(500, long.as_bytes()).unwrap();
        assert_eq!(text.chars().count(), MAX_PLAIN_TEXT + 1);
        assert_eq!(PlainErrors.message(500, b"  "), None);
    }
}
