//! Teamleader's webhook: `POST /webhooks/teamleader/{connection}/{token}`, and switching it
//! on when a connection's settings are saved.
//!
//! Teamleader does not sign its calls, so the URL's random token (one per connection, ≥ 128
//! bits, compared in constant time) is what makes a caller trusted. The checks, in order:
//! body size ([`MAX_EVENT_BYTES`], 413), a connection with that id and token (else 404, no
//! detail, the same answer for both), the body as a [`TeamleaderEvent`] (400), the event's
//! account being the connection's (404). Then [`koppel_core::jobs::webhook::verdict`]
//! decides: a booked invoice or credit note of an active connection that exports
//! automatically queues ONE one-document export (202); anything else is acknowledged and
//! ignored (202). The answer never waits for the export: Teamleader gets it at once.

use super::Page;
use crate::ReactivationPage;
use crate::signing::same_token;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use koppel_core::jobs::webhook::{self, EventVerdict, TeamleaderEvent};
use koppel_core::{Connection, ConnectionId, ConnectionStatus, WebhookToken};

/// The largest event body read (Teamleader's events are a few hundred bytes).
pub const MAX_EVENT_BYTES: usize = 16 * 1024;

/// The longest connection id or token taken from the path before looking anything up.
const MAX_SEGMENT: usize = 128;

/// A new webhook token: 256 random bits, URL-safe.
pub fn new_webhook_token() -> WebhookToken {
    let bytes: [u8; 32] = rand::random();
    WebhookToken::new(URL_SAFE_NO_PAD.encode(bytes))
}

fn status(code: StatusCode) -> Response {
    code.into_response()
}

/// `POST /webhooks/teamleader/{connection}/{token}` (the body limit is the route's layer).
pub(crate) async fn teamleader_event(
    State(page): Page,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Bytes,
) -> Response {
    let Ok(Path((connection_id, token))) = path else {
        return status(StatusCode::NOT_FOUND);
    };
    if body.len() > MAX_EVENT_BYTES {
        return status(StatusCode::PAYLOAD_TOO_LARGE);
    }
    let connection = match trusted_connection(&page, &connection_id, &token).await {
        Ok(Some(connection)) => connection,
        Ok(None) => return status(StatusCode::NOT_FOUND),
        Err(response) => return response,
    };
    let Ok(event) = serde_json::from_slice::<TeamleaderEvent>(&body) else {
        return status(StatusCode::BAD_REQUEST);
    };
    match webhook::verdict(&connection, &event) {
        EventVerdict::OtherAccount => {
            tracing::warn!(connection = %connection.id, "a webhook event named another Teamleader account");
            status(StatusCode::NOT_FOUND)
        }
        EventVerdict::Ignore(why) => {
            tracing::info!(connection = %connection.id, event = %event.event_type, why, "webhook event ignored");
            status(StatusCode::ACCEPTED)
        }
        EventVerdict::Queue(job) => {
            match page.services.queue.send(std::slice::from_ref(&job)).await {
                Ok(()) => {
                    tracing::info!(connection = %connection.id, run = %job.run_id, "document export queued by Teamleader's webhook");
                    status(StatusCode::ACCEPTED)
                }
                Err(error) => {
                    // Teamleader may call again; the nightly run exports the document anyway.
                    tracing::error!(connection = %connection.id, %error, "the document export could not be queued");
                    status(StatusCode::SERVICE_UNAVAILABLE)
                }
            }
        }
    }
}

/// The connection the path names when the token is its own; `None` for anything else
/// (unknown, no token yet, wrong token: the same answer, so nothing is confirmed).
async fn trusted_connection(
    page: &ReactivationPage,
    connection_id: &str,
    token: &str,
) -> Result<Option<Connection>, Response> {
    if connection_id.is_empty()
        || connection_id.len() > MAX_SEGMENT
        || token.is_empty()
        || token.len() > MAX_SEGMENT
    {
        return Ok(None);
    }
    let found = page
        .services
        .store
        .connection(&ConnectionId::new(connection_id))
        .await;
    let connection = match found {
        Ok(connection) => connection,
        Err(error) => {
            tracing::error!(%error, "the connection of a webhook event could not be read");
            return Err(status(StatusCode::SERVICE_UNAVAILABLE));
        }
    };
    Ok(connection.filter(|c| {
        c.settings
            .webhook
            .token
            .as_ref()
            .is_some_and(|known| same_token(known.expose(), token))
    }))
}

/// After a connection's settings were saved: switch near-real-time export on (its webhook
/// in Teamleader, listed first). Never fails the save: a refusal is recorded in the
/// connection and shown on the status page; the nightly export goes on.
pub(crate) async fn switch_on_after_save(page: &ReactivationPage, connection: &Connection) {
    if connection.status != ConnectionStatus::Active {
        return;
    }
    let webhooks = page
        .services
        .connector
        .teamleader_webhooks(connection, page.request_deadline());
    let outcome = webhook::enable_near_real_time(
        page.services.store.as_ref(),
        webhooks.as_ref(),
        &connection.id,
        page.config.public_url.as_str(),
        new_webhook_token,
    )
    .await;
    if let Err(error) = outcome {
        tracing::warn!(connection = %connection.id, %error, "near-real-time export could not be switched on");
    }
}
