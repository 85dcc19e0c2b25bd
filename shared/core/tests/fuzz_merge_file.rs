//! Fuzzing of the merge-file reader (`parse_merge_file`), the one parser of a file people
//! upload: arbitrary bytes; CSV near-valid (accepted headers in three languages, any
//! delimiter, quotes and line breaks, UTF-8 with or without BOM, UTF-16, Windows-1252, stray
//! bytes); XLSX workbooks cut short or with bytes changed. Property: no panic; a file is
//! either read (rows with a name and an external id, trimmed) or refused with at least one
//! problem and a message naming the file.
//!
//! Cases and seed: `tests/common/fuzz_config.rs` (`KOPPEL_FUZZ_CASES`, `KOPPEL_FUZZ_SEED`);
//! `infra/dev fuzz` runs many more.

#[path = "common/fuzz_config.rs"]
mod fuzz_config;

use fuzz_config::fuzz_config;
use koppel_core::jobs::merge::{ACCEPTED_HEADERS, MergeLimits, parse_merge_file};
use proptest::prelude::*;
use rust_xlsxwriter::Workbook;
use std::sync::OnceLock;

/// A header cell: an accepted name in some language and case, or other text.
fn header() -> impl Strategy<Value = String> {
    let accepted: Vec<String> = ACCEPTED_HEADERS
        .iter()
        .flat_map(|names| names.all().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    prop_oneof![
        4 => prop::sample::select(accepted),
        1 => prop::sample::select(accepted_upper()),
        1 => ".{0,10}",
    ]
}

fn accepted_upper() -> Vec<String> {
    ACCEPTED_HEADERS
        .iter()
        .flat_map(|names| names.all().map(str::to_uppercase).collect::<Vec<_>>())
        .collect()
}

/// A data cell: company names, customer numbers, VAT numbers (good, bad, odd), text.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(vec!["Pied Piper", "Hooli", "Aviato", "4711", "4712", "BE0403170701", "BE0417497106"])
            .prop_map(str::to_owned),
        2 => prop::sample::select(vec![
            "Pied Piper",
            "  Hooli  ",
            "BE0403170701",
            "be 0417.497.106",
            "BE0403170700",
            "NL123456789B01",
            "4711",
            "",
            "   ",
            "=1+1",
            "\"quoted, with; delimiters\"",
            "line\nbreak",
            "Société Générale",
            "Ærø",
            "\u{feff}",
            "\u{0}",
        ])
        .prop_map(str::to_owned),
        1 => ".{0,16}",
    ]
}

/// A header row that Koppel accepts (one name per column, any language, in any order, maybe
/// with a column it ignores), or any header cells.
fn header_row() -> impl Strategy<Value = Vec<String>> {
    let names = |index: usize| -> Vec<String> {
        ACCEPTED_HEADERS[index].all().map(str::to_owned).collect()
    };
    let accepted = (
        prop::sample::select(names(0)),
        prop::sample::select(names(1)),
        prop::option::of(prop::sample::select(names(2))),
        prop::option::of(".{0,8}"),
        Just(()).prop_perturb(|_, mut rng| rng.next_u64()),
    )
        .prop_map(|(name, external_id, vat, extra, order)| {
            let mut row: Vec<String> = [Some(name), Some(external_id), vat, extra]
                .into_iter()
                .flatten()
                .collect();
            let len = row.len();
            row.rotate_left(usize::try_from(order % len as u64).unwrap_or(0));
            row
        });
    prop_oneof![4 => accepted, 1 => prop::collection::vec(header(), 0..5)]
}

/// CSV text: a header row and data rows joined with one delimiter and a line ending.
fn csv_text() -> impl Strategy<Value = String> {
    (
        header_row(),
        prop::collection::vec(prop::collection::vec(cell(), 2..5), 0..8),
        prop::sample::select(vec![",", ";", "\t", "|"]),
        prop::sample::select(vec!["\n", "\r\n", "\r"]),
        any::<bool>(),
    )
        .prop_map(|(header, rows, delimiter, end, quote)| {
            let field = |text: &String| {
                if quote {
                    format!("\"{}\"", text.replace('"', "\"\""))
                } else {
                    text.clone()
                }
            };
            std::iter::once(header)
                .chain(rows)
                .map(|row| row.iter().map(field).collect::<Vec<_>>().join(delimiter))
                .collect::<Vec<_>>()
                .join(end)
        })
}

/// CSV bytes in one of the encodings people's spreadsheets write, sometimes with a stray byte.
fn csv_bytes() -> impl Strategy<Value = Vec<u8>> {
    (
        csv_text(),
        0u8..6,
        prop::option::of((any::<prop::sample::Index>(), any::<u8>())),
    )
        .prop_map(|(text, encoding, stray)| {
            let mut bytes = match encoding {
                0 => text.into_bytes(),
                1 => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
                2 => [0xFF, 0xFE]
                    .into_iter()
                    .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
                    .collect(),
                3 => [0xFE, 0xFF]
                    .into_iter()
                    .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
                    .collect(),
                _ => encoding_rs::WINDOWS_1252.encode(&text).0.into_owned(),
            };
            if let Some((at, byte)) = stray {
                let at = at.index(bytes.len() + 1);
                bytes.insert(at, byte);
            }
            bytes
        })
}

/// A small valid workbook (made once): the three columns and a few rows.
fn workbook() -> &'static [u8] {
    static WORKBOOK: OnceLock<Vec<u8>> = OnceLock::new();
    WORKBOOK.get_or_init(|| {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        let rows = [
            ["Naam", "Externe ID", "BTW-nummer"],
            ["Pied Piper", "4711", "BE0403170701"],
            ["Hooli", "4712", "be 0417.497.106"],
        ];
        for (row, cells) in (0u32..).zip(rows) {
            for (column, text) in (0u16..).zip(cells) {
                sheet.write_string(row, column, text).expect("a cell");
            }
        }
        sheet.write_number(3, 1, 1001.0).expect("a number");
        sheet.write_string(3, 0, "Aviato").expect("a cell");
        workbook.save_to_buffer().expect("a workbook")
    })
}

/// The workbook cut short, or with a few bytes changed.
fn xlsx_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any::<prop::sample::Index>().prop_map(|at| {
            let bytes = workbook();
            bytes[..at.index(bytes.len() + 1)].to_vec()
        }),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8).prop_map(
            |changes| {
                let mut bytes = workbook().to_vec();
                for (at, byte) in changes {
                    let at = at.index(bytes.len());
                    bytes[at] = byte;
                }
                bytes
            }
        ),
    ]
}

/// Limits: the defaults, or small ones so the limits' own checks run.
fn limits() -> impl Strategy<Value = MergeLimits> {
    prop_oneof![
        Just(MergeLimits::default()),
        (1u64..4096, 1u64..65536, 0u32..6).prop_map(|(file, unpacked, rows)| MergeLimits {
            max_file_bytes: file,
            max_unpacked_bytes: unpacked,
            max_rows: rows,
        }),
    ]
}

fn check(file_name: &str, bytes: &[u8], limits: &MergeLimits) {
    match parse_merge_file(file_name, bytes, limits) {
        Ok(file) => {
            assert!(!file.rows.is_empty());
            for row in &file.rows {
                assert!(
                    !row.name.is_empty() && row.name.trim() == row.name,
                    "{row:?}"
                );
                assert!(
                    !row.external_id.is_empty() && row.external_id.trim() == row.external_id,
                    "{row:?}"
                );
            }
            assert!(file.rows.len() <= usize::try_from(limits.max_rows).unwrap_or(usize::MAX));
        }
        Err(error) => {
            assert!(!error.problems().is_empty());
            assert!(error.to_string().starts_with(file_name), "{error}");
        }
    }
}

proptest! {
    #![proptest_config(fuzz_config())]

    #[test]
    fn csv_files(bytes in csv_bytes(), limits in limits(), name in prop::sample::select(vec!["merge.csv", "merge.xlsx", "noname"])) {
        check(name, &bytes, &limits);
    }

    #[test]
    fn xlsx_files(bytes in xlsx_bytes(), limits in limits()) {
        check("merge.xlsx", &bytes, &limits);
    }

    #[test]
    fn any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512), zip_start in any::<bool>()) {
        let bytes = if zip_start { [b"PK\x03\x04".as_slice(), &bytes].concat() } else { bytes };
        check("merge.csv", &bytes, &MergeLimits::default());
    }
}
