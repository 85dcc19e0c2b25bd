//! `invoices.*`.

use super::{
    ApiError, ApiResult, Ctx, Reply, customer_ref, decimal, filter_of, new_id, optional_date,
    optional_str, page_of, parse_date, parse_instant, required_str, sort_of, string_array,
};
use crate::teamleader::files::{self, DocumentFormat};
use crate::teamleader::model::{
    Account, Invoice, InvoiceStatus, Line, Payment, PaymentTerm, Section, booking_number,
};
use crate::teamleader::render;
use crate::teamleader::state::{PaymentRecord, SimState};
use chrono::Datelike;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;

fn find<'a>(account: &'a Account, id: &str) -> Result<&'a Invoice, ApiError> {
    account
        .invoices
        .get(id)
        .ok_or_else(|| ApiError::not_found(format!("Invoice {id} not found")))
}

fn find_mut<'a>(account: &'a mut Account, id: &str) -> Result<&'a mut Invoice, ApiError> {
    account
        .invoices
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found(format!("Invoice {id} not found")))
}

/// `invoices.list`: filters, paging (no `meta`), sort by number or date.
pub(crate) fn list(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let account = ctx.account(state)?;
    let filter = filter_of(body)?;
    let page = page_of(body)?;
    let ids = string_array(&filter, "ids")?;
    let department_id = optional_str(&filter, "department_id")?;
    let statuses = match filter.get("status") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            let mut statuses = Vec::new();
            for item in items {
                match item.as_str() {
                    Some(s @ ("draft" | "outstanding" | "matched")) => statuses.push(s.to_owned()),
                    _ => {
                        return Err(ApiError::bad_request(
                            "`filter.status` values must be draft, outstanding or matched",
                        ));
                    }
                }
            }
            Some(statuses)
        }
        Some(_) => {
            return Err(ApiError::bad_request(
                "`filter.status` must be an array, e.g. [\"outstanding\"]",
            ));
        }
    };
    let updated_since = optional_str(&filter, "updated_since")?
        .map(|text| parse_instant("filter.updated_since", text))
        .transpose()?;
    let date_after = optional_date(&filter, "invoice_date_after")?;
    let date_before = optional_date(&filter, "invoice_date_before")?;
    let customer = match filter.get("customer") {
        None | Some(Value::Null) => None,
        Some(value) => Some(customer_ref(value, "filter.customer")?),
    };
    let term = optional_str(&filter, "term")?.map(str::to_lowercase);
    let number = optional_str(&filter, "invoice_number")?;
    let order_number = optional_str(&filter, "purchase_order_number")?;
    let reference = optional_str(&filter, "payment_reference")?;
    // The simulator links invoices to no deal, project or subscription.
    let linked_elsewhere = ["deal_id", "project_id", "subscription_id"]
        .iter()
        .map(|key| optional_str(&filter, key))
        .collect::<Result<Vec<_>, _>>()?
        .iter()
        .any(Option::is_some);
    let (field, descending) = sort_of(
        body,
        &["invoice_number", "invoice_date"],
        ("invoice_number", true),
    )?;

    let rates = account.rates();
    let mut found: Vec<&Invoice> = account
        .invoices
        .values()
        .filter(|_| !linked_elsewhere)
        .filter(|i| ids.as_ref().is_none_or(|ids| ids.contains(&i.id)))
        .filter(|i| department_id.is_none_or(|d| d == i.department_id))
        .filter(|i| {
            statuses
                .as_ref()
                .is_none_or(|s| s.iter().any(|s| s == i.status(&rates).as_str()))
        })
        .filter(|i| updated_since.is_none_or(|since| i.updated_at >= since))
        .filter(|i| date_after.is_none_or(|after| i.invoice_date.is_some_and(|d| d >= after)))
        .filter(|i| date_before.is_none_or(|before| i.invoice_date.is_some_and(|d| d <= before)))
        .filter(|i| customer.as_ref().is_none_or(|c| *c == i.customer))
        .filter(|i| number.is_none_or(|n| i.number.map(booking_number).as_deref() == Some(n)))
        .filter(|i| order_number.is_none_or(|n| i.purchase_order_number.as_deref() == Some(n)))
        .filter(|i| reference.is_none_or(|r| i.payment_reference.as_deref() == Some(r)))
        .filter(|i| {
            term.as_ref().is_none_or(|term| {
                i.number
                    .map(booking_number)
                    .is_some_and(|n| n.contains(term.as_str()))
                    || i.invoicee_name.to_lowercase().contains(term.as_str())
                    || i.purchase_order_number
                        .as_deref()
                        .is_some_and(|p| p.to_lowercase().contains(term.as_str()))
            })
        })
        .collect();
    found.sort_by(|a, b| {
        let ordering = if field == "invoice_date" {
            a.invoice_date
                .cmp(&b.invoice_date)
                .then(a.number.cmp(&b.number))
        } else {
            a.number
                .cmp(&b.number)
                .then(a.department_id.cmp(&b.department_id))
        }
        .then(a.created_at.cmp(&b.created_at))
        .then(a.id.cmp(&b.id));
        if descending {
            ordering.reverse()
        } else {
            ordering
        }
    });
    let data: Vec<Value> = page
        .slice(found)
        .into_iter()
        .map(|invoice| render::invoice_list_item(invoice, &rates))
        .collect();
    Ok(Reply::Data(Value::Array(data)))
}

/// `invoices.info`.
pub(crate) fn info(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let account = ctx.account(state)?;
    let id = required_str(body, "id")?;
    let invoice = find(account, id)?;
    Ok(Reply::Data(render::invoice_info(invoice, &account.rates())))
}

/// `invoices.download`: pdf, ubl/e-fff or ubl/peppol_bis_3 → a temporary location.
pub(crate) fn download(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let id = required_str(body, "id")?;
    let format = match required_str(body, "format")? {
        "pdf" => DocumentFormat::Pdf,
        "ubl/e-fff" => DocumentFormat::UblEfff,
        "ubl/peppol_bis_3" => DocumentFormat::UblPeppol,
        other => {
            return Err(ApiError::bad_request(format!(
                "`format` {other} is not supported for invoices: use pdf, ubl/e-fff or ubl/peppol_bis_3"
            )));
        }
    };
    let account = ctx.account(state)?;
    let invoice = find(account, id)?;
    let file = files::invoice_file(account, invoice, format)?;
    Ok(Reply::Data(files::store(state, ctx, file)))
}

fn parse_lines(
    account: &Account,
    department_id: &str,
    body: &Value,
) -> Result<Vec<Section>, ApiError> {
    let Some(groups) = body.get("grouped_lines").and_then(Value::as_array) else {
        return Err(ApiError::bad_request(
            "`grouped_lines` is required and must be an array",
        ));
    };
    let mut sections = Vec::new();
    for group in groups {
        let title = group
            .get("section")
            .and_then(|s| s.get("title"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let Some(items) = group.get("line_items").and_then(Value::as_array) else {
            return Err(ApiError::bad_request(
                "`grouped_lines[].line_items` is required",
            ));
        };
        let mut lines = Vec::new();
        for item in items {
            let quantity = decimal(
                item.get("quantity").unwrap_or(&Value::Null),
                "line_items[].quantity",
            )?;
            let description = required_str(item, "description")?.to_owned();
            let tax_rate_id = required_str(item, "tax_rate_id")?.to_owned();
            match account.tax_rate(&tax_rate_id) {
                Some(rate) if rate.department_id == department_id => {}
                Some(_) => {
                    return Err(ApiError::bad_request(format!(
                        "Tax rate {tax_rate_id} belongs to another department"
                    )));
                }
                None => {
                    return Err(ApiError::bad_request(format!(
                        "Tax rate {tax_rate_id} does not exist"
                    )));
                }
            }
            let unit_price = match item.get("unit_price") {
                None | Some(Value::Null) => Decimal::ZERO,
                Some(price) => {
                    if optional_str(price, "tax")? != Some("excluding") {
                        return Err(ApiError::bad_request(
                            "`unit_price.tax` must be \"excluding\"",
                        ));
                    }
                    decimal(
                        price.get("amount").unwrap_or(&Value::Null),
                        "unit_price.amount",
                    )?
                }
            };
            let discount_percent = match item.get("discount") {
                None | Some(Value::Null) => None,
                Some(discount) => {
                    if optional_str(discount, "type")? != Some("percentage") {
                        return Err(ApiError::bad_request("`discount.type` must be percentage"));
                    }
                    Some(decimal(
                        discount.get("value").unwrap_or(&Value::Null),
                        "discount.value",
                    )?)
                }
            };
            let product_category_id = optional_str(item, "product_category_id")?.map(str::to_owned);
            if let Some(category) = &product_category_id
                && !account.product_categories.iter().any(|c| &c.id == category)
            {
                return Err(ApiError::bad_request(format!(
                    "Product category {category} does not exist"
                )));
            }
            lines.push(Line {
                description,
                extended_description: optional_str(item, "extended_description")?
                    .map(str::to_owned),
                quantity,
                unit_price,
                tax_rate_id,
                discount_percent,
                product_category_id,
            });
        }
        sections.push(Section { title, lines });
    }
    Ok(sections)
}

/// `invoices.draft`: 201 `{data: {type: invoice, id}}`.
pub(crate) fn draft(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let account = ctx.account(state)?;
    let invoicee = body
        .get("invoicee")
        .filter(|v| v.is_object())
        .ok_or_else(|| ApiError::bad_request("`invoicee` is required"))?;
    let customer = customer_ref(
        invoicee.get("customer").unwrap_or(&Value::Null),
        "invoicee.customer",
    )?;
    let (name, vat_number) = account.customer_identity(&customer).ok_or_else(|| {
        ApiError::bad_request(format!(
            "Customer {} {} does not exist",
            customer.kind, customer.id
        ))
    })?;
    let department_id = required_str(body, "department_id")?.to_owned();
    let department = account
        .departments
        .iter()
        .find(|d| d.id == department_id)
        .ok_or_else(|| {
            ApiError::bad_request(format!("Department {department_id} does not exist"))
        })?;
    let term = body
        .get("payment_term")
        .filter(|v| v.is_object())
        .ok_or_else(|| ApiError::bad_request("`payment_term` is required"))?;
    let kind = required_str(term, "type")?;
    if !["cash", "end_of_month", "after_invoice_date"].contains(&kind) {
        return Err(ApiError::bad_request(
            "`payment_term.type` must be cash, end_of_month or after_invoice_date",
        ));
    }
    let days = match term.get("days") {
        None | Some(Value::Null) => 0,
        Some(days) => days
            .as_u64()
            .and_then(|d| u32::try_from(d).ok())
            .ok_or_else(|| ApiError::bad_request("`payment_term.days` must be a whole number"))?,
    };
    let currency = match body.get("currency") {
        None | Some(Value::Null) => department.currency.clone(),
        Some(currency) => required_str(currency, "code")?.to_owned(),
    };
    let sections = parse_lines(account, &department_id, body)?;
    let id = new_id();
    let invoice = Invoice {
        id: id.clone(),
        department_id,
        number: None,
        invoice_date: optional_date(body, "invoice_date")?,
        customer,
        invoicee_name: name,
        invoicee_vat_number: vat_number,
        sections,
        payment_term: PaymentTerm {
            kind: kind.to_owned(),
            days,
        },
        payments: Vec::new(),
        currency,
        purchase_order_number: optional_str(body, "purchase_order_number")?.map(str::to_owned),
        payment_reference: None,
        note: optional_str(body, "note")?.map(str::to_owned),
        sent: false,
        custom_fields: BTreeMap::new(),
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    account.invoices.insert(id.clone(), invoice);
    account.record_event("invoice.drafted", "invoice", &id);
    Ok(Reply::Created("invoice", id))
}

/// A Belgian structured reference `+++ddd/dddd/ddddd+++` from a number (mod 97 check).
pub(crate) fn structured_reference(seed: u64) -> String {
    let base = seed % 10_000_000_000;
    let check = match base % 97 {
        0 => 97,
        rest => rest,
    };
    let digits = format!("{base:010}{check:02}");
    format!(
        "+++{}/{}/{}+++",
        &digits[0..3],
        &digits[3..7],
        &digits[7..12]
    )
}

/// The structured reference of booking number (year, sequence).
pub(crate) fn structured_reference_for(year: i32, sequence: u32) -> String {
    structured_reference(u64::try_from(year).unwrap_or_default() * 100_000 + u64::from(sequence))
}

/// `invoices.book {id, on}`: the draft gets "YYYY / N", N sequential per department and year.
pub(crate) fn book(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let account = ctx.account(state)?;
    let id = required_str(body, "id")?;
    let on = parse_date("on", required_str(body, "on")?)?;
    let invoice = find(account, id)?;
    if invoice.number.is_some() {
        return Err(ApiError::bad_request(format!(
            "Invoice {id} is already booked"
        )));
    }
    let sequence = account.next_invoice_sequence(&invoice.department_id.clone(), on.year());
    let invoice = find_mut(account, id)?;
    invoice.number = Some((on.year(), sequence));
    invoice.invoice_date = Some(on);
    invoice.payment_reference = Some(structured_reference_for(on.year(), sequence));
    invoice.updated_at = ctx.now;
    account.record_event("invoice.booked", "invoice", id);
    Ok(Reply::NoContent)
}

/// `invoices.delete`: only drafts, or the last booked invoice of its department and year.
pub(crate) fn delete(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let account = ctx.account(state)?;
    let id = required_str(body, "id")?;
    let invoice = find(account, id)?;
    if let Some((year, sequence)) = invoice.number {
        let last = account.next_invoice_sequence(&invoice.department_id, year) - 1;
        if sequence != last || !invoice.payments.is_empty() {
            return Err(ApiError::bad_request(format!(
                "Invoice {id} cannot be deleted: only drafts and the last booked invoice without payments can"
            )));
        }
    }
    account.invoices.remove(id);
    account.record_event("invoice.deleted", "invoice", id);
    Ok(Reply::NoContent)
}

/// `invoices.registerPayment {id, payment{amount, currency}, paid_at}`.
pub(crate) fn register_payment(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let id = required_str(body, "id")?;
    let payment = body
        .get("payment")
        .filter(|v| v.is_object())
        .ok_or_else(|| ApiError::bad_request("`payment` is required"))?;
    let amount = decimal(
        payment.get("amount").unwrap_or(&Value::Null),
        "payment.amount",
    )?;
    let currency = required_str(payment, "currency")?.to_owned();
    let paid_at = parse_instant("paid_at", required_str(body, "paid_at")?)?;
    if amount <= Decimal::ZERO {
        return Err(ApiError::bad_request(
            "`payment.amount` must be more than zero",
        ));
    }
    let account = ctx.account(state)?;
    let account_id = account.id.clone();
    let rates = account.rates();
    let invoice = find(account, id)?;
    if invoice.status(&rates) == InvoiceStatus::Draft {
        return Err(ApiError::bad_request(format!(
            "Invoice {id} is a draft: book it before registering payments"
        )));
    }
    if invoice.currency != currency {
        return Err(ApiError::bad_request(format!(
            "The payment currency {currency} differs from the invoice currency {}",
            invoice.currency
        )));
    }
    drop(rates);
    let invoice = find_mut(account, id)?;
    invoice.payments.push(Payment {
        amount,
        currency: currency.clone(),
        paid_at,
    });
    invoice.updated_at = ctx.now;
    account.record_event("invoice.paymentRegistered", "invoice", id);
    state.payments.push(PaymentRecord {
        account_id,
        invoice_id: id.to_owned(),
        amount,
        currency,
        paid_at,
        registered_at: ctx.now,
    });
    Ok(Reply::NoContent)
}

/// `invoices.removePayments {id}`: the invoice is outstanding again.
pub(crate) fn remove_payments(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let account = ctx.account(state)?;
    let id = required_str(body, "id")?;
    let invoice = find_mut(account, id)?;
    invoice.payments.clear();
    invoice.updated_at = ctx.now;
    account.record_event("invoice.paymentRemoved", "invoice", id);
    Ok(Reply::NoContent)
}

#[cfg(test)]
mod tests {
    use super::structured_reference;

    #[test]
    fn structured_references_carry_a_mod_97_check() {
        let reference = structured_reference(2024_00007);
        assert_eq!(reference.len(), 20);
        let digits: String = reference.chars().filter(char::is_ascii_digit).collect();
        let base: u64 = digits[..10].parse().unwrap();
        let check: u64 = digits[10..].parse().unwrap();
        assert_eq!(
            if base.is_multiple_of(97) {
                97
            } else {
                base % 97
            },
            check
        );
    }
}
