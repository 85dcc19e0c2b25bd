//! Calls to one Exact Online division: OData reads followed through `__next`, and POSTs
//! that are never re-sent blindly.
//!
//! Two [`ApiClient`]s share one token source and one rate gate: reads retry transient
//! failures; writes are sent once (a POST whose answer was lost may have been booked — Exact
//! takes duplicate `YourRef`s — so it is [`ExternalError::OutcomeUnknown`] and the export looks
//! the entry up instead of posting again). A 401 or 429 is still re-sent by both: Exact
//! processed nothing then.
//!
//! `__next` links are followed on the configured base URL: their path and query are kept, the
//! host is always the one Koppel was configured with, so the bearer token never goes
//! elsewhere and paging keeps working behind a recording proxy.

use super::odata::{Feed, Single};
use super::policy::{ExactErrors, ExactRateLimit};
use super::refusals::SYSTEM;
use koppel_api::{ApiClient, ApiResponse, RateGate, RateGateConfig, RetryPolicy, TokenSource};
use koppel_core::{Clock, Deadline, ExternalError};
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
/// headers and never waiting past `deadline` — for calls outside a division (current/Me) and
/// as the reading half of [`ExactHttp`].
pub fn api_client(
    base_url: &str,
    tokens: TokenSource,
    clock: Arc<dyn Clock>,
    tuning: HttpTuning,
    deadline: Deadline,
) -> ApiClient {
    let gate = RateGate::new(SYSTEM, ExactRateLimit, clock.clone(), tuning.rate_gate);
    ApiClient::builder(SYSTEM, base_url, clock)
        .tokens(tokens)
        .gate(gate)
        .retry(tuning.read_retry)
        .errors(ExactErrors)
        .deadline(deadline)
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
    /// Clients for `division` at `base_url`, waiting no longer than `deadline`.
    pub fn new(
        base_url: &str,
        division: i64,
        tokens: TokenSource,
        clock: Arc<dyn Clock>,
        tuning: HttpTuning,
        deadline: Deadline,
    ) -> Self {
        let reads = api_client(base_url, tokens.clone(), clock.clone(), tuning, deadline);
        let writes = ApiClient::builder(SYSTEM, base_url, clock)
            .tokens(tokens)
            .gate(reads.gate().clone())
            .errors(ExactErrors)
            .deadline(deadline)
            .sends_once()
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

    /// The page at `next` (a `__next` link or a cursor built from one), asked of the
    /// configured base URL whatever host the link names: the bearer token never goes
    /// elsewhere, and paging works behind a proxy.
    pub async fn get_next<T: DeserializeOwned>(
        &self,
        resource: &str,
        next: &str,
    ) -> Result<(Vec<T>, Option<String>), ExternalError> {
        let url = on_base(self.reads.base_url(), next).ok_or_else(|| ExternalError::Malformed {
            system: SYSTEM,
            endpoint: resource.to_owned(),
            detail: "__next: the next-page link is not an Exact Online API link".into(),
        })?;
        let response = self
            .reads
            .send(resource, |http| {
                http.get(&url).header(ACCEPT, "application/json")
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

    /// DELETE the entity at `resource` (e.g. `documents/Documents(guid'…')`), sent once.
    pub async fn delete(&self, resource: &str) -> Result<(), ExternalError> {
        let url = self.url(resource);
        self.writes
            .send(resource, |http| {
                http.delete(&url).header(ACCEPT, "application/json")
            })
            .await?;
        Ok(())
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
}

/// `link`'s path and query on `base` (which may carry a path prefix), when the link is an
/// Exact API link (`…/api/v1/…`); `None` otherwise.
pub fn on_base(base: &str, link: &str) -> Option<String> {
    // The link is kept as Exact wrote it (its query is already encoded the way Exact wants).
    let parsed = url::Url::parse(link).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    let after_scheme = link.find("://")? + 3;
    let path_start = after_scheme + link[after_scheme..].find('/')?;
    let rest = &link[path_start..];
    let api = rest.find("/api/v1/")?;
    if rest[..api].contains(['?', '#']) {
        return None;
    }
    Some(format!("{}{}", base.trim_end_matches('/'), &rest[api..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_links_are_followed_on_the_configured_base_only() {
        let base = "http://127.0.0.1:4100/proxy";
        assert_eq!(
            on_base(
                base,
                "https://start.exactonline.be/api/v1/1/crm/Accounts?$skiptoken=guid'ab'&$select=ID"
            )
            .as_deref(),
            Some(
                "http://127.0.0.1:4100/proxy/api/v1/1/crm/Accounts?$skiptoken=guid'ab'&$select=ID"
            )
        );
        assert_eq!(
            on_base(
                "https://start.exactonline.nl/",
                "https://evil.example/api/v1/2/x"
            )
            .as_deref(),
            Some("https://start.exactonline.nl/api/v1/2/x"),
            "the token only ever goes to the configured host"
        );
        assert_eq!(on_base(base, "https://evil.example/steal"), None);
        assert_eq!(on_base(base, "not a url"), None);
    }
}
