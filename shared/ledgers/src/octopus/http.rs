//! Calls to one Octopus dossier: reads that retry transient failures and read a 404 as "no
//! data" (Octopus's way of answering an empty list), and writes sent once (a booking whose
//! answer was lost may be booked: [`ExternalError::OutcomeUnknown`], and the export looks it
//! up instead of posting again). Both carry the dossier token ([`OctopusSession`]) and share
//! one rate gate ([`policy::rate_limit`]).

use super::policy::{self, OctopusErrors};
use super::refusals::SYSTEM;
use super::session::OctopusSession;
use koppel_api::{ApiClient, ApiResponse, RateGate, RateGateConfig, RetryPolicy};
use koppel_core::{Clock, Deadline, ExternalError};
use reqwest::header::ACCEPT;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// How Octopus is reached, tuned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HttpTuning {
    /// Rate gate behaviour (longest wait slept through, backoff after 429).
    pub rate_gate: RateGateConfig,
    /// Retries of reads (writes are never retried on 5xx or transport errors).
    pub read_retry: RetryPolicy,
}

/// A client without a dossier token (the two sign-in calls), obeying Octopus's limit.
pub fn plain_client(
    base_url: &str,
    clock: Arc<dyn Clock>,
    tuning: HttpTuning,
    deadline: Deadline,
) -> ApiClient {
    let gate = RateGate::new(
        SYSTEM,
        policy::rate_limit(clock.clone()),
        clock.clone(),
        tuning.rate_gate,
    );
    ApiClient::builder(SYSTEM, base_url, clock)
        .gate(gate)
        .retry(tuning.read_retry)
        .errors(OctopusErrors)
        .deadline(deadline)
        .build()
}

/// Reads and writes of one dossier.
#[derive(Debug, Clone)]
pub struct OctopusHttp {
    reads: ApiClient,
    writes: ApiClient,
    dossier: i64,
}

impl OctopusHttp {
    /// Clients for `dossier`, authenticated by `session`, sharing `plain`'s rate gate and
    /// deadline, waiting on `clock`.
    pub fn new(
        plain: &ApiClient,
        session: OctopusSession,
        dossier: i64,
        clock: Arc<dyn Clock>,
        tuning: HttpTuning,
    ) -> Self {
        let session = Arc::new(session);
        let build = || {
            ApiClient::builder(SYSTEM, plain.base_url(), clock.clone())
                .auth(session.clone())
                .gate(plain.gate().clone())
                .errors(OctopusErrors)
                .deadline(plain.deadline())
        };
        Self {
            reads: build().retry(tuning.read_retry).build(),
            writes: build().sends_once().build(),
            dossier,
        }
    }

    /// The dossier id.
    pub fn dossier(&self) -> i64 {
        self.dossier
    }

    /// Requests sent so far (reads and writes, retries included; sign-ins not).
    pub fn calls(&self) -> u64 {
        self.reads.calls() + self.writes.calls()
    }

    /// The reading client.
    pub fn reads(&self) -> &ApiClient {
        &self.reads
    }

    fn url(&self, path: &str) -> String {
        self.reads.url(&format!("dossiers/{}/{path}", self.dossier))
    }

    /// GET `path` with `query`; `None` when Octopus answers 404 (no data).
    pub async fn get<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Option<T>, ExternalError> {
        let url = self.url(path);
        let answer = self
            .reads
            .send(endpoint, |http| {
                http.get(&url)
                    .header(ACCEPT, "application/json")
                    .query(query)
            })
            .await;
        match answer {
            Ok(answer) => Ok(Some(answer.json()?)),
            Err(ExternalError::NotFound { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// A read that is a POST (Octopus's reports), retried like a read: it changes nothing.
    pub async fn report<B: Serialize + Sync, T: DeserializeOwned>(
        &self,
        endpoint: &str,
        path: &str,
        body: &B,
    ) -> Result<Option<T>, ExternalError> {
        let url = self.url(path);
        let answer = self
            .reads
            .send(endpoint, |http| {
                http.post(&url)
                    .header(ACCEPT, "application/json")
                    .json(body)
            })
            .await;
        match answer {
            Ok(answer) if answer.body.iter().all(u8::is_ascii_whitespace) => Ok(None),
            Ok(answer) => Ok(Some(answer.json()?)),
            Err(ExternalError::NotFound { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// POST `body` to `path` once.
    pub async fn post<B: Serialize + Sync>(
        &self,
        endpoint: &str,
        path: &str,
        body: &B,
    ) -> Result<ApiResponse, ExternalError> {
        let url = self.url(path);
        self.writes
            .send(endpoint, |http| {
                http.post(&url)
                    .header(ACCEPT, "application/json")
                    .json(body)
            })
            .await
    }

    /// PUT `body` to `path` once.
    pub async fn put<B: Serialize + Sync>(
        &self,
        endpoint: &str,
        path: &str,
        body: &B,
    ) -> Result<ApiResponse, ExternalError> {
        let url = self.url(path);
        self.writes
            .send(endpoint, |http| {
                http.put(&url).header(ACCEPT, "application/json").json(body)
            })
            .await
    }
}
