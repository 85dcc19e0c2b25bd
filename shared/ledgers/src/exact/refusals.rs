//! Exact Online's refusals, translated for people. Exact answers business-rule failures with
//! HTTP 500 (sometimes 400/403) and localized text such as "Periode is afgesloten: 2026 - 1"
//! or "Verplicht: Factuur voor\r\nOngeldige referentie: Leveren aan". Koppel keeps that text
//! (the accountant recognises it) and adds what to do about it. The whole table lives here.

use koppel_core::{ExternalError, Localized};

/// The system name used in Exact errors.
pub const SYSTEM: &str = "Exact Online";

/// One row of the table: any of `patterns` (case-insensitive substrings of Exact's text, in
/// Dutch, French or English) means `advice`.
struct Rule {
    patterns: &'static [&'static str],
    advice: &'static str,
}

/// First match wins, so specific rules come before general ones.
const RULES: &[Rule] = &[
    Rule {
        patterns: &[
            "is afgesloten",
            "est clôturée",
            "période clôturée",
            "period is closed",
            "closed period",
        ],
        advice: "reopen the period in Exact Online or change the document date",
    },
    Rule {
        patterns: &[
            "unknown: financial year",
            "onbekend: boekjaar",
            "exercice inconnu",
            "inconnu: exercice",
        ],
        advice: "create the financial year and its periods for the document date in Exact Online",
    },
    Rule {
        patterns: &[
            "boekstuknummer",
            "entry number",
            "booking number",
            "numéro de pièce",
            "already exists",
        ],
        advice: "check in Exact Online whether this document was already booked; if not, move the journal's next entry number past it",
    },
    Rule {
        patterns: &["wrongdivision", "nodivisionaccess", "divisionblocked"],
        advice: "open the reactivation page and choose an Exact Online administration this user may use",
    },
    Rule {
        patterns: &["geblokkeerd", "bloqué", "blocked"],
        advice: "unblock it in Exact Online, or choose another one on the reactivation page",
    },
    Rule {
        patterns: &["in gebruik: code", "code is already in use"],
        advice: "another Exact Online account already has this customer code; correct the external id in Teamleader or the code in Exact Online",
    },
    Rule {
        patterns: &[
            "referentie: klant",
            "reference: customer",
            "référence: client",
        ],
        advice: "the Exact Online customer linked to this Teamleader customer no longer exists; restore it in Exact Online, or clear the customer's external id in Teamleader and sync again",
    },
    Rule {
        patterns: &[
            "betalingsconditie",
            "betalingsvoorwaarde",
            "payment condition",
            "condition de paiement",
        ],
        advice: "the payment condition does not exist in this Exact Online administration; create it (for direct debit: payment method 'Collection') in Exact Online and sync again",
    },
    Rule {
        patterns: &[
            "ongeldig: factuur voor",
            "invalide: facturer à",
            "invalid: invoice to",
        ],
        advice: "mark the relation as a customer in Exact Online, or link the Teamleader customer to another Exact account",
    },
    Rule {
        patterns: &[
            "grootboekrekening",
            "gl account",
            "compte général",
            "glaccount",
        ],
        advice: "map the lines to a revenue GL account (product category, tax rate or default account) on the reactivation page",
    },
    Rule {
        patterns: &[
            "btw",
            "vat code",
            "vatcode",
            "vat percentage",
            "vat-",
            "tva",
        ],
        advice: "map the Teamleader tax rate to an exclusive VAT code that exists in Exact Online on the reactivation page",
    },
    Rule {
        patterns: &["journals", "dagboek", "journal"],
        advice: "choose an existing sales journal of this Exact Online administration on the reactivation page",
    },
    Rule {
        patterns: &["verplicht", "obligatoire", "mandatory", "required"],
        advice: "fill in the missing field on the document or customer in Teamleader and sync again",
    },
];

/// A refusal of the whole connection (HTTP 403, a token refused right after renewal): its
/// words → what a person does, in Dutch, French and English. First match wins.
struct ConnectionRule {
    patterns: &'static [&'static str],
    nl: &'static str,
    fr: &'static str,
    en: &'static str,
}

const CONNECTION_RULES: &[ConnectionRule] = &[
    ConnectionRule {
        patterns: &["wrongdivision", "nodivisionaccess", "divisionblocked"],
        nl: "open de reactivatiepagina en kies een Exact Online-administratie waartoe deze gebruiker toegang heeft",
        fr: "ouvrez la page de réactivation et choisissez une administration Exact Online à laquelle cet utilisateur a accès",
        en: "open the reactivation page and choose an Exact Online administration this user may use",
    },
    ConnectionRule {
        patterns: &["blockeduser", "inactiveuser"],
        nl: "deze Exact Online-gebruiker is geblokkeerd of inactief: laat hem deblokkeren in Exact Online, of meld u op de reactivatiepagina aan bij Exact Online met een andere gebruiker",
        fr: "cet utilisateur Exact Online est bloqué ou inactif : faites-le débloquer dans Exact Online, ou reconnectez-vous à Exact Online sur la page de réactivation avec un autre utilisateur",
        en: "this Exact Online user is blocked or inactive: have it unblocked in Exact Online, or sign in to Exact Online again on the reactivation page with another user",
    },
    ConnectionRule {
        patterns: &["blockedcustomer", "licenseexpired", "license expired"],
        nl: "het Exact Online-abonnement van deze administratie is geblokkeerd of verlopen: regel dit met Exact Online en druk daarna op \"Nu synchroniseren\"",
        fr: "l'abonnement Exact Online de cette administration est bloqué ou expiré : réglez-le avec Exact Online puis appuyez sur « Synchroniser »",
        en: "the Exact Online subscription of this administration is blocked or expired: settle it with Exact Online, then press \"Sync now\"",
    },
    ConnectionRule {
        patterns: &["scope", "rights", "rechten", "droits"],
        nl: "Koppel mist rechten in Exact Online: meld u op de reactivatiepagina opnieuw aan bij Exact Online en geef Koppel alle gevraagde toegang",
        fr: "Koppel n'a pas tous les droits dans Exact Online : reconnectez-vous à Exact Online sur la page de réactivation et accordez à Koppel tous les accès demandés",
        en: "Koppel lacks rights in Exact Online: sign in to Exact Online again on the reactivation page and grant Koppel all the access it asks for",
    },
];

/// What to do about a connection refusal nothing in [`CONNECTION_RULES`] names (a token
/// refused right after renewal, a bare 403): sign in again; if Exact blocked the app after
/// too many errors, that block lifts within the hour.
const CONNECTION_FALLBACK: ConnectionRule = ConnectionRule {
    patterns: &[],
    nl: "meld u op de reactivatiepagina opnieuw aan bij Exact Online met een gebruiker die deze administratie mag gebruiken (heeft Exact de app na te veel fouten geblokkeerd, dan vervalt dat binnen het uur)",
    fr: "reconnectez-vous à Exact Online sur la page de réactivation avec un utilisateur qui a accès à cette administration (si Exact a bloqué l'application après trop d'erreurs, le blocage cesse dans l'heure)",
    en: "sign in to Exact Online again on the reactivation page with a user who may use this administration (if Exact blocked the app after too many errors, that block lifts within the hour)",
};

/// What a person does about a refusal of the whole connection with these Exact words, in
/// the three languages of the connection page.
pub fn connection_advice(text: &str) -> Localized {
    let lower = text.to_lowercase();
    let rule = CONNECTION_RULES
        .iter()
        .find(|rule| rule.patterns.iter().any(|p| lower.contains(p)))
        .unwrap_or(&CONNECTION_FALLBACK);
    Localized {
        nl: rule.nl.to_owned(),
        fr: rule.fr.to_owned(),
        en: rule.en.to_owned(),
    }
}

/// What to do when nothing in the table matches.
const FALLBACK_ADVICE: &str = "correct it in Exact Online or in Teamleader and sync again";

/// Exact's text tidied for one line: `\r\n`-joined messages become "; ", an "Error 500: "
/// prefix is dropped, whitespace is collapsed.
pub fn tidy(text: &str) -> String {
    let text = text.trim();
    let text = match text.strip_prefix("Error ") {
        Some(rest)
            // `get`: the first three bytes may end inside a character ("Error 1€: …").
            if rest.len() > 4
                && rest
                    .get(..3)
                    .is_some_and(|code| code.chars().all(|c| c.is_ascii_digit()))
                && rest[3..].starts_with(':') =>
        {
            rest[4..].trim_start()
        }
        _ => text,
    };
    text.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// What a person should do about this Exact text.
pub fn advice_for(text: &str) -> &'static str {
    let lower = text.to_lowercase();
    RULES
        .iter()
        .find(|rule| rule.patterns.iter().any(|p| lower.contains(p)))
        .map_or(FALLBACK_ADVICE, |rule| rule.advice)
}

/// The user-facing message: "entry 2026 / 17: Periode is afgesloten: 2026 - 1 — reopen the
/// period in Exact Online or change the document date." (`ExternalError`'s display adds
/// "Exact Online refused it: " in front).
pub fn message(subject: &str, exact_text: &str) -> String {
    let text = tidy(exact_text);
    let text = if text.is_empty() {
        "no reason given".to_owned()
    } else {
        text
    };
    format!("{subject}: {text} — {}.", advice_for(&text))
}

/// Rewrite an Exact refusal about `subject` ("entry 2026 / 17", "customer Acme") into one a
/// person can act on. Errors that are not refusals pass through unchanged.
pub fn explain(error: ExternalError, subject: &str) -> ExternalError {
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
    fn closed_period_keeps_exact_text_and_says_what_to_do() {
        let error = explain(
            rejected(500, "Periode is afgesloten: 2026 - 1"),
            "entry 2026 / 17",
        );
        let ExternalError::Rejected {
            status, message, ..
        } = &error
        else {
            panic!("{error:?}")
        };
        assert_eq!(*status, 500);
        assert_eq!(
            message,
            "entry 2026 / 17: Periode is afgesloten: 2026 - 1 — reopen the period in Exact Online or change the document date."
        );
        assert!(
            error
                .to_string()
                .starts_with("Exact Online refused it: entry 2026 / 17: Periode is afgesloten")
        );
    }

    #[test]
    fn multi_line_texts_are_joined_and_prefix_dropped() {
        assert_eq!(
            tidy("Error 500: Verplicht: Factuur voor\r\nVerplicht:  Besteld door\r\n"),
            "Verplicht: Factuur voor; Verplicht: Besteld door"
        );
        assert_eq!(
            tidy("Error processing request stream."),
            "Error processing request stream."
        );
    }

    #[test]
    fn table_rows() {
        let cases = [
            ("Periode is afgesloten: 2026 – 1", "reopen the period"),
            (
                "Unknown: Financial year (Period-date table)",
                "create the financial year",
            ),
            ("In gebruik: Boekstuknummer.", "already booked"),
            (
                "Already exists - Entry number: 17, Journal: 700",
                "already booked",
            ),
            (
                "Ongeldig: Factuur voor (Type)",
                "mark the relation as a customer",
            ),
            ("Ongeldig: Grootboekrekeningtype", "revenue GL account"),
            ("Ongeldig: Btw-percentage []", "exclusive VAT code"),
            ("Ongeldige referentie: Journals", "existing sales journal"),
            ("Ongeldige referentie: Dagboek", "existing sales journal"),
            (
                "Ongeldig dagboek. Het dagboek moet een verkoopdagboek zijn.",
                "existing sales journal",
            ),
            ("Geblokkeerd: Grootboekrekening", "unblock it"),
            ("Geblokkeerd: Btw-code", "unblock it"),
            (
                "Ongeldige referentie: Grootboekrekening",
                "revenue GL account",
            ),
            ("Ongeldige referentie: Btw-code", "exclusive VAT code"),
            ("Ongeldige referentie: Klant", "no longer exists"),
            ("Verplicht: Klant", "fill in the missing field"),
            ("In gebruik: Code", "already has this customer code"),
            (
                "Ongeldige referentie: Betalingsconditie",
                "payment condition does not exist",
            ),
            (
                "Forbidden - DivisionBlocked",
                "administration this user may use",
            ),
            (
                "Onbekend: Boekjaar (Periode-datumtabel)",
                "create the financial year",
            ),
            (
                "Invalid journal. The journal must be a cash journal.",
                "existing sales journal",
            ),
            (
                "Forbidden - WrongDivision",
                "administration this user may use",
            ),
            ("Mandatory: Relationship", "fill in the missing field"),
            ("Verplicht: Factuur voor", "fill in the missing field"),
            ("Het boekjaar is afgesloten", "reopen the period"),
            (
                "Invalid: private person",
                "correct it in Exact Online or in Teamleader",
            ),
            (
                "Something nobody anticipated",
                "correct it in Exact Online or in Teamleader",
            ),
        ];
        for (text, expected) in cases {
            assert!(
                advice_for(text).contains(expected),
                "{text} -> {}",
                advice_for(text)
            );
        }
    }

    #[test]
    fn connection_refusals_say_what_to_do_in_three_languages() {
        let advice = connection_advice("Forbidden - WrongDivision");
        assert!(advice.en.contains("choose an Exact Online administration"));
        assert!(advice.nl.contains("administratie") && advice.fr.contains("administration"));
        assert!(
            connection_advice("Forbidden (BlockedUser)")
                .en
                .contains("blocked or inactive")
        );
        assert!(
            connection_advice("Forbidden (LicenseExpired)")
                .en
                .contains("subscription")
        );
        assert!(
            connection_advice("Forbidden - Application Scope Violated. Cannot read")
                .en
                .contains("lacks rights")
        );
        let fallback = connection_advice("Forbidden");
        assert!(fallback.en.starts_with("sign in to Exact Online again"));
        for text in [fallback.nl, fallback.fr, fallback.en] {
            assert!(
                !text.contains("Teamleader"),
                "the ledger's link, not Teamleader's: {text}"
            );
        }
    }

    #[test]
    fn empty_text_still_reads() {
        assert_eq!(
            message("entry 1", "  "),
            "entry 1: no reason given — correct it in Exact Online or in Teamleader and sync again."
        );
    }

    #[test]
    fn other_errors_pass_through() {
        let unavailable = ExternalError::Unavailable {
            system: SYSTEM,
            detail: "timeout".into(),
        };
        assert_eq!(explain(unavailable.clone(), "entry 1"), unavailable);
    }
}
