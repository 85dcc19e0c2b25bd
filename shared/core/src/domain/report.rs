//! Run reports: what a user reads after a run of any job — its status, its counts (per job),
//! and the items that need attention (a document, a company, a row of a merge file), each with
//! what to do about it.

use crate::{ConnectionId, DocumentId, DocumentKind, RunId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What happened to one item in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueOutcome {
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
    /// Marked paid in Teamleader because the ledger reconciled it.
    MarkedPaid,
    /// Part of it registered as paid in Teamleader (the ledger shows a partial payment).
    PartlyPaid,
    /// A credit note settled in the ledger; Teamleader's API cannot mark a credit note paid.
    CreditNoteSettled,
    /// Paid before, but the ledger no longer shows the payment: Teamleader keeps it.
    UnmatchedInLedger,
    /// A payment registered by hand in Teamleader, booked in the ledger by Koppel.
    PaymentBooked,
    /// A duplicate company Koppel's import had created, removed by the merge file.
    Removed,
    /// Sent as the PDF instead of a structured file; the reason says which rule failed.
    SentAsPdf,
    /// Sent again after an upload whose answer was lost, to a ledger that cannot be
    /// searched: it may be there twice.
    MaybeSentTwice,
    /// Partly paid in the ledger, by an amount its API does not give.
    PartlyPaidAmountUnknown,
}

/// What an issue is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "subject", rename_all = "snake_case")]
pub enum IssueSubject {
    /// A Teamleader invoice or credit note.
    Document {
        /// Teamleader id.
        id: DocumentId,
        /// Teamleader number, for people.
        number: Option<String>,
        /// Invoice or credit note.
        kind: DocumentKind,
    },
    /// A company (Teamleader's or the ledger's).
    Company {
        /// Its id where known (Teamleader id or ledger code).
        id: Option<String>,
        /// Its name, for people.
        name: String,
    },
    /// A private person (a Teamleader contact, or a ledger's private customer).
    Contact {
        /// Its id where known (Teamleader id or ledger code).
        id: Option<String>,
        /// Its name, for people.
        name: String,
    },
    /// A row of an uploaded file (merge file).
    FileRow {
        /// The file's name as uploaded.
        file: String,
        /// 1-based row number as a spreadsheet shows it.
        row: u32,
    },
}

impl std::fmt::Display for IssueSubject {
    /// "invoice 2026 / 17", "company Acme", "merge.csv row 12".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Document { number, kind, id } => match number {
                Some(number) => write!(f, "{kind} {number}"),
                None => write!(f, "{kind} {id}"),
            },
            Self::Company { name, .. } => write!(f, "company {name}"),
            Self::Contact { name, .. } => write!(f, "contact {name}"),
            Self::FileRow { file, row } => write!(f, "{file} row {row}"),
        }
    }
}

/// One line of a run report about an item that needs attention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunIssue {
    /// What it is about.
    #[serde(flatten)]
    pub subject: IssueSubject,
    /// What happened.
    pub outcome: IssueOutcome,
    /// What the user can do about it.
    pub reason: String,
}

impl RunIssue {
    /// The Teamleader document the issue is about, if it is about one.
    pub fn document_id(&self) -> Option<&DocumentId> {
        match &self.subject {
            IssueSubject::Document { id, .. } => Some(id),
            _ => None,
        }
    }

    /// The document number the issue is about, if it is about a numbered document.
    pub fn document_number(&self) -> Option<&str> {
        match &self.subject {
            IssueSubject::Document { number, .. } => number.as_deref(),
            _ => None,
        }
    }
}

/// Counts of an export run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportCounts {
    /// Documents posted in this run.
    pub exported: u32,
    /// Documents found already in the ledger.
    pub already_exported: u32,
    /// Documents refused.
    pub failed: u32,
    /// Documents skipped (drafts never count here: they are never listed).
    pub skipped: u32,
    /// Documents left pending for a later pass, never failed: another worker was creating
    /// their customer, or (in a run the sweeper closed as interrupted) no invocation got to
    /// finish them. The next run takes them.
    #[serde(default)]
    pub deferred: u32,
    /// Documents changed after export.
    pub changed_after_export: u32,
    /// Documents exported earlier but missing in the ledger.
    pub missing_in_ledger: u32,
    /// Customers created in the ledger.
    pub customers_created: u32,
    /// Customers matched to an existing ledger customer.
    pub customers_matched: u32,
    /// Teamleader companies that received the ledger's customer number as external id.
    #[serde(default)]
    pub customer_numbers_written: u32,
    /// Documents sent as a Peppol BIS 3 file that passed the official rules (ledgers that
    /// take the document file).
    #[serde(default)]
    pub sent_structured: u32,
    /// Documents sent as the PDF because no valid structured file could be had (each with
    /// its reason in the report).
    #[serde(default)]
    pub sent_as_pdf: u32,
    /// Documents sent again after an upload whose outcome was lost, to a ledger that cannot
    /// be searched: they may be in its inbox twice.
    #[serde(default)]
    pub maybe_sent_twice: u32,
}

/// Counts of a payment poll.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentCounts {
    /// Exported documents whose payment state was read from the ledger.
    pub checked: u32,
    /// Invoices that became fully paid in Teamleader.
    pub marked_paid: u32,
    /// Invoices that got a partial payment registered in Teamleader.
    pub partly_paid: u32,
    /// Payments registered in Teamleader (full and partial).
    pub payments_registered: u32,
    /// Invoices the ledger reconciled that Teamleader already showed paid (by hand): recorded,
    /// nothing registered.
    pub already_paid: u32,
    /// Credit notes settled in the ledger.
    pub credit_notes_settled: u32,
    /// Payments the ledger no longer shows after Koppel registered them.
    pub unmatched: u32,
    /// Documents the ledger no longer holds a receivable for.
    pub missing_in_ledger: u32,
    /// Documents whose payment could not be registered.
    pub failed: u32,
    /// Payments registered by hand in Teamleader that Koppel booked in the ledger.
    #[serde(default)]
    pub payments_booked: u32,
}

/// Counts of a company import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCounts {
    /// Ledger customers read.
    pub listed: u32,
    /// Already linked to a Teamleader company (or contact) by their customer number:
    /// nothing to do.
    pub already_linked: u32,
    /// Matched to an existing Teamleader company (VAT number or name) or contact (e-mail or
    /// name), which got the external id.
    pub linked: u32,
    /// Created as new Teamleader companies.
    pub created: u32,
    /// Private customers created as new Teamleader contacts.
    #[serde(default)]
    pub contacts_created: u32,
    /// Several companies (contacts) matched: listed, not guessed.
    pub ambiguous: u32,
    /// The match has another external id: listed.
    pub conflicts: u32,
    /// Not imported, with the reason (no customer number).
    pub skipped: u32,
    /// Refused by Teamleader.
    pub failed: u32,
}

/// Counts of a merge-file run (a preview, or applying it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeFileCounts {
    /// Rows of the file.
    pub rows: u32,
    /// Companies the file would give (or gave) their customer number.
    pub to_link: u32,
    /// Companies that received their customer number in this run.
    pub linked: u32,
    /// Rows no company matched: to merge by hand.
    pub unmatched: u32,
    /// Rows whose customer number a company already carries.
    pub already_linked: u32,
    /// Rows several companies match (or one company matches with others).
    pub ambiguous: u32,
    /// Rows whose one match has another customer number.
    pub conflicts: u32,
    /// Companies Koppel's import created that duplicate a company the file links.
    pub duplicates: u32,
    /// Of those, removed in this run (created by Koppel, nothing refers to them).
    #[serde(default)]
    pub removed: u32,
    /// Companies Teamleader refused to change.
    pub failed: u32,
}

/// Counts of a run, shaped by its job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "kebab-case")]
pub enum RunCounts {
    /// The invoice export.
    InvoiceExport(ExportCounts),
    /// The payment poll.
    PaymentPoll(PaymentCounts),
    /// The company import.
    CompanyImport(ImportCounts),
    /// A merge file.
    MergeFile(MergeFileCounts),
    /// A job that counts nothing (yet).
    Nothing,
}

impl RunCounts {
    /// Items the run refused, whatever the job.
    pub fn failed(&self) -> u32 {
        match self {
            Self::InvoiceExport(counts) => counts.failed,
            Self::PaymentPoll(counts) => counts.failed,
            Self::CompanyImport(counts) => counts.failed,
            Self::MergeFile(counts) => counts.failed,
            Self::Nothing => 0,
        }
    }
}

/// A job's own counts, kept in the run report between invocations.
pub trait JobCounts: Default + Clone + Send + Sync {
    /// This job's counts in a stored report (default when the report holds another shape).
    fn from_report(counts: &RunCounts) -> Self;
    /// Into the report.
    fn into_report(self) -> RunCounts;
}

impl JobCounts for ExportCounts {
    fn from_report(counts: &RunCounts) -> Self {
        match counts {
            RunCounts::InvoiceExport(counts) => counts.clone(),
            _ => Self::default(),
        }
    }
    fn into_report(self) -> RunCounts {
        RunCounts::InvoiceExport(self)
    }
}

impl JobCounts for MergeFileCounts {
    fn from_report(counts: &RunCounts) -> Self {
        match counts {
            RunCounts::MergeFile(counts) => counts.clone(),
            _ => Self::default(),
        }
    }
    fn into_report(self) -> RunCounts {
        RunCounts::MergeFile(self)
    }
}

impl JobCounts for ImportCounts {
    fn from_report(counts: &RunCounts) -> Self {
        match counts {
            RunCounts::CompanyImport(counts) => counts.clone(),
            _ => Self::default(),
        }
    }
    fn into_report(self) -> RunCounts {
        RunCounts::CompanyImport(self)
    }
}

impl JobCounts for PaymentCounts {
    fn from_report(counts: &RunCounts) -> Self {
        match counts {
            RunCounts::PaymentPoll(counts) => counts.clone(),
            _ => Self::default(),
        }
    }
    fn into_report(self) -> RunCounts {
        RunCounts::PaymentPoll(self)
    }
}

impl JobCounts for () {
    fn from_report(_counts: &RunCounts) -> Self {}
    fn into_report(self) -> RunCounts {
        RunCounts::Nothing
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Still going (continued in another message).
    Running,
    /// Done, nothing needs attention.
    Succeeded,
    /// Done, some items need attention.
    CompletedWithIssues,
    /// Stopped before the end for a reason outside the items (the ledger's daily quota is
    /// spent, the ledger is down); nothing is lost: the next run continues from there.
    Paused,
    /// Could not run (credentials refused, ledger not set up); the message says why.
    Failed,
    /// Its invocations stopped without finishing (killed, dead-lettered, a continuation that
    /// never ran) and nothing works on it any more: closed by the hourly sweeper, with its
    /// counts recomputed from the document records. Nothing is lost: what it did not do stays
    /// pending for the next run ("run again" on the page, or the next scheduled run).
    Interrupted,
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
    /// Counts, shaped by the job.
    pub counts: RunCounts,
    /// Items that need attention, with reasons.
    pub issues: Vec<RunIssue>,
    /// What happened that a user may want to know without having to act (invoices marked
    /// paid, credit notes settled): the run's notifications.
    #[serde(default)]
    pub notices: Vec<RunIssue>,
    /// Things worth fixing that did not stop the run (pre-flight warnings).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// A message for the whole run (why it failed, or that it continues).
    pub message: Option<String>,
    /// How many Lambda invocations this run took.
    pub invocations: u32,
}

impl RunReport {
    /// A fresh report of a run starting at `now`.
    pub fn start(
        connection_id: ConnectionId,
        run_id: RunId,
        job: &str,
        counts: RunCounts,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            connection_id,
            run_id,
            job: job.to_owned(),
            started_at: now,
            updated_at: now,
            status: RunStatus::Running,
            counts,
            issues: Vec::new(),
            notices: Vec::new(),
            warnings: Vec::new(),
            message: None,
            invocations: 0,
        }
    }

    /// The export's counts (zero for a report of another job).
    pub fn export_counts(&self) -> ExportCounts {
        ExportCounts::from_report(&self.counts)
    }

    /// The merge file's counts (zero for a report of another job).
    pub fn merge_counts(&self) -> MergeFileCounts {
        MergeFileCounts::from_report(&self.counts)
    }

    /// The company import's counts (zero for a report of another job).
    pub fn import_counts(&self) -> ImportCounts {
        ImportCounts::from_report(&self.counts)
    }

    /// The payment poll's counts (zero for a report of another job).
    pub fn payment_counts(&self) -> PaymentCounts {
        PaymentCounts::from_report(&self.counts)
    }

    /// True when the run did not reach its end ([`RunStatus::Failed`] or
    /// [`RunStatus::Interrupted`]): what the "failed two nights in a row" alarm counts.
    pub fn did_not_finish(&self) -> bool {
        matches!(self.status, RunStatus::Failed | RunStatus::Interrupted)
    }

    /// The status of a run that went to its end: succeeded unless something needs attention.
    pub fn completed_status(&self) -> RunStatus {
        if self.issues.is_empty() && self.counts.failed() == 0 {
            RunStatus::Succeeded
        } else {
            RunStatus::CompletedWithIssues
        }
    }
}
