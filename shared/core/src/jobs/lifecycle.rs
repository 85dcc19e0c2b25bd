//! The life of one job run for one connection, shared by every job (the export, the payment
//! poll, the company import, the merge file): load the connection, check its status, open
//! the systems the job needs, create or resume the run report, read the cursor, let the job
//! work until it is done or the deadline nears, then finish the report or send the
//! continuation message. What to do about an outside failure is decided here once, from the
//! error's [`Disposition`].
//!
//! A job is a [`ConnectionJob`]: its cursor, its counts, the systems it needs, and its work.
//! Adding a job is one implementation of that trait plus one thin function crate.

use crate::{
    Clock, Connection, ConnectionStatus, ConnectionStore, Connector, Deadline, Disposition,
    ExternalError, IssueOutcome, IssueSubject, Job, JobCounts, JobQueue, LeaseStore, Ledger,
    QueueError, RunIssue, RunReport, RunReportStore, RunStatus, Source, StoreError,
};
use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use thiserror::Error;
use tracing::{info, warn};

/// Failures of Koppel's own infrastructure: the message is retried by the queue.
#[derive(Debug, Error)]
pub enum JobError {
    /// The state store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A continuation could not be sent.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// Another invocation is working on this job for this connection right now (a second
    /// delivery of its message, or a second run started at the same time). The message is
    /// handed back: SQS delivers it again after its visibility timeout, when the other
    /// invocation has finished (the run is then over and the message skipped) or died (its
    /// hold has lapsed and this one takes over).
    #[error(
        "the {job} of connection {connection} is running in another invocation; this message is retried later"
    )]
    Busy {
        /// The job's name.
        job: &'static str,
        /// The connection.
        connection: String,
    },
    /// The continuation cursor in the message is unreadable.
    #[error("the continuation cursor of run {run} is unreadable: {detail}")]
    BadCursor {
        /// Run.
        run: String,
        /// Why.
        detail: String,
    },
}

/// Why a job's work stopped before the end.
#[derive(Debug)]
pub enum Stop {
    /// The deadline is near: continue in a new message.
    Deadline,
    /// An outside system failed for every item; what happens follows its [`Disposition`].
    External(ExternalError),
    /// The run cannot start until a person fixes this (pre-flight blockers).
    Refused(String),
    /// Koppel's own infrastructure failed.
    Infra(JobError),
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Stop::Infra(JobError::Store(e))
    }
}

impl From<ExternalError> for Stop {
    fn from(e: ExternalError) -> Self {
        Stop::External(e)
    }
}

/// How an invocation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// The run is over (succeeded, with issues, paused or failed: see the report).
    Finished(RunReport),
    /// The deadline came first; a continuation message was sent.
    Continued(RunReport),
    /// Nothing was done (unknown or inactive connection, run already finished).
    Skipped(String),
}

/// The outside systems a job works with, opened once per invocation.
#[async_trait]
pub trait OpenSystems: Sized + Send + Sync {
    /// Open them for `connection`, bound to the invocation's deadline.
    async fn open(
        connector: &dyn Connector,
        connection: &Connection,
        deadline: Deadline,
    ) -> Result<Self, ExternalError>;
}

/// Both sides: the Teamleader account and the ledger.
#[derive(Clone)]
pub struct SourceAndLedger {
    /// Teamleader.
    pub source: Arc<dyn Source>,
    /// The ledger.
    pub ledger: Arc<dyn Ledger>,
    /// Peppol BIS 3 files, where the deployment has them (ledgers that take the file).
    pub einvoice: Option<Arc<dyn crate::EinvoiceFiles>>,
}

#[async_trait]
impl OpenSystems for SourceAndLedger {
    async fn open(
        connector: &dyn Connector,
        connection: &Connection,
        deadline: Deadline,
    ) -> Result<Self, ExternalError> {
        let source = connector.source(connection, deadline).await?;
        let ledger = connector.ledger(connection, deadline).await?;
        Ok(Self {
            source,
            ledger,
            einvoice: connector.einvoice(),
        })
    }
}

/// Only the Teamleader account (a job that does not talk to the ledger).
#[derive(Clone)]
pub struct SourceOnly {
    /// Teamleader.
    pub source: Arc<dyn Source>,
}

#[async_trait]
impl OpenSystems for SourceOnly {
    async fn open(
        connector: &dyn Connector,
        connection: &Connection,
        deadline: Deadline,
    ) -> Result<Self, ExternalError> {
        Ok(Self {
            source: connector.source(connection, deadline).await?,
        })
    }
}

/// No outside system (a job that only reads and writes Koppel's state).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSystems;

#[async_trait]
impl OpenSystems for NoSystems {
    async fn open(
        _connector: &dyn Connector,
        _connection: &Connection,
        _deadline: Deadline,
    ) -> Result<Self, ExternalError> {
        Ok(Self)
    }
}

/// One job, as the lifecycle runs it.
#[async_trait]
pub trait ConnectionJob: Send + Sync {
    /// The job's name in reports and logs (`JobKind::name`).
    const NAME: &'static str;
    /// What users call the job in a sentence ("export", "payment check").
    const NOUN: &'static str;
    /// The systems it needs.
    type Systems: OpenSystems;
    /// Where a run stands between invocations (carried in the continuation message).
    type Cursor: Serialize + DeserializeOwned + Send + Sync;
    /// Its counts in the run report.
    type Counts: JobCounts;

    /// The cursor of a run's first invocation.
    async fn first_cursor(
        &self,
        connection: &Connection,
        run: &RunContext<'_, Self::Systems, Self::Counts>,
    ) -> Result<Self::Cursor, JobError>;

    /// Work from `cursor` on, moving it along, until the end (`Ok`) or a [`Stop`].
    async fn work(
        &self,
        run: &mut RunContext<'_, Self::Systems, Self::Counts>,
        cursor: &mut Self::Cursor,
    ) -> Result<(), Stop>;

    /// The run went to its end: store what the next run starts from.
    async fn complete(
        &self,
        run: &mut RunContext<'_, Self::Systems, Self::Counts>,
        cursor: &Self::Cursor,
    ) -> Result<(), JobError>;
}

/// The ports the lifecycle itself needs.
pub struct LifecyclePorts<'a> {
    /// Opens the connection's systems.
    pub connector: &'a dyn Connector,
    /// Where the connection is read.
    pub connections: &'a dyn ConnectionStore,
    /// Where the run report is kept.
    pub reports: &'a dyn RunReportStore,
    /// Where continuations go.
    pub queue: &'a dyn JobQueue,
    /// Where an invocation holds its job for its connection (one invocation at a time).
    pub leases: &'a dyn LeaseStore,
    /// Time.
    pub clock: &'a dyn Clock,
}

/// Tunables of every job's lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LifecycleOptions {
    /// At most this many issues are listed in a report (the counts stay exact).
    pub max_issues: usize,
}

impl Default for LifecycleOptions {
    fn default() -> Self {
        Self { max_issues: 500 }
    }
}

/// One invocation's view of its run: the connection, the opened systems, the counts and the
/// report's issues, the deadline.
pub struct RunContext<'a, S, C> {
    /// The connection worked on.
    pub connection: &'a Connection,
    /// The message this invocation handles (its job kind carries job-specific ids).
    pub message: &'a Job,
    /// The opened systems.
    pub systems: S,
    /// The job's counts (written into the report whenever it is stored).
    pub counts: C,
    /// Time.
    pub clock: &'a dyn Clock,
    /// The invocation's deadline.
    pub deadline: Deadline,
    /// True for a run's first invocation (continuations reuse what it stored).
    pub first_invocation: bool,
    report: RunReport,
    options: LifecycleOptions,
    /// Who holds what this invocation claims: the run and one attempt. Two deliveries of one
    /// message (or a continuation and a late redelivery of the same run) running at the same
    /// time are two owners, so neither can take over the other's live claim.
    claim_owner: crate::RunId,
    /// Units of work started in this invocation: the deadline is honoured only once this is
    /// non-zero, so every invocation makes progress even when setup or waits ate its time.
    attempted: u32,
}

impl<S, C: JobCounts> RunContext<'_, S, C> {
    /// The run's report as it stands.
    pub fn report(&self) -> RunReport {
        let mut report = self.report.clone();
        report.counts = self.counts.clone().into_report();
        report
    }

    /// True when no new unit of work should start (the deadline is near and this invocation
    /// already made progress).
    pub fn must_hand_over(&self) -> bool {
        self.attempted > 0 && self.deadline.is_near(self.clock)
    }

    /// A unit of work (a document, a company, a row) starts.
    pub fn attempt(&mut self) {
        self.attempted += 1;
    }

    /// Units of work started in this invocation.
    pub fn attempted(&self) -> u32 {
        self.attempted
    }

    /// Record that an item failed, once per run: an item already listed with this outcome
    /// (refused again by a later invocation of the same run, after a hand-over or a
    /// redelivery) gets the newer reason and is not listed or counted twice. True when the
    /// item is new to the run's list (the caller counts it then).
    pub fn issue_once(
        &mut self,
        subject: IssueSubject,
        outcome: IssueOutcome,
        reason: String,
    ) -> bool {
        if let Some(known) = self
            .report
            .issues
            .iter_mut()
            .find(|i| i.subject == subject && i.outcome == outcome)
        {
            known.reason = reason;
            return false;
        }
        self.issue(subject, outcome, reason);
        true
    }

    /// Record an item that needs attention (the list is capped; counts stay exact).
    pub fn issue(&mut self, subject: IssueSubject, outcome: IssueOutcome, reason: String) {
        if self.report.issues.len() < self.options.max_issues {
            self.report.issues.push(RunIssue {
                subject,
                outcome,
                reason,
            });
        }
    }

    /// Record something a user may want to know without having to act (capped like issues).
    pub fn notice(&mut self, subject: IssueSubject, outcome: IssueOutcome, reason: String) {
        if self.report.notices.len() < self.options.max_issues {
            self.report.notices.push(RunIssue {
                subject,
                outcome,
                reason,
            });
        }
    }

    /// Record something worth fixing that does not stop the run.
    pub fn warn(&mut self, message: String) {
        if !self.report.warnings.contains(&message) {
            self.report.warnings.push(message);
        }
    }

    /// The run's id.
    pub fn run_id(&self) -> &crate::RunId {
        &self.report.run_id
    }

    /// The owner of this invocation's claims: the run's id and this attempt (see the field).
    /// A claim left by a crashed attempt is taken over once it lapses, never while it lives.
    pub fn claim_owner(&self) -> &crate::RunId {
        &self.claim_owner
    }
}

/// Run (or continue) `job` for the connection of `message`.
pub async fn run_job<J: ConnectionJob>(
    job: &J,
    ports: &LifecyclePorts<'_>,
    message: &Job,
    deadline: Deadline,
    options: LifecycleOptions,
) -> Result<JobOutcome, JobError> {
    let Some(connection) = ports.connections.connection(&message.connection_id).await? else {
        return Ok(JobOutcome::Skipped(format!(
            "connection {} no longer exists",
            message.connection_id
        )));
    };
    if connection.status != ConnectionStatus::Active {
        close_run_of_inactive(ports, &connection, message).await?;
        return Ok(JobOutcome::Skipped(format!(
            "connection {} is {:?}: {}",
            connection.id,
            connection.status,
            connection.status_reason.clone().unwrap_or_default()
        )));
    }
    let now = ports.clock.now();
    let mut report = match ports
        .reports
        .run_report(&connection.id, &message.run_id)
        .await?
    {
        // A run the sweeper closed as interrupted resumes when a message of it arrives after
        // all (a late redelivery, a dead-lettered job redriven): it continues from that
        // message's cursor, its claims and look-ups keep every document once.
        Some(mut r) if r.status == RunStatus::Interrupted => {
            info!(connection_id = %connection.id, run_id = %r.run_id, "an interrupted run resumes");
            r.status = RunStatus::Running;
            r.message = None;
            r
        }
        Some(r) if r.status != RunStatus::Running => {
            return Ok(JobOutcome::Skipped(format!(
                "run {} already finished",
                message.run_id
            )));
        }
        Some(r) => r,
        None => RunReport::start(
            connection.id.clone(),
            message.run_id.clone(),
            J::NAME,
            J::Counts::default().into_report(),
            now,
        ),
    };
    report.invocations += 1;
    let claim_owner = crate::RunId::new(format!(
        "{}~{}",
        report.run_id,
        uuid::Uuid::new_v4().simple()
    ));
    let hold = JobHold::take(ports, &connection.id, J::NAME, &claim_owner, deadline).await?;
    info!(connection_id = %connection.id, run_id = %message.run_id, job = J::NAME, sequence = message.sequence, "invocation starts");
    let outcome = run_holding(
        job,
        ports,
        message,
        deadline,
        options,
        (&connection, report, claim_owner),
        &hold,
    )
    .await;
    hold.release(ports).await;
    outcome
}

/// The name of the lease an invocation holds while it works on `job` for `connection` (the
/// hourly sweeper takes it too before closing a run, so it never closes one being worked on).
pub(crate) fn job_hold_name(connection: &crate::ConnectionId, job: &str) -> String {
    format!("job:{connection}:{job}")
}

/// A continuation (or a redelivery) of a run whose connection stopped being active meanwhile
/// (a sign-in refused by another job, paused by the user): nothing will work on that run any
/// more, so its report is closed as interrupted, saying why, instead of staying "Running".
async fn close_run_of_inactive(
    ports: &LifecyclePorts<'_>,
    connection: &Connection,
    message: &Job,
) -> Result<(), JobError> {
    let Some(mut report) = ports
        .reports
        .run_report(&connection.id, &message.run_id)
        .await?
    else {
        return Ok(());
    };
    if report.status != RunStatus::Running {
        return Ok(());
    }
    let why = match connection.status {
        ConnectionStatus::Paused => "the connection was paused".to_owned(),
        _ => connection
            .status_reason
            .clone()
            .unwrap_or_else(|| "the connection needs a new sign-in".to_owned()),
    };
    report.status = RunStatus::Interrupted;
    report.message = Some(format!(
        "This run stopped before its end: {why}. Nothing is lost: what it did not do goes with the first run once the connection is active again."
    ));
    report.updated_at = ports.clock.now();
    ports.reports.put_run_report(&report).await?;
    info!(connection_id = %connection.id, run_id = %report.run_id, "run of an inactive connection closed as interrupted");
    Ok(())
}

/// One invocation's hold on its job for its connection: a lease named after both, owned by
/// the invocation's attempt, lapsing when Lambda kills the invocation at the latest. Two
/// deliveries of one message, or two runs of one job started together, never work at the
/// same time: the second hands its message back ([`JobError::Busy`]).
struct JobHold {
    name: String,
    owner: String,
}

impl JobHold {
    /// After Lambda's kill instant the holder is surely gone; the margin covers clock skew.
    const AFTER_KILL: chrono::Duration = chrono::Duration::seconds(30);
    /// How long a hold lasts when the invocation has no deadline (direct calls, tests).
    const WITHOUT_DEADLINE: chrono::Duration = chrono::Duration::minutes(15);

    async fn take(
        ports: &LifecyclePorts<'_>,
        connection: &crate::ConnectionId,
        job: &'static str,
        owner: &crate::RunId,
        deadline: Deadline,
    ) -> Result<Self, JobError> {
        let now = ports.clock.now();
        let until = deadline
            .hard()
            .map_or(now + Self::WITHOUT_DEADLINE, |hard| hard + Self::AFTER_KILL);
        let hold = Self {
            name: job_hold_name(connection, job),
            owner: owner.to_string(),
        };
        if ports
            .leases
            .acquire_lease(&hold.name, &hold.owner, now, until)
            .await?
        {
            Ok(hold)
        } else {
            info!(connection_id = %connection, job, "another invocation holds this job; the message is handed back");
            Err(JobError::Busy {
                job,
                connection: connection.to_string(),
            })
        }
    }

    /// Let the next invocation in (a failed release lapses by itself).
    async fn release(&self, ports: &LifecyclePorts<'_>) {
        if let Err(error) = ports.leases.release_lease(&self.name, &self.owner).await {
            warn!(lease = %self.name, %error, "could not release the job hold; it lapses by itself");
        }
    }
}

/// [`run_job`] once the invocation holds its job.
async fn run_holding<J: ConnectionJob>(
    job: &J,
    ports: &LifecyclePorts<'_>,
    message: &Job,
    deadline: Deadline,
    options: LifecycleOptions,
    (connection, report, claim_owner): (&Connection, RunReport, crate::RunId),
    hold: &JobHold,
) -> Result<JobOutcome, JobError> {
    // Written as the invocation starts: the page shows the run as running (with its
    // invocations so far), and a run whose invocation is killed before it saves anything
    // has a report the hourly sweeper can close as interrupted.
    ports.reports.put_run_report(&report).await?;
    let systems = match J::Systems::open(ports.connector, connection, deadline).await {
        Ok(systems) => systems,
        Err(e) => return stop_for(J::NOUN, ports, report, &e).await,
    };
    let mut run = RunContext {
        connection,
        message,
        systems,
        counts: J::Counts::from_report(&report.counts),
        clock: ports.clock,
        deadline,
        first_invocation: message.sequence == 0,
        claim_owner,
        report,
        options,
        attempted: 0,
    };
    let mut cursor = match &message.cursor {
        Some(raw) => serde_json::from_str(raw).map_err(|e| JobError::BadCursor {
            run: message.run_id.to_string(),
            detail: e.to_string(),
        })?,
        None => job.first_cursor(connection, &run).await?,
    };
    match job.work(&mut run, &mut cursor).await {
        Ok(()) => {
            job.complete(&mut run, &cursor).await?;
            let mut report = run.report();
            report.status = report.completed_status();
            report.message = None;
            report.updated_at = ports.clock.now();
            ports.reports.put_run_report(&report).await?;
            info!(connection_id = %connection.id, run_id = %report.run_id, job = J::NAME, status = ?report.status, "run finished");
            Ok(JobOutcome::Finished(report))
        }
        Err(Stop::Deadline) => continue_later(ports, message, run.report(), &cursor, hold).await,
        Err(Stop::External(e)) if e.disposition() == Disposition::HandOver => {
            continue_later(ports, message, run.report(), &cursor, hold).await
        }
        Err(Stop::External(e)) => {
            warn!(connection_id = %connection.id, run_id = %message.run_id, job = J::NAME, error = %e, "run stopped");
            stop_for(J::NOUN, ports, run.report(), &e).await
        }
        Err(Stop::Refused(why)) => finish_as(ports, run.report(), RunStatus::Failed, why).await,
        Err(Stop::Infra(e)) => {
            ports.reports.put_run_report(&run.report()).await?;
            Err(e)
        }
    }
}

/// End a run that an outside failure stopped, saying why and what happens next. The status
/// and the words always agree: a paused run says the next run continues, a failed one says
/// what a person must do. A refusal of the whole connection (access refused, or credentials
/// that no longer work — a ledger whose sign-in is a user name and password has no token
/// source to mark it) also marks the connection (`NeedsReauth`, with the reason) so no
/// schedule runs it into the same refusal again before a person has fixed it on the
/// reactivation page.
async fn stop_for(
    noun: &str,
    ports: &LifecyclePorts<'_>,
    report: RunReport,
    error: &ExternalError,
) -> Result<JobOutcome, JobError> {
    let (status, message) = stop_words(noun, error);
    if error.refuses_connection() {
        warn!(connection_id = %report.connection_id, reason = %error, "marking connection needs_reauth");
        ports
            .connections
            .set_connection_status(
                &report.connection_id,
                ConnectionStatus::NeedsReauth,
                Some(error.to_string()),
            )
            .await?;
    }
    finish_as(ports, report, status, message).await
}

/// The status and the message of a run stopped by `error` at a step every item depends on.
pub(crate) fn stop_words(noun: &str, error: &ExternalError) -> (RunStatus, String) {
    match error.run_disposition() {
        Disposition::PauseRun | Disposition::HandOver => (
            RunStatus::Paused,
            format!(
                "The {noun} paused: {error}. Nothing is lost: the next run continues where this one stopped."
            ),
        ),
        Disposition::FailRun | Disposition::FailItem => {
            let what_to_do = match error {
                // Its own words say what to do (sign in again).
                ExternalError::NeedsReauth { .. } => String::new(),
                ExternalError::ConnectionRefused { system, .. } => format!(
                    " Fix it on the reactivation page (sign in to {system} again there). Koppel stopped at once and sent nothing more, so {system} does not block it for repeated errors; what was not done yet stays pending and is done by the first run after the fix."
                ),
                _ => String::from(
                    " Check the connection on the reactivation page (its pre-flight check names what is wrong), then press \"Sync now\" or wait for the next scheduled run; nothing was lost.",
                ),
            };
            (
                RunStatus::Failed,
                format!("The {noun} stopped early: {error}{what_to_do}"),
            )
        }
    }
}

async fn finish_as(
    ports: &LifecyclePorts<'_>,
    mut report: RunReport,
    status: RunStatus,
    message: String,
) -> Result<JobOutcome, JobError> {
    report.status = status;
    report.message = Some(message);
    report.updated_at = ports.clock.now();
    ports.reports.put_run_report(&report).await?;
    Ok(JobOutcome::Finished(report))
}

async fn continue_later<C: Serialize>(
    ports: &LifecyclePorts<'_>,
    message: &Job,
    mut report: RunReport,
    cursor: &C,
    hold: &JobHold,
) -> Result<JobOutcome, JobError> {
    let cursor = serde_json::to_string(cursor).map_err(|e| JobError::BadCursor {
        run: message.run_id.to_string(),
        detail: e.to_string(),
    })?;
    report.updated_at = ports.clock.now();
    report.message =
        Some("The Lambda time ran out; the run continues in a new invocation.".to_owned());
    ports.reports.put_run_report(&report).await?;
    // The continuation may start at once: the report is written and the hold let go first.
    // Dying before the send loses nothing: this message comes back with the older cursor.
    hold.release(ports).await;
    ports.queue.send(&[message.continuation(cursor)]).await?;
    info!(connection_id = %message.connection_id, run_id = %message.run_id, job = message.kind.name(), "continues in a new message");
    Ok(JobOutcome::Continued(report))
}

#[cfg(test)]
mod tests {
    //! The lifecycle with a toy job that works through numbered items, so what the lifecycle
    //! guarantees for every job is shown apart from the export.

    use super::*;
    use crate::memory::{InMemoryQueue, InMemoryStore, ManualClock};
    use crate::{
        AccountId, ConnectionId, ConnectionSettings, DepartmentId, FixedConnector, JobKind,
        LedgerKind, RunCounts, RunId,
    };
    use chrono::TimeZone;
    use serde::Deserialize;
    use std::sync::Mutex;
    use std::time::Duration;

    /// Items done, as the toy job counts them.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    struct Done(u32);

    impl JobCounts for Done {
        fn from_report(counts: &RunCounts) -> Self {
            match counts {
                RunCounts::InvoiceExport(c) => Done(c.exported),
                _ => Done(0),
            }
        }
        fn into_report(self) -> RunCounts {
            RunCounts::InvoiceExport(crate::ExportCounts {
                exported: self.0,
                ..Default::default()
            })
        }
    }

    #[derive(Serialize, Deserialize)]
    struct Next(u32);

    #[test]
    fn an_item_refused_again_in_the_same_run_is_listed_and_counted_once() {
        let clock = ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 20, 1, 0, 0).unwrap());
        let connection = Connection {
            id: ConnectionId::from("c1"),
            account_id: AccountId::from("a"),
            department_id: DepartmentId::from("d"),
            ledger: LedgerKind::Octopus,
            ledger_company: "1".into(),
            status: ConnectionStatus::Active,
            settings: ConnectionSettings::default(),
            teamleader_secret: "t".into(),
            ledger_secret: "l".into(),
            created_at: clock.now(),
            status_reason: None,
        };
        let message = Job::start(
            connection.id.clone(),
            RunId::from("r1"),
            JobKind::InvoiceExport,
        );
        let mut run = RunContext {
            connection: &connection,
            message: &message,
            systems: NoSystems,
            counts: Done(0),
            clock: &clock,
            deadline: Deadline::none(),
            first_invocation: true,
            report: RunReport::start(
                connection.id.clone(),
                RunId::from("r1"),
                "toy",
                RunCounts::InvoiceExport(Default::default()),
                clock.now(),
            ),
            options: LifecycleOptions::default(),
            claim_owner: RunId::from("r1~a"),
            attempted: 0,
        };
        let document = |id: &str| IssueSubject::Document {
            id: crate::DocumentId::from(id),
            number: Some(id.to_owned()),
            kind: crate::DocumentKind::Invoice,
        };
        assert!(run.issue_once(document("1"), IssueOutcome::Failed, "closed".into()));
        assert!(run.issue_once(document("2"), IssueOutcome::Failed, "closed".into()));
        assert!(!run.issue_once(document("1"), IssueOutcome::Failed, "closed again".into()));
        let report = run.report();
        assert_eq!(report.issues.len(), 2);
        assert_eq!(
            report.issues[0].reason, "closed again",
            "the newer reason is kept"
        );
    }

    /// Works through `items` items, each taking `each` of clock time; item `fail_at` fails
    /// with `error` instead.
    struct Toy {
        items: u32,
        each: Duration,
        clock: Arc<ManualClock>,
        fail_at: Mutex<Option<(u32, ExternalError)>>,
    }

    #[async_trait]
    impl ConnectionJob for Toy {
        const NAME: &'static str = "toy";
        const NOUN: &'static str = "toy job";
        type Systems = NoSystems;
        type Cursor = Next;
        type Counts = Done;

        async fn first_cursor(
            &self,
            _connection: &Connection,
            _run: &RunContext<'_, NoSystems, Done>,
        ) -> Result<Next, JobError> {
            Ok(Next(0))
        }

        async fn work(
            &self,
            run: &mut RunContext<'_, NoSystems, Done>,
            cursor: &mut Next,
        ) -> Result<(), Stop> {
            while cursor.0 < self.items {
                if run.must_hand_over() {
                    return Err(Stop::Deadline);
                }
                run.attempt();
                let failing = self
                    .fail_at
                    .lock()
                    .unwrap()
                    .take_if(|(at, _)| *at == cursor.0);
                if let Some((_, error)) = failing {
                    if error.disposition() == Disposition::FailItem {
                        run.issue(
                            IssueSubject::FileRow {
                                file: "toy.csv".into(),
                                row: cursor.0 + 1,
                            },
                            IssueOutcome::Failed,
                            error.to_string(),
                        );
                    } else {
                        return Err(Stop::External(error));
                    }
                } else {
                    run.counts.0 += 1;
                }
                self.clock.advance(self.each);
                cursor.0 += 1;
            }
            Ok(())
        }

        async fn complete(
            &self,
            _run: &mut RunContext<'_, NoSystems, Done>,
            _cursor: &Next,
        ) -> Result<(), JobError> {
            Ok(())
        }
    }

    struct World {
        clock: Arc<ManualClock>,
        store: InMemoryStore,
        queue: InMemoryQueue,
        connector: FixedConnector,
    }

    impl World {
        async fn new(status: ConnectionStatus) -> Self {
            let clock = Arc::new(ManualClock::new(
                chrono::Utc.with_ymd_and_hms(2026, 11, 20, 1, 0, 0).unwrap(),
            ));
            let store = InMemoryStore::new();
            store
                .put_connection(&Connection {
                    id: ConnectionId::from("c1"),
                    account_id: AccountId::from("a"),
                    department_id: DepartmentId::from("d"),
                    ledger: LedgerKind::Twinfield,
                    ledger_company: "1".into(),
                    status,
                    settings: ConnectionSettings::default(),
                    teamleader_secret: "t".into(),
                    ledger_secret: "l".into(),
                    created_at: clock.now(),
                    status_reason: None,
                })
                .await
                .unwrap();
            let ledger = Arc::new(crate::memory::InMemoryLedger::new(
                LedgerKind::Twinfield,
                Default::default(),
            ));
            let connector = FixedConnector {
                source: Arc::new(crate::memory::InMemorySource::new()),
                ledger,
                einvoice: None,
            };
            Self {
                clock,
                store,
                queue: InMemoryQueue::new(),
                connector,
            }
        }

        fn toy(&self, items: u32, fail_at: Option<(u32, ExternalError)>) -> Toy {
            Toy {
                items,
                each: Duration::from_secs(10),
                clock: self.clock.clone(),
                fail_at: Mutex::new(fail_at),
            }
        }

        async fn invoke(&self, job: &Toy, message: &Job, budget: Option<u64>) -> JobOutcome {
            self.try_invoke(job, message, budget).await.unwrap()
        }

        async fn try_invoke(
            &self,
            job: &Toy,
            message: &Job,
            budget: Option<u64>,
        ) -> Result<JobOutcome, JobError> {
            let ports = LifecyclePorts {
                connector: &self.connector,
                connections: &self.store,
                reports: &self.store,
                leases: &self.store,
                queue: &self.queue,
                clock: self.clock.as_ref(),
            };
            let deadline = budget.map_or(Deadline::none(), |seconds| {
                Deadline::after(
                    self.clock.now(),
                    Duration::from_secs(seconds),
                    Duration::from_secs(15),
                )
            });
            run_job(job, &ports, message, deadline, LifecycleOptions::default()).await
        }
    }

    fn message() -> Job {
        Job::start(
            ConnectionId::from("c1"),
            RunId::from("r1"),
            JobKind::PaymentPoll,
        )
    }

    fn report(outcome: JobOutcome) -> RunReport {
        match outcome {
            JobOutcome::Finished(r) | JobOutcome::Continued(r) => r,
            JobOutcome::Skipped(why) => panic!("skipped: {why}"),
        }
    }

    #[tokio::test]
    async fn a_run_continues_in_new_messages_until_done_with_progress_in_each() {
        let world = World::new(ConnectionStatus::Active).await;
        let job = world.toy(20, None);
        // 60 s of budget, 15 s of margin, 10 s per item: items start at 0, 10, 20, 30 and 40 s,
        // then the invocation hands over.
        let mut messages = vec![message()];
        let mut invocations = 0;
        let mut last = None;
        while let Some(m) = messages.pop() {
            invocations += 1;
            last = Some(world.invoke(&job, &m, Some(60)).await);
            messages.extend(world.queue.take_sent());
        }
        let report = report(last.unwrap());
        assert_eq!(report.status, RunStatus::Succeeded);
        assert_eq!(Done::from_report(&report.counts), Done(20));
        assert_eq!(report.invocations, invocations);
        assert_eq!(invocations, 4, "five items per invocation");
        // The run is over: a late duplicate of any of its messages does nothing.
        assert!(matches!(
            world.invoke(&job, &message(), None).await,
            JobOutcome::Skipped(_)
        ));
    }

    #[tokio::test]
    async fn a_job_held_by_another_invocation_hands_its_message_back_until_the_hold_lapses() {
        let world = World::new(ConnectionStatus::Active).await;
        let job = world.toy(3, None);
        // An invocation of this job for this connection is running (or died holding it; its
        // Lambda deadline, and so its hold, ends in ten minutes).
        let now = world.clock.now();
        assert!(
            world
                .store
                .acquire_lease(
                    "job:c1:toy",
                    "r0~other",
                    now,
                    now + chrono::Duration::minutes(10)
                )
                .await
                .unwrap()
        );
        let turned_away = world.try_invoke(&job, &message(), Some(900)).await;
        assert!(
            matches!(turned_away, Err(JobError::Busy { job: "toy", .. })),
            "{turned_away:?}"
        );
        assert!(
            world
                .store
                .run_report(&ConnectionId::from("c1"), &RunId::from("r1"))
                .await
                .unwrap()
                .is_none(),
            "nothing was done or reported"
        );
        // SQS delivers the message again after its visibility timeout: the hold has lapsed.
        world.clock.advance(Duration::from_secs(11 * 60));
        let done = report(world.invoke(&job, &message(), Some(900)).await);
        assert_eq!(Done::from_report(&done.counts), Done(3));
        // The finished invocation let go of the job: the next run starts at once.
        let next = Job::start(
            ConnectionId::from("c1"),
            RunId::from("r2"),
            JobKind::PaymentPoll,
        );
        assert_eq!(
            report(world.invoke(&job, &next, Some(900)).await).status,
            RunStatus::Succeeded
        );
    }

    #[tokio::test]
    async fn an_inactive_connection_is_skipped_without_a_report() {
        let world = World::new(ConnectionStatus::NeedsReauth).await;
        let outcome = world.invoke(&world.toy(3, None), &message(), None).await;
        assert!(matches!(outcome, JobOutcome::Skipped(ref why) if why.contains("NeedsReauth")));
        assert!(
            world
                .store
                .run_reports(&ConnectionId::from("c1"), 5)
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn each_disposition_ends_the_run_its_own_way() {
        let system = "Ledger";
        let cases = [
            (
                ExternalError::Rejected {
                    system,
                    status: 400,
                    message: "bad row".into(),
                },
                RunStatus::CompletedWithIssues,
                "",
            ),
            (
                ExternalError::Unavailable {
                    system,
                    detail: "down".into(),
                },
                RunStatus::Paused,
                "The toy job paused: Ledger could not be reached (down)",
            ),
            (
                ExternalError::NeedsReauth {
                    system,
                    detail: "revoked".into(),
                },
                RunStatus::Failed,
                "The toy job stopped early: Ledger refused Koppel's access (revoked)",
            ),
        ];
        for (error, status, message_start) in cases {
            let world = World::new(ConnectionStatus::Active).await;
            let outcome = world
                .invoke(&world.toy(5, Some((2, error))), &message(), None)
                .await;
            let report = report(outcome);
            assert_eq!(report.status, status, "{report:#?}");
            assert!(
                report
                    .message
                    .as_deref()
                    .unwrap_or("")
                    .starts_with(message_start),
                "{report:#?}"
            );
        }
        // Out of time for a wait: the run continues in a new message, nothing is reported.
        let world = World::new(ConnectionStatus::Active).await;
        let no_time = ExternalError::NoTimeLeft {
            system,
            until: world.clock.now(),
        };
        let outcome = world
            .invoke(&world.toy(5, Some((2, no_time))), &message(), None)
            .await;
        assert!(matches!(outcome, JobOutcome::Continued(ref r) if r.status == RunStatus::Running));
        let continuation = world.queue.take_sent();
        assert_eq!(continuation.len(), 1);
        assert_eq!(continuation[0].sequence, 1);
        assert_eq!(continuation[0].cursor.as_deref(), Some("2"));
    }

    #[tokio::test]
    async fn an_unreadable_cursor_is_an_error_so_the_message_is_retried() {
        let world = World::new(ConnectionStatus::Active).await;
        let mut m = message();
        m.cursor = Some("not json".into());
        let ports = LifecyclePorts {
            connector: &world.connector,
            connections: &world.store,
            reports: &world.store,
            leases: &world.store,
            queue: &world.queue,
            clock: world.clock.as_ref(),
        };
        let error = run_job(
            &world.toy(1, None),
            &ports,
            &m,
            Deadline::none(),
            LifecycleOptions::default(),
        )
        .await
        .unwrap_err();
        assert!(matches!(error, JobError::BadCursor { .. }), "{error}");
    }
}
