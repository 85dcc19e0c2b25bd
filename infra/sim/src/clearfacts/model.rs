//! What the simulated Clearfacts holds: users, administrations (with their journals and
//! customers), OAuth clients and the uploaded documents.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A document's payment state as `InvoiceDocument.paymentState` tells it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentState {
    /// Nothing paid (every new upload).
    #[default]
    Unpaid,
    /// Part of it paid.
    PartiallyPaid,
    /// Fully paid.
    Paid,
}

impl PaymentState {
    /// The GraphQL enum value: `UNPAID`, `PARTIALLY_PAID` or `PAID`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unpaid => "UNPAID",
            Self::PartiallyPaid => "PARTIALLY_PAID",
            Self::Paid => "PAID",
        }
    }

    /// The state named by a GraphQL enum value.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "UNPAID" => Some(Self::Unpaid),
            "PARTIALLY_PAID" => Some(Self::PartiallyPaid),
            "PAID" => Some(Self::Paid),
            _ => None,
        }
    }
}

/// The inbox a document was uploaded to (`InvoiceTypeArgument`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum InvoiceType {
    /// The sales inbox (what Koppel uses).
    Sale,
    /// The purchase inbox.
    Purchase,
}

impl InvoiceType {
    /// `SALE` or `PURCHASE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sale => "SALE",
            Self::Purchase => "PURCHASE",
        }
    }

    /// The type named by a GraphQL enum value.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "SALE" => Some(Self::Sale),
            "PURCHASE" => Some(Self::Purchase),
            _ => None,
        }
    }
}

/// What an uploaded file turned out to be, by its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// A PDF (`%PDF-`).
    Pdf,
    /// A JPEG (`FF D8 FF`).
    Jpeg,
    /// A UBL invoice or credit note (Peppol BIS 3, UBL.BE or E-FFF).
    Xml,
}

impl FileKind {
    /// The MIME type the file is served back with.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Jpeg => "image/jpeg",
            Self::Xml => "application/xml",
        }
    }
}

/// One of an administration's mail addresses (`type` `purchase` = the intake address).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    /// `purchase`, `sale`, `other`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// The address.
    #[serde(alias = "emailAddress")]
    pub email_address: String,
}

/// A country as the API names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Country {
    /// ISO 3166-1 alpha-2 code, e.g. `BE`.
    pub iso2: String,
    /// Name, e.g. "België".
    pub name: String,
}

/// An administration's address.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Address {
    /// Street and number.
    #[serde(default, alias = "streetAddress")]
    pub street_address: Option<String>,
    /// Country.
    #[serde(default)]
    pub country: Option<Country>,
}

/// A journal (daybook) of an administration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// Code, e.g. `CFVK`.
    pub id: String,
    /// Name, e.g. "ClearFacts Verkopen".
    pub name: String,
    /// Whether it holds credit notes.
    #[serde(default, alias = "creditNote")]
    pub credit_note: bool,
}

/// A customer of an administration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// Its id in Clearfacts.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// A company an accountant keeps the books of ("administration").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Administration {
    /// Belgian enterprise number, 10 digits without `BE` (`0123123123`).
    #[serde(alias = "companyNumber")]
    pub company_number: String,
    /// Name.
    pub name: String,
    /// The accountant in charge.
    #[serde(default, alias = "accountManager")]
    pub account_manager: Option<String>,
    /// Its mail addresses.
    #[serde(default)]
    pub emails: Vec<Email>,
    /// Its address.
    #[serde(default)]
    pub address: Address,
    /// Its journals.
    #[serde(default)]
    pub journals: Vec<Journal>,
    /// Its customers.
    #[serde(default)]
    pub customers: Vec<Customer>,
}

/// A person who signs in to Clearfacts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// `sub` in userinfo and in tokens.
    pub id: String,
    /// Sign-in name.
    pub username: String,
    /// Mail address.
    pub email: String,
    /// Password for the sign-in.
    pub password: String,
    /// Company numbers of the administrations this user may see.
    pub administrations: BTreeSet<String>,
}

/// An application registered for OIDC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthClient {
    /// Client id.
    pub client_id: String,
    /// Client secret.
    pub secret: String,
    /// Redirect URIs it may use. `*` accepts any absolute URL; a loopback URI
    /// (`http://127.0.0.1/…`, `http://localhost/…`) accepts any port on the same path.
    pub redirect_uris: Vec<String>,
}

/// One uploaded file (a "document" of the administration), as the admin listing shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    /// The upper-case GUID `uploadFile` answered.
    pub uuid: String,
    /// The administration it went to.
    pub company_number: String,
    /// `filename` as sent.
    pub file_name: String,
    /// The inbox (`invoicetype`).
    pub invoice_type: InvoiceType,
    /// What the content is.
    pub kind: FileKind,
    /// The XML root's local name (`Invoice` / `CreditNote`), for XML.
    pub xml_root: Option<String>,
    /// The XML's `cbc:ID` (the document number), for XML.
    pub xml_id: Option<String>,
    /// The XML's `cbc:CustomizationID`, for XML.
    pub customization_id: Option<String>,
    /// The XML's `cbc:IssueDate` (the document's `date`), for XML.
    pub issue_date: Option<NaiveDate>,
    /// Size in bytes.
    pub size: usize,
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
    /// `amountOfPages` as answered.
    pub amount_of_pages: u32,
    /// When it arrived (sim clock).
    pub uploaded_at: DateTime<Utc>,
    /// The user whose token uploaded it.
    pub uploaded_by: String,
    /// The OAuth client of that token (`None` for a personal access token).
    pub client_id: Option<String>,
    /// The optional `comment` argument.
    pub comment: Option<String>,
    /// Its payment state.
    pub payment_state: PaymentState,
    /// Stored, but the answer was lost by an injected fault.
    pub answer_lost: bool,
}
