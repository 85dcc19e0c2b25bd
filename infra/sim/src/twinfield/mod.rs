//! Twinfield simulator: a stateful, faithful stand-in for Twinfield's OpenID Connect login and
//! its SOAP web services, built from the public notes in `shared/reference/twinfield.md`.
//!
//! Everything is served by one server, `base_url` = `http://127.0.0.1:<port>`:
//! - OIDC on the login host = `base_url` ([`oidc`]): `GET /auth/authentication/connect/authorize`
//!   (auto-approved for [`DEFAULT_USER`]; `nonce` required; unknown client → 400 plain text;
//!   codes single-use, 5 minutes), `POST …/connect/token` (`authorization_code`,
//!   `refresh_token`; client as HTTP Basic or form; access tokens 3600 s on the sim clock;
//!   refresh tokens single-use and only with scope `offline_access`; `{"error":"invalid_grant"}`
//!   400, `{"error":"invalid_client"}` 401), `GET …/connect/accesstokenvalidation?token=`
//!   (`exp`, `nbf`, `sub`, `twf.organisationId`, `twf.clusterUrl`; 400
//!   `{"Message":"The token is invalid."}`), `GET …/connect/userinfo`;
//! - SOAP 1.1 only under the organisation's cluster path `{base_url}/cluster{n}` ([`soap`]):
//!   `…/webservices/processxml.asmx` (`ProcessXmlString`: payload escaped or CDATA, answer
//!   escaped) and `…/webservices/finder.asmx` (`Search`), header `Header{AccessToken,
//!   CompanyCode}`;
//! - ProcessXml ([`processxml`]): sales transactions ([`transactions`]: validation with Dutch
//!   messages at any depth, partial success in batches, numbers `YYYY` + 5-digit sequence per
//!   office, type and year, VAT lines, matching fields), DEB dimensions ([`dimensions`]:
//!   create/update/read, code mask), VAT read, browse ([`browse`]);
//! - Finder ([`finder`]): `OFF`, `DIM`, `VAT`, `PRD`, `TRS`, `IVT`, paging, error codes;
//! - fair use per organisation ([`fairuse`]): credits per clock minute (query 1, other 3;
//!   OIDC free), one SOAP request in flight; 429 with `Retry-After`, nothing processed;
//! - faults: outages (SOAP fault or HTML), answers lost after commit (transactions,
//!   dimensions, token grants), expired/revoked tokens, a cluster move, latency;
//! - admin under `/_sim/twinfield/…` ([`admin`]) and in-process through [`SimHandle`] /
//!   [`SimControl`].
//!
//! Choices where the reference says UNCONFIRMED (or says nothing):
//! - the finder's `OFF` (the office list) answers with any office code in the header: a client
//!   asks it before it knows an office (the reference does not say what Twinfield wants there);
//! - SOAPAction `"http://www.twinfield.com/ProcessXmlString"`; a SOAPAction that does not fit
//!   the service → 500 fault "Server did not recognize the value of HTTP Header SOAPAction";
//! - a missing, unknown, expired or revoked access token → HTTP 401 SOAP fault
//!   [`soap::INVALID_TOKEN`]; an unknown office → 500 "Toegang geweigerd. Geen toegang tot
//!   administratie X."; the wrong cluster → 500 [`soap::OTHER_CLUSTER`];
//! - the gate's order: outage, envelope, token, cluster, concurrency, credits, CompanyCode;
//!   a refused request spends no credits, one refused for its CompanyCode does;
//! - refresh tokens never expire by time and rotate on every use; `id_token` is opaque;
//! - credit note = mirror of an invoice (total line credit, details debit), signed negative in
//!   browse and finder; VAT computed half away from zero when `vatvalue` is absent (added to
//!   the echoed line); one VAT line per VAT code on account [`transactions::VAT_ACCOUNT`];
//! - a date outside its period is a warning (booked unless `raisewarning="true"`); a
//!   missing `<period>` is taken from the date; only EUR;
//! - messages not in the reference: "Dagboek X bestaat niet.", "Datum X is ongeldig.",
//!   "Debet/credit X is ongeldig; gebruik debit of credit.", "Bedrag X is ongeldig.",
//!   "De boeking heeft geen regels.", "De boeking moet precies één totaalregel hebben.",
//!   "Dimensietype X wordt niet ondersteund.", "Naam is verplicht.";
//! - duplicate invoice number = same office, transaction type, customer (dim2) and
//!   `invoicenumber`; error by default ([`DuplicateCheck`]);
//! - customer codes `10001`, `10002`, … (mask `1[0-9][0-9][0-9][0-9]`);
//! - browse codes `100` and `130_3` answer the same rows (every transaction's total line,
//!   temporary and final); `matchdate` as `YYYYMMDD`; matchstatus names "Beschikbaar" /
//!   "Afgeletterd";
//! - finder `PRD` rows: `YYYY/MM`, "januari 2026", `open`|`closed`; `IVT` rows: invoice
//!   number, customer code, customer name, value, open value, transaction number (temporary
//!   and final sales transactions still `available`); error texts are ours;
//! - fair use: a fixed window per clock minute, `Retry-After` = the rest of the minute (1 for
//!   the concurrency limit); 429 body is plain text.
//!
//! Not simulated: SOAP 1.2, `ProcessXmlDocument`/`ProcessXmlCompressed`, session login,
//! the invoicing module (`<salesinvoice>`), purchase validation rules beyond the sales ones,
//! matching over the API (use [`SimControl::match_transaction`]), other dimension types
//! than DEB for writing, bank details, other currencies, browse sorting and labels other
//! than the fixed row fields, the 1000-line and 25-children limits, per-IP and per-client
//! buckets.

pub mod admin;
pub mod browse;
mod control;
pub mod dimensions;
pub mod fairuse;
mod faults;
pub mod finder;
pub mod model;
pub mod oidc;
mod options;
pub mod processxml;
pub mod seed;
pub mod soap;
mod state;
pub mod transactions;
pub mod xml;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use chrono::Datelike;

use crate::common::{ServerHandle, SimClock, serve};

pub use control::{SimControl, SimError};
pub use faults::{FailNext, Faults};
pub use model::*;
pub use oidc::TokenPair;
pub use options::{
    ACCESS_TOKEN_SECONDS, CODE_SECONDS, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET,
    DEFAULT_CONCURRENT_REQUESTS, DEFAULT_CREDITS_PER_MINUTE, DEFAULT_ORGANISATION, DEFAULT_USER,
    DuplicateCheck, FairUse, OFFICE_BE, OFFICE_NL, SimOptions,
};
pub use seed::{CUSTOMER_ANKER, CUSTOMER_KORENAAR};
pub use state::{Organisation, SimStats};

/// The OIDC path prefix on the login host.
pub const AUTH_PREFIX: &str = "/auth/authentication/connect";

/// A running Twinfield simulator. Dropping it stops the server; it derefs to [`SimControl`].
#[derive(Debug)]
pub struct SimHandle {
    /// `http://127.0.0.1:<port>` (no trailing slash): the login host.
    pub base_url: String,
    control: SimControl,
    server: ServerHandle,
}

impl SimHandle {
    /// A cloneable control to hand to other tasks.
    pub fn control(&self) -> SimControl {
        self.control.clone()
    }

    /// `{base_url}/_sim/twinfield`, the prefix of the admin API.
    pub fn admin_url(&self) -> String {
        format!("{}/_sim/twinfield", self.base_url)
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

fn initial_state(options: &SimOptions, year: i32) -> state::SimState {
    let offices = [
        seed::office(OFFICE_NL, "Demo BV (NL)", "NL", year),
        seed::office(OFFICE_BE, "Demo NV (BE)", "BE", year),
    ];
    let codes: BTreeSet<String> = offices.iter().map(|o| o.code.clone()).collect();
    state::SimState {
        org: Organisation {
            id: uuid::Uuid::new_v4().to_string(),
            name: DEFAULT_ORGANISATION.to_owned(),
            cluster: 1,
            offices: offices.into_iter().map(|o| (o.code.clone(), o)).collect(),
            users: BTreeMap::from([(DEFAULT_USER.to_owned(), codes)]),
        },
        clients: BTreeMap::from([(
            DEFAULT_CLIENT_ID.to_owned(),
            DEFAULT_CLIENT_SECRET.to_owned(),
        )]),
        tokens: oidc::TokenStore::default(),
        fair_use: options.fair_use,
        usage: fairuse::Usage::default(),
        faults: Faults::default(),
        stats: SimStats::default(),
        duplicate_check: options.duplicate_invoice_check,
        latency: Duration::ZERO,
        in_flight: 0,
    }
}

/// Start a Twinfield simulator on 127.0.0.1 (`options.port`, 0 = any free port).
pub async fn spawn(options: SimOptions) -> std::io::Result<SimHandle> {
    let clock = Arc::new(SimClock::new(Arc::clone(&options.clock)));
    let year = koppel_core::Clock::now(clock.as_ref()).year();
    let state = initial_state(&options, year);
    let mut shared_slot: Option<Arc<state::Shared>> = None;
    let server = serve(options.port, |base_url| {
        let shared = Arc::new(state::Shared::new(clock, base_url.to_owned(), state));
        shared_slot = Some(Arc::clone(&shared));
        router(shared)
    })
    .await?;
    let shared = shared_slot
        .ok_or_else(|| std::io::Error::other("the Twinfield simulator's router was not built"))?;
    tracing::info!(base_url = %server.base_url, "twinfield simulator listening");
    Ok(SimHandle {
        base_url: server.base_url.clone(),
        control: SimControl { shared },
        server,
    })
}

fn router(shared: Arc<state::Shared>) -> Router {
    Router::new()
        .route(&format!("{AUTH_PREFIX}/authorize"), get(oidc::authorize))
        .route(&format!("{AUTH_PREFIX}/token"), post(oidc::token))
        .route(
            &format!("{AUTH_PREFIX}/accesstokenvalidation"),
            get(oidc::validate),
        )
        .route(&format!("{AUTH_PREFIX}/userinfo"), get(oidc::userinfo))
        .route(
            "/{cluster}/webservices/processxml.asmx",
            post(soap::process_xml),
        )
        .route("/{cluster}/webservices/finder.asmx", post(soap::finder))
        .nest("/_sim/twinfield", admin::router())
        .with_state(shared)
}
