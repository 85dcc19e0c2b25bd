//! The merge file: the pure heart of the job that links existing Teamleader companies to the
//! ledger's customers ("scenario C" of the help articles, done by hand there).
//!
//! The user exports a segment of Teamleader companies (Name, External ID, VAT number), fills
//! in the external ids (the ledger's customer numbers) and uploads the file. This module:
//!
//! - [`columns`]: the columns Koppel reads and every header name it accepts for them (NL, FR,
//!   EN), as data in one place;
//! - [`parse`]: CSV (`,`, `;` or tab; UTF-8 with or without BOM, UTF-16 with BOM, or
//!   Windows-1252) or XLSX bytes → checked rows, or one [`MergeFileError`] listing every
//!   problem with its row number;
//! - [`matching`]: checked rows + Teamleader companies + a criterion ([`MatchBy`]) → a
//!   [`MergePreview`]: which companies receive an external id, which rows would be added,
//!   which are ambiguous, already linked or in conflict, with counts for the page.
//!
//! No I/O: the job reads the file from the file store and the companies from Teamleader, and
//! calls these functions.

pub mod columns;
pub mod job;
pub mod matching;
pub mod parse;
pub mod problems;
mod table;
#[cfg(test)]
mod tests;

pub use columns::{
    ACCEPTED_HEADERS, FoundColumn, HeaderNames, MergeColumn, column_letters, recognise_header,
};
pub use job::{MergeCursor, MergeFileJob};
pub use matching::{
    AdditionReason, AlreadyLinkedRow, AmbiguousRow, CompanySummary, ConflictingRow,
    ContestedCompany, MatchBy, MergeCounts, MergePreview, PlannedAddition, PlannedLink,
    preview_merge,
};
pub use parse::{
    FileVatNumber, MergeFile, MergeFileFormat, MergeLimits, MergeRow, RecognisedColumns,
    TextEncoding, parse_merge_file,
};
pub use problems::{CellIssue, MergeFileError, MergeFileProblem, UnreadableReason, VatProblem};
