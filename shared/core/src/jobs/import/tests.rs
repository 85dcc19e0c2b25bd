//! The company import against the memory ports.

use super::{CompanyImport, import_tag};
use crate::jobs::test_world::*;
use crate::memory::InMemoryLedger;
use crate::vat::parse_vat;
use crate::{
    ConnectionId, Customer, CustomerMappingStore, CustomerRef, ImportCounts, JobKind, LedgerKind,
    RunReport, RunStatus,
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
