//! A Peppol BIS 3 credit note from Koppel's own data: Teamleader offers no BIS 3 file for
//! credit notes, so Koppel builds one from the document, its department and its customer.

use crate::ubl::{self, Customization, DocumentDraft, LineDraft, UblDocument};
use koppel_core::{CreditNoteFacts, DocumentKind};

/// The credit note's data as a [`UblDocument`] meeting the Peppol BIS 3 rules, or what is
/// missing to make one, in words a user can act on in Teamleader (naming the field to fill).
pub fn credit_note_from(facts: &CreditNoteFacts<'_>) -> Result<UblDocument, String> {
    let document = facts.document;
    if document.kind != DocumentKind::CreditNote {
        return Err(format!(
            "Teamleader document {} is an invoice: its Peppol file comes from Teamleader itself.",
            document.id
        ));
    }
    let number = document.number.clone().ok_or_else(|| {
        format!(
            "Credit note {} has no number yet: book it in Teamleader first.",
            document.id
        )
    })?;
    let mut lines = Vec::with_capacity(document.lines.len());
    for (index, line) in document.lines.iter().enumerate() {
        let vat_percent = line.vat_percentage.ok_or_else(|| {
            format!(
                "Credit note {number}, line {} (\"{}\"), has no VAT rate: choose one on the line in Teamleader.",
                index + 1,
                line.description
            )
        })?;
        lines.push(LineDraft {
            description: line.description.clone(),
            quantity: line.quantity,
            unit_price: line.unit_price,
            discount_percent: line.discount.as_ref().map(|d| d.percentage),
            net_amount: line.total_excl,
            vat_percent,
            vat_label: None,
        });
    }
    let built = ubl::build(DocumentDraft {
        kind: DocumentKind::CreditNote,
        customization: Customization::PeppolBis3,
        number: number.clone(),
        issue_date: document.date,
        due_date: document.due_on,
        currency: document.total_incl.currency.0.clone(),
        buyer_reference: facts
            .credited_invoice_number
            .map(str::to_owned)
            .or_else(|| Some(number.clone())),
        order_reference: None,
        seller: facts.seller.clone(),
        buyer: facts.buyer.clone(),
        payment_reference: document.payment_reference.clone(),
        lines,
        tax_per_rate: document.taxes.iter().map(|t| (t.rate, t.tax)).collect(),
        total_incl: Some(document.total_incl.amount),
        credited_invoice: facts.credited_invoice_number.map(str::to_owned),
        attachment: None,
    })?;
    ubl::check_peppol(&built)?;
    Ok(built)
}
