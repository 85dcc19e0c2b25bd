//! The admin command against moto: a stack's resources created as template.yaml names them
//! (`<stack>-data`, `<stack>-<job>.fifo` with `<stack>-<job>-dlq.fifo`) and found by
//! `--stack`; and a backfill on the end-to-end stack (simulated Teamleader and Exact, the real
//! export handler) where the documents are already in the ledger.
//!
//! Needs `KOPPEL_TEST_MOTO_URL` (set by `infra/dev test`), like every moto test.

use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use chrono::{Duration, TimeZone, Utc};
use koppel_admin::cli::Command;
use koppel_admin::target::Target;
use koppel_admin::{Admin, AdminError, Queues};
use koppel_aws::{
    DynamoStore, QueueUrls, SqsJobQueue, create_fifo_queue_with_dlq, create_table, local_sdk_config,
};
use koppel_core::jobs::export::ExportOptions;
use koppel_core::{
    AccountId, Clock, Connection, ConnectionId, ConnectionSettings, ConnectionStatus,
    ConnectionStore, DepartmentId, ExportCounts, ExportState, Job, JobKind, JobQueue, LedgerKind,
    RunCounts, RunId, RunReport, RunReportStore, RunStatus,
};
use koppel_e2e::stack::{Backend, Stack, StackOptions};
use koppel_sim::{exact, teamleader};

/// moto's URL, or a panic that says how to get one (these tests must not pass silently).
fn moto_url() -> String {
    match std::env::var("KOPPEL_TEST_MOTO_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "KOPPEL_TEST_MOTO_URL is not set: run the tests with `infra/dev test` (it starts moto)"
        ),
    }
}

/// A stack's table and queues in moto, named as template.yaml names them.
struct MotoStack {
    name: String,
    config: aws_config::SdkConfig,
    store: DynamoStore,
    sqs: aws_sdk_sqs::Client,
    queues: QueueUrls,
    export_dlq: String,
}

impl MotoStack {
    async fn create() -> Self {
        let config = local_sdk_config(&moto_url()).await;
        let name = format!("admin-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
        let dynamo = aws_sdk_dynamodb::Client::new(&config);
        create_table(&dynamo, &format!("{name}-data"))
            .await
            .expect("table created in moto");
        let sqs = aws_sdk_sqs::Client::new(&config);
        let mut urls = Vec::new();
        for job in [
            "invoice-export",
            "payment-poll",
            "company-import",
            "merge-file",
        ] {
            urls.push(
                create_fifo_queue_with_dlq(&sqs, &format!("{name}-{job}"), 5)
                    .await
                    .expect("queue created in moto"),
            );
        }
        let queues = QueueUrls {
            invoice_export: urls[0].url.clone(),
            payment_poll: urls[1].url.clone(),
            company_import: urls[2].url.clone(),
            merge_file: urls[3].url.clone(),
        };
        Self {
            store: DynamoStore::new(dynamo, format!("{name}-data")),
            export_dlq: urls[0].dlq_url.clone(),
            name,
            config,
            sqs,
            queues,
        }
    }

    /// The admin command as `--stack <name>` with no `KOPPEL_*` variable set.
    fn admin(&self) -> Admin {
        Admin::on_aws(
            &self.config,
            Target::with_lookup(Some(self.name.clone()), |_| None),
        )
        .expect("the stack names the table")
    }

    /// Messages waiting on `url` (received, then deleted): (body, message group).
    async fn take_all(&self, url: &str) -> Vec<(String, String)> {
        let mut taken = Vec::new();
        loop {
            let received = self
                .sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
                .send()
                .await
                .expect("receive");
            let messages = received.messages.unwrap_or_default();
            if messages.is_empty() {
                return taken;
            }
            for m in messages {
                let group = m
                    .attributes
                    .as_ref()
                    .and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId))
                    .cloned()
                    .unwrap_or_default();
                taken.push((m.body.clone().unwrap_or_default(), group));
                self.sqs
                    .delete_message()
                    .queue_url(url)
                    .receipt_handle(m.receipt_handle.unwrap_or_default())
                    .send()
                    .await
                    .expect("delete");
            }
        }
    }

    async fn visible(&self, url: &str) -> u64 {
        self.sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .expect("attributes")
            .attributes
            .and_then(|mut a| a.remove(&QueueAttributeName::ApproximateNumberOfMessages))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }
}

/// What `command` prints (or the error it ends with, after its output).
async fn output(admin: &Admin, command: Command) -> (String, Result<(), AdminError>) {
    let mut out = Vec::new();
    let result = admin.run(&command, &mut out).await;
    (String::from_utf8(out).expect("utf-8 output"), result)
}

async fn printed(admin: &Admin, command: Command) -> String {
    let (text, result) = output(admin, command).await;
    result.unwrap_or_else(|e| panic!("the command failed: {e}\n{text}"));
    text
}

fn connection(id: &str, account: &str, status: ConnectionStatus) -> Connection {
    Connection {
        id: ConnectionId::from(id),
        account_id: AccountId::from(account),
        department_id: DepartmentId::from("dept-1"),
        ledger: LedgerKind::ExactOnline,
        ledger_company: "123456".into(),
        status,
        settings: ConnectionSettings {
            automatic_sync: true,
            ..ConnectionSettings::default()
        },
        teamleader_secret: format!("koppel/{id}/teamleader"),
        ledger_secret: format!("koppel/{id}/ledger"),
        created_at: Utc.with_ymd_and_hms(2026, 9, 1, 8, 0, 0).unwrap(),
        status_reason: None,
    }
}

fn report(connection: &str, run: &str, job: &str, hours_ago: i64, status: RunStatus) -> RunReport {
    let started = Utc::now() - Duration::hours(hours_ago);
    let counts = if job == "invoice-export" {
        RunCounts::InvoiceExport(ExportCounts {
            exported: 12,
            already_exported: 1,
            ..ExportCounts::default()
        })
    } else {
        RunCounts::Nothing
    };
    RunReport {
        status,
        invocations: 2,
        updated_at: started + Duration::minutes(3),
        ..RunReport::start(
            ConnectionId::from(connection),
            RunId::from(run),
            job,
            counts,
            started,
        )
    }
}

#[tokio::test]
async fn connections_and_runs_are_listed_from_the_stack_by_name() {
    let stack = MotoStack::create().await;
    let admin = stack.admin();
    assert_eq!(
        printed(&admin, Command::Connections).await,
        "0 connections\n"
    );

    let active = connection("c-active", "acct-1", ConnectionStatus::Active);
    let mut stuck = connection("c-stuck", "acct-2", ConnectionStatus::NeedsReauth);
    stuck.status_reason = Some("Exact refused the sign-in".into());
    stuck.settings.automatic_sync = false;
    stack.store.put_connection(&stuck).await.unwrap();
    stack.store.put_connection(&active).await.unwrap();
    for r in [
        report(
            "c-active",
            "nightly-1",
            "invoice-export",
            48,
            RunStatus::Succeeded,
        ),
        report(
            "c-active",
            "nightly-2",
            "invoice-export",
            24,
            RunStatus::CompletedWithIssues,
        ),
        report(
            "c-active",
            "poll-1",
            "payment-poll",
            1,
            RunStatus::Succeeded,
        ),
        RunReport {
            message: Some("Exact refused the sign-in".into()),
            ..report(
                "c-stuck",
                "nightly-9",
                "invoice-export",
                5,
                RunStatus::Failed,
            )
        },
    ] {
        stack.store.put_run_report(&r).await.unwrap();
    }

    let listed = printed(&admin, Command::Connections).await;
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines[0], "2 connections", "{listed}");
    let active_at = lines
        .iter()
        .position(|l| {
            l.starts_with(
                "c-active  account acct-1  exact_online 123456  active  automatic sync on",
            )
        })
        .unwrap_or_else(|| panic!("{listed}"));
    let export = lines[active_at + 1];
    assert!(
        export.starts_with("  invoice-export  completed_with_issues")
            && export.contains("nightly-2")
            && export.ends_with("already_exported=1 exported=12"),
        "the last export run: {export}"
    );
    assert!(
        lines[active_at + 2].starts_with("  payment-poll    succeeded"),
        "{listed}"
    );
    assert!(lines[active_at + 2].contains("poll-1"), "{listed}");
    assert_eq!(lines[active_at + 3].trim_end(), "  company-import  -");
    assert_eq!(lines[active_at + 4].trim_end(), "  merge-file      -");
    assert!(
        listed.contains(
            "c-stuck  account acct-2  exact_online 123456  needs_reauth (Exact refused the sign-in)  automatic sync off"
        ),
        "{listed}"
    );
    assert!(
        active_at < listed.find("c-stuck").unwrap_or(0),
        "ordered by id"
    );

    let runs = printed(
        &admin,
        Command::Runs {
            connection: "c-active".into(),
            limit: 2,
        },
    )
    .await;
    let lines: Vec<&str> = runs.lines().collect();
    assert!(lines[0].starts_with("c-active  account acct-1"), "{runs}");
    assert!(
        lines[1].starts_with("run") && lines[1].contains("status") && lines[1].ends_with("counts"),
        "{runs}"
    );
    assert_eq!(lines.len(), 4, "the two newest runs: {runs}");
    assert!(
        lines[2].starts_with("poll-1 ") && lines[2].contains("succeeded"),
        "{runs}"
    );
    assert!(
        lines[3].starts_with("nightly-2 ") && lines[3].contains(" 2 "),
        "{runs}"
    );

    let stuck_runs = printed(
        &admin,
        Command::Runs {
            connection: "c-stuck".into(),
            limit: 20,
        },
    )
    .await;
    assert!(
        stuck_runs.ends_with("nightly-9: Exact refused the sign-in\n"),
        "{stuck_runs}"
    );

    let (_, unknown) = output(
        &admin,
        Command::Runs {
            connection: "c-gone".into(),
            limit: 20,
        },
    )
    .await;
    assert!(
        matches!(unknown, Err(AdminError::UnknownConnection(_))),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn a_dead_lettered_job_is_redriven_once_in_its_group_and_leaves_the_dead_letter_queue() {
    let stack = MotoStack::create().await;
    let admin = stack.admin();
    // A job sent as the functions send it (its usual deduplication id) fails five times.
    let job = Job::start(
        ConnectionId::from("c-dead"),
        RunId::from("nightly-2026-11-20"),
        JobKind::InvoiceExport,
    );
    SqsJobQueue::new(stack.sqs.clone(), stack.queues.clone())
        .send(std::slice::from_ref(&job))
        .await
        .unwrap();
    for _ in 0..20 {
        if stack.visible(&stack.export_dlq).await == 1 {
            break;
        }
        // Received and never deleted: a failed try (made visible again at once).
        stack
            .sqs
            .receive_message()
            .queue_url(&stack.queues.invoice_export)
            .visibility_timeout(0)
            .send()
            .await
            .unwrap();
    }
    assert_eq!(
        stack.visible(&stack.export_dlq).await,
        1,
        "moved to the DLQ"
    );

    // Listing leaves it where it is.
    for _ in 0..2 {
        let listed = printed(
            &admin,
            Command::DlqList {
                job: Some("invoice-export".into()),
            },
        )
        .await;
        let lines: Vec<&str> = listed.lines().collect();
        assert_eq!(lines.len(), 2, "{listed}");
        assert!(
            lines[0].starts_with("invoice-export: 1 message in ")
                && lines[0].ends_with("-invoice-export-dlq.fifo"),
            "{listed}"
        );
        assert!(
            lines[1].contains("c-dead  nightly-2026-11-20  invoice-export #0  ")
                && lines[1].contains(" receives  first sent "),
            "{listed}"
        );
    }
    // The run it belongs to, as the store knows it: not started, then closed by the hourly sweep.
    assert!(listed_line(&admin).await.contains("  run not started  "));
    stack
        .store
        .put_run_report(&report(
            "c-dead",
            "nightly-2026-11-20",
            "invoice-export",
            6,
            RunStatus::Interrupted,
        ))
        .await
        .unwrap();
    let listed = printed(
        &admin,
        Command::DlqList {
            job: Some("invoice-export".into()),
        },
    )
    .await;
    assert!(listed.contains("  run interrupted  "), "{listed}");
    assert!(
        !listed.contains("has ended"),
        "an interrupted run resumes when its message is redriven: {listed}"
    );
    // A run that ended for good (a newer one took over) is named as such.
    stack
        .store
        .put_run_report(&report(
            "c-dead",
            "nightly-2026-11-20",
            "invoice-export",
            6,
            RunStatus::Succeeded,
        ))
        .await
        .unwrap();
    let ended = printed(
        &admin,
        Command::DlqList {
            job: Some("invoice-export".into()),
        },
    )
    .await;
    assert!(
        ended.contains("  1 message of a run that has ended: its job skips it"),
        "{ended}"
    );
    let every = printed(&admin, Command::DlqList { job: None }).await;
    assert!(every.contains("payment-poll: 0 messages in "), "{every}");
    assert!(every.contains("merge-file: 0 messages in "), "{every}");

    let dry = printed(
        &admin,
        Command::DlqRedrive {
            job: None,
            dry_run: true,
        },
    )
    .await;
    assert!(
        dry.contains("invoice-export: would send 1 message back to ")
            && dry.contains("(dry run: nothing sent)"),
        "{dry}"
    );
    assert_eq!(
        stack.visible(&stack.export_dlq).await,
        1,
        "a dry run moves nothing"
    );
    assert_eq!(stack.visible(&stack.queues.invoice_export).await, 0);

    let redriven = printed(
        &admin,
        Command::DlqRedrive {
            job: Some("invoice-export".into()),
            dry_run: false,
        },
    )
    .await;
    assert!(
        redriven.starts_with(&format!(
            "invoice-export: 1 message sent back to {}\n",
            stack.queues.invoice_export
        )),
        "{redriven}"
    );
    assert!(
        redriven.contains("c-dead  nightly-2026-11-20"),
        "{redriven}"
    );

    // On the job queue once, the same job in the connection's group; gone from the DLQ.
    let back = stack.take_all(&stack.queues.invoice_export).await;
    assert_eq!(back.len(), 1, "{back:?}");
    assert_eq!(serde_json::from_str::<Job>(&back[0].0).unwrap(), job);
    assert_eq!(back[0].1, "c-dead");
    assert!(stack.take_all(&stack.export_dlq).await.is_empty());
    let again = printed(
        &admin,
        Command::DlqRedrive {
            job: None,
            dry_run: false,
        },
    )
    .await;
    assert!(
        again.contains("invoice-export: 0 messages sent back to "),
        "{again}"
    );
    assert!(
        stack
            .take_all(&stack.queues.invoice_export)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_backfill_is_one_export_message_from_that_day_and_refused_for_an_inactive_connection() {
    let stack = MotoStack::create().await;
    let admin = stack.admin();
    stack
        .store
        .put_connection(&connection("c-1", "acct-1", ConnectionStatus::Active))
        .await
        .unwrap();
    stack
        .store
        .put_connection(&connection("c-paused", "acct-1", ConnectionStatus::Paused))
        .await
        .unwrap();
    let from = chrono::NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
    let said = printed(
        &admin,
        Command::Backfill {
            connection: "c-1".into(),
            from,
        },
    )
    .await;
    assert!(
        said.starts_with("backfill of c-1 from 2026-07-01 queued as run backfill-2026-07-01-")
            && said.contains("every document changed since 2026-06-30 22:00:00Z (00:00 Brussels)"),
        "{said}"
    );
    let sent = stack.take_all(&stack.queues.invoice_export).await;
    assert_eq!(sent.len(), 1);
    let job: Job = serde_json::from_str(&sent[0].0).unwrap();
    assert_eq!(sent[0].1, "c-1");
    assert_eq!((job.kind, job.sequence), (JobKind::InvoiceExport, 0));
    assert!(job.run_id.as_str().starts_with("backfill-2026-07-01-"));
    let cursor: serde_json::Value = serde_json::from_str(job.cursor.as_deref().unwrap()).unwrap();
    assert_eq!(cursor["look_up_first"], true);
    assert_eq!(cursor["since"], "2026-06-30T22:00:00Z");

    let (_, refused) = output(
        &admin,
        Command::Backfill {
            connection: "c-paused".into(),
            from,
        },
    )
    .await;
    let error = refused.expect_err("a paused connection is not exported");
    assert_eq!(
        error.to_string(),
        "connection c-paused is paused: it must be active to export again"
    );
    assert!(
        stack
            .take_all(&stack.queues.invoice_export)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_backfill_over_documents_already_in_the_ledger_posts_none_twice_and_finds_lost_records() {
    let stack = Stack::start(StackOptions {
        exact_limits: None,
        generate: teamleader::GenerateSpec {
            seed: 13,
            departments: 1,
            companies: 6,
            contacts: 2,
            invoices: 14,
            drafts: 2,
            credit_notes: 3,
            days: 40,
            ..Default::default()
        },
        backend: Backend::moto_for_tests(),
        ..Default::default()
    })
    .await;
    let department = stack.departments()[0].clone();
    let connection = stack.connect(&department, exact::DEFAULT_BE_DIVISION).await;
    let night = stack.export_night(&Utc::now().to_rfc3339()).await;
    let booked = stack.booked_count();
    assert_eq!(
        night.export_counts().exported as usize,
        booked,
        "{night:#?}"
    );
    let in_ledger = stack.entries_once(exact::DEFAULT_BE_DIVISION);
    assert_eq!(in_ledger.len(), booked);

    // Three records are lost (a restored backup, a record written by another deployment):
    // Koppel no longer knows these documents reached the ledger.
    let records = documents_of(&stack, &connection).await;
    assert_eq!(records.len(), booked, "a record per document");
    for mut record in records.into_iter().take(3) {
        record.state = ExportState::Pending;
        record.attempts = 0;
        record.ledger_entry_number = None;
        stack.aws.store.put_document(&record).await.unwrap();
    }

    // The operator's backfill, through the admin command, on this stack's store and queue.
    let admin = Admin {
        store: stack.aws.store.clone(),
        clock: stack.clock.clone(),
        queues: Queues::Given(stack.aws.queue.clone()),
    };
    let from = (stack.clock.now() - Duration::days(60)).date_naive();
    let said = printed(
        &admin,
        Command::Backfill {
            connection: connection.id.clone(),
            from,
        },
    )
    .await;
    assert!(said.contains("queued as run backfill-"), "{said}");
    let drained = stack
        .drain_exports(
            &stack.export_function(ExportOptions::default()),
            std::time::Duration::from_secs(900),
        )
        .await;
    assert_eq!(drained.failed_messages, 0);

    let report = stack.last_report("invoice-export").await;
    assert!(
        report.run_id.as_str().starts_with("backfill-"),
        "{report:#?}"
    );
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    let counts = report.export_counts();
    assert_eq!(counts.exported, 0, "nothing posted: {report:#?}");
    assert_eq!(
        counts.already_exported, 3,
        "the lost records found by look-up"
    );
    assert_eq!(
        stack.entries_once(exact::DEFAULT_BE_DIVISION),
        in_ledger,
        "every document once in the ledger, none twice"
    );
    for record in documents_of(&stack, &connection).await {
        assert!(
            matches!(record.state, ExportState::Exported { .. }),
            "{record:?}"
        );
    }

    // The run, as the operator follows it.
    let runs = printed(
        &admin,
        Command::Runs {
            connection: connection.id.clone(),
            limit: 5,
        },
    )
    .await;
    let backfill_row = runs
        .lines()
        .find(|l| l.starts_with("backfill-"))
        .unwrap_or_else(|| panic!("{runs}"));
    assert!(
        backfill_row.contains("succeeded") && backfill_row.ends_with("already_exported=3"),
        "{runs}"
    );
}

/// Every document record of `connection` (the documents the Teamleader simulator holds for
/// its department, read one by one from the store).
async fn documents_of(stack: &Stack, connection: &Connection) -> Vec<koppel_core::DocumentRecord> {
    let ids: Vec<String> = stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            let department = connection.department_id.as_str();
            a.invoices
                .values()
                .filter(|i| i.department_id == department && i.number.is_some())
                .map(|i| i.id.clone())
                .chain(
                    a.credit_notes
                        .values()
                        .filter(|c| c.department_id == department)
                        .map(|c| c.id.clone()),
                )
                .collect()
        })
        .expect("the generated account");
    let mut records = Vec::new();
    for id in ids {
        if let Some(record) = stack
            .aws
            .store
            .document(&connection.id, &koppel_core::DocumentId::new(id))
            .await
            .unwrap()
        {
            records.push(record);
        }
    }
    records.sort_by(|a, b| a.document_id.cmp(&b.document_id));
    records
}

/// The one message line of `dlq list --job invoice-export`.
async fn listed_line(admin: &Admin) -> String {
    let listed = printed(
        admin,
        Command::DlqList {
            job: Some("invoice-export".into()),
        },
    )
    .await;
    listed.lines().nth(1).unwrap_or_default().to_owned()
}
