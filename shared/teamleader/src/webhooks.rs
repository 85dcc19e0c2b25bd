//! `webhooks.*`: register, list and unregister. Teamleader keys a webhook by its URL and event
//! types (no id): unregistering names both, and registering the same pair again is harmless.
//! [`TeamleaderClient`] implements the core's [`TeamleaderWebhooks`] port with these.

use crate::TeamleaderClient;
use crate::common::Data;
use async_trait::async_trait;
use koppel_core::{ExternalError, RegisteredWebhook, TeamleaderWebhooks};
use serde::{Deserialize, Serialize};

/// The body of webhooks.register and webhooks.unregister (the spec's `WebHook`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisterWebhookRequest {
    /// Where Teamleader posts events.
    pub url: String,
    /// Event types, e.g. "invoice.booked".
    pub types: Vec<String>,
}

impl RegisterWebhookRequest {
    /// The body for `url` and `types`.
    pub fn new(url: &str, types: &[&str]) -> Self {
        Self {
            url: url.to_owned(),
            types: types.iter().map(|t| (*t).to_owned()).collect(),
        }
    }
}

/// A webhook as webhooks.list returns it (ordered by URL).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Webhook {
    /// Where Teamleader posts events.
    pub url: String,
    /// Event types.
    #[serde(default)]
    pub types: Vec<String>,
}

/// Endpoints of the webhooks resource (`client.webhooks()`).
#[derive(Debug, Clone, Copy)]
pub struct WebhooksApi<'a> {
    pub(crate) client: &'a TeamleaderClient,
}

impl WebhooksApi<'_> {
    /// webhooks.register (204).
    pub async fn register(&self, request: &RegisterWebhookRequest) -> Result<(), ExternalError> {
        self.client
            .call_no_content("webhooks.register", request)
            .await
    }

    /// webhooks.list (no request body).
    pub async fn list(&self) -> Result<Vec<Webhook>, ExternalError> {
        let list: Data<Vec<Webhook>> = self.client.call_without_body("webhooks.list").await?;
        Ok(list.data)
    }

    /// webhooks.unregister (204): the webhook with exactly this URL and these types.
    pub async fn unregister(&self, request: &RegisterWebhookRequest) -> Result<(), ExternalError> {
        self.client
            .call_no_content("webhooks.unregister", request)
            .await
    }
}

#[async_trait]
impl TeamleaderWebhooks for TeamleaderClient {
    async fn registered(&self) -> Result<Vec<RegisteredWebhook>, ExternalError> {
        Ok(self
            .webhooks()
            .list()
            .await?
            .into_iter()
            .map(|hook| RegisteredWebhook {
                url: hook.url,
                types: hook.types,
            })
            .collect())
    }

    async fn register(&self, url: &str, types: &[&str]) -> Result<(), ExternalError> {
        self.webhooks()
            .register(&RegisterWebhookRequest::new(url, types))
            .await
    }

    async fn unregister(&self, url: &str, types: &[&str]) -> Result<(), ExternalError> {
        self.webhooks()
            .unregister(&RegisterWebhookRequest::new(url, types))
            .await
    }
}
