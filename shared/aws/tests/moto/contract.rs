//! The store contract (`koppel_core::contract`) against `DynamoStore`, each check on a fresh
//! table in moto.

use crate::common::{ManualClock, fresh_store};
use koppel_aws::DynamoStore;

/// A store on a fresh table, its clock (which only hides run reports past their TTL) at
/// the contract's epoch, so the reports the checks write are live.
async fn contract_store() -> DynamoStore {
    fresh_store()
        .await
        .with_clock(ManualClock::new(koppel_core::contract::epoch()))
}

koppel_core::store_contract_tests!(contract_store);
