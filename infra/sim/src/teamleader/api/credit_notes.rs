//! `creditNotes.*` (booked credit notes only).

use super::{
    ApiError, ApiResult, Ctx, Reply, customer_ref, filter_of, optional_date, optional_str, page_of,
    parse_instant, required_str, string_array,
};
use crate::teamleader::files::{self, DocumentFormat};
use crate::teamleader::model::{Account, CreditNote};
use crate::teamleader::render;
use crate::teamleader::state::SimState;
use serde_json::Value;

fn find<'a>(account: &'a Account, id: &str) -> Result<&'a CreditNote, ApiError> {
    account
        .credit_notes
        .get(id)
        .ok_or_else(|| ApiError::not_found(format!("Credit note {id} not found")))
}

/// `creditNotes.list`: `credit_note_date_after` inclusive, `credit_note_date_before`
/// EXCLUSIVE (unlike invoices), oldest first.
pub(crate) fn list(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let account = ctx.account(state)?;
    let filter = filter_of(body)?;
    let page = page_of(body)?;
    let ids = string_array(&filter, "ids")?;
    let department_id = optional_str(&filter, "department_id")?;
    let invoice_id = optional_str(&filter, "invoice_id")?;
    let project_id = optional_str(&filter, "project_id")?;
    let updated_since = optional_str(&filter, "updated_since")?
        .map(|text| parse_instant("filter.updated_since", text))
        .transpose()?;
    let after = optional_date(&filter, "credit_note_date_after")?;
    let before = optional_date(&filter, "credit_note_date_before")?;
    let customer = match filter.get("customer") {
        None | Some(Value::Null) => None,
        Some(value) => Some(customer_ref(value, "filter.customer")?),
    };
    let rates = account.rates();
    let mut found: Vec<&CreditNote> = account
        .credit_notes
        .values()
        .filter(|_| project_id.is_none())
        .filter(|c| ids.as_ref().is_none_or(|ids| ids.contains(&c.id)))
        .filter(|c| department_id.is_none_or(|d| d == c.department_id))
        .filter(|c| invoice_id.is_none_or(|i| c.invoice_id.as_deref() == Some(i)))
        .filter(|c| updated_since.is_none_or(|since| c.updated_at >= since))
        .filter(|c| after.is_none_or(|after| c.date >= after))
        .filter(|c| before.is_none_or(|before| c.date < before))
        .filter(|c| {
            customer
                .as_ref()
                .is_none_or(|customer| *customer == c.customer)
        })
        .collect();
    found.sort_by(|a, b| {
        a.date
            .cmp(&b.date)
            .then(a.number.cmp(&b.number))
            .then(a.id.cmp(&b.id))
    });
    let data: Vec<Value> = page
        .slice(found)
        .into_iter()
        .map(|note| render::credit_note_list_item(note, &rates))
        .collect();
    Ok(Reply::Data(Value::Array(data)))
}

/// `creditNotes.info`. The spec (1.112, and the older API Blueprint) documents `data` as an
/// ARRAY holding the credit note, unlike every other `.info`; the simulator answers that
/// way by default so clients built on the spec are exercised with it, and answers with a
/// plain object when started with `credit_note_info_as_object` (the likelier real shape).
/// A robust client accepts both.
pub(crate) fn info(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let as_object = ctx.sim.settings.credit_note_info_as_object;
    let account = ctx.account(state)?;
    let id = required_str(body, "id")?;
    let note = render::credit_note_info(find(account, id)?, &account.rates());
    Ok(Reply::Data(if as_object {
        note
    } else {
        Value::Array(vec![note])
    }))
}

/// `creditNotes.download`: pdf or ubl/e-fff only.
pub(crate) fn download(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let id = required_str(body, "id")?;
    let format = match required_str(body, "format")? {
        "pdf" => DocumentFormat::Pdf,
        "ubl/e-fff" => DocumentFormat::UblEfff,
        other => {
            return Err(ApiError::bad_request(format!(
                "`format` {other} is not supported for credit notes: use pdf or ubl/e-fff"
            )));
        }
    };
    let account = ctx.account(state)?;
    let note = find(account, id)?;
    let file = files::credit_note_file(account, note, format)?;
    Ok(Reply::Data(files::store(state, ctx, file)))
}
