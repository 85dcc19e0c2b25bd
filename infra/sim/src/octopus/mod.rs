//! Octopus simulator: a stateful, faithful stand-in for the Octopus (Inaras) REST webservice,
//! built from the public notes in `shared/reference/octopus.md`.
//!
//! What it serves, under `{base_url}/octopus-rest-api/v1` ([`SimHandle::api_url`]):
//! - auth ([`auth`]): `POST /authentication` (header `softwareHouseUuid`, body user/password →
//!   `{"token"}`), `GET /dossiers` (header `Token`), `POST /dossiers?dossierId=N` (header
//!   `Token` → `{"Dossiertoken"}`); both tokens live [`TOKEN_SECONDS`] (600 s) on the sim clock.
//!   Every call under `/dossiers/{id}/…` needs header `dossierToken` for that dossier: absent
//!   (or sent as `Token`) → 401 −79 "Empty access token"; unknown, expired or another
//!   dossier's → 401 −81 "Invalid or expired token";
//! - reference data: `GET /bookyears` (with monthly `periods` YYYYMM),
//!   `GET /bookyears/{id}/journals` (synchronised journals only), `GET /accounts?bookyearId=`,
//!   `GET /vatcodes`;
//! - relations: `GET /relations` (filters `relationId`, `extRelationId`, `name`, `vatNr`; 404
//!   −30 when none), `PUT /relations` (upsert: 201 `{"relationKey"}` created / 204 updated);
//! - bookings: `POST /buysellbookings` validated in Octopus' order (201, empty body, no id),
//!   `GET /buysellbookings?bookyearId=&journalKey=&documentSeqNr=`,
//!   `GET /buysellbookings/modified` (404 −60 "No modified bookings found" when empty);
//! - `POST /reports/clients/open`: the open client items of the sales journals;
//! - every error as `{"errorCode","errorMessage","technicalInfo"}` (`application/json`);
//! - a daily call budget per (dossier, endpoint group) on the Brussels day, 429 −90 with
//!   `Retry-After` (seconds to the next Brussels midnight);
//! - faults: outages (JSON or HTML 5xx), lost answers after commit (bookings, relation
//!   creations), expired tokens, changed passwords;
//! - admin under `/_sim/octopus/…` ([`admin`]) and in-process through [`SimHandle`] /
//!   [`SimControl`].
//!
//! Choices where the reference says UNCONFIRMED:
//! - error codes other than −79 are ours (−1 bad credentials, −3 no access, −10 validation,
//!   −20 journal not found, −30 no relations, −40 journal in use, −50 duplicate document
//!   number, −60 no modified bookings, −61 booking not found, −81 invalid token, −90 budget);
//!   the texts "Bad credentials", "Book year period is closed", "Journal V1 has the wrong
//!   type…" and "No modified bookings found" come from the reference;
//! - a duplicate `(bookyear, journal, documentSequenceNr)` is refused (400 −50); a locked
//!   journal is a 403 −40, other business rules are 400;
//! - `PUT /relations` answers 201 with `{"relationKey":{"id"}}` on create and 204 on update;
//!   an upsert with a `relationKey.id` that does not exist creates a relation with a new id;
//! - `GET /buysellbookings` takes `bookyearId`, `journalKey`, `documentSeqNr` (the GO client's
//!   names);
//! - `/modified` takes `yyyy-MM-dd HH:mm:ss[.SSS]` in UTC and returns items strictly newer;
//!   `bookyearId` is required (−1 = all);
//! - the open-items report's item shape (`relationKey`, `bookyearKey`, `journalKey`,
//!   `documentSequenceNr`, dates, signed `amount` and `openAmount`, `reference`);
//! - budgets: only `/buysellbookings/modified` is limited by default, to 48 calls per dossier
//!   per Brussels day (a client comment; the real scope is unknown); the
//!   `/authentication` and `GET /dossiers` budgets count against dossier 0;
//! - attachments' `fileData` must be base64;
//! - `modifiedTimeStamp` has millisecond precision: bookings stored in the same millisecond
//!   share a stamp (as in Octopus, a reader should ask from a little before its last stamp).
//!
//! Not simulated: OAuth, `PUT /buysellbookings`, the Invoice module (`/invoices…`),
//! financial/diverse bookings, `/relations/modified`, `/accounts/modified`, the
//! client-history report and the open-items report's `periodeFrom`/`periodeTo` filters
//! (ignored), the booking-file API, session cookies, currencies other than EUR
//! (`exchangeRate` is stored, not used), quarterly periods (seed them yourself), CODA import
//! and automatic matching (use [`SimControl::match_booking`]).

pub mod admin;
pub mod auth;
pub mod bookings;
pub mod budget;
mod control;
pub mod error;
mod faults;
pub mod model;
mod options;
pub mod reference;
pub mod relations;
pub mod reports;
pub mod seed;
mod state;
mod wire;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};

use crate::common::{ServerHandle, SimClock, serve};

pub use budget::{Budgets, DEFAULT_MODIFIED_CALLS_PER_DAY, Group};
pub use control::{BookingSummary, SimControl, SimError};
pub use error::ErrorBody;
pub use faults::{FailNext, Faults};
pub use model::*;
pub use options::{DEFAULT_SOFTWARE_HOUSE_UUID, SimOptions, TOKEN_SECONDS};
pub use seed::{
    DEMO_CURRENT_BOOKYEAR, DEMO_DOSSIER_ID, DEMO_NEXT_BOOKYEAR, DEMO_PASSWORD,
    DEMO_PREVIOUS_BOOKYEAR, DEMO_RELATION_ANKER, DEMO_RELATION_KORENAAR, DEMO_USER,
};
pub use state::SimStats;

/// The path prefix of the REST API.
pub const API_PREFIX: &str = "/octopus-rest-api/v1";

/// The largest request body accepted (attachments travel base64 inside JSON).
pub const MAX_BODY_BYTES: usize = 20 * 1024 * 1024;

/// A running Octopus simulator. Dropping it stops the server; it derefs to [`SimControl`]
/// for seeding, faults and inspection.
#[derive(Debug)]
pub struct SimHandle {
    /// `http://127.0.0.1:<port>` (no trailing slash).
    pub base_url: String,
    control: SimControl,
    server: ServerHandle,
}

impl SimHandle {
    /// A cloneable control to hand to other tasks.
    pub fn control(&self) -> SimControl {
        self.control.clone()
    }

    /// `{base_url}/octopus-rest-api/v1`, the prefix of every API call.
    pub fn api_url(&self) -> String {
        format!("{}{API_PREFIX}", self.base_url)
    }

    /// `{base_url}/_sim/octopus`, the prefix of the admin API.
    pub fn admin_url(&self) -> String {
        format!("{}/_sim/octopus", self.base_url)
    }

    /// Stop serving and wait for the server task to end.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

impl std::ops::Deref for SimHandle {
    type Target = SimControl;
    fn deref(&self) -> &SimControl {
        &self.control
    }
}

/// Start an Octopus simulator on 127.0.0.1 (`options.port`, 0 = any free port).
pub async fn spawn(options: SimOptions) -> std::io::Result<SimHandle> {
    let clock = Arc::new(SimClock::new(Arc::clone(&options.clock)));
    let mut state = state::SimState {
        software_houses: options.software_houses.into_iter().collect(),
        budgets: options.budgets,
        ..Default::default()
    };
    for dossier in options.dossiers {
        state.add_dossier(dossier);
    }
    let mut shared_slot: Option<Arc<state::Shared>> = None;
    let server = serve(options.port, |base_url| {
        let shared = Arc::new(state::Shared::new(clock, base_url.to_owned(), state));
        shared_slot = Some(Arc::clone(&shared));
        router(shared)
    })
    .await?;
    let shared = shared_slot
        .ok_or_else(|| std::io::Error::other("the Octopus simulator's router was not built"))?;
    tracing::info!(base_url = %server.base_url, "octopus simulator listening");
    Ok(SimHandle {
        base_url: server.base_url.clone(),
        control: SimControl { shared },
        server,
    })
}

async fn no_endpoint() -> axum::response::Response {
    error::ApiError::new(
        StatusCode::NOT_FOUND,
        error::NO_ENDPOINT,
        "No such endpoint",
    )
    .into_response()
}

fn router(shared: Arc<state::Shared>) -> Router {
    let dossier = "/dossiers/{dossier_id}";
    let api = Router::new()
        .route("/authentication", post(auth::authenticate))
        .route(
            "/dossiers",
            get(auth::list_dossiers).post(auth::open_dossier),
        )
        .route(&format!("{dossier}/bookyears"), get(reference::bookyears))
        .route(
            &format!("{dossier}/bookyears/{{bookyear_id}}/journals"),
            get(reference::journals),
        )
        .route(&format!("{dossier}/accounts"), get(reference::accounts))
        .route(&format!("{dossier}/vatcodes"), get(reference::vat_codes))
        .route(
            &format!("{dossier}/relations"),
            get(relations::list).put(relations::put),
        )
        .route(
            &format!("{dossier}/buysellbookings"),
            get(bookings::get_one).post(bookings::post),
        )
        .route(
            &format!("{dossier}/buysellbookings/modified"),
            get(bookings::modified),
        )
        .route(
            &format!("{dossier}/reports/clients/open"),
            post(reports::clients_open),
        )
        .fallback(no_endpoint);
    Router::new()
        .nest(API_PREFIX, api)
        .nest("/_sim/octopus", admin::router())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(shared)
}
