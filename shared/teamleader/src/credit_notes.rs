//! `creditNotes.*`: list, info and download.

use crate::TeamleaderClient;
use crate::client::format_datetime;
use crate::common::{Data, IdRequest, Page, TypeAndId, is_empty};
use crate::documents::{DocumentCustomer, Download, GroupedLines, Totals};
use chrono::{DateTime, NaiveDate, Utc};
use koppel_core::ExternalError;
use serde::{Deserialize, Serialize};

/// Credit-note status; Teamleader documents only "booked".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreditNoteStatus {
    /// Booked.
    Booked,
    /// Not booked (never exported; not documented but guarded against).
    Draft,
    /// A status this client does not know (kept out of exports).
    #[serde(other)]
    Unknown,
}

/// The `filter` of creditNotes.list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CreditNoteFilter {
    /// Only these credit notes.
    #[serde(skip_serializing_if = "is_empty")]
    pub ids: Vec<String>,
    /// Only this department.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_id: Option<String>,
    /// Only credit notes changed at or after this instant (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_since: Option<String>,
    /// Only credit notes of this invoice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_id: Option<String>,
    /// Dated on or after this day (inclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_note_date_after: Option<String>,
    /// Dated before this day (EXCLUSIVE, unlike invoices).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_note_date_before: Option<String>,
    /// Only credit notes of this customer (`{ "type": "company", "id": … }`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<crate::common::TypeAndId>,
}

/// The body of creditNotes.list (no sort: the endpoint has none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreditNoteListRequest {
    /// Filters.
    pub filter: CreditNoteFilter,
    /// Page.
    pub page: Page,
}

impl CreditNoteListRequest {
    /// Booked credit notes of a department, changed since / dated from the given bounds.
    pub fn booked(
        department_id: Option<&str>,
        updated_since: Option<DateTime<Utc>>,
        date_from: Option<NaiveDate>,
        page: Page,
    ) -> Self {
        Self {
            filter: CreditNoteFilter {
                department_id: department_id.map(str::to_owned),
                updated_since: updated_since.map(format_datetime),
                credit_note_date_after: date_from.map(|d| d.to_string()),
                ..CreditNoteFilter::default()
            },
            page,
        }
    }
}

/// A credit note as creditNotes.list returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CreditNoteListItem {
    /// Id.
    pub id: String,
    /// Department.
    pub department: TypeAndId,
    /// Number, e.g. "2017 / 5".
    #[serde(default)]
    pub credit_note_number: Option<String>,
    /// Date.
    #[serde(default)]
    pub credit_note_date: Option<NaiveDate>,
    /// Status.
    pub status: CreditNoteStatus,
    /// The invoice credited.
    #[serde(default)]
    pub invoice: Option<TypeAndId>,
    /// Fully paid (refunded).
    #[serde(default)]
    pub paid: bool,
    /// Who is billed.
    #[serde(default)]
    pub invoicee: Option<DocumentCustomer>,
    /// Totals.
    pub total: Totals,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A credit note as creditNotes.info returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CreditNote {
    /// Id.
    pub id: String,
    /// Department.
    pub department: TypeAndId,
    /// Number.
    #[serde(default)]
    pub credit_note_number: Option<String>,
    /// Date.
    #[serde(default)]
    pub credit_note_date: Option<NaiveDate>,
    /// Status.
    pub status: CreditNoteStatus,
    /// The invoice credited.
    #[serde(default)]
    pub invoice: Option<TypeAndId>,
    /// Fully paid (refunded).
    #[serde(default)]
    pub paid: bool,
    /// Who is billed.
    #[serde(default)]
    pub invoicee: Option<DocumentCustomer>,
    /// Totals.
    pub total: Totals,
    /// Lines by section.
    #[serde(default)]
    pub grouped_lines: Vec<GroupedLines>,
    /// Currency.
    #[serde(default)]
    pub currency: Option<String>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// creditNotes.info's `data` is documented as an array (a documentation slip: the API answers
/// an object). Both are accepted: the object, or the array's first element, is read as a
/// [`CreditNote`]; a field that does not fit is named with its path (`data.total…`).
pub fn credit_note_from_info_data(
    data: serde_json::Value,
) -> Result<Option<CreditNote>, ExternalError> {
    let (value, prefix) = match data {
        serde_json::Value::Array(items) => match items.into_iter().next() {
            Some(first) => (first, "data[0]"),
            None => return Ok(None),
        },
        other => (other, "data"),
    };
    serde_path_to_error::deserialize(value)
        .map(Some)
        .map_err(|error| {
            let path = error.path().to_string();
            let at = if path == "." {
                prefix.to_owned()
            } else {
                format!("{prefix}.{path}")
            };
            ExternalError::Malformed {
                system: crate::SYSTEM,
                endpoint: "creditNotes.info".to_owned(),
                detail: format!("{at}: {}", error.into_inner()),
            }
        })
}

/// The formats creditNotes.download offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CreditNoteFileFormat {
    /// PDF.
    #[serde(rename = "pdf")]
    Pdf,
    /// UBL, Belgian e-FFF.
    #[serde(rename = "ubl/e-fff")]
    UblEfff,
}

/// The body of creditNotes.download.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreditNoteDownloadRequest {
    /// Credit note id.
    pub id: String,
    /// Format.
    pub format: CreditNoteFileFormat,
}

/// Endpoints of the credit notes resource (`client.credit_notes()`).
#[derive(Debug, Clone, Copy)]
pub struct CreditNotesApi<'a> {
    pub(crate) client: &'a TeamleaderClient,
}

impl CreditNotesApi<'_> {
    /// creditNotes.list: one page.
    pub async fn list(
        &self,
        request: &CreditNoteListRequest,
    ) -> Result<Vec<CreditNoteListItem>, ExternalError> {
        let page: Data<Vec<CreditNoteListItem>> =
            self.client.call("creditNotes.list", request).await?;
        Ok(page.data)
    }

    /// creditNotes.list: every page from `request.page.number` on, until a short page.
    pub async fn list_all(
        &self,
        request: &CreditNoteListRequest,
    ) -> Result<Vec<CreditNoteListItem>, ExternalError> {
        let mut request = request.clone();
        let mut all = Vec::new();
        loop {
            let page = self.list(&request).await?;
            let short = page.len() < request.page.size as usize;
            all.extend(page);
            if short {
                return Ok(all);
            }
            request.page.number += 1;
        }
    }

    /// creditNotes.info.
    pub async fn info(&self, id: &str) -> Result<CreditNote, ExternalError> {
        let answer: Data<serde_json::Value> = self
            .client
            .call("creditNotes.info", &IdRequest { id: id.to_owned() })
            .await?;
        credit_note_from_info_data(answer.data)?.ok_or_else(|| ExternalError::NotFound {
            system: crate::SYSTEM,
            what: format!("credit note {id}"),
        })
    }

    /// creditNotes.download: a temporary location of the rendered file.
    pub async fn download(
        &self,
        id: &str,
        format: CreditNoteFileFormat,
    ) -> Result<Download, ExternalError> {
        let request = CreditNoteDownloadRequest {
            id: id.to_owned(),
            format,
        };
        let download: Data<Download> = self.client.call("creditNotes.download", &request).await?;
        Ok(download.data)
    }
}
