//! The nightly export: booked invoices and credit notes of one connection go to its ledger,
//! customers first, each document exactly once. A [`ConnectionJob`] on the shared lifecycle.
//! A [`JobKind::DocumentExport`] message (a Teamleader webhook) runs the same job for one
//! document: listed by id, exported on the same exactly-once path, the nightly cursor left
//! where it was (see [`ExportCursor::for_document`]).
//!
//! - [`mod@self`]: the job — per invocation the ledger's lists and pre-flight, then the listing
//!   of booked documents page by page since the cursor;
//! - [`customers`]: customers first (mapping → the ledger's own customers → create once);
//! - [`mapping`]: a Teamleader document as a ledger entry, within the ledger's limits;
//! - [`document`]: one document exactly once (claim, crash recovery, post once, outcome);
//! - [`exported`]: documents listed again after export (edits, deletions in the ledger);
//! - [`cursor`]: where a run stands, and "export again";
//! - [`preview`]: what the next run would do, computed with the same mapping, posting nothing.
//!
//! Continuation: the job stops taking documents when the deadline is near and the lifecycle
//! sends a message that resumes at the same list page; documents already exported are skipped
//! without any ledger call, so nothing is lost and nothing is posted twice.

pub mod backfill;
#[cfg(test)]
mod bad_answers_tests;
pub mod cursor;
pub mod customers;
pub mod document;
pub mod exported;
pub(crate) mod files;
pub mod mapping;
#[cfg(test)]
mod portal_tests;
pub mod preview;
#[cfg(test)]
mod tests;

use super::lifecycle::{ConnectionJob, JobError, RunContext, SourceAndLedger, Stop};
use crate::{
    Connection, ConnectionStore, CursorStore, CustomerMappingStore, CustomerRef, DocumentStore,
    DocumentSummary, ExportCounts, ExportState, JobKind, LeaseStore, Ledger, LedgerReferenceData,
    ReferenceDataStore, Severity, Store,
};
use async_trait::async_trait;
pub use cursor::{ExportCursor, SINCE_CURSOR, request_reexport};
use customers::{CustomerCounts, CustomerPorts, CustomerProblem, ensure_customers};
use mapping::{CategoryAccounts, MappingContext};
use preview::category_accounts_of as category_accounts;

/// The export function's Lambda timeout (template.yaml `InvoiceExportFunction` `Timeout`,
/// checked by `tests/tests/template_drift.rs`): no invocation works longer than this.
pub const EXPORT_TIMEOUT: chrono::Duration = chrono::Duration::seconds(900);

/// How long after a worker's death a request it sent may still be processed by the ledger
/// (the request left, the worker was killed, the ledger books it later). Every hold on a
/// document or a customer outlives its holder by at least this.
pub const IN_FLIGHT_MARGIN: chrono::Duration = chrono::Duration::seconds(300);

/// The lifetime of a claim on a document: the Lambda timeout plus a request in flight. A claim
/// taken at any moment of an invocation outlives the invocation and its last request, so a
/// second worker takes a dead worker's document over only when nothing of the first can still
/// reach the ledger (the invariant of DESIGN.md and docs/ARCHITECTURE.md).
pub const CLAIM_TTL: chrono::Duration = EXPORT_TIMEOUT
    .checked_add(&IN_FLIGHT_MARGIN)
    .expect("a few minutes");

/// Tunables with sensible defaults.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// How long a claim protects a document being posted; a crashed worker's claim is taken
    /// over after this ([`CLAIM_TTL`] by default).
    pub claim_ttl: chrono::Duration,
    /// Teamleader page size (at most 100).
    pub page_size: u32,
    /// The next run lists documents changed since this long before the current run started.
    pub cursor_overlap: chrono::Duration,
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self {
            claim_ttl: CLAIM_TTL,
            page_size: 100,
            cursor_overlap: chrono::Duration::minutes(10),
        }
    }
}

/// The roles of Koppel's store the export needs: document records (the claim), customer
/// mappings and the lease that creates a customer once, the ledger's lists, the cursor.
#[derive(Clone, Copy)]
pub struct ExportStores<'a> {
    /// Document records and their claims.
    pub documents: &'a dyn DocumentStore,
    /// Teamleader customer → ledger customer.
    pub mappings: &'a dyn CustomerMappingStore,
    /// The lease under which a customer is created once.
    pub leases: &'a dyn LeaseStore,
    /// The connection's current ledger lists.
    pub reference: &'a dyn ReferenceDataStore,
    /// Where the next run starts.
    pub cursors: &'a dyn CursorStore,
    /// The account's other connections (whether Teamleader's one external id per company
    /// may carry this ledger's customer number).
    pub connections: &'a dyn ConnectionStore,
}

impl<'a> ExportStores<'a> {
    /// Every role from one store.
    pub fn of(store: &'a dyn Store) -> Self {
        Self {
            documents: store,
            mappings: store,
            leases: store,
            reference: store,
            cursors: store,
            connections: store,
        }
    }
}

/// The invoice export of one connection.
pub struct InvoiceExport<'a> {
    /// The store's roles it uses.
    pub stores: ExportStores<'a>,
    /// Tunables.
    pub options: ExportOptions,
}

/// The export's run context.
pub type ExportRun<'a> = RunContext<'a, SourceAndLedger, ExportCounts>;

/// What one invocation knows besides the run: the ledger's lists and the accounts of the
/// product categories.
pub(crate) struct Pass {
    reference: LedgerReferenceData,
    category_accounts: CategoryAccounts,
    customers: CustomerCounts,
    /// True when the connection is its Teamleader account's only one: Teamleader keeps one
    /// external id per company, so with two ledgers (two divisions, two departments) it cannot
    /// say whose customer number it is, and Koppel leaves it to the user.
    write_customer_numbers: bool,
    /// The last connection-level refusal a document met (its text), when the document
    /// after it has not yet been answered otherwise: a second identical one stops the run.
    connection_refusal: Option<String>,
    /// The departments, read once when a structured credit note needs its seller.
    sellers: files::Sellers,
}

impl Pass {
    fn mapping<'m>(&'m self, run: &'m ExportRun<'_>) -> MappingContext<'m> {
        let ledger = run.systems.ledger.as_ref();
        MappingContext {
            ledger: ledger.kind().display_name(),
            settings: &run.connection.settings,
            reference: &self.reference,
            category_accounts: &self.category_accounts,
            general_ledger: ledger.capabilities().general_ledger,
            limits: ledger.limits(),
        }
    }
}

#[async_trait]
impl ConnectionJob for InvoiceExport<'_> {
    const NAME: &'static str = "invoice-export";
    const NOUN: &'static str = "export";
    type Systems = SourceAndLedger;
    type Cursor = ExportCursor;
    type Counts = ExportCounts;

    async fn first_cursor(
        &self,
        connection: &Connection,
        run: &ExportRun<'_>,
    ) -> Result<ExportCursor, JobError> {
        if let JobKind::DocumentExport { kind, document_id } = &run.message.kind {
            return Ok(ExportCursor::for_document(
                *kind,
                document_id.clone(),
                run.clock.now(),
            ));
        }
        let since = cursor::read_since(self.stores.cursors, &connection.id).await?;
        Ok(ExportCursor::start(since, run.clock.now()))
    }

    async fn work(&self, run: &mut ExportRun<'_>, cursor: &mut ExportCursor) -> Result<(), Stop> {
        let mut pass = self.prepare(run).await?;
        let stopped = self.list_and_export(run, &mut pass, cursor).await;
        run.counts.customers_created += pass.customers.created;
        run.counts.customers_matched += pass.customers.matched;
        run.counts.customer_numbers_written += pass.customers.numbers_written;
        stopped
    }

    async fn complete(
        &self,
        run: &mut ExportRun<'_>,
        cursor: &ExportCursor,
    ) -> Result<(), JobError> {
        if !cursor.moves_nightly_cursor() {
            // A one-document run: the nightly run still lists from where it was.
            return Ok(());
        }
        let mut next = cursor.next_since(self.options.cursor_overlap);
        // A run that listed from later than the stored lower bound (a backfill from a recent
        // date) did not see what lies before it: documents an earlier run left unfinished
        // there must still be listed by the next night, so the bound never moves past them.
        let stored = cursor::read_since(self.stores.cursors, &run.connection.id).await?;
        if let (Some(stored), Some(listed_from)) = (stored, cursor.since)
            && listed_from > stored
        {
            next = next.min(stored);
        }
        self.stores
            .cursors
            .put_cursor(&run.connection.id, SINCE_CURSOR, &next.to_rfc3339())
            .await?;
        Ok(())
    }
}

impl InvoiceExport<'_> {
    /// The ledger's lists (pulled fresh at the start of a run, reused by continuations), the
    /// ledger's pre-flight, and the product categories' accounts.
    async fn prepare(&self, run: &mut ExportRun<'_>) -> Result<Pass, Stop> {
        let reference = self.reference_data(run, run.first_invocation).await?;
        let findings = run
            .systems
            .ledger
            .preflight(&run.connection.settings, &reference);
        let mut blockers = Vec::new();
        for finding in findings {
            match finding.severity {
                Severity::Blocker => blockers.push(finding.message),
                Severity::Warning => run.warn(finding.message),
            }
        }
        if !blockers.is_empty() {
            return Err(Stop::Refused(blockers.join(" ")));
        }
        let category_accounts =
            category_accounts(run.systems.source.as_ref(), &run.connection.department_id).await?;
        let others = self
            .stores
            .connections
            .connections_of_account(&run.connection.account_id)
            .await?
            .iter()
            .filter(|c| c.id != run.connection.id)
            .count();
        Ok(Pass {
            reference,
            category_accounts,
            customers: CustomerCounts::default(),
            write_customer_numbers: others == 0,
            connection_refusal: None,
            sellers: files::Sellers::default(),
        })
    }

    /// Pull the ledger's lists at the start of a run (kept as the connection's current lists);
    /// continuations reuse the stored copy.
    async fn reference_data(
        &self,
        run: &ExportRun<'_>,
        fresh: bool,
    ) -> Result<LedgerReferenceData, Stop> {
        let connection = &run.connection.id;
        if !fresh && let Some((data, _)) = self.stores.reference.reference_data(connection).await? {
            return Ok(data);
        }
        let data = run.systems.ledger.reference_data().await?;
        self.stores
            .reference
            .put_reference_data(connection, &data, run.clock.now())
            .await?;
        Ok(data)
    }

    async fn list_and_export(
        &self,
        run: &mut ExportRun<'_>,
        pass: &mut Pass,
        cursor: &mut ExportCursor,
    ) -> Result<(), Stop> {
        while let Some(kind) = cursor.phase {
            if run.must_hand_over() {
                return Err(Stop::Deadline);
            }
            let query = cursor.query(
                kind,
                &run.connection.department_id,
                run.connection.settings.start_date,
                self.options.page_size,
            );
            let page = run.systems.source.booked_documents(&query).await?;
            let full = page.len() as u32 >= self.options.page_size;
            self.export_page(run, pass, cursor, page).await?;
            cursor.advance(full);
        }
        Ok(())
    }

    async fn export_page(
        &self,
        run: &mut ExportRun<'_>,
        pass: &mut Pass,
        cursor: &mut ExportCursor,
        page: Vec<DocumentSummary>,
    ) -> Result<(), Stop> {
        let start_date = run.connection.settings.start_date;
        let mut candidates = Vec::new();
        for summary in page {
            if !summary.status.is_booked() || summary.number.is_none() {
                continue; // drafts never
            }
            if start_date.is_some_and(|d| summary.date < d) {
                continue;
            }
            match self
                .stores
                .documents
                .document(&run.connection.id, &summary.id)
                .await?
            {
                Some(record) if matches!(record.state, ExportState::Exported { .. }) => {
                    exported::check(run, pass, &summary, &record).await?;
                }
                _ => candidates.push(summary),
            }
        }
        if candidates.is_empty() {
            return Ok(());
        }
        let refs: Vec<CustomerRef> = candidates.iter().map(|s| s.customer.clone()).collect();
        let ports = CustomerPorts {
            source: run.systems.source.as_ref(),
            ledger: run.systems.ledger.as_ref(),
            mappings: self.stores.mappings,
            leases: self.stores.leases,
            notes: self.stores.cursors,
            clock: run.clock,
            deadline: run.deadline,
            write_numbers: pass.write_customer_numbers,
        };
        let customers =
            ensure_customers(&run.connection.id, &refs, ports, &mut pass.customers).await?;
        for warning in std::mem::take(&mut pass.customers.warnings) {
            run.warn(warning);
        }
        if !pass.write_customer_numbers && pass.customers.created + pass.customers.matched > 0 {
            run.warn(format!(
                "Customer numbers are not written to Teamleader's external id: this Teamleader account is linked to more than one {} administration, and a company has one external id. Koppel keeps its own link to each administration's customer.",
                run.systems.ledger.kind().display_name()
            ));
        }
        for summary in candidates {
            if run.must_hand_over() {
                return Err(Stop::Deadline);
            }
            let customer = match customers.get(&summary.customer).cloned() {
                Some(Ok(link)) => Ok(link),
                Some(Err(CustomerProblem::Refused(reason))) => Err(reason),
                Some(Err(CustomerProblem::Busy)) => {
                    // Not claimed, not failed: listed again by the next run (the cursor
                    // reaches back to it), by then the customer's creation is recorded.
                    run.counts.deferred += 1;
                    cursor.note_unfinished(summary.updated_at);
                    run.notice(
                        document::subject(&summary),
                        crate::IssueOutcome::Skipped,
                        "Deferred: another export was creating its customer in the ledger at the same moment. Nothing to do: the next run exports it once the customer is there.".to_owned(),
                    );
                    continue;
                }
                None => Err(format!(
                    "The customer of this {} could not be read from Teamleader.",
                    summary.kind
                )),
            };
            run.attempt();
            let one = document::OneDocument {
                documents: self.stores.documents,
                options: &self.options,
                summary: &summary,
            };
            one.export(run, pass, cursor, customer).await?;
        }
        Ok(())
    }
}

/// The ledger the run exports to.
pub(crate) fn ledger<'r>(run: &'r ExportRun<'_>) -> &'r dyn Ledger {
    run.systems.ledger.as_ref()
}

impl From<customers::CustomerStepError> for Stop {
    fn from(e: customers::CustomerStepError) -> Self {
        match e {
            customers::CustomerStepError::Store(s) => Stop::Infra(JobError::Store(s)),
            customers::CustomerStepError::External(x) => Stop::External(x),
            customers::CustomerStepError::Deadline => Stop::Deadline,
        }
    }
}
