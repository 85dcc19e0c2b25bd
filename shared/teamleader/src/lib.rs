//! The Teamleader Focus client, and Koppel's [`koppel_core::Source`] on top of it.
//!
//! Laid out like a typed API client: one module per Teamleader resource with its wire types
//! (exactly the field names of the official OpenAPI spec) and its operations, reached through
//! [`TeamleaderClient`] (`client.invoices().list(…)`). Requests are plain structs whose
//! optional fields are left out when unset, so Koppel never sends a `null` the spec does not
//! allow; answers are read with koppel-api, so a body that does not fit becomes
//! [`koppel_core::ExternalError::Malformed`] naming the endpoint and the field. [`mapping`]
//! turns wire types into core types without I/O, and [`source`] implements the core port.

pub mod access;
pub mod client;
pub mod common;
pub mod companies;
pub mod contacts;
pub mod credit_notes;
pub mod custom_fields;
pub mod deals;
pub mod departments;
pub mod documents;
pub mod invoices;
pub mod mapping;
pub mod oauth;
pub mod policy;
pub mod product_categories;
pub mod source;
pub mod tax_rates;
pub mod users;
pub mod webhooks;

pub use client::{CreateField, ExternalIdFields, TeamleaderClient};
pub use oauth::TeamleaderUrls;

/// The system name in errors and logs.
pub const SYSTEM: &str = "Teamleader Focus";

#[cfg(test)]
mod mapping_tests;
