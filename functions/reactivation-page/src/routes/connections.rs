//! The signed-in pages: the status page, a run's report, and the actions on a connection.
//! Every connection is looked up through `koppel_core::account`, which answers "not found"
//! for connections of other accounts: a session of account A gets 404 for anything of B.

use super::sign_in::CsrfForm;
use super::{Page, Visitor, html, internal, not_found_for, problem};
use crate::ReactivationPage;
use crate::signing::{self, Session};
use crate::views::{self, ConnectionView, Flash, Frame, Unlinked};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Days, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Brussels;
use koppel_core::account::{self, AccountError};
use koppel_core::jobs::export::backfill::{BackfillError, request_backfill};
use koppel_core::jobs::export::preview::preview_export;
use koppel_core::jobs::export::{ExportStores, request_reexport};
use koppel_core::{
    AccountId, ConnectionId, ConnectionStatus, DepartmentId, DocumentId, JobKind, RunId, RunStatus,
};
use serde::Deserialize;
use std::collections::HashMap;

/// Runs shown per connection on the status page.
const RUNS_SHOWN: usize = 5;
/// Seconds between refreshes of a page following a run.
const REFRESH_SECONDS: u32 = 3;
/// The nightly export's hour in Brussels (template.yaml: `cron(0 2 * * ? *)`,
/// Europe/Brussels).
pub const NIGHTLY_HOUR: u32 = 2;

/// The session when the form's CSRF token is the session's.
pub(crate) fn checked_session<'a>(visitor: &'a Visitor, csrf: Option<&str>) -> Option<&'a Session> {
    let session = visitor.session.as_ref()?;
    signing::same_token(&session.csrf, csrf?).then_some(session)
}

/// The next nightly run after `now`.
pub fn next_nightly(now: DateTime<Utc>) -> DateTime<Utc> {
    let local = now.with_timezone(&Brussels);
    let at = |day: chrono::NaiveDate| {
        Brussels
            .from_local_datetime(
                &day.and_time(NaiveTime::from_hms_opt(NIGHTLY_HOUR, 0, 0).unwrap_or_default()),
            )
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    };
    let today = local.date_naive();
    match at(today) {
        Some(t) if t > now => t,
        _ => today
            .checked_add_days(Days::new(1))
            .and_then(at)
            .unwrap_or(now),
    }
}

/// Whether `ledger` keeps customers (company import and merge files apply); a ledger this
/// deployment does not offer is taken to have them, as before plug-ins declared it.
pub(crate) fn ledger_has_customers(
    page: &ReactivationPage,
    ledger: koppel_core::LedgerKind,
) -> bool {
    page.services
        .connector
        .app()
        .ledgers
        .get(ledger)
        .is_none_or(|app| app.onboarding().customers)
}

/// Whether the connection `id` of `account` is linked to a ledger without customers (its
/// company import and merge files are refused).
pub(crate) async fn without_customers(
    page: &ReactivationPage,
    account: &AccountId,
    id: &ConnectionId,
) -> bool {
    match page.services.store.connection(id).await {
        Ok(Some(connection)) if &connection.account_id == account => {
            !ledger_has_customers(page, connection.ledger)
        }
        _ => false,
    }
}

/// The status page of the signed-in account.
pub(crate) async fn status_page(
    page: &ReactivationPage,
    visitor: &Visitor,
    session: &Session,
    flash: Option<Flash>,
) -> Response {
    let account_id = AccountId::new(session.account.clone());
    let store = page.services.store.as_ref();
    let overviews = match account::overview(store, store, &account_id, RUNS_SHOWN).await {
        Ok(all) => all,
        Err(error) => return internal(visitor, &error),
    };
    let (departments, unlinked) = departments(page, session, &overviews).await;
    let now = page.services.clock.now();
    let views: Vec<ConnectionView<'_>> = overviews
        .iter()
        .map(|overview| {
            let connection = &overview.connection;
            ConnectionView {
                overview,
                department: departments
                    .get(&connection.department_id)
                    .cloned()
                    .unwrap_or_else(|| connection.department_id.as_str().to_owned()),
                next_run: (connection.status == ConnectionStatus::Active
                    && connection.settings.automatic_sync)
                    .then(|| next_nightly(now)),
                may_sync_automatically: account::had_a_good_export(&overview.runs),
                ledger_has_customers: ledger_has_customers(page, connection.ledger),
                today: now.with_timezone(&Brussels).date_naive(),
            }
        })
        .collect();
    let following = overviews.iter().any(|o| {
        o.runs
            .first()
            .is_some_and(|r| r.status == RunStatus::Running)
    });
    let frame = Frame {
        refresh: following.then_some(REFRESH_SECONDS),
        ..visitor.frame("/teamleader")
    };
    html(
        StatusCode::OK,
        views::status(&frame, &session.csrf, &views, &unlinked, flash),
    )
}

/// Department names from Teamleader (one call with the account's tokens; the ids are
/// shown when it fails), and the departments without a connection with the ledgers offered.
async fn departments(
    page: &ReactivationPage,
    session: &Session,
    overviews: &[account::ConnectionOverview],
) -> (HashMap<DepartmentId, String>, Vec<Unlinked>) {
    let probe = super::onboarding::account_probe(page, &AccountId::new(session.account.clone()));
    let connector: &dyn koppel_core::Connector = page.services.connector.as_ref();
    let departments = match connector.source(&probe, page.request_deadline()).await {
        Ok(source) => source.departments().await,
        Err(error) => Err(error),
    };
    let departments = match departments {
        Ok(all) => all,
        Err(error) => {
            tracing::warn!(%error, "department names unavailable");
            return (HashMap::new(), Vec::new());
        }
    };
    let ledgers = page.services.connector.app().ledgers.offered();
    let unlinked = departments
        .iter()
        .filter(|d| !overviews.iter().any(|o| o.connection.department_id == d.id))
        .filter(|_| !ledgers.is_empty())
        .map(|d| Unlinked {
            id: d.id.as_str().to_owned(),
            name: d.name.clone(),
            ledgers: ledgers.clone(),
        })
        .collect();
    (
        departments.into_iter().map(|d| (d.id, d.name)).collect(),
        unlinked,
    )
}

/// Query of a report page.
#[derive(Debug, Deserialize)]
pub(crate) struct ReportQuery {
    q: Option<String>,
}

/// `GET /connections/{id}/runs/{run}`.
pub(crate) async fn run_report(
    State(page): Page,
    headers: HeaderMap,
    Path((id, run)): Path<(String, String)>,
    Query(query): Query<ReportQuery>,
) -> Response {
    let visitor = Visitor::of(&page, &headers);
    let Some(session) = &visitor.session else {
        return Redirect::to("/teamleader").into_response();
    };
    let store = page.services.store.as_ref();
    let found = account::run_of(
        store,
        store,
        &AccountId::new(session.account.clone()),
        &ConnectionId::new(id),
        &RunId::new(run.clone()),
    )
    .await;
    match found {
        Ok((connection, report)) => {
            let following = report
                .as_ref()
                .is_none_or(|r| r.status == RunStatus::Running);
            // A finished merge-file preview offers "Apply" until the file was applied.
            let run_id = RunId::new(run.clone());
            let mut apply_merge = None;
            if let (Some((merge, false)), false) = (account::merge_of_run(&run_id), following) {
                match store.merge_job(&connection.id, merge).await {
                    Ok(Some(job)) if job.applied.is_none() => apply_merge = Some(job.merge_id),
                    Ok(_) => {}
                    Err(error) => return internal(&visitor, &error),
                }
            }
            let path = format!("/connections/{}/runs/{run}", connection.id.as_str());
            let frame = Frame {
                refresh: following.then_some(REFRESH_SECONDS),
                ..visitor.frame(&path)
            };
            html(
                StatusCode::OK,
                views::run_report(
                    &frame,
                    &connection,
                    &run,
                    report.as_ref(),
                    query.q.as_deref().filter(|q| !q.trim().is_empty()),
                    apply_merge.as_deref(),
                ),
            )
        }
        Err(AccountError::NotFound) => not_found_for(&visitor),
        Err(error) => internal(&visitor, &error),
    }
}

/// `POST /connections/{id}/{sync|import|pause|resume}`.
pub(crate) async fn action(
    State(page): Page,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let visitor = Visitor::of(&page, &headers);
    let t = visitor.language.texts();
    let Some(session) = checked_session(&visitor, form.csrf.as_deref()) else {
        return problem(&visitor, StatusCode::FORBIDDEN, t.error_session, None);
    };
    let account_id = AccountId::new(session.account.clone());
    let id = ConnectionId::new(id);
    let services = &page.services;
    let store = services.store.as_ref();
    let started = |kind: JobKind| async {
        let queue = services.queue.as_ref();
        account::start_run(
            store,
            queue,
            services.clock.as_ref(),
            &account_id,
            &id,
            kind,
        )
        .await
        .map(|run| format!("/connections/{}/runs/{}", id.as_str(), run.as_str()))
    };
    let done = |flash: Flash| format!("/teamleader?done={}", flash.code());
    let (account_ref, id_ref) = (&account_id, &id);
    let automatic = |on: bool| async move {
        account::set_automatic_sync(store, store, account_ref, id_ref, on)
            .await
            .map(|changed| match (on, changed) {
                (true, true) => done(Flash::AutomaticOn),
                (false, _) => done(Flash::AutomaticOff),
                (true, false) => "/teamleader".to_owned(),
            })
    };
    let target = match action.as_str() {
        "reconnect" => {
            return super::onboarding::reconnect(&page, &visitor, session, id.as_str().to_owned())
                .await;
        }
        "automatic-on" => automatic(true).await,
        "automatic-off" => automatic(false).await,
        "sync" => started(JobKind::InvoiceExport).await,
        "import" if without_customers(&page, &account_id, &id).await => Err(AccountError::NotFound),
        "import" => started(JobKind::CompanyImport).await,
        "pause" => account::set_paused(store, &account_id, &id, true)
            .await
            .map(|_| done(Flash::Paused)),
        "resume" => account::set_paused(store, &account_id, &id, false)
            .await
            .map(|_| done(Flash::Resumed)),
        _ => Err(AccountError::NotFound),
    };
    match target {
        Ok(target) => Redirect::to(&target).into_response(),
        Err(AccountError::NotFound) => not_found_for(&visitor),
        Err(error) => internal(&visitor, &error),
    }
}

/// Documents shown by the preview.
const PREVIEW_LIMIT: usize = 50;

/// `GET /connections/{id}/preview`: what the next export would post, posting nothing.
pub(crate) async fn preview(
    State(page): Page,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let visitor = Visitor::of(&page, &headers);
    let Some(session) = &visitor.session else {
        return Redirect::to("/teamleader").into_response();
    };
    let store = page.services.store.as_ref();
    let connection = match super::owned_connection(&page, &visitor, session, &id).await {
        Ok(c) if c.status != ConnectionStatus::Draft => c,
        Ok(_) => return not_found_for(&visitor),
        Err(answer) => return answer,
    };
    let connector: &dyn koppel_core::Connector = page.services.connector.as_ref();
    let systems = async {
        let source = connector
            .source(&connection, page.request_deadline())
            .await?;
        let ledger = connector
            .ledger(&connection, page.request_deadline())
            .await?;
        Ok::<_, koppel_core::ExternalError>((source, ledger))
    };
    let (source, ledger) = match systems.await {
        Ok(systems) => systems,
        Err(error) => return internal(&visitor, &error),
    };
    let computed = preview_export(
        ExportStores::of(store),
        source.as_ref(),
        ledger.as_ref(),
        &connection,
        PREVIEW_LIMIT,
    )
    .await;
    match computed {
        Ok(preview) => {
            let path = format!("/connections/{}/preview", connection.id.as_str());
            html(
                StatusCode::OK,
                views::preview::preview(&visitor.frame(&path), &connection, &preview),
            )
        }
        Err(error) => internal(&visitor, &error),
    }
}

/// `POST /connections/{id}/documents/{document}/again`: export a document again at the next
/// run (a refused one the user fixed, or one whose entry is gone from the ledger).
pub(crate) async fn export_again(
    State(page): Page,
    headers: HeaderMap,
    Path((id, document)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let visitor = Visitor::of(&page, &headers);
    let t = visitor.language.texts();
    let Some(session) = checked_session(&visitor, form.csrf.as_deref()) else {
        return problem(&visitor, StatusCode::FORBIDDEN, t.error_session, None);
    };
    let store = page.services.store.as_ref();
    let connection = match super::owned_connection(&page, &visitor, session, &id).await {
        Ok(c) => c,
        Err(answer) => return answer,
    };
    match request_reexport(
        store,
        store,
        page.services.clock.as_ref(),
        &connection.id,
        &DocumentId::new(document),
    )
    .await
    {
        Ok(true) => {
            Redirect::to(&format!("/teamleader?done={}", Flash::ExportAgain.code())).into_response()
        }
        Ok(false) => not_found_for(&visitor),
        Err(error) => internal(&visitor, &error),
    }
}

/// The "Export again from…" form: the CSRF token and the first day (`YYYY-MM-DD`).
#[derive(Debug, Deserialize)]
pub(crate) struct BackfillForm {
    csrf: Option<String>,
    from: Option<String>,
}

/// `POST /connections/{id}/backfill`: "Export again from…" — every document changed since
/// that day is exported again, each looked up in the ledger first, so nothing already there
/// is booked twice (`koppel_core::jobs::export::backfill`). The status page then says so.
pub(crate) async fn backfill(
    State(page): Page,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<BackfillForm>,
) -> Response {
    let visitor = Visitor::of(&page, &headers);
    let t = visitor.language.texts();
    let Some(session) = checked_session(&visitor, form.csrf.as_deref()) else {
        return problem(&visitor, StatusCode::FORBIDDEN, t.error_session, None);
    };
    let connection = match super::owned_connection(&page, &visitor, session, &id).await {
        Ok(c) => c,
        Err(answer) => return answer,
    };
    let Some(from) = form
        .from
        .as_deref()
        .and_then(|from| chrono::NaiveDate::parse_from_str(from.trim(), "%Y-%m-%d").ok())
    else {
        return problem(
            &visitor,
            StatusCode::BAD_REQUEST,
            t.error_backfill_date,
            None,
        );
    };
    let services = &page.services;
    match request_backfill(
        services.store.as_ref(),
        services.queue.as_ref(),
        services.clock.as_ref(),
        &connection.id,
        from,
    )
    .await
    {
        Ok(run) => {
            tracing::info!(connection = %connection.id, run = %run, %from, "backfill asked on the page");
            Redirect::to(&format!("/teamleader?done={}", Flash::Backfill.code())).into_response()
        }
        Err(BackfillError::FromInTheFuture { .. } | BackfillError::NoStartOfDay { .. }) => problem(
            &visitor,
            StatusCode::BAD_REQUEST,
            t.error_backfill_date,
            None,
        ),
        Err(BackfillError::NotActive { .. }) => problem(
            &visitor,
            StatusCode::CONFLICT,
            t.error_backfill_inactive,
            None,
        ),
        Err(BackfillError::UnknownConnection(_)) => not_found_for(&visitor),
        Err(error) => internal(&visitor, &error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_nightly_run_is_two_in_the_morning_in_brussels() {
        let winter = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        assert_eq!(
            next_nightly(winter),
            Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap()
        );
        let summer_night = Utc.with_ymd_and_hms(2026, 6, 30, 23, 30, 0).unwrap();
        assert_eq!(
            next_nightly(summer_night),
            Utc.with_ymd_and_hms(2026, 7, 1, 0, 0, 0).unwrap(),
            "01:30 CEST: tonight's run at 02:00 CEST, 00:00 UTC"
        );
    }
}
