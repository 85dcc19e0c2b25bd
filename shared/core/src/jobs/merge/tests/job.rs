//! The merge-file job against the memory ports: the help articles' scenario C.

use crate::jobs::merge::{MatchBy, MergeFileJob, MergeLimits};
use crate::jobs::test_world::*;
use crate::memory::{InMemoryFileStore, InMemoryLedger};
use crate::vat::parse_vat;
use crate::{
    Clock, ConnectionId, Customer, CustomerMappingStore, CustomerRef, FileStore, IssueOutcome,
    JobKind, LedgerKind, MergeFileCounts, MergeJob, MergeJobStore, NewCompany, RunReport,
    RunStatus, Source,
};

fn company(id: &str, name: &str, vat: Option<&str>) -> Customer {
    Customer {
        reference: CustomerRef::company(id),
        name: name.to_owned(),
        vat_number: vat.map(|v| parse_vat(v).expect("valid")),
        enterprise_number: None,
        addresses: Vec::new(),
        emails: Vec::new(),
        external_id: None,
        language: None,
    }
}

/// Teamleader after an import into an account that already had these customers: the
/// originals (with their invoices) and the companies Koppel's import created.
async fn scenario_c() -> (World, InMemoryFileStore) {
    let world = World::new(InMemoryLedger::new(LedgerKind::Octopus, reference()));
    world.connect(connection()).await;
    world
        .source
        .put_customer(company("tl-1", "Brouwerij de Ster", Some("BE0403170701")));
    world.source.put_customer(company("tl-2", "Café Zoë", None));
    for (name, vat, code) in [
        ("Brouwerij De Ster BV", Some("BE0403170701"), "1001"),
        ("Cafe Zoe", None, "1002"),
    ] {
        world
            .source
            .add_company(&NewCompany {
                name: name.to_owned(),
                vat_number: vat.map(str::to_owned),
                email: None,
                phone: None,
                address: None,
                tags: vec!["Octopus Import".to_owned()],
                external_id: Some(code.to_owned()),
            })
            .await
            .unwrap();
    }
    (world, InMemoryFileStore::new())
}

async fn upload(world: &World, files: &InMemoryFileStore, id: &str, csv: &str, by: MatchBy) {
    let key = format!("c1/{id}");
    files.put(&key, csv.as_bytes()).await.unwrap();
    world
        .store
        .put_merge_job(&MergeJob {
            connection_id: ConnectionId::from("c1"),
            merge_id: id.to_owned(),
            file_name: format!("{id}.csv"),
            file_key: key,
            match_by: by,
            uploaded_at: world.clock.now(),
            preview: None,
            applied: None,
            updated_at: world.clock.now(),
        })
        .await
        .unwrap();
}

async fn run(
    world: &World,
    files: &InMemoryFileStore,
    id: &str,
    apply: bool,
    run: &str,
) -> RunReport {
    let job = MergeFileJob {
        merges: &world.store,
        mappings: &world.store,
        files,
        limits: MergeLimits::default(),
    };
    let kind = JobKind::MergeFile {
        merge_id: id.to_owned(),
        apply,
    };
    world.run_job(&job, kind, run, None).await.1
}

fn counts(report: &RunReport) -> MergeFileCounts {
    report.merge_counts()
}

fn external_ids(world: &World) -> Vec<(String, Option<String>)> {
    world
        .source
        .companies()
        .into_iter()
        .map(|c| (c.name, c.external_id))
        .collect()
}

const FILE: &str = "Naam;Klantennummer boekhoudpakket;Btw-nummer\n\
Brouwerij de Ster;1001;BE 0403.170.701\n\
Café Zoë;1002;\n\
Garage Onbekend;1003;\n";

#[tokio::test]
async fn the_preview_says_what_would_happen_and_changes_nothing() {
    let (world, files) = scenario_c().await;
    upload(&world, &files, "m1", FILE, MatchBy::Name).await;
    let before = external_ids(&world);
    let report = run(&world, &files, "m1", false, "preview-1").await;
    assert_eq!(report.status, RunStatus::CompletedWithIssues, "{report:#?}");
    let c = counts(&report);
    assert_eq!(
        (c.rows, c.to_link, c.unmatched, c.duplicates, c.linked),
        (3, 2, 1, 2, 0),
        "{c:?}"
    );
    assert_eq!(external_ids(&world), before, "a preview changes nothing");
    let stored = world
        .store
        .merge_job(&ConnectionId::from("c1"), "m1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.preview.map(|p| p.to_update), Some(2));
    assert!(stored.applied.is_none());
}

#[tokio::test]
async fn applying_links_the_originals_reports_the_duplicates_and_lists_the_unmatched() {
    let (world, files) = scenario_c().await;
    upload(&world, &files, "m1", FILE, MatchBy::Name).await;
    let report = run(&world, &files, "m1", true, "apply-1").await;
    let c = counts(&report);
    assert_eq!(c.linked, 2, "{report:#?}");
    let ids = external_ids(&world);
    assert!(
        ids.contains(&("Brouwerij de Ster".to_owned(), Some("1001".to_owned()))),
        "{ids:?}"
    );
    assert!(
        ids.contains(&("Café Zoë".to_owned(), Some("1002".to_owned()))),
        "{ids:?}"
    );
    assert_eq!(
        world
            .store
            .customer_mapping(&ConnectionId::from("c1"), &CustomerRef::company("tl-1"))
            .await
            .unwrap()
            .map(|m| m.0),
        Some("1001".to_owned()),
        "Koppel's mapping follows the link"
    );
    assert_eq!(
        report
            .notices
            .iter()
            .filter(|n| n.reason.contains("Merge the two in Teamleader"))
            .count(),
        2
    );
    let unmatched: Vec<&str> = report
        .issues
        .iter()
        .filter(|i| i.reason.starts_with("No Teamleader company matches"))
        .map(|i| i.reason.as_str())
        .collect();
    assert_eq!(unmatched.len(), 1, "{:?}", report.issues);
    assert!(unmatched[0].contains("Garage Onbekend"));

    // The same file again: nothing changes.
    let again = run(&world, &files, "m1", true, "apply-2").await;
    assert_eq!(counts(&again).linked, 0, "{again:#?}");
    assert_eq!(counts(&again).already_linked, 2);
    assert_eq!(external_ids(&world), ids);
}

#[tokio::test]
async fn applying_removes_the_duplicates_koppel_created_that_nothing_refers_to() {
    let (world, files) = scenario_c().await;
    let id_of = |name: &str| {
        world
            .source
            .companies()
            .into_iter()
            .find(|c| c.name == name)
            .map(|c| c.reference)
            .expect("company")
    };
    // Both duplicates came from Koppel's import; a deal refers to the café's.
    for name in ["Brouwerij De Ster BV", "Cafe Zoe"] {
        world
            .store
            .record_created_customer(&ConnectionId::from("c1"), &id_of(name))
            .await
            .unwrap();
    }
    world.source.set_references(
        &id_of("Cafe Zoe").id,
        crate::CompanyReferences {
            deals: true,
            ..Default::default()
        },
    );
    upload(&world, &files, "m1", FILE, MatchBy::Name).await;
    let report = run(&world, &files, "m1", true, "apply-1").await;
    let c = counts(&report);
    assert_eq!(
        (c.linked, c.duplicates, c.removed),
        (2, 2, 1),
        "{report:#?}"
    );
    let names: Vec<String> = world
        .source
        .companies()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert!(
        !names.contains(&"Brouwerij De Ster BV".to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&"Cafe Zoe".to_owned()),
        "kept: a deal refers to it"
    );
    assert!(
        report
            .notices
            .iter()
            .any(|n| n.outcome == IssueOutcome::Removed && n.reason.contains("Brouwerij de Ster")),
        "{:?}",
        report.notices
    );
    assert!(
        report.notices.iter().any(|n| n
            .reason
            .contains("it is kept because Teamleader has deals on it")),
        "{:?}",
        report.notices
    );
    let stored = world
        .store
        .merge_job(&ConnectionId::from("c1"), "m1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.applied.map(|a| a.removed), Some(1));

    // Applying again removes nothing more and changes nothing.
    let before = external_ids(&world);
    let again = run(&world, &files, "m1", true, "apply-2").await;
    assert_eq!(counts(&again).removed, 0, "{again:#?}");
    assert_eq!(external_ids(&world), before);
}

#[tokio::test]
async fn a_bad_file_fails_with_every_problem_by_row_and_changes_nothing() {
    let (world, files) = scenario_c().await;
    let bad = "Naam;Klantennummer boekhoudpakket;Btw-nummer\n\
;1001;\n\
Café Zoë;1002;BE12\n\
Garage;1002;\n";
    upload(&world, &files, "m2", bad, MatchBy::VatNumber).await;
    let before = external_ids(&world);
    let report = run(&world, &files, "m2", true, "apply-1").await;
    assert_eq!(report.status, RunStatus::Failed, "{report:#?}");
    assert!(
        report
            .message
            .as_deref()
            .unwrap_or("")
            .contains("nothing was changed")
    );
    assert!(report.issues.len() >= 3, "{:?}", report.issues);
    assert!(
        report
            .issues
            .iter()
            .all(|i| i.outcome == IssueOutcome::Failed)
    );
    assert_eq!(external_ids(&world), before);
}
