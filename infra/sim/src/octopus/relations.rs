//! Relations: `GET /relations` with filters, `PUT /relations` as an upsert.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::budget::Group;
use super::error::{self, ApiError};
use super::model::{Key, Relation, format_timestamp};
use super::state::{Call, Shared};
use super::wire::{self, Params};

const LIST: Call = Call::new(Group::Relations, "GET /dossiers/{dossierId}/relations");
const PUT: Call = Call::new(Group::Relations, "PUT /dossiers/{dossierId}/relations");

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    relation_key: Key,
}

/// A VAT number compared ignoring spaces, dots and case.
pub(crate) fn normalize_vat(vat: &str) -> String {
    vat.chars()
        .filter(|c| !c.is_whitespace() && *c != '.')
        .flat_map(char::to_uppercase)
        .collect()
}

/// `GET /dossiers/{dossierId}/relations[?relationId=&extRelationId=&name=&vatNr=]`.
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    Path(dossier): Path<String>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    let result = (|| {
        let (state, id) = shared.enter_dossier(LIST, &dossier, &headers)?;
        let relation_id = wire::opt_int_param(&params, "relationId")?;
        let external_id = wire::opt_int_param(&params, "extRelationId")?;
        let name = wire::text_param(&params, "name").map(str::to_lowercase);
        let vat = wire::text_param(&params, "vatNr").map(normalize_vat);
        let found: Vec<&Relation> = state
            .dossiers
            .get(&id)
            .map(|d| d.relations.iter().collect())
            .unwrap_or_default();
        let found: Vec<&Relation> = found
            .into_iter()
            .filter(|r| relation_id.is_none_or(|want| r.id() == want))
            .filter(|r| external_id.is_none_or(|want| r.external_id() == want))
            .filter(|r| {
                name.as_deref()
                    .is_none_or(|want| r.name.trim().to_lowercase() == want)
            })
            .filter(|r| {
                vat.as_deref().is_none_or(|want| {
                    r.vat_nr.as_deref().map(normalize_vat).as_deref() == Some(want)
                })
            })
            .collect();
        if found.is_empty() {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                error::NO_RELATIONS,
                "No relations found",
            ));
        }
        Ok(wire::ok(&found))
    })();
    shared.respond(result)
}

/// `PUT /dossiers/{dossierId}/relations`: update (204) by `relationKey.id` when non-zero,
/// else by `externalRelationId` when non-zero; otherwise create (201 with the new key).
pub(crate) async fn put(
    State(shared): State<Arc<Shared>>,
    Path(dossier): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let result = (|| {
        let (mut state, id) = shared.enter_dossier(PUT, &dossier, &headers)?;
        let mut relation: Relation = wire::body(&bytes)?;
        if relation.name.trim().is_empty() {
            return Err(ApiError::invalid("The name of a relation is required"));
        }
        let now = shared.now();
        relation.modified_time_stamp = Some(format_timestamp(now));
        let state = &mut *state;
        let dossier = state
            .dossiers
            .get_mut(&id)
            .ok_or_else(ApiError::invalid_token)?;
        let ids = relation.relation_identification_service_data.clone();
        let existing = if ids.relation_key.id != 0 {
            dossier
                .relations
                .iter()
                .position(|r| r.id() == ids.relation_key.id)
        } else if ids.external_relation_id != 0 {
            dossier
                .relations
                .iter()
                .position(|r| r.external_id() == ids.external_relation_id)
        } else {
            None
        };
        if let Some(position) = existing {
            let old = &mut dossier.relations[position];
            relation.relation_identification_service_data.relation_key = Key { id: old.id() };
            if ids.external_relation_id == 0 {
                relation
                    .relation_identification_service_data
                    .external_relation_id = old.external_id();
            }
            *old = relation;
            state.stats.relations_updated += 1;
            return Ok(StatusCode::NO_CONTENT.into_response());
        }
        let new_id = dossier.next_relation_id();
        relation.relation_identification_service_data.relation_key = Key { id: new_id };
        dossier.relations.push(relation);
        state.stats.relations_created += 1;
        if state.faults.take_lost_relation() {
            tracing::info!(
                relation = new_id,
                "octopus sim: relation created, answer lost"
            );
            return Err(ApiError::LostAnswer);
        }
        Ok((
            StatusCode::CREATED,
            axum::Json(Created {
                relation_key: Key { id: new_id },
            }),
        )
            .into_response())
    })();
    shared.respond(result)
}
