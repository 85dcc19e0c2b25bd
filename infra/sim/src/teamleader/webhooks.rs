//! Teamleader's webhooks in the simulator: `webhooks.register|list|unregister` per account,
//! and delivery of the thin events to the registered URLs.
//!
//! - Registrations are keyed by URL + types, as Teamleader's (no id); registering the same
//!   pair again changes nothing; `webhooks.list` is ordered by URL (the spec's words);
//!   `unregister` removes the registration with exactly that URL and those types. Types are
//!   checked against the spec's list of event types (400 otherwise).
//! - Delivery: every event an API call records in an account (`invoice.booked` when
//!   `invoices.book` books a draft, …), and every event recorded through
//!   [`super::SimHandle::record_event`] / `POST /_sim/events`, is POSTed as JSON to each URL
//!   of that account registered for its type, one delivery at a time in the order the events
//!   happened, to local addresses only (the simulator never reaches the internet). Each
//!   delivery is logged ([`WebhookDelivery`]) with its outcome; a failed one
//!   (no answer, or not 2xx) is logged and not retried (Teamleader documents no retry).
//! - Tests wait without sleeping: [`super::SimHandle::settle_webhooks`] (or
//!   `POST /_sim/webhooks/settle`) returns once every queued delivery is done, with the log.

use super::api::{ApiError, ApiResult, Ctx, Reply, required_str, string_array};
use super::model::{Account, Webhook};
use super::state::SimState;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use tokio::sync::{Notify, mpsc};

/// The event types `webhooks.register` accepts (the spec's enum, OpenAPI 1.112.0).
pub const EVENT_TYPES: [&str; 95] = [
    "account.deactivated",
    "account.deleted",
    "call.added",
    "call.completed",
    "call.deleted",
    "call.updated",
    "company.added",
    "company.deleted",
    "company.updated",
    "contact.added",
    "contact.deleted",
    "contact.linkedToCompany",
    "contact.unlinkedFromCompany",
    "contact.updatedLinkToCompany",
    "contact.updated",
    "creditNote.booked",
    "creditNote.deleted",
    "creditNote.peppolSubmissionFailed",
    "creditNote.peppolSubmissionSucceeded",
    "creditNote.sent",
    "creditNote.updated",
    "deal.created",
    "deal.deleted",
    "deal.lost",
    "deal.moved",
    "deal.updated",
    "deal.won",
    "incomingCreditNote.added",
    "incomingCreditNote.approved",
    "incomingCreditNote.bookkeepingSubmissionFailed",
    "incomingCreditNote.bookkeepingSubmissionSucceeded",
    "incomingCreditNote.deleted",
    "incomingCreditNote.refused",
    "incomingCreditNote.updated",
    "incomingInvoice.added",
    "incomingInvoice.approved",
    "incomingInvoice.bookkeepingSubmissionFailed",
    "incomingInvoice.bookkeepingSubmissionSucceeded",
    "incomingInvoice.deleted",
    "incomingInvoice.refused",
    "incomingInvoice.updated",
    "invoice.booked",
    "invoice.deleted",
    "invoice.drafted",
    "invoice.paymentRegistered",
    "invoice.paymentRemoved",
    "invoice.peppolSubmissionFailed",
    "invoice.peppolSubmissionSucceeded",
    "invoice.sent",
    "invoice.updated",
    "meeting.created",
    "meeting.completed",
    "meeting.deleted",
    "meeting.updated",
    "milestone.created",
    "milestone.updated",
    "nextgenProject.created",
    "nextgenProject.updated",
    "nextgenProject.closed",
    "nextgenProject.deleted",
    "nextgenTask.completed",
    "nextgenTask.created",
    "nextgenTask.deleted",
    "nextgenTask.updated",
    "product.added",
    "product.updated",
    "product.deleted",
    "project.created",
    "project.deleted",
    "project.updated",
    "receipt.added",
    "receipt.approved",
    "receipt.bookkeepingSubmissionFailed",
    "receipt.bookkeepingSubmissionSucceeded",
    "receipt.deleted",
    "receipt.refused",
    "receipt.updated",
    "subscription.added",
    "subscription.deactivated",
    "subscription.deleted",
    "subscription.updated",
    "task.completed",
    "task.created",
    "task.deleted",
    "task.updated",
    "ticket.closed",
    "ticket.created",
    "ticket.deleted",
    "ticket.reopened",
    "ticket.updated",
    "ticketMessage.added",
    "timeTracking.added",
    "timeTracking.deleted",
    "timeTracking.updated",
    "user.deactivated",
];

/// How long one delivery may take before it counts as failed (real time).
const DELIVERY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

fn webhook_of(body: &Value) -> Result<Webhook, ApiError> {
    let url = required_str(body, "url")?;
    if url::Url::parse(url).is_err() {
        return Err(ApiError::bad_request("`url` must be an absolute URL"));
    }
    let mut types = string_array(body, "types")?
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::bad_request("`types` is required"))?;
    if let Some(unknown) = types.iter().find(|t| !EVENT_TYPES.contains(&t.as_str())) {
        return Err(ApiError::bad_request(format!(
            "`types` contains an unknown event type: {unknown}"
        )));
    }
    types.sort();
    types.dedup();
    Ok(Webhook {
        url: url.to_owned(),
        types,
    })
}

/// `webhooks.register` → 204; registering the same URL and types again changes nothing.
pub(crate) fn register(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let account = ctx.account(state)?;
    let hook = webhook_of(body)?;
    if !account.webhooks.contains(&hook) {
        account.webhooks.push(hook);
    }
    Ok(Reply::NoContent)
}

/// `webhooks.list`: this account's webhooks, ordered by URL.
pub(crate) fn list(state: &mut SimState, ctx: &Ctx<'_>) -> ApiResult {
    let account = ctx.account(state)?;
    let mut hooks: Vec<&Webhook> = account.webhooks.iter().collect();
    hooks.sort_by(|a, b| a.url.cmp(&b.url).then_with(|| a.types.cmp(&b.types)));
    let data = hooks
        .into_iter()
        .map(|h| json!({"url": h.url, "types": h.types}))
        .collect();
    Ok(Reply::Data(Value::Array(data)))
}

/// `webhooks.unregister` → 204: the registration with exactly this URL and these types.
pub(crate) fn unregister(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let account = ctx.account(state)?;
    let hook = webhook_of(body)?;
    account.webhooks.retain(|h| *h != hook);
    Ok(Reply::NoContent)
}

/// How one delivery ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DeliveryOutcome {
    /// The receiver answered 2xx.
    Delivered {
        /// Its status.
        status: u16,
    },
    /// The receiver answered something else, or did not answer (not retried).
    Failed {
        /// Its status, when it answered.
        status: Option<u16>,
        /// What went wrong.
        error: String,
    },
}

/// One delivery of an event to one registered URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    /// Sim-clock time the event was queued for delivery.
    pub at: DateTime<Utc>,
    /// The account the event happened in.
    pub account_id: String,
    /// Where it was posted.
    pub url: String,
    /// The event posted (`{type, subject, account}`).
    pub event: Value,
    /// How it ended.
    pub outcome: DeliveryOutcome,
}

/// A delivery waiting for the worker.
#[derive(Debug)]
struct Pending {
    at: DateTime<Utc>,
    account_id: String,
    url: String,
    event: Value,
}

/// What the delivery worker shares with the simulator.
#[derive(Debug, Default)]
struct Shared {
    log: Mutex<Vec<WebhookDelivery>>,
    pending: AtomicUsize,
    settled: Notify,
}

impl Shared {
    fn finish(&self, delivery: WebhookDelivery) {
        if let DeliveryOutcome::Failed { error, .. } = &delivery.outcome {
            tracing::warn!(url = %delivery.url, %error, "webhook delivery failed (not retried)");
        }
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(delivery);
        if self.pending.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.settled.notify_waiters();
        }
    }
}

/// The simulator's webhook deliveries: a queue worked by one task (started on first use),
/// the log, and a way to wait until nothing is pending.
#[derive(Debug, Default)]
pub(crate) struct Deliveries {
    shared: Arc<Shared>,
    worker: OnceLock<mpsc::UnboundedSender<Pending>>,
}

impl Deliveries {
    /// Queue `event` of `account` for every URL registered for its type.
    fn queue_event(&self, account: &Account, event: &Value, now: DateTime<Utc>) {
        let Some(kind) = event.get("type").and_then(Value::as_str) else {
            return;
        };
        for hook in account
            .webhooks
            .iter()
            .filter(|h| h.types.iter().any(|t| t == kind))
        {
            self.queue(Pending {
                at: now,
                account_id: account.id.clone(),
                url: hook.url.clone(),
                event: event.clone(),
            });
        }
    }

    fn queue(&self, pending: Pending) {
        self.shared.pending.fetch_add(1, Ordering::SeqCst);
        let sent = match self.sender() {
            Some(sender) => sender.send(pending).map_err(|lost| lost.0),
            None => Err(pending),
        };
        if let Err(pending) = sent {
            self.shared.finish(WebhookDelivery {
                at: pending.at,
                account_id: pending.account_id,
                url: pending.url,
                event: pending.event,
                outcome: DeliveryOutcome::Failed {
                    status: None,
                    error: "the simulator has no runtime to deliver on".into(),
                },
            });
        }
    }

    /// The worker's queue, starting the worker on the current runtime the first time.
    fn sender(&self) -> Option<&mpsc::UnboundedSender<Pending>> {
        if let Some(sender) = self.worker.get() {
            return Some(sender);
        }
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let (sender, receiver) = mpsc::unbounded_channel();
        if self.worker.set(sender).is_ok() {
            runtime.spawn(deliver_all(self.shared.clone(), receiver));
        }
        self.worker.get()
    }

    /// Every delivery so far, oldest first.
    pub(crate) fn log(&self) -> Vec<WebhookDelivery> {
        self.shared
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Wait until no delivery is pending (each has a timeout, so this ends).
    pub(crate) async fn settle(&self) -> Vec<WebhookDelivery> {
        loop {
            let settled = self.shared.settled.notified();
            if self.shared.pending.load(Ordering::SeqCst) == 0 {
                return self.log();
            }
            settled.await;
        }
    }
}

/// The worker: one delivery at a time, in order, until the simulator is gone.
async fn deliver_all(shared: Arc<Shared>, mut queue: mpsc::UnboundedReceiver<Pending>) {
    let http = reqwest::Client::builder()
        .timeout(DELIVERY_TIMEOUT)
        .build()
        .unwrap_or_default();
    while let Some(pending) = queue.recv().await {
        if !is_local(&pending.url) {
            shared.finish(WebhookDelivery {
                outcome: DeliveryOutcome::Failed {
                    status: None,
                    error: "not delivered: the simulator posts to local addresses only".into(),
                },
                at: pending.at,
                account_id: pending.account_id,
                url: pending.url,
                event: pending.event,
            });
            continue;
        }
        let answer = http.post(&pending.url).json(&pending.event).send().await;
        let outcome = match answer {
            Ok(response) if response.status().is_success() => DeliveryOutcome::Delivered {
                status: response.status().as_u16(),
            },
            Ok(response) => DeliveryOutcome::Failed {
                status: Some(response.status().as_u16()),
                error: format!("the receiver answered {}", response.status()),
            },
            Err(error) => DeliveryOutcome::Failed {
                status: None,
                error: format!("no answer: {error}"),
            },
        };
        shared.finish(WebhookDelivery {
            at: pending.at,
            account_id: pending.account_id,
            url: pending.url,
            event: pending.event,
            outcome,
        });
    }
}

/// True for a URL on this machine (`127.0.0.1`, `::1`, `localhost`): the simulator never
/// posts anywhere else, so a test registering `https://koppel.example/…` reaches nothing.
fn is_local(url: &str) -> bool {
    match url::Url::parse(url)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// How many events `account_id` has recorded (before an API call: see [`deliver_since`]).
pub(crate) fn events_seen(state: &SimState, account_id: &str) -> usize {
    state
        .accounts
        .get(account_id)
        .map_or(0, |account| account.events.len())
}

/// Queue the deliveries of the events `account_id` recorded after the first `seen`.
pub(crate) fn deliver_since(
    deliveries: &Deliveries,
    state: &SimState,
    account_id: &str,
    seen: usize,
    now: DateTime<Utc>,
) {
    if let Some(account) = state.accounts.get(account_id) {
        for event in account.events.iter().skip(seen) {
            deliveries.queue_event(account, event, now);
        }
    }
}
