//! The job queue (SQS FIFO in production): one message group per connection.

use crate::{ConnectionId, DocumentId, DocumentKind, RunId};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Which job a message asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "kebab-case")]
pub enum JobKind {
    /// Export booked invoices and credit notes.
    InvoiceExport,
    /// Read payment states back from the ledger.
    PaymentPoll,
    /// Import ledger customers into Teamleader.
    CompanyImport,
    /// Export one document at once (a Teamleader `invoice.booked` / `creditNote.booked`
    /// webhook): the same exactly-once path as the nightly export, for that document only,
    /// without moving the nightly cursor. It travels on the invoice-export queue in the
    /// connection's message group, so it never overlaps the nightly run of that connection.
    DocumentExport {
        /// Invoice or credit note.
        kind: DocumentKind,
        /// Teamleader's id of the document.
        document_id: DocumentId,
    },
    /// Preview or apply a merge file.
    MergeFile {
        /// The merge job's id.
        merge_id: String,
        /// Apply (true) or only preview (false).
        apply: bool,
    },
}

impl JobKind {
    /// Name used for queues, reports and logs. A one-document export is an export: it goes
    /// to the invoice-export queue and function, and its report is an export report.
    pub fn name(&self) -> &'static str {
        match self {
            Self::InvoiceExport | Self::DocumentExport { .. } => "invoice-export",
            Self::PaymentPoll => "payment-poll",
            Self::CompanyImport => "company-import",
            Self::MergeFile { .. } => "merge-file",
        }
    }
}

/// One message on a job queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Connection to work on (also the FIFO message group).
    pub connection_id: ConnectionId,
    /// The run this message belongs to (a continuation keeps the run id).
    pub run_id: RunId,
    /// What to do.
    pub kind: JobKind,
    /// Where to pick up, for a continuation (opaque to the queue).
    pub cursor: Option<String>,
    /// 0 for the first message of a run, +1 per continuation.
    pub sequence: u32,
}

impl Job {
    /// A first message for a run.
    pub fn start(connection_id: ConnectionId, run_id: RunId, kind: JobKind) -> Self {
        Self {
            connection_id,
            run_id,
            kind,
            cursor: None,
            sequence: 0,
        }
    }

    /// The continuation of this job from `cursor`.
    pub fn continuation(&self, cursor: String) -> Self {
        Self {
            cursor: Some(cursor),
            sequence: self.sequence + 1,
            ..self.clone()
        }
    }

    /// Deduplication id: the same connection, run and sequence is the same message. The
    /// connection is part of it because one scheduled run spans every connection: with a
    /// queue-wide deduplication scope (moto applies one whatever the queue says) the second
    /// connection's message would otherwise be dropped as a duplicate of the first.
    pub fn dedup_id(&self) -> String {
        format!(
            "{}-{}-{}-{}",
            self.kind.name(),
            self.connection_id,
            self.run_id,
            self.sequence
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_run_gives_each_connection_its_own_dedup_id_and_continuations_a_new_one() {
        let run = RunId::new("invoice-export-20261123T0100Z");
        let a = Job::start(ConnectionId::new("a"), run.clone(), JobKind::InvoiceExport);
        let b = Job::start(ConnectionId::new("b"), run, JobKind::InvoiceExport);
        assert_ne!(a.dedup_id(), b.dedup_id());
        assert_eq!(a.dedup_id(), a.clone().dedup_id());
        assert_ne!(a.dedup_id(), a.continuation("{}".into()).dedup_id());
    }

    #[test]
    fn a_document_export_travels_as_an_export_and_names_its_document() {
        let kind = JobKind::DocumentExport {
            kind: DocumentKind::CreditNote,
            document_id: DocumentId::new("d-1"),
        };
        assert_eq!(kind.name(), JobKind::InvoiceExport.name());
        let json = serde_json::to_value(&kind).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"job": "document-export", "kind": "credit_note", "document_id": "d-1"})
        );
        assert_eq!(serde_json::from_value::<JobKind>(json).unwrap(), kind);
    }
}

/// Failure to enqueue.
#[derive(Debug, Error)]
pub enum QueueError {
    /// The queue could not be reached or refused the message.
    #[error("the job queue failed: {0}")]
    Unavailable(String),
}

/// Sends jobs.
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Send jobs (batched by the implementation); all or an error.
    async fn send(&self, jobs: &[Job]) -> Result<(), QueueError>;
}
