//! [`koppel_core::Source`] for Teamleader Focus: the use-cases' view of the client.

use crate::client::CreateField;
use crate::common::{CustomFieldInput, Email, OutgoingAmount, Page, Telephone};
use crate::companies::{
    AddCompanyRequest, AddressInput, CompanyFilter, CompanyListRequest, TypedAddressInput,
    UpdateCompanyRequest,
};
use crate::contacts::{AddContactRequest, ContactFilter, ContactListRequest, UpdateContactRequest};
use crate::credit_notes::{CreditNoteFileFormat, CreditNoteListRequest};
use crate::departments::DepartmentListRequest;
use crate::invoices::{InvoiceFileFormat, InvoiceListRequest, RegisterPaymentRequest};
use crate::product_categories::ProductCategoryListRequest;
use crate::{SYSTEM, TeamleaderClient, client::format_datetime, mapping};
use async_trait::async_trait;
use koppel_core::{
    Address, CompanyQuery, CompanyReferences, CompanyUpdate, Customer, CustomerKind, CustomerPage,
    CustomerRef, Department, DocumentFile, DocumentId, DocumentKind, DocumentQuery,
    DocumentSummary, ExternalError, FileFormat, NewCompany, NewContact, Payment, ProductCategory,
    SalesDocument, Source, TaxRate,
};
use std::collections::{HashMap, HashSet};

/// Most ids Teamleader accepts in one `filter.ids`.
pub const IDS_PER_CALL: usize = 100;

/// The request body for one page of booked documents of `query` (pure, for tests).
pub fn invoice_list_request(query: &DocumentQuery) -> InvoiceListRequest {
    let mut request = InvoiceListRequest::booked(
        query.department_id.as_ref().map(|id| id.as_str()),
        query.updated_since,
        query.date_from,
        Page::new(query.page, query.page_size),
    );
    request.filter.ids = query.ids.iter().map(|id| id.as_str().to_owned()).collect();
    request
}

/// The request body for one page of booked credit notes of `query` (pure, for tests).
pub fn credit_note_list_request(query: &DocumentQuery) -> CreditNoteListRequest {
    let mut request = CreditNoteListRequest::booked(
        query.department_id.as_ref().map(|id| id.as_str()),
        query.updated_since,
        query.date_from,
        Page::new(query.page, query.page_size),
    );
    request.filter.ids = query.ids.iter().map(|id| id.as_str().to_owned()).collect();
    request
}

/// The companies.list body for one page of a company query (pure, for tests).
pub fn company_query_request(query: &CompanyQuery, page: u32) -> CompanyListRequest {
    let filter = match query {
        CompanyQuery::VatNumber(vat) => CompanyFilter {
            vat_number: Some(vat.clone()),
            ..CompanyFilter::default()
        },
        CompanyQuery::Term(term) => CompanyFilter {
            term: Some(term.clone()),
            ..CompanyFilter::default()
        },
        CompanyQuery::All => CompanyFilter::default(),
        CompanyQuery::Tagged(tag) => CompanyFilter {
            tags: vec![tag.clone()],
            ..CompanyFilter::default()
        },
    };
    CompanyListRequest::new(filter, Page::new(page, Page::MAX_SIZE))
}

/// The companies.add body for a new company (pure, for tests); `external_id_field` is the id
/// of the external-id custom field (required when the company has an external id).
pub fn add_company_request(
    company: &NewCompany,
    external_id_field: Option<&str>,
) -> AddCompanyRequest {
    AddCompanyRequest {
        name: company.name.trim().to_owned(),
        vat_number: company
            .vat_number
            .clone()
            .filter(|vat| !vat.trim().is_empty()),
        emails: primary_email(company.email.as_deref()),
        telephones: Telephone::phone(company.phone.as_deref()),
        addresses: primary_address(company.address.as_ref()),
        tags: company.tags.clone(),
        custom_fields: external_id_input(company.external_id.as_deref(), external_id_field),
    }
}

/// The contacts.add body for a private customer (pure, for tests); `external_id_field` is
/// the id of the contacts' external-id custom field.
pub fn add_contact_request(
    contact: &NewContact,
    external_id_field: Option<&str>,
) -> AddContactRequest {
    AddContactRequest {
        first_name: contact
            .name
            .first_name
            .as_deref()
            .map(str::trim)
            .filter(|first| !first.is_empty())
            .map(str::to_owned),
        last_name: contact.name.last_name.trim().to_owned(),
        emails: primary_email(contact.email.as_deref()),
        telephones: Telephone::phone(contact.phone.as_deref()),
        addresses: primary_address(contact.address.as_ref()),
        language: contact
            .language
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_lowercase),
        tags: contact.tags.clone(),
        custom_fields: external_id_input(contact.external_id.as_deref(), external_id_field),
    }
}

/// A trimmed, non-empty e-mail address as the one primary address.
fn primary_email(email: Option<&str>) -> Vec<Email> {
    email
        .map(str::trim)
        .filter(|email| !email.is_empty())
        .map(|email| Email {
            kind: "primary".to_owned(),
            email: email.to_owned(),
        })
        .into_iter()
        .collect()
}

/// An address as the primary one, when it has the country Teamleader requires.
fn primary_address(address: Option<&Address>) -> Vec<TypedAddressInput> {
    address
        .and_then(|address| {
            let country = address
                .country
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())?;
            Some(TypedAddressInput {
                kind: "primary".to_owned(),
                address: AddressInput {
                    line_1: address.line_1.clone(),
                    postal_code: address.postal_code.clone(),
                    city: address.city.clone(),
                    country: country.to_ascii_uppercase(),
                },
            })
        })
        .into_iter()
        .collect()
}

/// The companies.update body (pure, for tests); `None` when there is nothing to change.
pub fn update_company_request(
    id: &str,
    update: &CompanyUpdate,
    external_id_field: Option<&str>,
) -> Option<UpdateCompanyRequest> {
    let request = UpdateCompanyRequest {
        id: id.to_owned(),
        name: update.name.clone(),
        vat_number: update.vat_number.clone(),
        custom_fields: external_id_input(update.external_id.as_deref(), external_id_field),
    };
    (request.name.is_some() || request.vat_number.is_some() || !request.custom_fields.is_empty())
        .then_some(request)
}

fn external_id_input(value: Option<&str>, field: Option<&str>) -> Vec<CustomFieldInput> {
    match (value, field) {
        (Some(value), Some(field)) => vec![CustomFieldInput {
            id: field.to_owned(),
            value: value.to_owned(),
        }],
        _ => Vec::new(),
    }
}

/// The companies.list body fetching up to [`IDS_PER_CALL`] companies by id (pure, for tests).
pub fn company_batch_request(ids: &[String]) -> CompanyListRequest {
    let filter = CompanyFilter {
        ids: ids.to_vec(),
        ..CompanyFilter::default()
    };
    CompanyListRequest::new(filter, Page::new(1, Page::MAX_SIZE))
}

/// The contacts.list body fetching up to [`IDS_PER_CALL`] contacts by id (pure, for tests).
pub fn contact_batch_request(ids: &[String]) -> ContactListRequest {
    let filter = ContactFilter {
        ids: ids.to_vec(),
        ..ContactFilter::default()
    };
    ContactListRequest::new(filter, Page::new(1, Page::MAX_SIZE))
}

/// The invoices.registerPayment body (pure, for tests).
pub fn register_payment_request(invoice: &DocumentId, payment: &Payment) -> RegisterPaymentRequest {
    RegisterPaymentRequest {
        id: invoice.as_str().to_owned(),
        payment: OutgoingAmount {
            amount: payment.amount.amount,
            currency: payment.amount.currency.0.clone(),
        },
        paid_at: format_datetime(payment.paid_at),
        payment_method_id: None,
    }
}

/// "2026 / 17" → "2026-17": a file name stem without spaces or slashes.
pub fn file_stem(number: &str) -> String {
    let mut stem = String::new();
    for c in number.chars() {
        if c.is_ascii_alphanumeric() {
            stem.push(c);
        } else if !stem.ends_with('-') && !stem.is_empty() {
            stem.push('-');
        }
    }
    stem.trim_end_matches('-').to_owned()
}

fn dedup_ids(refs: &[CustomerRef], kind: CustomerKind) -> Vec<String> {
    let mut seen = HashSet::new();
    refs.iter()
        .filter(|reference| reference.kind == kind)
        .filter(|reference| seen.insert(reference.id.clone()))
        .map(|reference| reference.id.clone())
        .collect()
}

impl TeamleaderClient {
    /// Every booked document of `query` from `query.page` on, page by page until a short page
    /// (drafts never included).
    pub async fn all_booked_documents(
        &self,
        query: &DocumentQuery,
    ) -> Result<Vec<DocumentSummary>, ExternalError> {
        let mut all = Vec::new();
        let page_size = Page::new(query.page, query.page_size).size;
        let mut query = DocumentQuery {
            ids: Vec::new(),
            page_size,
            ..query.clone()
        };
        loop {
            let (page, raw_len) = self.booked_page(&query).await?;
            all.extend(page);
            if raw_len < page_size as usize {
                return Ok(all);
            }
            query.page += 1;
        }
    }

    /// One page: the booked summaries and how many items the API returned before drafts were
    /// dropped (a page is short only by the API's count).
    async fn booked_page(
        &self,
        query: &DocumentQuery,
    ) -> Result<(Vec<DocumentSummary>, usize), ExternalError> {
        let summaries: Vec<DocumentSummary>;
        let raw_len;
        match query.kind {
            DocumentKind::Invoice => {
                let items = self.invoices().list(&invoice_list_request(query)).await?;
                raw_len = items.len();
                summaries = items
                    .iter()
                    .enumerate()
                    .filter_map(|(index, item)| mapping::invoice_summary(index, item).transpose())
                    .collect::<Result<_, _>>()?;
            }
            DocumentKind::CreditNote => {
                let items = self
                    .credit_notes()
                    .list(&credit_note_list_request(query))
                    .await?;
                raw_len = items.len();
                summaries = items
                    .iter()
                    .enumerate()
                    .filter_map(|(index, item)| {
                        mapping::credit_note_summary(index, item).transpose()
                    })
                    .collect::<Result<_, _>>()?;
            }
        }
        if summaries.len() < raw_len {
            tracing::warn!(
                dropped = raw_len - summaries.len(),
                kind = query.kind.as_str(),
                "Teamleader listed documents that are not booked; they are left out"
            );
        }
        // The numbers of the page just listed replace the previous page's: the cache stays
        // the size of a page however long the export runs.
        self.forget_numbers();
        for summary in &summaries {
            self.remember_number(summary.id.as_str(), summary.number.as_deref());
        }
        Ok((summaries, raw_len))
    }

    /// Document number for a file name: remembered, else read with `.info`.
    async fn number_for_file(
        &self,
        kind: DocumentKind,
        id: &DocumentId,
    ) -> Result<Option<String>, ExternalError> {
        if let Some(number) = self.known_number(id.as_str()) {
            return Ok(Some(number));
        }
        Ok(match kind {
            DocumentKind::Invoice => self.invoices().info(id.as_str()).await?.invoice_number,
            DocumentKind::CreditNote => {
                self.credit_notes()
                    .info(id.as_str())
                    .await?
                    .credit_note_number
            }
        })
    }

    async fn vat_percentages(
        &self,
    ) -> Result<HashMap<String, rust_decimal::Decimal>, ExternalError> {
        Ok(mapping::vat_percentages(&self.cached_tax_rates().await?))
    }
}

#[async_trait]
impl Source for TeamleaderClient {
    /// departments.list, then departments.info per department: only the detail gives the
    /// address a structured document needs for its seller.
    async fn departments(&self) -> Result<Vec<Department>, ExternalError> {
        let listed = self
            .departments()
            .list(&DepartmentListRequest::default())
            .await?;
        let mut departments = Vec::with_capacity(listed.len());
        for department in &listed {
            let detail = self.departments().info(&department.id).await?;
            departments.push(mapping::department(&detail));
        }
        Ok(departments)
    }

    async fn tax_rates(&self) -> Result<Vec<TaxRate>, ExternalError> {
        Ok(self
            .cached_tax_rates()
            .await?
            .iter()
            .map(mapping::tax_rate)
            .collect())
    }

    async fn product_categories(&self) -> Result<Vec<ProductCategory>, ExternalError> {
        let categories = self
            .product_categories()
            .list(&ProductCategoryListRequest::default())
            .await?;
        Ok(categories.iter().map(mapping::product_category).collect())
    }

    async fn booked_documents(
        &self,
        query: &DocumentQuery,
    ) -> Result<Vec<DocumentSummary>, ExternalError> {
        Ok(self.booked_page(query).await?.0)
    }

    async fn document(
        &self,
        kind: DocumentKind,
        id: &DocumentId,
    ) -> Result<SalesDocument, ExternalError> {
        let document = match kind {
            DocumentKind::Invoice => {
                let invoice = self.invoices().info(id.as_str()).await?;
                mapping::invoice_document(&invoice, &self.vat_percentages().await?)?
            }
            DocumentKind::CreditNote => {
                let note = self.credit_notes().info(id.as_str()).await?;
                mapping::credit_note_document(&note, &self.vat_percentages().await?)?
            }
        };
        self.remember_number(document.id.as_str(), document.number.as_deref());
        Ok(document)
    }

    async fn document_file(
        &self,
        kind: DocumentKind,
        id: &DocumentId,
        format: FileFormat,
    ) -> Result<DocumentFile, ExternalError> {
        let wire_format = match (kind, format) {
            (DocumentKind::Invoice, FileFormat::Pdf) => InvoiceFileFormat::Pdf,
            (DocumentKind::Invoice, FileFormat::UblEfff) => InvoiceFileFormat::UblEfff,
            (DocumentKind::Invoice, FileFormat::UblPeppolBis3) => InvoiceFileFormat::UblPeppolBis3,
            (DocumentKind::CreditNote, FileFormat::Pdf) => {
                return self
                    .credit_note_file(id, CreditNoteFileFormat::Pdf, format)
                    .await;
            }
            (DocumentKind::CreditNote, FileFormat::UblEfff) => {
                return self
                    .credit_note_file(id, CreditNoteFileFormat::UblEfff, format)
                    .await;
            }
            (DocumentKind::CreditNote, FileFormat::UblPeppolBis3) => {
                return Err(ExternalError::Unsupported {
                    system: SYSTEM,
                    what: "Peppol BIS 3 files of credit notes (use UBL e-FFF or PDF)",
                });
            }
        };
        let download = self.invoices().download(id.as_str(), wire_format).await?;
        let bytes = self
            .fetch_file(&download.location, "invoices.download file")
            .await?;
        self.named_file(kind, id, format, bytes).await
    }

    async fn customers(&self, refs: &[CustomerRef]) -> Result<Vec<Customer>, ExternalError> {
        let company_ids = dedup_ids(refs, CustomerKind::Company);
        let contact_ids = dedup_ids(refs, CustomerKind::Contact);
        if company_ids.is_empty() && contact_ids.is_empty() {
            return Ok(Vec::new());
        }
        let fields = self.external_id_fields(CreateField::None).await?;
        let mut found: HashMap<CustomerRef, Customer> = HashMap::new();
        for chunk in company_ids.chunks(IDS_PER_CALL) {
            for company in self.companies().list(&company_batch_request(chunk)).await? {
                let customer = mapping::company_customer(&company, fields.company.as_deref());
                found.insert(customer.reference.clone(), customer);
            }
        }
        for chunk in contact_ids.chunks(IDS_PER_CALL) {
            for contact in self.contacts().list(&contact_batch_request(chunk)).await? {
                let customer = mapping::contact_customer(&contact, fields.contact.as_deref());
                found.insert(customer.reference.clone(), customer);
            }
        }
        let mut seen = HashSet::new();
        Ok(refs
            .iter()
            .filter(|reference| seen.insert((*reference).clone()))
            .filter_map(|reference| found.remove(reference))
            .collect())
    }

    async fn find_companies(
        &self,
        query: &CompanyQuery,
        page: u32,
    ) -> Result<CustomerPage, ExternalError> {
        let request = company_query_request(query, page);
        let companies = self.companies().list(&request).await?;
        let more = companies.len() >= request.page.size as usize;
        let fields = self.external_id_fields(CreateField::None).await?;
        Ok(CustomerPage {
            customers: companies
                .iter()
                .map(|company| mapping::company_customer(company, fields.company.as_deref()))
                .collect(),
            more,
        })
    }

    async fn add_company(&self, company: &NewCompany) -> Result<String, ExternalError> {
        let field = match company.external_id {
            Some(_) => self.external_id_fields(CreateField::Company).await?.company,
            None => None,
        };
        self.companies()
            .add(&add_company_request(company, field.as_deref()))
            .await
    }

    async fn update_company(&self, id: &str, update: &CompanyUpdate) -> Result<(), ExternalError> {
        let field = match update.external_id {
            Some(_) => self.external_id_fields(CreateField::Company).await?.company,
            None => None,
        };
        match update_company_request(id, update, field.as_deref()) {
            Some(request) => self.companies().update(&request).await,
            None => Ok(()),
        }
    }

    async fn list_contacts(&self, page: u32) -> Result<CustomerPage, ExternalError> {
        let request =
            ContactListRequest::new(ContactFilter::default(), Page::new(page, Page::MAX_SIZE));
        let contacts = self.contacts().list(&request).await?;
        let more = contacts.len() >= request.page.size as usize;
        let fields = self.external_id_fields(CreateField::None).await?;
        Ok(CustomerPage {
            customers: contacts
                .iter()
                .map(|contact| mapping::contact_customer(contact, fields.contact.as_deref()))
                .collect(),
            more,
        })
    }

    async fn add_contact(&self, contact: &NewContact) -> Result<String, ExternalError> {
        let field = match contact.external_id {
            Some(_) => self.external_id_fields(CreateField::Contact).await?.contact,
            None => None,
        };
        self.contacts()
            .add(&add_contact_request(contact, field.as_deref()))
            .await
    }

    async fn set_contact_external_id(
        &self,
        id: &str,
        external_id: &str,
    ) -> Result<(), ExternalError> {
        let field = self.external_id_fields(CreateField::Contact).await?.contact;
        let request = UpdateContactRequest {
            id: id.to_owned(),
            custom_fields: external_id_input(Some(external_id), field.as_deref()),
        };
        self.contacts().update(&request).await
    }

    /// Four one-item list calls: invoices, credit notes and deals of the company, contacts
    /// linked to it.
    async fn company_references(&self, id: &str) -> Result<CompanyReferences, ExternalError> {
        let customer = Some(crate::common::TypeAndId {
            kind: "company".to_owned(),
            id: id.to_owned(),
        });
        let one = Page::new(1, 1);
        let invoices = self
            .invoices()
            .list(&InvoiceListRequest {
                filter: crate::invoices::InvoiceFilter {
                    customer: customer.clone(),
                    ..Default::default()
                },
                page: one,
                sort: Vec::new(),
            })
            .await?;
        let credit_notes = self
            .credit_notes()
            .list(&CreditNoteListRequest {
                filter: crate::credit_notes::CreditNoteFilter {
                    customer: customer.clone(),
                    ..Default::default()
                },
                page: one,
            })
            .await?;
        let deals = self
            .deals()
            .list(&crate::deals::DealListRequest {
                filter: crate::deals::DealFilter { customer },
                page: one,
            })
            .await?;
        let contacts = self
            .contacts()
            .list(&ContactListRequest::new(
                ContactFilter {
                    company_id: Some(id.to_owned()),
                    ..Default::default()
                },
                one,
            ))
            .await?;
        Ok(CompanyReferences {
            invoices: !invoices.is_empty(),
            credit_notes: !credit_notes.is_empty(),
            deals: !deals.is_empty(),
            contacts: !contacts.is_empty(),
        })
    }

    async fn delete_company(&self, id: &str) -> Result<(), ExternalError> {
        self.companies().delete(id).await
    }

    async fn account_language(&self) -> Result<Option<String>, ExternalError> {
        Ok(self.users().me().await?.language)
    }

    async fn register_payment(
        &self,
        invoice: &DocumentId,
        payment: &Payment,
    ) -> Result<(), ExternalError> {
        self.invoices()
            .register_payment(&register_payment_request(invoice, payment))
            .await
    }
}

impl TeamleaderClient {
    async fn credit_note_file(
        &self,
        id: &DocumentId,
        wire_format: CreditNoteFileFormat,
        format: FileFormat,
    ) -> Result<DocumentFile, ExternalError> {
        let download = self
            .credit_notes()
            .download(id.as_str(), wire_format)
            .await?;
        let bytes = self
            .fetch_file(&download.location, "creditNotes.download file")
            .await?;
        self.named_file(DocumentKind::CreditNote, id, format, bytes)
            .await
    }

    async fn named_file(
        &self,
        kind: DocumentKind,
        id: &DocumentId,
        format: FileFormat,
        bytes: Vec<u8>,
    ) -> Result<DocumentFile, ExternalError> {
        let stem = self
            .number_for_file(kind, id)
            .await?
            .map(|number| file_stem(&number))
            .filter(|stem| !stem.is_empty())
            .unwrap_or_else(|| format!("{}-{}", kind.as_str(), id.as_str()));
        let extension = match format {
            FileFormat::Pdf => "pdf",
            FileFormat::UblEfff | FileFormat::UblPeppolBis3 => "xml",
        };
        Ok(DocumentFile {
            file_name: format!("{stem}.{extension}"),
            format,
            bytes,
        })
    }
}
