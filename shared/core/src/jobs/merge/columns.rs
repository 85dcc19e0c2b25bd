//! The columns Koppel reads from a merge file, and the header names it accepts for each.
//!
//! Teamleader exports companies with headers in the user's language ("Naam", "Nom", "Name"),
//! and people rename or retype them ("Bedrijfsnaam", "BTW nummer", "Extern ID"). Every name
//! accepted is listed in [`ACCEPTED_HEADERS`], the one place to extend. Headers are compared
//! in a folded form (case, accents, punctuation and spacing ignored), so "Btw-nummer",
//! "BTW nummer" and "btw_nummer" are one name; a header must match a listed name whole, never
//! a part of it.
//!
//! Deliberately not accepted as the VAT column: "Ondernemingsnummer" / "Numéro d'entreprise"
//! (Teamleader keeps the enterprise number in a field of its own, and an export can carry
//! both columns); rename the column to "Btw-nummer" to use it.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::LazyLock;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// A column Koppel reads from a merge file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MergeColumn {
    /// The company name (required): what rows are matched on by name, and the name of a
    /// company that would be added.
    Name,
    /// The external id, the ledger's customer number (required): what the merge writes.
    ExternalId,
    /// The VAT number (optional, recommended): what rows are matched on by VAT number.
    VatNumber,
}

impl MergeColumn {
    /// Every column, in the order messages list them.
    pub const ALL: [MergeColumn; 3] = [Self::Name, Self::ExternalId, Self::VatNumber];

    /// True for the columns a merge file cannot do without (name and external id).
    pub fn is_required(self) -> bool {
        !matches!(self, Self::VatNumber)
    }

    /// The column in a user-facing sentence: "the name", "the external id", "the VAT number".
    pub fn described(self) -> &'static str {
        match self {
            Self::Name => "the name",
            Self::ExternalId => "the external id",
            Self::VatNumber => "the VAT number",
        }
    }

    /// The header names accepted for this column.
    pub fn header_names(self) -> &'static HeaderNames {
        match self {
            Self::Name => &ACCEPTED_HEADERS[0],
            Self::ExternalId => &ACCEPTED_HEADERS[1],
            Self::VatNumber => &ACCEPTED_HEADERS[2],
        }
    }
}

impl fmt::Display for MergeColumn {
    /// The English header name ("Name", "External ID", "VAT number").
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.header_names().english)
    }
}

/// The header names accepted for one column: the three Teamleader itself uses when exporting
/// (shown to the user in messages) and the variants people type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderNames {
    /// The column these names are for.
    pub column: MergeColumn,
    /// Teamleader's Dutch header.
    pub dutch: &'static str,
    /// Teamleader's French header.
    pub french: &'static str,
    /// Teamleader's English header.
    pub english: &'static str,
    /// Other spellings accepted, in any of the three languages.
    pub variants: &'static [&'static str],
}

impl HeaderNames {
    /// Every accepted name: Teamleader's three, then the variants.
    pub fn all(&self) -> impl Iterator<Item = &'static str> + use<> {
        let own = [self.dutch, self.french, self.english];
        own.into_iter().chain(self.variants.iter().copied())
    }
}

/// Every header name Koppel accepts, per column (the one place to extend).
pub const ACCEPTED_HEADERS: [HeaderNames; 3] = [
    HeaderNames {
        column: MergeColumn::Name,
        dutch: "Naam",
        french: "Nom",
        english: "Name",
        variants: &[
            "Bedrijfsnaam",
            "Naam bedrijf",
            "Bedrijf",
            "Nom de l'entreprise",
            "Nom de la société",
            "Nom entreprise",
            "Entreprise",
            "Société",
            "Raison sociale",
            "Company name",
            "Company",
        ],
    },
    HeaderNames {
        column: MergeColumn::ExternalId,
        dutch: "Klantennummer boekhoudpakket",
        french: "ID externe",
        english: "External ID",
        variants: &[
            "Extern ID",
            "Externe ID",
            "Extern nummer",
            "Klantennummer",
            "Klantnummer",
            "Klantnummer boekhoudpakket",
            "Identifiant externe",
            "Numéro de client",
            "Numéro client",
            "N° client",
            "External identifier",
            "Customer number",
            "Customer no",
            "Accounting customer number",
        ],
    },
    HeaderNames {
        column: MergeColumn::VatNumber,
        dutch: "Btw-nummer",
        french: "Numéro de TVA",
        english: "VAT number",
        variants: &[
            "Btw",
            "Btw-nr",
            "Numéro TVA",
            "N° TVA",
            "N° de TVA",
            "TVA",
            "VAT",
            "VAT no",
            "VAT ID",
        ],
    },
];

/// Folded accepted header → its column, built once from [`ACCEPTED_HEADERS`].
static HEADER_INDEX: LazyLock<Vec<(String, MergeColumn)>> = LazyLock::new(|| {
    ACCEPTED_HEADERS
        .iter()
        .flat_map(|names| {
            names
                .all()
                .map(move |name| (fold_header(name), names.column))
        })
        .collect()
});

/// The column a header names, if it is one of the [`ACCEPTED_HEADERS`] (case, accents,
/// punctuation and spacing ignored): "BTW-nummer" → VAT number, "Nom" → name, "Notes" → none.
pub fn recognise_header(header: &str) -> Option<MergeColumn> {
    let folded = fold_header(header);
    if folded.is_empty() {
        return None;
    }
    HEADER_INDEX
        .iter()
        .find(|(name, _)| *name == folded)
        .map(|(_, column)| *column)
}

/// The form headers are compared in: lowercase, accents removed, every run of characters
/// other than letters and digits one space ("N° TVA" → "n tva", "Btw_nummer" → "btw nummer").
fn fold_header(header: &str) -> String {
    let plain: String = header
        .to_lowercase()
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .collect();
    plain
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A column as found in the header row of an uploaded file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundColumn {
    /// The header as written in the file (trimmed).
    pub header: String,
    /// 0-based position of the column (0 is column A).
    pub index: u32,
}

impl FoundColumn {
    /// The column's spreadsheet letters ("A", "B", … "AA").
    pub fn letters(&self) -> String {
        column_letters(self.index)
    }
}

impl fmt::Display for FoundColumn {
    /// "'Naam' (column A)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}' (column {})", self.header, self.letters())
    }
}

/// The spreadsheet letters of a 0-based column index: 0 → "A", 25 → "Z", 26 → "AA".
pub fn column_letters(index: u32) -> String {
    let mut letters = Vec::new();
    let mut rest = u64::from(index) + 1;
    while rest > 0 {
        let remainder = (rest - 1) % 26;
        letters.push(char::from(b'A' + remainder as u8));
        rest = (rest - 1) / 26;
    }
    letters.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn teamleaders_headers_in_three_languages_are_recognised() {
        for names in &ACCEPTED_HEADERS {
            for header in [names.dutch, names.french, names.english] {
                assert_eq!(recognise_header(header), Some(names.column), "{header}");
            }
        }
    }

    #[test]
    fn case_accents_punctuation_and_spacing_are_ignored() {
        let cases = [
            ("BTW-nummer", MergeColumn::VatNumber),
            ("btw nummer", MergeColumn::VatNumber),
            (" Btw_Nummer ", MergeColumn::VatNumber),
            ("Numero de TVA", MergeColumn::VatNumber),
            ("NUMÉRO DE TVA", MergeColumn::VatNumber),
            ("N° TVA", MergeColumn::VatNumber),
            ("vat-number", MergeColumn::VatNumber),
            ("klantennummer  boekhoudpakket", MergeColumn::ExternalId),
            ("Extern ID", MergeColumn::ExternalId),
            ("id externe", MergeColumn::ExternalId),
            ("EXTERNAL ID", MergeColumn::ExternalId),
            ("Bedrijfsnaam", MergeColumn::Name),
            ("Company name", MergeColumn::Name),
            ("Nom de la societe", MergeColumn::Name),
        ];
        for (header, column) in cases {
            assert_eq!(recognise_header(header), Some(column), "{header}");
        }
    }

    #[test]
    fn other_headers_are_not_recognised() {
        for header in [
            "",
            "  ",
            "Ondernemingsnummer",
            "Numéro d'entreprise",
            "E-mail",
            "Naam contactpersoon",
            "Btw-nummer klant oud",
            "ID",
        ] {
            assert_eq!(recognise_header(header), None, "{header}");
        }
    }

    #[test]
    fn no_header_name_belongs_to_two_columns() {
        let mut seen: HashMap<String, MergeColumn> = HashMap::new();
        for names in &ACCEPTED_HEADERS {
            for name in names.all() {
                if let Some(other) = seen.insert(fold_header(name), names.column) {
                    assert_eq!(other, names.column, "{name} is listed for two columns");
                }
            }
        }
    }

    #[test]
    fn each_column_finds_its_own_names() {
        for column in MergeColumn::ALL {
            assert_eq!(column.header_names().column, column);
        }
        assert_eq!(MergeColumn::VatNumber.to_string(), "VAT number");
        assert!(MergeColumn::Name.is_required());
        assert!(MergeColumn::ExternalId.is_required());
        assert!(!MergeColumn::VatNumber.is_required());
    }

    #[test]
    fn column_letters_are_spreadsheet_letters() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(2), "C");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
        assert_eq!(column_letters(16_383), "XFD");
    }
}
