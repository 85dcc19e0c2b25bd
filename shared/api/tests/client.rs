//! ApiClient against a fake server: retries, refusals, rate limits, error bodies.

mod support;

use chrono::Utc;
use koppel_api::{ApiClient, RateGate, RateGateConfig, RetryPolicy};
use koppel_core::memory::ManualClock;
use koppel_core::{Clock, ExternalError};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use support::{Answer, ErrorList, FakeServer, MinuteAndDay, SlidingMinute, ValueOn500};

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(1),
    }
}

fn teamleader(server: &FakeServer, clock: &Arc<ManualClock>) -> ApiClient {
    ApiClient::builder("Teamleader Focus", &server.base_url, clock.clone())
        .gate(RateGate::new(
            "Teamleader Focus",
            SlidingMinute,
            clock.clone(),
            RateGateConfig::default(),
        ))
        .errors(ErrorList)
        .retry(fast_retry())
        .build()
}

fn exact(server: &FakeServer, clock: &Arc<ManualClock>) -> ApiClient {
    ApiClient::builder("Exact Online", &server.base_url, clock.clone())
        .gate(RateGate::new(
            "Exact Online",
            MinuteAndDay,
            clock.clone(),
            RateGateConfig::default(),
        ))
        .errors(ValueOn500)
        .retry(fast_retry())
        .build()
}

async fn post(
    client: &ApiClient,
    endpoint: &str,
) -> Result<koppel_api::ApiResponse, ExternalError> {
    let url = client.url(endpoint);
    client
        .send(endpoint, |http| {
            http.post(&url).json(&serde_json::json!({"id": "x"}))
        })
        .await
}

#[tokio::test]
async fn retries_a_500_then_succeeds() {
    let server = FakeServer::start().await;
    let clock = Arc::new(ManualClock::default());
    server.script(
        "/users.me",
        vec![
            Answer::new(500, "oops"),
            Answer::new(502, ""),
            Answer::new(200, r#"{"data":{}}"#),
        ],
    );
    let client = teamleader(&server, &clock);
    let response = post(&client, "users.me").await.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.text(), r#"{"data":{}}"#);
    assert_eq!(client.calls(), 3);
    assert_eq!(server.seen_on("/users.me").len(), 3);
    assert!(
        clock.slept() > Duration::ZERO,
        "backed off between attempts"
    );
    // Every attempt carried the same body.
    assert!(
        server
            .seen_on("/users.me")
            .iter()
            .all(|seen| seen.body == r#"{"id":"x"}"#)
    );
}

#[tokio::test]
async fn persistent_5xx_is_unavailable_after_max_attempts() {
    let server = FakeServer::start().await;
    let clock = Arc::new(ManualClock::default());
    server.script("/users.me", vec![Answer::new(503, "down"); 10]);
    let client = teamleader(&server, &clock);
    let error = post(&client, "users.me").await.unwrap_err();
    assert!(
        matches!(&error, ExternalError::Unavailable { detail, .. } if detail.contains("HTTP 503")),
        "{error:?}"
    );
    assert!(error.is_transient());
    assert_eq!(client.calls(), 4);
}

#[tokio::test]
async fn a_400_is_not_retried_and_carries_the_apis_words() {
    let server = FakeServer::start().await;
    let clock = Arc::new(ManualClock::default());
    server.script(
        "/companies.add",
        vec![Answer::new(
            400,
            r#"{"errors":[{"title":"The name field is required.","status":400}]}"#,
        )],
    );
    let client = teamleader(&server, &clock);
    let error = post(&client, "companies.add").await.unwrap_err();
    assert_eq!(
        error,
        ExternalError::Rejected {
            system: "Teamleader Focus",
            status: 400,
            message: "The name field is required.".into()
        }
    );
    assert_eq!(client.calls(), 1);
}

#[tokio::test]
async fn a_404_is_not_found() {
    let server = FakeServer::start().await;
    let clock = Arc::new(ManualClock::default());
    server.script(
        "/invoices.info",
        vec![Answer::new(
            404,
            r#"{"errors":[{"title":"Invoice not found"}]}"#,
        )],
    );
    let client = teamleader(&server, &clock);
    let error = post(&client, "invoices.info").await.unwrap_err();
    assert!(
        matches!(&error, ExternalError::NotFound { what, .. } if what.contains("invoices.info") && what.contains("Invoice not found")),
        "{error:?}"
    );
    assert_eq!(client.calls(), 1);
}

#[tokio::test]
async fn a_429_waits_for_the_reset_then_succeeds() {
    let server = FakeServer::start().await;
    let clock = Arc::new(ManualClock::default());
    let reset = clock.now() + chrono::Duration::seconds(20);
    server.script(
        "/deals.list",
        vec![
            Answer::new(429, r#"{"errors":[{"title":"Too many requests"}]}"#)
                .header("X-RateLimit-Limit", "200")
                .header("X-RateLimit-Remaining", "0")
                .header("X-RateLimit-Reset", &reset.to_rfc3339()),
            Answer::new(200, r#"{"data":[]}"#).header("X-RateLimit-Remaining", "199"),
        ],
    );
    let client = teamleader(&server, &clock);
    let response = post(&client, "deals.list").await.unwrap();
    assert_eq!(response.status, 200);
    assert!(
        clock.now() >= reset,
        "waited until the reset: now {} reset {reset}",
        clock.now()
    );
    assert!(clock.slept() >= Duration::from_secs(20));
    let stats = client.gate().stats();
    assert_eq!(stats.throttled, 1);
    assert_eq!(stats.requests_sent, 2);
    assert!(stats.waited >= Duration::from_secs(20));
    assert_eq!(client.calls(), 2);
}

#[tokio::test]
async fn exact_minute_window_is_waited_for_before_sending() {
    let server = FakeServer::start().await;
    let clock = Arc::new(ManualClock::default());
    let minute_reset = clock.now() + chrono::Duration::seconds(30);
    let day_reset = clock.now() + chrono::Duration::hours(10);
    server.script(
        "/api/v1/1/crm/Accounts",
        vec![
            Answer::new(200, r#"{"d":{"results":[]}}"#)
                .header("X-RateLimit-Minutely-Limit", "60")
                .header("X-RateLimit-Minutely-Remaining", "0")
                .header(
                    "X-RateLimit-Minutely-Reset",
                    &minute_reset.timestamp_millis().to_string(),
                )
                .header("X-RateLimit-Limit", "5000")
                .header("X-RateLimit-Remaining", "4000")
                .header(
                    "X-RateLimit-Reset",
                    &day_reset.timestamp_millis().to_string(),
                ),
        ],
    );
    let client = exact(&server, &clock);
    post(&client, "api/v1/1/crm/Accounts").await.unwrap();
    assert_eq!(clock.slept(), Duration::ZERO);
    post(&client, "api/v1/1/crm/Accounts").await.unwrap();
    assert!(
        clock.now() >= minute_reset,
        "second call waited for the minute window"
    );
    assert_eq!(client.gate().stats().throttled, 0, "no 429 was provoked");
}

#[tokio::test]
async fn exact_spent_daily_quota_is_quota_exhausted_without_sending() {
    let server = FakeServer::start().await;
    let clock = Arc::new(ManualClock::default());
    let day_reset = clock.now() + chrono::Duration::hours(10);
    server.script(
        "/api/v1/1/crm/Accounts",
        vec![
            Answer::new(429, "")
                .header("X-RateLimit-Remaining", "0")
                .header(
                    "X-RateLimit-Reset",
                    &day_reset.timestamp_millis().to_string(),
                ),
        ],
    );
    let client = exact(&server, &clock);
    let error = post(&client, "api/v1/1/crm/Accounts").await.unwrap_err();
    let until = chrono::DateTime::from_timestamp_millis(day_reset.timestamp_millis()).unwrap();
    assert_eq!(
        error,
        ExternalError::QuotaExhausted {
            system: "Exact Online",
            until
        }
    );
    assert!(error.is_transient());
    // The next call does not even try.
    let again = post(&client, "api/v1/1/crm/Accounts").await.unwrap_err();
    assert!(matches!(again, ExternalError::QuotaExhausted { .. }));
    assert_eq!(client.calls(), 1);
    assert_eq!(clock.slept(), Duration::ZERO);
}

#[tokio::test]
async fn exact_429_without_headers_backs_off_then_succeeds() {
    let server = FakeServer::start().await;
    let clock = Arc::new(ManualClock::default());
    server.script(
        "/api/v1/1/crm/Accounts",
        vec![
            Answer::new(429, ""),
            Answer::new(429, ""),
            Answer::new(200, "{}"),
        ],
    );
    let client = exact(&server, &clock);
    post(&client, "api/v1/1/crm/Accounts").await.unwrap();
    assert_eq!(client.gate().stats().throttled, 2);
    assert!(
        clock.slept() >= Duration::from_secs(1),
        "backed off: {:?}",
        clock.slept()
    );
}

#[tokio::test]
async fn exact_business_500_is_rejected_not_retried() {
    let server = FakeServer::start().await;
    let clock = Arc::new(ManualClock::default());
    let body =
        r#"{"error":{"code":"","message":{"lang":"","value":"Boekstuknummer bestaat al: 7001"}}}"#;
    server.script(
        "/api/v1/1/salesentry/SalesEntries",
        vec![Answer::new(500, body); 5],
    );
    let client = exact(&server, &clock);
    let error = post(&client, "api/v1/1/salesentry/SalesEntries")
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ExternalError::Rejected {
            system: "Exact Online",
            status: 500,
            message: "Boekstuknummer bestaat al: 7001".into()
        }
    );
    assert!(!error.is_transient());
    assert_eq!(client.calls(), 1);
}

#[tokio::test]
async fn exact_plain_500_is_retried() {
    let server = FakeServer::start().await;
    let clock = Arc::new(ManualClock::default());
    server.script(
        "/api/v1/1/x",
        vec![
            Answer::new(500, "<html>Runtime error</html>"),
            Answer::new(200, "{}"),
        ],
    );
    let client = exact(&server, &clock);
    post(&client, "api/v1/1/x").await.unwrap();
    assert_eq!(client.calls(), 2);
}

#[derive(Debug, Deserialize)]
struct Invoices {
    #[allow(dead_code)]
    data: Vec<Invoice>,
}

#[derive(Debug, Deserialize)]
struct Invoice {
    #[allow(dead_code)]
    id: String,
    #[allow(dead_code)]
    invoice_number: String,
}

#[tokio::test]
async fn malformed_json_names_the_endpoint_and_field() {
    let server = FakeServer::start().await;
    let clock = Arc::new(ManualClock::default());
    server.script(
        "/invoices.list",
        vec![Answer::new(
            200,
            r#"{"data":[{"id":"a","invoice_number":"1"},{"id":"b","invoice_number":17}]}"#,
        )],
    );
    let client = teamleader(&server, &clock);
    let response = post(&client, "invoices.list").await.unwrap();
    let error = response.json::<Invoices>().unwrap_err();
    match error {
        ExternalError::Malformed {
            system,
            endpoint,
            detail,
        } => {
            assert_eq!(system, "Teamleader Focus");
            assert_eq!(endpoint, "invoices.list");
            assert!(detail.starts_with("data[1].invoice_number:"), "{detail}");
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[tokio::test]
async fn connection_refused_is_retried_then_unavailable() {
    // A port nobody listens on: bind, learn the port, close.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let clock = Arc::new(ManualClock::default());
    let client = ApiClient::builder(
        "Teamleader Focus",
        format!("http://{address}"),
        clock.clone(),
    )
    .retry(fast_retry())
    .build();
    let error = post(&client, "users.me").await.unwrap_err();
    assert!(
        matches!(&error, ExternalError::Unavailable { detail, .. } if detail.contains("failed 4 times")),
        "{error:?}"
    );
    assert_eq!(client.calls(), 4);
}

#[tokio::test]
async fn calls_are_counted_across_clones() {
    let server = FakeServer::start().await;
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let client = teamleader(&server, &clock);
    let clone = client.clone();
    post(&client, "a").await.unwrap();
    post(&clone, "b").await.unwrap();
    assert_eq!(client.calls(), 2);
    assert_eq!(clone.calls(), 2);
}

#[tokio::test]
async fn a_send_once_request_whose_answer_is_lost_is_an_unknown_outcome_sent_once() {
    let server = FakeServer::start().await;
    let clock = Arc::new(ManualClock::default());
    server.script(
        "/entries",
        vec![Answer::new(503, "<html>Service Unavailable</html>")],
    );
    let client = ApiClient::builder("Books", &server.base_url, clock.clone())
        .errors(ValueOn500)
        .sends_once()
        .build();
    let error = post(&client, "entries").await.unwrap_err();
    assert!(
        matches!(
            error,
            ExternalError::OutcomeUnknown {
                system: "Books",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(server.seen_on("/entries").len(), 1, "never sent twice");

    // A business refusal is still a refusal, and nothing reached a closed port at all.
    server.script(
        "/entries",
        vec![Answer::new(
            500,
            r#"{"error":{"message":{"value":"Periode is afgesloten"}}}"#,
        )],
    );
    let error = post(&client, "entries").await.unwrap_err();
    assert!(
        matches!(error, ExternalError::Rejected { ref message, .. } if message == "Periode is afgesloten"),
        "{error:?}"
    );
    let closed = ApiClient::builder("Books", "http://127.0.0.1:9", clock.clone())
        .sends_once()
        .build();
    let error = post(&closed, "entries").await.unwrap_err();
    assert!(
        matches!(error, ExternalError::Unavailable { .. }),
        "a refused connection never reached the server: {error:?}"
    );
}

#[tokio::test]
async fn a_retry_backoff_past_the_deadline_hands_over() {
    let server = FakeServer::start().await;
    let clock = Arc::new(ManualClock::default());
    server.script(
        "/things",
        vec![
            Answer::new(503, "busy"),
            Answer::new(503, "busy"),
            Answer::new(503, "busy"),
            Answer::new(503, "busy"),
        ],
    );
    // The invocation must stop now: no backoff (drawn between 0 and 20 s, so above zero but
    // for a chance of one in twenty billion) fits any more.
    let client = ApiClient::builder("Books", &server.base_url, clock.clone())
        .retry(RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_secs(20),
            max_delay: Duration::from_secs(20),
        })
        .deadline(koppel_core::Deadline::at(clock.now(), Duration::ZERO))
        .build();
    let error = post(&client, "things").await.unwrap_err();
    assert!(
        matches!(
            error,
            ExternalError::NoTimeLeft {
                system: "Books",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(server.seen_on("/things").len(), 1, "no retry");
    assert_eq!(
        clock.slept(),
        Duration::ZERO,
        "never slept past the deadline"
    );
}
