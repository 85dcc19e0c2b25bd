//! Company-name normalisation for matching.
//!
//! The merge file and the company import match ledger customers to Teamleader companies by
//! name when there is no VAT number. The same company is written "Bakkerij Janssens BV" in one
//! system and "bakkerij janssens" in the other, or "Café Zoë NV" and "Cafe Zoe", so names are
//! compared in a normal form: lowercase, no accents, no punctuation, single spaces and no legal
//! form at the start or end.

use std::sync::LazyLock;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Legal forms as people write them. Each is reduced to words the same way names are (so
/// "B.V.B.A." becomes the words "b v b a") and removed when it starts or ends a name.
const LEGAL_FORM_SPELLINGS: &[&str] = &[
    // Belgium and the Netherlands (Dutch)
    "BV",
    "B.V.",
    "NV",
    "N.V.",
    "BVBA",
    "B.V.B.A.",
    "VOF",
    "V.O.F.",
    "CommV",
    "Comm.V",
    "Comm. V.",
    "CVBA",
    "C.V.B.A.",
    "CV",
    "C.V.",
    "VZW",
    "V.Z.W.",
    "Eenmanszaak",
    // Belgium and France (French)
    "SRL",
    "S.R.L.",
    "SA",
    "S.A.",
    "SPRL",
    "S.P.R.L.",
    "SPRLU",
    "S.P.R.L.U.",
    "SCRL",
    "S.C.R.L.",
    "SC",
    "S.C.",
    "SNC",
    "S.N.C.",
    "ASBL",
    "A.S.B.L.",
    "SAS",
    "S.A.S.",
    "SARL",
    "S.A.R.L.",
    // Elsewhere
    "Ltd",
    "Ltd.",
    "PLC",
    "Inc",
    "Inc.",
    "LLC",
    "GmbH",
];

/// The legal forms as word sequences, longest first so "b v b a" wins over "b v".
static LEGAL_FORMS: LazyLock<Vec<Vec<String>>> = LazyLock::new(|| {
    let mut forms: Vec<Vec<String>> = LEGAL_FORM_SPELLINGS
        .iter()
        .map(|spelling| words(spelling))
        .collect();
    forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    forms.dedup();
    forms
});

/// The form of a company name used for matching: lowercase, accents removed, punctuation
/// (including "&") replaced by spaces, whitespace collapsed, and legal forms (BV, N.V.,
/// S.A., BVBA, SRL, VZW, GmbH, …) removed where they start or end the name. A name that is
/// nothing but a legal form keeps it.
///
/// "Bakkerij Janssens BV" → "bakkerij janssens"; "Dupont & Fils S.A." → "dupont fils";
/// "Café Zoë NV" → "cafe zoe".
pub fn normalize_company_name(name: &str) -> String {
    let mut words = words(name);
    while let Some(form) = LEGAL_FORMS
        .iter()
        .find(|form| form.len() < words.len() && words.ends_with(form))
    {
        words.truncate(words.len() - form.len());
    }
    while let Some(form) = LEGAL_FORMS
        .iter()
        .find(|form| form.len() < words.len() && words.starts_with(form))
    {
        words.drain(..form.len());
    }
    words.join(" ")
}

/// True when the name carries a legal form (BV, N.V., SRL, VZW, GmbH, …) at its start or
/// end, or is one: the name of an enterprise, never of a private person.
pub fn has_legal_form(name: &str) -> bool {
    let words = words(name);
    !words.is_empty()
        && (LEGAL_FORMS.contains(&words) || normalize_company_name(name) != words.join(" "))
}

/// True when two company names are the same after [`normalize_company_name`] (and not empty).
pub fn same_company_name(a: &str, b: &str) -> bool {
    let a = normalize_company_name(a);
    !a.is_empty() && a == normalize_company_name(b)
}

/// Lowercase words of `text` without accents; anything not a letter or digit separates words.
fn words(text: &str) -> Vec<String> {
    let mut folded = String::with_capacity(text.len());
    for c in text
        .to_lowercase()
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
    {
        match fold_letter(c) {
            Some(plain) => folded.push_str(plain),
            None => folded.push(c),
        }
    }
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Letters that Unicode decomposition leaves alone but people also write without the mark.
fn fold_letter(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'ø' => "o",
        'ł' => "l",
        'đ' | 'ð' => "d",
        'þ' => "th",
        'ı' => "i",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_examples_match() {
        assert_eq!(
            normalize_company_name("Bakkerij Janssens BV"),
            "bakkerij janssens"
        );
        assert_eq!(normalize_company_name("Dupont & Fils S.A."), "dupont fils");
        assert_eq!(normalize_company_name("Café Zoë NV"), "cafe zoe");
        assert!(same_company_name(
            "Bakkerij Janssens BV",
            "bakkerij janssens"
        ));
        assert!(same_company_name("Dupont & Fils S.A.", "DUPONT FILS"));
        assert!(same_company_name("Café Zoë NV", "cafe zoe"));
    }

    #[test]
    fn accents_are_removed() {
        assert_eq!(
            normalize_company_name("Élégance Créations"),
            "elegance creations"
        );
        assert_eq!(normalize_company_name("Brasserie Ñandú"), "brasserie nandu");
        assert_eq!(
            normalize_company_name("Müller Bäckerei GmbH"),
            "muller backerei"
        );
        assert_eq!(
            normalize_company_name("Cœur de Bœuf SPRL"),
            "coeur de boeuf"
        );
        assert_eq!(normalize_company_name("Straße Ærø"), "strasse aero");
    }

    #[test]
    fn punctuation_and_whitespace_are_normalised() {
        assert_eq!(
            normalize_company_name("  Van den Broeck,   Peeters\t& Co. "),
            "van den broeck peeters co"
        );
        assert_eq!(
            normalize_company_name("L'Atelier du Pain"),
            "l atelier du pain"
        );
        assert_eq!(
            normalize_company_name("Janssens-Peeters (Gent)"),
            "janssens peeters gent"
        );
        assert_eq!(normalize_company_name("Bureau A+B"), "bureau a b");
        assert_eq!(normalize_company_name("Plan\u{a0}B"), "plan b");
    }

    #[test]
    fn dotted_and_plain_legal_forms_are_removed_at_the_end() {
        for name in [
            "Janssens BV",
            "Janssens B.V.",
            "Janssens NV",
            "Janssens N.V.",
            "Janssens BVBA",
            "Janssens B.V.B.A.",
            "Janssens bvba",
            "Janssens SRL",
            "Janssens SA",
            "Janssens S.A.",
            "Janssens SPRL",
            "Janssens VOF",
            "Janssens V.O.F.",
            "Janssens CommV",
            "Janssens Comm.V",
            "Janssens Comm. V.",
            "Janssens SCRL",
            "Janssens CVBA",
            "Janssens CV",
            "Janssens SC",
            "Janssens SNC",
            "Janssens ASBL",
            "Janssens VZW",
            "Janssens Ltd",
            "Janssens Ltd.",
            "Janssens GmbH",
            "Janssens SAS",
            "Janssens SARL",
            "Janssens Eenmanszaak",
            "Janssens, BV",
            "Janssens (BV)",
        ] {
            assert_eq!(normalize_company_name(name), "janssens", "{name}");
        }
    }

    #[test]
    fn legal_forms_are_removed_at_the_start() {
        assert_eq!(normalize_company_name("SA Dupont Frères"), "dupont freres");
        assert_eq!(normalize_company_name("S.P.R.L. Lambert"), "lambert");
        assert_eq!(
            normalize_company_name("VZW De Kleine Wereld"),
            "de kleine wereld"
        );
        assert_eq!(normalize_company_name("ASBL Les Amis"), "les amis");
        assert_eq!(normalize_company_name("Sa Casa Nostra"), "casa nostra");
    }

    #[test]
    fn several_legal_forms_and_both_ends() {
        assert_eq!(normalize_company_name("NV Janssens BV"), "janssens");
        assert_eq!(normalize_company_name("Peeters BVBA - SPRL"), "peeters");
    }

    #[test]
    fn legal_forms_inside_the_name_stay() {
        assert_eq!(
            normalize_company_name("Bouw NV Vandamme Partners"),
            "bouw nv vandamme partners"
        );
        assert_eq!(
            normalize_company_name("Casa SA Bruxelles"),
            "casa sa bruxelles"
        );
    }

    #[test]
    fn legal_form_letters_only_count_as_whole_words() {
        assert_eq!(normalize_company_name("Nova Sabv"), "nova sabv");
        assert_eq!(normalize_company_name("Visa Nv"), "visa");
        assert_eq!(normalize_company_name("Kasa"), "kasa");
        assert_eq!(normalize_company_name("Agnv"), "agnv");
    }

    #[test]
    fn a_legal_form_tells_an_enterprise_from_a_person() {
        for name in [
            "Nieuwe Klant Eén BV",
            "B.V.B.A. De Smet",
            "Dupont & Fils S.A.",
            "SRL",
            "Eenmanszaak Peeters",
        ] {
            assert!(has_legal_form(name), "{name}");
        }
        for name in ["Jan Peeters", "Marie Dubois", "Visa", "Agnv", "", " - "] {
            assert!(!has_legal_form(name), "{name}");
        }
    }

    #[test]
    fn a_name_that_is_only_a_legal_form_keeps_it() {
        assert_eq!(normalize_company_name("SA"), "sa");
        assert_eq!(normalize_company_name("B.V."), "b v");
        assert_eq!(normalize_company_name("NV BV"), "nv");
        assert_eq!(normalize_company_name("Eenmanszaak"), "eenmanszaak");
    }

    #[test]
    fn empty_and_punctuation_only_names_are_empty() {
        assert_eq!(normalize_company_name(""), "");
        assert_eq!(normalize_company_name(" &-. "), "");
        assert!(!same_company_name("", ""));
        assert!(!same_company_name("&", "-"));
    }

    #[test]
    fn different_companies_stay_different() {
        assert!(!same_company_name("Janssens BV", "Janssens Bouw BV"));
        assert!(!same_company_name("Dupont & Fils", "Dupont Frères"));
        assert!(!same_company_name("Café Zoë", "Café Zoé Bis"));
    }

    #[test]
    fn normalising_twice_changes_nothing() {
        for name in [
            "Bakkerij Janssens BV",
            "Dupont & Fils S.A.",
            "Café Zoë NV",
            "SA",
            "NV BV",
        ] {
            let once = normalize_company_name(name);
            assert_eq!(normalize_company_name(&once), once, "{name}");
        }
    }
}
