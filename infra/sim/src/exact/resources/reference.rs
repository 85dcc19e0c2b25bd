//! Read-only reference data: current/Me, divisions, GL accounts, journals, VAT codes,
//! financial periods and document types.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::{Ctx, obj};
use crate::exact::error::ApiError;
use crate::exact::model::{DOCUMENT_TYPES, Division, pad_vat_code};
use crate::exact::odata::{self, Link, ListSpec};
use crate::exact::schema;
use crate::exact::state::SimState;
use crate::exact::wire;

/// When seeded reference data was "created".
fn seeded() -> Value {
    NaiveDate::from_ymd_opt(2025, 1, 1)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .map_or(Value::Null, wire::datetime)
}

/// Dutch name of a GL account type.
pub(crate) fn gl_type_description(kind: i32) -> &'static str {
    match kind {
        10 => "Kas",
        12 => "Bank",
        14 => "Creditcard",
        16 => "Betaaldienst",
        20 => "Debiteuren",
        22 => "Crediteuren",
        24 => "Btw",
        50 => "Eigen vermogen",
        90 => "Algemeen",
        110 => "Omzet",
        111 => "Kostprijs van de omzet",
        120 => "Overige kosten",
        125 => "Personeelskosten",
        140 => "Buitengewone opbrengsten",
        _ => "Overige",
    }
}

pub(crate) fn me(state: &SimState, ctx: &Ctx<'_>) -> Result<axum::response::Response, ApiError> {
    let user = &state.user;
    let (first, last) = user
        .full_name
        .split_once(' ')
        .unwrap_or((&user.full_name, ""));
    let row = obj(json!({
        "UserID": user.id.to_string(),
        "UserName": user.user_name,
        "FullName": user.full_name,
        "FirstName": first,
        "LastName": last,
        "Email": user.email,
        "LanguageCode": "nl-BE",
        "Language": "NL",
        "CurrentDivision": ctx.grant.division,
    }));
    odata::list(
        &ListSpec::plain(&schema::ME),
        &ctx.link(),
        ctx.query,
        vec![row],
    )
}

pub(crate) fn divisions(
    state: &SimState,
    ctx: &Ctx<'_>,
) -> Result<axum::response::Response, ApiError> {
    let rows = state
        .divisions
        .values()
        .map(|d| {
            obj(json!({
                "Code": d.code,
                "Hid": i64::from(d.code),
                "Description": d.description,
                "Country": d.legislation.country(),
                "Currency": d.currency,
                "VATNumber": d.vat_number,
                "Current": d.code == ctx.grant.division,
                "BlockingStatus": 0,
                "Status": 1,
                "Created": seeded(),
                "Modified": seeded(),
            }))
        })
        .collect();
    odata::list(
        &ListSpec::plain(&schema::DIVISION),
        &ctx.link(),
        ctx.query,
        rows,
    )
}

pub(crate) fn gl_accounts(
    division: &Division,
    ctx: &Ctx<'_>,
) -> Result<axum::response::Response, ApiError> {
    let rows = division
        .gl_accounts
        .iter()
        .map(|a| {
            let vat = a.vat_code.as_deref().and_then(|c| division.vat_code(c));
            obj(json!({
                "ID": a.id.to_string(),
                "Code": a.code,
                "Description": a.description,
                "Type": a.kind,
                "TypeDescription": gl_type_description(a.kind),
                "BalanceType": a.balance_type.code(),
                "BalanceSide": if a.kind == 110 || a.kind == 140 { "C" } else { "D" },
                "IsBlocked": a.blocked,
                "VATCode": vat.map(|v| pad_vat_code(&v.code)),
                "VATDescription": vat.map(|v| v.description.clone()),
                "Division": division.code,
                "Created": seeded(),
                "Modified": seeded(),
            }))
        })
        .collect();
    odata::list(
        &ListSpec::plain(&schema::GL_ACCOUNT),
        &ctx.link(),
        ctx.query,
        rows,
    )
}

pub(crate) fn journals(
    division: &Division,
    ctx: &Ctx<'_>,
) -> Result<axum::response::Response, ApiError> {
    let rows = division
        .journals
        .iter()
        .map(|j| {
            obj(json!({
                "ID": j.id.to_string(),
                "Code": j.code,
                "Description": j.description,
                "Type": j.kind,
                "Division": division.code,
                "Created": seeded(),
                "Modified": seeded(),
            }))
        })
        .collect();
    odata::list(
        &ListSpec::plain(&schema::JOURNAL),
        &ctx.link(),
        ctx.query,
        rows,
    )
}

pub(crate) fn vat_codes(
    division: &Division,
    ctx: &Ctx<'_>,
) -> Result<axum::response::Response, ApiError> {
    let rows = division
        .vat_codes
        .iter()
        .map(|v| {
            obj(json!({
                "ID": v.id.to_string(),
                "Code": pad_vat_code(&v.code),
                "Description": v.description,
                "Percentage": wire::number(v.percentage / Decimal::ONE_HUNDRED),
                "Type": v.kind.code(),
                "VATTransactionType": "B",
                "IsBlocked": v.blocked,
                "Charged": false,
                "Division": division.code,
                "Created": seeded(),
                "Modified": seeded(),
            }))
        })
        .collect();
    odata::list(
        &ListSpec::plain(&schema::VAT_CODE),
        &ctx.link(),
        ctx.query,
        rows,
    )
}

pub(crate) fn periods(
    division: &Division,
    ctx: &Ctx<'_>,
) -> Result<axum::response::Response, ApiError> {
    let rows = division
        .periods
        .iter()
        .map(|p| {
            obj(json!({
                "ID": p.id.to_string(),
                "FinYear": p.year,
                "FinPeriod": p.period,
                "StartDate": wire::date(p.start),
                "EndDate": wire::date(p.end),
                "Division": division.code,
                "Created": seeded(),
                "Modified": seeded(),
            }))
        })
        .collect();
    odata::list(
        &ListSpec::plain(&schema::FINANCIAL_PERIOD),
        &ctx.link(),
        ctx.query,
        rows,
    )
}

pub(crate) fn payment_conditions(
    division: &Division,
    ctx: &Ctx<'_>,
) -> Result<axum::response::Response, ApiError> {
    let rows = division
        .payment_conditions
        .iter()
        .map(|c| {
            obj(json!({
                "ID": c.id.to_string(),
                "Code": c.code,
                "Description": c.description,
                "PaymentDays": c.days,
                "PaymentMethod": c.method,
                "Division": division.code,
                "Created": seeded(),
                "Modified": seeded(),
            }))
        })
        .collect();
    odata::list(
        &ListSpec::plain(&schema::PAYMENT_CONDITION),
        &ctx.link(),
        ctx.query,
        rows,
    )
}

pub(crate) fn document_types(ctx: &Ctx<'_>) -> Result<axum::response::Response, ApiError> {
    let rows: Vec<Map<String, Value>> = DOCUMENT_TYPES
        .iter()
        .map(|(id, description)| {
            obj(json!({
                "ID": id,
                "Description": description,
                "DocumentIsCreatable": true,
                "DocumentIsDeletable": true,
                "DocumentIsUpdatable": true,
                "DocumentIsViewable": true,
                "TypeCategory": if *id == 10 || *id == 20 { 1 } else { 0 },
            }))
        })
        .collect();
    odata::list(
        &ListSpec::plain(&schema::DOCUMENT_TYPE),
        &Link::new(ctx.base_url, ctx.division_segment, ctx.resource),
        ctx.query,
        rows,
    )
}
