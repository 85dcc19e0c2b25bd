//! Bytes → the non-blank rows of a sheet, each cell with its position: CSV through `csv`
//! (after finding the text's encoding with `encoding_rs` and the delimiter from the header
//! line), XLSX through `calamine` (the first sheet, streamed cell by cell).
//!
//! Row numbers are the ones a spreadsheet shows: the header row is row 1 when it is the
//! first line; a quoted field with line breaks stays one row; blank lines count as rows.

use super::columns::recognise_header;
use super::parse::{MergeFileFormat, MergeLimits, TextEncoding};
use super::problems::{MergeFileProblem, UnreadableReason};
use calamine::{DataRef, Reader, Xlsx, XlsxError};
use encoding_rs::{Encoding, UTF_8, UTF_16LE, WINDOWS_1252};
use std::collections::BTreeMap;
use std::io::Cursor;

/// How a zip archive (so an XLSX workbook, or an ODS) starts.
const ZIP_SIGNATURE: &[u8] = b"PK\x03\x04";
/// How an OLE2 compound file (an old .xls, or an encrypted Office file) starts.
const OLE2_SIGNATURE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
/// The delimiters tried on the header line; on a tie the earlier one wins.
const CSV_DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

/// The content of one cell Koppel may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum CellValue {
    /// Text or a number as text, trimmed and not empty.
    Text(String),
    /// A spreadsheet date or time.
    Date,
    /// A spreadsheet formula error, as shown ("#N/A").
    FormulaError(String),
}

/// One row of a sheet with at least one non-empty cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SheetRow {
    /// 1-based row number as a spreadsheet shows it.
    pub row: u32,
    /// The non-empty cells by 0-based column, ascending, each column once.
    pub cells: Vec<(u32, CellValue)>,
}

impl SheetRow {
    /// The cell in `column`, if not empty.
    pub fn cell(&self, column: u32) -> Option<&CellValue> {
        self.cells
            .binary_search_by_key(&column, |(index, _)| *index)
            .ok()
            .map(|found| &self.cells[found].1)
    }
}

/// The non-blank rows of the sheet, in order, and how the file was read.
#[derive(Debug)]
pub(super) struct Sheet {
    /// The format found.
    pub format: MergeFileFormat,
    /// The non-blank rows, the header row first; at most `max_rows + 1`.
    pub rows: Vec<SheetRow>,
}

/// Reads an uploaded file: XLSX when it is a zip, otherwise text read as CSV.
pub(super) fn read_sheet(
    file_name: &str,
    bytes: &[u8],
    limits: &MergeLimits,
) -> Result<Sheet, MergeFileProblem> {
    let size_bytes = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if size_bytes > limits.max_file_bytes {
        return Err(MergeFileProblem::FileTooLarge {
            size_bytes,
            max_bytes: limits.max_file_bytes,
        });
    }
    if bytes.starts_with(ZIP_SIGNATURE) {
        return read_xlsx(bytes, limits);
    }
    if bytes.starts_with(OLE2_SIGNATURE) {
        return Err(unreadable(UnreadableReason::OldExcelOrEncrypted));
    }
    let (text, encoding) = decode_text(bytes).ok_or_else(|| {
        unreadable(if has_extension(file_name, &["xlsx", "xlsm"]) {
            UnreadableReason::NotAnXlsxWorkbook
        } else {
            UnreadableReason::NotASpreadsheet
        })
    })?;
    read_csv(&text, encoding, limits)
}

/// True when the file name ends in one of `extensions` (without the dot, any case).
fn has_extension(file_name: &str, extensions: &[&str]) -> bool {
    file_name
        .rsplit_once('.')
        .is_some_and(|(_, extension)| extensions.iter().any(|e| extension.eq_ignore_ascii_case(e)))
}

/// The problem of a file that cannot be read at all.
fn unreadable(reason: UnreadableReason) -> MergeFileProblem {
    MergeFileProblem::Unreadable { reason }
}

/// The text of a file and its encoding: a byte-order mark decides (UTF-8, UTF-16); otherwise
/// valid UTF-8 is UTF-8 and anything else Windows-1252 (what Excel writes for "CSV" on a
/// Western European Windows). `None` for binary content: NUL bytes, or more than one control
/// character in a hundred.
fn decode_text(bytes: &[u8]) -> Option<(String, TextEncoding)> {
    let (text, encoding) = match Encoding::for_bom(bytes) {
        Some((encoding, bom_length)) if encoding != UTF_8 => {
            let body = &bytes[bom_length..];
            let text = encoding.decode_without_bom_handling_and_without_replacement(body)?;
            let found = if encoding == UTF_16LE {
                TextEncoding::Utf16Le
            } else {
                TextEncoding::Utf16Be
            };
            (text.into_owned(), found)
        }
        Some((_, bom_length)) => utf8_or_windows_1252(&bytes[bom_length..], true),
        None => {
            if bytes.contains(&0) {
                return None;
            }
            utf8_or_windows_1252(bytes, false)
        }
    };
    looks_like_text(&text).then_some((text, encoding))
}

/// UTF-8 when valid, Windows-1252 otherwise (which decodes every byte).
fn utf8_or_windows_1252(bytes: &[u8], had_utf8_bom: bool) -> (String, TextEncoding) {
    match std::str::from_utf8(bytes) {
        Ok(text) if had_utf8_bom => (text.to_owned(), TextEncoding::Utf8WithBom),
        Ok(text) => (text.to_owned(), TextEncoding::Utf8),
        Err(_) => {
            let (text, _) = WINDOWS_1252.decode_without_bom_handling(bytes);
            (text.into_owned(), TextEncoding::Windows1252)
        }
    }
}

/// False for NUL characters or more than one control character (other than tab and line
/// breaks) in a hundred: what binary content decodes to.
fn looks_like_text(text: &str) -> bool {
    let mut characters: usize = 0;
    let mut controls: usize = 0;
    for c in text.chars() {
        if c == '\0' {
            return false;
        }
        characters += 1;
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r') {
            controls += 1;
        }
    }
    controls * 100 <= characters
}

/// Reads CSV text with the delimiter found on the header line.
fn read_csv(
    text: &str,
    encoding: TextEncoding,
    limits: &MergeLimits,
) -> Result<Sheet, MergeFileProblem> {
    if is_blank_text(text) {
        return Ok(Sheet {
            format: MergeFileFormat::Csv {
                delimiter: char::from(CSV_DELIMITERS[0]),
                encoding,
            },
            rows: Vec::new(),
        });
    }
    let delimiter = detect_delimiter(text);
    let mut reader = csv_reader(text, delimiter);
    let mut record = csv::StringRecord::new();
    let mut rows = Vec::new();
    let mut row_number: u32 = 0;
    // The line the next record starts on when no blank line comes first.
    let mut next_line: u64 = 1;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            // A flexible reader over in-memory UTF-8 has nothing left to fail on; should a
            // future version find something, the file is refused rather than half read.
            Err(_) => return Err(unreadable(UnreadableReason::NotASpreadsheet)),
        }
        // The reader skips blank lines; a spreadsheet shows them as rows.
        let (first_line, last_line) = record_lines(text, &record, reader.position());
        let blank_lines = first_line.saturating_sub(next_line);
        row_number = row_number
            .saturating_add(1)
            .saturating_add(u32::try_from(blank_lines).unwrap_or(u32::MAX));
        next_line = last_line.saturating_add(1);
        let cells: Vec<(u32, CellValue)> = record
            .iter()
            .enumerate()
            .filter_map(|(index, field)| {
                let field = field.trim();
                let index = u32::try_from(index).ok()?;
                (!field.is_empty()).then(|| (index, CellValue::Text(field.to_owned())))
            })
            .collect();
        if cells.is_empty() {
            continue;
        }
        rows.push(SheetRow {
            row: row_number,
            cells,
        });
        check_row_count(rows.len(), limits)?;
    }
    Ok(Sheet {
        format: MergeFileFormat::Csv {
            delimiter: char::from(delimiter),
            encoding,
        },
        rows,
    })
}

/// The first and last line (1-based) of the record just read, `end` being the reader's
/// position after it. A record's own position is where the reader began skipping blank lines
/// before it, so the lines are worked out back from where it ended, less the line breaks
/// inside its quoted fields.
fn record_lines(text: &str, record: &csv::StringRecord, end: &csv::Position) -> (u64, u64) {
    let consumed = text
        .as_bytes()
        .get(..usize::try_from(end.byte()).unwrap_or(usize::MAX));
    // The last record of a file may end without a line break.
    let ended_with_line_break = consumed.is_none_or(|consumed| consumed.ends_with(b"\n"));
    let last_line = end.line().saturating_sub(u64::from(ended_with_line_break));
    let inner_line_breaks: usize = record.iter().map(|field| field.matches('\n').count()).sum();
    let first_line = last_line.saturating_sub(u64::try_from(inner_line_breaks).unwrap_or(u64::MAX));
    (first_line, last_line)
}

/// True for text of nothing but whitespace, delimiters and quotes: a CSV file without a
/// single value.
fn is_blank_text(text: &str) -> bool {
    text.chars().all(|c| {
        c.is_whitespace() || c == '"' || CSV_DELIMITERS.iter().any(|d| char::from(*d) == c)
    })
}

/// A CSV reader as spreadsheets write CSV: `"` quotes (doubled inside), rows of any length,
/// no header handling (the caller reads the header row itself).
fn csv_reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes())
}

/// The delimiter under which the header line names the most known columns; on a tie, the
/// one that splits it into the most fields; on a tie again, the first of [`CSV_DELIMITERS`].
fn detect_delimiter(text: &str) -> u8 {
    let mut best = CSV_DELIMITERS[0];
    let mut best_score = (0, 0);
    for delimiter in CSV_DELIMITERS {
        let score = header_score(text, delimiter);
        if score > best_score {
            best = delimiter;
            best_score = score;
        }
    }
    best
}

/// (known column headers, fields) of the first non-blank record read with `delimiter`.
fn header_score(text: &str, delimiter: u8) -> (usize, usize) {
    let mut reader = csv_reader(text, delimiter);
    let mut record = csv::StringRecord::new();
    while let Ok(true) = reader.read_record(&mut record) {
        if record.iter().any(|field| !field.trim().is_empty()) {
            let known = record
                .iter()
                .filter(|field| recognise_header(field).is_some())
                .count();
            return (known, record.len());
        }
    }
    (0, 0)
}

/// Refuses more rows than the limit (the header row comes on top of it).
fn check_row_count(rows_read: usize, limits: &MergeLimits) -> Result<(), MergeFileProblem> {
    let allowed = usize::try_from(limits.max_rows)
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    if rows_read > allowed {
        return Err(MergeFileProblem::TooManyRows {
            max_rows: limits.max_rows,
        });
    }
    Ok(())
}

/// Reads the first sheet of an XLSX workbook, cell by cell (never the whole grid at once, so
/// a far-away cell costs nothing).
fn read_xlsx(bytes: &[u8], limits: &MergeLimits) -> Result<Sheet, MergeFileProblem> {
    check_archive(bytes, limits)?;
    let mut workbook = Xlsx::new(Cursor::new(bytes)).map_err(|error| match error {
        XlsxError::Password => unreadable(UnreadableReason::PasswordProtected),
        other => damaged(&other),
    })?;
    let sheet_name = workbook
        .sheet_names()
        .into_iter()
        .next()
        .ok_or_else(|| unreadable(UnreadableReason::NoSheet))?;
    let mut cells = workbook
        .worksheet_cells_reader(&sheet_name)
        .map_err(|error| damaged(&error))?;
    let mut grid: BTreeMap<u32, Vec<(u32, CellValue)>> = BTreeMap::new();
    while let Some(cell) = cells.next_cell().map_err(|error| damaged(&error))? {
        let Some(value) = cell_value(cell.get_value()) else {
            continue;
        };
        let (row, column) = cell.get_position();
        grid.entry(row).or_default().push((column, value));
        check_row_count(grid.len(), limits)?;
    }
    let rows = grid
        .into_iter()
        .map(|(row, mut cells)| {
            cells.sort_by_key(|(column, _)| *column);
            cells.dedup_by_key(|(column, _)| *column);
            SheetRow {
                row: row.saturating_add(1),
                cells,
            }
        })
        .collect();
    Ok(Sheet {
        format: MergeFileFormat::Xlsx { sheet: sheet_name },
        rows,
    })
}

/// Checks a zip before the workbook reader unpacks it: an OpenDocument file is named as such,
/// and parts that unpack to more than the limit are refused (a small upload must not become
/// gigabytes in memory; the zip reader holds every part to its declared size).
fn check_archive(bytes: &[u8], limits: &MergeLimits) -> Result<(), MergeFileProblem> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|error| damaged(&error))?;
    if archive.index_for_name("mimetype").is_some() {
        return Err(unreadable(UnreadableReason::OpenDocument));
    }
    let mut unpacked: u64 = 0;
    for index in 0..archive.len() {
        let part = archive
            .by_index_raw(index)
            .map_err(|error| damaged(&error))?;
        unpacked = unpacked.saturating_add(part.size());
    }
    if unpacked > limits.max_unpacked_bytes {
        return Err(MergeFileProblem::WorkbookTooLarge {
            max_unpacked_bytes: limits.max_unpacked_bytes,
        });
    }
    Ok(())
}

/// The problem of a workbook that cannot be read; the reader's own words go to the log.
fn damaged(error: &dyn std::fmt::Display) -> MergeFileProblem {
    tracing::debug!(%error, "merge file: the workbook cannot be read");
    unreadable(UnreadableReason::DamagedWorkbook)
}

/// A workbook cell as Koppel reads it; `None` when empty. Numbers read as a spreadsheet
/// shows them without formatting: 1001 (stored as 1001.0) → "1001", 10.5 → "10.5".
fn cell_value(value: &DataRef<'_>) -> Option<CellValue> {
    let text = match value {
        DataRef::Empty => return None,
        DataRef::String(text) => text.trim().to_owned(),
        DataRef::SharedString(text) => text.trim().to_owned(),
        DataRef::Int(number) => number.to_string(),
        DataRef::Float(number) => number_text(*number),
        DataRef::Bool(true) => "TRUE".to_owned(),
        DataRef::Bool(false) => "FALSE".to_owned(),
        DataRef::DateTime(_) | DataRef::DateTimeIso(_) | DataRef::DurationIso(_) => {
            return Some(CellValue::Date);
        }
        DataRef::Error(error) => return Some(CellValue::FormulaError(error.to_string())),
    };
    (!text.is_empty()).then_some(CellValue::Text(text))
}

/// A spreadsheet number as text: whole numbers without ".0", others in their shortest form.
fn number_text(number: f64) -> String {
    // Below 2^53 every whole f64 is an exact integer, so the cast loses nothing.
    const EXACT_INTEGER_LIMIT: f64 = 9_007_199_254_740_992.0;
    if number.is_finite() && number.fract() == 0.0 && number.abs() < EXACT_INTEGER_LIMIT {
        format!("{}", number as i64)
    } else {
        number.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_a_spreadsheet_shows_them() {
        assert_eq!(number_text(1001.0), "1001");
        assert_eq!(number_text(-3.0), "-3");
        assert_eq!(number_text(0.0), "0");
        assert_eq!(number_text(10.5), "10.5");
        assert_eq!(number_text(403_170_701.0), "403170701");
    }

    #[test]
    fn the_delimiter_comes_from_the_header_line() {
        assert_eq!(
            detect_delimiter("Naam;Extern ID;Btw-nummer\nA, B;1;\n"),
            b';'
        );
        assert_eq!(
            detect_delimiter("Name,External ID,VAT number\nA;B,1,\n"),
            b','
        );
        assert_eq!(detect_delimiter("Nom\tID externe\n"), b'\t');
        // Nothing recognised: the delimiter that splits the line most.
        assert_eq!(detect_delimiter("a;b;c,d\n"), b';');
        assert_eq!(detect_delimiter("just one\n"), b',');
    }

    #[test]
    fn binary_content_is_not_text() {
        assert!(decode_text(b"Naam\0\x01\x02").is_none());
        assert!(decode_text(&[0x01, 0x02, 0x03, b'a']).is_none());
        let one_stray_control = format!("Naam;Extern ID\n{}\x0b;1\n", "Janssens ".repeat(20));
        assert!(decode_text(one_stray_control.as_bytes()).is_some());
    }
}
