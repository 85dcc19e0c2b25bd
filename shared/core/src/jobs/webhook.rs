//! Near-real-time export through Teamleader's webhooks.
//!
//! - Onboarding ([`enable_near_real_time`]): a connection that became active gets one
//!   webhook for `invoice.booked` + `creditNote.booked`, posting to
//!   `<page>/webhooks/teamleader/<connection>/<token>`; Teamleader's list is read first, so
//!   a reconnect never adds a second one. A refusal only switches near-real-time export off
//!   (with the reason shown on the page): the nightly export still sends every document.
//! - Receiving ([`TeamleaderEvent`], [`verdict`]): an event that names a booked invoice or
//!   credit note of an active connection becomes one [`JobKind::DocumentExport`] message;
//!   anything else is acknowledged and ignored.
//! - Removal ([`disable_near_real_time`]): the webhook is unregistered.

use crate::{
    Connection, ConnectionId, ConnectionStatus, ConnectionStore, DocumentId, DocumentKind,
    ExternalError, Job, JobKind, RunId, StoreError, TeamleaderWebhooks, WebhookToken,
};
use serde::Deserialize;

/// The Teamleader event types that queue an export.
pub const BOOKED_EVENT_TYPES: [&str; 2] = ["invoice.booked", "creditNote.booked"];

/// The path of a connection's webhook below the page's public address (without the token).
pub const WEBHOOK_PATH: &str = "/webhooks/teamleader";

/// The longest document id taken from an event (Teamleader's ids are UUIDs).
const MAX_ID_LENGTH: usize = 100;

/// The URL Teamleader posts a connection's events to.
pub fn webhook_url(
    public_base_url: &str,
    connection: &ConnectionId,
    token: &WebhookToken,
) -> String {
    format!(
        "{}{WEBHOOK_PATH}/{}/{}",
        public_base_url.trim_end_matches('/'),
        connection.as_str(),
        token.expose()
    )
}

/// A Teamleader webhook event, as Teamleader posts it: thin, naming what changed (the
/// receiver reads the document itself). Fields Koppel does not use are ignored, so a field
/// Teamleader adds one day does not lose events.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TeamleaderEvent {
    /// `invoice.booked`, `creditNote.booked`, `company.added`, …
    #[serde(rename = "type")]
    pub event_type: String,
    /// What the event is about.
    pub subject: EventReference,
    /// The Teamleader account it happened in (in Teamleader's events; optional here).
    #[serde(default)]
    pub account: Option<EventReference>,
}

/// `{type, id}` in an event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EventReference {
    /// `invoice`, `creditNote`, `account`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// Teamleader's id.
    pub id: String,
}

/// What to do with an event that reached a connection's webhook URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventVerdict {
    /// Queue this job (one document's export).
    Queue(Job),
    /// Acknowledge and do nothing (why, for the log).
    Ignore(&'static str),
    /// The event names another Teamleader account than the connection's: refused.
    OtherAccount,
}

/// The document a booked event names, if it is one Koppel exports.
fn booked_document(event: &TeamleaderEvent) -> Option<DocumentKind> {
    match (event.event_type.as_str(), event.subject.kind.as_str()) {
        ("invoice.booked", "invoice") => Some(DocumentKind::Invoice),
        ("creditNote.booked", "creditNote") => Some(DocumentKind::CreditNote),
        _ => None,
    }
}

/// A plausible Teamleader id: not empty, not long, letters, digits and dashes only (it
/// becomes part of a run id and a store key).
fn plausible_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LENGTH
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// The run of a document's near-real-time export: one per document, so a second delivery
/// of the same event is the same SQS message (deduplicated) and, later, a finished run
/// (skipped by the lifecycle).
pub fn document_run_id(kind: DocumentKind, document: &DocumentId) -> RunId {
    RunId::new(format!(
        "document-{}-{}",
        kind.as_str().replace('_', "-"),
        document
    ))
}

/// Decide what an event posted to `connection`'s webhook URL (the token already checked)
/// asks for. Only a booked invoice or credit note of an active connection that exports
/// automatically, in the connection's own Teamleader account, is queued.
pub fn verdict(connection: &Connection, event: &TeamleaderEvent) -> EventVerdict {
    if let Some(account) = &event.account
        && (account.kind != "account" || account.id != connection.account_id.as_str())
    {
        return EventVerdict::OtherAccount;
    }
    let Some(kind) = booked_document(event) else {
        return EventVerdict::Ignore("not a booked invoice or credit note");
    };
    if !plausible_id(&event.subject.id) {
        return EventVerdict::Ignore("the document id is not a Teamleader id");
    }
    if connection.status != ConnectionStatus::Active {
        return EventVerdict::Ignore("the connection is not active");
    }
    if !connection.settings.automatic_sync {
        return EventVerdict::Ignore("automatic export is off for this connection");
    }
    let document_id = DocumentId::new(event.subject.id.clone());
    EventVerdict::Queue(Job::start(
        connection.id.clone(),
        document_run_id(kind, &document_id),
        JobKind::DocumentExport { kind, document_id },
    ))
}

/// Why near-real-time export is off after Teamleader refused the webhook, for the page.
fn off_reason(error: &ExternalError) -> String {
    format!(
        "Near-real-time export is off: Teamleader did not accept Koppel's webhook ({error}). The nightly export still sends every booked document; saving the settings again retries."
    )
}

/// Switch near-real-time export on for `connection` (it just became active or was saved
/// again): make its webhook token once, then make sure Teamleader has exactly one webhook
/// for the booked events at its URL (list first; a webhook of this connection at another URL
/// or for other types is replaced). A refusal is not an error: it is recorded in the
/// connection (`settings.webhook.off_reason`), the nightly export goes on. Only a store
/// failure is returned. `new_token` makes a random token (≥ 128 bits) when none exists.
pub async fn enable_near_real_time(
    connections: &dyn ConnectionStore,
    webhooks: &dyn TeamleaderWebhooks,
    connection: &ConnectionId,
    public_base_url: &str,
    new_token: impl FnOnce() -> WebhookToken + Send,
) -> Result<Option<Connection>, StoreError> {
    let Some(mut current) = connections.connection(connection).await? else {
        return Ok(None);
    };
    let token = match current.settings.webhook.token.clone() {
        Some(token) => token,
        None => {
            let token = new_token();
            // Kept before Teamleader hears of it: the URL must never change afterwards.
            current.settings.webhook.token = Some(token.clone());
            connections.put_connection(&current).await?;
            token
        }
    };
    let url = webhook_url(public_base_url, &current.id, &token);
    let outcome = ensure_one_webhook(webhooks, &current.id, &url).await;
    current.settings.webhook.registered = outcome.is_ok();
    current.settings.webhook.off_reason = outcome.as_ref().err().map(off_reason);
    match &outcome {
        Ok(()) => tracing::info!(connection = %current.id, "near-real-time export on"),
        Err(error) => {
            tracing::warn!(connection = %current.id, %error, "near-real-time export off: the webhook was refused");
        }
    }
    connections.put_connection(&current).await?;
    Ok(Some(current))
}

/// Register `url` for the booked events unless Teamleader already has it; unregister this
/// connection's other webhooks (an older address or other types).
async fn ensure_one_webhook(
    webhooks: &dyn TeamleaderWebhooks,
    connection: &ConnectionId,
    url: &str,
) -> Result<(), ExternalError> {
    let ours = format!("{WEBHOOK_PATH}/{}/", connection.as_str());
    let wanted = |types: &[String]| {
        types.len() == BOOKED_EVENT_TYPES.len()
            && BOOKED_EVENT_TYPES
                .iter()
                .all(|t| types.iter().any(|have| have == t))
    };
    let mut present = false;
    for hook in webhooks.registered().await? {
        if hook.url == url && wanted(&hook.types) && !present {
            present = true;
        } else if hook.url.contains(&ours) {
            let types: Vec<&str> = hook.types.iter().map(String::as_str).collect();
            webhooks.unregister(&hook.url, &types).await?;
        }
    }
    if !present {
        webhooks.register(url, &BOOKED_EVENT_TYPES).await?;
    }
    Ok(())
}

/// Switch near-real-time export off for a connection being removed: its webhook is
/// unregistered in Teamleader (nothing happens without a token: it was never registered).
pub async fn disable_near_real_time(
    webhooks: &dyn TeamleaderWebhooks,
    connection: &Connection,
    public_base_url: &str,
) -> Result<(), ExternalError> {
    let Some(token) = &connection.settings.webhook.token else {
        return Ok(());
    };
    let url = webhook_url(public_base_url, &connection.id, token);
    webhooks.unregister(&url, &BOOKED_EVENT_TYPES).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::InMemoryStore;
    use crate::{AccountId, ConnectionSettings, DepartmentId, LedgerKind, RegisteredWebhook};
    use async_trait::async_trait;
    use chrono::{TimeZone, Utc};
    use std::sync::Mutex;

    fn connection(status: ConnectionStatus, automatic: bool) -> Connection {
        Connection {
            id: ConnectionId::new("c1"),
            account_id: AccountId::new("acc-1"),
            department_id: DepartmentId::new("dep"),
            ledger: LedgerKind::ExactOnline,
            ledger_company: "1".into(),
            status,
            settings: ConnectionSettings {
                automatic_sync: automatic,
                ..ConnectionSettings::default()
            },
            teamleader_secret: "tl".into(),
            ledger_secret: "ledger".into(),
            created_at: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
            status_reason: None,
        }
    }

    fn event(json: serde_json::Value) -> TeamleaderEvent {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_booked_invoice_or_credit_note_of_the_account_is_one_document_export() {
        let active = connection(ConnectionStatus::Active, true);
        let booked = event(serde_json::json!({
            "type": "invoice.booked",
            "subject": {"type": "invoice", "id": "0f9e7c1a-aaaa-4bbb-8ccc-123456789abc"},
            "account": {"type": "account", "id": "acc-1"},
        }));
        let EventVerdict::Queue(job) = verdict(&active, &booked) else {
            panic!("queued");
        };
        assert_eq!(job.connection_id, active.id);
        assert_eq!(
            job.kind,
            JobKind::DocumentExport {
                kind: DocumentKind::Invoice,
                document_id: DocumentId::new("0f9e7c1a-aaaa-4bbb-8ccc-123456789abc"),
            }
        );
        assert_eq!(
            job.run_id.as_str(),
            "document-invoice-0f9e7c1a-aaaa-4bbb-8ccc-123456789abc"
        );
        let credit = event(serde_json::json!({
            "type": "creditNote.booked", "subject": {"type": "creditNote", "id": "cn-1"},
        }));
        assert!(matches!(verdict(&active, &credit), EventVerdict::Queue(_)));
    }

    #[test]
    fn anything_else_is_ignored_and_another_account_refused() {
        let active = connection(ConnectionStatus::Active, true);
        for (json, expected) in [
            (
                serde_json::json!({"type": "invoice.updated", "subject": {"type": "invoice", "id": "i1"}}),
                EventVerdict::Ignore("not a booked invoice or credit note"),
            ),
            (
                serde_json::json!({"type": "invoice.booked", "subject": {"type": "creditNote", "id": "i1"}}),
                EventVerdict::Ignore("not a booked invoice or credit note"),
            ),
            (
                serde_json::json!({"type": "invoice.booked", "subject": {"type": "invoice", "id": "../x"}}),
                EventVerdict::Ignore("the document id is not a Teamleader id"),
            ),
            (
                serde_json::json!({"type": "invoice.booked", "subject": {"type": "invoice", "id": "i1"},
                    "account": {"type": "account", "id": "acc-2"}}),
                EventVerdict::OtherAccount,
            ),
        ] {
            assert_eq!(verdict(&active, &event(json.clone())), expected, "{json}");
        }
        let booked = event(serde_json::json!({
            "type": "invoice.booked", "subject": {"type": "invoice", "id": "i1"},
        }));
        assert!(matches!(
            verdict(&connection(ConnectionStatus::Paused, true), &booked),
            EventVerdict::Ignore(_)
        ));
        assert!(matches!(
            verdict(&connection(ConnectionStatus::Active, false), &booked),
            EventVerdict::Ignore(_)
        ));
    }

    /// Teamleader's webhooks of one account, in memory.
    #[derive(Default)]
    struct FakeWebhooks {
        hooks: Mutex<Vec<RegisteredWebhook>>,
        refuse: bool,
    }

    #[async_trait]
    impl TeamleaderWebhooks for FakeWebhooks {
        async fn registered(&self) -> Result<Vec<RegisteredWebhook>, ExternalError> {
            if self.refuse {
                return Err(ExternalError::Unavailable {
                    system: "Teamleader Focus",
                    detail: "down".into(),
                });
            }
            Ok(self.hooks.lock().unwrap().clone())
        }
        async fn register(&self, url: &str, types: &[&str]) -> Result<(), ExternalError> {
            let hook = RegisteredWebhook {
                url: url.into(),
                types: types.iter().map(|t| (*t).to_owned()).collect(),
            };
            let mut hooks = self.hooks.lock().unwrap();
            if !hooks.contains(&hook) {
                hooks.push(hook);
            }
            Ok(())
        }
        async fn unregister(&self, url: &str, types: &[&str]) -> Result<(), ExternalError> {
            self.hooks.lock().unwrap().retain(|h| {
                !(h.url == url && h.types.iter().map(String::as_str).eq(types.iter().copied()))
            });
            Ok(())
        }
    }

    #[tokio::test]
    async fn onboarding_registers_once_keeps_the_token_and_a_refusal_only_switches_it_off() {
        let store = InMemoryStore::default();
        let c = connection(ConnectionStatus::Active, true);
        store.put_connection(&c).await.unwrap();
        let webhooks = FakeWebhooks::default();
        // Another integration's webhook of the account is left alone.
        webhooks
            .register("https://other.example/hook", &["company.added"])
            .await
            .unwrap();
        let base = "https://koppel.example/";
        let first = enable_near_real_time(&store, &webhooks, &c.id, base, || {
            WebhookToken::new("t0k3n")
        })
        .await
        .unwrap()
        .unwrap();
        assert!(first.settings.webhook.registered);
        let url = "https://koppel.example/webhooks/teamleader/c1/t0k3n";
        let again = enable_near_real_time(&store, &webhooks, &c.id, base, || {
            panic!("the token is made once")
        })
        .await
        .unwrap()
        .unwrap();
        assert_eq!(again.settings.webhook, first.settings.webhook);
        let hooks = webhooks.registered().await.unwrap();
        assert_eq!(
            hooks.len(),
            2,
            "a reconnect adds no second webhook: {hooks:?}"
        );
        assert!(hooks.iter().any(|h| h.url == url));

        // The page moved to another address: the old webhook is replaced.
        enable_near_real_time(&store, &webhooks, &c.id, "https://new.example", || {
            panic!("kept")
        })
        .await
        .unwrap();
        let urls: Vec<String> = webhooks
            .registered()
            .await
            .unwrap()
            .into_iter()
            .map(|h| h.url)
            .collect();
        assert_eq!(
            urls,
            vec![
                "https://other.example/hook".to_owned(),
                "https://new.example/webhooks/teamleader/c1/t0k3n".to_owned()
            ]
        );

        let down = FakeWebhooks {
            refuse: true,
            ..FakeWebhooks::default()
        };
        let off = enable_near_real_time(&store, &down, &c.id, base, || panic!("kept"))
            .await
            .unwrap()
            .unwrap();
        assert!(!off.settings.webhook.registered);
        assert!(
            off.settings
                .webhook
                .off_reason
                .as_deref()
                .is_some_and(|r| r.contains("nightly export still sends")),
            "{off:?}"
        );
        assert_eq!(off.status, ConnectionStatus::Active, "onboarding goes on");

        disable_near_real_time(&webhooks, &off, "https://new.example")
            .await
            .unwrap();
        assert_eq!(webhooks.registered().await.unwrap().len(), 1);
        assert!(
            !format!("{off:?}").contains("t0k3n"),
            "the token stays out of logs"
        );
    }
}
