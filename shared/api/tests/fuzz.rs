//! Fuzzing of what koppel-api reads from outside: bodies decoded with `ApiResponse::json`, error
//! bodies read by `PlainErrors`, and whole answers of an API and of an OAuth token endpoint
//! (status, `Reason` header, body) through `ApiClient::send` and `OAuthClient`. Property: no
//! panic, every failure a typed `ExternalError`, and text meant for people holds no HTML tags.
//!
//! Cases and seed: `shared/core/tests/common/fuzz_config.rs` (`KOPPEL_FUZZ_CASES`,
//! `KOPPEL_FUZZ_SEED`); `infra/dev fuzz` runs many more.

#[path = "../../core/tests/common/fuzz_config.rs"]
mod fuzz_config;
#[path = "../../core/tests/common/fuzz_inputs.rs"]
mod fuzz_inputs;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{TimeZone, Utc};
use fuzz_config::fuzz_config;
use fuzz_inputs::{Body, body_like, has_html_tag, html_error_page};
use koppel_api::{
    ApiClient, ApiResponse, ErrorBodyParser, HeaderMap, OAuthClient, OAuthError, PlainErrors,
    RetryPolicy,
};
use koppel_core::memory::ManualClock;
use koppel_core::{Clock, ExternalError};
use proptest::prelude::*;
use serde::Deserialize;
use serde_json::json;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// What the scripted server answers to every request.
#[derive(Debug, Clone)]
struct Scripted {
    status: u16,
    reason: Option<String>,
    body: Vec<u8>,
}

/// A local HTTP server answering every request with the current script, and a runtime to
/// drive clients against it; one per test binary.
struct Server {
    runtime: tokio::runtime::Runtime,
    base_url: String,
    script: Arc<Mutex<Scripted>>,
    /// Cases run one at a time against the one script.
    turn: Mutex<()>,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let script = Arc::new(Mutex::new(Scripted {
            status: 200,
            reason: None,
            body: Vec::new(),
        }));
        let app = Router::new().fallback(answer).with_state(script.clone());
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a local port");
        let base_url = format!("http://{}", listener.local_addr().expect("its address"));
        runtime.spawn(async move { axum::serve(listener, app).await });
        Server {
            runtime,
            base_url,
            script,
            turn: Mutex::new(()),
        }
    })
}

async fn answer(State(script): State<Arc<Mutex<Scripted>>>) -> Response {
    let script = script.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let status = StatusCode::from_u16(script.status).unwrap_or(StatusCode::IM_A_TEAPOT);
    let mut response = (status, script.body).into_response();
    if let Some(reason) = script.reason.and_then(|r| HeaderValue::from_str(&r).ok()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("reason"), reason);
    }
    response
}

impl Server {
    /// Runs `call` while the server answers `script`.
    fn run<T>(&self, script: Scripted, call: impl std::future::Future<Output = T>) -> T {
        let _turn = self.turn.lock().unwrap_or_else(|e| e.into_inner());
        *self.script.lock().unwrap_or_else(|e| e.into_inner()) = script;
        self.runtime.block_on(call)
    }
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0)
            .single()
            .expect("a date"),
    ))
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
    }
}

/// The texts of an error that a person reads.
fn shown_text(error: &ExternalError) -> String {
    error.to_string()
}

/// Statuses a server answers with: the ones with meaning to the clients, and any other.
fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        3 => prop::sample::select(vec![200u16, 201, 204, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503]),
        1 => 100u16..600,
    ]
}

/// A token endpoint's answer: near-valid token bodies (`expires_in` of any type or size),
/// OAuth refusals and anything else.
fn token_body() -> impl Strategy<Value = Body> {
    prop_oneof![
        body_like(
            json!({"access_token": "at", "refresh_token": "rt", "expires_in": 600, "token_type": "Bearer"})
        ),
        body_like(
            json!({"error": "invalid_grant", "error_description": "the refresh token is expired"})
        ),
        (any::<i64>(), any::<f64>(), prop::bool::ANY).prop_map(|(whole, float, as_text)| {
            let expires_in = if as_text {
                json!(whole.to_string())
            } else if whole % 2 == 0 {
                json!(whole)
            } else {
                json!(float)
            };
            Body(
                json!({"access_token": "at", "refresh_token": "rt", "expires_in": expires_in})
                    .to_string()
                    .into_bytes(),
            )
        }),
    ]
}

/// A body the way proxies and APIs answer errors.
fn error_body() -> impl Strategy<Value = Body> {
    prop_oneof![
        body_like(json!({"errors": [{"title": "Invalid data", "detail": "name is required"}]})),
        html_error_page().prop_map(|page| Body(page.into_bytes())),
    ]
}

/// An OAuth outcome is either tokens that expire after `now`, or a typed refusal.
fn check_grant(result: Result<koppel_core::OAuthTokens, OAuthError>, now: chrono::DateTime<Utc>) {
    match result {
        Ok(tokens) => assert!(
            tokens.expires_at > now,
            "tokens already expired: {tokens:?}"
        ),
        Err(OAuthError::TooEarly { detail, .. }) => assert!(!has_html_tag(&detail), "{detail}"),
        Err(OAuthError::External(error)) => {
            assert!(!has_html_tag(&shown_text(&error)), "{error}");
            assert!(
                matches!(
                    error,
                    ExternalError::NeedsReauth { .. }
                        | ExternalError::Rejected { .. }
                        | ExternalError::Malformed { .. }
                        | ExternalError::Unavailable { .. }
                ),
                "{error:?}"
            );
        }
    }
}

fn exchange(script: Scripted) -> Result<koppel_core::OAuthTokens, OAuthError> {
    let server = server();
    let clock = clock();
    let oauth = OAuthClient::new(
        "Fuzz",
        format!("{}/token", server.base_url),
        "client",
        "secret",
        clock.clone(),
    )
    .with_retry(quick_retries())
    .with_too_early_rule(|refusal| refusal.reason == Some("TooEarlyToRefreshTokens"));
    server.run(
        script,
        oauth.exchange_code("code", "https://koppel.example/cb"),
    )
}

fn send(script: Scripted) -> Result<ApiResponse, ExternalError> {
    let server = server();
    let api = ApiClient::builder("Fuzz", &server.base_url, clock())
        .retry(quick_retries())
        .errors(PlainErrors)
        .build();
    let url = api.url("items.list");
    server.run(script, api.send("items.list", |http| http.post(&url)))
}

/// A struct like the clients' wire types, to reach serde's error paths with field names.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Page {
    data: Vec<Item>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Item {
    id: String,
    total: Option<Amount>,
    updated_at: chrono::DateTime<Utc>,
}

/// Money as the clients read it.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Amount {
    amount: f64,
    currency: Option<String>,
}

fn response(body: Vec<u8>) -> ApiResponse {
    ApiResponse {
        system: "Fuzz",
        endpoint: "items.list".into(),
        status: 200,
        headers: HeaderMap::new(),
        body,
    }
}

proptest! {
    #![proptest_config(fuzz_config())]

    #[test]
    fn json_bodies_decode_or_are_malformed(
        body in body_like(json!({"data": [{"id": "a", "total": {"amount": 12.5, "currency": "EUR"}, "updated_at": "2026-01-01T10:00:00+00:00"}]}))
    ) {
        let answer = response(body.0);
        match answer.json::<Page>() {
            Ok(_) => {}
            Err(ExternalError::Malformed { endpoint, .. }) => prop_assert_eq!(endpoint, "items.list"),
            Err(other) => prop_assert!(false, "not Malformed: {other:?}"),
        }
        let _ = answer.json::<serde_json::Value>();
        let _ = answer.text();
    }

    #[test]
    fn plain_error_text_is_short_and_tag_free(body in prop_oneof![error_body(), prop::collection::vec(any::<u8>(), 0..2048).prop_map(Body)], status in status()) {
        if let Some(text) = PlainErrors.message(status, &body.0) {
            prop_assert!(!text.trim().is_empty());
            prop_assert!(text.chars().count() <= koppel_api::error_body::MAX_PLAIN_TEXT + 1);
            prop_assert!(!has_html_tag(&text), "{}", text);
        }
    }

    #[test]
    fn token_endpoint_answers_become_tokens_or_typed_errors(
        status in status(),
        reason in prop::option::of(prop_oneof![Just("TooEarlyToRefreshTokens".to_owned()), "[ -~]{0,20}"]),
        body in prop_oneof![3 => token_body(), 1 => error_body()],
    ) {
        let now = clock().now();
        check_grant(exchange(Scripted { status, reason, body: body.0 }), now);
    }

    #[test]
    fn api_answers_become_responses_or_typed_errors(status in status(), body in error_body()) {
        match send(Scripted { status, reason: None, body: body.0 }) {
            Ok(answer) => prop_assert!((200..300).contains(&answer.status)),
            Err(error) => prop_assert!(!has_html_tag(&shown_text(&error)), "{}", error),
        }
    }
}

/// Found by the fuzzing: an `expires_in` of 1e304 seconds made the token parser panic (chrono's
/// `Duration::seconds` is out of range) instead of refusing the answer.
#[test]
fn a_token_lifetime_past_the_calendar_is_malformed() {
    let now = clock().now();
    for expires_in in [
        "1.0840145312508017e+304",
        "9223372036854775807",
        "\"9223372036854775807\"",
    ] {
        let body =
            format!(r#"{{"access_token":"at","expires_in":{expires_in},"refresh_token":"rt"}}"#);
        let result = exchange(Scripted {
            status: 200,
            reason: None,
            body: body.into_bytes(),
        });
        assert!(
            matches!(&result, Err(OAuthError::External(ExternalError::Malformed { detail, .. })) if detail.starts_with("expires_in")),
            "{expires_in}: {result:?}"
        );
        check_grant(result, now);
    }
}

/// Found by the fuzzing: a proxy's HTML error page came through as the error message, markup
/// and all — as the body of a refusal, as the OAuth `error` of a JSON array, and quoted by
/// serde in a `Malformed` detail.
#[test]
fn html_error_pages_never_become_markup() {
    let page = b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>";
    let error = send(Scripted {
        status: 400,
        reason: None,
        body: page.to_vec(),
    })
    .unwrap_err();
    assert!(
        matches!(error, ExternalError::Rejected { status: 400, .. }),
        "{error:?}"
    );
    assert!(!has_html_tag(&error.to_string()), "{error}");
    let now = clock().now();
    for (status, body) in [
        (
            400,
            br#"["<html><body><h1>502 Bad Gateway</h1></body></html>"]"#.as_slice(),
        ),
        (
            200,
            br#""<html><body><h1>502 Bad Gateway</h1></body></html>""#.as_slice(),
        ),
    ] {
        let result = exchange(Scripted {
            status,
            reason: None,
            body: body.to_vec(),
        });
        assert!(result.is_err(), "{result:?}");
        check_grant(result, now);
    }
}
