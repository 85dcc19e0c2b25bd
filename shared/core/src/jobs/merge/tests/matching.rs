//! The preview: rows matched to Teamleader companies by name or by VAT number.

use super::fixtures::*;
use crate::customer::{CompanyUpdate, Customer, CustomerRef};
use crate::jobs::merge::{
    AdditionReason, MatchBy, MergeCounts, MergePreview, MergeRow, preview_merge,
};

/// (row, company id) of each planned link.
fn links(preview: &MergePreview) -> Vec<(u32, &str)> {
    preview
        .links
        .iter()
        .map(|link| (link.row.row, link.company.reference.id.as_str()))
        .collect()
}

/// (row, reason) of each planned addition.
fn additions(preview: &MergePreview) -> Vec<(u32, AdditionReason)> {
    preview
        .additions
        .iter()
        .map(|addition| (addition.row.row, addition.reason))
        .collect()
}

/// What applying a preview does to the companies, as the job will: links set the external
/// id; additions become new companies.
fn apply(preview: &MergePreview, companies: &mut Vec<Customer>) {
    for link in &preview.links {
        let company = companies
            .iter_mut()
            .find(|company| company.reference == link.company.reference)
            .expect("linked company");
        company.external_id = link.company_update().external_id;
    }
    for (index, addition) in preview.additions.iter().enumerate() {
        let new = addition.new_company(vec!["Koppel merge".into()]);
        companies.push(company(
            &format!("added-{index}"),
            &new.name,
            new.vat_number.as_deref(),
            new.external_id.as_deref(),
        ));
    }
}

#[test]
fn by_name_folds_case_accents_punctuation_and_legal_forms() {
    let rows = vec![
        row(2, "Bakkerij Janssens BV", "1001", None),
        row(3, "Café Zoë NV", "1002", None),
        row(4, "DUPONT & FILS S.A.", "1003", None),
        row(5, "Nieuwe Klant", "1004", None),
    ];
    let companies = vec![
        company("tl-janssens", "bakkerij janssens", None, None),
        company("tl-zoe", "Cafe Zoe", None, None),
        company("tl-dupont", "Dupont et Fils", None, None),
    ];
    let preview = preview_merge(&rows, &companies, MatchBy::Name);
    assert_eq!(links(&preview), vec![(2, "tl-janssens"), (3, "tl-zoe")]);
    assert_eq!(
        additions(&preview),
        vec![
            (4, AdditionReason::NoMatchingCompany),
            (5, AdditionReason::NoMatchingCompany)
        ]
    );
    assert_eq!(
        preview.counts,
        MergeCounts {
            rows: 4,
            to_update: 2,
            to_add: 2,
            ..MergeCounts::default()
        }
    );
}

#[test]
fn by_vat_number_normalised_on_both_sides() {
    let rows = vec![
        row(
            2,
            "Janssens (ledger spelling)",
            "1001",
            Some("BE 0403.170.701"),
        ),
        row(3, "Zoë", "1002", Some("0417497106")),
        row(4, "No VAT", "1003", None),
        row(5, "Unknown VAT", "1004", Some("NL123456789B01")),
    ];
    let companies = vec![
        company("tl-janssens", "Bakkerij Janssens", Some(VAT_JANSSENS), None),
        // Stored by hand in another shape: still the same number.
        company("tl-zoe", "Café Zoë", Some("be 0417.497.106"), None),
        // A number that does not parse matches nothing.
        company("tl-broken", "Broken", Some("BE12"), None),
    ];
    let preview = preview_merge(&rows, &companies, MatchBy::VatNumber);
    assert_eq!(links(&preview), vec![(2, "tl-janssens"), (3, "tl-zoe")]);
    assert_eq!(
        additions(&preview),
        vec![
            (4, AdditionReason::NothingToMatchOn),
            (5, AdditionReason::NoMatchingCompany)
        ]
    );
    assert_eq!(preview.match_by, MatchBy::VatNumber);
}

#[test]
fn the_criterion_changes_the_number_of_additions() {
    let rows = vec![
        row(2, "Janssens Bakkerij", "1001", Some(VAT_JANSSENS)),
        row(3, "Café Zoë", "1002", None),
    ];
    let companies = vec![
        company("tl-janssens", "Bakkerij Janssens", Some(VAT_JANSSENS), None),
        company("tl-zoe", "Cafe Zoe BV", None, None),
    ];
    let by_name = preview_merge(&rows, &companies, MatchBy::Name);
    let by_vat = preview_merge(&rows, &companies, MatchBy::VatNumber);
    assert_eq!((by_name.counts.to_update, by_name.counts.to_add), (1, 1));
    assert_eq!((by_vat.counts.to_update, by_vat.counts.to_add), (1, 1));
    assert_eq!(links(&by_name), vec![(3, "tl-zoe")]);
    assert_eq!(links(&by_vat), vec![(2, "tl-janssens")]);
}

#[test]
fn several_matching_companies_are_listed_never_guessed() {
    let rows = vec![row(2, "Janssens BV", "1001", None)];
    let companies = vec![
        company("tl-2", "Janssens NV", None, None),
        company("tl-other", "Peeters", None, None),
        company("tl-1", "JANSSENS", None, None),
        company("tl-3", "Janssens", None, None),
    ];
    let preview = preview_merge(&rows, &companies, MatchBy::Name);
    assert!(preview.links.is_empty());
    assert!(preview.additions.is_empty());
    assert_eq!(preview.ambiguous.len(), 1);
    let listed: Vec<(&str, &str)> = preview.ambiguous[0]
        .companies
        .iter()
        .map(|c| (c.name.as_str(), c.reference.id.as_str()))
        .collect();
    // By name, then id: the same whatever order Teamleader listed them in.
    assert_eq!(
        listed,
        vec![
            ("JANSSENS", "tl-1"),
            ("Janssens", "tl-3"),
            ("Janssens NV", "tl-2")
        ]
    );
    assert_eq!(preview.counts.ambiguous, 1);
    assert_eq!(preview.counts.needing_attention(), 1);
}

#[test]
fn a_company_already_carrying_the_external_id_needs_nothing() {
    let rows = vec![
        row(2, "Janssens", "1001", None),
        // Matching by name finds nothing, but the id is already on a company.
        row(3, "Zoë (old name)", "1002", None),
    ];
    let companies = vec![
        company("tl-janssens", "Janssens BV", None, Some(" 1001 ")),
        company("tl-zoe", "Café Zoë", None, Some("1002")),
    ];
    let preview = preview_merge(&rows, &companies, MatchBy::Name);
    let already: Vec<(u32, &str)> = preview
        .already_linked
        .iter()
        .map(|a| (a.row.row, a.companies[0].reference.id.as_str()))
        .collect();
    assert_eq!(already, vec![(2, "tl-janssens"), (3, "tl-zoe")]);
    assert_eq!(
        preview.already_linked[0].companies[0]
            .external_id
            .as_deref(),
        Some("1001")
    );
    assert_eq!(
        preview.counts,
        MergeCounts {
            rows: 2,
            already_linked: 2,
            ..MergeCounts::default()
        }
    );
}

#[test]
fn applying_twice_changes_nothing() {
    for match_by in [MatchBy::Name, MatchBy::VatNumber] {
        let rows = vec![
            row(2, "Bakkerij Janssens", "1001", Some(VAT_JANSSENS)),
            row(3, "Café Zoë", "1002", None),
            row(4, "Nieuwe Klant", "1003", Some(VAT_ZOE)),
        ];
        let mut companies = vec![
            company(
                "tl-janssens",
                "Bakkerij Janssens BV",
                Some(VAT_JANSSENS),
                None,
            ),
            company("tl-zoe", "Cafe Zoe", None, None),
        ];
        let first = preview_merge(&rows, &companies, match_by);
        assert_eq!(first.counts.already_linked, 0, "{match_by:?}");
        apply(&first, &mut companies);
        let second = preview_merge(&rows, &companies, match_by);
        assert_eq!(
            second.counts,
            MergeCounts {
                rows: 3,
                already_linked: 3,
                ..MergeCounts::default()
            },
            "{match_by:?}"
        );
    }
}

#[test]
fn a_company_with_another_external_id_is_a_conflict() {
    let rows = vec![row(2, "Janssens", "1001", Some(VAT_JANSSENS))];
    let companies = vec![company(
        "tl-janssens",
        "Janssens BV",
        Some(VAT_JANSSENS),
        Some("C-0042"),
    )];
    for match_by in [MatchBy::Name, MatchBy::VatNumber] {
        let preview = preview_merge(&rows, &companies, match_by);
        assert!(preview.links.is_empty());
        assert_eq!(preview.conflicts.len(), 1);
        let conflict = &preview.conflicts[0];
        assert_eq!(conflict.row.external_id, "1001");
        assert_eq!(conflict.company.external_id.as_deref(), Some("C-0042"));
        assert_eq!(preview.counts.conflicts, 1);
        assert_eq!(preview.counts.needing_attention(), 1);
    }
}

#[test]
fn a_blank_external_id_in_teamleader_counts_as_none() {
    let rows = vec![row(2, "Janssens", "1001", None)];
    let companies = vec![company("tl-janssens", "Janssens", None, Some("  "))];
    let preview = preview_merge(&rows, &companies, MatchBy::Name);
    assert_eq!(links(&preview), vec![(2, "tl-janssens")]);
    assert_eq!(preview.links[0].company.external_id, None);
}

#[test]
fn one_company_matched_by_several_rows_is_contested() {
    let rows = vec![
        row(2, "Janssens BV", "1001", None),
        row(3, "Peeters", "1002", None),
        row(4, "janssens", "1003", None),
    ];
    let companies = vec![
        company("tl-janssens", "Janssens", None, None),
        company("tl-peeters", "Peeters", None, None),
    ];
    let preview = preview_merge(&rows, &companies, MatchBy::Name);
    assert_eq!(links(&preview), vec![(3, "tl-peeters")]);
    assert_eq!(preview.contested.len(), 1);
    let contested = &preview.contested[0];
    assert_eq!(contested.company.reference.id, "tl-janssens");
    let contested_rows: Vec<u32> = contested.rows.iter().map(|r| r.row).collect();
    assert_eq!(contested_rows, vec![2, 4]);
    assert_eq!(
        preview.counts,
        MergeCounts {
            rows: 3,
            to_update: 1,
            contested: 2,
            ..MergeCounts::default()
        }
    );
}

#[test]
fn contacts_are_never_matched() {
    let rows = vec![row(2, "Jan Janssens", "1001", None)];
    let mut contact = company("tl-contact", "Jan Janssens", None, None);
    contact.reference = CustomerRef::contact("tl-contact");
    let preview = preview_merge(&rows, &[contact], MatchBy::Name);
    assert_eq!(
        additions(&preview),
        vec![(2, AdditionReason::NoMatchingCompany)]
    );
}

#[test]
fn a_name_of_only_punctuation_has_nothing_to_match_on() {
    let rows = vec![row(2, "—", "1001", None)];
    let companies = vec![company("tl-dash", "-", None, None)];
    let preview = preview_merge(&rows, &companies, MatchBy::Name);
    assert_eq!(
        additions(&preview),
        vec![(2, AdditionReason::NothingToMatchOn)]
    );
}

#[test]
fn the_changes_to_make_carry_only_what_the_merge_sets() {
    let rows = vec![
        row(2, "Janssens", "1001", Some("be 0403 170 701")),
        row(3, "Nieuw BV", "1002", Some("0417.497.106")),
    ];
    let companies = vec![company("tl-janssens", "Janssens NV", None, None)];
    let preview = preview_merge(&rows, &companies, MatchBy::Name);
    assert_eq!(
        preview.links[0].company_update(),
        CompanyUpdate {
            external_id: Some("1001".into()),
            ..CompanyUpdate::default()
        }
    );
    let new = preview.additions[0].new_company(vec!["Exact Online Import".into()]);
    assert_eq!(new.name, "Nieuw BV");
    assert_eq!(new.vat_number.as_deref(), Some(VAT_ZOE));
    assert_eq!(new.external_id.as_deref(), Some("1002"));
    assert_eq!(new.tags, vec!["Exact Online Import".to_owned()]);
}

#[test]
fn the_preview_does_not_depend_on_the_order_of_rows_or_companies() {
    let rows = vec![
        row(2, "Alpha", "1", None),
        row(3, "Beta", "2", None),
        row(4, "Gamma", "3", None),
        row(5, "Delta", "4", None),
        row(6, "Alpha", "5", None),
    ];
    let companies = vec![
        company("tl-a", "Alpha", None, None),
        company("tl-b1", "Beta", None, None),
        company("tl-b2", "Beta BV", None, None),
        company("tl-g", "Gamma", None, Some("99")),
        company("tl-x", "Epsilon", None, Some("4")),
    ];
    let forward = preview_merge(&rows, &companies, MatchBy::Name);
    let mut reversed_rows = rows.clone();
    reversed_rows.reverse();
    let mut reversed_companies = companies.clone();
    reversed_companies.reverse();
    let backward = preview_merge(&reversed_rows, &reversed_companies, MatchBy::Name);
    assert_eq!(forward, backward);
    assert_eq!(
        forward.counts,
        MergeCounts {
            rows: 5,
            ambiguous: 1,
            conflicts: 1,
            already_linked: 1,
            contested: 2,
            ..MergeCounts::default()
        }
    );
}

#[test]
fn ten_thousand_rows_against_ten_thousand_companies() {
    const SIZE: u32 = 10_000;
    // Companies 0..10,000: every tenth already linked to its own number, every tenth
    // (offset 5) linked to another, the rest without an external id; VAT numbers on the
    // even ones; names "Bedrijf <n> BV".
    let companies: Vec<Customer> = (0..SIZE)
        .map(|n| {
            let external_id = match n % 10 {
                0 => Some(format!("K{n}")),
                5 => Some(format!("OTHER{n}")),
                _ => None,
            };
            let vat = (n % 2 == 0).then(|| belgian_vat(4_000_000 + n));
            company(
                &format!("tl-{n:05}"),
                &format!("Bedrijf {n} BV"),
                vat.as_deref(),
                external_id.as_deref(),
            )
        })
        .collect();
    // Rows: 0..9,000 name existing companies (written "bedrijf <n>"), 9,000..10,000 are new.
    let rows: Vec<MergeRow> = (0..SIZE)
        .map(|n| {
            let vat = (n % 2 == 0).then(|| belgian_vat(4_000_000 + n));
            row(
                n + 2,
                &format!("bedrijf {n}"),
                &format!("K{n}"),
                vat.as_deref(),
            )
        })
        .collect();
    let existing = 9_000;
    let rows: Vec<MergeRow> = rows
        .into_iter()
        .enumerate()
        .map(|(index, mut merge_row)| {
            if index >= existing {
                merge_row.name = format!("Nieuw bedrijf {index}");
                merge_row.vat_number = None;
            }
            merge_row
        })
        .collect();

    let by_name = preview_merge(&rows, &companies, MatchBy::Name);
    // Already linked: n % 10 == 0 for every n (the id is on company n, new rows included).
    // Conflicts: n % 10 == 5 among the first 9,000. Links: the rest of the first 9,000.
    // Additions: the last 1,000 less those already linked (n % 10 == 0).
    assert_eq!(
        by_name.counts,
        MergeCounts {
            rows: 10_000,
            to_update: 7_200,
            to_add: 900,
            already_linked: 1_000,
            ambiguous: 0,
            conflicts: 900,
            contested: 0,
        }
    );
    assert_eq!(by_name.links[0].row.row, 3);
    assert_eq!(by_name.links[0].company.reference.id, "tl-00001");
    assert!(
        by_name
            .links
            .windows(2)
            .all(|w| w[0].row.row < w[1].row.row)
    );

    let by_vat = preview_merge(&rows, &companies, MatchBy::VatNumber);
    // Odd rows have no VAT number: additions unless already linked (never for odd n).
    // Even rows among the first 9,000: n % 10 == 0 already linked, the rest link.
    assert_eq!(
        by_vat.counts,
        MergeCounts {
            rows: 10_000,
            to_update: 3_600,
            to_add: 5_400,
            already_linked: 1_000,
            ambiguous: 0,
            conflicts: 0,
            contested: 0,
        }
    );
}
