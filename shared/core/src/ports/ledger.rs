//! The accounting side. Ledgers differ: Exact, Octopus and Twinfield book entries on GL
//! accounts; Clearfacts takes files and has no general ledger. The differences are expressed
//! by [`LedgerCapabilities`] and by optional parts ([`LedgerCustomers`], [`LedgerPayments`]).

use crate::{
    Customer, DocumentFile, DocumentKind, ExternalError, FileFormat, LedgerCustomerId,
    LedgerEntryId, LedgerKind, LedgerReferenceData,
};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// How a ledger takes the document file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentSupport {
    /// It takes no file.
    None,
    /// It can take this format next to the entry (on the connection's request).
    Optional(FileFormat),
    /// The file *is* the document (Clearfacts): it must be sent.
    Required(FileFormat),
}

/// What a ledger can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerCapabilities {
    /// Books entries on GL accounts with VAT codes (false for Clearfacts).
    pub general_ledger: bool,
    /// How it takes the document file.
    pub attachment: AttachmentSupport,
}

/// One line of a ledger entry, tax-exclusive, amounts positive for the document's own sense
/// (the ledger module applies its sign convention for credit notes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryLine {
    /// GL account code.
    pub gl_account: String,
    /// VAT code, `None` where the ledger takes none.
    pub vat_code: Option<String>,
    /// Net amount.
    pub amount_excl: Decimal,
    /// VAT amount.
    pub vat_amount: Decimal,
    /// Description.
    pub description: String,
}

/// A document ready for the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// Invoice or credit note.
    pub kind: DocumentKind,
    /// Journal code.
    pub journal: String,
    /// Ledger customer.
    pub customer: LedgerCustomerId,
    /// Koppel's reference: the Teamleader number (Exact `YourRef`), used to find it again.
    pub reference: String,
    /// Document date.
    pub date: NaiveDate,
    /// Due date.
    pub due_date: Option<NaiveDate>,
    /// Description ("Invoice 2026 / 17").
    pub description: String,
    /// Structured payment reference.
    pub payment_reference: Option<String>,
    /// Collected by direct debit.
    pub direct_debit: bool,
    /// ISO currency.
    pub currency: String,
    /// Lines.
    pub lines: Vec<EntryLine>,
    /// Total including VAT (for ledgers that want the header amount).
    pub total_incl: Decimal,
}

/// An entry as the ledger holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostedEntry {
    /// Ledger id of the entry.
    pub id: LedgerEntryId,
    /// The ledger's own entry number (boekstuknummer), for people.
    pub entry_number: Option<String>,
}

/// Payment state of an entry in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerPaymentState {
    /// Entry.
    pub entry: LedgerEntryId,
    /// Amount still open.
    pub open_amount: Decimal,
    /// True when fully reconciled.
    pub fully_paid: bool,
    /// When the last payment was matched.
    pub paid_at: Option<DateTime<Utc>>,
}

/// A page of ledger customers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerCustomerPage {
    /// Customers, with `external_id` set to the ledger's customer code.
    pub customers: Vec<(LedgerCustomerId, Customer)>,
    /// Where the next page starts, `None` at the end.
    pub next: Option<String>,
}

/// A ledger administration (Exact division, Octopus dossier, …) as seen with one credential.
#[async_trait]
pub trait Ledger: Send + Sync {
    /// Which ledger this is.
    fn kind(&self) -> LedgerKind;
    /// What it can do.
    fn capabilities(&self) -> LedgerCapabilities;
    /// GL accounts, journals, VAT codes and periods, pulled at every sync.
    async fn reference_data(&self) -> Result<LedgerReferenceData, ExternalError>;
    /// The entry carrying Koppel's reference in this journal, if the ledger has it (crash
    /// recovery: never post twice).
    async fn find_entry(
        &self,
        journal: &str,
        reference: &str,
    ) -> Result<Option<PostedEntry>, ExternalError>;
    /// Post an entry, with the file when the capability asks for it.
    async fn post_entry(
        &self,
        entry: &LedgerEntry,
        file: Option<&DocumentFile>,
    ) -> Result<PostedEntry, ExternalError>;
    /// Customer management, where the ledger has customers Koppel may create.
    fn customers(&self) -> Option<&dyn LedgerCustomers>;
    /// Payment states, where the ledger reconciles payments.
    fn payments(&self) -> Option<&dyn LedgerPayments>;
}

/// Customers in a ledger.
#[async_trait]
pub trait LedgerCustomers: Send + Sync {
    /// Find existing ledger customers for many Teamleader customers at once, by code (the
    /// external id kept in Teamleader) or VAT number, in as few calls as the API allows (an
    /// export of 150 new customers must not cost 150 look-ups). The result has one entry per
    /// input, in the same order: `None` where the ledger has no match.
    async fn find_customers(
        &self,
        customers: &[Customer],
    ) -> Result<Vec<Option<LedgerCustomerId>>, ExternalError>;
    /// Create a customer.
    async fn create_customer(&self, customer: &Customer)
    -> Result<LedgerCustomerId, ExternalError>;
    /// List customers page by page (company import).
    async fn list_customers(
        &self,
        cursor: Option<&str>,
    ) -> Result<LedgerCustomerPage, ExternalError>;
}

/// Payment states in a ledger.
#[async_trait]
pub trait LedgerPayments: Send + Sync {
    /// The payment state of many entries in as few calls as the API allows.
    async fn payment_states(
        &self,
        entries: &[LedgerEntryId],
    ) -> Result<Vec<LedgerPaymentState>, ExternalError>;
}
