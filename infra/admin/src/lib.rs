//! `koppel-admin`: the operator's command for a Koppel stack, deployed or local.
//!
//! It lists connections and runs, reads and redrives dead-lettered jobs, and exports one
//! connection again from a date (the backfill the connection page offers as "export again
//! from…"). It is wiring and printing only: the store and the queues are the adapters of
//! `koppel-aws` (the functions' own), the backfill is the core's
//! [`request_backfill`], the redrive is `koppel_aws::dead_letters`.
//!
//! docs/OPERATIONS.md ("Admin command") shows each command with its output.

#![warn(missing_docs)]

pub mod cli;
pub mod print;
pub mod target;

use aws_config::SdkConfig;
use cli::Command;
use koppel_aws::dead_letters::{DeadLetterError, DeadLetterQueue, JOB_NAMES};
use koppel_aws::{DeadLetter, DynamoStore};
use koppel_core::jobs::export::backfill::{
    BackfillError, request_backfill, start_of_day_in_brussels,
};
use koppel_core::{
    Clock, ConnectionId, JobQueue, RunReport, RunStatus, Store, StoreError, SystemClock,
};
use std::io::Write;
use std::sync::Arc;
use target::{SqsQueues, Target, TargetError};
use thiserror::Error;

/// Run reports read per connection to find the last run of each job (`connections`).
pub const LAST_RUNS_READ: usize = 50;

/// Why a command did not (fully) do its work.
#[derive(Debug, Error)]
pub enum AdminError {
    /// The table or a queue is not named or not found.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The backfill was refused or could not be queued.
    #[error(transparent)]
    Backfill(#[from] BackfillError),
    /// A dead-letter queue could not be read.
    #[error(transparent)]
    DeadLetters(#[from] DeadLetterError),
    /// No connection has this id.
    #[error("connection {0} does not exist")]
    UnknownConnection(ConnectionId),
    /// The queues were handed in directly (tests): there are no dead-letter queues.
    #[error("these queues have no dead-letter queues (only SQS has)")]
    NoDeadLetterQueues,
    /// A redrive left messages behind; the output lists them.
    #[error("{0}")]
    Incomplete(String),
    /// Writing the output failed.
    #[error("could not write the output: {0}")]
    Output(#[from] std::io::Error),
}

/// Where jobs are sent and dead letters read.
#[derive(Clone)]
pub enum Queues {
    /// The stack's SQS queues, found when a command first needs them.
    Sqs(SqsQueues),
    /// A job queue handed in (a test stack's), without dead-letter queues.
    Given(Arc<dyn JobQueue>),
}

/// The ports the commands use.
#[derive(Clone)]
pub struct Admin {
    /// Koppel's state (the stack's table).
    pub store: Arc<dyn Store>,
    /// Time (the backfill's run id and cursor).
    pub clock: Arc<dyn Clock>,
    /// The job queues.
    pub queues: Queues,
}

impl Admin {
    /// The stack `target` names, reached with the SDK configuration `config` (credentials,
    /// region, and `AWS_ENDPOINT_URL` for moto).
    pub fn on_aws(config: &SdkConfig, target: Target) -> Result<Self, AdminError> {
        let table = target.table()?;
        Ok(Self {
            store: Arc::new(DynamoStore::new(
                aws_sdk_dynamodb::Client::new(config),
                table,
            )),
            clock: Arc::new(SystemClock),
            queues: Queues::Sqs(SqsQueues::new(aws_sdk_sqs::Client::new(config), target)),
        })
    }

    /// Runs `command`, writing what it found or did to `out`.
    pub async fn run(&self, command: &Command, out: &mut dyn Write) -> Result<(), AdminError> {
        match command {
            Command::Help => writeln!(out, "{}", cli::USAGE)?,
            Command::Connections => self.connections(out).await?,
            Command::Runs { connection, limit } => self.runs(connection, *limit, out).await?,
            Command::DlqList { job } => self.dlq_list(job.as_deref(), out).await?,
            Command::DlqRedrive { job, dry_run } => {
                self.dlq_redrive(job.as_deref(), *dry_run, out).await?;
            }
            Command::Backfill { connection, from } => {
                let queue: Arc<dyn JobQueue> = match &self.queues {
                    Queues::Sqs(sqs) => Arc::new(sqs.job_queue().await?),
                    Queues::Given(queue) => queue.clone(),
                };
                let run = request_backfill(&*self.store, &*queue, &*self.clock, connection, *from)
                    .await?;
                writeln!(
                    out,
                    "backfill of {connection} from {from} queued as run {run}: every document changed since {} (00:00 Brussels), looked up in the ledger before posting",
                    print::time(start_of_day_in_brussels(*from)?)
                )?;
                writeln!(out, "follow it with: koppel-admin runs {connection}")?;
            }
        }
        Ok(())
    }

    async fn connections(&self, out: &mut dyn Write) -> Result<(), AdminError> {
        let connections = self.store.all_connections().await?;
        writeln!(
            out,
            "{} connection{}",
            connections.len(),
            if connections.len() == 1 { "" } else { "s" }
        )?;
        for connection in &connections {
            let reports = self
                .store
                .run_reports(&connection.id, LAST_RUNS_READ)
                .await?;
            writeln!(out, "\n{}", print::connection_line(connection))?;
            let rows: Vec<Vec<String>> = JOB_NAMES
                .iter()
                .map(|job| print::last_run_row(job, last_of(&reports, job)))
                .collect();
            write!(out, "{}", print::table(&rows))?;
        }
        Ok(())
    }

    async fn runs(
        &self,
        connection: &ConnectionId,
        limit: usize,
        out: &mut dyn Write,
    ) -> Result<(), AdminError> {
        let Some(stored) = self.store.connection(connection).await? else {
            return Err(AdminError::UnknownConnection(connection.clone()));
        };
        writeln!(out, "{}", print::connection_line(&stored))?;
        let reports = self.store.run_reports(connection, limit).await?;
        if reports.is_empty() {
            writeln!(out, "no runs")?;
        } else {
            write!(out, "{}", print::runs_table(&reports))?;
        }
        Ok(())
    }

    async fn dead_letter_queues(
        &self,
        job: Option<&str>,
    ) -> Result<Vec<DeadLetterQueue>, AdminError> {
        match &self.queues {
            Queues::Sqs(sqs) => Ok(sqs.dead_letter_queues(job).await?),
            Queues::Given(_) => Err(AdminError::NoDeadLetterQueues),
        }
    }

    async fn dlq_list(&self, job: Option<&str>, out: &mut dyn Write) -> Result<(), AdminError> {
        for queue in self.dead_letter_queues(job).await? {
            let list = queue.look().await?;
            writeln!(
                out,
                "{}: {} in {}",
                queue.job(),
                messages(list.messages.len()),
                queue.dlq_url()
            )?;
            self.write_letters(&list.messages, list.more, out).await?;
        }
        Ok(())
    }

    async fn dlq_redrive(
        &self,
        job: Option<&str>,
        dry_run: bool,
        out: &mut dyn Write,
    ) -> Result<(), AdminError> {
        let mut left = Vec::new();
        for queue in self.dead_letter_queues(job).await? {
            if dry_run {
                let list = queue.look().await?;
                writeln!(
                    out,
                    "{}: would send {} back to {} (dry run: nothing sent)",
                    queue.job(),
                    messages(list.messages.len()),
                    queue.queue_url()
                )?;
                self.write_letters(&list.messages, list.more, out).await?;
                continue;
            }
            let outcome = queue.redrive().await?;
            writeln!(
                out,
                "{}: {} sent back to {}",
                queue.job(),
                messages(outcome.redriven.len()),
                queue.queue_url()
            )?;
            self.write_letters(&outcome.redriven, 0, out).await?;
            for (letter, why) in &outcome.not_deleted {
                writeln!(
                    out,
                    "  {} was sent back but is still in the dead-letter queue ({why}); a later redrive sends it again (harmless)",
                    letter.message_id
                )?;
            }
            for (letter, why) in &outcome.failed {
                writeln!(
                    out,
                    "  {} was not sent ({why}); it and the rest stay in the dead-letter queue",
                    letter.message_id
                )?;
            }
            if !outcome.failed.is_empty() || !outcome.not_deleted.is_empty() {
                left.push(queue.job().to_owned());
            }
        }
        if left.is_empty() {
            Ok(())
        } else {
            Err(AdminError::Incomplete(format!(
                "the redrive of {} left messages behind (see above); run it again once the cause is fixed",
                left.join(", ")
            )))
        }
    }

    /// The run a dead-lettered job belongs to, as a column (`run running`, `run
    /// interrupted`, `run not started`; `-` when the body is not a job), and whether that run
    /// has ended for good (succeeded, failed, paused: its job skips the message; an
    /// interrupted run resumes when its message comes back).
    async fn run_of(&self, letter: &DeadLetter) -> Result<(String, bool), AdminError> {
        let Some(job) = &letter.job else {
            return Ok(("-".into(), false));
        };
        let report = self
            .store
            .run_report(&job.connection_id, &job.run_id)
            .await?;
        Ok(match report {
            Some(report) => (
                format!("run {}", print::name_of(&report.status)),
                !matches!(report.status, RunStatus::Running | RunStatus::Interrupted),
            ),
            None => ("run not started".into(), false),
        })
    }

    /// The dead-lettered messages as rows, `more` not read, and a word on the runs that ended
    /// meanwhile.
    async fn write_letters(
        &self,
        letters: &[DeadLetter],
        more: u64,
        out: &mut dyn Write,
    ) -> Result<(), AdminError> {
        let mut rows = Vec::new();
        let mut ended = 0;
        for letter in letters {
            let (run, has_ended) = self.run_of(letter).await?;
            ended += usize::from(has_ended);
            rows.push(print::dead_letter_row(letter, &run));
        }
        write!(out, "{}", print::table(&rows))?;
        if more > 0 {
            writeln!(
                out,
                "  and about {more} more behind these in their connection's message group (shown once these are redriven or deleted)",
            )?;
        }
        if ended > 0 {
            writeln!(
                out,
                "  {} of a run that has ended: its job skips it; start a new run instead (Sync now on the page, or backfill)",
                messages(ended)
            )?;
        }
        Ok(())
    }
}

/// The newest run of `job` among `reports` (newest first).
fn last_of<'r>(reports: &'r [RunReport], job: &str) -> Option<&'r RunReport> {
    reports.iter().find(|r| r.job == job)
}

fn messages(n: usize) -> String {
    format!("{n} message{}", if n == 1 { "" } else { "s" })
}
