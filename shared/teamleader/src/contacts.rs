//! `contacts.*`: info and list (by ids, for batching customer look-ups).

use crate::TeamleaderClient;
use crate::common::{
    CustomFieldValue, Data, Email, IdRequest, Page, TypedAddress, WireAddress, is_empty,
};
use chrono::{DateTime, Utc};
use koppel_core::ExternalError;
use serde::{Deserialize, Serialize};

/// The `filter` of contacts.list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ContactFilter {
    /// Only these contacts (at most 100 per call).
    #[serde(skip_serializing_if = "is_empty")]
    pub ids: Vec<String>,
    /// Only contacts linked to this company.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_id: Option<String>,
    /// Free-text search.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub term: Option<String>,
    /// Only contacts changed since (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_since: Option<String>,
}

/// The body of contacts.list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactListRequest {
    /// Filters.
    pub filter: ContactFilter,
    /// Page.
    pub page: Page,
    /// Optional includes, e.g. "custom_fields".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub includes: Option<String>,
}

impl ContactListRequest {
    /// A request for one page with custom fields included.
    pub fn new(filter: ContactFilter, page: Page) -> Self {
        Self {
            filter,
            page,
            includes: Some("custom_fields".to_owned()),
        }
    }
}

/// A contact as contacts.list and contacts.info return it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Contact {
    /// Id.
    pub id: String,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// VAT number (contacts.info only).
    #[serde(default)]
    pub vat_number: Option<String>,
    /// E-mail addresses.
    #[serde(default)]
    pub emails: Vec<Email>,
    /// The primary address (contacts.list).
    #[serde(default)]
    pub primary_address: Option<WireAddress>,
    /// All addresses (contacts.info).
    #[serde(default)]
    pub addresses: Vec<TypedAddress>,
    /// National identification number.
    #[serde(default)]
    pub national_identification_number: Option<String>,
    /// Language code.
    #[serde(default)]
    pub language: Option<String>,
    /// Custom field values.
    #[serde(default)]
    pub custom_fields: Vec<CustomFieldValue>,
    /// Last change.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

impl Contact {
    /// "First Last", or whichever part exists.
    pub fn full_name(&self) -> String {
        [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Endpoints of the contacts resource (`client.contacts()`).
#[derive(Debug, Clone, Copy)]
pub struct ContactsApi<'a> {
    pub(crate) client: &'a TeamleaderClient,
}

impl ContactsApi<'_> {
    /// contacts.list: one page.
    pub async fn list(&self, request: &ContactListRequest) -> Result<Vec<Contact>, ExternalError> {
        let page: Data<Vec<Contact>> = self.client.call("contacts.list", request).await?;
        Ok(page.data)
    }

    /// contacts.info.
    pub async fn info(&self, id: &str) -> Result<Contact, ExternalError> {
        let contact: Data<Contact> = self
            .client
            .call("contacts.info", &IdRequest { id: id.to_owned() })
            .await?;
        Ok(contact.data)
    }
}
