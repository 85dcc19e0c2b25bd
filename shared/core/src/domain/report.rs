//! Run reports and per-document export records: what a user reads after a sync.

use crate::{ConnectionId, DocumentId, DocumentKind, LedgerEntryId, Money, RunId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a document stands in Koppel's export (the state machine of DESIGN.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ExportState {
    /// Seen, not yet tried.
    Pending,
    /// Claimed by a worker that is posting it now; the claim lapses at `until`.
    Exporting {
        /// The run holding the claim.
        run_id: RunId,
        /// When the claim lapses (a crashed worker's claim is taken over after this).
        until: DateTime<Utc>,
    },
    /// In the ledger.
    Exported {
        /// The ledger's id of the entry.
        entry_id: LedgerEntryId,
        /// When Koppel recorded it.
        at: DateTime<Utc>,
    },
    /// Tried and refused; `reason` says what the user can do.
    Failed {
        /// Reason in words a user can act on.
        reason: String,
    },
}

impl ExportState {
    /// Short name for keys, indexes and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Exporting { .. } => "exporting",
            Self::Exported { .. } => "exported",
            Self::Failed { .. } => "failed",
        }
    }
}

/// Koppel's record of one Teamleader document for one connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRecord {
    /// Connection.
    pub connection_id: ConnectionId,
    /// Teamleader document id.
    pub document_id: DocumentId,
    /// Invoice or credit note.
    pub kind: DocumentKind,
    /// Teamleader number.
    pub number: Option<String>,
    /// Export state.
    pub state: ExportState,
    /// Total including VAT at export time.
    pub total_incl: Option<Money>,
    /// Teamleader's `updated_at` at export time.
    pub source_updated_at: Option<DateTime<Utc>>,
    /// What was exported, condensed (date, customer, total): a different fingerprint on a
    /// later listing means the document was edited after export. A payment alone does not
    /// change it.
    pub fingerprint: Option<String>,
    /// The ledger's own entry number (boekstuknummer), for people.
    pub ledger_entry_number: Option<String>,
    /// True once Koppel registered (or saw) the payment in Teamleader.
    pub paid: bool,
    /// Number of export attempts.
    pub attempts: u32,
    /// Last change of this record.
    pub updated_at: DateTime<Utc>,
}

impl DocumentRecord {
    /// A fresh record in `Pending`.
    pub fn pending(
        connection_id: ConnectionId,
        document_id: DocumentId,
        kind: DocumentKind,
        number: Option<String>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            connection_id,
            document_id,
            kind,
            number,
            state: ExportState::Pending,
            total_incl: None,
            source_updated_at: None,
            fingerprint: None,
            ledger_entry_number: None,
            paid: false,
            attempts: 0,
            updated_at: now,
        }
    }

    /// True when exported and not yet paid: what the payment poll looks at.
    pub fn awaits_payment(&self) -> bool {
        matches!(self.state, ExportState::Exported { .. }) && !self.paid
    }
}

/// What happened to one document in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentOutcome {
    /// Posted now.
    Exported,
    /// Already in the ledger (found by reference after a crash, or exported earlier).
    AlreadyExported,
    /// Refused; see the reason.
    Failed,
    /// Exported earlier but changed in Teamleader since: needs a human.
    ChangedAfterExport,
    /// Exported earlier but no longer in the ledger: needs a human.
    MissingInLedger,
    /// Not taken (e.g. being exported by another worker right now).
    Skipped,
}

/// One line of a run report about a document that needs attention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentIssue {
    /// Teamleader id.
    pub document_id: DocumentId,
    /// Teamleader number, for people.
    pub number: Option<String>,
    /// Invoice or credit note.
    pub kind: DocumentKind,
    /// What happened.
    pub outcome: DocumentOutcome,
    /// What the user can do about it.
    pub reason: String,
}

/// Counts of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCounts {
    /// Documents posted in this run.
    pub exported: u32,
    /// Documents found already in the ledger.
    pub already_exported: u32,
    /// Documents refused.
    pub failed: u32,
    /// Documents skipped (drafts never count here: they are never listed).
    pub skipped: u32,
    /// Documents changed after export.
    pub changed_after_export: u32,
    /// Documents exported earlier but missing in the ledger.
    pub missing_in_ledger: u32,
    /// Customers created in the ledger.
    pub customers_created: u32,
    /// Customers matched to an existing ledger customer.
    pub customers_matched: u32,
    /// Payments registered in Teamleader.
    pub payments_registered: u32,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Still going (continued in another message).
    Running,
    /// Done, nothing needs attention.
    Succeeded,
    /// Done, some documents need attention.
    CompletedWithIssues,
    /// Stopped before the end for a reason outside the documents (the ledger's daily quota is
    /// spent, the ledger is down); nothing is lost: the next run continues from there.
    Paused,
    /// Could not run (credentials refused, ledger not set up); the message says why.
    Failed,
}

/// The report a user reads after a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    /// Connection.
    pub connection_id: ConnectionId,
    /// Run.
    pub run_id: RunId,
    /// Job name ("invoice-export", "payment-poll", …).
    pub job: String,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// End (or last update while running).
    pub updated_at: DateTime<Utc>,
    /// Status.
    pub status: RunStatus,
    /// Counts.
    pub counts: RunCounts,
    /// Documents that need attention, with reasons.
    pub issues: Vec<DocumentIssue>,
    /// A message for the whole run (why it failed, or that it continues).
    pub message: Option<String>,
    /// How many Lambda invocations this run took.
    pub invocations: u32,
}
