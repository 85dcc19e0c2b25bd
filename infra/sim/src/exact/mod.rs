//! Exact Online simulator: a stateful, faithful stand-in for the Exact Online REST API, built
//! from the public notes in `shared/reference/exact-online.md` (each behaviour there names its
//! source).
//!
//! What it serves (at `base_url`):
//! - OAuth: `GET /api/oauth2/auth`, `POST /api/oauth2/token` ([`oauth`] rules: string
//!   `expires_in`, 10-minute access tokens, single-use refresh tokens, no refresh before
//!   9.5 minutes, 3-minute single-use codes);
//! - REST under `/api/v1/{division}/…`: `current/Me`, `system/Divisions`,
//!   `financial/GLAccounts`, `financial/Journals`, `vat/VATCodes`,
//!   `financial/FinancialPeriods`, `cashflow/PaymentConditions`, `crm/Accounts` (mandatory `$filter`, POST),
//!   `salesentry/SalesEntries` (GET, POST with lines, DELETE), `salesentry/SalesEntryLines`,
//!   `documents/Documents` (GET, POST, DELETE with its attachments; refused while a booked
//!   entry refers to it), `documents/DocumentAttachments` (GET, POST, DELETE),
//!   `documents/DocumentTypes`, `cashflow/Receivables`, `bulk/Cashflow/Receivables`,
//!   `read/financial/ReceivablesList`; attachment downloads at `/docs/SysAttachment.aspx`;
//! - every documented property of those entities (module `schema`): answers carry them all,
//!   POST bodies may set the writable ones (read-only ones are ignored, unknown names are
//!   refused with a 400), `$select` and `$filter` accept exactly them;
//! - OData v2 verbose JSON: `{"d":{"results":[…],"__next":…}}`, `__metadata`, `/Date(ms)/`,
//!   pages of 60 (1,000 on bulk), `__next` on every full page, `$select`, `$filter`, `$top`,
//!   `$expand=SalesEntryLines`;
//! - quotas per (app, division): 60 per clock-aligned minute, 5,000 per UTC day, six
//!   `X-RateLimit-*` headers with epoch-millisecond resets, bare 429s;
//! - business rules as HTTP 500 with Dutch messages ([`booking`]);
//! - admin under `/_sim/…` ([`admin`]) and in-process through [`SimHandle`] / [`SimControl`].
//!
//! Not simulated: webhooks, sync endpoints, PUT, XML answers, the token-endpoint and
//! error-count quotas, currencies other than the division's (amounts in FC = DC).

mod admin;
mod answers;
mod api;
pub mod booking;
mod control;
mod error;
pub mod model;
mod oauth;
mod odata;
mod options;
mod payload;
mod ratelimit;
mod resources;
mod schema;
pub mod seed;
mod state;
mod wire;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{any, get, post};
use uuid::Uuid;

use crate::common::{ServerHandle, SimClock, serve};

pub use answers::AnswerNext;
pub use control::{SimControl, SimError};
pub use model::*;
pub use oauth::{
    ACCESS_TOKEN_SECONDS, CODE_SECONDS, MIN_REFRESH_AGE_SECONDS, REFRESH_TOKEN_DAYS, TokenPair,
};
pub use options::{
    ClientApp, CrashMode, DEFAULT_BE_DIVISION, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET,
    DEFAULT_NL_DIVISION, RateLimits, SimOptions,
};
pub use state::{FailNext, SimStats};

/// Exact's limit on a request body (10 MB).
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// A running Exact simulator. Dropping it stops the server; it derefs to [`SimControl`] for
/// seeding, faults and inspection.
#[derive(Debug)]
pub struct SimHandle {
    /// `http://127.0.0.1:<port>` (no trailing slash).
    pub base_url: String,
    control: SimControl,
    server: ServerHandle,
}

impl SimHandle {
    /// A cloneable control to hand to other tasks.
    pub fn control(&self) -> SimControl {
        self.control.clone()
    }

    /// `{base_url}/api/oauth2/token`.
    pub fn token_url(&self) -> String {
        format!("{}/api/oauth2/token", self.base_url)
    }

    /// `{base_url}/api/oauth2/auth`.
    pub fn auth_url(&self) -> String {
        format!("{}/api/oauth2/auth", self.base_url)
    }

    /// `{base_url}/api/v1/{division}`, the prefix of every REST call.
    pub fn api_url(&self, division: i32) -> String {
        format!("{}/api/v1/{division}", self.base_url)
    }

    /// Stop serving and wait for the server task to end.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

impl std::ops::Deref for SimHandle {
    type Target = SimControl;
    fn deref(&self) -> &SimControl {
        &self.control
    }
}

/// Start an Exact simulator on 127.0.0.1 (`options.port`, 0 = any free port).
pub async fn spawn(options: SimOptions) -> std::io::Result<SimHandle> {
    let clock = Arc::new(SimClock::new(Arc::clone(&options.clock)));
    let current_division = options
        .divisions
        .first()
        .map_or(options::DEFAULT_BE_DIVISION, |d| d.code);
    let state = state::SimState {
        divisions: options.divisions.into_iter().map(|d| (d.code, d)).collect(),
        current_division,
        clients: options
            .clients
            .into_iter()
            .map(|c| (c.client_id, c.client_secret))
            .collect(),
        user: state::SimUser {
            id: Uuid::new_v4(),
            user_name: "demo@koppel.test".to_owned(),
            full_name: "Demo Gebruiker".to_owned(),
            email: "demo@koppel.test".to_owned(),
        },
        oauth: Default::default(),
        limits: options.rate_limits,
        windows: Default::default(),
        faults: Default::default(),
        answers: Default::default(),
        stats: Default::default(),
        next_hid: 0,
    };
    let mut shared_slot: Option<Arc<state::Shared>> = None;
    let server = serve(options.port, |base_url| {
        let shared = Arc::new(state::Shared::new(clock, base_url.to_owned(), state));
        shared_slot = Some(Arc::clone(&shared));
        router(shared)
    })
    .await?;
    let shared = shared_slot
        .ok_or_else(|| std::io::Error::other("the Exact simulator's router was not built"))?;
    tracing::info!(base_url = %server.base_url, "exact simulator listening");
    Ok(SimHandle {
        base_url: server.base_url.clone(),
        control: SimControl { shared },
        server,
    })
}

fn router(shared: Arc<state::Shared>) -> Router {
    Router::new()
        .route("/api/oauth2/auth", get(oauth::authorize))
        .route("/api/oauth2/token", post(oauth::token))
        .route("/api/v1/{*path}", any(api::handle))
        .route("/docs/SysAttachment.aspx", get(api::download))
        .nest("/_sim", admin::router())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(shared)
}
