//! The file of a ledger that takes the document itself
//! ([`AttachmentSupport::StructuredElsePdf`](crate::AttachmentSupport::StructuredElsePdf)):
//! a Peppol BIS Billing 3.0 file whenever one passes the official rules, else the PDF with
//! the reason in words the user can act on in Teamleader.
//!
//! - invoices: Teamleader's own `ubl/peppol_bis_3` download;
//! - credit notes: Teamleader offers no BIS 3 file for them, so Koppel builds one from the
//!   document's data (seller = the department, buyer = the customer, the credited invoice's
//!   number), through the [`EinvoiceFiles`] port;
//! - every XML is checked against the rules before it is sent; an invalid one never is.
//!
//! Calls: one Teamleader download per invoice; per credit note one customer read, and one
//! department list per invocation; one check per file (no call to any API).

use super::ExportRun;
use crate::{
    Address, Customer, Department, DepartmentId, Disposition, DocumentFile, DocumentKind,
    DocumentStore, EinvoiceFiles, ExternalError, FileFormat, InvoiceParty, RuleFinding,
    SalesDocument, Verdict,
};
use std::sync::Arc;

/// The file to send, and why it is the PDF when it is.
pub(crate) struct ChosenFile {
    /// The file.
    pub(crate) file: DocumentFile,
    /// `None` for a structured file that passed the rules; the reason otherwise.
    pub(crate) pdf_reason: Option<String>,
}

/// The departments of the account, read once per invocation (the seller of credit notes).
#[derive(Default)]
pub(crate) struct Sellers {
    departments: Option<Vec<Department>>,
}

/// Why no structured file is sent: a reason for the report, or an error to defer on.
enum NoStructured {
    /// Sent as the PDF, for this reason.
    Reason(String),
    /// Teamleader could not answer now: try the document again later.
    External(ExternalError),
}

impl From<ExternalError> for NoStructured {
    fn from(e: ExternalError) -> Self {
        if e.disposition() == Disposition::FailItem {
            Self::Reason(format!("Teamleader gave no data for it ({e})"))
        } else {
            Self::External(e)
        }
    }
}

/// The structured file when one passes the rules, else the PDF with the reason. An error
/// is Teamleader's (the PDF could not be downloaded either, or not now).
pub(crate) async fn structured_else_pdf(
    run: &ExportRun<'_>,
    sellers: &mut Sellers,
    documents: &dyn DocumentStore,
    document: &SalesDocument,
) -> Result<ChosenFile, ExternalError> {
    let reason = match run.systems.einvoice.clone() {
        None => "structured (Peppol BIS 3) files are not set up on this Koppel deployment, so the PDF was sent.".to_owned(),
        Some(einvoice) => {
            match structured(run, sellers, documents, &einvoice, document).await {
                Ok(file) => match einvoice.validate(&file.bytes).await {
                    Ok(verdict) if verdict.is_valid() => {
                        return Ok(ChosenFile {
                            file,
                            pdf_reason: None,
                        });
                    }
                    Ok(verdict) => invalid_reason(&verdict),
                    Err(e) => format!(
                        "its Peppol BIS 3 file could not be checked against the official rules ({e}), so the PDF was sent: an unchecked file is never sent."
                    ),
                },
                Err(NoStructured::Reason(reason)) => reason,
                Err(NoStructured::External(e)) => return Err(e),
            }
        }
    };
    let pdf = run
        .systems
        .source
        .document_file(document.kind, &document.id, FileFormat::Pdf)
        .await?;
    Ok(ChosenFile {
        file: pdf,
        pdf_reason: Some(reason),
    })
}

/// The BIS 3 file of `document`: Teamleader's for an invoice, built for a credit note.
async fn structured(
    run: &ExportRun<'_>,
    sellers: &mut Sellers,
    documents: &dyn DocumentStore,
    einvoice: &Arc<dyn EinvoiceFiles>,
    document: &SalesDocument,
) -> Result<DocumentFile, NoStructured> {
    let source = &run.systems.source;
    if document.kind == DocumentKind::Invoice {
        return Ok(source
            .document_file(document.kind, &document.id, FileFormat::UblPeppolBis3)
            .await?);
    }
    let seller = sellers.seller(run, &document.department_id).await?;
    let customers = source
        .customers(std::slice::from_ref(&document.customer))
        .await?;
    let Some(customer) = customers.first() else {
        return Err(NoStructured::Reason(
            "its customer could not be read from Teamleader, so no Peppol BIS 3 file could be built and the PDF was sent.".to_owned(),
        ));
    };
    let buyer = party_of_customer(customer);
    let credited = match &document.credited_invoice_id {
        Some(invoice) => credited_number(run, documents, invoice).await?,
        None => None,
    };
    let facts = crate::CreditNoteFacts {
        document,
        seller: &seller,
        buyer: &buyer,
        credited_invoice_number: credited.as_deref(),
    };
    let bytes = einvoice.credit_note(&facts).map_err(|missing| {
        NoStructured::Reason(format!(
            "no Peppol BIS 3 file could be built for it: {missing} The PDF was sent."
        ))
    })?;
    let number = document.number.as_deref().unwrap_or("credit-note");
    Ok(DocumentFile {
        file_name: format!("{}.xml", file_stem(number)),
        format: FileFormat::UblPeppolBis3,
        bytes,
    })
}

impl Sellers {
    /// The department as the seller of a structured document.
    async fn seller(
        &mut self,
        run: &ExportRun<'_>,
        id: &DepartmentId,
    ) -> Result<InvoiceParty, NoStructured> {
        if self.departments.is_none() {
            self.departments = Some(run.systems.source.departments().await?);
        }
        let department = self
            .departments
            .iter()
            .flatten()
            .find(|d| &d.id == id)
            .ok_or_else(|| {
                NoStructured::Reason(
                    "its department could not be read from Teamleader, so no Peppol BIS 3 file could be built and the PDF was sent.".to_owned(),
                )
            })?;
        Ok(InvoiceParty {
            name: department.name.clone(),
            vat_number: department.vat_number.clone(),
            enterprise_number: None,
            address: department.address.clone().unwrap_or_default(),
            email: None,
        })
    }
}

/// The customer as the buyer of a structured document (its invoicing address).
fn party_of_customer(customer: &Customer) -> InvoiceParty {
    InvoiceParty {
        name: customer.name.clone(),
        vat_number: customer.vat_number.as_ref().map(|v| v.as_str().to_owned()),
        enterprise_number: customer.enterprise_number.clone(),
        address: customer
            .addresses
            .first()
            .cloned()
            .unwrap_or_else(Address::default),
        email: customer.emails.first().cloned(),
    }
}

/// The number of the invoice a credit note credits: from Koppel's record when it exported
/// it, else from Teamleader.
async fn credited_number(
    run: &ExportRun<'_>,
    documents: &dyn DocumentStore,
    invoice: &crate::DocumentId,
) -> Result<Option<String>, NoStructured> {
    if let Ok(Some(record)) = documents.document(&run.connection.id, invoice).await
        && record.number.is_some()
    {
        return Ok(record.number);
    }
    match run
        .systems
        .source
        .document(DocumentKind::Invoice, invoice)
        .await
    {
        Ok(found) => Ok(found.number),
        Err(e) if e.disposition() == Disposition::FailItem => Ok(None),
        Err(e) => Err(NoStructured::External(e)),
    }
}

/// A file name from a document number ("2026 / 17" → "2026-17").
fn file_stem(number: &str) -> String {
    let stem: String = number
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    stem.split('-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// Why an invalid file was not sent, with what to fix in Teamleader.
fn invalid_reason(verdict: &Verdict) -> String {
    let Some(error) = verdict.first_error() else {
        return "its Peppol BIS 3 file was refused by the rules, so the PDF was sent.".to_owned();
    };
    let others = verdict.findings.iter().filter(|f| f.fatal).count() - 1;
    let more = match others {
        0 => String::new(),
        1 => " (and 1 more rule)".to_owned(),
        n => format!(" (and {n} more rules)"),
    };
    format!(
        "its Peppol BIS 3 file broke rule {} — \"{}\"{more}, so the PDF was sent instead: an invalid file is never sent. {}",
        error.rule,
        error.message.trim(),
        advice(error)
    )
}

/// What to change in Teamleader so the next document passes, for the rules a Teamleader
/// user can influence.
fn advice(error: &RuleFinding) -> &'static str {
    let rule = error.rule.as_str();
    if rule.contains("R010") || rule.contains("R020") || rule.contains("COMMON-R04") {
        "Fill in the VAT number (or Belgian company number) of the customer, and of the department under Settings > Departments, in Teamleader."
    } else if matches!(rule, "BR-08" | "BR-09" | "BR-10" | "BR-11") {
        "Fill in the full address (with its country) of the customer and of the department in Teamleader."
    } else if matches!(rule, "BR-06" | "BR-07") {
        "Fill in the name of the customer and of the department in Teamleader."
    } else if rule.contains("BR-CO")
        || rule.contains("BR-S")
        || rule.contains("BR-Z")
        || rule.contains("BR-AE")
    {
        "Check the lines' VAT rates and totals of the document in Teamleader (a VAT rate per line, no rounding by hand)."
    } else {
        "Correct the document or its customer's details in Teamleader; the next documents then arrive as structured files."
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule: &str) -> RuleFinding {
        RuleFinding {
            rule: rule.to_owned(),
            fatal: true,
            message: "A rule text".to_owned(),
            location: String::new(),
        }
    }

    #[test]
    fn a_file_name_keeps_the_number_readable() {
        assert_eq!(file_stem("2026 / 17"), "2026-17");
        assert_eq!(file_stem("CN-2026/3"), "CN-2026-3");
    }

    #[test]
    fn the_reason_names_the_rule_and_what_to_fill_in() {
        let verdict = Verdict {
            findings: vec![finding("PEPPOL-EN16931-R010"), finding("BR-11")],
        };
        let reason = invalid_reason(&verdict);
        assert!(reason.contains("PEPPOL-EN16931-R010"), "{reason}");
        assert!(reason.contains("(and 1 more rule)"), "{reason}");
        assert!(reason.contains("VAT number"), "{reason}");
        let address = invalid_reason(&Verdict {
            findings: vec![finding("BR-11")],
        });
        assert!(address.contains("address"), "{address}");
    }
}
