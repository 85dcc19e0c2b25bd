//! Clearfacts simulator: a stateful, faithful stand-in for the Belgian accountant portal's
//! OpenID Connect login and its GraphQL API, built from the public notes in
//! `shared/reference/clearfacts.md`.
//!
//! Everything is served by one server, `base_url` = `http://127.0.0.1:<port>` (Clearfacts has
//! a login host and an API host; here they are the same):
//! - OIDC ([`oauth`]): `GET /.well-known/openid-configuration`; `GET /oauth2-server/authorize`
//!   (Authorization Code flow only, `openid` scope required, registered redirect URIs; the
//!   sign-in is approved for [`DEFAULT_USER`] or the user named by `login_hint`, or checked
//!   against `username`/`password` query parameters when given); `POST /oauth2-server/token`
//!   (`authorization_code` — single-use code, same `redirect_uri` — and `refresh_token`;
//!   client as HTTP Basic or form fields); `GET /oauth2-server/userinfo`
//!   (`{"sub","username","email"}`); `GET /oauth2-server/jwks.json`;
//! - tokens ([`tokens`]): the access token is a JWT whose `token` claim is an 80-char inner
//!   token, and either works as a bearer token; personal access tokens are 80 chars and never
//!   expire; [`TokenMode::Rotating`] (default: with `offline_access` a refresh token, access
//!   tokens live one hour on the sim clock, a refresh revokes the old pair and its reuse is
//!   `invalid_grant`) or [`TokenMode::LongLived`] (no refresh token, no expiry); at most
//!   [`MAX_ACTIVE_TOKENS`] active tokens per user and application, the least recently used
//!   revoked by one more;
//! - GraphQL `POST /graphql` ([`graphql`]): JSON, `application/graphql` or multipart with the
//!   fields `query`, `variables`, `file`; a bad, expired or revoked token → 401
//!   `{"error":"invalid_token",…}`; validation with "Did you mean" hints; operations, variables,
//!   aliases, fragments, `__typename`, `@skip`/`@include`; partial results with `path`; scopes
//!   per field; `administrations`, `administration`, `journals`, `customers` (100 per page),
//!   `document` (`... on InvoiceDocument { type paymentState }`) and the mutation `uploadFile`
//!   (multipart only; content checked by magic bytes: PDF, JPEG, UBL Peppol BIS 3 / UBL.BE /
//!   E-FFF ([`files`]); a fresh upper-case GUID per upload, no idempotency);
//! - faults: outages per endpoint or GraphQL field, uploads stored with the answer lost (500 or
//!   dropped connection), token grants with the answer lost, 401 as if revoked, latency;
//! - admin under `/_sim/clearfacts/…` ([`admin`]) and in-process through [`SimHandle`] /
//!   [`SimControl`].
//!
//! Choices where the reference says UNCONFIRMED (or says nothing):
//! - refresh tokens live 30 days and rotate; long-lived tokens last ten years; codes 5 minutes;
//! - the token limit counts OIDC tokens per user + application whatever their scopes; an
//!   expired access token still counts while its refresh token is usable; personal access
//!   tokens do not count;
//! - tokens are signed HS256 with a key the simulator keeps (no published JWKS);
//! - `vatnumber` also takes `BE`, dots, dashes, spaces and 9 digits; an unknown administration
//!   and one of another user both answer `Administration "X" not found`;
//! - the file is checked before the administration is looked up only for its presence; the
//!   refusals of a field carry `extensions.category` `user`; validation errors are answered
//!   without `data` (as the GraphQL spec says);
//! - `Document.date` is the XML's `cbc:IssueDate`, else `null`; `Document.type` is the
//!   `invoicetype` of the upload; every document is an `InvoiceDocument`;
//! - a `String` variable is accepted where an `ID` is expected and the other way round;
//! - E-FFF is recognised by a UBL root whose `CustomizationID` contains `efff`.
//!
//! Not simulated: the implicit flow (`response_type=token`), per-accountant issuers,
//! statistics (`getCompanyStatistics`), introspection, the archive, Peppol rule validation of
//! uploaded XML, rate limits (none are documented).

pub mod admin;
mod control;
mod faults;
pub mod files;
pub mod graphql;
mod jwt;
pub mod model;
pub mod oauth;
mod options;
pub mod seed;
mod state;
pub mod tokens;
mod wire;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::common::{ServerHandle, SimClock, serve};

pub use control::{SimControl, SimError};
pub use faults::{FailNext, Faults};
pub use graphql::resolvers::{DOCUMENT_NOT_FOUND, NO_FILE, normalize_company_number};
pub use model::*;
pub use oauth::OAUTH_PREFIX;
pub use options::{
    ACCESS_TOKEN_SECONDS, ADMINISTRATION_DEMO, ADMINISTRATION_SERVICES, CODE_SECONDS,
    CUSTOMERS_PAGE_SIZE, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_PASSWORD, DEFAULT_USER,
    LONG_LIVED_TOKEN_SECONDS, MAX_ACTIVE_TOKENS, MAX_REQUEST_BYTES, REFRESH_TOKEN_SECONDS,
    SimOptions, TOKEN_LENGTH, TokenMode,
};
pub use state::{SignIn, SimStats};
pub use tokens::{SCOPES, TokenAnswer, inner_token_of};

/// The scopes Koppel asks for.
pub const KOPPEL_SCOPES: &str = "openid offline_access read_administrations upload_document";

/// A running Clearfacts simulator. Dropping it stops the server; it derefs to [`SimControl`].
#[derive(Debug)]
pub struct SimHandle {
    /// `http://127.0.0.1:<port>` (no trailing slash): login host and API host.
    pub base_url: String,
    control: SimControl,
    server: ServerHandle,
}

impl SimHandle {
    /// A cloneable control to hand to other tasks.
    pub fn control(&self) -> SimControl {
        self.control.clone()
    }

    /// `{base_url}/_sim/clearfacts`, the prefix of the admin API.
    pub fn admin_url(&self) -> String {
        format!("{}/_sim/clearfacts", self.base_url)
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

fn initial_state(options: &SimOptions) -> state::SimState {
    let user = seed::user();
    let client = seed::client();
    state::SimState {
        users: [(user.username.clone(), user)].into_iter().collect(),
        administrations: seed::administrations()
            .into_iter()
            .map(|a| (a.company_number.clone(), a))
            .collect(),
        clients: [(client.client_id.clone(), client)].into_iter().collect(),
        tokens: tokens::TokenStore::new(options.token_mode),
        sign_in: SignIn::As(DEFAULT_USER.to_owned()),
        uploads: Vec::new(),
        files: Default::default(),
        faults: Faults::default(),
        latency: Duration::ZERO,
        stats: SimStats::default(),
    }
}

/// Start a Clearfacts simulator on 127.0.0.1 (`options.port`, 0 = any free port), seeded
/// with the default scenario.
pub async fn spawn(options: SimOptions) -> std::io::Result<SimHandle> {
    let clock = Arc::new(SimClock::new(Arc::clone(&options.clock)));
    let state = initial_state(&options);
    let mut shared_slot: Option<Arc<state::Shared>> = None;
    let server = serve(options.port, |base_url| {
        let shared = Arc::new(state::Shared::new(clock, base_url.to_owned(), state));
        shared_slot = Some(Arc::clone(&shared));
        router(shared)
    })
    .await?;
    let shared = shared_slot
        .ok_or_else(|| std::io::Error::other("the Clearfacts simulator's router was not built"))?;
    tracing::info!(base_url = %server.base_url, "clearfacts simulator listening");
    Ok(SimHandle {
        base_url: server.base_url.clone(),
        control: SimControl { shared },
        server,
    })
}

fn router(shared: Arc<state::Shared>) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(oauth::discovery))
        .route(&format!("{OAUTH_PREFIX}/authorize"), get(oauth::authorize))
        .route(&format!("{OAUTH_PREFIX}/token"), post(oauth::token))
        .route(
            &format!("{OAUTH_PREFIX}/userinfo"),
            get(oauth::userinfo).post(oauth::userinfo),
        )
        .route(&format!("{OAUTH_PREFIX}/jwks.json"), get(oauth::jwks))
        .route(
            "/graphql",
            post(graphql::http::graphql).layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES)),
        )
        .nest("/_sim/clearfacts", admin::router())
        .with_state(shared)
}
