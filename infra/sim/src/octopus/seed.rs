//! A ready-made demo dossier.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::model::{
    Account, Bookyear, Credentials, Dossier, FINANCIAL, INVOICES, Journal, PURCHASE_BOOKINGS,
    Relation, SALES_BOOKINGS, VAT_PURCHASE, VAT_SALES, VatCode,
};

/// The demo dossier's id.
pub const DEMO_DOSSIER_ID: i64 = 35_493;
/// The demo dossier's name.
pub const DEMO_DOSSIER_NAME: &str = "Demo BV";
/// The demo dossier's VAT number.
pub const DEMO_DOSSIER_VAT: &str = "BE0403170701";
/// The demo user.
pub const DEMO_USER: &str = "demo@koppel.test";
/// The demo user's password.
pub const DEMO_PASSWORD: &str = "octopus-demo";
/// Bookyear id of the previous calendar year in the demo dossier.
pub const DEMO_PREVIOUS_BOOKYEAR: i64 = 1;
/// Bookyear id of the current calendar year in the demo dossier.
pub const DEMO_CURRENT_BOOKYEAR: i64 = 2;
/// Bookyear id of the next calendar year in the demo dossier.
pub const DEMO_NEXT_BOOKYEAR: i64 = 3;
/// Relation id of "Brouwerij Het Anker NV" in the demo dossier.
pub const DEMO_RELATION_ANKER: i64 = 1;
/// Relation id of "Bakkerij De Korenaar BV" in the demo dossier.
pub const DEMO_RELATION_KORENAAR: i64 = 2;

/// The demo journals: V1, V2 (sales bookings), F1 (invoices), A1 (purchases), B1 (bank).
pub fn demo_journals() -> Vec<Journal> {
    vec![
        Journal::new("V1", "Verkopen facturen", SALES_BOOKINGS),
        Journal::new("V2", "Verkopen creditnota's", SALES_BOOKINGS),
        Journal::new("F1", "Facturen", INVOICES),
        Journal::new("A1", "Aankopen", PURCHASE_BOOKINGS),
        Journal::new("B1", "Bank", FINANCIAL),
    ]
}

fn account(
    id: i64,
    nl: &str,
    fr: &str,
    en: &str,
    sales: Option<&str>,
    purchase: Option<&str>,
) -> Account {
    Account {
        id,
        description_nl: nl.to_owned(),
        description_fr: fr.to_owned(),
        description_en: en.to_owned(),
        sales_vat_code: sales.map(str::to_owned),
        purchase_vat_code: purchase.map(str::to_owned),
        vat_recup_percentage: Decimal::ONE_HUNDRED,
    }
}

/// The demo accounts (the same in every bookyear).
pub fn demo_accounts() -> Vec<Account> {
    vec![
        account(
            400_000,
            "Handelsdebiteuren",
            "Clients",
            "Trade debtors",
            None,
            None,
        ),
        account(550_000, "Bank", "Banque", "Bank", None, None),
        account(
            600_000,
            "Aankopen handelsgoederen",
            "Achats de marchandises",
            "Purchases",
            None,
            Some("D21"),
        ),
        account(
            700_000,
            "Verkopen handelsgoederen",
            "Ventes de marchandises",
            "Sales of goods",
            Some("21"),
            None,
        ),
        account(
            700_100,
            "Verkopen diensten",
            "Ventes de services",
            "Sales of services",
            Some("21"),
            None,
        ),
        account(
            701_000,
            "Verkopen export",
            "Ventes à l'exportation",
            "Export sales",
            Some("0"),
            None,
        ),
        account(
            704_000,
            "Verkopen intracommunautair",
            "Ventes intracommunautaires",
            "Intra-EU sales",
            Some("0"),
            None,
        ),
        account(
            705_000,
            "Verkopen transport en verzending",
            "Ventes de transport et d'expédition",
            "Shipping sales",
            Some("21"),
            None,
        ),
    ]
}

fn vat(code: &str, description: &str, kind: i32, percentage: u32, account: Option<i64>) -> VatCode {
    VatCode {
        code: code.to_owned(),
        description: description.to_owned(),
        kind,
        base_percentage: Decimal::from(percentage),
        default_sell_booking_account_nr: account,
    }
}

/// The demo VAT codes: sales "0", "6", "12", "21"; purchases "D6", "D21".
pub fn demo_vat_codes() -> Vec<VatCode> {
    vec![
        vat("0", "0%", VAT_SALES, 0, Some(700_000)),
        vat("6", "6%", VAT_SALES, 6, Some(700_000)),
        vat("12", "12%", VAT_SALES, 12, Some(700_000)),
        vat("21", "21%", VAT_SALES, 21, Some(700_000)),
        vat("D6", "Aankopen 6%", VAT_PURCHASE, 6, None),
        vat("D21", "Aankopen 21%", VAT_PURCHASE, 21, None),
    ]
}

/// The demo dossier [`DEMO_DOSSIER_ID`] "Demo BV": user [`DEMO_USER`] / [`DEMO_PASSWORD`];
/// bookyears for the calendar years before, of and after `today` (ids
/// [`DEMO_PREVIOUS_BOOKYEAR`], [`DEMO_CURRENT_BOOKYEAR`], [`DEMO_NEXT_BOOKYEAR`], monthly
/// periods), each with [`demo_journals`] and [`demo_accounts`]; [`demo_vat_codes`]; two client
/// relations ([`DEMO_RELATION_ANKER`], [`DEMO_RELATION_KORENAAR`]); no bookings.
pub fn demo_dossier(today: NaiveDate) -> Dossier {
    let year = today.year();
    let bookyears = [
        (DEMO_PREVIOUS_BOOKYEAR, year - 1),
        (DEMO_CURRENT_BOOKYEAR, year),
        (DEMO_NEXT_BOOKYEAR, year + 1),
    ]
    .into_iter()
    .map(|(id, year)| {
        let mut bookyear = Bookyear::calendar_year(id, year);
        bookyear.journals = demo_journals();
        bookyear.accounts = demo_accounts();
        bookyear
    })
    .collect();
    let mut anker = Relation::client(
        DEMO_RELATION_ANKER,
        "Brouwerij Het Anker NV",
        Some("BE0403170701"),
    );
    anker.street_and_nr = "Guido Gezellelaan 49".to_owned();
    anker.postal_code = "2800".to_owned();
    anker.city = "Mechelen".to_owned();
    anker.email = "boekhouding@hetanker.example".to_owned();
    let mut korenaar = Relation::client(
        DEMO_RELATION_KORENAAR,
        "Bakkerij De Korenaar BV",
        Some("BE0812754387"),
    );
    korenaar.street_and_nr = "Grote Markt 12".to_owned();
    korenaar.postal_code = "9000".to_owned();
    korenaar.city = "Gent".to_owned();
    Dossier {
        id: DEMO_DOSSIER_ID,
        description: DEMO_DOSSIER_NAME.to_owned(),
        vat_nr: Some(DEMO_DOSSIER_VAT.to_owned()),
        users: vec![Credentials {
            user: DEMO_USER.to_owned(),
            password: DEMO_PASSWORD.to_owned(),
        }],
        bookyears,
        vat_codes: demo_vat_codes(),
        relations: vec![anker, korenaar],
        bookings: Vec::new(),
        locked_journals: Default::default(),
    }
}
