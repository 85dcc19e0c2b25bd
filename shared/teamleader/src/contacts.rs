//! `contacts.*`: info and list (by ids, for batching customer look-ups; all of them, for the
//! company import), add and update (private customers the import brings).

use crate::TeamleaderClient;
use crate::common::{
    Created, CustomFieldInput, CustomFieldValue, Data, Email, IdRequest, Page, Telephone,
    TypedAddress, WireAddress, is_empty,
};
use crate::companies::TypedAddressInput;
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

/// The body of contacts.add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddContactRequest {
    /// First name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name (required).
    pub last_name: String,
    /// E-mail addresses (Teamleader takes "primary" ones here).
    #[serde(skip_serializing_if = "is_empty")]
    pub emails: Vec<Email>,
    /// Phone numbers.
    #[serde(skip_serializing_if = "is_empty")]
    pub telephones: Vec<Telephone>,
    /// Addresses.
    #[serde(skip_serializing_if = "is_empty")]
    pub addresses: Vec<TypedAddressInput>,
    /// Language code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Tags.
    #[serde(skip_serializing_if = "is_empty")]
    pub tags: Vec<String>,
    /// Custom field values.
    #[serde(skip_serializing_if = "is_empty")]
    pub custom_fields: Vec<CustomFieldInput>,
}

/// The body of contacts.update, as Koppel sends it: only custom field values (collections
/// sent would replace Teamleader's whole collection).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpdateContactRequest {
    /// Contact id.
    pub id: String,
    /// Custom field values to set.
    pub custom_fields: Vec<CustomFieldInput>,
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

    /// contacts.add, sent once (a lost answer is an unknown outcome, never a second
    /// contact): returns the new id.
    pub async fn add(&self, request: &AddContactRequest) -> Result<String, ExternalError> {
        let created: Data<Created> = self
            .client
            .call_once("contacts.add", request)
            .await?
            .json()?;
        Ok(created.data.id)
    }

    /// contacts.update.
    pub async fn update(&self, request: &UpdateContactRequest) -> Result<(), ExternalError> {
        self.client
            .call_no_content("contacts.update", request)
            .await
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
