//! The dossier and everything in it: bookyears with periods, journals and accounts, VAT codes,
//! relations, bookings and the users who may open it.
//!
//! Seeding types (dossier, bookyear, journal, account, VAT code) serialize in snake_case for
//! the admin API; relations and bookings keep Octopus' own camelCase wire shape, because that
//! is what is posted and read back.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// `{"id": N}`: how Octopus wraps every numeric key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Key {
    /// The key's value.
    pub id: i64,
}

/// A user name and password that may open some dossiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// The Octopus user name (an e-mail address).
    pub user: String,
    /// The password.
    pub password: String,
}

/// An Octopus dossier (one company's books).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dossier {
    /// `dossierKey.id`.
    pub id: i64,
    /// `dossierDescription`.
    pub description: String,
    /// The company's VAT number.
    #[serde(default)]
    pub vat_nr: Option<String>,
    /// Users who may open this dossier (registered on [`super::SimControl::add_dossier`]).
    #[serde(default)]
    pub users: Vec<Credentials>,
    /// Bookyears, each with its periods, journals and accounts.
    #[serde(default)]
    pub bookyears: Vec<Bookyear>,
    /// VAT codes (dossier-wide).
    #[serde(default)]
    pub vat_codes: Vec<VatCode>,
    /// Relations (clients and suppliers).
    #[serde(default)]
    pub relations: Vec<Relation>,
    /// Stored buy/sell bookings.
    #[serde(default)]
    pub bookings: Vec<Booking>,
    /// Journals locked by a user: journal key → user name ("in use by another user").
    #[serde(default)]
    pub locked_journals: BTreeMap<String, String>,
}

impl Dossier {
    /// A bookyear by id.
    pub fn bookyear(&self, id: i64) -> Option<&Bookyear> {
        self.bookyears.iter().find(|b| b.id == id)
    }

    /// A bookyear by id, mutable.
    pub fn bookyear_mut(&mut self, id: i64) -> Option<&mut Bookyear> {
        self.bookyears.iter_mut().find(|b| b.id == id)
    }

    /// The next free relation id (one above the highest).
    pub fn next_relation_id(&self) -> i64 {
        self.relations
            .iter()
            .map(Relation::id)
            .max()
            .unwrap_or(0)
            .max(0)
            + 1
    }
}

/// A bookyear with its periods, journals and accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bookyear {
    /// `bookyearKey.id`.
    pub id: i64,
    /// `bookyearDescription`, e.g. "2026".
    pub description: String,
    /// First day.
    pub start_date: NaiveDate,
    /// Last day.
    pub end_date: NaiveDate,
    /// The whole bookyear is closed.
    #[serde(default)]
    pub closed: bool,
    /// Its periods (monthly: numbered YYYYMM).
    pub periods: Vec<Period>,
    /// Periods closed by the accountant (admin), beside the journals' closed/protected periods.
    #[serde(default)]
    pub closed_periods: BTreeSet<i32>,
    /// Journals of this bookyear.
    #[serde(default)]
    pub journals: Vec<Journal>,
    /// General-ledger accounts of this bookyear.
    #[serde(default)]
    pub accounts: Vec<Account>,
}

impl Bookyear {
    /// A calendar-year bookyear with twelve monthly periods numbered YYYYMM.
    pub fn calendar_year(id: i64, year: i32) -> Self {
        let periods = (1..=12)
            .filter_map(|month| {
                let start = NaiveDate::from_ymd_opt(year, month, 1)?;
                let next = if month == 12 {
                    NaiveDate::from_ymd_opt(year + 1, 1, 1)?
                } else {
                    NaiveDate::from_ymd_opt(year, month + 1, 1)?
                };
                Some(Period {
                    number: year * 100 + month as i32,
                    start_date: start,
                    end_date: next.pred_opt()?,
                })
            })
            .collect::<Vec<_>>();
        let start_date = periods.first().map_or(NaiveDate::MIN, |p| p.start_date);
        let end_date = periods.last().map_or(NaiveDate::MIN, |p| p.end_date);
        Self {
            id,
            description: year.to_string(),
            start_date,
            end_date,
            closed: false,
            periods,
            closed_periods: BTreeSet::new(),
            journals: Vec::new(),
            accounts: Vec::new(),
        }
    }

    /// The calendar year this bookyear starts in.
    pub fn year(&self) -> i32 {
        self.start_date.year()
    }

    /// A journal by key.
    pub fn journal(&self, key: &str) -> Option<&Journal> {
        self.journals.iter().find(|j| j.key == key)
    }

    /// A journal by key, mutable.
    pub fn journal_mut(&mut self, key: &str) -> Option<&mut Journal> {
        self.journals.iter_mut().find(|j| j.key == key)
    }

    /// A period by number.
    pub fn period(&self, number: i32) -> Option<&Period> {
        self.periods.iter().find(|p| p.number == number)
    }
}

/// A bookyear period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// `bookyearPeriod`, e.g. 202607.
    pub number: i32,
    /// First day.
    pub start_date: NaiveDate,
    /// Last day.
    pub end_date: NaiveDate,
}

/// Journal `insertionType` 1: purchase bookings.
pub const PURCHASE_BOOKINGS: i32 = 1;
/// Journal `insertionType` 2: sales bookings ("Verkoop Boekingen"), the only type Koppel posts to.
pub const SALES_BOOKINGS: i32 = 2;
/// Journal `insertionType` 3: financial.
pub const FINANCIAL: i32 = 3;
/// Journal `insertionType` 4: miscellaneous.
pub const MISCELLANEOUS: i32 = 4;
/// Journal `insertionType` 6: sales invoices (the Invoice module, "Facturen").
pub const INVOICES: i32 = 6;

/// A journal type in words, as the refusal names it.
pub fn insertion_type_name(kind: i32) -> String {
    match kind {
        PURCHASE_BOOKINGS => "Purchase bookings".to_owned(),
        SALES_BOOKINGS => "Sales bookings".to_owned(),
        FINANCIAL => "Financial".to_owned(),
        MISCELLANEOUS => "Miscellaneous".to_owned(),
        INVOICES => "Invoices".to_owned(),
        other => format!("type {other}"),
    }
}

/// A journal of one bookyear.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// `journalKey`, e.g. "V1".
    pub key: String,
    /// `name`.
    pub name: String,
    /// `insertionType` (see the constants, e.g. [`SALES_BOOKINGS`]).
    pub insertion_type: i32,
    /// The journal is closed.
    #[serde(default)]
    pub closed: bool,
    /// Closed up to and including this period (YYYYMM), 0 = none.
    #[serde(default)]
    pub closed_period: i32,
    /// Protected up to and including this period (YYYYMM), 0 = none.
    #[serde(default)]
    pub protected_period: i32,
    /// Highest document sequence number booked.
    #[serde(default)]
    pub last_booked_document_nr: i64,
    /// Currency.
    #[serde(default = "eur")]
    pub currency_code: String,
    /// False for a new journal not yet synchronised ("File > Synchronise"): invisible to the API.
    #[serde(default = "yes")]
    pub visible: bool,
}

fn eur() -> String {
    "EUR".to_owned()
}

fn yes() -> bool {
    true
}

impl Journal {
    /// A visible, open journal.
    pub fn new(key: &str, name: &str, insertion_type: i32) -> Self {
        Self {
            key: key.to_owned(),
            name: name.to_owned(),
            insertion_type,
            closed: false,
            closed_period: 0,
            protected_period: 0,
            last_booked_document_nr: 0,
            currency_code: eur(),
            visible: true,
        }
    }
}

/// A general-ledger account of one bookyear.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// `accountKey.id`, the account number.
    pub id: i64,
    /// Dutch description.
    pub description_nl: String,
    /// French description.
    #[serde(default)]
    pub description_fr: String,
    /// English description.
    #[serde(default)]
    pub description_en: String,
    /// Default sales VAT code.
    #[serde(default)]
    pub sales_vat_code: Option<String>,
    /// Default purchase VAT code.
    #[serde(default)]
    pub purchase_vat_code: Option<String>,
    /// Deductible VAT percentage.
    #[serde(default = "hundred")]
    pub vat_recup_percentage: Decimal,
}

fn hundred() -> Decimal {
    Decimal::ONE_HUNDRED
}

/// VAT code `type` 1: sales.
pub const VAT_SALES: i32 = 1;
/// VAT code `type` 2: purchases.
pub const VAT_PURCHASE: i32 = 2;

/// A VAT code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VatCode {
    /// `code`, e.g. "21" or "D21".
    pub code: String,
    /// `description`.
    pub description: String,
    /// `type` ([`VAT_SALES`] or [`VAT_PURCHASE`]).
    pub kind: i32,
    /// `basePercentage`.
    pub base_percentage: Decimal,
    /// `defaultSellBookingAccountNr`.
    #[serde(default)]
    pub default_sell_booking_account_nr: Option<i64>,
}

/// `relationIdentificationServiceData`: how a relation is identified.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelationIdentification {
    /// Octopus' own relation id (0 = not known).
    #[serde(default)]
    pub relation_key: Key,
    /// The caller's own integer id ("Extern Relatie Nr"), 0 = none.
    #[serde(default)]
    pub external_relation_id: i64,
}

/// A relation (client and/or supplier) in Octopus' wire shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Relation {
    /// Ids.
    #[serde(default)]
    pub relation_identification_service_data: RelationIdentification,
    /// Name (required, non-empty).
    pub name: String,
    /// First name (persons).
    #[serde(default)]
    pub first_name: String,
    /// A client.
    #[serde(default)]
    pub client: bool,
    /// A supplier.
    #[serde(default)]
    pub supplier: bool,
    /// Active.
    #[serde(default = "yes")]
    pub active: bool,
    /// Street and number.
    #[serde(default)]
    pub street_and_nr: String,
    /// Postal code.
    #[serde(default)]
    pub postal_code: String,
    /// City.
    #[serde(default)]
    pub city: String,
    /// ISO country code.
    #[serde(default)]
    pub country: String,
    /// Currency.
    #[serde(default = "eur")]
    pub currency_code: String,
    /// VAT number.
    #[serde(default)]
    pub vat_nr: Option<String>,
    /// 0 unknown, 1 Belgian VAT-liable, 4 intra-EU, 6 outside EU, 7–9 private, 10 not liable.
    #[serde(default)]
    pub vat_type: i32,
    /// E-mail.
    #[serde(default)]
    pub email: String,
    /// Telephone.
    #[serde(default)]
    pub telephone: String,
    /// IBAN.
    #[serde(default)]
    pub iban_account_nr: String,
    /// BIC.
    #[serde(default)]
    pub bic_code: String,
    /// Default receivables account.
    #[serde(default)]
    pub default_booking_account_client: Option<i64>,
    /// Remarks.
    #[serde(default)]
    pub remarks: String,
    /// Set by the simulator on every write (`yyyy-MM-dd HH:mm:ss.SSS`, UTC); ignored on PUT.
    #[serde(default, skip_deserializing)]
    pub modified_time_stamp: Option<String>,
    /// Any other field (e.g. `corporationType`), kept and returned as given.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Relation {
    /// A client relation with only a name and an optional VAT number.
    pub fn client(id: i64, name: &str, vat_nr: Option<&str>) -> Self {
        Self {
            relation_identification_service_data: RelationIdentification {
                relation_key: Key { id },
                external_relation_id: 0,
            },
            name: name.to_owned(),
            first_name: String::new(),
            client: true,
            supplier: false,
            active: true,
            street_and_nr: String::new(),
            postal_code: String::new(),
            city: String::new(),
            country: "BE".to_owned(),
            currency_code: eur(),
            vat_nr: vat_nr.map(str::to_owned),
            vat_type: if vat_nr.is_some() { 1 } else { 0 },
            email: String::new(),
            telephone: String::new(),
            iban_account_nr: String::new(),
            bic_code: String::new(),
            default_booking_account_client: Some(400_000),
            remarks: String::new(),
            modified_time_stamp: None,
            extra: serde_json::Map::new(),
        }
    }

    /// `relationKey.id`.
    pub fn id(&self) -> i64 {
        self.relation_identification_service_data.relation_key.id
    }

    /// `externalRelationId`.
    pub fn external_id(&self) -> i64 {
        self.relation_identification_service_data
            .external_relation_id
    }
}

/// One line of a buy/sell booking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BookingLine {
    /// Account number.
    pub account_key: i64,
    /// Amount excluding VAT (never negative, also on a credit note).
    #[serde(with = "rust_decimal::serde::float")]
    pub base_amount: Decimal,
    /// VAT code.
    pub vat_code_key: String,
    /// VAT amount (never negative).
    #[serde(with = "rust_decimal::serde::float")]
    pub vat_amount: Decimal,
    /// Line comment.
    #[serde(default)]
    pub comment: String,
    /// Deductible VAT percentage.
    #[serde(default, with = "rust_decimal::serde::float_option")]
    pub vat_recup_percentage: Option<Decimal>,
    /// Any other field (e.g. `costCentreKey`), kept as given.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// `buySellBookingServiceData`: the booking as posted (and read back).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BookingData {
    /// Bookyear.
    pub bookyear_key: Key,
    /// Journal key.
    pub journal_key: String,
    /// Document number, chosen by the caller.
    pub document_sequence_nr: i64,
    /// The relation (by `relationKey.id` or `externalRelationId`).
    #[serde(default)]
    pub relation_identification_service_data: RelationIdentification,
    /// Period (one of the bookyear's `periods`).
    pub bookyear_periode_nr: i32,
    /// Document date.
    pub document_date: NaiveDate,
    /// Due date.
    #[serde(default)]
    pub expiry_date: Option<NaiveDate>,
    /// Comment.
    #[serde(default)]
    pub comment: String,
    /// Order reference.
    #[serde(default)]
    pub order_reference: String,
    /// Reference (OGM).
    #[serde(default)]
    pub reference: String,
    /// Total including VAT; negative for a credit note.
    #[serde(with = "rust_decimal::serde::float")]
    pub amount: Decimal,
    /// Currency.
    #[serde(default = "eur")]
    pub currency_code: String,
    /// Exchange rate.
    #[serde(default, with = "rust_decimal::serde::float_option")]
    pub exchange_rate: Option<Decimal>,
    /// Payment method (0 unknown).
    #[serde(default)]
    pub payment_method: i32,
    /// Lines.
    #[serde(default)]
    pub booking_lines: Vec<BookingLine>,
    /// Any other field, kept as given.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// An attachment of a booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// File name.
    pub file_name: String,
    /// Base64 content.
    pub file_data: String,
}

/// A stored buy/sell booking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Booking {
    /// The booking as posted.
    pub data: BookingData,
    /// Attachments as posted.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// When it was stored (sim clock, millisecond precision).
    pub modified: DateTime<Utc>,
    /// What is still open, as a non-negative magnitude (|amount| when nothing is matched).
    pub open_amount: Decimal,
}

impl Booking {
    /// The open amount with the booking's sign (credit notes negative).
    pub fn signed_open_amount(&self) -> Decimal {
        if self.data.amount.is_sign_negative() {
            -self.open_amount
        } else {
            self.open_amount
        }
    }

    /// Same (bookyear, journal, document number).
    pub fn is(&self, bookyear: i64, journal: &str, document_nr: i64) -> bool {
        self.data.bookyear_key.id == bookyear
            && self.data.journal_key == journal
            && self.data.document_sequence_nr == document_nr
    }
}

/// The timestamp format of `modifiedTimeStamp`: `yyyy-MM-dd HH:mm:ss.SSS` (UTC).
pub const TIMESTAMP_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.3f";

/// Render a `modifiedTimeStamp`.
pub fn format_timestamp(at: DateTime<Utc>) -> String {
    at.format(TIMESTAMP_FORMAT).to_string()
}

/// Parse a `modifiedTimeStamp` (milliseconds optional).
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
    ]
    .iter()
    .find_map(|f| chrono::NaiveDateTime::parse_from_str(text.trim(), f).ok())
    .map(|naive| naive.and_utc())
}
