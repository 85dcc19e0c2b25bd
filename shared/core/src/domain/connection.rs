//! A connection: one Teamleader department linked to one ledger administration, with the
//! user's mapping choices.

use crate::{AccountId, ConnectionId, DepartmentId, TaxRateId};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The ledgers Koppel can export to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerKind {
    /// Exact Online (BE/NL).
    ExactOnline,
    /// Octopus (BE).
    Octopus,
    /// Twinfield (NL/BE).
    Twinfield,
    /// Clearfacts accountant portal (BE).
    Clearfacts,
}

impl LedgerKind {
    /// Name as users know it.
    pub fn display_name(self) -> &'static str {
        match self {
            Self::ExactOnline => "Exact Online",
            Self::Octopus => "Octopus",
            Self::Twinfield => "Twinfield",
            Self::Clearfacts => "Clearfacts",
        }
    }
}

/// Whether a connection can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// Runs on schedule.
    Active,
    /// Paused by the user.
    Paused,
    /// A token was refused: a person must sign in again on the reactivation page.
    NeedsReauth,
    /// Being set up on the connection page (ledger signed in, administration and settings
    /// not saved yet): never run by the schedule.
    Draft,
}

/// The user's mapping choices for one connection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionSettings {
    /// Sales journal for invoices.
    pub invoice_journal: Option<String>,
    /// Sales journal for credit notes (must differ from the invoice journal).
    pub credit_note_journal: Option<String>,
    /// Teamleader tax rate → ledger VAT code.
    pub vat_codes: BTreeMap<TaxRateId, String>,
    /// Teamleader tax rate → GL account used when a line's product category has none.
    pub gl_account_by_tax_rate: BTreeMap<TaxRateId, String>,
    /// GL account for lines with neither a category account nor a tax-rate account.
    pub default_gl_account: Option<String>,
    /// GL account that receives line discounts.
    pub discount_gl_account: Option<String>,
    /// Documents dated before this day are never exported.
    pub start_date: Option<NaiveDate>,
    /// Attach the PDF to each entry (costs two more ledger calls per document).
    pub attach_pdf: bool,
    /// Run the nightly export automatically.
    pub automatic_sync: bool,
    /// Where to send an e-mail when invoices were marked paid (none: the run report only).
    #[serde(default)]
    pub notify_email: Option<String>,
    /// Opt-in: payments registered by hand in Teamleader on exported invoices are booked in
    /// the ledger, in this financial (bank or cash) journal. None: off. The connection page
    /// warns that a bank statement imported in the ledger would then settle the same invoice
    /// a second time.
    #[serde(default)]
    pub payment_journal: Option<String>,
    /// The user's word where the ledger cannot tell a private person from a company: the
    /// company import takes a ledger customer with no VAT number, no enterprise (chamber of
    /// commerce) number and no legal form in its name for a private person, imported as a
    /// Teamleader contact. Off: only what the ledger itself says makes a person.
    #[serde(default)]
    pub private_customers_without_numbers: bool,
    /// Near-real-time export through Teamleader's webhook (kept by Koppel, never taken
    /// from the settings form: [`crate::account::save_settings`] carries it over).
    #[serde(default)]
    pub webhook: WebhookSettings,
}

/// The secret path segment of a connection's webhook URL: random, at least 128 bits,
/// generated once per connection. Teamleader does not sign its webhook calls, so knowing
/// this URL is what lets a caller queue an export. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WebhookToken(String);

impl WebhookToken {
    /// Wraps a token made by a secure random generator (the adapter that has one makes it).
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The token itself, to build the URL or compare with a request's (in constant time).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for WebhookToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookToken(…)")
    }
}

/// Where near-real-time export stands for a connection: Teamleader's webhook for
/// `invoice.booked` / `creditNote.booked` and the secret in its URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookSettings {
    /// The secret in the webhook URL; made at the first registration and kept, so a
    /// reconnect finds the same URL in Teamleader's list.
    #[serde(default)]
    pub token: Option<WebhookToken>,
    /// True once Teamleader accepted (or already had) the webhook.
    #[serde(default)]
    pub registered: bool,
    /// Why near-real-time export is off, in words for the user (the nightly export still
    /// sends every booked document).
    #[serde(default)]
    pub off_reason: Option<String>,
}

/// One connection and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    /// Id.
    pub id: ConnectionId,
    /// Teamleader account (tenant) owning it.
    pub account_id: AccountId,
    /// Department exported.
    pub department_id: DepartmentId,
    /// Ledger kind.
    pub ledger: LedgerKind,
    /// The ledger administration (division, dossier, office, company …, as the ledger calls it).
    pub ledger_company: String,
    /// Status.
    pub status: ConnectionStatus,
    /// User settings.
    pub settings: ConnectionSettings,
    /// Name of the secret holding the Teamleader tokens.
    pub teamleader_secret: String,
    /// Name of the secret holding the ledger credentials.
    pub ledger_secret: String,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Why it needs attention, in words for the user, when status is not active.
    pub status_reason: Option<String>,
}
