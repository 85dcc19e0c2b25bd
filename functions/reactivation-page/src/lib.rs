//! The reactivation page (Lambda function URL): the one page people open. Signing in with
//! Teamleader *is* the reactivation: the fresh tokens go to every connection of the account.
//! An [`axum::Router`] served through `lambda_http` in Lambda and on 127.0.0.1 by the demo.
//!
//! Routes (all answer only the methods listed; anything else is 404/405):
//! - `GET /` — what Koppel is, and the sign-in button;
//! - `GET /teamleader` — the reactivation URL: with a session the status page; without one a
//!   redirect to Teamleader's authorize page with a signed, single-use, 10-minute `state`;
//!   `?c=<connection>` without a session first tries that connection's tokens again and
//!   answers only "Up & Running" or "sign in to reactivate";
//! - `GET /oauth/teamleader` — the OAuth callback (state, code, users.me, access check,
//!   tokens stored for every connection of the account, session cookie);
//! - `GET /connections/{id}/runs/{run}` — one run's report, `?q=` searches a document number;
//! - `GET /connections/{id}/preview` — what the next export would post (posting nothing);
//! - `POST /connections/{id}/merge` — upload a merge file (multipart, size checked before
//!   reading, rate-limited), its preview queued; `POST /connections/{id}/merge/{merge}/apply`;
//! - `POST /connections/{id}/documents/{document}/again` — "Export again" (CSRF token);
//! - `POST /connections/{id}/backfill` — "Export again from…" a date (CSRF token, `from`);
//! - `POST /connections/{id}/sync|import|pause|resume|automatic-on|automatic-off|reconnect`
//!   — actions (CSRF token);
//! - onboarding: `POST /onboarding` (department, ledger) starts a draft connection and the
//!   ledger's sign-in; `GET /oauth/ledger` (its OAuth callback) or
//!   `GET|POST /connections/{id}/credentials`; `GET /connections/{id}/setup` and
//!   `POST /connections/{id}/administration`, `POST /connections/{id}/setup` (pre-flight,
//!   then save);
//! - `POST /signout`; `GET /lang/{nl|fr|en}?back=…`; `GET /style.css`;
//! - `POST /webhooks/teamleader/{connection}/{token}` — Teamleader's `invoice.booked` /
//!   `creditNote.booked` events: at most 16 KiB, the connection's secret token (404
//!   otherwise), one one-document export queued, 202 at once (see `routes::webhooks`).
//!
//! Use-cases live in `koppel_core::account`; this crate is HTTP, cookies and HTML.

#![warn(missing_docs)]

pub mod i18n;
mod routes;
pub mod security;
pub mod signing;
pub mod views;

use axum::Router;
use axum::routing::{get, post};
use koppel_connect::LiveConnector;
use koppel_core::{Clock, FileStore, JobQueue, Store, Vault};
use koppel_teamleader::TeamleaderUrls;
use security::RateLimiter;
use signing::SigningKey;
use std::sync::Arc;
use url::Url;

pub use i18n::Language;

/// Seconds a request may spend on outside calls (the function's timeout is 30 s).
pub const REQUEST_SECONDS: u64 = 25;

/// Where Teamleader sends people back after sign-in, below the page's public address.
pub const CALLBACK_PATH: &str = "/oauth/teamleader";

/// The page's settings.
#[derive(Debug, Clone)]
pub struct PageConfig {
    /// The page's public address (the function URL or the operator's domain; the demo's
    /// `http://127.0.0.1:port`). The OAuth redirect URI is built from it, never from the
    /// request's Host header.
    pub public_url: Url,
    /// Teamleader's URLs (production, or the simulator).
    pub teamleader: TeamleaderUrls,
    /// The Teamleader integration's client id.
    pub client_id: String,
    /// Signs sessions and OAuth states (the app secret's `session_key`).
    pub signing_key: SigningKey,
    /// Prefix of the secrets holding an account's Teamleader tokens.
    pub secret_prefix: String,
}

impl PageConfig {
    /// The redirect URI registered with Teamleader: the public address + [`CALLBACK_PATH`].
    pub fn redirect_uri(&self) -> String {
        format!(
            "{}{CALLBACK_PATH}",
            self.public_url.as_str().trim_end_matches('/')
        )
    }
}

/// What the page works with.
#[derive(Clone)]
pub struct PageServices {
    /// Koppel's state.
    pub store: Arc<dyn Store>,
    /// Secrets (tokens).
    pub vault: Arc<dyn Vault>,
    /// The job queues ("Sync now", "Import companies", merge files; each job goes to its
    /// kind's queue).
    pub queue: Arc<dyn JobQueue>,
    /// Where uploaded merge files are kept.
    pub files: Arc<dyn FileStore>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Opens Teamleader and the ledgers for a connection; holds the app credentials.
    pub connector: Arc<LiveConnector>,
}

/// The page: configuration, services and the per-instance sign-in rate limiter.
pub struct ReactivationPage {
    /// Settings.
    pub config: PageConfig,
    /// Ports.
    pub services: PageServices,
    /// Sign-in attempts per client.
    pub limiter: RateLimiter,
    /// Uploads per client.
    pub upload_limiter: RateLimiter,
}

impl ReactivationPage {
    /// A page with the default rate limit (20 sign-ins per client and minute).
    pub fn new(config: PageConfig, services: PageServices) -> Self {
        Self {
            config,
            services,
            limiter: RateLimiter::new(20, chrono::Duration::minutes(1)),
            upload_limiter: RateLimiter::new(10, chrono::Duration::minutes(1)),
        }
    }

    /// How long a request may wait on Teamleader or a ledger: the function's timeout
    /// (template.yaml: 30 s) less a margin to answer with a page rather than be cut off.
    pub fn request_deadline(&self) -> koppel_core::Deadline {
        koppel_core::Deadline::after(
            self.services.clock.now(),
            std::time::Duration::from_secs(REQUEST_SECONDS),
            std::time::Duration::from_secs(0),
        )
    }

    /// Where the page's forms may end up: itself, Teamleader's sign-in, each offered
    /// ledger's sign-in (see [`security::content_security_policy`]).
    pub fn sign_in_origins(&self) -> Vec<String> {
        let mut origins = vec![];
        let mut add = |url: Option<String>| {
            if let Some(origin) = url.as_deref().and_then(security::origin_of)
                && !origins.contains(&origin)
            {
                origins.push(origin);
            }
        };
        add(Some(self.config.teamleader.authorize_endpoint()));
        let ledgers = &self.services.connector.app().ledgers;
        for kind in ledgers.offered() {
            if let Some(app) = ledgers.get(kind) {
                add(app.authorize_url(&self.config.redirect_uri(), "state"));
            }
        }
        origins
    }

    /// Switch near-real-time export on for `connection`, as saving its settings does: its
    /// Teamleader webhook registered (listed first) at this page's public address. Never
    /// fails: a refusal is recorded in the connection and shown on the status page.
    pub async fn switch_on_near_real_time(&self, connection: &koppel_core::Connection) {
        routes::webhooks::switch_on_after_save(self, connection).await;
    }

    /// The page's routes, with the security headers on every answer.
    pub fn router(self) -> Router {
        let policy = security::content_security_policy(&self.sign_in_origins());
        let page = Arc::new(self);
        Router::new()
            .route("/", get(routes::entry))
            .route("/style.css", get(routes::stylesheet))
            .route("/lang/{code}", get(routes::switch_language))
            .route("/teamleader", get(routes::sign_in::reactivation_url))
            .route(CALLBACK_PATH, get(routes::sign_in::callback))
            .route("/signout", post(routes::sign_in::sign_out))
            .route("/onboarding", post(routes::onboarding::start))
            .route(
                routes::onboarding::LEDGER_CALLBACK_PATH,
                get(routes::onboarding::ledger_callback),
            )
            .route(
                "/connections/{id}/setup",
                get(routes::onboarding::setup_page).post(routes::onboarding::setup_sent),
            )
            .route(
                "/connections/{id}/credentials",
                get(routes::onboarding::credentials_form)
                    .post(routes::onboarding::credentials_sent),
            )
            .route(
                "/connections/{id}/administration",
                post(routes::onboarding::administration_chosen),
            )
            .route(
                "/connections/{id}/merge",
                post(routes::merge::upload).layer(axum::extract::DefaultBodyLimit::max(
                    routes::merge::MAX_UPLOAD_BYTES,
                )),
            )
            .route(
                "/connections/{id}/merge/{merge}/apply",
                post(routes::merge::apply),
            )
            .route(
                "/connections/{id}/preview",
                get(routes::connections::preview),
            )
            .route(
                "/connections/{id}/documents/{document}/again",
                post(routes::connections::export_again),
            )
            .route(
                "/connections/{id}/backfill",
                post(routes::connections::backfill),
            )
            .route(
                "/connections/{id}/runs/{run}",
                get(routes::connections::run_report),
            )
            .route(
                "/connections/{id}/{action}",
                post(routes::connections::action),
            )
            .route(
                "/webhooks/teamleader/{connection}/{token}",
                post(routes::webhooks::teamleader_event).layer(
                    axum::extract::DefaultBodyLimit::max(routes::webhooks::MAX_EVENT_BYTES),
                ),
            )
            .fallback(routes::not_found)
            .layer(axum::middleware::from_fn_with_state(
                policy,
                security::headers,
            ))
            .with_state(page)
    }
}
