//! Credentials storage (Secrets Manager in production).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// A secret's JSON value and the version it was read at. `Debug` never prints the value.
#[derive(Clone, PartialEq)]
pub struct Secret {
    /// The JSON document stored.
    pub value: serde_json::Value,
    /// Opaque version id.
    pub version: String,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("value", &"<redacted>")
            .field("version", &self.version)
            .finish()
    }
}

/// OAuth tokens as Koppel stores them in a secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthTokens {
    /// Bearer access token.
    pub access_token: String,
    /// Single-use refresh token.
    pub refresh_token: String,
    /// When the access token expires (UTC).
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

impl fmt::Debug for OAuthTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthTokens")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Failure of the vault.
#[derive(Debug, Error)]
pub enum VaultError {
    /// The vault could not be reached or refused the call.
    #[error("the secret store failed: {0}")]
    Unavailable(String),
    /// The secret is not valid JSON of the expected shape.
    #[error("secret {name} is not readable: {detail}")]
    Corrupt {
        /// Secret name.
        name: String,
        /// Why.
        detail: String,
    },
}

/// Reads and writes JSON secrets by name.
#[async_trait]
pub trait Vault: Send + Sync {
    /// The current version of a secret, `None` when it does not exist.
    async fn read(&self, name: &str) -> Result<Option<Secret>, VaultError>;
    /// Store a new current version (creating the secret when needed); returns its version id.
    async fn write(&self, name: &str, value: &serde_json::Value) -> Result<String, VaultError>;
}
