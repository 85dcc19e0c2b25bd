//! documents/Documents (GET, POST, DELETE) and documents/DocumentAttachments (GET, POST,
//! DELETE): a PDF is attached to a sales entry as a Document (Type 10) holding a base64
//! DocumentAttachment.
//!
//! Deleting a document deletes its attachments; a document a booked entry refers to cannot be
//! deleted (delete the entry first). Exact's exact wording for that refusal is not documented
//! publicly; [`DOCUMENT_IN_USE`] follows the style of its other Dutch business messages.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{Ctx, obj};
use crate::exact::error::ApiError;
use crate::exact::model::{Attachment, DOCUMENT_TYPES, Division, Document};
use crate::exact::odata::{self, KeyVal, ListSpec};
use crate::exact::payload::Payload;
use crate::exact::schema::{DOCUMENT, DOCUMENT_ATTACHMENT};
use crate::exact::state::SimState;
use crate::exact::wire;

/// The refusal of deleting a document that belongs to a booked entry.
pub(crate) const DOCUMENT_IN_USE: &str =
    "Verwijderen niet toegestaan: Document is gekoppeld aan een boeking";

/// Where an attachment can be downloaded (append `&Download=1` for the raw file).
pub(crate) fn download_url(base_url: &str, division: i32, attachment: Uuid) -> String {
    format!("{base_url}/docs/SysAttachment.aspx?ID={attachment}&_Division_={division}")
}

fn document_row(division: &Division, d: &Document) -> Map<String, Value> {
    let account = d.account.and_then(|id| division.account(id));
    let type_description = DOCUMENT_TYPES
        .iter()
        .find(|(id, _)| *id == d.kind)
        .map(|(_, name)| *name);
    obj(json!({
        "ID": d.id.to_string(),
        "Account": wire::opt_guid(d.account),
        "AccountCode": account.map(|a| a.code.clone()),
        "AccountName": account.map(|a| a.name.clone()),
        "Body": d.body,
        "HasEmptyBody": d.body.as_deref().is_none_or(|b| b.trim().is_empty()),
        "DocumentDate": wire::opt_date(d.document_date),
        "FinancialTransactionEntryID": wire::opt_guid(d.entry_id),
        "Subject": d.subject,
        "Type": d.kind,
        "TypeDescription": type_description,
        "Division": division.code,
        "Created": wire::datetime(d.created),
        "Modified": wire::datetime(d.created),
    }))
}

fn attachment_row(division: &Division, a: &Attachment, ctx: &Ctx<'_>) -> Map<String, Value> {
    obj(json!({
        "ID": a.id.to_string(),
        "Document": a.document.to_string(),
        "FileName": a.file_name,
        "FileSize": a.size,
        "Url": download_url(ctx.base_url, division.code, a.id),
    }))
}

pub(crate) fn get(division: &Division, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let rows = division
        .documents
        .iter()
        .map(|d| document_row(division, d))
        .collect();
    match ctx.key {
        Some(key) => odata::get_one(&DOCUMENT, &ctx.link(), ctx.query, rows, key),
        None => odata::list(&ListSpec::plain(&DOCUMENT), &ctx.link(), ctx.query, rows),
    }
}

pub(crate) fn get_attachments(division: &Division, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let rows = division
        .attachments
        .iter()
        .map(|a| attachment_row(division, a, ctx))
        .collect();
    match ctx.key {
        Some(key) => odata::get_one(&DOCUMENT_ATTACHMENT, &ctx.link(), ctx.query, rows, key),
        None => odata::list(
            &ListSpec::plain(&DOCUMENT_ATTACHMENT),
            &ctx.link(),
            ctx.query,
            rows,
        ),
    }
}

fn division_mut<'s>(state: &'s mut SimState, ctx: &Ctx<'_>) -> Result<&'s mut Division, ApiError> {
    state
        .divisions
        .get_mut(&ctx.division)
        .ok_or_else(|| ApiError::Forbidden("Forbidden - WrongDivision".to_owned()))
}

pub(crate) fn post(state: &mut SimState, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let payload = Payload::from_body(ctx.body, &DOCUMENT)?;
    let division = division_mut(state, ctx)?;
    let mut errors = Vec::new();
    let subject = payload.text("Subject");
    if subject.is_none() {
        errors.push("Verplicht: Onderwerp".to_owned());
    }
    let kind = payload.int("Type").and_then(|k| i32::try_from(k).ok());
    match kind {
        None => errors.push("Verplicht: Soort".to_owned()),
        Some(k) if !DOCUMENT_TYPES.iter().any(|(id, _)| *id == k) => {
            errors.push("Ongeldige referentie: Soort".to_owned());
        }
        Some(_) => {}
    }
    let account = payload.guid("Account");
    if account.is_some_and(|id| division.account(id).is_none()) {
        errors.push("Ongeldige referentie: Relatie".to_owned());
    }
    let entry_id = payload.guid("FinancialTransactionEntryID");
    if entry_id.is_some_and(|id| division.entry(id).is_none()) {
        errors.push("Ongeldige referentie: Boeking".to_owned());
    }
    if !errors.is_empty() {
        return Err(ApiError::Business(errors));
    }
    let document = Document {
        id: Uuid::new_v4(),
        subject: subject.unwrap_or_default(),
        kind: kind.unwrap_or_default(),
        account,
        entry_id,
        document_date: payload.date("DocumentDate"),
        body: payload.text("Body"),
        created: wire::local(ctx.now),
    };
    let record = odata::entity(&DOCUMENT, &ctx.link(), document_row(division, &document));
    division.documents.push(document);
    Ok(odata::single(StatusCode::CREATED, Value::Object(record)))
}

pub(crate) fn post_attachment(state: &mut SimState, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let payload = Payload::from_body(ctx.body, &DOCUMENT_ATTACHMENT)?;
    let division = division_mut(state, ctx)?;
    let mut errors = Vec::new();
    let bytes = payload.binary("Attachment");
    if bytes.is_none() {
        errors.push("Verplicht: Bijlage".to_owned());
    }
    let file_name = payload.text("FileName");
    if file_name.is_none() {
        errors.push("Verplicht: Bestandsnaam".to_owned());
    }
    match payload.guid("Document") {
        None => errors.push("Verplicht: Document".to_owned()),
        Some(id) if division.document(id).is_none() => {
            errors.push("Ongeldige referentie: Document".to_owned())
        }
        Some(_) => {}
    }
    let (Some(bytes), Some(file_name), Some(document), true) = (
        bytes,
        file_name,
        payload.guid("Document"),
        errors.is_empty(),
    ) else {
        return Err(ApiError::Business(errors));
    };
    let attachment = Attachment {
        id: Uuid::new_v4(),
        document,
        file_name,
        size: bytes.len(),
        bytes,
        created: wire::local(ctx.now),
    };
    let record = odata::entity(
        &DOCUMENT_ATTACHMENT,
        &ctx.link(),
        attachment_row(division, &attachment, ctx),
    );
    division.attachments.push(attachment);
    Ok(odata::single(StatusCode::CREATED, Value::Object(record)))
}

/// The position of the record `ctx.key` names among `ids`, or Exact's 404.
fn position_of(
    ctx: &Ctx<'_>,
    segment: &str,
    mut ids: impl Iterator<Item = Uuid>,
) -> Result<usize, ApiError> {
    let key = ctx.key.and_then(KeyVal::parse);
    ids.position(|id| Some(KeyVal::Guid(id.to_string())) == key)
        .ok_or_else(|| {
            ApiError::NotFound(format!("Resource not found for the segment '{segment}'."))
        })
}

/// `DELETE documents/Documents(guid'…')`: 204, taking the attachments along; refused while a
/// booked entry refers to the document.
pub(crate) fn delete(state: &mut SimState, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let division = division_mut(state, ctx)?;
    let position = position_of(ctx, "Documents", division.documents.iter().map(|d| d.id))?;
    let id = division.documents[position].id;
    if division.entry_of_document(id).is_some() {
        return Err(ApiError::Business(vec![DOCUMENT_IN_USE.to_owned()]));
    }
    division.documents.remove(position);
    division.attachments.retain(|a| a.document != id);
    tracing::debug!(division = division.code, %id, "exact sim: document deleted");
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE documents/DocumentAttachments(guid'…')`: 204.
pub(crate) fn delete_attachment(state: &mut SimState, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let division = division_mut(state, ctx)?;
    let position = position_of(
        ctx,
        "DocumentAttachments",
        division.attachments.iter().map(|a| a.id),
    )?;
    division.attachments.remove(position);
    Ok(StatusCode::NO_CONTENT.into_response())
}
