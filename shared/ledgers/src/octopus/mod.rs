//! Octopus (BE): buy/sell bookings on accounts with VAT codes in "Verkoop Boekingen"
//! journals, customers as relations, payment states from the customers' open-items report,
//! the PDF attached to the booking. Facts and sources: `shared/reference/octopus.md`.
//!
//! - [`session`]: the two-step sign-in (user token, dossier token, both ten minutes);
//! - [`http`]: reads (404 = no data) and writes sent once, Octopus's daily limit;
//! - [`ledger`]: [`OctopusLedger`], the [`koppel_core::Ledger`] implementation, with its
//!   call budget and how exactly once works without an id;
//! - [`wire`] / [`mapping`]: Octopus's JSON and its translation;
//! - [`refusals`]: Octopus's refusal texts and what a person should do about them;
//! - [`policy`]: Octopus's error body and `Retry-After`;
//! - [`plugin`]: Octopus as a Koppel plug-in (app-secret section, onboarding, opening).

pub mod http;
pub mod ledger;
pub mod mapping;
pub mod plugin;
pub mod policy;
pub mod refusals;
pub mod session;
pub mod wire;

pub use http::{HttpTuning, OctopusHttp};
pub use ledger::OctopusLedger;
pub use plugin::{OctopusConnections, OctopusPlugin, PLUGIN};
pub use session::{OctopusCredentials, OctopusSession};
