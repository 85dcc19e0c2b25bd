//! A complete local Koppel: simulated Teamleader and Exact Online on one clock (real time
//! sped up, or virtual time), Koppel's state on moto (real AWS wire protocol) or in memory,
//! and the real dispatcher and export handlers, invoked the way Lambda does: each invocation
//! with a deadline, and killed at it (its messages come back after the visibility timeout, as
//! SQS redelivers them).
//!
//! The clients can be pointed at outside base URLs instead of the simulators (a recording
//! proxy, a sandbox): see [`OutsideUrls`].

use crate::clock::StackClock;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use chrono::Utc;
use company_import::{CompanyImportFunction, Import};
use dispatcher::{Dispatcher, ScheduleInput};
use invoice_export::{Export, ExportFunction};
use koppel_aws::{
    AwsAdapters, QueueUrls, Resources, create_fifo_queue_with_dlq, create_table, local_sdk_config,
};
use koppel_connect::{AppSecret, LiveConnector};
use koppel_core::jobs::export::ExportOptions;
use koppel_core::jobs::merge::MatchBy;
use koppel_core::jobs::setup::suggest_settings;
use koppel_core::memory::{InMemoryFileStore, InMemoryQueue, InMemoryStore, InMemoryVault};
use koppel_core::{
    AccountId, Clock, Connection, ConnectionId, ConnectionStatus, Connector, Deadline,
    DepartmentId, FileStore, Job, JobKind, JobQueue, LedgerKind, MergeJob, OAuthTokens, RunId,
    RunReport, Store, Vault,
};
use koppel_runtime::JobHandler;
use koppel_sim::app_secret::{SimulatorUrls, app_secret};
use koppel_sim::{clearfacts, exact, octopus, teamleader, twinfield};
use merge_file::{Merge, MergeFileFunction};
use payment_poll::{PaymentPollFunction, Poll};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where Koppel's own state lives in a stack.
#[derive(Debug, Clone)]
pub enum Backend {
    /// In-memory ports (fast, for benchmarks and unit-like tests).
    Memory,
    /// moto server at this URL, with fresh uniquely named table and queues.
    MotoFresh(String),
    /// moto server with the resources named by the environment (created by `infra/dev up`
    /// from template.yaml) — what the demo uses.
    MotoFromEnv,
}

impl Backend {
    /// moto from `KOPPEL_TEST_MOTO_URL` (set by `infra/dev test`) with fresh resources.
    /// Panics with instructions when it is not set: these tests must not silently pass.
    pub fn moto_for_tests() -> Self {
        match std::env::var("KOPPEL_TEST_MOTO_URL") {
            Ok(url) if !url.is_empty() => Self::MotoFresh(url),
            _ => panic!(
                "KOPPEL_TEST_MOTO_URL is not set: run the tests with `infra/dev test` (it starts moto)"
            ),
        }
    }
}

/// Base URLs the clients use instead of the simulators', from the environment: set
/// `KOPPEL_E2E_TEAMLEADER_API_URL`, `KOPPEL_E2E_TEAMLEADER_AUTH_URL` and/or
/// `KOPPEL_E2E_EXACT_URL` to send a run through a recording proxy (in front of the simulators)
/// or to a real sandbox account. Unset: the simulators' own URLs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutsideUrls {
    /// Teamleader's API.
    pub teamleader_api: Option<String>,
    /// Teamleader's OAuth endpoints.
    pub teamleader_auth: Option<String>,
    /// Exact Online's site.
    pub exact: Option<String>,
}

impl OutsideUrls {
    /// Read from the environment (empty values count as unset).
    pub fn from_env() -> Self {
        let read = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Self {
            teamleader_api: read("KOPPEL_E2E_TEAMLEADER_API_URL"),
            teamleader_auth: read("KOPPEL_E2E_TEAMLEADER_AUTH_URL"),
            exact: read("KOPPEL_E2E_EXACT_URL"),
        }
    }
}

/// How to build a stack.
#[derive(Debug, Clone)]
pub struct StackOptions {
    /// How much faster than real time the shared clock runs (ignored with `virtual_time`).
    pub speed: f64,
    /// Virtual time: the clock moves only when something waits on it, so what a run does
    /// depends on the account, the limits and the budget, never on this machine's speed.
    /// Only for runs without concurrent workers waiting on each other.
    pub virtual_time: bool,
    /// Exact's quotas (`None`: off).
    pub exact_limits: Option<exact::RateLimits>,
    /// Teamleader's requests per sliding minute.
    pub teamleader_limit: u32,
    /// The Teamleader account to generate.
    pub generate: teamleader::GenerateSpec,
    /// Attach PDFs to entries.
    pub attach_pdf: bool,
    /// Koppel's state.
    pub backend: Backend,
}

impl Default for StackOptions {
    fn default() -> Self {
        Self {
            speed: 1.0,
            virtual_time: false,
            exact_limits: Some(exact::RateLimits::default()),
            teamleader_limit: 200,
            generate: teamleader::GenerateSpec::default(),
            attach_pdf: false,
            backend: Backend::Memory,
        }
    }
}

/// Koppel's AWS side in a stack.
pub struct Aws {
    /// State store.
    pub store: Arc<dyn Store>,
    /// Vault.
    pub vault: Arc<dyn Vault>,
    /// Job queue (sending side).
    pub queue: Arc<dyn JobQueue>,
    /// Uploaded files (merge files).
    pub files: Arc<dyn FileStore>,
    memory_queue: Option<Arc<InMemoryQueue>>,
    sqs: Option<(aws_sdk_sqs::Client, QueueUrls)>,
}

/// A running stack.
pub struct Stack {
    /// The shared clock.
    pub clock: Arc<StackClock>,
    /// Simulated Teamleader.
    pub teamleader: teamleader::SimHandle,
    /// Simulated Exact Online.
    pub exact: exact::SimHandle,
    /// Simulated Octopus (its demo dossier seeded).
    pub octopus: octopus::SimHandle,
    /// Simulated Twinfield (its demo organisation seeded).
    pub twinfield: twinfield::SimHandle,
    /// Simulated Clearfacts (its demo user and two companies seeded).
    pub clearfacts: clearfacts::SimHandle,
    /// Koppel's AWS side.
    pub aws: Aws,
    /// The live connector (real clients against the simulators).
    pub connector: Arc<LiveConnector>,
    /// The generated Teamleader account.
    pub account_id: String,
    options: StackOptions,
    /// Unique per stack: the first segment of the secrets' names.
    secrets_prefix: String,
}

/// A Teamleader company as the tests look at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyView {
    /// Name.
    pub name: String,
    /// The value of the external-id custom field ("Klantennummer boekhoudpakket", …).
    pub external_id: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
}

/// A Teamleader contact as tests check it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactView {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Primary e-mail.
    pub email: Option<String>,
    /// Phone numbers.
    pub phones: Vec<String>,
    /// The value of the contacts' external-id custom field.
    pub external_id: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
}

/// The id of an account's external-id custom field on `context` ("company", "contact").
fn external_id_field(account: &teamleader::model::Account, context: &str) -> Option<String> {
    account
        .custom_fields
        .iter()
        .find(|d| {
            d.context == context
                && koppel_teamleader::custom_fields::EXTERNAL_ID_LABELS.contains(&d.label.as_str())
        })
        .map(|d| d.id.clone())
}

/// A custom field's value as text.
fn custom_text(
    values: &std::collections::BTreeMap<String, serde_json::Value>,
    field: Option<&str>,
) -> Option<String> {
    field
        .and_then(|f| values.get(f))
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

/// Messages handled by [`Stack::drain_exports`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DrainStats {
    /// Handler invocations.
    pub invocations: u32,
    /// Messages handled.
    pub messages: u32,
    /// Messages the handler reported as failed.
    pub failed_messages: u32,
    /// Invocations killed at their deadline (their messages were delivered again).
    pub killed: u32,
    /// Messages of killed invocations that were dead-lettered instead (never delivered again).
    pub dead_lettered: u32,
}

/// How [`Stack::drain_exports_with`] hands queued messages to the handler.
#[derive(Debug, Clone, Copy)]
pub struct DrainOptions {
    /// Clock time each invocation gets before its deadline (Lambda's timeout).
    pub budget: Duration,
    /// Messages per invocation, at most 10 (template.yaml gives the export `BatchSize: 1`).
    pub batch_size: i32,
    /// Invocations running at the same time (template.yaml: `MaximumConcurrency`).
    pub concurrency: usize,
}

/// One handler invocation of a drain, as its observer sees it.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// 1-based, in the order invocations started.
    pub number: u32,
    /// Messages handed over.
    pub messages: u32,
    /// The jobs of the messages handed over (unreadable messages are left out).
    pub jobs: Vec<Job>,
    /// Messages the handler reported as failed.
    pub failed_messages: u32,
    /// Killed at its deadline.
    pub killed: bool,
    /// Killed, and its messages dead-lettered (not delivered again).
    pub dead_lettered: bool,
    /// Real time the invocation took.
    pub elapsed: Duration,
    /// The stored run report of each job's run after the invocation.
    pub reports: Vec<RunReport>,
}

impl Stack {
    /// Start simulators and the AWS side, generate the Teamleader account.
    pub async fn start(options: StackOptions) -> Self {
        let clock = Arc::new(if options.virtual_time {
            StackClock::virtual_from(Utc::now())
        } else {
            StackClock::scaled(Utc::now(), options.speed)
        });
        let shared: Arc<dyn Clock> = clock.clone();
        let tl = teamleader::spawn(teamleader::SimOptions {
            rate_limit_per_minute: options.teamleader_limit,
            ..teamleader::SimOptions::default().with_clock(shared.clone())
        })
        .await
        .expect("Teamleader simulator starts");
        let ex = exact::spawn(
            exact::SimOptions::default()
                .with_clock(shared.clone())
                .with_rate_limits(options.exact_limits),
        )
        .await
        .expect("Exact simulator starts");
        let oc = octopus::spawn(octopus::SimOptions::on_clock(shared.clone()))
            .await
            .expect("Octopus simulator starts");
        let tw = twinfield::spawn(twinfield::SimOptions::on_clock(shared.clone()))
            .await
            .expect("Twinfield simulator starts");
        let cf = clearfacts::spawn(clearfacts::SimOptions::on_clock(shared.clone()))
            .await
            .expect("Clearfacts simulator starts");
        let account_id = tl
            .generate(&options.generate)
            .expect("demo account generated");
        let aws = Aws::start(&options.backend).await;
        let outside = OutsideUrls::from_env();
        let app = AppSecret::from_json(
            "stack/app",
            &app_secret(&SimulatorUrls {
                exact: Some(outside.exact.clone().unwrap_or_else(|| ex.base_url.clone())),
                octopus: Some(oc.api_url()),
                twinfield: Some(tw.base_url.clone()),
                clearfacts: Some(cf.base_url.clone()),
            }),
        )
        .expect("the stack's app secret is valid");
        let teamleader_urls = koppel_teamleader::oauth::TeamleaderUrls {
            api: outside
                .teamleader_api
                .clone()
                .unwrap_or_else(|| tl.base_url.clone()),
            auth: outside
                .teamleader_auth
                .clone()
                .unwrap_or_else(|| tl.base_url.clone()),
        };
        let mut connector = LiveConnector::new(
            app,
            teamleader_urls,
            aws.store.clone(),
            aws.vault.clone(),
            shared,
        );
        // Peppol BIS 3 files checked by the official rules, as `infra/dev` configures them.
        if let Some(validator) = koppel_einvoice::PeppolValidator::from_env() {
            connector =
                connector.with_einvoice(Arc::new(koppel_einvoice::Einvoices::new(validator)));
        }
        let connector = Arc::new(connector);
        Self {
            clock,
            teamleader: tl,
            exact: ex,
            octopus: oc,
            twinfield: tw,
            clearfacts: cf,
            aws,
            connector,
            account_id,
            options,
            secrets_prefix: uuid::Uuid::new_v4().simple().to_string(),
        }
    }

    /// A small stack for the connection page's tests: 12 invoices and 2 credit notes, no
    /// Exact quota (the page is under test, not the pacing), the simulated Teamleader's
    /// sign-in approving as the generated account's first user.
    pub async fn for_page() -> Self {
        let stack = Self::start(StackOptions {
            generate: teamleader::GenerateSpec {
                invoices: 12,
                credit_notes: 2,
                ..teamleader::GenerateSpec::default()
            },
            exact_limits: None,
            ..StackOptions::default()
        })
        .await;
        stack.teamleader.set_login(teamleader::Login::Approve {
            account_id: stack.account_id.clone(),
            user_id: None,
        });
        stack
    }

    /// The departments of the generated account, in order.
    pub fn departments(&self) -> Vec<DepartmentId> {
        self.teamleader
            .with_account(&self.account_id, |a| {
                a.departments
                    .iter()
                    .map(|d| DepartmentId::new(d.id.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Link `department` to Exact `division`: tokens through both simulators' OAuth, secrets
    /// in the vault, settings suggested from both sides' lists, connection stored and active.
    pub async fn connect(&self, department: &DepartmentId, division: i32) -> Connection {
        self.connect_account(&self.account_id, department, division)
            .await
    }

    /// [`Stack::connect`] for another Teamleader account of the simulator (one generated
    /// after the stack started, say).
    pub async fn connect_account(
        &self,
        account_id: &str,
        department: &DepartmentId,
        division: i32,
    ) -> Connection {
        let id = ConnectionId::new(format!(
            "conn-{}-{division}",
            &department.as_str()[..8.min(department.as_str().len())]
        ));
        let now = self.clock.now();
        let ex = self
            .exact
            .issue_tokens(exact::DEFAULT_CLIENT_ID, Some(division))
            .expect("tokens");
        let ex_tokens = OAuthTokens {
            access_token: ex.access_token,
            refresh_token: ex.refresh_token,
            expires_at: now + chrono::Duration::seconds(ex.expires_in),
        };
        self.link(
            account_id,
            department,
            id,
            LedgerKind::ExactOnline,
            division.to_string(),
            serde_json::to_value(&ex_tokens).expect("json"),
        )
        .await
    }

    /// Link `department` to the Octopus `dossier` with the demo user's sign-in, settings
    /// suggested from both sides' lists, connection stored and active.
    pub async fn connect_octopus(&self, department: &DepartmentId, dossier: i64) -> Connection {
        let id = ConnectionId::new(format!(
            "conn-{}-oc{dossier}",
            &department.as_str()[..8.min(department.as_str().len())]
        ));
        let credentials = serde_json::json!({
            "user": octopus::seed::DEMO_USER,
            "password": octopus::seed::DEMO_PASSWORD,
        });
        self.link(
            &self.account_id,
            department,
            id,
            LedgerKind::Octopus,
            dossier.to_string(),
            credentials,
        )
        .await
    }

    /// Link `department` to the Twinfield `office` with tokens from the simulator's OIDC,
    /// settings suggested from both sides' lists (invoices and credit notes in the one sales
    /// transaction type), connection stored and active.
    pub async fn connect_twinfield(&self, department: &DepartmentId, office: &str) -> Connection {
        let id = ConnectionId::new(format!(
            "conn-{}-tw{office}",
            &department.as_str()[..8.min(department.as_str().len())]
        ));
        let now = self.clock.now();
        let tokens = self
            .twinfield
            .issue_tokens(twinfield::DEFAULT_CLIENT_ID)
            .expect("tokens");
        let tokens = OAuthTokens {
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            expires_at: now + chrono::Duration::seconds(tokens.expires_in),
        };
        let mut connection = self
            .link(
                &self.account_id,
                department,
                id,
                LedgerKind::Twinfield,
                office.to_owned(),
                serde_json::to_value(&tokens).expect("json"),
            )
            .await;
        if connection.settings.credit_note_journal.is_none() {
            connection.settings.credit_note_journal = connection.settings.invoice_journal.clone();
            self.aws
                .store
                .put_connection(&connection)
                .await
                .expect("connection stored");
        }
        connection
    }

    /// Link `department` to the Clearfacts company `company` (10 digits) with tokens from
    /// the simulator's OIDC (the demo accountant), connection stored and active.
    pub async fn connect_clearfacts(&self, department: &DepartmentId, company: &str) -> Connection {
        let id = ConnectionId::new(format!(
            "conn-{}-cf{company}",
            &department.as_str()[..8.min(department.as_str().len())]
        ));
        let now = self.clock.now();
        let tokens = self
            .clearfacts
            .issue_tokens(
                clearfacts::DEFAULT_USER,
                clearfacts::DEFAULT_CLIENT_ID,
                &[
                    "openid",
                    "offline_access",
                    "read_administrations",
                    "upload_document",
                ],
            )
            .expect("tokens");
        let tokens = OAuthTokens {
            access_token: tokens.access_token,
            refresh_token: tokens
                .refresh_token
                .expect("rotating mode gives a refresh token"),
            expires_at: now + chrono::Duration::seconds(tokens.expires_in),
        };
        self.link(
            &self.account_id,
            department,
            id,
            LedgerKind::Clearfacts,
            company.to_owned(),
            serde_json::to_value(&tokens).expect("json"),
        )
        .await
    }

    /// A stack for one ledger's end-to-end tests: `spec`'s account, no Exact quota, virtual
    /// time in memory (one worker: minute windows cost no real time).
    pub async fn for_ledger(backend: Backend, spec: teamleader::GenerateSpec) -> Self {
        let virtual_time = matches!(backend, Backend::Memory);
        Self::start(StackOptions {
            exact_limits: None,
            virtual_time,
            backend,
            generate: spec,
            ..StackOptions::default()
        })
        .await
    }

    /// The nightly schedule at `at`, its export messages drained (Lambda's 15 minutes each);
    /// the export's latest report.
    pub async fn export_night(&self, at: &str) -> RunReport {
        assert_eq!(self.dispatch_nightly_at(at).await, 1, "one export message");
        self.drain_exports(
            &self.export_function(ExportOptions::default()),
            Duration::from_secs(900),
        )
        .await;
        self.last_report("invoice-export").await
    }

    /// The latest report of `job` ("invoice-export", "payment-poll", …) of the account's
    /// first connection, whatever its status.
    pub async fn last_report(&self, job: &str) -> RunReport {
        let account = AccountId::new(self.account_id.clone());
        let connection = &self
            .aws
            .store
            .connections_of_account(&account)
            .await
            .expect("connections readable")[0];
        self.aws
            .store
            .run_reports(&connection.id, 20)
            .await
            .expect("reports readable")
            .into_iter()
            .find(|r| r.job == job)
            .expect("a report of the job")
    }

    /// Store `ledger_secret` and fresh Teamleader tokens in the vault, then the connection
    /// with settings suggested from both sides' lists.
    async fn link(
        &self,
        account_id: &str,
        department: &DepartmentId,
        id: ConnectionId,
        ledger: LedgerKind,
        company: String,
        ledger_secret: serde_json::Value,
    ) -> Connection {
        let now = self.clock.now();
        let tl = self
            .teamleader
            .issue_tokens(account_id, Some(teamleader::DEFAULT_CLIENT_ID), None)
            .expect("tokens");
        // Secrets outlive a stack in a shared moto: named per stack, so two tests whose
        // generated accounts (same seed) give the same connection id never share tokens.
        let tl_secret = format!("koppel-test/{}/{id}/teamleader", self.secrets_prefix);
        let ledger_secret_name = format!("koppel-test/{}/{id}/ledger", self.secrets_prefix);
        let tl_tokens = OAuthTokens {
            access_token: tl.access_token,
            refresh_token: tl.refresh_token,
            expires_at: now + chrono::Duration::seconds(tl.expires_in),
        };
        self.aws
            .vault
            .write(&tl_secret, &serde_json::to_value(&tl_tokens).expect("json"))
            .await
            .expect("secret");
        self.aws
            .vault
            .write(&ledger_secret_name, &ledger_secret)
            .await
            .expect("secret");
        let mut connection = Connection {
            id,
            account_id: AccountId::new(account_id),
            department_id: department.clone(),
            ledger,
            ledger_company: company,
            status: ConnectionStatus::Active,
            settings: Default::default(),
            teamleader_secret: tl_secret,
            ledger_secret: ledger_secret_name,
            created_at: now,
            status_reason: None,
        };
        let source = self
            .connector
            .source(&connection, Deadline::none())
            .await
            .expect("source");
        let ledger = self
            .connector
            .ledger(&connection, Deadline::none())
            .await
            .expect("ledger");
        let reference = ledger
            .reference_data()
            .await
            .expect("ledger reference data");
        let rates = source.tax_rates().await.expect("Teamleader tax rates");
        connection.settings = suggest_settings(department, &rates, &reference);
        connection.settings.attach_pdf = self.options.attach_pdf;
        self.aws
            .store
            .put_connection(&connection)
            .await
            .expect("connection stored");
        connection
    }

    /// The connection page wired to this stack (its store, vault, queues and connector), at
    /// `public_url`, signing with `key`, on `clock` (the page's own: a person's session must
    /// not run out at the simulators' speed).
    pub fn reactivation_page(
        &self,
        public_url: url::Url,
        key: reactivation_page::signing::SigningKey,
        clock: Arc<dyn Clock>,
    ) -> reactivation_page::ReactivationPage {
        reactivation_page::ReactivationPage::new(
            reactivation_page::PageConfig {
                public_url,
                teamleader: koppel_teamleader::TeamleaderUrls::same(&self.teamleader.base_url),
                client_id: teamleader::DEFAULT_CLIENT_ID.to_owned(),
                signing_key: key,
                secret_prefix: format!("koppel-test/{}/", self.secrets_prefix),
            },
            reactivation_page::PageServices {
                store: self.aws.store.clone(),
                vault: self.aws.vault.clone(),
                queue: self.aws.queue.clone(),
                files: self.aws.files.clone(),
                clock,
                connector: self.connector.clone(),
            },
        )
    }

    /// [`Stack::reactivation_page`] served on 127.0.0.1 (a free port) on the system clock, as
    /// a browser reaches it: its base URL and the server task (abort it when done).
    pub async fn serve_page(&self, key: &str) -> (String, tokio::task::JoinHandle<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port on 127.0.0.1");
        let base = format!("http://{}", listener.local_addr().expect("bound address"));
        let router = self
            .reactivation_page(
                base.parse().expect("URL"),
                reactivation_page::signing::SigningKey::new(key).expect("a key of 32+ bytes"),
                Arc::new(koppel_core::SystemClock),
            )
            .router();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        (base, server)
    }

    /// The export handler wired to this stack.
    pub fn export_function(&self, options: ExportOptions) -> ExportFunction {
        ExportFunction {
            store: self.aws.store.clone(),
            queue: self.aws.queue.clone(),
            clock: self.clock.clone(),
            connector: self.connector.clone(),
            factory: Export { options },
        }
    }

    /// The company-import handler wired to this stack.
    pub fn company_import_function(&self) -> CompanyImportFunction {
        CompanyImportFunction {
            store: self.aws.store.clone(),
            queue: self.aws.queue.clone(),
            clock: self.clock.clone(),
            connector: self.connector.clone(),
            factory: Import,
        }
    }

    /// The merge-file handler wired to this stack.
    pub fn merge_file_function(&self) -> MergeFileFunction {
        MergeFileFunction {
            store: self.aws.store.clone(),
            queue: self.aws.queue.clone(),
            clock: self.clock.clone(),
            connector: self.connector.clone(),
            factory: Merge {
                files: self.aws.files.clone(),
                limits: Default::default(),
            },
        }
    }

    /// The payment-poll handler wired to this stack.
    pub fn payment_poll_function(&self) -> PaymentPollFunction {
        PaymentPollFunction {
            store: self.aws.store.clone(),
            queue: self.aws.queue.clone(),
            clock: self.clock.clone(),
            connector: self.connector.clone(),
            factory: Poll::default(),
        }
    }

    /// The handler of `kind`'s queue wired to this stack (the export with default options).
    pub fn function_for(&self, kind: &JobKind) -> Box<dyn JobHandler> {
        match kind {
            JobKind::InvoiceExport | JobKind::DocumentExport { .. } => {
                Box::new(self.export_function(ExportOptions::default()))
            }
            JobKind::PaymentPoll => Box::new(self.payment_poll_function()),
            JobKind::CompanyImport => Box::new(self.company_import_function()),
            JobKind::MergeFile { .. } => Box::new(self.merge_file_function()),
        }
    }

    /// Start run `run` of `kind` for `connection` as the reactivation page would (one queued
    /// message), drain that queue with 900 s invocations, assert that no message failed
    /// and no invocation was killed, and return the run's stored report.
    pub async fn run_to_report(
        &self,
        connection: &ConnectionId,
        kind: JobKind,
        run: &str,
    ) -> RunReport {
        let run = RunId::new(run);
        self.aws
            .queue
            .send(&[Job::start(connection.clone(), run.clone(), kind.clone())])
            .await
            .expect("job queued");
        let function = self.function_for(&kind);
        let drained = self
            .drain(kind, function.as_ref(), Duration::from_secs(900))
            .await;
        assert_eq!((drained.failed_messages, drained.killed), (0, 0), "{run}");
        self.aws
            .store
            .run_report(connection, &run)
            .await
            .expect("run report readable")
            .unwrap_or_else(|| panic!("no report of run {run}"))
    }

    /// What the connection page does with an uploaded merge file: the file to the file store
    /// (S3), the merge job (criterion, no preview yet) to the store; `id` names both.
    pub async fn upload_merge_file(
        &self,
        connection: &ConnectionId,
        id: &str,
        bytes: &[u8],
        match_by: MatchBy,
    ) {
        let key = format!("{connection}/{id}");
        self.aws.files.put(&key, bytes).await.expect("file stored");
        let now = self.clock.now();
        self.aws
            .store
            .put_merge_job(&MergeJob {
                connection_id: connection.clone(),
                merge_id: id.to_owned(),
                file_name: format!("{id}.csv"),
                file_key: key,
                match_by,
                uploaded_at: now,
                preview: None,
                applied: None,
                updated_at: now,
            })
            .await
            .expect("merge job stored");
    }

    /// The companies of the stack's Teamleader account: name → (the value of its external-id
    /// custom field, its tags).
    pub fn teamleader_companies(&self) -> BTreeMap<String, (Option<String>, Vec<String>)> {
        self.teamleader_companies_by_id()
            .into_values()
            .map(|c| (c.name, (c.external_id, c.tags)))
            .collect()
    }

    /// The companies of the stack's Teamleader account by id, with their external id as the
    /// external-id custom field holds it.
    pub fn teamleader_companies_by_id(&self) -> BTreeMap<String, CompanyView> {
        self.companies_of(&self.account_id)
    }

    /// (name, VAT number) of every company of a Teamleader account of the simulator, in id
    /// order: what a test hands the ledger simulator as customers Teamleader already has.
    pub fn company_identities(&self, account_id: &str) -> Vec<(String, Option<String>)> {
        self.teamleader
            .with_account(account_id, |a| {
                a.companies
                    .values()
                    .map(|c| (c.name.clone(), c.vat_number.clone()))
                    .collect()
            })
            .expect("a Teamleader account of the simulator")
    }

    /// The companies of any Teamleader account of the simulator, by id (see
    /// [`Stack::teamleader_companies_by_id`]).
    pub fn companies_of(&self, account_id: &str) -> BTreeMap<String, CompanyView> {
        self.teamleader
            .with_account(account_id, |a| {
                let field = external_id_field(a, "company");
                a.companies
                    .values()
                    .map(|c| {
                        let view = CompanyView {
                            name: c.name.clone(),
                            external_id: custom_text(&c.custom_fields, field.as_deref()),
                            tags: c.tags.clone(),
                        };
                        (c.id.clone(), view)
                    })
                    .collect()
            })
            .expect("a Teamleader account of the simulator")
    }

    /// The contacts of the stack's Teamleader account by id, with their external id as the
    /// contacts' external-id custom field holds it.
    pub fn teamleader_contacts(&self) -> BTreeMap<String, ContactView> {
        self.teamleader
            .with_account(&self.account_id, |a| {
                let field = external_id_field(a, "contact");
                a.contacts
                    .values()
                    .map(|c| {
                        let view = ContactView {
                            first_name: c.first_name.clone(),
                            last_name: c.last_name.clone(),
                            email: c.email.clone(),
                            phones: c.telephones.iter().map(|(_, n)| n.clone()).collect(),
                            external_id: custom_text(&c.custom_fields, field.as_deref()),
                            tags: c.tags.clone(),
                        };
                        (c.id.clone(), view)
                    })
                    .collect()
            })
            .expect("the stack's Teamleader account")
    }

    /// Booked documents of the generated account: invoices with a number, and credit notes.
    pub fn booked_count(&self) -> usize {
        self.teamleader
            .with_account(&self.account_id, |a| {
                a.invoices.values().filter(|i| i.number.is_some()).count() + a.credit_notes.len()
            })
            .expect("the generated account")
    }

    /// The entries of Exact `division` as (journal, YourRef), asserting none is there twice.
    pub fn entries_once(&self, division: i32) -> std::collections::HashSet<(String, String)> {
        let keys: Vec<(String, String)> = self
            .exact
            .entries(division)
            .iter()
            .map(|e| (e.journal.clone(), e.your_ref.clone().unwrap_or_default()))
            .collect();
        let unique: std::collections::HashSet<(String, String)> = keys.iter().cloned().collect();
        assert_eq!(unique.len(), keys.len(), "an entry was posted twice");
        unique
    }

    /// The dispatcher wired to this stack.
    pub fn dispatcher(&self) -> Dispatcher {
        Dispatcher {
            store: self.aws.store.clone(),
            queue: self.aws.queue.clone(),
            clock: self.clock.clone(),
        }
    }

    /// The hourly sweeper on this stack's store and clock (what the dispatcher's hourly tick
    /// runs after dispatching the payment poll).
    pub async fn sweep(&self) -> koppel_core::jobs::sweep::SweepSummary {
        let store = self.aws.store.as_ref();
        let ports = koppel_core::jobs::sweep::SweepPorts {
            connections: store,
            reports: store,
            documents: store,
            leases: store,
            notes: store,
            clock: self.clock.as_ref(),
        };
        koppel_core::jobs::sweep::sweep(&ports)
            .await
            .expect("the sweep reads and writes the store")
    }

    /// Run the nightly schedule now: the dispatcher sends one export job per active connection.
    pub async fn dispatch_nightly(&self) -> usize {
        self.dispatch_nightly_at(&self.clock.now().to_rfc3339())
            .await
    }

    /// Run the nightly schedule as scheduled at `scheduled_at` (RFC 3339); returns the number
    /// of messages sent.
    pub async fn dispatch_nightly_at(&self, scheduled_at: &str) -> usize {
        self.dispatch_at("invoice-export", scheduled_at).await
    }

    /// Run the schedule of `job` ("invoice-export", "payment-poll") as scheduled at
    /// `scheduled_at` (RFC 3339); returns the number of messages sent.
    pub async fn dispatch_at(&self, job: &str, scheduled_at: &str) -> usize {
        let input: ScheduleInput =
            serde_json::from_value(serde_json::json!({ "job": job, "scheduled_at": scheduled_at }))
                .expect("input");
        let event = lambda_runtime::LambdaEvent::new(input, lambda_runtime::Context::default());
        self.dispatcher()
            .handle(event)
            .await
            .expect("dispatch")
            .connections
    }

    /// Hand queued export messages to `function` until the queue is empty, each invocation
    /// with `budget` of clock time before its deadline, as Lambda's event source would.
    pub async fn drain_exports(&self, function: &ExportFunction, budget: Duration) -> DrainStats {
        self.drain(JobKind::InvoiceExport, function, budget).await
    }

    /// Hand queued `kind` messages to `function` until that queue is empty (see
    /// [`Stack::drain_exports`]).
    pub async fn drain(
        &self,
        kind: JobKind,
        function: &dyn JobHandler,
        budget: Duration,
    ) -> DrainStats {
        let options = DrainOptions {
            budget,
            batch_size: 10,
            concurrency: 1,
        };
        self.drain_with(kind, function, options, &|_| {}).await
    }

    /// Like [`Stack::drain_exports`], with Lambda's batch size and concurrency, telling
    /// `observe` about every invocation once it ended (for progress output).
    pub async fn drain_exports_with(
        &self,
        function: &ExportFunction,
        options: DrainOptions,
        observe: &(dyn Fn(&Invocation) + Sync),
    ) -> DrainStats {
        self.drain_with(JobKind::InvoiceExport, function, options, observe)
            .await
    }

    /// Like [`Stack::drain_exports_with`], for the queue of `kind`.
    pub async fn drain_with(
        &self,
        kind: JobKind,
        function: &dyn JobHandler,
        options: DrainOptions,
        observe: &(dyn Fn(&Invocation) + Sync),
    ) -> DrainStats {
        self.drain_killing(kind, function, options, observe, None)
            .await
    }

    /// Like [`Stack::drain_with`], with `killer` ending invocations early (a Lambda killed
    /// mid-flight: its future is dropped wherever it waits, nothing it had received is
    /// acknowledged). Each invocation runs with its number in [`current_invocation`], so a
    /// store hook or a fault can tell which invocation is calling.
    pub async fn drain_killing(
        &self,
        kind: JobKind,
        function: &dyn JobHandler,
        options: DrainOptions,
        observe: &(dyn Fn(&Invocation) + Sync),
        killer: Option<&dyn InvocationKiller>,
    ) -> DrainStats {
        let drain = Drain {
            stack: self,
            kind,
            function,
            options,
            observe,
            killer,
            delayed: Mutex::new(Vec::new()),
            started: AtomicU32::new(0),
            in_flight: AtomicUsize::new(0),
            stats: Mutex::new(DrainStats::default()),
        };
        let workers = (0..options.concurrency.max(1)).map(|_| drain.worker());
        futures::future::join_all(workers).await;
        *drain.stats.lock().expect("drain stats")
    }
}

tokio::task_local! {
    /// The number of the invocation whose code is running (see [`current_invocation`]).
    static INVOCATION: u32;
}

/// The number of the [`Invocation`] whose code is running now, if any: lets a store hook or
/// an injected fault act on one invocation of a drain.
pub fn current_invocation() -> Option<u32> {
    INVOCATION.try_with(|number| *number).ok()
}

/// Decides when an invocation of [`Stack::drain_killing`] is killed.
pub trait InvocationKiller: Send + Sync {
    /// Resolves when invocation `number` is to be killed (never, for most).
    fn killed(&self, number: u32) -> futures::future::BoxFuture<'_, ()>;
    /// True when killed invocation `number`'s messages go to the dead-letter queue instead
    /// of coming back (their receive count is spent).
    fn dead_lettered(&self, _number: u32) -> bool {
        false
    }
}

/// How long SQS hides a message handed back (template.yaml: the export queue's 90 minutes;
/// the drain moves the clock by it before delivering such messages again).
const VISIBILITY_TIMEOUT: chrono::Duration = chrono::Duration::minutes(90);

/// The shared state of one [`Stack::drain_exports_with`].
struct Drain<'a> {
    stack: &'a Stack,
    kind: JobKind,
    function: &'a dyn JobHandler,
    options: DrainOptions,
    observe: &'a (dyn Fn(&Invocation) + Sync),
    killer: Option<&'a dyn InvocationKiller>,
    /// Messages a handler handed back: SQS delivers them again after the visibility timeout.
    delayed: Mutex<Vec<Job>>,
    started: AtomicU32,
    in_flight: AtomicUsize,
    stats: Mutex<DrainStats>,
}

impl Drain<'_> {
    /// One "Lambda instance": receive, invoke, acknowledge, until the queue is empty and no
    /// other invocation can still send a continuation.
    async fn worker(&self) {
        let aws = &self.stack.aws;
        loop {
            let (event, receipts) = aws.receive(&self.kind, self.options.batch_size).await;
            if event.records.is_empty() {
                if self.in_flight.load(Ordering::SeqCst) == 0 {
                    // Handed-back messages come again once their visibility timeout passed.
                    let delayed = std::mem::take(&mut *self.delayed.lock().expect("delayed"));
                    if delayed.is_empty() {
                        return;
                    }
                    self.stack.clock.advance(VISIBILITY_TIMEOUT);
                    aws.queue.send(&delayed).await.expect("redelivery");
                    continue;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            self.in_flight.fetch_add(1, Ordering::SeqCst);
            let number = self.started.fetch_add(1, Ordering::SeqCst) + 1;
            let invocation = self.invoke(number, event, receipts).await;
            {
                let mut stats = self.stats.lock().expect("drain stats");
                stats.invocations += 1;
                stats.messages += invocation.messages;
                stats.failed_messages += invocation.failed_messages;
                stats.killed += u32::from(invocation.killed);
                stats.dead_lettered += if invocation.dead_lettered {
                    invocation.messages
                } else {
                    0
                };
            }
            (self.observe)(&invocation);
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
        }
    }

    async fn invoke(&self, number: u32, event: SqsEvent, receipts: Vec<String>) -> Invocation {
        let started = Instant::now();
        let messages = event.records.len() as u32;
        let by_id: Vec<(String, Job)> = event
            .records
            .iter()
            .filter_map(|m| {
                let id = m.message_id.clone().unwrap_or_default();
                koppel_aws::parse_job(&id, m.body.as_deref())
                    .ok()
                    .map(|job| (id, job))
            })
            .collect();
        let jobs: Vec<Job> = by_id.iter().map(|(_, job)| job.clone()).collect();
        // Lambda's context carries the deadline as wall-clock milliseconds; the handler reads
        // the time left from it and measures it on the stack's clock.
        let budget = chrono::Duration::from_std(self.options.budget).expect("budget");
        let hard_deadline = self.stack.clock.now() + budget;
        let mut context = lambda_runtime::Context::default();
        context.deadline = (Utc::now() + budget).timestamp_millis() as u64;
        let killed_early = async {
            match self.killer {
                Some(killer) => killer.killed(number).await,
                None => std::future::pending().await,
            }
        };
        let handled = tokio::select! {
            biased;
            () = self.stack.clock.reached(hard_deadline) => None,
            () = killed_early => None,
            response = INVOCATION.scope(number, koppel_runtime::handle_batch(
                self.function,
                lambda_runtime::LambdaEvent::new(event, context),
            )) => {
                Some(response.expect("batch handled"))
            }
        };
        let killed = handled.is_none();
        let dead_lettered = killed && self.killer.is_some_and(|k| k.dead_lettered(number));
        let failed: Vec<String> = match &handled {
            Some(response) => response
                .batch_item_failures
                .iter()
                .map(|f| f.item_identifier.clone())
                .collect(),
            // Killed: nothing was acknowledged, every message comes back (below).
            None => Vec::new(),
        };
        // Messages a killed invocation held, and those a handler handed back, come again
        // after the visibility timeout, as SQS delivers them (by then a killed invocation's
        // job hold and claims have lapsed).
        let back = by_id
            .iter()
            .filter(|(id, _)| (killed && !dead_lettered) || failed.contains(id))
            .map(|(_, job)| job.clone());
        self.delayed.lock().expect("delayed").extend(back);
        self.stack.aws.acknowledge(&self.kind, receipts).await;
        let mut reports = Vec::new();
        for job in &jobs {
            if let Some(report) = self
                .stack
                .aws
                .store
                .run_report(&job.connection_id, &job.run_id)
                .await
                .expect("run report readable")
            {
                reports.push(report);
            }
        }
        Invocation {
            number,
            messages,
            jobs,
            failed_messages: if killed { 0 } else { failed.len() as u32 },
            killed,
            dead_lettered,
            elapsed: started.elapsed(),
            reports,
        }
    }
}

impl Aws {
    async fn start(backend: &Backend) -> Self {
        match backend {
            Backend::Memory => {
                let queue = Arc::new(InMemoryQueue::new());
                Self {
                    store: Arc::new(InMemoryStore::new()),
                    vault: Arc::new(InMemoryVault::new()),
                    queue: queue.clone(),
                    files: Arc::new(InMemoryFileStore::new()),
                    memory_queue: Some(queue),
                    sqs: None,
                }
            }
            Backend::MotoFresh(url) => {
                let config = local_sdk_config(url).await;
                let suffix = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
                let table = format!("koppel-e2e-{suffix}");
                let bucket = format!("koppel-e2e-{suffix}-merge-files");
                aws_sdk_s3::Client::new(&config)
                    .create_bucket()
                    .bucket(&bucket)
                    .create_bucket_configuration(
                        aws_sdk_s3::types::CreateBucketConfiguration::builder()
                            .location_constraint(
                                aws_sdk_s3::types::BucketLocationConstraint::EuWest1,
                            )
                            .build(),
                    )
                    .send()
                    .await
                    .expect("bucket created in moto");
                create_table(&aws_sdk_dynamodb::Client::new(&config), &table)
                    .await
                    .expect("table created in moto");
                let sqs = aws_sdk_sqs::Client::new(&config);
                let mut urls = Vec::new();
                for name in [
                    "invoice-export",
                    "payment-poll",
                    "company-import",
                    "merge-file",
                ] {
                    let queue =
                        create_fifo_queue_with_dlq(&sqs, &format!("e2e-{suffix}-{name}"), 5)
                            .await
                            .expect("queue");
                    urls.push(queue.url);
                }
                let queues = QueueUrls {
                    invoice_export: urls[0].clone(),
                    payment_poll: urls[1].clone(),
                    company_import: urls[2].clone(),
                    merge_file: urls[3].clone(),
                };
                let resources = Resources {
                    table,
                    queues: queues.clone(),
                    merge_bucket: bucket.clone(),
                    mail_from: None,
                    app_secret: format!("koppel-e2e-{suffix}/app"),
                    secret_prefix: format!("koppel-e2e-{suffix}/"),
                    teamleader_api_url: String::new(),
                    teamleader_auth_url: String::new(),
                };
                Self::from_adapters(AwsAdapters::new(&config, resources), sqs, queues)
            }
            Backend::MotoFromEnv => {
                let adapters = AwsAdapters::from_env()
                    .await
                    .expect("infra/dev up wrote the environment");
                let queues = adapters.resources.queues.clone();
                let sqs = aws_sdk_sqs::Client::new(&koppel_aws::sdk_config().await);
                Self::from_adapters(adapters, sqs, queues)
            }
        }
    }

    fn from_adapters(adapters: AwsAdapters, sqs: aws_sdk_sqs::Client, queues: QueueUrls) -> Self {
        Self {
            store: Arc::new(adapters.store),
            vault: Arc::new(adapters.vault),
            queue: Arc::new(adapters.queue),
            files: Arc::new(adapters.files),
            memory_queue: None,
            sqs: Some((sqs, queues)),
        }
    }

    /// Jobs waiting on the export queue, as an SQS event (at most `batch_size`, 1–10, like
    /// Lambda's batch; the in-memory queue hands over everything waiting).
    /// The queue of `kind` on moto.
    fn queue_url<'q>(urls: &'q QueueUrls, kind: &JobKind) -> &'q str {
        match kind {
            JobKind::InvoiceExport | JobKind::DocumentExport { .. } => &urls.invoice_export,
            JobKind::PaymentPoll => &urls.payment_poll,
            JobKind::CompanyImport => &urls.company_import,
            JobKind::MergeFile { .. } => &urls.merge_file,
        }
    }

    async fn receive(&self, kind: &JobKind, batch_size: i32) -> (SqsEvent, Vec<String>) {
        let mut event = SqsEvent::default();
        let mut receipts = Vec::new();
        if let Some(queue) = &self.memory_queue {
            let (mut jobs, mut others): (Vec<Job>, Vec<Job>) = queue
                .take_sent()
                .into_iter()
                .partition(|j| j.kind.name() == kind.name());
            // At most a batch, like SQS; the rest and other jobs' messages stay queued.
            let batch = usize::try_from(batch_size.clamp(1, 10)).unwrap_or(10);
            if jobs.len() > batch {
                others.extend(jobs.split_off(batch));
            }
            self.queue.send(&others).await.expect("requeue");
            for (i, job) in jobs.into_iter().enumerate() {
                let mut message = SqsMessage::default();
                message.message_id = Some(format!("mem-{i}-{}", uuid::Uuid::new_v4()));
                message.body = Some(serde_json::to_string(&job).expect("job json"));
                message
                    .attributes
                    .insert("MessageGroupId".into(), job.connection_id.to_string());
                event.records.push(message);
            }
            return (event, receipts);
        }
        let Some((sqs, urls)) = &self.sqs else {
            return (event, receipts);
        };
        let received = sqs
            .receive_message()
            .queue_url(Self::queue_url(urls, kind))
            .max_number_of_messages(batch_size.clamp(1, 10))
            .wait_time_seconds(1)
            .message_system_attribute_names(
                aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId,
            )
            .send()
            .await
            .expect("receive from moto");
        for m in received.messages.unwrap_or_default() {
            let mut message = SqsMessage::default();
            message.message_id = m.message_id.clone();
            message.body = m.body.clone();
            if let Some(attributes) = &m.attributes {
                for (k, v) in attributes {
                    message.attributes.insert(k.as_str().to_owned(), v.clone());
                }
            }
            receipts.push(format!(
                "{}\u{1f}{}",
                m.message_id.unwrap_or_default(),
                m.receipt_handle.unwrap_or_default()
            ));
            event.records.push(message);
        }
        (event, receipts)
    }

    /// Delete the received messages: those a handler handed back or a killed invocation held
    /// are sent again by the drain after the visibility timeout.
    async fn acknowledge(&self, kind: &JobKind, receipts: Vec<String>) {
        let Some((sqs, urls)) = &self.sqs else { return };
        for receipt in receipts {
            let (_, handle) = receipt.split_once('\u{1f}').expect("receipt");
            sqs.delete_message()
                .queue_url(Self::queue_url(urls, kind))
                .receipt_handle(handle)
                .send()
                .await
                .expect("delete");
        }
    }
}
