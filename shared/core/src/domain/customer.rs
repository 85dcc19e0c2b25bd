//! Customers as Koppel moves them between Teamleader and a ledger.

use crate::vat::VatNumber;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Teamleader bills either a company or a contact (a person).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerKind {
    /// A company.
    Company,
    /// A contact (private person).
    Contact,
}

impl CustomerKind {
    /// Stable short name used in keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Company => "company",
            Self::Contact => "contact",
        }
    }
}

/// A reference to a Teamleader customer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CustomerRef {
    /// Company or contact.
    pub kind: CustomerKind,
    /// Teamleader id (UUID).
    pub id: String,
}

impl CustomerRef {
    /// A company reference.
    pub fn company(id: impl Into<String>) -> Self {
        Self {
            kind: CustomerKind::Company,
            id: id.into(),
        }
    }
    /// A contact reference.
    pub fn contact(id: impl Into<String>) -> Self {
        Self {
            kind: CustomerKind::Contact,
            id: id.into(),
        }
    }
    /// Stable key "company:<id>" for storage.
    pub fn key(&self) -> String {
        format!("{}:{}", self.kind.as_str(), self.id)
    }
}

impl fmt::Display for CustomerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.as_str(), self.id)
    }
}

/// A postal address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Street and number.
    pub line_1: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// City.
    pub city: Option<String>,
    /// ISO 3166 alpha-2 country code ("BE", "NL").
    pub country: Option<String>,
}

/// A customer with what a ledger needs to create or match it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// Where it lives in Teamleader.
    pub reference: CustomerRef,
    /// Name (company name, or "First Last" for a contact).
    pub name: String,
    /// VAT number, normalised when it could be parsed.
    pub vat_number: Option<VatNumber>,
    /// Belgian enterprise number (KBO/BCE, 10 digits), when known.
    pub enterprise_number: Option<String>,
    /// Addresses, the invoicing address first.
    pub addresses: Vec<Address>,
    /// E-mail addresses, the primary first.
    pub emails: Vec<String>,
    /// The ledger's customer number as kept in Teamleader ("external id" custom field).
    pub external_id: Option<String>,
    /// Preferred language ("nl", "fr", "en").
    pub language: Option<String>,
}

/// A company to create in Teamleader (company import, merge file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCompany {
    /// Company name.
    pub name: String,
    /// VAT number as Teamleader should store it.
    pub vat_number: Option<String>,
    /// Primary e-mail address.
    pub email: Option<String>,
    /// Phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// Invoicing address.
    pub address: Option<Address>,
    /// Tags to add (e.g. "<ledger> Import").
    pub tags: Vec<String>,
    /// The ledger's customer number, written to the external-id custom field.
    pub external_id: Option<String>,
}

/// A private person's name as a ledger keeps it: Teamleader contacts need a last name and
/// take a first name. A ledger with one name field gives it whole as `last_name` (Koppel
/// never guesses where a first name ends).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName {
    /// Given name, when the ledger keeps it apart.
    pub first_name: Option<String>,
    /// Family name (or the whole name).
    pub last_name: String,
}

impl PersonName {
    /// "First Last", or the last name alone.
    pub fn full(&self) -> String {
        match self.first_name.as_deref().map(str::trim) {
            Some(first) if !first.is_empty() => format!("{first} {}", self.last_name.trim()),
            _ => self.last_name.trim().to_owned(),
        }
    }
}

/// A contact (a private customer) to create in Teamleader (company import).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewContact {
    /// First and last name.
    pub name: PersonName,
    /// Primary e-mail address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Primary address.
    pub address: Option<Address>,
    /// Preferred language ("nl", "fr", "en").
    pub language: Option<String>,
    /// Tags to add (e.g. "<ledger> Import").
    pub tags: Vec<String>,
    /// The ledger's customer number, written to the contacts' external-id custom field.
    pub external_id: Option<String>,
}

/// A change to an existing Teamleader company; `None` fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyUpdate {
    /// New name.
    pub name: Option<String>,
    /// New VAT number.
    pub vat_number: Option<String>,
    /// New external id (ledger customer number).
    pub external_id: Option<String>,
}

/// How to look a company up in Teamleader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CompanyQuery {
    /// By VAT number (exact, normalised).
    VatNumber(String),
    /// By free-text term (name, e-mail, …) as Teamleader's `term` filter.
    Term(String),
    /// Every company, page by page.
    All,
    /// Companies carrying this tag (e.g. the ones Koppel's import created).
    Tagged(String),
}
