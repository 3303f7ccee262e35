use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use super::{DataError, Dataset};
use crate::batch::Batch;
use crate::float::Float;

/// Which field of a CSV row holds the class label.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum LabelColumn {
    /// The last field (the default): `D` features, then the label.
    #[default]
    Last,
    /// The field at this 0-based index (`0`: the label comes first).
    Index(usize),
    /// The field whose header is this name (`"species"`); the file's first line must be a
    /// header, with the same `D + 1` fields as every row. Names compare exactly, after
    /// trimming surrounding spaces.
    Name(String),
}

/// How [`load_csv`] reads a file: the number of classes, whether the first line is a
/// header, and which field holds the label.
///
/// ```
/// use nn::data::{parse_csv, CsvOptions};
/// // 3 classes, a header line, the label in the field named `species`
/// let opts = CsvOptions::classes(3).label_column("species");
/// let data = parse_csv::<f32, 2>("species,len,width\n2,5.1,3.5\n0.0,4.9,3\n", "iris.csv", opts)?;
/// assert_eq!((data.labels(), data.classes()), (&[2, 0][..], Some(3)));
/// # Ok::<(), nn::data::DataError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvOptions {
    /// The number of classes (at least 1): every label must be a class index in
    /// `0..classes`, written as an integer (`2`) or an integral float (`2.0`, `2e0`).
    pub classes: usize,
    /// Whether the first line is a header (skipped, or searched for a
    /// [`LabelColumn::Name`]).
    pub header: bool,
    /// The field that holds the label.
    pub label_column: LabelColumn,
}

impl CsvOptions {
    /// Options for a file of `classes` classes (labels in `0..classes`): no header, the
    /// label in the last field. The same as [`CsvOptions::new`].
    ///
    /// Panics if `classes` is 0.
    #[track_caller]
    pub fn classes(classes: usize) -> Self {
        assert!(
            classes > 0,
            "CsvOptions: expected the number of classes (at least 1), got 0"
        );
        Self {
            classes,
            header: false,
            label_column: LabelColumn::Last,
        }
    }

    /// Options for a file of `classes` classes: `classes` is **the number of classes**
    /// (every label in `0..classes`), not a column. No header, the label in the last field.
    /// [`CsvOptions::classes`] says the same more plainly.
    ///
    /// Panics if `classes` is 0.
    #[track_caller]
    pub fn new(classes: usize) -> Self {
        Self::classes(classes)
    }

    /// Whether the first line is a header (`true`: skip it, or look the label column up in
    /// it).
    pub fn header(mut self, header: bool) -> Self {
        self.header = header;
        self
    }

    /// Takes the label from the field whose header is `name` (trimmed, compared exactly);
    /// implies [`header(true)`](Self::header). A header without that name, or with it
    /// twice, is a [`DataError`].
    pub fn label_column(mut self, name: &str) -> Self {
        self.label_column = LabelColumn::Name(name.to_string());
        self.header = true;
        self
    }

    /// Takes the label from field `index` (0-based; `0`: the label comes first) instead of
    /// the last one. The loaders panic if `index` is past the `D + 1` fields of a row.
    pub fn label_column_index(mut self, index: usize) -> Self {
        self.label_column = LabelColumn::Index(index);
        self
    }
}

/// Reads a classification data set from a CSV file: each data line holds `D` numeric
/// features and one class label, separated by commas (no quoting; surrounding spaces are
/// ignored, blank lines skipped, a leading UTF-8 byte-order mark dropped). A label is an
/// integer in `0..classes`, or a float with an integral value (`2.0`, `3e0`), as files
/// written by numpy or pandas have them.
///
/// The file is read line by line ([`read_csv`]), and the first problem is an error naming
/// the file, the 1-based line and, for a field, its 1-based column, as soon as that line is
/// read: a wrong number of fields, a line that is not UTF-8, a feature that is not a number,
/// a NaN or infinite feature or one too large for `T` (`1e39` as `f32`), a label that is
/// not a class index (`2.5`, `-1`, `x`) or not in `0..classes`, a header without the
/// label column named in the options; and a file without data rows (0 bytes: "the file is
/// empty"; a header alone: "empty apart from its header"). Fields quoted in a message are
/// cut to 40 characters, with invisible characters escaped.
///
/// `D` must be at least 1: `load_csv::<f32, 0>` does not build (a compile-time assertion,
/// reported by `cargo build`, not `cargo check`). Panics (a mistake in the options, not in
/// the file) if `opts.classes` is 0, if a [`LabelColumn::Index`] is past the `D + 1`
/// fields of a row, or if a [`LabelColumn::Name`] is given without a header.
///
/// ```no_run
/// use nn::data::{load_csv, CsvOptions};
/// // 4 features, 3 classes, a header line naming the label column `species`
/// let data = load_csv::<f32, 4>("iris.csv", CsvOptions::classes(3).label_column("species"))?;
/// # Ok::<(), nn::data::DataError>(())
/// ```
#[track_caller]
pub fn load_csv<T: Float, const D: usize>(
    path: impl AsRef<Path>,
    opts: CsvOptions,
) -> Result<Dataset<T, D>, DataError> {
    // the options first: a mistake in them panics whether or not the file opens
    checked_label_column::<D>(&opts);
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
/// let data = parse_csv::<f64, 2>("0.5,1,0\n2,3,1.0\n", "points.csv", CsvOptions::classes(2))?;
/// assert_eq!(data.labels(), &[0, 1]);
/// let e = parse_csv::<f32, 2>("0.5,1,0\n1e39,3,1\n", "points.csv", CsvOptions::classes(2)).unwrap_err();
/// assert_eq!(e.to_string(), "points.csv:2: field 1 is `1e39`, which is too large for f32");
/// let e = parse_csv::<f32, 2>("0.5,1,1.5\n", "points.csv", CsvOptions::classes(2)).unwrap_err();
/// assert_eq!(
///     e.to_string(),
///     "points.csv:1: field 3 is the label `1.5`, which is not a class index (expected an integer in 0..2)"
/// );
/// # Ok::<(), nn::data::DataError>(())
/// ```
///
/// A data set needs at least one feature per sample; this does not build:
///
/// ```compile_fail,E0080
/// let _ = nn::data::parse_csv::<f32, 0>("0\n", "labels.csv", nn::data::CsvOptions::classes(2));
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
/// let data = read_csv::<f32, 2, _>(bytes, "upload.csv", CsvOptions::classes(2))?;
/// assert_eq!(data.sample(0), &[0.1, 0.2]);
/// let e = read_csv::<f32, 2, _>(&b"0.1,0.2,1\n0.3,\xFF,0\n"[..], "upload.csv", CsvOptions::classes(2));
/// assert!(matches!(e, Err(DataError::NotUtf8 { line: 2, column: 2, .. })));
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
    let classes = opts.classes;
    // For a name, the header (line 1, always read first) sets the column.
    let mut label_col = checked_label_column::<D>(&opts);
    let mut x: Vec<T> = Vec::new();
    let mut labels = Vec::new();
    let mut buf = Vec::new();
    let mut header_text = false;
    for line_no in 1usize.. {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).map_err(|source| DataError::Read {
            file: file.into(),
            line: line_no,
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
            header_text = !bytes.trim_ascii().is_empty();
            if let LabelColumn::Name(name) = &opts.label_column {
                label_col = find_column(bytes, name, file, D)?;
            }
            continue;
        }
        let line = utf8(bytes, file, line_no)?;
        if line.trim().is_empty() {
            continue;
        }
        let found = line.split(',').count();
        if found != fields {
            return Err(column_count(file, line_no, D, found));
        }
        for (c, field) in line.split(',').map(str::trim).enumerate() {
            let at = |column: usize| (file.to_string(), line_no, column + 1, excerpt(field));
            if c == label_col {
                labels.push(match class_index(field, classes) {
                    Label::Class(label) => label,
                    Label::NotAnIndex => {
                        let (file, line, column, field) = at(c);
                        return Err(DataError::BadLabel {
                            file,
                            line,
                            column,
                            field,
                            classes,
                        });
                    }
                    Label::OutOfRange => {
                        let (file, line, column, field) = at(c);
                        return Err(DataError::LabelOutOfRange {
                            file,
                            line,
                            column,
                            field,
                            classes,
                        });
                    }
                });
            } else {
                let Ok(v) = field.parse::<f64>() else {
                    let (file, line, column, field) = at(c);
                    return Err(DataError::NotNumeric {
                        file,
                        line,
                        column,
                        field,
                    });
                };
                if !v.is_finite() {
                    let (file, line, column, field) = at(c);
                    return Err(DataError::NonFinite {
                        file,
                        line,
                        column,
                        field,
                    });
                }
                let t = T::cast(v);
                if !t.is_finite() {
                    let (file, line, column, field) = at(c);
                    return Err(DataError::TooLarge {
                        file,
                        line,
                        column,
                        field,
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
            header: header_text,
        });
    }
    Dataset::classification(Batch::from_column_slice(&x), labels, classes)
}

/// The 0-based label field of a row of `D` features and a label (`D` for a name, until the
/// header is read); panics if the options cannot describe such a file.
#[track_caller]
fn checked_label_column<const D: usize>(opts: &CsvOptions) -> usize {
    let fields = D + 1;
    assert!(
        opts.classes > 0,
        "CsvOptions: expected the number of classes (at least 1) in `classes`, got 0"
    );
    match &opts.label_column {
        LabelColumn::Last => D,
        &LabelColumn::Index(i) => {
            assert!(
                i < fields,
                "CsvOptions: expected a label column index below {fields} (a row has {D} features and a label), got {i}"
            );
            i
        }
        LabelColumn::Name(name) => {
            assert!(
                opts.header,
                "CsvOptions: the label column is named (`{name}`), which needs a header line, but `header` is false"
            );
            D
        }
    }
}

/// A line as text, or the error naming its line and the field where invalid UTF-8 starts.
fn utf8<'b>(bytes: &'b [u8], file: &str, line: usize) -> Result<&'b str, DataError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let valid = e.valid_up_to();
        DataError::NotUtf8 {
            file: file.into(),
            line,
            column: bytes[..valid].iter().filter(|&&b| b == b',').count() + 1,
            byte: valid + 1,
        }
    })
}

/// The error for a line of `found` fields where `features + 1` were expected.
fn column_count(file: &str, line: usize, features: usize, found: usize) -> DataError {
    DataError::ColumnCount {
        file: file.into(),
        line,
        expected: features + 1,
        features,
        found,
    }
}

/// The 0-based field of the header line `bytes` (line 1, byte-order mark dropped) named
/// `name`: the header must have the `features + 1` fields of a row, and `name` exactly once.
fn find_column(bytes: &[u8], name: &str, file: &str, features: usize) -> Result<usize, DataError> {
    let header = utf8(bytes, file, 1)?;
    let found = header.split(',').count();
    if found != features + 1 {
        return Err(column_count(file, 1, features, found));
    }
    let name = name.trim();
    let mut hits = header
        .split(',')
        .enumerate()
        .filter(|(_, f)| f.trim() == name)
        .map(|(c, _)| c);
    match (hits.next(), hits.next()) {
        (Some(c), None) => Ok(c),
        (None, _) => Err(DataError::NoSuchColumn {
            file: file.into(),
            line: 1,
            name: excerpt(name),
            header: excerpt(header.trim()),
        }),
        (Some(first), Some(second)) => Err(DataError::AmbiguousColumn {
            file: file.into(),
            line: 1,
            name: excerpt(name),
            first: first + 1,
            second: second + 1,
        }),
    }
}

/// What a label field holds.
enum Label {
    /// A class index in `0..classes`.
    Class(usize),
    /// Not a non-negative integral number (`x`, `2.5`, `-1`, `NaN`).
    NotAnIndex,
    /// A non-negative integral number, but not below the number of classes.
    OutOfRange,
}

/// Reads a label: an integer (`2`), or a float with an integral value (`2.0`, `3e0`, `-0`);
/// `2.5`, a negative number or a non-finite one is not a class index.
fn class_index(field: &str, classes: usize) -> Label {
    if let Ok(label) = field.parse::<usize>() {
        return if label < classes {
            Label::Class(label)
        } else {
            Label::OutOfRange
        };
    }
    match field.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 && v.fract() == 0.0 => {
            // exact: an integral f64 converts to u128 exactly (saturating past 2^128)
            if (v as u128) < classes as u128 {
                Label::Class(v as usize)
            } else {
                Label::OutOfRange
            }
        }
        _ => Label::NotAnIndex,
    }
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
