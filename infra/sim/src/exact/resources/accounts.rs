//! crm/Accounts: GET with Exact's mandatory filtering, GET by key, POST (create a relation).

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{Ctx, obj};
use crate::exact::error::ApiError;
use crate::exact::model::{ACCOUNT_CODE_WIDTH, Account, Division, pad_account_code, pad_country};
use crate::exact::odata::{self, ListSpec, PAGE_SIZE};
use crate::exact::options::CrashMode;
use crate::exact::payload::Payload;
use crate::exact::schema::ACCOUNT;
use crate::exact::state::SimState;
use crate::exact::wire;

/// Fields of which one must appear in a GET's `$filter`.
const MANDATORY_FILTER: &[&str] = &[
    "Accountant",
    "Blocked",
    "ChamberOfCommerce",
    "Code",
    "Country",
    "Email",
    "ID",
    "IsSales",
    "IsSupplier",
    "Modified",
    "Name",
    "Parent",
    "Status",
    "VATNumber",
];

const SPEC: ListSpec = ListSpec {
    schema: &ACCOUNT,
    page_size: PAGE_SIZE,
    require_select: false,
    mandatory_filter: Some(MANDATORY_FILTER),
    filterable: None,
};

/// The properties an [`Account`] models; other writable ones are kept in `extra`.
const MODELLED: &[&str] = &[
    "Code",
    "Name",
    "Status",
    "VATNumber",
    "ChamberOfCommerce",
    "Email",
    "Phone",
    "Website",
    "AddressLine1",
    "Postcode",
    "City",
    "Country",
    "Language",
    "IsSupplier",
    "Blocked",
    "PeppolIdentifier",
];

/// The JSON record of a relation.
pub(crate) fn row(division: &Division, a: &Account) -> Map<String, Value> {
    let is_sales = a.status == "C";
    let mut row = obj(json!({
        "ID": a.id.to_string(),
        "Code": a.code,
        "Name": a.name,
        "Status": a.status,
        "IsSales": is_sales,
        // Obsolete; a public dump of a real customer shows it true alongside IsSales.
        "IsPurchase": is_sales,
        "IsSupplier": a.is_supplier,
        "Type": "A",
        "VATNumber": a.vat_number,
        "ChamberOfCommerce": a.chamber_of_commerce,
        "Email": a.email,
        "Phone": a.phone,
        "Website": a.website,
        "AddressLine1": a.address_line1,
        "Postcode": a.postcode,
        "City": a.city,
        "Country": a.country.as_deref().map(pad_country),
        "Language": a.language,
        "Blocked": a.blocked,
        "PeppolIdentifier": a.peppol_identifier,
        "SalesCurrency": division.currency,
        "Division": division.code,
        "Created": wire::datetime(a.created),
        "Modified": wire::datetime(a.modified),
    }));
    for (name, value) in &a.extra {
        row.insert(name.clone(), value.clone());
    }
    let text = |name: &str| a.extra.get(name).and_then(Value::as_str);
    if let Some(condition) =
        text("PaymentConditionSales").and_then(|c| division.payment_condition(c))
    {
        row.insert(
            "PaymentConditionSalesDescription".to_owned(),
            Value::String(condition.description.clone()),
        );
    }
    if let Some(vat) = text("SalesVATCode").and_then(|c| division.vat_code(c)) {
        row.insert(
            "SalesVATCodeDescription".to_owned(),
            Value::String(vat.description.clone()),
        );
    }
    row
}

pub(crate) fn get(division: &Division, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let rows = division.accounts.iter().map(|a| row(division, a)).collect();
    match ctx.key {
        Some(key) => odata::get_one(&ACCOUNT, &ctx.link(), ctx.query, rows, key),
        None => odata::list(&SPEC, &ctx.link(), ctx.query, rows),
    }
}

fn next_code(division: &Division) -> String {
    let highest = division
        .accounts
        .iter()
        .filter_map(|a| a.code.trim().parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    pad_account_code(&(highest + 1).to_string())
}

pub(crate) fn post(state: &mut SimState, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let payload = Payload::from_body(ctx.body, &ACCOUNT)?;
    let division = state
        .divisions
        .get_mut(&ctx.division)
        .ok_or_else(|| ApiError::Forbidden("Forbidden - WrongDivision".to_owned()))?;
    let mut errors = Vec::new();
    let name = payload.text("Name");
    if name.is_none() {
        errors.push("Verplicht: Naam".to_owned());
    }
    let status = payload
        .text("Status")
        .map_or_else(|| "C".to_owned(), |s| s.trim().to_ascii_uppercase());
    if !["A", "S", "P", "C"].contains(&status.as_str()) {
        errors.push("Ongeldig: Status".to_owned());
    }
    let code = match payload.text("Code") {
        Some(code) if code.trim().chars().count() > ACCOUNT_CODE_WIDTH => {
            errors.push("Ongeldig: Code".to_owned());
            None
        }
        Some(code) => {
            let padded = pad_account_code(&code);
            if division.accounts.iter().any(|a| a.code == padded) {
                errors.push("In gebruik: Code".to_owned());
            }
            Some(padded)
        }
        None => None,
    };
    if !errors.is_empty() {
        return Err(ApiError::Business(errors));
    }
    let now = wire::local(ctx.now);
    let account = Account {
        id: Uuid::new_v4(),
        code: code.unwrap_or_else(|| next_code(division)),
        name: name.unwrap_or_default(),
        status,
        vat_number: payload.text("VATNumber"),
        chamber_of_commerce: payload.text("ChamberOfCommerce"),
        email: payload.text("Email"),
        phone: payload.text("Phone"),
        website: payload.text("Website"),
        address_line1: payload.text("AddressLine1"),
        postcode: payload.text("Postcode"),
        city: payload.text("City"),
        country: payload
            .text("Country")
            .map(|c| c.trim().to_ascii_uppercase()),
        language: payload.text("Language"),
        is_supplier: payload.boolean("IsSupplier").unwrap_or(false),
        blocked: payload.boolean("Blocked").unwrap_or(false),
        peppol_identifier: payload.text("PeppolIdentifier"),
        extra: payload.others(MODELLED),
        created: now,
        modified: now,
    };
    let record = odata::entity(&ACCOUNT, &ctx.link(), row(division, &account));
    tracing::debug!(
        division = division.code,
        code = account.code.trim(),
        "exact sim: account created"
    );
    division.accounts.push(account);
    if state.faults.lose_account_answers > 0 {
        state.faults.lose_account_answers -= 1;
        state.stats.crashes_after_commit += 1;
        tracing::info!("exact sim: crash after commit (account stored, answer lost)");
        return Err(ApiError::CrashAfterCommit(CrashMode::DropConnection));
    }
    Ok(odata::single(StatusCode::CREATED, Value::Object(record)))
}
