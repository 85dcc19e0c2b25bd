//! [`UblDocument`] → UBL 2.1 XML with quick-xml's writer, elements in the order the UBL
//! schema requires, nothing empty (PEPPOL-EN16931-R008), amounts with two decimals.

use super::build::cents;
use super::party::{electronic_address, enterprise_number, vat_number};
use super::{PEPPOL_BILLING_PROFILE, UblDocument, UblLine, VatCategory, VatSubtotal};
use base64::Engine;
use koppel_core::{DocumentKind, InvoiceParty};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use rust_decimal::Decimal;
use std::io;

const CAC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
const CBC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";

/// A quick-xml writer over a byte buffer with the few shapes UBL needs.
struct Xml {
    writer: Writer<Vec<u8>>,
}

impl Xml {
    /// `<name attrs…>text</name>`; skipped when the text is empty (R008).
    fn leaf_with(&mut self, name: &str, attributes: &[(&str, &str)], text: &str) -> io::Result<()> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(());
        }
        self.writer
            .create_element(name)
            .with_attributes(attributes.iter().copied())
            .write_text_content(BytesText::new(text))?;
        Ok(())
    }

    fn leaf(&mut self, name: &str, text: &str) -> io::Result<()> {
        self.leaf_with(name, &[], text)
    }

    fn leaf_opt(&mut self, name: &str, text: Option<&str>) -> io::Result<()> {
        match text {
            Some(text) => self.leaf(name, text),
            None => Ok(()),
        }
    }

    /// An amount with its currency, two decimals.
    fn amount(&mut self, name: &str, currency: &str, value: Decimal) -> io::Result<()> {
        self.leaf_with(name, &[("currencyID", currency)], &cents(value).to_string())
    }

    /// `<name>…</name>` around what `inner` writes.
    fn node(
        &mut self,
        name: &str,
        inner: impl FnOnce(&mut Self) -> io::Result<()>,
    ) -> io::Result<()> {
        self.writer
            .write_event(Event::Start(BytesStart::new(name)))?;
        inner(self)?;
        self.writer.write_event(Event::End(BytesEnd::new(name)))?;
        Ok(())
    }
}

/// The UBL XML of a document. Writes what the model holds; whether that meets the Peppol
/// rules is decided before (see [`super::check_peppol`]) and checked after (the validator).
pub fn write(document: &UblDocument) -> Vec<u8> {
    let mut xml = Xml {
        writer: Writer::new(Vec::new()),
    };
    match write_document(&mut xml, document) {
        Ok(()) => xml.writer.into_inner(),
        // Writing into a Vec<u8> cannot fail; keep whatever was written rather than panic.
        Err(error) => {
            tracing::error!(%error, "writing UBL into memory failed");
            xml.writer.into_inner()
        }
    }
}

fn write_document(xml: &mut Xml, d: &UblDocument) -> io::Result<()> {
    let credit = d.kind == DocumentKind::CreditNote;
    let (root, namespace) = if credit {
        (
            "CreditNote",
            "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
        )
    } else {
        (
            "Invoice",
            "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
        )
    };
    xml.writer
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let start = BytesStart::new(root).with_attributes([
        ("xmlns", namespace),
        ("xmlns:cac", CAC),
        ("xmlns:cbc", CBC),
    ]);
    xml.writer.write_event(Event::Start(start))?;
    body(xml, d, credit)?;
    xml.writer.write_event(Event::End(BytesEnd::new(root)))?;
    Ok(())
}

fn body(xml: &mut Xml, d: &UblDocument, credit: bool) -> io::Result<()> {
    let cur = d.currency.as_str();
    xml.leaf("cbc:CustomizationID", d.customization.id())?;
    xml.leaf("cbc:ProfileID", PEPPOL_BILLING_PROFILE)?;
    xml.leaf("cbc:ID", &d.number)?;
    xml.leaf("cbc:IssueDate", &d.issue_date.to_string())?;
    if credit {
        xml.leaf("cbc:CreditNoteTypeCode", "381")?;
    } else {
        xml.leaf_opt(
            "cbc:DueDate",
            d.due_date.map(|due| due.to_string()).as_deref(),
        )?;
        xml.leaf("cbc:InvoiceTypeCode", "380")?;
    }
    xml.leaf("cbc:DocumentCurrencyCode", cur)?;
    xml.leaf("cbc:BuyerReference", &d.buyer_reference)?;
    if let Some(order) = &d.order_reference {
        xml.node("cac:OrderReference", |x| x.leaf("cbc:ID", order))?;
    }
    if let Some(invoice) = &d.credited_invoice {
        xml.node("cac:BillingReference", |x| {
            x.node("cac:InvoiceDocumentReference", |x| {
                x.leaf("cbc:ID", invoice)
            })
        })?;
    }
    if let Some(attachment) = &d.attachment {
        let encoded = base64::engine::general_purpose::STANDARD.encode(&attachment.bytes);
        xml.node("cac:AdditionalDocumentReference", |x| {
            x.leaf("cbc:ID", &attachment.file_name)?;
            x.node("cac:Attachment", |x| {
                x.leaf_with(
                    "cbc:EmbeddedDocumentBinaryObject",
                    &[
                        ("mimeCode", attachment.mime_code.as_str()),
                        ("filename", attachment.file_name.as_str()),
                    ],
                    &encoded,
                )
            })
        })?;
    }
    xml.node("cac:AccountingSupplierParty", |x| party(x, &d.seller))?;
    xml.node("cac:AccountingCustomerParty", |x| party(x, &d.buyer))?;
    if d.lines
        .iter()
        .any(|l| l.vat_category == VatCategory::IntraCommunity)
    {
        // BR-IC-11/12: an intra-community supply names its delivery date and country; Koppel
        // knows no other delivery date than the document's.
        xml.node("cac:Delivery", |x| {
            x.leaf("cbc:ActualDeliveryDate", &d.issue_date.to_string())?;
            x.node("cac:DeliveryLocation", |x| {
                x.node("cac:Address", |x| {
                    x.node("cac:Country", |x| {
                        x.leaf_opt("cbc:IdentificationCode", d.buyer.address.country.as_deref())
                    })
                })
            })
        })?;
    }
    if d.payment_reference.is_some() || (credit && d.due_date.is_some()) {
        xml.node("cac:PaymentMeans", |x| {
            // "1", instrument not defined: a credit transfer (30) must name the payee's
            // account (BR-61), which Teamleader's document data does not carry.
            x.leaf("cbc:PaymentMeansCode", "1")?;
            if credit {
                x.leaf_opt(
                    "cbc:PaymentDueDate",
                    d.due_date.map(|due| due.to_string()).as_deref(),
                )?;
            }
            x.leaf_opt("cbc:PaymentID", d.payment_reference.as_deref())
        })?;
    }
    xml.node("cac:TaxTotal", |x| {
        x.amount("cbc:TaxAmount", cur, d.totals.tax)?;
        for subtotal in &d.vat_breakdown {
            tax_subtotal(x, cur, subtotal)?;
        }
        Ok(())
    })?;
    xml.node("cac:LegalMonetaryTotal", |x| {
        let t = &d.totals;
        x.amount("cbc:LineExtensionAmount", cur, t.line_extension)?;
        x.amount("cbc:TaxExclusiveAmount", cur, t.tax_exclusive)?;
        x.amount("cbc:TaxInclusiveAmount", cur, t.tax_inclusive)?;
        if !t.rounding.is_zero() {
            x.amount("cbc:PayableRoundingAmount", cur, t.rounding)?;
        }
        x.amount("cbc:PayableAmount", cur, t.payable)
    })?;
    for (index, line) in d.lines.iter().enumerate() {
        document_line(xml, cur, credit, index + 1, line)?;
    }
    Ok(())
}

fn party(xml: &mut Xml, p: &InvoiceParty) -> io::Result<()> {
    xml.node("cac:Party", |x| {
        if let Some(address) = electronic_address(p) {
            x.leaf_with(
                "cbc:EndpointID",
                &[("schemeID", address.scheme)],
                &address.value,
            )?;
        }
        x.node("cac:PartyName", |x| x.leaf("cbc:Name", &p.name))?;
        let a = &p.address;
        let has_address = [&a.line_1, &a.city, &a.postal_code, &a.country]
            .iter()
            .any(|v| v.as_deref().is_some_and(|v| !v.trim().is_empty()));
        if has_address {
            x.node("cac:PostalAddress", |x| {
                x.leaf_opt("cbc:StreetName", a.line_1.as_deref())?;
                x.leaf_opt("cbc:CityName", a.city.as_deref())?;
                x.leaf_opt("cbc:PostalZone", a.postal_code.as_deref())?;
                if a.country.as_deref().is_some_and(|c| !c.trim().is_empty()) {
                    x.node("cac:Country", |x| {
                        x.leaf_opt(
                            "cbc:IdentificationCode",
                            a.country.as_deref().map(str::to_ascii_uppercase).as_deref(),
                        )
                    })?;
                }
                Ok(())
            })?;
        }
        if let Some(vat) = vat_number(p) {
            x.node("cac:PartyTaxScheme", |x| {
                x.leaf("cbc:CompanyID", &vat)?;
                x.node("cac:TaxScheme", |x| x.leaf("cbc:ID", "VAT"))
            })?;
        }
        x.node("cac:PartyLegalEntity", |x| {
            x.leaf("cbc:RegistrationName", &p.name)?;
            if let Some(number) = enterprise_number(p) {
                x.leaf_with("cbc:CompanyID", &[("schemeID", "0208")], number.as_str())?;
            }
            Ok(())
        })?;
        if let Some(email) = p.email.as_deref().filter(|e| !e.trim().is_empty()) {
            x.node("cac:Contact", |x| x.leaf("cbc:ElectronicMail", email))?;
        }
        Ok(())
    })
}

fn tax_category(
    xml: &mut Xml,
    name: &str,
    category: VatCategory,
    percent: Decimal,
    with_reason: bool,
) -> io::Result<()> {
    xml.node(name, |x| {
        x.leaf("cbc:ID", category.code())?;
        x.leaf("cbc:Percent", &percent.normalize().to_string())?;
        if with_reason && let Some((code, text)) = category.exemption() {
            x.leaf_opt("cbc:TaxExemptionReasonCode", code)?;
            x.leaf("cbc:TaxExemptionReason", text)?;
        }
        x.node("cac:TaxScheme", |x| x.leaf("cbc:ID", "VAT"))
    })
}

fn tax_subtotal(xml: &mut Xml, cur: &str, subtotal: &VatSubtotal) -> io::Result<()> {
    xml.node("cac:TaxSubtotal", |x| {
        x.amount("cbc:TaxableAmount", cur, subtotal.taxable)?;
        x.amount("cbc:TaxAmount", cur, subtotal.tax)?;
        tax_category(
            x,
            "cac:TaxCategory",
            subtotal.category,
            subtotal.percent,
            true,
        )
    })
}

fn document_line(
    xml: &mut Xml,
    cur: &str,
    credit: bool,
    number: usize,
    line: &UblLine,
) -> io::Result<()> {
    let (tag, quantity_tag) = if credit {
        ("cac:CreditNoteLine", "cbc:CreditedQuantity")
    } else {
        ("cac:InvoiceLine", "cbc:InvoicedQuantity")
    };
    xml.node(tag, |x| {
        x.leaf("cbc:ID", &number.to_string())?;
        x.leaf_with(
            quantity_tag,
            &[("unitCode", "C62")],
            &line.quantity.to_string(),
        )?;
        x.amount("cbc:LineExtensionAmount", cur, line.net_amount)?;
        if let Some(discount) = &line.discount {
            // A negative difference (the line costs more than quantity × price) is a charge.
            let charge = discount.amount < Decimal::ZERO;
            x.node("cac:AllowanceCharge", |x| {
                x.leaf("cbc:ChargeIndicator", if charge { "true" } else { "false" })?;
                x.leaf(
                    "cbc:AllowanceChargeReason",
                    if charge { "Surcharge" } else { "Discount" },
                )?;
                if let Some((percentage, _)) = discount.percentage_of.filter(|_| !charge) {
                    x.leaf(
                        "cbc:MultiplierFactorNumeric",
                        &percentage.normalize().to_string(),
                    )?;
                }
                x.amount("cbc:Amount", cur, discount.amount.abs())?;
                if let Some((_, base)) = discount.percentage_of.filter(|_| !charge) {
                    x.amount("cbc:BaseAmount", cur, base)?;
                }
                Ok(())
            })?;
        }
        x.node("cac:Item", |x| {
            x.leaf("cbc:Name", &line.description)?;
            tax_category(
                x,
                "cac:ClassifiedTaxCategory",
                line.vat_category,
                line.vat_percent,
                false,
            )
        })?;
        x.node("cac:Price", |x| {
            x.leaf_with(
                "cbc:PriceAmount",
                &[("currencyID", cur)],
                &line.unit_price.to_string(),
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Customization, DocumentDraft, LineDraft, build};
    use super::*;
    use chrono::NaiveDate;
    use koppel_core::Address;
    use rust_decimal_macros::dec;

    #[test]
    fn text_is_escaped_and_amounts_have_two_decimals() {
        let party = |name: &str, vat: &str| InvoiceParty {
            name: name.into(),
            vat_number: Some(vat.into()),
            enterprise_number: None,
            address: Address {
                country: Some("BE".into()),
                ..Address::default()
            },
            email: None,
        };
        let document = build(DocumentDraft {
            kind: DocumentKind::Invoice,
            customization: Customization::PeppolBis3,
            number: "2026 / 7".into(),
            issue_date: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            due_date: None,
            currency: "EUR".into(),
            buyer_reference: None,
            order_reference: None,
            seller: party("Smith & <Sons>", "BE0403170701"),
            buyer: party("Buyer", "BE0202239951"),
            payment_reference: None,
            lines: vec![LineDraft {
                description: "Hours \"senior\"".into(),
                quantity: dec!(2),
                unit_price: dec!(50),
                discount_percent: None,
                net_amount: dec!(100),
                vat_percent: dec!(21),
                vat_label: None,
            }],
            tax_per_rate: Vec::new(),
            total_incl: None,
            credited_invoice: None,
            attachment: None,
        })
        .unwrap();
        let text = String::from_utf8(write(&document)).unwrap();
        assert!(
            text.contains("<cbc:Name>Smith &amp; &lt;Sons&gt;</cbc:Name>"),
            "{text}"
        );
        assert!(
            text.contains("<cbc:PayableAmount currencyID=\"EUR\">121.00</cbc:PayableAmount>"),
            "{text}"
        );
        assert!(
            text.contains("<cbc:EndpointID schemeID=\"0208\">0403170701</cbc:EndpointID>"),
            "{text}"
        );
        assert!(
            text.contains("<cbc:BuyerReference>2026 / 7</cbc:BuyerReference>"),
            "{text}"
        );
    }
}
