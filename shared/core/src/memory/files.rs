//! A file store in memory, for unit tests of the merge-file job.

use super::lock;
use crate::{FileStore, FileStoreError};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Mutex;

/// Files by key.
#[derive(Debug, Default)]
pub struct InMemoryFileStore {
    files: Mutex<HashMap<String, Vec<u8>>>,
}

impl InMemoryFileStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl FileStore for InMemoryFileStore {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, FileStoreError> {
        Ok(lock(&self.files).get(key).cloned())
    }

    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), FileStoreError> {
        lock(&self.files).insert(key.to_owned(), bytes.to_vec());
        Ok(())
    }
}
