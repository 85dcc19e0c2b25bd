//! Koppel's own state (DynamoDB in production): connections, document records with the
//! claim that makes export exactly-once, customer mappings, reference data, cursors, leases
//! and run reports.

use crate::{
    AccountId, Connection, ConnectionId, ConnectionStatus, CustomerRef, DocumentId, DocumentRecord,
    LedgerCustomerId, LedgerReferenceData, RunId, RunReport,
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

/// Koppel's state.
#[async_trait]
pub trait Store: Send + Sync {
    // --- connections
    /// A connection by id.
    async fn connection(&self, id: &ConnectionId) -> Result<Option<Connection>, StoreError>;
    /// Create or replace a connection.
    async fn put_connection(&self, connection: &Connection) -> Result<(), StoreError>;
    /// Every connection of a Teamleader account (tenant isolation: only these).
    async fn connections_of_account(
        &self,
        account: &AccountId,
    ) -> Result<Vec<Connection>, StoreError>;
    /// Every active connection (for the dispatcher).
    async fn active_connections(&self) -> Result<Vec<Connection>, StoreError>;
    /// Change a connection's status with a reason for the user.
    async fn set_connection_status(
        &self,
        id: &ConnectionId,
        status: ConnectionStatus,
        reason: Option<String>,
    ) -> Result<(), StoreError>;

    // --- documents
    /// Claim a document for export (conditional write): succeeds when it is new, pending,
    /// failed, or its previous claim lapsed before `now`.
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
    /// Exported documents not yet paid (from the sparse index; never a scan).
    async fn unpaid_exported(
        &self,
        connection: &ConnectionId,
    ) -> Result<Vec<DocumentRecord>, StoreError>;

    // --- customers
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

    // --- reference data and cursors
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

    // --- leases
    /// Take the lease `name` for `owner` until `until`, if it is free or lapsed at `now` (or
    /// already ours). True when taken.
    async fn acquire_lease(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Give the lease back (only if `owner` holds it).
    async fn release_lease(&self, name: &str, owner: &str) -> Result<(), StoreError>;

    // --- reports
    /// Create or replace a run report.
    async fn put_run_report(&self, report: &RunReport) -> Result<(), StoreError>;
    /// A run report.
    async fn run_report(
        &self,
        connection: &ConnectionId,
        run: &RunId,
    ) -> Result<Option<RunReport>, StoreError>;
    /// The latest reports of a connection, newest first.
    async fn run_reports(
        &self,
        connection: &ConnectionId,
        limit: usize,
    ) -> Result<Vec<RunReport>, StoreError>;
}
