//! Unit tests of the merge file: every accepted format, every refused input, every matching
//! outcome. The fixtures (CSV text in several encodings, XLSX workbooks as Excel and
//! LibreOffice write them) are made by the tests themselves.

mod fixtures;
mod job;
mod matching;
mod parse;
mod refused;
