//! The demo organisation's offices: GL accounts, VAT codes, periods for the previous, current
//! and next year (all open), transaction types and two customers.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::model::{
    AccountKind, Address, Category, Customer, GlAccount, Office, Period, TransactionType, VatCode,
};

/// The seeded customer "Brouwerij Het Anker NV".
pub const CUSTOMER_ANKER: &str = "10001";
/// The seeded customer "Bakkerij De Korenaar BV".
pub const CUSTOMER_KORENAAR: &str = "10002";

/// A customer with a default invoice address.
pub fn customer(code: &str, name: &str, country: &str, vat: &str) -> Customer {
    Customer {
        code: code.to_owned(),
        uid: uuid::Uuid::new_v4().to_string(),
        name: name.to_owned(),
        address: Address {
            name: name.to_owned(),
            country: country.to_owned(),
            field4: vat.to_owned(),
            ..Address::default()
        },
        due_days: 30,
    }
}

/// An office seeded for `year - 1 ..= year + 1`; `country` NL gets a 9% low VAT rate, others 6%
/// and a 12% middle rate, and Belgian offices the Belgian revenue accounts (70…) next to the
/// Dutch ones.
pub fn office(code: &str, name: &str, country: &str, year: i32) -> Office {
    let belgian: &[(&str, &str, AccountKind)] = if country == "BE" {
        &[
            ("700000", "Verkopen handelsgoederen", AccountKind::Pnl),
            ("700100", "Verkopen diensten", AccountKind::Pnl),
            ("705000", "Verkopen transport", AccountKind::Pnl),
        ]
    } else {
        &[]
    };
    let accounts = [
        ("1100", "Bank", AccountKind::Bas),
        ("1300", "Debiteuren", AccountKind::Bas),
        ("1530", "Te betalen btw", AccountKind::Bas),
        ("8000", "Omzet hoog", AccountKind::Pnl),
        ("8010", "Omzet laag", AccountKind::Pnl),
        ("8020", "Omzet vrijgesteld", AccountKind::Pnl),
    ]
    .into_iter()
    .chain(belgian.iter().copied())
    .map(|(code, name, kind)| {
        (
            code.to_owned(),
            GlAccount {
                code: code.to_owned(),
                name: name.to_owned(),
                kind,
            },
        )
    })
    .collect();
    let low = if country == "NL" { 9 } else { 6 };
    let middle: &[(&str, &str, Category, u32)] = if country == "NL" {
        &[]
    } else {
        &[("VM", "BTW midden", Category::Sales, 12)]
    };
    let vat_codes = [
        ("VH", "BTW hoog", Category::Sales, 21),
        ("VL", "BTW laag", Category::Sales, low),
        ("VN", "BTW nul", Category::Sales, 0),
        ("IH", "BTW hoog inkoop", Category::Purchase, 21),
    ]
    .into_iter()
    .chain(middle.iter().copied())
    .map(|(code, name, kind, pct)| {
        (
            code.to_owned(),
            VatCode {
                code: code.to_owned(),
                name: name.to_owned(),
                kind,
                percentage: Decimal::from(pct),
            },
        )
    })
    .collect();
    let periods = (year - 1..=year + 1)
        .flat_map(|y| (1..=12).map(move |m| (y, m)))
        .map(|(year, month)| {
            let period = Period {
                year,
                month,
                open: true,
            };
            (period.code(), period)
        })
        .collect();
    let transaction_types = [
        ("VRK", "Verkoopfacturen", Category::Sales),
        ("INK", "Inkoopfacturen", Category::Purchase),
        ("MEMO", "Memoriaal", Category::Memorial),
    ]
    .into_iter()
    .map(|(code, name, category)| {
        (
            code.to_owned(),
            TransactionType {
                code: code.to_owned(),
                name: name.to_owned(),
                category,
            },
        )
    })
    .collect();
    let customers = [
        customer(
            CUSTOMER_ANKER,
            "Brouwerij Het Anker NV",
            "BE",
            "BE0403170701",
        ),
        customer(CUSTOMER_KORENAAR, "Bakkerij De Korenaar BV", "NL", ""),
    ]
    .into_iter()
    .map(|c| (c.code.clone(), c))
    .collect();
    Office {
        code: code.to_owned(),
        name: name.to_owned(),
        country: country.to_owned(),
        accounts,
        vat_codes,
        periods,
        transaction_types,
        customers,
        transactions: Vec::new(),
        sequences: BTreeMap::new(),
    }
}
