//! A [`Connector`] whose Teamleader sources book their memory to [`Part::TeamleaderClient`]
//! (inside each call, caches included), so the exporter's heap can be split between the
//! Teamleader client and the rest.

use crate::heap::{Part, in_part};
use async_trait::async_trait;
use koppel_core::{
    CompanyQuery, CompanyUpdate, Connection, Connector, Customer, CustomerPage, CustomerRef,
    Deadline, Department, DocumentFile, DocumentId, DocumentKind, DocumentQuery, DocumentSummary,
    ExternalError, FileFormat, Ledger, NewCompany, NewContact, Payment, ProductCategory,
    SalesDocument, Source, TaxRate,
};
use std::sync::{Arc, Mutex, PoisonError};

/// Wraps a connector; its sources are [`TaggedSource`]s, its ledgers unchanged. It keeps
/// the sources it handed out alive until [`TaggedConnector::release`], so what a client
/// still holds after a run (its caches) can be measured.
pub struct TaggedConnector {
    inner: Arc<dyn Connector>,
    handed_out: Mutex<Vec<Arc<dyn Source>>>,
}

impl TaggedConnector {
    /// Wrap `inner`.
    pub fn new(inner: Arc<dyn Connector>) -> Self {
        Self {
            inner,
            handed_out: Mutex::new(Vec::new()),
        }
    }

    /// Let go of the sources handed out so far.
    pub fn release(&self) {
        self.handed_out
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

#[async_trait]
impl Connector for TaggedConnector {
    async fn source(
        &self,
        connection: &Connection,
        deadline: Deadline,
    ) -> Result<Arc<dyn Source>, ExternalError> {
        let source = in_part(
            Part::TeamleaderClient,
            self.inner.source(connection, deadline),
        )
        .await?;
        let source: Arc<dyn Source> = Arc::new(TaggedSource(source));
        self.handed_out
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(source.clone());
        Ok(source)
    }

    async fn ledger(
        &self,
        connection: &Connection,
        deadline: Deadline,
    ) -> Result<Arc<dyn Ledger>, ExternalError> {
        self.inner.ledger(connection, deadline).await
    }
}

/// Wraps a source; every call's allocations count as [`Part::TeamleaderClient`].
pub struct TaggedSource(pub Arc<dyn Source>);

#[async_trait]
impl Source for TaggedSource {
    async fn departments(&self) -> Result<Vec<Department>, ExternalError> {
        in_part(Part::TeamleaderClient, self.0.departments()).await
    }

    async fn tax_rates(&self) -> Result<Vec<TaxRate>, ExternalError> {
        in_part(Part::TeamleaderClient, self.0.tax_rates()).await
    }

    async fn product_categories(&self) -> Result<Vec<ProductCategory>, ExternalError> {
        in_part(Part::TeamleaderClient, self.0.product_categories()).await
    }

    async fn booked_documents(
        &self,
        query: &DocumentQuery,
    ) -> Result<Vec<DocumentSummary>, ExternalError> {
        in_part(Part::TeamleaderClient, self.0.booked_documents(query)).await
    }

    async fn document(
        &self,
        kind: DocumentKind,
        id: &DocumentId,
    ) -> Result<SalesDocument, ExternalError> {
        in_part(Part::TeamleaderClient, self.0.document(kind, id)).await
    }

    async fn document_file(
        &self,
        kind: DocumentKind,
        id: &DocumentId,
        format: FileFormat,
    ) -> Result<DocumentFile, ExternalError> {
        in_part(
            Part::TeamleaderClient,
            self.0.document_file(kind, id, format),
        )
        .await
    }

    async fn customers(&self, refs: &[CustomerRef]) -> Result<Vec<Customer>, ExternalError> {
        in_part(Part::TeamleaderClient, self.0.customers(refs)).await
    }

    async fn find_companies(
        &self,
        query: &CompanyQuery,
        page: u32,
    ) -> Result<CustomerPage, ExternalError> {
        in_part(Part::TeamleaderClient, self.0.find_companies(query, page)).await
    }

    async fn list_contacts(&self, page: u32) -> Result<CustomerPage, ExternalError> {
        in_part(Part::TeamleaderClient, self.0.list_contacts(page)).await
    }

    async fn add_contact(&self, contact: &NewContact) -> Result<String, ExternalError> {
        in_part(Part::TeamleaderClient, self.0.add_contact(contact)).await
    }

    async fn set_contact_external_id(
        &self,
        id: &str,
        external_id: &str,
    ) -> Result<(), ExternalError> {
        in_part(
            Part::TeamleaderClient,
            self.0.set_contact_external_id(id, external_id),
        )
        .await
    }

    async fn add_company(&self, company: &NewCompany) -> Result<String, ExternalError> {
        in_part(Part::TeamleaderClient, self.0.add_company(company)).await
    }

    async fn update_company(&self, id: &str, update: &CompanyUpdate) -> Result<(), ExternalError> {
        in_part(Part::TeamleaderClient, self.0.update_company(id, update)).await
    }

    async fn company_references(
        &self,
        id: &str,
    ) -> Result<koppel_core::CompanyReferences, ExternalError> {
        in_part(Part::TeamleaderClient, self.0.company_references(id)).await
    }

    async fn delete_company(&self, id: &str) -> Result<(), ExternalError> {
        in_part(Part::TeamleaderClient, self.0.delete_company(id)).await
    }

    async fn account_language(&self) -> Result<Option<String>, ExternalError> {
        in_part(Part::TeamleaderClient, self.0.account_language()).await
    }

    async fn register_payment(
        &self,
        invoice: &DocumentId,
        payment: &Payment,
    ) -> Result<(), ExternalError> {
        in_part(
            Part::TeamleaderClient,
            self.0.register_payment(invoice, payment),
        )
        .await
    }
}
