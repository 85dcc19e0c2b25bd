//! The reactivation URL, Teamleader's OAuth callback and signing out.

use super::{Page, Visitor, html, internal, problem};
use crate::ReactivationPage;
use crate::security::{self, SESSION_COOKIE, SESSION_HOURS};
use crate::signing::{self, OAuthState, Session};
use crate::views::{self, Flash};
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use koppel_api::{OAuthError, TokenSource, TokenStores};
use koppel_core::account::{self, LinkState};
use koppel_core::memory::{InMemoryStore, InMemoryVault};
use koppel_core::{AccountId, ConnectionId, ExternalError, OAuthTokens, Vault};
use koppel_teamleader::TeamleaderClient;
use koppel_teamleader::access::Area;
use koppel_teamleader::users::Me;
use serde::Deserialize;
use std::sync::Arc;

/// How long an OAuth `state` is good for.
const STATE_MINUTES: i64 = 10;

/// Query of the reactivation URL.
#[derive(Debug, Deserialize)]
pub(crate) struct ReactivationQuery {
    /// A connection whose link to try again (links in e-mails and Teamleader).
    c: Option<String>,
    /// The message after an action.
    done: Option<String>,
}

/// `GET /teamleader`: the status page with a session; without one, `?c=` tries the
/// connection's link again, and otherwise the sign-in starts.
pub(crate) async fn reactivation_url(
    State(page): Page,
    headers: HeaderMap,
    Query(query): Query<ReactivationQuery>,
) -> Response {
    let visitor = Visitor::of(&page, &headers);
    if let Some(session) = &visitor.session {
        let flash = query.done.as_deref().and_then(Flash::from_code);
        return super::connections::status_page(&page, &visitor, session, flash).await;
    }
    if let Some(connection) = query.c.filter(|c| !c.trim().is_empty()) {
        // Each try may cost a Teamleader call and a token refresh: counted like sign-ins.
        if !page
            .limiter
            .allow(&security::client_key(&headers), page.services.clock.now())
        {
            let t = visitor.language.texts();
            return problem(
                &visitor,
                StatusCode::TOO_MANY_REQUESTS,
                t.error_too_many,
                None,
            );
        }
        let state = account::retry_teamleader_link(
            page.services.store.as_ref(),
            page.services.connector.as_ref(),
            &ConnectionId::new(connection.trim()),
            page.request_deadline(),
        )
        .await;
        return match state {
            Ok(state) => html(
                StatusCode::OK,
                views::link_state(
                    &visitor.frame("/teamleader"),
                    state == LinkState::UpAndRunning,
                ),
            ),
            Err(error) => internal(&visitor, &error),
        };
    }
    start_sign_in(&page, &visitor, &headers).await
}

/// Redirect to Teamleader's authorize page with a fresh signed state.
async fn start_sign_in(
    page: &ReactivationPage,
    visitor: &Visitor,
    headers: &HeaderMap,
) -> Response {
    let t = visitor.language.texts();
    let now = page.services.clock.now();
    if !page.limiter.allow(&security::client_key(headers), now) {
        return problem(
            visitor,
            StatusCode::TOO_MANY_REQUESTS,
            t.error_too_many,
            None,
        );
    }
    let state = OAuthState {
        nonce: signing::random_token(),
        expires_at: now + chrono::Duration::minutes(STATE_MINUTES),
    };
    let signed = page.config.signing_key.sign(signing::STATE, &state);
    match page.config.teamleader.authorize_url(
        &page.config.client_id,
        &page.config.redirect_uri(),
        &signed,
    ) {
        Ok(url) => Redirect::to(url.as_str()).into_response(),
        Err(error) => internal(visitor, &error),
    }
}

/// Query of the OAuth callback.
#[derive(Debug, Deserialize)]
pub(crate) struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /oauth/teamleader`: Teamleader sends the person back here.
pub(crate) async fn callback(
    State(page): Page,
    headers: HeaderMap,
    Query(callback): Query<Callback>,
) -> Response {
    let visitor = Visitor::of(&page, &headers);
    let t = visitor.language.texts();
    let now = page.services.clock.now();
    if let Some(error) = &callback.error {
        tracing::info!(error = %error, "Teamleader sign-in not granted");
        let message = if error == "access_denied" {
            t.error_access_denied
        } else {
            t.error_code
        };
        return problem(&visitor, StatusCode::BAD_REQUEST, message, None);
    }
    let state = callback.state.as_deref().and_then(|s| {
        page.config
            .signing_key
            .verify::<OAuthState>(signing::STATE, s, now)
    });
    let Some(state) = state else {
        return problem(&visitor, StatusCode::BAD_REQUEST, t.error_state, None);
    };
    // Single use: the nonce is taken until the state expires; a replay finds it taken.
    if let Some(refused) =
        super::take_state_once(&page, &visitor, &state.nonce, state.expires_at).await
    {
        return refused;
    }
    let Some(code) = callback.code.filter(|c| !c.is_empty()) else {
        return problem(&visitor, StatusCode::BAD_REQUEST, t.error_code, None);
    };
    let oauth = page.services.connector.teamleader_oauth();
    let tokens = match oauth
        .exchange_code(&code, &page.config.redirect_uri())
        .await
    {
        Ok(tokens) => tokens,
        Err(OAuthError::External(ExternalError::Unavailable { .. })) => {
            return problem(&visitor, StatusCode::BAD_GATEWAY, t.error_unavailable, None);
        }
        Err(error) => {
            tracing::info!(%error, "Teamleader refused the authorization code");
            return problem(&visitor, StatusCode::BAD_REQUEST, t.error_code, None);
        }
    };
    let (me, missing) = match who_signed_in(&page, &tokens).await {
        Ok(found) => found,
        Err(ExternalError::Unavailable { .. }) => {
            return problem(&visitor, StatusCode::BAD_GATEWAY, t.error_unavailable, None);
        }
        Err(error) => return internal(&visitor, &error),
    };
    if !missing.is_empty() {
        let list = missing
            .iter()
            .map(|area| area_name(visitor.language, *area))
            .collect::<Vec<_>>()
            .join(", ");
        tracing::info!(account = %me.account.id, missing = %list, "sign-in without the access Koppel needs");
        return problem(
            &visitor,
            StatusCode::FORBIDDEN,
            t.error_missing_access,
            Some(&list),
        );
    }
    let account_id = AccountId::new(me.account.id.clone());
    let secret =
        koppel_core::account::teamleader_secret_name(&page.config.secret_prefix, &account_id);
    if let Err(error) = account::reactivate(
        page.services.store.as_ref(),
        page.services.vault.as_ref(),
        &account_id,
        &secret,
        &tokens,
    )
    .await
    {
        return internal(&visitor, &error);
    }
    let name = [me.first_name.as_deref(), me.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let session = Session {
        account: account_id.as_str().to_owned(),
        user: me.id.clone(),
        name: if name.is_empty() { me.id.clone() } else { name },
        csrf: signing::random_token(),
        expires_at: now + chrono::Duration::hours(SESSION_HOURS),
    };
    let cookie = page.config.signing_key.sign(signing::SESSION, &session);
    (
        [(
            header::SET_COOKIE,
            security::set_cookie(SESSION_COOKIE, &cookie, SESSION_HOURS * 3600),
        )],
        Redirect::to(&format!("/teamleader?done={}", Flash::SignedIn.code())),
    )
        .into_response()
}

/// users.me and the access check with a pair just received (held in memory only: nothing
/// is stored before the person is known and has the access Koppel needs).
async fn who_signed_in(
    page: &ReactivationPage,
    tokens: &OAuthTokens,
) -> Result<(Me, Vec<Area>), ExternalError> {
    const HELD: &str = "sign-in";
    let vault = Arc::new(InMemoryVault::default());
    let value = serde_json::to_value(tokens).map_err(|e| ExternalError::Unavailable {
        system: koppel_teamleader::SYSTEM,
        detail: e.to_string(),
    })?;
    vault
        .write(HELD, &value)
        .await
        .map_err(|e| ExternalError::Unavailable {
            system: koppel_teamleader::SYSTEM,
            detail: e.to_string(),
        })?;
    let clock = page.services.clock.clone();
    let source = TokenSource::new(
        koppel_teamleader::policy::token_config(HELD, ConnectionId::new(HELD)),
        page.services.connector.teamleader_oauth(),
        TokenStores::from_store(Arc::new(InMemoryStore::default())),
        vault,
        clock.clone(),
    );
    let client = TeamleaderClient::connect(
        &page.config.teamleader.api,
        source,
        clock,
        page.request_deadline(),
    );
    let me = client.users().me().await?;
    let missing = client.missing_access().await?;
    Ok((me, missing))
}

/// An area's name in the visitor's language (the names Teamleader's user rights use).
fn area_name(language: crate::Language, area: Area) -> &'static str {
    use crate::Language::{En, Fr, Nl};
    match (area, language) {
        (Area::Invoices, Nl) => "Facturen",
        (Area::Invoices, Fr) => "Factures",
        (Area::Invoices, En) => "Invoices",
        (Area::Departments, Nl) => "Departementen",
        (Area::Departments, Fr) => "Départements",
        (Area::Departments, En) => "Departments",
        (Area::Companies, Nl) => "Bedrijven",
        (Area::Companies, Fr) => "Entreprises",
        (Area::Companies, En) => "Companies",
        (Area::Contacts, Nl) => "Contacten",
        (Area::Contacts, Fr) => "Contacts",
        (Area::Contacts, En) => "Contacts",
        (Area::Products, Nl) => "Producten",
        (Area::Products, Fr) => "Produits",
        (Area::Products, En) => "Products",
    }
}

/// The CSRF field of a form.
#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    pub csrf: Option<String>,
}

/// `POST /signout`: the session cookie is cleared (with a valid CSRF token).
pub(crate) async fn sign_out(
    State(page): Page,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let visitor = Visitor::of(&page, &headers);
    if super::connections::checked_session(&visitor, form.csrf.as_deref()).is_none() {
        let t = visitor.language.texts();
        return problem(&visitor, StatusCode::FORBIDDEN, t.error_session, None);
    }
    (
        [(
            header::SET_COOKIE,
            security::set_cookie(SESSION_COOKIE, "", 0),
        )],
        Redirect::to("/"),
    )
        .into_response()
}
