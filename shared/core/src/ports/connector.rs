//! Opening the outside systems of one connection for one invocation: its Teamleader account
//! and its ledger. Functions get a live implementation (tokens from the vault, the ledger's
//! plug-in); tests and the demo hand in fixed instances.
//!
//! The systems are opened with the invocation's [`Deadline`]: their clients never wait (for a
//! rate-limit window, a backoff) past it, they answer [`ExternalError::NoTimeLeft`] instead.

use crate::{
    Connection, ConnectionId, Deadline, EinvoiceFiles, ExternalError, Ledger, LedgerKind, Source,
};
use async_trait::async_trait;
use std::sync::Arc;

/// Which outside API a [`ApiUsage`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiSystem {
    /// The connection's Teamleader account.
    Teamleader,
    /// The connection's ledger, of this kind (the metrics break ledger calls down by it).
    Ledger(LedgerKind),
}

/// What one invocation asked of one outside API of a connection: the numbers the job
/// metrics publish (calls, 429 answers, quota left), so an operator sees which API throttles
/// Koppel or runs out of quota. Plain numbers: the connector that opened the API counts them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiUsage {
    /// The API.
    pub system: ApiSystem,
    /// Requests sent (retries included).
    pub calls: u64,
    /// Requests answered 429 (rate-limited).
    pub throttled: u64,
    /// Requests the API still allowed at the end (its window closest to empty), when it said.
    pub quota_left: Option<u64>,
    /// Times a wait for the API's quota was refused because it was too long (a spent daily
    /// quota): the run paused on [`ExternalError::QuotaExhausted`].
    pub quota_exhausted: u64,
}

/// Opens the Teamleader source and the ledger a connection points at.
#[async_trait]
pub trait Connector: Send + Sync {
    /// The Teamleader account of the connection.
    async fn source(
        &self,
        connection: &Connection,
        deadline: Deadline,
    ) -> Result<Arc<dyn Source>, ExternalError>;
    /// The ledger administration of the connection.
    async fn ledger(
        &self,
        connection: &Connection,
        deadline: Deadline,
    ) -> Result<Arc<dyn Ledger>, ExternalError>;
    /// Peppol BIS 3 files (build, check against the official rules), where this deployment
    /// has them set up; `None` sends ledgers that take the document file the PDF.
    fn einvoice(&self) -> Option<Arc<dyn EinvoiceFiles>> {
        None
    }
    /// What was asked of the systems opened for `connection` since the last call, and forget
    /// it (so each invocation reports only its own calls). The job runtime calls it after
    /// every invocation and publishes the numbers as metrics; a connector that does not count
    /// (fixed test systems) has nothing to say.
    fn usage(&self, connection: &ConnectionId) -> Vec<ApiUsage> {
        let _ = connection;
        Vec::new()
    }
}

/// A connector that always hands out the same source and ledger (tests, benchmarks).
#[derive(Clone)]
pub struct FixedConnector {
    /// The source handed out.
    pub source: Arc<dyn Source>,
    /// The ledger handed out.
    pub ledger: Arc<dyn Ledger>,
    /// The Peppol BIS 3 files handed out, if any.
    pub einvoice: Option<Arc<dyn EinvoiceFiles>>,
}

#[async_trait]
impl Connector for FixedConnector {
    async fn source(
        &self,
        _connection: &Connection,
        _deadline: Deadline,
    ) -> Result<Arc<dyn Source>, ExternalError> {
        Ok(self.source.clone())
    }
    async fn ledger(
        &self,
        _connection: &Connection,
        _deadline: Deadline,
    ) -> Result<Arc<dyn Ledger>, ExternalError> {
        Ok(self.ledger.clone())
    }
    fn einvoice(&self) -> Option<Arc<dyn EinvoiceFiles>> {
        self.einvoice.clone()
    }
}
