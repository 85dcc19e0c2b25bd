//! Wire types shared by several Teamleader resources: references, money, paging, custom fields
//! and the `{data: …}` envelope. Field names are exactly those of the official OpenAPI spec.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The `{ "data": … }` envelope every Teamleader answer with a body uses.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Data<T> {
    /// The payload.
    pub data: T,
}

/// A reference to another Teamleader object: `{ "type": "department", "id": "…" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeAndId {
    /// Object type ("department", "company", "contact", "taxRate", …).
    #[serde(rename = "type")]
    pub kind: String,
    /// The object's id (UUID).
    pub id: String,
}

/// The answer of a create call (`201 { data: { type, id } }`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Created {
    /// Id of the new object.
    pub id: String,
    /// Its type, when Teamleader says it.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

/// An amount of money as Teamleader sends it. Teamleader sends JSON numbers; they are read into
/// an exact [`Decimal`] through their shortest decimal form, never kept as a float.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Amount {
    /// The amount.
    pub amount: Decimal,
    /// ISO 4217 code; absent in a few places of the spec (e.g. credit-note unit prices).
    #[serde(default)]
    pub currency: Option<String>,
}

/// An amount Koppel sends (e.g. a payment): serialised as a JSON number, as the spec requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutgoingAmount {
    /// The amount, written as a JSON number.
    #[serde(with = "rust_decimal::serde::float")]
    pub amount: Decimal,
    /// ISO 4217 code.
    pub currency: String,
}

/// Paging parameters of list calls (1-based page number, size at most 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Page {
    /// Items per page (1–100).
    pub size: u32,
    /// 1-based page number.
    pub number: u32,
}

impl Page {
    /// The largest page Teamleader serves.
    pub const MAX_SIZE: u32 = 100;

    /// A page, with the size clamped to 1..=100.
    pub fn new(number: u32, size: u32) -> Self {
        Self {
            size: size.clamp(1, Self::MAX_SIZE),
            number: number.max(1),
        }
    }
}

/// Sort order of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

/// One sort key of a list call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sort {
    /// The field, one of the values the endpoint allows.
    pub field: String,
    /// The order; Teamleader's default when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<Order>,
}

/// The `{ "id": "…" }` body of `.info`, `.delete` and similar calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdRequest {
    /// The object's id.
    pub id: String,
}

/// A custom field value as Teamleader returns it on companies, contacts and invoices.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CustomFieldValue {
    /// The definition this value belongs to.
    pub definition: TypeAndId,
    /// The value: string, number, list of strings, boolean, reference, or null.
    #[serde(default)]
    pub value: serde_json::Value,
}

impl CustomFieldValue {
    /// The value as text when it is a non-empty string or a number.
    pub fn as_text(&self) -> Option<String> {
        match &self.value {
            serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

/// A custom field value Koppel writes (`custom_fields[]` of companies.add / companies.update).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomFieldInput {
    /// The definition id.
    pub id: String,
    /// The text value.
    pub value: String,
}

/// A phone number of a company or contact (`telephones[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Telephone {
    /// "phone", "mobile" (contacts only) or "fax".
    #[serde(rename = "type")]
    pub kind: String,
    /// The number as typed.
    pub number: String,
}

impl Telephone {
    /// A trimmed, non-empty number as a "phone" entry, none otherwise.
    pub fn phone(number: Option<&str>) -> Vec<Self> {
        number
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| Self {
                kind: "phone".to_owned(),
                number: n.to_owned(),
            })
            .into_iter()
            .collect()
    }
}

/// An e-mail address of a company or contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    /// "primary" or "invoicing".
    #[serde(rename = "type")]
    pub kind: String,
    /// The address.
    pub email: String,
}

/// A postal address as Teamleader returns it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct WireAddress {
    /// Street and number.
    #[serde(default)]
    pub line_1: Option<String>,
    /// Postal code.
    #[serde(default)]
    pub postal_code: Option<String>,
    /// City.
    #[serde(default)]
    pub city: Option<String>,
    /// ISO 3166 alpha-2 country.
    #[serde(default)]
    pub country: Option<String>,
    /// Addressee line.
    #[serde(default)]
    pub addressee: Option<String>,
}

/// A typed address (`{type, address}`) as in companies.info and contacts.info.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TypedAddress {
    /// "primary", "invoicing", "delivery" or "visiting".
    #[serde(rename = "type")]
    pub kind: String,
    /// The address.
    pub address: WireAddress,
}

/// A payment term (`{type, days}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PaymentTerm {
    /// "cash", "end_of_month" or "after_invoice_date".
    #[serde(rename = "type")]
    pub kind: String,
    /// Number of days, absent for cash.
    #[serde(default)]
    pub days: Option<u32>,
}

/// `skip_serializing_if` helper for empty vectors.
pub(crate) fn is_empty<T>(v: &[T]) -> bool {
    v.is_empty()
}
