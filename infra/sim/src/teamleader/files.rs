//! Document files behind `invoices.download` / `creditNotes.download`: a small but real PDF,
//! or a UBL 2.1 XML (e-FFF embeds the PDF, as Belgian e-FFF files do), served from a temporary
//! location that expires like Teamleader's signed links.

use super::api::{ApiError, Ctx};
use super::model::{
    Account, Address, CreditNote, CustomerRef, Invoice, Section, booking_number, totals,
};
use super::render::{day, instant};
use super::state::{Sim, SimState, StoredFile};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use koppel_core::{DocumentKind, InvoiceParty};
use koppel_einvoice::ubl::{self, Attachment, Customization, DocumentDraft, LineDraft};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;

/// The formats Teamleader renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentFormat {
    /// `pdf`.
    Pdf,
    /// `ubl/e-fff` (Belgian e-invoicing profile).
    UblEfff,
    /// `ubl/peppol_bis_3` (invoices only).
    UblPeppol,
}

/// A rendered file before it is stored.
pub(crate) struct RenderedFile {
    content_type: &'static str,
    file_name: String,
    bytes: Vec<u8>,
}

/// What a document file shows, whatever its kind.
struct DocumentView<'a> {
    credit_note: bool,
    number: String,
    issue_date: NaiveDate,
    due_date: Option<NaiveDate>,
    currency: &'a str,
    seller: InvoiceParty,
    buyer: InvoiceParty,
    order_reference: Option<&'a str>,
    payment_reference: Option<&'a str>,
    credited_invoice: Option<String>,
    sections: &'a [Section],
    rates: HashMap<&'a str, Decimal>,
    rate_labels: HashMap<&'a str, &'a str>,
}

fn core_address(address: &Address) -> koppel_core::Address {
    koppel_core::Address {
        line_1: address.line_1.clone(),
        postal_code: address.postal_code.clone(),
        city: address.city.clone(),
        country: Some(address.country.clone()).filter(|c| !c.is_empty()),
    }
}

/// The invoicing address first, then the primary one, then any.
fn billing_address(addresses: &[Address]) -> koppel_core::Address {
    ["invoicing", "primary"]
        .iter()
        .find_map(|kind| addresses.iter().find(|a| a.kind == *kind))
        .or_else(|| addresses.first())
        .map(core_address)
        .unwrap_or_default()
}

/// The issuing department as the seller of a file.
fn seller(account: &Account, department_id: &str) -> InvoiceParty {
    account
        .departments
        .iter()
        .find(|d| d.id == department_id)
        .map(|d| InvoiceParty {
            name: d.name.clone(),
            vat_number: Some(d.vat_number.clone()).filter(|v| !v.trim().is_empty()),
            enterprise_number: None,
            address: d.address.as_ref().map(core_address).unwrap_or_default(),
            email: d.email.clone(),
        })
        .unwrap_or_default()
}

/// The customer as the buyer of a file: the name and VAT number copied onto the document,
/// the rest from the company or contact.
fn buyer(account: &Account, customer: &CustomerRef, name: &str, vat: Option<&str>) -> InvoiceParty {
    let mut party = InvoiceParty {
        name: name.to_owned(),
        vat_number: vat.map(str::to_owned).filter(|v| !v.trim().is_empty()),
        ..InvoiceParty::default()
    };
    match customer.kind.as_str() {
        "company" => {
            if let Some(company) = account.companies.get(&customer.id) {
                party.enterprise_number = company.national_identification_number.clone();
                party.address = billing_address(&company.addresses);
                party.email = ["invoicing", "primary"]
                    .iter()
                    .find_map(|kind| company.emails.iter().find(|(k, _)| k == kind))
                    .map(|(_, email)| email.clone());
            }
        }
        "contact" => {
            if let Some(contact) = account.contacts.get(&customer.id) {
                party.address = billing_address(&contact.addresses);
                party.email = contact.email.clone();
            }
        }
        _ => {}
    }
    party
}

fn rate_labels(account: &Account) -> HashMap<&str, &str> {
    account
        .tax_rates
        .iter()
        .map(|rate| (rate.id.as_str(), rate.description.as_str()))
        .collect()
}

fn invoice_view<'a>(account: &'a Account, invoice: &'a Invoice) -> DocumentView<'a> {
    DocumentView {
        credit_note: false,
        number: invoice
            .number
            .map_or_else(|| "draft".to_owned(), booking_number),
        issue_date: invoice
            .invoice_date
            .unwrap_or_else(|| invoice.created_at.date_naive()),
        due_date: invoice.due_on(),
        currency: &invoice.currency,
        seller: seller(account, &invoice.department_id),
        buyer: buyer(
            account,
            &invoice.customer,
            &invoice.invoicee_name,
            invoice.invoicee_vat_number.as_deref(),
        ),
        order_reference: invoice.purchase_order_number.as_deref(),
        payment_reference: invoice.payment_reference.as_deref(),
        credited_invoice: None,
        sections: &invoice.sections,
        rates: account.rates(),
        rate_labels: rate_labels(account),
    }
}

fn credit_note_view<'a>(account: &'a Account, note: &'a CreditNote) -> DocumentView<'a> {
    DocumentView {
        credit_note: true,
        number: booking_number(note.number),
        issue_date: note.date,
        due_date: None,
        currency: &note.currency,
        seller: seller(account, &note.department_id),
        buyer: buyer(
            account,
            &note.customer,
            &note.invoicee_name,
            note.invoicee_vat_number.as_deref(),
        ),
        order_reference: None,
        payment_reference: None,
        credited_invoice: note
            .invoice_id
            .as_ref()
            .and_then(|id| account.invoices.get(id))
            .and_then(|invoice| invoice.number)
            .map(booking_number),
        sections: &note.sections,
        rates: account.rates(),
        rate_labels: rate_labels(account),
    }
}

/// The file of an invoice in a format; a 400 when a UBL file cannot be made (no lines).
pub(crate) fn invoice_file(
    account: &Account,
    invoice: &Invoice,
    format: DocumentFormat,
) -> Result<RenderedFile, ApiError> {
    render(&invoice_view(account, invoice), format)
}

/// The file of a credit note in a format; a 400 when a UBL file cannot be made (no lines).
pub(crate) fn credit_note_file(
    account: &Account,
    note: &CreditNote,
    format: DocumentFormat,
) -> Result<RenderedFile, ApiError> {
    render(&credit_note_view(account, note), format)
}

fn render(view: &DocumentView<'_>, format: DocumentFormat) -> Result<RenderedFile, ApiError> {
    let stem = format!(
        "{}-{}",
        if view.credit_note {
            "credit-note"
        } else {
            "invoice"
        },
        view.number.replace(" / ", "-")
    );
    Ok(match format {
        DocumentFormat::Pdf => RenderedFile {
            content_type: "application/pdf",
            file_name: format!("{stem}.pdf"),
            bytes: pdf(view),
        },
        DocumentFormat::UblEfff | DocumentFormat::UblPeppol => RenderedFile {
            content_type: "application/xml",
            file_name: format!("{stem}.xml"),
            bytes: ubl(view, format, &stem)?,
        },
    })
}

/// Keep a file for a while and describe where it is: `{location, expires}`.
pub(crate) fn store(state: &mut SimState, ctx: &Ctx<'_>, file: RenderedFile) -> Value {
    let token = uuid::Uuid::new_v4().simple().to_string();
    let expires_at = ctx.now + ctx.sim.settings.download_ttl;
    state.files.retain(|_, stored| stored.expires_at > ctx.now);
    state.files.insert(
        token.clone(),
        StoredFile {
            content_type: file.content_type,
            file_name: file.file_name,
            bytes: file.bytes,
            expires_at,
        },
    );
    json!({
        "location": format!("{}/_files/{token}", ctx.sim.base_url),
        "expires": instant(expires_at),
    })
}

/// `GET /_files/{token}`: the bytes, until the link expires (then 403, like a signed URL).
pub(crate) async fn serve_file(State(sim): State<Arc<Sim>>, Path(token): Path<String>) -> Response {
    let now = sim.now();
    let state = sim.state();
    match state.files.get(&token) {
        None => (StatusCode::NOT_FOUND, "No such file").into_response(),
        Some(file) if file.expires_at <= now => {
            (StatusCode::FORBIDDEN, "Request has expired").into_response()
        }
        Some(file) => (
            [
                (header::CONTENT_TYPE, file.content_type.to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", file.file_name),
                ),
            ],
            file.bytes.clone(),
        )
            .into_response(),
    }
}

fn pdf_text(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '(' | ')' | '\\' => format!("\\{c}"),
            c if c.is_ascii() && !c.is_ascii_control() => c.to_string(),
            _ => "?".to_owned(),
        })
        .collect()
}

/// A one-page PDF 1.4 listing the document: valid structure and cross-reference table.
fn pdf(view: &DocumentView<'_>) -> Vec<u8> {
    let totals = totals(view.sections, &view.rates);
    let mut lines = vec![
        format!(
            "{} {}",
            if view.credit_note {
                "Credit note"
            } else {
                "Invoice"
            },
            view.number
        ),
        format!("Date: {}", day(view.issue_date)),
        format!(
            "From: {} ({})",
            view.seller.name,
            view.seller.vat_number.as_deref().unwrap_or_default()
        ),
        format!(
            "To: {} {}",
            view.buyer.name,
            view.buyer.vat_number.as_deref().unwrap_or_default()
        ),
        String::new(),
    ];
    for line in view.sections.iter().flat_map(|s| &s.lines) {
        lines.push(format!(
            "{} x {} @ {} {}",
            line.quantity, line.description, line.unit_price, view.currency
        ));
    }
    lines.push(String::new());
    lines.push(format!(
        "Total excl. VAT: {} {}",
        totals.exclusive, view.currency
    ));
    lines.push(format!(
        "Total incl. VAT: {} {}",
        totals.inclusive, view.currency
    ));
    let mut content = String::from("BT /F1 11 Tf 50 800 Td 14 TL\n");
    for line in &lines {
        let _ = writeln!(content, "({}) '", pdf_text(line));
    }
    content.push_str("ET\n");

    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_owned(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
    ];
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (index, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        let _ = write!(out, "{} 0 obj\n{object}\nendobj\n", index + 1);
    }
    let xref = out.len();
    let _ = write!(out, "xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        let _ = writeln!(out, "{offset:010} 00000 n ");
    }
    let _ = write!(
        out,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    out.into_bytes()
}

/// UBL 2.1 Invoice or CreditNote made by Koppel's own writer (`koppel-einvoice`), as
/// Teamleader renders its `ubl/peppol_bis_3` and `ubl/e-fff` files: the seller from the
/// department, the buyer from the company or contact, the PDF embedded in e-FFF files.
/// A buyer without a Peppol identifier (a private person) gives a file without one, which the
/// rules refuse, as a real file would be.
fn ubl(view: &DocumentView<'_>, format: DocumentFormat, stem: &str) -> Result<Vec<u8>, ApiError> {
    let totals = totals(view.sections, &view.rates);
    let lines = view
        .sections
        .iter()
        .flat_map(|s| &s.lines)
        .map(|line| {
            let rate = view
                .rates
                .get(line.tax_rate_id.as_str())
                .copied()
                .unwrap_or_default();
            LineDraft {
                description: line.description.clone(),
                quantity: line.quantity,
                unit_price: line.unit_price,
                discount_percent: line.discount_percent,
                net_amount: line.totals(rate).exclusive,
                vat_percent: rate * Decimal::ONE_HUNDRED,
                vat_label: view
                    .rate_labels
                    .get(line.tax_rate_id.as_str())
                    .map(|label| (*label).to_owned()),
            }
        })
        .collect();
    let attachment = (format == DocumentFormat::UblEfff).then(|| Attachment {
        file_name: format!("{stem}.pdf"),
        mime_code: "application/pdf".to_owned(),
        bytes: pdf(view),
    });
    let document = ubl::build(DocumentDraft {
        kind: if view.credit_note {
            DocumentKind::CreditNote
        } else {
            DocumentKind::Invoice
        },
        customization: match format {
            DocumentFormat::UblPeppol => Customization::PeppolBis3,
            _ => Customization::UblBeEfff,
        },
        number: view.number.clone(),
        issue_date: view.issue_date,
        due_date: view.due_date,
        currency: view.currency.to_owned(),
        buyer_reference: None,
        order_reference: view.order_reference.map(str::to_owned),
        seller: view.seller.clone(),
        buyer: view.buyer.clone(),
        payment_reference: view.payment_reference.map(str::to_owned),
        lines,
        tax_per_rate: totals
            .taxes
            .iter()
            .map(|t| (t.rate * Decimal::ONE_HUNDRED, t.tax))
            .collect(),
        total_incl: Some(totals.inclusive),
        credited_invoice: view.credited_invoice.clone(),
        attachment,
    })
    .map_err(ApiError::bad_request)?;
    Ok(ubl::write(&document))
}
