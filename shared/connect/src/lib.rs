//! Connecting to the outside systems of a connection, for the functions that need them:
//! - [`AppSecret`]: the operator's app credentials (Teamleader, the page's session key, and a
//!   section per ledger, read by that ledger's plug-in), read once per cold start;
//! - [`LiveConnector`]: the production [`koppel_core::Connector`] — a connection's Teamleader
//!   client and its ledger, opened through the plug-in registry with tokens from the vault;
//! - [`serve_job`]: the whole `main` of a job function that needs them.
//!
//! Functions that talk to no outside system (the dispatcher) do not link this crate, and so
//! no ledger client.

#![warn(missing_docs)]

pub mod app_secret;
pub mod connector;
pub mod serve;

pub use app_secret::{AppSecret, AppSecretError, ClientCredentials};
pub use connector::LiveConnector;
pub use serve::serve_job;

/// The Teamleader URLs named by the environment (production by default, the simulator locally).
pub fn teamleader_urls(
    resources: &koppel_aws::Resources,
) -> koppel_teamleader::oauth::TeamleaderUrls {
    koppel_teamleader::oauth::TeamleaderUrls {
        api: resources.teamleader_api_url.clone(),
        auth: resources.teamleader_auth_url.clone(),
    }
}
