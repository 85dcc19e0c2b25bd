//! What only `DynamoStore` has, against moto: run reports hidden once past their TTL, large
//! reference data split in parts, and errors naming the item or table. The port's behaviour
//! is checked by the store contract (`super::contract`).

use crate::common::{ManualClock, at, fresh_store};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};
use koppel_aws::schema::{TABLE_PK, TABLE_SK};
use koppel_core::contract::fixtures::reference_data;
use koppel_core::{
    ConnectionId, ConnectionStore, ExportCounts, ReferenceDataStore, RunCounts, RunId, RunReport,
    RunReportStore, RunStatus, StoreError,
};

fn report(connection: &str, run: &str, started: DateTime<Utc>) -> RunReport {
    RunReport {
        connection_id: ConnectionId::new(connection),
        run_id: RunId::new(run),
        job: "invoice-export".into(),
        started_at: started,
        updated_at: started + Duration::minutes(2),
        status: RunStatus::Succeeded,
        counts: RunCounts::InvoiceExport(ExportCounts {
            exported: 3,
            ..Default::default()
        }),
        issues: vec![],
        notices: Vec::new(),
        warnings: vec![],
        message: None,
        invocations: 1,
    }
}

#[tokio::test]
async fn run_reports_are_gone_ninety_days_after_their_start() {
    let clock = ManualClock::new(at(12, 0));
    let store = fresh_store().await.with_clock(clock.clone());
    for (hour, run) in [(8, "run-b"), (10, "run-c"), (9, "run-a"), (11, "run-d")] {
        store
            .put_run_report(&report("c1", run, at(hour, 0)))
            .await
            .unwrap();
    }
    let runs = |list: Vec<RunReport>| list.into_iter().map(|r| r.run_id.0).collect::<Vec<_>>();
    let c1 = ConnectionId::new("c1");
    assert_eq!(
        runs(store.run_reports(&c1, 10).await.unwrap()),
        ["run-d", "run-c", "run-a", "run-b"]
    );

    // Ninety days after its start a report is gone, even before DynamoDB deletes it.
    clock.set(at(8, 30) + Duration::days(90));
    assert_eq!(
        runs(store.run_reports(&c1, 10).await.unwrap()),
        ["run-d", "run-c", "run-a"]
    );
    assert_eq!(
        store.run_report(&c1, &RunId::new("run-b")).await.unwrap(),
        None
    );
    assert!(
        store
            .run_report(&c1, &RunId::new("run-a"))
            .await
            .unwrap()
            .is_some()
    );
}

async fn item_count(store: &koppel_aws::DynamoStore, prefix: &str) -> usize {
    let output = store
        .client()
        .query()
        .table_name(store.table())
        .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
        .expression_attribute_names("#pk", TABLE_PK)
        .expression_attribute_names("#sk", TABLE_SK)
        .expression_attribute_values(":pk", AttributeValue::S("CONN#c1".into()))
        .expression_attribute_values(":prefix", AttributeValue::S(prefix.into()))
        .send()
        .await
        .unwrap();
    output.items().len()
}

#[tokio::test]
async fn reference_data_round_trips_inline_and_split_in_parts() {
    // Parts of 2 KB so a few hundred accounts need several parts.
    let store = fresh_store().await.with_reference_part_bytes(2_000);
    let c1 = ConnectionId::new("c1");

    let small = reference_data(2);
    store
        .put_reference_data(&c1, &small, at(1, 0))
        .await
        .unwrap();
    assert_eq!(
        store.reference_data(&c1).await.unwrap(),
        Some((small, at(1, 0)))
    );
    assert_eq!(item_count(&store, "REFDATA#").await, 0);

    let large = reference_data(300);
    store
        .put_reference_data(&c1, &large, at(2, 0))
        .await
        .unwrap();
    assert_eq!(
        store.reference_data(&c1).await.unwrap(),
        Some((large.clone(), at(2, 0)))
    );
    let parts = item_count(&store, "REFDATA#").await;
    assert_eq!(
        parts,
        serde_json::to_string(&large).unwrap().len().div_ceil(2_000)
    );
    assert!(
        parts > 5,
        "expected the lists split in parts, found {parts}"
    );

    // Replacing it removes the old parts.
    let larger = reference_data(310);
    store
        .put_reference_data(&c1, &larger, at(3, 0))
        .await
        .unwrap();
    let expected = serde_json::to_string(&larger)
        .unwrap()
        .len()
        .div_ceil(2_000);
    assert_eq!(
        store.reference_data(&c1).await.unwrap(),
        Some((larger, at(3, 0)))
    );
    assert_eq!(
        item_count(&store, "REFDATA#").await,
        expected,
        "old parts left behind"
    );
    let small = reference_data(1);
    store
        .put_reference_data(&c1, &small, at(4, 0))
        .await
        .unwrap();
    assert_eq!(
        store.reference_data(&c1).await.unwrap(),
        Some((small, at(4, 0)))
    );
    assert_eq!(item_count(&store, "REFDATA#").await, 0);
}

#[tokio::test]
async fn a_malformed_item_is_reported_as_corrupt_naming_it() {
    let store = fresh_store().await;
    store
        .client()
        .put_item()
        .table_name(store.table())
        .item(TABLE_PK, AttributeValue::S("CONN#broken".into()))
        .item(TABLE_SK, AttributeValue::S("META".into()))
        .item("id", AttributeValue::S("broken".into()))
        .item("status", AttributeValue::S("exploded".into()))
        .send()
        .await
        .unwrap();
    match store.connection(&ConnectionId::new("broken")).await {
        Err(StoreError::Corrupt { what, detail }) => {
            assert!(
                what.contains("CONN#broken") && what.contains("META"),
                "{what}"
            );
            assert!(!detail.is_empty());
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[tokio::test]
async fn a_missing_table_is_an_unavailable_error_naming_it() {
    let client = aws_sdk_dynamodb::Client::new(&crate::common::sdk().await);
    let store = koppel_aws::DynamoStore::new(client, "no-such-table-koppel");
    match store.connection(&ConnectionId::new("c1")).await {
        Err(StoreError::Unavailable(message)) => {
            assert!(message.contains("no-such-table-koppel"), "{message}")
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
}
