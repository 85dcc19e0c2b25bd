//! What an organisation holds: offices with GL accounts, VAT codes, periods, transaction
//! types, customers (DEB dimensions) and booked transactions.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Balance sheet (`BAS`) or profit and loss (`PNL`) account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum AccountKind {
    /// Balance sheet.
    Bas,
    /// Profit and loss.
    Pnl,
}

impl AccountKind {
    /// `BAS` or `PNL`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Bas => "BAS",
            Self::Pnl => "PNL",
        }
    }
}

/// A general-ledger account (dimension of type BAS or PNL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlAccount {
    /// Code, e.g. `1300`.
    pub code: String,
    /// Name, e.g. "Debiteuren".
    pub name: String,
    /// BAS or PNL.
    pub kind: AccountKind,
}

/// Sales or purchase (VAT codes and transaction types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Sales.
    Sales,
    /// Purchase.
    Purchase,
    /// Memorial (transaction types only).
    Memorial,
}

impl Category {
    /// `sales`, `purchase` or `memorial`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Sales => "sales",
            Self::Purchase => "purchase",
            Self::Memorial => "memorial",
        }
    }
}

/// A VAT code with one percentage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatCode {
    /// Code, e.g. `VH`.
    pub code: String,
    /// Name, e.g. "BTW hoog".
    pub name: String,
    /// Sales or purchase.
    pub kind: Category,
    /// Percentage, e.g. 21.
    pub percentage: Decimal,
}

/// A monthly period `YYYY/MM`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// Year.
    pub year: i32,
    /// Month 1–12.
    pub month: u32,
    /// Open for booking.
    pub open: bool,
}

impl Period {
    /// `YYYY/MM`.
    pub fn code(&self) -> String {
        format!("{:04}/{:02}", self.year, self.month)
    }
}

/// A transaction type (daybook), e.g. `VRK`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionType {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Sales, purchase or memorial.
    pub category: Category,
}

/// The invoice address of a customer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Name on the address.
    pub name: String,
    /// Country code.
    pub country: String,
    /// City.
    pub city: String,
    /// Postcode.
    pub postcode: String,
    /// Attention line.
    pub field1: String,
    /// Street and number.
    pub field2: String,
    /// VAT number.
    pub field4: String,
    /// E-mail address.
    pub email: String,
}

/// A customer (dimension of type DEB).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// Code, e.g. `10001`.
    pub code: String,
    /// Twinfield's unique id.
    pub uid: String,
    /// Name.
    pub name: String,
    /// The default invoice address.
    pub address: Address,
    /// Payment term in days.
    pub due_days: u32,
}

/// Temporary (provisional) or final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Location {
    /// Provisional.
    Temporary,
    /// Final.
    Final,
}

impl Location {
    /// `temporary` or `final`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Temporary => "temporary",
            Self::Final => "final",
        }
    }
}

/// Debit or credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Debit.
    Debit,
    /// Credit.
    Credit,
}

impl Side {
    /// `debit` or `credit`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Debit => "debit",
            Self::Credit => "credit",
        }
    }

    /// The Dutch word used in messages.
    pub fn dutch(self) -> &'static str {
        match self {
            Self::Debit => "debet",
            Self::Credit => "credit",
        }
    }
}

/// The kind of transaction line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LineKind {
    /// The receivable on the customer.
    Total,
    /// A revenue line.
    Detail,
    /// A VAT line Twinfield adds.
    Vat,
}

/// One line of a booked transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// Line id.
    pub id: u32,
    /// Total, detail or VAT.
    pub kind: LineKind,
    /// GL account.
    pub dim1: String,
    /// Customer (total line).
    pub dim2: Option<String>,
    /// Debit or credit.
    pub side: Side,
    /// Unsigned value.
    pub value: Decimal,
    /// VAT code.
    pub vat_code: Option<String>,
    /// VAT amount of a detail line.
    pub vat_value: Option<Decimal>,
    /// VAT base of a VAT line.
    pub vat_turnover: Option<Decimal>,
    /// Description.
    pub description: String,
}

/// Matching state of a total line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchStatus {
    /// Open (also when partly paid).
    Available,
    /// Fully matched.
    Matched,
}

impl MatchStatus {
    /// `available` or `matched`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Available => "available",
            Self::Matched => "matched",
        }
    }

    /// The Dutch label Browse puts in `name`.
    pub fn dutch(self) -> &'static str {
        match self {
            Self::Available => "Beschikbaar",
            Self::Matched => "Afgeletterd",
        }
    }
}

/// A booked transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// Transaction type code, e.g. `VRK`.
    pub code: String,
    /// Transaction number, e.g. `202600001`.
    pub number: u64,
    /// Temporary or final.
    pub location: Location,
    /// Currency.
    pub currency: String,
    /// Invoice date.
    pub date: NaiveDate,
    /// Period `YYYY/MM`.
    pub period: String,
    /// Invoice number.
    pub invoice_number: String,
    /// Payment reference.
    pub payment_reference: String,
    /// Due date.
    pub due_date: Option<NaiveDate>,
    /// Description.
    pub description: String,
    /// Lines, VAT lines included.
    pub lines: Vec<Line>,
    /// What is still open on the total line (unsigned).
    pub open_value: Decimal,
    /// Matching state of the total line.
    pub match_status: MatchStatus,
    /// When it was fully matched.
    pub match_date: Option<NaiveDate>,
}

impl Transaction {
    /// The total line (the receivable).
    pub fn total_line(&self) -> Option<&Line> {
        self.lines.iter().find(|l| l.kind == LineKind::Total)
    }

    /// The customer of the total line.
    pub fn customer(&self) -> Option<&str> {
        self.total_line().and_then(|l| l.dim2.as_deref())
    }

    /// +1 when the total line is debit (an invoice), −1 when credit (a credit note).
    pub fn sign(&self) -> Decimal {
        match self.total_line().map(|l| l.side) {
            Some(Side::Credit) => Decimal::NEGATIVE_ONE,
            _ => Decimal::ONE,
        }
    }

    /// The total value, signed from the office's view.
    pub fn value_signed(&self) -> Decimal {
        self.total_line().map_or(Decimal::ZERO, |l| l.value) * self.sign()
    }

    /// The open value, signed from the office's view.
    pub fn open_value_signed(&self) -> Decimal {
        self.open_value * self.sign()
    }
}

/// An administration (company).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Office {
    /// Code, e.g. `NLA002058`.
    pub code: String,
    /// Name.
    pub name: String,
    /// Country code.
    pub country: String,
    /// GL accounts by code.
    pub accounts: BTreeMap<String, GlAccount>,
    /// VAT codes by code.
    pub vat_codes: BTreeMap<String, VatCode>,
    /// Periods by `YYYY/MM`.
    pub periods: BTreeMap<String, Period>,
    /// Transaction types by code.
    pub transaction_types: BTreeMap<String, TransactionType>,
    /// Customers by code.
    pub customers: BTreeMap<String, Customer>,
    /// Booked transactions in booking order.
    pub transactions: Vec<Transaction>,
    /// Last transaction sequence per (type, year).
    pub sequences: BTreeMap<String, u32>,
}

impl Office {
    /// Is the customer used by a transaction?
    pub fn customer_in_use(&self, code: &str) -> bool {
        self.transactions.iter().any(|t| t.customer() == Some(code))
    }

    /// The next free customer code (`10001`, `10002`, …).
    pub fn next_customer_code(&self) -> String {
        let highest = self
            .customers
            .keys()
            .filter_map(|c| c.parse::<u32>().ok())
            .filter(|c| (10000..20000).contains(c))
            .max()
            .unwrap_or(10000);
        (highest + 1).to_string()
    }

    /// Assign the next transaction number for `code` in `year`.
    pub fn next_number(&mut self, code: &str, year: i32) -> u64 {
        let sequence = self.sequences.entry(format!("{code}/{year}")).or_insert(0);
        *sequence += 1;
        let year = u64::try_from(year).unwrap_or(0);
        year * 100_000 + u64::from(*sequence)
    }

    /// A transaction by type and number.
    pub fn transaction_mut(&mut self, code: &str, number: u64) -> Option<&mut Transaction> {
        self.transactions
            .iter_mut()
            .find(|t| t.code == code && t.number == number)
    }
}

/// Format an amount with two decimals.
pub fn money(value: Decimal) -> String {
    format!("{:.2}", value.round_dp(2))
}

/// Dutch month names (period names in the finder).
pub fn month_name(month: u32) -> &'static str {
    const NAMES: [&str; 12] = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ];
    NAMES
        .get(usize::try_from(month.saturating_sub(1)).unwrap_or(0))
        .copied()
        .unwrap_or("")
}
