//! Peppol electronic addresses (`cbc:EndpointID`) of sellers and buyers: the Belgian
//! enterprise number under scheme 0208, else the VAT number under the scheme the Peppol
//! "Electronic Address Scheme" code list gives its country.

use koppel_core::{EnterpriseNumber, InvoiceParty, parse_enterprise_number, parse_vat};

/// An `EndpointID` with its `schemeID`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElectronicAddress {
    /// The EAS code, e.g. "0208" or "9944".
    pub scheme: &'static str,
    /// The identifier, e.g. "0403170701" or "NL123456789B01".
    pub value: String,
}

/// The EAS scheme of a VAT number by its prefix, from the Peppol code list (3.0.19). Countries
/// missing here have no VAT-based scheme in Peppol (Sweden, Denmark, Finland, Norway use their
/// registry numbers).
fn vat_scheme(prefix: &str) -> Option<&'static str> {
    Some(match prefix {
        "HU" => "9910",
        "AT" => "9914",
        "ES" => "9920",
        "AD" => "9922",
        "AL" => "9923",
        "BA" => "9924",
        "BE" => "9925",
        "BG" => "9926",
        "CH" => "9927",
        "CY" => "9928",
        "CZ" => "9929",
        "DE" => "9930",
        "EE" => "9931",
        "GB" => "9932",
        "EL" | "GR" => "9933",
        "HR" => "9934",
        "IE" => "9935",
        "LI" => "9936",
        "LT" => "9937",
        "LU" => "9938",
        "LV" => "9939",
        "MC" => "9940",
        "ME" => "9941",
        "MK" => "9942",
        "MT" => "9943",
        "NL" => "9944",
        "PL" => "9945",
        "PT" => "9946",
        "RO" => "9947",
        "RS" => "9948",
        "SI" => "9949",
        "SK" => "9950",
        "SM" => "9951",
        "TR" => "9952",
        "VA" => "9953",
        "FR" => "9957",
        "IT" => "0211",
        _ => return None,
    })
}

/// True for the member states of the EU (VAT prefix "EL" counts as Greece).
pub fn is_eu_country(code: &str) -> bool {
    matches!(
        code,
        "AT" | "BE"
            | "BG"
            | "CY"
            | "CZ"
            | "DE"
            | "DK"
            | "EE"
            | "EL"
            | "ES"
            | "FI"
            | "FR"
            | "GR"
            | "HR"
            | "HU"
            | "IE"
            | "IT"
            | "LT"
            | "LU"
            | "LV"
            | "MT"
            | "NL"
            | "PL"
            | "PT"
            | "RO"
            | "SE"
            | "SI"
            | "SK"
    )
}

/// The party's enterprise number: the one given, else the one inside a Belgian VAT number.
pub(crate) fn enterprise_number(party: &InvoiceParty) -> Option<EnterpriseNumber> {
    party
        .enterprise_number
        .as_deref()
        .and_then(|raw| parse_enterprise_number(raw).ok())
        .or_else(|| {
            party
                .vat_number
                .as_deref()
                .and_then(|raw| parse_vat(raw).ok())
                .and_then(|vat| EnterpriseNumber::from_vat(&vat))
        })
}

/// The party's VAT number, normalised ("BE0403170701"), when it parses.
pub(crate) fn vat_number(party: &InvoiceParty) -> Option<String> {
    party
        .vat_number
        .as_deref()
        .and_then(|raw| parse_vat(raw).ok())
        .map(|vat| vat.as_str().to_owned())
}

/// The party's Peppol electronic address: `0208` + the enterprise number for Belgian parties
/// (derived from a BE VAT number when the enterprise number is missing), else the VAT number
/// under its country's scheme; `None` when the party has neither (a private person).
pub fn electronic_address(party: &InvoiceParty) -> Option<ElectronicAddress> {
    if let Some(number) = enterprise_number(party) {
        return Some(ElectronicAddress {
            scheme: "0208",
            value: number.as_str().to_owned(),
        });
    }
    let vat = vat_number(party)?;
    let scheme = vat_scheme(vat.get(..2)?)?;
    Some(ElectronicAddress { scheme, value: vat })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn party(vat: Option<&str>, enterprise: Option<&str>) -> InvoiceParty {
        InvoiceParty {
            name: "x".into(),
            vat_number: vat.map(str::to_owned),
            enterprise_number: enterprise.map(str::to_owned),
            ..InvoiceParty::default()
        }
    }

    #[test]
    fn belgian_parties_get_0208_from_the_enterprise_or_the_vat_number() {
        let from_vat = electronic_address(&party(Some("BE 0403.170.701"), None)).unwrap();
        assert_eq!(from_vat.scheme, "0208");
        assert_eq!(from_vat.value, "0403170701");
        let given = electronic_address(&party(None, Some("0202.239.951"))).unwrap();
        assert_eq!((given.scheme, given.value.as_str()), ("0208", "0202239951"));
    }

    #[test]
    fn other_countries_use_their_vat_scheme_and_private_people_have_none() {
        let dutch = electronic_address(&party(Some("NL123456789B01"), None)).unwrap();
        assert_eq!(
            (dutch.scheme, dutch.value.as_str()),
            ("9944", "NL123456789B01")
        );
        assert_eq!(electronic_address(&party(None, None)), None);
        assert_eq!(
            electronic_address(&party(Some("SE556677889901"), None)),
            None
        );
    }
}
