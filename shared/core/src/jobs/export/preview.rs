//! "What tonight's run would do", which the connection page shows before anything happens:
//! for every document the next export would take, the entry Koppel would post (journal,
//! customer, lines with their accounts and VAT codes) or the reason it would be refused —
//! computed with the export's own mapping and the ledger's current lists. Read-only: nothing
//! is claimed, posted, created or recorded; customers are only looked up.

use super::ExportStores;
use super::cursor::read_since;
use super::mapping::{CategoryAccounts, MappingContext, build_entry, journal_for};
use crate::{
    Connection, CustomerLink, CustomerRef, DocumentKind, DocumentQuery, DocumentSummary,
    ExportState, ExternalError, Finding, Ledger, LedgerCustomerId, LedgerEntry, Severity, Source,
    StoreError,
};
use std::collections::HashMap;
use thiserror::Error;

/// Who a previewed entry would be booked on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreviewCustomer {
    /// A customer Koppel linked before.
    Linked(LedgerCustomerId),
    /// A ledger customer found by number or VAT number, which the run would link.
    Found {
        /// Its ledger id.
        id: LedgerCustomerId,
        /// Its number as people read it.
        number: Option<String>,
    },
    /// No ledger customer yet: the run would create this one.
    New(String),
    /// The ledger keeps no customers: the customer travels in the document.
    InDocument,
}

/// What the run would do with one document.
#[derive(Debug, Clone, PartialEq)]
pub enum PreviewOutcome {
    /// Post this entry.
    Entry {
        /// The entry, as the export would post it.
        entry: Box<LedgerEntry>,
        /// Its customer.
        customer: PreviewCustomer,
    },
    /// Refuse it, for this reason (what the report would say).
    Refused(String),
}

/// One document of the preview.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewItem {
    /// The document as listed.
    pub summary: DocumentSummary,
    /// What would happen.
    pub outcome: PreviewOutcome,
}

/// The preview of the next export run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Preview {
    /// Pre-flight blockers: the run would not start (every document would wait).
    pub blockers: Vec<Finding>,
    /// Pre-flight warnings.
    pub warnings: Vec<Finding>,
    /// The documents, invoices first.
    pub items: Vec<PreviewItem>,
    /// More documents wait than the preview shows.
    pub truncated: bool,
}

/// The preview could not be computed.
#[derive(Debug, Error)]
pub enum PreviewError {
    /// Teamleader or the ledger failed.
    #[error(transparent)]
    External(#[from] ExternalError),
    /// Koppel's state failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Compute the preview of the next export run of `connection`, at most `limit` documents.
pub async fn preview_export(
    stores: ExportStores<'_>,
    source: &dyn Source,
    ledger: &dyn Ledger,
    connection: &Connection,
    limit: usize,
) -> Result<Preview, PreviewError> {
    let mut preview = Preview::default();
    let reference = ledger.reference_data().await?;
    for finding in ledger.preflight(&connection.settings, &reference) {
        match finding.severity {
            Severity::Blocker => preview.blockers.push(finding),
            Severity::Warning => preview.warnings.push(finding),
        }
    }
    if !preview.blockers.is_empty() {
        return Ok(preview);
    }
    let category_accounts = category_accounts_of(source, &connection.department_id).await?;
    let ctx = MappingContext {
        ledger: ledger.kind().display_name(),
        settings: &connection.settings,
        reference: &reference,
        category_accounts: &category_accounts,
        general_ledger: ledger.capabilities().general_ledger,
        limits: ledger.limits(),
    };
    let summaries = waiting(stores, source, connection, limit + 1).await?;
    preview.truncated = summaries.len() > limit;
    let summaries: Vec<DocumentSummary> = summaries.into_iter().take(limit).collect();
    let customers = preview_customers(stores, source, ledger, connection, &summaries).await?;
    for summary in summaries {
        let outcome = outcome(source, &ctx, &customers, &summary).await?;
        preview.items.push(PreviewItem { summary, outcome });
    }
    Ok(preview)
}

/// The booked documents the next run would take (listed as the run lists them), without
/// those already exported.
async fn waiting(
    stores: ExportStores<'_>,
    source: &dyn Source,
    connection: &Connection,
    wanted: usize,
) -> Result<Vec<DocumentSummary>, PreviewError> {
    const PAGE: u32 = 100;
    let since = read_since(stores.cursors, &connection.id).await?;
    let start_date = connection.settings.start_date;
    let mut found = Vec::new();
    for kind in [DocumentKind::Invoice, DocumentKind::CreditNote] {
        let mut page = 1;
        loop {
            let query = DocumentQuery {
                ids: Vec::new(),
                kind,
                department_id: Some(connection.department_id.clone()),
                updated_since: since,
                date_from: start_date,
                page,
                page_size: PAGE,
            };
            let listed = source.booked_documents(&query).await?;
            let full = listed.len() as u32 >= PAGE;
            for summary in listed {
                if !summary.status.is_booked()
                    || summary.number.is_none()
                    || start_date.is_some_and(|d| summary.date < d)
                {
                    continue;
                }
                let record = stores
                    .documents
                    .document(&connection.id, &summary.id)
                    .await?;
                if record.is_some_and(|r| matches!(r.state, ExportState::Exported { .. })) {
                    continue;
                }
                found.push(summary);
                if found.len() >= wanted {
                    return Ok(found);
                }
            }
            if !full {
                break;
            }
            page += 1;
        }
    }
    Ok(found)
}

/// Who each document's customer is in the ledger: linked before, found there, or new.
async fn preview_customers(
    stores: ExportStores<'_>,
    source: &dyn Source,
    ledger: &dyn Ledger,
    connection: &Connection,
    summaries: &[DocumentSummary],
) -> Result<HashMap<CustomerRef, Result<PreviewCustomer, String>>, PreviewError> {
    let mut known = HashMap::new();
    let mut missing: Vec<CustomerRef> = Vec::new();
    for summary in summaries {
        let r = &summary.customer;
        if known.contains_key(r) || missing.contains(r) {
            continue;
        }
        match stores.mappings.customer_mapping(&connection.id, r).await? {
            Some(id) => {
                known.insert(r.clone(), Ok(PreviewCustomer::Linked(id)));
            }
            None => missing.push(r.clone()),
        }
    }
    if missing.is_empty() {
        return Ok(known);
    }
    let Some(book) = ledger.customers() else {
        for r in missing {
            known.insert(r, Ok(PreviewCustomer::InDocument));
        }
        return Ok(known);
    };
    let customers = source.customers(&missing).await?;
    let found = book.find_customers(&customers).await?;
    for (customer, existing) in customers.iter().zip(found) {
        let outcome = match existing {
            Some(key) => PreviewCustomer::Found {
                id: key.id,
                number: key.number,
            },
            None => PreviewCustomer::New(customer.name.clone()),
        };
        known.insert(customer.reference.clone(), Ok(outcome));
    }
    for r in missing {
        known.entry(r.clone()).or_insert_with(|| {
            Err(format!(
                "The customer ({r}) of this document no longer exists in Teamleader: restore it or correct the document."
            ))
        });
    }
    Ok(known)
}

async fn outcome(
    source: &dyn Source,
    ctx: &MappingContext<'_>,
    customers: &HashMap<CustomerRef, Result<PreviewCustomer, String>>,
    summary: &DocumentSummary,
) -> Result<PreviewOutcome, PreviewError> {
    let customer = match customers.get(&summary.customer) {
        Some(Ok(customer)) => customer.clone(),
        Some(Err(reason)) => return Ok(PreviewOutcome::Refused(reason.clone())),
        None => return Ok(PreviewOutcome::Refused("The customer is unknown.".into())),
    };
    if let Err(reason) = journal_for(summary.kind, ctx) {
        return Ok(PreviewOutcome::Refused(reason));
    }
    let document = match source.document(summary.kind, &summary.id).await {
        Ok(d) => d,
        Err(e @ (ExternalError::NotFound { .. } | ExternalError::Rejected { .. })) => {
            return Ok(PreviewOutcome::Refused(format!(
                "Teamleader could not give this {}: {e}",
                summary.kind
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let link = match &customer {
        PreviewCustomer::Linked(id) | PreviewCustomer::Found { id, .. } => {
            CustomerLink::Ledger { id: id.clone() }
        }
        PreviewCustomer::New(_) => CustomerLink::Ledger {
            id: LedgerCustomerId::new(""),
        },
        PreviewCustomer::InDocument => CustomerLink::InDocument {
            customer: summary.customer.clone(),
        },
    };
    Ok(match build_entry(&document, &link, ctx) {
        Ok(entry) => PreviewOutcome::Entry {
            entry: Box::new(entry),
            customer,
        },
        Err(problems) => PreviewOutcome::Refused(problems.join(" ")),
    })
}

/// Product category → ledger account, for the department (what the export maps lines with).
pub(crate) async fn category_accounts_of(
    source: &dyn Source,
    department: &crate::DepartmentId,
) -> Result<CategoryAccounts, ExternalError> {
    Ok(source
        .product_categories()
        .await?
        .into_iter()
        .filter_map(|c| {
            let account = c
                .ledger_accounts
                .iter()
                .find(|(d, _)| d == department)?
                .1
                .clone();
            Some((c.id, account))
        })
        .collect())
}
