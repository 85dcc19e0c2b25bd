//! Calls to Clearfacts' GraphQL endpoint with a connection's token: reads retried on
//! transient failures, uploads sent once (a lost answer is
//! [`ExternalError::OutcomeUnknown`]: Clearfacts may hold the document, and it cannot be
//! looked up — the export then reports it instead of guessing). Clearfacts documents no rate
//! limit; the shared gate still honours a 429's `Retry-After` if one comes.

use super::graphql::{Request, Response, UPLOAD};
use super::refusals::SYSTEM;
use koppel_api::{ApiClient, TokenSource};
use koppel_core::{Clock, Deadline, DocumentFile, ExternalError, FileFormat};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// What an upload returns: the only handle on the document from then on.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Uploaded {
    /// The document's id (an upper-case GUID).
    pub uuid: String,
    /// Pages Clearfacts counted.
    #[serde(default)]
    pub amount_of_pages: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UploadData {
    upload_file: Uploaded,
}

/// Reads and uploads of one connection.
pub struct ClearfactsHttp {
    reads: ApiClient,
    uploads: ApiClient,
    url: String,
}

impl std::fmt::Debug for ClearfactsHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClearfactsHttp")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl ClearfactsHttp {
    /// Clients for the GraphQL endpoint `url` with `tokens`.
    pub fn new(
        url: String,
        tokens: TokenSource,
        clock: Arc<dyn Clock>,
        deadline: Deadline,
    ) -> Self {
        let build = || {
            ApiClient::builder(SYSTEM, "", clock.clone())
                .tokens(tokens.clone())
                .deadline(deadline)
        };
        Self {
            reads: build().build(),
            uploads: build().sends_once().build(),
            url,
        }
    }

    /// Requests sent so far.
    pub fn calls(&self) -> u64 {
        self.reads.calls() + self.uploads.calls()
    }

    /// A query with its variables; the envelope as Clearfacts answered it (partial data
    /// and per-field errors are the caller's to read).
    pub async fn query<T: DeserializeOwned>(
        &self,
        operation: &str,
        query: &str,
        variables: serde_json::Value,
    ) -> Result<Response<T>, ExternalError> {
        let body = Request { query, variables };
        self.reads
            .send(operation, |http| http.post(&self.url).json(&body))
            .await?
            .json()
    }

    /// Upload `file` to the sales inbox of `company` (its 10-digit company number), once:
    /// plain multipart with the fields `query`, `variables` and `file`.
    pub async fn upload(
        &self,
        company: &str,
        file: &DocumentFile,
    ) -> Result<Uploaded, ExternalError> {
        let variables = serde_json::json!({
            "vatNumber": company,
            "fileName": file.file_name,
            "invoiceType": "SALE",
        })
        .to_string();
        let mime = match file.format {
            FileFormat::Pdf => "application/pdf",
            FileFormat::UblEfff | FileFormat::UblPeppolBis3 => "application/xml",
        };
        let answer = self
            .uploads
            .send("uploadFile", |http| {
                let part = reqwest::multipart::Part::bytes(file.bytes.clone())
                    .file_name(file.file_name.clone())
                    .mime_str(mime)
                    .unwrap_or_else(|_| reqwest::multipart::Part::bytes(file.bytes.clone()));
                let form = reqwest::multipart::Form::new()
                    .text("query", UPLOAD)
                    .text("variables", variables.clone())
                    .part("file", part);
                http.post(&self.url).multipart(form)
            })
            .await?;
        let envelope: Response<UploadData> = answer.json().map_err(|e| match e {
            // The upload went through but its answer cannot be read: it may be stored.
            ExternalError::Malformed { detail, .. } => ExternalError::OutcomeUnknown {
                system: SYSTEM,
                detail,
            },
            other => other,
        })?;
        Ok(envelope.into_data("uploadFile")?.upload_file)
    }
}
