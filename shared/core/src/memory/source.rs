//! A Teamleader account in memory, for unit tests of the jobs: documents listed the way the
//! [`Source`] contract says (booked only, oldest number first, page by page, filtered on
//! department, kind, change and date), customers, and a clock that moves with every call so a
//! test can run a job against a deadline without any real time passing.

use super::{ManualClock, lock};
use crate::{
    CompanyQuery, CompanyReferences, CompanyUpdate, Customer, CustomerKind, CustomerPage,
    CustomerRef, Department, DocumentFile, DocumentId, DocumentKind, DocumentQuery,
    DocumentSummary, ExternalError, FileFormat, NewCompany, NewContact, Payment, ProductCategory,
    SalesDocument, Source, TaxRate,
};
use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Companies (contacts) per page of `find_companies` (`list_contacts`), as Teamleader's
/// largest page.
const CUSTOMER_PAGE: usize = 100;

/// The name the in-memory source reports in errors.
pub const IN_MEMORY_SOURCE: &str = "In-memory Teamleader";

#[derive(Debug, Default)]
struct SourceState {
    documents: BTreeMap<DocumentId, SalesDocument>,
    customers: HashMap<CustomerRef, Customer>,
    departments: Vec<Department>,
    tax_rates: Vec<TaxRate>,
    categories: Vec<ProductCategory>,
    payments: Vec<(DocumentId, Payment)>,
    /// The next listing calls fail with these errors.
    listing_faults: VecDeque<ExternalError>,
    /// The next payment registrations: `true` registers and then loses the answer, `false`
    /// loses the request before it is registered.
    payment_faults: VecDeque<bool>,
    /// The account's language.
    language: Option<String>,
    /// Tags of the companies and contacts added through the port, by id.
    tags: HashMap<String, Vec<String>>,
    /// Phone numbers of the companies and contacts added through the port, by id.
    phones: HashMap<String, String>,
    /// Deals and linked contacts per company id (invoices and credit notes are read from the
    /// documents).
    other_references: HashMap<String, CompanyReferences>,
    calls: u32,
}

/// A Teamleader account in memory.
#[derive(Debug, Default)]
pub struct InMemorySource {
    state: Mutex<SourceState>,
    /// Every call moves this clock on by this much (a call's time on the wire).
    call_time: Option<(Arc<ManualClock>, Duration)>,
}

impl InMemorySource {
    /// An empty account.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every call moves `clock` on by `each`.
    pub fn with_call_time(mut self, clock: Arc<ManualClock>, each: Duration) -> Self {
        self.call_time = Some((clock, each));
        self
    }

    /// Add or replace a document.
    pub fn put_document(&self, document: SalesDocument) {
        lock(&self.state)
            .documents
            .insert(document.id.clone(), document);
    }

    /// Remove a document (someone deleted it in Teamleader).
    pub fn remove_document(&self, id: &DocumentId) {
        lock(&self.state).documents.remove(id);
    }

    /// Change a document in place.
    pub fn edit_document(&self, id: &DocumentId, edit: impl FnOnce(&mut SalesDocument)) {
        if let Some(document) = lock(&self.state).documents.get_mut(id) {
            edit(document);
        }
    }

    /// Add or replace a department (the seller of structured documents).
    pub fn put_department(&self, department: Department) {
        let mut state = lock(&self.state);
        state.departments.retain(|d| d.id != department.id);
        state.departments.push(department);
    }

    /// Add or replace a customer.
    pub fn put_customer(&self, customer: Customer) {
        lock(&self.state)
            .customers
            .insert(customer.reference.clone(), customer);
    }

    /// Set the product categories.
    pub fn set_categories(&self, categories: Vec<ProductCategory>) {
        lock(&self.state).categories = categories;
    }

    /// The next listing calls fail with these errors, in order.
    pub fn fault_listings(&self, errors: impl IntoIterator<Item = ExternalError>) {
        lock(&self.state).listing_faults.extend(errors);
    }

    /// The next payment registrations lose their answer: after registering (`true`) or
    /// before (`false`), in order.
    pub fn fault_payments(&self, after_registering: impl IntoIterator<Item = bool>) {
        lock(&self.state).payment_faults.extend(after_registering);
    }

    /// Companies of the account, by id.
    pub fn companies(&self) -> Vec<Customer> {
        let state = lock(&self.state);
        Self::sorted_of_kind(&state, CustomerKind::Company)
            .into_iter()
            .cloned()
            .collect()
    }

    /// Contacts of the account, by id.
    pub fn contacts(&self) -> Vec<Customer> {
        let state = lock(&self.state);
        Self::sorted_of_kind(&state, CustomerKind::Contact)
            .into_iter()
            .cloned()
            .collect()
    }

    /// The phone number a company or contact was added with through the port.
    pub fn phone_of(&self, id: &str) -> Option<String> {
        lock(&self.state).phones.get(id).cloned()
    }

    /// Customers of one kind, by id.
    fn sorted_of_kind(state: &SourceState, kind: CustomerKind) -> Vec<&Customer> {
        let mut found: Vec<&Customer> = state
            .customers
            .values()
            .filter(|c| c.reference.kind == kind)
            .collect();
        found.sort_by(|a, b| a.reference.id.cmp(&b.reference.id));
        found
    }

    /// Page `page` (1-based) of `customers`.
    fn page_of(customers: Vec<&Customer>, page: u32) -> CustomerPage {
        let start = (page.max(1) as usize - 1) * CUSTOMER_PAGE;
        CustomerPage {
            more: customers.len() > start + CUSTOMER_PAGE,
            customers: customers
                .into_iter()
                .skip(start)
                .take(CUSTOMER_PAGE)
                .cloned()
                .collect(),
        }
    }

    /// The tags a company or contact was added with through the port.
    pub fn tags_of(&self, company: &str) -> Vec<String> {
        lock(&self.state)
            .tags
            .get(company)
            .cloned()
            .unwrap_or_default()
    }

    /// Deals and contacts that refer to a company (invoices and credit notes are seen in the
    /// documents).
    pub fn set_references(&self, company: &str, references: CompanyReferences) {
        lock(&self.state)
            .other_references
            .insert(company.to_owned(), references);
    }

    /// The account's language ("nl", "fr", …).
    pub fn set_language(&self, language: &str) {
        lock(&self.state).language = Some(language.to_owned());
    }

    /// Calls answered so far.
    pub fn calls(&self) -> u32 {
        lock(&self.state).calls
    }

    /// Payments registered so far.
    pub fn payments(&self) -> Vec<(DocumentId, Payment)> {
        lock(&self.state).payments.clone()
    }

    fn call(&self) {
        lock(&self.state).calls += 1;
        if let Some((clock, each)) = &self.call_time {
            clock.advance(*each);
        }
    }

    fn summary(document: &SalesDocument) -> DocumentSummary {
        DocumentSummary {
            id: document.id.clone(),
            kind: document.kind,
            number: document.number.clone(),
            status: document.status,
            department_id: document.department_id.clone(),
            customer: document.customer.clone(),
            date: document.date,
            total_incl: document.total_incl.clone(),
            paid: document.paid,
            amount_due: (document.kind == DocumentKind::Invoice).then(|| {
                let paid: rust_decimal::Decimal =
                    document.payments.iter().map(|p| p.amount.amount).sum();
                (document.total_incl.amount - paid).max(rust_decimal::Decimal::ZERO)
            }),
            updated_at: document.updated_at,
        }
    }

    fn not_found(what: String) -> ExternalError {
        ExternalError::NotFound {
            system: IN_MEMORY_SOURCE,
            what,
        }
    }
}

#[async_trait]
impl Source for InMemorySource {
    async fn departments(&self) -> Result<Vec<Department>, ExternalError> {
        self.call();
        Ok(lock(&self.state).departments.clone())
    }

    async fn tax_rates(&self) -> Result<Vec<TaxRate>, ExternalError> {
        self.call();
        Ok(lock(&self.state).tax_rates.clone())
    }

    async fn product_categories(&self) -> Result<Vec<ProductCategory>, ExternalError> {
        self.call();
        Ok(lock(&self.state).categories.clone())
    }

    async fn booked_documents(
        &self,
        query: &DocumentQuery,
    ) -> Result<Vec<DocumentSummary>, ExternalError> {
        self.call();
        let mut state = lock(&self.state);
        if let Some(error) = state.listing_faults.pop_front() {
            return Err(error);
        }
        let mut listed: Vec<&SalesDocument> = state
            .documents
            .values()
            .filter(|d| query.ids.is_empty() || query.ids.contains(&d.id))
            .filter(|d| d.kind == query.kind && d.status.is_booked())
            .filter(|d| {
                query
                    .department_id
                    .as_ref()
                    .is_none_or(|dep| &d.department_id == dep)
            })
            .filter(|d| {
                query
                    .updated_since
                    .is_none_or(|since| d.updated_at >= since)
            })
            .filter(|d| query.date_from.is_none_or(|from| d.date >= from))
            .collect();
        listed.sort_by(|a, b| a.number.cmp(&b.number));
        let size = query.page_size.max(1) as usize;
        let skip = (query.page.max(1) as usize - 1) * size;
        Ok(listed
            .into_iter()
            .skip(skip)
            .take(size)
            .map(Self::summary)
            .collect())
    }

    async fn document(
        &self,
        kind: DocumentKind,
        id: &DocumentId,
    ) -> Result<SalesDocument, ExternalError> {
        self.call();
        lock(&self.state)
            .documents
            .get(id)
            .filter(|d| d.kind == kind)
            .cloned()
            .ok_or_else(|| Self::not_found(format!("{kind} {id}")))
    }

    async fn document_file(
        &self,
        kind: DocumentKind,
        id: &DocumentId,
        format: FileFormat,
    ) -> Result<DocumentFile, ExternalError> {
        self.call();
        let state = lock(&self.state);
        let document = state
            .documents
            .get(id)
            .filter(|d| d.kind == kind)
            .ok_or_else(|| Self::not_found(format!("{kind} {id}")))?;
        let number = document.number.clone().unwrap_or_default();
        let extension = match format {
            FileFormat::Pdf => "pdf",
            FileFormat::UblEfff | FileFormat::UblPeppolBis3 => "xml",
        };
        Ok(DocumentFile {
            file_name: format!("{}.{extension}", number.replace([' ', '/'], "")),
            format,
            bytes: format!("{kind} {number}").into_bytes(),
        })
    }

    async fn customers(&self, refs: &[CustomerRef]) -> Result<Vec<Customer>, ExternalError> {
        self.call();
        let state = lock(&self.state);
        Ok(refs
            .iter()
            .filter_map(|r| state.customers.get(r).cloned())
            .collect())
    }

    /// 100 companies a page, in id order.
    async fn find_companies(
        &self,
        query: &CompanyQuery,
        page: u32,
    ) -> Result<CustomerPage, ExternalError> {
        self.call();
        let state = lock(&self.state);
        let companies: Vec<&Customer> = Self::sorted_of_kind(&state, CustomerKind::Company)
            .into_iter()
            .filter(|c| match query {
                CompanyQuery::All => true,
                CompanyQuery::VatNumber(vat) => {
                    c.vat_number.as_ref().is_some_and(|v| v.as_str() == vat)
                }
                CompanyQuery::Term(term) => c.name.to_lowercase().contains(&term.to_lowercase()),
                CompanyQuery::Tagged(tag) => state
                    .tags
                    .get(&c.reference.id)
                    .is_some_and(|tags| tags.contains(tag)),
            })
            .collect();
        Ok(Self::page_of(companies, page))
    }

    /// 100 contacts a page, in id order.
    async fn list_contacts(&self, page: u32) -> Result<CustomerPage, ExternalError> {
        self.call();
        let state = lock(&self.state);
        Ok(Self::page_of(
            Self::sorted_of_kind(&state, CustomerKind::Contact),
            page,
        ))
    }

    async fn add_contact(&self, contact: &NewContact) -> Result<String, ExternalError> {
        self.call();
        let mut state = lock(&self.state);
        let id = format!("contact-new-{:05}", state.customers.len() + 1);
        let reference = CustomerRef::contact(id.clone());
        state.tags.insert(id.clone(), contact.tags.clone());
        if let Some(phone) = &contact.phone {
            state.phones.insert(id.clone(), phone.clone());
        }
        state.customers.insert(
            reference.clone(),
            Customer {
                reference,
                name: contact.name.full(),
                vat_number: None,
                enterprise_number: None,
                addresses: contact.address.clone().into_iter().collect(),
                emails: contact.email.clone().into_iter().collect(),
                external_id: contact.external_id.clone(),
                language: contact.language.clone(),
            },
        );
        Ok(id)
    }

    async fn set_contact_external_id(
        &self,
        id: &str,
        external_id: &str,
    ) -> Result<(), ExternalError> {
        self.call();
        let mut state = lock(&self.state);
        let customer = state
            .customers
            .get_mut(&CustomerRef::contact(id))
            .ok_or_else(|| Self::not_found(format!("contact {id}")))?;
        customer.external_id = Some(external_id.to_owned());
        Ok(())
    }

    async fn add_company(&self, company: &NewCompany) -> Result<String, ExternalError> {
        self.call();
        let mut state = lock(&self.state);
        let id = format!("company-new-{:05}", state.customers.len() + 1);
        let reference = CustomerRef::company(id.clone());
        state.tags.insert(id.clone(), company.tags.clone());
        if let Some(phone) = &company.phone {
            state.phones.insert(id.clone(), phone.clone());
        }
        state.customers.insert(
            reference.clone(),
            Customer {
                reference,
                name: company.name.clone(),
                vat_number: company
                    .vat_number
                    .as_deref()
                    .and_then(|v| crate::vat::parse_vat(v).ok()),
                enterprise_number: None,
                addresses: company.address.clone().into_iter().collect(),
                emails: company.email.clone().into_iter().collect(),
                external_id: company.external_id.clone(),
                language: None,
            },
        );
        Ok(id)
    }

    async fn update_company(&self, id: &str, update: &CompanyUpdate) -> Result<(), ExternalError> {
        self.call();
        let mut state = lock(&self.state);
        let customer = state
            .customers
            .get_mut(&CustomerRef::company(id))
            .ok_or_else(|| Self::not_found(format!("company {id}")))?;
        if let Some(name) = &update.name {
            customer.name = name.clone();
        }
        if let Some(external_id) = &update.external_id {
            customer.external_id = Some(external_id.clone());
        }
        Ok(())
    }

    async fn company_references(&self, id: &str) -> Result<CompanyReferences, ExternalError> {
        self.call();
        let state = lock(&self.state);
        let customer = CustomerRef::company(id);
        let of_kind = |kind: DocumentKind| {
            state
                .documents
                .values()
                .any(|d| d.kind == kind && d.customer == customer)
        };
        let other = state.other_references.get(id).copied().unwrap_or_default();
        Ok(CompanyReferences {
            invoices: of_kind(DocumentKind::Invoice),
            credit_notes: of_kind(DocumentKind::CreditNote),
            deals: other.deals,
            contacts: other.contacts,
        })
    }

    async fn delete_company(&self, id: &str) -> Result<(), ExternalError> {
        self.call();
        let mut state = lock(&self.state);
        state
            .customers
            .remove(&CustomerRef::company(id))
            .map(|_| ())
            .ok_or_else(|| Self::not_found(format!("company {id}")))
    }

    async fn account_language(&self) -> Result<Option<String>, ExternalError> {
        self.call();
        Ok(lock(&self.state).language.clone())
    }

    async fn register_payment(
        &self,
        invoice: &DocumentId,
        payment: &Payment,
    ) -> Result<(), ExternalError> {
        self.call();
        let mut state = lock(&self.state);
        let fault = state.payment_faults.pop_front();
        if fault == Some(false) {
            return Err(ExternalError::OutcomeUnknown {
                system: IN_MEMORY_SOURCE,
                detail: "the connection dropped while sending".into(),
            });
        }
        let document = state
            .documents
            .get_mut(invoice)
            .filter(|d| d.kind == DocumentKind::Invoice)
            .ok_or_else(|| Self::not_found(format!("invoice {invoice}")))?;
        document.payments.push(payment.clone());
        let paid: rust_decimal::Decimal = document.payments.iter().map(|p| p.amount.amount).sum();
        document.paid = paid >= document.total_incl.amount;
        state.payments.push((invoice.clone(), payment.clone()));
        if fault == Some(true) {
            return Err(ExternalError::OutcomeUnknown {
                system: IN_MEMORY_SOURCE,
                detail: "the answer was lost after registering".into(),
            });
        }
        Ok(())
    }
}
