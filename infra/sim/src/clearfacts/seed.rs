//! The default scenario: one accountant with two administrations, Koppel's local OAuth client.

use std::collections::BTreeSet;

use super::model::{Address, Administration, Country, Customer, Email, Journal, OAuthClient, User};
use super::options::{
    ADMINISTRATION_DEMO, ADMINISTRATION_SERVICES, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET,
    DEFAULT_PASSWORD, DEFAULT_USER,
};

/// The redirect URI pattern that accepts any absolute URL (what the other simulators accept).
pub const ANY_REDIRECT_URI: &str = "*";

/// The journals every seeded administration gets.
pub fn journals() -> Vec<Journal> {
    [
        ("CFAK", "ClearFacts Aankopen", false),
        ("CFAC", "ClearFacts Aankopen creditnota's", true),
        ("CFVK", "ClearFacts Verkopen", false),
        ("CFVC", "ClearFacts Verkopen creditnota's", true),
    ]
    .into_iter()
    .map(|(id, name, credit_note)| Journal {
        id: id.to_owned(),
        name: name.to_owned(),
        credit_note,
    })
    .collect()
}

/// An administration with the seeded journals, a Belgian address and intake addresses
/// derived from `slug`.
pub fn administration(company_number: &str, name: &str, slug: &str) -> Administration {
    Administration {
        company_number: company_number.to_owned(),
        name: name.to_owned(),
        account_manager: Some("An Peeters".to_owned()),
        emails: vec![
            Email {
                kind: "purchase".to_owned(),
                email_address: format!("{slug}.aankoop@inbox.clearfacts.example"),
            },
            Email {
                kind: "sale".to_owned(),
                email_address: format!("{slug}.verkoop@inbox.clearfacts.example"),
            },
        ],
        address: Address {
            street_address: Some("Kerkstraat 1".to_owned()),
            country: Some(Country {
                iso2: "BE".to_owned(),
                name: "België".to_owned(),
            }),
        },
        journals: journals(),
        customers: Vec::new(),
    }
}

/// The seeded administrations: `0899623035` "Demo BV" (with three customers) and
/// `0456789012` "Koppel Services".
pub fn administrations() -> Vec<Administration> {
    let mut demo = administration(ADMINISTRATION_DEMO, "Demo BV", "demo-bv");
    demo.customers = [
        ("1", "Brouwerij Het Anker NV"),
        ("2", "Bakkerij De Korenaar BV"),
        ("3", "Garage Peeters"),
    ]
    .into_iter()
    .map(|(id, name)| Customer {
        id: id.to_owned(),
        name: name.to_owned(),
    })
    .collect();
    vec![
        demo,
        administration(
            ADMINISTRATION_SERVICES,
            "Koppel Services",
            "koppel-services",
        ),
    ]
}

/// The seeded user [`DEFAULT_USER`] with access to both administrations.
pub fn user() -> User {
    User {
        id: "1001".to_owned(),
        username: DEFAULT_USER.to_owned(),
        email: DEFAULT_USER.to_owned(),
        password: DEFAULT_PASSWORD.to_owned(),
        administrations: BTreeSet::from([
            ADMINISTRATION_DEMO.to_owned(),
            ADMINISTRATION_SERVICES.to_owned(),
        ]),
    }
}

/// Koppel's local client, accepting any redirect URI.
pub fn client() -> OAuthClient {
    OAuthClient {
        client_id: DEFAULT_CLIENT_ID.to_owned(),
        secret: DEFAULT_CLIENT_SECRET.to_owned(),
        redirect_uris: vec![ANY_REDIRECT_URI.to_owned()],
    }
}
