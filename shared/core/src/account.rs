//! What a signed-in person does with the connections of their Teamleader account on the
//! connection page: sign in again (the reactivation), look at the connections and their runs,
//! start a run now, pause and resume. The page is an HTTP adapter around these use-cases;
//! tenant isolation is enforced here: every function takes the signed-in account and
//! refuses connections of any other one as [`AccountError::NotFound`] (the page answers 404,
//! never "forbidden", so ids of other accounts cannot even be confirmed).

use crate::jobs::merge::MatchBy;
use crate::{
    AccountId, Clock, Connection, ConnectionId, ConnectionSettings, ConnectionStatus,
    ConnectionStore, Connector, Deadline, DepartmentId, ExternalError, FileStore, Finding, Job,
    JobKind, JobQueue, LedgerKind, MergeJob, MergeJobStore, OAuthTokens, QueueError, RunId,
    RunReport, RunReportStore, Severity, StoreError, Vault, VaultError,
};
use thiserror::Error;

/// Why an account use-case did not happen.
#[derive(Debug, Error)]
pub enum AccountError {
    /// No such connection in the signed-in account (or in any account).
    #[error("no such connection in this account")]
    NotFound,
    /// The state store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The vault failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The queue refused the job.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// The file store failed.
    #[error(transparent)]
    Files(#[from] crate::FileStoreError),
    /// The department is already linked (one connection per Teamleader department).
    #[error("this department is already linked to {0}")]
    AlreadyConnected(&'static str),
    /// The ledger's pre-flight found blockers: nothing was saved.
    #[error("the settings cannot be saved yet: {}", .0.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join("; "))]
    Blocked(Vec<Finding>),
}

/// What a fresh Teamleader sign-in changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reactivation {
    /// Every connection of the account (now reading the fresh tokens).
    pub connections: Vec<ConnectionId>,
    /// Those that were waiting for a sign-in and are active again.
    pub reactivated: Vec<ConnectionId>,
}

/// The name of the vault secret holding an account's Teamleader tokens. One secret per
/// Teamleader account, shared by its connections: Teamleader's refresh tokens are single-use,
/// so two copies of a pair would kill each other at the first refresh (the refresh lease is
/// taken per secret name, so the connections of an account take turns).
pub fn teamleader_secret_name(prefix: &str, account: &AccountId) -> String {
    format!("{prefix}account-{account}/teamleader")
}

/// The reactivation: a person of `account` signed in to Teamleader and Koppel received
/// `tokens`. They are written to the account's secret, every connection of the account
/// reads them from now on, and connections waiting for a sign-in become active again (if
/// the ledger's link is what broke, the next run or the page's health check says so again).
pub async fn reactivate(
    connections: &dyn ConnectionStore,
    vault: &dyn Vault,
    account: &AccountId,
    secret_name: &str,
    tokens: &OAuthTokens,
) -> Result<Reactivation, AccountError> {
    let value = serde_json::to_value(tokens).map_err(|e| VaultError::Corrupt {
        name: secret_name.to_owned(),
        detail: e.to_string(),
    })?;
    vault.write(secret_name, &value).await?;
    let mut done = Reactivation {
        connections: Vec::new(),
        reactivated: Vec::new(),
    };
    for mut connection in connections.connections_of_account(account).await? {
        let waiting = connection.status == ConnectionStatus::NeedsReauth;
        if connection.teamleader_secret != secret_name || waiting {
            connection.teamleader_secret = secret_name.to_owned();
            if waiting {
                connection.status = ConnectionStatus::Active;
                connection.status_reason = None;
                done.reactivated.push(connection.id.clone());
            }
            connections.put_connection(&connection).await?;
        }
        done.connections.push(connection.id);
    }
    tracing::info!(
        account = %account,
        connections = done.connections.len(),
        reactivated = done.reactivated.len(),
        "Teamleader sign-in stored"
    );
    Ok(done)
}

/// Where a connection's Teamleader link stands after [`retry_teamleader_link`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Teamleader answered with the stored tokens: "Up & Running".
    UpAndRunning,
    /// A person must sign in to Teamleader again (or the connection does not exist: the
    /// anonymous answer is the same, so ids cannot be probed).
    SignInNeeded,
}

/// The reactivation URL opened without a session (`/teamleader?c=…`): try the connection's
/// Teamleader tokens once more — refreshing them if they are due — with one cheap call. A
/// connection waiting for a sign-in is given that one chance (Teamleader's refusal may have
/// been passing); refused again, the token source marks it back with the new reason. Any
/// other failure (Teamleader down) leaves the connection as it was.
pub async fn retry_teamleader_link(
    connections: &dyn ConnectionStore,
    connector: &dyn Connector,
    id: &ConnectionId,
    deadline: Deadline,
) -> Result<LinkState, AccountError> {
    let Some(connection) = connections.connection(id).await? else {
        return Ok(LinkState::SignInNeeded);
    };
    let was = (connection.status, connection.status_reason.clone());
    if was.0 == ConnectionStatus::NeedsReauth {
        connections
            .set_connection_status(id, ConnectionStatus::Active, None)
            .await?;
    }
    let probe = async {
        let mut active = connection.clone();
        active.status = ConnectionStatus::Active;
        connector
            .source(&active, deadline)
            .await?
            .departments()
            .await
    };
    match probe.await {
        Ok(_) => {
            tracing::info!(connection = %id, "Teamleader link answered: up and running");
            Ok(LinkState::UpAndRunning)
        }
        Err(ExternalError::NeedsReauth { .. }) => Ok(LinkState::SignInNeeded),
        Err(error) => {
            tracing::warn!(connection = %id, %error, "Teamleader link check failed");
            if was.0 == ConnectionStatus::NeedsReauth {
                connections.set_connection_status(id, was.0, was.1).await?;
            }
            Ok(LinkState::SignInNeeded)
        }
    }
}

/// Start linking `department` of `account` to `ledger`: a connection in
/// [`ConnectionStatus::Draft`] (the schedule never runs it) that the ledger's sign-in and the
/// settings form complete. A draft of the same department is reused (the person started
/// over, maybe with another ledger); a department already linked is refused.
pub async fn begin_connection(
    connections: &dyn ConnectionStore,
    clock: &dyn Clock,
    account: &AccountId,
    department: &DepartmentId,
    ledger: LedgerKind,
    teamleader_secret: &str,
    ledger_secret: impl Fn(&ConnectionId) -> String,
) -> Result<Connection, AccountError> {
    let existing = connections
        .connections_of_account(account)
        .await?
        .into_iter()
        .find(|c| &c.department_id == department);
    let connection = match existing {
        Some(c) if c.status != ConnectionStatus::Draft => {
            return Err(AccountError::AlreadyConnected(c.ledger.display_name()));
        }
        Some(draft) => Connection {
            ledger,
            ledger_company: String::new(),
            ledger_secret: ledger_secret(&draft.id),
            ..draft
        },
        None => {
            let id = ConnectionId::new(format!(
                "c-{}",
                RunId::generate()
                    .as_str()
                    .replace('-', "")
                    .get(..16)
                    .unwrap_or_default()
            ));
            Connection {
                ledger_secret: ledger_secret(&id),
                id,
                account_id: account.clone(),
                department_id: department.clone(),
                ledger,
                ledger_company: String::new(),
                status: ConnectionStatus::Draft,
                settings: ConnectionSettings::default(),
                teamleader_secret: teamleader_secret.to_owned(),
                created_at: clock.now(),
                status_reason: None,
            }
        }
    };
    connections.put_connection(&connection).await?;
    tracing::info!(connection = %connection.id, ledger = connection.ledger.display_name(), "connection set-up started");
    Ok(connection)
}

/// The ledger's sign-in succeeded for a connection of `account` (its credential is in the
/// connection's ledger secret): a connection waiting for that sign-in works again; a draft
/// stays a draft until its settings are saved.
pub async fn ledger_signed_in(
    connections: &dyn ConnectionStore,
    account: &AccountId,
    id: &ConnectionId,
) -> Result<Connection, AccountError> {
    let mut connection = connection_of(connections, account, id).await?;
    if connection.status == ConnectionStatus::NeedsReauth {
        connection.status = ConnectionStatus::Active;
        connection.status_reason = None;
        connections.put_connection(&connection).await?;
    }
    Ok(connection)
}

/// Choose the ledger administration of a connection of `account`.
pub async fn choose_administration(
    connections: &dyn ConnectionStore,
    account: &AccountId,
    id: &ConnectionId,
    administration: &str,
) -> Result<Connection, AccountError> {
    let mut connection = connection_of(connections, account, id).await?;
    connection.ledger_company = administration.trim().to_owned();
    connections.put_connection(&connection).await?;
    Ok(connection)
}

/// Save the settings of a connection of `account`, checked by the ledger's pre-flight
/// (`findings`, computed by the caller with the ledger's current lists): any blocker and
/// nothing is saved. A draft becomes active. Automatic sync stays as it was until a manual
/// sync succeeded (see [`may_sync_automatically`]).
pub async fn save_settings(
    connections: &dyn ConnectionStore,
    reports: &dyn RunReportStore,
    account: &AccountId,
    id: &ConnectionId,
    mut settings: ConnectionSettings,
    findings: &[Finding],
) -> Result<Connection, AccountError> {
    let mut connection = connection_of(connections, account, id).await?;
    let blockers: Vec<Finding> = findings
        .iter()
        .filter(|f| f.severity == Severity::Blocker)
        .cloned()
        .collect();
    if !blockers.is_empty() {
        return Err(AccountError::Blocked(blockers));
    }
    if settings.automatic_sync && !may_sync_automatically(reports, &connection.id).await? {
        settings.automatic_sync = false;
    }
    // The webhook's token and state are Koppel's, not the form's.
    settings.webhook = connection.settings.webhook.clone();
    connection.settings = settings;
    if connection.status == ConnectionStatus::Draft {
        connection.status = ConnectionStatus::Active;
    }
    connections.put_connection(&connection).await?;
    tracing::info!(connection = %connection.id, "connection settings saved");
    Ok(connection)
}

/// Whether automatic sync may be turned on: only after a manual export run ended without a
/// failure of the whole run (the seeds: "first a good manual sync").
pub async fn may_sync_automatically(
    reports: &dyn RunReportStore,
    id: &ConnectionId,
) -> Result<bool, AccountError> {
    Ok(had_a_good_export(&reports.run_reports(id, 20).await?))
}

/// True when one of `runs` is an export that ended without a failure of the whole run: the
/// rule of [`may_sync_automatically`], for a caller that already holds the runs.
pub fn had_a_good_export(runs: &[crate::RunReport]) -> bool {
    runs.iter().any(|r| {
        r.job == JobKind::InvoiceExport.name()
            && matches!(
                r.status,
                crate::RunStatus::Succeeded | crate::RunStatus::CompletedWithIssues
            )
    })
}

/// Turn automatic sync on or off for a connection of `account` (on only after a good
/// manual sync: false is returned and nothing changes otherwise).
pub async fn set_automatic_sync(
    connections: &dyn ConnectionStore,
    reports: &dyn RunReportStore,
    account: &AccountId,
    id: &ConnectionId,
    on: bool,
) -> Result<bool, AccountError> {
    let mut connection = connection_of(connections, account, id).await?;
    if on && !may_sync_automatically(reports, id).await? {
        return Ok(false);
    }
    connection.settings.automatic_sync = on;
    connections.put_connection(&connection).await?;
    Ok(true)
}

/// The run of a merge file's preview or application: named after the merge so the page can
/// offer "Apply" under a finished preview.
pub fn merge_run_id(merge_id: &str, apply: bool) -> RunId {
    RunId::new(format!(
        "merge-{merge_id}-{}",
        if apply { "apply" } else { "preview" }
    ))
}

/// The merge job and whether it is applied, when `run` is a merge file's run.
pub fn merge_of_run(run: &RunId) -> Option<(&str, bool)> {
    let rest = run.as_str().strip_prefix("merge-")?;
    if let Some(id) = rest.strip_suffix("-preview") {
        return Some((id, false));
    }
    rest.strip_suffix("-apply").map(|id| (id, true))
}

/// The ports a merge-file upload needs.
pub struct MergeUpload<'a> {
    /// Connections (ownership).
    pub connections: &'a dyn ConnectionStore,
    /// Merge jobs.
    pub merges: &'a dyn MergeJobStore,
    /// Where the file is kept.
    pub files: &'a dyn FileStore,
    /// The merge-file queue.
    pub queue: &'a dyn JobQueue,
    /// Time.
    pub clock: &'a dyn Clock,
}

/// A merge file uploaded for a connection of `account`: the file kept, the merge job
/// recorded, its preview queued. Returns the merge id and the preview's run.
pub async fn upload_merge_file(
    ports: MergeUpload<'_>,
    account: &AccountId,
    id: &ConnectionId,
    file_name: &str,
    bytes: &[u8],
    match_by: MatchBy,
) -> Result<(String, RunId), AccountError> {
    let connection = connection_of(ports.connections, account, id).await?;
    let merge_id = RunId::generate()
        .as_str()
        .replace('-', "")
        .get(..16)
        .unwrap_or_default()
        .to_owned();
    let key = format!("{}/{merge_id}", connection.id);
    ports.files.put(&key, bytes).await?;
    let now = ports.clock.now();
    ports
        .merges
        .put_merge_job(&MergeJob {
            connection_id: connection.id.clone(),
            merge_id: merge_id.clone(),
            file_name: file_name.chars().take(200).collect(),
            file_key: key,
            match_by,
            uploaded_at: now,
            preview: None,
            applied: None,
            updated_at: now,
        })
        .await?;
    let run = merge_run_id(&merge_id, false);
    let kind = JobKind::MergeFile {
        merge_id: merge_id.clone(),
        apply: false,
    };
    ports
        .queue
        .send(&[Job::start(connection.id.clone(), run.clone(), kind)])
        .await?;
    tracing::info!(connection = %connection.id, merge = %merge_id, bytes = bytes.len(), "merge file uploaded");
    Ok((merge_id, run))
}

/// Apply a previewed merge file of a connection of `account` (once: an applied one answers
/// its earlier run).
pub async fn apply_merge_file(
    ports: MergeUpload<'_>,
    account: &AccountId,
    id: &ConnectionId,
    merge_id: &str,
) -> Result<RunId, AccountError> {
    let connection = connection_of(ports.connections, account, id).await?;
    let Some(merge) = ports.merges.merge_job(&connection.id, merge_id).await? else {
        return Err(AccountError::NotFound);
    };
    let run = merge_run_id(&merge.merge_id, true);
    if merge.applied.is_none() {
        let kind = JobKind::MergeFile {
            merge_id: merge.merge_id.clone(),
            apply: true,
        };
        ports
            .queue
            .send(&[Job::start(connection.id.clone(), run.clone(), kind)])
            .await?;
    }
    Ok(run)
}

/// A connection of `account`, or [`AccountError::NotFound`] when it belongs to another one.
pub async fn connection_of(
    connections: &dyn ConnectionStore,
    account: &AccountId,
    id: &ConnectionId,
) -> Result<Connection, AccountError> {
    match connections.connection(id).await? {
        Some(connection) if &connection.account_id == account => Ok(connection),
        _ => Err(AccountError::NotFound),
    }
}

/// A connection with its latest runs, as the status page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionOverview {
    /// The connection.
    pub connection: Connection,
    /// Its latest runs, newest first.
    pub runs: Vec<RunReport>,
}

/// Every connection of `account` with its `runs` latest runs.
pub async fn overview(
    connections: &dyn ConnectionStore,
    reports: &dyn RunReportStore,
    account: &AccountId,
    runs: usize,
) -> Result<Vec<ConnectionOverview>, AccountError> {
    let mut all = Vec::new();
    for connection in connections.connections_of_account(account).await? {
        let runs = reports.run_reports(&connection.id, runs).await?;
        all.push(ConnectionOverview { connection, runs });
    }
    Ok(all)
}

/// One run of a connection of `account` (None when the run is unknown: not started yet).
pub async fn run_of(
    connections: &dyn ConnectionStore,
    reports: &dyn RunReportStore,
    account: &AccountId,
    connection: &ConnectionId,
    run: &RunId,
) -> Result<(Connection, Option<RunReport>), AccountError> {
    let connection = connection_of(connections, account, connection).await?;
    let report = reports.run_report(&connection.id, run).await?;
    Ok((connection, report))
}

/// Start `kind` now for a connection of `account` ("Sync now", "Import companies"): one job
/// on the queue with a fresh run id, which the page follows. A paused connection can be run
/// by hand (pausing stops the schedule, not the person).
pub async fn start_run(
    connections: &dyn ConnectionStore,
    queue: &dyn JobQueue,
    clock: &dyn Clock,
    account: &AccountId,
    id: &ConnectionId,
    kind: JobKind,
) -> Result<RunId, AccountError> {
    let connection = connection_of(connections, account, id).await?;
    let run = RunId::new(format!(
        "manual-{}-{}",
        clock.now().format("%Y%m%dT%H%M%S"),
        RunId::generate().as_str().get(..8).unwrap_or_default()
    ));
    queue
        .send(&[Job::start(connection.id.clone(), run.clone(), kind)])
        .await?;
    tracing::info!(connection = %connection.id, run = %run, "run started by hand");
    Ok(run)
}

/// Pause (`paused = true`) or resume a connection of `account`. A connection waiting for a
/// sign-in stays so: only signing in resumes it.
pub async fn set_paused(
    connections: &dyn ConnectionStore,
    account: &AccountId,
    id: &ConnectionId,
    paused: bool,
) -> Result<ConnectionStatus, AccountError> {
    let connection = connection_of(connections, account, id).await?;
    let status = match (connection.status, paused) {
        (ConnectionStatus::NeedsReauth, _) => ConnectionStatus::NeedsReauth,
        (ConnectionStatus::Draft, _) => ConnectionStatus::Draft,
        (_, true) => ConnectionStatus::Paused,
        (_, false) => ConnectionStatus::Active,
    };
    if status != connection.status {
        let reason = connection
            .status_reason
            .filter(|_| status != ConnectionStatus::Active);
        connections
            .set_connection_status(&connection.id, status, reason)
            .await?;
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::ManualClock;
    use crate::memory::{InMemoryQueue, InMemoryStore, InMemoryVault};
    use crate::{Clock, ConnectionSettings, DepartmentId, LedgerKind, RunCounts, RunStatus};
    use chrono::{TimeZone, Utc};

    fn connection(id: &str, account: &str, status: ConnectionStatus) -> Connection {
        Connection {
            id: ConnectionId::new(id),
            account_id: AccountId::new(account),
            department_id: DepartmentId::new("dep"),
            ledger: LedgerKind::ExactOnline,
            ledger_company: "1".into(),
            status,
            settings: ConnectionSettings::default(),
            teamleader_secret: format!("old/{id}"),
            ledger_secret: format!("ledger/{id}"),
            created_at: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
            status_reason: (status == ConnectionStatus::NeedsReauth)
                .then(|| "Teamleader refused".to_owned()),
        }
    }

    async fn store_with(connections: &[Connection]) -> InMemoryStore {
        let store = InMemoryStore::default();
        for c in connections {
            store.put_connection(c).await.unwrap();
        }
        store
    }

    fn tokens() -> OAuthTokens {
        OAuthTokens {
            access_token: "a".into(),
            refresh_token: "r".into(),
            expires_at: Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap(),
        }
    }

    #[tokio::test]
    async fn a_sign_in_stores_one_pair_for_the_account_and_reactivates_only_its_connections() {
        let store = store_with(&[
            connection("a1", "A", ConnectionStatus::NeedsReauth),
            connection("a2", "A", ConnectionStatus::Paused),
            connection("b1", "B", ConnectionStatus::NeedsReauth),
        ])
        .await;
        let vault = InMemoryVault::default();
        let account = AccountId::new("A");
        let secret = teamleader_secret_name("stack/connections/", &account);
        let done = reactivate(&store, &vault, &account, &secret, &tokens())
            .await
            .unwrap();
        assert_eq!(
            done.connections,
            vec![ConnectionId::new("a1"), ConnectionId::new("a2")]
        );
        assert_eq!(done.reactivated, vec![ConnectionId::new("a1")]);
        let a1 = store
            .connection(&ConnectionId::new("a1"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(a1.status, ConnectionStatus::Active);
        assert_eq!(a1.status_reason, None);
        assert_eq!(a1.teamleader_secret, secret);
        let a2 = store
            .connection(&ConnectionId::new("a2"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            a2.status,
            ConnectionStatus::Paused,
            "a pause is the user's choice"
        );
        assert_eq!(a2.teamleader_secret, secret);
        let b1 = store
            .connection(&ConnectionId::new("b1"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(b1.status, ConnectionStatus::NeedsReauth, "another account");
        assert_eq!(b1.teamleader_secret, "old/b1");
        let stored = vault.read(&secret).await.unwrap().unwrap();
        assert_eq!(stored.value["refresh_token"], "r");
    }

    #[tokio::test]
    async fn a_department_is_linked_once_through_a_draft_that_blockers_keep_a_draft() {
        let store = InMemoryStore::default();
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap());
        let a = AccountId::new("A");
        let dep = DepartmentId::new("dep");
        let secret = |id: &ConnectionId| format!("p/{id}/exact");
        let draft = begin_connection(
            &store,
            &clock,
            &a,
            &dep,
            LedgerKind::ExactOnline,
            "tl",
            secret,
        )
        .await
        .unwrap();
        assert_eq!(draft.status, ConnectionStatus::Draft);
        assert_eq!(draft.ledger_secret, format!("p/{}/exact", draft.id));
        assert!(
            store.active_connections().await.unwrap().is_empty(),
            "never scheduled"
        );
        let again = begin_connection(&store, &clock, &a, &dep, LedgerKind::Octopus, "tl", secret)
            .await
            .unwrap();
        assert_eq!(again.id, draft.id, "the draft is reused");
        assert_eq!(again.ledger, LedgerKind::Octopus);

        choose_administration(&store, &a, &draft.id, " 1001 ")
            .await
            .unwrap();
        let settings = ConnectionSettings {
            invoice_journal: Some("70".into()),
            automatic_sync: true,
            ..Default::default()
        };
        let refused = save_settings(
            &store,
            &store,
            &a,
            &draft.id,
            settings.clone(),
            &[Finding::blocker("choose a credit note journal")],
        )
        .await;
        assert!(matches!(refused, Err(AccountError::Blocked(ref b)) if b.len() == 1));
        let kept = store.connection(&draft.id).await.unwrap().unwrap();
        assert_eq!(kept.status, ConnectionStatus::Draft, "nothing saved");
        assert_eq!(kept.ledger_company, "1001");

        let saved = save_settings(&store, &store, &a, &draft.id, settings, &[])
            .await
            .unwrap();
        assert_eq!(saved.status, ConnectionStatus::Active);
        assert!(
            !saved.settings.automatic_sync,
            "only after a good manual sync"
        );
        assert!(matches!(
            begin_connection(
                &store,
                &clock,
                &a,
                &dep,
                LedgerKind::ExactOnline,
                "tl",
                secret
            )
            .await,
            Err(AccountError::AlreadyConnected("Octopus"))
        ));
        assert!(
            !set_automatic_sync(&store, &store, &a, &draft.id, true)
                .await
                .unwrap()
        );
        let mut good = RunReport::start(
            draft.id.clone(),
            RunId::new("manual-1"),
            "invoice-export",
            RunCounts::Nothing,
            clock.now(),
        );
        good.status = RunStatus::Succeeded;
        store.put_run_report(&good).await.unwrap();
        assert!(
            set_automatic_sync(&store, &store, &a, &draft.id, true)
                .await
                .unwrap()
        );
        let on = store.connection(&draft.id).await.unwrap().unwrap();
        assert!(on.settings.automatic_sync);
    }

    #[tokio::test]
    async fn a_merge_file_is_kept_recorded_previewed_and_applied_once() {
        use crate::memory::InMemoryFileStore;
        let store = store_with(&[connection("a1", "A", ConnectionStatus::Active)]).await;
        let files = InMemoryFileStore::default();
        let queue = InMemoryQueue::new();
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap());
        let ports = || MergeUpload {
            connections: &store,
            merges: &store,
            files: &files,
            queue: &queue,
            clock: &clock,
        };
        let a = AccountId::new("A");
        let a1 = ConnectionId::new("a1");
        let (merge, run) = upload_merge_file(
            ports(),
            &a,
            &a1,
            "export.csv",
            b"Name\nAcme\n",
            MatchBy::VatNumber,
        )
        .await
        .unwrap();
        assert_eq!(merge_of_run(&run), Some((merge.as_str(), false)));
        let job = store.merge_job(&a1, &merge).await.unwrap().unwrap();
        assert_eq!(job.match_by, MatchBy::VatNumber);
        assert_eq!(
            files.get(&job.file_key).await.unwrap().unwrap(),
            b"Name\nAcme\n"
        );
        let apply = apply_merge_file(ports(), &a, &a1, &merge).await.unwrap();
        assert_eq!(merge_of_run(&apply), Some((merge.as_str(), true)));
        let kinds: Vec<JobKind> = queue.sent().into_iter().map(|j| j.kind).collect();
        assert_eq!(
            kinds,
            vec![
                JobKind::MergeFile {
                    merge_id: merge.clone(),
                    apply: false
                },
                JobKind::MergeFile {
                    merge_id: merge.clone(),
                    apply: true
                },
            ]
        );
        let mut applied = job.clone();
        applied.applied = Some(Default::default());
        store.put_merge_job(&applied).await.unwrap();
        apply_merge_file(ports(), &a, &a1, &merge).await.unwrap();
        assert_eq!(
            queue.sent().len(),
            2,
            "an applied file is not applied again"
        );
        let b = AccountId::new("B");
        assert!(matches!(
            upload_merge_file(ports(), &b, &a1, "x.csv", b"x", MatchBy::Name).await,
            Err(AccountError::NotFound)
        ));
        assert!(matches!(
            apply_merge_file(ports(), &b, &a1, &merge).await,
            Err(AccountError::NotFound)
        ));
        assert_eq!(merge_of_run(&RunId::new("manual-1")), None);
    }

    #[tokio::test]
    async fn another_accounts_connection_is_not_found_for_every_use_case() {
        let store = store_with(&[connection("b1", "B", ConnectionStatus::Active)]).await;
        let queue = InMemoryQueue::new();
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap());
        let a = AccountId::new("A");
        let b1 = ConnectionId::new("b1");
        assert!(matches!(
            connection_of(&store, &a, &b1).await,
            Err(AccountError::NotFound)
        ));
        assert!(matches!(
            start_run(&store, &queue, &clock, &a, &b1, JobKind::InvoiceExport).await,
            Err(AccountError::NotFound)
        ));
        assert!(matches!(
            set_paused(&store, &a, &b1, true).await,
            Err(AccountError::NotFound)
        ));
        assert!(matches!(
            run_of(&store, &store, &a, &b1, &RunId::new("r")).await,
            Err(AccountError::NotFound)
        ));
        assert!(matches!(
            choose_administration(&store, &a, &b1, "9").await,
            Err(AccountError::NotFound)
        ));
        assert!(matches!(
            save_settings(&store, &store, &a, &b1, ConnectionSettings::default(), &[]).await,
            Err(AccountError::NotFound)
        ));
        assert!(matches!(
            ledger_signed_in(&store, &a, &b1).await,
            Err(AccountError::NotFound)
        ));
        assert!(matches!(
            set_automatic_sync(&store, &store, &a, &b1, false).await,
            Err(AccountError::NotFound)
        ));
        assert!(overview(&store, &store, &a, 5).await.unwrap().is_empty());
        assert!(queue.sent().is_empty(), "nothing was queued");
        let b = store.connection(&b1).await.unwrap().unwrap();
        assert_eq!(b.status, ConnectionStatus::Active, "nothing was paused");
    }

    #[tokio::test]
    async fn sync_now_queues_one_export_with_a_fresh_run_and_pause_keeps_a_pending_sign_in() {
        let store = store_with(&[
            connection("a1", "A", ConnectionStatus::Active),
            connection("a2", "A", ConnectionStatus::NeedsReauth),
        ])
        .await;
        let queue = InMemoryQueue::new();
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap());
        let a = AccountId::new("A");
        let a1 = ConnectionId::new("a1");
        let run = start_run(&store, &queue, &clock, &a, &a1, JobKind::InvoiceExport)
            .await
            .unwrap();
        assert!(run.as_str().starts_with("manual-20261130T090000-"), "{run}");
        let sent = queue.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(
            sent[0],
            Job::start(a1.clone(), run.clone(), JobKind::InvoiceExport)
        );

        assert_eq!(
            set_paused(&store, &a, &a1, true).await.unwrap(),
            ConnectionStatus::Paused
        );
        assert_eq!(
            set_paused(&store, &a, &a1, false).await.unwrap(),
            ConnectionStatus::Active
        );
        let a2 = ConnectionId::new("a2");
        assert_eq!(
            set_paused(&store, &a, &a2, false).await.unwrap(),
            ConnectionStatus::NeedsReauth,
            "only a sign-in resumes a connection waiting for one"
        );

        let mut report = RunReport::start(
            a1.clone(),
            run.clone(),
            "invoice-export",
            RunCounts::Nothing,
            clock.now(),
        );
        report.status = RunStatus::Succeeded;
        store.put_run_report(&report).await.unwrap();
        let all = overview(&store, &store, &a, 5).await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].runs, vec![report.clone()]);
        let (_, found) = run_of(&store, &store, &a, &a1, &run).await.unwrap();
        assert_eq!(found, Some(report));
    }
}
