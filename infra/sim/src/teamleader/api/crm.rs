//! `companies.*` and `contacts.*`.

use super::{
    ApiError, ApiResult, Ctx, Reply, customer_ref, filter_of, new_id, optional_str, page_of,
    parse_instant, required_str, sort_of, string_array,
};
use crate::teamleader::model::{Account, Address, Company, Contact};
use crate::teamleader::render;
use crate::teamleader::state::SimState;
use serde_json::Value;
use std::collections::BTreeMap;

/// VAT numbers compared the way people type them: letters and digits only, upper case.
pub(crate) fn normalize_vat(vat: &str) -> String {
    vat.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn includes(body: &Value, what: &str) -> bool {
    body.get("includes")
        .and_then(Value::as_str)
        .is_some_and(|list| list.split(',').any(|item| item.trim() == what))
}

fn find_company<'a>(account: &'a mut Account, id: &str) -> Result<&'a mut Company, ApiError> {
    account
        .companies
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found(format!("Company {id} not found")))
}

/// `companies.list`.
pub(crate) fn companies_list(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let account = ctx.account(state)?;
    let filter = filter_of(body)?;
    let page = page_of(body)?;
    let ids = string_array(&filter, "ids")?;
    let tags = string_array(&filter, "tags")?;
    let term = optional_str(&filter, "term")?.map(str::to_lowercase);
    let vat = optional_str(&filter, "vat_number")?.map(normalize_vat);
    let national = optional_str(&filter, "national_identification_number")?;
    let updated_since = optional_str(&filter, "updated_since")?
        .map(|text| parse_instant("filter.updated_since", text))
        .transpose()?;
    let status = optional_str(&filter, "status")?;
    if status.is_some_and(|s| s != "active" && s != "deactivated") {
        return Err(ApiError::bad_request(
            "`filter.status` must be active or deactivated",
        ));
    }
    let email = match filter.get("email") {
        None | Some(Value::Null) => None,
        Some(email) => Some(required_str(email, "email")?.to_lowercase()),
    };
    let consent = match filter.get("marketing_mails_consent") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            return Err(ApiError::bad_request(
                "`filter.marketing_mails_consent` must be a boolean",
            ));
        }
    };
    let (field, descending) = sort_of(body, &["name", "added_at", "updated_at"], ("name", false))?;
    let mut found: Vec<&Company> = account
        .companies
        .values()
        .filter(|_| status != Some("deactivated"))
        .filter(|c| ids.as_ref().is_none_or(|ids| ids.contains(&c.id)))
        .filter(|c| {
            tags.as_ref()
                .is_none_or(|tags| tags.iter().all(|t| c.tags.contains(t)))
        })
        .filter(|c| {
            vat.as_ref()
                .is_none_or(|vat| c.vat_number.as_deref().map(normalize_vat).as_ref() == Some(vat))
        })
        .filter(|c| national.is_none_or(|n| c.national_identification_number.as_deref() == Some(n)))
        .filter(|c| updated_since.is_none_or(|since| c.updated_at >= since))
        .filter(|c| consent.is_none_or(|consent| c.marketing_mails_consent == consent))
        .filter(|c| {
            email
                .as_ref()
                .is_none_or(|email| c.emails.iter().any(|(_, e)| e.to_lowercase() == *email))
        })
        .filter(|c| {
            term.as_ref().is_none_or(|term| {
                c.name.to_lowercase().contains(term.as_str())
                    || c.vat_number
                        .as_deref()
                        .is_some_and(|v| v.to_lowercase().contains(term.as_str()))
                    || c.emails
                        .iter()
                        .any(|(_, e)| e.to_lowercase().contains(term.as_str()))
            })
        })
        .collect();
    found.sort_by(|a, b| {
        let ordering = match field.as_str() {
            "added_at" => a.added_at.cmp(&b.added_at),
            "updated_at" => a.updated_at.cmp(&b.updated_at),
            _ => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
        }
        .then(a.id.cmp(&b.id));
        if descending {
            ordering.reverse()
        } else {
            ordering
        }
    });
    let with_fields = includes(body, "custom_fields");
    let data = page
        .slice(found)
        .into_iter()
        .map(|c| render::company_list_item(c, with_fields))
        .collect();
    Ok(Reply::Data(Value::Array(data)))
}

/// `companies.info`.
pub(crate) fn companies_info(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let account = ctx.account(state)?;
    let id = required_str(body, "id")?;
    Ok(Reply::Data(render::company_info(find_company(
        account, id,
    )?)))
}

fn pairs(
    body: &Value,
    key: &str,
    field: &str,
    kinds: &[&str],
) -> Result<Option<Vec<(String, String)>>, ApiError> {
    let Some(items) = body.get(key).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let Some(items) = items.as_array() else {
        return Err(ApiError::bad_request(format!("`{key}` must be an array")));
    };
    items
        .iter()
        .map(|item| {
            let kind = required_str(item, "type")?;
            if !kinds.contains(&kind) {
                return Err(ApiError::bad_request(format!(
                    "`{key}[].type` must be one of {}",
                    kinds.join(", ")
                )));
            }
            Ok((kind.to_owned(), required_str(item, field)?.to_owned()))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn addresses(body: &Value) -> Result<Option<Vec<Address>>, ApiError> {
    let Some(items) = body.get("addresses").filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let Some(items) = items.as_array() else {
        return Err(ApiError::bad_request("`addresses` must be an array"));
    };
    items
        .iter()
        .map(|item| {
            let kind = required_str(item, "type")?;
            if !["primary", "invoicing", "delivery", "visiting"].contains(&kind) {
                return Err(ApiError::bad_request(
                    "`addresses[].type` must be primary, invoicing, delivery or visiting",
                ));
            }
            let address = item
                .get("address")
                .filter(|a| a.is_object())
                .ok_or_else(|| ApiError::bad_request("`addresses[].address` is required"))?;
            Ok(Address {
                kind: kind.to_owned(),
                line_1: optional_str(address, "line_1")?.map(str::to_owned),
                postal_code: optional_str(address, "postal_code")?.map(str::to_owned),
                city: optional_str(address, "city")?.map(str::to_owned),
                country: required_str(address, "country")?.to_owned(),
                addressee: optional_str(address, "addressee")?.map(str::to_owned),
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Custom field values `[{id, value}]`, checked against the account's definitions.
fn custom_field_values(
    account: &Account,
    body: &Value,
    context: &str,
) -> Result<Option<Vec<(String, Value)>>, ApiError> {
    let Some(items) = body.get("custom_fields").filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let Some(items) = items.as_array() else {
        return Err(ApiError::bad_request("`custom_fields` must be an array"));
    };
    items
        .iter()
        .map(|item| {
            let id = required_str(item, "id")?;
            if !account
                .custom_fields
                .iter()
                .any(|d| d.id == id && d.context == context)
            {
                return Err(ApiError::bad_request(format!(
                    "Custom field definition {id} does not exist for {context}"
                )));
            }
            let value = item.get("value").cloned().unwrap_or(Value::Null);
            if value.is_object() {
                return Err(ApiError::bad_request(format!(
                    "The value of custom field {id} must be a string, number, boolean or list"
                )));
            }
            Ok((id.to_owned(), value))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Apply the custom field values of `body` to `fields` (those of a `context` object): only
/// the definitions sent change, null clears one.
fn apply_custom_fields(
    account: &Account,
    fields: &mut BTreeMap<String, Value>,
    body: &Value,
    context: &str,
) -> Result<(), ApiError> {
    for (id, value) in custom_field_values(account, body, context)?.unwrap_or_default() {
        if value.is_null() {
            fields.remove(&id);
        } else {
            fields.insert(id, value);
        }
    }
    Ok(())
}

/// Set a nullable string field when present in the body.
fn set_opt(target: &mut Option<String>, body: &Value, key: &str) -> Result<(), ApiError> {
    if body.get(key).is_some() {
        *target = optional_str(body, key)?
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
    }
    Ok(())
}

/// Apply the fields present in `body` to a company; collections are replaced whole, custom
/// fields only for the definitions sent (null clears one).
fn apply_company(account: &Account, company: &mut Company, body: &Value) -> Result<(), ApiError> {
    if body.get("name").is_some() {
        company.name = required_str(body, "name")?.to_owned();
    }
    set_opt(&mut company.vat_number, body, "vat_number")?;
    set_opt(
        &mut company.national_identification_number,
        body,
        "national_identification_number",
    )?;
    set_opt(&mut company.website, body, "website")?;
    set_opt(&mut company.iban, body, "iban")?;
    set_opt(&mut company.bic, body, "bic")?;
    set_opt(&mut company.language, body, "language")?;
    set_opt(&mut company.remarks, body, "remarks")?;
    set_opt(&mut company.preferred_currency, body, "preferred_currency")?;
    if let Some(emails) = pairs(body, "emails", "email", &["primary", "invoicing"])? {
        company.emails = emails;
    }
    if let Some(phones) = pairs(body, "telephones", "number", &["phone", "fax"])? {
        company.telephones = phones;
    }
    if let Some(addresses) = addresses(body)? {
        company.addresses = addresses;
    }
    if let Some(tags) = string_array(body, "tags")? {
        company.tags = tags;
    }
    if let Some(user) = optional_str(body, "responsible_user_id")? {
        company.responsible_user_id = user.to_owned();
    }
    if let Some(Value::Bool(consent)) = body.get("marketing_mails_consent") {
        company.marketing_mails_consent = *consent;
    }
    apply_custom_fields(account, &mut company.custom_fields, body, "company")
}

/// `companies.add` → 201 `{data: {type: company, id}}`.
pub(crate) fn companies_add(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let account = ctx.account(state)?;
    required_str(body, "name")?;
    let id = new_id();
    let mut company = Company {
        id: id.clone(),
        responsible_user_id: ctx.caller.user_id.clone(),
        added_at: ctx.now,
        updated_at: ctx.now,
        custom_fields: BTreeMap::new(),
        ..Company::default()
    };
    apply_company(account, &mut company, body)?;
    account.companies.insert(id.clone(), company);
    account.record_event("company.added", "company", &id);
    Ok(Reply::Created("company", id))
}

/// `companies.update` → 204.
pub(crate) fn companies_update(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let account = ctx.account(state)?;
    let id = required_str(body, "id")?;
    let mut company = find_company(account, id)?.clone();
    apply_company(account, &mut company, body)?;
    company.updated_at = ctx.now;
    account.companies.insert(id.to_owned(), company);
    account.record_event("company.updated", "company", id);
    Ok(Reply::NoContent)
}

/// `companies.delete` → 204.
pub(crate) fn companies_delete(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let account = ctx.account(state)?;
    let id = required_str(body, "id")?;
    find_company(account, id)?;
    account.companies.remove(id);
    account.record_event("company.deleted", "company", id);
    Ok(Reply::NoContent)
}

/// `companies.tag` / `companies.untag` → 204.
pub(crate) fn companies_tag(
    state: &mut SimState,
    ctx: &Ctx<'_>,
    body: &Value,
    add: bool,
) -> ApiResult {
    let account = ctx.account(state)?;
    let id = required_str(body, "id")?;
    let tags =
        string_array(body, "tags")?.ok_or_else(|| ApiError::bad_request("`tags` is required"))?;
    let company = find_company(account, id)?;
    for tag in tags {
        let present = company.tags.contains(&tag);
        if add && !present {
            company.tags.push(tag);
        } else if !add && present {
            company.tags.retain(|t| *t != tag);
        }
    }
    company.updated_at = ctx.now;
    account.record_event("company.updated", "company", id);
    Ok(Reply::NoContent)
}

/// `contacts.list`.
pub(crate) fn contacts_list(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let account = ctx.account(state)?;
    let filter = filter_of(body)?;
    let page = page_of(body)?;
    let ids = string_array(&filter, "ids")?;
    let tags = string_array(&filter, "tags")?;
    let company_id = optional_str(&filter, "company_id")?;
    let term = optional_str(&filter, "term")?.map(str::to_lowercase);
    let updated_since = optional_str(&filter, "updated_since")?
        .map(|text| parse_instant("filter.updated_since", text))
        .transpose()?;
    let email = match filter.get("email") {
        None | Some(Value::Null) => None,
        Some(email) => Some(required_str(email, "email")?.to_lowercase()),
    };
    let (field, descending) = sort_of(body, &["added_at", "name", "updated_at"], ("name", false))?;
    let mut found: Vec<&Contact> = account
        .contacts
        .values()
        .filter(|c| ids.as_ref().is_none_or(|ids| ids.contains(&c.id)))
        .filter(|c| {
            tags.as_ref()
                .is_none_or(|tags| tags.iter().all(|t| c.tags.contains(t)))
        })
        .filter(|c| company_id.is_none_or(|id| c.company_ids.iter().any(|c| c == id)))
        .filter(|c| updated_since.is_none_or(|since| c.updated_at >= since))
        .filter(|c| {
            email.as_ref().is_none_or(|email| {
                c.email.as_deref().map(str::to_lowercase).as_ref() == Some(email)
            })
        })
        .filter(|c| {
            term.as_ref().is_none_or(|term| {
                format!("{} {}", c.first_name, c.last_name)
                    .to_lowercase()
                    .contains(term.as_str())
            })
        })
        .collect();
    found.sort_by(|a, b| {
        let ordering = match field.as_str() {
            "added_at" => a.added_at.cmp(&b.added_at),
            "updated_at" => a.updated_at.cmp(&b.updated_at),
            _ => (a.last_name.to_lowercase(), a.first_name.to_lowercase())
                .cmp(&(b.last_name.to_lowercase(), b.first_name.to_lowercase())),
        }
        .then(a.id.cmp(&b.id));
        if descending {
            ordering.reverse()
        } else {
            ordering
        }
    });
    let with_fields = includes(body, "custom_fields");
    let data = page
        .slice(found)
        .into_iter()
        .map(|c| render::contact_list_item(c, with_fields))
        .collect();
    Ok(Reply::Data(Value::Array(data)))
}

/// `deals.list`: filtered by `ids` and `customer`, paged; each deal with its id, title and
/// `lead.customer`.
pub(crate) fn deals_list(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let account = ctx.account(state)?;
    let filter = filter_of(body)?;
    let page = page_of(body)?;
    let ids = string_array(&filter, "ids")?;
    let customer = match filter.get("customer") {
        None | Some(Value::Null) => None,
        Some(value) => Some(customer_ref(value, "filter.customer")?),
    };
    let found: Vec<&crate::teamleader::model::Deal> = account
        .deals
        .values()
        .filter(|d| ids.as_ref().is_none_or(|ids| ids.contains(&d.id)))
        .filter(|d| customer.as_ref().is_none_or(|c| *c == d.customer))
        .collect();
    let data = page
        .slice(found)
        .into_iter()
        .map(render::deal_list_item)
        .collect();
    Ok(Reply::Data(Value::Array(data)))
}

fn find_contact<'a>(account: &'a mut Account, id: &str) -> Result<&'a mut Contact, ApiError> {
    account
        .contacts
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found(format!("Contact {id} not found")))
}

/// `contacts.info`.
pub(crate) fn contacts_info(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let account = ctx.account(state)?;
    let id = required_str(body, "id")?;
    Ok(Reply::Data(render::contact_info(find_contact(
        account, id,
    )?)))
}

/// A contact's e-mail from `emails: [{type: primary, email}]`: the simulator keeps one, the
/// first primary e-mail given. `None` when `emails` is absent (or null); `Some(None)` when the
/// list is empty or its e-mail is null or empty (`contacts.update` documents it nullable).
fn contact_email(body: &Value) -> Result<Option<Option<String>>, ApiError> {
    let Some(items) = body.get("emails").filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let Some(items) = items.as_array() else {
        return Err(ApiError::bad_request("`emails` must be an array"));
    };
    let mut email = None;
    for item in items {
        if required_str(item, "type")? != "primary" {
            return Err(ApiError::bad_request("`emails[].type` must be primary"));
        }
        if item.get("email").is_none() {
            return Err(ApiError::bad_request("`emails[].email` is required"));
        }
        let address = optional_str(item, "email")?.filter(|e| !e.is_empty());
        if email.is_none() {
            email = address.map(str::to_owned);
        }
    }
    Ok(Some(email))
}

/// Apply the fields present in `body` to a contact; collections are replaced whole (a null
/// `telephones`, which `contacts.update` documents as nullable, clears them), custom fields
/// only for the definitions sent (null clears one).
///
/// `vat_number` is taken too although the spec (1.112.0) lists it only in the responses: the
/// model keeps one for sole traders, and a client's requests are checked against the spec
/// elsewhere.
fn apply_contact(account: &Account, contact: &mut Contact, body: &Value) -> Result<(), ApiError> {
    if body.get("first_name").is_some() {
        contact.first_name = optional_str(body, "first_name")?
            .unwrap_or_default()
            .to_owned();
    }
    if body.get("last_name").is_some() {
        contact.last_name = required_str(body, "last_name")?.to_owned();
    }
    set_opt(&mut contact.vat_number, body, "vat_number")?;
    set_opt(
        &mut contact.national_identification_number,
        body,
        "national_identification_number",
    )?;
    set_opt(&mut contact.language, body, "language")?;
    if let Some(email) = contact_email(body)? {
        contact.email = email;
    }
    if body.get("telephones").is_some_and(Value::is_null) {
        contact.telephones.clear();
    } else if let Some(phones) = pairs(body, "telephones", "number", &["phone", "mobile", "fax"])? {
        contact.telephones = phones;
    }
    if let Some(addresses) = addresses(body)? {
        contact.addresses = addresses;
    }
    if let Some(tags) = string_array(body, "tags")? {
        contact.tags = tags;
    }
    if let Some(Value::Bool(consent)) = body.get("marketing_mails_consent") {
        contact.marketing_mails_consent = *consent;
    }
    apply_custom_fields(account, &mut contact.custom_fields, body, "contact")
}

/// `contacts.add` → 201 `{data: {type: contact, id}}`; `last_name` is required.
pub(crate) fn contacts_add(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let account = ctx.account(state)?;
    required_str(body, "last_name")?;
    let id = new_id();
    let mut contact = Contact {
        id: id.clone(),
        added_at: ctx.now,
        updated_at: ctx.now,
        ..Contact::default()
    };
    apply_contact(account, &mut contact, body)?;
    account.contacts.insert(id.clone(), contact);
    account.record_event("contact.added", "contact", &id);
    Ok(Reply::Created("contact", id))
}

/// `contacts.update` → 204.
pub(crate) fn contacts_update(state: &mut SimState, ctx: &Ctx<'_>, body: &Value) -> ApiResult {
    let account = ctx.account(state)?;
    let id = required_str(body, "id")?;
    let mut contact = find_contact(account, id)?.clone();
    apply_contact(account, &mut contact, body)?;
    contact.updated_at = ctx.now;
    account.contacts.insert(id.to_owned(), contact);
    account.record_event("contact.updated", "contact", id);
    Ok(Reply::NoContent)
}
