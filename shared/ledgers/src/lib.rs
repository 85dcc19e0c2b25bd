//! Koppel's ledgers: the accounting side of every connection, each implementing
//! [`koppel_core::Ledger`] (and, where the ledger has them, [`koppel_core::LedgerCustomers`]
//! and [`koppel_core::LedgerPayments`]).
//!
//! One module per ledger, each self-contained (wire types, mapping, refusals, HTTP):
//! - [`exact`] — Exact Online (REST/OData, OAuth with single-use refresh tokens).
//!
//! Where the others will go (same shape; nothing in `koppel_core` needs to change):
//! - `octopus` — Octopus (BE): REST with a 10-minute token plus a per-dossier token;
//!   bookings in V1/V2 journals with positive lines and a negative total for credit notes;
//!   open items for payment states. Implements `Ledger`, `LedgerCustomers` (relations),
//!   `LedgerPayments`.
//! - `twinfield` — Twinfield (NL/BE): OpenID Connect, SOAP ProcessXml on the cluster URL;
//!   sales transactions with a total line and detail lines; match status from browse
//!   code 100. Implements `Ledger`, `LedgerCustomers` (DEB dimensions), `LedgerPayments`.
//! - `clearfacts` — Clearfacts (BE accountant portal): GraphQL `uploadFile` of the PDF or
//!   UBL; no general ledger, so `capabilities()` says `general_ledger: false` and
//!   `AttachmentSupport::Required`, `customers()` is `None`, payment state per document.
//!
//! Each gets a constructor function here next to [`exact()`], taking the connection and
//! the shared ports.

#![warn(missing_docs)]

pub mod exact;

use exact::{ExactApp, ExactLedger, ExactOptions};
use koppel_api::TokenSource;
use koppel_core::{Clock, Connection, LedgerKind, Store, Vault};
use std::sync::Arc;
use thiserror::Error;

/// The ports a ledger needs from its surroundings: where tokens are stored and locked, and
/// what time it is.
#[derive(Clone)]
pub struct LedgerDeps {
    /// State store (token refresh lease, connection status on a dead token).
    pub store: Arc<dyn Store>,
    /// Credentials (the connection's ledger secret).
    pub vault: Arc<dyn Vault>,
    /// Clock (token ages, rate-limit waits).
    pub clock: Arc<dyn Clock>,
}

/// A connection that cannot be turned into a ledger client.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LedgerSetupError {
    /// The connection is for another ledger than the constructor called.
    #[error("connection {connection} is linked to {actual}, not to {expected}")]
    WrongLedger {
        /// Connection id.
        connection: String,
        /// Ledger the constructor builds.
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

/// The Exact Online ledger of `connection`: its division (`ledger_company`, a number), its
/// tokens (`ledger_secret`, refreshed under the store's lease) at `app`'s site.
pub fn exact(
    app: &ExactApp,
    connection: &Connection,
    deps: &LedgerDeps,
    options: ExactOptions,
) -> Result<ExactLedger, LedgerSetupError> {
    if connection.ledger != LedgerKind::ExactOnline {
        return Err(LedgerSetupError::WrongLedger {
            connection: connection.id.to_string(),
            expected: LedgerKind::ExactOnline.display_name(),
            actual: connection.ledger.display_name(),
        });
    }
    let division: i64 =
        connection
            .ledger_company
            .trim()
            .parse()
            .map_err(|_| LedgerSetupError::InvalidCompany {
                connection: connection.id.to_string(),
                ledger: LedgerKind::ExactOnline.display_name(),
                company: connection.ledger_company.clone(),
            })?;
    let tokens = TokenSource::new(
        ExactApp::token_config(&connection.ledger_secret, connection.id.clone()),
        app.oauth(deps.clock.clone()),
        deps.store.clone(),
        deps.vault.clone(),
        deps.clock.clone(),
    );
    Ok(ExactLedger::new(
        &app.base_url,
        division,
        tokens,
        deps.clock.clone(),
        options,
    ))
}
