//! Octopus's JSON, as the REST webservice writes and reads it (field names from the swagger
//! as public clients use them: see `shared/reference/octopus.md`, sections 2–3).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// `{"id": n}` — how Octopus wraps every key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    /// The id.
    pub id: i64,
}

/// Answer of `POST /authentication`.
#[derive(Debug, Clone, Deserialize)]
pub struct UserToken {
    /// Valid ten minutes.
    pub token: String,
}

/// Answer of `POST /dossiers?dossierId=` (capital D, lower t; some dossiers spell it
/// lower-case).
#[derive(Debug, Clone, Deserialize)]
pub struct DossierToken {
    /// Valid ten minutes, for this dossier only.
    #[serde(
        rename = "Dossiertoken",
        alias = "dossiertoken",
        alias = "dossierToken"
    )]
    pub token: String,
}

/// One dossier of `GET /dossiers`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dossier {
    /// Its key.
    pub dossier_key: Key,
    /// Its name.
    #[serde(default)]
    pub dossier_description: String,
}

/// One period of a book year (`YYYYMM` for monthly dossiers).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BookyearPeriod {
    /// Period number as bookings carry it.
    pub bookyear_period: i64,
    /// First day.
    pub start_date: String,
    /// Last day.
    pub end_date: String,
}

/// One book year of `GET /bookyears`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bookyear {
    /// Its key.
    pub bookyear_key: Key,
    /// Its name ("2026").
    #[serde(default)]
    pub bookyear_description: String,
    /// First day.
    pub start_date: String,
    /// Last day.
    pub end_date: String,
    /// Closed book years take no bookings.
    #[serde(default)]
    pub closed: bool,
    /// Its periods.
    #[serde(default)]
    pub periods: Vec<BookyearPeriod>,
}

/// One journal of `GET /bookyears/{id}/journals`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Journal {
    /// Code ("V1").
    pub journal_key: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Closed journals take no bookings.
    #[serde(default)]
    pub closed: bool,
    /// Closed up to and including this period (0: none).
    #[serde(default)]
    pub closed_period: i64,
    /// Protected up to and including this period (0: none).
    #[serde(default)]
    pub protected_period: i64,
    /// "Invoer type": see [`super::mapping::InsertionType`].
    #[serde(default)]
    pub insertion_type: i64,
    /// The highest document number booked in it.
    #[serde(default)]
    pub last_booked_document_nr: i64,
}

/// Localised account names.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AccountDescription {
    /// Dutch.
    #[serde(rename = "description_NL", default)]
    pub nl: Option<String>,
    /// French.
    #[serde(rename = "description_FR", default)]
    pub fr: Option<String>,
    /// English.
    #[serde(rename = "description_EN", default)]
    pub en: Option<String>,
}

/// An account's key: its number within a book year.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountKey {
    /// Account number (700000).
    pub id: i64,
}

/// One account of `GET /accounts?bookyearId=`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// Its key.
    pub account_key: AccountKey,
    /// Its names.
    #[serde(default)]
    pub description: AccountDescription,
}

/// One VAT code of `GET /vatcodes`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VatCode {
    /// Code ("21", "D21").
    pub code: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// 1 sales, 2 purchase (others exist).
    #[serde(default, rename = "type")]
    pub kind: i64,
    /// Percentage.
    #[serde(default)]
    pub base_percentage: Decimal,
}

/// How a booking names its relation: Octopus's key, or the external (integer) id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelationIdentification {
    /// Octopus's relation key (0 when unknown).
    pub relation_key: Key,
    /// The external program's integer id (0 when none).
    #[serde(default)]
    pub external_relation_id: i64,
}

/// A relation (customer or supplier), as `GET /relations` answers and `PUT /relations`
/// takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Relation {
    /// Keys.
    pub relation_identification_service_data: RelationIdentification,
    /// Name.
    pub name: String,
    /// A customer.
    #[serde(default)]
    pub client: bool,
    /// A supplier.
    #[serde(default)]
    pub supplier: bool,
    /// Active.
    #[serde(default = "yes")]
    pub active: bool,
    /// Street and number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_and_nr: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// ISO country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    /// VAT number ("BE0403170701").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_nr: Option<String>,
    /// VAT status (1 Belgian VAT-liable, 4 intra-EU, 6 outside the EU, 7 private BE, 8
    /// private EU, 9 private non-EU, 10 not liable, 0 unknown).
    #[serde(default)]
    pub vat_type: i64,
    /// E-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// First name, for a private person (`name` is then the family name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telephone: Option<String>,
}

impl Relation {
    /// Octopus' VAT types of private persons: 7 private BE, 8 private EU, 9 private outside
    /// the EU.
    pub const PRIVATE_VAT_TYPES: [i64; 3] = [7, 8, 9];

    /// True for a private person (its VAT type says so).
    pub fn is_private(&self) -> bool {
        Self::PRIVATE_VAT_TYPES.contains(&self.vat_type)
    }
}

fn yes() -> bool {
    true
}

/// Answer of `PUT /relations` when it created one (201).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedRelation {
    /// The new relation's key.
    pub relation_key: Key,
}

/// One line of a buy/sell booking: amounts positive, also on credit notes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BookingLine {
    /// Account number.
    pub account_key: i64,
    /// Net amount.
    pub base_amount: Decimal,
    /// VAT code.
    pub vat_code_key: String,
    /// VAT amount.
    pub vat_amount: Decimal,
    /// Description.
    #[serde(default)]
    pub comment: String,
}

/// A buy/sell booking: what `POST /buysellbookings` takes inside `buySellBookingServiceData`
/// and what the reads answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Booking {
    /// Book year.
    pub bookyear_key: Key,
    /// Journal.
    pub journal_key: String,
    /// Document number in the journal, chosen by the caller.
    pub document_sequence_nr: i64,
    /// Customer.
    pub relation_identification_service_data: RelationIdentification,
    /// Period number from the book year's periods.
    pub bookyear_periode_nr: i64,
    /// Document date.
    pub document_date: String,
    /// Due date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_date: Option<String>,
    /// Description.
    #[serde(default)]
    pub comment: String,
    /// Koppel's key: the Teamleader number (found again by it).
    #[serde(default)]
    pub order_reference: String,
    /// Structured payment reference (OGM).
    #[serde(default)]
    pub reference: String,
    /// Total including VAT: positive for an invoice, negative for a credit note.
    pub amount: Decimal,
    /// Currency.
    #[serde(default = "euro")]
    pub currency_code: String,
    /// 0 unknown, 4 direct debit.
    #[serde(default)]
    pub payment_method: i64,
    /// Lines.
    #[serde(default)]
    pub booking_lines: Vec<BookingLine>,
}

fn euro() -> String {
    "EUR".to_owned()
}

/// A file sent with a booking.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// File name.
    pub file_name: String,
    /// Base64 content.
    pub file_data: String,
}

/// Body of `POST /buysellbookings`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewBooking {
    /// The booking.
    pub buy_sell_booking_service_data: Booking,
    /// Its files.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// Body of `POST /reports/clients/open`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenItemsQuery {
    /// First book year.
    pub from_bookyear_key: Key,
    /// Last book year.
    pub to_bookyear_key: Key,
}

/// One open item of the customers' open-items report (shape unconfirmed by the reference:
/// see the module doc of `ledger.rs`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenItem {
    /// Book year.
    pub bookyear_key: Key,
    /// Journal.
    pub journal_key: String,
    /// Document number.
    pub document_sequence_nr: i64,
    /// Amount still open, with the booking's sign.
    pub open_amount: Decimal,
}

/// Octopus's error body.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// Octopus's code (-79 "Empty access token", …).
    #[serde(default)]
    pub error_code: Option<i64>,
    /// Its words.
    #[serde(default)]
    pub error_message: Option<String>,
    /// Detail for developers.
    #[serde(default)]
    pub technical_info: Option<String>,
}
