//! What a ledger plug-in gives the rest of Koppel: everything about one ledger outside its
//! own module goes through these two traits.
//!
//! - [`LedgerPlugin`]: the ledger before any credentials — its kind and how it reads its
//!   section of the operator's app secret;
//! - [`LedgerApp`]: the ledger configured with the operator's app registration — how a person
//!   authorises Koppel, how administrations are listed, which settings the connection form
//!   asks, and how a [`Ledger`] is opened for a connection.
//!
//! [`LedgerApps`] is the registry the connector and the connection page hold, keyed by
//! [`LedgerKind`]: filled from the app secret by every registered plug-in (the one list in
//! `lib.rs`).

use async_trait::async_trait;
use koppel_api::TokenStores;
use koppel_core::{
    Administration, Clock, Connection, ConnectionId, Deadline, ExternalError, Grant, Ledger,
    LedgerKind, Onboarding, Vault,
};
use std::collections::HashMap;
use std::sync::Arc;
use thiserror::Error;

/// The ports a ledger needs from its surroundings: where tokens are stored and locked, and
/// what time it is.
#[derive(Clone)]
pub struct LedgerDeps {
    /// The store's roles for tokens (refresh lease, connection status on a dead token).
    pub stores: TokenStores,
    /// Credentials (the connection's ledger secret).
    pub vault: Arc<dyn Vault>,
    /// Clock (token ages, rate-limit waits).
    pub clock: Arc<dyn Clock>,
}

/// One ledger, before the operator's credentials are known.
pub trait LedgerPlugin: Sync {
    /// Which ledger.
    fn kind(&self) -> LedgerKind;
    /// The key of its section in the app secret.
    fn app_secret_section(&self) -> &'static str;
    /// What its section looks like, for the operator (no real values).
    fn app_secret_example(&self) -> serde_json::Value;
    /// The ledger configured with its app-secret section, or what is wrong with the section
    /// (never quoting a secret).
    fn configure(&self, section: &serde_json::Value) -> Result<Arc<dyn LedgerApp>, String>;
}

/// One ledger configured with the operator's app registration.
#[async_trait]
pub trait LedgerApp: Send + Sync {
    /// Which ledger.
    fn kind(&self) -> LedgerKind;
    /// What connecting it asks of a person.
    fn onboarding(&self) -> Onboarding;
    /// Where to send a person to authorise Koppel, for ledgers that use an OAuth redirect.
    fn authorize_url(&self, redirect_uri: &str, state: &str) -> Option<String>;
    /// Turn what the person gave (an OAuth code, credentials) into the credential document
    /// Koppel keeps in the connection's ledger secret.
    async fn authorise(
        &self,
        grant: &Grant,
        deps: &LedgerDeps,
    ) -> Result<serde_json::Value, ExternalError>;
    /// The administrations the credential in `secret_name` can reach, for the choice on the
    /// connection page.
    async fn administrations(
        &self,
        secret_name: &str,
        connection: &ConnectionId,
        deps: &LedgerDeps,
    ) -> Result<Vec<Administration>, ExternalError>;
    /// The ledger of `connection`, its clients bound to the invocation's `deadline`.
    fn open(
        &self,
        connection: &Connection,
        deps: &LedgerDeps,
        deadline: Deadline,
    ) -> Result<Arc<dyn Ledger>, ExternalError>;
}

/// The credential document of a ledger signed in with an OAuth redirect: the code of
/// `grant` exchanged at `oauth`'s token endpoint, kept as Koppel's token pair. A grant of
/// another kind (user name and password) is refused with `sign_in` named as the way in.
pub async fn exchange_oauth_code(
    system: &'static str,
    oauth: koppel_api::OAuthClient,
    grant: &Grant,
    sign_in: &'static str,
) -> Result<serde_json::Value, ExternalError> {
    let Grant::OAuthCode { code, redirect_uri } = grant else {
        return Err(ExternalError::Unsupported {
            system,
            what: sign_in,
        });
    };
    let tokens = oauth
        .exchange_code(code, redirect_uri)
        .await
        .map_err(ExternalError::from)?;
    serde_json::to_value(&tokens).map_err(|e| ExternalError::Malformed {
        system,
        endpoint: "token endpoint".into(),
        detail: e.to_string(),
    })
}

/// A connection that cannot be turned into a ledger client.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LedgerSetupError {
    /// The connection is for another ledger than the one asked to open it.
    #[error("connection {connection} is linked to {actual}, not to {expected}")]
    WrongLedger {
        /// Connection id.
        connection: String,
        /// Ledger asked to open it.
        expected: &'static str,
        /// Ledger of the connection.
        actual: &'static str,
    },
    /// The ledger administration stored on the connection is not usable.
    #[error(
        "connection {connection} names {ledger} administration `{company}`, which is not valid; choose the administration again on the reactivation page"
    )]
    InvalidCompany {
        /// Connection id.
        connection: String,
        /// Ledger name.
        ledger: &'static str,
        /// What is stored.
        company: String,
    },
}

impl From<LedgerSetupError> for ExternalError {
    fn from(error: LedgerSetupError) -> Self {
        let system = match &error {
            LedgerSetupError::WrongLedger { expected, .. } => expected,
            LedgerSetupError::InvalidCompany { ledger, .. } => ledger,
        };
        ExternalError::Rejected {
            system,
            status: 0,
            message: error.to_string(),
        }
    }
}

/// An app secret whose ledger sections cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "the app secret's \"{section}\" section is not filled in correctly: {detail}. Expected {example}"
)]
pub struct LedgerConfigError {
    /// The section.
    pub section: &'static str,
    /// What is wrong (never a value).
    pub detail: String,
    /// What the section should look like.
    pub example: String,
}

/// The ledgers this deployment offers, configured from the app secret: the registry the
/// connector and the connection page hold, keyed by [`LedgerKind`].
#[derive(Clone, Default)]
pub struct LedgerApps {
    apps: HashMap<LedgerKind, Arc<dyn LedgerApp>>,
}

impl std::fmt::Debug for LedgerApps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.offered()).finish()
    }
}

impl LedgerApps {
    /// Every plug-in of `plugins` whose section the app secret has, configured from it. A
    /// ledger without a section is not offered; a section that cannot be read is an error.
    pub fn configure(
        plugins: &[&dyn LedgerPlugin],
        app_secret: &serde_json::Value,
    ) -> Result<Self, LedgerConfigError> {
        let mut apps = HashMap::new();
        for plugin in plugins {
            let section = plugin.app_secret_section();
            let Some(value) = app_secret.get(section).filter(|v| !v.is_null()) else {
                continue;
            };
            let app = plugin
                .configure(value)
                .map_err(|detail| LedgerConfigError {
                    section,
                    detail,
                    example: plugin.app_secret_example().to_string(),
                })?;
            apps.insert(plugin.kind(), app);
        }
        Ok(Self { apps })
    }

    /// The configured app of `kind`.
    pub fn get(&self, kind: LedgerKind) -> Option<&Arc<dyn LedgerApp>> {
        self.apps.get(&kind)
    }

    /// The ledgers offered, by name.
    pub fn offered(&self) -> Vec<LedgerKind> {
        let mut kinds: Vec<LedgerKind> = self.apps.keys().copied().collect();
        kinds.sort_by_key(|kind| kind.display_name());
        kinds
    }

    /// Open the ledger of `connection` with its plug-in.
    pub fn open(
        &self,
        connection: &Connection,
        deps: &LedgerDeps,
        deadline: Deadline,
    ) -> Result<Arc<dyn Ledger>, ExternalError> {
        let Some(app) = self.get(connection.ledger) else {
            return Err(ExternalError::Unsupported {
                system: connection.ledger.display_name(),
                what: "connections on this deployment (its app credentials are not in the app secret)",
            });
        };
        app.open(connection, deps, deadline)
    }
}
