//! The company import end to end on moto and both simulators: Exact Online's customers
//! become Teamleader companies; those Teamleader already holds (by VAT number or name) get the
//! external id instead of a duplicate; a second run changes nothing.

use koppel_core::{ConnectionId, JobKind, RunReport, RunStatus};
use koppel_e2e::stack::{Backend, Stack, StackOptions};
use koppel_sim::{exact, teamleader};

const DIVISION: i32 = exact::DEFAULT_BE_DIVISION;

async fn import(stack: &Stack, connection: &ConnectionId, run: &str) -> RunReport {
    stack
        .run_to_report(connection, JobKind::CompanyImport, run)
        .await
}

#[tokio::test]
async fn an_account_holding_half_the_customers_gets_no_duplicate_and_a_second_run_changes_nothing()
{
    let stack = Stack::start(StackOptions {
        exact_limits: None,
        backend: Backend::moto_for_tests(),
        generate: teamleader::GenerateSpec::companies_only(41, 8),
        ..Default::default()
    })
    .await;
    let department = stack.departments()[0].clone();
    let connection = stack.connect(&department, DIVISION).await;
    // Half of Teamleader's companies are in Exact too (same VAT number, or same name written
    // another way), plus new customers Teamleader does not know.
    let existing: Vec<(String, Option<String>)> = stack
        .company_identities(&stack.account_id)
        .into_iter()
        .take(4)
        .collect();
    for (name, vat) in &existing {
        let written_otherwise = format!("{} ", name.to_uppercase());
        let exact_name = if vat.is_some() {
            name.as_str()
        } else {
            written_otherwise.as_str()
        };
        stack
            .exact
            .add_customer(DIVISION, exact_name, vat.as_deref())
            .unwrap();
    }
    for name in ["Nieuwe Klant Eén BV", "Nouvelle Cliente SRL"] {
        stack.exact.add_customer(DIVISION, name, None).unwrap();
    }
    let before = stack.teamleader_companies().len();
    let exact_customers = stack
        .exact
        .division(DIVISION)
        .unwrap()
        .accounts
        .iter()
        .filter(|a| a.status == "C")
        .count();

    let first = import(&stack, &connection.id, "import-1").await;
    assert_eq!(first.status, RunStatus::Succeeded, "{first:#?}");
    let counts = first.import_counts();
    assert_eq!(counts.listed as usize, exact_customers, "{counts:?}");
    assert_eq!(counts.linked, 4, "{counts:?}");
    let after = stack.teamleader_companies();
    assert_eq!(
        after.len(),
        before + exact_customers - 4,
        "no duplicate: {after:#?}"
    );
    for (name, _) in &existing {
        let (external, _) = &after[name];
        assert!(external.is_some(), "{name} got its Exact customer number");
    }
    let (external, tags) = &after["Nieuwe Klant Eén BV"];
    assert!(external.is_some());
    assert_eq!(tags, &vec!["Exact Online Import".to_owned()]);

    let second = import(&stack, &connection.id, "import-2").await;
    let counts = second.import_counts();
    assert_eq!((counts.created, counts.linked), (0, 0), "{counts:?}");
    assert_eq!(counts.already_linked as usize, exact_customers);
    assert_eq!(stack.teamleader_companies(), after, "nothing changed");
}
