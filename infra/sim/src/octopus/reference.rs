//! Reference data: bookyears with periods, journals, accounts, VAT codes.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::budget::Group;
use super::error::{self, ApiError};
use super::model::{Bookyear, Key};
use super::state::{Call, Shared};
use super::wire::{self, Params};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PeriodItem {
    bookyear_period: i32,
    start_date: NaiveDate,
    end_date: NaiveDate,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BookyearItem {
    bookyear_key: Key,
    bookyear_description: String,
    start_date: NaiveDate,
    end_date: NaiveDate,
    closed: bool,
    periods: Vec<PeriodItem>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JournalItem {
    bookyear_key: Key,
    journal_key: String,
    name: String,
    closed: bool,
    closed_period: i32,
    protected_period: i32,
    insertion_type: i32,
    last_booked_document_nr: i64,
    currency_code: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AccountKey {
    id: i64,
    bookyear_key: Key,
}

#[derive(Serialize)]
struct Descriptions {
    #[serde(rename = "description_NL")]
    nl: String,
    #[serde(rename = "description_FR")]
    fr: String,
    #[serde(rename = "description_EN")]
    en: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AccountItem {
    account_key: AccountKey,
    description: Descriptions,
    sales_vat_code: Option<String>,
    purchase_vat_code: Option<String>,
    #[serde(with = "rust_decimal::serde::float")]
    vat_recup_percentage: Decimal,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VatCodeItem {
    code: String,
    description: String,
    #[serde(rename = "type")]
    kind: i32,
    #[serde(with = "rust_decimal::serde::float")]
    base_percentage: Decimal,
    default_sell_booking_account_nr: Option<i64>,
}

const BOOKYEARS: Call = Call::new(Group::Reference, "GET /dossiers/{dossierId}/bookyears");
const JOURNALS: Call = Call::new(
    Group::Reference,
    "GET /dossiers/{dossierId}/bookyears/{bookyearId}/journals",
);
const ACCOUNTS: Call = Call::new(Group::Reference, "GET /dossiers/{dossierId}/accounts");
const VAT_CODES: Call = Call::new(Group::Reference, "GET /dossiers/{dossierId}/vatcodes");

fn bookyear_item(b: &Bookyear) -> BookyearItem {
    BookyearItem {
        bookyear_key: Key { id: b.id },
        bookyear_description: b.description.clone(),
        start_date: b.start_date,
        end_date: b.end_date,
        closed: b.closed,
        periods: b
            .periods
            .iter()
            .map(|p| PeriodItem {
                bookyear_period: p.number,
                start_date: p.start_date,
                end_date: p.end_date,
            })
            .collect(),
    }
}

/// `GET /dossiers/{dossierId}/bookyears`.
pub(crate) async fn bookyears(
    State(shared): State<Arc<Shared>>,
    Path(dossier): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = (|| {
        let (state, id) = shared.enter_dossier(BOOKYEARS, &dossier, &headers)?;
        let items: Vec<BookyearItem> = state
            .dossiers
            .get(&id)
            .map(|d| d.bookyears.iter().map(bookyear_item).collect())
            .unwrap_or_default();
        Ok(wire::ok(&items))
    })();
    shared.respond(result)
}

/// "Book year N does not exist" (400).
pub(crate) fn no_bookyear(id: i64) -> ApiError {
    ApiError::invalid(format!("Book year {id} does not exist"))
}

/// `GET /dossiers/{dossierId}/bookyears/{bookyearId}/journals` (synchronised journals only).
pub(crate) async fn journals(
    State(shared): State<Arc<Shared>>,
    Path((dossier, bookyear)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let result = (|| {
        let (state, id) = shared.enter_dossier(JOURNALS, &dossier, &headers)?;
        let bookyear_id: i64 = bookyear
            .parse()
            .map_err(|_| ApiError::invalid(format!("Book year {bookyear} does not exist")))?;
        let bookyear = state
            .dossiers
            .get(&id)
            .and_then(|d| d.bookyear(bookyear_id))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    error::INVALID,
                    format!("Book year {bookyear_id} does not exist"),
                )
            })?;
        let items: Vec<JournalItem> = bookyear
            .journals
            .iter()
            .filter(|j| j.visible)
            .map(|j| JournalItem {
                bookyear_key: Key { id: bookyear_id },
                journal_key: j.key.clone(),
                name: j.name.clone(),
                closed: j.closed,
                closed_period: j.closed_period,
                protected_period: j.protected_period,
                insertion_type: j.insertion_type,
                last_booked_document_nr: j.last_booked_document_nr,
                currency_code: j.currency_code.clone(),
            })
            .collect();
        Ok(wire::ok(&items))
    })();
    shared.respond(result)
}

/// `GET /dossiers/{dossierId}/accounts?bookyearId=N`.
pub(crate) async fn accounts(
    State(shared): State<Arc<Shared>>,
    Path(dossier): Path<String>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    let result = (|| {
        let (state, id) = shared.enter_dossier(ACCOUNTS, &dossier, &headers)?;
        let bookyear_id = wire::int_param(&params, "bookyearId")?;
        let bookyear = state
            .dossiers
            .get(&id)
            .and_then(|d| d.bookyear(bookyear_id))
            .ok_or_else(|| no_bookyear(bookyear_id))?;
        let items: Vec<AccountItem> = bookyear
            .accounts
            .iter()
            .map(|a| AccountItem {
                account_key: AccountKey {
                    id: a.id,
                    bookyear_key: Key { id: bookyear_id },
                },
                description: Descriptions {
                    nl: a.description_nl.clone(),
                    fr: a.description_fr.clone(),
                    en: a.description_en.clone(),
                },
                sales_vat_code: a.sales_vat_code.clone(),
                purchase_vat_code: a.purchase_vat_code.clone(),
                vat_recup_percentage: a.vat_recup_percentage,
            })
            .collect();
        Ok(wire::ok(&items))
    })();
    shared.respond(result)
}

/// `GET /dossiers/{dossierId}/vatcodes`.
pub(crate) async fn vat_codes(
    State(shared): State<Arc<Shared>>,
    Path(dossier): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = (|| {
        let (state, id) = shared.enter_dossier(VAT_CODES, &dossier, &headers)?;
        let items: Vec<VatCodeItem> = state
            .dossiers
            .get(&id)
            .map(|d| {
                d.vat_codes
                    .iter()
                    .map(|v| VatCodeItem {
                        code: v.code.clone(),
                        description: v.description.clone(),
                        kind: v.kind,
                        base_percentage: v.base_percentage,
                        default_sell_booking_account_nr: v.default_sell_booking_account_nr,
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(wire::ok(&items))
    })();
    shared.respond(result)
}
