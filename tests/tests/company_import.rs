//! The company import end to end on moto and both simulators: Exact Online's customers
//! become Teamleader companies, its private customers contacts; those Teamleader already
//! holds (by VAT number, e-mail address or name) get the external id instead of a duplicate;
//! a second run changes nothing.

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
    assert_eq!(counts.contacts_created, 0, "no BSN, no contact: {counts:?}");
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

#[tokio::test]
async fn private_customers_arrive_as_tagged_contacts_with_their_phone_and_a_known_one_is_linked() {
    let stack = Stack::start(StackOptions {
        exact_limits: None,
        backend: Backend::moto_for_tests(),
        generate: teamleader::GenerateSpec::companies_only(43, 3),
        ..Default::default()
    })
    .await;
    let department = stack.departments()[0].clone();
    let connection = stack.connect(&department, DIVISION).await;
    // Teamleader already knows Marie Dubois, as a contact with her e-mail address.
    let marie = stack
        .teamleader
        .with_account(&stack.account_id, |account| {
            let mut contact = account
                .contacts
                .values()
                .next()
                .cloned()
                .unwrap_or_default();
            contact.id = "contact-marie".to_owned();
            contact.first_name = "Marie".to_owned();
            contact.last_name = "Dubois".to_owned();
            contact.email = Some("marie@dubois.be".to_owned());
            contact.custom_fields.clear();
            contact.tags.clear();
            account.contacts.insert(contact.id.clone(), contact.clone());
            contact.id
        })
        .unwrap();
    // Exact: two private customers (a BSN, the seeded Jan Peeters and Marie) and companies
    // (the seeded ones, and a shop without any number: no evidence of a person).
    let jan = stack
        .exact
        .division(DIVISION)
        .unwrap()
        .accounts
        .iter()
        .find(|a| a.name == "Jan Peeters")
        .expect("the simulator seeds Jan Peeters")
        .id;
    stack
        .exact
        .update_account(DIVISION, jan, |account| {
            account.phone = Some("0475 12 34 56".to_owned());
            account.email = Some("jan@peeters.be".to_owned());
            account.extra.insert("BSN".to_owned(), "123456782".into());
            account.city = Some("Gent".to_owned());
        })
        .unwrap();
    let dubois = stack
        .exact
        .add_customer(DIVISION, "Dubois Marie", None)
        .unwrap();
    stack
        .exact
        .update_account(DIVISION, dubois, |account| {
            account.email = Some("Marie@Dubois.be".to_owned());
            account.extra.insert("BSN".to_owned(), "111222333".into());
        })
        .unwrap();
    let shop = stack
        .exact
        .add_customer(DIVISION, "Fietsen Claes", None)
        .unwrap();
    stack
        .exact
        .update_account(DIVISION, shop, |account| {
            account.phone = Some("03 123 45 67".to_owned());
        })
        .unwrap();
    let contacts_before = stack.teamleader_contacts().len();
    let companies_before = stack.teamleader_companies().len();

    let first = import(&stack, &connection.id, "import-1").await;
    assert_eq!(first.status, RunStatus::Succeeded, "{first:#?}");
    let counts = first.import_counts();
    assert_eq!(counts.contacts_created, 1, "{counts:?}");
    assert_eq!(counts.linked, 1, "Marie, by e-mail: {counts:?}");
    let contacts = stack.teamleader_contacts();
    assert_eq!(contacts.len(), contacts_before + 1, "{contacts:#?}");
    let created = contacts
        .values()
        .find(|c| c.last_name == "Jan Peeters")
        .expect("Jan Peeters is a contact");
    assert_eq!(created.first_name, "", "one Exact name is never split");
    assert_eq!(created.email.as_deref(), Some("jan@peeters.be"));
    assert_eq!(created.phones, vec!["0475 12 34 56".to_owned()]);
    assert_eq!(created.tags, vec!["Exact Online Import".to_owned()]);
    let jan_code = created.external_id.clone().expect("Jan's customer number");
    assert_eq!(
        contacts[&marie].external_id.as_deref(),
        Some(
            stack
                .exact
                .division(DIVISION)
                .unwrap()
                .accounts
                .iter()
                .find(|a| a.id == dubois)
                .unwrap()
                .code
                .trim()
        ),
        "Marie got her Exact customer number"
    );
    let companies = stack.teamleader_companies();
    assert_eq!(companies.len(), companies_before + counts.created as usize);
    let (shop_code, shop_tags) = &companies["Fietsen Claes"];
    assert!(shop_code.is_some(), "without a BSN, a company");
    assert_eq!(shop_tags, &vec!["Exact Online Import".to_owned()]);
    assert!(
        !companies.contains_key("Jan Peeters"),
        "a private customer is no company"
    );

    let second = import(&stack, &connection.id, "import-2").await;
    let again = second.import_counts();
    assert_eq!(
        (again.created, again.contacts_created, again.linked),
        (0, 0, 0),
        "{again:?}"
    );
    assert_eq!(stack.teamleader_contacts(), contacts, "nothing changed");
    assert!(
        stack
            .teamleader_contacts()
            .values()
            .any(|c| c.external_id.as_deref() == Some(jan_code.as_str()))
    );
}
