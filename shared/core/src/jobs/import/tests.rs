//! The company import against the memory ports.

use super::{CompanyImport, import_tag};
use crate::jobs::test_world::*;
use crate::memory::InMemoryLedger;
use crate::vat::parse_vat;
use crate::{
    Address, ConnectionId, Customer, CustomerMappingStore, CustomerRef, ImportCounts, IssueSubject,
    JobKind, LedgerKind, RunReport, RunStatus,
};
use std::time::Duration;

fn ledger_customer(name: &str, vat: Option<&str>) -> Customer {
    Customer {
        reference: CustomerRef::company(format!("ledger-{name}")),
        name: name.to_owned(),
        vat_number: vat.map(|v| parse_vat(v).expect("valid VAT")),
        enterprise_number: None,
        addresses: Vec::new(),
        emails: vec![format!("info@{}.be", name.to_lowercase().replace(' ', ""))],
        external_id: None,
        language: None,
    }
}

fn teamleader_company(id: &str, name: &str, vat: Option<&str>, external: Option<&str>) -> Customer {
    Customer {
        reference: CustomerRef::company(id),
        external_id: external.map(str::to_owned),
        ..ledger_customer(name, vat)
    }
}

async fn world() -> World {
    let world = World::new(InMemoryLedger::new(LedgerKind::Octopus, reference()));
    world.connect(connection()).await;
    world
}

async fn import(world: &World, run: &str, budget: Option<Duration>) -> (u32, RunReport) {
    let job = CompanyImport {
        mappings: &world.store,
    };
    world
        .run_job(&job, JobKind::CompanyImport, run, budget)
        .await
}

fn counts(report: &RunReport) -> ImportCounts {
    report.import_counts()
}

#[tokio::test]
async fn existing_companies_are_linked_the_rest_created_once_and_a_second_run_changes_nothing() {
    let world = world().await;
    world.source.set_language("fr");
    world.ledger.add_customer(
        "1001",
        ledger_customer("Brouwerij De Ster BV", Some("BE0403170701")),
    );
    world
        .ledger
        .add_customer("1002", ledger_customer("Café Zoë", None));
    world.ledger.add_customer(
        "1003",
        ledger_customer("Atelier Nord", Some("BE0776091951")),
    );
    world
        .ledger
        .add_customer("1004", ledger_customer("Nieuwe Klant", None));
    // Teamleader already holds the brewery (by VAT, another spelling) and the café (by name).
    world.source.put_customer(teamleader_company(
        "tl-1",
        "Brouwerij de Ster",
        Some("BE 0403.170.701"),
        None,
    ));
    world
        .source
        .put_customer(teamleader_company("tl-2", "cafe zoe", None, None));

    let (_, report) = import(&world, "import-1", None).await;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    let c = counts(&report);
    assert_eq!(
        (c.listed, c.linked, c.created, c.already_linked),
        (4, 2, 2, 0),
        "{c:?}"
    );
    let companies = world.source.companies();
    assert_eq!(companies.len(), 4, "no duplicates: {companies:#?}");
    let by_external: Vec<(String, String)> = companies
        .iter()
        .map(|c| (c.external_id.clone().unwrap_or_default(), c.name.clone()))
        .collect();
    assert!(by_external.contains(&("1001".to_owned(), "Brouwerij de Ster".to_owned())));
    assert!(by_external.contains(&("1002".to_owned(), "cafe zoe".to_owned())));
    let created = companies
        .iter()
        .find(|c| c.name == "Atelier Nord")
        .expect("created");
    assert_eq!(
        world.source.tags_of(&created.reference.id),
        vec!["Importation Octopus".to_owned()]
    );
    assert_eq!(
        created.vat_number.as_ref().map(|v| v.as_str()),
        Some("BE0776091951")
    );
    // Koppel's mapping knows every link.
    let mapped = world
        .store
        .customer_mapping(&ConnectionId::from("c1"), &CustomerRef::company("tl-1"))
        .await
        .unwrap();
    assert_eq!(mapped.map(|m| m.0), Some("1001".to_owned()));

    let (_, again) = import(&world, "import-2", None).await;
    let c = counts(&again);
    assert_eq!((c.already_linked, c.linked, c.created), (4, 0, 0), "{c:?}");
    assert_eq!(world.source.companies().len(), 4);
}

#[tokio::test]
async fn ambiguous_and_conflicting_matches_are_listed_never_guessed() {
    let world = world().await;
    world
        .ledger
        .add_customer("2001", ledger_customer("Bakkerij Janssens", None));
    world.ledger.add_customer(
        "2002",
        ledger_customer("Garage Peeters", Some("BE0403170701")),
    );
    world.source.put_customer(teamleader_company(
        "tl-a",
        "Bakkerij Janssens BV",
        None,
        None,
    ));
    world
        .source
        .put_customer(teamleader_company("tl-b", "bakkerij janssens", None, None));
    world.source.put_customer(teamleader_company(
        "tl-c",
        "Garage Peeters",
        Some("BE0403170701"),
        Some("9999"),
    ));
    let (_, report) = import(&world, "import-1", None).await;
    assert_eq!(report.status, RunStatus::CompletedWithIssues);
    let c = counts(&report);
    assert_eq!(
        (c.ambiguous, c.conflicts, c.created, c.linked),
        (1, 1, 0, 0),
        "{c:?}"
    );
    assert_eq!(
        world.source.companies().len(),
        3,
        "nothing created for them"
    );
    assert!(
        report
            .issues
            .iter()
            .any(|i| i.reason.contains("Koppel does not guess"))
    );
    assert!(
        report
            .issues
            .iter()
            .any(|i| i.reason.contains("already has customer number 9999"))
    );
}

#[tokio::test]
async fn a_name_match_with_another_vat_number_is_another_company() {
    let world = world().await;
    world.ledger.add_customer(
        "3001",
        ledger_customer("Atelier Nord", Some("BE0776091951")),
    );
    world.source.put_customer(teamleader_company(
        "tl-x",
        "Atelier Nord",
        Some("BE0403170701"),
        None,
    ));
    let (_, report) = import(&world, "import-1", None).await;
    assert_eq!(counts(&report).created, 1, "{report:#?}");
    assert_eq!(world.source.companies().len(), 2);
}

#[tokio::test]
async fn a_large_import_continues_over_invocations_and_creates_each_company_once() {
    let world = world().await;
    for n in 0..60 {
        world.ledger.add_customer(
            &format!("{}", 4000 + n),
            ledger_customer(&format!("Klant {n:03}"), None),
        );
    }
    // Every Teamleader call takes 200 ms of clock time; 3 s per invocation.
    let (invocations, report) = import(&world, "import-1", Some(Duration::from_secs(3))).await;
    assert!(invocations > 2, "{invocations}");
    assert_eq!(counts(&report).created, 60, "{report:#?}");
    assert_eq!(world.source.companies().len(), 60, "each once");
}

/// A private customer as the ledger keeps it (a contact reference: see
/// `InMemoryLedger::add_customer`).
fn ledger_person(name: &str, email: Option<&str>) -> Customer {
    Customer {
        reference: CustomerRef::contact(format!("ledger-{name}")),
        name: name.to_owned(),
        vat_number: None,
        enterprise_number: None,
        addresses: vec![Address {
            line_1: Some("Kerkstraat 1".to_owned()),
            postal_code: Some("9000".to_owned()),
            city: Some("Gent".to_owned()),
            country: Some("BE".to_owned()),
        }],
        emails: email.into_iter().map(str::to_owned).collect(),
        external_id: None,
        language: Some("nl".to_owned()),
    }
}

fn teamleader_contact(
    id: &str,
    name: &str,
    email: Option<&str>,
    external: Option<&str>,
) -> Customer {
    Customer {
        reference: CustomerRef::contact(id),
        external_id: external.map(str::to_owned),
        ..ledger_person(name, email)
    }
}

#[tokio::test]
async fn private_customers_become_tagged_contacts_with_their_phone_and_companies_stay_companies() {
    let world = world().await;
    world.ledger.add_customer(
        "5001",
        ledger_customer("Brouwerij De Ster BV", Some("BE0403170701")),
    );
    world.ledger.set_phone("5001", "+32 9 123 45 67");
    world
        .ledger
        .add_customer("5002", ledger_person("Jan Peeters", Some("jan@peeters.be")));
    world.ledger.set_phone("5002", "0475 12 34 56");

    let (_, report) = import(&world, "import-1", None).await;
    assert_eq!(report.status, RunStatus::Succeeded, "{report:#?}");
    let c = counts(&report);
    assert_eq!(
        (c.listed, c.created, c.contacts_created),
        (2, 1, 1),
        "{c:?}"
    );

    let companies = world.source.companies();
    assert_eq!(
        companies.len(),
        1,
        "the person is no company: {companies:#?}"
    );
    assert_eq!(
        world.source.phone_of(&companies[0].reference.id).as_deref(),
        Some("+32 9 123 45 67")
    );
    let contacts = world.source.contacts();
    assert_eq!(contacts.len(), 1, "{contacts:#?}");
    let jan = &contacts[0];
    assert_eq!(jan.name, "Jan Peeters");
    assert_eq!(jan.external_id.as_deref(), Some("5002"));
    assert_eq!(jan.emails, vec!["jan@peeters.be".to_owned()]);
    assert_eq!(jan.addresses[0].city.as_deref(), Some("Gent"));
    assert_eq!(jan.language.as_deref(), Some("nl"));
    assert_eq!(
        world.source.phone_of(&jan.reference.id).as_deref(),
        Some("0475 12 34 56")
    );
    assert_eq!(
        world.source.tags_of(&jan.reference.id),
        vec!["Octopus Import".to_owned()]
    );
    let mapped = world
        .store
        .customer_mapping(&ConnectionId::from("c1"), &jan.reference)
        .await
        .unwrap();
    assert_eq!(mapped.map(|m| m.0), Some("5002".to_owned()));

    let (_, again) = import(&world, "import-2", None).await;
    let c = counts(&again);
    assert_eq!(
        (c.already_linked, c.created, c.contacts_created),
        (2, 0, 0),
        "{c:?}"
    );
    assert_eq!(
        world.source.contacts().len(),
        1,
        "running it twice changes nothing"
    );
}

#[tokio::test]
async fn an_existing_contact_is_linked_by_e_mail_or_name_and_namesakes_are_listed() {
    let world = world().await;
    // By e-mail, whatever the spelling of the name.
    world
        .ledger
        .add_customer("6001", ledger_person("Peeters Jan", Some("Jan@Peeters.be")));
    // By name, the contact having no e-mail.
    world.ledger.add_customer(
        "6002",
        ledger_person("Marie Dubois", Some("marie@dubois.fr")),
    );
    // Two contacts of that name: listed, not guessed.
    world
        .ledger
        .add_customer("6003", ledger_person("An Maes", None));
    // A namesake with another e-mail address is another person.
    world
        .ledger
        .add_customer("6004", ledger_person("Tom Claes", Some("tom@claes.be")));
    world.source.put_customer(teamleader_contact(
        "ct-1",
        "Jan Peeters",
        Some("jan@peeters.be"),
        None,
    ));
    world
        .source
        .put_customer(teamleader_contact("ct-2", "marie dubois", None, None));
    world
        .source
        .put_customer(teamleader_contact("ct-3", "An Maes", None, None));
    world
        .source
        .put_customer(teamleader_contact("ct-4", "An Maes", None, None));
    world.source.put_customer(teamleader_contact(
        "ct-5",
        "Tom Claes",
        Some("tom.claes@elders.be"),
        None,
    ));

    let (_, report) = import(&world, "import-1", None).await;
    assert_eq!(report.status, RunStatus::CompletedWithIssues, "{report:#?}");
    let c = counts(&report);
    assert_eq!(
        (c.linked, c.ambiguous, c.contacts_created, c.created),
        (2, 1, 1, 0),
        "{c:?}"
    );
    let contacts = world.source.contacts();
    let external = |id: &str| {
        contacts
            .iter()
            .find(|c| c.reference.id == id)
            .and_then(|c| c.external_id.clone())
    };
    assert_eq!(external("ct-1").as_deref(), Some("6001"));
    assert_eq!(external("ct-2").as_deref(), Some("6002"));
    assert_eq!((external("ct-3"), external("ct-4")), (None, None));
    assert_eq!(external("ct-5"), None);
    assert_eq!(contacts.len(), 6, "one new Tom Claes: {contacts:#?}");
    let ambiguous = report
        .issues
        .iter()
        .find(|i| i.reason.contains("Several Teamleader contacts match"))
        .expect("the namesakes are listed");
    assert_eq!(
        ambiguous.subject,
        IssueSubject::Contact {
            id: Some("6003".to_owned()),
            name: "An Maes".to_owned()
        }
    );
}

#[tokio::test]
async fn a_customer_teamleader_keeps_as_the_other_kind_is_linked_there_not_duplicated() {
    let world = world().await;
    // A sole trader with a VAT number: a company in the ledger, a contact in Teamleader.
    world.ledger.add_customer(
        "7001",
        ledger_customer("Atelier Nord", Some("BE0776091951")),
    );
    // A private customer Teamleader keeps as a company.
    world
        .ledger
        .add_customer("7002", ledger_person("Dokter Janssens", None));
    world
        .source
        .put_customer(teamleader_contact("ct-1", "Atelier Nord", None, None));
    world
        .source
        .put_customer(teamleader_company("tl-1", "Dokter Janssens", None, None));
    // The company of its own kind is still preferred over a contact of the same name.
    world.ledger.add_customer(
        "7003",
        ledger_customer("Garage Peeters", Some("BE0403170701")),
    );
    world
        .source
        .put_customer(teamleader_company("tl-2", "Garage Peeters", None, None));
    world
        .source
        .put_customer(teamleader_contact("ct-2", "Garage Peeters", None, None));

    let (_, report) = import(&world, "import-1", None).await;
    let c = counts(&report);
    assert_eq!(
        (c.linked, c.created, c.contacts_created),
        (3, 0, 0),
        "{report:#?}"
    );
    let contact = |id: &str| {
        world
            .source
            .contacts()
            .into_iter()
            .find(|c| c.reference.id == id)
            .and_then(|c| c.external_id)
    };
    let company = |id: &str| {
        world
            .source
            .companies()
            .into_iter()
            .find(|c| c.reference.id == id)
            .and_then(|c| c.external_id)
    };
    assert_eq!(contact("ct-1").as_deref(), Some("7001"));
    assert_eq!(company("tl-1").as_deref(), Some("7002"));
    assert_eq!(company("tl-2").as_deref(), Some("7003"));
    assert_eq!(contact("ct-2"), None);
    let mapped = world
        .store
        .customer_mapping(&ConnectionId::from("c1"), &CustomerRef::contact("ct-1"))
        .await
        .unwrap();
    assert_eq!(mapped.map(|m| m.0), Some("7001".to_owned()));

    let (_, again) = import(&world, "import-2", None).await;
    assert_eq!(counts(&again).already_linked, 3, "{again:#?}");
}

#[tokio::test]
async fn on_the_users_word_customers_without_any_number_or_legal_form_become_contacts() {
    let world = World::new(InMemoryLedger::new(LedgerKind::Octopus, reference()));
    let mut told = connection();
    told.settings.private_customers_without_numbers = true;
    world.connect(told).await;
    world
        .ledger
        .add_customer("8001", ledger_customer("Jan Peeters", None));
    world
        .ledger
        .add_customer("8002", ledger_customer("Bakkerij Janssens BV", None));
    world.ledger.add_customer(
        "8003",
        ledger_customer("Atelier Nord", Some("BE0776091951")),
    );
    world.ledger.add_customer(
        "8004",
        Customer {
            enterprise_number: Some("0403170701".to_owned()),
            ..ledger_customer("Garage Claes", None)
        },
    );
    let (_, report) = import(&world, "import-1", None).await;
    let c = counts(&report);
    assert_eq!((c.contacts_created, c.created), (1, 3), "{report:#?}");
    let contacts = world.source.contacts();
    assert_eq!(contacts.len(), 1);
    assert_eq!(
        (
            contacts[0].name.as_str(),
            contacts[0].external_id.as_deref()
        ),
        ("Jan Peeters", Some("8001"))
    );
    assert!(
        report
            .issues
            .iter()
            .all(|i| !matches!(i.subject, IssueSubject::Company { .. })),
        "{report:#?}"
    );
}

#[tokio::test]
async fn without_the_users_word_a_customer_without_numbers_stays_a_company() {
    let world = world().await;
    world
        .ledger
        .add_customer("8101", ledger_customer("Jan Peeters", None));
    let (_, report) = import(&world, "import-1", None).await;
    let c = counts(&report);
    assert_eq!((c.contacts_created, c.created), (0, 1), "{report:#?}");
}

#[test]
fn the_import_tag_follows_the_account_language() {
    assert_eq!(
        import_tag("Exact Online", Some("nl-BE")),
        "Exact Online Import"
    );
    assert_eq!(
        import_tag("Exact Online", Some("fr")),
        "Importation Exact Online"
    );
    assert_eq!(import_tag("Exact Online", None), "Exact Online Import");
}
