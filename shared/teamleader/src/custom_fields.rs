//! `customFieldDefinitions.*`: list and create. Koppel keeps the ledger's customer number in a
//! company custom field labelled "External ID" (Teamleader has no such built-in field).

use crate::TeamleaderClient;
use crate::common::{Created, Data, Page, is_empty};
use koppel_core::ExternalError;
use serde::{Deserialize, Serialize};

/// The label of the custom field Koppel creates for the external id.
pub const EXTERNAL_ID_LABEL: &str = "External ID";

/// Labels recognised as the external-id field (the one Koppel creates, and the names Teamleader
/// users give it in Dutch and French), compared case-insensitively.
pub const EXTERNAL_ID_LABELS: [&str; 4] = [
    EXTERNAL_ID_LABEL,
    "Externe ID",
    "ID externe",
    "Klantennummer boekhoudpakket",
];

/// The `filter` of customFieldDefinitions.list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CustomFieldFilter {
    /// Only these definitions.
    #[serde(skip_serializing_if = "is_empty")]
    pub ids: Vec<String>,
    /// Only this context ("company", "contact", "invoice", …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

/// The body of customFieldDefinitions.list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomFieldListRequest {
    /// Filters; omitted when empty.
    #[serde(skip_serializing_if = "CustomFieldFilter::is_unset")]
    pub filter: CustomFieldFilter,
    /// Page.
    pub page: Page,
}

impl CustomFieldFilter {
    fn is_unset(&self) -> bool {
        self.ids.is_empty() && self.context.is_none()
    }
}

/// A custom field definition as customFieldDefinitions.list returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CustomFieldDefinition {
    /// Id.
    pub id: String,
    /// "company", "contact", "invoice", …
    pub context: String,
    /// "single_line", "number", …
    #[serde(rename = "type")]
    pub kind: String,
    /// Label shown to users.
    #[serde(default)]
    pub label: String,
}

impl CustomFieldDefinition {
    /// True when this is the external-id field of the given context.
    pub fn is_external_id(&self, context: &str) -> bool {
        self.context == context
            && EXTERNAL_ID_LABELS
                .iter()
                .any(|label| self.label.trim().eq_ignore_ascii_case(label))
    }
}

/// The body of customFieldDefinitions.create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreateCustomFieldRequest {
    /// Label.
    pub label: String,
    /// Field type, e.g. "single_line".
    #[serde(rename = "type")]
    pub kind: String,
    /// Context, e.g. "company".
    pub context: String,
}

impl CreateCustomFieldRequest {
    /// The single-line "External ID" field on companies.
    pub fn external_id_on_companies() -> Self {
        Self::external_id_on("company")
    }

    /// The single-line "External ID" field on contacts.
    pub fn external_id_on_contacts() -> Self {
        Self::external_id_on("contact")
    }

    fn external_id_on(context: &str) -> Self {
        Self {
            label: EXTERNAL_ID_LABEL.to_owned(),
            kind: "single_line".to_owned(),
            context: context.to_owned(),
        }
    }
}

/// Endpoints of the custom-field-definitions resource (`client.custom_fields()`).
#[derive(Debug, Clone, Copy)]
pub struct CustomFieldsApi<'a> {
    pub(crate) client: &'a TeamleaderClient,
}

impl CustomFieldsApi<'_> {
    /// customFieldDefinitions.list: one page.
    pub async fn list(
        &self,
        request: &CustomFieldListRequest,
    ) -> Result<Vec<CustomFieldDefinition>, ExternalError> {
        let list: Data<Vec<CustomFieldDefinition>> = self
            .client
            .call("customFieldDefinitions.list", request)
            .await?;
        Ok(list.data)
    }

    /// customFieldDefinitions.list: every page, until a short page.
    pub async fn list_all(
        &self,
        filter: CustomFieldFilter,
    ) -> Result<Vec<CustomFieldDefinition>, ExternalError> {
        let mut request = CustomFieldListRequest {
            filter,
            page: Page::new(1, Page::MAX_SIZE),
        };
        let mut all = Vec::new();
        loop {
            let page = self.list(&request).await?;
            let short = page.len() < request.page.size as usize;
            all.extend(page);
            if short {
                return Ok(all);
            }
            request.page.number += 1;
        }
    }

    /// customFieldDefinitions.create: returns the new id.
    pub async fn create(
        &self,
        request: &CreateCustomFieldRequest,
    ) -> Result<String, ExternalError> {
        let created: Data<Created> = self
            .client
            .call("customFieldDefinitions.create", request)
            .await?;
        Ok(created.data.id)
    }
}
