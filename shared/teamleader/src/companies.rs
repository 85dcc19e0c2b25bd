//! `companies.*`: list, info, add, update, delete and tag.

use crate::TeamleaderClient;
use crate::common::{
    Created, CustomFieldInput, CustomFieldValue, Data, Email, IdRequest, Page, PaymentTerm, Sort,
    Telephone, TypedAddress, WireAddress, is_empty,
};
use chrono::{DateTime, Utc};
use koppel_core::ExternalError;
use serde::{Deserialize, Serialize};

/// The `filter` of companies.list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CompanyFilter {
    /// Only these companies (at most 100 per call).
    #[serde(skip_serializing_if = "is_empty")]
    pub ids: Vec<String>,
    /// Free-text search (name, e-mail, VAT, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub term: Option<String>,
    /// Only companies changed since (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_since: Option<String>,
    /// Only companies carrying all these tags.
    #[serde(skip_serializing_if = "is_empty")]
    pub tags: Vec<String>,
    /// The VAT number, matched as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_number: Option<String>,
    /// "active" or "deactivated".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// The body of companies.list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompanyListRequest {
    /// Filters.
    pub filter: CompanyFilter,
    /// Page.
    pub page: Page,
    /// Sort keys (`name`, `added_at`, `updated_at`).
    #[serde(skip_serializing_if = "is_empty")]
    pub sort: Vec<Sort>,
    /// Optional includes, e.g. "custom_fields".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub includes: Option<String>,
}

impl CompanyListRequest {
    /// A request for one page with custom fields included (the external id lives there).
    pub fn new(filter: CompanyFilter, page: Page) -> Self {
        Self {
            filter,
            page,
            sort: Vec::new(),
            includes: Some("custom_fields".to_owned()),
        }
    }
}

/// A company as companies.list and companies.info return it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Company {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// "active" or "deactivated".
    #[serde(default)]
    pub status: Option<String>,
    /// VAT number as typed in Teamleader.
    #[serde(default)]
    pub vat_number: Option<String>,
    /// National (enterprise) number.
    #[serde(default)]
    pub national_identification_number: Option<String>,
    /// E-mail addresses.
    #[serde(default)]
    pub emails: Vec<Email>,
    /// The primary address (companies.list).
    #[serde(default)]
    pub primary_address: Option<WireAddress>,
    /// All addresses (companies.info).
    #[serde(default)]
    pub addresses: Vec<TypedAddress>,
    /// Language code.
    #[serde(default)]
    pub language: Option<String>,
    /// Payment term.
    #[serde(default)]
    pub payment_term: Option<PaymentTerm>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Custom field values (with `includes=custom_fields` on list).
    #[serde(default)]
    pub custom_fields: Vec<CustomFieldValue>,
    /// Last change.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

/// An address Koppel writes: the spec requires all four keys (values may be null).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddressInput {
    /// Street and number.
    pub line_1: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// City.
    pub city: Option<String>,
    /// ISO 3166 alpha-2 country (required, not nullable).
    pub country: String,
}

/// A typed address Koppel writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TypedAddressInput {
    /// "primary", "invoicing", "delivery" or "visiting".
    #[serde(rename = "type")]
    pub kind: String,
    /// The address.
    pub address: AddressInput,
}

/// The body of companies.add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddCompanyRequest {
    /// Name (required).
    pub name: String,
    /// VAT number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_number: Option<String>,
    /// E-mail addresses.
    #[serde(skip_serializing_if = "is_empty")]
    pub emails: Vec<Email>,
    /// Phone numbers.
    #[serde(skip_serializing_if = "is_empty")]
    pub telephones: Vec<Telephone>,
    /// Addresses.
    #[serde(skip_serializing_if = "is_empty")]
    pub addresses: Vec<TypedAddressInput>,
    /// Tags.
    #[serde(skip_serializing_if = "is_empty")]
    pub tags: Vec<String>,
    /// Custom field values.
    #[serde(skip_serializing_if = "is_empty")]
    pub custom_fields: Vec<CustomFieldInput>,
}

/// The body of companies.update. Collections sent replace Teamleader's whole collection, so
/// Koppel only ever sends what it means to replace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UpdateCompanyRequest {
    /// Company id.
    pub id: String,
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New VAT number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_number: Option<String>,
    /// Custom field values to set.
    #[serde(skip_serializing_if = "is_empty")]
    pub custom_fields: Vec<CustomFieldInput>,
}

/// The body of companies.tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagCompanyRequest {
    /// Company id.
    pub id: String,
    /// Tags to add.
    pub tags: Vec<String>,
}

/// Endpoints of the companies resource (`client.companies()`).
#[derive(Debug, Clone, Copy)]
pub struct CompaniesApi<'a> {
    pub(crate) client: &'a TeamleaderClient,
}

impl CompaniesApi<'_> {
    /// companies.list: one page.
    pub async fn list(&self, request: &CompanyListRequest) -> Result<Vec<Company>, ExternalError> {
        let page: Data<Vec<Company>> = self.client.call("companies.list", request).await?;
        Ok(page.data)
    }

    /// companies.info.
    pub async fn info(&self, id: &str) -> Result<Company, ExternalError> {
        let company: Data<Company> = self
            .client
            .call("companies.info", &IdRequest { id: id.to_owned() })
            .await?;
        Ok(company.data)
    }

    /// companies.add, sent once (a lost answer is an unknown outcome, never a second
    /// company): returns the new id.
    pub async fn add(&self, request: &AddCompanyRequest) -> Result<String, ExternalError> {
        let created: Data<Created> = self
            .client
            .call_once("companies.add", request)
            .await?
            .json()?;
        Ok(created.data.id)
    }

    /// companies.update.
    pub async fn update(&self, request: &UpdateCompanyRequest) -> Result<(), ExternalError> {
        self.client
            .call_no_content("companies.update", request)
            .await
    }

    /// companies.delete.
    pub async fn delete(&self, id: &str) -> Result<(), ExternalError> {
        self.client
            .call_no_content("companies.delete", &IdRequest { id: id.to_owned() })
            .await
    }

    /// companies.tag: adds tags (existing tags stay).
    pub async fn tag(&self, request: &TagCompanyRequest) -> Result<(), ExternalError> {
        self.client.call_no_content("companies.tag", request).await
    }
}
