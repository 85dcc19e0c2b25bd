//! Which stack the command works on: its table and queues, from `--stack <name>` (the names
//! template.yaml gives) or from the environment variables the functions read (which win when
//! set, so `.dev/env` locally or a hand-set variable picks one resource).

use koppel_aws::config::{
    ENV_EXPORT_QUEUE_URL, ENV_IMPORT_QUEUE_URL, ENV_MERGE_QUEUE_URL, ENV_PAYMENT_QUEUE_URL,
    ENV_TABLE,
};
use koppel_aws::dead_letters::{
    DeadLetterError, DeadLetterQueue, JOB_NAMES, queue_url_by_name, stack_queue_name,
    stack_table_name,
};
use koppel_aws::{QueueUrls, SqsJobQueue};
use thiserror::Error;

/// The command cannot tell which resource to use.
#[derive(Debug, Error)]
pub enum TargetError {
    /// Neither `--stack` nor the variable names it.
    #[error("which {what}? give --stack <name> or set {variable}")]
    Unnamed {
        /// The resource.
        what: &'static str,
        /// The variable that names it.
        variable: &'static str,
    },
    /// A queue could not be found or read.
    #[error(transparent)]
    Queue(#[from] DeadLetterError),
}

/// The environment variable naming the queue URL of `job`.
pub fn queue_variable(job: &str) -> Option<&'static str> {
    match job {
        "invoice-export" => Some(ENV_EXPORT_QUEUE_URL),
        "payment-poll" => Some(ENV_PAYMENT_QUEUE_URL),
        "company-import" => Some(ENV_IMPORT_QUEUE_URL),
        "merge-file" => Some(ENV_MERGE_QUEUE_URL),
        _ => None,
    }
}

/// Reads a setting by name (the process environment, or a map in tests).
pub type Lookup = std::sync::Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The stack name and the settings read from the environment.
#[derive(Clone)]
pub struct Target {
    stack: Option<String>,
    lookup: Lookup,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("stack", &self.stack)
            .finish_non_exhaustive()
    }
}

impl Target {
    /// `--stack` (if given) and the process environment.
    pub fn from_env(stack: Option<String>) -> Self {
        Self::with_lookup(stack, |name| std::env::var(name).ok())
    }

    /// `--stack` (if given) and settings read through `lookup` (tests).
    pub fn with_lookup(
        stack: Option<String>,
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        Self {
            stack,
            lookup: std::sync::Arc::new(lookup),
        }
    }

    fn variable(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// The DynamoDB table: `KOPPEL_TABLE`, else `<stack>-data`.
    pub fn table(&self) -> Result<String, TargetError> {
        self.variable(ENV_TABLE)
            .or_else(|| self.stack.as_deref().map(stack_table_name))
            .ok_or(TargetError::Unnamed {
                what: "table",
                variable: ENV_TABLE,
            })
    }

    /// The URL of `job`'s queue: its variable, else the queue `<stack>-<job>.fifo` looked up.
    pub async fn queue_url(
        &self,
        client: &aws_sdk_sqs::Client,
        job: &str,
    ) -> Result<String, TargetError> {
        let variable =
            queue_variable(job).ok_or_else(|| DeadLetterError::UnknownJob(job.to_owned()))?;
        if let Some(url) = self.variable(variable) {
            return Ok(url);
        }
        let Some(stack) = &self.stack else {
            return Err(TargetError::Unnamed {
                what: "queue",
                variable,
            });
        };
        Ok(queue_url_by_name(client, &stack_queue_name(stack, job), None).await?)
    }

    /// Every job queue's URL.
    pub async fn queue_urls(&self, client: &aws_sdk_sqs::Client) -> Result<QueueUrls, TargetError> {
        Ok(QueueUrls {
            invoice_export: self.queue_url(client, "invoice-export").await?,
            payment_poll: self.queue_url(client, "payment-poll").await?,
            company_import: self.queue_url(client, "company-import").await?,
            merge_file: self.queue_url(client, "merge-file").await?,
        })
    }
}

/// The stack's queues on SQS, found when a command first needs them.
#[derive(Debug, Clone)]
pub struct SqsQueues {
    client: aws_sdk_sqs::Client,
    target: Target,
}

impl SqsQueues {
    /// The queues `target` names, through `client`.
    pub fn new(client: aws_sdk_sqs::Client, target: Target) -> Self {
        Self { client, target }
    }

    /// The job queues, to send jobs to.
    pub async fn job_queue(&self) -> Result<SqsJobQueue, TargetError> {
        let urls = self.target.queue_urls(&self.client).await?;
        Ok(SqsJobQueue::new(self.client.clone(), urls))
    }

    /// The dead-letter queue of each job in `jobs` (every job when empty), in the order of
    /// [`JOB_NAMES`].
    pub async fn dead_letter_queues(
        &self,
        job: Option<&str>,
    ) -> Result<Vec<DeadLetterQueue>, TargetError> {
        let mut queues = Vec::new();
        for name in JOB_NAMES.iter().filter(|n| job.is_none_or(|j| j == **n)) {
            let url = self.target.queue_url(&self.client, name).await?;
            queues.push(DeadLetterQueue::of_queue(&self.client, name, &url).await?);
        }
        Ok(queues)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn target(stack: Option<&str>, env: &[(&str, &str)]) -> Target {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Target::with_lookup(stack.map(str::to_owned), move |name| env.get(name).cloned())
    }

    #[test]
    fn the_table_comes_from_the_variable_else_the_stack() {
        assert_eq!(target(Some("koppel"), &[]).table().unwrap(), "koppel-data");
        assert_eq!(
            target(Some("koppel"), &[(ENV_TABLE, "other")])
                .table()
                .unwrap(),
            "other"
        );
        assert_eq!(
            target(None, &[(ENV_TABLE, "koppel-local-data")])
                .table()
                .unwrap(),
            "koppel-local-data"
        );
        let error = target(None, &[(ENV_TABLE, "  ")]).table().unwrap_err();
        assert_eq!(
            error.to_string(),
            "which table? give --stack <name> or set KOPPEL_TABLE"
        );
    }

    #[test]
    fn every_job_has_its_variable() {
        for job in JOB_NAMES {
            assert!(queue_variable(job).is_some(), "{job}");
        }
        assert_eq!(queue_variable("webhook"), None);
    }
}
