//! Twinfield's refusals, translated for people. Twinfield answers in Dutch, as `msg`
//! attributes with `msgtype="error"` anywhere in the ProcessXml answer ("De boeking is niet
//! in balans.", "Periode 2026/11 is afgesloten.", "Factuurnummer 17 komt reeds voor.") or as a
//! SOAP fault ("Toegang geweigerd. …"). Koppel keeps the text and adds what to do. The whole
//! table lives here.

use koppel_core::ExternalError;

/// The system name used in Twinfield errors.
pub const SYSTEM: &str = "Twinfield";

struct Rule {
    patterns: &'static [&'static str],
    advice: &'static str,
}

/// First match wins.
const RULES: &[Rule] = &[
    Rule {
        patterns: &["is afgesloten", "is gesloten", "closed"],
        advice: "reopen the period in Twinfield, or change the document date",
    },
    Rule {
        patterns: &["periode", "period"],
        advice: "create the period (and its year) in Twinfield",
    },
    Rule {
        patterns: &["niet in balans", "balanceert niet"],
        advice: "check the document's totals in Teamleader (the lines and VAT must add up to the total) and sync again",
    },
    Rule {
        patterns: &["debiteur"],
        advice: "the Twinfield customer linked to this Teamleader customer no longer exists; restore it, or clear the customer's external id in Teamleader and sync again",
    },
    Rule {
        patterns: &["btw-code", "btw code", "vat code"],
        advice: "map the Teamleader tax rate to a sales VAT code of this Twinfield office on the reactivation page",
    },
    Rule {
        patterns: &["dimensie", "dimension"],
        advice: "map the lines to a revenue account that exists in this Twinfield office on the reactivation page",
    },
    Rule {
        patterns: &["formaat", "format"],
        advice: "the customer code in Teamleader's external id does not fit this office's customer code format; clear it in Teamleader and Koppel lets Twinfield number the customer",
    },
    Rule {
        patterns: &["e-mailadres", "email"],
        advice: "fill in the customer's e-mail address in Teamleader (the office invoices electronically) and sync again",
    },
    Rule {
        patterns: &["dagboek", "transactietype", "boekingstype"],
        advice: "choose a sales transaction type (e.g. VRK) of this office on the reactivation page",
    },
];

const FALLBACK_ADVICE: &str = "correct it in Twinfield or in Teamleader and sync again";

/// What a person should do about this Twinfield text.
pub fn advice_for(text: &str) -> &'static str {
    let lower = text.to_lowercase();
    RULES
        .iter()
        .find(|rule| rule.patterns.iter().any(|p| lower.contains(p)))
        .map_or(FALLBACK_ADVICE, |rule| rule.advice)
}

/// "transaction 2026 / 17: Periode 2026/11 is afgesloten. — reopen the period …."
pub fn message(subject: &str, text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = if text.is_empty() {
        "no reason given".to_owned()
    } else {
        text
    };
    format!("{subject}: {text} — {}.", advice_for(&text))
}

/// A refusal of `subject` with Twinfield's `messages`.
pub fn refused(subject: &str, messages: &[String]) -> ExternalError {
    ExternalError::Rejected {
        system: SYSTEM,
        status: 0,
        message: message(subject, &messages.join(" // ")),
    }
}

/// True when Twinfield refused an invoice number it already has for this customer and
/// transaction type ("Factuurnummer … komt reeds voor."): the document is there already.
pub fn is_duplicate_invoice_number(messages: &[String]) -> bool {
    messages
        .iter()
        .any(|m| m.to_lowercase().contains("komt reeds voor"))
}

/// True when a SOAP fault says the organisation moved to another cluster.
pub fn is_cluster_moved(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.contains("ander cluster") || lower.contains("another cluster")
}

/// True when a SOAP fault refuses access ("Toegang geweigerd"): the connection, not the
/// request.
pub fn is_access_refused(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.contains("toegang geweigerd") || lower.contains("access denied")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dutch_refusals_keep_their_words_and_say_what_to_do() {
        for (text, advice) in [
            ("Periode 2026/11 is afgesloten.", "reopen the period"),
            (
                "De boeking kan niet gemaakt worden omdat periode 2020/01 niet bestaat",
                "create the period",
            ),
            (
                "De boeking is niet in balans. Er ontbreekt 0.01 debet.",
                "totals",
            ),
            ("Debiteur 10099 bestaat niet.", "customer"),
            ("Btw-code XX bestaat niet.", "VAT code"),
            ("Dimensie 8099 bestaat niet.", "revenue account"),
            (
                "De code voldoet niet aan het formaat 1[0-9][0-9][0-9][0-9].",
                "code format",
            ),
            ("Iets anders", "correct it in Twinfield"),
        ] {
            let ExternalError::Rejected { message, .. } =
                refused("transaction 2026 / 17", &[text.to_owned()])
            else {
                panic!("a refusal");
            };
            assert!(message.contains(text.trim_end_matches('.')), "{message}");
            assert!(message.contains(advice), "{text}: {message}");
        }
        assert!(is_duplicate_invoice_number(&[
            "Factuurnummer 2026 / 17 komt reeds voor.".into()
        ]));
        assert!(is_cluster_moved(
            "Deze organisatie bevindt zich op een ander cluster."
        ));
        assert!(is_access_refused(
            "Toegang geweigerd. Company ontbreekt in request header."
        ));
    }
}
