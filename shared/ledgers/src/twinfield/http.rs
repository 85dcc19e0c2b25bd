//! Calls to one Twinfield office: `ProcessXmlString` and the finder's `Search`, on the
//! organisation's cluster, within Twinfield's fair use.
//!
//! Fair use: a query (finder, and ProcessXml `read`/`columns`) costs 1 credit, anything else
//! 3, 1,000 credits a clock minute, one request at a time per organisation. Koppel keeps its
//! own count per clock minute and waits for the next one before going over its share
//! ([`CreditPacer`]): half the organisation's credits, because its count belongs to one
//! invocation and a second one may spend in the same minute (the continuation that takes over
//! a long export, a payment poll during an export) — two shares never exceed the limit. One
//! request at a time per ledger; a 429 from load Koppel does not see is waited out after its
//! `Retry-After` by the shared rate gate. Reads retry transient failures; writes
//! (transactions, customers) are sent once — a lost answer is
//! [`ExternalError::OutcomeUnknown`] and the export looks the transaction up instead.

use super::policy::{self, TwinfieldErrors};
use super::refusals::{self, SYSTEM};
use super::session::TwinfieldSession;
use super::soap::{self, FinderPage, SoapAnswer};
use super::xml::Element;
use chrono::{DateTime, DurationRound, Utc};
use koppel_api::{ApiClient, ApiResponse, RateGate, RateGateConfig, RetryPolicy};
use koppel_core::{Clock, Deadline, ExternalError};
use reqwest::header::CONTENT_TYPE;
use std::sync::Arc;
use tokio::sync::Mutex;

/// Credits a minute Twinfield allows.
pub const CREDITS_PER_MINUTE: u32 = 1_000;
/// Rows the finder gives per page at most.
pub const FINDER_PAGE: u32 = 100;

/// How Twinfield is reached, tuned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpTuning {
    /// Rate gate behaviour (longest wait slept through, backoff after 429).
    pub rate_gate: RateGateConfig,
    /// Retries of reads.
    pub read_retry: RetryPolicy,
    /// Credits a clock minute Koppel allows one ledger instance (half of Twinfield's 1,000).
    pub credits_per_minute: u32,
}

impl Default for HttpTuning {
    fn default() -> Self {
        Self {
            rate_gate: RateGateConfig::default(),
            read_retry: RetryPolicy::default(),
            credits_per_minute: CREDITS_PER_MINUTE / 2,
        }
    }
}

/// Koppel's own count of credits in the current clock minute (Twinfield counts per clock
/// minute too).
#[derive(Debug)]
pub struct CreditPacer {
    limit: u32,
    window: Option<(DateTime<Utc>, u32)>,
}

impl CreditPacer {
    /// A pacer allowing `limit` credits a minute.
    pub fn new(limit: u32) -> Self {
        Self {
            limit,
            window: None,
        }
    }

    /// Spend `cost` now, or say until when to wait first (the next clock minute).
    pub fn spend(&mut self, now: DateTime<Utc>, cost: u32) -> Result<(), DateTime<Utc>> {
        let minute = now
            .duration_trunc(chrono::Duration::minutes(1))
            .unwrap_or(now);
        let (start, spent) = match self.window {
            Some((start, spent)) if start == minute => (start, spent),
            _ => (minute, 0),
        };
        if spent > 0 && spent + cost > self.limit {
            return Err(start + chrono::Duration::minutes(1));
        }
        self.window = Some((start, spent + cost));
        Ok(())
    }
}

/// What a call is, for its price and its retry rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// A read (1 credit, retried).
    Query,
    /// A write (3 credits, sent once).
    Write,
}

/// Reads and writes of one office.
pub struct TwinfieldHttp {
    reads: ApiClient,
    writes: ApiClient,
    session: Arc<TwinfieldSession>,
    office: String,
    clock: Arc<dyn Clock>,
    deadline: Deadline,
    /// One request at a time; the pacer's count.
    turn: Mutex<CreditPacer>,
}

impl std::fmt::Debug for TwinfieldHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwinfieldHttp")
            .field("office", &self.office)
            .finish_non_exhaustive()
    }
}

/// The unauthenticated client (the validation call), obeying Twinfield's 429s.
pub fn plain_client(clock: Arc<dyn Clock>, tuning: HttpTuning, deadline: Deadline) -> ApiClient {
    let gate = RateGate::new(
        SYSTEM,
        policy::rate_limit(clock.clone()),
        clock.clone(),
        tuning.rate_gate,
    );
    ApiClient::builder(SYSTEM, "", clock)
        .gate(gate)
        .retry(tuning.read_retry)
        .errors(TwinfieldErrors)
        .deadline(deadline)
        .build()
}

impl TwinfieldHttp {
    /// Clients for `office`, authenticated by `session`, sharing `plain`'s gate.
    pub fn new(
        plain: &ApiClient,
        session: Arc<TwinfieldSession>,
        office: String,
        clock: Arc<dyn Clock>,
        tuning: HttpTuning,
        deadline: Deadline,
    ) -> Self {
        let build = || {
            ApiClient::builder(SYSTEM, "", clock.clone())
                .auth(session.clone())
                .gate(plain.gate().clone())
                .errors(TwinfieldErrors)
                .deadline(deadline)
        };
        Self {
            reads: build().retry(tuning.read_retry).build(),
            writes: build().sends_once().build(),
            session,
            office,
            clock,
            deadline,
            turn: Mutex::new(CreditPacer::new(tuning.credits_per_minute)),
        }
    }

    /// The office code.
    pub fn office(&self) -> &str {
        &self.office
    }

    /// SOAP requests sent so far (validation calls not included).
    pub fn calls(&self) -> u64 {
        self.reads.calls() + self.writes.calls()
    }

    /// The session (its refresh count).
    pub fn session(&self) -> &TwinfieldSession {
        &self.session
    }

    /// Send one SOAP call (`path` under the cluster) with `body`, in turn and within the
    /// credits; a "moved to another cluster" fault makes Koppel ask for the cluster again and
    /// send it once more (nothing was applied).
    async fn call(
        &self,
        endpoint: &str,
        path: &str,
        action: &'static str,
        body: &Element,
        kind: CallKind,
    ) -> Result<ApiResponse, ExternalError> {
        let mut turn = self.turn.lock().await;
        let cost = match kind {
            CallKind::Query => 1,
            CallKind::Write => 3,
        };
        loop {
            let now = self.clock.now();
            match turn.spend(now, cost) {
                Ok(()) => break,
                Err(until) => {
                    if !self.deadline.allows_wait_until(now, until) {
                        return Err(ExternalError::NoTimeLeft {
                            system: SYSTEM,
                            until,
                        });
                    }
                    self.clock
                        .sleep((until - now).to_std().unwrap_or_default())
                        .await;
                }
            }
        }
        let client = match kind {
            CallKind::Query => &self.reads,
            CallKind::Write => &self.writes,
        };
        let mut moved_once = false;
        loop {
            let cluster = self.session.cluster().await?;
            let url = format!("{cluster}/webservices/{path}");
            let answer = client
                .send_carrying_credential(endpoint, |http, token| {
                    http.post(&url)
                        .header(CONTENT_TYPE, "text/xml; charset=utf-8")
                        .header("SOAPAction", action)
                        .body(soap::envelope(
                            token.unwrap_or_default(),
                            &self.office,
                            body.clone(),
                        ))
                })
                .await;
            match answer {
                Err(ExternalError::Rejected { message, .. })
                    if refusals::is_cluster_moved(&message) && !moved_once =>
                {
                    moved_once = true;
                    self.session.forget_cluster();
                }
                Err(ExternalError::Rejected {
                    status, message, ..
                }) if refusals::is_access_refused(&message) => {
                    return Err(ExternalError::ConnectionRefused {
                        system: SYSTEM,
                        status,
                        message: format!(
                            "{message} — sign in to Twinfield again on the reactivation page with a user who may use office {}, or choose another office there",
                            self.office
                        ),
                    });
                }
                other => return other,
            }
        }
    }

    /// `ProcessXmlString` with `request`; returns the answer document.
    pub async fn process_xml(
        &self,
        endpoint: &str,
        request: &Element,
        kind: CallKind,
    ) -> Result<Element, ExternalError> {
        let response = self
            .call(
                endpoint,
                "processxml.asmx",
                soap::PROCESS_XML_ACTION,
                &soap::process_xml_body(request),
                kind,
            )
            .await?;
        match soap::process_xml_answer(&response.text()) {
            Ok(SoapAnswer::Result(document)) => Ok(document),
            Ok(SoapAnswer::Fault(fault)) => Err(ExternalError::Rejected {
                system: SYSTEM,
                status: response.status,
                message: fault,
            }),
            Err(error) => Err(ExternalError::Malformed {
                system: SYSTEM,
                endpoint: endpoint.to_owned(),
                detail: error.to_string(),
            }),
        }
    }

    /// Every row of a finder search (pages of [`FINDER_PAGE`]).
    pub async fn search(
        &self,
        kind: &str,
        options: &[(&str, &str)],
    ) -> Result<Vec<Vec<String>>, ExternalError> {
        let endpoint = format!("finder.{kind}");
        let mut rows = Vec::new();
        let mut first = 1;
        loop {
            let body = soap::search_body(kind, "*", first, FINDER_PAGE, options);
            let response = self
                .call(
                    &endpoint,
                    "finder.asmx",
                    soap::SEARCH_ACTION,
                    &body,
                    CallKind::Query,
                )
                .await?;
            let page: FinderPage = match soap::search_answer(&response.text()) {
                Ok(Ok(page)) => page,
                Ok(Err(refused)) => {
                    return Err(ExternalError::Rejected {
                        system: SYSTEM,
                        status: response.status,
                        message: format!("finder {kind}: {} ({})", refused.text, refused.code),
                    });
                }
                Err(error) => {
                    return Err(ExternalError::Malformed {
                        system: SYSTEM,
                        endpoint,
                        detail: error.to_string(),
                    });
                }
            };
            let got = page.rows.len() as u32;
            rows.extend(page.rows);
            first += got;
            if got == 0 || first > page.total {
                return Ok(rows);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pacer_spends_a_clock_minute_of_credits_then_says_when_the_next_one_starts() {
        let at = |t: &str| DateTime::parse_from_rfc3339(t).unwrap().to_utc();
        let start = at("2026-11-30T10:00:30Z");
        let mut pacer = CreditPacer::new(10);
        assert_eq!(pacer.spend(start, 3), Ok(()));
        assert_eq!(pacer.spend(start, 3), Ok(()));
        assert_eq!(pacer.spend(start, 3), Ok(()));
        let next = at("2026-11-30T10:01:00Z");
        assert_eq!(pacer.spend(at("2026-11-30T10:00:50Z"), 3), Err(next));
        assert_eq!(pacer.spend(at("2026-11-30T10:00:50Z"), 1), Ok(()));
        assert_eq!(pacer.spend(next, 3), Ok(()), "a new clock minute");
        assert_eq!(
            HttpTuning::default().credits_per_minute,
            500,
            "half the organisation's"
        );
    }
}
