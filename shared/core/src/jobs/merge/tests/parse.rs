//! Files that are read: every format and header language.

use super::fixtures::*;
use crate::jobs::merge::{MergeColumn, MergeFileFormat, TextEncoding};

#[test]
fn csv_with_commas_in_utf8_and_english_headers() {
    let text = format!(
        "Name,External ID,VAT number\nBakkerij Janssens BV,1001,{VAT_JANSSENS}\nCafé Zoë,1002,\n"
    );
    let file = parse_ok("companies.csv", text.as_bytes());
    assert_eq!(
        file.format,
        MergeFileFormat::Csv {
            delimiter: ',',
            encoding: TextEncoding::Utf8
        }
    );
    assert_eq!(
        summary(&file),
        vec![
            (2, "Bakkerij Janssens BV", "1001", Some(VAT_JANSSENS)),
            (3, "Café Zoë", "1002", None),
        ]
    );
    assert_eq!(file.file_name, "companies.csv");
    assert!(file.has_vat_numbers());
}

#[test]
fn csv_with_semicolons_and_teamleaders_dutch_headers() {
    let text = "Naam;Klantennummer boekhoudpakket;Btw-nummer\r\n\
                Bakkerij Janssens BV;1001;BE 0403.170.701\r\n\
                Dupont, Fils & Co;1002;\r\n";
    let file = parse_ok("export.csv", text.as_bytes());
    assert_eq!(
        file.format,
        MergeFileFormat::Csv {
            delimiter: ';',
            encoding: TextEncoding::Utf8
        }
    );
    assert_eq!(
        summary(&file),
        vec![
            (2, "Bakkerij Janssens BV", "1001", Some(VAT_JANSSENS)),
            (3, "Dupont, Fils & Co", "1002", None),
        ]
    );
    let columns = &file.columns;
    assert_eq!(columns.name.header, "Naam");
    assert_eq!(columns.external_id.header, "Klantennummer boekhoudpakket");
    assert_eq!(columns.external_id.letters(), "B");
    assert_eq!(
        columns.vat_number.as_ref().map(|c| c.header.as_str()),
        Some("Btw-nummer")
    );
    assert!(columns.ignored.is_empty());
}

#[test]
fn csv_in_utf8_with_a_byte_order_mark_and_french_headers() {
    let text = format!("\u{feff}Nom;ID externe;Numéro de TVA\nCafé Zoë SPRL;C-17;{VAT_ZOE}\n");
    let file = parse_ok("export.csv", text.as_bytes());
    assert_eq!(
        file.format,
        MergeFileFormat::Csv {
            delimiter: ';',
            encoding: TextEncoding::Utf8WithBom
        }
    );
    // The byte-order mark is not part of the first header.
    assert_eq!(file.columns.name.header, "Nom");
    assert_eq!(
        summary(&file),
        vec![(2, "Café Zoë SPRL", "C-17", Some(VAT_ZOE))]
    );
}

#[test]
fn csv_in_windows_1252_with_accents() {
    let text = "Nom;ID externe;Numéro de TVA\nCafé Zoë;1002;\nBrasserie Ñandú & Fils;1003;\n";
    let file = parse_ok("export.csv", &windows_1252(text));
    assert_eq!(
        file.format,
        MergeFileFormat::Csv {
            delimiter: ';',
            encoding: TextEncoding::Windows1252
        }
    );
    assert_eq!(
        summary(&file),
        vec![
            (2, "Café Zoë", "1002", None),
            (3, "Brasserie Ñandú & Fils", "1003", None),
        ]
    );
    assert_eq!(
        file.columns.vat_number.as_ref().map(|c| c.header.as_str()),
        Some("Numéro de TVA")
    );
}

#[test]
fn csv_in_utf16_with_tabs_as_excel_unicode_text() {
    let text = "Name\tExternal ID\tVAT number\r\nCafé Zoë\t1002\t\r\n";
    let file = parse_ok("export.txt", &utf16le_with_bom(text));
    assert_eq!(
        file.format,
        MergeFileFormat::Csv {
            delimiter: '\t',
            encoding: TextEncoding::Utf16Le
        }
    );
    assert_eq!(summary(&file), vec![(2, "Café Zoë", "1002", None)]);
}

#[test]
fn quoted_fields_with_line_breaks_delimiters_and_quotes() {
    let text = "Naam;Extern ID;Btw-nummer\n\
                \"Dupont; Fils\";1001;\n\
                \"Atelier \"\"Het Anker\"\"\nafdeling Gent\";1002;\n\
                \"Janssens\";\"1003\";\"BE0403.170.701\"\n";
    let file = parse_ok("export.csv", text.as_bytes());
    assert_eq!(
        summary(&file),
        vec![
            (2, "Dupont; Fils", "1001", None),
            (3, "Atelier \"Het Anker\"\nafdeling Gent", "1002", None),
            // The line break inside row 3 does not make row 4 a row 5.
            (4, "Janssens", "1003", Some(VAT_JANSSENS)),
        ]
    );
}

#[test]
fn blank_lines_count_as_rows_and_are_skipped() {
    let text = "Name,External ID\n\nAlpha,1\n,\n  ,  \nBeta,2\n\n\n";
    let file = parse_ok("export.csv", text.as_bytes());
    assert_eq!(
        summary(&file),
        vec![(3, "Alpha", "1", None), (6, "Beta", "2", None)]
    );
    assert!(!file.has_vat_numbers());
}

#[test]
fn row_numbers_with_windows_line_breaks_inside_quotes_and_no_final_line_break() {
    let text = "Name;External ID\r\n\r\n\"Al\r\npha\";1\r\n\r\n\"Be;ta\";2";
    let file = parse_ok("export.csv", text.as_bytes());
    assert_eq!(
        summary(&file),
        vec![(3, "Al\r\npha", "1", None), (5, "Be;ta", "2", None)]
    );
}

#[test]
fn other_columns_any_order_short_rows_and_padding() {
    let text = "E-mail;Btw-nummer;Extern ID;Opmerking;Bedrijfsnaam\n\
                info@alpha.be;  BE0403170701 ; 1001 ;nota;  Alpha NV  \n\
                ;;1002;;Beta\n\
                x@y.be;-;1003;;Gamma\n\
                ;;1004;;Delta";
    let file = parse_ok("export.csv", text.as_bytes());
    assert_eq!(
        summary(&file),
        vec![
            (2, "Alpha NV", "1001", Some(VAT_JANSSENS)),
            (3, "Beta", "1002", None),
            // A dash alone is no VAT number.
            (4, "Gamma", "1003", None),
            (5, "Delta", "1004", None),
        ]
    );
    let vat = file.rows[0].vat_number.as_ref().expect("VAT number");
    assert_eq!(vat.as_given, "BE0403170701");
    let ignored: Vec<&str> = file
        .columns
        .ignored
        .iter()
        .map(|c| c.header.as_str())
        .collect();
    assert_eq!(ignored, vec!["E-mail", "Opmerking"]);
    assert_eq!(file.columns.name.letters(), "E");
}

#[test]
fn a_vat_number_is_kept_as_given_and_normalised() {
    let text = "Name;External ID;VAT number\nJanssens;1;be 0403.170.701\nZoë;2;0417497106\nVan Dijk;3;nl123456789b01\n";
    let file = parse_ok("export.csv", text.as_bytes());
    let vats: Vec<(&str, &str)> = file
        .rows
        .iter()
        .filter_map(|row| row.vat_number.as_ref())
        .map(|vat| (vat.as_given.as_str(), vat.normalised.as_str()))
        .collect();
    assert_eq!(
        vats,
        vec![
            ("be 0403.170.701", VAT_JANSSENS),
            ("0417497106", VAT_ZOE),
            ("nl123456789b01", "NL123456789B01"),
        ]
    );
}

#[test]
fn header_variants_in_three_languages() {
    for header in [
        "Naam;Extern ID;BTW-nummer",
        "Bedrijfsnaam;Klantennummer;Btw nummer",
        "Nom;Identifiant externe;N° TVA",
        "Nom de l'entreprise;Numéro de client;TVA",
        "Company name;External ID;VAT",
        "NAME;EXTERNAL ID;VAT NUMBER",
    ] {
        let text = format!("{header}\nJanssens;1001;{VAT_JANSSENS}\n");
        let file = parse_ok("export.csv", text.as_bytes());
        assert_eq!(
            summary(&file),
            vec![(2, "Janssens", "1001", Some(VAT_JANSSENS))],
            "{header}"
        );
    }
}

#[test]
fn xlsx_as_excel_and_libreoffice_write_it() {
    use XCell::*;
    let bytes = xlsx(&[
        &[
            Text("Naam"),
            Text("Klantennummer boekhoudpakket"),
            Text("Btw-nummer"),
            Text("E-mail"),
        ],
        &[
            Text("Bakkerij Janssens BV"),
            Number(1001.0),
            Text("BE 0403.170.701"),
            StyledBlank,
        ],
        &[Text("Café Zoë"), Text("C-17"), Nothing, Text("zoe@cafe.be")],
        &[
            Text("  Dupont & Fils  "),
            Number(1003.0),
            StyledBlank,
            Nothing,
        ],
        &[StyledBlank, StyledBlank, StyledBlank, StyledBlank],
        &[
            Text("Ateliers Réunis"),
            Number(1005.5),
            Text(VAT_ZOE),
            Nothing,
        ],
    ]);
    let file = parse_ok("export.xlsx", &bytes);
    assert_eq!(
        file.format,
        MergeFileFormat::Xlsx {
            sheet: "Bedrijven".into()
        }
    );
    assert_eq!(
        summary(&file),
        vec![
            (2, "Bakkerij Janssens BV", "1001", Some(VAT_JANSSENS)),
            (3, "Café Zoë", "C-17", None),
            (4, "Dupont & Fils", "1003", None),
            // Row 5 is blank (only formatted); the next row keeps its own number.
            (6, "Ateliers Réunis", "1005.5", Some(VAT_ZOE)),
        ]
    );
    assert_eq!(file.columns.ignored.len(), 1);
}

#[test]
fn xlsx_whatever_the_file_is_called_and_with_the_header_further_down() {
    use XCell::*;
    let bytes = xlsx_from(
        2,
        &[
            &[Nothing, Text("Name"), Text("External ID")],
            &[Nothing, Text("Alpha"), Number(7.0)],
        ],
    );
    // Told apart by content: a workbook named .csv is still read as a workbook.
    let file = parse_ok("export.csv", &bytes);
    assert_eq!(summary(&file), vec![(4, "Alpha", "7", None)]);
    assert_eq!(file.columns.name.letters(), "B");
}

#[test]
fn xlsx_with_cells_in_the_last_row_and_column() {
    // Cells far away are read one by one; no grid up to them is built.
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "Name").expect("cell");
    sheet.write_string(0, 1, "External ID").expect("cell");
    sheet.write_string(1, 0, "Alpha").expect("cell");
    sheet.write_number(1, 1, 1.0).expect("cell");
    let bold = rust_xlsxwriter::Format::new().set_bold();
    sheet.write_blank(1_048_575, 16_383, &bold).expect("cell");
    sheet.write_string(1_048_575, 16_382, "far").expect("cell");
    let bytes = workbook.save_to_buffer().expect("workbook");
    let problems = problems("far.xlsx", &bytes);
    // The far row has no name and no external id: reported, not crashed on.
    assert_eq!(
        problems,
        vec![
            crate::jobs::merge::MergeFileProblem::EmptyName { row: 1_048_576 },
            crate::jobs::merge::MergeFileProblem::EmptyExternalId { row: 1_048_576 },
        ]
    );
}

#[test]
fn recognised_columns_are_reported_for_the_page() {
    let text = "Notes;Name;External ID\nx;Alpha;1\n";
    let file = parse_ok("export.csv", text.as_bytes());
    assert_eq!(file.columns.name.index, 1);
    assert_eq!(file.columns.external_id.index, 2);
    assert_eq!(file.columns.vat_number, None);
    assert_eq!(file.columns.ignored[0].to_string(), "'Notes' (column A)");
    assert_eq!(
        MergeColumn::ALL.map(|c| c.is_required()),
        [true, true, false]
    );
}
