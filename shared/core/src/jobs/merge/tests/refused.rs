//! Files that are refused, whole, with every problem named.

use super::fixtures::*;
use crate::jobs::merge::{
    CellIssue, MergeColumn, MergeFileError, MergeFileProblem, MergeLimits, UnreadableReason,
    VatProblem, parse_merge_file,
};

fn unreadable(reason: UnreadableReason) -> Vec<MergeFileProblem> {
    vec![MergeFileProblem::Unreadable { reason }]
}

#[test]
fn missing_columns_are_named_with_the_headers_found() {
    let text = "Bedrijf nr;Code;E-mail\nAlpha;1;a@b.be\n";
    let found = problems("export.csv", text.as_bytes());
    assert_eq!(
        found,
        vec![MergeFileProblem::MissingColumns {
            missing: vec![MergeColumn::Name, MergeColumn::ExternalId],
            found_headers: vec!["Bedrijf nr".into(), "Code".into(), "E-mail".into()],
        }]
    );
    let message = found[0].to_string();
    assert!(
        message.starts_with("The file has no column for the name and the external id."),
        "{message}"
    );
    assert!(
        message.contains("'Klantennummer boekhoudpakket'"),
        "{message}"
    );
    assert!(message.contains("'ID externe'"), "{message}");
    assert!(message.contains("'External ID'"), "{message}");
    assert!(
        message.ends_with("Columns found: 'Bedrijf nr', 'Code', 'E-mail'."),
        "{message}"
    );
}

#[test]
fn the_external_id_column_is_required_the_vat_column_is_not() {
    let found = problems("export.csv", b"Naam;Btw-nummer\nAlpha;\n");
    assert!(matches!(
        found.as_slice(),
        [MergeFileProblem::MissingColumns { missing, .. }] if missing == &[MergeColumn::ExternalId]
    ));
    parse_ok("export.csv", b"Naam;Extern ID\nAlpha;1\n");
}

#[test]
fn a_column_named_twice_is_refused() {
    let found = problems("export.csv", b"Naam;Name;Extern ID\nAlpha;Alpha;1\n");
    assert_eq!(found.len(), 1);
    let MergeFileProblem::DuplicateColumn { column, headers } = &found[0] else {
        panic!("{found:?}");
    };
    assert_eq!(*column, MergeColumn::Name);
    assert_eq!(headers.len(), 2);
    assert_eq!(
        found[0].to_string(),
        "The columns 'Naam' (column A) and 'Name' (column B) all hold the name. Keep one of them, delete or rename the others, and upload the file again."
    );
}

#[test]
fn every_row_problem_is_listed_with_its_row_number() {
    let text = "Naam;Extern ID;Btw-nummer\n\
                Alpha;1001;BE0403170701\n\
                ;1002;\n\
                Gamma;;BE12\n\
                Delta;1004;BE0403170702\n\
                Epsilon;1005;N/A\n\
                Zeta;1006;0403170701\n\
                Eta;1007;NL12345678B01\n\
                Theta;1008;BE04031707€1\n";
    let found = problems("export.csv", text.as_bytes());
    assert_eq!(
        found,
        vec![
            MergeFileProblem::EmptyName { row: 3 },
            MergeFileProblem::EmptyExternalId { row: 4 },
            MergeFileProblem::InvalidVatNumber {
                row: 4,
                given: "BE12".into(),
                reason: VatProblem::BelgianFormat,
            },
            MergeFileProblem::InvalidVatNumber {
                row: 5,
                given: "BE0403170702".into(),
                reason: VatProblem::BelgianCheckDigits,
            },
            MergeFileProblem::InvalidVatNumber {
                row: 6,
                given: "N/A".into(),
                reason: VatProblem::OtherFormat,
            },
            MergeFileProblem::InvalidVatNumber {
                row: 8,
                given: "NL12345678B01".into(),
                reason: VatProblem::DutchFormat,
            },
            MergeFileProblem::InvalidVatNumber {
                row: 9,
                given: "BE04031707€1".into(),
                reason: VatProblem::InvalidCharacters,
            },
        ]
    );
    assert_eq!(found[0].rows(), vec![3]);
    assert_eq!(found[0].column(), Some(MergeColumn::Name));
    assert_eq!(found[2].column(), Some(MergeColumn::VatNumber));
    assert_eq!(
        found[0].to_string(),
        "Row 3: the name is empty — fill in the company name or delete the row."
    );
    assert_eq!(
        found[1].to_string(),
        "Row 4: the external id is empty — fill in the customer number from the ledger, or delete the row."
    );
    assert_eq!(
        found[2].to_string(),
        "Row 4: the VAT number 'BE12' is not valid (a Belgian VAT number is BE followed by 10 digits starting with 0 or 1, like BE0123.456.749) — correct it or leave it empty."
    );
}

#[test]
fn a_vat_number_without_a_country_code_is_refused() {
    let found = problems(
        "export.csv",
        b"Name;External ID;VAT number\nAlpha;1;123456789\n",
    );
    assert_eq!(
        found,
        vec![MergeFileProblem::InvalidVatNumber {
            row: 2,
            given: "123456789".into(),
            reason: VatProblem::MissingCountry,
        }]
    );
}

#[test]
fn the_same_external_id_twice_names_both_rows() {
    let text =
        "Name,External ID\nAlpha,1001\nBeta,1002\nGamma,1001\nDelta,1002\nEpsilon,1002\n,1003\n";
    let found = problems("export.csv", text.as_bytes());
    assert_eq!(
        found,
        vec![
            MergeFileProblem::DuplicateExternalId {
                external_id: "1001".into(),
                rows: vec![2, 4],
            },
            MergeFileProblem::DuplicateExternalId {
                external_id: "1002".into(),
                rows: vec![3, 5, 6],
            },
            MergeFileProblem::EmptyName { row: 7 },
        ]
    );
    assert_eq!(found[1].rows(), vec![3, 5, 6]);
    assert_eq!(
        found[0].to_string(),
        "Rows 2 and 4: the external id '1001' appears more than once — a ledger customer can be linked to one company only; keep one of these rows."
    );
    assert!(found[1].to_string().starts_with("Rows 3, 5 and 6:"));
}

#[test]
fn a_duplicate_is_found_on_rows_refused_for_another_reason_too() {
    let text = "Name;External ID;VAT number\nAlpha;1;BE1\nBeta;1;\n";
    let found = problems("export.csv", text.as_bytes());
    assert_eq!(found.len(), 2);
    assert!(matches!(
        found[0],
        MergeFileProblem::InvalidVatNumber { row: 2, .. }
    ));
    assert!(matches!(
        &found[1],
        MergeFileProblem::DuplicateExternalId { rows, .. } if rows == &[2, 3]
    ));
}

#[test]
fn empty_files_are_refused() {
    for bytes in [&b""[..], b"\xEF\xBB\xBF", b"\n\r\n  \n", b";;;\n;;\n"] {
        assert_eq!(
            problems("export.csv", bytes),
            vec![MergeFileProblem::EmptyFile],
            "{bytes:?}"
        );
    }
    assert_eq!(
        problems("export.csv", b"Naam;Extern ID;Btw-nummer\n;;\n"),
        vec![MergeFileProblem::NoRows]
    );
    assert_eq!(
        problems(
            "export.xlsx",
            &xlsx(&[&[XCell::Text("Name"), XCell::Text("External ID")]])
        ),
        vec![MergeFileProblem::NoRows]
    );
    assert_eq!(
        problems("export.xlsx", &xlsx(&[&[XCell::StyledBlank]])),
        vec![MergeFileProblem::EmptyFile]
    );
}

#[test]
fn binary_garbage_is_refused() {
    let mut garbage = Vec::new();
    let mut state: u32 = 12_345;
    for _ in 0..4_096 {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        garbage.push((state >> 16) as u8);
    }
    assert_eq!(
        problems("export.csv", &garbage),
        unreadable(UnreadableReason::NotASpreadsheet)
    );
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";
    assert_eq!(
        problems("logo.png", png),
        unreadable(UnreadableReason::NotASpreadsheet)
    );
    let controls: Vec<u8> = (0..200)
        .map(|i| if i % 2 == 0 { 0x01 } else { b'a' })
        .collect();
    assert_eq!(
        problems("export.csv", &controls),
        unreadable(UnreadableReason::NotASpreadsheet)
    );
    assert_eq!(
        problems("export.xlsx", png),
        unreadable(UnreadableReason::NotAnXlsxWorkbook)
    );
}

#[test]
fn workbooks_koppel_cannot_read_say_what_to_do() {
    let old_excel = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0\0\0";
    assert_eq!(
        problems("export.xls", old_excel),
        unreadable(UnreadableReason::OldExcelOrEncrypted)
    );
    let ods = zip_of(&[
        (
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet",
        ),
        ("content.xml", b"<office:document-content/>"),
    ]);
    assert_eq!(
        problems("export.ods", &ods),
        unreadable(UnreadableReason::OpenDocument)
    );
    let not_a_workbook = zip_of(&[("readme.txt", b"hello")]);
    assert_eq!(
        problems("export.xlsx", &not_a_workbook),
        unreadable(UnreadableReason::DamagedWorkbook)
    );
    let mut cut_off = xlsx(&[&[XCell::Text("Name"), XCell::Text("External ID")]]);
    cut_off.truncate(cut_off.len() / 2);
    assert_eq!(
        problems("export.xlsx", &cut_off),
        unreadable(UnreadableReason::DamagedWorkbook)
    );
}

#[test]
fn dates_and_formula_errors_in_read_columns_are_refused() {
    use XCell::*;
    let bytes = xlsx(&[
        &[
            Text("Name"),
            Text("External ID"),
            Text("VAT number"),
            Text("Since"),
        ],
        &[Text("Alpha"), Date, Nothing, Date],
        &[NotAvailable, Number(2.0), Nothing, NotAvailable],
        &[Text("Gamma"), Number(3.0), NotAvailable, Nothing],
    ]);
    let found = problems("export.xlsx", &bytes);
    assert_eq!(
        found,
        vec![
            MergeFileProblem::UnusableCell {
                row: 2,
                column: MergeColumn::ExternalId,
                issue: CellIssue::Date,
            },
            MergeFileProblem::UnusableCell {
                row: 3,
                column: MergeColumn::Name,
                issue: CellIssue::FormulaError {
                    shown: "#N/A".into()
                },
            },
            MergeFileProblem::UnusableCell {
                row: 4,
                column: MergeColumn::VatNumber,
                issue: CellIssue::FormulaError {
                    shown: "#N/A".into()
                },
            },
        ]
    );
    assert!(
        found[0]
            .to_string()
            .starts_with("Row 2: the external id is a date in the spreadsheet"),
        "{}",
        found[0]
    );
    assert!(
        found[1]
            .to_string()
            .starts_with("Row 3: the name shows the error #N/A"),
        "{}",
        found[1]
    );
}

#[test]
fn a_file_over_the_size_limit_is_refused_before_reading() {
    let limit = MergeLimits::default().max_file_bytes;
    assert_eq!(limit, 10 * 1024 * 1024);
    let mut text = b"Name,External ID\n".to_vec();
    text.resize(usize::try_from(limit).expect("size") + 1, b' ');
    let found = problems("big.csv", &text);
    assert_eq!(
        found,
        vec![MergeFileProblem::FileTooLarge {
            size_bytes: limit + 1,
            max_bytes: limit,
        }]
    );
    assert!(
        found[0]
            .to_string()
            .starts_with("The file is 10.0 MB and the largest file Koppel takes is 10 MB."),
        "{}",
        found[0]
    );
}

#[test]
fn a_file_over_the_row_limit_is_refused() {
    let limits = MergeLimits {
        max_rows: 3,
        ..MergeLimits::default()
    };
    let three = "Name,External ID\nA,1\nB,2\n\nC,3\n";
    assert!(parse_merge_file("export.csv", three.as_bytes(), &limits).is_ok());
    let four = format!("{three}D,4\n");
    assert_eq!(
        problems_with("export.csv", four.as_bytes(), &limits),
        vec![MergeFileProblem::TooManyRows { max_rows: 3 }]
    );
    use XCell::*;
    let workbook = xlsx(&[
        &[Text("Name"), Text("External ID")],
        &[Text("A"), Number(1.0)],
        &[Text("B"), Number(2.0)],
        &[Text("C"), Number(3.0)],
        &[Text("D"), Number(4.0)],
    ]);
    assert_eq!(
        problems_with("export.xlsx", &workbook, &limits),
        vec![MergeFileProblem::TooManyRows { max_rows: 3 }]
    );
    assert_eq!(MergeLimits::default().max_rows, 50_000);
}

#[test]
fn a_workbook_that_unpacks_too_large_is_refused() {
    let workbook = xlsx(&[
        &[XCell::Text("Name"), XCell::Text("External ID")],
        &[XCell::Text("A"), XCell::Number(1.0)],
    ]);
    let limits = MergeLimits {
        max_unpacked_bytes: 1_000,
        ..MergeLimits::default()
    };
    assert_eq!(
        problems_with("export.xlsx", &workbook, &limits),
        vec![MergeFileProblem::WorkbookTooLarge {
            max_unpacked_bytes: 1_000
        }]
    );
}

#[test]
fn the_error_lists_every_problem_for_the_page_and_serialises() {
    let text = "Name;External ID;VAT number\n;1;\nB;;BE12\n";
    let error = parse_merge_file("klanten.csv", text.as_bytes(), &MergeLimits::default())
        .expect_err("refused");
    assert_eq!(error.file_name(), "klanten.csv");
    let table: Vec<(Vec<u32>, String)> = error
        .problems()
        .iter()
        .map(|problem| (problem.rows(), problem.to_string()))
        .collect();
    assert_eq!(table.len(), 3);
    assert_eq!(table[0].0, vec![2]);
    assert_eq!(table[2].0, vec![3]);
    let message = error.to_string();
    assert!(
        message.starts_with(
            "klanten.csv cannot be used: 3 problems were found. Correct them in the file and upload it again.\n- Row 2: the name is empty"
        ),
        "{message}"
    );
    let stored = serde_json::to_string(&error).expect("serialise");
    let back: MergeFileError = serde_json::from_str(&stored).expect("deserialise");
    assert_eq!(back, error);

    let single = parse_merge_file("leeg.csv", b"", &MergeLimits::default()).expect_err("refused");
    assert_eq!(
        single.to_string(),
        "leeg.csv cannot be used: The file is empty. Export the companies from Teamleader, fill in the external ids and upload that file."
    );
    assert!(single.problems()[0].rows().is_empty());
    assert_eq!(single.problems()[0].column(), None);
}
