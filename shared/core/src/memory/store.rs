//! Koppel's state in memory, with the same conditional semantics as the DynamoDB store.

use super::lock;
use crate::{
    AccountId, ClaimOutcome, Connection, ConnectionId, ConnectionStatus, ConnectionStore,
    CursorStore, CustomerMappingStore, CustomerRef, DocumentId, DocumentRecord, DocumentStore,
    ExportState, LeaseStore, LedgerCustomerId, LedgerReferenceData, MergeJob, MergeJobStore,
    ReferenceDataStore, RunId, RunReport, RunReportStore, StoreError,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// [`Store`](crate::Store) in memory (every role trait). Every call takes one lock for its whole read-check-write, so the
/// conditional operations (claim, put-if-absent mapping, lease) are atomic like DynamoDB's
/// conditional writes.
///
/// Tests can look inside with [`InMemoryStore::documents`] and [`InMemoryStore::lease`], and
/// make every call fail with [`InMemoryStore::fail_calls`].
#[derive(Debug, Default)]
pub struct InMemoryStore {
    state: Mutex<StoreState>,
}

/// Everything the store holds.
#[derive(Debug, Default)]
struct StoreState {
    /// Connections by id.
    connections: BTreeMap<ConnectionId, Connection>,
    /// Document records by connection and document.
    documents: BTreeMap<(ConnectionId, DocumentId), DocumentRecord>,
    /// Ledger customer by connection and `CustomerRef::key`.
    customer_mappings: HashMap<(ConnectionId, String), LedgerCustomerId>,
    created_customers: std::collections::HashSet<(ConnectionId, String)>,
    /// Current ledger lists and when they were fetched.
    reference_data: HashMap<ConnectionId, (LedgerReferenceData, DateTime<Utc>)>,
    /// Named cursors.
    cursors: HashMap<(ConnectionId, String), String>,
    /// Lease name → (owner, until).
    leases: HashMap<String, (String, DateTime<Utc>)>,
    /// Run reports by connection and run.
    reports: HashMap<(ConnectionId, RunId), RunReport>,
    /// Merge jobs by connection and id.
    merge_jobs: HashMap<(ConnectionId, String), MergeJob>,
    /// When set, every call fails with this message.
    failure: Option<String>,
}

impl StoreState {
    /// Fails when the test asked for failures.
    fn check_available(&self) -> Result<(), StoreError> {
        match &self.failure {
            Some(message) => Err(StoreError::Unavailable(message.clone())),
            None => Ok(()),
        }
    }
}

impl InMemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every document record of a connection, by document id.
    pub fn documents(&self, connection: &ConnectionId) -> Vec<DocumentRecord> {
        lock(&self.state)
            .documents
            .iter()
            .filter(|((owner, _), _)| owner == connection)
            .map(|(_, record)| record.clone())
            .collect()
    }

    /// Who holds lease `name` and until when, whether or not it has lapsed.
    pub fn lease(&self, name: &str) -> Option<(String, DateTime<Utc>)> {
        lock(&self.state).leases.get(name).cloned()
    }

    /// Makes every following call fail with [`StoreError::Unavailable`] carrying `message`
    /// (`None` makes the store work again).
    pub fn fail_calls(&self, message: Option<&str>) {
        lock(&self.state).failure = message.map(str::to_owned);
    }
}

/// What a claim finds: `Claimed { previous }` when the document may be taken (the caller then
/// writes the claim), `AlreadyExported` or `Busy` when it may not.
fn claim_decision(
    existing: Option<&DocumentRecord>,
    run_id: &RunId,
    now: DateTime<Utc>,
) -> ClaimOutcome {
    let Some(existing) = existing else {
        return ClaimOutcome::Claimed { previous: None };
    };
    let previous = Some(existing.clone());
    match &existing.state {
        ExportState::Pending | ExportState::Failed { .. } => ClaimOutcome::Claimed { previous },
        ExportState::Exported { .. } => ClaimOutcome::AlreadyExported(existing.clone()),
        ExportState::Exporting {
            run_id: holder,
            until,
        } if holder != run_id && *until > now => ClaimOutcome::Busy(existing.clone()),
        ExportState::Exporting { .. } => ClaimOutcome::Claimed { previous },
    }
}

#[async_trait]
impl ConnectionStore for InMemoryStore {
    async fn connection(&self, id: &ConnectionId) -> Result<Option<Connection>, StoreError> {
        let state = lock(&self.state);
        state.check_available()?;
        Ok(state.connections.get(id).cloned())
    }

    async fn put_connection(&self, connection: &Connection) -> Result<(), StoreError> {
        let mut state = lock(&self.state);
        state.check_available()?;
        state
            .connections
            .insert(connection.id.clone(), connection.clone());
        Ok(())
    }

    async fn connections_of_account(
        &self,
        account: &AccountId,
    ) -> Result<Vec<Connection>, StoreError> {
        let state = lock(&self.state);
        state.check_available()?;
        Ok(state
            .connections
            .values()
            .filter(|c| &c.account_id == account)
            .cloned()
            .collect())
    }

    async fn active_connections(&self) -> Result<Vec<Connection>, StoreError> {
        let state = lock(&self.state);
        state.check_available()?;
        Ok(state
            .connections
            .values()
            .filter(|c| c.status == ConnectionStatus::Active)
            .cloned()
            .collect())
    }

    async fn all_connections(&self) -> Result<Vec<Connection>, StoreError> {
        let state = lock(&self.state);
        state.check_available()?;
        let mut all: Vec<Connection> = state.connections.values().cloned().collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(all)
    }

    /// Sets status and reason; a connection that does not exist is left alone (no error).
    async fn set_connection_status(
        &self,
        id: &ConnectionId,
        status: ConnectionStatus,
        reason: Option<String>,
    ) -> Result<(), StoreError> {
        let mut state = lock(&self.state);
        state.check_available()?;
        if let Some(connection) = state.connections.get_mut(id) {
            connection.status = status;
            connection.status_reason = reason;
        }
        Ok(())
    }
}

#[async_trait]
impl DocumentStore for InMemoryStore {
    /// On success the stored record is `record` with state `Exporting { run_id, until }`,
    /// `attempts` one more than the previous record's (1 when new) and `updated_at = now`.
    /// A live claim of the same run is taken again (a redelivered message); a claim whose
    /// `until` is at or before `now` has lapsed.
    async fn claim_document(
        &self,
        record: &DocumentRecord,
        run_id: &RunId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<ClaimOutcome, StoreError> {
        let mut state = lock(&self.state);
        state.check_available()?;
        let key = (record.connection_id.clone(), record.document_id.clone());
        let outcome = claim_decision(state.documents.get(&key), run_id, now);
        if let ClaimOutcome::Claimed { previous } = &outcome {
            let claimed = DocumentRecord {
                state: ExportState::Exporting {
                    run_id: run_id.clone(),
                    until,
                },
                attempts: previous.as_ref().map_or(0, |p| p.attempts) + 1,
                updated_at: now,
                ..record.clone()
            };
            state.documents.insert(key, claimed);
        }
        Ok(outcome)
    }

    async fn put_document(&self, record: &DocumentRecord) -> Result<(), StoreError> {
        let mut state = lock(&self.state);
        state.check_available()?;
        state.documents.insert(
            (record.connection_id.clone(), record.document_id.clone()),
            record.clone(),
        );
        Ok(())
    }

    async fn document(
        &self,
        connection: &ConnectionId,
        document: &DocumentId,
    ) -> Result<Option<DocumentRecord>, StoreError> {
        let state = lock(&self.state);
        state.check_available()?;
        Ok(state
            .documents
            .get(&(connection.clone(), document.clone()))
            .cloned())
    }

    /// Ordered by document id, like the sparse index's sort key.
    async fn documents_changed_since(
        &self,
        connection: &ConnectionId,
        since: DateTime<Utc>,
    ) -> Result<Vec<DocumentRecord>, StoreError> {
        let state = lock(&self.state);
        state.check_available()?;
        Ok(state
            .documents
            .iter()
            .filter(|((owner, _), record)| owner == connection && record.updated_at >= since)
            .map(|(_, record)| record.clone())
            .collect())
    }

    async fn unpaid_exported(
        &self,
        connection: &ConnectionId,
    ) -> Result<Vec<DocumentRecord>, StoreError> {
        let state = lock(&self.state);
        state.check_available()?;
        Ok(state
            .documents
            .iter()
            .filter(|((owner, _), record)| owner == connection && record.awaits_payment())
            .map(|(_, record)| record.clone())
            .collect())
    }
}

#[async_trait]
impl CustomerMappingStore for InMemoryStore {
    async fn customer_mapping(
        &self,
        connection: &ConnectionId,
        customer: &CustomerRef,
    ) -> Result<Option<LedgerCustomerId>, StoreError> {
        let state = lock(&self.state);
        state.check_available()?;
        Ok(state
            .customer_mappings
            .get(&(connection.clone(), customer.key()))
            .cloned())
    }

    async fn put_customer_mapping(
        &self,
        connection: &ConnectionId,
        customer: &CustomerRef,
        ledger_customer: &LedgerCustomerId,
    ) -> Result<LedgerCustomerId, StoreError> {
        let mut state = lock(&self.state);
        state.check_available()?;
        Ok(state
            .customer_mappings
            .entry((connection.clone(), customer.key()))
            .or_insert_with(|| ledger_customer.clone())
            .clone())
    }

    async fn record_created_customer(
        &self,
        connection: &ConnectionId,
        customer: &CustomerRef,
    ) -> Result<(), StoreError> {
        let mut state = lock(&self.state);
        state.check_available()?;
        state
            .created_customers
            .insert((connection.clone(), customer.key()));
        Ok(())
    }

    async fn created_by_koppel(
        &self,
        connection: &ConnectionId,
        customer: &CustomerRef,
    ) -> Result<bool, StoreError> {
        let state = lock(&self.state);
        state.check_available()?;
        Ok(state
            .created_customers
            .contains(&(connection.clone(), customer.key())))
    }
}

#[async_trait]
impl ReferenceDataStore for InMemoryStore {
    async fn put_reference_data(
        &self,
        connection: &ConnectionId,
        data: &LedgerReferenceData,
        fetched_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut state = lock(&self.state);
        state.check_available()?;
        state
            .reference_data
            .insert(connection.clone(), (data.clone(), fetched_at));
        Ok(())
    }

    async fn reference_data(
        &self,
        connection: &ConnectionId,
    ) -> Result<Option<(LedgerReferenceData, DateTime<Utc>)>, StoreError> {
        let state = lock(&self.state);
        state.check_available()?;
        Ok(state.reference_data.get(connection).cloned())
    }
}

#[async_trait]
impl CursorStore for InMemoryStore {
    async fn cursor(
        &self,
        connection: &ConnectionId,
        name: &str,
    ) -> Result<Option<String>, StoreError> {
        let state = lock(&self.state);
        state.check_available()?;
        Ok(state
            .cursors
            .get(&(connection.clone(), name.to_owned()))
            .cloned())
    }

    async fn put_cursor(
        &self,
        connection: &ConnectionId,
        name: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        let mut state = lock(&self.state);
        state.check_available()?;
        state
            .cursors
            .insert((connection.clone(), name.to_owned()), value.to_owned());
        Ok(())
    }
}

#[async_trait]
impl LeaseStore for InMemoryStore {
    async fn acquire_lease(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut state = lock(&self.state);
        state.check_available()?;
        let taken_by_other = state
            .leases
            .get(name)
            .is_some_and(|(holder, holder_until)| holder != owner && *holder_until > now);
        if taken_by_other {
            return Ok(false);
        }
        state
            .leases
            .insert(name.to_owned(), (owner.to_owned(), until));
        Ok(true)
    }

    async fn release_lease(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        let mut state = lock(&self.state);
        state.check_available()?;
        if state
            .leases
            .get(name)
            .is_some_and(|(holder, _)| holder == owner)
        {
            state.leases.remove(name);
        }
        Ok(())
    }
}

#[async_trait]
impl MergeJobStore for InMemoryStore {
    async fn merge_job(
        &self,
        connection: &ConnectionId,
        merge_id: &str,
    ) -> Result<Option<MergeJob>, StoreError> {
        let state = lock(&self.state);
        state.check_available()?;
        Ok(state
            .merge_jobs
            .get(&(connection.clone(), merge_id.to_owned()))
            .cloned())
    }

    async fn put_merge_job(&self, job: &MergeJob) -> Result<(), StoreError> {
        let mut state = lock(&self.state);
        state.check_available()?;
        state.merge_jobs.insert(
            (job.connection_id.clone(), job.merge_id.clone()),
            job.clone(),
        );
        Ok(())
    }
}

#[async_trait]
impl RunReportStore for InMemoryStore {
    async fn put_run_report(&self, report: &RunReport) -> Result<(), StoreError> {
        let mut state = lock(&self.state);
        state.check_available()?;
        state.reports.insert(
            (report.connection_id.clone(), report.run_id.clone()),
            report.clone(),
        );
        Ok(())
    }

    async fn run_report(
        &self,
        connection: &ConnectionId,
        run: &RunId,
    ) -> Result<Option<RunReport>, StoreError> {
        let state = lock(&self.state);
        state.check_available()?;
        Ok(state
            .reports
            .get(&(connection.clone(), run.clone()))
            .cloned())
    }

    async fn run_reports(
        &self,
        connection: &ConnectionId,
        limit: usize,
    ) -> Result<Vec<RunReport>, StoreError> {
        let state = lock(&self.state);
        state.check_available()?;
        let mut reports: Vec<RunReport> = state
            .reports
            .values()
            .filter(|r| &r.connection_id == connection)
            .cloned()
            .collect();
        reports.sort_by(|a, b| {
            b.started_at
                .cmp(&a.started_at)
                .then_with(|| b.run_id.cmp(&a.run_id))
        });
        reports.truncate(limit);
        Ok(reports)
    }
}

#[cfg(test)]
mod tests;

/// The store contract (every role trait) against the in-memory store.
#[cfg(test)]
mod contract {
    crate::store_contract_tests!(async || crate::memory::InMemoryStore::new());
}
