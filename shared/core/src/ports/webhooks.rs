//! Teamleader's webhooks of one connection, as onboarding needs them: what is registered,
//! register, unregister. Teamleader keys a webhook by its URL and event types (no id).

use crate::ExternalError;
use async_trait::async_trait;

/// One registered webhook: where Teamleader posts, and for which event types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredWebhook {
    /// The URL events are posted to.
    pub url: String,
    /// Event types, e.g. `invoice.booked`.
    pub types: Vec<String>,
}

/// The webhooks of the Teamleader account behind one connection (role-sized: what the page
/// needs to switch near-real-time export on and off).
#[async_trait]
pub trait TeamleaderWebhooks: Send + Sync {
    /// Every webhook registered by this integration in the account (`webhooks.list`).
    async fn registered(&self) -> Result<Vec<RegisteredWebhook>, ExternalError>;
    /// Ask Teamleader to post events of `types` to `url` (`webhooks.register`).
    async fn register(&self, url: &str, types: &[&str]) -> Result<(), ExternalError>;
    /// Stop the webhook with exactly this URL and these types (`webhooks.unregister`).
    async fn unregister(&self, url: &str, types: &[&str]) -> Result<(), ExternalError>;
}
