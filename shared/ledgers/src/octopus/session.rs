//! Octopus's two-step sign-in, as a [`RequestAuth`] for the shared [`ApiClient`]:
//!
//! 1. `POST /authentication` with the software house's UUID in a header and the user's name
//!    and password → a user token (10 minutes);
//! 2. `POST /dossiers?dossierId=` with header `Token` → a dossier token (10 minutes), sent as
//!    header `dossierToken` on every call of that dossier.
//!
//! Both are kept in memory and renewed [`RENEW_AFTER_SECONDS`] after they were issued —
//! before they lapse, never more often: one sign-in and one dossier token per nine minutes
//! of work. A 401 on a dossier call drops the dossier token (the next call gets another); a
//! 401 when asking for a dossier token drops the user token too. A refused password means a
//! person must sign in again on the reactivation page ([`ExternalError::NeedsReauth`]). The
//! password is read from the connection's ledger secret on first need and never logged.

use super::refusals::SYSTEM;
use super::wire;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use koppel_api::{ApiClient, RequestAuth};
use koppel_core::{Clock, ExternalError, Vault};
use reqwest::header::ACCEPT;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Tokens live 600 seconds; renewed after this many, leaving a minute for calls in flight.
pub const RENEW_AFTER_SECONDS: i64 = 540;

/// Header carrying the software house's UUID on `POST /authentication`.
pub const SOFTWARE_HOUSE_HEADER: &str = "softwareHouseUuid";

/// What Koppel keeps in the connection's ledger secret for Octopus: the user's sign-in.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OctopusCredentials {
    /// Octopus user name.
    pub user: String,
    /// Its password.
    pub password: String,
}

impl fmt::Debug for OctopusCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OctopusCredentials")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// Where the user's sign-in comes from.
#[derive(Clone)]
pub enum CredentialSource {
    /// Given directly (the connection page, right after the person typed them).
    Given(OctopusCredentials),
    /// The connection's ledger secret.
    Vault {
        /// The vault.
        vault: Arc<dyn Vault>,
        /// The secret's name.
        secret_name: String,
    },
}

impl CredentialSource {
    async fn read(&self) -> Result<OctopusCredentials, ExternalError> {
        match self {
            Self::Given(credentials) => Ok(credentials.clone()),
            Self::Vault { vault, secret_name } => {
                let secret =
                    vault
                        .read(secret_name)
                        .await
                        .map_err(|e| ExternalError::Unavailable {
                            system: SYSTEM,
                            detail: e.to_string(),
                        })?;
                let Some(secret) = secret else {
                    return Err(needs_sign_in(
                        "no Octopus sign-in is stored for this connection",
                    ));
                };
                serde_json::from_value(secret.value)
                    .map_err(|_| needs_sign_in("the stored Octopus sign-in is not readable"))
            }
        }
    }
}

fn needs_sign_in(reason: &str) -> ExternalError {
    ExternalError::NeedsReauth {
        system: SYSTEM,
        detail: format!(
            "{reason}: enter the Octopus user name and password again on the reactivation page"
        ),
    }
}

#[derive(Clone)]
struct Issued {
    token: String,
    at: DateTime<Utc>,
}

/// The tokens of one dossier for one user. Cheap to clone; clones share the tokens.
#[derive(Clone)]
pub struct OctopusSession {
    inner: Arc<Inner>,
}

struct Inner {
    /// Unauthenticated client for the two sign-in calls (shares the rate gate).
    plain: ApiClient,
    software_house: String,
    dossier: i64,
    credentials: CredentialSource,
    clock: Arc<dyn Clock>,
    user_token: Mutex<Option<Issued>>,
    dossier_token: Mutex<Option<Issued>>,
    /// Serialises renewals of this session's tasks.
    renewing: tokio::sync::Mutex<()>,
    sign_ins: AtomicU64,
    dossier_tokens: AtomicU64,
}

impl fmt::Debug for OctopusSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OctopusSession")
            .field("dossier", &self.inner.dossier)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl OctopusSession {
    /// Tokens for `dossier` (0: only the user token, for listing dossiers), signing in through
    /// `plain` with `software_house` and the user's `credentials`.
    pub fn new(
        plain: ApiClient,
        software_house: String,
        dossier: i64,
        credentials: CredentialSource,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                plain,
                software_house,
                dossier,
                credentials,
                clock,
                user_token: Mutex::new(None),
                dossier_token: Mutex::new(None),
                renewing: tokio::sync::Mutex::new(()),
                sign_ins: AtomicU64::new(0),
                dossier_tokens: AtomicU64::new(0),
            }),
        }
    }

    /// Sign-ins (`POST /authentication`) made so far.
    pub fn sign_ins(&self) -> u64 {
        self.inner.sign_ins.load(Ordering::Relaxed)
    }

    /// Dossier tokens asked so far.
    pub fn dossier_tokens(&self) -> u64 {
        self.inner.dossier_tokens.load(Ordering::Relaxed)
    }

    fn fresh(&self, slot: &Mutex<Option<Issued>>) -> Option<String> {
        let now = self.inner.clock.now();
        lock(slot)
            .as_ref()
            .filter(|issued| (now - issued.at).num_seconds() < RENEW_AFTER_SECONDS)
            .map(|issued| issued.token.clone())
    }

    /// A valid user token (signing in when needed).
    pub async fn user_token(&self) -> Result<String, ExternalError> {
        if let Some(token) = self.fresh(&self.inner.user_token) {
            return Ok(token);
        }
        let credentials = self.inner.credentials.read().await?;
        let url = self.inner.plain.url("authentication");
        let body = serde_json::json!({"user": credentials.user, "password": credentials.password});
        let at = self.inner.clock.now();
        self.inner.sign_ins.fetch_add(1, Ordering::Relaxed);
        let answer = self
            .inner
            .plain
            .send("authentication", |http| {
                http.post(&url)
                    .header(SOFTWARE_HOUSE_HEADER, &self.inner.software_house)
                    .header(ACCEPT, "application/json")
                    .json(&body)
            })
            .await
            .map_err(|error| match error {
                ExternalError::Rejected { status: 401, .. }
                | ExternalError::Rejected { status: 403, .. } => needs_sign_in(
                    "Octopus refused the user name or password (changed, or the user no longer has the webservice module)",
                ),
                other => other,
            })?;
        let token = answer.json::<wire::UserToken>()?.token;
        *lock(&self.inner.user_token) = Some(Issued {
            token: token.clone(),
            at,
        });
        Ok(token)
    }

    async fn new_dossier_token(&self) -> Result<String, ExternalError> {
        let url = self.inner.plain.url("dossiers");
        let dossier = self.inner.dossier.to_string();
        let mut retried = false;
        loop {
            let user_token = self.user_token().await?;
            let at = self.inner.clock.now();
            self.inner.dossier_tokens.fetch_add(1, Ordering::Relaxed);
            let answer = self
                .inner
                .plain
                .send("dossiers.token", |http| {
                    http.post(&url)
                        .query(&[("dossierId", dossier.as_str())])
                        .header("Token", &user_token)
                        .header(ACCEPT, "application/json")
                })
                .await;
            match answer {
                Ok(answer) => {
                    let token = answer.json::<wire::DossierToken>()?.token;
                    *lock(&self.inner.dossier_token) = Some(Issued {
                        token: token.clone(),
                        at,
                    });
                    return Ok(token);
                }
                Err(ExternalError::Rejected { status: 401, .. }) if !retried => {
                    // The user token lapsed early: sign in once more.
                    *lock(&self.inner.user_token) = None;
                    retried = true;
                }
                Err(ExternalError::Rejected {
                    status: 401 | 403,
                    message,
                    ..
                }) => {
                    return Err(ExternalError::ConnectionRefused {
                        system: SYSTEM,
                        status: 403,
                        message: format!(
                            "{message}: this Octopus user has no access to dossier {dossier}; choose another dossier on the reactivation page, or give the user access in Octopus"
                        ),
                    });
                }
                Err(other) => return Err(other),
            }
        }
    }

    /// The dossiers this user may open (onboarding): one sign-in, one read.
    pub async fn dossiers(&self) -> Result<Vec<wire::Dossier>, ExternalError> {
        let token = self.user_token().await?;
        let url = self.inner.plain.url("dossiers");
        let answer = self
            .inner
            .plain
            .send("dossiers", |http| {
                http.get(&url)
                    .header("Token", &token)
                    .header(ACCEPT, "application/json")
            })
            .await;
        match answer {
            Ok(answer) => answer.json(),
            Err(ExternalError::NotFound { .. }) => Ok(Vec::new()),
            Err(error) => Err(error),
        }
    }
}

#[async_trait]
impl RequestAuth for OctopusSession {
    async fn credential(&self) -> Result<String, ExternalError> {
        if let Some(token) = self.fresh(&self.inner.dossier_token) {
            return Ok(token);
        }
        let _one_at_a_time = self.inner.renewing.lock().await;
        if let Some(token) = self.fresh(&self.inner.dossier_token) {
            return Ok(token);
        }
        self.new_dossier_token().await
    }

    fn invalidate(&self, credential: &str) {
        let mut slot = lock(&self.inner.dossier_token);
        if slot
            .as_ref()
            .is_some_and(|issued| issued.token == credential)
        {
            *slot = None;
        }
    }

    fn apply(&self, request: reqwest::RequestBuilder, credential: &str) -> reqwest::RequestBuilder {
        request.header("dossierToken", credential)
    }
}
