//! Octopus's refusals, translated for people. Octopus answers with
//! `{"errorCode", "errorMessage", "technicalInfo"}` and English text such as "Book year
//! period is closed" or "Journal V1 has the wrong type …". Koppel keeps that text (the
//! accountant recognises it) and adds what to do about it. The whole table lives here.

use koppel_core::ExternalError;

/// The system name used in Octopus errors.
pub const SYSTEM: &str = "Octopus";

/// One row of the table: any of `patterns` (case-insensitive substrings of Octopus's text)
/// means `advice`.
struct Rule {
    patterns: &'static [&'static str],
    advice: &'static str,
}

/// First match wins, so specific rules come before general ones.
const RULES: &[Rule] = &[
    Rule {
        patterns: &[
            "period is closed",
            "periode is afgesloten",
            "période est clôturée",
        ],
        advice: "reopen the period (or lift its protection) in Octopus, or change the document date",
    },
    Rule {
        patterns: &["wrong type"],
        advice: "choose a journal of entry type \"Verkoop Boekingen\" (Sales bookings) on the reactivation page: Octopus journals of type \"Facturen\" (Invoices) cannot take bookings",
    },
    Rule {
        patterns: &["already exists in journal", "sequence number"],
        advice: "another booking took this document number in Octopus meanwhile; press \"Sync now\" and Koppel books it under the next free number",
    },
    Rule {
        patterns: &["journal", "dagboek"],
        advice: "check the journal in Octopus: a new journal is visible to Koppel only after \"Bestand > Synchroniseren\" (File > Synchronise) in Octopus; then choose it on the reactivation page",
    },
    Rule {
        patterns: &["book year", "bookyear", "boekjaar"],
        advice: "create the book year of the document date in Octopus (Beheer > Boekjaren)",
    },
    Rule {
        patterns: &["relation", "relatie"],
        advice: "the Octopus relation linked to this Teamleader customer no longer exists; restore it in Octopus, or clear the customer's \"Klantennummer boekhoudpakket\" in Teamleader and sync again",
    },
    Rule {
        patterns: &["account", "rekening"],
        advice: "map the lines to a revenue account (70…) that exists in this Octopus book year on the reactivation page",
    },
    Rule {
        patterns: &["vat", "btw", "tva"],
        advice: "map the Teamleader tax rate to an Octopus VAT code on the reactivation page",
    },
    Rule {
        patterns: &["amount", "bedrag"],
        advice: "check the document's totals in Teamleader (the lines must add up to the total) and sync again",
    },
];

/// What to do when nothing in the table matches.
const FALLBACK_ADVICE: &str = "correct it in Octopus or in Teamleader and sync again";

/// What a person should do about this Octopus text.
pub fn advice_for(text: &str) -> &'static str {
    let lower = text.to_lowercase();
    RULES
        .iter()
        .find(|rule| rule.patterns.iter().any(|p| lower.contains(p)))
        .map_or(FALLBACK_ADVICE, |rule| rule.advice)
}

/// The user-facing message: "booking 2026 / 17: Book year period is closed — reopen the
/// period … ." (`ExternalError`'s display adds "Octopus refused it: " in front).
pub fn message(subject: &str, text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = if text.is_empty() {
        "no reason given".to_owned()
    } else {
        text
    };
    format!("{subject}: {text} — {}.", advice_for(&text))
}

/// True when Octopus refused because someone has the journal open ("in use by another
/// user"): nothing is wrong with the document, and every booking in that journal would be
/// refused the same way until the journal is closed.
pub fn is_journal_in_use(error: &ExternalError) -> bool {
    matches!(error, ExternalError::Rejected { message, .. }
        if message.to_lowercase().contains("in use"))
}

/// True when Octopus refused a booking because its document number is taken.
pub fn is_number_taken(error: &ExternalError) -> bool {
    matches!(error, ExternalError::Rejected { message, .. }
        if message.to_lowercase().contains("already exists in journal"))
}

/// Rewrite an Octopus refusal about `subject` ("booking 2026 / 17", "relation Acme") into
/// one a person can act on. A journal someone has open becomes a pause of the run (the
/// documents go with the next run once it is closed), said with what to do. Errors that are
/// not refusals pass through unchanged.
pub fn explain(error: ExternalError, subject: &str, journal: &str) -> ExternalError {
    if is_journal_in_use(&error) {
        return ExternalError::Busy {
            system: SYSTEM,
            detail: format!(
                "the sales journal {journal} is open in Octopus (\"het verkoopdagboek mag niet open staan\"): close it in Octopus while the link runs; nothing was booked, and the documents go with the next run"
            ),
        };
    }
    match error {
        ExternalError::Rejected {
            system,
            status,
            message: text,
        } => ExternalError::Rejected {
            system,
            status,
            message: message(subject, &text),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(status: u16, text: &str) -> ExternalError {
        ExternalError::Rejected {
            system: SYSTEM,
            status,
            message: text.to_owned(),
        }
    }

    #[test]
    fn refusals_keep_octopus_words_and_say_what_to_do() {
        let cases = [
            ("Book year period is closed", "reopen the period"),
            (
                "Journal V1 has the wrong type: it should be Sales bookings but is Invoices",
                "Verkoop Boekingen",
            ),
            ("Journal V3 not found", "Synchroniseren"),
            ("Book year 7 does not exist", "create the book year"),
            ("Relation 17 does not exist", "Klantennummer boekhoudpakket"),
            ("Account 709999 does not exist", "revenue account"),
            ("Vat code 99 does not exist", "VAT code"),
            ("Something odd", "correct it in Octopus"),
        ];
        for (text, advice) in cases {
            let ExternalError::Rejected { message, .. } =
                explain(rejected(400, text), "booking 2026 / 17", "V1")
            else {
                panic!("{text}: still a refusal");
            };
            assert!(message.starts_with("booking 2026 / 17: "), "{message}");
            assert!(message.contains(text), "{message}");
            assert!(message.contains(advice), "{text} → {message}");
        }
    }

    #[test]
    fn a_journal_in_use_pauses_the_run_with_what_to_do() {
        let error = explain(
            rejected(403, "Journal V1 is in use by another user"),
            "booking 2026 / 17",
            "V1",
        );
        let ExternalError::Busy { detail, .. } = &error else {
            panic!("{error:?}");
        };
        assert!(detail.contains("close it in Octopus"), "{detail}");
        assert!(detail.contains("next run"), "{detail}");
    }

    #[test]
    fn a_taken_number_is_recognised() {
        assert!(is_number_taken(&rejected(
            400,
            "Document sequence number 3 already exists in journal V1"
        )));
        assert!(!is_number_taken(&rejected(
            400,
            "Book year period is closed"
        )));
    }
}
