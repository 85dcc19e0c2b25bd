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

    /// The words to show when this 4xx answer refuses the connection as a whole (no access
    /// to the administration, the user or the app blocked, rights withdrawn) rather than
    /// this one request; `None` (the default) when it is about the request.
    fn connection_refusal(
        &self,
        status: u16,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) -> Option<String> {
        let _ = (status, headers, body);
        None
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

/// The body as trimmed text, cut at [`MAX_PLAIN_TEXT`] characters; `None` when empty. An HTML
/// body (a proxy's or load balancer's error page) is reduced to its text: tags, scripts and
/// styles go, whitespace is collapsed, so the message reads as words and never as markup.
pub fn plain_text(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let text = without_markup(&text);
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

/// `text` without HTML tags (`<p>`, `</div>`, `<!DOCTYPE …>`, comments) and without the
/// content of `<script>` and `<style>`; tags become spaces and runs of whitespace one space.
/// Text without tags comes back unchanged apart from the whitespace; a `<` that does not
/// open a tag ("a < b") stays.
pub fn without_markup(text: &str) -> String {
    if !text.contains('<') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let opens_tag = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'));
        let Some(close) = after.find('>').filter(|_| opens_tag) else {
            out.push_str(&rest[..=open]);
            rest = after;
            continue;
        };
        out.push_str(&rest[..open]);
        out.push(' ');
        let tag = after[..close].to_ascii_lowercase();
        rest = &after[close + 1..];
        for hidden in ["script", "style"] {
            if tag.starts_with(hidden) {
                let end = format!("</{hidden}");
                rest = match rest.to_ascii_lowercase().find(&end) {
                    Some(at) => &rest[at..],
                    None => "",
                };
            }
        }
    }
    out.push_str(rest);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
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

    #[test]
    fn html_error_pages_are_read_as_their_words() {
        let page = b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title>\
            <style>body{color:red}</style></head><body><h1>502 Bad Gateway</h1>\
            <script>var x = 1 < 2;</script><p>nginx</p></body></html>";
        assert_eq!(
            plain_text(page).as_deref(),
            Some("502 Bad Gateway 502 Bad Gateway nginx")
        );
        assert_eq!(
            plain_text(b"a < b and c > d").as_deref(),
            Some("a < b and c > d")
        );
        assert_eq!(plain_text(b"x <unclosed").as_deref(), Some("x <unclosed"));
    }
}
