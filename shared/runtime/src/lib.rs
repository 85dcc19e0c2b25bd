//! Wiring shared by every Koppel Lambda function, so each `main.rs` stays a few lines:
//! - [`init_tracing`]: JSON logs in Lambda, readable logs on a terminal;
//! - [`AppSecret`]: the operator's OAuth app credentials, read once per cold start;
//! - [`LiveConnector`]: opens a connection's Teamleader account and ledger with tokens from
//!   the vault (the production [`koppel_core::Connector`]);
//! - [`sqs`]: runs a job handler over an SQS batch with FIFO-aware partial batch failures;
//! - [`unavailable`]: the handler of jobs this version does not perform yet.
//!
//! This crate is wiring, not domain: use-cases stay in `koppel-core`, protocols in the
//! adapter crates.

pub mod app_secret;
pub mod connector;
pub mod sqs;
pub mod tracing_setup;
pub mod unavailable;

pub use app_secret::{AppSecret, AppSecretError, ClientCredentials};
pub use connector::LiveConnector;
pub use tracing_setup::init_tracing;

/// The Teamleader URLs named by the environment (production by default, the simulator locally).
pub fn teamleader_urls(
    resources: &koppel_aws::Resources,
) -> koppel_teamleader::oauth::TeamleaderUrls {
    koppel_teamleader::oauth::TeamleaderUrls {
        api: resources.teamleader_api_url.clone(),
        auth: resources.teamleader_auth_url.clone(),
    }
}
