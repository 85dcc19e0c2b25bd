//! UBL 2.1 sales documents: a neutral model ([`UblDocument`]) that says what a file shows, the
//! steps that fill it from a document's data so that it meets the CEN EN 16931 and Peppol BIS
//! Billing 3.0 rules ([`build`]), and the writer that turns it into XML ([`write`]).
//!
//! The model is separate from the XML so that Koppel (credit notes) and the Teamleader
//! simulator (its `ubl/peppol_bis_3` and `ubl/e-fff` downloads) make their files the same way.

mod build;
mod party;
mod write;

pub use build::{DocumentDraft, LineDraft, build, check_peppol};
pub use party::{ElectronicAddress, electronic_address, is_eu_country};
pub use write::write;

use chrono::NaiveDate;
use koppel_core::{DocumentKind, InvoiceParty};
use rust_decimal::Decimal;

/// Which rule set a file claims to follow (its `CustomizationID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Customization {
    /// Peppol BIS Billing 3.0: what Koppel sends and what the official rules check.
    PeppolBis3,
    /// The Belgian e-FFF flavour (UBL.BE), which Teamleader offers for every document.
    UblBeEfff,
}

impl Customization {
    /// The `cbc:CustomizationID` value.
    pub fn id(self) -> &'static str {
        match self {
            Self::PeppolBis3 => {
                "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
            }
            Self::UblBeEfff => "urn:cen.eu:en16931:2017#conformant#urn:UBL.BE:1.0.0.20180214",
        }
    }
}

/// The Peppol billing process every Koppel file belongs to (`cbc:ProfileID`).
pub const PEPPOL_BILLING_PROFILE: &str = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0";

/// The VAT category of a line and of a breakdown entry (UNCL 5305, as EN 16931 uses it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VatCategory {
    /// `S`: the standard or a reduced rate (21, 12, 6 % in Belgium).
    Standard,
    /// `Z`: a zero-rated supply (the rate exists and is 0 %).
    ZeroRated,
    /// `E`: exempt from VAT; the breakdown must say why.
    Exempt,
    /// `AE`: VAT reverse charge (the Belgian co-contractor, "medecontractant").
    ReverseCharge,
    /// `K`: intra-community supply to a VAT-registered buyer in another EU country.
    IntraCommunity,
    /// `G`: export outside the EU.
    Export,
}

impl VatCategory {
    /// The UNCL 5305 code written in `cac:TaxCategory/cbc:ID`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Standard => "S",
            Self::ZeroRated => "Z",
            Self::Exempt => "E",
            Self::ReverseCharge => "AE",
            Self::IntraCommunity => "K",
            Self::Export => "G",
        }
    }

    /// The exemption reason (VATEX code, text) the rules require for this category in the VAT
    /// breakdown (BR-E-10, BR-AE-10, BR-IC-10, BR-G-10); `None` where none may be given.
    pub fn exemption(self) -> Option<(Option<&'static str>, &'static str)> {
        match self {
            Self::Standard | Self::ZeroRated => None,
            Self::Exempt => Some((None, "Exempt from VAT")),
            Self::ReverseCharge => Some((
                Some("VATEX-EU-AE"),
                "Reverse charge: VAT to be paid by the co-contractor",
            )),
            Self::IntraCommunity => Some((Some("VATEX-EU-IC"), "Intra-community supply")),
            Self::Export => Some((Some("VATEX-EU-G"), "Export outside the EU")),
        }
    }
}

/// One line of a document, tax-exclusive, as the file shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UblLine {
    /// The item's name (BT-153), never empty.
    pub description: String,
    /// Quantity (BT-129); negative when a line takes an amount off.
    pub quantity: Decimal,
    /// Net unit price before the line discount (BT-146), never negative (BR-27).
    pub unit_price: Decimal,
    /// The line discount as an allowance, when the line has one.
    pub discount: Option<LineAllowance>,
    /// Line net amount (BT-131), two decimals.
    pub net_amount: Decimal,
    /// VAT category of the line.
    pub vat_category: VatCategory,
    /// VAT rate in percent (21 for 21 %).
    pub vat_percent: Decimal,
}

/// A line-level allowance (a discount), expressed so that PEPPOL-EN16931-R120 holds:
/// quantity × price − amount equals the line net amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineAllowance {
    /// The amount taken off, two decimals.
    pub amount: Decimal,
    /// The percentage and the amount it applies to, when they give `amount` exactly (R040).
    pub percentage_of: Option<(Decimal, Decimal)>,
}

/// One entry of the VAT breakdown (BG-23).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VatSubtotal {
    /// The category.
    pub category: VatCategory,
    /// The rate in percent.
    pub percent: Decimal,
    /// The sum of the line net amounts in this category and rate (BR-S-08 and kin).
    pub taxable: Decimal,
    /// The VAT on it, two decimals.
    pub tax: Decimal,
}

/// The document totals (BG-22), each two decimals and adding up as BR-CO-10..16 require.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UblTotals {
    /// Sum of the line net amounts (BT-106).
    pub line_extension: Decimal,
    /// Total without VAT (BT-109): the same, as Koppel writes no document-level allowances.
    pub tax_exclusive: Decimal,
    /// Total VAT (BT-110): the sum of the breakdown's VAT amounts.
    pub tax: Decimal,
    /// Total with VAT (BT-112) = BT-109 + BT-110.
    pub tax_inclusive: Decimal,
    /// Rounding that brings BT-112 to the source's own total (BT-114), usually zero.
    pub rounding: Decimal,
    /// Amount due (BT-115) = BT-112 + BT-114.
    pub payable: Decimal,
}

/// A file embedded in the document (the PDF, in e-FFF files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// File name, e.g. "invoice-2026-17.pdf"; also the reference's id.
    pub file_name: String,
    /// MIME type, e.g. "application/pdf".
    pub mime_code: String,
    /// The file itself.
    pub bytes: Vec<u8>,
}

/// A sales invoice or credit note as a UBL file shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UblDocument {
    /// Invoice (380) or credit note (381).
    pub kind: DocumentKind,
    /// The rule set the file claims.
    pub customization: Customization,
    /// Document number (BT-1).
    pub number: String,
    /// Issue date (BT-2).
    pub issue_date: NaiveDate,
    /// Payment due date (BT-9), when known.
    pub due_date: Option<NaiveDate>,
    /// ISO 4217 currency (BT-5).
    pub currency: String,
    /// Buyer reference (BT-10); Peppol wants it or an order reference (R003).
    pub buyer_reference: String,
    /// The buyer's purchase order number (BT-13), when given.
    pub order_reference: Option<String>,
    /// The seller (the department).
    pub seller: InvoiceParty,
    /// The buyer (the customer).
    pub buyer: InvoiceParty,
    /// Structured payment reference (BT-83), e.g. "+++123/4567/89012+++".
    pub payment_reference: Option<String>,
    /// The lines.
    pub lines: Vec<UblLine>,
    /// VAT per category and rate.
    pub vat_breakdown: Vec<VatSubtotal>,
    /// Totals.
    pub totals: UblTotals,
    /// For a credit note: the number of the invoice it credits (BT-25).
    pub credited_invoice: Option<String>,
    /// An embedded file, e.g. the PDF.
    pub attachment: Option<Attachment>,
}
