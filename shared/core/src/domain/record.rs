//! Per-document export records: where each Teamleader document stands in Koppel's export
//! (the state machine of DESIGN.md).

use crate::{ConnectionId, DocumentId, DocumentKind, LedgerEntryId, Money, Payment, RunId};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Where a document stands in Koppel's export (the state machine of DESIGN.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ExportState {
    /// Seen, not yet tried.
    Pending,
    /// Claimed by a worker that is posting it now; the claim lapses at `until`.
    Exporting {
        /// The run holding the claim, with the attempt (`run~attempt`): a live claim belongs
        /// to one invocation, never to a second delivery of the same run.
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
    /// The document's date at export time (the entry date in the ledger).
    #[serde(default)]
    pub document_date: Option<NaiveDate>,
    /// Teamleader's `updated_at` at export time.
    pub source_updated_at: Option<DateTime<Utc>>,
    /// What was exported, condensed (date, customer, total): a different fingerprint on a
    /// later listing means the document was edited after export. A payment alone does not
    /// change it.
    pub fingerprint: Option<String>,
    /// The ledger's own entry number (boekstuknummer), for people.
    pub ledger_entry_number: Option<String>,
    /// True once the document is settled for Koppel: an invoice fully paid in Teamleader
    /// (registered by Koppel or seen there), a credit note settled in the ledger. It then
    /// leaves the payment poll's index for good ("paid stays paid").
    pub paid: bool,
    /// What Koppel registered in Teamleader so far because the ledger reconciled it.
    #[serde(default)]
    pub payments_registered: Decimal,
    /// The amount the ledger showed as paid at the last poll (to notice an un-match).
    #[serde(default)]
    pub ledger_paid: Option<Decimal>,
    /// A payment Koppel is registering in Teamleader right now: written before the call, so a
    /// crash in between is resolved by looking at the invoice's payments, never by
    /// registering twice.
    #[serde(default)]
    pub payment_intent: Option<Payment>,
    /// What Koppel booked in the ledger so far because it was paid by hand in Teamleader
    /// (the opt-in other direction). Never registered back in Teamleader: no echo.
    #[serde(default)]
    pub payments_carried: Decimal,
    /// A payment Koppel is booking in the ledger right now: written before the call, so a
    /// crash in between is resolved by looking the booking up, never by booking twice.
    #[serde(default)]
    pub carry_intent: Option<Payment>,
    /// When a send to a ledger that cannot find documents again (see
    /// [`crate::LedgerCapabilities::finds_entries`]) started: written before the upload,
    /// cleared once its outcome is recorded. Still set on a later attempt, it means the
    /// earlier upload may have reached the ledger: sent again, and reported as "may have
    /// been sent twice".
    #[serde(default)]
    pub send_started: Option<DateTime<Utc>>,
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
            document_date: None,
            source_updated_at: None,
            fingerprint: None,
            ledger_entry_number: None,
            paid: false,
            payments_registered: Decimal::ZERO,
            ledger_paid: None,
            payment_intent: None,
            payments_carried: Decimal::ZERO,
            carry_intent: None,
            send_started: None,
            attempts: 0,
            updated_at: now,
        }
    }

    /// True when exported and not yet paid: what the payment poll looks at.
    pub fn awaits_payment(&self) -> bool {
        matches!(self.state, ExportState::Exported { .. }) && !self.paid
    }
}
