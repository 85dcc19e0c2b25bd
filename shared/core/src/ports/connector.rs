//! Opening the outside systems of one connection for one invocation: its Teamleader account
//! and its ledger. Functions get a live implementation (tokens from the vault, the ledger's
//! plug-in); tests and the demo hand in fixed instances.
//!
//! The systems are opened with the invocation's [`Deadline`]: their clients never wait (for a
//! rate-limit window, a backoff) past it, they answer [`ExternalError::NoTimeLeft`] instead.

use crate::{Connection, Deadline, EinvoiceFiles, ExternalError, Ledger, Source};
use async_trait::async_trait;
use std::sync::Arc;

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
