//! What customers still owe: cashflow/Receivables (pages of 60), bulk/Cashflow/Receivables
//! (pages of 1,000, `$select` required, only some fields filterable) and
//! read/financial/ReceivablesList (only open items, `Amount` = what remains).
//!
//! Each booked sales entry has one receivable: Status 20 (open) until payments registered
//! through the simulator's admin cover it, then Status 50 (matched) and `IsFullyPaid`.

use axum::response::Response;
use serde_json::{Map, Value, json};

use super::{Ctx, obj};
use crate::exact::error::ApiError;
use crate::exact::model::{Division, SalesEntry};
use crate::exact::odata::{self, BULK_PAGE_SIZE, ListSpec};
use crate::exact::schema::{RECEIVABLE, RECEIVABLES_LIST_ITEM};
use crate::exact::wire;

/// Receivable status "open".
pub(crate) const STATUS_OPEN: i32 = 20;
/// Receivable status "matched" (fully reconciled).
pub(crate) const STATUS_MATCHED: i32 = 50;

/// Fields the bulk endpoint can filter on (Exact's documented list).
const BULK_FILTERABLE: &[&str] = &[
    "Account",
    "Document",
    "EndDate",
    "EndToEndID",
    "EntryDate",
    "EntryID",
    "GLAccount",
    "ID",
    "InvoiceDate",
    "InvoiceNumber",
    "Source",
    "Status",
    "TransactionID",
    "TransactionType",
];

const BULK: ListSpec = ListSpec {
    schema: &RECEIVABLE,
    page_size: BULK_PAGE_SIZE,
    require_select: true,
    mandatory_filter: None,
    filterable: Some(BULK_FILTERABLE),
};

fn receivable_row(division: &Division, e: &SalesEntry) -> Map<String, Value> {
    let customer = division.account(e.customer);
    let journal = division.journal(&e.journal);
    let ar = division.receivables_account();
    let amount = e.amount();
    let paid = e.is_fully_paid();
    obj(json!({
        "ID": e.receivable_id.to_string(),
        "Account": e.customer.to_string(),
        "AccountCode": customer.map(|c| c.code.clone()),
        "AccountName": customer.map(|c| c.name.clone()),
        "AmountDC": wire::number(amount),
        "AmountFC": wire::number(amount),
        "Currency": e.currency,
        "Description": e.description,
        "Division": division.code,
        "Document": wire::opt_guid(e.document),
        "DueDate": wire::date(e.due_date),
        "EntryDate": wire::date(e.entry_date),
        "EntryID": e.entry_id.to_string(),
        "EntryNumber": e.entry_number,
        "GLAccount": wire::opt_guid(ar.map(|a| a.id)),
        "GLAccountCode": ar.map(|a| a.code.clone()),
        "InvoiceDate": wire::date(e.entry_date),
        "InvoiceNumber": e.invoice_number,
        "IsFullyPaid": paid,
        "Journal": e.journal,
        "JournalDescription": journal.map(|j| j.description.clone()),
        "LastPaymentDate": wire::opt_date(e.last_payment_date),
        "PaymentCondition": e.payment_condition,
        "PaymentReference": e.payment_reference,
        "Source": 1,
        "Status": if paid { STATUS_MATCHED } else { STATUS_OPEN },
        "TransactionAmountDC": wire::number(amount),
        "TransactionAmountFC": wire::number(amount),
        "TransactionEntryID": e.entry_id.to_string(),
        "TransactionID": e.entry_id.to_string(),
        "TransactionIsReversal": false,
        "TransactionType": e.entry_type(),
        "YourRef": e.your_ref,
        "Modified": wire::datetime(e.modified),
    }))
}

pub(crate) fn get(division: &Division, ctx: &Ctx<'_>, bulk: bool) -> Result<Response, ApiError> {
    let rows = division
        .entries
        .iter()
        .map(|e| receivable_row(division, e))
        .collect();
    match (ctx.key, bulk) {
        (Some(key), false) => odata::get_one(&RECEIVABLE, &ctx.link(), ctx.query, rows, key),
        (_, true) => odata::list(&BULK, &ctx.link(), ctx.query, rows),
        (None, false) => odata::list(&ListSpec::plain(&RECEIVABLE), &ctx.link(), ctx.query, rows),
    }
}

pub(crate) fn list_open(division: &Division, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let rows = division
        .entries
        .iter()
        .filter(|e| !e.is_fully_paid())
        .map(|e| {
            let customer = division.account(e.customer);
            let journal = division.journal(&e.journal);
            obj(json!({
                "HID": e.hid,
                "AccountId": e.customer.to_string(),
                "AccountCode": customer.map(|c| c.code.clone()),
                "AccountName": customer.map(|c| c.name.clone()),
                "Amount": wire::number(e.open_amount()),
                "AmountInTransit": 0,
                "CurrencyCode": e.currency,
                "Description": e.description,
                "DueDate": wire::date(e.due_date),
                "EntryNumber": e.entry_number,
                "Id": e.entry_id.to_string(),
                "InvoiceDate": wire::date(e.entry_date),
                "InvoiceNumber": e.invoice_number,
                "JournalCode": e.journal,
                "JournalDescription": journal.map(|j| j.description.clone()),
                "YourRef": e.your_ref,
            }))
        })
        .collect();
    odata::list(
        &ListSpec::plain(&RECEIVABLES_LIST_ITEM),
        &ctx.link(),
        ctx.query,
        rows,
    )
}
