//! An uploaded merge file → checked rows, or one error listing every problem.
//!
//! Accepted: CSV with `,`, `;` or tab between fields (found from the header line), in UTF-8
//! with or without a byte-order mark, UTF-16 with one, or Windows-1252 (valid UTF-8 is read as
//! UTF-8, anything else as Windows-1252), quoted fields with line breaks and delimiters
//! inside; or an XLSX workbook, whose first sheet is read. The first non-blank row holds the
//! headers (see [`super::columns`]); blank rows are skipped; cells are trimmed.
//!
//! Nothing is taken partly: a file with any problem is refused whole with a
//! [`MergeFileError`] naming every problem, so applying a file never leaves half of it done
//! because of a typo in row 900.

use super::columns::{FoundColumn, MergeColumn, recognise_header};
use super::problems::{CellIssue, MergeFileError, MergeFileProblem, VatProblem};
use super::table::{CellValue, SheetRow, read_sheet};
use crate::vat::{VatNumber, parse_vat};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The most a merge file may hold; larger files are refused before they are read whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeLimits {
    /// Largest upload, in bytes (default 10 MiB).
    pub max_file_bytes: u64,
    /// Largest total an XLSX workbook may unpack to, in bytes (default 100 MiB): a zip of a
    /// few megabytes can unpack to gigabytes.
    pub max_unpacked_bytes: u64,
    /// Most rows below the header row, blank rows not counted (default 50,000).
    pub max_rows: u32,
}

impl Default for MergeLimits {
    fn default() -> Self {
        Self {
            max_file_bytes: 10 * 1024 * 1024,
            max_unpacked_bytes: 100 * 1024 * 1024,
            max_rows: 50_000,
        }
    }
}

/// How a CSV file's text was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextEncoding {
    /// UTF-8 without a byte-order mark.
    Utf8,
    /// UTF-8 with a byte-order mark (Excel's "CSV UTF-8").
    Utf8WithBom,
    /// UTF-16, little-endian, with a byte-order mark (Excel's "Unicode text").
    Utf16Le,
    /// UTF-16, big-endian, with a byte-order mark.
    Utf16Be,
    /// Windows-1252 (Excel's plain "CSV" on a Western European Windows).
    Windows1252,
}

/// What kind of file was read, for the page ("read as CSV with ';', Windows-1252").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "format", rename_all = "snake_case")]
pub enum MergeFileFormat {
    /// Delimited text.
    Csv {
        /// The field delimiter found on the header line.
        delimiter: char,
        /// The text encoding found.
        encoding: TextEncoding,
    },
    /// An Excel workbook.
    Xlsx {
        /// The name of the sheet read (the first one).
        sheet: String,
    },
}

/// Where the columns Koppel reads are in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecognisedColumns {
    /// The company name.
    pub name: FoundColumn,
    /// The external id (ledger customer number).
    pub external_id: FoundColumn,
    /// The VAT number, when the file has that column.
    pub vat_number: Option<FoundColumn>,
    /// Header cells Koppel does not read (left alone, not an error).
    pub ignored: Vec<FoundColumn>,
}

/// A VAT number from the file: as written, and normalised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileVatNumber {
    /// As written in the file (trimmed), for the page.
    pub as_given: String,
    /// Normalised and checked by [`parse_vat`], for matching.
    pub normalised: VatNumber,
}

/// One checked row of a merge file: a ledger customer to link to a Teamleader company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeRow {
    /// 1-based row number as a spreadsheet shows it (the header is usually row 1).
    pub row: u32,
    /// The company name as written (trimmed), never empty.
    pub name: String,
    /// The external id, the ledger's customer number, as written (trimmed), never empty;
    /// unique in the file.
    pub external_id: String,
    /// The VAT number, when the row has one.
    pub vat_number: Option<FileVatNumber>,
}

/// A merge file that passed every check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeFile {
    /// The file's name as uploaded (for run-report issues: "merge.csv row 12").
    pub file_name: String,
    /// How it was read.
    pub format: MergeFileFormat,
    /// Where the columns were found.
    pub columns: RecognisedColumns,
    /// The rows, in file order (so ascending row numbers); at least one.
    pub rows: Vec<MergeRow>,
}

impl MergeFile {
    /// True when the file has a VAT number column (matching by VAT number needs one).
    pub fn has_vat_numbers(&self) -> bool {
        self.columns.vat_number.is_some()
    }
}

/// Reads and checks an uploaded merge file (CSV or XLSX, told apart by content, not by
/// name; `file_name` only sharpens messages and is kept for reports).
///
/// Every problem is collected before answering, so the error lists them all: file-level
/// problems (size, emptiness, unreadable content, missing or doubled columns) stop the
/// reading; row problems (empty names or external ids, invalid VAT numbers, unusable cells,
/// an external id on two rows) are all reported with their row numbers.
pub fn parse_merge_file(
    file_name: &str,
    bytes: &[u8],
    limits: &MergeLimits,
) -> Result<MergeFile, MergeFileError> {
    let refuse = |problems: Vec<MergeFileProblem>| MergeFileError::new(file_name, problems);
    let sheet = read_sheet(file_name, bytes, limits).map_err(|problem| refuse(vec![problem]))?;
    let Some((header, data)) = sheet.rows.split_first() else {
        return Err(refuse(vec![MergeFileProblem::EmptyFile]));
    };
    let columns = recognise_columns(header).map_err(refuse)?;
    if data.is_empty() {
        return Err(refuse(vec![MergeFileProblem::NoRows]));
    }

    let mut problems = Vec::new();
    let mut rows = Vec::with_capacity(data.len());
    let mut rows_by_external_id: HashMap<&str, Vec<u32>> = HashMap::new();
    for sheet_row in data {
        let checked = check_row(sheet_row, &columns, &mut problems);
        if let Some(external_id) = checked.external_id {
            rows_by_external_id
                .entry(external_id)
                .or_default()
                .push(sheet_row.row);
        }
        rows.extend(checked.row);
    }
    problems.extend(duplicate_external_ids(rows_by_external_id));

    if problems.is_empty() {
        Ok(MergeFile {
            file_name: file_name.to_owned(),
            format: sheet.format,
            columns,
            rows,
        })
    } else {
        // Row problems were pushed in row order; a doubled external id joins at its first row.
        problems.sort_by_key(|problem| problem.rows().first().copied().unwrap_or(0));
        Err(refuse(problems))
    }
}

/// Finds the columns in the header row: each required one exactly once, the VAT number at
/// most once.
fn recognise_columns(header: &SheetRow) -> Result<RecognisedColumns, Vec<MergeFileProblem>> {
    let mut found: HashMap<MergeColumn, Vec<FoundColumn>> = HashMap::new();
    let mut ignored = Vec::new();
    let mut headers = Vec::new();
    for (index, cell) in &header.cells {
        let text = match cell {
            CellValue::Text(text) => text.clone(),
            CellValue::Date | CellValue::FormulaError(_) => String::new(),
        };
        headers.push(shortened(&text));
        let column = FoundColumn {
            header: text,
            index: *index,
        };
        match recognise_header(&column.header) {
            Some(which) => found.entry(which).or_default().push(column),
            None => ignored.push(column),
        }
    }

    let mut problems = Vec::new();
    let missing: Vec<MergeColumn> = MergeColumn::ALL
        .into_iter()
        .filter(|column| column.is_required() && !found.contains_key(column))
        .collect();
    if !missing.is_empty() {
        headers.retain(|header| !header.is_empty());
        headers.truncate(MAX_HEADERS_SHOWN);
        problems.push(MergeFileProblem::MissingColumns {
            missing,
            found_headers: headers,
        });
    }
    for column in MergeColumn::ALL {
        if let Some(headers) = found.get(&column).filter(|headers| headers.len() > 1) {
            problems.push(MergeFileProblem::DuplicateColumn {
                column,
                headers: headers.clone(),
            });
        }
    }
    let mut take = |column: MergeColumn| found.remove(&column).and_then(|mut v| v.pop());
    match (
        take(MergeColumn::Name),
        take(MergeColumn::ExternalId),
        take(MergeColumn::VatNumber),
    ) {
        (Some(name), Some(external_id), vat_number) if problems.is_empty() => {
            Ok(RecognisedColumns {
                name,
                external_id,
                vat_number,
                ignored,
            })
        }
        _ => Err(problems),
    }
}

/// How many of the headers found a "missing columns" message lists.
const MAX_HEADERS_SHOWN: usize = 12;
/// How many characters of a header a message shows (binary garbage makes long "headers").
const MAX_HEADER_CHARACTERS: usize = 40;

/// A header as a message shows it: at most [`MAX_HEADER_CHARACTERS`] characters.
fn shortened(header: &str) -> String {
    if header.chars().count() <= MAX_HEADER_CHARACTERS {
        header.to_owned()
    } else {
        let mut short: String = header.chars().take(MAX_HEADER_CHARACTERS).collect();
        short.push('…');
        short
    }
}

/// One data row checked: the row when it passed, and its external id when it has one (for
/// the duplicate check, which also covers rows refused for another reason).
struct CheckedRow<'a> {
    row: Option<MergeRow>,
    external_id: Option<&'a str>,
}

/// Checks one data row, adding its problems (in column order) to `problems`.
fn check_row<'a>(
    sheet_row: &'a SheetRow,
    columns: &RecognisedColumns,
    problems: &mut Vec<MergeFileProblem>,
) -> CheckedRow<'a> {
    let row = sheet_row.row;
    let before = problems.len();
    let name = text_in(sheet_row, MergeColumn::Name, &columns.name, problems);
    if name.is_none() && problems.len() == before {
        problems.push(MergeFileProblem::EmptyName { row });
    }
    let before_external_id = problems.len();
    let external_id = text_in(
        sheet_row,
        MergeColumn::ExternalId,
        &columns.external_id,
        problems,
    );
    if external_id.is_none() && problems.len() == before_external_id {
        problems.push(MergeFileProblem::EmptyExternalId { row });
    }
    let vat_number = columns.vat_number.as_ref().and_then(|column| {
        let given = text_in(sheet_row, MergeColumn::VatNumber, column, problems)?;
        match parse_vat(given) {
            Ok(normalised) => Some(FileVatNumber {
                as_given: given.to_owned(),
                normalised,
            }),
            Err(error) => {
                // "-" and other separators alone count as no VAT number.
                if let Some(reason) = VatProblem::from_vat_error(&error) {
                    problems.push(MergeFileProblem::InvalidVatNumber {
                        row,
                        given: given.to_owned(),
                        reason,
                    });
                }
                None
            }
        }
    });
    let passed = problems.len() == before;
    CheckedRow {
        row: match (name, external_id) {
            (Some(name), Some(external_id)) if passed => Some(MergeRow {
                row,
                name: name.to_owned(),
                external_id: external_id.to_owned(),
                vat_number,
            }),
            _ => None,
        },
        external_id,
    }
}

/// The text in a row's cell of `column`; `None` when empty, or when the cell holds a date or
/// a formula error (then with its problem added).
fn text_in<'a>(
    sheet_row: &'a SheetRow,
    which: MergeColumn,
    column: &FoundColumn,
    problems: &mut Vec<MergeFileProblem>,
) -> Option<&'a str> {
    let issue = match sheet_row.cell(column.index)? {
        CellValue::Text(text) => return Some(text),
        CellValue::Date => CellIssue::Date,
        CellValue::FormulaError(shown) => CellIssue::FormulaError {
            shown: shown.clone(),
        },
    };
    problems.push(MergeFileProblem::UnusableCell {
        row: sheet_row.row,
        column: which,
        issue,
    });
    None
}

/// One problem per external id found on more than one row, in order of first row.
fn duplicate_external_ids(rows_by_external_id: HashMap<&str, Vec<u32>>) -> Vec<MergeFileProblem> {
    let mut duplicates: Vec<MergeFileProblem> = rows_by_external_id
        .into_iter()
        .filter(|(_, rows)| rows.len() > 1)
        .map(
            |(external_id, rows)| MergeFileProblem::DuplicateExternalId {
                external_id: external_id.to_owned(),
                rows,
            },
        )
        .collect();
    duplicates.sort_by_key(|problem| problem.rows().first().copied().unwrap_or(0));
    duplicates
}
