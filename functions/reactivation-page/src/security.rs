//! What keeps the page safe besides signatures: the response headers every answer carries
//! (a strict Content-Security-Policy without any script, no framing, no sniffing, no
//! caching of personal pages), the session cookie's attributes, and a per-client limit on
//! sign-in attempts.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

/// The Content-Security-Policy of every answer: own stylesheet only, no script at all, no
/// framing. Forms post to the page itself, and may be redirected only to the sign-in pages
/// of Teamleader and the ledgers offered (`sign_in_origins`: browsers apply `form-action`
/// to the redirects that follow a form, and "Connect" ends at the ledger's consent page).
pub fn content_security_policy(sign_in_origins: &[String]) -> HeaderValue {
    let mut form_action = String::from("'self'");
    for origin in sign_in_origins {
        form_action.push(' ');
        form_action.push_str(origin);
    }
    let policy = format!(
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action {form_action}; \
         frame-ancestors 'none'; base-uri 'none'"
    );
    HeaderValue::from_str(&policy).unwrap_or_else(|_| {
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        )
    })
}

/// The origin (`scheme://host[:port]`) of a URL, for the policy.
pub fn origin_of(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    match url.origin() {
        url::Origin::Tuple(..) => Some(url.origin().ascii_serialization()),
        url::Origin::Opaque(_) => None,
    }
}

/// Adds the security headers to every answer (`policy`: the Content-Security-Policy).
pub async fn headers(
    axum::extract::State(policy): axum::extract::State<HeaderValue>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    let mut set = |name: header::HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "same-origin");
    set(
        header::STRICT_TRANSPORT_SECURITY,
        "max-age=31536000; includeSubDomains",
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "koppel_session";
/// Name of the language cookie.
pub const LANGUAGE_COOKIE: &str = "koppel_lang";
/// How long a session lasts.
pub const SESSION_HOURS: i64 = 2;

/// A `Set-Cookie` value: HttpOnly, Secure, SameSite=Lax, path `/` (browsers keep Secure
/// cookies of http://localhost and 127.0.0.1, so the demo works too).
pub fn set_cookie(name: &str, value: &str, max_age_seconds: i64) -> String {
    format!("{name}={value}; Path=/; Max-Age={max_age_seconds}; HttpOnly; Secure; SameSite=Lax")
}

/// The value of cookie `name` in the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Who is asking, for rate limits: the first address of `X-Forwarded-For` (what a Lambda
/// function URL sets), else one shared bucket.
pub fn client_key(headers: &HeaderMap) -> String {
    headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "-".to_owned())
}

/// At most `limit` attempts per client in each window (per Lambda instance: it blunts a
/// burst, the OAuth provider's own limits do the rest).
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    seen: Mutex<HashMap<String, (DateTime<Utc>, u32)>>,
}

impl RateLimiter {
    /// A limiter of `limit` attempts per `window`.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Count an attempt of `client` at `now`; false when over the limit.
    pub fn allow(&self, client: &str, now: DateTime<Utc>) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() > 10_000 {
            seen.retain(|_, (start, _)| now - *start < self.window);
        }
        let entry = seen.entry(client.to_owned()).or_insert((now, 0));
        if now - entry.0 >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_limiter_counts_per_client_and_window() {
        let limiter = RateLimiter::new(2, Duration::minutes(1));
        let t0 = Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap();
        assert!(limiter.allow("a", t0));
        assert!(limiter.allow("a", t0));
        assert!(!limiter.allow("a", t0));
        assert!(limiter.allow("b", t0), "another client");
        assert!(limiter.allow("a", t0 + Duration::minutes(1)), "next window");
    }

    #[test]
    fn forms_may_lead_only_to_the_page_and_the_sign_in_origins() {
        let policy = content_security_policy(&[
            origin_of("https://focus.teamleader.eu/oauth2/authorize?x=1").unwrap(),
            origin_of("http://127.0.0.1:4100/api/oauth2/auth").unwrap(),
        ]);
        let policy = policy.to_str().unwrap();
        assert!(
            policy
                .contains("form-action 'self' https://focus.teamleader.eu http://127.0.0.1:4100;"),
            "{policy}"
        );
        assert!(policy.contains("default-src 'none'") && !policy.contains("script-src"));
        assert_eq!(origin_of("not a url"), None);
    }

    #[test]
    fn cookies_are_read_by_name() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=1; koppel_lang=fr; b=2".parse().unwrap());
        assert_eq!(cookie(&headers, LANGUAGE_COOKIE), Some("fr"));
        assert_eq!(cookie(&headers, SESSION_COOKIE), None);
        let set = set_cookie(SESSION_COOKIE, "v", 60);
        for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
            assert!(set.contains(attribute), "{set}");
        }
    }
}
