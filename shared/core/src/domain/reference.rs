//! Reference data: what the ledger has (GL accounts, journals, VAT codes, periods) and what
//! Teamleader has (departments, tax rates, product categories). Pulled at every sync.

use crate::{DepartmentId, ProductCategoryId, TaxRateId};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A Teamleader department (legal entity).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    /// Id.
    pub id: DepartmentId,
    /// Name.
    pub name: String,
    /// VAT number of the entity.
    pub vat_number: Option<String>,
    /// Default currency.
    pub currency: Option<String>,
    /// "active" or "archived".
    pub status: Option<String>,
    /// The entity's address (the seller's on a structured document).
    #[serde(default)]
    pub address: Option<crate::Address>,
}

/// A Teamleader tax rate (per department).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRate {
    /// Id.
    pub id: TaxRateId,
    /// Department it belongs to.
    pub department_id: DepartmentId,
    /// Percentage, e.g. 21.
    pub rate: Decimal,
    /// Teamleader's description, e.g. "21%" or "CM" (co-contractor).
    pub description: String,
}

/// A Teamleader product category with its ledger account per department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductCategory {
    /// Id.
    pub id: ProductCategoryId,
    /// Name.
    pub name: String,
    /// Ledger account number per department.
    pub ledger_accounts: Vec<(DepartmentId, String)>,
}

/// A general-ledger account of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlAccount {
    /// The ledger's internal id (a GUID in some ledgers); equal to `code` where the ledger has
    /// none.
    pub id: String,
    /// Account number as people know it ("700000", "8000").
    pub code: String,
    /// Description.
    pub description: String,
    /// True for revenue accounts (the only ones offered for sales lines).
    pub is_revenue: bool,
    /// Blocked accounts cannot be booked on.
    pub blocked: bool,
}

/// What a journal is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JournalKind {
    /// Sales journal: the only kind Koppel books into.
    Sales,
    /// Sales returns / credit notes journal, where the ledger distinguishes it.
    SalesReturns,
    /// Bank or cash journal: where payments received are booked.
    Financial,
    /// Anything else (purchase, general).
    Other,
}

/// A journal (dagboek / journal) of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// Code ("700", "V1").
    pub code: String,
    /// Description.
    pub description: String,
    /// What it is for.
    pub kind: JournalKind,
}

/// A VAT code of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatCode {
    /// Code ("1", "21", "VH").
    pub code: String,
    /// Description.
    pub description: String,
    /// Percentage.
    pub percentage: Decimal,
    /// True when amounts are VAT-exclusive: the only kind Koppel can map (it sends net amounts).
    pub exclusive: bool,
    /// Blocked codes cannot be used.
    pub blocked: bool,
}

/// A fiscal period; a document dated outside every open period cannot be booked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiscalPeriod {
    /// Fiscal year.
    pub year: i32,
    /// Period number in the year.
    pub period: u32,
    /// First day.
    pub start: NaiveDate,
    /// Last day (inclusive).
    pub end: NaiveDate,
    /// Closed periods refuse new entries.
    pub closed: bool,
}

/// Everything pulled from a ledger at the start of a sync, kept as the connection's current lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerReferenceData {
    /// GL accounts.
    pub gl_accounts: Vec<GlAccount>,
    /// Journals.
    pub journals: Vec<Journal>,
    /// VAT codes.
    pub vat_codes: Vec<VatCode>,
    /// Fiscal periods.
    pub periods: Vec<FiscalPeriod>,
}

impl LedgerReferenceData {
    /// The GL account with this code, if the ledger has it.
    pub fn gl_account(&self, code: &str) -> Option<&GlAccount> {
        self.gl_accounts.iter().find(|a| a.code == code)
    }
    /// The journal with this code.
    pub fn journal(&self, code: &str) -> Option<&Journal> {
        self.journals.iter().find(|j| j.code == code)
    }
    /// The VAT code with this code.
    pub fn vat_code(&self, code: &str) -> Option<&VatCode> {
        self.vat_codes.iter().find(|v| v.code == code)
    }
    /// The period containing `date`, if any.
    pub fn period_of(&self, date: NaiveDate) -> Option<&FiscalPeriod> {
        self.periods
            .iter()
            .find(|p| p.start <= date && date <= p.end)
    }
}
