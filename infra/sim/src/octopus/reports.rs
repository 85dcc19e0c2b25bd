//! `POST /reports/clients/open`: the open client items (invoices and credit notes) of the
//! sales journals in a bookyear range.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::budget::Group;
use super::error::ApiError;
use super::model::{Key, SALES_BOOKINGS};
use super::reference::no_bookyear;
use super::state::{Call, Shared};
use super::wire;

const OPEN: Call = Call::new(
    Group::Reports,
    "POST /dossiers/{dossierId}/reports/clients/open",
);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OpenRequest {
    from_bookyear_key: Key,
    to_bookyear_key: Key,
    #[serde(default)]
    journal_key: Option<String>,
}

/// One open item.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OpenItem {
    relation_key: Key,
    bookyear_key: Key,
    journal_key: String,
    document_sequence_nr: i64,
    document_date: NaiveDate,
    expiry_date: Option<NaiveDate>,
    #[serde(with = "rust_decimal::serde::float")]
    amount: Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    open_amount: Decimal,
    reference: String,
}

/// `POST /dossiers/{dossierId}/reports/clients/open`.
pub(crate) async fn clients_open(
    State(shared): State<Arc<Shared>>,
    Path(dossier): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let result = (|| {
        let (state, id) = shared.enter_dossier(OPEN, &dossier, &headers)?;
        let request: OpenRequest = wire::body(&bytes)?;
        let dossier = state
            .dossiers
            .get(&id)
            .ok_or_else(ApiError::invalid_token)?;
        let from = dossier
            .bookyear(request.from_bookyear_key.id)
            .ok_or_else(|| no_bookyear(request.from_bookyear_key.id))?;
        let to = dossier
            .bookyear(request.to_bookyear_key.id)
            .ok_or_else(|| no_bookyear(request.to_bookyear_key.id))?;
        let in_range: Vec<_> = dossier
            .bookyears
            .iter()
            .filter(|b| b.start_date >= from.start_date && b.start_date <= to.start_date)
            .collect();
        let items: Vec<OpenItem> = dossier
            .bookings
            .iter()
            .filter(|b| !b.open_amount.is_zero())
            .filter(|b| {
                request
                    .journal_key
                    .as_deref()
                    .is_none_or(|j| b.data.journal_key == j)
            })
            .filter_map(|b| {
                let bookyear = in_range.iter().find(|y| y.id == b.data.bookyear_key.id)?;
                let journal = bookyear.journal(&b.data.journal_key)?;
                (journal.insertion_type == SALES_BOOKINGS).then(|| {
                    let relation = &b.data.relation_identification_service_data;
                    let relation_id = if relation.relation_key.id != 0 {
                        relation.relation_key.id
                    } else {
                        dossier
                            .relations
                            .iter()
                            .find(|r| r.external_id() == relation.external_relation_id)
                            .map_or(0, |r| r.id())
                    };
                    OpenItem {
                        relation_key: Key { id: relation_id },
                        bookyear_key: b.data.bookyear_key,
                        journal_key: b.data.journal_key.clone(),
                        document_sequence_nr: b.data.document_sequence_nr,
                        document_date: b.data.document_date,
                        expiry_date: b.data.expiry_date,
                        amount: b.data.amount,
                        open_amount: b.signed_open_amount(),
                        reference: b.data.reference.clone(),
                    }
                })
            })
            .collect();
        Ok(wire::ok(&items))
    })();
    shared.respond(result)
}
