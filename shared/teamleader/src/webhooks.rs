//! `webhooks.*`: register and list. Webhooks are keyed by URL and event types (no id).

use crate::TeamleaderClient;
use crate::common::Data;
use koppel_core::ExternalError;
use serde::{Deserialize, Serialize};

/// The body of webhooks.register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisterWebhookRequest {
    /// Where Teamleader posts events.
    pub url: String,
    /// Event types, e.g. "invoice.booked".
    pub types: Vec<String>,
}

/// A webhook as webhooks.list returns it.
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
    /// webhooks.register.
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
}
