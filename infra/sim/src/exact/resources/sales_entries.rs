//! salesentry/SalesEntries (GET, GET by key, POST, DELETE by key) and
//! salesentry/SalesEntryLines (GET).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::{Ctx, obj};
use crate::exact::booking;
use crate::exact::error::ApiError;
use crate::exact::model::{
    Division, ENTRY_TYPE_CREDIT_NOTE, SalesEntry, SalesEntryLine, pad_vat_code,
};
use crate::exact::odata::{self, KeyVal, ListSpec};
use crate::exact::payload::Payload;
use crate::exact::schema::{SALES_ENTRY, SALES_ENTRY_LINE};
use crate::exact::state::SimState;
use crate::exact::wire;

const ENTRIES: &str = "salesentry/SalesEntries";
const LINES: &str = "salesentry/SalesEntryLines";

fn type_description(kind: i32) -> &'static str {
    if kind == ENTRY_TYPE_CREDIT_NOTE {
        "Verkoopcreditnota"
    } else {
        "Verkoopfactuur"
    }
}

/// The JSON record of one line.
pub(crate) fn line_row(
    division: &Division,
    entry: &SalesEntry,
    line: &SalesEntryLine,
) -> Map<String, Value> {
    let gl = division.gl_account(line.gl_account);
    let vat = line.vat_code.as_deref().and_then(|c| division.vat_code(c));
    obj(json!({
        "ID": line.id.to_string(),
        "AmountDC": wire::number(line.amount_fc),
        "AmountFC": wire::number(line.amount_fc),
        "CostCenter": line.cost_center,
        "CostUnit": line.cost_unit,
        "Description": line.description,
        "Division": division.code,
        "EntryID": entry.entry_id.to_string(),
        "GLAccount": line.gl_account.to_string(),
        "GLAccountCode": gl.map(|g| g.code.clone()),
        "GLAccountDescription": gl.map(|g| g.description.clone()),
        "LineNumber": line.line_number,
        "Notes": line.notes,
        "Quantity": wire::opt_number(line.quantity),
        "Type": entry.entry_type(),
        "VATAmountDC": wire::number(line.vat_amount_fc),
        "VATAmountFC": wire::number(line.vat_amount_fc),
        "VATBaseAmountDC": wire::number(line.amount_fc),
        "VATBaseAmountFC": wire::number(line.amount_fc),
        "VATCode": line.vat_code.as_deref().map(pad_vat_code),
        "VATCodeDescription": vat.map(|v| v.description.clone()),
        "VATPercentage": wire::number(line.vat_percentage / rust_decimal::Decimal::ONE_HUNDRED),
    }))
}

/// The JSON record of an entry; lines expanded or as a deferred link.
pub(crate) fn entry_row(
    division: &Division,
    entry: &SalesEntry,
    ctx: &Ctx<'_>,
    expand: bool,
) -> Map<String, Value> {
    let customer = division.account(entry.customer);
    let journal = division.journal(&entry.journal);
    let document = entry.document.and_then(|id| division.document(id));
    let entries_link = ctx.link_to(ENTRIES);
    let lines = if expand {
        let link = ctx.link_to(LINES);
        let results: Vec<Value> = entry
            .lines
            .iter()
            .map(|l| {
                Value::Object(odata::entity(
                    &SALES_ENTRY_LINE,
                    &link,
                    line_row(division, entry, l),
                ))
            })
            .collect();
        json!({"results": results})
    } else {
        entries_link.deferred(&KeyVal::Guid(entry.entry_id.to_string()), "SalesEntryLines")
    };
    let kind = entry.entry_type();
    obj(json!({
        "EntryID": entry.entry_id.to_string(),
        "AmountDC": wire::number(entry.amount()),
        "AmountFC": wire::number(entry.amount()),
        "Currency": entry.currency,
        "Customer": entry.customer.to_string(),
        "CustomerName": customer.map(|c| c.name.clone()),
        "Description": entry.description,
        "Division": division.code,
        "Document": wire::opt_guid(entry.document),
        "DocumentSubject": document.map(|d| d.subject.clone()),
        "DueDate": wire::date(entry.due_date),
        "EntryDate": wire::date(entry.entry_date),
        "EntryNumber": entry.entry_number,
        "InvoiceNumber": entry.invoice_number,
        "Journal": entry.journal,
        "JournalDescription": journal.map(|j| j.description.clone()),
        "OrderNumber": entry.order_number,
        "PaymentCondition": entry.payment_condition,
        "PaymentReference": entry.payment_reference,
        "ReportingPeriod": entry.reporting_period,
        "ReportingYear": entry.reporting_year,
        "Reversal": false,
        "SalesEntryLines": lines,
        "Status": 50,
        "StatusDescription": "Verwerkt",
        "Type": kind,
        "TypeDescription": type_description(kind),
        "VATAmountDC": wire::number(entry.vat_amount()),
        "VATAmountFC": wire::number(entry.vat_amount()),
        "YourRef": entry.your_ref,
        "Created": wire::datetime(entry.created),
        "Modified": wire::datetime(entry.modified),
    }))
}

pub(crate) fn get(division: &Division, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let expand = ctx.query.expands("SalesEntryLines");
    let rows = division
        .entries
        .iter()
        .map(|e| entry_row(division, e, ctx, expand))
        .collect();
    match ctx.key {
        Some(key) => odata::get_one(&SALES_ENTRY, &ctx.link(), ctx.query, rows, key),
        None => odata::list(&ListSpec::plain(&SALES_ENTRY), &ctx.link(), ctx.query, rows),
    }
}

pub(crate) fn get_lines(division: &Division, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let rows = division
        .entries
        .iter()
        .flat_map(|e| e.lines.iter().map(move |l| line_row(division, e, l)))
        .collect();
    match ctx.key {
        Some(key) => odata::get_one(&SALES_ENTRY_LINE, &ctx.link(), ctx.query, rows, key),
        None => odata::list(
            &ListSpec::plain(&SALES_ENTRY_LINE),
            &ctx.link(),
            ctx.query,
            rows,
        ),
    }
}

pub(crate) fn post(state: &mut SimState, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let payload = Payload::from_body(ctx.body, &SALES_ENTRY)?;
    let hid = state.take_hid();
    let division = state
        .divisions
        .get_mut(&ctx.division)
        .ok_or_else(|| ApiError::Forbidden("Forbidden - WrongDivision".to_owned()))?;
    let mut entry = booking::build_entry(
        division,
        &payload,
        wire::local_today(ctx.now),
        wire::local(ctx.now),
    )?;
    entry.hid = hid;
    if let Some(document) = entry
        .document
        .and_then(|id| division.documents.iter_mut().find(|d| d.id == id))
    {
        document.entry_id = Some(entry.entry_id);
        document.account.get_or_insert(entry.customer);
    }
    let record = odata::entity(
        &SALES_ENTRY,
        &ctx.link(),
        entry_row(division, &entry, ctx, true),
    );
    tracing::debug!(
        division = division.code,
        journal = %entry.journal,
        entry_number = entry.entry_number,
        "exact sim: sales entry booked"
    );
    division.entries.push(entry);
    if let Some(mode) = state.faults.take_crash() {
        state.stats.crashes_after_commit += 1;
        tracing::info!(
            ?mode,
            "exact sim: crash after commit (entry stored, answer lost)"
        );
        return Err(ApiError::CrashAfterCommit(mode));
    }
    Ok(odata::single(StatusCode::CREATED, Value::Object(record)))
}

pub(crate) fn delete(state: &mut SimState, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let key = ctx.key.and_then(KeyVal::parse);
    let division = state
        .divisions
        .get_mut(&ctx.division)
        .ok_or_else(|| ApiError::Forbidden("Forbidden - WrongDivision".to_owned()))?;
    let position = division
        .entries
        .iter()
        .position(|e| Some(KeyVal::Guid(e.entry_id.to_string())) == key)
        .ok_or_else(|| {
            ApiError::NotFound("Resource not found for the segment 'SalesEntries'.".to_owned())
        })?;
    remove_entry(division, position);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Remove an entry and unlink its document (what a user deleting a booking does).
pub(crate) fn remove_entry(division: &mut Division, position: usize) -> SalesEntry {
    let entry = division.entries.remove(position);
    for document in &mut division.documents {
        if document.entry_id == Some(entry.entry_id) {
            document.entry_id = None;
        }
    }
    entry
}
