//! Uploaded files (merge files), kept outside the table: a private, encrypted S3 bucket with
//! a lifecycle rule in production.

use async_trait::async_trait;
use thiserror::Error;

/// Failure of the file store.
#[derive(Debug, Error)]
pub enum FileStoreError {
    /// The store could not be reached or refused the call.
    #[error("the file store failed: {0}")]
    Unavailable(String),
}

/// Keeps uploaded files by key.
#[async_trait]
pub trait FileStore: Send + Sync {
    /// The file at `key`, `None` when there is none (expired by the lifecycle rule).
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, FileStoreError>;
    /// Keep `bytes` at `key` (replacing what was there).
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), FileStoreError>;
}
