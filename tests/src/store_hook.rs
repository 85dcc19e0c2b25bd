//! A [`Store`] decorator that runs every call through a hook: the benchmark books the
//! store's memory to its own part with it, the chaos harness kills workers and fires
//! faults at chosen store calls with it. One decorator, so a new store method is wrapped
//! once for every use.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use koppel_core::{
    AccountId, ClaimOutcome, Connection, ConnectionId, ConnectionStatus, ConnectionStore,
    CursorStore, CustomerMappingStore, CustomerRef, DocumentId, DocumentRecord, DocumentStore,
    LeaseStore, LedgerCustomerId, LedgerReferenceData, MergeJob, MergeJobStore, ReferenceDataStore,
    RunId, RunReport, RunReportStore, Store, StoreError,
};
use std::sync::Arc;

/// What happens around each store call.
pub trait StoreHook: Send + Sync {
    /// Run `call` (the store method named `name`) and return its result; a hook may do
    /// something before or after it, or never let it finish.
    fn around<'a, T: Send + 'a>(
        &'a self,
        name: &'static str,
        call: BoxFuture<'a, T>,
    ) -> BoxFuture<'a, T>;
}

/// A store whose every call goes through `hook`.
pub struct HookedStore<H> {
    inner: Arc<dyn Store>,
    hook: H,
}

impl<H: StoreHook> HookedStore<H> {
    /// Wrap `inner`.
    pub fn new(inner: Arc<dyn Store>, hook: H) -> Self {
        Self { inner, hook }
    }

    /// The hook.
    pub fn hook(&self) -> &H {
        &self.hook
    }
}

#[async_trait]
impl<H: StoreHook> ConnectionStore for HookedStore<H> {
    async fn connection(&self, id: &ConnectionId) -> Result<Option<Connection>, StoreError> {
        self.hook
            .around("connection", Box::pin(self.inner.connection(id)))
            .await
    }

    async fn put_connection(&self, connection: &Connection) -> Result<(), StoreError> {
        self.hook
            .around(
                "put_connection",
                Box::pin(self.inner.put_connection(connection)),
            )
            .await
    }

    async fn connections_of_account(
        &self,
        account: &AccountId,
    ) -> Result<Vec<Connection>, StoreError> {
        self.hook
            .around(
                "connections_of_account",
                Box::pin(self.inner.connections_of_account(account)),
            )
            .await
    }

    async fn all_connections(&self) -> Result<Vec<Connection>, StoreError> {
        self.hook
            .around("all_connections", Box::pin(self.inner.all_connections()))
            .await
    }

    async fn active_connections(&self) -> Result<Vec<Connection>, StoreError> {
        self.hook
            .around(
                "active_connections",
                Box::pin(self.inner.active_connections()),
            )
            .await
    }

    async fn set_connection_status(
        &self,
        id: &ConnectionId,
        status: ConnectionStatus,
        reason: Option<String>,
    ) -> Result<(), StoreError> {
        self.hook
            .around(
                "set_connection_status",
                Box::pin(self.inner.set_connection_status(id, status, reason)),
            )
            .await
    }
}

#[async_trait]
impl<H: StoreHook> DocumentStore for HookedStore<H> {
    async fn claim_document(
        &self,
        record: &DocumentRecord,
        run_id: &RunId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<ClaimOutcome, StoreError> {
        self.hook
            .around(
                "claim_document",
                Box::pin(self.inner.claim_document(record, run_id, now, until)),
            )
            .await
    }

    async fn put_document(&self, record: &DocumentRecord) -> Result<(), StoreError> {
        self.hook
            .around("put_document", Box::pin(self.inner.put_document(record)))
            .await
    }

    async fn document(
        &self,
        connection: &ConnectionId,
        document: &DocumentId,
    ) -> Result<Option<DocumentRecord>, StoreError> {
        self.hook
            .around(
                "document",
                Box::pin(self.inner.document(connection, document)),
            )
            .await
    }

    async fn documents_changed_since(
        &self,
        connection: &ConnectionId,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<DocumentRecord>, StoreError> {
        self.hook
            .around(
                "documents_changed_since",
                Box::pin(self.inner.documents_changed_since(connection, since)),
            )
            .await
    }

    async fn unpaid_exported(
        &self,
        connection: &ConnectionId,
    ) -> Result<Vec<DocumentRecord>, StoreError> {
        self.hook
            .around(
                "unpaid_exported",
                Box::pin(self.inner.unpaid_exported(connection)),
            )
            .await
    }
}

#[async_trait]
impl<H: StoreHook> CustomerMappingStore for HookedStore<H> {
    async fn customer_mapping(
        &self,
        connection: &ConnectionId,
        customer: &CustomerRef,
    ) -> Result<Option<LedgerCustomerId>, StoreError> {
        self.hook
            .around(
                "customer_mapping",
                Box::pin(self.inner.customer_mapping(connection, customer)),
            )
            .await
    }

    async fn put_customer_mapping(
        &self,
        connection: &ConnectionId,
        customer: &CustomerRef,
        ledger_customer: &LedgerCustomerId,
    ) -> Result<LedgerCustomerId, StoreError> {
        self.hook
            .around(
                "put_customer_mapping",
                Box::pin(
                    self.inner
                        .put_customer_mapping(connection, customer, ledger_customer),
                ),
            )
            .await
    }

    async fn record_created_customer(
        &self,
        connection: &ConnectionId,
        customer: &CustomerRef,
    ) -> Result<(), StoreError> {
        self.hook
            .around(
                "record_created_customer",
                Box::pin(self.inner.record_created_customer(connection, customer)),
            )
            .await
    }

    async fn created_by_koppel(
        &self,
        connection: &ConnectionId,
        customer: &CustomerRef,
    ) -> Result<bool, StoreError> {
        self.hook
            .around(
                "created_by_koppel",
                Box::pin(self.inner.created_by_koppel(connection, customer)),
            )
            .await
    }
}

#[async_trait]
impl<H: StoreHook> ReferenceDataStore for HookedStore<H> {
    async fn put_reference_data(
        &self,
        connection: &ConnectionId,
        data: &LedgerReferenceData,
        fetched_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.hook
            .around(
                "put_reference_data",
                Box::pin(self.inner.put_reference_data(connection, data, fetched_at)),
            )
            .await
    }

    async fn reference_data(
        &self,
        connection: &ConnectionId,
    ) -> Result<Option<(LedgerReferenceData, DateTime<Utc>)>, StoreError> {
        self.hook
            .around(
                "reference_data",
                Box::pin(self.inner.reference_data(connection)),
            )
            .await
    }
}

#[async_trait]
impl<H: StoreHook> CursorStore for HookedStore<H> {
    async fn cursor(
        &self,
        connection: &ConnectionId,
        name: &str,
    ) -> Result<Option<String>, StoreError> {
        self.hook
            .around("cursor", Box::pin(self.inner.cursor(connection, name)))
            .await
    }

    async fn put_cursor(
        &self,
        connection: &ConnectionId,
        name: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        self.hook
            .around(
                "put_cursor",
                Box::pin(self.inner.put_cursor(connection, name, value)),
            )
            .await
    }
}

#[async_trait]
impl<H: StoreHook> MergeJobStore for HookedStore<H> {
    async fn merge_job(
        &self,
        connection: &ConnectionId,
        merge_id: &str,
    ) -> Result<Option<MergeJob>, StoreError> {
        self.hook
            .around(
                "merge_job",
                Box::pin(self.inner.merge_job(connection, merge_id)),
            )
            .await
    }

    async fn put_merge_job(&self, job: &MergeJob) -> Result<(), StoreError> {
        self.hook
            .around("put_merge_job", Box::pin(self.inner.put_merge_job(job)))
            .await
    }
}

#[async_trait]
impl<H: StoreHook> LeaseStore for HookedStore<H> {
    async fn acquire_lease(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.hook
            .around(
                "acquire_lease",
                Box::pin(self.inner.acquire_lease(name, owner, now, until)),
            )
            .await
    }

    async fn release_lease(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        self.hook
            .around(
                "release_lease",
                Box::pin(self.inner.release_lease(name, owner)),
            )
            .await
    }
}

#[async_trait]
impl<H: StoreHook> RunReportStore for HookedStore<H> {
    async fn put_run_report(&self, report: &RunReport) -> Result<(), StoreError> {
        self.hook
            .around(
                "put_run_report",
                Box::pin(self.inner.put_run_report(report)),
            )
            .await
    }

    async fn run_report(
        &self,
        connection: &ConnectionId,
        run: &RunId,
    ) -> Result<Option<RunReport>, StoreError> {
        self.hook
            .around(
                "run_report",
                Box::pin(self.inner.run_report(connection, run)),
            )
            .await
    }

    async fn run_reports(
        &self,
        connection: &ConnectionId,
        limit: usize,
    ) -> Result<Vec<RunReport>, StoreError> {
        self.hook
            .around(
                "run_reports",
                Box::pin(self.inner.run_reports(connection, limit)),
            )
            .await
    }
}
