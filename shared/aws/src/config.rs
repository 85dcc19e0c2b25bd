//! Where the AWS resources are: the SDK configuration and the environment variables of
//! contracts.md §1, read once at cold start with errors naming the missing variable.

use crate::{DynamoStore, QueueUrls, S3FileStore, SecretsVault, SesMailer, SqsJobQueue};
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use thiserror::Error;

/// DynamoDB table name.
pub const ENV_TABLE: &str = "KOPPEL_TABLE";
/// Invoice-export queue URL.
pub const ENV_EXPORT_QUEUE_URL: &str = "KOPPEL_EXPORT_QUEUE_URL";
/// Payment-poll queue URL.
pub const ENV_PAYMENT_QUEUE_URL: &str = "KOPPEL_PAYMENT_QUEUE_URL";
/// Company-import queue URL.
pub const ENV_IMPORT_QUEUE_URL: &str = "KOPPEL_IMPORT_QUEUE_URL";
/// Merge-file queue URL.
pub const ENV_MERGE_QUEUE_URL: &str = "KOPPEL_MERGE_QUEUE_URL";
/// Bucket of uploaded merge files.
pub const ENV_MERGE_BUCKET: &str = "KOPPEL_MERGE_BUCKET";
/// Sender address of Koppel's e-mails (verified in SES); empty: no e-mail.
pub const ENV_MAIL_FROM: &str = "KOPPEL_MAIL_FROM";
/// Name of the app secret (OAuth client ids and secrets, session key).
pub const ENV_APP_SECRET: &str = "KOPPEL_APP_SECRET";
/// Prefix of per-connection secrets.
pub const ENV_SECRET_PREFIX: &str = "KOPPEL_SECRET_PREFIX";
/// Teamleader API base URL.
pub const ENV_TEAMLEADER_API_URL: &str = "KOPPEL_TEAMLEADER_API_URL";
/// Teamleader OAuth base URL.
pub const ENV_TEAMLEADER_AUTH_URL: &str = "KOPPEL_TEAMLEADER_AUTH_URL";

/// Teamleader's production API.
pub const DEFAULT_TEAMLEADER_API_URL: &str = "https://api.focus.teamleader.eu";
/// Teamleader's production OAuth server.
pub const DEFAULT_TEAMLEADER_AUTH_URL: &str = "https://focus.teamleader.eu";

/// Region used with a local endpoint (moto) when none is configured.
pub const LOCAL_REGION: &str = "eu-west-1";

/// How every AWS client (DynamoDB, SQS, Secrets Manager, S3, SES) retries: the SDK's
/// standard mode, 4 attempts in all, exponential backoff with full jitter from 200 ms to at
/// most 5 s, so a blip is outlasted within seconds and a real outage ends the invocation
/// quickly (its message is delivered again by SQS; no document is blamed for it).
///
/// What the SDK classifies as transient, checked in aws-smithy-runtime 1.16 / aws-runtime
/// 1.10 / aws-sdk-dynamodb 1.136: `HttpStatusCodeClassifier` (HTTP 500, 502, 503, 504) is a
/// *service-wide* classifier of every DynamoDB operation, `TransactWriteItems` included
/// (moto's HTTP 500 "dictionary changed size during iteration" under concurrent transactions
/// is retried); each operation adds `AwsErrorCodeClassifier` (throttling codes —
/// `ThrottlingException`, `ProvisionedThroughputExceededException`,
/// `TransactionInProgressException`, `RequestLimitExceeded`, … — and `RequestTimeout`),
/// `ModeledAsRetryableClassifier` (`InternalServerError` is modelled retryable) and
/// `TransientErrorClassifier` (timeouts, dropped connections). A
/// `TransactionCanceledException` (HTTP 400: a condition failed) is not retried: it is the
/// claim's answer. SQS and Secrets Manager get the same classifiers. The test
/// `tests::a_500_to_transact_write_items_is_retried_then_given_up` shows it without moto.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(4)
        .with_initial_backoff(std::time::Duration::from_millis(200))
        .with_max_backoff(std::time::Duration::from_secs(5))
}

/// The SDK configuration from the environment (credentials, region, and `AWS_ENDPOINT_URL`
/// when set, which points every client at moto locally), retrying by [`retry_config`].
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry_config())
        .load()
        .await
}

/// An SDK configuration for an emulator at `endpoint` (moto): fixed test credentials and
/// region eu-west-1, independent of the process environment. For tests.
pub async fn local_sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(LOCAL_REGION))
        .test_credentials()
        .retry_config(retry_config())
        .load()
        .await
}

/// A required setting is missing or empty.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "environment variable {variable} is not set; it must hold {meaning} (template.yaml sets it, infra/dev sets it locally)"
)]
pub struct ConfigError {
    /// The variable.
    pub variable: &'static str,
    /// What it must hold.
    pub meaning: &'static str,
}

/// The resources named by the environment (contracts.md §1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resources {
    /// DynamoDB table.
    pub table: String,
    /// Job queue URLs.
    pub queues: QueueUrls,
    /// Bucket of uploaded merge files.
    pub merge_bucket: String,
    /// Sender of Koppel's e-mails, `None` when the operator configured none.
    pub mail_from: Option<String>,
    /// Name of the app secret.
    pub app_secret: String,
    /// Prefix of per-connection secrets ("koppel/").
    pub secret_prefix: String,
    /// Teamleader API base URL (default production).
    pub teamleader_api_url: String,
    /// Teamleader OAuth base URL (default production).
    pub teamleader_auth_url: String,
}

impl Resources {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let value = |variable: &str| {
            lookup(variable)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let required = |variable: &'static str, meaning: &'static str| {
            value(variable).ok_or(ConfigError { variable, meaning })
        };
        let url = |variable: &str, default: &str| {
            value(variable)
                .unwrap_or_else(|| default.to_owned())
                .trim_end_matches('/')
                .to_owned()
        };
        Ok(Self {
            table: required(ENV_TABLE, "the DynamoDB table name")?,
            queues: QueueUrls {
                invoice_export: required(ENV_EXPORT_QUEUE_URL, "the invoice-export SQS queue URL")?,
                payment_poll: required(ENV_PAYMENT_QUEUE_URL, "the payment-poll SQS queue URL")?,
                company_import: required(ENV_IMPORT_QUEUE_URL, "the company-import SQS queue URL")?,
                merge_file: required(ENV_MERGE_QUEUE_URL, "the merge-file SQS queue URL")?,
            },
            merge_bucket: required(ENV_MERGE_BUCKET, "the S3 bucket of uploaded merge files")?,
            mail_from: value(ENV_MAIL_FROM),
            app_secret: required(
                ENV_APP_SECRET,
                "the name of the app secret in Secrets Manager",
            )?,
            secret_prefix: required(
                ENV_SECRET_PREFIX,
                "the prefix of per-connection secret names, e.g. koppel/",
            )?,
            teamleader_api_url: url(ENV_TEAMLEADER_API_URL, DEFAULT_TEAMLEADER_API_URL),
            teamleader_auth_url: url(ENV_TEAMLEADER_AUTH_URL, DEFAULT_TEAMLEADER_AUTH_URL),
        })
    }

    /// Name of a connection's secret for `system` ("teamleader", or the ledger's section name):
    /// `<prefix><connection-id>/<system>`.
    pub fn connection_secret(
        &self,
        connection: &koppel_core::ConnectionId,
        system: &str,
    ) -> String {
        format!("{}{connection}/{system}", self.secret_prefix)
    }
}

/// The AWS adapters, built once per cold start.
#[derive(Debug, Clone)]
pub struct AwsAdapters {
    /// The resources they point at.
    pub resources: Resources,
    /// DynamoDB state store.
    pub store: DynamoStore,
    /// SQS job queues.
    pub queue: SqsJobQueue,
    /// Secrets Manager vault.
    pub vault: SecretsVault,
    /// S3 store of uploaded merge files.
    pub files: S3FileStore,
    /// SES mailer, when a sender is configured.
    pub mailer: Option<SesMailer>,
}

impl AwsAdapters {
    /// Builds the adapters for `resources` from an SDK configuration.
    pub fn new(config: &SdkConfig, resources: Resources) -> Self {
        Self {
            store: DynamoStore::new(
                aws_sdk_dynamodb::Client::new(config),
                resources.table.clone(),
            ),
            queue: SqsJobQueue::new(aws_sdk_sqs::Client::new(config), resources.queues.clone()),
            vault: SecretsVault::new(aws_sdk_secretsmanager::Client::new(config)),
            files: S3FileStore::new(
                aws_sdk_s3::Client::new(config),
                resources.merge_bucket.clone(),
            ),
            mailer: resources
                .mail_from
                .clone()
                .map(|from| SesMailer::new(aws_sdk_sesv2::Client::new(config), from)),
            resources,
        }
    }

    /// Reads the environment and the SDK configuration; the usual start of a function's `main`.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let resources = Resources::from_env()?;
        Ok(Self::new(&sdk_config().await, resources))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env() -> HashMap<&'static str, String> {
        [
            (ENV_TABLE, "koppel-local"),
            (ENV_EXPORT_QUEUE_URL, "http://q/export"),
            (ENV_PAYMENT_QUEUE_URL, "http://q/payment"),
            (ENV_IMPORT_QUEUE_URL, "http://q/import"),
            (ENV_MERGE_QUEUE_URL, "http://q/merge"),
            (ENV_MERGE_BUCKET, "koppel-local-merge-files"),
            (ENV_APP_SECRET, "koppel-local/app"),
            (ENV_SECRET_PREFIX, "koppel/"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_owned()))
        .collect()
    }

    #[test]
    fn reads_every_variable_with_teamleader_defaults() {
        let env = env();
        let resources = Resources::from_lookup(|name| env.get(name).cloned()).unwrap();
        assert_eq!(resources.table, "koppel-local");
        assert_eq!(resources.queues.merge_file, "http://q/merge");
        assert_eq!(resources.teamleader_api_url, DEFAULT_TEAMLEADER_API_URL);
        assert_eq!(resources.teamleader_auth_url, DEFAULT_TEAMLEADER_AUTH_URL);
        assert_eq!(
            resources.connection_secret(&koppel_core::ConnectionId::new("c1"), "teamleader"),
            "koppel/c1/teamleader"
        );
    }

    #[test]
    fn teamleader_urls_can_point_at_the_simulator() {
        let mut env = env();
        env.insert(ENV_TEAMLEADER_API_URL, "http://127.0.0.1:4000/".into());
        env.insert(ENV_TEAMLEADER_AUTH_URL, "http://127.0.0.1:4000".into());
        let resources = Resources::from_lookup(|name| env.get(name).cloned()).unwrap();
        assert_eq!(resources.teamleader_api_url, "http://127.0.0.1:4000");
        assert_eq!(resources.teamleader_auth_url, "http://127.0.0.1:4000");
    }

    #[test]
    fn a_missing_or_blank_variable_is_named() {
        for variable in [ENV_TABLE, ENV_PAYMENT_QUEUE_URL, ENV_SECRET_PREFIX] {
            let mut env = env();
            env.insert(variable, "  ".into());
            let error = Resources::from_lookup(|name| env.get(name).cloned()).unwrap_err();
            assert_eq!(error.variable, variable);
            assert!(error.to_string().contains(variable));
            env.remove(variable);
            assert_eq!(
                Resources::from_lookup(|name| env.get(name).cloned())
                    .unwrap_err()
                    .variable,
                variable
            );
        }
    }

    /// A DynamoDB endpoint that answers HTTP 500 (moto's body under concurrent
    /// transactions) `failures` times, then `{}`; counts the requests.
    async fn flaky_dynamodb(
        failures: usize,
    ) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = std::sync::Arc::new(AtomicUsize::new(0));
        let counter = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let counter = counter.clone();
                tokio::spawn(async move {
                    let mut buffer = Vec::new();
                    let mut chunk = [0u8; 4096];
                    loop {
                        // One request per connection is enough: read its head and body.
                        let Ok(n) = socket.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        buffer.extend_from_slice(&chunk[..n]);
                        let text = String::from_utf8_lossy(&buffer).to_string();
                        let Some(head_end) = text.find("\r\n\r\n") else {
                            continue;
                        };
                        let length = text[..head_end]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if buffer.len() < head_end + 4 + length {
                            continue;
                        }
                        let n = counter.fetch_add(1, Ordering::SeqCst);
                        let (status, body) = if n < failures {
                            (
                                "500 Internal Server Error",
                                "{\"__type\":\"com.amazonaws.dynamodb.v20120810#InternalServerError\",\"message\":\"dictionary changed size during iteration\"}",
                            )
                        } else {
                            ("200 OK", "{}")
                        };
                        let answer = format!(
                            "HTTP/1.1 {status}\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = socket.write_all(answer.as_bytes()).await;
                        let _ = socket.shutdown().await;
                        return;
                    }
                });
            }
        });
        (url, seen)
    }

    async fn transact(url: &str) -> Result<(), String> {
        use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
        let client = aws_sdk_dynamodb::Client::new(&local_sdk_config(url).await);
        let put = Put::builder()
            .table_name("t")
            .item("pk", AttributeValue::S("a".into()))
            .item("sk", AttributeValue::S("b".into()))
            .build()
            .unwrap();
        client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())
    }

    #[tokio::test]
    async fn a_500_to_transact_write_items_is_retried_then_given_up() {
        use std::sync::atomic::Ordering;
        // Two 500s: the third attempt goes through.
        let (url, seen) = flaky_dynamodb(2).await;
        transact(&url).await.expect("retried past two 500s");
        assert_eq!(seen.load(Ordering::SeqCst), 3);
        // A 500 that lasts: bounded, 4 attempts, then the error (the store's
        // StoreError::Unavailable; the invocation fails and SQS delivers the message again).
        let (url, seen) = flaky_dynamodb(usize::MAX).await;
        let error = transact(&url).await.expect_err("gives up");
        assert_eq!(seen.load(Ordering::SeqCst), 4, "{error}");
        assert!(error.contains("dictionary changed size"), "{error}");
    }
}
