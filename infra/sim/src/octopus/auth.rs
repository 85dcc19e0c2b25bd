//! The two-step login: `POST /authentication` (header `softwareHouseUuid`, user and
//! password) gives a user token; `POST /dossiers?dossierId=` (header `Token`) gives a dossier
//! token. Both live [`super::TOKEN_SECONDS`] on the sim clock. `GET /dossiers` lists the
//! user's dossiers.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::budget::Group;
use super::error::{self, ApiError};
use super::model::Key;
use super::state::{Call, Shared, SimState, header_text};
use super::wire::{self, Params};

#[derive(Deserialize)]
struct Login {
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
}

#[derive(Serialize)]
struct TokenAnswer {
    token: String,
}

#[derive(Serialize)]
struct DossierTokenAnswer {
    #[serde(rename = "Dossiertoken")]
    dossier_token: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DossierItem {
    dossier_key: Key,
    dossier_description: String,
    vat_nr: Option<String>,
}

const AUTHENTICATE: Call = Call::new(Group::Authentication, "POST /authentication");
const LIST_DOSSIERS: Call = Call::new(Group::Dossiers, "GET /dossiers");
const OPEN_DOSSIER: Call = Call::new(Group::Dossiers, "POST /dossiers");

/// `POST /authentication`.
pub(crate) async fn authenticate(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let result = (|| {
        let mut state = shared.enter(AUTHENTICATE, "/authentication")?;
        let known = header_text(&headers, "softwarehouseuuid")
            .is_some_and(|uuid| state.software_houses.contains(uuid));
        if !known {
            return Err(ApiError::empty_token());
        }
        let now = shared.now();
        state.spend(0, Group::Authentication, now)?;
        let login: Login = wire::body(&bytes)?;
        let valid = state
            .users
            .get(&login.user)
            .is_some_and(|u| u.password == login.password);
        if !valid {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                error::BAD_CREDENTIALS,
                "Bad credentials",
            ));
        }
        let token = state.issue(&login.user, None, now);
        Ok(wire::ok(&TokenAnswer { token }))
    })();
    shared.respond(result)
}

/// The user behind the `Token` header.
fn user_of(
    state: &SimState,
    headers: &HeaderMap,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, ApiError> {
    let token = header_text(headers, "token").ok_or_else(ApiError::empty_token)?;
    state
        .user_tokens
        .get(token)
        .filter(|t| t.expires > now)
        .map(|t| t.user.clone())
        .ok_or_else(ApiError::invalid_token)
}

/// `GET /dossiers`.
pub(crate) async fn list_dossiers(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
) -> Response {
    let result = (|| {
        let mut state = shared.enter(LIST_DOSSIERS, "/dossiers")?;
        let now = shared.now();
        let user = user_of(&state, &headers, now)?;
        state.spend(0, Group::Dossiers, now)?;
        let allowed = state
            .users
            .get(&user)
            .map(|u| u.dossiers.clone())
            .unwrap_or_default();
        let items: Vec<DossierItem> = state
            .dossiers
            .values()
            .filter(|d| allowed.contains(&d.id))
            .map(|d| DossierItem {
                dossier_key: Key { id: d.id },
                dossier_description: d.description.clone(),
                vat_nr: d.vat_nr.clone(),
            })
            .collect();
        Ok(wire::ok(&items))
    })();
    shared.respond(result)
}

/// `POST /dossiers?dossierId=N[&localeId=L]`.
pub(crate) async fn open_dossier(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    let result = (|| {
        let mut state = shared.enter(OPEN_DOSSIER, "/dossiers")?;
        let now = shared.now();
        let user = user_of(&state, &headers, now)?;
        let id = wire::int_param(&params, "dossierId")?;
        state.spend(id, Group::Dossiers, now)?;
        let allowed = state
            .users
            .get(&user)
            .is_some_and(|u| u.dossiers.contains(&id))
            && state.dossiers.contains_key(&id);
        if !allowed {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                error::NO_ACCESS,
                format!("No access to dossier {id}"),
            ));
        }
        let dossier_token = state.issue(&user, Some(id), now);
        Ok(wire::ok(&DossierTokenAnswer { dossier_token }))
    })();
    shared.respond(result)
}
