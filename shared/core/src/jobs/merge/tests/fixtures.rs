//! Files and companies made by the tests.

use crate::customer::{Customer, CustomerRef};
use crate::jobs::merge::{
    FileVatNumber, MergeFile, MergeFileError, MergeFileProblem, MergeLimits, MergeRow,
    parse_merge_file,
};
use crate::vat::{VatNumber, belgian_check_digits, parse_vat};
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
use std::io::{Cursor, Write};

/// Valid Belgian VAT numbers used across the tests.
pub const VAT_JANSSENS: &str = "BE0403170701";
pub const VAT_ZOE: &str = "BE0417497106";

/// A valid Belgian VAT number made from `first_eight` digits (as a number).
pub fn belgian_vat(first_eight: u32) -> String {
    format!("BE{first_eight:08}{:02}", belgian_check_digits(first_eight))
}

/// Parses with the default limits, expecting success.
pub fn parse_ok(file_name: &str, bytes: &[u8]) -> MergeFile {
    match parse_merge_file(file_name, bytes, &MergeLimits::default()) {
        Ok(file) => file,
        Err(error) => panic!("{file_name} was refused: {error}"),
    }
}

/// Parses with `limits`, expecting a refusal, and gives its problems.
pub fn problems_with(file_name: &str, bytes: &[u8], limits: &MergeLimits) -> Vec<MergeFileProblem> {
    match parse_merge_file(file_name, bytes, limits) {
        Ok(file) => panic!("{file_name} was accepted: {file:?}"),
        Err(error) => refused_problems(error),
    }
}

/// Parses with the default limits, expecting a refusal, and gives its problems.
pub fn problems(file_name: &str, bytes: &[u8]) -> Vec<MergeFileProblem> {
    problems_with(file_name, bytes, &MergeLimits::default())
}

/// The problems of an error, after checking the error is never empty and reads well.
fn refused_problems(error: MergeFileError) -> Vec<MergeFileProblem> {
    assert!(!error.problems().is_empty());
    assert!(error.to_string().starts_with(error.file_name()), "{error}");
    error.into_problems()
}

/// (row, name, external id, VAT number normalised) of each row, for compact assertions.
pub fn summary(file: &MergeFile) -> Vec<(u32, &str, &str, Option<&str>)> {
    file.rows
        .iter()
        .map(|row| {
            (
                row.row,
                row.name.as_str(),
                row.external_id.as_str(),
                row.vat_number.as_ref().map(|vat| vat.normalised.as_str()),
            )
        })
        .collect()
}

/// Text encoded as Windows-1252 (as Excel's plain "CSV" writes it on a Belgian Windows).
pub fn windows_1252(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!unmappable, "{text} has characters Windows-1252 lacks");
    bytes.into_owned()
}

/// Text encoded as UTF-16LE with its byte-order mark (Excel's "Unicode text").
pub fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    bytes
}

/// A cell of a test workbook.
#[derive(Debug, Clone, Copy)]
pub enum XCell<'a> {
    /// A string (written as a shared string, as Excel and LibreOffice do).
    Text(&'a str),
    /// A number.
    Number(f64),
    /// Nothing at all.
    Nothing,
    /// An empty cell with a format (Excel writes these for formatted empty cells).
    StyledBlank,
    /// A date with a date format.
    Date,
    /// A formula whose cached result is #N/A.
    NotAvailable,
}

/// An XLSX workbook whose first sheet holds `rows` from row `first_row` (0-based), and a
/// second sheet that must not be read.
pub fn xlsx_from(first_row: u32, rows: &[&[XCell<'_>]]) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let date_format = Format::new().set_num_format("d/m/yyyy");
    let sheet = workbook.add_worksheet();
    sheet.set_name("Bedrijven").expect("sheet name");
    for (offset, cells) in rows.iter().enumerate() {
        let row = first_row + u32::try_from(offset).expect("row");
        for (column, cell) in cells.iter().enumerate() {
            let column = u16::try_from(column).expect("column");
            match cell {
                XCell::Text(text) => {
                    sheet.write_string(row, column, *text).expect("string");
                }
                XCell::Number(number) => {
                    sheet.write_number(row, column, *number).expect("number");
                }
                XCell::Nothing => {}
                XCell::StyledBlank => {
                    sheet.write_blank(row, column, &bold).expect("blank");
                }
                XCell::Date => {
                    let date = ExcelDateTime::from_ymd(2026, 1, 2).expect("date");
                    sheet
                        .write_datetime_with_format(row, column, &date, &date_format)
                        .expect("date");
                }
                XCell::NotAvailable => {
                    let formula = Formula::new("=NA()").set_result("#N/A");
                    sheet.write_formula(row, column, formula).expect("formula");
                }
            }
        }
    }
    let other = workbook.add_worksheet();
    other.set_name("Notities").expect("sheet name");
    other
        .write_string(0, 0, "Not the companies")
        .expect("string");
    workbook.save_to_buffer().expect("workbook")
}

/// An XLSX workbook whose first sheet holds `rows` from row 1.
pub fn xlsx(rows: &[&[XCell<'_>]]) -> Vec<u8> {
    xlsx_from(0, rows)
}

/// A zip holding `entries` (name, content), stored without compression.
pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, content) in entries {
        writer.start_file(*name, options).expect("zip entry");
        writer.write_all(content).expect("zip content");
    }
    writer.finish().expect("zip").into_inner()
}

/// A Teamleader company.
pub fn company(
    id: &str,
    name: &str,
    vat_number: Option<&str>,
    external_id: Option<&str>,
) -> Customer {
    Customer {
        reference: CustomerRef::company(id),
        name: name.to_owned(),
        vat_number: vat_number.map(|vat| VatNumber(vat.to_owned())),
        enterprise_number: None,
        addresses: Vec::new(),
        emails: Vec::new(),
        external_id: external_id.map(str::to_owned),
        language: None,
    }
}

/// A checked merge-file row.
pub fn row(number: u32, name: &str, external_id: &str, vat_number: Option<&str>) -> MergeRow {
    MergeRow {
        row: number,
        name: name.to_owned(),
        external_id: external_id.to_owned(),
        vat_number: vat_number.map(|given| FileVatNumber {
            as_given: given.to_owned(),
            normalised: parse_vat(given).expect("a valid VAT number in a test row"),
        }),
    }
}
