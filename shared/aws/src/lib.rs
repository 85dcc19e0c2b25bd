//! Koppel's AWS adapters: the core's ports on DynamoDB ([`DynamoStore`]), SQS FIFO
//! ([`SqsJobQueue`]), Secrets Manager ([`SecretsVault`]) and S3 ([`S3FileStore`]), plus the configuration the
//! Lambda functions read at cold start ([`AwsAdapters::from_env`]) and the table and queue
//! shapes tests create on moto ([`schema::create_table`], [`create_fifo_queue_with_dlq`]), and
//! the dead-letter queues the operator's admin command reads and redrives ([`dead_letters`]).
//!
//! Resource names and environment variables follow contracts.md §1; the table layout is
//! described in [`dynamo`] and docs/DATA-MODEL.md.

pub mod config;
pub mod dead_letters;
pub mod dynamo;
pub mod files;
pub mod mail;
pub mod messages;
pub mod queue;
pub mod schema;
pub mod vault;

pub use config::{AwsAdapters, ConfigError, Resources, local_sdk_config, sdk_config};
pub use dead_letters::{
    DeadLetter, DeadLetterError, DeadLetterList, DeadLetterQueue, RedriveOutcome,
};
pub use dynamo::DynamoStore;
pub use files::S3FileStore;
pub use mail::SesMailer;
pub use messages::{FifoBatchFailures, JobMessageError, parse_job};
pub use queue::{FifoQueue, QueueUrls, SqsJobQueue, create_fifo_queue_with_dlq, job_body};
pub use schema::{ProvisionError, create_table};
pub use vault::SecretsVault;
