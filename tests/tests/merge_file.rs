//! The help articles' scenario C end to end on moto (DynamoDB, SQS, S3) and both simulators:
//! an import into an account that already had the customers under slightly other names
//! leaves duplicates; the merge file by VAT number (exported from Teamleader, customer
//! numbers filled in) gives the original companies their customer numbers, removes the
//! duplicates Koppel's import created (nothing refers to them), lists the unmatched rows, and
//! changes nothing the second time; every invoice's customer ends with its customer number.
//! A bad file is refused by row.

use koppel_core::jobs::merge::MatchBy;
use koppel_core::{ConnectionId, JobKind, RunReport, RunStatus};
use koppel_e2e::stack::{Backend, Stack, StackOptions};
use koppel_sim::{exact, teamleader};

const DIVISION: i32 = exact::DEFAULT_BE_DIVISION;

async fn run(stack: &Stack, connection: &ConnectionId, kind: JobKind, run: &str) -> RunReport {
    stack.run_to_report(connection, kind, run).await
}

#[tokio::test]
async fn scenario_c_the_merge_file_links_the_originals_and_reports_the_duplicates() {
    let stack = Stack::start(StackOptions {
        exact_limits: None,
        backend: Backend::moto_for_tests(),
        generate: teamleader::GenerateSpec {
            invoices: 12,
            ..teamleader::GenerateSpec::companies_only(53, 5)
        },
        ..Default::default()
    })
    .await;
    let department = stack.departments()[0].clone();
    let connection = stack.connect(&department, DIVISION).await;
    // Exact knows three of Teamleader's companies under other names and without VAT number
    // (the import cannot match them and creates duplicates), the others as they are.
    let companies = stack.company_identities(&stack.account_id);
    let (with_vat, rest): (Vec<_>, Vec<_>) = companies.into_iter().partition(|(_, v)| v.is_some());
    assert!(with_vat.len() >= 3, "the generated account has VAT numbers");
    let originals: Vec<(String, String)> = with_vat
        .iter()
        .take(3)
        .map(|(n, v)| (n.clone(), v.clone().unwrap_or_default()))
        .collect();
    for (name, _) in &originals {
        stack
            .exact
            .add_customer(DIVISION, &format!("{name} & Zonen"), None)
            .unwrap();
    }
    for (name, vat) in with_vat.iter().skip(3).chain(rest.iter()) {
        stack
            .exact
            .add_customer(DIVISION, name, vat.as_deref())
            .unwrap();
    }
    let import = run(&stack, &connection.id, JobKind::CompanyImport, "import-1").await;
    assert!(import.import_counts().created >= 3, "{import:#?}");
    let after_import = stack.teamleader_companies();
    let mut rows = String::from("Naam;Klantennummer boekhoudpakket;Btw-nummer\n");
    let mut codes = std::collections::BTreeMap::new();
    for (name, vat) in &originals {
        let (code, tags) = &after_import[&format!("{name} & Zonen")];
        assert_eq!(tags, &vec!["Exact Online Import".to_owned()]);
        let code = code.clone().expect("imported with its code");
        rows.push_str(&format!("\"{name}\";{code};{vat}\n"));
        codes.insert(name.clone(), code);
    }
    rows.push_str("Onbekende Klant;99999;BE0403170701\n");

    stack
        .upload_merge_file(&connection.id, "m1", rows.as_bytes(), MatchBy::VatNumber)
        .await;
    let preview = run(
        &stack,
        &connection.id,
        JobKind::MergeFile {
            merge_id: "m1".into(),
            apply: false,
        },
        "preview-1",
    )
    .await;
    let counts = preview.merge_counts();
    assert_eq!(
        (counts.to_link, counts.unmatched, counts.duplicates),
        (3, 1, 3),
        "{preview:#?}"
    );
    assert_eq!(
        stack.teamleader_companies(),
        after_import,
        "the preview changes nothing"
    );

    let applied = run(
        &stack,
        &connection.id,
        JobKind::MergeFile {
            merge_id: "m1".into(),
            apply: true,
        },
        "apply-1",
    )
    .await;
    assert_eq!(
        applied.status,
        RunStatus::CompletedWithIssues,
        "{applied:#?}"
    );
    assert_eq!(applied.merge_counts().linked, 3);
    assert_eq!(applied.merge_counts().removed, 3, "{applied:#?}");
    let merged = stack.teamleader_companies();
    for (name, _) in &originals {
        assert_eq!(merged[name].0.as_ref(), Some(&codes[name]), "{name}");
        assert!(
            !merged.contains_key(&format!("{name} & Zonen")),
            "the duplicate Koppel created is removed"
        );
    }
    assert!(
        applied
            .notices
            .iter()
            .all(|n| n.outcome == koppel_core::IssueOutcome::Removed),
        "each duplicate reported as removed: {:?}",
        applied.notices
    );
    // Every invoice's customer carries its customer number now.
    let by_id = stack.teamleader_companies_by_id();
    let customers: Vec<String> = stack
        .teamleader
        .with_account(&stack.account_id, |a| {
            a.invoices.values().map(|i| i.customer.id.clone()).collect()
        })
        .unwrap();
    assert!(!customers.is_empty());
    for customer in customers {
        assert!(
            by_id
                .get(&customer)
                .and_then(|c| c.external_id.as_ref())
                .is_some(),
            "invoice customer {customer} has no external id: {by_id:#?}"
        );
    }
    assert!(
        applied
            .issues
            .iter()
            .any(|i| i.reason.contains("Onbekende Klant")),
        "the unmatched row is listed: {:?}",
        applied.issues
    );
    let stored = stack
        .aws
        .store
        .merge_job(&connection.id, "m1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.applied.map(|a| a.linked), Some(3));

    let again = run(
        &stack,
        &connection.id,
        JobKind::MergeFile {
            merge_id: "m1".into(),
            apply: true,
        },
        "apply-2",
    )
    .await;
    assert_eq!(again.merge_counts().linked, 0);
    assert_eq!(
        stack.teamleader_companies(),
        merged,
        "applying twice changes nothing"
    );

    // A bad file (XLSX that is not a workbook, here: garbage) is refused whole.
    stack
        .upload_merge_file(
            &connection.id,
            "m2",
            &[0, 159, 146, 150, 0, 1, 2],
            MatchBy::Name,
        )
        .await;
    let refused = run(
        &stack,
        &connection.id,
        JobKind::MergeFile {
            merge_id: "m2".into(),
            apply: true,
        },
        "apply-3",
    )
    .await;
    assert_eq!(refused.status, RunStatus::Failed, "{refused:#?}");
    assert_eq!(stack.teamleader_companies(), merged);
}
