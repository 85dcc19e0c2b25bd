//! Fuzzing of what the connection page reads from visitors: the OAuth callbacks' queries
//! (Teamleader's and the ledger's), the signed session cookie and `state` (`SigningKey`),
//! cookies and `Accept-Language`, every form (onboarding, setup, credentials, administration,
//! actions, "export again", merge upload as multipart, merge apply), route ids and report
//! queries — sent to the real router with in-memory services. Teamleader is a closed local
//! port, so nothing leaves the machine. Property: no panic; a 5xx is the page's own problem
//! page; the answer never echoes markup sent in (no injected tag appears).
//!
//! Cases and seed: `shared/core/tests/common/fuzz_config.rs` (`KOPPEL_FUZZ_CASES`,
//! `KOPPEL_FUZZ_SEED`); `infra/dev fuzz` runs many more.

// proptest's failures carry the failing input (a whole request here) in their `Err`.
#![allow(clippy::result_large_err)]

#[path = "../../../shared/core/tests/common/fuzz_config.rs"]
mod fuzz_config;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, header};
use chrono::{Duration, TimeZone, Utc};
use fuzz_config::fuzz_config;
use http_body_util::BodyExt;
use koppel_connect::{AppSecret, LiveConnector};
use koppel_core::memory::{
    InMemoryFileStore, InMemoryQueue, InMemoryStore, InMemoryVault, ManualClock,
};
use koppel_core::{
    AccountId, Clock, Connection, ConnectionId, ConnectionSettings, ConnectionStatus,
    ConnectionStore, DepartmentId, LedgerKind,
};
use proptest::prelude::*;
use reactivation_page::security::{LANGUAGE_COOKIE, SESSION_COOKIE};
use reactivation_page::signing::{self, OAuthState, Session, SigningKey};
use reactivation_page::{PageConfig, PageServices, ReactivationPage};
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

const KEY: &str = "a fuzz key of at least thirty-two bytes";
/// Markup the fuzzing sends in; an answer containing it would render a visitor's input as HTML.
const INJECTED: &str = "<b id=fuzz>";
const ACCOUNT: &str = "acc-a";
const CSRF: &str = "csrf-token-of-the-session";

/// The page with in-memory services and one connection of `ACCOUNT`; one per test binary.
struct World {
    runtime: tokio::runtime::Runtime,
    router: Router,
    clock: Arc<ManualClock>,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            // Debug builds keep the router's futures large; Lambda runs release builds.
            .thread_stack_size(16 * 1024 * 1024)
            .enable_all()
            .build()
            .expect("a runtime");
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0)
                .single()
                .expect("a date"),
        ));
        let store = Arc::new(InMemoryStore::default());
        let vault = Arc::new(InMemoryVault::default());
        // Nothing listens on port 9 locally: every call to Teamleader fails at once.
        let teamleader = koppel_teamleader::TeamleaderUrls::same("http://127.0.0.1:9");
        let app = AppSecret::from_json(
            "fuzz/app",
            &serde_json::json!({"teamleader": {"client_id": "client", "client_secret": "secret"}}),
        )
        .expect("an app secret");
        let connector = Arc::new(LiveConnector::new(
            app,
            teamleader.clone(),
            store.clone(),
            vault.clone(),
            clock.clone(),
        ));
        let connection = Connection {
            id: ConnectionId::new("c1"),
            account_id: AccountId::new(ACCOUNT),
            department_id: DepartmentId::new("dep-1"),
            ledger: LedgerKind::ExactOnline,
            ledger_company: "1001".into(),
            status: ConnectionStatus::Active,
            settings: ConnectionSettings::default(),
            teamleader_secret: "fuzz/connections/c1/teamleader".into(),
            ledger_secret: "fuzz/connections/c1/exact".into(),
            created_at: clock.now(),
            status_reason: None,
        };
        runtime
            .block_on(store.put_connection(&connection))
            .expect("a connection");
        let router = ReactivationPage::new(
            PageConfig {
                public_url: "https://koppel.example".parse().expect("a URL"),
                teamleader,
                client_id: "client".into(),
                signing_key: SigningKey::new(KEY).expect("a key"),
                secret_prefix: "fuzz/connections/".into(),
            },
            PageServices {
                store,
                vault,
                queue: Arc::new(InMemoryQueue::new()),
                files: Arc::new(InMemoryFileStore::default()),
                clock: clock.clone(),
                connector,
            },
        )
        .router();
        World {
            runtime,
            router,
            clock,
        }
    })
}

fn key() -> SigningKey {
    SigningKey::new(KEY).expect("a key")
}

/// A session cookie value: valid for `ACCOUNT`, expired, for another account, tampered, or text.
fn session_cookie() -> impl Strategy<Value = Option<String>> {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 30, 9, 0, 0)
        .single()
        .expect("a date");
    let session = move |account: &str, hours: i64| {
        key().sign(
            signing::SESSION,
            &Session {
                account: account.into(),
                user: "u-1".into(),
                name: format!("Richard {INJECTED}"),
                csrf: CSRF.into(),
                expires_at: now + Duration::hours(hours),
            },
        )
    };
    let valid = session(ACCOUNT, 1);
    prop_oneof![
        4 => Just(Some(valid.clone())),
        1 => Just(Some(session(ACCOUNT, -1))),
        1 => Just(Some(session("acc-b", 1))),
        1 => (any::<prop::sample::Index>(), any::<char>()).prop_map(move |(at, c)| {
            let mut chars: Vec<char> = valid.chars().collect();
            let at = at.index(chars.len());
            chars[at] = c;
            Some(chars.into_iter().collect())
        }),
        1 => prop::option::of("[ -~]{0,40}"),
    ]
}

/// Text visitors may send: ids and values Koppel knows, markup, odd and long text.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "c1",
            "c2",
            "dep-1",
            "exact_online",
            "70",
            "700000",
            "2026-01-01",
            "2026-02-30",
            "on",
            "",
            "1001",
            CSRF,
            INJECTED,
            "../../etc",
            "%00",
            "€",
            "\u{202e}",
        ])
        .prop_map(str::to_owned),
        "[ -~]{0,24}",
        ".{0,12}",
        ".{0,6}".prop_map(|text| format!("{text}{INJECTED}")),
    ]
}

/// `name=value&…` with Koppel's field names and others, encoded or not.
fn form() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        prop::sample::select(vec![
            "csrf",
            "csrf",
            "department",
            "ledger",
            "administration",
            "invoice_journal",
            "credit_note_journal",
            "payment_journal",
            "default_gl_account",
            "discount_gl_account",
            "start_date",
            "import_companies",
            "private_without_numbers",
            "attach_pdf",
            "automatic_sync",
            "notify_email",
            "vat_tax-21",
            "code",
            "state",
            "error",
        ])
        .prop_map(str::to_owned),
        "[a-z_]{1,8}",
    ];
    (prop::collection::vec((name, text()), 0..8), any::<bool>()).prop_map(|(fields, raw)| {
        fields
            .iter()
            .map(|(name, value)| {
                if raw {
                    format!("{name}={value}")
                } else {
                    url::form_urlencoded::Serializer::new(String::new())
                        .append_pair(name, value)
                        .finish()
                }
            })
            .collect::<Vec<_>>()
            .join("&")
    })
}

/// The callback's `state`: a valid one (its nonce was never handed out), expired, forged, text.
fn state() -> impl Strategy<Value = String> {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 30, 9, 0, 0)
        .single()
        .expect("a date");
    let state = move |hours: i64, purpose: &str| {
        key().sign(
            purpose,
            &OAuthState {
                nonce: "never-issued".into(),
                expires_at: now + Duration::hours(hours),
            },
        )
    };
    prop_oneof![
        Just(state(1, signing::STATE)),
        Just(state(-1, signing::STATE)),
        Just(state(1, signing::SESSION)),
        text(),
    ]
}

/// A request: a route with fuzzed ids, query, form body, cookies and language.
#[derive(Debug, Clone)]
struct Visit {
    method: Method,
    path: String,
    content_type: Option<String>,
    body: Vec<u8>,
    cookie: Option<String>,
    accept_language: Option<String>,
}

fn query() -> impl Strategy<Value = String> {
    prop_oneof![
        (
            prop::option::of(text()),
            prop::option::of(state()),
            prop::option::of(text())
        )
            .prop_map(|(code, state, error)| {
                let mut query = url::form_urlencoded::Serializer::new(String::new());
                if let Some(code) = code {
                    query.append_pair("code", &code);
                }
                if let Some(state) = state {
                    query.append_pair("state", &state);
                }
                if let Some(error) = error {
                    query.append_pair("error", &error);
                }
                query.finish()
            }),
        form(),
    ]
}

/// A path segment, percent-encoded so the request can be built.
fn segment() -> impl Strategy<Value = String> {
    text().prop_map(|text| url::form_urlencoded::byte_serialize(text.as_bytes()).collect())
}

fn multipart(csrf: String, file: Vec<u8>, file_name: String) -> (String, Vec<u8>) {
    let boundary = "fuzzboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(&file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn visit() -> impl Strategy<Value = Visit> {
    let get_path = prop_oneof![
        query().prop_map(|q| format!("/oauth/teamleader?{q}")),
        query().prop_map(|q| format!("/oauth/ledger?{q}")),
        query().prop_map(|q| format!("/teamleader?{q}")),
        (segment(), query()).prop_map(|(code, q)| format!("/lang/{code}?{q}")),
        segment().prop_map(|id| format!("/connections/{id}/setup")),
        segment().prop_map(|id| format!("/connections/{id}/credentials")),
        segment().prop_map(|id| format!("/connections/{id}/preview")),
        (segment(), segment(), query())
            .prop_map(|(id, run, q)| format!("/connections/{id}/runs/{run}?{q}")),
        Just("/".to_owned()),
    ]
    .boxed();
    let post_path = prop_oneof![
        Just("/onboarding".to_owned()),
        Just("/signout".to_owned()),
        prop_oneof![Just("c1".to_owned()), segment()]
            .prop_map(|id| format!("/connections/{id}/setup")),
        prop_oneof![Just("c1".to_owned()), segment()]
            .prop_map(|id| format!("/connections/{id}/credentials")),
        prop_oneof![Just("c1".to_owned()), segment()]
            .prop_map(|id| format!("/connections/{id}/administration")),
        (prop_oneof![Just("c1".to_owned()), segment()], segment())
            .prop_map(|(id, action)| format!("/connections/{id}/{action}")),
        (prop_oneof![Just("c1".to_owned()), segment()], segment())
            .prop_map(|(id, document)| format!("/connections/{id}/documents/{document}/again")),
        (prop_oneof![Just("c1".to_owned()), segment()], segment())
            .prop_map(|(id, merge)| format!("/connections/{id}/merge/{merge}/apply")),
    ]
    .boxed();
    let cookie = || {
        (
            session_cookie(),
            prop::option::of(text()),
            prop::option::of("[ -~]{0,30}"),
        )
            .prop_map(|(session, language, other)| {
                let mut parts = Vec::new();
                if let Some(session) = session {
                    parts.push(format!("{SESSION_COOKIE}={session}"));
                }
                if let Some(language) = language {
                    parts.push(format!("{LANGUAGE_COOKIE}={language}"));
                }
                parts.extend(other);
                (!parts.is_empty()).then(|| parts.join("; "))
            })
    };
    let language = || {
        prop::option::of(prop_oneof![
            Just("nl-BE,nl;q=0.9,fr;q=0.8".to_owned()),
            "[ -~]{0,30}",
        ])
    };
    let upload = (
        prop_oneof![Just(CSRF.to_owned()), text()],
        prop_oneof![
            Just(b"Naam;Externe ID;BTW-nummer\r\nPied Piper;4711;BE0403170701\r\n".to_vec()),
            prop::collection::vec(any::<u8>(), 0..256),
        ],
        prop_oneof![Just("merge.csv".to_owned()), "[ -~]{0,12}"],
    )
        .prop_map(|(csrf, file, name)| multipart(csrf, file, name))
        .boxed();
    prop_oneof![
        (get_path, cookie(), language()).prop_map(|(path, cookie, accept_language)| {
            Visit {
                method: Method::GET,
                path,
                content_type: None,
                body: Vec::new(),
                cookie,
                accept_language,
            }
        }),
        (post_path, form(), cookie(), language()).prop_map(
            |(path, form, cookie, accept_language)| Visit {
                method: Method::POST,
                path,
                content_type: Some("application/x-www-form-urlencoded".into()),
                body: form.into_bytes(),
                cookie,
                accept_language,
            }
        ),
        (
            prop_oneof![Just("c1".to_owned()), segment()],
            upload,
            cookie(),
            language()
        )
            .prop_map(
                |(id, (content_type, body), cookie, accept_language)| Visit {
                    method: Method::POST,
                    path: format!("/connections/{id}/merge"),
                    content_type: Some(content_type),
                    body,
                    cookie,
                    accept_language,
                }
            ),
    ]
}

/// The answer's status and body for `visit`; `None` when the request cannot be built at all
/// (a header value no client could send).
fn answer(visit: &Visit) -> Option<(u16, String)> {
    let world = world();
    let mut request = Request::builder()
        .method(visit.method.clone())
        .uri(&visit.path);
    if let Some(content_type) = &visit.content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    if let Some(cookie) = &visit.cookie {
        request = request.header(header::COOKIE, cookie);
    }
    if let Some(language) = &visit.accept_language {
        request = request.header(header::ACCEPT_LANGUAGE, language);
    }
    let request = request.body(Body::from(visit.body.clone())).ok()?;
    let router = world.router.clone();
    // On a worker thread of the runtime (a large stack), as the Lambda runtime serves it.
    let served = world.runtime.spawn(async move {
        let response = router.oneshot(request).await.ok()?;
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.ok()?.to_bytes();
        Some((status, String::from_utf8_lossy(&bytes).into_owned()))
    });
    world
        .runtime
        .block_on(served)
        .unwrap_or_else(|error| std::panic::resume_unwind(error.into_panic()))
}

/// Runs the visitors' property on a thread with a large stack: the strategy's and the router's
/// types nest deeply, and debug builds keep every level on the stack.
#[test]
fn visitors_input_never_breaks_the_page() {
    let run = || {
        let mut runner = proptest::test_runner::TestRunner::new(fuzz_config());
        runner.run(&visit(), |visit| {
            let before = world().clock.now();
            if let Some((status, body)) = answer(&visit) {
                // A 5xx (Teamleader unreachable, the fixture's connection has no tokens) is the
                // page's own problem page, not a crash.
                prop_assert!(
                    status < 500 || body.contains("role=\"alert\""),
                    "HTTP {} for {:?}: {}",
                    status,
                    visit,
                    body
                );
                prop_assert!(!body.contains(INJECTED), "markup echoed for {:?}", visit);
            }
            prop_assert!(world().clock.now() >= before);
            Ok(())
        })
    };
    let outcome = std::thread::Builder::new()
        .stack_size(64 * 1024 * 1024)
        .spawn(run)
        .expect("a thread")
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}

proptest! {
    #![proptest_config(fuzz_config())]

    #[test]
    fn signed_tokens_verify_only_as_signed(token in prop_oneof![".{0,80}", "[A-Za-z0-9_-]{0,40}\\.[A-Za-z0-9_-]{0,43}"], purpose in prop::sample::select(vec![signing::SESSION, signing::STATE])) {
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).single().expect("a date");
        prop_assert!(key().verify::<Session>(purpose, &token, now).is_none());
        prop_assert!(key().verify::<OAuthState>(purpose, &token, now).is_none());
        prop_assert!(!signing::same_token(&token, CSRF) || token == CSRF);
    }
}
