//! Turning an API's error body into the API's own words.
//!
//! Every API wraps its error text differently; the [`crate::ApiClient`] asks the API's
//! [`ErrorBodyParser`] (supplied by its client crate) for the message to show and whether a
//! 5xx answer is really a business refusal (some APIs answer rule violations with HTTP 500
//! and a message: retrying those would never help).

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

/// Longest body text quoted in an error message.
pub const MAX_PLAIN_TEXT: usize = 300;

/// The body as trimmed text, cut at [`MAX_PLAIN_TEXT`] characters; `None` when empty.
pub fn plain_text(body: &[u8]) -> Option<String> {
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
    fn plain_text_is_shortened() {
        let long = "x".repeat(1000);
        let text = PlainErrors.message(500, long.as_bytes()).unwrap();
        assert_eq!(text.chars().count(), MAX_PLAIN_TEXT + 1);
        assert_eq!(PlainErrors.message(500, b"  "), None);
    }
}
