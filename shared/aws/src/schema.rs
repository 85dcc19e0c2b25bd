//! The shape of Koppel's one DynamoDB table, as constants shared by the store, the tests
//! and the check that compares `template.yaml` with them (contracts.md §1).
//!
//! [`create_table`] builds a table of exactly this shape; tests use it against moto so
//! they exercise the same keys and indexes as production.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use thiserror::Error;

/// Partition key attribute of the table (string).
pub const TABLE_PK: &str = "pk";
/// Sort key attribute of the table (string).
pub const TABLE_SK: &str = "sk";

/// Sparse index of exported, unpaid document records (the payment poll reads it).
pub const UNPAID_INDEX: &str = "unpaid-index";
/// Partition key of [`UNPAID_INDEX`]: `UNPAID#<connection-id>`.
pub const UNPAID_PK: &str = "unpaid_pk";
/// Sort key of [`UNPAID_INDEX`]: the document id.
pub const UNPAID_SK: &str = "unpaid_sk";
/// Prefix of [`UNPAID_PK`] values.
pub const UNPAID_PK_PREFIX: &str = "UNPAID#";

/// Index of every connection, one partition ordered by connection id: the dispatcher reads
/// it and keeps the active ones (checking each item's own status, as the index is eventually
/// consistent), the hourly sweeper and the admin command read all of them. (Its name is from
/// when it held only the active ones; renaming an index of a deployed table means dropping
/// and rebuilding it, so the name stays.)
pub const ACTIVE_INDEX: &str = "active-index";
/// Partition key of [`ACTIVE_INDEX`]: always [`ACTIVE_PK_VALUE`].
pub const ACTIVE_PK: &str = "active_pk";
/// Sort key of [`ACTIVE_INDEX`]: the connection id.
pub const ACTIVE_SK: &str = "active_sk";
/// The one value of [`ACTIVE_PK`].
pub const ACTIVE_PK_VALUE: &str = "ACTIVE";

/// Time-to-live attribute (epoch seconds); DynamoDB deletes items some time after it.
pub const TTL_ATTRIBUTE: &str = "ttl";

/// Every attribute the table declares (keys of the table and of its indexes), all strings.
pub const KEY_ATTRIBUTES: [&str; 6] = [
    TABLE_PK, TABLE_SK, UNPAID_PK, UNPAID_SK, ACTIVE_PK, ACTIVE_SK,
];

/// Every global secondary index: (name, hash key, range key). Projection is ALL for each.
pub const GLOBAL_INDEXES: [(&str, &str, &str); 2] = [
    (UNPAID_INDEX, UNPAID_PK, UNPAID_SK),
    (ACTIVE_INDEX, ACTIVE_PK, ACTIVE_SK),
];

/// Failure to create test or local resources.
#[derive(Debug, Error)]
#[error("could not create {what}: {detail}")]
pub struct ProvisionError {
    /// The resource being created.
    pub what: String,
    /// What AWS (or moto) answered.
    pub detail: String,
}

impl ProvisionError {
    pub(crate) fn new(what: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            detail: detail.into(),
        }
    }
}

/// Create a table named `name` shaped exactly like the production table (keys, both sparse
/// GSIs with projection ALL, on-demand billing, TTL on [`TTL_ATTRIBUTE`]). Used by tests and
/// by local set-ups; production creates it from `template.yaml`.
pub async fn create_table(client: &Client, name: &str) -> Result<(), ProvisionError> {
    let what = || format!("DynamoDB table {name}");
    let build = |e: aws_sdk_dynamodb::error::BuildError| ProvisionError::new(what(), e.to_string());

    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest);
    for attribute in KEY_ATTRIBUTES {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(attribute)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(build)?,
        );
    }
    request = request
        .key_schema(key(TABLE_PK, KeyType::Hash).map_err(build)?)
        .key_schema(key(TABLE_SK, KeyType::Range).map_err(build)?);
    for (index, hash, range) in GLOBAL_INDEXES {
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index)
                .key_schema(key(hash, KeyType::Hash).map_err(build)?)
                .key_schema(key(range, KeyType::Range).map_err(build)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .map_err(build)?,
        );
    }
    request
        .send()
        .await
        .map_err(|e| ProvisionError::new(what(), DisplayErrorContext(&e).to_string()))?;

    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(TTL_ATTRIBUTE)
                .enabled(true)
                .build()
                .map_err(build)?,
        )
        .send()
        .await
        .map_err(|e| ProvisionError::new(what(), DisplayErrorContext(&e).to_string()))?;
    Ok(())
}

fn key(
    name: &str,
    key_type: KeyType,
) -> Result<KeySchemaElement, aws_sdk_dynamodb::error::BuildError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
}
