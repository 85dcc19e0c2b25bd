//! What an Exact Online division holds, as the simulator keeps it: reference data (GL
//! accounts, journals, VAT codes, periods), relations, booked sales entries with their lines,
//! documents and attachments, and the payment state behind the receivables.
//!
//! Tests read these types through [`super::SimHandle`]; the REST layer turns them into
//! Exact's JSON.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Width of an account `Code`: right-aligned, padded with leading spaces.
pub const ACCOUNT_CODE_WIDTH: usize = 18;
/// Width of a VAT `Code`: left-aligned, padded with trailing spaces.
pub const VAT_CODE_WIDTH: usize = 3;
/// Width of an account's `Country`: the two-letter code left-aligned in three characters
/// ("BE "), as a public dump of a real `crm/Accounts` record shows ("NL ").
pub const COUNTRY_CODE_WIDTH: usize = 3;

/// Which country's chart and VAT rules a division follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Legislation {
    /// Belgium (PCMN accounts 70xxxx, VAT 0/6/12/21).
    Be,
    /// The Netherlands (RGS-like accounts 8xxx, VAT 0/9/21).
    Nl,
}

impl Legislation {
    /// ISO country code.
    pub fn country(self) -> &'static str {
        match self {
            Self::Be => "BE",
            Self::Nl => "NL",
        }
    }
}

/// One administration ("division") with everything booked in it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Division {
    /// Division number as used in `/api/v1/{division}/…`.
    pub code: i32,
    /// Name of the administration.
    pub description: String,
    /// Country rules.
    pub legislation: Legislation,
    /// Default currency ("EUR").
    pub currency: String,
    /// The company's own VAT number.
    pub vat_number: Option<String>,
    /// Chart of accounts.
    pub gl_accounts: Vec<GlAccount>,
    /// Journals (dagboeken).
    pub journals: Vec<Journal>,
    /// VAT codes.
    pub vat_codes: Vec<VatCode>,
    /// Financial periods (months of the financial years).
    pub periods: Vec<FinancialPeriod>,
    /// Payment conditions (betalingscondities).
    pub payment_conditions: Vec<PaymentCondition>,
    /// Relations (customers, suppliers).
    pub accounts: Vec<Account>,
    /// Booked sales entries.
    pub entries: Vec<SalesEntry>,
    /// Documents.
    pub documents: Vec<Document>,
    /// Files attached to documents.
    pub attachments: Vec<Attachment>,
    /// Booked bank and cash entries (financialtransaction/BankEntries, CashEntries).
    #[serde(default)]
    pub financial_entries: Vec<FinancialEntry>,
}

impl Division {
    /// The GL account with this id.
    pub fn gl_account(&self, id: Uuid) -> Option<&GlAccount> {
        self.gl_accounts.iter().find(|a| a.id == id)
    }

    /// The GL account with this code (as people know it: "700000", "8000").
    pub fn gl_account_by_code(&self, code: &str) -> Option<&GlAccount> {
        self.gl_accounts.iter().find(|a| a.code == code)
    }

    /// The journal with this code.
    pub fn journal(&self, code: &str) -> Option<&Journal> {
        self.journals.iter().find(|j| j.code == code)
    }

    /// The VAT code matching `code`, ignoring the trailing padding Exact stores.
    pub fn vat_code(&self, code: &str) -> Option<&VatCode> {
        let wanted = code.trim();
        self.vat_codes.iter().find(|v| v.code.trim() == wanted)
    }

    /// The payment condition with this code (surrounding spaces ignored).
    pub fn payment_condition(&self, code: &str) -> Option<&PaymentCondition> {
        let wanted = code.trim();
        self.payment_conditions
            .iter()
            .find(|c| c.code.trim() == wanted)
    }

    /// The relation with this id.
    pub fn account(&self, id: Uuid) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }

    /// The period containing `day`, if a financial year covers it.
    pub fn period_of(&self, day: NaiveDate) -> Option<&FinancialPeriod> {
        self.periods.iter().find(|p| p.start <= day && day <= p.end)
    }

    /// The sales entry with this id.
    pub fn entry(&self, id: Uuid) -> Option<&SalesEntry> {
        self.entries.iter().find(|e| e.entry_id == id)
    }

    /// The sales entries whose `YourRef` is `your_ref`.
    pub fn entries_with_your_ref<'a>(
        &'a self,
        your_ref: &'a str,
    ) -> impl Iterator<Item = &'a SalesEntry> + 'a {
        self.entries
            .iter()
            .filter(move |e| e.your_ref.as_deref() == Some(your_ref))
    }

    /// The document with this id.
    pub fn document(&self, id: Uuid) -> Option<&Document> {
        self.documents.iter().find(|d| d.id == id)
    }

    /// The attachments of a document.
    pub fn attachments_of(&self, document: Uuid) -> impl Iterator<Item = &Attachment> + '_ {
        self.attachments
            .iter()
            .filter(move |a| a.document == document)
    }

    /// The booked entry a document belongs to: the entry naming it as its `Document`, or the
    /// entry its `FinancialTransactionEntryID` names.
    pub fn entry_of_document(&self, document: Uuid) -> Option<&SalesEntry> {
        let linked = self
            .document(document)
            .and_then(|d| d.entry_id)
            .and_then(|id| self.entry(id));
        linked.or_else(|| self.entries.iter().find(|e| e.document == Some(document)))
    }

    /// Documents no booked entry refers to (left behind when an upload's entry was refused).
    pub fn orphan_documents(&self) -> impl Iterator<Item = &Document> + '_ {
        self.documents
            .iter()
            .filter(|d| self.entry_of_document(d.id).is_none())
    }

    /// The accounts-receivable (debtors) control account, used on receivables.
    pub fn receivables_account(&self) -> Option<&GlAccount> {
        self.gl_accounts
            .iter()
            .find(|a| a.kind == GL_TYPE_RECEIVABLE)
    }
}

/// GL account type "Accounts receivable".
pub const GL_TYPE_RECEIVABLE: i32 = 20;
/// GL account type "Accounts payable".
pub const GL_TYPE_PAYABLE: i32 = 22;
/// GL account type "VAT".
pub const GL_TYPE_VAT: i32 = 24;
/// GL account type "Revenue".
pub const GL_TYPE_REVENUE: i32 = 110;

/// Balance sheet or profit & loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BalanceType {
    /// Balance sheet ("B").
    Balance,
    /// Profit and loss ("W", winst & verlies).
    ProfitLoss,
}

impl BalanceType {
    /// Exact's one-letter code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Balance => "B",
            Self::ProfitLoss => "W",
        }
    }
}

/// A general-ledger account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlAccount {
    /// GUID.
    pub id: Uuid,
    /// Account number ("700000").
    pub code: String,
    /// Description.
    pub description: String,
    /// Exact's account type (110 revenue, 20 receivable, 24 VAT, 111 cost of goods, …).
    pub kind: i32,
    /// Balance sheet or P&L.
    pub balance_type: BalanceType,
    /// Default VAT code for lines booked on it.
    pub vat_code: Option<String>,
    /// Blocked accounts refuse bookings.
    pub blocked: bool,
}

impl GlAccount {
    /// True when a sales entry line may be booked on it: control accounts (cash, bank,
    /// receivables, payables, VAT) are refused.
    pub fn accepts_sales_lines(&self) -> bool {
        !matches!(
            self.kind,
            10 | 12 | 14 | 16 | GL_TYPE_RECEIVABLE | GL_TYPE_PAYABLE | GL_TYPE_VAT
        )
    }
}

/// Journal type "Sales".
pub const JOURNAL_TYPE_SALES: i32 = 20;
/// Journal type "Return invoice" (a sales-side journal too).
pub const JOURNAL_TYPE_SALES_RETURN: i32 = 21;
/// Journal type "Purchase".
pub const JOURNAL_TYPE_PURCHASE: i32 = 22;
/// Journal type "General journal" (memoriaal).
pub const JOURNAL_TYPE_GENERAL: i32 = 90;
/// Journal type "Bank".
pub const JOURNAL_TYPE_BANK: i32 = 12;
/// Journal type "cash" (kas).
pub const JOURNAL_TYPE_CASH: i32 = 10;

/// A journal (dagboek).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// GUID.
    pub id: Uuid,
    /// Code ("700"); sales entries name their journal by this code.
    pub code: String,
    /// Description.
    pub description: String,
    /// Exact's journal type (20 sales, 21 return invoice, 22 purchase, 12 bank, 90 general).
    pub kind: i32,
}

impl Journal {
    /// True for journals a sales entry may be booked in.
    pub fn is_sales(&self) -> bool {
        matches!(self.kind, JOURNAL_TYPE_SALES | JOURNAL_TYPE_SALES_RETURN)
    }
}

/// How a VAT code treats the amounts it is applied to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VatKind {
    /// "B": base only, 0 % (intra-community, export, co-contractor).
    BaseOnly,
    /// "E": amounts are VAT-exclusive.
    Exclusive,
    /// "I": amounts include the VAT.
    Inclusive,
    /// "N": no VAT.
    NoVat,
}

impl VatKind {
    /// Exact's one-letter code.
    pub fn code(self) -> &'static str {
        match self {
            Self::BaseOnly => "B",
            Self::Exclusive => "E",
            Self::Inclusive => "I",
            Self::NoVat => "N",
        }
    }
}

/// A VAT code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatCode {
    /// GUID.
    pub id: Uuid,
    /// Code without padding ("21"); Exact returns it padded to 3 characters ("21 ").
    pub code: String,
    /// Description.
    pub description: String,
    /// Percentage as people write it (21 for 21 %); Exact returns the fraction (0.21).
    pub percentage: Decimal,
    /// Exclusive, inclusive, base only or none.
    pub kind: VatKind,
    /// Blocked codes refuse bookings.
    pub blocked: bool,
}

/// A financial period (a month of a financial year).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinancialPeriod {
    /// GUID.
    pub id: Uuid,
    /// Financial year.
    pub year: i32,
    /// Period number (1–12).
    pub period: i32,
    /// First day.
    pub start: NaiveDate,
    /// Last day (inclusive).
    pub end: NaiveDate,
    /// Closed periods refuse entries. Exact does not show this over the API.
    pub closed: bool,
}

/// Payment method "on credit" (op rekening).
pub const PAYMENT_METHOD_ON_CREDIT: &str = "B";
/// Payment method "collection" (incasso / domiciliëring, direct debit).
pub const PAYMENT_METHOD_COLLECTION: &str = "I";
/// Payment method "cash".
pub const PAYMENT_METHOD_CASH: &str = "K";

/// A payment condition (cashflow/PaymentConditions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentCondition {
    /// GUID.
    pub id: Uuid,
    /// Code ("30"), named by sales entries.
    pub code: String,
    /// Description.
    pub description: String,
    /// Days until due.
    pub days: i32,
    /// Payment method: "B" on credit, "I" collection (direct debit), "K" cash.
    pub method: String,
}

/// A relation (crm/Accounts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// GUID.
    pub id: Uuid,
    /// Code, right-aligned to [`ACCOUNT_CODE_WIDTH`] with leading spaces.
    pub code: String,
    /// Name.
    pub name: String,
    /// "C" customer, "P" prospect, "S" suspect, "A" accountant, "N" none.
    pub status: String,
    /// VAT number as entered.
    pub vat_number: Option<String>,
    /// Company registration number.
    pub chamber_of_commerce: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Street and number.
    pub address_line1: Option<String>,
    /// Postcode.
    pub postcode: Option<String>,
    /// City.
    pub city: Option<String>,
    /// ISO country code.
    pub country: Option<String>,
    /// Language code ("NL", "FR").
    pub language: Option<String>,
    /// Also a supplier.
    pub is_supplier: bool,
    /// Blocked relation.
    pub blocked: bool,
    /// Peppol participant id.
    pub peppol_identifier: Option<String>,
    /// The other writable properties a client set (by their Exact names, as sent), so that
    /// they come back on reads.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, serde_json::Value>,
    /// Creation time (local).
    pub created: NaiveDateTime,
    /// Last change (local).
    pub modified: NaiveDateTime,
}

/// Pad a country code the way Exact returns an account's `Country` (left-aligned, 3
/// characters).
pub fn pad_country(code: &str) -> String {
    format!("{:<width$}", code.trim(), width = COUNTRY_CODE_WIDTH)
}

/// Pad an account code the way Exact stores it (right-aligned, 18 characters).
pub fn pad_account_code(code: &str) -> String {
    format!("{:>width$}", code.trim(), width = ACCOUNT_CODE_WIDTH)
}

/// Pad a VAT code the way Exact returns it (left-aligned, 3 characters).
pub fn pad_vat_code(code: &str) -> String {
    format!("{:<width$}", code.trim(), width = VAT_CODE_WIDTH)
}

/// Entry type "Sales entry".
pub const ENTRY_TYPE_INVOICE: i32 = 20;
/// Entry type "Sales credit note".
pub const ENTRY_TYPE_CREDIT_NOTE: i32 = 21;

/// A booked sales entry (verkoopboeking).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesEntry {
    /// GUID (`EntryID`).
    pub entry_id: Uuid,
    /// GUID of its receivable (cashflow/Receivables `ID`).
    pub receivable_id: Uuid,
    /// Sequence number used as `HID` in receivables lists.
    pub hid: i64,
    /// Journal code.
    pub journal: String,
    /// Entry number (boekstuknummer), unique per journal and year.
    pub entry_number: i32,
    /// Invoice number (equal to the entry number unless given).
    pub invoice_number: i32,
    /// Customer (crm/Accounts ID).
    pub customer: Uuid,
    /// Entry (invoice) date.
    pub entry_date: NaiveDate,
    /// Due date.
    pub due_date: NaiveDate,
    /// Financial year it is booked in.
    pub reporting_year: i32,
    /// Period it is booked in.
    pub reporting_period: i32,
    /// The client's reference (Koppel puts its own document reference here).
    pub your_ref: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Structured payment reference.
    pub payment_reference: Option<String>,
    /// Payment condition code.
    pub payment_condition: Option<String>,
    /// Linked document.
    pub document: Option<Uuid>,
    /// Currency.
    pub currency: String,
    /// Order number.
    pub order_number: Option<i32>,
    /// Lines (amounts excluding VAT).
    pub lines: Vec<SalesEntryLine>,
    /// Creation time (local).
    pub created: NaiveDateTime,
    /// Last change (local).
    pub modified: NaiveDateTime,
    /// Amount received so far (registered through the simulator's payment admin).
    pub paid: Decimal,
    /// Date of the last payment.
    pub last_payment_date: Option<NaiveDate>,
}

impl SalesEntry {
    /// Total VAT.
    pub fn vat_amount(&self) -> Decimal {
        self.lines.iter().map(|l| l.vat_amount_fc).sum()
    }

    /// Total excluding VAT.
    pub fn net_amount(&self) -> Decimal {
        self.lines.iter().map(|l| l.amount_fc).sum()
    }

    /// Total including VAT (the receivable).
    pub fn amount(&self) -> Decimal {
        self.net_amount() + self.vat_amount()
    }

    /// 20 for an invoice, 21 for a credit note (negative total).
    pub fn entry_type(&self) -> i32 {
        if self.amount() < Decimal::ZERO {
            ENTRY_TYPE_CREDIT_NOTE
        } else {
            ENTRY_TYPE_INVOICE
        }
    }

    /// What is still to be received.
    pub fn open_amount(&self) -> Decimal {
        self.amount() - self.paid
    }

    /// True once payments cover the whole amount.
    pub fn is_fully_paid(&self) -> bool {
        let amount = self.amount();
        if amount >= Decimal::ZERO {
            self.paid >= amount
        } else {
            self.paid <= amount
        }
    }
}

/// One line of a sales entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesEntryLine {
    /// GUID.
    pub id: Uuid,
    /// Line number (1-based).
    pub line_number: i32,
    /// Revenue account.
    pub gl_account: Uuid,
    /// Description.
    pub description: Option<String>,
    /// Amount excluding VAT.
    pub amount_fc: Decimal,
    /// VAT code (unpadded), if any.
    pub vat_code: Option<String>,
    /// VAT percentage (21 for 21 %).
    pub vat_percentage: Decimal,
    /// VAT amount.
    pub vat_amount_fc: Decimal,
    /// Quantity.
    pub quantity: Option<Decimal>,
    /// Cost center.
    pub cost_center: Option<String>,
    /// Cost unit.
    pub cost_unit: Option<String>,
    /// Notes.
    pub notes: Option<String>,
}

/// A document (documents/Documents).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// GUID.
    pub id: Uuid,
    /// Subject.
    pub subject: String,
    /// Document type (10 sales invoice, 20 purchase invoice, …).
    pub kind: i32,
    /// Relation.
    pub account: Option<Uuid>,
    /// The sales entry it belongs to (`FinancialTransactionEntryID`).
    pub entry_id: Option<Uuid>,
    /// Document date.
    pub document_date: Option<NaiveDate>,
    /// Body text.
    pub body: Option<String>,
    /// Creation time (local).
    pub created: NaiveDateTime,
}

/// A file attached to a document (documents/DocumentAttachments).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// GUID.
    pub id: Uuid,
    /// Document it belongs to.
    pub document: Uuid,
    /// File name.
    pub file_name: String,
    /// The file's bytes (left out of JSON inspections; see `size`).
    #[serde(skip)]
    pub bytes: Vec<u8>,
    /// Size in bytes.
    pub size: usize,
    /// Creation time (local).
    pub created: NaiveDateTime,
}

/// The document types the simulator knows (documents/DocumentTypes), with Dutch names.
pub const DOCUMENT_TYPES: &[(i32, &str)] = &[
    (10, "Verkoopfactuur"),
    (20, "Inkoopfactuur"),
    (40, "Bankafschrift"),
    (55, "Overige"),
    (70, "Memoriaalboeking"),
];

/// Bank or cash: the two financial journals a payment is booked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FinancialKind {
    /// financialtransaction/BankEntries, journal type 12.
    Bank,
    /// financialtransaction/CashEntries, journal type 10.
    Cash,
}

impl FinancialKind {
    /// The journal type entries of this kind are booked in.
    pub fn journal_type(self) -> i32 {
        match self {
            Self::Bank => JOURNAL_TYPE_BANK,
            Self::Cash => JOURNAL_TYPE_CASH,
        }
    }
}

/// A booked bank or cash entry: a statement (or cash sheet) with its lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinancialEntry {
    /// GUID (`EntryID`).
    pub entry_id: Uuid,
    /// Bank or cash.
    pub kind: FinancialKind,
    /// Journal code.
    pub journal: String,
    /// Entry number, unique per journal and year.
    pub entry_number: i32,
    /// Financial year.
    pub year: i32,
    /// Financial period.
    pub period: i32,
    /// Currency.
    pub currency: String,
    /// Lines.
    pub lines: Vec<FinancialLine>,
    /// Creation time (local).
    pub created: NaiveDateTime,
}

/// One line of a bank or cash entry: money received (positive) or paid out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinancialLine {
    /// GUID (`ID`).
    pub id: Uuid,
    /// 1-based.
    pub line_number: i32,
    /// The customer (crm/Accounts ID) the money came from.
    pub account: Option<Uuid>,
    /// The GL account booked against (the receivables account for a customer payment).
    pub gl_account: Uuid,
    /// Amount; positive = received.
    pub amount: Decimal,
    /// Date of the statement line.
    pub date: NaiveDate,
    /// Description.
    pub description: Option<String>,
    /// The invoice number this line settles (`OurRef`).
    pub our_ref: Option<i32>,
    /// The sales entry the simulator matched the line to (by customer and invoice number).
    pub settled_entry: Option<Uuid>,
}
