//! [`ClearfactsLedger`]: one Clearfacts company's sales inbox.
//!
//! Call budget, per run: 1 `administration` read per invocation (checks the token and the
//! company; Clearfacts has no general ledger, so there are no lists to pull); 1 upload per
//! document; per payment poll 1 request per 50 uploaded documents (aliased `document`
//! fields in one query — Clearfacts has no list query). No look-up is possible: Clearfacts
//! answers each upload with a fresh id and offers no search, so [`Ledger::find_entry`]
//! answers "unsupported" and the capabilities say so; the export keeps a note before each
//! upload and reports a send whose answer was lost as "may have been sent twice".

use super::graphql::{self, ADMINISTRATION, STATES_PER_REQUEST};
use super::http::ClearfactsHttp;
use super::refusals::SYSTEM;
use async_trait::async_trait;
use chrono::NaiveDate;
use koppel_core::{
    AttachmentSupport, ConnectionSettings, DocumentFile, EntryKey, ExternalError, Finding, Ledger,
    LedgerCapabilities, LedgerCustomers, LedgerEntry, LedgerEntryId, LedgerKind, LedgerLimits,
    LedgerPaymentState, LedgerPayments, LedgerReferenceData, PostedEntry,
};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::HashMap;

/// The sales inbox of one Clearfacts company.
#[derive(Debug)]
pub struct ClearfactsLedger {
    http: ClearfactsHttp,
    company: String,
}

/// A document's state as Clearfacts gives it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DocumentState {
    #[serde(default)]
    payment_state: Option<String>,
}

impl ClearfactsLedger {
    /// The inbox of `company` (10-digit company number) reached through `http`.
    pub fn new(http: ClearfactsHttp, company: String) -> Self {
        Self { http, company }
    }

    /// Requests sent so far (for the bench and tests).
    pub fn calls(&self) -> u64 {
        self.http.calls()
    }
}

#[async_trait]
impl Ledger for ClearfactsLedger {
    fn kind(&self) -> LedgerKind {
        LedgerKind::Clearfacts
    }

    fn capabilities(&self) -> LedgerCapabilities {
        LedgerCapabilities {
            general_ledger: false,
            attachment: AttachmentSupport::StructuredElsePdf,
            finds_entries: false,
        }
    }

    fn limits(&self) -> LedgerLimits {
        LedgerLimits::default()
    }

    /// No lists to pull; the read checks that the token still reaches the company (a
    /// refusal stops the run before any upload).
    async fn reference_data(&self) -> Result<LedgerReferenceData, ExternalError> {
        let answer: graphql::Response<serde_json::Value> = self
            .http
            .query(
                "administration",
                ADMINISTRATION,
                serde_json::json!({ "companyNumber": self.company }),
            )
            .await?;
        let data = answer.into_data("administration")?;
        if data.get("administration").is_none_or(|a| a.is_null()) {
            return Err(graphql::refused(&format!(
                "Administration not found: company {} is not reachable with this Clearfacts user",
                self.company
            )));
        }
        Ok(LedgerReferenceData::default())
    }

    fn preflight(
        &self,
        _settings: &ConnectionSettings,
        _reference: &LedgerReferenceData,
    ) -> Vec<Finding> {
        Vec::new()
    }

    async fn find_entry(&self, _key: &EntryKey) -> Result<Option<PostedEntry>, ExternalError> {
        Err(ExternalError::Unsupported {
            system: SYSTEM,
            what: "looking a document up (Clearfacts offers no search)",
        })
    }

    async fn post_entry(
        &self,
        _entry: &LedgerEntry,
        file: Option<&DocumentFile>,
    ) -> Result<PostedEntry, ExternalError> {
        let Some(file) = file else {
            return Err(ExternalError::Rejected {
                system: SYSTEM,
                status: 0,
                message: "Clearfacts takes the document file itself, and none came with it."
                    .to_owned(),
            });
        };
        let uploaded = self.http.upload(&self.company, file).await?;
        Ok(PostedEntry {
            id: LedgerEntryId::new(uploaded.uuid),
            entry_number: None,
        })
    }

    fn customers(&self) -> Option<&dyn LedgerCustomers> {
        None
    }

    fn payments(&self) -> Option<&dyn LedgerPayments> {
        Some(self)
    }
}

#[async_trait]
impl LedgerPayments for ClearfactsLedger {
    /// `PAID` is fully paid (on the day of the poll: Clearfacts gives no payment date);
    /// `PARTIALLY_PAID` says nothing of the amount; an id Clearfacts no longer knows (the
    /// document was deleted in the portal) is left out.
    async fn payment_states(
        &self,
        entries: &[LedgerEntryId],
        _since: Option<NaiveDate>,
    ) -> Result<Vec<LedgerPaymentState>, ExternalError> {
        let mut states = Vec::with_capacity(entries.len());
        for chunk in entries.chunks(STATES_PER_REQUEST) {
            let query = graphql::payment_states_query(chunk.len());
            let variables: serde_json::Map<String, serde_json::Value> = chunk
                .iter()
                .enumerate()
                .map(|(i, id)| (format!("d{i}"), serde_json::json!(id.as_str())))
                .collect();
            let answer: graphql::Response<HashMap<String, Option<DocumentState>>> = self
                .http
                .query("document", &query, serde_json::Value::Object(variables))
                .await?;
            if answer.data.is_none()
                && let Some(error) = answer.errors.iter().find(|e| e.alias().is_none())
            {
                return Err(graphql::refused(&error.message));
            }
            let data = answer.data.unwrap_or_default();
            for (i, entry) in chunk.iter().enumerate() {
                let Some(Some(state)) = data.get(&format!("d{i}")) else {
                    continue;
                };
                let (fully_paid, partly) = match state.payment_state.as_deref() {
                    Some("PAID") => (true, false),
                    Some("PARTIALLY_PAID") => (false, true),
                    _ => (false, false),
                };
                states.push(LedgerPaymentState {
                    entry: entry.clone(),
                    open_amount: Decimal::ZERO,
                    fully_paid,
                    paid_at: None,
                    partly_paid_amount_unknown: partly,
                    amount_unknown: true,
                });
            }
        }
        Ok(states)
    }
}
