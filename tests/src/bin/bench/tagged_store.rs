//! A [`Store`] that books the memory of Koppel's state (the in-memory store, DynamoDB in
//! production) to [`Part::Store`], so it is not counted as the exporter's heap.

use crate::heap::{Part, in_part};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use koppel_core::{
    AccountId, ClaimOutcome, Connection, ConnectionId, ConnectionStatus, ConnectionStore,
    CursorStore, CustomerMappingStore, CustomerRef, DocumentId, DocumentRecord, DocumentStore,
    LeaseStore, LedgerCustomerId, LedgerReferenceData, MergeJob, MergeJobStore, ReferenceDataStore,
    RunId, RunReport, RunReportStore, Store, StoreError,
};
use std::sync::Arc;

/// Wraps a store; every call's allocations count as [`Part::Store`].
pub struct TaggedStore(pub Arc<dyn Store>);

#[async_trait]
impl ConnectionStore for TaggedStore {
    async fn connection(&self, id: &ConnectionId) -> Result<Option<Connection>, StoreError> {
        in_part(Part::Store, self.0.connection(id)).await
    }

    async fn put_connection(&self, connection: &Connection) -> Result<(), StoreError> {
        in_part(Part::Store, self.0.put_connection(connection)).await
    }

    async fn connections_of_account(
        &self,
        account: &AccountId,
    ) -> Result<Vec<Connection>, StoreError> {
        in_part(Part::Store, self.0.connections_of_account(account)).await
    }

    async fn active_connections(&self) -> Result<Vec<Connection>, StoreError> {
        in_part(Part::Store, self.0.active_connections()).await
    }

    async fn set_connection_status(
        &self,
        id: &ConnectionId,
        status: ConnectionStatus,
        reason: Option<String>,
    ) -> Result<(), StoreError> {
        in_part(
            Part::Store,
            self.0.set_connection_status(id, status, reason),
        )
        .await
    }
}

#[async_trait]
impl DocumentStore for TaggedStore {
    async fn claim_document(
        &self,
        record: &DocumentRecord,
        run_id: &RunId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<ClaimOutcome, StoreError> {
        in_part(
            Part::Store,
            self.0.claim_document(record, run_id, now, until),
        )
        .await
    }

    async fn put_document(&self, record: &DocumentRecord) -> Result<(), StoreError> {
        in_part(Part::Store, self.0.put_document(record)).await
    }

    async fn document(
        &self,
        connection: &ConnectionId,
        document: &DocumentId,
    ) -> Result<Option<DocumentRecord>, StoreError> {
        in_part(Part::Store, self.0.document(connection, document)).await
    }

    async fn unpaid_exported(
        &self,
        connection: &ConnectionId,
    ) -> Result<Vec<DocumentRecord>, StoreError> {
        in_part(Part::Store, self.0.unpaid_exported(connection)).await
    }
}

#[async_trait]
impl CustomerMappingStore for TaggedStore {
    async fn customer_mapping(
        &self,
        connection: &ConnectionId,
        customer: &CustomerRef,
    ) -> Result<Option<LedgerCustomerId>, StoreError> {
        in_part(Part::Store, self.0.customer_mapping(connection, customer)).await
    }

    async fn put_customer_mapping(
        &self,
        connection: &ConnectionId,
        customer: &CustomerRef,
        ledger_customer: &LedgerCustomerId,
    ) -> Result<LedgerCustomerId, StoreError> {
        in_part(
            Part::Store,
            self.0
                .put_customer_mapping(connection, customer, ledger_customer),
        )
        .await
    }

    async fn record_created_customer(
        &self,
        connection: &ConnectionId,
        customer: &CustomerRef,
    ) -> Result<(), StoreError> {
        in_part(
            Part::Store,
            self.0.record_created_customer(connection, customer),
        )
        .await
    }

    async fn created_by_koppel(
        &self,
        connection: &ConnectionId,
        customer: &CustomerRef,
    ) -> Result<bool, StoreError> {
        in_part(Part::Store, self.0.created_by_koppel(connection, customer)).await
    }
}

#[async_trait]
impl ReferenceDataStore for TaggedStore {
    async fn put_reference_data(
        &self,
        connection: &ConnectionId,
        data: &LedgerReferenceData,
        fetched_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        in_part(
            Part::Store,
            self.0.put_reference_data(connection, data, fetched_at),
        )
        .await
    }

    async fn reference_data(
        &self,
        connection: &ConnectionId,
    ) -> Result<Option<(LedgerReferenceData, DateTime<Utc>)>, StoreError> {
        in_part(Part::Store, self.0.reference_data(connection)).await
    }
}

#[async_trait]
impl CursorStore for TaggedStore {
    async fn cursor(
        &self,
        connection: &ConnectionId,
        name: &str,
    ) -> Result<Option<String>, StoreError> {
        in_part(Part::Store, self.0.cursor(connection, name)).await
    }

    async fn put_cursor(
        &self,
        connection: &ConnectionId,
        name: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        in_part(Part::Store, self.0.put_cursor(connection, name, value)).await
    }
}

#[async_trait]
impl MergeJobStore for TaggedStore {
    async fn merge_job(
        &self,
        connection: &ConnectionId,
        merge_id: &str,
    ) -> Result<Option<MergeJob>, StoreError> {
        in_part(Part::Store, self.0.merge_job(connection, merge_id)).await
    }

    async fn put_merge_job(&self, job: &MergeJob) -> Result<(), StoreError> {
        in_part(Part::Store, self.0.put_merge_job(job)).await
    }
}

#[async_trait]
impl LeaseStore for TaggedStore {
    async fn acquire_lease(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        in_part(Part::Store, self.0.acquire_lease(name, owner, now, until)).await
    }

    async fn release_lease(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        in_part(Part::Store, self.0.release_lease(name, owner)).await
    }
}

#[async_trait]
impl RunReportStore for TaggedStore {
    async fn put_run_report(&self, report: &RunReport) -> Result<(), StoreError> {
        in_part(Part::Store, self.0.put_run_report(report)).await
    }

    async fn run_report(
        &self,
        connection: &ConnectionId,
        run: &RunId,
    ) -> Result<Option<RunReport>, StoreError> {
        in_part(Part::Store, self.0.run_report(connection, run)).await
    }

    async fn run_reports(
        &self,
        connection: &ConnectionId,
        limit: usize,
    ) -> Result<Vec<RunReport>, StoreError> {
        in_part(Part::Store, self.0.run_reports(connection, limit)).await
    }
}
