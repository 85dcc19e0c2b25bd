//! Account set-up: `users.me`, `departments.list`, `taxRates.list`, `productCategories.list`,
//! `customFieldDefinitions.*` (`webhooks.*`: [`crate::teamleader::webhooks`]).

use super::{
    ApiError, ApiResult, Ctx, Reply, filter_of, new_id, optional_str, page_of, required_str,
    string_array,
};
use crate::teamleader::model::CustomFieldDefinition;
use crate::teamleader::render;
use crate::teamleader::state::SimState;
use serde_json::Value;

/// `users.me`: the user the token was issued to.
pub(crate) fn users_me(state: &mut SimState, ctx: &Ctx<'_>) -> ApiResult {
    let account = ctx.account(state)?;
    let user = account
        .users
        .iter()
        .find(|u| u.id == ctx.caller.user_id)
        .ok_or_else(|| ApiError::not_found("The user of this token no longer exists"))?;
    Ok(Reply::Data(render::user_me(account, user)))
}

/// `departments.list`: all departments; paging is ignored, as by Teamleader.
pub(crate) fn departments_list(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let account = ctx.account(state)?;
    let filter = filter_of(body)?;
    let ids = string_array(&filter, "ids")?;
    let statuses = string_array(&filter, "status")?;
    let data = account
        .departments
        .iter()
        .filter(|d| ids.as_ref().is_none_or(|ids| ids.contains(&d.id)))
        .filter(|_| {
            statuses
                .as_ref()
                .is_none_or(|s| s.iter().any(|s| s == "active"))
        })
        .map(render::department)
        .collect();
    Ok(Reply::Data(Value::Array(data)))
}

/// `departments.info`: one department with its address.
pub(crate) fn departments_info(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let account = ctx.account(state)?;
    let id = required_str(body, "id")?;
    let department = account
        .departments
        .iter()
        .find(|d| d.id == id)
        .ok_or_else(|| ApiError::not_found(format!("Department {id} not found")))?;
    Ok(Reply::Data(render::department_info(department)))
}

/// `taxRates.list`, optionally for one department; paged.
pub(crate) fn tax_rates_list(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let account = ctx.account(state)?;
    let filter = filter_of(body)?;
    let page = page_of(body)?;
    let department_id = optional_str(&filter, "department_id")?;
    let rates: Vec<_> = account
        .tax_rates
        .iter()
        .filter(|r| department_id.is_none_or(|d| d == r.department_id))
        .collect();
    let data = page
        .slice(rates)
        .into_iter()
        .map(render::tax_rate)
        .collect();
    Ok(Reply::Data(Value::Array(data)))
}

/// `productCategories.list`, optionally for one department (then only its ledger).
pub(crate) fn product_categories_list(
    state: &mut SimState,
    ctx: &Ctx<'_>,
    body: &Value,
) -> ApiResult {
    let account = ctx.account(state)?;
    let filter = filter_of(body)?;
    let department_id = optional_str(&filter, "department_id")?;
    let data = account
        .product_categories
        .iter()
        .map(|c| render::product_category(c, department_id))
        .collect();
    Ok(Reply::Data(Value::Array(data)))
}

/// `customFieldDefinitions.list`.
pub(crate) fn custom_fields_list(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let account = ctx.account(state)?;
    let filter = filter_of(body)?;
    let page = page_of(body)?;
    let ids = string_array(&filter, "ids")?;
    let context = optional_str(&filter, "context")?;
    let found: Vec<_> = account
        .custom_fields
        .iter()
        .filter(|d| ids.as_ref().is_none_or(|ids| ids.contains(&d.id)))
        .filter(|d| context.is_none_or(|c| c == d.context))
        .collect();
    let data = page
        .slice(found)
        .into_iter()
        .map(render::custom_field_definition)
        .collect();
    Ok(Reply::Data(Value::Array(data)))
}

/// `customFieldDefinitions.info`.
pub(crate) fn custom_fields_info(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let account = ctx.account(state)?;
    let id = required_str(body, "id")?;
    let definition = account
        .custom_fields
        .iter()
        .find(|d| d.id == id)
        .ok_or_else(|| ApiError::not_found(format!("Custom field definition {id} not found")))?;
    Ok(Reply::Data(render::custom_field_definition(definition)))
}

const CONTEXTS: [&str; 9] = [
    "contact",
    "company",
    "deal",
    "project",
    "milestone",
    "product",
    "invoice",
    "subscription",
    "ticket",
];
const FIELD_TYPES: [&str; 17] = [
    "single_line",
    "multi_line",
    "single_select",
    "multi_select",
    "date",
    "money",
    "auto_increment",
    "integer",
    "number",
    "boolean",
    "email",
    "telephone",
    "url",
    "company",
    "contact",
    "product",
    "user",
];

/// `customFieldDefinitions.create` → 201.
pub(crate) fn custom_fields_create(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let account = ctx.account(state)?;
    let label = required_str(body, "label")?;
    let kind = required_str(body, "type")?;
    let context = required_str(body, "context")?;
    if !FIELD_TYPES.contains(&kind) {
        return Err(ApiError::bad_request(format!(
            "`type` {kind} is not a custom field type"
        )));
    }
    if !CONTEXTS.contains(&context) {
        return Err(ApiError::bad_request(format!(
            "`context` {context} is not a custom field context"
        )));
    }
    if account
        .custom_fields
        .iter()
        .any(|d| d.context == context && d.label == label)
    {
        return Err(ApiError::bad_request(format!(
            "A custom field labelled {label} already exists for {context}"
        )));
    }
    let id = new_id();
    account.custom_fields.push(CustomFieldDefinition {
        id: id.clone(),
        context: context.to_owned(),
        kind: kind.to_owned(),
        label: label.to_owned(),
        required: false,
    });
    Ok(Reply::Created("customFieldDefinition", id))
}
