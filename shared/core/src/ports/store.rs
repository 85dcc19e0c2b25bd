//! Koppel's own state (DynamoDB in production), as role-sized ports.
//!
//! Each trait serves one role: [`ConnectionStore`] (the connections and their status),
//! [`DocumentStore`] (document records with the claim that makes export exactly-once),
//! [`CustomerMappingStore`] (Teamleader customer → ledger customer), [`ReferenceDataStore`]
//! (the ledger's lists), [`CursorStore`] (named progress markers), [`LeaseStore`] (short
//! exclusive leases) and [`RunReportStore`] (what each run did). [`Store`] composes them all
//! and is implemented automatically by every type that implements each role, so a
//! `&dyn Store` or `Arc<dyn Store>` can be handed to any caller and upcast to the role it
//! needs (`let leases: &dyn LeaseStore = store;`).
//!
//! A caller takes the narrowest trait it needs: a function that only reads and writes
//! cursors takes `&dyn CursorStore`, not `&dyn Store`, so its tests and its reviewers see
//! exactly which state it touches. State added later (merge jobs, reactivation-page
//! sessions) gets its own role trait the same way, added to [`Store`]'s supertraits.
//!
//! Every implementation (the in-memory store in [`crate::memory`], `DynamoStore` in
//! `koppel-aws`) must pass the same contract suite, `koppel_core::contract` (cargo feature
//! `contract`).

use crate::{
    AccountId, Connection, ConnectionId, ConnectionStatus, CustomerRef, DocumentId, DocumentRecord,
    LedgerCustomerId, LedgerReferenceData, MergeJob, RunId, RunReport,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use thiserror::Error;

/// Failure of the store.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The store could not be reached or refused the call.
    #[error("the state store failed: {0}")]
    Unavailable(String),
    /// An item could not be read back into Koppel's types.
    #[error("stored {what} is not readable: {detail}")]
    Corrupt {
        /// What item.
        what: String,
        /// Why.
        detail: String,
    },
}

/// Result of trying to claim a document for export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// This worker owns the document until the claim lapses. `previous` is the record as it
    /// was; when it was `Exporting` (a crashed worker), the ledger must be searched by
    /// reference before posting.
    Claimed {
        /// The record before the claim, `None` when first seen.
        previous: Option<DocumentRecord>,
    },
    /// Already exported: never post again.
    AlreadyExported(DocumentRecord),
    /// Another worker holds a live claim.
    Busy(DocumentRecord),
}

/// Connections: which Teamleader account and department is linked to which ledger company,
/// with what settings and status.
///
/// Used by the reactivation page (an account's connections), the dispatcher (active
/// connections), every job (load its connection) and the token refresher (ask for a new
/// sign-in, with a reason, when Teamleader refuses).
#[async_trait]
pub trait ConnectionStore: Send + Sync {
    /// A connection by id.
    async fn connection(&self, id: &ConnectionId) -> Result<Option<Connection>, StoreError>;
    /// Create or replace a connection.
    async fn put_connection(&self, connection: &Connection) -> Result<(), StoreError>;
    /// Every connection of a Teamleader account (tenant isolation: only these), ordered by
    /// connection id.
    async fn connections_of_account(
        &self,
        account: &AccountId,
    ) -> Result<Vec<Connection>, StoreError>;
    /// Every active connection (for the dispatcher).
    async fn active_connections(&self) -> Result<Vec<Connection>, StoreError>;
    /// Every connection whatever its status, ordered by connection id (for the hourly
    /// sweeper, which also looks at connections waiting for a sign-in, and the admin command).
    async fn all_connections(&self) -> Result<Vec<Connection>, StoreError>;
    /// Change a connection's status with a reason for the user (`None` clears the reason).
    /// A connection that does not exist is left alone: nothing is created, no error.
    async fn set_connection_status(
        &self,
        id: &ConnectionId,
        status: ConnectionStatus,
        reason: Option<String>,
    ) -> Result<(), StoreError>;
}

/// Document records: the per-document export state, with the conditional claim that makes
/// export exactly-once, and the unpaid exported documents.
///
/// Used by the invoice export (claim, record the outcome) and the payment poll (exported
/// documents not yet paid).
#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// Claim a document for export (conditional write): succeeds when it is new, pending,
    /// failed, held by `run_id` itself, or its previous claim lapsed at or before `now`.
    /// The stored record becomes `record` in state `Exporting { run_id, until }` with
    /// `updated_at = now` and `attempts` one more than the stored record's (1 when new).
    async fn claim_document(
        &self,
        record: &DocumentRecord,
        run_id: &RunId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<ClaimOutcome, StoreError>;
    /// Write a document record (after posting: exported or failed). Only the holder of the
    /// claim calls this.
    async fn put_document(&self, record: &DocumentRecord) -> Result<(), StoreError>;
    /// A document record.
    async fn document(
        &self,
        connection: &ConnectionId,
        document: &DocumentId,
    ) -> Result<Option<DocumentRecord>, StoreError>;
    /// The connection's records last changed at or after `since` (any state, any order):
    /// what a run did, recomputed from the records when its invocations were killed before
    /// they saved their counts (the hourly sweeper). Reads the connection's whole partition
    /// of records; meant for the rare interrupted run, not for every run.
    async fn documents_changed_since(
        &self,
        connection: &ConnectionId,
        since: DateTime<Utc>,
    ) -> Result<Vec<DocumentRecord>, StoreError>;
    /// Exported documents not yet paid (from the sparse index; never a scan).
    async fn unpaid_exported(
        &self,
        connection: &ConnectionId,
    ) -> Result<Vec<DocumentRecord>, StoreError>;
}

/// Customer mappings: which ledger customer a Teamleader company or contact became.
///
/// Used by the invoice export (customers first: find or create the ledger customer once).
#[async_trait]
pub trait CustomerMappingStore: Send + Sync {
    /// The ledger customer mapped to a Teamleader customer.
    async fn customer_mapping(
        &self,
        connection: &ConnectionId,
        customer: &CustomerRef,
    ) -> Result<Option<LedgerCustomerId>, StoreError>;
    /// Record a mapping unless one exists; returns the mapping that stands (the existing one
    /// when two workers race).
    async fn put_customer_mapping(
        &self,
        connection: &ConnectionId,
        customer: &CustomerRef,
        ledger_customer: &LedgerCustomerId,
    ) -> Result<LedgerCustomerId, StoreError>;
    /// Remember that Koppel's import created this Teamleader customer (only such a customer
    /// may ever be removed by Koppel, as a duplicate no one refers to).
    async fn record_created_customer(
        &self,
        connection: &ConnectionId,
        customer: &CustomerRef,
    ) -> Result<(), StoreError>;
    /// Whether Koppel's import created this Teamleader customer.
    async fn created_by_koppel(
        &self,
        connection: &ConnectionId,
        customer: &CustomerRef,
    ) -> Result<bool, StoreError>;
}

/// Reference data: the connection's current ledger lists (GL accounts, journals, VAT codes,
/// fiscal periods), however large.
///
/// Used by the invoice export, which refreshes the lists and maps lines to accounts and VAT
/// codes with them.
#[async_trait]
pub trait ReferenceDataStore: Send + Sync {
    /// Replace the connection's current ledger lists.
    async fn put_reference_data(
        &self,
        connection: &ConnectionId,
        data: &LedgerReferenceData,
        fetched_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The connection's current ledger lists and when they were fetched.
    async fn reference_data(
        &self,
        connection: &ConnectionId,
    ) -> Result<Option<(LedgerReferenceData, DateTime<Utc>)>, StoreError>;
}

/// Cursors: named progress markers per connection (e.g. how far the export has read).
///
/// Used by the jobs that read incrementally (the invoice export's `updated_since`).
#[async_trait]
pub trait CursorStore: Send + Sync {
    /// A named cursor (e.g. "invoice-export.updated_since").
    async fn cursor(
        &self,
        connection: &ConnectionId,
        name: &str,
    ) -> Result<Option<String>, StoreError>;
    /// Set a named cursor.
    async fn put_cursor(
        &self,
        connection: &ConnectionId,
        name: &str,
        value: &str,
    ) -> Result<(), StoreError>;
}

/// Leases: short exclusive holds on a name, lapsing by themselves.
///
/// Used around single-use OAuth refresh tokens (one refresher at a time) and around creating
/// a ledger customer (never created twice by racing workers).
#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Take the lease `name` for `owner` until `until`, if it is free or lapsed at `now` (its
    /// `until` at or before `now`), or already ours (then it is extended). True when taken.
    async fn acquire_lease(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Give the lease back (only if `owner` holds it).
    async fn release_lease(&self, name: &str, owner: &str) -> Result<(), StoreError>;
}

/// Run reports: what each run of a job did, for the user.
///
/// Written by every job as it runs; read by a job continuing its own run and by the
/// reactivation page (the latest reports).
#[async_trait]
pub trait RunReportStore: Send + Sync {
    /// Create or replace a run report (one per connection and run, whatever its
    /// `started_at`).
    async fn put_run_report(&self, report: &RunReport) -> Result<(), StoreError>;
    /// A run report.
    async fn run_report(
        &self,
        connection: &ConnectionId,
        run: &RunId,
    ) -> Result<Option<RunReport>, StoreError>;
    /// The latest reports of a connection, newest first (by `started_at`), at most `limit`.
    async fn run_reports(
        &self,
        connection: &ConnectionId,
        limit: usize,
    ) -> Result<Vec<RunReport>, StoreError>;
}

/// All of Koppel's state: every role trait in one.
///
/// Implemented automatically for every type implementing all the roles; implement the role
/// traits, never this one. Wiring code holds an `Arc<dyn Store>`; callers take the
/// narrowest role trait they need (a `&dyn Store` upcasts to any of them).
///
/// ```
/// use koppel_core::memory::InMemoryStore;
/// use koppel_core::{ConnectionId, CursorStore, LeaseStore, Store, StoreError};
/// use std::sync::Arc;
///
/// /// A use-case that only moves a cursor takes only the cursor role.
/// async fn move_on(cursors: &dyn CursorStore, connection: &ConnectionId) -> Result<(), StoreError> {
///     let since = "2026-03-01T00:00:00Z";
///     cursors.put_cursor(connection, "invoice-export.updated_since", since).await
/// }
///
/// # tokio_test_runtime(async {
/// let store: Arc<dyn Store> = Arc::new(InMemoryStore::new());
/// move_on(&*store, &ConnectionId::from("c1")).await.unwrap();
/// let leases: Arc<dyn LeaseStore> = store.clone();
/// # let _ = leases;
/// # });
/// # fn tokio_test_runtime(future: impl std::future::Future<Output = ()>) {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
/// # }
/// ```
pub trait Store:
    ConnectionStore
    + DocumentStore
    + CustomerMappingStore
    + ReferenceDataStore
    + CursorStore
    + LeaseStore
    + RunReportStore
    + MergeJobStore
{
}

impl<T> Store for T where
    T: ConnectionStore
        + DocumentStore
        + CustomerMappingStore
        + ReferenceDataStore
        + CursorStore
        + LeaseStore
        + RunReportStore
        + MergeJobStore
{
}

/// Merge jobs: an uploaded merge file's criterion, preview and outcome, per connection.
///
/// Used by the merge-file job (the connection page creates them).
#[async_trait]
pub trait MergeJobStore: Send + Sync {
    /// The merge job `merge_id` of `connection`.
    async fn merge_job(
        &self,
        connection: &ConnectionId,
        merge_id: &str,
    ) -> Result<Option<MergeJob>, StoreError>;
    /// Create or replace a merge job.
    async fn put_merge_job(&self, job: &MergeJob) -> Result<(), StoreError>;
}
