//! The Exact Online entities as they travel on the wire (field names as Exact spells them).
//! Only the fields Koppel selects are declared; every request names them in `$select`
//! (the constants below), so a field here and its `$select` never drift apart.
//! Dates stay strings here and are parsed in [`super::mapping`], where a bad one can be
//! reported with the field's name.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// `$select` for [`Me`].
pub const ME_SELECT: &str = "CurrentDivision,FullName";
/// `GET current/Me`: the user and the division they last used.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Me {
    /// The division Exact considers current for this user.
    pub current_division: i64,
    /// The user's name.
    #[serde(default)]
    pub full_name: Option<String>,
}

/// `$select` for [`Division`].
pub const DIVISION_SELECT: &str = "Code,Description";
/// `GET system/Divisions`: an administration the user can reach.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Division {
    /// Division number (used in every URL).
    pub code: i64,
    /// Name of the administration.
    #[serde(default)]
    pub description: Option<String>,
}

/// `$select` for [`GlAccount`].
pub const GL_ACCOUNT_SELECT: &str = "ID,Code,Description,Type,IsBlocked";
/// `GET financial/GLAccounts`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GlAccount {
    /// GUID, what entry lines refer to.
    #[serde(rename = "ID")]
    pub id: String,
    /// Account number ("700000", "8000").
    pub code: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Exact's account type (110 = revenue, 20 = receivables, 24 = VAT, …).
    #[serde(default, rename = "Type")]
    pub kind: Option<i32>,
    /// Blocked for booking.
    #[serde(default)]
    pub is_blocked: Option<bool>,
}

/// `$select` for [`Journal`].
pub const JOURNAL_SELECT: &str = "Code,Description,Type";
/// `GET financial/Journals`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Journal {
    /// Journal code ("70"), what sales entries name.
    pub code: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Exact's journal type (20 = sales, 21 = return invoices, 22 = purchase, 90 = general …).
    #[serde(default, rename = "Type")]
    pub kind: Option<i32>,
}

/// `$select` for [`VatCode`].
pub const VAT_CODE_SELECT: &str = "Code,Description,Percentage,Type,IsBlocked";
/// `GET vat/VATCodes`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VatCode {
    /// Code ("1", "4").
    pub code: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Rate; Exact gives a fraction (0.21) — see [`super::mapping::vat_percentage`].
    #[serde(default)]
    pub percentage: Option<Decimal>,
    /// "E" exclusive, "I" inclusive, "B" 0 % base only, "N" no VAT.
    #[serde(default, rename = "Type")]
    pub kind: Option<String>,
    /// Blocked for use.
    #[serde(default)]
    pub is_blocked: Option<bool>,
}

/// `$select` for [`FinancialPeriod`].
pub const PERIOD_SELECT: &str = "FinYear,FinPeriod,StartDate,EndDate";
/// `GET financial/FinancialPeriods`. Exact exposes no "closed" flag here: a closed period
/// shows up as a refusal when posting (see [`super::refusals`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FinancialPeriod {
    /// Financial year.
    pub fin_year: i32,
    /// Period number.
    pub fin_period: u32,
    /// First day, `/Date(ms)/`.
    #[serde(default)]
    pub start_date: Option<String>,
    /// Day after the last day or the last day, `/Date(ms)/` (see mapping).
    #[serde(default)]
    pub end_date: Option<String>,
}

/// `$select` for [`Account`].
pub const ACCOUNT_SELECT: &str = "ID,Code,Name,VATNumber,ChamberOfCommerce,BSN,Email,Phone,AddressLine1,Postcode,City,Country,Language,Status";
/// `GET crm/Accounts`: a relation (customer, supplier, prospect).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Account {
    /// GUID, what sales entries name as `Customer`.
    #[serde(rename = "ID")]
    pub id: String,
    /// Customer number, right-aligned to 18 characters.
    #[serde(default)]
    pub code: Option<String>,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// VAT number as typed in Exact.
    #[serde(default, rename = "VATNumber")]
    pub vat_number: Option<String>,
    /// Chamber of commerce (KBO/BCE, KvK) number: enterprises have one.
    #[serde(default)]
    pub chamber_of_commerce: Option<String>,
    /// Dutch citizen service number: only natural persons have one.
    #[serde(default, rename = "BSN")]
    pub bsn: Option<String>,
    /// E-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// Street and number.
    #[serde(default)]
    pub address_line1: Option<String>,
    /// Postal code.
    #[serde(default)]
    pub postcode: Option<String>,
    /// City.
    #[serde(default)]
    pub city: Option<String>,
    /// ISO country code.
    #[serde(default)]
    pub country: Option<String>,
    /// Language code ("NL", "FR", "EN").
    #[serde(default)]
    pub language: Option<String>,
    /// "C" customer, "P" prospect, "S" suspect, "A" none.
    #[serde(default)]
    pub status: Option<String>,
}

/// `POST crm/Accounts` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewAccount {
    /// Always "C": a customer, so sales entries may name it.
    pub status: &'static str,
    /// Name.
    pub name: String,
    /// Customer number, when Teamleader already has one (Exact numbers it otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// VAT number.
    #[serde(rename = "VATNumber", skip_serializing_if = "Option::is_none")]
    pub vat_number: Option<String>,
    /// E-mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Street and number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line1: Option<String>,
    /// Postal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    /// City.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// ISO country code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Language code, upper case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// The `ID` of an entity Exact created.
#[derive(Debug, Clone, Deserialize)]
pub struct Created {
    /// GUID.
    #[serde(rename = "ID")]
    pub id: String,
}

/// The answer to `POST crm/Accounts`: Exact returns the whole new account; Koppel reads its
/// id and the code Exact kept or gave.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CreatedAccount {
    /// GUID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Customer number, right-aligned to 18 characters.
    #[serde(default, rename = "Code")]
    pub code: Option<String>,
}

/// `POST salesentry/SalesEntries` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewSalesEntry {
    /// Journal code (not its GUID).
    pub journal: String,
    /// Account GUID.
    pub customer: String,
    /// Entry (invoice) date, ISO.
    pub entry_date: String,
    /// Due date, ISO.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    /// Koppel's reference: the Teamleader number. Exact accepts duplicates, so Koppel looks
    /// it up itself before posting again.
    pub your_ref: String,
    /// Description.
    pub description: String,
    /// Structured payment reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_reference: Option<String>,
    /// Payment condition code (the direct-debit one for collected invoices).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_condition: Option<String>,
    /// ISO currency.
    pub currency: String,
    /// GUID of the document carrying the PDF.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// Lines.
    pub sales_entry_lines: Vec<NewSalesEntryLine>,
}

/// One line of a new sales entry. Amounts go out as JSON numbers (Exact's `Edm.Double`);
/// they are rounded to cents first, so the float carries the decimal exactly as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewSalesEntryLine {
    /// GL account GUID.
    #[serde(rename = "GLAccount")]
    pub gl_account: String,
    /// Net amount, negative on credit notes.
    #[serde(rename = "AmountFC", with = "rust_decimal::serde::float")]
    pub amount_fc: Decimal,
    /// VAT amount as the document states it, same sign as the amount.
    #[serde(
        rename = "VATAmountFC",
        with = "rust_decimal::serde::float_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub vat_amount_fc: Option<Decimal>,
    /// VAT code.
    #[serde(rename = "VATCode", skip_serializing_if = "Option::is_none")]
    pub vat_code: Option<String>,
    /// Description.
    pub description: String,
}

/// `$select` for [`PostedSalesEntry`].
pub const SALES_ENTRY_SELECT: &str = "EntryID,EntryNumber";
/// A sales entry as Exact answers a POST or a look-up.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PostedSalesEntry {
    /// GUID of the entry (what receivables call `TransactionEntryID`).
    #[serde(rename = "EntryID")]
    pub entry_id: String,
    /// Exact's entry number (boekstuknummer).
    #[serde(default)]
    pub entry_number: Option<i64>,
}

/// `POST documents/Documents` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewDocument {
    /// Subject shown in Exact ("Invoice 2026 / 17").
    pub subject: String,
    /// 10 = sales entry document.
    #[serde(rename = "Type")]
    pub kind: i32,
    /// Account GUID.
    pub account: String,
}

/// `POST documents/DocumentAttachments` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewDocumentAttachment {
    /// The file, base64.
    pub attachment: String,
    /// Document GUID.
    pub document: String,
    /// File name.
    pub file_name: String,
}

/// `$select` for [`Receivable`].
pub const RECEIVABLE_SELECT: &str =
    "TransactionEntryID,IsFullyPaid,AmountFC,AmountDC,LastPaymentDate";
/// `GET cashflow/Receivables`: the outstanding item of a sales entry (split ones give more
/// than one per entry).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Receivable {
    /// The sales entry it belongs to (`SalesEntry.EntryID`).
    #[serde(default, rename = "TransactionEntryID")]
    pub transaction_entry_id: Option<String>,
    /// True once fully paid.
    #[serde(default)]
    pub is_fully_paid: Option<bool>,
    /// Amount of the receivable in the entry's currency.
    #[serde(default, rename = "AmountFC")]
    pub amount_fc: Option<Decimal>,
    /// Amount in the division's currency (used when `AmountFC` is absent).
    #[serde(default, rename = "AmountDC")]
    pub amount_dc: Option<Decimal>,
    /// Date of the last payment matched, `/Date(ms)/`.
    #[serde(default)]
    pub last_payment_date: Option<String>,
}

impl Receivable {
    /// The amount still open on this receivable when it is not fully paid.
    pub fn open_amount(&self) -> Decimal {
        self.amount_fc.or(self.amount_dc).unwrap_or_default()
    }
}

/// `$select` for [`PaymentCondition`].
pub const PAYMENT_CONDITION_SELECT: &str = "Code,Description,PaymentMethod";
/// `GET cashflow/PaymentConditions`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PaymentCondition {
    /// Code, what sales entries name.
    pub code: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// "B" on credit, "I" collection (direct debit), "K" cash, "Q" PSP collection.
    #[serde(default)]
    pub payment_method: Option<String>,
}

/// `$select` for [`OpenItem`].
pub const OPEN_ITEM_SELECT: &str = "Id,Amount";
/// `GET read/financial/ReceivablesList`: what is still to be received on an entry (paid
/// items are not listed).
#[derive(Debug, Clone, Deserialize)]
pub struct OpenItem {
    /// The sales entry (`EntryID`).
    #[serde(rename = "Id")]
    pub id: String,
    /// Amount still open.
    #[serde(rename = "Amount", default)]
    pub amount: Option<Decimal>,
}

/// `$select` for [`PaymentTarget`].
pub const PAYMENT_TARGET_SELECT: &str = "Account,InvoiceNumber,GLAccount,IsFullyPaid";
/// `GET cashflow/Receivables` of one sales entry: what a payment line settling it needs.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PaymentTarget {
    /// The customer (crm/Accounts ID).
    #[serde(default)]
    pub account: Option<String>,
    /// The invoice number, which the payment line names in `OurRef`.
    #[serde(default)]
    pub invoice_number: Option<i64>,
    /// The receivables GL account, copied to the payment line.
    #[serde(default, rename = "GLAccount")]
    pub gl_account: Option<String>,
    /// Settled already (by a bank statement, say).
    #[serde(default)]
    pub is_fully_paid: Option<bool>,
}

/// `$select` for [`PaymentLine`].
pub const PAYMENT_LINE_SELECT: &str = "ID,EntryID,Description";
/// `GET financialtransaction/BankEntryLines` (or `CashEntryLines`): a line looked up by its
/// description, Koppel's reference.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PaymentLine {
    /// The entry (statement) it belongs to.
    #[serde(default, rename = "EntryID")]
    pub entry_id: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
}

/// One line of a bank or cash entry: money received from a customer, settling an invoice.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewPaymentLine {
    /// The customer.
    pub account: String,
    /// Amount received (positive).
    #[serde(rename = "AmountFC", with = "rust_decimal::serde::float")]
    pub amount_fc: Decimal,
    /// Day received, `YYYY-MM-DDT00:00:00`.
    pub date: String,
    /// Koppel's reference (how the line is found again).
    pub description: String,
    /// The invoice number it settles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub our_ref: Option<i64>,
    /// The receivables account of the invoice.
    #[serde(rename = "GLAccount", skip_serializing_if = "Option::is_none")]
    pub gl_account: Option<String>,
}

/// `POST financialtransaction/BankEntries` body.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewBankEntry {
    /// The bank journal's code.
    pub journal_code: String,
    /// Currency.
    pub currency: String,
    /// The one line.
    pub bank_entry_lines: Vec<NewPaymentLine>,
}

/// `POST financialtransaction/CashEntries` body.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewCashEntry {
    /// The cash journal's code.
    pub journal_code: String,
    /// Currency.
    pub currency: String,
    /// The one line.
    pub cash_entry_lines: Vec<NewPaymentLine>,
}

/// The answer to either POST.
#[derive(Debug, Clone, Deserialize)]
pub struct PostedFinancialEntry {
    /// GUID of the entry.
    #[serde(rename = "EntryID")]
    pub entry_id: String,
}
