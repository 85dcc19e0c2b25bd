//! Teamleader Focus simulator: a stateful, multi-account fake of the Focus API, faithful to
//! the official OpenAPI spec (responses are checked against it in tests) and to the behaviour
//! clients meet in production (see `shared/reference/teamleader-focus.md`).
//!
//! - API: `POST {base_url}/{resource}.{action}` with `Authorization: Bearer …`; `{data}`
//!   envelopes, 201 `{data:{type,id}}` on create, 204 on actions, `{errors:[{title,status}]}`.
//!   `.list` and `.info` also answer the deprecated `GET` with the fields in the query string
//!   (`filter[department_id]=…&page[size]=50`), like the real API.
//! - OAuth: `GET {base_url}/oauth2/authorize` (auto-approved as the configured login) and
//!   `POST {base_url}/oauth2/access_token`; single-use codes (10 min), 1-hour access tokens,
//!   rotating single-use refresh tokens.
//! - 200 requests per sliding minute per (client id, account), with X-RateLimit-* headers.
//! - Admin under `/_sim/` (see [`admin`]) and the same in-process through [`SimHandle`].
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use koppel_sim::teamleader::{self, GenerateSpec, SimOptions};
//! let sim = teamleader::spawn(SimOptions::default()).await?;
//! let account = sim.generate(&GenerateSpec::default()).expect("valid seed");
//! let tokens = sim.issue_tokens(&account, None, None).expect("account exists");
//! // call sim.base_url + "/invoices.list" with tokens.access_token …
//! # Ok(()) }
//! ```

pub mod admin;
mod api;
mod files;
pub mod model;
pub mod oauth;
mod render;
pub mod seed;
pub mod state;
pub mod webhooks;

pub use api::query::{GET_TYPED_FIELDS, QueryType};
pub use files::DocumentFormat;
pub use oauth::TokenPair;
pub use seed::{
    GenerateSpec, SeedAccount, SeedAddress, SeedCompany, SeedContact, SeedCreditNote,
    SeedCustomField, SeedCustomer, SeedDepartment, SeedError, SeedInvoice, SeedInvoiceStatus,
    SeedLedger, SeedLine, SeedPayment, SeedPaymentTerm, SeedProductCategory, SeedTaxRate, SeedUser,
    generate,
};
pub use state::{Fault, FaultKind, Login, OAuthApp, PaymentRecord, RequestRecord};
pub use webhooks::{DeliveryOutcome, WebhookDelivery};

use crate::common::{ServerHandle, SimClock, serve};
use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use koppel_core::{Clock, SystemClock};
use serde_json::{Value, json};
use state::{Grant, Settings, Sim, SimState};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Client id of the integration registered by default.
pub const DEFAULT_CLIENT_ID: &str = "koppel-local";
/// Its client secret.
pub const DEFAULT_CLIENT_SECRET: &str = "koppel-local-secret";

/// How the simulator starts.
#[derive(Clone)]
pub struct SimOptions {
    /// The clock (share a `ScaledClock` with the client to accelerate time).
    pub clock: Arc<dyn Clock>,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Requests per sliding minute per (client id, account); Teamleader's is 200.
    pub rate_limit_per_minute: u32,
    /// Access-token lifetime (1 hour).
    pub access_token_ttl: chrono::Duration,
    /// Authorization-code lifetime (10 minutes).
    pub auth_code_ttl: chrono::Duration,
    /// Lifetime of download locations.
    pub download_ttl: chrono::Duration,
    /// Registered integrations; by default one with [`DEFAULT_CLIENT_ID`].
    pub apps: Vec<OAuthApp>,
    /// Answer `creditNotes.info` with `data` as an object instead of the spec's array.
    pub credit_note_info_as_object: bool,
}

impl std::fmt::Debug for SimOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimOptions")
            .field("port", &self.port)
            .field("rate_limit_per_minute", &self.rate_limit_per_minute)
            .field("access_token_ttl", &self.access_token_ttl)
            .field("apps", &self.apps.len())
            .finish_non_exhaustive()
    }
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            port: 0,
            rate_limit_per_minute: 200,
            access_token_ttl: chrono::Duration::hours(1),
            auth_code_ttl: chrono::Duration::minutes(10),
            download_ttl: chrono::Duration::hours(1),
            apps: vec![OAuthApp {
                client_id: DEFAULT_CLIENT_ID.to_owned(),
                client_secret: DEFAULT_CLIENT_SECRET.to_owned(),
                redirect_uri: None,
                scopes: None,
            }],
            credit_note_info_as_object: false,
        }
    }
}

impl SimOptions {
    /// The same options on another clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

/// A running Teamleader simulator. Dropping it stops the server.
#[derive(Debug)]
pub struct SimHandle {
    /// `http://127.0.0.1:<port>`: API, OAuth and admin are all under it.
    pub base_url: String,
    server: ServerHandle,
    sim: Arc<Sim>,
}

/// Start a simulator on 127.0.0.1.
pub async fn spawn(options: SimOptions) -> std::io::Result<SimHandle> {
    let clock = Arc::new(SimClock::new(options.clock.clone()));
    let settings = Settings {
        access_token_ttl: options.access_token_ttl,
        auth_code_ttl: options.auth_code_ttl,
        download_ttl: options.download_ttl,
        credit_note_info_as_object: options.credit_note_info_as_object,
    };
    let initial = SimState {
        apps: options.apps.clone(),
        rate_limit: options.rate_limit_per_minute,
        ..SimState::default()
    };
    let mut slot = None;
    let server = serve(options.port, |base_url| {
        let sim = Arc::new(Sim::new(clock, settings, base_url.to_owned(), initial));
        slot = Some(sim.clone());
        router(sim)
    })
    .await?;
    let sim = slot.ok_or_else(|| std::io::Error::other("the simulator did not start"))?;
    tracing::info!(base_url = %server.base_url, "Teamleader simulator listening");
    Ok(SimHandle {
        base_url: server.base_url.clone(),
        server,
        sim,
    })
}

fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route("/oauth2/authorize", get(oauth::authorize))
        .route("/oauth2/access_token", post(oauth::access_token))
        .route("/_files/{token}", get(files::serve_file))
        .nest("/_sim", admin::router())
        .route("/{method}", post(api::api_call).get(api::api_get))
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                axum::Json(json!({"errors": [{"title": "Not found", "status": 404}]})),
            )
                .into_response()
        })
        .with_state(sim)
}

/// Operations shared by the admin routes and the handle.
pub(crate) struct SimCore<'a>(pub(crate) &'a Sim);

impl SimCore<'_> {
    fn seed(&self, seed: SeedAccount) -> Result<String, SeedError> {
        let account = seed::build(seed, self.0.now())?;
        let mut state = self.0.state();
        if state.accounts.contains_key(&account.id) {
            return Err(SeedError(format!("account {} already exists", account.id)));
        }
        let id = account.id.clone();
        state.accounts.insert(id.clone(), account);
        Ok(id)
    }

    fn register_app(&self, app: OAuthApp) {
        let mut state = self.0.state();
        state.apps.retain(|a| a.client_id != app.client_id);
        state.apps.push(app);
    }

    fn set_login(&self, login: Login) {
        self.0.state().login = Some(login);
    }

    fn issue_tokens(
        &self,
        account_id: &str,
        client_id: Option<&str>,
        user_id: Option<&str>,
    ) -> Result<TokenPair, String> {
        let mut state = self.0.state();
        let account = state
            .accounts
            .get(account_id)
            .ok_or_else(|| format!("no account {account_id}"))?;
        let user = match user_id {
            Some(id) => account.users.iter().find(|u| u.id == id),
            None => account.users.first(),
        }
        .ok_or_else(|| format!("no such user in account {account_id}"))?
        .id
        .clone();
        let client = match client_id {
            Some(id) => id.to_owned(),
            None => state
                .apps
                .first()
                .map(|a| a.client_id.clone())
                .ok_or("no integration registered")?,
        };
        if state.app(&client).is_none() {
            return Err(format!("no integration {client}"));
        }
        let grant = Grant {
            client_id: client,
            account_id: account_id.to_owned(),
            user_id: user,
        };
        Ok(oauth::issue(&mut state, self.0, grant, self.0.now()))
    }

    fn inject(&self, fault: Fault) {
        self.0.state().faults.push(fault);
    }

    fn clear_faults(&self) {
        self.0.state().faults.clear();
    }

    fn revoke_tokens(&self, account_id: &str) {
        let mut state = self.0.state();
        for token in state.access_tokens.values_mut() {
            if token.grant.account_id == account_id {
                token.revoked = true;
            }
        }
        for token in state.refresh_tokens.values_mut() {
            if token.grant.account_id == account_id {
                token.revoked = true;
            }
        }
    }

    fn expire_access_tokens(&self, account_id: Option<&str>) {
        let now = self.0.now();
        let mut state = self.0.state();
        for token in state.access_tokens.values_mut() {
            if account_id.is_none_or(|id| id == token.grant.account_id) && token.expires_at > now {
                token.expires_at = now;
            }
        }
    }

    fn set_rate_limit(&self, limit: u32) {
        self.0.state().rate_limit = limit;
    }

    fn counts(&self) -> BTreeMap<String, u64> {
        self.0.state().counts.clone()
    }

    fn requests(&self) -> Vec<RequestRecord> {
        self.0.state().log.iter().cloned().collect()
    }

    fn clear_requests(&self) {
        let mut state = self.0.state();
        state.log.clear();
        state.counts.clear();
    }

    fn payments(&self) -> Vec<PaymentRecord> {
        self.0.state().payments.clone()
    }

    fn summary(&self) -> Value {
        let state = self.0.state();
        let total: u64 = state.counts.values().sum();
        json!({
            "now": render::instant(self.0.now()),
            "requests_total": total,
            "requests_per_endpoint": state.counts,
            "accounts": state.accounts.values().map(|a| json!({
                "id": a.id,
                "name": a.name,
                "invoices": a.invoices.len(),
                "credit_notes": a.credit_notes.len(),
                "companies": a.companies.len(),
                "contacts": a.contacts.len(),
            })).collect::<Vec<_>>(),
            "payments_registered": state.payments.len(),
            "armed_faults": state.faults,
            "rate_limit_per_minute": state.rate_limit,
        })
    }

    /// Record an event in an account, as Teamleader does when something happens there, and
    /// deliver it to the URLs registered for its type. False when the account is unknown.
    fn record_event(
        &self,
        account_id: &str,
        kind: &str,
        subject_type: &str,
        subject_id: &str,
    ) -> bool {
        let now = self.0.now();
        let mut state = self.0.state();
        let seen = webhooks::events_seen(&state, account_id);
        let Some(account) = state.accounts.get_mut(account_id) else {
            return false;
        };
        account.record_event(kind, subject_type, subject_id);
        webhooks::deliver_since(&self.0.webhooks, &state, account_id, seen, now);
        true
    }

    fn dump(&self, account_id: &str) -> Option<Value> {
        let state = self.0.state();
        let account = state.accounts.get(account_id)?;
        let rates = account.rates();
        Some(json!({
            "id": account.id,
            "name": account.name,
            "users": account.users.iter().map(|u| render::user_me(account, u)).collect::<Vec<_>>(),
            "departments": account.departments.iter().map(render::department).collect::<Vec<_>>(),
            "tax_rates": account.tax_rates.iter().map(render::tax_rate).collect::<Vec<_>>(),
            "product_categories": account.product_categories.iter().map(|c| render::product_category(c, None)).collect::<Vec<_>>(),
            "custom_field_definitions": account.custom_fields.iter().map(render::custom_field_definition).collect::<Vec<_>>(),
            "companies": account.companies.values().map(render::company_info).collect::<Vec<_>>(),
            "contacts": account.contacts.values().map(render::contact_info).collect::<Vec<_>>(),
            "invoices": account.invoices.values().map(|i| render::invoice_info(i, &rates)).collect::<Vec<_>>(),
            "credit_notes": account.credit_notes.values().map(|c| render::credit_note_info(c, &rates)).collect::<Vec<_>>(),
            "webhooks": account.webhooks.iter().map(|h| json!({"url": h.url, "types": h.types})).collect::<Vec<_>>(),
            "events": account.events,
        }))
    }
}

/// A cloneable remote for faults, to hand to other tasks (a fault schedule firing in the
/// middle of a run).
#[derive(Debug, Clone)]
pub struct FaultRemote {
    sim: Arc<Sim>,
}

impl FaultRemote {
    /// Arm a fault for the next requests.
    pub fn inject_fault(&self, fault: Fault) {
        SimCore(&self.sim).inject(fault);
    }

    /// Expire access tokens now (one account, or all).
    pub fn expire_access_tokens(&self, account_id: Option<&str>) {
        SimCore(&self.sim).expire_access_tokens(account_id);
    }
}

impl SimHandle {
    fn core(&self) -> SimCore<'_> {
        SimCore(&self.sim)
    }

    /// A cloneable remote for faults.
    pub fn fault_remote(&self) -> FaultRemote {
        FaultRemote {
            sim: self.sim.clone(),
        }
    }

    /// The simulator's clock (the given clock plus admin adjustments).
    pub fn clock(&self) -> Arc<SimClock> {
        self.sim.clock.clone()
    }

    /// Create an account from a seed; returns its id.
    pub fn seed(&self, seed: SeedAccount) -> Result<String, SeedError> {
        self.core().seed(seed)
    }

    /// Generate and create an account (see [`generate`]); returns its id.
    pub fn generate(&self, spec: &GenerateSpec) -> Result<String, SeedError> {
        self.core().seed(generate(spec, self.sim.now()))
    }

    /// Register (or replace) an integration.
    pub fn register_app(&self, app: OAuthApp) {
        self.core().register_app(app);
    }

    /// Choose who logs in on the authorize page (or that the user refuses).
    pub fn set_login(&self, login: Login) {
        self.core().set_login(login);
    }

    /// Issue a token pair directly, as if the user had authorized (first user / first app by
    /// default).
    pub fn issue_tokens(
        &self,
        account_id: &str,
        client_id: Option<&str>,
        user_id: Option<&str>,
    ) -> Result<TokenPair, String> {
        self.core().issue_tokens(account_id, client_id, user_id)
    }

    /// Arm a fault for the next requests.
    pub fn inject_fault(&self, fault: Fault) {
        self.core().inject(fault);
    }

    /// Disarm every fault.
    pub fn clear_faults(&self) {
        self.core().clear_faults();
    }

    /// Revoke every token of an account: API calls get 401, refreshes `invalid_grant`.
    pub fn revoke_tokens(&self, account_id: &str) {
        self.core().revoke_tokens(account_id);
    }

    /// Every access and refresh token the simulator ever issued: what a test scans pages and
    /// logs for (a token must never appear in either).
    pub fn issued_tokens(&self) -> Vec<String> {
        let state = self.sim.state();
        state
            .access_tokens
            .keys()
            .chain(state.refresh_tokens.keys())
            .cloned()
            .collect()
    }

    /// Expire access tokens now (one account, or all).
    pub fn expire_access_tokens(&self, account_id: Option<&str>) {
        self.core().expire_access_tokens(account_id);
    }

    /// Change the requests-per-minute limit.
    pub fn set_rate_limit(&self, limit: u32) {
        self.core().set_rate_limit(limit);
    }

    /// Requests served per endpoint (`invoices.list`, `oauth2/access_token`, …).
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.core().counts()
    }

    /// Requests served to one endpoint.
    pub fn request_count(&self, endpoint: &str) -> u64 {
        self.core().counts().get(endpoint).copied().unwrap_or(0)
    }

    /// The request log (latest 100 000).
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.core().requests()
    }

    /// Forget the request log and counts.
    pub fn clear_requests(&self) {
        self.core().clear_requests();
    }

    /// Payments registered through the API.
    pub fn payments(&self) -> Vec<PaymentRecord> {
        self.core().payments()
    }

    /// An account as JSON (invoices as `invoices.info` renders them, etc.).
    pub fn dump(&self, account_id: &str) -> Option<Value> {
        self.core().dump(account_id)
    }

    /// Summary: request counts, accounts, armed faults.
    pub fn summary(&self) -> Value {
        self.core().summary()
    }

    /// Record an event in an account (`creditNote.booked` for a credit note a test added
    /// with [`Self::with_account`], say) and deliver it to the URLs registered for its type,
    /// as Teamleader would. False when the account is unknown.
    pub fn record_event(
        &self,
        account_id: &str,
        kind: &str,
        subject_type: &str,
        subject_id: &str,
    ) -> bool {
        self.core()
            .record_event(account_id, kind, subject_type, subject_id)
    }

    /// Every webhook delivery so far (pending ones not yet), oldest first.
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        self.sim.webhooks.log()
    }

    /// Wait until every queued webhook delivery is done (delivered or failed; each has a
    /// timeout), then the log: how a test waits for deliveries without sleeping.
    pub async fn settle_webhooks(&self) -> Vec<WebhookDelivery> {
        self.sim.webhooks.settle().await
    }

    /// Change account data directly (for tests that need a state no API call produces).
    pub fn with_account<R>(
        &self,
        account_id: &str,
        change: impl FnOnce(&mut model::Account) -> R,
    ) -> Option<R> {
        let mut state = self.sim.state();
        state.accounts.get_mut(account_id).map(change)
    }

    /// Stop the server and wait for it.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}
