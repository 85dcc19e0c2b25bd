//! The page's HTML, rendered with `maud` (escaped by construction), one function per page
//! over one layout. No script at all: progress is followed with `<meta http-equiv=refresh>`.

use crate::i18n::{Language, Texts};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Brussels;
use koppel_core::account::ConnectionOverview;
use koppel_core::{
    Connection, ConnectionStatus, IssueOutcome, RunCounts, RunIssue, RunReport, RunStatus,
};
use maud::{DOCTYPE, Markup, html};

pub mod onboarding;
pub mod preview;

/// What every page needs besides its content.
pub struct Frame<'a> {
    /// Language of the page.
    pub language: Language,
    /// The path the language switch returns to.
    pub path: &'a str,
    /// The signed-in user's name and the CSRF token of the sign-out form.
    pub signed_in: Option<(&'a str, &'a str)>,
    /// Refresh the page after this many seconds (a run in progress).
    pub refresh: Option<u32>,
}

/// The one layout: header with the language switch (and sign-out), main, footer.
pub fn layout(frame: &Frame<'_>, title: &str, content: Markup) -> Markup {
    let t = frame.language.texts();
    html! {
        (DOCTYPE)
        html lang=(frame.language.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(seconds) = frame.refresh {
                    meta http-equiv="refresh" content=(seconds);
                }
                title { (title) " · Koppel" }
                link rel="stylesheet" href="/style.css";
            }
            body {
                a.skip href="#main" { (t.skip_to_content) }
                header.top {
                    a.brand href="/teamleader" { "Koppel" }
                    nav aria-label=(t.language) {
                        ul.languages {
                            @for language in Language::ALL {
                                li {
                                    @if language == frame.language {
                                        span aria-current="true" lang=(language.code()) { (language.own_name()) }
                                    } @else {
                                        a lang=(language.code()) hreflang=(language.code())
                                            href=(format!("/lang/{}?back={}", language.code(), urlencode(frame.path))) {
                                            (language.own_name())
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @if let Some((name, csrf)) = frame.signed_in {
                        form.signout method="post" action="/signout" {
                            input type="hidden" name="csrf" value=(csrf);
                            span.who { (t.signed_in_as) " " strong { (name) } }
                            button.link type="submit" { (t.sign_out) }
                        }
                    }
                }
                main #main { (content) }
                footer { "Koppel · Teamleader Focus ↔ Exact Online · Octopus · Twinfield · Clearfacts" }
            }
        }
    }
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The entry page: what Koppel is, and the sign-in button.
pub fn entry(frame: &Frame<'_>) -> Markup {
    let t = frame.language.texts();
    layout(
        frame,
        t.title,
        html! {
            section.card.hero {
                h1 { (t.title) }
                p.lead { (t.lead) }
                a.button.primary href="/teamleader" { (t.sign_in) }
            }
        },
    )
}

/// The anonymous answer of `/teamleader?c=…`: only "Up & Running" or "sign in".
pub fn link_state(frame: &Frame<'_>, up: bool) -> Markup {
    let t = frame.language.texts();
    let (title, lead) = if up {
        (t.up_and_running, t.up_and_running_lead)
    } else {
        (t.sign_in_to_reactivate, t.sign_in_to_reactivate_lead)
    };
    layout(
        frame,
        title,
        html! {
            section.card.hero {
                @if up {
                    p.badge.ok role="status" { "✓ " (t.up_and_running) }
                    h1 { (title) }
                    p.lead { (lead) }
                } @else {
                    h1 { (title) }
                    p.lead { (lead) }
                    a.button.primary href="/teamleader" { (t.sign_in) }
                }
            }
        },
    )
}

/// A page saying what went wrong and offering to try again.
pub fn problem(frame: &Frame<'_>, message: &str, detail: Option<&str>, again: &str) -> Markup {
    let t = frame.language.texts();
    layout(
        frame,
        t.something_went_wrong,
        html! {
            section.card.problem role="alert" {
                h1 { (t.something_went_wrong) }
                p { (message) }
                @if let Some(detail) = detail { p.detail { (detail) } }
                a.button.primary href=(again) { (t.try_again) }
            }
        },
    )
}

/// A message after an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flash {
    /// "Sync now" started a run.
    SyncStarted,
    /// "Import companies" started a run.
    ImportStarted,
    /// Paused.
    Paused,
    /// Resumed.
    Resumed,
    /// Signed in (the reactivation).
    SignedIn,
    /// A connection's set-up was saved.
    Connected,
    /// Signed in to the ledger again.
    LedgerSignedIn,
    /// Automatic sync turned on.
    AutomaticOn,
    /// Automatic sync turned off.
    AutomaticOff,
    /// A document will be exported again.
    ExportAgain,
    /// "Export again from…" queued a backfill.
    Backfill,
}

impl Flash {
    /// The query value naming it.
    pub fn code(self) -> &'static str {
        match self {
            Self::SyncStarted => "sync",
            Self::ImportStarted => "import",
            Self::Paused => "paused",
            Self::Resumed => "resumed",
            Self::SignedIn => "signed-in",
            Self::Connected => "connected",
            Self::LedgerSignedIn => "ledger-signed-in",
            Self::AutomaticOn => "automatic-on",
            Self::AutomaticOff => "automatic-off",
            Self::ExportAgain => "export-again",
            Self::Backfill => "backfill",
        }
    }

    /// The flash a query value names.
    pub fn from_code(code: &str) -> Option<Self> {
        [
            Self::SyncStarted,
            Self::ImportStarted,
            Self::Paused,
            Self::Resumed,
            Self::SignedIn,
            Self::Connected,
            Self::LedgerSignedIn,
            Self::AutomaticOn,
            Self::AutomaticOff,
            Self::ExportAgain,
            Self::Backfill,
        ]
        .into_iter()
        .find(|f| f.code() == code)
    }

    fn text(self, t: &Texts) -> &'static str {
        match self {
            Self::SyncStarted => t.flash_sync_started,
            Self::ImportStarted => t.flash_import_started,
            Self::Paused => t.flash_paused,
            Self::Resumed => t.flash_resumed,
            Self::SignedIn => t.flash_signed_in,
            Self::Connected => t.flash_connected,
            Self::LedgerSignedIn => t.flash_ledger_signed_in,
            Self::AutomaticOn => t.flash_automatic_on,
            Self::AutomaticOff => t.flash_automatic_off,
            Self::ExportAgain => t.flash_export_again,
            Self::Backfill => t.flash_backfill,
        }
    }
}

/// What the status page shows of one connection besides the stored data.
pub struct ConnectionView<'a> {
    /// The connection and its latest runs.
    pub overview: &'a ConnectionOverview,
    /// Department name (its id when Teamleader did not say).
    pub department: String,
    /// The next scheduled run, when there is one.
    pub next_run: Option<DateTime<Utc>>,
    /// Whether automatic sync may be turned on (a manual sync succeeded).
    pub may_sync_automatically: bool,
    /// The ledger keeps customers (company import and merge files are offered).
    pub ledger_has_customers: bool,
    /// Today in Brussels: the latest day "Export again from…" takes.
    pub today: NaiveDate,
}

/// A Teamleader department without a connection, and the ledgers it can be linked to.
pub struct Unlinked {
    /// Department id.
    pub id: String,
    /// Department name.
    pub name: String,
    /// The ledgers this deployment offers.
    pub ledgers: Vec<koppel_core::LedgerKind>,
}

/// The status page: every connection of the signed-in account.
pub fn status(
    frame: &Frame<'_>,
    csrf: &str,
    connections: &[ConnectionView<'_>],
    unlinked: &[Unlinked],
    flash: Option<Flash>,
) -> Markup {
    let t = frame.language.texts();
    layout(
        frame,
        t.your_connections,
        html! {
            h1 { (t.your_connections) }
            @if let Some(flash) = flash {
                p.flash role="status" { (flash.text(t)) }
            }
            @if connections.is_empty() {
                section.card { p { (t.no_connections) } }
            }
            @for view in connections {
                (connection_card(frame.language, csrf, view))
            }
            @if !unlinked.is_empty() {
                section.card {
                    h2 { (t.departments_to_connect) }
                    @for department in unlinked {
                        form.connect method="post" action="/onboarding" {
                            input type="hidden" name="csrf" value=(csrf);
                            input type="hidden" name="department" value=(department.id);
                            strong { (department.name) }
                            label for=(format!("ledger-{}", department.id)) { (t.choose_ledger) }
                            select id=(format!("ledger-{}", department.id)) name="ledger" {
                                @for ledger in &department.ledgers {
                                    option value=(onboarding::ledger_code(*ledger)) { (ledger.display_name()) }
                                }
                            }
                            button.button.primary type="submit" { (t.connect_department) }
                        }
                    }
                }
            }
        },
    )
}

fn status_text(t: &Texts, status: ConnectionStatus) -> (&'static str, &'static str) {
    match status {
        ConnectionStatus::Active => (t.status_active, "ok"),
        ConnectionStatus::Paused => (t.status_paused, "muted"),
        ConnectionStatus::NeedsReauth => (t.status_needs_reauth, "bad"),
        ConnectionStatus::Draft => (t.status_draft, "muted"),
    }
}

/// Which side's link a needs-reauth reason is about.
fn reason_names_teamleader(connection: &Connection) -> bool {
    connection
        .status_reason
        .as_deref()
        .is_some_and(|r| r.contains("Teamleader"))
}

fn connection_card(language: Language, csrf: &str, view: &ConnectionView<'_>) -> Markup {
    let t = language.texts();
    let connection = &view.overview.connection;
    let id = connection.id.as_str();
    let (status, tone) = status_text(t, connection.status);
    let needs_reauth = connection.status == ConnectionStatus::NeedsReauth;
    let teamleader_ok = !(needs_reauth && reason_names_teamleader(connection));
    let ledger_ok = !needs_reauth || reason_names_teamleader(connection);
    let all_well = connection.status == ConnectionStatus::Active
        && view
            .overview
            .runs
            .first()
            .is_none_or(|r| !matches!(r.status, RunStatus::Failed));
    let heading = format!("{} → {}", view.department, connection.ledger.display_name());
    html! {
        section.card.connection aria-labelledby=(format!("c-{id}")) {
            div.card-head {
                h2 id=(format!("c-{id}")) { (heading) }
                span class=(format!("badge {tone}")) { (status) }
            }
            @if all_well {
                p.badge.ok role="status" { "✓ " (t.up_and_running) }
            }
            @if let Some(reason) = &connection.status_reason {
                p.reason { (reason) }
            }
            dl.facts {
                dt { (t.department) } dd { (view.department) }
                dt { (t.ledger) } dd { (connection.ledger.display_name()) }
                dt { (t.administration) } dd { (connection.ledger_company) }
                dt { (t.teamleader_link) } dd { (if teamleader_ok { t.link_ok } else { t.link_attention }) }
                dt { (t.ledger_link) } dd { (if ledger_ok { t.link_ok } else { t.link_attention }) }
                dt { (t.next_run) }
                dd {
                    @match (connection.status, view.next_run) {
                        (ConnectionStatus::Paused, _) => (t.next_run_paused),
                        (_, Some(at)) => (local_time(at)),
                        (_, None) => (t.next_run_manual),
                    }
                }
            }
            @if connection.status == ConnectionStatus::Draft {
                div.actions {
                    a.button.primary href=(format!("/connections/{id}/setup")) { (t.continue_setup) }
                    (post_button(&format!("/connections/{id}/reconnect"), csrf, &format!("{} {}", t.reconnect_ledger, connection.ledger.display_name()), ""))
                }
            } @else {
            div.actions {
                (post_button(&format!("/connections/{id}/sync"), csrf, t.sync_now, "primary"))
                @if view.ledger_has_customers {
                    (post_button(&format!("/connections/{id}/import"), csrf, t.import_companies, ""))
                }
                @if connection.status == ConnectionStatus::Paused {
                    (post_button(&format!("/connections/{id}/resume"), csrf, t.resume, ""))
                } @else if connection.status == ConnectionStatus::Active {
                    (post_button(&format!("/connections/{id}/pause"), csrf, t.pause, ""))
                }
                @if connection.settings.automatic_sync {
                    (post_button(&format!("/connections/{id}/automatic-off"), csrf, t.turn_off_automatic, ""))
                } @else if view.may_sync_automatically {
                    (post_button(&format!("/connections/{id}/automatic-on"), csrf, t.turn_on_automatic, ""))
                }
                a.button href=(format!("/connections/{id}/preview")) { (t.preview) }
                a.button href=(format!("/connections/{id}/setup")) { (t.setup_title) }
                (post_button(&format!("/connections/{id}/reconnect"), csrf, &format!("{} {}", t.reconnect_ledger, connection.ledger.display_name()), if ledger_ok { "" } else { "primary" }))
            }
            @if !connection.settings.automatic_sync && !view.may_sync_automatically {
                p.muted { (t.automatic_after_manual) }
            }
            @if let Some(reason) = &connection.settings.webhook.off_reason {
                p.muted.webhook-off { (reason) }
            }
            @if connection.status == ConnectionStatus::Active {
                (backfill_form(t, csrf, id, view.today))
            }
            @if view.ledger_has_customers {
            details.merge {
                summary { (t.merge_title) }
                p.muted { (t.merge_lead) }
                form method="post" action=(format!("/connections/{id}/merge")) enctype="multipart/form-data" {
                    input type="hidden" name="csrf" value=(csrf);
                    div.field {
                        label for=(format!("file-{id}")) { (t.merge_file) }
                        input id=(format!("file-{id}")) type="file" name="file" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required;
                    }
                    fieldset {
                        legend { (t.match_by) }
                        div.check {
                            input id=(format!("by-vat-{id}")) type="radio" name="match_by" value="vat" checked;
                            label for=(format!("by-vat-{id}")) { (t.match_by_vat) }
                        }
                        div.check {
                            input id=(format!("by-name-{id}")) type="radio" name="match_by" value="name";
                            label for=(format!("by-name-{id}")) { (t.match_by_name) }
                        }
                    }
                    button.button type="submit" { (t.upload_preview) }
                }
            }
            }
            }
            h3 { (t.latest_runs) }
            @if view.overview.runs.is_empty() {
                p.muted { (t.no_runs) }
            } @else {
                div.table-wrap {
                    table {
                        thead { tr { th scope="col" { (t.started) } th scope="col" { (t.job) } th scope="col" { (t.result) } th scope="col" { span.visually-hidden { (t.details) } } } }
                        tbody {
                            @for run in &view.overview.runs {
                                tr {
                                    td { (local_time(run.started_at)) }
                                    td { (language.job_name(&run.job)) }
                                    td { (run_status_text(t, run.status)) " · " (counts_line(language, &run.counts)) }
                                    td { a href=(format!("/connections/{id}/runs/{}", run.run_id.as_str())) { (t.details) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// "Export again from…": a date (at most `today`) and a button, posting to
/// `/connections/{id}/backfill` with the session's CSRF token.
fn backfill_form(t: &Texts, csrf: &str, id: &str, today: NaiveDate) -> Markup {
    let field = format!("from-{id}");
    html! {
        details.backfill {
            summary { (t.backfill_title) }
            p.muted { (t.backfill_lead) }
            form method="post" action=(format!("/connections/{id}/backfill")) {
                input type="hidden" name="csrf" value=(csrf);
                div.field {
                    label for=(field) { (t.backfill_from) }
                    input id=(field) type="date" name="from" max=(today.format("%Y-%m-%d")) required;
                }
                button.button type="submit" { (t.backfill_button) }
            }
        }
    }
}

fn post_button(action: &str, csrf: &str, label: &str, class: &str) -> Markup {
    html! {
        form method="post" action=(action) {
            input type="hidden" name="csrf" value=(csrf);
            button class=(format!("button {class}")) type="submit" { (label) }
        }
    }
}

/// A time as people in Belgium read it.
pub fn local_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&Brussels)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

fn run_status_text(t: &Texts, status: RunStatus) -> &'static str {
    match status {
        RunStatus::Running => t.run_running,
        RunStatus::Succeeded => t.run_succeeded,
        RunStatus::CompletedWithIssues => t.run_with_issues,
        RunStatus::Paused => t.run_paused,
        RunStatus::Failed => t.run_failed,
        RunStatus::Interrupted => t.run_interrupted,
    }
}

/// The counts of a run as `label value` pairs (the job's own counts, by their JSON names).
fn count_pairs(language: Language, counts: &RunCounts) -> Vec<(String, String)> {
    let value = serde_json::to_value(counts).unwrap_or_default();
    value
        .as_object()
        .map(|fields| {
            fields
                .iter()
                .filter(|(name, _)| name.as_str() != "job")
                .filter(|(_, value)| value.is_number() || value.is_string())
                .map(|(name, value)| {
                    let shown = value
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| value.to_string());
                    (language.count_label(name), shown)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn counts_line(language: Language, counts: &RunCounts) -> String {
    count_pairs(language, counts)
        .into_iter()
        .filter(|(_, value)| value != "0")
        .map(|(name, value)| format!("{value} {name}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One run's report, its issues filtered by `query` (a document number).
pub fn run_report(
    frame: &Frame<'_>,
    connection: &Connection,
    run_id: &str,
    report: Option<&RunReport>,
    query: Option<&str>,
    apply_merge: Option<&str>,
) -> Markup {
    let t = frame.language.texts();
    let again = frame.signed_in.map(|(_, csrf)| ExportAgain {
        connection: connection.id.as_str(),
        csrf,
    });
    let matches = |issue: &RunIssue| {
        query.is_none_or(|q| {
            let q = q.trim().to_lowercase();
            frame
                .language
                .subject(&issue.subject)
                .to_lowercase()
                .contains(&q)
                || issue
                    .document_number()
                    .is_some_and(|n| n.to_lowercase().contains(&q))
        })
    };
    html! {
        (layout(frame, t.report, html! {
            p { a href="/teamleader" { "← " (t.back) } }
            h1 { (t.report) " · " (connection.ledger.display_name()) }
            @match report {
                None => {
                    p.badge.muted role="status" { (t.run_queued) }
                    p.muted { (t.refreshes_itself) }
                    p.mono { (run_id) }
                }
                Some(report) => {
                    p role="status" {
                        span class=(format!("badge {}", match report.status {
                            RunStatus::Succeeded => "ok",
                            RunStatus::Failed | RunStatus::Interrupted => "bad",
                            _ => "muted",
                        })) { (run_status_text(t, report.status)) }
                        " " (frame.language.job_name(&report.job)) " · " (local_time(report.started_at))
                    }
                    @if report.status == RunStatus::Running { p.muted { (t.refreshes_itself) } }
                    @if let Some(message) = &report.message { p.reason { (message) } }
                    @if report.status == RunStatus::Interrupted {
                        section.card {
                            p { (t.run_interrupted_lead) }
                            @if let (Some(again), Some(route)) = (again.as_ref(), run_again_route(&report.job)) {
                                (post_button(&format!("/connections/{}/{route}", again.connection), again.csrf, t.run_again, "primary"))
                            }
                        }
                    }
                    @if let (Some(merge), Some(again)) = (apply_merge, again.as_ref()) {
                        section.card {
                            p { (t.apply_merge_lead) }
                            (post_button(&format!("/connections/{}/merge/{merge}/apply", again.connection), again.csrf, t.apply_merge, "primary"))
                        }
                    }
                    section.card {
                        h2 { (t.counts) }
                        dl.facts {
                            @for (name, value) in count_pairs(frame.language, &report.counts) {
                                dt { (name) } dd { (value) }
                            }
                            dt { (t.invocations) } dd { (report.invocations) }
                        }
                    }
                    section.card {
                        h2 { (t.needs_attention) " (" (report.issues.len()) ")" }
                        form.search method="get" role="search" {
                            label for="q" { (t.search_document) }
                            input #q type="search" name="q" value=(query.unwrap_or_default());
                            button.button type="submit" { (t.search) }
                        }
                        @let shown: Vec<&RunIssue> = report.issues.iter().filter(|i| matches(i)).collect();
                        @if report.issues.is_empty() {
                            p.muted { (t.no_issues) }
                        } @else if shown.is_empty() {
                            p.muted { (t.nothing_found) }
                        } @else {
                            (issue_table(frame.language, &shown, again.as_ref()))
                        }
                    }
                    @if !report.warnings.is_empty() {
                        section.card {
                            h2 { (t.warnings) }
                            ul { @for warning in &report.warnings { li { (warning) } } }
                        }
                    }
                    @if !report.notices.is_empty() {
                        section.card {
                            h2 { (t.notices) " (" (report.notices.len()) ")" }
                            @let notices: Vec<&RunIssue> = report.notices.iter().collect();
                            (issue_table(frame.language, &notices, None))
                        }
                    }
                }
            }
        }))
    }
}

/// The page's route that starts a new run of `job` ("run again" on an interrupted run's
/// report); jobs without one are run by their schedule (the payment check) or by uploading
/// the file again (the merge file).
fn run_again_route(job: &str) -> Option<&'static str> {
    match job {
        "invoice-export" => Some("sync"),
        "company-import" => Some("import"),
        _ => None,
    }
}

/// Where "Export again" posts for a document of a report: (connection id, CSRF token).
pub struct ExportAgain<'a> {
    /// The connection.
    pub connection: &'a str,
    /// The session's CSRF token.
    pub csrf: &'a str,
}

fn issue_table(
    language: Language,
    issues: &[&RunIssue],
    again: Option<&ExportAgain<'_>>,
) -> Markup {
    let t = language.texts();
    html! {
        div.table-wrap {
            table {
                thead { tr {
                    th scope="col" { (t.item) }
                    th scope="col" { (t.reason) }
                    @if again.is_some() { th scope="col" { span.visually-hidden { (t.export_again) } } }
                } }
                tbody {
                    @for issue in issues {
                        tr {
                            td.mono { (language.subject(&issue.subject)) }
                            td { (issue.reason) }
                            @if let Some(again) = again {
                                td {
                                    @if let Some(document) = issue.document_id() {
                                        @if matches!(issue.outcome, IssueOutcome::Failed | IssueOutcome::MissingInLedger) {
                                            (post_button(&format!("/connections/{}/documents/{}/again", again.connection, document.as_str()), again.csrf, t.export_again, ""))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
