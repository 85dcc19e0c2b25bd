//! End-to-end scenarios of the nightly export that must never go wrong: one bad document
//! never blocks the others, closed periods are explained, duplicate deliveries and concurrent
//! workers post nothing twice, a crash between the ledger's answer and our state write loses
//! and duplicates nothing, tokens expire mid-run, quotas are waited out, long backlogs continue
//! in new messages, and edits or deletions after export are reported instead of re-posted.

use chrono::Datelike;
use koppel_core::jobs::export::{ExportOptions, request_reexport};
use koppel_core::memory::CrashAfterPost;
use koppel_core::{
    Clock, Connection, Connector, Deadline, DocumentId, FixedConnector, IssueOutcome, Job, JobKind,
    RunId, RunReport, RunStatus, TaxRateId,
};
use koppel_e2e::stack::{Backend, Stack, StackOptions};
use koppel_sim::{exact, teamleader};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

const DIVISION: i32 = exact::DEFAULT_BE_DIVISION;

fn account(seed: u64, companies: usize, invoices: usize) -> teamleader::GenerateSpec {
    teamleader::GenerateSpec {
        seed,
        departments: 1,
        companies,
        contacts: 0,
        invoices,
        drafts: 2,
        credit_notes: 3,
        paid_percent: 30,
        days: 40,
        ..Default::default()
    }
}

async fn start(backend: Backend, generate: teamleader::GenerateSpec) -> (Stack, Connection) {
    start_with(StackOptions {
        exact_limits: None,
        generate,
        backend,
        ..Default::default()
    })
    .await
}

async fn start_with(options: StackOptions) -> (Stack, Connection) {
    let stack = Stack::start(options).await;
    let department = stack.departments()[0].clone();
    let connection = stack.connect(&department, DIVISION).await;
    (stack, connection)
}

fn booked_count(stack: &Stack) -> usize {
    stack.booked_count()
}

/// Entries in Exact as (journal, YourRef), asserting none is there twice.
fn entries_once(stack: &Stack) -> HashSet<(String, String)> {
    stack.entries_once(DIVISION)
}

async fn latest_report(stack: &Stack, connection: &Connection) -> RunReport {
    stack
        .aws
        .store
        .run_reports(&connection.id, 1)
        .await
        .unwrap()
        .into_iter()
        .next()
        .expect("a run report")
}

async fn run_nightly(stack: &Stack, at: &str) -> RunReport {
    stack.dispatch_nightly_at(at).await;
    let function = stack.export_function(ExportOptions::default());
    let drained = stack
        .drain_exports(&function, Duration::from_secs(600))
        .await;
    assert_eq!(drained.failed_messages, 0);
    let connection_id = stack.aws.store.active_connections().await.unwrap()[0]
        .id
        .clone();
    stack
        .aws
        .store
        .run_reports(&connection_id, 1)
        .await
        .unwrap()
        .remove(0)
}

#[tokio::test]
async fn a_customer_shared_by_thirty_invoices_is_created_once() {
    let (stack, _connection) = start(Backend::moto_for_tests(), account(11, 1, 30)).await;
    let report = run_nightly(&stack, "2026-11-20T01:00:00Z").await;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    assert_eq!(
        report.export_counts().exported as usize,
        booked_count(&stack)
    );
    assert_eq!(report.export_counts().customers_created, 1);
    let stats = stack.exact.stats();
    assert_eq!(
        stats
            .requests
            .get("POST crm/Accounts")
            .copied()
            .unwrap_or(0),
        1,
        "{:?}",
        stats.requests
    );
    let customers: HashSet<_> = stack
        .exact
        .entries(DIVISION)
        .iter()
        .map(|e| e.customer)
        .collect();
    assert_eq!(customers.len(), 1);
}

#[tokio::test]
async fn an_unmapped_vat_rate_fails_its_documents_with_the_reason_while_the_others_export() {
    let (stack, mut connection) = start(Backend::moto_for_tests(), account(12, 8, 40)).await;
    // The tax rate used by the fewest booked invoices loses its VAT-code mapping.
    let usage: BTreeMap<String, HashSet<String>> = stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            let mut usage: BTreeMap<String, HashSet<String>> = BTreeMap::new();
            for i in a.invoices.values().filter(|i| i.number.is_some()) {
                for line in i.sections.iter().flat_map(|s| &s.lines) {
                    usage
                        .entry(line.tax_rate_id.clone())
                        .or_default()
                        .insert(i.id.clone());
                }
            }
            for c in a.credit_notes.values() {
                for line in c.sections.iter().flat_map(|s| &s.lines) {
                    usage
                        .entry(line.tax_rate_id.clone())
                        .or_default()
                        .insert(c.id.clone());
                }
            }
            usage
        })
        .unwrap();
    let (rate, affected) = usage
        .iter()
        .min_by_key(|(_, docs)| docs.len())
        .map(|(r, d)| (r.clone(), d.clone()))
        .unwrap();
    assert!(
        affected.len() < booked_count(&stack),
        "some documents must not use the rate"
    );
    assert!(
        connection
            .settings
            .vat_codes
            .remove(&TaxRateId::new(rate))
            .is_some(),
        "the rate was mapped"
    );
    stack.aws.store.put_connection(&connection).await.unwrap();

    let report = run_nightly(&stack, "2026-11-20T01:00:00Z").await;
    assert_eq!(report.status, RunStatus::CompletedWithIssues);
    assert_eq!(report.export_counts().failed as usize, affected.len());
    assert_eq!(
        report.export_counts().exported as usize,
        booked_count(&stack) - affected.len()
    );
    for issue in &report.issues {
        assert_eq!(issue.outcome, IssueOutcome::Failed);
        assert!(affected.contains(issue.document_id().map(|d| d.as_str()).unwrap_or_default()));
        assert!(
            issue
                .reason
                .contains("has no Exact Online VAT code mapped — map it on the connection page"),
            "{}",
            issue.reason
        );
    }
    assert_eq!(
        entries_once(&stack).len(),
        booked_count(&stack) - affected.len()
    );

    // The user maps the rate: the next night exports exactly the documents that failed.
    let fixed = stack.connect(&connection.department_id, DIVISION).await;
    assert_eq!(fixed.id, connection.id);
    let report = run_nightly(&stack, "2026-11-21T01:00:00Z").await;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    assert_eq!(report.export_counts().exported as usize, affected.len());
    assert_eq!(entries_once(&stack).len(), booked_count(&stack));
}

#[tokio::test]
async fn a_closed_period_is_explained_and_the_rest_exports() {
    let (stack, _connection) = start(Backend::moto_for_tests(), account(13, 6, 30)).await;
    let dates: Vec<chrono::NaiveDate> = stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            a.invoices
                .values()
                .filter(|i| i.number.is_some())
                .filter_map(|i| i.invoice_date)
                .collect()
        })
        .unwrap();
    let oldest = *dates.iter().min().unwrap();
    let in_period = dates
        .iter()
        .filter(|d| d.year() == oldest.year() && d.month() == oldest.month())
        .count();
    stack
        .exact
        .set_period_closed(DIVISION, oldest.year(), oldest.month() as i32, true)
        .unwrap();

    let report = run_nightly(&stack, "2026-11-20T01:00:00Z").await;
    assert_eq!(report.status, RunStatus::CompletedWithIssues);
    // Exact does not list closed periods; it refuses the entry with "Periode is afgesloten",
    // which Koppel passes on with what to do.
    let closed: Vec<_> = report
        .issues
        .iter()
        .filter(|i| i.reason.contains("afgesloten"))
        .collect();
    assert!(closed.len() >= in_period, "{:#?}", report.issues);
    assert!(
        closed[0].reason.to_lowercase().contains("reopen"),
        "{}",
        closed[0].reason
    );
    assert_eq!(
        report.export_counts().exported + report.export_counts().failed,
        booked_count(&stack) as u32
    );
}

#[tokio::test]
async fn duplicate_deliveries_and_concurrent_workers_post_nothing_twice() {
    let (stack, connection) = start(Backend::moto_for_tests(), account(14, 10, 60)).await;
    let job = Job::start(
        connection.id.clone(),
        RunId::new("nightly-dup"),
        JobKind::InvoiceExport,
    );
    // The same message delivered twice, handled by two workers at the same time.
    let first = stack.export_function(ExportOptions::default());
    let second = stack.export_function(ExportOptions::default());
    let (a, b) = tokio::join!(
        first.run(job.clone(), Deadline::none()),
        second.run(job.clone(), Deadline::none())
    );
    // One of them works; the other is turned away at once (the job is held by the first)
    // and hands its message back for SQS to deliver again later.
    assert!(
        a.is_ok() || b.is_ok(),
        "one delivery did the work: {a:?} {b:?}"
    );
    for outcome in [&a, &b] {
        assert!(
            matches!(
                outcome,
                Ok(_) | Err(koppel_core::jobs::lifecycle::JobError::Busy { .. })
            ),
            "{outcome:?}"
        );
    }
    // And once more after both finished (a late redelivery).
    first.run(job.clone(), Deadline::none()).await.unwrap();
    // And a second run of the same night started by a duplicate schedule.
    let other = Job::start(
        connection.id.clone(),
        RunId::new("nightly-dup-2"),
        JobKind::InvoiceExport,
    );
    first.run(other, Deadline::none()).await.unwrap();
    assert_eq!(entries_once(&stack).len(), booked_count(&stack));
    let stats = stack.exact.stats();
    assert_eq!(
        stats
            .requests
            .get("POST salesentry/SalesEntries")
            .copied()
            .unwrap_or(0) as usize,
        booked_count(&stack),
        "one POST per document"
    );
}

#[tokio::test]
async fn a_crash_between_the_ledgers_answer_and_our_state_write_loses_and_duplicates_nothing() {
    let (stack, connection) = start(Backend::moto_for_tests(), account(15, 6, 25)).await;
    let source = stack
        .connector
        .source(&connection, Deadline::none())
        .await
        .unwrap();
    let ledger = stack
        .connector
        .ledger(&connection, Deadline::none())
        .await
        .unwrap();
    let crashing = Arc::new(CrashAfterPost::new(ledger, 1));
    let mut function = stack.export_function(ExportOptions::default());
    function.connector = Arc::new(FixedConnector {
        source,
        ledger: crashing.clone(),
        einvoice: None,
    });
    let function = Arc::new(function);
    let job = Job::start(
        connection.id.clone(),
        RunId::new("crash-run"),
        JobKind::InvoiceExport,
    );

    // The first delivery dies mid-run (the panic stands for the Lambda being killed).
    let worker = function.clone();
    let crashed = tokio::spawn({
        let job = job.clone();
        async move { worker.run(job, Deadline::none()).await }
    })
    .await;
    assert!(crashed.is_err(), "the worker crashed");
    let posted_before_retry = stack.exact.entries(DIVISION).len();
    assert_eq!(
        posted_before_retry, 1,
        "the crash came right after the first entry was booked"
    );

    // SQS delivers the message again once its visibility timeout (90 minutes, template.yaml)
    // has passed, when the dead worker's claim has lapsed: the claim left behind is resolved
    // by looking the entry up in Exact by its reference, not by posting it again. (A second
    // delivery while the claim lives is turned away: see the duplicate-delivery test.)
    stack.clock.advance(chrono::Duration::minutes(90));
    function.run(job.clone(), Deadline::none()).await.unwrap();
    assert_eq!(
        entries_once(&stack).len(),
        booked_count(&stack),
        "nothing lost"
    );
    let report = latest_report(&stack, &connection).await;
    assert_eq!(report.export_counts().already_exported, 1, "{report:#?}");
    assert_eq!(
        report.export_counts().exported as usize,
        booked_count(&stack) - 1
    );
    let stats = stack.exact.stats();
    assert_eq!(
        stats
            .requests
            .get("POST salesentry/SalesEntries")
            .copied()
            .unwrap_or(0) as usize,
        booked_count(&stack)
    );
}

#[tokio::test]
async fn an_answer_lost_on_the_wire_after_exact_booked_the_entry_is_not_posted_again() {
    let (stack, connection) = start(Backend::moto_for_tests(), account(16, 5, 20)).await;
    // Exact stores the next two entries, then drops the connection without answering.
    stack
        .exact
        .crash_after_commit(2, exact::CrashMode::DropConnection);
    let report = run_nightly(&stack, "2026-11-20T01:00:00Z").await;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    assert_eq!(entries_once(&stack).len(), booked_count(&stack));
    assert_eq!(stack.exact.stats().crashes_after_commit, 2);
    let _ = connection;
}

#[tokio::test]
async fn expired_tokens_mid_run_are_refreshed_and_the_run_completes() {
    let (stack, connection) = start(Backend::moto_for_tests(), account(17, 8, 60)).await;
    let tokens_before = stack
        .exact
        .stats()
        .requests
        .get("POST oauth2/token")
        .copied()
        .unwrap_or(0);
    // Halfway through: Teamleader's access tokens are revoked early and time jumps past the
    // 10-minute lifetime of Exact's tokens.
    let expire_midway = async {
        for _ in 0..4000 {
            if stack.exact.entries(DIVISION).len() >= 20 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        stack
            .teamleader
            .expire_access_tokens(Some(&stack.account_id));
        stack.clock.advance(chrono::Duration::minutes(11));
    };
    let (report, ()) = tokio::join!(run_nightly(&stack, "2026-11-20T01:00:00Z"), expire_midway);
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    assert_eq!(entries_once(&stack).len(), booked_count(&stack));
    let tokens_after = stack
        .exact
        .stats()
        .requests
        .get("POST oauth2/token")
        .copied()
        .unwrap_or(0);
    assert!(
        tokens_after > tokens_before,
        "Exact's token was refreshed ({tokens_before} → {tokens_after})"
    );
    assert_eq!(
        stack
            .aws
            .store
            .connection(&connection.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        koppel_core::ConnectionStatus::Active
    );
}

#[tokio::test]
async fn the_minute_quota_is_waited_out_without_a_single_429() {
    let (stack, _connection) = start_with(StackOptions {
        speed: 120.0,
        exact_limits: Some(exact::RateLimits::default()),
        generate: account(18, 10, 90),
        backend: Backend::moto_for_tests(),
        ..Default::default()
    })
    .await;
    let started = stack.clock.now();
    let report = run_nightly(&stack, "2026-11-20T01:00:00Z").await;
    let elapsed = stack.clock.now() - started;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    assert_eq!(entries_once(&stack).len(), booked_count(&stack));
    let stats = stack.exact.stats();
    let calls: u64 = stats
        .requests
        .iter()
        .filter(|(k, _)| !k.contains("oauth2"))
        .map(|(_, v)| v)
        .sum();
    assert!(
        calls > 60,
        "the run needs more than one minute window ({calls} calls)"
    );
    assert!(
        elapsed >= chrono::Duration::minutes(1),
        "the run waited for the next window ({elapsed})"
    );
    assert_eq!(
        stats.rate_limited, 0,
        "the gate waits before Exact has to refuse"
    );
}

#[tokio::test]
async fn a_backlog_continues_over_several_invocations_with_nothing_lost_or_twice() {
    // Virtual time: the clock moves only when Koppel waits (for Teamleader's minute window),
    // so which invocation does what depends on the account, the limit and the budget — never
    // on how fast this machine is. Each invocation has two minutes of it, killed at the end as
    // Lambda does: room for one wait for the next window, not for two.
    let (stack, connection) = start_with(StackOptions {
        virtual_time: true,
        exact_limits: None,
        teamleader_limit: 100,
        generate: account(19, 20, 300),
        backend: Backend::Memory,
        ..Default::default()
    })
    .await;
    stack.dispatch_nightly_at("2026-11-20T01:00:00Z").await;
    let function = stack.export_function(ExportOptions::default());
    let drained = stack
        .drain_exports(&function, Duration::from_secs(120))
        .await;
    eprintln!("backlog: {drained:?}");
    assert!(drained.invocations > 2, "{drained:?}");
    assert_eq!(
        drained.killed, 0,
        "a wait that does not fit hands over instead of being killed: {drained:?}"
    );
    assert_eq!(drained.failed_messages, 0);
    assert_eq!(entries_once(&stack).len(), booked_count(&stack));
    let report = latest_report(&stack, &connection).await;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    assert_eq!(report.invocations, drained.invocations);
    assert_eq!(
        report.export_counts().exported as usize,
        booked_count(&stack)
    );
}

#[tokio::test]
async fn edits_and_deletions_after_export_are_reported_never_reposted_until_the_user_asks() {
    let (stack, connection) = start(Backend::moto_for_tests(), account(20, 6, 20)).await;
    let first = run_nightly(&stack, "2026-11-20T01:00:00Z").await;
    assert_eq!(first.status, RunStatus::Succeeded);
    let total = entries_once(&stack).len();

    // In Teamleader an invoice's amount changes; in Exact another invoice's entry is deleted
    // and that invoice gets a payment in Teamleader (so it shows up as changed since).
    let now = stack.clock.now() + chrono::Duration::minutes(30);
    let (edited, paid) = stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            let mut booked: Vec<_> = a
                .invoices
                .values_mut()
                .filter(|i| i.number.is_some())
                .collect();
            booked.sort_by_key(|i| i.number);
            let edited = &mut booked[0];
            edited.sections[0].lines[0].unit_price += rust_decimal::Decimal::ONE_HUNDRED;
            edited.updated_at = now;
            let edited = (edited.id.clone(), edited.number.unwrap());
            let paid = &mut booked[1];
            paid.payments.push(teamleader::model::Payment {
                amount: rust_decimal::Decimal::ONE,
                currency: "EUR".into(),
                paid_at: now,
            });
            paid.updated_at = now;
            (edited, (paid.id.clone(), paid.number.unwrap()))
        })
        .unwrap();
    let paid_ref = format!("{} / {}", paid.1.0, paid.1.1);
    let deleted = stack
        .exact
        .entries(DIVISION)
        .into_iter()
        .find(|e| e.your_ref.as_deref() == Some(paid_ref.as_str()))
        .unwrap();
    stack
        .exact
        .delete_entry(DIVISION, deleted.entry_id)
        .unwrap();

    let second = run_nightly(&stack, &(now + chrono::Duration::minutes(1)).to_rfc3339()).await;
    assert_eq!(
        second.export_counts().exported,
        0,
        "nothing is posted again by itself: {second:#?}"
    );
    assert_eq!(second.export_counts().changed_after_export, 1);
    assert_eq!(second.export_counts().missing_in_ledger, 1);
    let changed = second
        .issues
        .iter()
        .find(|i| i.outcome == IssueOutcome::ChangedAfterExport)
        .unwrap();
    assert_eq!(
        changed
            .document_id()
            .map(|d| d.as_str())
            .unwrap_or_default(),
        edited.0
    );
    assert!(
        changed
            .reason
            .contains("changed in Teamleader after it was exported"),
        "{}",
        changed.reason
    );
    let missing = second
        .issues
        .iter()
        .find(|i| i.outcome == IssueOutcome::MissingInLedger)
        .unwrap();
    assert_eq!(
        missing
            .document_id()
            .map(|d| d.as_str())
            .unwrap_or_default(),
        paid.0
    );
    assert!(
        missing.reason.contains("export again"),
        "{}",
        missing.reason
    );
    assert_eq!(entries_once(&stack).len(), total - 1);

    // The user chooses "export again": the next night posts it once more, and only it.
    assert!(
        request_reexport(
            stack.aws.store.as_ref(),
            stack.aws.store.as_ref(),
            stack.clock.as_ref(),
            &connection.id,
            &DocumentId::new(paid.0.clone())
        )
        .await
        .unwrap()
    );
    let third = run_nightly(&stack, &(now + chrono::Duration::hours(24)).to_rfc3339()).await;
    assert_eq!(third.export_counts().exported, 1, "{third:#?}");
    assert_eq!(entries_once(&stack).len(), total);
}

#[tokio::test]
async fn a_spent_daily_quota_pauses_the_run_and_the_next_night_finishes_it() {
    let (stack, connection) = start_with(StackOptions {
        speed: 60.0,
        exact_limits: Some(exact::RateLimits {
            per_minute: 60,
            per_day: 40,
        }),
        generate: account(21, 6, 40),
        backend: Backend::moto_for_tests(),
        ..Default::default()
    })
    .await;
    let first = run_nightly(&stack, "2026-11-20T01:00:00Z").await;
    assert_eq!(first.status, RunStatus::Paused, "{first:#?}");
    let message = first.message.clone().unwrap_or_default();
    assert!(
        message.contains("quota") && message.contains("Nothing is lost"),
        "{message}"
    );
    assert!(
        first.export_counts().exported > 0
            && (first.export_counts().exported as usize) < booked_count(&stack)
    );
    assert_eq!(
        stack.exact.stats().rate_limited,
        0,
        "the gate stops before Exact refuses"
    );

    // The next night, after the daily reset, the export picks up what is left.
    stack.clock.advance(chrono::Duration::days(1));
    let mut nights = 1;
    while entries_once(&stack).len() < booked_count(&stack) && nights < 5 {
        stack.clock.advance(chrono::Duration::days(1));
        nights += 1;
        run_nightly(&stack, &stack.clock.now().to_rfc3339()).await;
    }
    assert_eq!(
        entries_once(&stack).len(),
        booked_count(&stack),
        "nothing lost after {nights} nights"
    );
    assert_eq!(
        latest_report(&stack, &connection).await.status,
        RunStatus::Succeeded
    );
}
