//! Document files behind `invoices.download` / `creditNotes.download`: a small but real PDF,
//! or a UBL 2.1 XML (e-FFF embeds the PDF, as Belgian e-FFF files do), served from a temporary
//! location that expires like Teamleader's signed links.

use super::api::Ctx;
use super::model::{Account, CreditNote, Invoice, Section, booking_number, totals};
use super::render::{day, instant};
use super::state::{Sim, SimState, StoredFile};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
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
    date: String,
    due_date: Option<String>,
    currency: &'a str,
    supplier: (&'a str, &'a str),
    customer: (&'a str, Option<&'a str>),
    sections: &'a [Section],
    rates: HashMap<&'a str, Decimal>,
}

fn invoice_view<'a>(account: &'a Account, invoice: &'a Invoice) -> DocumentView<'a> {
    let department = account
        .departments
        .iter()
        .find(|d| d.id == invoice.department_id);
    DocumentView {
        credit_note: false,
        number: invoice
            .number
            .map_or_else(|| "draft".to_owned(), booking_number),
        date: invoice.invoice_date.map(day).unwrap_or_default(),
        due_date: invoice.due_on().map(day),
        currency: &invoice.currency,
        supplier: department.map_or(("", ""), |d| (d.name.as_str(), d.vat_number.as_str())),
        customer: (
            &invoice.invoicee_name,
            invoice.invoicee_vat_number.as_deref(),
        ),
        sections: &invoice.sections,
        rates: account.rates(),
    }
}

fn credit_note_view<'a>(account: &'a Account, note: &'a CreditNote) -> DocumentView<'a> {
    let department = account
        .departments
        .iter()
        .find(|d| d.id == note.department_id);
    DocumentView {
        credit_note: true,
        number: booking_number(note.number),
        date: day(note.date),
        due_date: None,
        currency: &note.currency,
        supplier: department.map_or(("", ""), |d| (d.name.as_str(), d.vat_number.as_str())),
        customer: (&note.invoicee_name, note.invoicee_vat_number.as_deref()),
        sections: &note.sections,
        rates: account.rates(),
    }
}

/// The file of an invoice in a format.
pub(crate) fn invoice_file(
    account: &Account,
    invoice: &Invoice,
    format: DocumentFormat,
) -> RenderedFile {
    render(&invoice_view(account, invoice), format)
}

/// The file of a credit note in a format.
pub(crate) fn credit_note_file(
    account: &Account,
    note: &CreditNote,
    format: DocumentFormat,
) -> RenderedFile {
    render(&credit_note_view(account, note), format)
}

fn render(view: &DocumentView<'_>, format: DocumentFormat) -> RenderedFile {
    let stem = format!(
        "{}-{}",
        if view.credit_note {
            "credit-note"
        } else {
            "invoice"
        },
        view.number.replace(" / ", "-")
    );
    match format {
        DocumentFormat::Pdf => RenderedFile {
            content_type: "application/pdf",
            file_name: format!("{stem}.pdf"),
            bytes: pdf(view),
        },
        DocumentFormat::UblEfff | DocumentFormat::UblPeppol => RenderedFile {
            content_type: "application/xml",
            file_name: format!("{stem}.xml"),
            bytes: ubl(view, format, &stem).into_bytes(),
        },
    }
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
        format!("Date: {}", view.date),
        format!("From: {} ({})", view.supplier.0, view.supplier.1),
        format!(
            "To: {} {}",
            view.customer.0,
            view.customer.1.unwrap_or_default()
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

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn party(tag: &str, name: &str, vat: Option<&str>) -> String {
    let mut out = format!("  <cac:{tag}>\n    <cac:Party>\n");
    let _ = writeln!(
        out,
        "      <cac:PartyName><cbc:Name>{}</cbc:Name></cac:PartyName>",
        xml(name)
    );
    if let Some(vat) = vat.filter(|v| !v.is_empty()) {
        let _ = writeln!(
            out,
            "      <cac:PartyTaxScheme><cbc:CompanyID>{}</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>",
            xml(vat)
        );
    }
    let _ = writeln!(
        out,
        "      <cac:PartyLegalEntity><cbc:RegistrationName>{}</cbc:RegistrationName></cac:PartyLegalEntity>",
        xml(name)
    );
    let _ = writeln!(out, "    </cac:Party>\n  </cac:{tag}>");
    out
}

/// UBL 2.1 Invoice or CreditNote with VAT breakdown and monetary totals.
fn ubl(view: &DocumentView<'_>, format: DocumentFormat, stem: &str) -> String {
    let totals = totals(view.sections, &view.rates);
    let cur = view.currency;
    let (root, type_tag, type_code, line_tag, quantity_tag) = if view.credit_note {
        (
            "CreditNote",
            "CreditNoteTypeCode",
            "381",
            "CreditNoteLine",
            "CreditedQuantity",
        )
    } else {
        (
            "Invoice",
            "InvoiceTypeCode",
            "380",
            "InvoiceLine",
            "InvoicedQuantity",
        )
    };
    let customization = match format {
        DocumentFormat::UblPeppol => {
            "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
        }
        _ => "urn:cen.eu:en16931:2017#conformant#urn:UBL.BE:1.0.0.20180214",
    };
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<{root} xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:{root}-2\" \
         xmlns:cac=\"urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2\" \
         xmlns:cbc=\"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2\">"
    );
    let _ = writeln!(out, "  <cbc:UBLVersionID>2.1</cbc:UBLVersionID>");
    let _ = writeln!(
        out,
        "  <cbc:CustomizationID>{customization}</cbc:CustomizationID>"
    );
    let _ = writeln!(
        out,
        "  <cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>"
    );
    let _ = writeln!(out, "  <cbc:ID>{}</cbc:ID>", xml(&view.number));
    let _ = writeln!(out, "  <cbc:IssueDate>{}</cbc:IssueDate>", view.date);
    if let Some(due) = &view.due_date {
        let _ = writeln!(out, "  <cbc:DueDate>{due}</cbc:DueDate>");
    }
    let _ = writeln!(out, "  <cbc:{type_tag}>{type_code}</cbc:{type_tag}>");
    let _ = writeln!(
        out,
        "  <cbc:DocumentCurrencyCode>{cur}</cbc:DocumentCurrencyCode>"
    );
    if format == DocumentFormat::UblEfff {
        let encoded = base64::engine::general_purpose::STANDARD.encode(pdf(view));
        let _ = writeln!(
            out,
            "  <cac:AdditionalDocumentReference><cbc:ID>{stem}.pdf</cbc:ID><cac:Attachment>\
             <cbc:EmbeddedDocumentBinaryObject mimeCode=\"application/pdf\" filename=\"{stem}.pdf\">{encoded}\
             </cbc:EmbeddedDocumentBinaryObject></cac:Attachment></cac:AdditionalDocumentReference>"
        );
    }
    out.push_str(&party(
        "AccountingSupplierParty",
        view.supplier.0,
        Some(view.supplier.1),
    ));
    out.push_str(&party(
        "AccountingCustomerParty",
        view.customer.0,
        view.customer.1,
    ));
    let tax: Decimal = totals.taxes.iter().map(|t| t.tax).sum();
    let _ = writeln!(
        out,
        "  <cac:TaxTotal>\n    <cbc:TaxAmount currencyID=\"{cur}\">{tax:.2}</cbc:TaxAmount>"
    );
    for line in &totals.taxes {
        let percent = line.rate * Decimal::ONE_HUNDRED;
        let category = if line.rate.is_zero() { "Z" } else { "S" };
        let _ = writeln!(
            out,
            "    <cac:TaxSubtotal><cbc:TaxableAmount currencyID=\"{cur}\">{:.2}</cbc:TaxableAmount>\
             <cbc:TaxAmount currencyID=\"{cur}\">{:.2}</cbc:TaxAmount><cac:TaxCategory><cbc:ID>{category}</cbc:ID>\
             <cbc:Percent>{}</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal>",
            line.taxable,
            line.tax,
            percent.normalize()
        );
    }
    let _ = writeln!(out, "  </cac:TaxTotal>");
    let _ = writeln!(
        out,
        "  <cac:LegalMonetaryTotal><cbc:LineExtensionAmount currencyID=\"{cur}\">{:.2}</cbc:LineExtensionAmount>\
         <cbc:TaxExclusiveAmount currencyID=\"{cur}\">{:.2}</cbc:TaxExclusiveAmount>\
         <cbc:TaxInclusiveAmount currencyID=\"{cur}\">{:.2}</cbc:TaxInclusiveAmount>\
         <cbc:PayableAmount currencyID=\"{cur}\">{:.2}</cbc:PayableAmount></cac:LegalMonetaryTotal>",
        totals.exclusive, totals.exclusive, totals.inclusive, totals.inclusive
    );
    for (index, line) in view.sections.iter().flat_map(|s| &s.lines).enumerate() {
        let rate = view
            .rates
            .get(line.tax_rate_id.as_str())
            .copied()
            .unwrap_or_default();
        let amounts = line.totals(rate);
        let _ = writeln!(
            out,
            "  <cac:{line_tag}><cbc:ID>{}</cbc:ID><cbc:{quantity_tag} unitCode=\"C62\">{}</cbc:{quantity_tag}>\
             <cbc:LineExtensionAmount currencyID=\"{cur}\">{:.2}</cbc:LineExtensionAmount>\
             <cac:Item><cbc:Name>{}</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>{}</cbc:ID><cbc:Percent>{}</cbc:Percent>\
             <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item>\
             <cac:Price><cbc:PriceAmount currencyID=\"{cur}\">{}</cbc:PriceAmount></cac:Price></cac:{line_tag}>",
            index + 1,
            line.quantity.normalize(),
            amounts.exclusive,
            xml(&line.description),
            if rate.is_zero() { "Z" } else { "S" },
            (rate * Decimal::ONE_HUNDRED).normalize(),
            line.unit_price.normalize()
        );
    }
    let _ = writeln!(out, "</{root}>");
    out
}
