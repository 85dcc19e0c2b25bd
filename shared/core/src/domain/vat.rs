//! VAT numbers and Belgian enterprise numbers: normalisation and checks.
//!
//! People type VAT numbers in every shape ("be 0123.456.749", "BE-0123456749", "0123456749").
//! Ledgers and Peppol want one shape, and a wrong check digit caught here is a refused entry
//! avoided later. Belgian numbers are checked with their mod-97 check digits, Dutch ones by
//! format; other countries are only normalised.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// A VAT number, normalised ("BE0123456789", "NL123456789B01") when it could be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VatNumber(pub String);

impl VatNumber {
    /// The number as stored, e.g. "BE0123456749".
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The two-letter country prefix ("BE", "NL", "FR" …), empty when the number has none.
    pub fn country(&self) -> &str {
        match self.0.get(..2) {
            Some(prefix) if prefix.bytes().all(|b| b.is_ascii_alphabetic()) => prefix,
            _ => "",
        }
    }

    /// True for a Belgian VAT number (which is also an enterprise number, see
    /// [`EnterpriseNumber::from_vat`]).
    pub fn is_belgian(&self) -> bool {
        self.country() == "BE"
    }
}

impl fmt::Display for VatNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for VatNumber {
    type Err = VatError;

    /// Same as [`parse_vat`].
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        parse_vat(raw)
    }
}

/// Why a VAT or enterprise number was refused; the text tells the user what to correct.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VatError {
    /// Nothing but separators was given.
    #[error(
        "The VAT number is empty. Fill it in on the company in Teamleader or on the customer in the ledger, or leave the field blank."
    )]
    Empty,
    /// Characters other than letters, digits and separators.
    #[error(
        "\"{raw}\" is not a VAT number: it may only contain letters, digits, spaces, dots, dashes and slashes. Correct it on the company in Teamleader or on the customer in the ledger."
    )]
    InvalidCharacters {
        /// What was given (trimmed).
        raw: String,
    },
    /// No two-letter country prefix and not recognisable as Belgian.
    #[error(
        "{number} has no country prefix: a VAT number starts with two letters such as BE or NL. Add the prefix on the company in Teamleader or on the customer in the ledger."
    )]
    MissingCountry {
        /// The number, normalised.
        number: String,
    },
    /// A Belgian number of the wrong shape.
    #[error(
        "{number} is not a valid Belgian VAT number: it must be BE followed by 10 digits starting with 0 or 1 (BE0123.456.749). Correct it on the company in Teamleader or on the customer in the ledger."
    )]
    BelgianFormat {
        /// The number, normalised.
        number: String,
    },
    /// A Belgian number whose mod-97 check digits do not match.
    #[error(
        "{number} is not a valid Belgian VAT number: the check digits do not match. Correct it on the company in Teamleader or on the customer in the ledger."
    )]
    BelgianCheckDigits {
        /// The number, normalised.
        number: String,
    },
    /// A Dutch number of the wrong shape.
    #[error(
        "{number} is not a valid Dutch VAT number: it must be NL, 9 digits, the letter B and 2 digits (NL123456789B01). Correct it on the company in Teamleader or on the customer in the ledger."
    )]
    DutchFormat {
        /// The number, normalised.
        number: String,
    },
    /// Another country's number without any digits after the prefix.
    #[error(
        "{number} is not a valid VAT number: the country code must be followed by the number itself. Correct it on the company in Teamleader or on the customer in the ledger."
    )]
    OtherFormat {
        /// The number, normalised.
        number: String,
    },
    /// An enterprise number of the wrong shape.
    #[error(
        "{number} is not a valid Belgian enterprise number: it must be 10 digits starting with 0 or 1 (0123.456.749). Correct it on the company in Teamleader or on the customer in the ledger."
    )]
    EnterpriseFormat {
        /// The number as given, normalised.
        number: String,
    },
    /// An enterprise number whose mod-97 check digits do not match.
    #[error(
        "{number} is not a valid Belgian enterprise number: the check digits do not match. Correct it on the company in Teamleader or on the customer in the ledger."
    )]
    EnterpriseCheckDigits {
        /// The number, normalised.
        number: String,
    },
}

/// The form two VAT numbers are compared in when matching customers across systems: letters
/// and digits only, upper case ("be 0403.170.701" → "BE0403170701"); `None` when nothing is
/// left. Unlike [`parse_vat`] it checks nothing: a number a ledger stored as typed still
/// matches the same number typed the same way elsewhere.
pub fn vat_match_key(raw: &str) -> Option<String> {
    let cleaned: String = raw
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_uppercase();
    (!cleaned.is_empty()).then_some(cleaned)
}

/// Normalises and checks a VAT number.
///
/// Uppercases and removes spaces, dots, dashes and slashes, then:
/// - `BE`: 10 digits starting with 0 or 1 (an old 9-digit number gets a leading 0), with
///   valid mod-97 check digits;
/// - `NL`: 9 digits, `B`, 2 digits (format only);
/// - any other two-letter prefix: kept as given, as long as a number follows;
/// - no prefix: accepted as Belgian when it is 10 digits starting with 0 or 1 that pass the
///   check, refused otherwise.
pub fn parse_vat(raw: &str) -> Result<VatNumber, VatError> {
    let compact = compact(raw);
    if compact.is_empty() {
        return Err(VatError::Empty);
    }
    if !compact.chars().all(is_vat_char) {
        return Err(VatError::InvalidCharacters {
            raw: raw.trim().to_owned(),
        });
    }
    let has_prefix =
        compact.len() >= 2 && compact.as_bytes()[..2].iter().all(u8::is_ascii_alphabetic);
    if !has_prefix {
        return parse_unprefixed(compact);
    }
    let (country, body) = compact.split_at(2);
    match country {
        "BE" => belgian_digits(body)
            .map(|digits| VatNumber(format!("BE{digits}")))
            .map_err(|problem| match problem {
                Problem::Format => VatError::BelgianFormat {
                    number: compact.clone(),
                },
                Problem::CheckDigits(digits) => VatError::BelgianCheckDigits {
                    number: format!("BE{digits}"),
                },
            }),
        "NL" if is_dutch_body(body) => Ok(VatNumber(compact)),
        "NL" => Err(VatError::DutchFormat { number: compact }),
        _ if body.bytes().any(|b| b.is_ascii_digit()) => Ok(VatNumber(compact)),
        _ => Err(VatError::OtherFormat { number: compact }),
    }
}

/// The two mod-97 check digits of a Belgian VAT or enterprise number whose first eight digits
/// (as a number, leading zeros dropped) are `first_eight`: `97 − (first_eight mod 97)`.
/// Also handy for making valid test and demo numbers.
pub fn belgian_check_digits(first_eight: u32) -> u32 {
    97 - first_eight % 97
}

/// A Belgian enterprise number (KBO/BCE), 10 digits: the identifier Peppol knows Belgian
/// companies by (scheme 0208). Only built through [`parse_enterprise_number`] or
/// [`EnterpriseNumber::from_vat`], so it is always valid (deserialising checks it too).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EnterpriseNumber(String);

impl EnterpriseNumber {
    /// The 10 digits, e.g. "0123456749".
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number as printed on Belgian documents, e.g. "0123.456.749".
    pub fn formatted(&self) -> String {
        format!("{}.{}.{}", &self.0[..4], &self.0[4..7], &self.0[7..])
    }

    /// The Peppol participant identifier value with its scheme, e.g. "0208:0123456749".
    pub fn peppol_id(&self) -> String {
        format!("0208:{}", self.0)
    }

    /// The Belgian VAT number carrying this enterprise number, e.g. "BE0123456749".
    pub fn vat_number(&self) -> VatNumber {
        VatNumber(format!("BE{}", self.0))
    }

    /// The enterprise number inside a Belgian VAT number; `None` for other countries or a
    /// Belgian number that does not pass the check.
    pub fn from_vat(vat: &VatNumber) -> Option<EnterpriseNumber> {
        if !vat.is_belgian() {
            return None;
        }
        parse_enterprise_number(vat.as_str()).ok()
    }
}

impl fmt::Display for EnterpriseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for EnterpriseNumber {
    type Err = VatError;

    /// Same as [`parse_enterprise_number`].
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        parse_enterprise_number(raw)
    }
}

impl TryFrom<String> for EnterpriseNumber {
    type Error = VatError;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        parse_enterprise_number(&raw)
    }
}

impl From<EnterpriseNumber> for String {
    fn from(number: EnterpriseNumber) -> Self {
        number.0
    }
}

/// Normalises and checks a Belgian enterprise number: "0123.456.749", "0123 456 749",
/// "BE0123456749" and the old 9-digit "123456749" all give "0123456749". The number must be
/// 10 digits starting with 0 or 1 and pass the mod-97 check.
pub fn parse_enterprise_number(raw: &str) -> Result<EnterpriseNumber, VatError> {
    let compact = compact(raw);
    if compact.is_empty() {
        return Err(VatError::Empty);
    }
    let body = compact.strip_prefix("BE").unwrap_or(&compact);
    belgian_digits(body)
        .map(EnterpriseNumber)
        .map_err(|problem| match problem {
            Problem::Format => VatError::EnterpriseFormat {
                number: compact.clone(),
            },
            Problem::CheckDigits(digits) => VatError::EnterpriseCheckDigits { number: digits },
        })
}

/// What is wrong with the digits of a Belgian number.
enum Problem {
    /// Not 9 or 10 digits, or the first is not 0 or 1.
    Format,
    /// The 10 digits (given) fail the mod-97 check.
    CheckDigits(String),
}

/// The 10 digits of a Belgian number (a 9-digit one gets a leading 0), checked.
fn belgian_digits(body: &str) -> Result<String, Problem> {
    if !body.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Problem::Format);
    }
    let digits = match body.len() {
        9 => format!("0{body}"),
        10 => body.to_owned(),
        _ => return Err(Problem::Format),
    };
    if !digits.starts_with(['0', '1']) {
        return Err(Problem::Format);
    }
    if belgian_check_passes(&digits) {
        Ok(digits)
    } else {
        Err(Problem::CheckDigits(digits))
    }
}

/// The mod-97 check on 10 ASCII digits.
fn belgian_check_passes(digits: &str) -> bool {
    match (digits[..8].parse::<u32>(), digits[8..].parse::<u32>()) {
        (Ok(first_eight), Ok(check)) => belgian_check_digits(first_eight) == check,
        _ => false,
    }
}

/// A number without country prefix: Belgian when it looks and checks like one.
fn parse_unprefixed(compact: String) -> Result<VatNumber, VatError> {
    let looks_belgian = compact.len() == 10
        && compact.bytes().all(|b| b.is_ascii_digit())
        && compact.starts_with(['0', '1']);
    if !looks_belgian {
        return Err(VatError::MissingCountry { number: compact });
    }
    if belgian_check_passes(&compact) {
        Ok(VatNumber(format!("BE{compact}")))
    } else {
        Err(VatError::BelgianCheckDigits { number: compact })
    }
}

/// "123456789B01": 9 digits, B, 2 digits.
fn is_dutch_body(body: &str) -> bool {
    let bytes = body.as_bytes();
    bytes.len() == 12
        && bytes[..9].iter().all(u8::is_ascii_digit)
        && bytes[9] == b'B'
        && bytes[10..].iter().all(u8::is_ascii_digit)
}

/// Uppercase without whitespace, dots, dashes and slashes.
fn compact(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-' | '/'))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Characters a normalised VAT number may hold ('+' and '*' occur in old Irish numbers).
fn is_vat_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid 10-digit Belgian number built from its first eight digits with the formula.
    fn valid_belgian(first_eight: u32) -> String {
        format!("{first_eight:08}{:02}", belgian_check_digits(first_eight))
    }

    #[test]
    fn known_real_belgian_numbers_are_valid() {
        for number in [
            "BE0417497106",
            "BE0202239951",
            "BE0462920226",
            "BE0400378485",
            "BE0402206045",
        ] {
            assert_eq!(parse_vat(number).unwrap().as_str(), number);
        }
    }

    #[test]
    fn belgian_numbers_are_normalised() {
        let cases = [
            ("BE0123.456.749", "BE0123456749"),
            ("be 0123 456 749", "BE0123456749"),
            ("BE-0123-456-749", "BE0123456749"),
            ("BE 0123/456/749", "BE0123456749"),
            ("  BE0417.497.106\t", "BE0417497106"),
            ("BE\u{a0}0417\u{a0}497\u{a0}106", "BE0417497106"),
        ];
        for (raw, expected) in cases {
            assert_eq!(
                parse_vat(raw).unwrap(),
                VatNumber(expected.to_owned()),
                "{raw}"
            );
        }
    }

    #[test]
    fn old_nine_digit_belgian_numbers_get_a_leading_zero() {
        assert_eq!(parse_vat("BE417497106").unwrap().as_str(), "BE0417497106");
        assert_eq!(
            parse_vat("BE 417.497.106").unwrap().as_str(),
            "BE0417497106"
        );
    }

    #[test]
    fn computed_belgian_numbers_pass_and_any_changed_check_digit_fails() {
        for first_eight in [
            4_174_971, 12_345_678, 10_000_000, 19_999_999, 0, 97, 194, 9_999_999,
        ] {
            let valid = valid_belgian(first_eight);
            assert_eq!(
                parse_vat(&format!("BE{valid}")).unwrap().as_str(),
                format!("BE{valid}")
            );
            let check: u32 = valid[8..].parse().unwrap();
            let wrong = format!("BE{}{:02}", &valid[..8], (check % 97) + 1);
            assert_eq!(
                parse_vat(&wrong),
                Err(VatError::BelgianCheckDigits {
                    number: wrong.clone()
                }),
                "{wrong}"
            );
        }
    }

    #[test]
    fn check_digits_are_97_when_the_first_eight_are_a_multiple_of_97() {
        assert_eq!(belgian_check_digits(97 * 12_345), 97);
        assert_eq!(valid_belgian(97 * 12_345), "0119746597");
        assert!(parse_vat("BE0119746597").is_ok());
        assert_eq!(belgian_check_digits(4_174_971), 6);
    }

    #[test]
    fn a_transposed_digit_is_caught() {
        let err = parse_vat("BE0417947106").unwrap_err();
        assert_eq!(
            err,
            VatError::BelgianCheckDigits {
                number: "BE0417947106".into()
            }
        );
    }

    #[test]
    fn belgian_check_digit_error_says_what_and_what_to_do() {
        let message = parse_vat("BE0123.456.788").unwrap_err().to_string();
        assert!(
            message.starts_with("BE0123456788 is not a valid Belgian VAT number"),
            "{message}"
        );
        assert!(message.contains("check digits do not match"), "{message}");
        assert!(
            message.contains("Correct it on the company in Teamleader"),
            "{message}"
        );
    }

    #[test]
    fn belgian_numbers_of_the_wrong_shape_are_refused() {
        for raw in [
            "BE",
            "BE01234567",
            "BE01234567890",
            "BE2123456789",
            "BE9123456789",
            "BE0123A56749",
        ] {
            assert!(
                matches!(parse_vat(raw), Err(VatError::BelgianFormat { .. })),
                "{raw}"
            );
        }
        let message = parse_vat("BE2123456789").unwrap_err().to_string();
        assert!(
            message.contains("10 digits starting with 0 or 1"),
            "{message}"
        );
    }

    #[test]
    fn bare_belgian_numbers_are_accepted_as_be() {
        assert_eq!(parse_vat("0417497106").unwrap().as_str(), "BE0417497106");
        assert_eq!(parse_vat("0417.497.106").unwrap().as_str(), "BE0417497106");
        let valid = valid_belgian(12_345_678);
        assert_eq!(parse_vat(&valid).unwrap().as_str(), format!("BE{valid}"));
    }

    #[test]
    fn bare_belgian_looking_number_with_bad_check_digits_is_refused_as_belgian() {
        assert_eq!(
            parse_vat("0417497107"),
            Err(VatError::BelgianCheckDigits {
                number: "0417497107".into()
            })
        );
    }

    #[test]
    fn numbers_without_prefix_that_are_not_belgian_need_a_country() {
        for raw in ["123456789", "2123456789", "12345678901", "123456789B01"] {
            assert!(
                matches!(parse_vat(raw), Err(VatError::MissingCountry { .. })),
                "{raw}"
            );
        }
        let message = parse_vat("123456789B01").unwrap_err().to_string();
        assert!(
            message.contains("starts with two letters such as BE or NL"),
            "{message}"
        );
    }

    #[test]
    fn dutch_numbers_are_normalised_and_format_checked() {
        assert_eq!(
            parse_vat("NL123456789B01").unwrap().as_str(),
            "NL123456789B01"
        );
        assert_eq!(
            parse_vat("nl 1234.56.789.b01").unwrap().as_str(),
            "NL123456789B01"
        );
        assert_eq!(
            parse_vat("NL002455799B11").unwrap().as_str(),
            "NL002455799B11"
        );
        for raw in [
            "NL123456789",
            "NL123456789B1",
            "NL12345678B01",
            "NL123456789C01",
            "NL123456789B012",
            "NL",
        ] {
            assert!(
                matches!(parse_vat(raw), Err(VatError::DutchFormat { .. })),
                "{raw}"
            );
        }
        let message = parse_vat("NL123456789").unwrap_err().to_string();
        assert!(
            message.contains("NL123456789 is not a valid Dutch VAT number"),
            "{message}"
        );
    }

    #[test]
    fn other_countries_are_kept_as_given_but_normalised() {
        let cases = [
            ("fr 40 303 265 045", "FR40303265045"),
            ("DE 136.695.976", "DE136695976"),
            ("LU-15027442", "LU15027442"),
            ("IE6388047V", "IE6388047V"),
            ("IE1+23456A", "IE1+23456A"),
            ("ESX1234567X", "ESX1234567X"),
            ("CHE-123.456.789 MWST", "CHE123456789MWST"),
        ];
        for (raw, expected) in cases {
            assert_eq!(parse_vat(raw).unwrap().as_str(), expected, "{raw}");
        }
    }

    #[test]
    fn placeholders_are_not_vat_numbers() {
        assert_eq!(parse_vat(""), Err(VatError::Empty));
        assert_eq!(parse_vat(" . - / "), Err(VatError::Empty));
        assert!(matches!(
            parse_vat("N/A"),
            Err(VatError::OtherFormat { .. })
        ));
        assert!(matches!(
            parse_vat("none"),
            Err(VatError::OtherFormat { .. })
        ));
        assert!(matches!(parse_vat("FR"), Err(VatError::OtherFormat { .. })));
    }

    #[test]
    fn other_characters_are_refused() {
        assert_eq!(
            parse_vat(" BE0417,497,106 "),
            Err(VatError::InvalidCharacters {
                raw: "BE0417,497,106".into()
            })
        );
        assert!(matches!(
            parse_vat("BÉ0417497106"),
            Err(VatError::InvalidCharacters { .. })
        ));
    }

    #[test]
    fn from_str_matches_parse_vat() {
        let parsed: VatNumber = "be0417.497.106".parse().unwrap();
        assert_eq!(parsed, parse_vat("BE0417497106").unwrap());
        assert!("BE0417497107".parse::<VatNumber>().is_err());
    }

    #[test]
    fn vat_number_knows_its_country() {
        assert_eq!(parse_vat("BE0417497106").unwrap().country(), "BE");
        assert!(parse_vat("BE0417497106").unwrap().is_belgian());
        assert_eq!(parse_vat("NL123456789B01").unwrap().country(), "NL");
        assert!(!parse_vat("NL123456789B01").unwrap().is_belgian());
        assert_eq!(VatNumber("0417497106".into()).country(), "");
        assert_eq!(VatNumber(String::new()).country(), "");
    }

    #[test]
    fn vat_number_serialises_as_a_plain_string() {
        let vat = parse_vat("BE0417497106").unwrap();
        assert_eq!(serde_json::to_string(&vat).unwrap(), "\"BE0417497106\"");
        let back: VatNumber = serde_json::from_str("\"BE0417497106\"").unwrap();
        assert_eq!(back, vat);
    }

    #[test]
    fn enterprise_numbers_are_normalised() {
        let cases = [
            ("0417.497.106", "0417497106"),
            ("0417 497 106", "0417497106"),
            ("0417497106", "0417497106"),
            ("BE0417497106", "0417497106"),
            ("be 0417.497.106", "0417497106"),
            ("417.497.106", "0417497106"),
        ];
        for (raw, expected) in cases {
            assert_eq!(
                parse_enterprise_number(raw).unwrap().as_str(),
                expected,
                "{raw}"
            );
        }
    }

    #[test]
    fn enterprise_numbers_are_checked() {
        let valid = valid_belgian(10_987_654);
        assert_eq!(parse_enterprise_number(&valid).unwrap().as_str(), valid);
        assert_eq!(
            parse_enterprise_number("0417.497.107"),
            Err(VatError::EnterpriseCheckDigits {
                number: "0417497107".into()
            })
        );
        for raw in [
            "2123456789",
            "12345678",
            "041749710A",
            "NL0417497106",
            "01234567890",
        ] {
            assert!(
                matches!(
                    parse_enterprise_number(raw),
                    Err(VatError::EnterpriseFormat { .. })
                ),
                "{raw}"
            );
        }
        assert_eq!(parse_enterprise_number("  "), Err(VatError::Empty));
        let message = parse_enterprise_number("0417.497.107")
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("0417497107 is not a valid Belgian enterprise number"),
            "{message}"
        );
    }

    #[test]
    fn enterprise_number_forms() {
        let number = parse_enterprise_number("0417497106").unwrap();
        assert_eq!(number.formatted(), "0417.497.106");
        assert_eq!(number.peppol_id(), "0208:0417497106");
        assert_eq!(number.vat_number().as_str(), "BE0417497106");
        assert_eq!(number.to_string(), "0417497106");
    }

    #[test]
    fn enterprise_number_from_vat_only_for_valid_belgian_numbers() {
        let be = parse_vat("BE0417497106").unwrap();
        assert_eq!(
            EnterpriseNumber::from_vat(&be).unwrap().as_str(),
            "0417497106"
        );
        let nl = parse_vat("NL123456789B01").unwrap();
        assert_eq!(EnterpriseNumber::from_vat(&nl), None);
        let unchecked = VatNumber("BE0417497107".into());
        assert_eq!(EnterpriseNumber::from_vat(&unchecked), None);
    }

    #[test]
    fn enterprise_number_deserialising_checks_it() {
        let ok: EnterpriseNumber = serde_json::from_str("\"0417.497.106\"").unwrap();
        assert_eq!(ok.as_str(), "0417497106");
        assert_eq!(serde_json::to_string(&ok).unwrap(), "\"0417497106\"");
        assert!(serde_json::from_str::<EnterpriseNumber>("\"0417497107\"").is_err());
    }
}
