use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use super::{DataError, Dataset};
use crate::batch::Batch;
use crate::float::Float;

/// How [`load_csv`] reads a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CsvOptions {
    /// The number of classes: every label must be an integer in `0..classes`.
    pub classes: usize,
    /// Whether the first line is a header to skip.
    pub header: bool,
    /// The 0-based field that holds the label; `None` for the last field.
    pub label_column: Option<usize>,
}

impl CsvOptions {
    /// No header, the label in the last field, `classes` classes.
    pub fn new(classes: usize) -> Self {
        Self {
            classes,
            header: false,
            label_column: None,
        }
    }

    /// Skips (or not) a header line.
    pub fn header(mut self, header: bool) -> Self {
        self.header = header;
        self
    }

    /// Takes the label from field `column` (0-based) instead of the last one.
    pub fn label_column(mut self, column: usize) -> Self {
        self.label_column = Some(column);
        self
    }
}

/// Reads a classification data set from a CSV file: each data line holds `D` numeric
/// features and one integer class label, separated by commas (no quoting; surrounding
/// spaces are ignored, blank lines skipped, a leading UTF-8 byte-order mark dropped).
///
/// The file is read line by line ([`read_csv`]), and the first problem is an error naming
/// the file and the 1-based line as soon as that line is read: a wrong number of fields, a
/// line that is not UTF-8, a feature that is not a number, a NaN or infinite feature or one
/// too large for `T` (`1e39` as `f32`), a label that is not an integer or not in
/// `0..classes`; and a file without data rows. Fields quoted in a message are cut to 40
/// characters, with invisible characters escaped.
///
/// `D` must be at least 1: `load_csv::<f32, 0>` does not build (a compile-time assertion,
/// reported by `cargo build`, not `cargo check`). Panics if `opts.label_column` is past the
/// `D + 1` fields of a row.
///
/// ```no_run
/// use nn::data::{load_csv, CsvOptions};
/// let data = load_csv::<f32, 4>("iris.csv", CsvOptions::new(3).header(true))?;
/// # Ok::<(), nn::data::DataError>(())
/// ```
#[track_caller]
pub fn load_csv<T: Float, const D: usize>(
    path: impl AsRef<Path>,
    opts: CsvOptions,
) -> Result<Dataset<T, D>, DataError> {
    let path = path.as_ref();
    let file = path.display().to_string();
    let reader = File::open(path).map_err(|source| DataError::Io {
        file: file.clone(),
        source,
    })?;
    read_csv(BufReader::new(reader), &file, opts)
}

/// [`load_csv`] on text already in memory; `file` names it in errors.
///
/// ```
/// use nn::data::{parse_csv, CsvOptions};
/// let data = parse_csv::<f64, 2>("0.5,1,0\n2,3,1\n", "points.csv", CsvOptions::new(2))?;
/// assert_eq!(data.labels(), &[0, 1]);
/// let e = parse_csv::<f32, 2>("0.5,1,0\n1e39,3,1\n", "points.csv", CsvOptions::new(2)).unwrap_err();
/// assert_eq!(e.to_string(), "points.csv:2: field 1 is `1e39`, which is too large for f32");
/// # Ok::<(), nn::data::DataError>(())
/// ```
///
/// A data set needs at least one feature per sample; this does not build:
///
/// ```compile_fail,E0080
/// let _ = nn::data::parse_csv::<f32, 0>("0\n", "labels.csv", nn::data::CsvOptions::new(2));
/// ```
#[track_caller]
pub fn parse_csv<T: Float, const D: usize>(
    text: &str,
    file: &str,
    opts: CsvOptions,
) -> Result<Dataset<T, D>, DataError> {
    read_csv(text.as_bytes(), file, opts)
}

/// [`load_csv`] from any buffered reader (a file, a socket, bytes in memory), one line at a
/// time; `file` names the source in errors. Stops at the first bad line, without reading on.
///
/// ```
/// use nn::data::{read_csv, CsvOptions, DataError};
/// let bytes: &[u8] = b"\xEF\xBB\xBF0.1,0.2,1\n0.3,0.4,0\n"; // with a byte-order mark
/// let data = read_csv::<f32, 2, _>(bytes, "upload.csv", CsvOptions::new(2))?;
/// assert_eq!(data.sample(0), &[0.1, 0.2]);
/// let e = read_csv::<f32, 2, _>(&b"0.1,0.2,1\n0.3,\xFF,0\n"[..], "upload.csv", CsvOptions::new(2));
/// assert!(matches!(e, Err(DataError::NotUtf8 { line: 2, .. })));
/// # Ok::<(), DataError>(())
/// ```
#[track_caller]
pub fn read_csv<T: Float, const D: usize, R: BufRead>(
    mut reader: R,
    file: &str,
    opts: CsvOptions,
) -> Result<Dataset<T, D>, DataError> {
    const {
        assert!(
            D > 0,
            "nn::data CSV loaders: D, the number of features per sample, must be at least 1"
        )
    };
    let fields = D + 1;
    let label_col = opts.label_column.unwrap_or(D);
    assert!(
        label_col <= D,
        "CsvOptions: label column {label_col} is past the {fields} fields of a row"
    );
    let mut x: Vec<T> = Vec::new();
    let mut labels = Vec::new();
    let mut buf = Vec::new();
    let mut header_skipped = false;
    for line_no in 1usize.. {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).map_err(|source| DataError::Io {
            file: file.into(),
            source,
        })?;
        if n == 0 {
            break;
        }
        let mut bytes = buf.strip_suffix(b"\n").unwrap_or(&buf);
        if line_no == 1 {
            bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
        }
        if line_no == 1 && opts.header {
            header_skipped = true;
            continue;
        }
        let line = std::str::from_utf8(bytes).map_err(|e| DataError::NotUtf8 {
            file: file.into(),
            line: line_no,
            byte: e.valid_up_to() + 1,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let found = line.split(',').count();
        if found != fields {
            return Err(DataError::ColumnCount {
                file: file.into(),
                line: line_no,
                expected: fields,
                features: D,
                found,
            });
        }
        for (c, field) in line.split(',').map(str::trim).enumerate() {
            if c == label_col {
                let label: usize = field.parse().map_err(|_| DataError::BadLabel {
                    file: file.into(),
                    line: line_no,
                    field: excerpt(field),
                    classes: opts.classes,
                })?;
                if label >= opts.classes {
                    return Err(DataError::LabelOutOfRange {
                        file: file.into(),
                        line: line_no,
                        label,
                        classes: opts.classes,
                    });
                }
                labels.push(label);
            } else {
                let v: f64 = field.parse().map_err(|_| DataError::NotNumeric {
                    file: file.into(),
                    line: line_no,
                    column: c + 1,
                    field: excerpt(field),
                })?;
                if !v.is_finite() {
                    return Err(DataError::NonFinite {
                        file: file.into(),
                        line: line_no,
                        column: c + 1,
                        field: excerpt(field),
                    });
                }
                let t = T::cast(v);
                if !t.is_finite() {
                    return Err(DataError::TooLarge {
                        file: file.into(),
                        line: line_no,
                        column: c + 1,
                        field: excerpt(field),
                        ty: std::any::type_name::<T>(),
                    });
                }
                x.push(t);
            }
        }
    }
    if labels.is_empty() {
        return Err(DataError::Empty {
            file: file.into(),
            header: header_skipped,
        });
    }
    Dataset::classification(Batch::from_column_slice(&x), labels, opts.classes)
}

/// The most characters of a field an error message quotes.
pub(super) const EXCERPT_CHARS: usize = 40;

/// A field as an error message quotes it: characters that would not show (control and
/// format characters such as a byte-order mark) escaped as `\u{feff}`, and a field longer
/// than [`EXCERPT_CHARS`] characters cut there, followed by `… (N bytes)`.
pub(super) fn excerpt(field: &str) -> String {
    let mut out = String::new();
    for (i, c) in field.chars().enumerate() {
        if i == EXCERPT_CHARS {
            let _ = write!(out, "… ({} bytes)", field.len());
            break;
        }
        match c {
            // printable, but `escape_debug` would escape them
            '\\' | '"' | '\'' => out.push(c),
            c => out.extend(c.escape_debug()),
        }
    }
    out
}
