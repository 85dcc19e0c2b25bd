//! The demo's last part: a second Koppel customer, whose Teamleader account and Exact Online
//! administration both already hold customers. The company import fills Teamleader from Exact
//! (private customers as contacts) without duplicating what it can match (VAT number, or the
//! name written another way); the
//! customers it could not match leave duplicates, which the help articles' merge file
//! (section C: Name, customer number, VAT number, exported from Teamleader) resolves: the
//! originals get their customer numbers, the duplicates Koppel created are removed.

use crate::Checks;
use crate::show;
use koppel_core::jobs::merge::MatchBy;
use koppel_core::{DepartmentId, JobKind};
use koppel_e2e::stack::Stack;
use koppel_sim::{exact, teamleader};

/// The second account's Exact administration.
const DIVISION: i32 = 3_100_001;
/// Companies the second Teamleader account starts with.
const COMPANIES: usize = 24;

/// Import the second account's customers from Exact, then merge the duplicates by name.
pub async fn import_and_merge(checks: &mut Checks, stack: &Stack) {
    show::title("A second account: companies imported from Exact, then the merge file");
    let account = stack
        .teamleader
        .generate(&teamleader::GenerateSpec {
            account_id: Some("b0a7c3e2-2a4f-4c1e-9d55-5ec0d0acc0b2".to_owned()),
            name: Some("Bouwbedrijf Verstraete".to_owned()),
            ..teamleader::GenerateSpec::companies_only(4242, COMPANIES)
        })
        .expect("second account generated");
    stack
        .exact
        .add_division(exact::Division::belgian(DIVISION, "Bouwbedrijf Verstraete"));
    let department = stack
        .teamleader
        .with_account(&account, |a| DepartmentId::new(a.departments[0].id.clone()))
        .expect("the second account");
    let companies = stack.company_identities(&account);
    // The accountant's customer list: a third of Teamleader's companies with their VAT number,
    // a few written another way (no VAT number), a few the import cannot recognise ("& Zonen"),
    // and customers Teamleader never had.
    let mut same = 0;
    let mut unrecognisable = Vec::new();
    for (i, (name, vat)) in companies.iter().enumerate() {
        let (exact_name, exact_vat) = match i % 6 {
            0 | 1 if vat.is_some() => (name.clone(), vat.clone()),
            2 => (format!("{} ", name.to_uppercase()), None),
            3 => {
                unrecognisable.push(name.clone());
                (format!("{name} & Zonen"), None)
            }
            _ => continue,
        };
        if i % 6 != 3 {
            same += 1;
        }
        stack
            .exact
            .add_customer(DIVISION, &exact_name, exact_vat.as_deref())
            .expect("customer in Exact");
    }
    let new_customers = [
        "Aannemer Dewulf BV",
        "Schrijnwerkerij Claes",
        "Menuiserie Lambert SRL",
        "Dakwerken Peeters",
        "Vitrerie Dubois",
    ];
    for name in new_customers {
        stack
            .exact
            .add_customer(DIVISION, name, None)
            .expect("customer in Exact");
    }
    // Private customers: Exact keeps their BSN (citizen service number), so they come in as
    // Teamleader contacts, with their phone.
    let private_customers = [
        ("Sofie Vermeulen", "sofie@vermeulen.be", "0476 11 22 33"),
        (
            "Thomas Wouters",
            "thomas.wouters@telenet.be",
            "0495 44 55 66",
        ),
    ];
    for (n, (name, email, phone)) in private_customers.iter().enumerate() {
        let id = stack
            .exact
            .add_customer(DIVISION, name, None)
            .expect("customer in Exact");
        stack
            .exact
            .update_account(DIVISION, id, |account| {
                account.email = Some((*email).to_owned());
                account.phone = Some((*phone).to_owned());
                account
                    .extra
                    .insert("BSN".to_owned(), format!("12345678{n}").into());
            })
            .expect("private customer in Exact");
    }
    let in_exact = stack
        .exact
        .division(DIVISION)
        .map_or(0, |d| d.accounts.iter().filter(|a| a.status == "C").count());
    println!(
        "  Teamleader: {COMPANIES} companies, no customer numbers. Exact {DIVISION}: {in_exact} customers — {same} of them Teamleader's (by VAT number or name), {} under another name, {} new, {} private persons",
        unrecognisable.len(),
        new_customers.len(),
        private_customers.len()
    );
    let connection = stack.connect_account(&account, &department, DIVISION).await;

    let import = stack
        .run_to_report(&connection.id, JobKind::CompanyImport, "import-1")
        .await;
    let counts = import.import_counts();
    println!(
        "  company import: {:?}; {} listed, {} linked to existing companies, {} companies and {} contacts created, {} ambiguous",
        import.status,
        counts.listed,
        counts.linked,
        counts.created,
        counts.contacts_created,
        counts.ambiguous
    );
    let seeded_in_division =
        in_exact - same - unrecognisable.len() - new_customers.len() - private_customers.len();
    let expect_created = unrecognisable.len() + new_customers.len() + seeded_in_division;
    checks.expect(counts.linked as usize == same, || {
        format!("import linked {} companies, expected {same}", counts.linked)
    });
    checks.expect(counts.created as usize == expect_created, || {
        format!(
            "import created {} companies, expected {expect_created}",
            counts.created
        )
    });
    checks.expect(
        counts.contacts_created as usize == private_customers.len(),
        || {
            format!(
                "import created {} contacts, expected {}",
                counts.contacts_created,
                private_customers.len()
            )
        },
    );
    let contacts = stack
        .teamleader
        .with_account(&account, |a| {
            a.contacts
                .values()
                .map(|c| (c.last_name.clone(), c.telephones.len(), c.tags.clone()))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    for (name, _, phone) in private_customers {
        let found = contacts.iter().find(|(last, _, _)| last == name);
        println!(
            "  contact {name}: {}",
            match found {
                Some((_, phones, tags)) => format!("{phones} phone ({phone}), tags {tags:?}"),
                None => "missing".to_owned(),
            }
        );
        checks.expect(
            found.is_some_and(|(_, phones, tags)| {
                *phones == 1 && tags == &vec!["Exact Online Import".to_owned()]
            }),
            || format!("{name} is not a tagged contact with a phone in Teamleader"),
        );
    }
    let again = stack
        .run_to_report(&connection.id, JobKind::CompanyImport, "import-2")
        .await;
    println!(
        "  the same import again: {} created, {} already linked — nothing changes",
        again.import_counts().created,
        again.import_counts().already_linked
    );
    checks.expect(again.import_counts().created == 0, || {
        "the second import created companies".to_owned()
    });

    // The user exports the segment from Teamleader, fills in the customer numbers Exact gave
    // the duplicates, and uploads it on the connection page (here: straight to S3 + the job).
    let by_name: std::collections::BTreeMap<String, Option<String>> = stack
        .companies_of(&account)
        .into_values()
        .map(|c| (c.name, c.external_id))
        .collect();
    let mut file = String::from("\u{feff}Naam;Klantennummer boekhoudpakket;Btw-nummer\n");
    let mut codes = std::collections::BTreeMap::new();
    for name in &unrecognisable {
        let code = by_name
            .get(&format!("{name} & Zonen"))
            .cloned()
            .flatten()
            .unwrap_or_default();
        file.push_str(&format!("\"{name}\";{code};\n"));
        codes.insert(name.clone(), code);
    }
    file.push_str("Onbekende Klant;99999;\n");
    stack
        .upload_merge_file(&connection.id, "segment", file.as_bytes(), MatchBy::Name)
        .await;
    let preview = stack
        .run_to_report(&connection.id, merge("segment", false), "merge-preview")
        .await;
    let p = preview.merge_counts();
    println!(
        "  merge file ({} rows, by name) — preview: {} companies get a customer number, {} to merge by hand, {} duplicate(s) of Koppel's import",
        p.rows, p.to_link, p.unmatched, p.duplicates
    );
    let applied = stack
        .run_to_report(&connection.id, merge("segment", true), "merge-apply")
        .await;
    let a = applied.merge_counts();
    println!(
        "  merge file — applied: {:?}; {} linked, {} duplicate(s) Koppel created removed, {} row(s) listed to merge by hand",
        applied.status, a.linked, a.removed, a.unmatched
    );
    for notice in applied.notices.iter().take(2) {
        println!("    • {}: {}", notice.subject, notice.reason);
    }
    let after: std::collections::BTreeMap<String, Option<String>> = stack
        .companies_of(&account)
        .into_values()
        .map(|c| (c.name, c.external_id))
        .collect();
    let linked_originals = unrecognisable
        .iter()
        .filter(|name| {
            after.get(*name).cloned().flatten().as_ref() == codes.get(*name)
                && !after.contains_key(&format!("{name} & Zonen"))
        })
        .count();
    println!(
        "  {linked_originals} of the {} original companies now carry Exact's customer number; their duplicates are gone ({} companies in Teamleader)",
        unrecognisable.len(),
        after.len()
    );
    checks.expect(linked_originals == unrecognisable.len(), || {
        format!(
            "{linked_originals} of {} originals got their customer number",
            unrecognisable.len()
        )
    });
    checks.expect(
        a.linked as usize == unrecognisable.len()
            && a.removed as usize == unrecognisable.len()
            && a.unmatched == 1,
        || format!("merge applied: {a:?}"),
    );
}

fn merge(id: &str, apply: bool) -> JobKind {
    JobKind::MergeFile {
        merge_id: id.to_owned(),
        apply,
    }
}
