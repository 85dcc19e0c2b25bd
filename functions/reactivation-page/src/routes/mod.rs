//! The page's handlers, grouped by what they serve, and what they share: who is visiting
//! (language, session), and the answers for problems.

pub(crate) mod connections;
pub(crate) mod merge;
pub(crate) mod onboarding;
pub(crate) mod sign_in;
pub(crate) mod webhooks;

use crate::ReactivationPage;
use crate::i18n::Language;
use crate::security::{self, LANGUAGE_COOKIE, SESSION_COOKIE};
use crate::signing::{self, Session};
use crate::views::{self, Frame};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::Markup;
use serde::Deserialize;
use std::sync::Arc;

/// The shared state of the handlers.
pub(crate) type Page = State<Arc<ReactivationPage>>;

/// Who is visiting: their language (cookie, else Accept-Language) and session, if any.
pub(crate) struct Visitor {
    pub language: Language,
    pub session: Option<Session>,
}

impl Visitor {
    /// Read from the request headers.
    pub fn of(page: &ReactivationPage, headers: &HeaderMap) -> Self {
        let language = security::cookie(headers, LANGUAGE_COOKIE)
            .and_then(Language::from_code)
            .unwrap_or_else(|| {
                Language::negotiate(
                    headers
                        .get(header::ACCEPT_LANGUAGE)
                        .and_then(|v| v.to_str().ok()),
                )
            });
        let session = security::cookie(headers, SESSION_COOKIE).and_then(|token| {
            page.config.signing_key.verify::<Session>(
                signing::SESSION,
                token,
                page.services.clock.now(),
            )
        });
        Self { language, session }
    }

    /// The frame of a page at `path`.
    pub fn frame<'a>(&'a self, path: &'a str) -> Frame<'a> {
        Frame {
            language: self.language,
            path,
            signed_in: self
                .session
                .as_ref()
                .map(|s| (s.name.as_str(), s.csrf.as_str())),
            refresh: None,
        }
    }
}

/// An HTML answer with a status.
pub(crate) fn html(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

/// A page saying what went wrong (status `status`), with a way to try again.
pub(crate) fn problem(
    visitor: &Visitor,
    status: StatusCode,
    message: &str,
    detail: Option<&str>,
) -> Response {
    html(
        status,
        views::problem(
            &visitor.frame("/teamleader"),
            message,
            detail,
            "/teamleader",
        ),
    )
}

/// Take an OAuth `state`'s nonce, once: held until the state expires, so a replayed
/// callback finds it taken. `None` when it may go on; otherwise the page to answer.
pub(crate) async fn take_state_once(
    page: &ReactivationPage,
    visitor: &Visitor,
    nonce: &str,
    expires_at: chrono::DateTime<chrono::Utc>,
) -> Option<Response> {
    let taken = page
        .services
        .store
        .acquire_lease(
            &format!("oauth-state:{nonce}"),
            &signing::random_token(),
            page.services.clock.now(),
            expires_at,
        )
        .await;
    match taken {
        Ok(true) => None,
        Ok(false) => {
            let t = visitor.language.texts();
            Some(problem(
                visitor,
                StatusCode::BAD_REQUEST,
                t.error_state,
                None,
            ))
        }
        Err(error) => Some(internal(visitor, &error)),
    }
}

/// The connection `id` of the session's account, or the page to answer (404 for another
/// account's or an unknown one, never "forbidden").
pub(crate) async fn owned_connection(
    page: &ReactivationPage,
    visitor: &Visitor,
    session: &Session,
    id: &str,
) -> Result<koppel_core::Connection, Response> {
    let found = koppel_core::account::connection_of(
        page.services.store.as_ref(),
        &koppel_core::AccountId::new(session.account.clone()),
        &koppel_core::ConnectionId::new(id),
    )
    .await;
    match found {
        Ok(connection) => Ok(connection),
        Err(koppel_core::account::AccountError::NotFound) => Err(not_found_for(visitor)),
        Err(error) => Err(internal(visitor, &error)),
    }
}

/// Something failed on Koppel's side: logged with its cause, shown without it.
pub(crate) fn internal(visitor: &Visitor, error: &dyn std::fmt::Display) -> Response {
    tracing::error!(%error, "page request failed");
    let t = visitor.language.texts();
    problem(
        visitor,
        StatusCode::INTERNAL_SERVER_ERROR,
        t.error_internal,
        None,
    )
}

/// 404 in the visitor's language.
pub(crate) fn not_found_for(visitor: &Visitor) -> Response {
    let t = visitor.language.texts();
    problem(visitor, StatusCode::NOT_FOUND, t.not_found, None)
}

/// `GET /`.
pub(crate) async fn entry(State(page): Page, headers: HeaderMap) -> Response {
    let visitor = Visitor::of(&page, &headers);
    html(StatusCode::OK, views::entry(&visitor.frame("/")))
}

/// `GET /style.css`: the one stylesheet.
pub(crate) async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../style.css"),
    )
        .into_response()
}

/// Query of the language switch.
#[derive(Debug, Deserialize)]
pub(crate) struct Back {
    back: Option<String>,
}

/// `GET /lang/{code}?back=/path`: remember the language, go back (only to a path of this
/// page: `back` must start with one `/`, so it cannot send anyone elsewhere).
pub(crate) async fn switch_language(
    State(page): Page,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(back): Query<Back>,
) -> Response {
    let Some(language) = Language::from_code(&code) else {
        return not_found_for(&Visitor::of(&page, &headers));
    };
    let target = back
        .back
        .filter(|b| b.starts_with('/') && !b.starts_with("//") && !b.contains('\\'))
        .unwrap_or_else(|| "/".to_owned());
    (
        [(
            header::SET_COOKIE,
            security::set_cookie(LANGUAGE_COOKIE, language.code(), 365 * 24 * 3600),
        )],
        Redirect::to(&target),
    )
        .into_response()
}

/// Anything else.
pub(crate) async fn not_found(State(page): Page, headers: HeaderMap) -> Response {
    not_found_for(&Visitor::of(&page, &headers))
}
