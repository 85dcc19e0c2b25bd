//! Linking a Teamleader department to a ledger, and signing in to the ledger again: start a
//! draft connection, the ledger's sign-in (OAuth redirect with a signed single-use state,
//! or a credentials form), the administration, then the settings form checked by the
//! ledger's pre-flight before anything is saved. Driven by what the ledger plug-in declares
//! ([`koppel_core::Onboarding`]): a new ledger needs no change here.

use super::connections::checked_session;
use super::{Page, Visitor, html, internal, not_found_for, problem};
use crate::ReactivationPage;
use crate::signing::{self, Expiring, Session};
use crate::views::onboarding::{self as view, SettingsForm};
use crate::views::{Flash, Frame};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use koppel_core::account::{self, AccountError};
use koppel_core::jobs::setup::suggest_settings;
use koppel_core::{
    AccountId, Authorisation, Connection, ConnectionId, ConnectionSettings, ConnectionStatus,
    Connector, DepartmentId, ExternalError, Finding, Grant, JobKind, LedgerReferenceData, TaxRate,
    TaxRateId,
};
use koppel_ledgers::LedgerApp;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Where ledgers send people back after their sign-in.
pub const LEDGER_CALLBACK_PATH: &str = "/oauth/ledger";
/// Purpose of ledger OAuth states.
const LEDGER_STATE: &str = "ledger-state";

/// The `state` of a ledger sign-in: single-use, ten minutes, for one connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LedgerState {
    nonce: String,
    connection: String,
    expires_at: DateTime<Utc>,
}

impl Expiring for LedgerState {
    fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }
}

/// A form as name/value pairs (repeated names kept).
type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn session_of<'a>(visitor: &'a Visitor, fields: &Fields) -> Option<&'a Session> {
    checked_session(visitor, field(fields, "csrf"))
}

fn account_of(session: &Session) -> AccountId {
    AccountId::new(session.account.clone())
}

fn refused(visitor: &Visitor) -> Response {
    let t = visitor.language.texts();
    problem(visitor, StatusCode::FORBIDDEN, t.error_session, None)
}

/// An account-level stand-in connection: how the page reads the account's Teamleader (its
/// departments) before any connection exists.
pub(crate) fn account_probe(page: &ReactivationPage, account: &AccountId) -> Connection {
    Connection {
        id: ConnectionId::new(format!("account-{account}")),
        account_id: account.clone(),
        department_id: DepartmentId::new(""),
        ledger: koppel_core::LedgerKind::ExactOnline,
        ledger_company: String::new(),
        status: ConnectionStatus::Active,
        settings: ConnectionSettings::default(),
        teamleader_secret: account::teamleader_secret_name(&page.config.secret_prefix, account),
        ledger_secret: String::new(),
        created_at: page.services.clock.now(),
        status_reason: None,
    }
}

/// `POST /onboarding` (department, ledger): start linking a department.
pub(crate) async fn start(
    State(page): Page,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let visitor = Visitor::of(&page, &headers);
    let t = visitor.language.texts();
    let Some(session) = session_of(&visitor, &fields) else {
        return refused(&visitor);
    };
    let account_id = account_of(session);
    let Some(kind) = field(&fields, "ledger").and_then(view::ledger_from_code) else {
        return problem(&visitor, StatusCode::BAD_REQUEST, t.error_no_ledger, None);
    };
    let Some(app) = page.services.connector.app().ledgers.get(kind).cloned() else {
        return problem(&visitor, StatusCode::BAD_REQUEST, t.error_no_ledger, None);
    };
    let Some(department) = field(&fields, "department") else {
        return not_found_for(&visitor);
    };
    // Only a department of the signed-in account's Teamleader.
    let probe = account_probe(&page, &account_id);
    let connector: &dyn Connector = page.services.connector.as_ref();
    let departments = match connector.source(&probe, page.request_deadline()).await {
        Ok(source) => source.departments().await,
        Err(error) => Err(error),
    };
    match departments {
        Ok(all) if all.iter().any(|d| d.id.as_str() == department) => {}
        Ok(_) => return not_found_for(&visitor),
        Err(error) => return internal(&visitor, &error),
    }
    let prefix = page.config.secret_prefix.clone();
    let code = view::ledger_code(kind);
    let begun = account::begin_connection(
        page.services.store.as_ref(),
        page.services.clock.as_ref(),
        &account_id,
        &DepartmentId::new(department),
        kind,
        &probe.teamleader_secret,
        |id| format!("{prefix}{id}/{code}"),
    )
    .await;
    match begun {
        Ok(connection) => sign_in_to_ledger(&page, &visitor, &connection, app.as_ref()),
        Err(AccountError::AlreadyConnected(ledger)) => problem(
            &visitor,
            StatusCode::CONFLICT,
            &format!("{} {ledger}.", t.error_already_connected),
            None,
        ),
        Err(error) => internal(&visitor, &error),
    }
}

/// Send the person to the ledger's sign-in for `connection`.
pub(crate) fn sign_in_to_ledger(
    page: &ReactivationPage,
    visitor: &Visitor,
    connection: &Connection,
    app: &dyn LedgerApp,
) -> Response {
    match app.onboarding().authorisation {
        Authorisation::Credentials(_) => Redirect::to(&format!(
            "/connections/{}/credentials",
            connection.id.as_str()
        ))
        .into_response(),
        Authorisation::OAuthRedirect => {
            let state = LedgerState {
                nonce: signing::random_token(),
                connection: connection.id.as_str().to_owned(),
                expires_at: page.services.clock.now() + chrono::Duration::minutes(10),
            };
            let signed = page.config.signing_key.sign(LEDGER_STATE, &state);
            match app.authorize_url(&ledger_redirect_uri(page), &signed) {
                Some(url) => Redirect::to(&url).into_response(),
                None => internal(visitor, &"the ledger gave no sign-in address"),
            }
        }
    }
}

fn ledger_redirect_uri(page: &ReactivationPage) -> String {
    format!(
        "{}{LEDGER_CALLBACK_PATH}",
        page.config.public_url.as_str().trim_end_matches('/')
    )
}

/// Query of the ledger OAuth callback.
#[derive(Debug, Deserialize)]
pub(crate) struct LedgerCallback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /oauth/ledger`: the ledger sends the person back here.
pub(crate) async fn ledger_callback(
    State(page): Page,
    headers: HeaderMap,
    Query(callback): Query<LedgerCallback>,
) -> Response {
    let visitor = Visitor::of(&page, &headers);
    let t = visitor.language.texts();
    let Some(session) = &visitor.session else {
        return problem(&visitor, StatusCode::FORBIDDEN, t.error_session, None);
    };
    if callback.error.is_some() {
        return problem(
            &visitor,
            StatusCode::BAD_REQUEST,
            t.error_ledger_refused,
            None,
        );
    }
    let now = page.services.clock.now();
    let Some(state) = callback.state.as_deref().and_then(|s| {
        page.config
            .signing_key
            .verify::<LedgerState>(LEDGER_STATE, s, now)
    }) else {
        return problem(&visitor, StatusCode::BAD_REQUEST, t.error_state, None);
    };
    if let Some(refused) =
        super::take_state_once(&page, &visitor, &state.nonce, state.expires_at).await
    {
        return refused;
    }
    let account_id = account_of(session);
    let store = page.services.store.as_ref();
    let connection = match account::connection_of(
        store,
        &account_id,
        &ConnectionId::new(state.connection),
    )
    .await
    {
        Ok(connection) => connection,
        Err(AccountError::NotFound) => return not_found_for(&visitor),
        Err(error) => return internal(&visitor, &error),
    };
    let Some(code) = callback.code.filter(|c| !c.is_empty()) else {
        return problem(
            &visitor,
            StatusCode::BAD_REQUEST,
            t.error_ledger_refused,
            None,
        );
    };
    let grant = Grant::OAuthCode {
        code,
        redirect_uri: ledger_redirect_uri(&page),
    };
    store_grant(&page, &visitor, &account_id, &connection, &grant).await
}

/// The ledger's credential for `grant` into the connection's secret, then on.
async fn store_grant(
    page: &ReactivationPage,
    visitor: &Visitor,
    account_id: &AccountId,
    connection: &Connection,
    grant: &Grant,
) -> Response {
    let t = visitor.language.texts();
    let Some(app) = page
        .services
        .connector
        .app()
        .ledgers
        .get(connection.ledger)
        .cloned()
    else {
        return problem(visitor, StatusCode::BAD_REQUEST, t.error_no_ledger, None);
    };
    let deps = page.services.connector.deps();
    let credential = match app.authorise(grant, deps).await {
        Ok(credential) => credential,
        Err(ExternalError::Unavailable { .. }) => {
            return problem(visitor, StatusCode::BAD_GATEWAY, t.error_unavailable, None);
        }
        Err(error) => {
            tracing::info!(connection = %connection.id, %error, "ledger sign-in refused");
            // A typed user name or password that was refused: the same form again, with why.
            if let (Grant::Credentials(_), Authorisation::Credentials(fields), Some(session)) =
                (grant, app.onboarding().authorisation, &visitor.session)
            {
                let path = format!("/connections/{}/credentials", connection.id.as_str());
                return html(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    view::credentials(
                        &visitor.frame(&path),
                        &session.csrf,
                        connection,
                        &fields,
                        Some(t.error_ledger_refused),
                    ),
                );
            }
            return problem(
                visitor,
                StatusCode::BAD_REQUEST,
                t.error_ledger_refused,
                None,
            );
        }
    };
    if let Err(error) = page
        .services
        .vault
        .write(&connection.ledger_secret, &credential)
        .await
    {
        return internal(visitor, &error);
    }
    match account::ledger_signed_in(page.services.store.as_ref(), account_id, &connection.id).await
    {
        Ok(c) if c.status == ConnectionStatus::Draft => {
            Redirect::to(&format!("/connections/{}/setup", c.id.as_str())).into_response()
        }
        Ok(_) => Redirect::to(&format!(
            "/teamleader?done={}",
            Flash::LedgerSignedIn.code()
        ))
        .into_response(),
        Err(AccountError::NotFound) => not_found_for(visitor),
        Err(error) => internal(visitor, &error),
    }
}

/// The connection of the path, for the signed-in account, with its ledger's app.
async fn owned(
    page: &ReactivationPage,
    visitor: &Visitor,
    session: &Session,
    id: String,
) -> Result<(Connection, Arc<dyn LedgerApp>), Response> {
    let t = visitor.language.texts();
    let connection = super::owned_connection(page, visitor, session, &id).await?;
    match page
        .services
        .connector
        .app()
        .ledgers
        .get(connection.ledger)
        .cloned()
    {
        Some(app) => Ok((connection, app)),
        None => Err(problem(
            visitor,
            StatusCode::BAD_REQUEST,
            t.error_no_ledger,
            None,
        )),
    }
}

/// `GET /connections/{id}/credentials`: the ledger's credentials form.
pub(crate) async fn credentials_form(
    State(page): Page,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let visitor = Visitor::of(&page, &headers);
    let Some(session) = &visitor.session else {
        return Redirect::to("/teamleader").into_response();
    };
    let (connection, app) = match owned(&page, &visitor, session, id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Authorisation::Credentials(fields) = app.onboarding().authorisation else {
        return not_found_for(&visitor);
    };
    let path = format!("/connections/{}/credentials", connection.id.as_str());
    html(
        StatusCode::OK,
        view::credentials(
            &visitor.frame(&path),
            &session.csrf,
            &connection,
            &fields,
            None,
        ),
    )
}

/// `POST /connections/{id}/credentials`.
pub(crate) async fn credentials_sent(
    State(page): Page,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    let visitor = Visitor::of(&page, &headers);
    let Some(session) = session_of(&visitor, &fields) else {
        return refused(&visitor);
    };
    let (connection, app) = match owned(&page, &visitor, session, id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Authorisation::Credentials(asked) = app.onboarding().authorisation else {
        return not_found_for(&visitor);
    };
    let given: Vec<(String, String)> = asked
        .iter()
        .map(|f| {
            (
                f.name.to_owned(),
                field(&fields, f.name).unwrap_or_default().to_owned(),
            )
        })
        .collect();
    store_grant(
        &page,
        &visitor,
        &account_of(session),
        &connection,
        &Grant::Credentials(given),
    )
    .await
}

/// `GET /connections/{id}/setup`: the administration, then the settings.
pub(crate) async fn setup_page(
    State(page): Page,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let visitor = Visitor::of(&page, &headers);
    let Some(session) = &visitor.session else {
        return Redirect::to("/teamleader").into_response();
    };
    let (connection, app) = match owned(&page, &visitor, session, id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if connection.ledger_company.is_empty() {
        let deps = page.services.connector.deps();
        return match app
            .administrations(&connection.ledger_secret, &connection.id, deps)
            .await
        {
            Ok(list) => {
                let path = format!("/connections/{}/setup", connection.id.as_str());
                let wording = app.onboarding().administration;
                html(
                    StatusCode::OK,
                    view::administrations(
                        &visitor.frame(&path),
                        &session.csrf,
                        &connection,
                        &wording,
                        &list,
                    ),
                )
            }
            Err(ExternalError::NeedsReauth { .. }) => {
                sign_in_to_ledger(&page, &visitor, &connection, app.as_ref())
            }
            Err(error) => internal(&visitor, &error),
        };
    }
    settings_page(
        &page,
        &visitor,
        session,
        &connection,
        app.as_ref(),
        None,
        &[],
    )
    .await
}

/// The ledger's lists and the department's tax rates, for the settings form.
/// What the settings form is built from, read once per request: the opened ledger (for its
/// pre-flight), its lists, and the department's tax rates.
struct Lists {
    ledger: std::sync::Arc<dyn koppel_core::Ledger>,
    reference: LedgerReferenceData,
    rates: Vec<TaxRate>,
}

async fn lists(page: &ReactivationPage, connection: &Connection) -> Result<Lists, ExternalError> {
    let connector: &dyn Connector = page.services.connector.as_ref();
    let mut usable = connection.clone();
    usable.status = ConnectionStatus::Active;
    let ledger = connector.ledger(&usable, page.request_deadline()).await?;
    let reference = ledger.reference_data().await?;
    let rates = connector
        .source(&usable, page.request_deadline())
        .await?
        .tax_rates()
        .await?
        .into_iter()
        .filter(|r| r.department_id == connection.department_id)
        .collect();
    Ok(Lists {
        ledger,
        reference,
        rates,
    })
}

/// The suggested start date: the first day of the current (calendar, and for most Belgian
/// and Dutch small businesses fiscal) year; the person changes it, and the preview shows
/// what it takes in.
fn start_of_year(today: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today)
}

async fn settings_page(
    page: &ReactivationPage,
    visitor: &Visitor,
    session: &Session,
    connection: &Connection,
    app: &dyn LedgerApp,
    shown: Option<&ConnectionSettings>,
    findings: &[Finding],
) -> Response {
    match lists(page, connection).await {
        Ok(lists) => {
            let form = FormInput {
                connection,
                app,
                shown,
                findings,
            };
            settings_form(page, visitor, session, form, &lists).await
        }
        Err(ExternalError::NeedsReauth { .. }) => sign_in_to_ledger(page, visitor, connection, app),
        Err(error) => internal(visitor, &error),
    }
}

/// What a settings form shows besides the lists.
struct FormInput<'a> {
    connection: &'a Connection,
    app: &'a dyn LedgerApp,
    shown: Option<&'a ConnectionSettings>,
    findings: &'a [Finding],
}

/// The settings form from lists already read.
async fn settings_form(
    page: &ReactivationPage,
    visitor: &Visitor,
    session: &Session,
    input: FormInput<'_>,
    lists: &Lists,
) -> Response {
    let FormInput {
        connection,
        app,
        shown,
        findings,
    } = input;
    let Lists {
        reference, rates, ..
    } = lists;
    let first_setup = connection.status == ConnectionStatus::Draft;
    let suggested;
    let settings = match shown {
        Some(settings) => settings,
        None if first_setup => {
            let mut s = suggest_settings(&connection.department_id, rates, reference);
            s.automatic_sync = false;
            s.start_date = Some(start_of_year(page.services.clock.now().date_naive()));
            suggested = s;
            &suggested
        }
        None => &connection.settings,
    };
    let may = account::may_sync_automatically(page.services.store.as_ref(), &connection.id)
        .await
        .unwrap_or(false);
    let onboarding = app.onboarding();
    let form = SettingsForm {
        connection,
        fields: &onboarding.settings,
        reference,
        tax_rates: rates,
        settings,
        may_sync_automatically: may,
        first_setup,
        ledger_has_customers: onboarding.customers,
        findings,
    };
    let path = format!("/connections/{}/setup", connection.id.as_str());
    let status = if findings.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html(
        status,
        view::settings(
            &Frame {
                ..visitor.frame(&path)
            },
            &session.csrf,
            &form,
        ),
    )
}

/// `POST /connections/{id}/administration`.
pub(crate) async fn administration_chosen(
    State(page): Page,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    let visitor = Visitor::of(&page, &headers);
    let Some(session) = session_of(&visitor, &fields) else {
        return refused(&visitor);
    };
    let (connection, app) = match owned(&page, &visitor, session, id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some(chosen) = field(&fields, "administration") else {
        return Redirect::to(&format!("/connections/{}/setup", connection.id.as_str()))
            .into_response();
    };
    // Only an administration the ledger offers this user.
    let deps = page.services.connector.deps();
    match app
        .administrations(&connection.ledger_secret, &connection.id, deps)
        .await
    {
        Ok(list) if list.iter().any(|a| a.id == chosen) => {}
        Ok(_) => return not_found_for(&visitor),
        Err(error) => return internal(&visitor, &error),
    }
    match account::choose_administration(
        page.services.store.as_ref(),
        &account_of(session),
        &connection.id,
        chosen,
    )
    .await
    {
        Ok(c) => Redirect::to(&format!("/connections/{}/setup", c.id.as_str())).into_response(),
        Err(AccountError::NotFound) => not_found_for(&visitor),
        Err(error) => internal(&visitor, &error),
    }
}

/// The settings the form sent (unknown codes are left for the pre-flight to refuse).
fn settings_from(fields: &Fields) -> ConnectionSettings {
    let owned = |name: &str| field(fields, name).map(str::to_owned);
    let per_rate = |prefix: &str| {
        fields
            .iter()
            .filter_map(|(name, value)| {
                let rate = name.strip_prefix(prefix)?;
                let value = value.trim();
                (!value.is_empty()).then(|| (TaxRateId::new(rate), value.to_owned()))
            })
            .collect()
    };
    ConnectionSettings {
        invoice_journal: owned("invoice_journal"),
        credit_note_journal: owned("credit_note_journal"),
        vat_codes: per_rate("vat."),
        gl_account_by_tax_rate: per_rate("gl."),
        default_gl_account: owned("default_gl_account"),
        discount_gl_account: owned("discount_gl_account"),
        start_date: field(fields, "start_date").and_then(|d| d.parse().ok()),
        attach_pdf: field(fields, "attach_pdf") == Some("on"),
        automatic_sync: field(fields, "automatic_sync") == Some("on"),
        notify_email: owned("notify_email").filter(|e| e.contains('@')),
        payment_journal: owned("payment_journal"),
        private_customers_without_numbers: field(fields, "private_without_numbers") == Some("on"),
        // Koppel's own: `account::save_settings` keeps the connection's.
        webhook: Default::default(),
    }
}

/// `POST /connections/{id}/setup`: pre-flight, then save (or the form again with blockers).
pub(crate) async fn setup_sent(
    State(page): Page,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    let visitor = Visitor::of(&page, &headers);
    let Some(session) = session_of(&visitor, &fields) else {
        return refused(&visitor);
    };
    let (connection, app) = match owned(&page, &visitor, session, id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let settings = settings_from(&fields);
    // The lists are read once: for the pre-flight, and for the form again if it refuses.
    let lists = match lists(&page, &connection).await {
        Ok(lists) => lists,
        Err(ExternalError::NeedsReauth { .. }) => {
            return sign_in_to_ledger(&page, &visitor, &connection, app.as_ref());
        }
        Err(error) => return internal(&visitor, &error),
    };
    let mut findings = lists.ledger.preflight(&settings, &lists.reference);
    if settings.start_date.is_none() {
        findings.push(Finding::blocker_in(koppel_core::Localized {
            nl: crate::i18n::NL.start_date.to_owned(),
            fr: crate::i18n::FR.start_date.to_owned(),
            en: crate::i18n::EN.start_date.to_owned(),
        }));
    }
    let account_id = account_of(session);
    let store = page.services.store.as_ref();
    let first_setup = connection.status == ConnectionStatus::Draft;
    match account::save_settings(
        store,
        store,
        &account_id,
        &connection.id,
        settings.clone(),
        &findings,
    )
    .await
    {
        Ok(saved) => {
            super::webhooks::switch_on_after_save(&page, &saved).await;
            if first_setup
                && app.onboarding().customers
                && field(&fields, "import_companies") == Some("on")
            {
                let started = account::start_run(
                    store,
                    page.services.queue.as_ref(),
                    page.services.clock.as_ref(),
                    &account_id,
                    &saved.id,
                    JobKind::CompanyImport,
                )
                .await;
                if let Err(error) = started {
                    return internal(&visitor, &error);
                }
            }
            Redirect::to(&format!("/teamleader?done={}", Flash::Connected.code())).into_response()
        }
        Err(AccountError::Blocked(blockers)) => {
            let form = FormInput {
                connection: &connection,
                app: app.as_ref(),
                shown: Some(&settings),
                findings: &blockers,
            };
            settings_form(&page, &visitor, session, form, &lists).await
        }
        Err(AccountError::NotFound) => not_found_for(&visitor),
        Err(error) => internal(&visitor, &error),
    }
}

/// `POST /connections/{id}/reconnect`: the ledger's sign-in again.
pub(crate) async fn reconnect(
    page: &ReactivationPage,
    visitor: &Visitor,
    session: &Session,
    id: String,
) -> Response {
    match owned(page, visitor, session, id).await {
        Ok((connection, app)) => sign_in_to_ledger(page, visitor, &connection, app.as_ref()),
        Err(response) => response,
    }
}
