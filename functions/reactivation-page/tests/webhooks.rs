//! The Teamleader webhook route (`POST /webhooks/teamleader/{connection}/{token}`) on the
//! real router with in-memory services: what is queued, what is ignored, what is refused,
//! and thousands of random, garbage, oversized and deeply nested bodies and paths (seeded,
//! deterministic) that must all get a 2xx or 4xx. Teamleader is a closed local port.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::{TimeZone, Utc};
use koppel_connect::{AppSecret, LiveConnector};
use koppel_core::memory::{
    InMemoryFileStore, InMemoryQueue, InMemoryStore, InMemoryVault, ManualClock,
};
use koppel_core::{
    AccountId, Clock, Connection, ConnectionId, ConnectionSettings, ConnectionStatus,
    ConnectionStore, DepartmentId, DocumentId, DocumentKind, JobKind, LedgerKind, WebhookSettings,
    WebhookToken,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reactivation_page::signing::SigningKey;
use reactivation_page::{PageConfig, PageServices, ReactivationPage};
use serde_json::json;
use std::sync::Arc;
use tower::ServiceExt;

const TOKEN: &str = "Vb3kQm9sX1yT7wP0aLr5dN2cE8fG4hJ6iK0lM3nO5pQ";
const PAUSED_TOKEN: &str = "paused-connection-token-0123456789abcdef";
const MANUAL_TOKEN: &str = "manual-connection-token-0123456789abcdef";

struct World {
    router: Router,
    queue: Arc<InMemoryQueue>,
}

fn connection(id: &str, status: ConnectionStatus, automatic: bool, token: &str) -> Connection {
    Connection {
        id: ConnectionId::new(id),
        account_id: AccountId::new("acc-a"),
        department_id: DepartmentId::new("dep-1"),
        ledger: LedgerKind::ExactOnline,
        ledger_company: "1001".into(),
        status,
        settings: ConnectionSettings {
            automatic_sync: automatic,
            webhook: WebhookSettings {
                token: Some(WebhookToken::new(token)),
                registered: true,
                off_reason: None,
            },
            ..ConnectionSettings::default()
        },
        teamleader_secret: format!("test/{id}/teamleader"),
        ledger_secret: format!("test/{id}/exact"),
        created_at: Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap(),
        status_reason: None,
    }
}

async fn world() -> World {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap(),
    ));
    let store = Arc::new(InMemoryStore::default());
    let vault = Arc::new(InMemoryVault::default());
    let teamleader = koppel_teamleader::TeamleaderUrls::same("http://127.0.0.1:9");
    let app = AppSecret::from_json(
        "test/app",
        &json!({"teamleader": {"client_id": "client", "client_secret": "secret"}}),
    )
    .unwrap();
    let connector = Arc::new(LiveConnector::new(
        app,
        teamleader.clone(),
        store.clone(),
        vault.clone(),
        clock.clone(),
    ));
    for c in [
        connection("c1", ConnectionStatus::Active, true, TOKEN),
        connection("c-paused", ConnectionStatus::Paused, true, PAUSED_TOKEN),
        connection("c-manual", ConnectionStatus::Active, false, MANUAL_TOKEN),
    ] {
        store.put_connection(&c).await.unwrap();
    }
    // A connection that never registered a webhook: no token, no URL works.
    let mut no_token = connection("c-none", ConnectionStatus::Active, true, "x");
    no_token.settings.webhook = WebhookSettings::default();
    store.put_connection(&no_token).await.unwrap();
    let queue = Arc::new(InMemoryQueue::new());
    let router = ReactivationPage::new(
        PageConfig {
            public_url: "https://koppel.example".parse().unwrap(),
            teamleader,
            client_id: "client".into(),
            signing_key: SigningKey::new("a test key of at least thirty-two bytes").unwrap(),
            secret_prefix: "test/".into(),
        },
        PageServices {
            store,
            vault,
            queue: queue.clone(),
            files: Arc::new(InMemoryFileStore::default()),
            clock: clock.clone() as Arc<dyn Clock>,
            connector,
        },
    )
    .router();
    World { router, queue }
}

async fn post(world: &World, path: &str, body: impl Into<Body>) -> StatusCode {
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("content-type", "application/json")
        .body(body.into())
        .unwrap();
    world
        .router
        .clone()
        .oneshot(request)
        .await
        .unwrap()
        .status()
}

fn booked(kind: &str, subject: &str, id: &str) -> String {
    json!({
        "type": kind,
        "subject": {"type": subject, "id": id},
        "account": {"type": "account", "id": "acc-a"},
    })
    .to_string()
}

#[tokio::test]
async fn a_booked_invoice_or_credit_note_queues_one_document_export() {
    let w = world().await;
    let path = format!("/webhooks/teamleader/c1/{TOKEN}");
    let id = "8a0b1c2d-3e4f-4a5b-9c6d-7e8f9a0b1c2d";
    assert_eq!(
        post(&w, &path, booked("invoice.booked", "invoice", id)).await,
        StatusCode::ACCEPTED
    );
    let jobs = w.queue.take_sent();
    assert_eq!(jobs.len(), 1, "one job: {jobs:?}");
    assert_eq!(jobs[0].connection_id, ConnectionId::new("c1"));
    assert_eq!(
        jobs[0].kind,
        JobKind::DocumentExport {
            kind: DocumentKind::Invoice,
            document_id: DocumentId::new(id),
        }
    );
    assert_eq!(jobs[0].kind.name(), "invoice-export", "the export queue");
    // No account named is fine too (the event's documented shape has it, not all do).
    let credit =
        json!({"type": "creditNote.booked", "subject": {"type": "creditNote", "id": "cn-1"}});
    assert_eq!(
        post(&w, &path, credit.to_string()).await,
        StatusCode::ACCEPTED
    );
    assert!(matches!(
        &w.queue.take_sent()[..],
        [job] if job.kind == JobKind::DocumentExport {
            kind: DocumentKind::CreditNote,
            document_id: DocumentId::new("cn-1"),
        }
    ));
}

#[tokio::test]
async fn other_events_are_acknowledged_and_nothing_is_queued() {
    let w = world().await;
    let path = format!("/webhooks/teamleader/c1/{TOKEN}");
    for body in [
        booked("invoice.updated", "invoice", "i1"),
        booked("company.added", "company", "co1"),
        booked("invoice.booked", "creditNote", "i1"),
        booked("creditNote.booked", "invoice", "i1"),
        booked("invoice.booked", "invoice", "not/an id"),
    ] {
        assert_eq!(
            post(&w, &path, body.clone()).await,
            StatusCode::ACCEPTED,
            "{body}"
        );
    }
    // A paused connection, or one that does not export automatically, queues nothing.
    assert_eq!(
        post(
            &w,
            &format!("/webhooks/teamleader/c-paused/{PAUSED_TOKEN}"),
            booked("invoice.booked", "invoice", "i1")
        )
        .await,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        post(
            &w,
            &format!("/webhooks/teamleader/c-manual/{MANUAL_TOKEN}"),
            booked("invoice.booked", "invoice", "i1")
        )
        .await,
        StatusCode::ACCEPTED
    );
    assert!(w.queue.take_sent().is_empty());
}

#[tokio::test]
async fn unknown_connections_wrong_tokens_other_accounts_bad_bodies_are_refused() {
    let w = world().await;
    let event = booked("invoice.booked", "invoice", "i1");
    for path in [
        format!("/webhooks/teamleader/nope/{TOKEN}"),
        "/webhooks/teamleader/c1/wrong".to_owned(),
        format!("/webhooks/teamleader/c1/{}", &TOKEN[..TOKEN.len() - 1]),
        // Another connection's token does not open this one.
        format!("/webhooks/teamleader/c1/{PAUSED_TOKEN}"),
        // No token made yet: nothing matches, not even an empty-looking one.
        "/webhooks/teamleader/c-none/x".to_owned(),
    ] {
        assert_eq!(
            post(&w, &path, event.clone()).await,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let path = format!("/webhooks/teamleader/c1/{TOKEN}");
    let other_account = json!({
        "type": "invoice.booked",
        "subject": {"type": "invoice", "id": "i1"},
        "account": {"type": "account", "id": "acc-b"},
    });
    assert_eq!(
        post(&w, &path, other_account.to_string()).await,
        StatusCode::NOT_FOUND
    );
    for bad in [
        "",
        "{}",
        "[]",
        "null",
        "{\"type\": 1}",
        "{\"type\":\"invoice.booked\"}",
    ] {
        assert_eq!(post(&w, &path, bad).await, StatusCode::BAD_REQUEST, "{bad}");
    }
    let oversized = format!(
        "{{\"type\":\"invoice.booked\",\"subject\":{{\"type\":\"invoice\",\"id\":\"i1\"}},\"pad\":\"{}\"}}",
        "x".repeat(17 * 1024)
    );
    assert_eq!(
        post(&w, &path, oversized).await,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    // GET is not a webhook.
    let get = Request::builder()
        .uri(path.as_str())
        .body(Body::empty())
        .unwrap();
    let status = w.router.clone().oneshot(get).await.unwrap().status();
    assert!(status.is_client_error(), "{status}");
    assert!(w.queue.take_sent().is_empty());
}

/// A random body: JSON-ish garbage, a valid event mutated, deep nesting, or a large blob.
fn random_body(rng: &mut StdRng) -> Vec<u8> {
    match rng.random_range(0..6) {
        0 => (0..rng.random_range(0..200))
            .map(|_| rng.random())
            .collect(),
        1 => {
            let depth = rng.random_range(1..5000);
            let open = if rng.random_bool(0.5) { "[" } else { "{\"a\":" };
            let mut text = open.repeat(depth);
            text.push('1');
            text.into_bytes()
        }
        2 => vec![b'{'; rng.random_range(1..40_000)],
        3 => {
            let mut text = booked("invoice.booked", "invoice", "i1").into_bytes();
            for _ in 0..rng.random_range(1..6) {
                if text.is_empty() {
                    break;
                }
                let at = rng.random_range(0..text.len());
                match rng.random_range(0..3) {
                    0 => text[at] = rng.random(),
                    1 => {
                        text.remove(at);
                    }
                    _ => text.insert(at, rng.random()),
                }
            }
            text
        }
        4 => {
            let kinds = [
                "invoice.booked",
                "creditNote.booked",
                "x",
                "",
                "invoice.booked\u{0}",
            ];
            let subjects = ["invoice", "creditNote", "account", ""];
            let id: String = (0..rng.random_range(0..300))
                .map(|_| char::from(rng.random_range(32u8..127)))
                .collect();
            json!({
                "type": kinds[rng.random_range(0..kinds.len())],
                "subject": {"type": subjects[rng.random_range(0..subjects.len())], "id": id},
                "account": if rng.random_bool(0.3) { json!({"type": "account", "id": "acc-b"}) } else { json!(null) },
            })
            .to_string()
            .into_bytes()
        }
        _ => {
            let mut text = String::from("{\"type\":\"invoice.booked\",\"subject\":");
            text.push_str(&"{\"x\":".repeat(rng.random_range(1..3000)));
            text.into_bytes()
        }
    }
}

/// A random path below the webhook route (and around it).
fn random_path(rng: &mut StdRng) -> String {
    let segment = |rng: &mut StdRng| -> String {
        let pool = [
            TOKEN, "c1", "c-paused", "", "..", "%00", "%2F", "%ZZ", "c1%2F..", "é",
        ];
        if rng.random_bool(0.5) {
            pool[rng.random_range(0..pool.len())].to_owned()
        } else {
            (0..rng.random_range(0..300))
                .map(|_| char::from(rng.random_range(b'!'..b'~')))
                .filter(|c| {
                    !matches!(
                        c,
                        '?' | '#'
                            | '%'
                            | '/'
                            | '\\'
                            | '"'
                            | '<'
                            | '>'
                            | '^'
                            | '`'
                            | '{'
                            | '|'
                            | '}'
                    )
                })
                .collect()
        }
    };
    match rng.random_range(0..4) {
        0 => format!("/webhooks/teamleader/c1/{TOKEN}"),
        1 => format!("/webhooks/teamleader/{}/{}", segment(rng), segment(rng)),
        2 => format!("/webhooks/teamleader/{}", segment(rng)),
        _ => format!(
            "/webhooks/teamleader/{}/{}/{}",
            segment(rng),
            segment(rng),
            segment(rng)
        ),
    }
}

#[test]
fn thousands_of_random_bodies_and_paths_get_a_2xx_or_4xx_and_never_a_panic() {
    // Debug builds keep the router's futures large; Lambda runs release builds.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_stack_size(16 * 1024 * 1024)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let w = world().await;
        let mut rng = StdRng::seed_from_u64(0x7EA4_1EAD);
        for case in 0..3000 {
            let path = random_path(&mut rng);
            let body = random_body(&mut rng);
            let Ok(request) = Request::builder()
                .method(Method::POST)
                .uri(path.as_str())
                .body(Body::from(body.clone()))
            else {
                continue; // not a URI a client could send
            };
            let status = w.router.clone().oneshot(request).await.unwrap().status();
            assert!(
                status.is_success() || status.is_client_error(),
                "case {case}: {status} for POST {path} with {} bytes",
                body.len()
            );
            // Whatever was queued is one document export of the trusted connection.
            for job in w.queue.take_sent() {
                assert_eq!(job.connection_id, ConnectionId::new("c1"), "case {case}");
                assert!(matches!(job.kind, JobKind::DocumentExport { .. }));
            }
        }
    });
}
