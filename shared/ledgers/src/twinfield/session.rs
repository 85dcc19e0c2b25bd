//! A connection's access to Twinfield: the OAuth access token (from the shared
//! [`TokenSource`], refreshed under the store lease) and the organisation's **cluster URL**,
//! which Twinfield names only through the access-token validation endpoint. The cluster is
//! asked once per access token (an hour) and kept with it; a SOAP fault saying the
//! organisation moved makes Koppel ask again.

use super::refusals::SYSTEM;
use async_trait::async_trait;
use koppel_api::{ApiClient, RequestAuth, TokenSource};
use koppel_core::ExternalError;
use reqwest::header::ACCEPT;
use serde::Deserialize;
use std::sync::{Mutex, MutexGuard};

/// The validation endpoint's answer (the claims Koppel reads).
#[derive(Debug, Clone, Deserialize)]
pub struct Validation {
    /// The organisation's cluster, e.g. `https://accounting.twinfield.com`.
    #[serde(rename = "twf.clusterUrl")]
    pub cluster_url: String,
}

/// Access token + cluster for one connection.
pub struct TwinfieldSession {
    tokens: TokenSource,
    /// Unauthenticated client for the validation call (free of credits).
    plain: ApiClient,
    validation_url: String,
    /// (access token, its cluster).
    cluster: Mutex<Option<(String, String)>>,
}

impl std::fmt::Debug for TwinfieldSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwinfieldSession").finish_non_exhaustive()
    }
}

impl TwinfieldSession {
    /// A session on `tokens`, validating at `validation_url` through `plain`.
    pub fn new(tokens: TokenSource, plain: ApiClient, validation_url: String) -> Self {
        Self {
            tokens,
            plain,
            validation_url,
            cluster: Mutex::new(None),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<(String, String)>> {
        self.cluster.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cluster URL for the current access token (1 validation call per new token). A
    /// token the validation does not accept (ended early) is renewed once and validated
    /// again; a renewal Twinfield refuses asks for a new sign-in.
    pub async fn cluster(&self) -> Result<String, ExternalError> {
        let mut renewed = false;
        loop {
            let token = self.tokens.access_token().await?;
            if let Some((known, cluster)) = self.lock().as_ref()
                && *known == token
            {
                return Ok(cluster.clone());
            }
            let answer = self
                .plain
                .send("accesstokenvalidation", |http| {
                    http.get(&self.validation_url)
                        .query(&[("token", token.as_str())])
                        .header(ACCEPT, "application/json")
                })
                .await;
            let validation: Validation = match answer {
                Ok(answer) => answer.json()?,
                Err(ExternalError::Rejected { status: 400, .. }) if !renewed => {
                    self.tokens.invalidate(&token);
                    renewed = true;
                    continue;
                }
                Err(ExternalError::Rejected { status: 400, .. }) => {
                    return Err(ExternalError::ConnectionRefused {
                        system: SYSTEM,
                        status: 400,
                        message: "Twinfield does not accept the access token it has just issued: sign in to Twinfield again on the reactivation page".into(),
                    });
                }
                Err(error) => return Err(error),
            };
            let cluster = validation.cluster_url.trim_end_matches('/').to_owned();
            *self.lock() = Some((token, cluster.clone()));
            return Ok(cluster);
        }
    }

    /// The organisation moved: ask for its cluster again on the next call.
    pub fn forget_cluster(&self) {
        *self.lock() = None;
    }

    /// Refreshes performed by this session's token source.
    pub fn refreshes(&self) -> u64 {
        self.tokens.refreshes()
    }
}

#[async_trait]
impl RequestAuth for TwinfieldSession {
    async fn credential(&self) -> Result<String, ExternalError> {
        self.tokens.access_token().await
    }

    fn invalidate(&self, credential: &str) {
        self.tokens.invalidate(credential);
    }

    /// The token travels in the SOAP header, built with the body.
    fn apply(
        &self,
        request: reqwest::RequestBuilder,
        _credential: &str,
    ) -> reqwest::RequestBuilder {
        request
    }
}
