//! financialtransaction/BankEntries and CashEntries (POST with their lines, GET) and their
//! lines (BankEntryLines, CashEntryLines: GET): how a payment received outside a bank
//! statement import is booked (docs/ledgers/exact.md).
//!
//! Rules: a journal code is required and must name a bank journal (type 12) for BankEntries,
//! a cash journal (type 10) for CashEntries; lines are required, each with an amount and a
//! date in an open period; a line's `Account` must be a known relation and its `GLAccount`
//! (default: the receivables account when an account is given) a known GL account. A line
//! with an account and `OurRef` equal to the invoice number of an open sales entry of that
//! account is matched to it: the entry's receivable is reduced by the line's amount, which is
//! how Exact settles an invoice with a payment line. The simulator keeps no receivable of its
//! own for the payment line (real Exact does, matched to the invoice's).

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{Ctx, obj};
use crate::exact::booking::{nested_payloads, period_closed, text};
use crate::exact::error::ApiError;
use crate::exact::model::{Division, FinancialEntry, FinancialKind, FinancialLine};
use crate::exact::odata::{self, ListSpec};
use crate::exact::payload::Payload;
use crate::exact::schema::{
    BANK_ENTRY, BANK_ENTRY_LINE, CASH_ENTRY, CASH_ENTRY_LINE, EntitySchema,
};
use crate::exact::state::SimState;
use crate::exact::wire;

/// Refusal when the journal is of the wrong type.
fn wrong_journal(kind: FinancialKind) -> &'static str {
    match kind {
        FinancialKind::Bank => "Ongeldig dagboek. Het dagboek moet een bankdagboek zijn.",
        FinancialKind::Cash => "Ongeldig dagboek. Het dagboek moet een kasdagboek zijn.",
    }
}

fn schemas(kind: FinancialKind) -> (&'static EntitySchema, &'static EntitySchema, &'static str) {
    match kind {
        FinancialKind::Bank => (&BANK_ENTRY, &BANK_ENTRY_LINE, "BankEntryLines"),
        FinancialKind::Cash => (&CASH_ENTRY, &CASH_ENTRY_LINE, "CashEntryLines"),
    }
}

/// The JSON record of one line.
fn line_row(
    division: &Division,
    entry: &FinancialEntry,
    line: &FinancialLine,
) -> Map<String, Value> {
    let account = line.account.and_then(|id| division.account(id));
    let gl = division.gl_account(line.gl_account);
    obj(json!({
        "ID": line.id.to_string(),
        "Account": wire::opt_guid(line.account),
        "AccountCode": account.map(|a| a.code.clone()),
        "AccountName": account.map(|a| a.name.clone()),
        "AmountDC": wire::number(line.amount),
        "AmountFC": wire::number(line.amount),
        "Created": wire::datetime(entry.created),
        "Date": wire::date(line.date),
        "Description": line.description,
        "Division": division.code,
        "EntryID": entry.entry_id.to_string(),
        "EntryNumber": entry.entry_number,
        "GLAccount": line.gl_account.to_string(),
        "GLAccountCode": gl.map(|g| g.code.clone()),
        "GLAccountDescription": gl.map(|g| g.description.clone()),
        "LineNumber": line.line_number,
        "Modified": wire::datetime(entry.created),
        "OurRef": line.our_ref,
    }))
}

/// The JSON record of an entry with its lines expanded.
fn entry_row(division: &Division, entry: &FinancialEntry, ctx: &Ctx<'_>) -> Map<String, Value> {
    let (_, line_schema, lines_name) = schemas(entry.kind);
    let link = ctx.link_to(&format!("financialtransaction/{lines_name}"));
    let lines: Vec<Value> = entry
        .lines
        .iter()
        .map(|l| {
            Value::Object(odata::entity(
                line_schema,
                &link,
                line_row(division, entry, l),
            ))
        })
        .collect();
    let journal = division.journal(&entry.journal);
    let mut row = obj(json!({
        "EntryID": entry.entry_id.to_string(),
        "Created": wire::datetime(entry.created),
        "Currency": entry.currency,
        "Division": division.code,
        "EntryNumber": entry.entry_number,
        "FinancialPeriod": entry.period,
        "FinancialYear": entry.year,
        "JournalCode": entry.journal,
        "JournalDescription": journal.map(|j| j.description.clone()),
        "Modified": wire::datetime(entry.created),
        "Status": 20,
        "StatusDescription": "Open",
    }));
    row.insert(lines_name.to_owned(), json!({ "results": lines }));
    row
}

/// GET of the headers.
pub(crate) fn get(
    division: &Division,
    ctx: &Ctx<'_>,
    kind: FinancialKind,
) -> Result<Response, ApiError> {
    let (schema, _, _) = schemas(kind);
    let rows = division
        .financial_entries
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| entry_row(division, e, ctx))
        .collect();
    match ctx.key {
        Some(key) => odata::get_one(schema, &ctx.link(), ctx.query, rows, key),
        None => odata::list(&ListSpec::plain(schema), &ctx.link(), ctx.query, rows),
    }
}

/// GET of the lines.
pub(crate) fn get_lines(
    division: &Division,
    ctx: &Ctx<'_>,
    kind: FinancialKind,
) -> Result<Response, ApiError> {
    let (_, schema, _) = schemas(kind);
    let rows = division
        .financial_entries
        .iter()
        .filter(|e| e.kind == kind)
        .flat_map(|e| e.lines.iter().map(move |l| line_row(division, e, l)))
        .collect();
    match ctx.key {
        Some(key) => odata::get_one(schema, &ctx.link(), ctx.query, rows, key),
        None => odata::list(&ListSpec::plain(schema), &ctx.link(), ctx.query, rows),
    }
}

/// Check a POST and build the entry; every violated rule is reported at once.
fn build(
    division: &Division,
    payload: &Payload,
    kind: FinancialKind,
    ctx: &Ctx<'_>,
) -> Result<FinancialEntry, ApiError> {
    let mut errors = Vec::new();
    let journal = payload.text("JournalCode");
    match journal.as_deref().map(|code| division.journal(code)) {
        None => errors.push(text::JOURNAL_REQUIRED.to_owned()),
        Some(None) => errors.push(text::JOURNAL_UNKNOWN.to_owned()),
        Some(Some(j)) if j.kind != kind.journal_type() => {
            errors.push(wrong_journal(kind).to_owned());
        }
        Some(Some(_)) => {}
    }
    let (_, line_schema, lines_name) = schemas(kind);
    let line_payloads = nested_payloads(payload, lines_name, line_schema)?;
    if line_payloads.is_empty() {
        errors.push(text::LINES_REQUIRED.to_owned());
    }
    let receivables = division.receivables_account().map(|a| a.id);
    let mut lines = Vec::new();
    let mut period = None;
    for (i, line) in line_payloads.iter().enumerate() {
        let account = line.guid("Account");
        if account.is_some_and(|id| division.account(id).is_none()) {
            errors.push(text::CUSTOMER_UNKNOWN.to_owned());
        }
        let gl_account = line.guid("GLAccount").or(account.and(receivables));
        match gl_account {
            None => errors.push(text::GL_REQUIRED.to_owned()),
            Some(id) if division.gl_account(id).is_none() => {
                errors.push(text::GL_UNKNOWN.to_owned())
            }
            Some(_) => {}
        }
        let amount = line
            .decimal("AmountFC")
            .or_else(|| line.decimal("AmountDC"));
        if amount.is_none() {
            errors.push(text::AMOUNT_REQUIRED.to_owned());
        }
        let date = line
            .date("Date")
            .unwrap_or_else(|| wire::local_today(ctx.now));
        match division.period_of(date) {
            None => errors.push(text::NO_FINANCIAL_YEAR.to_owned()),
            Some(p) if p.closed => errors.push(period_closed(p.year, p.period)),
            Some(p) => {
                period.get_or_insert((p.year, p.period));
            }
        }
        lines.push(FinancialLine {
            id: Uuid::new_v4(),
            line_number: i as i32 + 1,
            account,
            gl_account: gl_account.unwrap_or_default(),
            amount: amount.unwrap_or_default(),
            date,
            description: line.text("Description"),
            our_ref: line.int("OurRef").and_then(|n| i32::try_from(n).ok()),
            settled_entry: None,
        });
    }
    if !errors.is_empty() {
        errors.dedup();
        return Err(ApiError::Business(errors));
    }
    let journal = journal.unwrap_or_default();
    let (year, period) = period.unwrap_or_default();
    let entry_number = division
        .financial_entries
        .iter()
        .filter(|e| e.journal == journal && e.year == year)
        .map(|e| e.entry_number)
        .max()
        .unwrap_or(year % 100 * 1_000_000)
        + 1;
    Ok(FinancialEntry {
        entry_id: Uuid::new_v4(),
        kind,
        journal,
        entry_number,
        year,
        period,
        currency: payload
            .text("Currency")
            .unwrap_or_else(|| division.currency.clone()),
        lines,
        created: wire::local(ctx.now),
    })
}

/// POST: book the entry and match its lines to open invoices (customer + `OurRef`).
pub(crate) fn post(
    state: &mut SimState,
    ctx: &Ctx<'_>,
    kind: FinancialKind,
) -> Result<Response, ApiError> {
    let (schema, _, _) = schemas(kind);
    let payload = Payload::from_body(ctx.body, schema)?;
    let division = state
        .divisions
        .get_mut(&ctx.division)
        .ok_or_else(|| ApiError::Forbidden("Forbidden - WrongDivision".to_owned()))?;
    let mut entry = build(division, &payload, kind, ctx)?;
    for line in &mut entry.lines {
        let (Some(account), Some(our_ref)) = (line.account, line.our_ref) else {
            continue;
        };
        if let Some(invoice) = division
            .entries
            .iter_mut()
            .find(|e| e.customer == account && e.invoice_number == our_ref && !e.is_fully_paid())
        {
            invoice.paid += line.amount;
            invoice.last_payment_date = Some(line.date);
            invoice.modified = wire::local(ctx.now);
            line.settled_entry = Some(invoice.entry_id);
        }
    }
    let record = odata::entity(schema, &ctx.link(), entry_row(division, &entry, ctx));
    tracing::debug!(division = division.code, journal = %entry.journal, "exact sim: financial entry booked");
    division.financial_entries.push(entry);
    if let Some(mode) = state.faults.take_crash() {
        state.stats.crashes_after_commit += 1;
        return Err(ApiError::CrashAfterCommit(mode));
    }
    Ok(odata::single(StatusCode::CREATED, Value::Object(record)))
}
