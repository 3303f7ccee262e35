//! The CSV reader on arbitrary bytes: `nn::data::read_csv` must never panic, and every
//! error must be short (a quoted field is cut to 40 characters) and name the line it is
//! about (all but the file-level `Empty`, which names the file).
//!
//! The first byte picks the options (classes, header, label column: last, first or the one
//! named `label` in the header); the rest is the file.
//! Run with `cargo +nightly fuzz run csv corpus/csv seeds/csv` in `fuzz/` (or `.ci/fuzz`);
//! `seeds/csv/` holds a few starting inputs (first byte: the options).
#![no_main]

use libfuzzer_sys::fuzz_target;
use nn::data::{read_csv, CsvOptions, DataError};

/// The file name errors carry.
const FILE: &str = "fuzz.csv";

/// The longest acceptable message: the name, the fixed wording, numbers, and a quoted
/// field of at most 40 characters, each escaped to at most 10 (`\u{10ffff}`), plus
/// `… (N bytes)`.
const MAX_MESSAGE: usize = 700;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, file)) = data.split_first() else {
        return;
    };
    let mut opts = CsvOptions::classes(1 + usize::from(pick & 3)).header(pick & 4 != 0);
    if pick & 8 != 0 {
        opts = opts.label_column_index(0);
    }
    if pick & 16 != 0 {
        opts = opts.label_column("label");
    }
    let lines = file.split(|&b| b == b'\n').count();
    check(read_csv::<f32, 3, _>(file, FILE, opts.clone()).map(|d| d.len()), lines);
    check(read_csv::<f64, 1, _>(file, FILE, opts).map(|d| d.len()), lines);
});

/// Checks an outcome of reading a file of `lines` lines.
fn check(result: Result<usize, DataError>, lines: usize) {
    let e = match result {
        Ok(n) => {
            assert!(n > 0, "a data set without samples was accepted");
            return;
        }
        Err(e) => e,
    };
    let msg = e.to_string();
    assert!(
        msg.len() <= MAX_MESSAGE,
        "a {}-byte error message: {}…",
        msg.len(),
        msg.chars().take(200).collect::<String>()
    );
    let line = match &e {
        DataError::Empty { .. } => {
            assert!(msg.starts_with(&format!("{FILE}: ")), "{msg}");
            return;
        }
        DataError::ColumnCount { line, .. }
        | DataError::NotUtf8 { line, .. }
        | DataError::NotNumeric { line, .. }
        | DataError::NonFinite { line, .. }
        | DataError::TooLarge { line, .. }
        | DataError::BadLabel { line, .. }
        | DataError::LabelOutOfRange { line, .. }
        | DataError::NoSuchColumn { line, .. }
        | DataError::AmbiguousColumn { line, .. } => *line,
        other => panic!("an error that names no line: {other:?}"),
    };
    assert!((1..=lines).contains(&line), "line {line} of a {lines}-line file: {msg}");
    assert!(msg.starts_with(&format!("{FILE}:{line}: ")), "{msg}");
}
