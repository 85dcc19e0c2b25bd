//! The REST resources under `/api/v1/{division}/…`, dispatched by path and method.

mod accounts;
mod documents;
mod financial_entries;
mod receivables;
mod reference;
mod sales_entries;

use axum::http::Method;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::error::ApiError;
use super::model::{Division, FinancialKind};
use super::oauth::AccessGrant;
use super::odata::{Link, QueryOptions};
use super::state::SimState;

/// One API call, as the resources see it.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    /// HTTP method.
    pub(crate) method: &'a Method,
    /// Division the call is for.
    pub(crate) division: i32,
    /// The division segment of the URL ("100001", or "current" for Me).
    pub(crate) division_segment: &'a str,
    /// Resource path without key, e.g. "salesentry/SalesEntries".
    pub(crate) resource: &'a str,
    /// The key in `Entity(key)`, if any.
    pub(crate) key: Option<&'a str>,
    /// Query options.
    pub(crate) query: &'a QueryOptions,
    /// Request body.
    pub(crate) body: &'a [u8],
    /// Simulator time.
    pub(crate) now: DateTime<Utc>,
    /// Server base URL.
    pub(crate) base_url: &'a str,
    /// The caller's grant.
    pub(crate) grant: &'a AccessGrant,
}

impl Ctx<'_> {
    /// Link to this call's entity set.
    pub(crate) fn link(&self) -> Link {
        Link::new(self.base_url, self.division_segment, self.resource)
    }

    /// Link to another entity set of the same division.
    pub(crate) fn link_to(&self, path: &str) -> Link {
        Link::new(self.base_url, self.division_segment, path)
    }
}

/// A `json!({...})` object as a map (anything else becomes an empty map).
pub(crate) fn obj(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn division<'s>(state: &'s SimState, ctx: &Ctx<'_>) -> Result<&'s Division, ApiError> {
    state
        .divisions
        .get(&ctx.division)
        .ok_or_else(|| ApiError::Forbidden("Forbidden - WrongDivision".to_owned()))
}

fn not_allowed(ctx: &Ctx<'_>) -> ApiError {
    ApiError::MethodNotAllowed(format!(
        "The requested resource does not support http method '{}'.",
        ctx.method
    ))
}

/// Answer one call (already authenticated and admitted by the quota).
pub(crate) fn dispatch(state: &mut SimState, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let get = *ctx.method == Method::GET;
    let post = *ctx.method == Method::POST;
    let delete = *ctx.method == Method::DELETE;
    let keyed = ctx.key.is_some();
    match ctx.resource {
        "Me" if ctx.division_segment == "current" => {
            if get {
                reference::me(state, ctx)
            } else {
                Err(not_allowed(ctx))
            }
        }
        "system/Divisions" | "system/AllDivisions" | "hrm/Divisions" => {
            if get {
                reference::divisions(state, ctx)
            } else {
                Err(not_allowed(ctx))
            }
        }
        "financial/GLAccounts" if get => reference::gl_accounts(division(state, ctx)?, ctx),
        "financial/Journals" if get => reference::journals(division(state, ctx)?, ctx),
        "vat/VATCodes" if get => reference::vat_codes(division(state, ctx)?, ctx),
        "financial/FinancialPeriods" if get => reference::periods(division(state, ctx)?, ctx),
        "documents/DocumentTypes" if get => reference::document_types(ctx),
        "cashflow/PaymentConditions" if get => {
            reference::payment_conditions(division(state, ctx)?, ctx)
        }
        "crm/Accounts" if get => accounts::get(division(state, ctx)?, ctx),
        "crm/Accounts" if post && !keyed => accounts::post(state, ctx),
        "salesentry/SalesEntries" if get => sales_entries::get(division(state, ctx)?, ctx),
        "salesentry/SalesEntries" if post && !keyed => sales_entries::post(state, ctx),
        "salesentry/SalesEntries" if delete && keyed => sales_entries::delete(state, ctx),
        "salesentry/SalesEntryLines" if get => sales_entries::get_lines(division(state, ctx)?, ctx),
        "documents/Documents" if get => documents::get(division(state, ctx)?, ctx),
        "documents/Documents" if post && !keyed => documents::post(state, ctx),
        "documents/Documents" if delete && keyed => documents::delete(state, ctx),
        "documents/DocumentAttachments" if get => {
            documents::get_attachments(division(state, ctx)?, ctx)
        }
        "documents/DocumentAttachments" if post && !keyed => documents::post_attachment(state, ctx),
        "documents/DocumentAttachments" if delete && keyed => {
            documents::delete_attachment(state, ctx)
        }
        "financialtransaction/BankEntries" if get => {
            financial_entries::get(division(state, ctx)?, ctx, FinancialKind::Bank)
        }
        "financialtransaction/BankEntries" if post && !keyed => {
            financial_entries::post(state, ctx, FinancialKind::Bank)
        }
        "financialtransaction/BankEntryLines" if get => {
            financial_entries::get_lines(division(state, ctx)?, ctx, FinancialKind::Bank)
        }
        "financialtransaction/CashEntries" if get => {
            financial_entries::get(division(state, ctx)?, ctx, FinancialKind::Cash)
        }
        "financialtransaction/CashEntries" if post && !keyed => {
            financial_entries::post(state, ctx, FinancialKind::Cash)
        }
        "financialtransaction/CashEntryLines" if get => {
            financial_entries::get_lines(division(state, ctx)?, ctx, FinancialKind::Cash)
        }
        "cashflow/Receivables" if get => receivables::get(division(state, ctx)?, ctx, false),
        "bulk/Cashflow/Receivables" if get => receivables::get(division(state, ctx)?, ctx, true),
        "read/financial/ReceivablesList" if get => {
            receivables::list_open(division(state, ctx)?, ctx)
        }
        "financial/GLAccounts"
        | "financial/Journals"
        | "vat/VATCodes"
        | "financial/FinancialPeriods"
        | "documents/DocumentTypes"
        | "cashflow/PaymentConditions"
        | "crm/Accounts"
        | "salesentry/SalesEntries"
        | "salesentry/SalesEntryLines"
        | "documents/Documents"
        | "documents/DocumentAttachments"
        | "financialtransaction/BankEntries"
        | "financialtransaction/BankEntryLines"
        | "financialtransaction/CashEntries"
        | "financialtransaction/CashEntryLines"
        | "cashflow/Receivables"
        | "bulk/Cashflow/Receivables"
        | "read/financial/ReceivablesList" => Err(not_allowed(ctx)),
        other => Err(ApiError::NotFound(format!(
            "Resource not found for the segment '{other}'."
        ))),
    }
}

pub(crate) use sales_entries::remove_entry;
