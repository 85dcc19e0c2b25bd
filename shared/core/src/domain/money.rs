//! Money: an exact decimal amount with its ISO 4217 currency. Never a float.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An ISO 4217 currency code such as `EUR`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Currency(pub String);

impl Currency {
    /// The euro, the currency of nearly every Koppel customer.
    pub fn eur() -> Self {
        Self("EUR".to_owned())
    }
}

impl Default for Currency {
    fn default() -> Self {
        Self::eur()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An exact amount in a currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// The amount, exact to the cent (or finer when the source gives it).
    pub amount: Decimal,
    /// The currency of the amount.
    pub currency: Currency,
}

impl Money {
    /// An amount in the given currency.
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// An amount in euro.
    pub fn eur(amount: Decimal) -> Self {
        Self::new(amount, Currency::eur())
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount.round_dp(2), self.currency)
    }
}
