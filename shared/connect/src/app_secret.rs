//! The app secret: the operator's OAuth client credentials for Teamleader and each ledger,
//! kept in Secrets Manager (the template creates it; the operator fills it in). Each ledger's
//! section is read by that ledger's plug-in; a ledger without a section is not offered.

use koppel_core::{Vault, VaultError};
use koppel_ledgers::{LedgerApps, LedgerConfigError};
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

/// The parts of the app secret outside the ledgers' sections.
#[derive(Deserialize)]
struct Common {
    teamleader: ClientCredentials,
    #[serde(default)]
    session_key: Option<String>,
    #[serde(default)]
    page_url: Option<String>,
}

/// The app secret's JSON document, read.
#[derive(Clone)]
pub struct AppSecret {
    /// Teamleader Focus integration credentials.
    pub teamleader: ClientCredentials,
    /// The key that signs the page's session cookies (generated at deploy).
    pub session_key: Option<String>,
    /// The ledgers this deployment offers, configured from their sections.
    pub ledgers: LedgerApps,
    /// The connection page's public address (the function URL or the operator's domain):
    /// OAuth redirect URIs are built from it, never from a request's Host header.
    pub page_url: Option<String>,
}

impl fmt::Debug for AppSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppSecret")
            .field("teamleader", &self.teamleader)
            .field("ledgers", &self.ledgers)
            .field("page_url", &self.page_url)
            .finish_non_exhaustive()
    }
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
        "the app secret {name} is not filled in correctly: {detail}. Expected {{\"teamleader\":{{\"client_id\",\"client_secret\"}}, \"session_key\", \"page_url\", and a section per ledger}}"
    )]
    Invalid {
        /// Secret name.
        name: String,
        /// What is wrong (never the value).
        detail: String,
    },
    /// A ledger's section is not usable.
    #[error("the app secret {name}: {error}")]
    Ledger {
        /// Secret name.
        name: String,
        /// The ledger's complaint.
        error: LedgerConfigError,
    },
}

impl AppSecret {
    /// Read and parse the app secret `name`.
    pub async fn load(vault: &dyn Vault, name: &str) -> Result<Self, AppSecretError> {
        let secret = vault
            .read(name)
            .await?
            .ok_or_else(|| AppSecretError::Missing(name.to_owned()))?;
        Self::from_json(name, &secret.value)
    }

    /// Parse the app secret `name` from its JSON value.
    pub fn from_json(name: &str, value: &serde_json::Value) -> Result<Self, AppSecretError> {
        let common = Common::deserialize(value).map_err(|e| AppSecretError::Invalid {
            name: name.to_owned(),
            detail: e.to_string(),
        })?;
        let ledgers = koppel_ledgers::configure(value).map_err(|error| AppSecretError::Ledger {
            name: name.to_owned(),
            error,
        })?;
        Ok(Self {
            teamleader: common.teamleader,
            session_key: common.session_key,
            ledgers,
            page_url: common.page_url,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use koppel_core::LedgerKind;
    use serde_json::json;

    #[test]
    fn ledgers_with_a_section_are_offered_and_secrets_never_show() {
        let value = json!({
            "teamleader": {"client_id": "tl", "client_secret": "tl-secret"},
            "exact": {"client_id": "ex", "client_secret": "ex-secret"},
            "session_key": "key",
        });
        let app = AppSecret::from_json("stack/app", &value).unwrap();
        assert_eq!(app.ledgers.offered(), vec![LedgerKind::ExactOnline]);
        assert_eq!(app.session_key.as_deref(), Some("key"));
        let shown = format!("{app:?}");
        assert!(
            !shown.contains("secret\"") && !shown.contains("tl-secret") && !shown.contains("key\""),
            "{shown}"
        );

        let only_teamleader = json!({"teamleader": {"client_id": "tl", "client_secret": "s"}});
        assert!(
            AppSecret::from_json("a", &only_teamleader)
                .unwrap()
                .ledgers
                .offered()
                .is_empty()
        );
    }

    #[test]
    fn a_broken_section_says_which_and_what_it_should_look_like() {
        let value = json!({
            "teamleader": {"client_id": "tl", "client_secret": "s"},
            "exact": {"client_id": "ex"},
        });
        let error = AppSecret::from_json("stack/app", &value)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("\"exact\" section") && error.contains("client_secret"),
            "{error}"
        );
        let missing = AppSecret::from_json("stack/app", &json!({}))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("teamleader"), "{missing}");
    }
}
