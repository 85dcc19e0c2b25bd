//! Exact Online (BE/NL/…): sales entries booked on GL accounts with VAT codes in a sales
//! journal, customers as CRM accounts, payment states from receivables, the PDF as an
//! Exact document.
//!
//! - [`app`]: regions, the app's OAuth endpoints, the division choice;
//! - [`http`]: reads followed through `__next`, writes never re-sent blindly, rate limits;
//! - [`ledger`]: [`ExactLedger`], the [`koppel_core::Ledger`] implementation;
//! - [`wire`] / [`mapping`] / [`odata`]: Exact's entities, their translation, OData details;
//! - [`refusals`]: Exact's refusal texts and what a person should do about them;
//! - [`policy`]: Exact's rate headers, error bodies, token timings and "too early";
//! - [`plugin`]: Exact as a Koppel plug-in (app-secret section, onboarding, opening).

pub mod app;
pub mod http;
pub mod ledger;
pub mod mapping;
pub mod odata;
pub mod plugin;
pub mod policy;
mod received;
pub mod refusals;
pub mod wire;

pub use app::{ExactApp, ExactDivision, ExactRegion, current_division, divisions};
pub use http::{ExactHttp, HttpTuning};
pub use ledger::{DirectDebitCondition, ExactLedger, ExactOptions};
pub use plugin::{ExactConnections, ExactPlugin, PLUGIN};
