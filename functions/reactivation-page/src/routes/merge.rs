//! The merge file on the page: upload (multipart; refused by its announced size before
//! anything is read, and capped while reading), its preview as a run report, then "Apply".

use super::connections::checked_session;
use super::{Page, Visitor, internal, not_found_for, problem};
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use koppel_core::account::{self, AccountError, MergeUpload};
use koppel_core::jobs::merge::{MatchBy, MergeLimits};
use koppel_core::{AccountId, ConnectionId};

/// The largest upload read: the merge job's own file limit (`MergeLimits::max_file_bytes`,
/// 10 MiB) plus room for the form's other fields and the multipart framing.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024 + 64 * 1024;

/// What the upload form sent.
#[derive(Default)]
struct Upload {
    csrf: Option<String>,
    match_by: Option<String>,
    file_name: Option<String>,
    bytes: Vec<u8>,
}

async fn read_upload(mut form: Multipart) -> Result<Upload, String> {
    let mut upload = Upload::default();
    while let Some(field) = form.next_field().await.map_err(|e| e.body_text())? {
        match field.name().unwrap_or_default() {
            "csrf" => upload.csrf = field.text().await.ok(),
            "match_by" => upload.match_by = field.text().await.ok(),
            "file" => {
                upload.file_name = field.file_name().map(str::to_owned);
                upload.bytes = field.bytes().await.map_err(|e| e.body_text())?.to_vec();
            }
            _ => {}
        }
    }
    Ok(upload)
}

/// `POST /connections/{id}/merge`.
pub(crate) async fn upload(
    State(page): Page,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Multipart,
) -> Response {
    let visitor = Visitor::of(&page, &headers);
    let t = visitor.language.texts();
    let now = page.services.clock.now();
    if !page
        .upload_limiter
        .allow(&crate::security::client_key(&headers), now)
    {
        return problem(
            &visitor,
            StatusCode::TOO_MANY_REQUESTS,
            t.error_too_many,
            None,
        );
    }
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|length| length > MAX_UPLOAD_BYTES) {
        return problem(
            &visitor,
            StatusCode::PAYLOAD_TOO_LARGE,
            t.error_upload_too_large,
            None,
        );
    }
    let upload = match read_upload(form).await {
        Ok(upload) => upload,
        Err(_) => {
            return problem(
                &visitor,
                StatusCode::PAYLOAD_TOO_LARGE,
                t.error_upload_too_large,
                None,
            );
        }
    };
    let Some(session) = checked_session(&visitor, upload.csrf.as_deref()) else {
        return problem(&visitor, StatusCode::FORBIDDEN, t.error_session, None);
    };
    if upload.bytes.len() as u64 > MergeLimits::default().max_file_bytes {
        return problem(
            &visitor,
            StatusCode::PAYLOAD_TOO_LARGE,
            t.error_upload_too_large,
            None,
        );
    }
    let Some(file_name) = upload.file_name.filter(|n| !n.trim().is_empty()) else {
        return problem(
            &visitor,
            StatusCode::BAD_REQUEST,
            t.error_upload_missing,
            None,
        );
    };
    let match_by = match upload.match_by.as_deref() {
        Some("vat") => MatchBy::VatNumber,
        _ => MatchBy::Name,
    };
    let connection = ConnectionId::new(id);
    let account = AccountId::new(session.account.clone());
    if super::connections::without_customers(&page, &account, &connection).await {
        return not_found_for(&visitor);
    }
    // An empty or malformed file is the merge job's to explain, row by row, in its report.
    match account::upload_merge_file(
        ports(&page),
        &AccountId::new(session.account.clone()),
        &connection,
        &file_name,
        &upload.bytes,
        match_by,
    )
    .await
    {
        Ok((_, run)) => Redirect::to(&format!(
            "/connections/{}/runs/{}",
            connection.as_str(),
            run.as_str()
        ))
        .into_response(),
        Err(AccountError::NotFound) => not_found_for(&visitor),
        Err(error) => internal(&visitor, &error),
    }
}

/// The ports of a merge-file upload, from the page's services.
fn ports(page: &crate::ReactivationPage) -> MergeUpload<'_> {
    let services = &page.services;
    MergeUpload {
        connections: services.store.as_ref(),
        merges: services.store.as_ref(),
        files: services.files.as_ref(),
        queue: services.queue.as_ref(),
        clock: services.clock.as_ref(),
    }
}

/// `POST /connections/{id}/merge/{merge}/apply`.
pub(crate) async fn apply(
    State(page): Page,
    headers: HeaderMap,
    Path((id, merge)): Path<(String, String)>,
    Form(form): Form<super::sign_in::CsrfForm>,
) -> Response {
    let visitor = Visitor::of(&page, &headers);
    let t = visitor.language.texts();
    let Some(session) = checked_session(&visitor, form.csrf.as_deref()) else {
        return problem(&visitor, StatusCode::FORBIDDEN, t.error_session, None);
    };
    let connection = ConnectionId::new(id);
    match account::apply_merge_file(
        ports(&page),
        &AccountId::new(session.account.clone()),
        &connection,
        &merge,
    )
    .await
    {
        Ok(run) => Redirect::to(&format!(
            "/connections/{}/runs/{}",
            connection.as_str(),
            run.as_str()
        ))
        .into_response(),
        Err(AccountError::NotFound) => not_found_for(&visitor),
        Err(error) => internal(&visitor, &error),
    }
}
