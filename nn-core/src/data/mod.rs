//! Data sets: features with a compile-time width, targets, batching, splits, standardization,
//! the book's spiral data set and a CSV loader.
//!
//! A [`Dataset<T, D, Y>`] holds its `N` samples as one `D × N` batch (one sample per column,
//! the layout of every [`Batch`]) and its targets `Y`: class labels (`Vec<usize>`, the
//! default) or target values (`Batch<T, K>`, one column per sample). Data from outside is
//! checked where it enters: [`Dataset::new`], [`Dataset::classification`] and the loaders
//! return a [`DataError`] for NaN or infinite features, mismatched counts or labels out of
//! range, and [`Dataset::standardize`] refuses to make a value non-finite, so a network
//! never sees one from a data set.

mod batches;
mod csv;
mod spiral;
mod standardize;
#[cfg(feature = "safetensors")]
mod standardize_file;

use std::path::Path;

pub use batches::{shuffle, Batches, Layout};
pub use csv::{load_csv, parse_csv, read_csv, CsvOptions, LabelColumn};
pub use spiral::{spiral, spiral_with, SPIRAL_SEED};
pub use standardize::Standardizer;

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::batch::{Batch, BatchBuf, BatchRef};
use crate::float::Float;
use crate::labels::Labels;

/// Why data could not be loaded or assembled. Errors from files name the file, the 1-based
/// line and, for a field, its 1-based column.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be read.
    #[error("{file}: cannot read the file: {source}")]
    Io {
        /// The file.
        file: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Reading a line of the file failed (a stream cut off, a disk error).
    #[error("{file}:{line}: cannot read the line: {source}")]
    Read {
        /// The file.
        file: String,
        /// The 1-based line being read.
        line: usize,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file holds no data rows.
    #[error("{file}: no data rows (the file is empty{})", if *.header { " apart from its header" } else { "" })]
    Empty {
        /// The file.
        file: String,
        /// Whether a header line with text in it was skipped (`false` for a 0-byte file, or
        /// one of blank lines, even when the options expect a header).
        header: bool,
    },
    /// A line is not valid UTF-8.
    #[error("{file}:{line}: field {column} is not valid UTF-8 (from byte {byte} of the line on)")]
    NotUtf8 {
        /// The file.
        file: String,
        /// The 1-based line number.
        line: usize,
        /// The 1-based field where the invalid UTF-8 starts.
        column: usize,
        /// The 1-based byte of the line where the invalid UTF-8 starts.
        byte: usize,
    },
    /// The header has no field of the name the options give for the label column.
    #[error("{file}:{line}: the header has no column named `{name}` (the header: `{header}`)")]
    NoSuchColumn {
        /// The file.
        file: String,
        /// The 1-based line of the header (1).
        line: usize,
        /// The name looked for, as the message quotes it (see [`NotNumeric`](Self::NotNumeric)).
        name: String,
        /// The header line as the message quotes it.
        header: String,
    },
    /// The header names the label column more than once.
    #[error(
        "{file}:{line}: the header names fields {first} and {second} `{name}`: which one is the label is ambiguous"
    )]
    AmbiguousColumn {
        /// The file.
        file: String,
        /// The 1-based line of the header (1).
        line: usize,
        /// The name, as the message quotes it.
        name: String,
        /// The 1-based first field of that name.
        first: usize,
        /// The 1-based second field of that name.
        second: usize,
    },
    /// A row has the wrong number of fields.
    #[error(
        "{file}:{line}: expected {expected} comma-separated fields ({features} features and a label) but found {found}"
    )]
    ColumnCount {
        /// The file.
        file: String,
        /// The 1-based line number.
        line: usize,
        /// Fields expected.
        expected: usize,
        /// Features per sample.
        features: usize,
        /// Fields found.
        found: usize,
    },
    /// A feature field is not a number.
    #[error("{file}:{line}: field {column} is `{field}`, which is not a number")]
    NotNumeric {
        /// The file.
        file: String,
        /// The 1-based line number.
        line: usize,
        /// The 1-based field number.
        column: usize,
        /// The field's text as the message quotes it: invisible characters escaped
        /// (`\u{feff}`), and cut after 40 characters, followed by `… (N bytes)`.
        field: String,
    },
    /// A feature is NaN or infinite.
    #[error("{file}:{line}: field {column} is `{field}`, which is not a finite number")]
    NonFinite {
        /// The file.
        file: String,
        /// The 1-based line number.
        line: usize,
        /// The 1-based field number.
        column: usize,
        /// The field's text as the message quotes it: invisible characters escaped
        /// (`\u{feff}`), and cut after 40 characters, followed by `… (N bytes)`.
        field: String,
    },
    /// A feature is a finite number too large for the float type (`1e39` as `f32`).
    #[error("{file}:{line}: field {column} is `{field}`, which is too large for {ty}")]
    TooLarge {
        /// The file.
        file: String,
        /// The 1-based line number.
        line: usize,
        /// The 1-based field number.
        column: usize,
        /// The field's text as the message quotes it (see [`NotNumeric`](Self::NotNumeric)).
        field: String,
        /// The float type (`f32`).
        ty: &'static str,
    },
    /// The label field is not a class index: not a number, not integral (`2.5`), negative
    /// or not finite.
    #[error("{file}:{line}: field {column} is the label `{field}`, which is not a class index (expected an integer in 0..{classes})")]
    BadLabel {
        /// The file.
        file: String,
        /// The 1-based line number.
        line: usize,
        /// The 1-based field number of the label.
        column: usize,
        /// The field's text as the message quotes it: invisible characters escaped
        /// (`\u{feff}`), and cut after 40 characters, followed by `… (N bytes)`.
        field: String,
        /// The number of classes.
        classes: usize,
    },
    /// A label is an integral number but not below the number of classes.
    #[error("{file}:{line}: field {column} is the label `{field}`, which is out of range: expected a class index in 0..{classes}")]
    LabelOutOfRange {
        /// The file.
        file: String,
        /// The 1-based line number.
        line: usize,
        /// The 1-based field number of the label.
        column: usize,
        /// The field's text as the message quotes it (see [`BadLabel`](Self::BadLabel)).
        field: String,
        /// The number of classes.
        classes: usize,
    },
    /// An in-memory feature is NaN or infinite.
    #[error("sample {sample}, feature {feature} is {value}, which is not finite")]
    NonFiniteFeature {
        /// The sample (column).
        sample: usize,
        /// The feature (row).
        feature: usize,
        /// The value.
        value: f64,
    },
    /// An in-memory target value is NaN or infinite.
    #[error("the target of sample {sample} (entry {entry}) is {value}, which is not finite")]
    NonFiniteTarget {
        /// The sample (column).
        sample: usize,
        /// The entry (row).
        entry: usize,
        /// The value.
        value: f64,
    },
    /// An in-memory label is not below the number of classes.
    #[error("the label of sample {sample} is {label}: expected a class index in 0..{classes}")]
    LabelOfSampleOutOfRange {
        /// The sample.
        sample: usize,
        /// The label.
        label: usize,
        /// The number of classes.
        classes: usize,
    },
    /// Standardizing a data set would make a feature NaN or infinite: a standard deviation
    /// of 0 or a tiny one, a difference that overflows, a non-finite mean or standard
    /// deviation. The data set is left unchanged.
    #[error(
        "standardizing sample {sample}, feature {feature} gives ({value} - {mean}) / {std}, which is not finite (the data set is unchanged)"
    )]
    NonFiniteStandardized {
        /// The sample (column).
        sample: usize,
        /// The feature (row).
        feature: usize,
        /// The feature's value before standardizing.
        value: f64,
        /// The standardizer's mean of that feature.
        mean: f64,
        /// The standardizer's standard deviation of that feature.
        std: f64,
    },
    /// Features and targets count different samples.
    #[error("{samples} samples but {targets} targets")]
    LengthMismatch {
        /// Samples in the features.
        samples: usize,
        /// Targets given.
        targets: usize,
    },
}

/// What a [`Dataset`] compares its samples against: class labels (`Vec<usize>`) or target
/// values (`Batch<T, K>`). [`gather`](Targets::gather) copies the targets of a list of
/// samples into a reused buffer, which converts into the loss layer's target type.
pub trait Targets<T: Float>: Clone {
    /// The buffer a batch of targets is gathered into; grows to the largest batch and is
    /// reused.
    type Buf: Default;
    /// The number of samples.
    fn len(&self) -> usize;
    /// Whether there are no samples.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Copies the targets of samples `idx` into `buf` (allocating only when `idx` is longer
    /// than every earlier batch). Panics if an index is not below [`len`](Self::len)
    /// ([`Batches`] only passes indices it has checked).
    fn gather(&self, idx: &[usize], buf: &mut Self::Buf);
    /// The targets of samples `idx`, as a new value (for splits). Panics if an index is not
    /// below [`len`](Self::len) ([`Dataset::select`] checks them first).
    fn select(&self, idx: &[usize]) -> Self;
    /// Checks the targets when a [`Dataset`] is built ([`Dataset::new`]): target values
    /// must be finite (the `Batch<T, K>` implementation refuses NaN and ±∞ with
    /// [`DataError::NonFiniteTarget`]). The default accepts everything: an implementation
    /// holding floats must override it, or a data set could hold non-finite targets.
    fn validate(&self) -> Result<(), DataError> {
        Ok(())
    }
}

impl<T: Float> Targets<T> for Vec<usize> {
    type Buf = Vec<usize>;
    fn len(&self) -> usize {
        self.len()
    }
    #[inline]
    fn gather(&self, idx: &[usize], buf: &mut Vec<usize>) {
        buf.clear();
        buf.extend(idx.iter().map(|&i| self[i]));
    }
    fn select(&self, idx: &[usize]) -> Self {
        idx.iter().map(|&i| self[i]).collect()
    }
}

impl<T: Float, const K: usize> Targets<T> for Batch<T, K> {
    type Buf = BatchBuf<T, K>;
    fn len(&self) -> usize {
        self.ncols()
    }
    #[inline]
    fn gather(&self, idx: &[usize], buf: &mut BatchBuf<T, K>) {
        gather_columns(self.as_slice(), idx, buf);
    }
    fn select(&self, idx: &[usize]) -> Self {
        Batch::from_fn(idx.len(), |k, n| self[(k, idx[n])])
    }
    fn validate(&self) -> Result<(), DataError> {
        check_finite(self.as_slice(), K).map_err(|(sample, entry, value)| DataError::NonFiniteTarget {
            sample,
            entry,
            value,
        })
    }
}

impl<'a, T: Float, const D: usize> From<&'a BatchBuf<T, D>> for BatchRef<'a, T, D> {
    fn from(b: &'a BatchBuf<T, D>) -> Self {
        b.view()
    }
}

impl<'a, T: Float, const D: usize> From<&'a BatchBuf<T, D>> for Labels<'a, T, D> {
    fn from(b: &'a BatchBuf<T, D>) -> Self {
        Labels::OneHot(b.view())
    }
}

/// Copies samples `idx` of a `D × N` batch stored in `data` into `buf` (`D × idx.len()`).
#[inline]
pub(crate) fn gather_columns<T: Float, const D: usize>(data: &[T], idx: &[usize], buf: &mut BatchBuf<T, D>) {
    buf.resize(idx.len());
    crate::batch::copy_columns(data, D, idx, buf.as_mut_slice());
}

/// `N` samples of `D` features (a `D × N` batch, one sample per column) with their targets
/// `Y`: class labels (`Vec<usize>`, the default) or target values (`Batch<T, K>`).
///
/// ```
/// use nn_core::{batch_from_rows, data::Dataset};
/// let x = batch_from_rows(&[[0.0f32, 1.0], [2.0, 3.0], [4.0, 5.0]]);
/// let data = Dataset::classification(x, vec![0, 1, 1], 2).unwrap();
/// assert_eq!((data.len(), data.classes()), (3, Some(2)));
/// let (train, test) = data.split(1.0 / 3.0, 7);
/// assert_eq!((train.len(), test.len(), test.classes()), (2, 1, Some(2)));
/// ```
///
/// A classification data set records its number of classes ([`classes`](Self::classes)):
/// the class count it was built with, which a split keeps even when a part lacks some class.
///
/// # Finite by construction
/// Every feature and target value of a `Dataset` is finite: the constructors and loaders
/// refuse NaN and ±∞ ([`DataError`]), nothing hands out mutable access to the values, the
/// parts of [`select`](Self::select) and the splits are copies of checked values, and
/// [`standardize`](Self::standardize) refuses (unchanged) a standardizer that would make a
/// value non-finite. The `Trainer` relies on this: a non-finite loss during training comes
/// from the network (an overflow, a diverging step), never from the data.
#[derive(Clone, Debug)]
pub struct Dataset<T: Float, const D: usize, Y = Vec<usize>> {
    x: Batch<T, D>,
    y: Y,
    /// The number of classes (`Some` for data built by [`Dataset::classification`] and the
    /// loaders); it lives here rather than in `Y` so that labels stay a plain `Vec<usize>`.
    classes: Option<usize>,
}

impl<T: Float, const D: usize, Y: Targets<T>> Dataset<T, D, Y> {
    /// A data set of the samples `x` (`D × N`) with targets `y` (`N` of them). Errors if the
    /// counts differ, a feature is NaN or infinite, or the targets fail their
    /// [`validate`](Targets::validate) (a NaN or infinite target value).
    pub fn new(x: Batch<T, D>, y: Y) -> Result<Self, DataError> {
        if x.ncols() != y.len() {
            return Err(DataError::LengthMismatch {
                samples: x.ncols(),
                targets: y.len(),
            });
        }
        check_finite(x.as_slice(), D).map_err(|(sample, feature, value)| DataError::NonFiniteFeature {
            sample,
            feature,
            value,
        })?;
        y.validate()?;
        Ok(Self { x, y, classes: None })
    }

    /// The number of classes of a classification data set (its labels lie in
    /// `0..classes`): `Some` for [`Dataset::classification`], the CSV loaders and
    /// [`spiral`], and every split or selection of them; `None` for a regression data set
    /// and for targets given to [`Dataset::new`], which knows no class count.
    pub fn classes(&self) -> Option<usize> {
        self.classes
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        self.x.ncols()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All samples (`D × N`).
    pub fn x(&self) -> &Batch<T, D> {
        &self.x
    }

    /// All targets.
    pub fn y(&self) -> &Y {
        &self.y
    }

    /// The features of sample `n`.
    ///
    /// Panics if `n` is not below [`len`](Self::len).
    #[track_caller]
    pub fn sample(&self, n: usize) -> &[T] {
        assert!(
            n < self.len(),
            "Dataset::sample: expected a sample index below {}, got {n}",
            self.len()
        );
        &self.x.as_slice()[n * D..(n + 1) * D]
    }

    /// The samples `idx`, in that order (repeats allowed), as a new data set with the same
    /// number of classes.
    ///
    /// Panics if an index is not below [`len`](Self::len).
    #[track_caller]
    pub fn select(&self, idx: &[usize]) -> Self {
        if let Some((k, &i)) = idx.iter().enumerate().find(|(_, &i)| i >= self.len()) {
            panic!(
                "Dataset::select: expected sample indices below {}, got {i} (at position {k})",
                self.len()
            );
        }
        let mut xb = BatchBuf::<T, D>::new();
        gather_columns(self.x.as_slice(), idx, &mut xb);
        Self {
            x: Batch::from_column_slice(xb.as_slice()),
            y: self.y.select(idx),
            classes: self.classes,
        }
    }

    /// Splits into (train, test) after a seeded shuffle: `round(test_fraction · N)` samples
    /// go to the test set. The same seed gives the same split.
    ///
    /// Panics if `test_fraction` is not in `0..=1` (or is NaN).
    #[track_caller]
    pub fn split(&self, test_fraction: f64, seed: u64) -> (Self, Self) {
        check_fraction(test_fraction, "split");
        let mut idx: Vec<usize> = (0..self.len()).collect();
        shuffle(&mut idx, &mut ChaCha8Rng::seed_from_u64(seed));
        let n_test = (test_fraction * self.len() as f64).round() as usize;
        let (test, train) = idx.split_at(n_test);
        (self.select(train), self.select(test))
    }

    /// Standardizes the features in place with `s` (`x ← (x − mean) / std` per feature).
    ///
    /// Errors, leaving the data set unchanged, if a standardized value would be NaN or
    /// infinite ([`DataError::NonFiniteStandardized`]: a hand-made `s` with a standard
    /// deviation of 0, one so small or a difference so large that the quotient overflows),
    /// so that the data set stays finite.
    ///
    /// ```
    /// use nn::{batch_from_rows, data::{Dataset, DataError, Standardizer}};
    /// let x = batch_from_rows(&[[1.0f32, 10.0], [3.0, 10.0]]);
    /// let mut data = Dataset::classification(x, vec![0, 1], 2)?;
    /// let bad = Standardizer { mean: Box::new([0.0, 0.0]), std: Box::new([1.0, 0.0]) };
    /// let e = data.standardize(&bad).unwrap_err();
    /// assert!(matches!(e, DataError::NonFiniteStandardized { sample: 0, feature: 1, .. }));
    /// data.standardize(&Standardizer::fit(data.x()))?;
    /// assert_eq!(data.sample(0), &[-1.0, 0.0]);
    /// # Ok::<(), DataError>(())
    /// ```
    pub fn standardize(&mut self, s: &Standardizer<T, D>) -> Result<(), DataError> {
        if let Some((sample, feature)) = s.first_non_finite(self.x.as_slice()) {
            return Err(DataError::NonFiniteStandardized {
                sample,
                feature,
                value: self.x[(feature, sample)].as_f64(),
                mean: s.mean[feature].as_f64(),
                std: s.std[feature].as_f64(),
            });
        }
        s.apply(self.x.as_mut_slice());
        Ok(())
    }

    /// The features and targets.
    pub fn into_parts(self) -> (Batch<T, D>, Y) {
        (self.x, self.y)
    }
}

impl<T: Float, const D: usize> Dataset<T, D, Vec<usize>> {
    /// A classification data set: samples `x` (`D × N`) with one class index in
    /// `0..classes` per sample; `classes`, the number of classes, is recorded
    /// ([`classes`](Dataset::classes)). Errors for mismatched counts, NaN/inf features or a
    /// label out of range.
    pub fn classification(x: Batch<T, D>, labels: Vec<usize>, classes: usize) -> Result<Self, DataError> {
        if let Some((sample, &label)) = labels.iter().enumerate().find(|(_, &l)| l >= classes) {
            return Err(DataError::LabelOfSampleOutOfRange { sample, label, classes });
        }
        Ok(Self {
            classes: Some(classes),
            ..Self::new(x, labels)?
        })
    }

    /// The class labels.
    pub fn labels(&self) -> &[usize] {
        &self.y
    }

    /// Like [`split`](Dataset::split), but stratified: each class is shuffled (seeded) and
    /// split on its own, so train and test keep the class proportions (`round(test_fraction
    /// · n_c)` test samples of a class with `n_c` samples). Small test sets then vary less
    /// from seed to seed.
    ///
    /// Panics if `test_fraction` is not in `0..=1` (or is NaN).
    #[track_caller]
    pub fn stratified_split(&self, test_fraction: f64, seed: u64) -> (Self, Self) {
        check_fraction(test_fraction, "stratified_split");
        let classes = self.y.iter().copied().max().map_or(0, |m| m + 1);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (mut train, mut test) = (Vec::new(), Vec::new());
        for c in 0..classes {
            let mut idx: Vec<usize> = (0..self.len()).filter(|&i| self.y[i] == c).collect();
            shuffle(&mut idx, &mut rng);
            let n_test = (test_fraction * idx.len() as f64).round() as usize;
            test.extend_from_slice(&idx[..n_test]);
            train.extend_from_slice(&idx[n_test..]);
        }
        // mix the classes so that neither part is sorted by class
        shuffle(&mut train, &mut rng);
        shuffle(&mut test, &mut rng);
        (self.select(&train), self.select(&test))
    }
}

impl<T: Float, const D: usize, const K: usize> Dataset<T, D, Batch<T, K>> {
    /// A regression data set: samples `x` (`D × N`) with target values `y` (`K × N`).
    /// Errors for mismatched counts or NaN/inf values (as [`Dataset::new`] does).
    pub fn regression(x: Batch<T, D>, y: Batch<T, K>) -> Result<Self, DataError> {
        Self::new(x, y)
    }
}

/// Panics, naming `method`, if `f` is not a fraction in `0..=1`.
#[track_caller]
fn check_fraction(f: f64, method: &str) {
    assert!(
        (0.0..=1.0).contains(&f),
        "Dataset::{method}: expected a test fraction in 0..=1, got {f}"
    );
}

/// The first non-finite value of a `rows × N` column-major slice as (column, row, value).
fn check_finite<T: Float>(data: &[T], rows: usize) -> Result<(), (usize, usize, f64)> {
    match data.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err((i / rows, i % rows, data[i].as_f64())),
    }
}

/// Reads a CSV file of classification data with `classes` classes (labels in
/// `0..classes`), no header and the label last: [`load_csv`] with
/// [`CsvOptions::classes(classes)`](CsvOptions::classes). Panics if `classes` is 0.
#[track_caller]
pub fn load_classification_csv<T: Float, const D: usize>(
    path: impl AsRef<Path>,
    classes: usize,
) -> Result<Dataset<T, D>, DataError> {
    load_csv(path, CsvOptions::classes(classes))
}

/// A uniform index in `0..n` from one 64-bit draw (Lemire's multiply-shift), stable for a
/// given generator stream whatever the `rand` version.
#[inline]
pub(crate) fn index_below(rng: &mut dyn RngCore, n: usize) -> usize {
    ((rng.next_u64() as u128 * n as u128) >> 64) as usize
}

#[cfg(test)]
mod tests;
