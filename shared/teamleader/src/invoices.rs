//! `invoices.*`: list, info, download and registerPayment.

use crate::common::{
    Amount, CustomFieldValue, Data, IdRequest, Order, OutgoingAmount, Page, PaymentTerm, Sort,
    TypeAndId, is_empty,
};
use crate::documents::{DocumentCustomer, Download, GroupedLines, Totals};
use crate::{TeamleaderClient, client::format_datetime};
use chrono::{DateTime, NaiveDate, Utc};
use koppel_core::ExternalError;
use serde::{Deserialize, Serialize};

/// Invoice status as Teamleader names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    /// Not booked: no number yet.
    Draft,
    /// Booked, not fully paid.
    Outstanding,
    /// Booked and fully paid.
    Matched,
    /// A status this client does not know (kept out of exports).
    #[serde(other)]
    Unknown,
}

/// The `filter` of invoices.list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InvoiceFilter {
    /// Only these invoices.
    #[serde(skip_serializing_if = "is_empty")]
    pub ids: Vec<String>,
    /// Only this department.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_id: Option<String>,
    /// Only these statuses (Teamleader requires an array).
    #[serde(skip_serializing_if = "is_empty")]
    pub status: Vec<InvoiceStatus>,
    /// Only invoices changed at or after this instant (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_since: Option<String>,
    /// Only invoices dated on or after this day (inclusive, YYYY-MM-DD).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_date_after: Option<String>,
    /// Only invoices dated on or before this day (inclusive, YYYY-MM-DD).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_date_before: Option<String>,
    /// Only invoices of this customer (`{ "type": "company", "id": … }`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<crate::common::TypeAndId>,
}

/// The body of invoices.list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceListRequest {
    /// Filters.
    pub filter: InvoiceFilter,
    /// Page.
    pub page: Page,
    /// Sort keys (`invoice_number` or `invoice_date`).
    #[serde(skip_serializing_if = "is_empty")]
    pub sort: Vec<Sort>,
}

impl InvoiceListRequest {
    /// Booked invoices only (outstanding and matched), oldest number first.
    pub fn booked(
        department_id: Option<&str>,
        updated_since: Option<DateTime<Utc>>,
        date_from: Option<NaiveDate>,
        page: Page,
    ) -> Self {
        Self {
            filter: InvoiceFilter {
                department_id: department_id.map(str::to_owned),
                status: vec![InvoiceStatus::Outstanding, InvoiceStatus::Matched],
                updated_since: updated_since.map(format_datetime),
                invoice_date_after: date_from.map(|d| d.to_string()),
                ..InvoiceFilter::default()
            },
            page,
            sort: vec![Sort {
                field: "invoice_number".to_owned(),
                order: Some(Order::Asc),
            }],
        }
    }
}

/// An invoice as invoices.list returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InvoiceListItem {
    /// Id.
    pub id: String,
    /// Department.
    pub department: TypeAndId,
    /// "2017 / 5"; null for drafts.
    #[serde(default)]
    pub invoice_number: Option<String>,
    /// Invoice date; null for drafts.
    #[serde(default)]
    pub invoice_date: Option<NaiveDate>,
    /// Status.
    pub status: InvoiceStatus,
    /// Due date.
    #[serde(default)]
    pub due_on: Option<NaiveDate>,
    /// Fully paid.
    #[serde(default)]
    pub paid: bool,
    /// Structured payment reference.
    #[serde(default)]
    pub payment_reference: Option<String>,
    /// Who is billed.
    #[serde(default)]
    pub invoicee: Option<DocumentCustomer>,
    /// Totals.
    pub total: Totals,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// How the customer is expected to pay (`expected_payment_method`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ExpectedPaymentMethod {
    /// sepa_direct_debit, direct_debit, credit_card, cash, cheque, bankers_draft, bank_transfer,
    /// payment_card.
    pub method: String,
    /// Mandate reference for direct debit.
    #[serde(default)]
    pub reference: Option<String>,
}

/// A payment already registered on an invoice.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InvoicePayment {
    /// When.
    pub paid_at: DateTime<Utc>,
    /// How much.
    pub payment: Amount,
}

/// An invoice as invoices.info returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Invoice {
    /// Id.
    pub id: String,
    /// Department.
    pub department: TypeAndId,
    /// "2017 / 5"; null for drafts.
    #[serde(default)]
    pub invoice_number: Option<String>,
    /// Invoice date; null for drafts.
    #[serde(default)]
    pub invoice_date: Option<NaiveDate>,
    /// Status.
    pub status: InvoiceStatus,
    /// Due date.
    #[serde(default)]
    pub due_on: Option<NaiveDate>,
    /// Fully paid.
    #[serde(default)]
    pub paid: bool,
    /// Who is billed.
    #[serde(default)]
    pub invoicee: Option<DocumentCustomer>,
    /// Lines by section.
    #[serde(default)]
    pub grouped_lines: Vec<GroupedLines>,
    /// Totals.
    pub total: Totals,
    /// Payment term.
    #[serde(default)]
    pub payment_term: Option<PaymentTerm>,
    /// Registered payments.
    #[serde(default)]
    pub payments: Vec<InvoicePayment>,
    /// Structured payment reference.
    #[serde(default)]
    pub payment_reference: Option<String>,
    /// Currency of the invoice.
    #[serde(default)]
    pub currency: Option<String>,
    /// Expected payment method.
    #[serde(default)]
    pub expected_payment_method: Option<ExpectedPaymentMethod>,
    /// Custom field values.
    #[serde(default)]
    pub custom_fields: Vec<CustomFieldValue>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// The formats invoices.download offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum InvoiceFileFormat {
    /// PDF.
    #[serde(rename = "pdf")]
    Pdf,
    /// UBL, Belgian e-FFF.
    #[serde(rename = "ubl/e-fff")]
    UblEfff,
    /// UBL, Peppol BIS 3.
    #[serde(rename = "ubl/peppol_bis_3")]
    UblPeppolBis3,
}

/// The body of invoices.download.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceDownloadRequest {
    /// Invoice id.
    pub id: String,
    /// Format.
    pub format: InvoiceFileFormat,
}

/// The body of invoices.registerPayment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisterPaymentRequest {
    /// Invoice id.
    pub id: String,
    /// Amount paid.
    pub payment: OutgoingAmount,
    /// When (ISO 8601 datetime).
    pub paid_at: String,
    /// Payment method, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_method_id: Option<String>,
}

/// Endpoints of the invoices resource (`client.invoices()`).
#[derive(Debug, Clone, Copy)]
pub struct InvoicesApi<'a> {
    pub(crate) client: &'a TeamleaderClient,
}

impl InvoicesApi<'_> {
    /// invoices.list: one page.
    pub async fn list(
        &self,
        request: &InvoiceListRequest,
    ) -> Result<Vec<InvoiceListItem>, ExternalError> {
        let page: Data<Vec<InvoiceListItem>> = self.client.call("invoices.list", request).await?;
        Ok(page.data)
    }

    /// invoices.list: every page from `request.page.number` on, until a short page.
    pub async fn list_all(
        &self,
        request: &InvoiceListRequest,
    ) -> Result<Vec<InvoiceListItem>, ExternalError> {
        let mut request = request.clone();
        let mut all = Vec::new();
        loop {
            let page = self.list(&request).await?;
            let short = page.len() < request.page.size as usize;
            all.extend(page);
            if short {
                return Ok(all);
            }
            request.page.number += 1;
        }
    }

    /// invoices.info.
    pub async fn info(&self, id: &str) -> Result<Invoice, ExternalError> {
        let invoice: Data<Invoice> = self
            .client
            .call("invoices.info", &IdRequest { id: id.to_owned() })
            .await?;
        Ok(invoice.data)
    }

    /// invoices.download: a temporary location of the rendered file.
    pub async fn download(
        &self,
        id: &str,
        format: InvoiceFileFormat,
    ) -> Result<Download, ExternalError> {
        let request = InvoiceDownloadRequest {
            id: id.to_owned(),
            format,
        };
        let download: Data<Download> = self.client.call("invoices.download", &request).await?;
        Ok(download.data)
    }

    /// invoices.registerPayment.
    pub async fn register_payment(
        &self,
        request: &RegisterPaymentRequest,
    ) -> Result<(), ExternalError> {
        self.client
            .call_once("invoices.registerPayment", request)
            .await
            .map(|_| ())
    }
}
