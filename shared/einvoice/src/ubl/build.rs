//! From a document's data to a [`UblDocument`] whose numbers meet the rules: lines with their
//! discount as an allowance (PEPPOL-EN16931-R120), a VAT category per line (0 % lines as
//! exempt, reverse charge, intra-community supply or export, with the reason the rules ask
//! for), the VAT breakdown summed from the lines (BR-S-08 and kin) and totals rounded to two
//! decimals that add up exactly (BR-CO-10..16).

use super::party::{electronic_address, is_eu_country, vat_number};
use super::{
    Attachment, Customization, LineAllowance, UblDocument, UblLine, UblTotals, VatCategory,
    VatSubtotal,
};
use chrono::NaiveDate;
use koppel_core::{DocumentKind, InvoiceParty};
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::BTreeMap;

/// One line as the source gives it (tax-exclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineDraft {
    /// The line's text.
    pub description: String,
    /// Quantity.
    pub quantity: Decimal,
    /// Unit price excluding VAT, before the discount.
    pub unit_price: Decimal,
    /// Discount in percent, if any.
    pub discount_percent: Option<Decimal>,
    /// The line total excluding VAT, after the discount, as the source computed it.
    pub net_amount: Decimal,
    /// VAT rate in percent (21 for 21 %).
    pub vat_percent: Decimal,
    /// The tax rate's own label ("21%", "CM", "Vrijgesteld"), which tells a co-contractor's
    /// 0 % from an exempt one; `None` when unknown.
    pub vat_label: Option<String>,
}

/// A document as the source gives it, before it is shaped for the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentDraft {
    /// Invoice or credit note.
    pub kind: DocumentKind,
    /// The rule set the file will claim.
    pub customization: Customization,
    /// Document number.
    pub number: String,
    /// Issue date.
    pub issue_date: NaiveDate,
    /// Due date, when known.
    pub due_date: Option<NaiveDate>,
    /// Currency code.
    pub currency: String,
    /// The buyer's reference; the document number is used when there is none (R003).
    pub buyer_reference: Option<String>,
    /// The buyer's purchase order number.
    pub order_reference: Option<String>,
    /// The seller.
    pub seller: InvoiceParty,
    /// The buyer.
    pub buyer: InvoiceParty,
    /// Structured payment reference.
    pub payment_reference: Option<String>,
    /// Lines.
    pub lines: Vec<LineDraft>,
    /// The source's VAT amount per rate in percent, when it gives them (else computed).
    pub tax_per_rate: Vec<(Decimal, Decimal)>,
    /// The source's total including VAT, when it gives one; a difference of less than one
    /// unit becomes the rounding amount (BT-114), a larger one is refused.
    pub total_incl: Option<Decimal>,
    /// For a credit note: the number of the invoice it credits.
    pub credited_invoice: Option<String>,
    /// A file to embed.
    pub attachment: Option<Attachment>,
}

/// Round to two decimals, halves away from zero, always written with two decimals.
pub(crate) fn cents(amount: Decimal) -> Decimal {
    let mut rounded = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    if rounded.is_zero() {
        rounded = Decimal::ZERO;
    }
    rounded.rescale(2);
    rounded
}

fn says_any(label: Option<&str>, words: &[&str]) -> bool {
    let Some(label) = label else {
        return false;
    };
    let lower = label.to_lowercase();
    let compact: String = lower.chars().filter(|c| c.is_alphanumeric()).collect();
    words
        .iter()
        .any(|word| compact == *word || lower.contains(word))
}

/// The country a party is in: its address, else its VAT number's prefix.
fn country_of(party: &InvoiceParty) -> Option<String> {
    party
        .address
        .country
        .as_deref()
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty())
        .or_else(|| vat_number(party).and_then(|vat| vat.get(..2).map(str::to_owned)))
}

/// The VAT category of a line at `percent` between these parties. A positive rate is `S`.
/// A 0 % rate is: reverse charge when its label says so (Belgian "CM", co-contractor) and the
/// buyer has a VAT number; an intra-community supply to a VAT-registered buyer in another EU
/// country; an export to a buyer outside the EU; zero-rated when its label says "zero";
/// otherwise exempt.
pub fn vat_category(
    percent: Decimal,
    label: Option<&str>,
    seller: &InvoiceParty,
    buyer: &InvoiceParty,
) -> VatCategory {
    if percent > Decimal::ZERO {
        return VatCategory::Standard;
    }
    let buyer_vat = vat_number(buyer).is_some();
    let reverse = [
        "cm",
        "medecontract",
        "cocontract",
        "co-contract",
        "reverse",
        "verlegd",
        "autoliquid",
    ];
    if buyer_vat && says_any(label, &reverse) {
        return VatCategory::ReverseCharge;
    }
    let seller_country = country_of(seller);
    if let Some(buyer_country) = country_of(buyer)
        && Some(&buyer_country) != seller_country.as_ref()
    {
        if !is_eu_country(&buyer_country) {
            return VatCategory::Export;
        }
        if buyer_vat && vat_number(seller).is_some() {
            return VatCategory::IntraCommunity;
        }
    }
    if says_any(label, &["zero", "nultarief", "taux zéro"]) {
        return VatCategory::ZeroRated;
    }
    VatCategory::Exempt
}

fn line(draft: &LineDraft, seller: &InvoiceParty, buyer: &InvoiceParty, sign: Decimal) -> UblLine {
    let (mut quantity, mut unit_price) = (draft.quantity * sign, draft.unit_price);
    if unit_price < Decimal::ZERO {
        // A price may not be negative (BR-27): the quantity carries the sign instead.
        quantity = -quantity;
        unit_price = -unit_price;
    }
    let net_amount = cents(draft.net_amount * sign);
    let gross = quantity * unit_price;
    let difference = cents(gross) - net_amount;
    let discounted = draft.discount_percent.is_some_and(|p| !p.is_zero());
    let discount = (!difference.is_zero()
        && (discounted || (gross - net_amount).abs() > cents_slack()))
    .then(|| LineAllowance {
        amount: difference,
        percentage_of: draft
            .discount_percent
            .filter(|p| cents(cents(gross) * *p / Decimal::ONE_HUNDRED) == difference)
            .map(|p| (p, cents(gross))),
    });
    let description = draft.description.trim();
    UblLine {
        description: if description.is_empty() {
            "Item".to_owned()
        } else {
            description.to_owned()
        },
        quantity: quantity.normalize(),
        unit_price: unit_price.normalize(),
        discount,
        net_amount,
        vat_category: vat_category(draft.vat_percent, draft.vat_label.as_deref(), seller, buyer),
        vat_percent: draft.vat_percent.normalize(),
    }
}

/// The rounding R120 tolerates between quantity × price and the line net amount.
fn cents_slack() -> Decimal {
    Decimal::new(2, 2)
}

fn breakdown(
    lines: &[UblLine],
    source_tax: &[(Decimal, Decimal)],
    sign: Decimal,
) -> Vec<VatSubtotal> {
    let mut groups: BTreeMap<(VatCategory, Decimal), Decimal> = BTreeMap::new();
    for line in lines {
        *groups
            .entry((line.vat_category, line.vat_percent))
            .or_default() += line.net_amount;
    }
    let mut subtotals: Vec<VatSubtotal> = groups
        .into_iter()
        .map(|((category, percent), taxable)| {
            let computed = cents(taxable * percent / Decimal::ONE_HUNDRED);
            let tax = if category == VatCategory::Standard {
                source_tax
                    .iter()
                    .find(|(rate, _)| rate.normalize() == percent)
                    .map(|(_, tax)| cents(*tax * sign))
                    .unwrap_or(computed)
            } else {
                cents(Decimal::ZERO)
            };
            VatSubtotal {
                category,
                percent,
                taxable: cents(taxable),
                tax,
            }
        })
        .collect();
    // Standard rates highest first, then the 0 % categories.
    subtotals.sort_by(|a, b| {
        (
            a.category != VatCategory::Standard,
            std::cmp::Reverse(a.percent),
            a.category,
        )
            .cmp(&(
                b.category != VatCategory::Standard,
                std::cmp::Reverse(b.percent),
                b.category,
            ))
    });
    subtotals
}

/// Shapes a document for the rules: signs (a credit note shows positive amounts), lines,
/// VAT breakdown and totals. Refuses a document without lines and one whose own total
/// differs from its lines and VAT by a unit or more (the data would contradict itself).
pub fn build(draft: DocumentDraft) -> Result<UblDocument, String> {
    if draft.lines.is_empty() {
        return Err(format!(
            "{} {} has no lines: a structured file needs at least one. Add a line to it in Teamleader.",
            kind_name(draft.kind),
            draft.number
        ));
    }
    let net_sum: Decimal = draft.lines.iter().map(|l| l.net_amount).sum();
    // A credit note Teamleader stores with negative amounts is shown positive (381 credits).
    let sign = if draft.kind == DocumentKind::CreditNote && net_sum < Decimal::ZERO {
        Decimal::NEGATIVE_ONE
    } else {
        Decimal::ONE
    };
    let lines: Vec<UblLine> = draft
        .lines
        .iter()
        .map(|l| line(l, &draft.seller, &draft.buyer, sign))
        .collect();
    let vat_breakdown = breakdown(&lines, &draft.tax_per_rate, sign);
    let line_extension = cents(lines.iter().map(|l| l.net_amount).sum());
    let tax = cents(vat_breakdown.iter().map(|s| s.tax).sum());
    let tax_inclusive = cents(line_extension + tax);
    let rounding = match draft.total_incl {
        Some(total) => {
            let difference = cents(total * sign) - tax_inclusive;
            if difference.abs() >= Decimal::ONE {
                return Err(format!(
                    "{} {}: its lines and VAT add up to {} {} but its total is {} {}. Check the document in Teamleader.",
                    kind_name(draft.kind),
                    draft.number,
                    tax_inclusive,
                    draft.currency,
                    cents(total * sign),
                    draft.currency
                ));
            }
            difference
        }
        None => cents(Decimal::ZERO),
    };
    let buyer_reference = draft
        .buyer_reference
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| draft.number.clone());
    Ok(UblDocument {
        kind: draft.kind,
        customization: draft.customization,
        number: draft.number,
        issue_date: draft.issue_date,
        due_date: draft.due_date,
        currency: draft.currency,
        buyer_reference,
        order_reference: draft
            .order_reference
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty()),
        seller: draft.seller,
        buyer: draft.buyer,
        payment_reference: draft
            .payment_reference
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty()),
        lines,
        vat_breakdown,
        totals: UblTotals {
            line_extension,
            tax_exclusive: line_extension,
            tax,
            tax_inclusive,
            rounding,
            payable: cents(tax_inclusive + rounding),
        },
        credited_invoice: draft
            .credited_invoice
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty()),
        attachment: draft.attachment,
    })
}

fn kind_name(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Invoice => "Invoice",
        DocumentKind::CreditNote => "Credit note",
    }
}

fn filled(value: Option<&str>) -> bool {
    value.is_some_and(|v| !v.trim().is_empty())
}

/// What a Peppol BIS 3 file of this document would lack, in words a user can act on in
/// Teamleader (each naming the field to fill); `Ok` when nothing is missing.
pub fn check_peppol(document: &UblDocument) -> Result<(), String> {
    let mut gaps = Vec::new();
    let seller = &document.seller;
    let seller_name = seller.name.trim();
    if seller_name.is_empty() {
        gaps.push(
            "the department has no name: fill its name in Teamleader (Settings › Departments)"
                .to_owned(),
        );
    }
    if vat_number(seller).is_none() {
        gaps.push(format!(
            "department {seller_name} has no valid VAT number: fill \"VAT number\" of the department in Teamleader (Settings › Departments)"
        ));
    } else if electronic_address(seller).is_none() {
        gaps.push(format!(
            "department {seller_name}'s VAT number has no Peppol address scheme: fill its company number in Teamleader"
        ));
    }
    if !filled(seller.address.country.as_deref()) {
        gaps.push(format!(
            "department {seller_name} has no address country: fill the country of the department's address in Teamleader (Settings › Departments)"
        ));
    }
    let buyer = &document.buyer;
    let buyer_name = buyer.name.trim();
    if buyer_name.is_empty() {
        gaps.push(
            "the customer has no name: fill the name of the company or contact in Teamleader"
                .to_owned(),
        );
    }
    if !filled(buyer.address.country.as_deref()) {
        gaps.push(format!(
            "customer {buyer_name} has no address country: fill the country of the customer's (invoicing) address in Teamleader"
        ));
    }
    if electronic_address(buyer).is_none() {
        gaps.push(format!(
            "customer {buyer_name} has no Peppol address: fill \"VAT number\" (or, for a Belgian company, the company number) of the customer in Teamleader; a private person has none, so Koppel sends the PDF"
        ));
    }
    if gaps.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} {} cannot be made into a Peppol BIS 3 file: {}.",
            kind_name(document.kind),
            document.number,
            gaps.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use koppel_core::Address;
    use rust_decimal_macros::dec;

    fn party(name: &str, vat: Option<&str>, country: Option<&str>) -> InvoiceParty {
        InvoiceParty {
            name: name.into(),
            vat_number: vat.map(str::to_owned),
            enterprise_number: None,
            address: Address {
                country: country.map(str::to_owned),
                ..Address::default()
            },
            email: None,
        }
    }

    fn draft(lines: Vec<LineDraft>) -> DocumentDraft {
        DocumentDraft {
            kind: DocumentKind::Invoice,
            customization: Customization::PeppolBis3,
            number: "2026 / 1".into(),
            issue_date: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
            due_date: None,
            currency: "EUR".into(),
            buyer_reference: None,
            order_reference: None,
            seller: party("Seller", Some("BE0403170701"), Some("BE")),
            buyer: party("Buyer", Some("BE0202239951"), Some("BE")),
            payment_reference: None,
            lines,
            tax_per_rate: Vec::new(),
            total_incl: None,
            credited_invoice: None,
            attachment: None,
        }
    }

    fn line(
        quantity: Decimal,
        price: Decimal,
        discount: Option<Decimal>,
        net: Decimal,
        vat: Decimal,
    ) -> LineDraft {
        LineDraft {
            description: "Werk".into(),
            quantity,
            unit_price: price,
            discount_percent: discount,
            net_amount: net,
            vat_percent: vat,
            vat_label: None,
        }
    }

    #[test]
    fn a_discount_becomes_an_allowance_that_makes_the_line_add_up() {
        let document = build(draft(vec![line(
            dec!(3),
            dec!(33.333),
            Some(dec!(10)),
            dec!(90.00),
            dec!(21),
        )]))
        .unwrap();
        let allowance = document.lines[0].discount.clone().unwrap();
        assert_eq!(allowance.amount, dec!(10.00));
        assert_eq!(allowance.percentage_of, Some((dec!(10), dec!(100.00))));
        let line = &document.lines[0];
        let rebuilt = line.quantity * line.unit_price - allowance.amount;
        assert!(
            (rebuilt - line.net_amount).abs() <= dec!(0.02),
            "R120: {rebuilt}"
        );
    }

    #[test]
    fn totals_add_up_and_follow_the_source_rounding() {
        let mut d = draft(vec![
            line(dec!(1), dec!(10.01), None, dec!(10.01), dec!(21)),
            line(dec!(1), dec!(10.01), None, dec!(10.01), dec!(21)),
            line(dec!(2), dec!(5), None, dec!(10), dec!(0)),
        ]);
        d.tax_per_rate = vec![(dec!(21), dec!(4.20))];
        d.total_incl = Some(dec!(34.23));
        let document = build(d).unwrap();
        let t = &document.totals;
        assert_eq!(t.line_extension, dec!(30.02));
        assert_eq!(t.tax, dec!(4.20));
        assert_eq!(t.tax_inclusive, dec!(34.22));
        assert_eq!(t.rounding, dec!(0.01));
        assert_eq!(t.payable, dec!(34.23));
        assert_eq!(document.vat_breakdown.len(), 2);
        assert_eq!(document.vat_breakdown[1].category, VatCategory::Exempt);
        assert_eq!(document.vat_breakdown[0].taxable.to_string(), "20.02");
    }

    #[test]
    fn zero_rates_get_the_category_the_parties_call_for() {
        let be = party("S", Some("BE0403170701"), Some("BE"));
        let nl = party("B", Some("NL123456789B01"), Some("NL"));
        let us = party("U", None, Some("US"));
        let private = party("P", None, Some("BE"));
        assert_eq!(
            vat_category(dec!(0), None, &be, &nl),
            VatCategory::IntraCommunity
        );
        assert_eq!(vat_category(dec!(0), None, &be, &us), VatCategory::Export);
        assert_eq!(
            vat_category(dec!(0), Some("CM"), &be, &be),
            VatCategory::ReverseCharge
        );
        assert_eq!(
            vat_category(dec!(0), Some("CM"), &be, &private),
            VatCategory::Exempt
        );
        assert_eq!(
            vat_category(dec!(0), Some("0%"), &be, &private),
            VatCategory::Exempt
        );
        assert_eq!(
            vat_category(dec!(6), None, &be, &private),
            VatCategory::Standard
        );
    }

    #[test]
    fn negative_credit_notes_are_shown_positive_and_negative_prices_move_to_the_quantity() {
        let mut d = draft(vec![
            line(dec!(1), dec!(-50), None, dec!(-50), dec!(21)),
            line(dec!(-1), dec!(10), None, dec!(-10), dec!(21)),
        ]);
        d.kind = DocumentKind::CreditNote;
        let document = build(d).unwrap();
        assert_eq!(document.lines[0].quantity, dec!(1));
        assert_eq!(document.lines[0].unit_price, dec!(50));
        assert_eq!(document.lines[1].quantity, dec!(1));
        assert_eq!(document.totals.payable, dec!(72.60));
    }

    #[test]
    fn missing_party_data_is_named() {
        let mut d = draft(vec![line(dec!(1), dec!(1), None, dec!(1), dec!(21))]);
        d.buyer = party("Jan Peeters", None, None);
        let error = check_peppol(&build(d).unwrap()).unwrap_err();
        assert!(error.contains("country of the customer's"), "{error}");
        assert!(error.contains("\"VAT number\""), "{error}");
    }
}
