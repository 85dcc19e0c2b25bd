//! What can be wrong with an uploaded merge file, in words the user can act on.
//!
//! A file is taken whole or not at all: [`MergeFileError`] lists every problem found (each
//! row's, with its row number as a spreadsheet shows it), so the user corrects the file once
//! and uploads it again. [`MergeFileError::problems`] gives the list for a table on the page;
//! each [`MergeFileProblem`] is structured (rows, column, what is wrong) and serialisable, so
//! the job can store it and the page can show or translate it later.

use super::columns::{FoundColumn, MergeColumn};
use crate::VatError;
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// An uploaded merge file that cannot be used, with every problem found in it (at least one).
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[error("{}", describe(.file_name, .problems))]
pub struct MergeFileError {
    /// The file's name as uploaded.
    file_name: String,
    /// What is wrong, file-level problems first, then by row number.
    problems: Vec<MergeFileProblem>,
}

impl MergeFileError {
    /// The error for `file_name` with `problems`, which must not be empty.
    pub(crate) fn new(file_name: &str, problems: Vec<MergeFileProblem>) -> Self {
        debug_assert!(
            !problems.is_empty(),
            "a merge file error names its problems"
        );
        Self {
            file_name: file_name.to_owned(),
            problems,
        }
    }

    /// The file's name as uploaded.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// Every problem found, one line each for a table on the page: file-level problems first,
    /// then row problems by row number.
    pub fn problems(&self) -> &[MergeFileProblem] {
        &self.problems
    }

    /// The problems, owned (to store them with the merge job).
    pub fn into_problems(self) -> Vec<MergeFileProblem> {
        self.problems
    }
}

/// "merge.csv cannot be used: …" with one problem, or a count and one line per problem.
fn describe(file_name: &str, problems: &[MergeFileProblem]) -> String {
    match problems {
        [only] => format!("{file_name} cannot be used: {only}"),
        _ => {
            let mut text = format!(
                "{file_name} cannot be used: {} problems were found. Correct them in the file and upload it again.",
                problems.len()
            );
            for problem in problems {
                text.push_str("\n- ");
                text.push_str(&problem.to_string());
            }
            text
        }
    }
}

/// One thing wrong with a merge file; its text says what is wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum MergeFileProblem {
    /// The upload is larger than [`MergeLimits::max_file_bytes`](super::MergeLimits).
    #[error(
        "The file is {} and the largest file Koppel takes is {}. Keep only the columns Name, External ID and VAT number, or split the rows over several files and upload them one by one.",
        size_text(*size_bytes),
        size_text(*max_bytes)
    )]
    FileTooLarge {
        /// The upload's size.
        size_bytes: u64,
        /// The limit.
        max_bytes: u64,
    },
    /// The workbook's parts unpack to more than
    /// [`MergeLimits::max_unpacked_bytes`](super::MergeLimits).
    #[error(
        "The workbook unpacks to more than {} (it holds more than the companies, such as other sheets or pictures). Save the sheet with the companies as CSV and upload that.",
        size_text(*max_unpacked_bytes)
    )]
    WorkbookTooLarge {
        /// The limit.
        max_unpacked_bytes: u64,
    },
    /// More rows below the header than [`MergeLimits::max_rows`](super::MergeLimits).
    #[error(
        "The file has more than {max_rows} rows. Split it into files of at most {max_rows} rows and upload them one by one."
    )]
    TooManyRows {
        /// The limit.
        max_rows: u32,
    },
    /// Nothing in the file, or only blank lines.
    #[error(
        "The file is empty. Export the companies from Teamleader, fill in the external ids and upload that file."
    )]
    EmptyFile,
    /// A header row and nothing below it.
    #[error(
        "The file has column headers but no rows below them. Add a row for each company and upload the file again."
    )]
    NoRows,
    /// Not a CSV file or an XLSX workbook Koppel can read.
    #[error("{reason}")]
    Unreadable {
        /// Why, and what to do.
        reason: UnreadableReason,
    },
    /// A required column is not in the header row.
    #[error(
        "The file has no column for {}. Name the columns as Teamleader exports them: 'Naam', 'Klantennummer boekhoudpakket' and 'Btw-nummer' (in French 'Nom', 'ID externe' and 'Numéro de TVA'; in English 'Name', 'External ID' and 'VAT number'), then upload the file again. {}",
        columns_text(missing),
        found_text(found_headers)
    )]
    MissingColumns {
        /// The required columns not found.
        missing: Vec<MergeColumn>,
        /// The headers that were in the first row, as written (shortened when long).
        found_headers: Vec<String>,
    },
    /// Two or more header cells name the same column.
    #[error(
        "The columns {} all hold {}. Keep one of them, delete or rename the others, and upload the file again.",
        and_list(headers),
        column.described()
    )]
    DuplicateColumn {
        /// The column named more than once.
        column: MergeColumn,
        /// The header cells naming it.
        headers: Vec<FoundColumn>,
    },
    /// A row without a company name.
    #[error("Row {row}: the name is empty — fill in the company name or delete the row.")]
    EmptyName {
        /// 1-based row number as a spreadsheet shows it.
        row: u32,
    },
    /// A row without an external id: there is nothing to link.
    #[error(
        "Row {row}: the external id is empty — fill in the customer number from the ledger, or delete the row."
    )]
    EmptyExternalId {
        /// 1-based row number as a spreadsheet shows it.
        row: u32,
    },
    /// A VAT number that is not one.
    #[error(
        "Row {row}: the VAT number '{given}' is not valid ({reason}) — correct it or leave it empty."
    )]
    InvalidVatNumber {
        /// 1-based row number as a spreadsheet shows it.
        row: u32,
        /// The VAT number as written in the file.
        given: String,
        /// What is wrong with it.
        reason: VatProblem,
    },
    /// The same external id on more than one row: a ledger customer links to one company.
    #[error(
        "{}: the external id '{external_id}' appears more than once — a ledger customer can be linked to one company only; keep one of these rows.",
        rows_text(rows)
    )]
    DuplicateExternalId {
        /// The external id.
        external_id: String,
        /// Every row carrying it, ascending.
        rows: Vec<u32>,
    },
    /// A spreadsheet cell in a column Koppel reads holds something other than text or a
    /// number.
    #[error("Row {row}: {} {issue}", column.described())]
    UnusableCell {
        /// 1-based row number as a spreadsheet shows it.
        row: u32,
        /// The column of the cell.
        column: MergeColumn,
        /// What the cell holds.
        issue: CellIssue,
    },
}

impl MergeFileProblem {
    /// The rows the problem is about (1-based, as a spreadsheet shows them); empty for a
    /// problem with the file as a whole.
    pub fn rows(&self) -> Vec<u32> {
        match self {
            Self::EmptyName { row }
            | Self::EmptyExternalId { row }
            | Self::InvalidVatNumber { row, .. }
            | Self::UnusableCell { row, .. } => vec![*row],
            Self::DuplicateExternalId { rows, .. } => rows.clone(),
            Self::FileTooLarge { .. }
            | Self::WorkbookTooLarge { .. }
            | Self::TooManyRows { .. }
            | Self::EmptyFile
            | Self::NoRows
            | Self::Unreadable { .. }
            | Self::MissingColumns { .. }
            | Self::DuplicateColumn { .. } => Vec::new(),
        }
    }

    /// The column the problem is about, where it is about one.
    pub fn column(&self) -> Option<MergeColumn> {
        match self {
            Self::EmptyName { .. } => Some(MergeColumn::Name),
            Self::EmptyExternalId { .. } | Self::DuplicateExternalId { .. } => {
                Some(MergeColumn::ExternalId)
            }
            Self::InvalidVatNumber { .. } => Some(MergeColumn::VatNumber),
            Self::UnusableCell { column, .. } | Self::DuplicateColumn { column, .. } => {
                Some(*column)
            }
            Self::FileTooLarge { .. }
            | Self::WorkbookTooLarge { .. }
            | Self::TooManyRows { .. }
            | Self::EmptyFile
            | Self::NoRows
            | Self::Unreadable { .. }
            | Self::MissingColumns { .. } => None,
        }
    }
}

/// Why a file could not be read at all, with what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnreadableReason {
    /// Binary content that is neither text nor a workbook.
    #[error(
        "The file is not a CSV file or an Excel workbook (.xlsx). Export the companies from Teamleader to Excel or CSV and upload that file."
    )]
    NotASpreadsheet,
    /// Named .xlsx but not a workbook inside.
    #[error(
        "The file is named .xlsx but is not an Excel workbook. Open it in Excel or LibreOffice, save it as Excel workbook (.xlsx) or as CSV, and upload it again."
    )]
    NotAnXlsxWorkbook,
    /// An old binary Excel workbook (.xls), or an encrypted one (Office stores encrypted
    /// workbooks in the same container).
    #[error(
        "The file is an old Excel workbook (.xls) or a workbook protected with a password. Open it in Excel or LibreOffice, save it as Excel workbook (.xlsx) without a password or as CSV, and upload that."
    )]
    OldExcelOrEncrypted,
    /// A workbook protected with a password.
    #[error(
        "The workbook is protected with a password. Remove the password in Excel or LibreOffice, save it, and upload it again."
    )]
    PasswordProtected,
    /// An OpenDocument spreadsheet (.ods).
    #[error(
        "The file is an OpenDocument spreadsheet (.ods). Save it as Excel workbook (.xlsx) or as CSV and upload that."
    )]
    OpenDocument,
    /// A zip that is not a readable workbook (damaged, cut off, or another kind of document).
    #[error(
        "The Excel workbook cannot be read: it may be damaged or not fully uploaded. Open it in Excel or LibreOffice, save it again as .xlsx or as CSV, and upload it again."
    )]
    DamagedWorkbook,
    /// A workbook without any sheet.
    #[error("The workbook has no sheet. Put the companies on the first sheet and upload it again.")]
    NoSheet,
}

/// Why a VAT number in the file was refused (the reasons of [`VatError`], in words for a row
/// of the file rather than a company in Teamleader or the ledger).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VatProblem {
    /// Characters other than letters, digits and separators.
    #[error("it may only hold letters, digits, spaces, dots, dashes and slashes")]
    InvalidCharacters,
    /// No country prefix and not a Belgian number.
    #[error("it must start with a country code such as BE or NL")]
    MissingCountry,
    /// A Belgian number of the wrong shape.
    #[error(
        "a Belgian VAT number is BE followed by 10 digits starting with 0 or 1, like BE0123.456.749"
    )]
    BelgianFormat,
    /// A Belgian number whose check digits do not match.
    #[error("its check digits do not match, so a digit is probably mistyped")]
    BelgianCheckDigits,
    /// A Dutch number of the wrong shape.
    #[error("a Dutch VAT number is NL, 9 digits, B and 2 digits, like NL123456789B01")]
    DutchFormat,
    /// A country code without a number after it.
    #[error("the country code must be followed by the number")]
    OtherFormat,
}

impl VatProblem {
    /// The problem behind a [`VatError`]; `None` for [`VatError::Empty`] (an empty VAT number
    /// is allowed in a merge file).
    pub fn from_vat_error(error: &VatError) -> Option<Self> {
        Some(match error {
            VatError::Empty => return None,
            VatError::InvalidCharacters { .. } => Self::InvalidCharacters,
            VatError::MissingCountry { .. } => Self::MissingCountry,
            VatError::BelgianFormat { .. } | VatError::EnterpriseFormat { .. } => {
                Self::BelgianFormat
            }
            VatError::BelgianCheckDigits { .. } | VatError::EnterpriseCheckDigits { .. } => {
                Self::BelgianCheckDigits
            }
            VatError::DutchFormat { .. } => Self::DutchFormat,
            VatError::OtherFormat { .. } => Self::OtherFormat,
        })
    }
}

/// What a spreadsheet cell holds instead of text or a number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cell", rename_all = "snake_case")]
pub enum CellIssue {
    /// A date or time (Excel turns values such as "1-2" into dates when typed).
    Date,
    /// A formula error such as "#N/A" or "#REF!".
    FormulaError {
        /// The error as the spreadsheet shows it.
        shown: String,
    },
}

impl fmt::Display for CellIssue {
    /// The end of "Row 5: the external id …".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Date => f.write_str(
                "is a date in the spreadsheet (Excel turns values such as 1-2 into dates) — format the column as text, type the value again, and upload the file again.",
            ),
            Self::FormulaError { shown } => write!(
                f,
                "shows the error {shown} — replace the formula by the value itself and upload the file again."
            ),
        }
    }
}

/// "12.3 MB", "10 MB" (binary megabytes, as file managers show them).
fn size_text(bytes: u64) -> String {
    const MEGABYTE: u64 = 1024 * 1024;
    if bytes.is_multiple_of(MEGABYTE) {
        format!("{} MB", bytes / MEGABYTE)
    } else {
        // Display only: one decimal of a size is never money or time.
        format!("{:.1} MB", bytes as f64 / MEGABYTE as f64)
    }
}

/// "the name", "the name and the external id".
fn columns_text(columns: &[MergeColumn]) -> String {
    let described: Vec<&str> = columns.iter().map(|column| column.described()).collect();
    and_list(&described)
}

/// "Columns found: 'Bedrijf', 'Code'." or a word that there were none.
fn found_text(headers: &[String]) -> String {
    if headers.is_empty() {
        "The first row has no headers.".to_owned()
    } else {
        let quoted: Vec<String> = headers.iter().map(|header| format!("'{header}'")).collect();
        format!("Columns found: {}.", quoted.join(", "))
    }
}

/// "Row 3", "Rows 3 and 9", "Rows 3, 9 and 12".
fn rows_text(rows: &[u32]) -> String {
    match rows {
        [only] => format!("Row {only}"),
        _ => format!("Rows {}", and_list(rows)),
    }
}

/// "a", "a and b", "a, b and c".
fn and_list<T: fmt::Display>(items: &[T]) -> String {
    match items {
        [] => String::new(),
        [only] => only.to_string(),
        [rest @ .., last] => {
            let rest: Vec<String> = rest.iter().map(ToString::to_string).collect();
            format!("{} and {last}", rest.join(", "))
        }
    }
}
