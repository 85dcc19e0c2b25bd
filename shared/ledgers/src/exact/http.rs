//! Calls to one Exact Online division: OData reads followed through `__next`, and POSTs
//! that are never re-sent blindly.
//!
//! Two [`ApiClient`]s share one token source and one rate gate: reads retry transient
//! failures; writes do not (a POST whose answer was lost may have been booked — Exact takes
//! duplicate `YourRef`s — so the caller looks the entry up instead of posting again).
//! A 401 or 429 is still re-sent by both: Exact processed nothing then.

use super::odata::{Feed, Single};
use super::refusals::SYSTEM;
use koppel_api::{
    ApiClient, ApiResponse, ExactErrors, ExactRateLimit, RateGate, RateGateConfig, RetryPolicy,
    TokenSource,
};
use koppel_core::{Clock, ExternalError};
use reqwest::header::ACCEPT;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// How Exact is reached, tuned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HttpTuning {
    /// Rate gate behaviour (longest wait slept through, backoff after 429).
    pub rate_gate: RateGateConfig,
    /// Retries of reads (writes are never retried on 5xx or transport errors).
    pub read_retry: RetryPolicy,
}

/// Build the (retrying) client for Exact at `base_url` with `tokens`, obeying Exact's rate
/// headers — for calls outside a division (current/Me) and as the reading half of
/// [`ExactHttp`].
pub fn api_client(
    base_url: &str,
    tokens: TokenSource,
    clock: Arc<dyn Clock>,
    tuning: HttpTuning,
) -> ApiClient {
    let gate = RateGate::new(SYSTEM, ExactRateLimit, clock.clone(), tuning.rate_gate);
    ApiClient::builder(SYSTEM, base_url, clock)
        .tokens(tokens)
        .gate(gate)
        .retry(tuning.read_retry)
        .errors(ExactErrors)
        .build()
}

/// Reads and writes of one division.
#[derive(Debug, Clone)]
pub struct ExactHttp {
    reads: ApiClient,
    writes: ApiClient,
    division: i64,
}

impl ExactHttp {
    /// Clients for `division` at `base_url`.
    pub fn new(
        base_url: &str,
        division: i64,
        tokens: TokenSource,
        clock: Arc<dyn Clock>,
        tuning: HttpTuning,
    ) -> Self {
        let reads = api_client(base_url, tokens.clone(), clock.clone(), tuning);
        let writes = ApiClient::builder(SYSTEM, base_url, clock)
            .tokens(tokens)
            .gate(reads.gate().clone())
            .retry(RetryPolicy::never())
            .errors(ExactErrors)
            .build();
        Self {
            reads,
            writes,
            division,
        }
    }

    /// The division number.
    pub fn division(&self) -> i64 {
        self.division
    }

    /// Requests sent so far (reads and writes, retries included).
    pub fn calls(&self) -> u64 {
        self.reads.calls() + self.writes.calls()
    }

    /// The reading client (shares tokens and gate with the writing one).
    pub fn reads(&self) -> &ApiClient {
        &self.reads
    }

    /// Absolute URL of a resource of this division ("financial/GLAccounts").
    pub fn url(&self, resource: &str) -> String {
        self.reads
            .url(&format!("api/v1/{}/{}", self.division, resource))
    }

    /// One page of `resource` with these query options; returns the records and the next
    /// page's URL.
    pub async fn get_page<T: DeserializeOwned>(
        &self,
        resource: &str,
        query: &[(&str, &str)],
    ) -> Result<(Vec<T>, Option<String>), ExternalError> {
        let url = self.url(resource);
        let response = self
            .reads
            .send(resource, |http| {
                http.get(&url)
                    .header(ACCEPT, "application/json")
                    .query(query)
            })
            .await?;
        self.read_page(&response)
    }

    /// The page at `next` (a `__next` link or a cursor built from one). Only links into this
    /// Exact host are followed: the bearer token never goes elsewhere.
    pub async fn get_next<T: DeserializeOwned>(
        &self,
        resource: &str,
        next: &str,
    ) -> Result<(Vec<T>, Option<String>), ExternalError> {
        self.check_same_host(resource, next)?;
        let response = self
            .reads
            .send(resource, |http| {
                http.get(next).header(ACCEPT, "application/json")
            })
            .await?;
        self.read_page(&response)
    }

    /// Every record of `resource` for these query options, following `__next` to the end.
    pub async fn get_all<T: DeserializeOwned>(
        &self,
        resource: &str,
        query: &[(&str, &str)],
    ) -> Result<Vec<T>, ExternalError> {
        let (mut all, mut next) = self.get_page(resource, query).await?;
        while let Some(url) = next {
            let (page, following) = self.get_next(resource, &url).await?;
            all.extend(page);
            next = following;
        }
        Ok(all)
    }

    /// POST `body` to `resource` once and read the created entity (`{"d": {...}}`).
    pub async fn post<B: Serialize + Sync + ?Sized, T: DeserializeOwned>(
        &self,
        resource: &str,
        body: &B,
    ) -> Result<T, ExternalError> {
        let url = self.url(resource);
        let response = self
            .writes
            .send(resource, |http| {
                http.post(&url)
                    .header(ACCEPT, "application/json")
                    .json(body)
            })
            .await?;
        Ok(response.json::<Single<T>>()?.d)
    }

    fn read_page<T: DeserializeOwned>(
        &self,
        response: &ApiResponse,
    ) -> Result<(Vec<T>, Option<String>), ExternalError> {
        Ok(response.json::<Feed<T>>()?.into_page())
    }

    fn check_same_host(&self, resource: &str, next: &str) -> Result<(), ExternalError> {
        let base = format!("{}/", self.reads.base_url());
        if next.starts_with(&base) {
            Ok(())
        } else {
            Err(ExternalError::Malformed {
                system: SYSTEM,
                endpoint: resource.to_owned(),
                detail: "__next: the next-page link points outside this Exact Online host".into(),
            })
        }
    }
}
