//! Uploaded merge files in S3: one object per file, in the stack's private bucket (encrypted,
//! TLS only, expired after 30 days by its lifecycle rule — see template.yaml).

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use koppel_core::{FileStore, FileStoreError};

/// The core's [`FileStore`] on one S3 bucket.
#[derive(Debug, Clone)]
pub struct S3FileStore {
    client: Client,
    bucket: String,
}

impl S3FileStore {
    /// Files in `bucket`.
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    fn failed(&self, operation: &str, key: &str, error: impl std::fmt::Display) -> FileStoreError {
        FileStoreError::Unavailable(format!(
            "S3 {operation} of {key} in bucket {} failed: {error}",
            self.bucket
        ))
    }
}

#[async_trait]
impl FileStore for S3FileStore {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, FileStoreError> {
        let answer = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await;
        let object = match answer {
            Ok(object) => object,
            Err(error) if error.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
                return Ok(None);
            }
            Err(error) => {
                return Err(self.failed(
                    "GetObject",
                    key,
                    aws_sdk_s3::error::DisplayErrorContext(error),
                ));
            }
        };
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|e| self.failed("GetObject (body)", key, e))?;
        Ok(Some(bytes.into_bytes().to_vec()))
    }

    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), FileStoreError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(bytes.to_vec()))
            .send()
            .await
            .map_err(|e| {
                self.failed("PutObject", key, aws_sdk_s3::error::DisplayErrorContext(e))
            })?;
        Ok(())
    }
}
