//! In-process control of a running Clearfacts simulator: seed users, administrations and
//! clients, hand out tokens, move payment states, read uploads, inject faults, read counters.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;

use super::faults::{FailNext, Faults};
use super::model::{Administration, Customer, OAuthClient, PaymentState, Upload, User};
use super::options::TokenMode;
use super::state::{Shared, SignIn, SimState, SimStats};
use super::tokens::{SCOPES, Subject, TokenAnswer, scope_set};
use crate::common::SimClock;

/// Why a control call was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// No user with this name.
    #[error("unknown user {0}")]
    UnknownUser(String),
    /// No administration with this company number.
    #[error("unknown administration {0}")]
    UnknownAdministration(String),
    /// No OAuth client with this id.
    #[error("unknown client {0}")]
    UnknownClient(String),
    /// No upload with this uuid.
    #[error("unknown document {0}")]
    UnknownDocument(String),
    /// A scope Clearfacts does not know.
    #[error("unknown scope {0}")]
    UnknownScope(String),
}

/// A cloneable remote control of one simulator.
#[derive(Clone)]
pub struct SimControl {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for SimControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimControl")
            .field("base_url", &self.shared.base_url)
            .finish()
    }
}

fn checked_scopes(scopes: &[&str]) -> Result<BTreeSet<String>, SimError> {
    if let Some(unknown) = scopes.iter().find(|s| !SCOPES.contains(s)) {
        return Err(SimError::UnknownScope((*unknown).to_owned()));
    }
    Ok(scope_set(&scopes.join(" ")))
}

fn subject_of(state: &SimState, username: &str) -> Result<Subject, SimError> {
    state
        .user(username)
        .map(|u| Subject {
            id: u.id.clone(),
            username: u.username.clone(),
        })
        .ok_or_else(|| SimError::UnknownUser(username.to_owned()))
}

impl SimControl {
    fn state<T>(&self, f: impl FnOnce(&mut SimState) -> T) -> T {
        f(&mut self.shared.lock())
    }

    /// The simulator's clock (advance it for token-expiry tests).
    pub fn clock(&self) -> Arc<SimClock> {
        Arc::clone(&self.shared.clock)
    }

    /// `{base_url}`: the login host (discovery, `/oauth2-server/…`) and the API host.
    pub fn login_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// `{base_url}/graphql`.
    pub fn graphql_url(&self) -> String {
        format!("{}/graphql", self.shared.base_url)
    }

    // ------------------------------------------------------------ seeding

    /// Add a user (or replace the password and administrations of an existing one) with
    /// access to `administrations` (company numbers). Returns the user's `sub`.
    pub fn add_user(&self, username: &str, password: &str, administrations: &[&str]) -> String {
        self.state(|s| {
            let next_id = (1001 + s.users.len()).to_string();
            let user = s.users.entry(username.to_owned()).or_insert_with(|| User {
                id: next_id,
                username: username.to_owned(),
                email: username.to_owned(),
                password: String::new(),
                administrations: BTreeSet::new(),
            });
            user.password = password.to_owned();
            user.administrations = administrations.iter().map(|a| (*a).to_owned()).collect();
            user.id.clone()
        })
    }

    /// Let a user see one more administration.
    pub fn grant_access(&self, username: &str, company_number: &str) -> Result<(), SimError> {
        self.state(|s| {
            s.users
                .get_mut(username)
                .ok_or_else(|| SimError::UnknownUser(username.to_owned()))?
                .administrations
                .insert(company_number.to_owned());
            Ok(())
        })
    }

    /// Take an administration away from a user (its documents become "not found" for them).
    pub fn revoke_access(&self, username: &str, company_number: &str) -> Result<(), SimError> {
        self.state(|s| {
            s.users
                .get_mut(username)
                .ok_or_else(|| SimError::UnknownUser(username.to_owned()))?
                .administrations
                .remove(company_number);
            Ok(())
        })
    }

    /// Add or replace an administration (users see it once granted).
    pub fn add_administration(&self, administration: Administration) {
        self.state(|s| {
            s.administrations
                .insert(administration.company_number.clone(), administration);
        });
    }

    /// Add customers to an administration (for `customers` paging).
    pub fn add_customers(
        &self,
        company_number: &str,
        customers: impl IntoIterator<Item = Customer>,
    ) -> Result<(), SimError> {
        self.state(|s| {
            s.administrations
                .get_mut(company_number)
                .ok_or_else(|| SimError::UnknownAdministration(company_number.to_owned()))?
                .customers
                .extend(customers);
            Ok(())
        })
    }

    /// A copy of an administration.
    pub fn administration(&self, company_number: &str) -> Option<Administration> {
        self.state(|s| s.administrations.get(company_number).cloned())
    }

    /// A copy of every user.
    pub fn users(&self) -> Vec<User> {
        self.state(|s| s.users.values().cloned().collect())
    }

    /// Register (or replace) an OAuth client.
    pub fn add_client(&self, client_id: &str, secret: &str, redirect_uris: &[&str]) {
        self.state(|s| {
            s.clients.insert(
                client_id.to_owned(),
                OAuthClient {
                    client_id: client_id.to_owned(),
                    secret: secret.to_owned(),
                    redirect_uris: redirect_uris.iter().map(|u| (*u).to_owned()).collect(),
                },
            );
        });
    }

    /// Whom the authorize endpoint signs in from now on.
    pub fn set_sign_in(&self, sign_in: SignIn) {
        self.state(|s| s.sign_in = sign_in);
    }

    // ------------------------------------------------------------ tokens

    /// A personal access token of `username` (80 chars, no expiry) with `scopes`.
    pub fn create_personal_token(
        &self,
        username: &str,
        scopes: &[&str],
    ) -> Result<String, SimError> {
        let scopes = checked_scopes(scopes)?;
        let now = self.shared.now();
        self.state(|s| {
            let subject = subject_of(s, username)?;
            Ok(s.tokens.personal(&subject, scopes, now))
        })
    }

    /// An OIDC token for `username` and a registered client, as if the code flow had run
    /// (it counts towards the limit of active tokens).
    pub fn issue_tokens(
        &self,
        username: &str,
        client_id: &str,
        scopes: &[&str],
    ) -> Result<TokenAnswer, SimError> {
        let scopes = checked_scopes(scopes)?;
        let now = self.shared.now();
        let issuer = self.shared.issuer().to_owned();
        self.state(|s| {
            if !s.clients.contains_key(client_id) {
                return Err(SimError::UnknownClient(client_id.to_owned()));
            }
            let subject = subject_of(s, username)?;
            let (answer, revoked) = s
                .tokens
                .issue_new(&subject, client_id, scopes, &issuer, now);
            s.stats.tokens_revoked_by_limit += revoked;
            Ok(answer)
        })
    }

    /// How tokens are handed out from now on (tokens already out keep their expiry).
    pub fn set_token_mode(&self, mode: TokenMode) {
        self.state(|s| s.tokens.mode = mode);
    }

    /// How tokens are handed out.
    pub fn token_mode(&self) -> TokenMode {
        self.state(|s| s.tokens.mode)
    }

    /// The user removed the app: every token of `username` + `client_id` is revoked (access
    /// tokens answer 401, refresh tokens `invalid_grant`). Returns how many were active.
    pub fn revoke_app(&self, username: &str, client_id: &str) -> usize {
        self.state(|s| s.tokens.revoke_app(username, client_id))
    }

    /// Active OIDC tokens of `username` + `client_id`.
    pub fn active_tokens(&self, username: &str, client_id: &str) -> usize {
        let now = self.shared.now();
        self.state(|s| s.tokens.active_count(username, client_id, now))
    }

    /// Let every expiring access token expire now (refresh tokens keep working).
    pub fn expire_tokens(&self) {
        let now = self.shared.now();
        self.state(|s| s.tokens.expire_all(now));
    }

    // ------------------------------------------------------------ documents

    /// Move a document's payment state (Clearfacts learnt of a payment).
    pub fn set_payment_state(&self, uuid: &str, state: PaymentState) -> Result<(), SimError> {
        self.state(|s| {
            s.upload_mut(uuid)
                .ok_or_else(|| SimError::UnknownDocument(uuid.to_owned()))?
                .payment_state = state;
            Ok(())
        })
    }

    /// The accountant deletes a document from the inbox: its uuid is unknown from then on
    /// (`document` answers "not found"). Returns what was deleted.
    pub fn delete_upload(&self, uuid: &str) -> Result<Upload, SimError> {
        self.state(|s| {
            let at = s
                .uploads
                .iter()
                .position(|u| u.uuid.eq_ignore_ascii_case(uuid))
                .ok_or_else(|| SimError::UnknownDocument(uuid.to_owned()))?;
            let upload = s.uploads.remove(at);
            s.files.remove(&upload.uuid);
            Ok(upload)
        })
    }

    /// Every upload in arrival order.
    pub fn uploads(&self) -> Vec<Upload> {
        self.state(|s| s.uploads.clone())
    }

    /// One upload by uuid (any case).
    pub fn upload(&self, uuid: &str) -> Option<Upload> {
        self.state(|s| s.upload(uuid).cloned())
    }

    /// The bytes of an upload.
    pub fn upload_bytes(&self, uuid: &str) -> Option<Bytes> {
        self.state(|s| {
            let uuid = s.upload(uuid)?.uuid.clone();
            s.files.get(&uuid).cloned()
        })
    }

    // ------------------------------------------------------------ faults

    /// Fail the next `count` requests to `target` (`graphql`, a top-level field such as
    /// `uploadFile` or `document`, `token`, `userinfo`; `None` = every GraphQL request) with
    /// `status` before anything is done (401 answers as a revoked token).
    pub fn fail_next(&self, count: u32, status: u16, target: Option<&str>) {
        self.set_fail_next(FailNext::new(count, status, target));
    }

    /// Arm a [`FailNext`] (e.g. with an HTML page).
    pub fn set_fail_next(&self, fail: FailNext) {
        self.state(|s| s.faults.fail_next = (fail.count > 0).then_some(fail));
    }

    /// Store the next `n` uploads, then answer HTTP 500 (a lost answer).
    pub fn fail_after_upload(&self, n: u32) {
        self.state(|s| s.faults.fail_after_upload = n);
    }

    /// Store the next `n` uploads, then drop the connection.
    pub fn drop_after_upload(&self, n: u32) {
        self.state(|s| s.faults.drop_after_upload = n);
    }

    /// Carry out the next `n` token grants, then drop the connection (the old refresh token
    /// is spent).
    pub fn lose_token_answers(&self, n: u32) {
        self.state(|s| s.faults.lose_token_answers = n);
    }

    /// Answer every GraphQL request this much later (real time; for client timeouts).
    pub fn set_latency(&self, latency: Duration) {
        self.state(|s| s.latency = latency);
    }

    /// The faults armed.
    pub fn faults(&self) -> Faults {
        self.state(|s| s.faults.clone())
    }

    /// Clear every fault and the latency.
    pub fn clear_faults(&self) {
        self.state(|s| {
            s.faults = Faults::default();
            s.latency = Duration::ZERO;
        });
    }

    // ------------------------------------------------------------ statistics

    /// Call counters.
    pub fn stats(&self) -> SimStats {
        self.state(|s| s.stats.clone())
    }

    /// Reset the call counters.
    pub fn reset_stats(&self) {
        self.state(|s| s.stats = SimStats::default());
    }
}
