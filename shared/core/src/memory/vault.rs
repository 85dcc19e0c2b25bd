//! A secret store in memory, with a version per write like Secrets Manager.

use super::lock;
use crate::{Secret, Vault, VaultError};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Mutex;

/// Secrets by name. Every write makes a new version ("1", "2", …, per secret), so tests can
/// see whether a token refresh wrote the new pair and how often.
#[derive(Debug, Default)]
pub struct InMemoryVault {
    state: Mutex<VaultState>,
}

/// What the vault holds.
#[derive(Debug, Default)]
struct VaultState {
    /// Current value and version number per secret name.
    secrets: HashMap<String, (serde_json::Value, u64)>,
    /// Writes made through the port (seeding not counted).
    writes: u64,
}

impl InMemoryVault {
    /// An empty vault.
    pub fn new() -> Self {
        Self::default()
    }

    /// Seeds a secret (a new version, like a write, but not counted in [`Self::writes`]).
    pub fn insert(&self, name: &str, value: serde_json::Value) {
        store(&mut lock(&self.state), name, value);
    }

    /// The current value of a secret, without going through the port.
    pub fn value(&self, name: &str) -> Option<serde_json::Value> {
        lock(&self.state)
            .secrets
            .get(name)
            .map(|(value, _)| value.clone())
    }

    /// The current version number of a secret (1 after the first write), 0 when absent.
    pub fn version(&self, name: &str) -> u64 {
        lock(&self.state)
            .secrets
            .get(name)
            .map_or(0, |(_, version)| *version)
    }

    /// How many writes went through the port.
    pub fn writes(&self) -> u64 {
        lock(&self.state).writes
    }
}

/// Stores `value` as the next version of `name`; returns the version.
fn store(state: &mut VaultState, name: &str, value: serde_json::Value) -> u64 {
    let entry = state
        .secrets
        .entry(name.to_owned())
        .or_insert((serde_json::Value::Null, 0));
    entry.0 = value;
    entry.1 += 1;
    entry.1
}

#[async_trait]
impl Vault for InMemoryVault {
    async fn read(&self, name: &str) -> Result<Option<Secret>, VaultError> {
        Ok(lock(&self.state)
            .secrets
            .get(name)
            .map(|(value, version)| Secret {
                value: value.clone(),
                version: version.to_string(),
            }))
    }

    async fn write(&self, name: &str, value: &serde_json::Value) -> Result<String, VaultError> {
        let mut state = lock(&self.state);
        state.writes += 1;
        Ok(store(&mut state, name, value.clone()).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn missing_secret_reads_as_none() {
        let vault = InMemoryVault::new();
        assert_eq!(vault.read("koppel/c1/teamleader").await.unwrap(), None);
        assert_eq!(vault.version("koppel/c1/teamleader"), 0);
    }

    #[tokio::test]
    async fn writes_create_increasing_versions() {
        let vault = InMemoryVault::new();
        let v1 = vault
            .write("s", &json!({"refresh_token": "r1"}))
            .await
            .unwrap();
        let v2 = vault
            .write("s", &json!({"refresh_token": "r2"}))
            .await
            .unwrap();
        assert_eq!((v1.as_str(), v2.as_str()), ("1", "2"));
        let read = vault.read("s").await.unwrap().unwrap();
        assert_eq!(read.value, json!({"refresh_token": "r2"}));
        assert_eq!(read.version, "2");
        assert_eq!(vault.writes(), 2);
    }

    #[tokio::test]
    async fn versions_are_per_secret() {
        let vault = InMemoryVault::new();
        vault.write("a", &json!(1)).await.unwrap();
        vault.write("a", &json!(2)).await.unwrap();
        assert_eq!(vault.write("b", &json!(3)).await.unwrap(), "1");
        assert_eq!(vault.version("a"), 2);
    }

    #[tokio::test]
    async fn seeding_is_readable_but_not_counted_as_a_write() {
        let vault = InMemoryVault::new();
        vault.insert("app", json!({"session_key": "k"}));
        assert_eq!(vault.read("app").await.unwrap().unwrap().version, "1");
        assert_eq!(vault.value("app"), Some(json!({"session_key": "k"})));
        assert_eq!(vault.writes(), 0);
    }
}
