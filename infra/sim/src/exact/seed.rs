//! Ready-made divisions: a Belgian one (PCMN 70xxxx revenue accounts, journals 700/710) and a
//! Dutch one (8xxx revenue accounts, journal 70), each with VAT codes (exclusive, inclusive,
//! base-only, none, one blocked), monthly periods for 2025–2027 and a few customers.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::model::{
    Account, BalanceType, Division, FinancialPeriod, GL_TYPE_PAYABLE, GL_TYPE_RECEIVABLE,
    GL_TYPE_REVENUE, GL_TYPE_VAT, GlAccount, JOURNAL_TYPE_BANK, JOURNAL_TYPE_GENERAL,
    JOURNAL_TYPE_PURCHASE, JOURNAL_TYPE_SALES, Journal, Legislation, PAYMENT_METHOD_CASH,
    PAYMENT_METHOD_COLLECTION, PAYMENT_METHOD_ON_CREDIT, PaymentCondition, VatCode, VatKind,
    pad_account_code,
};

/// First financial year seeded.
pub const FIRST_YEAR: i32 = 2025;
/// Last financial year seeded.
pub const LAST_YEAR: i32 = 2027;

/// (code, description, type, balance type, default VAT code, blocked)
type GlRow = (
    &'static str,
    &'static str,
    i32,
    BalanceType,
    Option<&'static str>,
    bool,
);
/// (code, description, percentage, kind, blocked)
type VatRow = (&'static str, &'static str, i64, VatKind, bool);
/// (name, VAT number, city, country)
type CustomerRow = (
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
);

use BalanceType::{Balance as B, ProfitLoss as W};

const BE_GL: &[GlRow] = &[
    ("100000", "Geplaatst kapitaal", 50, B, None, false),
    (
        "400000",
        "Handelsdebiteuren",
        GL_TYPE_RECEIVABLE,
        B,
        None,
        false,
    ),
    ("440000", "Leveranciers", GL_TYPE_PAYABLE, B, None, false),
    ("451000", "Te betalen btw", GL_TYPE_VAT, B, None, false),
    ("550000", "Bank", 12, B, None, false),
    (
        "604000",
        "Aankopen handelsgoederen",
        111,
        W,
        Some("21"),
        false,
    ),
    (
        "610000",
        "Diensten en diverse goederen",
        120,
        W,
        Some("21"),
        false,
    ),
    (
        "700000",
        "Verkopen handelsgoederen",
        GL_TYPE_REVENUE,
        W,
        Some("21"),
        false,
    ),
    (
        "700100",
        "Verkopen handelsgoederen 6%",
        GL_TYPE_REVENUE,
        W,
        Some("6"),
        false,
    ),
    (
        "701000",
        "Verkopen producten",
        GL_TYPE_REVENUE,
        W,
        Some("21"),
        false,
    ),
    (
        "705000",
        "Dienstverlening",
        GL_TYPE_REVENUE,
        W,
        Some("21"),
        false,
    ),
    (
        "708000",
        "Toegekende kortingen",
        GL_TYPE_REVENUE,
        W,
        Some("21"),
        false,
    ),
    (
        "740000",
        "Diverse bedrijfsopbrengsten",
        140,
        W,
        Some("21"),
        false,
    ),
    (
        "749000",
        "Oude omzetrekening (geblokkeerd)",
        GL_TYPE_REVENUE,
        W,
        Some("21"),
        true,
    ),
];

const NL_GL: &[GlRow] = &[
    ("0500", "Geplaatst kapitaal", 50, B, None, false),
    ("1100", "Bank", 12, B, None, false),
    ("1300", "Debiteuren", GL_TYPE_RECEIVABLE, B, None, false),
    ("1500", "Af te dragen btw hoog", GL_TYPE_VAT, B, None, false),
    ("1510", "Af te dragen btw laag", GL_TYPE_VAT, B, None, false),
    ("1600", "Crediteuren", GL_TYPE_PAYABLE, B, None, false),
    ("4000", "Personeelskosten", 125, W, None, false),
    (
        "7000",
        "Inkoopwaarde van de omzet",
        111,
        W,
        Some("2"),
        false,
    ),
    ("8000", "Omzet hoog", GL_TYPE_REVENUE, W, Some("2"), false),
    ("8010", "Omzet laag", GL_TYPE_REVENUE, W, Some("1"), false),
    (
        "8020",
        "Omzet verlegd",
        GL_TYPE_REVENUE,
        W,
        Some("V"),
        false,
    ),
    (
        "8100",
        "Omzet diensten",
        GL_TYPE_REVENUE,
        W,
        Some("2"),
        false,
    ),
    (
        "8900",
        "Kortingen op omzet",
        GL_TYPE_REVENUE,
        W,
        Some("2"),
        false,
    ),
    (
        "8999",
        "Oude omzet (geblokkeerd)",
        GL_TYPE_REVENUE,
        W,
        Some("2"),
        true,
    ),
];

const BE_VAT: &[VatRow] = &[
    ("0", "Btw 0%", 0, VatKind::Exclusive, false),
    ("6", "Btw 6%", 6, VatKind::Exclusive, false),
    ("12", "Btw 12%", 12, VatKind::Exclusive, false),
    ("21", "Btw 21%", 21, VatKind::Exclusive, false),
    ("6I", "Btw 6% inclusief", 6, VatKind::Inclusive, false),
    ("21I", "Btw 21% inclusief", 21, VatKind::Inclusive, false),
    ("CM", "Medecontractant", 0, VatKind::BaseOnly, false),
    (
        "IC",
        "Intracommunautaire levering",
        0,
        VatKind::BaseOnly,
        false,
    ),
    ("EX", "Uitvoer buiten de EU", 0, VatKind::BaseOnly, false),
    ("N", "Niet onderworpen", 0, VatKind::NoVat, false),
    (
        "19",
        "Btw 19% (oud, geblokkeerd)",
        19,
        VatKind::Exclusive,
        true,
    ),
];

const NL_VAT: &[VatRow] = &[
    ("0", "Geen btw", 0, VatKind::NoVat, false),
    ("1", "Btw laag 9%", 9, VatKind::Exclusive, false),
    ("2", "Btw hoog 21%", 21, VatKind::Exclusive, false),
    ("3", "Btw 0%", 0, VatKind::Exclusive, false),
    ("4", "Btw hoog 21% inclusief", 21, VatKind::Inclusive, false),
    ("5", "Btw laag 9% inclusief", 9, VatKind::Inclusive, false),
    ("V", "Btw verlegd", 0, VatKind::BaseOnly, false),
    (
        "6",
        "Btw laag 6% (oud, geblokkeerd)",
        6,
        VatKind::Exclusive,
        true,
    ),
];

const BE_JOURNALS: &[(&str, &str, i32)] = &[
    ("700", "Verkopen", JOURNAL_TYPE_SALES),
    ("710", "Creditnota's verkopen", JOURNAL_TYPE_SALES),
    ("600", "Aankopen", JOURNAL_TYPE_PURCHASE),
    ("550", "Bank", JOURNAL_TYPE_BANK),
    ("900", "Diverse verrichtingen", JOURNAL_TYPE_GENERAL),
];

const NL_JOURNALS: &[(&str, &str, i32)] = &[
    ("70", "Verkoopboek", JOURNAL_TYPE_SALES),
    ("60", "Inkoopboek", JOURNAL_TYPE_PURCHASE),
    ("20", "Bank", JOURNAL_TYPE_BANK),
    ("90", "Memoriaal", JOURNAL_TYPE_GENERAL),
];

/// (code, description, days, method)
type ConditionRow = (&'static str, &'static str, i32, &'static str);

const BE_CONDITIONS: &[ConditionRow] = &[
    ("00", "Contant", 0, PAYMENT_METHOD_CASH),
    ("14", "14 dagen", 14, PAYMENT_METHOD_ON_CREDIT),
    ("30", "30 dagen", 30, PAYMENT_METHOD_ON_CREDIT),
    (
        "DOM",
        "Domiciliëring 30 dagen",
        30,
        PAYMENT_METHOD_COLLECTION,
    ),
];

const NL_CONDITIONS: &[ConditionRow] = &[
    ("00", "Contant", 0, PAYMENT_METHOD_CASH),
    ("14", "14 dagen", 14, PAYMENT_METHOD_ON_CREDIT),
    ("30", "30 dagen", 30, PAYMENT_METHOD_ON_CREDIT),
    ("IN", "Automatische incasso", 14, PAYMENT_METHOD_COLLECTION),
];

const BE_CUSTOMERS: &[CustomerRow] = &[
    ("Brouwerij De Ster BV", Some("BE0403170701"), "Gent", "BE"),
    ("Atelier Lumière SRL", Some("BE0202239951"), "Namur", "BE"),
    ("Jan Peeters", None, "Leuven", "BE"),
];

const NL_CUSTOMERS: &[CustomerRow] = &[
    (
        "Bakkerij Van Dam BV",
        Some("NL001234567B01"),
        "Utrecht",
        "NL",
    ),
    (
        "Fietsenmaker Jansen",
        Some("NL002345678B02"),
        "Zwolle",
        "NL",
    ),
];

impl Division {
    /// A Belgian division with the chart, journals ("700" sales, "710" credit notes, both
    /// sales journals; "600" purchase; "550" bank; "900" general), VAT codes, periods
    /// 2025–2027, payment conditions ("DOM" is direct debit) and three customers.
    pub fn belgian(code: i32, description: &str) -> Self {
        build(
            code,
            description,
            Legislation::Be,
            Some("BE0799999920"),
            Charts {
                gl: BE_GL,
                journals: BE_JOURNALS,
                vat: BE_VAT,
                conditions: BE_CONDITIONS,
                customers: BE_CUSTOMERS,
            },
        )
    }

    /// A Dutch division ("70" sales, "60" purchase, "20" bank, "90" memoriaal; revenue 8xxx).
    pub fn dutch(code: i32, description: &str) -> Self {
        build(
            code,
            description,
            Legislation::Nl,
            Some("NL859999999B01"),
            Charts {
                gl: NL_GL,
                journals: NL_JOURNALS,
                vat: NL_VAT,
                conditions: NL_CONDITIONS,
                customers: NL_CUSTOMERS,
            },
        )
    }
}

/// The country-specific tables a division is built from.
struct Charts {
    gl: &'static [GlRow],
    journals: &'static [(&'static str, &'static str, i32)],
    vat: &'static [VatRow],
    conditions: &'static [ConditionRow],
    customers: &'static [CustomerRow],
}

fn build(
    code: i32,
    description: &str,
    legislation: Legislation,
    vat_number: Option<&str>,
    charts: Charts,
) -> Division {
    let Charts {
        gl,
        journals,
        vat,
        conditions,
        customers,
    } = charts;
    let created = seed_time();
    Division {
        code,
        description: description.to_owned(),
        legislation,
        currency: "EUR".to_owned(),
        vat_number: vat_number.map(str::to_owned),
        gl_accounts: gl
            .iter()
            .map(
                |&(code, description, kind, balance_type, vat_code, blocked)| GlAccount {
                    id: Uuid::new_v4(),
                    code: code.to_owned(),
                    description: description.to_owned(),
                    kind,
                    balance_type,
                    vat_code: vat_code.map(str::to_owned),
                    blocked,
                },
            )
            .collect(),
        journals: journals
            .iter()
            .map(|&(code, description, kind)| Journal {
                id: Uuid::new_v4(),
                code: code.to_owned(),
                description: description.to_owned(),
                kind,
            })
            .collect(),
        vat_codes: vat
            .iter()
            .map(|&(code, description, percentage, kind, blocked)| VatCode {
                id: Uuid::new_v4(),
                code: code.to_owned(),
                description: description.to_owned(),
                percentage: Decimal::from(percentage),
                kind,
                blocked,
            })
            .collect(),
        periods: monthly_periods(FIRST_YEAR, LAST_YEAR),
        payment_conditions: conditions
            .iter()
            .map(|&(code, description, days, method)| PaymentCondition {
                id: Uuid::new_v4(),
                code: code.to_owned(),
                description: description.to_owned(),
                days,
                method: method.to_owned(),
            })
            .collect(),
        accounts: customers
            .iter()
            .enumerate()
            .map(|(index, &(name, vat_number, city, country))| Account {
                id: Uuid::new_v4(),
                code: pad_account_code(&(index + 1).to_string()),
                name: name.to_owned(),
                status: "C".to_owned(),
                vat_number: vat_number.map(str::to_owned),
                chamber_of_commerce: None,
                email: None,
                phone: None,
                website: None,
                address_line1: None,
                postcode: None,
                city: Some(city.to_owned()),
                country: Some(country.to_owned()),
                language: Some(
                    if country == "BE" && city == "Namur" {
                        "FR"
                    } else {
                        "NL"
                    }
                    .to_owned(),
                ),
                is_supplier: false,
                blocked: false,
                peppol_identifier: None,
                extra: Default::default(),
                created,
                modified: created,
            })
            .collect(),
        entries: Vec::new(),
        documents: Vec::new(),
        attachments: Vec::new(),
        financial_entries: Vec::new(),
    }
}

/// Twelve monthly periods per calendar year from `first` to `last` (inclusive), all open.
pub fn monthly_periods(first: i32, last: i32) -> Vec<FinancialPeriod> {
    let mut periods = Vec::new();
    for year in first..=last {
        for month in 1..=12u32 {
            let Some(start) = NaiveDate::from_ymd_opt(year, month, 1) else {
                continue;
            };
            let next = if month == 12 {
                NaiveDate::from_ymd_opt(year + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(year, month + 1, 1)
            };
            let Some(end) = next.and_then(|n| n.pred_opt()) else {
                continue;
            };
            periods.push(FinancialPeriod {
                id: Uuid::new_v4(),
                year,
                period: start.month() as i32,
                start,
                end,
                closed: false,
            });
        }
    }
    periods
}

fn seed_time() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(FIRST_YEAR, 1, 1)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_cover_three_years_month_by_month() {
        let periods = monthly_periods(2025, 2027);
        assert_eq!(periods.len(), 36);
        let feb = periods
            .iter()
            .find(|p| p.year == 2026 && p.period == 2)
            .unwrap();
        assert_eq!(feb.end, NaiveDate::from_ymd_opt(2026, 2, 28).unwrap());
        let dec = periods.last().unwrap();
        assert_eq!(dec.end, NaiveDate::from_ymd_opt(2027, 12, 31).unwrap());
    }

    #[test]
    fn belgian_division_has_revenue_accounts_and_sales_journals() {
        let division = Division::belgian(1, "Test");
        assert!(
            division
                .gl_account_by_code("700000")
                .unwrap()
                .accepts_sales_lines()
        );
        assert!(
            !division
                .gl_account_by_code("400000")
                .unwrap()
                .accepts_sales_lines()
        );
        assert!(division.journal("700").unwrap().is_sales());
        assert!(division.journal("710").unwrap().is_sales());
        assert!(!division.journal("600").unwrap().is_sales());
        assert_eq!(
            division.vat_code("21 ").unwrap().percentage,
            Decimal::from(21)
        );
        assert_eq!(division.accounts[0].code.len(), 18);
    }
}
