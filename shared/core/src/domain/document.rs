//! Sales documents (invoices and credit notes) as Koppel sees them: tax-exclusive lines with
//! their VAT rate, the customer they belong to, and what the ledger needs to book them.

use crate::{CustomerRef, DepartmentId, DocumentId, Money, ProductCategoryId, TaxRateId};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Invoice or credit note: they go to different journals and carry opposite signs in a ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// A sales invoice.
    Invoice,
    /// A sales credit note.
    CreditNote,
}

impl DocumentKind {
    /// Short stable name used in keys and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invoice => "invoice",
            Self::CreditNote => "credit_note",
        }
    }
}

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Invoice => "invoice",
            Self::CreditNote => "credit note",
        })
    }
}

/// Where a document stands in Teamleader. Only booked documents (outstanding or matched) are
/// ever exported; drafts never.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceStatus {
    /// Not booked yet: no number, can still change. Never exported.
    Draft,
    /// Booked and not (fully) paid.
    Outstanding,
    /// Booked and fully paid.
    Matched,
    /// A booked credit note (Teamleader has a single status for them).
    Booked,
}

impl SourceStatus {
    /// True for documents that have a number and may be exported.
    pub fn is_booked(self) -> bool {
        !matches!(self, Self::Draft)
    }
}

/// How the customer is expected to pay; direct debit changes how the ledger collects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// SEPA direct debit: the ledger collects, the entry must say so.
    DirectDebit,
    /// Any other method (transfer, cash, card, …), kept by name.
    Other(String),
}

/// A discount on a line, as Teamleader expresses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineDiscount {
    /// Percentage of the gross line amount (e.g. 10 for 10 %).
    pub percentage: Decimal,
}

/// One line of a document, tax-exclusive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentLine {
    /// The line's description as written on the document.
    pub description: String,
    /// Quantity (may be fractional: hours, kilos).
    pub quantity: Decimal,
    /// Unit price excluding VAT, before discount.
    pub unit_price: Decimal,
    /// Line discount, if any.
    pub discount: Option<LineDiscount>,
    /// Line total excluding VAT, after discount, as Teamleader computed it.
    pub total_excl: Decimal,
    /// The Teamleader tax rate of the line.
    pub tax_rate_id: Option<TaxRateId>,
    /// The VAT percentage of that tax rate (21, 12, 6, 0 …), for messages and checks.
    pub vat_percentage: Option<Decimal>,
    /// The product category, whose ledger account takes precedence for the GL account.
    pub product_category_id: Option<ProductCategoryId>,
}

impl DocumentLine {
    /// Gross amount before discount (quantity × unit price).
    pub fn gross(&self) -> Decimal {
        self.quantity * self.unit_price
    }

    /// The discount amount on this line (gross − net), zero without a discount.
    pub fn discount_amount(&self) -> Decimal {
        if self.discount.is_some() {
            self.gross() - self.total_excl
        } else {
            Decimal::ZERO
        }
    }
}

/// VAT per rate on a document, as the totals block gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxTotal {
    /// VAT percentage.
    pub rate: Decimal,
    /// Taxable amount at that rate.
    pub taxable: Decimal,
    /// VAT amount at that rate.
    pub tax: Decimal,
}

/// A booked invoice or credit note with everything a ledger needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesDocument {
    /// Teamleader id.
    pub id: DocumentId,
    /// Invoice or credit note.
    pub kind: DocumentKind,
    /// The booked number, e.g. "2026 / 17". `None` only for drafts.
    pub number: Option<String>,
    /// Department (legal entity) the document belongs to.
    pub department_id: DepartmentId,
    /// Status in Teamleader.
    pub status: SourceStatus,
    /// The customer billed.
    pub customer: CustomerRef,
    /// Document date.
    pub date: NaiveDate,
    /// Due date, if Teamleader has one.
    pub due_on: Option<NaiveDate>,
    /// Lines, tax-exclusive.
    pub lines: Vec<DocumentLine>,
    /// Total excluding VAT.
    pub total_excl: Money,
    /// Total including VAT.
    pub total_incl: Money,
    /// VAT per rate.
    pub taxes: Vec<TaxTotal>,
    /// Structured payment reference (+++123/4567/89012+++), if any.
    pub payment_reference: Option<String>,
    /// Expected payment method; direct debit matters to the ledger.
    pub expected_payment_method: Option<PaymentMethod>,
    /// Payment term in days, when Teamleader gives one.
    pub payment_term_days: Option<u32>,
    /// For credit notes: the invoice it credits.
    pub credited_invoice_id: Option<DocumentId>,
    /// True once Teamleader considers it fully paid.
    pub paid: bool,
    /// Payments registered on it in Teamleader (invoices), oldest first.
    #[serde(default)]
    pub payments: Vec<Payment>,
    /// Last change in Teamleader (UTC); used to detect edits after export.
    pub updated_at: DateTime<Utc>,
}

impl SalesDocument {
    /// The reference Koppel writes into the ledger (the ledger's own reference field) and
    /// uses to find the entry again after a crash: the Teamleader number.
    pub fn ledger_reference(&self) -> Option<&str> {
        self.number.as_deref()
    }
}

/// A document as it appears in a list: enough to decide whether to fetch it in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentSummary {
    /// Teamleader id.
    pub id: DocumentId,
    /// Invoice or credit note.
    pub kind: DocumentKind,
    /// Booked number, `None` for drafts.
    pub number: Option<String>,
    /// Status in Teamleader.
    pub status: SourceStatus,
    /// Department.
    pub department_id: DepartmentId,
    /// The customer billed (lets the export create customers before fetching documents).
    pub customer: CustomerRef,
    /// Document date.
    pub date: NaiveDate,
    /// Total including VAT.
    pub total_incl: Money,
    /// True once fully paid in Teamleader.
    pub paid: bool,
    /// What Teamleader still shows due (invoices; `None` where it does not say): the total
    /// minus every payment registered there, by hand or by Koppel.
    pub amount_due: Option<rust_decimal::Decimal>,
    /// Last change (UTC).
    pub updated_at: DateTime<Utc>,
}

/// File formats Teamleader can render a document in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    /// The PDF as the customer received it.
    Pdf,
    /// UBL in the Belgian e-FFF flavour (invoices and credit notes).
    UblEfff,
    /// UBL Peppol BIS Billing 3.0 (invoices only in Teamleader).
    UblPeppolBis3,
}

/// A rendered document file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentFile {
    /// File name to show in the ledger, e.g. "2026-17.pdf".
    pub file_name: String,
    /// Format of the bytes.
    pub format: FileFormat,
    /// The file itself.
    pub bytes: Vec<u8>,
}

/// A payment registered (or to register) against an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// Amount paid.
    pub amount: Money,
    /// When it was paid (UTC).
    pub paid_at: DateTime<Utc>,
}
