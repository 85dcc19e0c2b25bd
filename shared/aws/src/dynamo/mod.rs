//! [`DynamoStore`]: Koppel's [`Store`](koppel_core::Store) (every role trait) on one
//! DynamoDB table.
//!
//! # Item layout
//! Every item has the string keys `pk` / `sk` (see [`crate::schema`]). Everything a
//! connection owns lives in its partition `CONN#<connection-id>`, so one query reads it.
//!
//! | item | pk | sk | notable attributes |
//! |---|---|---|---|
//! | connection | `CONN#<id>` | `META` | scalar fields as attributes, `settings` JSON; `active_pk`/`active_sk` only when active |
//! | account link | `ACCOUNT#<account>` | `CONN#<id>` | `connection_id` |
//! | document record | `CONN#<id>` | `DOC#<document>` | `state`, `claim_until` (epoch ms, exporting only), `record` JSON; `unpaid_pk`/`unpaid_sk` only when exported and unpaid |
//! | customer mapping | `CONN#<id>` | `CUST#<kind>:<teamleader-id>` | `ledger_customer` |
//! | reference data | `CONN#<id>` | `REFDATA` | `fetched_at`, `data` JSON or (when large) `generation` + `parts` |
//! | reference part | `CONN#<id>` | `REFDATA#<generation>#<n>` | `chunk` (bytes of the JSON) |
//! | cursor | `CONN#<id>` | `CURSOR#<name>` | `value` |
//! | lease | `LEASE#<name>` | `LEASE` | `owner`, `lease_until` (epoch ms), `ttl` |
//! | run report | `CONN#<id>` | `REPORT#<started_at>#<run>` | `report` JSON, `ttl` = started + 90 days |
//! | run pointer | `CONN#<id>` | `RUN#<run>` | `report_sk`, `ttl` |
//!
//! No operation scans: the dispatcher queries `active-index`, the payment poll queries
//! `unpaid-index`, an account's connections are a query on `ACCOUNT#<account>`.
//! docs/DATA-MODEL.md describes the same layout with the reasons behind it.

mod codec;
mod item;
mod keys;

use crate::schema::{
    ACTIVE_INDEX, ACTIVE_PK, ACTIVE_PK_VALUE, ACTIVE_SK, TABLE_PK, TABLE_SK, UNPAID_INDEX,
    UNPAID_PK,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, KeysAndAttributes, Put, ReturnValue,
    ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};
use chrono::{DateTime, Utc};
use codec::{ATTEMPTS, CLAIM_RUN, CLAIM_UNTIL, STATE, STATUS, STATUS_REASON};
use item::{Item, ItemBuilder, ItemReader, key, to_json};
use koppel_core::{
    AccountId, ClaimOutcome, Clock, Connection, ConnectionId, ConnectionStatus, ConnectionStore,
    CursorStore, CustomerMappingStore, CustomerRef, DocumentId, DocumentRecord, DocumentStore,
    ExportState, LeaseStore, LedgerCustomerId, LedgerReferenceData, MergeJob, MergeJobStore,
    ReferenceDataStore, RunId, RunReport, RunReportStore, StoreError, SystemClock,
};
use std::sync::Arc;

/// Largest reference-data JSON kept inline in one item; larger lists are split in parts of
/// this size (the DynamoDB item limit is 400 KB).
pub const REFERENCE_PART_BYTES: usize = 300_000;

/// Most keys one BatchGetItem call takes.
const BATCH_GET_LIMIT: usize = 100;

/// Koppel's state in one DynamoDB table shaped as [`crate::schema`] describes.
#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    clock: Arc<dyn Clock>,
    reference_part_bytes: usize,
}

impl std::fmt::Debug for DynamoStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoStore")
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

impl DynamoStore {
    /// A store on `table` through `client`, with the system clock (used only to hide run
    /// reports whose TTL passed but which DynamoDB has not deleted yet).
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            clock: Arc::new(SystemClock),
            reference_part_bytes: REFERENCE_PART_BYTES,
        }
    }

    /// The same store reading time from `clock` (tests with a scaled clock).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The same store splitting reference data into parts of `bytes` (tests use small parts
    /// to exercise the split without megabytes of data). At least 1 byte.
    pub fn with_reference_part_bytes(mut self, bytes: usize) -> Self {
        self.reference_part_bytes = bytes.max(1);
        self
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The DynamoDB client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn failed<E, R>(&self, operation: &str, error: SdkError<E, R>) -> StoreError
    where
        E: std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        StoreError::Unavailable(format!(
            "DynamoDB {operation} on table {} failed: {}",
            self.table,
            DisplayErrorContext(&error)
        ))
    }

    async fn get(&self, what: &str, pk: String, sk: String) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.failed(&format!("GetItem ({what})"), e))?;
        Ok(output.item.filter(|item| !item.is_empty()))
    }

    async fn put(&self, what: &str, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| self.failed(&format!("PutItem ({what})"), e))?;
        Ok(())
    }

    /// Every item of a partition whose sort key starts with `prefix`, in sort-key order.
    async fn query_prefix(
        &self,
        what: &str,
        pk: String,
        prefix: &str,
    ) -> Result<Vec<Item>, StoreError> {
        self.client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", TABLE_PK)
            .expression_attribute_names("#sk", TABLE_SK)
            .expression_attribute_values(":pk", AttributeValue::S(pk))
            .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned()))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| self.failed(&format!("Query ({what})"), e))
    }

    /// Every item of a sparse index partition.
    async fn query_index(
        &self,
        index: &str,
        hash: &str,
        value: String,
    ) -> Result<Vec<Item>, StoreError> {
        self.client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .key_condition_expression("#h = :h")
            .expression_attribute_names("#h", hash)
            .expression_attribute_values(":h", AttributeValue::S(value))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| self.failed(&format!("Query ({index})"), e))
    }

    async fn transact(&self, what: &str, items: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(|e| self.failed(&format!("TransactWriteItems ({what})"), e))?;
        Ok(())
    }

    fn put_request(&self, item: Item) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Connections by id, in one BatchGetItem per hundred, retrying unprocessed keys.
    async fn connections_by_id(&self, ids: &[ConnectionId]) -> Result<Vec<Connection>, StoreError> {
        let mut connections = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(BATCH_GET_LIMIT) {
            let mut pending: Vec<Item> = chunk
                .iter()
                .map(|id| key(keys::connection_pk(id), keys::CONNECTION_SK))
                .collect();
            let mut attempt = 0u32;
            while !pending.is_empty() {
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(pending))
                    .consistent_read(true)
                    .build()
                    .map_err(build_error)?;
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(|e| self.failed("BatchGetItem (connections)", e))?;
                if let Some(items) = output.responses.as_ref().and_then(|r| r.get(&self.table)) {
                    for item in items {
                        connections.push(codec::connection_from_item(item)?);
                    }
                }
                pending = output
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.table))
                    .map(|k| k.keys)
                    .unwrap_or_default();
                if !pending.is_empty() {
                    attempt += 1;
                    if attempt > 8 {
                        return Err(StoreError::Unavailable(format!(
                            "DynamoDB kept {} connection reads of table {} unprocessed; try again later",
                            pending.len(),
                            self.table
                        )));
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(25 << attempt)).await;
                }
            }
        }
        Ok(connections)
    }

    /// Sets the attempt count of a claim this worker just took, if the claim is still its
    /// own. Best effort: the count is informational, the claim already stands.
    async fn count_attempt(
        &self,
        claimed: &DocumentRecord,
        run_id: &RunId,
        until: DateTime<Utc>,
        attempts: u32,
    ) {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(
                keys::connection_pk(&claimed.connection_id),
                keys::document_sk(&claimed.document_id),
            )))
            .update_expression("SET #attempts = :attempts")
            .condition_expression("#claim_run = :run AND #claim_until = :until")
            .expression_attribute_names("#attempts", ATTEMPTS)
            .expression_attribute_names("#claim_run", CLAIM_RUN)
            .expression_attribute_names("#claim_until", CLAIM_UNTIL)
            .expression_attribute_values(":attempts", AttributeValue::N(attempts.to_string()))
            .expression_attribute_values(":run", s(run_id.as_str()))
            .expression_attribute_values(":until", millis(until))
            .send()
            .await;
        if let Err(error) = result {
            tracing::warn!(
                document = %claimed.document_id,
                error = %DisplayErrorContext(&error),
                "could not count the export attempt"
            );
        }
    }

    /// Deletes the parts of an earlier reference-data generation. Best effort: leftovers are
    /// unreachable (the head names the live generation) and only cost storage.
    async fn delete_reference_parts(
        &self,
        connection: &ConnectionId,
        generation: &str,
        parts: i64,
    ) {
        for part in 0..usize::try_from(parts).unwrap_or(0) {
            let sk = keys::reference_part_sk(generation, part);
            let result = self
                .client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key(keys::connection_pk(connection), sk)))
                .send()
                .await;
            if let Err(error) = result {
                tracing::warn!(
                    connection = %connection,
                    generation,
                    error = %DisplayErrorContext(&error),
                    "could not delete an old reference-data part"
                );
            }
        }
    }

    /// Reads the reference data once; `Ok(None)` inside means the parts named by the head
    /// were replaced meanwhile (read again).
    async fn read_reference_once(
        &self,
        connection: &ConnectionId,
    ) -> Result<Option<Option<(LedgerReferenceData, DateTime<Utc>)>>, StoreError> {
        let pk = keys::connection_pk(connection);
        let Some(head) = self
            .get("reference data", pk.clone(), keys::REFERENCE_SK.to_owned())
            .await?
        else {
            return Ok(Some(None));
        };
        let reader = ItemReader::new("reference data", &head);
        let fetched_at = reader.time("fetched_at")?;
        let parts = reader.opt_n("parts")?.unwrap_or(0);
        if parts == 0 {
            return Ok(Some(Some((reader.json("data")?, fetched_at))));
        }
        let generation = reader.s("generation")?;
        let items = self
            .query_prefix(
                "reference parts",
                pk,
                &keys::reference_part_prefix(generation),
            )
            .await?;
        if i64::try_from(items.len()).ok() != Some(parts) {
            return Ok(None);
        }
        let mut bytes = Vec::new();
        for item in &items {
            bytes.extend_from_slice(ItemReader::new("reference part", item).bytes("chunk")?);
        }
        let data = serde_json::from_slice(&bytes)
            .map_err(|e| reader.corrupt(format!("the {parts} parts do not decode: {e}")))?;
        Ok(Some(Some((data, fetched_at))))
    }
}

fn build_error(error: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Unavailable(format!("could not build a DynamoDB request: {error}"))
}

/// The item a failed condition check returned, if the error is a failed condition.
fn put_condition_item(
    error: &SdkError<PutItemError, impl std::fmt::Debug>,
) -> Option<Option<Item>> {
    match error.as_service_error() {
        Some(PutItemError::ConditionalCheckFailedException(e)) => {
            Some(e.item().filter(|i| !i.is_empty()).cloned())
        }
        _ => None,
    }
}

fn millis(at: DateTime<Utc>) -> AttributeValue {
    AttributeValue::N(at.timestamp_millis().to_string())
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

#[async_trait]
impl ConnectionStore for DynamoStore {
    async fn connection(&self, id: &ConnectionId) -> Result<Option<Connection>, StoreError> {
        let item = self
            .get(
                "connection",
                keys::connection_pk(id),
                keys::CONNECTION_SK.to_owned(),
            )
            .await?;
        item.as_ref().map(codec::connection_from_item).transpose()
    }

    async fn put_connection(&self, connection: &Connection) -> Result<(), StoreError> {
        let items = vec![
            self.put_request(codec::connection_item(connection)?)?,
            self.put_request(codec::account_link_item(connection))?,
        ];
        self.transact("connection", items).await
    }

    async fn connections_of_account(
        &self,
        account: &AccountId,
    ) -> Result<Vec<Connection>, StoreError> {
        let links = self
            .query_prefix(
                "account connections",
                keys::account_pk(account),
                keys::ACCOUNT_LINK_PREFIX,
            )
            .await?;
        let ids = links
            .iter()
            .map(codec::connection_id_of_link)
            .collect::<Result<Vec<_>, _>>()?;
        let mut connections = self.connections_by_id(&ids).await?;
        // A link left behind by a connection moved to another account must not leak it.
        connections.retain(|c| &c.account_id == account);
        connections.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(connections)
    }

    async fn active_connections(&self) -> Result<Vec<Connection>, StoreError> {
        let mut connections = self.all_connections().await?;
        // The index is eventually consistent: trust the item's own status.
        connections.retain(|c| c.status == ConnectionStatus::Active);
        Ok(connections)
    }

    async fn all_connections(&self) -> Result<Vec<Connection>, StoreError> {
        let items = self
            .query_index(ACTIVE_INDEX, ACTIVE_PK, ACTIVE_PK_VALUE.to_owned())
            .await?;
        items.iter().map(codec::connection_from_item).collect()
    }

    async fn set_connection_status(
        &self,
        id: &ConnectionId,
        status: ConnectionStatus,
        reason: Option<String>,
    ) -> Result<(), StoreError> {
        let what = format!("connection {id}");
        let mut sets = vec!["#status = :status"];
        let mut removes = Vec::new();
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(keys::connection_pk(id), keys::CONNECTION_SK)))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", TABLE_PK)
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_names("#reason", STATUS_REASON)
            .expression_attribute_names("#apk", ACTIVE_PK)
            .expression_attribute_names("#ask", ACTIVE_SK)
            .expression_attribute_values(":status", s(item::enum_name(&what, &status)?));
        match reason {
            Some(reason) => {
                sets.push("#reason = :reason");
                request = request.expression_attribute_values(":reason", s(reason));
            }
            None => removes.push("#reason"),
        }
        // Every connection stays in the index (see `ACTIVE_INDEX`); set for items written
        // when only active ones were.
        sets.push("#apk = :apk");
        sets.push("#ask = :ask");
        request = request
            .expression_attribute_values(":apk", s(ACTIVE_PK_VALUE))
            .expression_attribute_values(":ask", s(id.as_str()));
        let mut expression = format!("SET {}", sets.join(", "));
        if !removes.is_empty() {
            expression.push_str(&format!(" REMOVE {}", removes.join(", ")));
        }
        match request.update_expression(expression).send().await {
            Ok(_) => Ok(()),
            Err(error)
                if matches!(
                    error.as_service_error(),
                    Some(UpdateItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                // Like the in-memory store: changing a connection that is gone changes nothing.
                tracing::warn!(connection = %id, "status change for a connection that does not exist ignored");
                Ok(())
            }
            Err(error) => Err(self.failed("UpdateItem (connection status)", error)),
        }
    }
}

#[async_trait]
impl DocumentStore for DynamoStore {
    async fn claim_document(
        &self,
        record: &DocumentRecord,
        run_id: &RunId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<ClaimOutcome, StoreError> {
        let mut claimed = record.clone();
        claimed.state = ExportState::Exporting {
            run_id: run_id.clone(),
            until,
        };
        claimed.updated_at = now;
        // `attempts` counts from the stored record; the claim itself is one conditional put
        // (atomic per item), the count is corrected right after when a previous record existed.
        claimed.attempts = 1;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(codec::document_item(&claimed)?))
            .condition_expression(
                "attribute_not_exists(#pk) OR #state IN (:pending, :failed) \
                 OR (#state = :exporting AND (#claim_until <= :now OR #claim_run = :run))",
            )
            .expression_attribute_names("#pk", TABLE_PK)
            .expression_attribute_names("#state", STATE)
            .expression_attribute_names("#claim_until", CLAIM_UNTIL)
            .expression_attribute_names("#claim_run", CLAIM_RUN)
            .expression_attribute_values(":pending", s(ExportState::Pending.name()))
            .expression_attribute_values(":failed", s("failed"))
            .expression_attribute_values(":exporting", s("exporting"))
            .expression_attribute_values(":now", millis(now))
            .expression_attribute_values(":run", s(run_id.as_str()))
            .return_values(ReturnValue::AllOld)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => {
                let previous = output.attributes.filter(|item| !item.is_empty());
                let previous = previous
                    .as_ref()
                    .map(codec::document_from_item)
                    .transpose()?;
                if let Some(previous) = &previous {
                    self.count_attempt(
                        &claimed,
                        run_id,
                        until,
                        previous.attempts.saturating_add(1),
                    )
                    .await;
                }
                Ok(ClaimOutcome::Claimed { previous })
            }
            Err(error) => {
                let Some(existing) = put_condition_item(&error) else {
                    return Err(self.failed("PutItem (claim document)", error));
                };
                let existing = match existing {
                    Some(item) => codec::document_from_item(&item)?,
                    // Older emulators do not return the item: read it.
                    None => self.document(&record.connection_id, &record.document_id).await?.ok_or_else(|| {
                        StoreError::Unavailable(format!(
                            "claiming document {} was refused but its record is gone; try again",
                            record.document_id
                        ))
                    })?,
                };
                Ok(match existing.state {
                    ExportState::Exported { .. } => ClaimOutcome::AlreadyExported(existing),
                    _ => ClaimOutcome::Busy(existing),
                })
            }
        }
    }

    async fn put_document(&self, record: &DocumentRecord) -> Result<(), StoreError> {
        self.put("document record", codec::document_item(record)?)
            .await
    }

    async fn document(
        &self,
        connection: &ConnectionId,
        document: &DocumentId,
    ) -> Result<Option<DocumentRecord>, StoreError> {
        let item = self
            .get(
                "document record",
                keys::connection_pk(connection),
                keys::document_sk(document),
            )
            .await?;
        item.as_ref().map(codec::document_from_item).transpose()
    }

    async fn documents_changed_since(
        &self,
        connection: &ConnectionId,
        since: DateTime<Utc>,
    ) -> Result<Vec<DocumentRecord>, StoreError> {
        let items = self
            .query_prefix(
                "document records",
                keys::connection_pk(connection),
                keys::DOCUMENT_PREFIX,
            )
            .await?;
        let mut records = items
            .iter()
            .map(codec::document_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        records.retain(|r| r.updated_at >= since);
        Ok(records)
    }

    async fn unpaid_exported(
        &self,
        connection: &ConnectionId,
    ) -> Result<Vec<DocumentRecord>, StoreError> {
        let items = self
            .query_index(UNPAID_INDEX, UNPAID_PK, keys::unpaid_pk(connection))
            .await?;
        let mut records = items
            .iter()
            .map(codec::document_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        // The index is eventually consistent: trust the record itself.
        records.retain(DocumentRecord::awaits_payment);
        Ok(records)
    }
}

#[async_trait]
impl CustomerMappingStore for DynamoStore {
    async fn customer_mapping(
        &self,
        connection: &ConnectionId,
        customer: &CustomerRef,
    ) -> Result<Option<LedgerCustomerId>, StoreError> {
        let item = self
            .get(
                "customer mapping",
                keys::connection_pk(connection),
                keys::customer_sk(customer),
            )
            .await?;
        item.as_ref()
            .map(|item| {
                ItemReader::new("customer mapping", item)
                    .s("ledger_customer")
                    .map(LedgerCustomerId::new)
            })
            .transpose()
    }

    async fn put_customer_mapping(
        &self,
        connection: &ConnectionId,
        customer: &CustomerRef,
        ledger_customer: &LedgerCustomerId,
    ) -> Result<LedgerCustomerId, StoreError> {
        let item = ItemBuilder::keyed(keys::connection_pk(connection), keys::customer_sk(customer))
            .s(codec::ENTITY, "customer_mapping")
            .s("customer", customer.key())
            .s("ledger_customer", ledger_customer.as_str())
            .build();
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", TABLE_PK)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(ledger_customer.clone()),
            Err(error) => match put_condition_item(&error) {
                Some(Some(existing)) => Ok(LedgerCustomerId::new(
                    ItemReader::new("customer mapping", &existing).s("ledger_customer")?,
                )),
                Some(None) => self
                    .customer_mapping(connection, customer)
                    .await?
                    .ok_or_else(|| {
                        StoreError::Unavailable(format!(
                            "the mapping of {customer} changed while writing it; try again"
                        ))
                    }),
                None => Err(self.failed("PutItem (customer mapping)", error)),
            },
        }
    }

    async fn record_created_customer(
        &self,
        connection: &ConnectionId,
        customer: &CustomerRef,
    ) -> Result<(), StoreError> {
        let item = ItemBuilder::keyed(
            keys::connection_pk(connection),
            keys::created_customer_sk(customer),
        )
        .s(codec::ENTITY, "created_customer")
        .s("customer", customer.key())
        .build();
        self.put("created customer", item).await
    }

    async fn created_by_koppel(
        &self,
        connection: &ConnectionId,
        customer: &CustomerRef,
    ) -> Result<bool, StoreError> {
        Ok(self
            .get(
                "created customer",
                keys::connection_pk(connection),
                keys::created_customer_sk(customer),
            )
            .await?
            .is_some())
    }
}

#[async_trait]
impl ReferenceDataStore for DynamoStore {
    async fn put_reference_data(
        &self,
        connection: &ConnectionId,
        data: &LedgerReferenceData,
        fetched_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let json = to_json(&format!("reference data of {connection}"), data)?;
        let pk = keys::connection_pk(connection);
        let mut head = ItemBuilder::keyed(pk.clone(), keys::REFERENCE_SK)
            .s(codec::ENTITY, "reference_data")
            .time("fetched_at", fetched_at)
            .n("bytes", i64::try_from(json.len()).unwrap_or(i64::MAX));
        if json.len() <= self.reference_part_bytes {
            head = head.s("data", json).n("parts", 0);
        } else {
            // Parts first, under a fresh generation; the head naming it is written last, so a
            // reader sees either the old lists or the complete new ones.
            let generation = uuid::Uuid::new_v4().to_string();
            let chunks: Vec<&[u8]> = json.as_bytes().chunks(self.reference_part_bytes).collect();
            for (part, chunk) in chunks.iter().enumerate() {
                let item =
                    ItemBuilder::keyed(pk.clone(), keys::reference_part_sk(&generation, part))
                        .s(codec::ENTITY, "reference_part")
                        .bytes("chunk", chunk.to_vec())
                        .build();
                self.put("reference part", item).await?;
            }
            head = head
                .s("generation", generation)
                .n("parts", i64::try_from(chunks.len()).unwrap_or(i64::MAX));
        }
        let output = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(head.build()))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| self.failed("PutItem (reference data)", e))?;
        if let Some(old) = output.attributes.filter(|item| !item.is_empty()) {
            let reader = ItemReader::new("reference data", &old);
            if let (Ok(Some(generation)), Ok(Some(parts))) =
                (reader.opt_s("generation"), reader.opt_n("parts"))
            {
                self.delete_reference_parts(connection, generation, parts)
                    .await;
            }
        }
        Ok(())
    }

    async fn reference_data(
        &self,
        connection: &ConnectionId,
    ) -> Result<Option<(LedgerReferenceData, DateTime<Utc>)>, StoreError> {
        for _ in 0..3 {
            if let Some(found) = self.read_reference_once(connection).await? {
                return Ok(found);
            }
        }
        Err(StoreError::Unavailable(format!(
            "the reference data of {connection} kept changing while being read; try again"
        )))
    }
}

#[async_trait]
impl CursorStore for DynamoStore {
    async fn cursor(
        &self,
        connection: &ConnectionId,
        name: &str,
    ) -> Result<Option<String>, StoreError> {
        let item = self
            .get(
                "cursor",
                keys::connection_pk(connection),
                keys::cursor_sk(name),
            )
            .await?;
        item.as_ref()
            .map(|item| {
                ItemReader::new("cursor", item)
                    .s("value")
                    .map(str::to_owned)
            })
            .transpose()
    }

    async fn put_cursor(
        &self,
        connection: &ConnectionId,
        name: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        let item = ItemBuilder::keyed(keys::connection_pk(connection), keys::cursor_sk(name))
            .s(codec::ENTITY, "cursor")
            .s("value", value)
            .build();
        self.put("cursor", item).await
    }
}

#[async_trait]
impl MergeJobStore for DynamoStore {
    async fn merge_job(
        &self,
        connection: &ConnectionId,
        merge_id: &str,
    ) -> Result<Option<MergeJob>, StoreError> {
        let item = self
            .get(
                "merge job",
                keys::connection_pk(connection),
                keys::merge_sk(merge_id),
            )
            .await?;
        item.as_ref()
            .map(|item| ItemReader::new("merge job", item).json(codec::MERGE))
            .transpose()
    }

    async fn put_merge_job(&self, job: &MergeJob) -> Result<(), StoreError> {
        let what = format!("merge job {}", job.merge_id);
        let item = ItemBuilder::keyed(
            keys::connection_pk(&job.connection_id),
            keys::merge_sk(&job.merge_id),
        )
        .s(codec::ENTITY, "merge_job")
        .s(codec::MERGE, to_json(&what, job)?)
        .build();
        self.put("merge job", item).await
    }
}

#[async_trait]
impl LeaseStore for DynamoStore {
    async fn acquire_lease(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let item = ItemBuilder::keyed(keys::lease_pk(name), keys::LEASE_SK)
            .s(codec::ENTITY, "lease")
            .s("owner", owner)
            .n("lease_until", until.timestamp_millis())
            // Forgotten leases disappear a day after they lapse.
            .n(
                crate::schema::TTL_ATTRIBUTE,
                (until + chrono::Duration::days(1)).timestamp(),
            )
            .build();
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk) OR #until <= :now OR #owner = :owner")
            .expression_attribute_names("#pk", TABLE_PK)
            .expression_attribute_names("#until", "lease_until")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":now", millis(now))
            .expression_attribute_values(":owner", s(owner))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if put_condition_item(&error).is_some() => Ok(false),
            Err(error) => Err(self.failed("PutItem (lease)", error)),
        }
    }

    async fn release_lease(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(keys::lease_pk(name), keys::LEASE_SK)))
            .condition_expression("#owner = :owner")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":owner", s(owner))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Someone else holds it (ours lapsed and was taken over), or it is gone: nothing to give back.
            Err(error)
                if matches!(
                    error.as_service_error(),
                    Some(DeleteItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(())
            }
            Err(error) => Err(self.failed("DeleteItem (lease)", error)),
        }
    }
}

#[async_trait]
impl RunReportStore for DynamoStore {
    async fn put_run_report(&self, report: &RunReport) -> Result<(), StoreError> {
        let (report_item, pointer) = codec::report_items(report)?;
        let pk = keys::connection_pk(&report.connection_id);
        let new_sk = keys::report_sk(report.started_at, &report.run_id);
        let mut writes = vec![self.put_request(report_item)?, self.put_request(pointer)?];
        // A report rewritten with another start time must not leave its old item behind.
        if let Some(old) = self
            .get(
                "run pointer",
                pk.clone(),
                keys::run_pointer_sk(&report.run_id),
            )
            .await?
        {
            let old_sk = ItemReader::new("run pointer", &old)
                .s("report_sk")?
                .to_owned();
            if old_sk != new_sk {
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(key(pk, old_sk)))
                    .build()
                    .map_err(build_error)?;
                writes.push(TransactWriteItem::builder().delete(delete).build());
            }
        }
        self.transact("run report", writes).await
    }

    async fn run_report(
        &self,
        connection: &ConnectionId,
        run: &RunId,
    ) -> Result<Option<RunReport>, StoreError> {
        let pk = keys::connection_pk(connection);
        let Some(pointer) = self
            .get("run pointer", pk.clone(), keys::run_pointer_sk(run))
            .await?
        else {
            return Ok(None);
        };
        if codec::expired(&pointer, self.clock.now())? {
            return Ok(None);
        }
        let reader = ItemReader::new("run pointer", &pointer);
        let report_sk = reader.s("report_sk")?.to_owned();
        match self.get("run report", pk, report_sk.clone()).await? {
            Some(item) => codec::report_from_item(&item).map(Some),
            None => Err(reader.corrupt(format!("it points at {report_sk}, which does not exist"))),
        }
    }

    async fn run_reports(
        &self,
        connection: &ConnectionId,
        limit: usize,
    ) -> Result<Vec<RunReport>, StoreError> {
        let now = self.clock.now();
        let mut reports = Vec::new();
        let mut start: Option<Item> = None;
        let page_size = i32::try_from(limit.clamp(1, 100)).unwrap_or(100);
        while reports.len() < limit {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#pk", TABLE_PK)
                .expression_attribute_names("#sk", TABLE_SK)
                .expression_attribute_values(":pk", s(keys::connection_pk(connection)))
                .expression_attribute_values(":prefix", s(keys::REPORT_PREFIX))
                .scan_index_forward(false)
                .limit(page_size)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.failed("Query (run reports)", e))?;
            for item in output.items() {
                if reports.len() < limit && !codec::expired(item, now)? {
                    reports.push(codec::report_from_item(item)?);
                }
            }
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        Ok(reports)
    }
}
