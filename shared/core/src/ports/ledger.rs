//! The accounting side. Ledgers differ: some book entries on GL accounts in journals, others
//! take the document file and have no general ledger. Every difference is declared by the
//! ledger itself — [`LedgerCapabilities`], [`LedgerLimits`], [`Ledger::preflight`] and the
//! optional parts ([`LedgerCustomers`], [`LedgerPayments`]) — so the jobs never ask which
//! ledger they talk to.

use crate::{
    ConnectionSettings, Customer, CustomerRef, DocumentFile, DocumentKind, ExternalError,
    FileFormat, LedgerCustomerId, LedgerEntryId, LedgerKind, LedgerReferenceData, Money,
    PersonName,
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
    /// The file *is* the document: it must be sent.
    Required(FileFormat),
    /// The file *is* the document, and a structured one is worth more than a picture: a
    /// Peppol BIS Billing 3.0 UBL that passes the official rules when one can be had
    /// (Teamleader's own for invoices, built by Koppel for credit notes), else the PDF with
    /// the reason in the report. Never an XML that failed the rules.
    StructuredElsePdf,
}

/// What a ledger can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerCapabilities {
    /// Books entries on GL accounts with VAT codes in journals (false for a ledger that
    /// only takes files).
    pub general_ledger: bool,
    /// How it takes the document file.
    pub attachment: AttachmentSupport,
    /// [`Ledger::find_entry`] can find a document again by Koppel's reference. A ledger
    /// without any search (Clearfacts returns a new id per upload and offers no list) says
    /// false: the export then writes down that a send started before sending, and reports a
    /// send whose outcome was lost as "may have been sent twice" instead of guessing.
    pub finds_entries: bool,
}

/// The ledger's own limits on what an entry may hold, applied by the mapping so a document
/// is shaped (or refused with a reason) before any call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LedgerLimits {
    /// Longest entry description, in characters (longer ones are cut).
    pub entry_description: Option<usize>,
    /// Longest line description, in characters (longer ones are cut).
    pub line_description: Option<usize>,
    /// Most lines one entry may carry (a document needing more is refused with the reason).
    pub lines_per_entry: Option<usize>,
    /// Longest reference (Koppel's key to find the entry again); a longer one is refused,
    /// never cut: a cut reference could match another document.
    pub reference: Option<usize>,
}

/// How much a pre-flight finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Every document would fail: the run does not start until it is fixed.
    Blocker,
    /// Worth fixing; the run goes on.
    Warning,
}

/// A text for people in the three languages of the connection page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Localized {
    /// Dutch.
    pub nl: String,
    /// French.
    pub fr: String,
    /// English.
    pub en: String,
}

/// Something the ledger found wrong with a connection's settings before a run, in words the
/// user can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Blocker or warning.
    pub severity: Severity,
    /// What is wrong and what to do about it (English: run reports and logs).
    pub message: String,
    /// The same in Dutch, French and English, for the connection page (rules written before
    /// the page had none: `message` is shown then).
    #[serde(default)]
    pub localized: Option<Localized>,
}

impl Finding {
    /// A blocker said in three languages.
    pub fn blocker_in(text: Localized) -> Self {
        Self {
            severity: Severity::Blocker,
            message: text.en.clone(),
            localized: Some(text),
        }
    }

    /// A warning said in three languages.
    pub fn warning_in(text: Localized) -> Self {
        Self {
            severity: Severity::Warning,
            message: text.en.clone(),
            localized: Some(text),
        }
    }

    /// The text in the language `code` ("nl", "fr", "en"); English when it has no other.
    pub fn text(&self, code: &str) -> &str {
        match (&self.localized, code) {
            (Some(l), "nl") => &l.nl,
            (Some(l), "fr") => &l.fr,
            _ => &self.message,
        }
    }

    /// A finding that stops the run.
    pub fn blocker(message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Blocker,
            message: message.into(),
            localized: None,
        }
    }

    /// A finding worth reporting that does not stop the run.
    pub fn warning(message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            message: message.into(),
            localized: None,
        }
    }
}

/// Who an entry is for, saying what kind of link it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "link", rename_all = "snake_case")]
pub enum CustomerLink {
    /// A customer the ledger holds (found or created by Koppel).
    Ledger {
        /// The ledger's id of the customer.
        id: LedgerCustomerId,
    },
    /// A ledger without customer management: the customer travels inside the document
    /// (its file), identified in Teamleader by this reference.
    InDocument {
        /// The Teamleader customer.
        customer: CustomerRef,
    },
}

impl CustomerLink {
    /// The ledger customer id, when the link is one.
    pub fn ledger_id(&self) -> Option<&LedgerCustomerId> {
        match self {
            Self::Ledger { id } => Some(id),
            Self::InDocument { .. } => None,
        }
    }
}

/// One line of a ledger entry, tax-exclusive, amounts positive for the document's own sense
/// (the ledger module applies its sign convention for credit notes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryLine {
    /// GL account code, `None` where the ledger has no general ledger.
    pub gl_account: Option<String>,
    /// VAT code, `None` where the ledger takes none.
    pub vat_code: Option<String>,
    /// Net amount.
    pub amount_excl: Decimal,
    /// VAT amount.
    pub vat_amount: Decimal,
    /// Description (within the ledger's [`LedgerLimits::line_description`]).
    pub description: String,
}

/// How an entry is found again in the ledger: Koppel's reference, within a journal where the
/// ledger has journals, for a document of this kind (invoices and credit notes have their own
/// number series in Teamleader, and a ledger may book both in one journal).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EntryKey {
    /// Invoice or credit note.
    pub kind: DocumentKind,
    /// Journal code, `None` for ledgers without journals.
    pub journal: Option<String>,
    /// Koppel's reference: the Teamleader document number.
    pub reference: String,
}

/// A document ready for the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// Invoice or credit note.
    pub kind: DocumentKind,
    /// Journal code, `None` for ledgers without journals.
    pub journal: Option<String>,
    /// Who it is for.
    pub customer: CustomerLink,
    /// Koppel's reference: the Teamleader number, used to find the entry again.
    pub reference: String,
    /// Document date.
    pub date: NaiveDate,
    /// Due date.
    pub due_date: Option<NaiveDate>,
    /// Description ("Invoice 2026 / 17"), within the ledger's limit.
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
    /// An earlier try of this document may have left something behind in the ledger (a file
    /// uploaded before its entry was refused or its answer lost): a ledger that uploads
    /// files before entries looks for it and reuses it instead of uploading another.
    pub retry: bool,
}

impl LedgerEntry {
    /// The key this entry is found again by.
    pub fn key(&self) -> EntryKey {
        EntryKey {
            kind: self.kind,
            journal: self.journal.clone(),
            reference: self.reference.clone(),
        }
    }
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
    /// The ledger says the entry is partly paid without saying how much (Clearfacts'
    /// `PARTIALLY_PAID`): nothing can be registered in Teamleader until it is fully paid,
    /// and the report says so. `open_amount` is then the whole amount.
    #[serde(default)]
    pub partly_paid_amount_unknown: bool,
    /// The ledger gives states, not amounts (Clearfacts: paid, partly paid, unpaid):
    /// `open_amount` means nothing, and only a fully paid entry counts as paid.
    #[serde(default)]
    pub amount_unknown: bool,
}

/// A ledger customer as the export finds or creates it: the id its entries refer to, and the
/// customer number users see in both systems (written to Teamleader's external id, which the
/// seeds tell users to check), where the ledger numbers its customers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerCustomerKey {
    /// The ledger's id of the customer.
    pub id: LedgerCustomerId,
    /// Its customer number as users read it (Exact: `Code` without the padding).
    pub number: Option<String>,
}

/// A customer as a ledger lists it for the company import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerCustomer {
    /// The ledger's id of the customer.
    pub id: LedgerCustomerId,
    /// What Teamleader would keep of it: name, VAT number, addresses, e-mail, language, and
    /// the ledger's customer number as `external_id`. It does not live in Teamleader yet, so
    /// its `reference` has an empty id.
    pub customer: Customer,
    /// Phone number, where the ledger keeps one.
    pub phone: Option<String>,
    /// Its enterprise or chamber of commerce number (KBO/BCE, KvK), where the ledger keeps
    /// one: enterprises have one, private persons never.
    pub registration_number: Option<String>,
    /// Set when the ledger says this customer is a private person (imported as a Teamleader
    /// contact, not a company); each ledger's module documents how it tells.
    pub person: Option<PersonName>,
}

impl LedgerCustomer {
    /// A company customer (no phone): what ledgers without more to say list.
    pub fn company(id: LedgerCustomerId, customer: Customer) -> Self {
        Self {
            id,
            customer,
            phone: None,
            registration_number: None,
            person: None,
        }
    }
}

/// A page of ledger customers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerCustomerPage {
    /// Customers, with `external_id` set to the ledger's customer code.
    pub customers: Vec<LedgerCustomer>,
    /// Where the next page starts, `None` at the end.
    pub next: Option<String>,
}

/// A ledger administration (a company's books) as seen with one credential.
///
/// Exactly once is the job's, in one place (`jobs::export`): it claims a document, calls
/// [`Ledger::post_entry`] once, and resolves every doubt with [`Ledger::find_entry`]. A ledger
/// implementation therefore never re-sends a write and never looks up on its own.
#[async_trait]
pub trait Ledger: Send + Sync {
    /// Which ledger this is.
    fn kind(&self) -> LedgerKind;
    /// What it can do.
    fn capabilities(&self) -> LedgerCapabilities;
    /// Its limits on entries.
    fn limits(&self) -> LedgerLimits;
    /// GL accounts, journals, VAT codes and periods, pulled at every sync.
    async fn reference_data(&self) -> Result<LedgerReferenceData, ExternalError>;
    /// What is wrong with these settings for this ledger, checked against its current lists
    /// before a run: blockers stop the run with their message, warnings are reported.
    fn preflight(
        &self,
        settings: &ConnectionSettings,
        reference: &LedgerReferenceData,
    ) -> Vec<Finding>;
    /// The entry carrying this key, if the ledger has it (crash recovery: never post twice).
    async fn find_entry(&self, key: &EntryKey) -> Result<Option<PostedEntry>, ExternalError>;
    /// Post an entry once, with the file when the capability asks for it.
    ///
    /// Contract: the request is sent at most once. An answer that never came (timeout,
    /// dropped connection, 5xx that is not a refusal) is [`ExternalError::OutcomeUnknown`]:
    /// the entry may be booked, so the caller looks it up with [`Ledger::find_entry`] before
    /// anything else, never posts it again blindly. A refusal is
    /// [`ExternalError::Rejected`] with words the user can act on, and leaves nothing behind
    /// in the ledger (no file without an entry).
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
    ) -> Result<Vec<Option<LedgerCustomerKey>>, ExternalError>;
    /// Create a customer; its number is the Teamleader external id when it has one, else the
    /// one the ledger gives.
    async fn create_customer(
        &self,
        customer: &Customer,
    ) -> Result<LedgerCustomerKey, ExternalError>;
    /// A customer Koppel may have created since `since` without hearing back (its worker was
    /// killed after the ledger's answer, or the answer was lost on the wire): one with exactly
    /// the name `create_customer` sends, created since then. Asked only when Koppel's note
    /// says a creation of this customer was started, so it never matches a user's namesake.
    async fn find_created(
        &self,
        customer: &Customer,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<LedgerCustomerKey>, ExternalError>;
    /// List customers page by page (company import).
    async fn list_customers(
        &self,
        cursor: Option<&str>,
    ) -> Result<LedgerCustomerPage, ExternalError>;
}

/// Payment states in a ledger, and (where the ledger documents a way) payments received
/// elsewhere booked against an entry.
#[async_trait]
pub trait LedgerPayments: Send + Sync {
    /// The payment state of many entries in as few calls as the API allows; `since`, when
    /// known, is the oldest entry date among them (a ledger may read what was settled since
    /// then in bulk rather than entry by entry).
    async fn payment_states(
        &self,
        entries: &[LedgerEntryId],
        since: Option<NaiveDate>,
    ) -> Result<Vec<LedgerPaymentState>, ExternalError>;
    /// Whether [`LedgerPayments::post_received_payment`] works in this ledger.
    fn books_received_payments(&self) -> bool {
        false
    }
    /// A payment Koppel booked before with this reference (crash recovery: never book twice).
    async fn find_received_payment(
        &self,
        payment: &ReceivedPayment,
    ) -> Result<Option<LedgerEntryId>, ExternalError> {
        let _ = payment;
        Ok(None)
    }
    /// Book a payment received outside the ledger (registered in Teamleader) against the
    /// entry's receivable, in the financial journal the user chose, the way the ledger
    /// documents settling a receivable. Same contract as [`Ledger::post_entry`]: sent at most
    /// once, a lost answer is [`ExternalError::OutcomeUnknown`].
    async fn post_received_payment(
        &self,
        payment: &ReceivedPayment,
    ) -> Result<LedgerEntryId, ExternalError> {
        let _ = payment;
        Err(ExternalError::Rejected {
            system: "the ledger",
            status: 0,
            message: "it has no documented way to book a payment received elsewhere: register the payment in the ledger by hand.".to_owned(),
        })
    }
}

/// A payment received outside the ledger, to book against an entry's receivable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedPayment {
    /// The entry (invoice) it settles.
    pub entry: LedgerEntryId,
    /// The financial (bank or cash) journal chosen by the user.
    pub journal: String,
    /// Amount received (positive).
    pub amount: Money,
    /// Day it was received.
    pub received_on: NaiveDate,
    /// Koppel's reference, in the booking's description: how it is found again.
    pub reference: String,
}
