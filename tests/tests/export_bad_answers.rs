//! The nightly export against an Exact Online that answers badly (issue 9): an HTML page or
//! garbage where an API answer belongs, a 5xx storm, a 5xx carrying Exact's JSON error, a 4xx
//! web page, a 403 on every post, a 401 right after a token renewal, access revoked mid-run.
//! An outage pauses the run (the next run continues), a refusal of the connection stops it
//! at the second identical one with the rest left pending, and no report shows markup.

use koppel_core::jobs::export::ExportOptions;
use koppel_core::{Connection, ConnectionStatus, IssueOutcome, RunReport, RunStatus};
use koppel_e2e::stack::{Backend, Stack, StackOptions};
use koppel_sim::exact::{self, AnswerNext, FailNext};
use koppel_sim::teamleader;
use std::time::Duration;

const DIVISION: i32 = exact::DEFAULT_BE_DIVISION;
const JSON: &str = "application/json; charset=utf-8";
const MAINTENANCE_PAGE: &str = "<!DOCTYPE html><html><head><title>Exact Online</title>\
    <style>body{font-family:sans-serif}</style></head><body><h1>Onderhoud</h1>\
    <p>Exact Online is tijdelijk niet beschikbaar.</p></body></html>";

fn account(seed: u64, invoices: usize) -> teamleader::GenerateSpec {
    teamleader::GenerateSpec {
        seed,
        departments: 1,
        companies: 4,
        contacts: 0,
        invoices,
        drafts: 1,
        credit_notes: 2,
        paid_percent: 0,
        days: 30,
        ..Default::default()
    }
}

async fn start(seed: u64, invoices: usize) -> (Stack, Connection) {
    let stack = Stack::start(StackOptions {
        exact_limits: None,
        generate: account(seed, invoices),
        backend: Backend::Memory,
        ..Default::default()
    })
    .await;
    let department = stack.departments()[0].clone();
    let connection = stack.connect(&department, DIVISION).await;
    (stack, connection)
}

/// Exact's error body with `value` as its message.
fn exact_error(value: &str) -> String {
    serde_json::json!({"error": {"code": "", "message": {"lang": "", "value": value}}}).to_string()
}

fn booked_count(stack: &Stack) -> usize {
    stack.booked_count()
}

/// Entries in Exact, asserting none is there twice.
fn entries_once(stack: &Stack) -> usize {
    stack.entries_once(DIVISION).len()
}

fn sales_entry_posts(stack: &Stack) -> u64 {
    stack
        .exact
        .stats()
        .requests
        .get("POST salesentry/SalesEntries")
        .copied()
        .unwrap_or(0)
}

/// Dispatch the nightly run at `at` and drain it; its report.
async fn run_nightly(stack: &Stack, connection: &Connection, at: &str) -> RunReport {
    stack.dispatch_nightly_at(at).await;
    let function = stack.export_function(ExportOptions::default());
    let drained = stack
        .drain_exports(&function, Duration::from_secs(600))
        .await;
    assert_eq!(drained.failed_messages, 0);
    stack
        .aws
        .store
        .run_reports(&connection.id, 1)
        .await
        .unwrap()
        .remove(0)
}

fn assert_no_markup(report: &RunReport) {
    let mut texts: Vec<&str> = report.issues.iter().map(|i| i.reason.as_str()).collect();
    texts.extend(report.message.as_deref());
    texts.extend(report.warnings.iter().map(String::as_str));
    for text in texts {
        assert!(
            !text.contains('<') && !text.to_lowercase().contains("doctype"),
            "markup in a report: {text}"
        );
    }
}

fn assert_paused(report: &RunReport) {
    assert_eq!(report.status, RunStatus::Paused, "{report:#?}");
    let message = report.message.as_deref().unwrap_or("");
    assert!(
        message.contains("Nothing is lost") && message.contains("next run continues"),
        "{message}"
    );
    assert_eq!(report.export_counts().failed, 0, "{report:#?}");
    assert_no_markup(report);
}

async fn connection_status(stack: &Stack, connection: &Connection) -> (ConnectionStatus, String) {
    let stored = stack
        .aws
        .store
        .connection(&connection.id)
        .await
        .unwrap()
        .expect("connection");
    (stored.status, stored.status_reason.unwrap_or_default())
}

/// The next night, with Exact answering well again, exports everything once.
async fn next_night_exports_everything(stack: &Stack, connection: &Connection) {
    stack.exact.clear_answers();
    stack.exact.clear_faults();
    let report = run_nightly(stack, connection, "2026-11-21T01:00:00Z").await;
    assert!(
        matches!(
            report.status,
            RunStatus::Succeeded | RunStatus::CompletedWithIssues
        ),
        "{report:#?}"
    );
    assert_eq!(entries_once(stack), booked_count(stack));
}

#[tokio::test]
async fn an_html_page_instead_of_the_ledger_accounts_pauses_the_run() {
    let (stack, connection) = start(31, 8).await;
    stack
        .exact
        .answer_next(AnswerNext::new(20, 200, MAINTENANCE_PAGE).on("GLAccounts"));
    let report = run_nightly(&stack, &connection, "2026-11-20T01:00:00Z").await;
    assert_paused(&report);
    assert_eq!(sales_entry_posts(&stack), 0);
    next_night_exports_everything(&stack, &connection).await;
}

#[tokio::test]
async fn garbage_instead_of_the_vat_codes_or_journals_pauses_the_run() {
    for (seed, resource) in [(32, "VATCodes"), (33, "financial/Journals")] {
        let (stack, connection) = start(seed, 5).await;
        stack.exact.answer_next(
            AnswerNext::new(20, 200, r#"{"d":{"results":[{"ID":"#)
                .on(resource)
                .content_type(JSON),
        );
        let report = run_nightly(&stack, &connection, "2026-11-20T01:00:00Z").await;
        assert_paused(&report);
        next_night_exports_everything(&stack, &connection).await;
    }
}

#[tokio::test]
async fn garbage_or_a_web_page_instead_of_the_customer_lookup_pauses_the_run() {
    for (seed, answer) in [
        (
            34,
            AnswerNext::new(50, 200, r#"{"d":{"results":[{"ID":"#).content_type(JSON),
        ),
        (35, AnswerNext::new(50, 200, MAINTENANCE_PAGE)),
    ] {
        let (stack, connection) = start(seed, 6).await;
        stack
            .exact
            .answer_next(answer.on("crm/Accounts").method("GET"));
        let report = run_nightly(&stack, &connection, "2026-11-20T01:00:00Z").await;
        assert_paused(&report);
        assert_eq!(sales_entry_posts(&stack), 0);
        next_night_exports_everything(&stack, &connection).await;
    }
}

#[tokio::test]
async fn a_5xx_storm_during_reference_data_pauses_and_says_so() {
    let (stack, connection) = start(36, 5).await;
    // Plain outage pages and Exact's own JSON error on a 503: both an outage.
    stack.exact.fail_next(FailNext {
        count: 6,
        status: 502,
        path_contains: Some("financial".into()),
    });
    stack.exact.answer_next(
        AnswerNext::new(40, 503, exact_error("Service tijdelijk niet beschikbaar"))
            .on("financial")
            .content_type(JSON),
    );
    let report = run_nightly(&stack, &connection, "2026-11-20T01:00:00Z").await;
    assert_paused(&report);
    let message = report.message.as_deref().unwrap_or("");
    assert!(message.contains("could not be reached"), "{message}");
    next_night_exports_everything(&stack, &connection).await;
}

#[tokio::test]
async fn a_503_with_exacts_json_error_on_every_post_pauses_instead_of_failing_documents() {
    let (stack, connection) = start(37, 10).await;
    stack.exact.answer_next(
        AnswerNext::new(100, 503, exact_error("Er is een fout opgetreden"))
            .on("SalesEntries")
            .method("POST")
            .content_type(JSON),
    );
    let report = run_nightly(&stack, &connection, "2026-11-20T01:00:00Z").await;
    assert_paused(&report);
    assert_eq!(sales_entry_posts(&stack), 1, "the run paused at the first");
    next_night_exports_everything(&stack, &connection).await;
}

#[tokio::test]
async fn a_4xx_web_page_reads_as_a_short_status_text() {
    let (stack, connection) = start(38, 6).await;
    stack.exact.answer_next(
        AnswerNext::new(1, 400, MAINTENANCE_PAGE)
            .on("SalesEntries")
            .method("POST"),
    );
    let report = run_nightly(&stack, &connection, "2026-11-20T01:00:00Z").await;
    assert_eq!(report.status, RunStatus::CompletedWithIssues, "{report:#?}");
    assert_eq!(report.issues.len(), 1, "{report:#?}");
    assert_eq!(report.issues[0].outcome, IssueOutcome::Failed);
    assert!(
        report.issues[0].reason.contains("HTTP 400 (Bad Request)"),
        "{}",
        report.issues[0].reason
    );
    assert_no_markup(&report);
    assert_eq!(entries_once(&stack), booked_count(&stack) - 1);
}

/// Exact refuses every post of the connection: the run stops at the second identical
/// refusal (after `posts` posts), marks the connection, leaves the rest pending; after the
/// user's fix the next run exports everything.
async fn a_refused_connection_stops_early(stack: &Stack, connection: &Connection, posts: u64) {
    let report = run_nightly(stack, connection, "2026-11-20T01:00:00Z").await;
    assert_eq!(report.status, RunStatus::Failed, "{report:#?}");
    assert_eq!(
        sales_entry_posts(stack),
        posts,
        "stopped at the second refusal"
    );
    assert_eq!(report.export_counts().failed, 1, "{report:#?}");
    assert_eq!(report.export_counts().exported, 0);
    let message = report.message.as_deref().unwrap_or("");
    assert!(
        message.contains("reactivation page") && message.contains("stays pending"),
        "{message}"
    );
    assert!(!message.contains("will try again"), "{message}");
    assert_no_markup(&report);
    let (status, reason) = connection_status(stack, connection).await;
    assert_eq!(status, ConnectionStatus::NeedsReauth);
    assert!(
        reason.contains("Exact Online") && !reason.contains("Teamleader"),
        "{reason}"
    );
    // Not scheduled until fixed.
    let report_again = run_nightly(stack, connection, "2026-11-20T02:00:00Z").await;
    assert_eq!(report_again.run_id, report.run_id, "no new run");
    assert_eq!(sales_entry_posts(stack), posts);

    // The user signs in again (and chose the right administration).
    stack.exact.clear_answers();
    stack.connect(&connection.department_id, DIVISION).await;
    next_night_exports_everything(stack, connection).await;
}

#[tokio::test]
async fn a_403_on_every_post_stops_the_run_after_the_second_and_leaves_the_rest_pending() {
    let (stack, connection) = start(39, 20).await;
    stack.exact.answer_next(
        AnswerNext::new(100, 403, exact_error("Forbidden - WrongDivision"))
            .on("SalesEntries")
            .method("POST")
            .content_type(JSON),
    );
    a_refused_connection_stops_early(&stack, &connection, 2).await;
}

#[tokio::test]
async fn a_401_right_after_a_token_renewal_stops_the_run_and_asks_for_a_sign_in() {
    let (stack, connection) = start(40, 20).await;
    // Exact ends the access tokens early (the client renews at once), then refuses every
    // post even with the new token: the app's access, not the token, is refused.
    stack.exact.expire_tokens();
    stack.exact.answer_next(
        AnswerNext::new(100, 401, "")
            .on("SalesEntries")
            .method("POST")
            .content_type(JSON),
    );
    let before = stack.exact.stats().calls_to("oauth2/token");
    // The second document meets the refusal before its post: the refused token may not be
    // renewed yet, so nothing is sent.
    a_refused_connection_stops_early(&stack, &connection, 1).await;
    assert!(
        stack.exact.stats().calls_to("oauth2/token") > before,
        "the token was renewed"
    );
}

#[tokio::test]
async fn access_revoked_in_exact_mid_run_fails_the_run_marks_the_connection_and_loses_nothing() {
    let (stack, connection) = start(41, 40).await;
    let revoke_midway = async {
        for _ in 0..4000 {
            if stack.exact.entries(DIVISION).len() >= 5 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        stack.exact.revoke_tokens();
    };
    let (report, ()) = tokio::join!(
        run_nightly(&stack, &connection, "2026-11-20T01:00:00Z"),
        revoke_midway
    );
    assert_eq!(report.status, RunStatus::Failed, "{report:#?}");
    let message = report.message.as_deref().unwrap_or("");
    assert!(
        message.contains("sign in to Exact Online again"),
        "{message}"
    );
    assert_eq!(report.export_counts().failed, 0, "no document blamed");
    let booked_before = entries_once(&stack);
    assert!(booked_before >= 5 && booked_before < booked_count(&stack));
    assert_eq!(report.export_counts().exported as usize, booked_before);
    let (status, _) = connection_status(&stack, &connection).await;
    assert_eq!(status, ConnectionStatus::NeedsReauth);

    // Signed in again: the next night exports the rest, nothing twice.
    stack.connect(&connection.department_id, DIVISION).await;
    next_night_exports_everything(&stack, &connection).await;
}
