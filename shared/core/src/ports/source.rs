//! The Teamleader side: where documents and customers come from and payments go back to.

use crate::{
    CompanyQuery, CompanyUpdate, Customer, CustomerRef, Department, DepartmentId, DocumentFile,
    DocumentId, DocumentKind, DocumentSummary, ExternalError, FileFormat, NewCompany, NewContact,
    Payment, ProductCategory, SalesDocument, TaxRate,
};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

/// Which documents to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentQuery {
    /// Invoices or credit notes.
    pub kind: DocumentKind,
    /// Only these documents (empty: no such filter).
    pub ids: Vec<DocumentId>,
    /// Only this department.
    pub department_id: Option<DepartmentId>,
    /// Only documents changed at or after this instant.
    pub updated_since: Option<DateTime<Utc>>,
    /// Only documents dated on or after this day.
    pub date_from: Option<NaiveDate>,
    /// 1-based page number.
    pub page: u32,
    /// Page size (at most 100).
    pub page_size: u32,
}

/// A page of Teamleader customers (companies, or contacts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerPage {
    /// Customers on this page.
    pub customers: Vec<Customer>,
    /// True when a further page may exist.
    pub more: bool,
}

/// Teamleader Focus, as the use-cases need it.
#[async_trait]
pub trait Source: Send + Sync {
    /// Departments of the account.
    async fn departments(&self) -> Result<Vec<Department>, ExternalError>;
    /// Tax rates (all departments).
    async fn tax_rates(&self) -> Result<Vec<TaxRate>, ExternalError>;
    /// Product categories with their ledger accounts.
    async fn product_categories(&self) -> Result<Vec<ProductCategory>, ExternalError>;
    /// One page of booked documents (never drafts), oldest number first.
    async fn booked_documents(
        &self,
        query: &DocumentQuery,
    ) -> Result<Vec<DocumentSummary>, ExternalError>;
    /// One document with its lines.
    async fn document(
        &self,
        kind: DocumentKind,
        id: &DocumentId,
    ) -> Result<SalesDocument, ExternalError>;
    /// The document rendered as a file.
    async fn document_file(
        &self,
        kind: DocumentKind,
        id: &DocumentId,
        format: FileFormat,
    ) -> Result<DocumentFile, ExternalError>;
    /// Customers by reference, in as few calls as the API allows. Unknown ones are left out.
    async fn customers(&self, refs: &[CustomerRef]) -> Result<Vec<Customer>, ExternalError>;
    /// Look companies up.
    async fn find_companies(
        &self,
        query: &CompanyQuery,
        page: u32,
    ) -> Result<CustomerPage, ExternalError>;
    /// Create a company; returns its id.
    async fn add_company(&self, company: &NewCompany) -> Result<String, ExternalError>;
    /// Change a company.
    async fn update_company(&self, id: &str, update: &CompanyUpdate) -> Result<(), ExternalError>;
    /// Every contact of the account, a page of 100 at a time (1-based `page`), with its
    /// external id: the company import matches private customers against them.
    async fn list_contacts(&self, page: u32) -> Result<CustomerPage, ExternalError>;
    /// Create a contact (a private customer the company import brings); returns its id.
    /// Sent once: a lost answer is an unknown outcome, never a second contact.
    async fn add_contact(&self, contact: &NewContact) -> Result<String, ExternalError>;
    /// Write the ledger's customer number to a contact's external-id custom field (created
    /// when the account has none yet).
    async fn set_contact_external_id(
        &self,
        id: &str,
        external_id: &str,
    ) -> Result<(), ExternalError>;
    /// What in Teamleader refers to a company (invoices, credit notes, deals, contacts):
    /// asked before Koppel removes a duplicate its own import created.
    async fn company_references(&self, id: &str) -> Result<CompanyReferences, ExternalError>;
    /// Remove a company (only ever a duplicate Koppel's import created that nothing refers to).
    async fn delete_company(&self, id: &str) -> Result<(), ExternalError>;
    /// The language of the account's user Koppel acts for ("nl", "fr", "en", …), for texts
    /// Koppel writes into Teamleader (the import tag).
    async fn account_language(&self) -> Result<Option<String>, ExternalError>;
    /// Register a payment on an invoice.
    async fn register_payment(
        &self,
        invoice: &DocumentId,
        payment: &Payment,
    ) -> Result<(), ExternalError>;
}

/// What refers to a Teamleader company: a company with any of these is never removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompanyReferences {
    /// It has invoices.
    pub invoices: bool,
    /// It has credit notes.
    pub credit_notes: bool,
    /// It has deals.
    pub deals: bool,
    /// Contacts are linked to it.
    pub contacts: bool,
}

impl CompanyReferences {
    /// True when anything refers to the company.
    pub fn any(&self) -> bool {
        self.invoices || self.credit_notes || self.deals || self.contacts
    }

    /// What refers to it, for people ("invoices, a deal").
    pub fn describe(&self) -> String {
        [
            (self.invoices, "invoices"),
            (self.credit_notes, "credit notes"),
            (self.deals, "deals"),
            (self.contacts, "linked contacts"),
        ]
        .iter()
        .filter(|(present, _)| *present)
        .map(|(_, what)| *what)
        .collect::<Vec<_>>()
        .join(", ")
    }
}
