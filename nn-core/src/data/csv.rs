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
/// spaces are ignored, blank lines skipped).
///
/// Every problem is an error naming the file and the 1-based line: a wrong number of
/// fields, a feature that is not a number, a NaN or infinite feature, a label that is not
/// an integer or not in `0..classes`, and a file without data rows.
///
/// ```no_run
/// use nn_core::data::{load_csv, CsvOptions};
/// let data = load_csv::<f32, 4>("iris.csv", CsvOptions::new(3).header(true))?;
/// # Ok::<(), nn_core::data::DataError>(())
/// ```
pub fn load_csv<T: Float, const D: usize>(
    path: impl AsRef<Path>,
    opts: CsvOptions,
) -> Result<Dataset<T, D>, DataError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| DataError::Io {
        file: path.display().to_string(),
        source,
    })?;
    parse_csv(&text, &path.display().to_string(), opts)
}

/// [`load_csv`] on text already in memory; `file` names it in errors.
pub fn parse_csv<T: Float, const D: usize>(
    text: &str,
    file: &str,
    opts: CsvOptions,
) -> Result<Dataset<T, D>, DataError> {
    let fields = D + 1;
    let label_col = opts.label_column.unwrap_or(D);
    assert!(
        label_col <= D,
        "CsvOptions: label column {label_col} is past the {fields} fields of a row"
    );
    let mut x: Vec<T> = Vec::new();
    let mut labels = Vec::new();
    let mut lines = text.lines().enumerate();
    if opts.header {
        lines.next();
    }
    for (i, line) in lines {
        let line_no = i + 1;
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
                    field: field.into(),
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
                    field: field.into(),
                })?;
                if !v.is_finite() {
                    return Err(DataError::NonFinite {
                        file: file.into(),
                        line: line_no,
                        column: c + 1,
                        field: field.into(),
                    });
                }
                x.push(T::cast(v));
            }
        }
    }
    if labels.is_empty() {
        return Err(DataError::Empty {
            file: file.into(),
            header: opts.header,
        });
    }
    Dataset::classification(Batch::from_column_slice(&x), labels, opts.classes)
}
