//! The app secret: the operator's OAuth client credentials for Teamleader and each ledger,
//! kept in Secrets Manager (the template creates it; the operator fills it in).

use koppel_core::{Vault, VaultError};
use serde::Deserialize;
use std::fmt;
use thiserror::Error;

/// An OAuth client id and secret. `Debug` never prints the secret.
#[derive(Clone, Deserialize)]
pub struct ClientCredentials {
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: String,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// Exact Online app registration: credentials plus the site (start.exactonline.be, .nl …).
#[derive(Debug, Clone, Deserialize)]
pub struct ExactAppSecret {
    /// Client id and secret.
    #[serde(flatten)]
    pub credentials: ClientCredentials,
    /// Base URL of the Exact site, default the Belgian one.
    #[serde(default = "default_exact_base_url")]
    pub base_url: String,
}

fn default_exact_base_url() -> String {
    "https://start.exactonline.be".to_owned()
}

/// The app secret's JSON document.
#[derive(Debug, Clone, Deserialize)]
pub struct AppSecret {
    /// Teamleader Focus integration credentials.
    pub teamleader: ClientCredentials,
    /// Exact Online app credentials, when the operator offers Exact.
    pub exact: Option<ExactAppSecret>,
}

/// The app secret could not be used.
#[derive(Debug, Error)]
pub enum AppSecretError {
    /// The vault failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The secret does not exist.
    #[error(
        "the app secret {0} does not exist: create it (sam deploy does) and fill in the Teamleader and ledger app credentials"
    )]
    Missing(String),
    /// The secret's JSON is not of the expected shape.
    #[error(
        "the app secret {name} is not filled in correctly: {detail}. Expected {{\"teamleader\":{{\"client_id\",\"client_secret\"}},\"exact\":{{\"client_id\",\"client_secret\",\"base_url\"}}}}"
    )]
    Invalid {
        /// Secret name.
        name: String,
        /// What is wrong (never the value).
        detail: String,
    },
}

impl AppSecret {
    /// Read and parse the app secret `name`.
    pub async fn load(vault: &dyn Vault, name: &str) -> Result<Self, AppSecretError> {
        let secret = vault
            .read(name)
            .await?
            .ok_or_else(|| AppSecretError::Missing(name.to_owned()))?;
        serde_json::from_value(secret.value).map_err(|e| AppSecretError::Invalid {
            name: name.to_owned(),
            detail: e.to_string(),
        })
    }
}
