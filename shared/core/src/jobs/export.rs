//! The nightly export: booked invoices and credit notes of one connection go to its ledger,
//! customers first, each document exactly once.
//!
//! Exactly once: a document is claimed with a conditional write before anything is posted; a
//! claim left behind by a crashed worker is resolved by looking the entry up in the ledger by
//! Koppel's reference (the Teamleader number), never by posting again. A call that may have
//! reached the ledger but gave no answer is resolved the same way.
//!
//! Continuation: the job stops taking documents when the Lambda deadline is near and sends a
//! message that resumes at the same list page; documents already exported are skipped without
//! any ledger call, so nothing is lost and nothing is posted twice.

use super::customers::{CustomerCounts, CustomerStepError, ensure_customers};
use super::deadline::Deadline;
use super::mapping::{CategoryAccounts, MappingContext, build_entry, fingerprint, journal_for};
use crate::{
    AttachmentSupport, ClaimOutcome, Clock, Connection, ConnectionId, ConnectionStatus, Connector,
    CustomerRef, DocumentIssue, DocumentKind, DocumentOutcome, DocumentQuery, DocumentRecord,
    DocumentSummary, ExportState, ExternalError, Job, JobQueue, JournalKind, Ledger,
    LedgerCustomerId, LedgerReferenceData, QueueError, RunCounts, RunReport, RunStatus, Source,
    Store, StoreError,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use tracing::{info, warn};

/// Name of the cursor holding the `updated_since` of the next run.
pub const SINCE_CURSOR: &str = "invoice-export.since";

/// The outside world the export needs.
pub struct ExportPorts<'a> {
    /// Opens the connection's Teamleader account and ledger.
    pub connector: &'a dyn Connector,
    /// Koppel's state.
    pub store: &'a dyn Store,
    /// Where continuations go.
    pub queue: &'a dyn JobQueue,
    /// Time.
    pub clock: &'a dyn Clock,
}

/// Tunables with sensible defaults.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// How long a claim protects a document being posted; a crashed worker's claim is taken
    /// over after this.
    pub claim_ttl: chrono::Duration,
    /// Teamleader page size (at most 100).
    pub page_size: u32,
    /// At most this many issues are listed in a report (the counts stay exact).
    pub max_issues: usize,
    /// The next run lists documents changed since this long before the current run started.
    pub cursor_overlap: chrono::Duration,
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self {
            claim_ttl: chrono::Duration::minutes(15),
            page_size: 100,
            max_issues: 500,
            cursor_overlap: chrono::Duration::minutes(10),
        }
    }
}

/// Where a run stands between invocations (carried in the continuation message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportCursor {
    /// Documents of this kind are being listed; `None` when both kinds are done.
    pub phase: Option<DocumentKind>,
    /// Page to list next (1-based).
    pub page: u32,
    /// Lower bound on Teamleader's `updated_at` for this run (`None`: everything since the start date).
    pub since: Option<DateTime<Utc>>,
    /// When the run started (becomes the next run's lower bound).
    pub run_started_at: DateTime<Utc>,
    /// Oldest `updated_at` of a document this run left unexported (failed or deferred): the
    /// next run must list from there so it is tried again once the user fixed the cause.
    pub oldest_unfinished: Option<DateTime<Utc>>,
}

/// How an invocation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportOutcome {
    /// The run is complete.
    Finished(RunReport),
    /// The deadline came first; a continuation message was sent.
    Continued(RunReport),
    /// Nothing was done (unknown or inactive connection, run already finished).
    Skipped(String),
}

/// Failures of Koppel's own infrastructure: the message should be retried by the queue.
#[derive(Debug, Error)]
pub enum ExportError {
    /// The state store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A continuation could not be sent.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// The continuation cursor in the message is unreadable.
    #[error("the continuation cursor of run {run} is unreadable: {detail}")]
    BadCursor {
        /// Run.
        run: String,
        /// Why.
        detail: String,
    },
}

impl From<CustomerStepError> for Stop {
    fn from(e: CustomerStepError) -> Self {
        match e {
            CustomerStepError::Store(s) => Stop::Infra(ExportError::Store(s)),
            CustomerStepError::External(x) => Stop::External(x),
        }
    }
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Stop::Infra(ExportError::Store(e))
    }
}

/// Why processing stopped before the end of the listing.
enum Stop {
    /// The deadline is near: continue in a new message.
    Deadline,
    /// An outside system failed for every document (credentials, quota, outage).
    External(ExternalError),
    /// Koppel's own infrastructure failed.
    Infra(ExportError),
}

struct Run<'a> {
    ports: &'a Systems<'a>,
    connection: &'a Connection,
    options: &'a ExportOptions,
    reference: LedgerReferenceData,
    category_accounts: CategoryAccounts,
    report: RunReport,
    cursor: ExportCursor,
    customer_counts: CustomerCounts,
    /// Documents attempted in this invocation. The deadline is honoured only once this is
    /// non-zero, so every invocation makes progress even when setup or quota waits ate its
    /// time (the hand-over margin leaves room for one document).
    attempted: u32,
}

/// The connection's two systems, opened for one invocation.
struct Systems<'a> {
    source: &'a dyn Source,
    ledger: &'a dyn Ledger,
    store: &'a dyn Store,
    queue: &'a dyn JobQueue,
    clock: &'a dyn Clock,
}

/// Run (or continue) the export for the connection of `job`.
pub async fn run_export(
    ports: &ExportPorts<'_>,
    job: &Job,
    deadline: Deadline,
    options: &ExportOptions,
) -> Result<ExportOutcome, ExportError> {
    let store = ports.store;
    let Some(connection) = store.connection(&job.connection_id).await? else {
        return Ok(ExportOutcome::Skipped(format!(
            "connection {} no longer exists",
            job.connection_id
        )));
    };
    if connection.status != ConnectionStatus::Active {
        return Ok(ExportOutcome::Skipped(format!(
            "connection {} is {:?}: {}",
            connection.id,
            connection.status,
            connection.status_reason.clone().unwrap_or_default()
        )));
    }
    let opened = match ports.connector.source(&connection).await {
        Ok(source) => ports
            .connector
            .ledger(&connection)
            .await
            .map(|ledger| (source, ledger)),
        Err(e) => Err(e),
    };
    let now = ports.clock.now();
    let mut report = match store.run_report(&connection.id, &job.run_id).await? {
        Some(r) if r.status != RunStatus::Running => {
            return Ok(ExportOutcome::Skipped(format!(
                "run {} already finished",
                job.run_id
            )));
        }
        Some(r) => r,
        None => RunReport {
            connection_id: connection.id.clone(),
            run_id: job.run_id.clone(),
            job: job.kind.name().to_owned(),
            started_at: now,
            updated_at: now,
            status: RunStatus::Running,
            counts: RunCounts::default(),
            issues: Vec::new(),
            message: None,
            invocations: 0,
        },
    };
    report.invocations += 1;
    let cursor = match &job.cursor {
        Some(raw) => serde_json::from_str(raw).map_err(|e| ExportError::BadCursor {
            run: job.run_id.to_string(),
            detail: e.to_string(),
        })?,
        None => ExportCursor {
            phase: Some(DocumentKind::Invoice),
            page: 1,
            since: read_since(store, &connection.id).await?,
            run_started_at: now,
            oldest_unfinished: None,
        },
    };
    info!(connection_id = %connection.id, run_id = %job.run_id, sequence = job.sequence, "export invocation starts");
    let (source, ledger) = match opened {
        Ok(pair) => pair,
        Err(e) => return finish_failed(ports.store, ports.clock, report, &e.to_string()).await,
    };
    let ports = &Systems {
        source: source.as_ref(),
        ledger: ledger.as_ref(),
        store: ports.store,
        queue: ports.queue,
        clock: ports.clock,
    };

    let reference = match load_reference_data(ports, &connection, job.sequence == 0).await? {
        Ok(r) => r,
        Err(e) => return finish_failed(ports.store, ports.clock, report, &e.to_string()).await,
    };
    if let Err(message) = preflight(&connection, &reference, ports.ledger) {
        return finish_failed(ports.store, ports.clock, report, &message).await;
    }
    let category_accounts = match ports.source.product_categories().await {
        Ok(categories) => categories
            .into_iter()
            .filter_map(|c| {
                let account = c
                    .ledger_accounts
                    .iter()
                    .find(|(d, _)| *d == connection.department_id)?
                    .1
                    .clone();
                Some((c.id, account))
            })
            .collect(),
        Err(e) => return finish_failed(ports.store, ports.clock, report, &e.to_string()).await,
    };

    let mut run = Run {
        ports,
        connection: &connection,
        options,
        reference,
        category_accounts,
        report,
        cursor,
        customer_counts: CustomerCounts::default(),
        attempted: 0,
    };
    let stopped = run.list_and_export(&deadline).await;
    run.report.counts.customers_created += run.customer_counts.created;
    run.report.counts.customers_matched += run.customer_counts.matched;
    match stopped {
        None => run.finish().await,
        Some(Stop::Deadline) => run.continue_later(job).await,
        Some(Stop::External(e)) => {
            warn!(connection_id = %connection.id, run_id = %job.run_id, error = %e, "export stopped");
            let (status, message) = if e.is_transient() {
                (
                    RunStatus::Paused,
                    format!(
                        "The export paused: {e}. Nothing is lost: the next run continues where this one stopped."
                    ),
                )
            } else {
                (RunStatus::Failed, format!("The export stopped early: {e}"))
            };
            finish_stopped(ports.store, ports.clock, run.report, status, &message).await
        }
        Some(Stop::Infra(e)) => {
            store.put_run_report(&run.report).await?;
            Err(e)
        }
    }
}

async fn read_since(
    store: &dyn Store,
    connection: &ConnectionId,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    Ok(store
        .cursor(connection, SINCE_CURSOR)
        .await?
        .and_then(|raw| DateTime::parse_from_rfc3339(&raw).ok())
        .map(|t| t.with_timezone(&Utc)))
}

/// Pull the ledger's lists at the start of a run (kept as the connection's current lists);
/// continuations reuse the stored copy.
async fn load_reference_data(
    ports: &Systems<'_>,
    connection: &Connection,
    fresh: bool,
) -> Result<Result<LedgerReferenceData, ExternalError>, StoreError> {
    if !fresh && let Some((data, _)) = ports.store.reference_data(&connection.id).await? {
        return Ok(Ok(data));
    }
    let data = match ports.ledger.reference_data().await {
        Ok(d) => d,
        Err(e) => return Ok(Err(e)),
    };
    ports
        .store
        .put_reference_data(&connection.id, &data, ports.clock.now())
        .await?;
    Ok(Ok(data))
}

/// Checks that make every document fail if they fail: say it once, for the whole run.
pub fn preflight(
    connection: &Connection,
    reference: &LedgerReferenceData,
    ledger: &dyn Ledger,
) -> Result<(), String> {
    let caps = ledger.capabilities();
    let name = ledger.kind().display_name();
    let ctx = MappingContext {
        ledger: ledger.kind(),
        settings: &connection.settings,
        reference,
        category_accounts: &CategoryAccounts::new(),
        general_ledger: caps.general_ledger,
    };
    let invoices = journal_for(DocumentKind::Invoice, &ctx)?;
    let credit_notes = journal_for(DocumentKind::CreditNote, &ctx)?;
    if caps.general_ledger && invoices == credit_notes {
        return Err(format!(
            "Invoices and credit notes go to the same journal ({invoices}). Create a sales journal for credit notes in {name} and choose it on the connection page."
        ));
    }
    if caps.general_ledger {
        for code in [&invoices, &credit_notes] {
            if let Some(j) = reference.journal(code)
                && j.kind == JournalKind::Other
            {
                return Err(format!(
                    "Journal {code} ({}) is not a sales journal in {name}: Koppel can only book into sales journals. Choose a sales journal on the connection page.",
                    j.description
                ));
            }
        }
    }
    Ok(())
}

async fn finish_failed(
    store: &dyn Store,
    clock: &dyn Clock,
    report: RunReport,
    message: &str,
) -> Result<ExportOutcome, ExportError> {
    finish_stopped(store, clock, report, RunStatus::Failed, message).await
}

/// End a run that could not go to the end, saying why.
async fn finish_stopped(
    store: &dyn Store,
    clock: &dyn Clock,
    mut report: RunReport,
    status: RunStatus,
    message: &str,
) -> Result<ExportOutcome, ExportError> {
    report.status = status;
    report.message = Some(message.to_owned());
    report.updated_at = clock.now();
    store.put_run_report(&report).await?;
    Ok(ExportOutcome::Finished(report))
}

impl Run<'_> {
    fn connection_id(&self) -> &ConnectionId {
        &self.connection.id
    }

    fn must_hand_over(&self, deadline: &Deadline) -> bool {
        self.attempted > 0 && deadline.is_near()
    }

    async fn list_and_export(&mut self, deadline: &Deadline) -> Option<Stop> {
        while let Some(kind) = self.cursor.phase {
            if self.must_hand_over(deadline) {
                return Some(Stop::Deadline);
            }
            let query = DocumentQuery {
                kind,
                department_id: Some(self.connection.department_id.clone()),
                updated_since: self.cursor.since,
                date_from: self.connection.settings.start_date,
                page: self.cursor.page,
                page_size: self.options.page_size,
            };
            let page = match self.ports.source.booked_documents(&query).await {
                Ok(p) => p,
                Err(e) => return Some(Stop::External(e)),
            };
            let full = page.len() as u32 >= self.options.page_size;
            if let Err(stop) = self.export_page(page, deadline).await {
                return Some(stop);
            }
            if full {
                self.cursor.page += 1;
            } else {
                self.cursor.phase = match kind {
                    DocumentKind::Invoice => Some(DocumentKind::CreditNote),
                    DocumentKind::CreditNote => None,
                };
                self.cursor.page = 1;
            }
        }
        None
    }

    async fn export_page(
        &mut self,
        page: Vec<DocumentSummary>,
        deadline: &Deadline,
    ) -> Result<(), Stop> {
        let start_date = self.connection.settings.start_date;
        let mut candidates = Vec::new();
        for summary in page {
            if !summary.status.is_booked() || summary.number.is_none() {
                continue; // drafts never
            }
            if start_date.is_some_and(|d| summary.date < d) {
                continue;
            }
            match self
                .ports
                .store
                .document(self.connection_id(), &summary.id)
                .await?
            {
                Some(record) if matches!(record.state, ExportState::Exported { .. }) => {
                    self.check_exported(&summary, &record).await?;
                }
                _ => candidates.push(summary),
            }
        }
        if candidates.is_empty() {
            return Ok(());
        }
        let refs: Vec<CustomerRef> = candidates.iter().map(|s| s.customer.clone()).collect();
        let connection = self.connection;
        let customers = ensure_customers(
            &connection.id,
            &refs,
            self.ports.source,
            self.ports.ledger,
            self.ports.store,
            self.ports.clock,
            &mut self.customer_counts,
        )
        .await?;
        for summary in candidates {
            if self.must_hand_over(deadline) {
                return Err(Stop::Deadline);
            }
            self.attempted += 1;
            let customer = customers
                .get(&summary.customer)
                .cloned()
                .unwrap_or_else(|| {
                    Err(format!(
                        "The customer of this {} could not be read from Teamleader.",
                        summary.kind
                    ))
                });
            self.export_document(&summary, customer).await?;
        }
        Ok(())
    }

    /// A document exported earlier showed up again (it changed in Teamleader, or was paid):
    /// report edits, and report an entry that disappeared from the ledger. Never re-post.
    async fn check_exported(
        &mut self,
        summary: &DocumentSummary,
        record: &DocumentRecord,
    ) -> Result<(), Stop> {
        // Listed again only because the cursor reaches back (an older document failed):
        // nothing happened to it, and it costs no call.
        if record
            .source_updated_at
            .is_some_and(|at| summary.updated_at <= at)
        {
            return Ok(());
        }
        let ledger = self.ports.ledger.kind().display_name();
        let now_fp = fingerprint(summary.date, &summary.customer, &summary.total_incl);
        if record.fingerprint.as_deref().is_some_and(|fp| fp != now_fp) {
            self.issue(
                summary,
                DocumentOutcome::ChangedAfterExport,
                format!(
                    "This {} was changed in Teamleader after it was exported to {ledger}. Koppel does not change booked entries: correct entry {} in {ledger} by hand (or credit it and book a new document).",
                    summary.kind,
                    record.ledger_entry_number.clone().unwrap_or_else(|| "?".to_owned())
                ),
            );
            self.report.counts.changed_after_export += 1;
        }
        let Ok(journal) = journal_for(summary.kind, &self.mapping_context()) else {
            return Ok(());
        };
        let number = summary.number.clone().unwrap_or_default();
        match self.ports.ledger.find_entry(&journal, &number).await {
            Ok(Some(_)) => Ok(()),
            Ok(None) => {
                self.issue(
                    summary,
                    DocumentOutcome::MissingInLedger,
                    format!(
                        "This {} was exported to {ledger} (entry {}) but is no longer there. If it was deleted on purpose, choose \"export again\" for it on the connection page; Koppel never posts it again by itself.",
                        summary.kind,
                        record.ledger_entry_number.clone().unwrap_or_else(|| "?".to_owned())
                    ),
                );
                self.report.counts.missing_in_ledger += 1;
                Ok(())
            }
            Err(e) if e.is_transient() || matches!(e, ExternalError::NeedsReauth { .. }) => {
                Err(Stop::External(e))
            }
            Err(_) => Ok(()),
        }
    }

    fn mapping_context(&self) -> MappingContext<'_> {
        MappingContext {
            ledger: self.ports.ledger.kind(),
            settings: &self.connection.settings,
            reference: &self.reference,
            category_accounts: &self.category_accounts,
            general_ledger: self.ports.ledger.capabilities().general_ledger,
        }
    }

    async fn export_document(
        &mut self,
        summary: &DocumentSummary,
        customer: Result<LedgerCustomerId, String>,
    ) -> Result<(), Stop> {
        let now = self.ports.clock.now();
        let mut record = DocumentRecord::pending(
            self.connection_id().clone(),
            summary.id.clone(),
            summary.kind,
            summary.number.clone(),
            now,
        );
        let previous = match self
            .ports
            .store
            .claim_document(
                &record,
                &self.report.run_id,
                now,
                now + self.options.claim_ttl,
            )
            .await?
        {
            ClaimOutcome::AlreadyExported(_) => {
                self.report.counts.already_exported += 1;
                return Ok(());
            }
            ClaimOutcome::Busy(_) => {
                self.report.counts.skipped += 1;
                self.note_unfinished(summary);
                return Ok(());
            }
            ClaimOutcome::Claimed { previous } => previous,
        };
        record.attempts = previous.as_ref().map_or(0, |p| p.attempts) + 1;
        record.state = ExportState::Exporting {
            run_id: self.report.run_id.clone(),
            until: now + self.options.claim_ttl,
        };

        let customer = match customer {
            Ok(c) => c,
            Err(reason) => return self.fail(summary, record, reason).await,
        };
        let journal = match journal_for(summary.kind, &self.mapping_context()) {
            Ok(j) => j,
            Err(reason) => return self.fail(summary, record, reason).await,
        };
        let number = summary.number.clone().unwrap_or_default();

        // A claim left by a crashed worker: the entry may be in the ledger already.
        if previous
            .as_ref()
            .is_some_and(|p| matches!(p.state, ExportState::Exporting { .. }))
        {
            match self.ports.ledger.find_entry(&journal, &number).await {
                Ok(Some(posted)) => {
                    let fp = fingerprint(summary.date, &summary.customer, &summary.total_incl);
                    return self
                        .record_exported(summary, record, posted, Some(fp), true)
                        .await;
                }
                Ok(None) => {}
                Err(e) => return self.defer(summary, record, e).await,
            }
        }

        let document = match self.ports.source.document(summary.kind, &summary.id).await {
            Ok(d) => d,
            Err(e @ (ExternalError::NotFound { .. } | ExternalError::Rejected { .. })) => {
                return self
                    .fail(
                        summary,
                        record,
                        format!("Teamleader could not give this {}: {e}", summary.kind),
                    )
                    .await;
            }
            Err(e) => return self.defer(summary, record, e).await,
        };
        if !document.status.is_booked() {
            record.state = ExportState::Pending;
            self.ports.store.put_document(&record).await?;
            return Ok(());
        }
        let entry = match build_entry(&document, &customer, &self.mapping_context()) {
            Ok(e) => e,
            Err(problems) => return self.fail(summary, record, problems.join(" ")).await,
        };
        let format = match self.ports.ledger.capabilities().attachment {
            AttachmentSupport::Required(f) => Some(f),
            AttachmentSupport::Optional(f) if self.connection.settings.attach_pdf => Some(f),
            _ => None,
        };
        let file = match format {
            Some(f) => match self
                .ports
                .source
                .document_file(summary.kind, &summary.id, f)
                .await
            {
                Ok(file) => Some(file),
                Err(e) if e.is_transient() || matches!(e, ExternalError::NeedsReauth { .. }) => {
                    return self.defer(summary, record, e).await;
                }
                Err(e) => {
                    return self
                        .fail(
                            summary,
                            record,
                            format!("The PDF could not be downloaded from Teamleader: {e}"),
                        )
                        .await;
                }
            },
            None => None,
        };
        let fp = fingerprint(document.date, &document.customer, &document.total_incl);
        record.total_incl = Some(document.total_incl.clone());
        record.source_updated_at = Some(document.updated_at);
        match self.ports.ledger.post_entry(&entry, file.as_ref()).await {
            Ok(posted) => {
                self.record_exported(summary, record, posted, Some(fp), false)
                    .await
            }
            Err(ExternalError::Rejected { message, .. }) => {
                let ledger = self.ports.ledger.kind().display_name();
                self.fail(summary, record, format!("{ledger} refused it: {message}"))
                    .await
            }
            Err(e) => {
                // No answer: the ledger may have booked it. Look before anything else.
                match self.ports.ledger.find_entry(&journal, &number).await {
                    Ok(Some(posted)) => {
                        self.record_exported(summary, record, posted, Some(fp), false)
                            .await
                    }
                    _ => self.defer(summary, record, e).await,
                }
            }
        }
    }

    async fn record_exported(
        &mut self,
        summary: &DocumentSummary,
        mut record: DocumentRecord,
        posted: crate::PostedEntry,
        fp: Option<String>,
        recovered: bool,
    ) -> Result<(), Stop> {
        record.state = ExportState::Exported {
            entry_id: posted.id,
            at: self.ports.clock.now(),
        };
        record.ledger_entry_number = posted.entry_number;
        record.fingerprint = fp;
        record.paid = false;
        if record.total_incl.is_none() {
            record.total_incl = Some(summary.total_incl.clone());
            record.source_updated_at = Some(summary.updated_at);
        }
        record.updated_at = self.ports.clock.now();
        self.ports.store.put_document(&record).await?;
        if recovered {
            self.report.counts.already_exported += 1;
        } else {
            self.report.counts.exported += 1;
        }
        Ok(())
    }

    async fn fail(
        &mut self,
        summary: &DocumentSummary,
        mut record: DocumentRecord,
        reason: String,
    ) -> Result<(), Stop> {
        record.state = ExportState::Failed {
            reason: reason.clone(),
        };
        record.updated_at = self.ports.clock.now();
        self.ports.store.put_document(&record).await?;
        self.report.counts.failed += 1;
        self.note_unfinished(summary);
        self.issue(summary, DocumentOutcome::Failed, reason);
        Ok(())
    }

    /// A failure that is not the document's fault: give the claim back and stop the run; the
    /// document is tried again on the next run.
    async fn defer(
        &mut self,
        summary: &DocumentSummary,
        mut record: DocumentRecord,
        error: ExternalError,
    ) -> Result<(), Stop> {
        record.state = ExportState::Pending;
        record.updated_at = self.ports.clock.now();
        self.ports.store.put_document(&record).await?;
        self.note_unfinished(summary);
        match error {
            ExternalError::Rejected { .. }
            | ExternalError::NotFound { .. }
            | ExternalError::Malformed { .. }
            | ExternalError::Unsupported { .. } => {
                self.report.counts.failed += 1;
                self.issue(summary, DocumentOutcome::Failed, error.to_string());
                Ok(())
            }
            other => {
                self.report.counts.skipped += 1;
                Err(Stop::External(other))
            }
        }
    }

    fn note_unfinished(&mut self, summary: &DocumentSummary) {
        let t = summary.updated_at;
        self.cursor.oldest_unfinished = Some(self.cursor.oldest_unfinished.map_or(t, |o| o.min(t)));
    }

    fn issue(&mut self, summary: &DocumentSummary, outcome: DocumentOutcome, reason: String) {
        if self.report.issues.len() < self.options.max_issues {
            self.report.issues.push(DocumentIssue {
                document_id: summary.id.clone(),
                number: summary.number.clone(),
                kind: summary.kind,
                outcome,
                reason,
            });
        }
    }

    async fn continue_later(mut self, job: &Job) -> Result<ExportOutcome, ExportError> {
        let cursor = serde_json::to_string(&self.cursor).map_err(|e| ExportError::BadCursor {
            run: job.run_id.to_string(),
            detail: e.to_string(),
        })?;
        self.ports.queue.send(&[job.continuation(cursor)]).await?;
        self.report.updated_at = self.ports.clock.now();
        self.report.message =
            Some("The Lambda time ran out; the export continues in a new invocation.".to_owned());
        self.ports.store.put_run_report(&self.report).await?;
        info!(connection_id = %self.connection.id, run_id = %job.run_id, "export continues in a new message");
        Ok(ExportOutcome::Continued(self.report))
    }

    async fn finish(mut self) -> Result<ExportOutcome, ExportError> {
        let next_since = self
            .cursor
            .oldest_unfinished
            .map_or(self.cursor.run_started_at, |o| {
                o.min(self.cursor.run_started_at)
            })
            - self.options.cursor_overlap;
        self.ports
            .store
            .put_cursor(&self.connection.id, SINCE_CURSOR, &next_since.to_rfc3339())
            .await?;
        self.report.status = if self.report.issues.is_empty() && self.report.counts.failed == 0 {
            RunStatus::Succeeded
        } else {
            RunStatus::CompletedWithIssues
        };
        self.report.message = None;
        self.report.updated_at = self.ports.clock.now();
        self.ports.store.put_run_report(&self.report).await?;
        info!(connection_id = %self.connection.id, run_id = %self.report.run_id, exported = self.report.counts.exported, failed = self.report.counts.failed, "export finished");
        Ok(ExportOutcome::Finished(self.report))
    }
}

/// The user's "export again" for a document whose entry was deleted from the ledger on
/// purpose: the record goes back to pending and the next run lists from the document's last
/// change, so it is posted once more. Koppel never does this by itself.
pub async fn request_reexport(
    store: &dyn Store,
    clock: &dyn Clock,
    connection: &ConnectionId,
    document: &crate::DocumentId,
) -> Result<bool, StoreError> {
    let Some(mut record) = store.document(connection, document).await? else {
        return Ok(false);
    };
    let listed_from =
        record.source_updated_at.unwrap_or(record.updated_at) - chrono::Duration::minutes(1);
    record.state = ExportState::Pending;
    record.fingerprint = None;
    record.ledger_entry_number = None;
    record.updated_at = clock.now();
    store.put_document(&record).await?;
    // No cursor yet means the next run lists everything since the start date anyway.
    if let Some(since) = read_since(store, connection).await?
        && since > listed_from
    {
        store
            .put_cursor(connection, SINCE_CURSOR, &listed_from.to_rfc3339())
            .await?;
    }
    Ok(true)
}
