//! A small fake API server for the koppel-api tests: scripted answers per path, recorded
//! requests, and a fake OAuth token endpoint with single-use rotating refresh tokens.

#![allow(dead_code)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn new(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.to_owned(),
        }
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// One request the server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub body: String,
}

/// The OAuth side: which refresh token is valid, what access token is accepted.
#[derive(Debug)]
pub struct OAuthState {
    pub refresh_token: String,
    pub access_token: String,
    pub issued: u64,
    pub grants: u64,
    /// `expires_in` as sent (a JSON value, number or string).
    pub expires_in: serde_json::Value,
    /// Answer every grant with this instead (status, body, optional Reason header).
    pub refusal: Option<(u16, String, Option<String>)>,
    /// Fail this many grants with HTTP 503 first.
    pub failures_left: u32,
    /// Real delay before answering a grant (to widen race windows).
    pub delay: Duration,
}

#[derive(Default)]
struct ServerState {
    scripts: HashMap<String, VecDeque<Answer>>,
    seen: Vec<Seen>,
    oauth: Option<OAuthState>,
    /// Paths that require `Bearer <current access token>`.
    protected: Vec<String>,
}

/// A running fake server.
#[derive(Clone)]
pub struct FakeServer {
    pub base_url: String,
    state: Arc<Mutex<ServerState>>,
}

impl FakeServer {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(ServerState::default()));
        let app = Router::new().fallback(handle).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            base_url: format!("http://{address}"),
            state,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// Queue answers for `path` (after they run out: 200 `{}`).
    pub fn script(&self, path: &str, answers: Vec<Answer>) {
        self.state
            .lock()
            .unwrap()
            .scripts
            .entry(path.to_owned())
            .or_default()
            .extend(answers);
    }

    /// Serve a token endpoint at `/token` whose valid refresh token is `refresh_token`.
    pub fn oauth(&self, refresh_token: &str, access_token: &str) {
        self.state.lock().unwrap().oauth = Some(OAuthState {
            refresh_token: refresh_token.to_owned(),
            access_token: access_token.to_owned(),
            issued: 0,
            grants: 0,
            expires_in: serde_json::json!(3600),
            refusal: None,
            failures_left: 0,
            delay: Duration::ZERO,
        });
    }

    pub fn with_oauth<T>(&self, change: impl FnOnce(&mut OAuthState) -> T) -> T {
        change(
            self.state
                .lock()
                .unwrap()
                .oauth
                .as_mut()
                .expect("oauth configured"),
        )
    }

    /// Require the current access token on `path` (401 otherwise).
    pub fn protect(&self, path: &str) {
        self.state.lock().unwrap().protected.push(path.to_owned());
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    pub fn seen_on(&self, path: &str) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|seen| seen.path == path)
            .collect()
    }
}

async fn handle(
    State(state): State<Arc<Mutex<ServerState>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let authorization = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = String::from_utf8_lossy(&body).into_owned();
    state.lock().unwrap().seen.push(Seen {
        method: method.to_string(),
        path: path.clone(),
        authorization: authorization.clone(),
        body: body.clone(),
    });
    if path == "/token" {
        let delay = state
            .lock()
            .unwrap()
            .oauth
            .as_ref()
            .map(|oauth| oauth.delay)
            .unwrap_or_default();
        tokio::time::sleep(delay).await;
        return grant(&state, &body);
    }
    let mut guard = state.lock().unwrap();
    if guard.protected.contains(&path) {
        let expected = guard
            .oauth
            .as_ref()
            .map(|oauth| format!("Bearer {}", oauth.access_token));
        if authorization != expected {
            return answer(&Answer::new(
                401,
                r#"{"errors":[{"title":"Access token is invalid"}]}"#,
            ));
        }
    }
    let scripted = guard.scripts.get_mut(&path).and_then(VecDeque::pop_front);
    drop(guard);
    answer(&scripted.unwrap_or_else(|| Answer::new(200, "{}")))
}

fn grant(state: &Arc<Mutex<ServerState>>, body: &str) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let mut guard = state.lock().unwrap();
    let Some(oauth) = guard.oauth.as_mut() else {
        return answer(&Answer::new(404, "no oauth"));
    };
    oauth.grants += 1;
    if oauth.failures_left > 0 {
        oauth.failures_left -= 1;
        return answer(&Answer::new(503, "busy"));
    }
    if let Some((status, body, reason)) = &oauth.refusal {
        let mut refusal = Answer::new(*status, body);
        if let Some(reason) = reason {
            refusal = refusal.header("Reason", reason);
        }
        return answer(&refusal);
    }
    let presented = match form.get("grant_type").map(String::as_str) {
        Some("refresh_token") => form.get("refresh_token").cloned(),
        Some("authorization_code") => form.get("code").map(|code| format!("code:{code}")),
        _ => None,
    };
    let valid = match &presented {
        Some(code) if code.starts_with("code:") => true,
        Some(token) => *token == oauth.refresh_token,
        None => false,
    };
    if !valid || form.get("client_secret").map(String::as_str) != Some("secret") {
        return answer(&Answer::new(
            400,
            r#"{"error":"invalid_grant","error_description":"The refresh token is invalid."}"#,
        ));
    }
    oauth.issued += 1;
    oauth.refresh_token = format!("refresh-{}", oauth.issued);
    oauth.access_token = format!("access-{}", oauth.issued);
    let body = serde_json::json!({
        "token_type": "Bearer",
        "access_token": oauth.access_token,
        "refresh_token": oauth.refresh_token,
        "expires_in": oauth.expires_in,
    });
    answer(&Answer::new(200, &body.to_string()))
}

fn answer(answer: &Answer) -> Response {
    let mut response = (
        StatusCode::from_u16(answer.status).unwrap(),
        answer.body.clone(),
    )
        .into_response();
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    for (name, value) in &answer.headers {
        response.headers_mut().insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    response
}

// --- API policies for the tests: the plumbing is generic, each API brings its own. These
// mirror the two shapes Koppel meets: one sliding minute window with ISO reset instants and an
// `{"errors":[{"title"}]}` body, and a minute plus a day window in epoch milliseconds with
// business refusals answered as HTTP 500 carrying `{"error":{"message":{"value"}}}`.

use koppel_api::rate::{epoch_millis, keep_if_any, number, parse_iso_or_epoch, text};
use koppel_api::{
    ErrorBodyParser, GrantRefusal, RateLimitPolicy, TokenTimings, WindowObservation, plain_text,
};

/// `X-RateLimit-Limit/Remaining/Reset` (ISO instant) for a sliding minute.
pub struct SlidingMinute;

impl RateLimitPolicy for SlidingMinute {
    fn observe(&self, headers: &reqwest::header::HeaderMap) -> Vec<WindowObservation> {
        keep_if_any(WindowObservation {
            window: "minute",
            limit: number(headers, "x-ratelimit-limit"),
            remaining: number(headers, "x-ratelimit-remaining"),
            reset: text(headers, "x-ratelimit-reset").and_then(parse_iso_or_epoch),
        })
        .into_iter()
        .collect()
    }
}

/// `X-RateLimit-Minutely-*` (minute) and `X-RateLimit-*` (day), resets in epoch millis.
pub struct MinuteAndDay;

impl RateLimitPolicy for MinuteAndDay {
    fn observe(&self, headers: &reqwest::header::HeaderMap) -> Vec<WindowObservation> {
        let window = |window, prefix: &str| WindowObservation {
            window,
            limit: number(headers, &format!("{prefix}-limit")),
            remaining: number(headers, &format!("{prefix}-remaining")),
            reset: number(headers, &format!("{prefix}-reset")).and_then(epoch_millis),
        };
        [
            window("minute", "x-ratelimit-minutely"),
            window("day", "x-ratelimit"),
        ]
        .into_iter()
        .filter_map(keep_if_any)
        .collect()
    }
}

/// `{"errors":[{"title":"…","detail":"…"}]}`.
pub struct ErrorList;

impl ErrorBodyParser for ErrorList {
    fn message(&self, _status: u16, body: &[u8]) -> Option<String> {
        let parsed: serde_json::Value = serde_json::from_slice(body).ok()?;
        let titles: Vec<String> = parsed["errors"]
            .as_array()?
            .iter()
            .filter_map(|e| e["title"].as_str().map(str::to_owned))
            .collect();
        (!titles.is_empty()).then(|| titles.join("; "))
    }
}

/// `{"error":{"message":{"value":"…"}}}`; a 5xx carrying a value is a business refusal.
pub struct ValueOn500;

impl ValueOn500 {
    fn value(body: &[u8]) -> Option<String> {
        let parsed: serde_json::Value = serde_json::from_slice(body).ok()?;
        parsed["error"]["message"]["value"]
            .as_str()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }
}

impl ErrorBodyParser for ValueOn500 {
    fn message(&self, _status: u16, body: &[u8]) -> Option<String> {
        Self::value(body).or_else(|| plain_text(body))
    }
    fn is_business_error(&self, status: u16, body: &[u8]) -> bool {
        (500..600).contains(&status) && Self::value(body).is_some()
    }
}

/// One-hour tokens refreshed 5 minutes before expiry.
pub const HOUR_TOKENS: TokenTimings = TokenTimings {
    token_lifetime: Duration::from_secs(3600),
    refresh_margin: Duration::from_secs(300),
    min_token_age: Duration::ZERO,
};

/// Ten-minute tokens refreshed 30 s before expiry, never before 9.5 minutes of age.
pub const TEN_MINUTE_TOKENS: TokenTimings = TokenTimings {
    token_lifetime: Duration::from_secs(600),
    refresh_margin: Duration::from_secs(30),
    min_token_age: Duration::from_secs(570),
};

/// A provider saying "too early" with a `Reason: TooEarlyToRefreshTokens` header.
pub fn too_early(refusal: &GrantRefusal<'_>) -> bool {
    refusal
        .reason
        .is_some_and(|reason| reason.eq_ignore_ascii_case("TooEarlyToRefreshTokens"))
}
