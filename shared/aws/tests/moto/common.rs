//! Shared set-up: the moto endpoint, clients and fresh resources.

use aws_config::SdkConfig;
use chrono::{DateTime, TimeZone, Utc};
use koppel_aws::{DynamoStore, local_sdk_config};
use koppel_core::Clock;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The moto endpoint; a test without it fails (it must not pass by skipping).
pub fn moto_url() -> String {
    match std::env::var("KOPPEL_TEST_MOTO_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!("KOPPEL_TEST_MOTO_URL is not set: start moto: run `infra/dev test`"),
    }
}

/// SDK configuration pointing at moto.
pub async fn sdk() -> SdkConfig {
    local_sdk_config(&moto_url()).await
}

/// A unique resource name.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// A store on a fresh table shaped like production.
pub async fn fresh_store() -> DynamoStore {
    let client = aws_sdk_dynamodb::Client::new(&sdk().await);
    let table = unique("koppel-test");
    koppel_aws::create_table(&client, &table).await.unwrap();
    DynamoStore::new(client, table)
}

/// A fixed instant on 1 March 2026.
pub fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, hour, minute, 0).unwrap()
}

/// A clock tests move by hand.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock showing `now`.
    pub fn new(now: DateTime<Utc>) -> Arc<Self> {
        Arc::new(Self(Mutex::new(now)))
    }
    /// Moves the clock to `now`.
    pub fn set(&self, now: DateTime<Utc>) {
        *self.0.lock().unwrap() = now;
    }
}

#[async_trait::async_trait]
impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
    async fn sleep(&self, duration: Duration) {
        let step = chrono::Duration::from_std(duration).unwrap();
        let mut now = self.0.lock().unwrap();
        *now += step;
    }
}
