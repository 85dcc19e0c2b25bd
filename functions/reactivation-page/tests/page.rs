//! The page's routes end to end in-process: the router with in-memory state, the real
//! Teamleader client and OAuth against the Teamleader simulator (sign-in, reactivation, the
//! access check, errors), and the security rules — a session of account A gets 404 for
//! everything of account B, every POST needs the session's CSRF token, every answer carries
//! the security headers, and no token ever appears in a page or a URL.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::{TimeZone, Utc};
use http_body_util::BodyExt;
use koppel_connect::{AppSecret, LiveConnector};
use koppel_core::memory::{
    InMemoryFileStore, InMemoryQueue, InMemoryStore, InMemoryVault, ManualClock,
};
use koppel_core::{
    AccountId, Clock, Connection, ConnectionId, ConnectionSettings, ConnectionStatus,
    ConnectionStore, DepartmentId, FileStore, JobKind, LedgerKind, OAuthTokens, RunCounts, RunId,
    RunReport, RunReportStore, RunStatus, Vault,
};
use koppel_sim::teamleader::{self, GenerateSpec, Login, OAuthApp};
use reactivation_page::signing::SigningKey;
use reactivation_page::{PageConfig, PageServices, ReactivationPage};
use std::sync::Arc;
use tower::ServiceExt;

const PUBLIC: &str = "https://koppel.example";
const PREFIX: &str = "test/connections/";

struct World {
    sim: teamleader::SimHandle,
    clock: Arc<ManualClock>,
    store: Arc<InMemoryStore>,
    vault: Arc<InMemoryVault>,
    queue: Arc<InMemoryQueue>,
    files: Arc<InMemoryFileStore>,
    account: String,
    other_account: String,
    connector: Arc<LiveConnector>,
}

struct Answer {
    status: StatusCode,
    location: Option<String>,
    cookies: Vec<String>,
    headers: header::HeaderMap,
    body: String,
}

impl World {
    async fn start() -> Self {
        Self::start_with_scopes(None).await
    }

    async fn start_with_scopes(scopes: Option<Vec<&str>>) -> Self {
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap(),
        ));
        let sim = teamleader::spawn(teamleader::SimOptions {
            apps: vec![OAuthApp {
                client_id: teamleader::DEFAULT_CLIENT_ID.into(),
                client_secret: teamleader::DEFAULT_CLIENT_SECRET.into(),
                redirect_uri: Some(format!("{PUBLIC}/oauth/teamleader")),
                scopes: scopes.map(|s| s.into_iter().map(str::to_owned).collect()),
            }],
            ..teamleader::SimOptions::default().with_clock(clock.clone())
        })
        .await
        .unwrap();
        let account = sim.generate(&GenerateSpec::companies_only(7, 3)).unwrap();
        let other_account = sim.generate(&GenerateSpec::companies_only(8, 3)).unwrap();
        sim.set_login(Login::Approve {
            account_id: account.clone(),
            user_id: None,
        });
        let store = Arc::new(InMemoryStore::default());
        let vault = Arc::new(InMemoryVault::default());
        let app = AppSecret::from_json(
            "test/app",
            &serde_json::json!({
                "teamleader": {
                    "client_id": teamleader::DEFAULT_CLIENT_ID,
                    "client_secret": teamleader::DEFAULT_CLIENT_SECRET,
                },
            }),
        )
        .unwrap();
        let connector = Arc::new(LiveConnector::new(
            app,
            koppel_teamleader::TeamleaderUrls::same(&sim.base_url),
            store.clone(),
            vault.clone(),
            clock.clone(),
        ));
        Self {
            sim,
            clock,
            store,
            vault,
            queue: Arc::new(InMemoryQueue::new()),
            files: Arc::new(InMemoryFileStore::default()),
            account,
            other_account,
            connector,
        }
    }

    fn router(&self) -> Router {
        ReactivationPage::new(
            PageConfig {
                public_url: PUBLIC.parse().unwrap(),
                teamleader: koppel_teamleader::TeamleaderUrls::same(&self.sim.base_url),
                client_id: teamleader::DEFAULT_CLIENT_ID.into(),
                signing_key: SigningKey::new("a test key of at least thirty-two bytes").unwrap(),
                secret_prefix: PREFIX.into(),
            },
            PageServices {
                store: self.store.clone(),
                vault: self.vault.clone(),
                queue: self.queue.clone(),
                files: self.files.clone(),
                clock: self.clock.clone(),
                connector: self.connector.clone(),
            },
        )
        .router()
    }

    /// A connection of `account` (its Teamleader tokens issued directly when `tokens`).
    async fn connection(&self, id: &str, account: &str, status: ConnectionStatus) -> Connection {
        let secret = format!("{PREFIX}{id}/teamleader");
        let pair = self
            .sim
            .issue_tokens(account, Some(teamleader::DEFAULT_CLIENT_ID), None)
            .unwrap();
        let tokens = OAuthTokens {
            access_token: pair.access_token,
            refresh_token: pair.refresh_token,
            expires_at: self.clock.now() + chrono::Duration::seconds(pair.expires_in),
        };
        self.vault
            .write(&secret, &serde_json::to_value(&tokens).unwrap())
            .await
            .unwrap();
        let department = self
            .sim
            .with_account(account, |a| a.departments[0].id.clone())
            .unwrap();
        let connection = Connection {
            id: ConnectionId::new(id),
            account_id: AccountId::new(account),
            department_id: DepartmentId::new(department),
            ledger: LedgerKind::ExactOnline,
            ledger_company: "1001".into(),
            status,
            settings: ConnectionSettings {
                automatic_sync: true,
                ..Default::default()
            },
            teamleader_secret: secret,
            ledger_secret: format!("{PREFIX}{id}/exact"),
            created_at: self.clock.now(),
            status_reason: (status == ConnectionStatus::NeedsReauth).then(|| {
                "Teamleader Focus refused Koppel's access (refresh token revoked). Open the reactivation page and sign in to Teamleader Focus again.".into()
            }),
        };
        self.store.put_connection(&connection).await.unwrap();
        connection
    }

    async fn send(
        &self,
        method: Method,
        uri: &str,
        cookie: Option<&str>,
        form: Option<&str>,
    ) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::ACCEPT_LANGUAGE, "en");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let body = match form {
            Some(form) => {
                request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(form.to_owned())
            }
            None => Body::empty(),
        };
        let response = self
            .router()
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let location = headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let cookies = headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            location,
            cookies,
            headers,
            body: String::from_utf8(body.to_vec()).unwrap(),
        }
    }

    async fn get(&self, uri: &str, cookie: Option<&str>) -> Answer {
        self.send(Method::GET, uri, cookie, None).await
    }

    /// Follow the authorize redirect at the simulator: where Teamleader sends the browser.
    async fn authorize(&self, authorize_url: &str) -> String {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let response = client.get(authorize_url).send().await.unwrap();
        assert_eq!(
            response.status().as_u16(),
            302,
            "{:?}",
            response.text().await
        );
        let location = response.headers()[header::LOCATION.as_str()]
            .to_str()
            .unwrap()
            .to_owned();
        let path = location
            .strip_prefix(PUBLIC)
            .unwrap_or_else(|| panic!("redirected outside the page: {location}"));
        path.to_owned()
    }

    /// Sign in through the simulator; the session cookie (`name=value`).
    async fn sign_in(&self) -> String {
        let start = self.get("/teamleader", None).await;
        assert_eq!(start.status, StatusCode::SEE_OTHER);
        let callback = self.authorize(start.location.as_deref().unwrap()).await;
        let back = self.get(&callback, None).await;
        assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
        assert_eq!(back.location.as_deref(), Some("/teamleader?done=signed-in"));
        back.cookies
            .iter()
            .find(|c| c.starts_with("koppel_session="))
            .map(|c| c.split(';').next().unwrap().to_owned())
            .expect("a session cookie")
    }

    fn csrf_of(page: &str) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = page.find(marker).expect("a form with a CSRF token") + marker.len();
        page[start..].split('"').next().unwrap().to_owned()
    }
}

fn assert_security_headers(answer: &Answer) {
    let csp = answer.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(
        !csp.contains("script-src"),
        "no script allowed at all: {csp}"
    );
    assert_eq!(answer.headers[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(answer.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(!answer.body.contains("<script"), "no script in any page");
}

#[tokio::test]
async fn signing_in_reactivates_every_connection_of_the_account_and_shows_them() {
    let world = World::start().await;
    world
        .connection("a-1", &world.account, ConnectionStatus::NeedsReauth)
        .await;
    world
        .connection("a-2", &world.account, ConnectionStatus::Active)
        .await;
    world
        .connection("b-1", &world.other_account, ConnectionStatus::NeedsReauth)
        .await;

    let start = world.get("/teamleader", None).await;
    assert_eq!(start.status, StatusCode::SEE_OTHER);
    let authorize = url::Url::parse(start.location.as_deref().unwrap()).unwrap();
    let params: std::collections::HashMap<_, _> = authorize.query_pairs().into_owned().collect();
    assert_eq!(params["client_id"], teamleader::DEFAULT_CLIENT_ID);
    assert_eq!(params["redirect_uri"], format!("{PUBLIC}/oauth/teamleader"));
    assert!(params["state"].len() > 40, "a signed state");

    let session = world.sign_in().await;
    let secret = format!("{PREFIX}account-{}/teamleader", world.account);
    assert!(
        world.vault.read(&secret).await.unwrap().is_some(),
        "tokens stored for the account"
    );
    for id in ["a-1", "a-2"] {
        let c = world
            .store
            .connection(&ConnectionId::new(id))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.status, ConnectionStatus::Active, "{id}");
        assert_eq!(c.teamleader_secret, secret, "{id}");
    }
    let b = world
        .store
        .connection(&ConnectionId::new("b-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        b.status,
        ConnectionStatus::NeedsReauth,
        "another account is untouched"
    );

    let status = world
        .get("/teamleader?done=signed-in", Some(&session))
        .await;
    assert_eq!(status.status, StatusCode::OK);
    assert_security_headers(&status);
    assert!(status.body.contains("You are signed in"), "{}", status.body);
    assert!(status.body.contains("Up &amp; Running"), "{}", status.body);
    assert!(status.body.contains("/connections/a-1/sync"));
    assert!(status.body.contains("/connections/a-2/sync"));
    assert!(!status.body.contains("b-1"), "nothing of account B");
    let department = world
        .sim
        .with_account(&world.account, |a| a.departments[0].name.clone())
        .unwrap();
    assert!(
        status.body.contains(&department),
        "department names from Teamleader"
    );
    // The session reads the new tokens: the connection works from here on.
    let tokens = world.vault.read(&secret).await.unwrap().unwrap();
    for token in ["access_token", "refresh_token"] {
        let value = tokens.value[token].as_str().unwrap();
        assert!(
            !status.body.contains(value) && !session.contains(value),
            "{token} leaked"
        );
    }
}

#[tokio::test]
async fn refused_consent_replayed_or_expired_state_and_bad_codes_say_what_happened() {
    let world = World::start().await;
    let denied = world
        .get("/oauth/teamleader?error=access_denied&state=x", None)
        .await;
    assert_eq!(denied.status, StatusCode::BAD_REQUEST);
    assert!(
        denied.body.contains("You did not give Koppel access"),
        "{}",
        denied.body
    );
    assert!(
        denied.body.contains("href=\"/teamleader\""),
        "offers to try again"
    );
    assert_security_headers(&denied);

    let forged = world
        .get("/oauth/teamleader?code=abc&state=forged.state", None)
        .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert!(forged.body.contains("expired or was already used"));

    // A callback used twice: the second finds its state taken.
    let start = world.get("/teamleader", None).await;
    let callback = world.authorize(start.location.as_deref().unwrap()).await;
    assert_eq!(
        world.get(&callback, None).await.status,
        StatusCode::SEE_OTHER
    );
    let replay = world.get(&callback, None).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    assert!(
        replay.body.contains("expired or was already used"),
        "{}",
        replay.body
    );

    // A state older than ten minutes.
    let start = world.get("/teamleader", None).await;
    let callback = world.authorize(start.location.as_deref().unwrap()).await;
    world.clock.advance(std::time::Duration::from_secs(11 * 60));
    let late = world.get(&callback, None).await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST);
    assert!(late.body.contains("expired or was already used"));

    // A good state with a code Teamleader does not know.
    let start = world.get("/teamleader", None).await;
    let callback = world.authorize(start.location.as_deref().unwrap()).await;
    let url = url::Url::parse(&format!("{PUBLIC}{callback}")).unwrap();
    let state: String = url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let bad_code = world
        .get(&format!("/oauth/teamleader?code=nope&state={state}"), None)
        .await;
    assert_eq!(bad_code.status, StatusCode::BAD_REQUEST);
    assert!(
        bad_code.body.contains("did not accept the sign-in"),
        "{}",
        bad_code.body
    );
    assert!(!bad_code.body.contains("invalid_grant"), "no raw error");
}

#[tokio::test]
async fn a_user_without_the_needed_access_is_told_which_before_anything_is_saved() {
    let world = World::start_with_scopes(Some(vec![
        "invoices",
        "departments",
        "companies",
        "products",
    ]))
    .await;
    world
        .connection("a-1", &world.account, ConnectionStatus::NeedsReauth)
        .await;
    let start = world.get("/teamleader", None).await;
    let callback = world.authorize(start.location.as_deref().unwrap()).await;
    let answer = world.get(&callback, None).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert!(answer.body.contains("has no access to"), "{}", answer.body);
    assert!(answer.body.contains("Contacts"), "{}", answer.body);
    assert!(!answer.body.contains("Companies"), "{}", answer.body);
    assert!(answer.cookies.is_empty(), "no session");
    let secret = format!("{PREFIX}account-{}/teamleader", world.account);
    assert!(
        world.vault.read(&secret).await.unwrap().is_none(),
        "nothing stored"
    );
    let c = world
        .store
        .connection(&ConnectionId::new("a-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.status, ConnectionStatus::NeedsReauth);
}

#[tokio::test]
async fn the_anonymous_reactivation_url_retries_the_link_and_says_only_up_or_sign_in() {
    let world = World::start().await;
    world
        .connection("a-1", &world.account, ConnectionStatus::NeedsReauth)
        .await;
    let up = world.get("/teamleader?c=a-1", None).await;
    assert_eq!(up.status, StatusCode::OK);
    assert!(up.body.contains("Up &amp; Running"), "{}", up.body);
    let c = world
        .store
        .connection(&ConnectionId::new("a-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        c.status,
        ConnectionStatus::Active,
        "reactivated by opening the URL"
    );

    world.sim.revoke_tokens(&world.account);
    world.sim.expire_access_tokens(Some(&world.account));
    let down = world.get("/teamleader?c=a-1", None).await;
    assert_eq!(down.status, StatusCode::OK);
    assert!(down.body.contains("Sign in to reactivate"), "{}", down.body);
    assert!(
        !down.body.contains("refused"),
        "no detail without a session: {}",
        down.body
    );
    let unknown = world.get("/teamleader?c=nope", None).await;
    assert_eq!(
        unknown.body.replace("nope", ""),
        down.body.replace("a-1", ""),
        "same answer"
    );
}

#[tokio::test]
async fn sync_now_queues_the_export_and_the_report_page_follows_it() {
    let world = World::start().await;
    world
        .connection("a-1", &world.account, ConnectionStatus::Active)
        .await;
    let session = world.sign_in().await;
    let status = world.get("/teamleader", Some(&session)).await;
    let csrf = World::csrf_of(&status.body);

    let sync = world
        .send(
            Method::POST,
            "/connections/a-1/sync",
            Some(&session),
            Some(&format!("csrf={csrf}")),
        )
        .await;
    assert_eq!(sync.status, StatusCode::SEE_OTHER, "{}", sync.body);
    let report_path = sync.location.unwrap();
    assert!(
        report_path.starts_with("/connections/a-1/runs/manual-"),
        "{report_path}"
    );
    let sent = world.queue.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].kind, JobKind::InvoiceExport);

    let queued = world.get(&report_path, Some(&session)).await;
    assert_eq!(queued.status, StatusCode::OK);
    assert!(queued.body.contains("Queued") && queued.body.contains("http-equiv=\"refresh\""));

    let mut report = RunReport::start(
        ConnectionId::new("a-1"),
        sent[0].run_id.clone(),
        "invoice-export",
        RunCounts::Nothing,
        world.clock.now(),
    );
    report.status = RunStatus::Succeeded;
    world.store.put_run_report(&report).await.unwrap();
    let done = world.get(&report_path, Some(&session)).await;
    assert!(done.body.contains("Succeeded"), "{}", done.body);
    assert!(
        !done.body.contains("http-equiv=\"refresh\""),
        "stops refreshing when done"
    );

    let import = world
        .send(
            Method::POST,
            "/connections/a-1/import",
            Some(&session),
            Some(&format!("csrf={csrf}")),
        )
        .await;
    assert_eq!(import.status, StatusCode::SEE_OTHER);
    assert_eq!(world.queue.sent()[1].kind, JobKind::CompanyImport);

    let pause = world
        .send(
            Method::POST,
            "/connections/a-1/pause",
            Some(&session),
            Some(&format!("csrf={csrf}")),
        )
        .await;
    assert_eq!(pause.location.as_deref(), Some("/teamleader?done=paused"));
    let c = world
        .store
        .connection(&ConnectionId::new("a-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.status, ConnectionStatus::Paused);
    let paused_page = world.get("/teamleader?done=paused", Some(&session)).await;
    assert!(paused_page.body.contains("None: the connection is paused"));
    world
        .send(
            Method::POST,
            "/connections/a-1/resume",
            Some(&session),
            Some(&format!("csrf={csrf}")),
        )
        .await;
    let c = world
        .store
        .connection(&ConnectionId::new("a-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.status, ConnectionStatus::Active);
}

#[tokio::test]
async fn a_session_of_account_a_gets_404_for_everything_of_account_b_and_posts_need_csrf() {
    let world = World::start().await;
    world
        .connection("a-1", &world.account, ConnectionStatus::Active)
        .await;
    world
        .connection("b-1", &world.other_account, ConnectionStatus::Active)
        .await;
    let b_run = RunReport::start(
        ConnectionId::new("b-1"),
        RunId::new("r-b"),
        "invoice-export",
        RunCounts::Nothing,
        world.clock.now(),
    );
    world.store.put_run_report(&b_run).await.unwrap();
    let session = world.sign_in().await;
    let csrf = World::csrf_of(&world.get("/teamleader", Some(&session)).await.body);
    let form = format!("csrf={csrf}");

    let report = world.get("/connections/b-1/runs/r-b", Some(&session)).await;
    assert_eq!(report.status, StatusCode::NOT_FOUND);
    for path in [
        "/connections/b-1/preview",
        "/connections/b-1/setup",
        "/connections/b-1/credentials",
    ] {
        assert_eq!(
            world.get(path, Some(&session)).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    for path in [
        "/connections/b-1/documents/d-1/again",
        "/connections/b-1/backfill",
        "/connections/b-1/setup",
        "/connections/b-1/administration",
        "/connections/b-1/credentials",
        "/connections/b-1/automatic-on",
        "/connections/b-1/reconnect",
    ] {
        let answer = world
            .send(Method::POST, path, Some(&session), Some(&form))
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_security_headers(&report);
    for action in ["sync", "import", "pause", "resume", "automatic-off"] {
        let answer = world
            .send(
                Method::POST,
                &format!("/connections/b-1/{action}"),
                Some(&session),
                Some(&form),
            )
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{action}");
    }
    assert!(world.queue.sent().is_empty(), "nothing queued for B");
    let b = world
        .store
        .connection(&ConnectionId::new("b-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(b.status, ConnectionStatus::Active, "B not paused");

    // Own connection, but without or with a wrong CSRF token, or without a session.
    for (cookie, body) in [
        (Some(session.as_str()), "csrf=wrong"),
        (Some(session.as_str()), ""),
        (None, form.as_str()),
    ] {
        let answer = world
            .send(Method::POST, "/connections/a-1/pause", cookie, Some(body))
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{cookie:?} {body}");
    }
    let a = world
        .store
        .connection(&ConnectionId::new("a-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.status, ConnectionStatus::Active);
    // Unknown actions and methods.
    let unknown = world
        .send(
            Method::POST,
            "/connections/a-1/delete",
            Some(&session),
            Some(&form),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let wrong_method = world.get("/connections/a-1/sync", Some(&session)).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    let signout_get = world.get("/signout", Some(&session)).await;
    assert_eq!(signout_get.status, StatusCode::METHOD_NOT_ALLOWED);
    // A report page without a session sends to the sign-in.
    let anonymous = world.get("/connections/a-1/runs/r-b", None).await;
    assert_eq!(anonymous.location.as_deref(), Some("/teamleader"));
}

#[tokio::test]
async fn the_language_follows_the_browser_and_the_switch_which_only_returns_to_own_paths() {
    let world = World::start().await;
    let router = world.router();
    let request = Request::get("/")
        .header(header::ACCEPT_LANGUAGE, "fr-BE,fr;q=0.9")
        .body(Body::empty())
        .unwrap();
    let response = router.oneshot(request).await.unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("Se connecter avec Teamleader") && body.contains("lang=\"fr\""));

    let switch = world.get("/lang/nl?back=/teamleader", None).await;
    assert_eq!(switch.location.as_deref(), Some("/teamleader"));
    assert!(switch.cookies[0].starts_with("koppel_lang=nl;"));
    let page = world.get("/", Some("koppel_lang=nl")).await;
    assert!(page.body.contains("Aanmelden met Teamleader"));
    for evil in ["//evil.example", "https://evil.example", "/\\evil.example"] {
        let answer = world.get(&format!("/lang/en?back={evil}"), None).await;
        assert_eq!(answer.location.as_deref(), Some("/"), "{evil}");
    }
    assert_eq!(
        world.get("/lang/de", None).await.status,
        StatusCode::NOT_FOUND
    );
    let css = world.get("/style.css", None).await;
    assert_eq!(css.headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited_per_client() {
    let world = World::start().await;
    let router = world.router();
    let mut last = StatusCode::OK;
    for _ in 0..21 {
        let request = Request::get("/teamleader")
            .header("x-forwarded-for", "203.0.113.9")
            .body(Body::empty())
            .unwrap();
        last = router.clone().oneshot(request).await.unwrap().status();
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    let other = Request::get("/teamleader")
        .header("x-forwarded-for", "203.0.113.10")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        router.oneshot(other).await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_lambda_function_url_event_reaches_the_router() {
    // The event as the function URL delivers it, parsed by lambda_http, answered by the
    // router: what `lambda_http::run(router)` does in Lambda.
    let world = World::start().await;
    let json = r#"{"version":"2.0","routeKey":"$default","rawPath":"/","rawQueryString":"","headers":{"accept-language":"nl","host":"k.example"},
        "requestContext":{"accountId":"anonymous","apiId":"x","domainName":"k.example","domainPrefix":"k","http":{"method":"GET","path":"/","protocol":"HTTP/1.1","sourceIp":"127.0.0.1","userAgent":"t"},
        "requestId":"r","routeKey":"$default","stage":"$default","time":"23/Nov/2026:02:00:00 +0000","timeEpoch":1795399200000},"isBase64Encoded":false}"#;
    let request = lambda_http::request::from_str(json).unwrap();
    let response = world.router().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("Aanmelden met Teamleader"));
}

#[tokio::test]
async fn export_again_puts_a_refused_document_back_for_the_next_run() {
    use koppel_core::{DocumentId, DocumentKind, DocumentRecord, DocumentStore, ExportState};
    let world = World::start().await;
    world
        .connection("a-1", &world.account, ConnectionStatus::Active)
        .await;
    let mut record = DocumentRecord::pending(
        ConnectionId::new("a-1"),
        DocumentId::new("d-1"),
        DocumentKind::Invoice,
        Some("2026 / 7".into()),
        world.clock.now(),
    );
    record.state = ExportState::Failed {
        reason: "Map the line to a revenue account".into(),
    };
    world.store.put_document(&record).await.unwrap();
    let session = world.sign_in().await;
    let csrf = World::csrf_of(&world.get("/teamleader", Some(&session)).await.body);
    let answer = world
        .send(
            Method::POST,
            "/connections/a-1/documents/d-1/again",
            Some(&session),
            Some(&format!("csrf={csrf}")),
        )
        .await;
    assert_eq!(
        answer.location.as_deref(),
        Some("/teamleader?done=export-again")
    );
    let again = world
        .store
        .document(&ConnectionId::new("a-1"), &DocumentId::new("d-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.state, ExportState::Pending);
    let unknown = world
        .send(
            Method::POST,
            "/connections/a-1/documents/nope/again",
            Some(&session),
            Some(&format!("csrf={csrf}")),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn export_again_from_a_date_queues_a_backfill_that_looks_every_document_up_first() {
    let world = World::start().await;
    world
        .connection("a-1", &world.account, ConnectionStatus::Active)
        .await;
    world
        .connection("a-2", &world.account, ConnectionStatus::Paused)
        .await;
    let session = world.sign_in().await;
    let status = world.get("/teamleader", Some(&session)).await;
    let csrf = World::csrf_of(&status.body);
    // Offered on the active connection only, up to today in Brussels.
    assert!(
        status.body.contains("action=\"/connections/a-1/backfill\""),
        "{}",
        status.body
    );
    assert!(status.body.contains("Export again from…"));
    assert!(status.body.contains("max=\"2026-11-30\""));
    assert!(!status.body.contains("/connections/a-2/backfill"));

    let post = |form: String, id: &'static str| {
        let world = &world;
        let session = session.clone();
        async move {
            world
                .send(
                    Method::POST,
                    &format!("/connections/{id}/backfill"),
                    Some(&session),
                    Some(&form),
                )
                .await
        }
    };
    let asked = post(format!("csrf={csrf}&from=2026-09-01"), "a-1").await;
    assert_eq!(
        asked.location.as_deref(),
        Some("/teamleader?done=backfill"),
        "{}",
        asked.body
    );
    let sent = world.queue.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].kind, JobKind::InvoiceExport);
    assert_eq!(sent[0].sequence, 0);
    assert!(
        sent[0].run_id.as_str().starts_with("backfill-2026-09-01-"),
        "{:?}",
        sent[0].run_id
    );
    let cursor: serde_json::Value =
        serde_json::from_str(sent[0].cursor.as_deref().expect("a cursor")).unwrap();
    assert_eq!(cursor["look_up_first"], true);
    assert_eq!(cursor["since"], "2026-08-31T22:00:00Z", "00:00 in Brussels");
    let flash = world.get("/teamleader?done=backfill", Some(&session)).await;
    assert!(
        flash
            .body
            .contains("The documents from that date are being exported again."),
        "{}",
        flash.body
    );

    // Refused, nothing queued: without the CSRF token, a day after today, not a date, no
    // date, a paused connection.
    let forbidden = post("from=2026-09-01".to_owned(), "a-1").await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    for form in [
        format!("csrf={csrf}&from=2026-12-01"),
        format!("csrf={csrf}&from=01%2F09%2F2026"),
        format!("csrf={csrf}"),
    ] {
        let refused = post(form.clone(), "a-1").await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{form}");
        assert!(
            refused.body.contains("Choose a date in the past or today."),
            "{form}"
        );
    }
    let paused = post(format!("csrf={csrf}&from=2026-09-01"), "a-2").await;
    assert_eq!(paused.status, StatusCode::CONFLICT);
    assert!(paused.body.contains("This connection is not active."));
    assert_eq!(world.queue.sent().len(), 1, "only the first one queued");
}

/// A multipart body with the CSRF token, the criterion and a file (what a browser sends).
fn multipart(csrf: &str, match_by: &str, file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----koppel-test-boundary";
    let mut body = Vec::new();
    for (name, value) in [("csrf", csrf), ("match_by", match_by)] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(
    world: &World,
    path: &str,
    cookie: &str,
    content_type: &str,
    body: Vec<u8>,
    length: Option<usize>,
) -> (StatusCode, Option<String>, String) {
    let mut request = Request::post(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::ACCEPT_LANGUAGE, "en");
    if let Some(length) = length {
        request = request.header(header::CONTENT_LENGTH, length);
    }
    let response = world
        .router()
        .oneshot(request.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        location,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

#[tokio::test]
async fn a_merge_file_is_uploaded_previewed_then_applied_and_bad_uploads_are_refused() {
    use koppel_core::{MergeJobStore, RunIssue};
    let world = World::start().await;
    world
        .connection("a-1", &world.account, ConnectionStatus::Active)
        .await;
    world
        .connection("b-1", &world.other_account, ConnectionStatus::Active)
        .await;
    let session = world.sign_in().await;
    let status_page = world.get("/teamleader", Some(&session)).await;
    assert!(status_page.body.contains("enctype=\"multipart/form-data\""));
    let csrf = World::csrf_of(&status_page.body);
    let file = "Naam;Btw-nummer\r\nAcme NV;BE0403170701\r\n".as_bytes();

    let (content_type, body) = multipart(&csrf, "vat", "segment.csv", file);
    let (status, location, page) = upload(
        &world,
        "/connections/a-1/merge",
        &session,
        &content_type,
        body,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let location = location.unwrap();
    assert!(
        location.starts_with("/connections/a-1/runs/merge-") && location.ends_with("-preview"),
        "{location}"
    );
    let sent = world.queue.sent();
    let JobKind::MergeFile { merge_id, apply } = sent[0].kind.clone() else {
        panic!("{:?}", sent[0].kind)
    };
    assert!(!apply, "a preview first");
    let job = world
        .store
        .merge_job(&ConnectionId::new("a-1"), &merge_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.file_name, "segment.csv");
    assert_eq!(job.match_by, koppel_core::jobs::merge::MatchBy::VatNumber);
    assert_eq!(world.files.get(&job.file_key).await.unwrap().unwrap(), file);

    // The finished preview offers "Apply"; applying queues it once.
    let mut report = RunReport::start(
        ConnectionId::new("a-1"),
        sent[0].run_id.clone(),
        "merge-file",
        RunCounts::Nothing,
        world.clock.now(),
    );
    report.status = RunStatus::CompletedWithIssues;
    report.issues.push(RunIssue {
        subject: koppel_core::IssueSubject::FileRow {
            file: "segment.csv".into(),
            row: 2,
        },
        outcome: koppel_core::IssueOutcome::Failed,
        reason: "No Teamleader company has this VAT number: merge it by hand.".into(),
    });
    world.store.put_run_report(&report).await.unwrap();
    let preview = world.get(&location, Some(&session)).await;
    assert!(
        preview.body.contains("segment.csv row 2"),
        "{}",
        preview.body
    );
    assert!(
        preview
            .body
            .contains(&format!("/connections/a-1/merge/{merge_id}/apply"))
    );
    let applied = world
        .send(
            Method::POST,
            &format!("/connections/a-1/merge/{merge_id}/apply"),
            Some(&session),
            Some(&format!("csrf={csrf}")),
        )
        .await;
    assert_eq!(applied.status, StatusCode::SEE_OTHER);
    assert!(applied.location.unwrap().ends_with("-apply"));
    assert_eq!(
        world.queue.sent()[1].kind,
        JobKind::MergeFile {
            merge_id: merge_id.clone(),
            apply: true
        }
    );

    // Bad uploads: too large by its announced length (nothing read), no CSRF, another
    // account's connection, no file.
    let (content_type, body) = multipart(&csrf, "vat", "big.csv", b"x");
    let (status, _, page) = upload(
        &world,
        "/connections/a-1/merge",
        &session,
        &content_type,
        body,
        Some(50 * 1024 * 1024),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.contains("larger than 10 MB"), "{page}");
    let big = vec![b'a'; 11 * 1024 * 1024];
    let (content_type, body) = multipart(&csrf, "vat", "big.csv", &big);
    let (status, _, _) = upload(
        &world,
        "/connections/a-1/merge",
        &session,
        &content_type,
        body,
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "a body over the limit is not read whole"
    );
    let (content_type, body) = multipart("wrong", "vat", "x.csv", file);
    let (status, _, _) = upload(
        &world,
        "/connections/a-1/merge",
        &session,
        &content_type,
        body,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (content_type, body) = multipart(&csrf, "vat", "x.csv", file);
    let (status, _, _) = upload(
        &world,
        "/connections/b-1/merge",
        &session,
        &content_type,
        body,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (content_type, body) = multipart(&csrf, "vat", "", b"");
    let (status, _, page) = upload(
        &world,
        "/connections/a-1/merge",
        &session,
        &content_type,
        body,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert_eq!(world.queue.sent().len(), 2, "nothing else queued");
    let apply_b = world
        .send(
            Method::POST,
            &format!("/connections/b-1/merge/{merge_id}/apply"),
            Some(&session),
            Some(&format!("csrf={csrf}")),
        )
        .await;
    assert_eq!(apply_b.status, StatusCode::NOT_FOUND);

    // Uploads are rate-limited per client (one page instance, as one Lambda instance).
    let router = world.router();
    let mut statuses = Vec::new();
    for _ in 0..11 {
        let (content_type, body) = multipart(&csrf, "name", "x.csv", file);
        let request = Request::post("/connections/a-1/merge")
            .header(header::COOKIE, &session)
            .header(header::CONTENT_TYPE, content_type)
            .header("x-forwarded-for", "198.51.100.7")
            .body(Body::from(body))
            .unwrap();
        statuses.push(router.clone().oneshot(request).await.unwrap().status());
    }
    assert!(
        statuses[..10].iter().all(|s| *s == StatusCode::SEE_OTHER),
        "{statuses:?}"
    );
    assert_eq!(statuses[10], StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn an_interrupted_run_says_so_and_offers_run_again_which_queues_a_new_export() {
    let world = World::start().await;
    world
        .connection("a-1", &world.account, ConnectionStatus::Active)
        .await;
    let mut report = RunReport::start(
        ConnectionId::new("a-1"),
        koppel_core::RunId::new("invoice-export-20261120T0100Z"),
        "invoice-export",
        RunCounts::Nothing,
        world.clock.now(),
    );
    report.status = RunStatus::Interrupted;
    report.message = Some("This run stopped before its end.".into());
    world.store.put_run_report(&report).await.unwrap();
    let session = world.sign_in().await;

    let page = world
        .get(
            "/connections/a-1/runs/invoice-export-20261120T0100Z",
            Some(&session),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Interrupted"), "{}", page.body);
    assert!(page.body.contains("Nothing is lost"), "{}", page.body);
    assert!(
        !page.body.contains("http-equiv=\"refresh\""),
        "an interrupted run is over: the page stops refreshing"
    );
    assert!(
        page.body.contains("action=\"/connections/a-1/sync\""),
        "Run again posts to Sync now: {}",
        page.body
    );
    let overview = world.get("/teamleader", Some(&session)).await;
    assert!(
        overview.body.contains("Interrupted"),
        "listed with its status"
    );

    let csrf = World::csrf_of(&page.body);
    let again = world
        .send(
            Method::POST,
            "/connections/a-1/sync",
            Some(&session),
            Some(&format!("csrf={csrf}")),
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    let sent = world.queue.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].kind, JobKind::InvoiceExport);
    assert_ne!(sent[0].run_id, report.run_id, "a new run");
}
