//! Sending one request to an outside API through auth, rate gate and retries, and turning
//! every failure into an [`ExternalError`] the use-cases can act on.

use crate::error_body::{ErrorBodyParser, PlainErrors};
use crate::{ApiResponse, RateGate, RequestAuth, RetryPolicy, TokenSource};
use koppel_core::{Clock, Deadline, ExternalError};
use reqwest::header::HeaderMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tracing::Instrument;

/// Real-time timeout of one request (set per request in the builder closure to change it).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// One outside API as seen by one connection: HTTP client, optional [`TokenSource`],
/// [`RateGate`], [`RetryPolicy`] and [`ErrorBodyParser`]. Cheap to clone; clones share the
/// gate, the tokens and the call counter.
#[derive(Clone)]
pub struct ApiClient {
    inner: Arc<Inner>,
}

struct Inner {
    system: &'static str,
    base_url: String,
    http: reqwest::Client,
    tokens: Option<TokenSource>,
    auth: Option<Arc<dyn RequestAuth>>,
    gate: RateGate,
    retry: RetryPolicy,
    errors: Arc<dyn ErrorBodyParser>,
    clock: Arc<dyn Clock>,
    deadline: Deadline,
    sends_once: bool,
    calls: AtomicU64,
}

impl fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClient")
            .field("system", &self.inner.system)
            .field("base_url", &self.inner.base_url)
            .field("calls", &self.calls())
            .finish_non_exhaustive()
    }
}

/// Builds an [`ApiClient`]; see [`ApiClient::builder`].
pub struct ApiClientBuilder {
    system: &'static str,
    base_url: String,
    clock: Arc<dyn Clock>,
    http: Option<reqwest::Client>,
    tokens: Option<TokenSource>,
    auth: Option<Arc<dyn RequestAuth>>,
    gate: Option<RateGate>,
    retry: RetryPolicy,
    errors: Arc<dyn ErrorBodyParser>,
    deadline: Deadline,
    sends_once: bool,
}

impl ApiClientBuilder {
    /// No wait of this client (rate window, backoff) runs past `deadline`: such a wait is
    /// answered with [`ExternalError::NoTimeLeft`] so the job can hand over in time.
    pub fn deadline(mut self, deadline: Deadline) -> Self {
        self.deadline = deadline;
        self
    }

    /// This client sends requests that must apply at most once (a POST that books an
    /// entry): never re-sent after a failure that may have reached the server, and such a
    /// failure (timeout, dropped connection, a 5xx that is not a refusal) is
    /// [`ExternalError::OutcomeUnknown`] so the caller looks the result up instead. A 401 or
    /// 429 is still re-sent: the server applied nothing then.
    pub fn sends_once(mut self) -> Self {
        self.sends_once = true;
        self.retry = RetryPolicy::never();
        self
    }

    /// Authenticate every request with a bearer token from `tokens`.
    pub fn tokens(mut self, tokens: TokenSource) -> Self {
        self.auth = Some(Arc::new(tokens.clone()));
        self.tokens = Some(tokens);
        self
    }

    /// Authenticate every request with `auth`'s own scheme (an API whose credential is not an
    /// OAuth bearer token).
    pub fn auth(mut self, auth: Arc<dyn RequestAuth>) -> Self {
        self.auth = Some(auth);
        self.tokens = None;
        self
    }

    /// Obey this rate gate (default: [`RateGate::unlimited`]).
    pub fn gate(mut self, gate: RateGate) -> Self {
        self.gate = Some(gate);
        self
    }

    /// Retry transient failures by this policy (default: [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Read error bodies with this parser (default: [`PlainErrors`]).
    pub fn errors(mut self, errors: impl ErrorBodyParser + 'static) -> Self {
        self.errors = Arc::new(errors);
        self
    }

    /// Use this HTTP client (default: one with a [`DEFAULT_TIMEOUT`]).
    pub fn http(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The client.
    pub fn build(self) -> ApiClient {
        let http = self.http.unwrap_or_else(|| {
            reqwest::Client::builder()
                .timeout(DEFAULT_TIMEOUT)
                .connect_timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default()
        });
        let gate = self
            .gate
            .unwrap_or_else(|| RateGate::unlimited(self.system, self.clock.clone()));
        ApiClient {
            inner: Arc::new(Inner {
                system: self.system,
                base_url: self.base_url.trim_end_matches('/').to_owned(),
                http,
                tokens: self.tokens,
                auth: self.auth,
                gate,
                retry: self.retry,
                errors: self.errors,
                clock: self.clock,
                deadline: self.deadline,
                sends_once: self.sends_once,
                calls: AtomicU64::new(0),
            }),
        }
    }
}

/// An attempt that did not produce an answer to return, worth another try after a backoff
/// (5xx, timeout, connection error).
struct Transient {
    /// What went wrong.
    detail: String,
    /// The request may have reached the server (and been applied).
    maybe_applied: bool,
}

impl ApiClient {
    /// Start building a client for `system` (the API's name as users know it) at
    /// `base_url`, sleeping on `clock` for backoffs and rate waits.
    pub fn builder(
        system: &'static str,
        base_url: impl Into<String>,
        clock: Arc<dyn Clock>,
    ) -> ApiClientBuilder {
        ApiClientBuilder {
            system,
            base_url: base_url.into(),
            clock,
            http: None,
            tokens: None,
            auth: None,
            gate: None,
            retry: RetryPolicy::default(),
            errors: Arc::new(PlainErrors),
            deadline: Deadline::none(),
            sends_once: false,
        }
    }

    /// System name.
    pub fn system(&self) -> &'static str {
        self.inner.system
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// `base_url` joined with `path` ("invoices.list", "/api/v1/123/crm/Accounts").
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.inner.base_url, path.trim_start_matches('/'))
    }

    /// Requests sent over HTTP by this client and its clones (retries included).
    pub fn calls(&self) -> u64 {
        self.inner.calls.load(Ordering::Relaxed)
    }

    /// The rate gate (for its stats).
    pub fn gate(&self) -> &RateGate {
        &self.inner.gate
    }

    /// The token source, when requests are authenticated.
    /// The deadline no wait of this client runs past.
    pub fn deadline(&self) -> Deadline {
        self.inner.deadline
    }

    /// The client's token source, if it authenticates with OAuth bearer tokens.
    pub fn tokens(&self) -> Option<&TokenSource> {
        self.inner.tokens.as_ref()
    }

    /// The client's authentication, whatever its scheme.
    pub fn auth(&self) -> Option<&Arc<dyn RequestAuth>> {
        self.inner.auth.as_ref()
    }

    /// Send the request made by `build` (called again for every attempt) for `endpoint` (a
    /// name for logs and errors, e.g. "invoices.list"). Adds the client's credential (its
    /// [`RequestAuth`]: `Authorization: Bearer` for OAuth APIs), waits at the rate gate,
    /// retries transient failures, gets a new credential once after a 401, waits out 429s. A 2xx answer is returned; anything else becomes an [`ExternalError`]:
    /// 404 → `NotFound`, other 4xx and business 5xx → `Rejected`, a spent quota →
    /// `QuotaExhausted`, persistent 5xx/timeouts → `Unavailable`, a dead refresh token →
    /// `NeedsReauth`.
    pub async fn send(
        &self,
        endpoint: &str,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync,
    ) -> Result<ApiResponse, ExternalError> {
        let span = tracing::info_span!(
            "api_call",
            system = self.inner.system,
            endpoint,
            status = tracing::field::Empty,
            attempt = tracing::field::Empty
        );
        let build = |http: &reqwest::Client, _: Option<&str>| build(http);
        self.send_inner(endpoint, &build).instrument(span).await
    }

    /// [`Self::send`] for APIs that carry the credential inside the request itself (a SOAP
    /// header in the body): `build` gets the current credential of the client's
    /// [`RequestAuth`] (`None` without one) for every attempt, and the auth's
    /// [`RequestAuth::apply`] is still called. After a 401 the credential is invalidated and
    /// the request built again with a new one, as for every API.
    pub async fn send_carrying_credential(
        &self,
        endpoint: &str,
        build: impl Fn(&reqwest::Client, Option<&str>) -> reqwest::RequestBuilder + Send + Sync,
    ) -> Result<ApiResponse, ExternalError> {
        let span = tracing::info_span!(
            "api_call",
            system = self.inner.system,
            endpoint,
            status = tracing::field::Empty,
            attempt = tracing::field::Empty
        );
        self.send_inner(endpoint, &build).instrument(span).await
    }

    async fn send_inner(
        &self,
        endpoint: &str,
        build: &(dyn Fn(&reqwest::Client, Option<&str>) -> reqwest::RequestBuilder + Send + Sync),
    ) -> Result<ApiResponse, ExternalError> {
        let inner = &self.inner;
        let span = tracing::Span::current();
        let mut attempt: u32 = 0;
        let mut failures: u32 = 0;
        let mut throttles: u32 = 0;
        let mut refreshed_after_401 = false;
        loop {
            attempt += 1;
            span.record("attempt", attempt);
            inner.gate.acquire(&inner.deadline).await?;
            let token = match &inner.auth {
                Some(auth) => Some(auth.credential().await?),
                None => None,
            };
            let mut request = build(&inner.http, token.as_deref());
            if let (Some(auth), Some(token)) = (&inner.auth, &token) {
                request = auth.apply(request, token);
            }
            inner.calls.fetch_add(1, Ordering::Relaxed);
            let outcome = match request.send().await {
                Err(error) if error.is_builder() => {
                    return Err(ExternalError::Unavailable {
                        system: inner.system,
                        detail: format!("request for {endpoint} could not be built: {error}"),
                    });
                }
                Err(error) => Transient {
                    detail: describe_transport(&error),
                    maybe_applied: !error.is_connect(),
                },
                Ok(response) => {
                    let status = response.status().as_u16();
                    span.record("status", status);
                    let headers = response.headers().clone();
                    inner.gate.observe(&headers);
                    match response.bytes().await {
                        Err(error) => Transient {
                            detail: format!(
                                "reading the answer failed: {}",
                                describe_transport(&error)
                            ),
                            maybe_applied: true,
                        },
                        Ok(body) => {
                            let body = body.to_vec();
                            match status {
                                200..=299 => {
                                    tracing::debug!(status, attempt, "answered");
                                    return Ok(ApiResponse {
                                        system: inner.system,
                                        endpoint: endpoint.to_owned(),
                                        status,
                                        headers,
                                        body,
                                    });
                                }
                                401 => {
                                    if let (Some(tokens), Some(token), false) =
                                        (&inner.auth, &token, refreshed_after_401)
                                    {
                                        tracing::info!(
                                            status,
                                            attempt,
                                            "access token refused, getting another"
                                        );
                                        tokens.invalidate(token);
                                        refreshed_after_401 = true;
                                        continue;
                                    }
                                    return Err(self.refused_after_refresh(
                                        &headers,
                                        &body,
                                        inner.auth.is_some(),
                                    ));
                                }
                                429 => {
                                    throttles += 1;
                                    inner
                                        .gate
                                        .throttled(&headers, throttles, &inner.deadline)
                                        .await?;
                                    continue;
                                }
                                // Only a 500 can be a refusal the API words as one; a
                                // 502/503/504 is a gateway or an outage, whatever its body.
                                500 if inner.errors.is_business_error(status, &body)
                                    && !is_web_page(&headers, &body) =>
                                {
                                    return Err(self.refusal(endpoint, status, &headers, &body));
                                }
                                500..=599 => Transient {
                                    detail: match self.words(status, &headers, &body) {
                                        Some(message) => format!("HTTP {status}: {message}"),
                                        None => status_text(status),
                                    },
                                    maybe_applied: true,
                                },
                                _ => return Err(self.refusal(endpoint, status, &headers, &body)),
                            }
                        }
                    }
                }
            };
            let Transient {
                detail,
                maybe_applied,
            } = outcome;
            failures += 1;
            if inner.sends_once && maybe_applied {
                tracing::warn!(attempt, %detail, "the answer to a send-once request was lost");
                return Err(ExternalError::OutcomeUnknown {
                    system: inner.system,
                    detail: format!("{endpoint}: {detail}"),
                });
            }
            if !inner.retry.should_retry(failures) {
                tracing::warn!(attempt, %detail, "giving up");
                return Err(ExternalError::Unavailable {
                    system: inner.system,
                    detail: format!("{endpoint} failed {failures} times, last: {detail}"),
                });
            }
            let delay = inner.retry.delay(failures);
            let now = inner.clock.now();
            let wake = now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
            if !inner.deadline.allows_wait_until(now, wake) {
                return Err(ExternalError::NoTimeLeft {
                    system: inner.system,
                    until: wake,
                });
            }
            tracing::info!(attempt, %detail, delay_ms = delay.as_millis() as u64, "transient failure, retrying");
            inner.clock.sleep(delay).await;
        }
    }

    /// The API's words for a failed answer, for people: `None` when it has none, or when
    /// the answer is a web page (a proxy's or load balancer's error page, a login page),
    /// whose markup must never reach a report; that body is logged instead (cut short,
    /// tokens masked).
    fn words(&self, status: u16, headers: &HeaderMap, body: &[u8]) -> Option<String> {
        if is_web_page(headers, body) {
            tracing::info!(
                status,
                body = %log_excerpt(body),
                "the answer is a web page, not an API answer"
            );
            return None;
        }
        self.inner.errors.message(status, body)
    }

    fn refused_after_refresh(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        authenticated: bool,
    ) -> ExternalError {
        if authenticated {
            tracing::warn!(
                body = %log_excerpt(body),
                "the access token was refused even right after getting a new one"
            );
            return ExternalError::ConnectionRefused {
                system: self.inner.system,
                status: 401,
                message: REFUSED_FRESH_TOKEN.to_owned(),
            };
        }
        ExternalError::Rejected {
            system: self.inner.system,
            status: 401,
            message: self
                .words(401, headers, body)
                .unwrap_or_else(|| status_text(401)),
        }
    }

    fn refusal(
        &self,
        endpoint: &str,
        status: u16,
        headers: &HeaderMap,
        body: &[u8],
    ) -> ExternalError {
        let system = self.inner.system;
        if (400..500).contains(&status)
            && let Some(words) = self.inner.errors.connection_refusal(status, headers, body)
        {
            tracing::warn!(status, message = %words, "the connection was refused");
            return ExternalError::ConnectionRefused {
                system,
                status,
                message: words,
            };
        }
        let message = self.words(status, headers, body);
        tracing::info!(
            status,
            message = message.as_deref().unwrap_or(""),
            "refused"
        );
        match status {
            404 => ExternalError::NotFound {
                system,
                what: match message {
                    Some(message) => format!("{endpoint} ({message})"),
                    None => endpoint.to_owned(),
                },
            },
            _ => ExternalError::Rejected {
                system,
                status,
                message: message.unwrap_or_else(|| status_text(status)),
            },
        }
    }
}

/// What a refusal of an access token that was just issued or renewed says: the token is
/// good, so the API refuses the app or the user, not the token.
pub const REFUSED_FRESH_TOKEN: &str = "the access token was refused although it had just been issued or renewed, so the app's access itself was refused (withdrawn, blocked, or no access to this administration)";

/// True when an answer is a web page (HTML), not what an API answers.
pub fn is_web_page(headers: &HeaderMap, body: &[u8]) -> bool {
    let html_type = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("html"));
    let start: String = String::from_utf8_lossy(&body[..body.len().min(64)])
        .trim_start()
        .chars()
        .take(14)
        .collect::<String>()
        .to_ascii_lowercase();
    html_type
        || start.starts_with("<!doctype")
        || start.starts_with("<html")
        || start.starts_with("<head")
        || start.starts_with("<body")
}

/// A short text for a status without words of its own: "HTTP 403 (Forbidden)".
pub fn status_text(status: u16) -> String {
    match reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("HTTP {status} ({reason}) without an explanation Koppel can show"),
        None => format!("HTTP {status} without an explanation Koppel can show"),
    }
}

/// Longest body excerpt written to a log line.
pub const MAX_LOGGED_BODY: usize = 500;

/// A body for a log line: cut at [`MAX_LOGGED_BODY`] characters, with the values of token
/// and secret fields and bearer tokens masked (an error page may echo a request).
pub fn log_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut masked = String::with_capacity(text.len().min(4 * MAX_LOGGED_BODY));
    let mut rest: &str = &text;
    const SECRETS: [&str; 6] = [
        "access_token",
        "refresh_token",
        "client_secret",
        "bearer ",
        "code=",
        "authorization",
    ];
    loop {
        let lower = rest.to_ascii_lowercase();
        let Some((at, name)) = SECRETS
            .iter()
            .filter_map(|name| lower.find(name).map(|at| (at, *name)))
            .min_by_key(|(at, _)| *at)
        else {
            masked.push_str(rest);
            break;
        };
        let after_name = at + name.len();
        masked.push_str(&rest[..after_name]);
        // Skip separators (`":"`, `=`, spaces), then mask the value up to a delimiter.
        let tail = &rest[after_name..];
        let value_start = tail
            .find(|c: char| !matches!(c, '"' | '\'' | ':' | '=' | ' '))
            .unwrap_or(tail.len());
        masked.push_str(&tail[..value_start]);
        let value = &tail[value_start..];
        // A header's value ("Bearer …") runs to the end of its line.
        let ends_value = |c: char| match name {
            "authorization" => matches!(c, '"' | '&' | '<' | '\n' | '\r'),
            _ => matches!(c, '"' | '\'' | '&' | ',' | '}' | '<' | ' ' | '\n' | '\r'),
        };
        let value_end = value.find(ends_value).unwrap_or(value.len());
        if value_end > 0 {
            masked.push_str("***");
        }
        rest = &value[value_end..];
    }
    let mut short: String = masked.chars().take(MAX_LOGGED_BODY).collect();
    if short.len() < masked.len() {
        short.push('…');
    }
    short.replace(['\n', '\r'], " ")
}

/// A transport error in words, with its causes (no credentials: those travel in headers).
fn describe_transport(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "transport error"
    };
    let mut text = format!("{kind}: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rate::header_map;

    #[test]
    fn web_pages_are_recognised_by_type_or_start() {
        let none = HeaderMap::new();
        assert!(is_web_page(&none, b"  <!DOCTYPE html><html>..."));
        assert!(is_web_page(&none, b"<HTML><body>Service Unavailable"));
        assert!(is_web_page(
            &header_map(&[("Content-Type", "text/html; charset=utf-8")]),
            b"Forbidden"
        ));
        assert!(!is_web_page(
            &none,
            br#"{"error":{"message":{"value":"<b>x</b>"}}}"#
        ));
        assert!(!is_web_page(&none, b"a < b"));
    }

    #[test]
    fn a_status_without_words_reads_as_a_short_text() {
        assert_eq!(
            status_text(403),
            "HTTP 403 (Forbidden) without an explanation Koppel can show"
        );
        assert!(!status_text(599).contains('<'));
    }

    #[test]
    fn logged_bodies_are_short_and_carry_no_token() {
        let body = br#"<html><body>Bad request {"access_token":"eyJhbGciOi.secret","refresh_token": "r3fr3sh"} Authorization: Bearer abc.def&code=xyz</body></html>"#;
        let logged = log_excerpt(body);
        for secret in ["eyJhbGciOi.secret", "r3fr3sh", "abc.def", "xyz"] {
            assert!(!logged.contains(secret), "{secret} in {logged}");
        }
        assert!(logged.contains("Bad request"), "{logged}");
        let long = "x".repeat(5000);
        assert_eq!(
            log_excerpt(long.as_bytes()).chars().count(),
            MAX_LOGGED_BODY + 1
        );
    }
}
