//! Wire types invoices and credit notes share: invoicee, totals, grouped lines, downloads.

use crate::common::{Amount, TypeAndId};
use rust_decimal::Decimal;
use serde::Deserialize;

/// Who a document bills (`invoicee`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DocumentCustomer {
    /// Name on the document.
    #[serde(default)]
    pub name: Option<String>,
    /// VAT number on the document.
    #[serde(default)]
    pub vat_number: Option<String>,
    /// The company or contact.
    pub customer: TypeAndId,
    /// E-mail on the document.
    #[serde(default)]
    pub email: Option<String>,
}

/// VAT at one rate in the totals block.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TaxAtRate {
    /// The rate as a fraction (0.21 for 21 %).
    pub rate: Decimal,
    /// Taxable amount.
    pub taxable: Amount,
    /// VAT amount.
    pub tax: Amount,
}

/// The totals block of an invoice or credit note.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Totals {
    /// Total excluding VAT.
    pub tax_exclusive: Amount,
    /// Total including VAT.
    pub tax_inclusive: Amount,
    /// Amount to pay.
    #[serde(default)]
    pub payable: Option<Amount>,
    /// VAT per rate.
    #[serde(default)]
    pub taxes: Vec<TaxAtRate>,
    /// Still due (invoices only).
    #[serde(default)]
    pub due: Option<Amount>,
}

/// A section of lines.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GroupedLines {
    /// Section heading.
    #[serde(default)]
    pub section: Option<Section>,
    /// The lines.
    #[serde(default)]
    pub line_items: Vec<LineItem>,
}

/// A section heading.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Section {
    /// Title (may be empty).
    #[serde(default)]
    pub title: Option<String>,
}

/// A line's unit price; always tax-excluding in Teamleader.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UnitPrice {
    /// Price per unit.
    pub amount: Decimal,
    /// "excluding".
    #[serde(default)]
    pub tax: Option<String>,
}

/// A line discount.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Discount {
    /// The discount value (a percentage).
    pub value: Decimal,
    /// "percentage".
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

/// A line's totals.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LineTotal {
    /// Line total excluding VAT after discount.
    pub tax_exclusive: Amount,
    /// Before discount.
    #[serde(default)]
    pub tax_exclusive_before_discount: Option<Amount>,
    /// Including VAT.
    #[serde(default)]
    pub tax_inclusive: Option<Amount>,
}

/// One line of a document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LineItem {
    /// Product sold, if any.
    #[serde(default)]
    pub product: Option<TypeAndId>,
    /// Quantity.
    pub quantity: Decimal,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Unit price (tax excluding).
    pub unit_price: UnitPrice,
    /// Tax rate.
    #[serde(default)]
    pub tax: Option<TypeAndId>,
    /// Discount.
    #[serde(default)]
    pub discount: Option<Discount>,
    /// Totals.
    pub total: LineTotal,
    /// Product category.
    #[serde(default)]
    pub product_category: Option<TypeAndId>,
}

/// A temporary download location (`{location, expires}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Download {
    /// Temporary URL of the file (no bearer token needed).
    pub location: String,
    /// When the URL stops working.
    #[serde(default)]
    pub expires: Option<String>,
}
