//! Koppel's ledgers: the accounting side of every connection. Each ledger is a plug-in — one
//! module owning everything about it (wire types, mapping, refusals, HTTP policy, app-secret
//! section, onboarding) — implementing [`koppel_core::Ledger`] and the [`LedgerPlugin`] /
//! [`LedgerApp`] pair. Nothing outside a ledger's module knows anything about that ledger but
//! its line in [`plugins`] and its `LedgerKind` variant.
//!
//! Adding a ledger: its module here, its simulator in `infra/sim`, one line in [`plugins`]
//! (see "Adding a ledger" in docs/ARCHITECTURE.md).

#![warn(missing_docs)]

pub mod clearfacts;
pub mod exact;
pub mod octopus;
pub mod plugin;
pub mod twinfield;

pub use plugin::{
    LedgerApp, LedgerApps, LedgerConfigError, LedgerDeps, LedgerPlugin, LedgerSetupError,
};

/// Every ledger plug-in of this build, one line each.
pub fn plugins() -> Vec<&'static dyn LedgerPlugin> {
    vec![
        &exact::PLUGIN,
        &octopus::PLUGIN,
        &twinfield::PLUGIN,
        &clearfacts::PLUGIN,
    ]
}

/// The ledgers offered by this deployment: every registered plug-in whose section the app
/// secret has.
pub fn configure(app_secret: &serde_json::Value) -> Result<LedgerApps, LedgerConfigError> {
    LedgerApps::configure(&plugins(), app_secret)
}
