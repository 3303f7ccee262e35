//! The confusion matrix: counts of (actual, predicted) class pairs.

use core::fmt;

use super::report::ClassificationReport;
use super::MetricsError;

/// Counts of samples by actual class (rows) and predicted class (columns), over `classes`
/// classes: `get(a, p)` samples of class `a` were predicted as `p`. The diagonal holds the
/// correct predictions. Rows are the truth as in scikit-learn's `confusion_matrix` (and
/// torchmetrics'); inputs are given prediction first, `(predicted, actual)`, as torchmetrics'
/// `(preds, target)`.
///
/// `Display` prints an aligned table with the class names (their indices unless
/// [`with_names`](Self::with_names) set them); [`report`](Self::report) gives precision,
/// recall and F1 per class.
///
/// ```
/// use nn::metrics::ConfusionMatrix;
/// // (predicted, actual) for 5 samples of 3 classes
/// let cm = ConfusionMatrix::from_pairs(3, [(0, 0), (0, 1), (2, 2), (2, 2), (1, 2)])?;
/// assert_eq!(cm.get(1, 0), 1); // one sample of class 1 predicted as 0
/// assert_eq!((cm.total(), cm.accuracy()), (5, 0.6));
/// let cm = cm.with_names(&["cat", "dog", "bird"]);
/// assert_eq!(
///     cm.to_string(),
///     "\
/// actual \\ predicted  cat  dog  bird
/// cat                   1    0     0
/// dog                   1    0     0
/// bird                  0    1     2"
/// );
/// # Ok::<(), nn::metrics::MetricsError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfusionMatrix {
    classes: usize,
    /// Row-major `classes × classes`: `counts[actual * classes + predicted]`.
    counts: Vec<usize>,
    names: Vec<String>,
}

impl ConfusionMatrix {
    /// An all-zero matrix over `classes` classes (fill it with [`add`](Self::add)). Panics
    /// if `classes` is 0.
    #[track_caller]
    pub fn new(classes: usize) -> Self {
        assert!(
            classes > 0,
            "ConfusionMatrix::new: a confusion matrix needs at least one class"
        );
        Self {
            classes,
            counts: vec![0; classes * classes],
            names: (0..classes).map(|c| c.to_string()).collect(),
        }
    }

    /// The matrix of `(predicted, actual)` pairs, one per sample. Errors, naming the sample
    /// (its position in `pairs`), if a class is not below `classes`. Panics if `classes` is 0.
    #[track_caller]
    pub fn from_pairs(classes: usize, pairs: impl IntoIterator<Item = (usize, usize)>) -> Result<Self, MetricsError> {
        let mut cm = Self::new(classes);
        for (sample, (predicted, actual)) in pairs.into_iter().enumerate() {
            cm.check(sample, predicted, actual)?;
            cm.counts[actual * classes + predicted] += 1;
        }
        Ok(cm)
    }

    /// The matrix of `predicted[n]` against `actual[n]` for every sample `n`. Errors if the
    /// slices differ in length or a class is not below `classes` (naming the sample). Panics
    /// if `classes` is 0.
    #[track_caller]
    pub fn from_slices(classes: usize, predicted: &[usize], actual: &[usize]) -> Result<Self, MetricsError> {
        if predicted.len() != actual.len() {
            return Err(MetricsError::LengthMismatch {
                predicted: predicted.len(),
                actual: actual.len(),
            });
        }
        Self::from_pairs(classes, predicted.iter().copied().zip(actual.iter().copied()))
    }

    /// Counts one sample of class `actual` predicted as `predicted`. Panics if either is not
    /// below [`classes`](Self::classes) (use [`from_pairs`](Self::from_pairs) for data that
    /// may be out of range).
    #[track_caller]
    pub fn add(&mut self, predicted: usize, actual: usize) {
        let classes = self.classes;
        assert!(
            predicted < classes && actual < classes,
            "ConfusionMatrix::add: (predicted {predicted}, actual {actual}) is not a pair of classes in 0..{classes}"
        );
        self.counts[actual * classes + predicted] += 1;
    }

    /// Names the classes (row and column headers, report rows): `names[c]` for class `c`.
    /// Panics unless there is one name per class.
    #[track_caller]
    pub fn with_names(mut self, names: &[&str]) -> Self {
        assert_eq!(
            names.len(),
            self.classes,
            "ConfusionMatrix::with_names: {} names for {} classes",
            names.len(),
            self.classes
        );
        self.names = names.iter().map(|n| n.to_string()).collect();
        self
    }

    /// The number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// The class names (their indices, `"0"`, `"1"`, …, unless
    /// [`with_names`](Self::with_names) set them).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Samples of class `actual` predicted as `predicted`. Panics if either is not below
    /// [`classes`](Self::classes).
    #[track_caller]
    pub fn get(&self, actual: usize, predicted: usize) -> usize {
        let classes = self.classes;
        assert!(
            predicted < classes && actual < classes,
            "ConfusionMatrix::get: (actual {actual}, predicted {predicted}) is not a pair of classes in 0..{classes}"
        );
        self.counts[actual * classes + predicted]
    }

    /// All samples counted.
    pub fn total(&self) -> usize {
        self.counts.iter().sum()
    }

    /// Samples of class `c` (row `c`'s sum: the class's *support*).
    #[track_caller]
    pub fn support(&self, c: usize) -> usize {
        (0..self.classes).map(|p| self.get(c, p)).sum()
    }

    /// Samples predicted as class `c` (column `c`'s sum).
    #[track_caller]
    pub fn predicted(&self, c: usize) -> usize {
        (0..self.classes).map(|a| self.get(a, c)).sum()
    }

    /// Correct predictions (the diagonal's sum).
    pub fn correct(&self) -> usize {
        (0..self.classes).map(|c| self.counts[c * self.classes + c]).sum()
    }

    /// The fraction of samples predicted correctly, `Σ_c get(c, c) / total`; 0 for an empty
    /// matrix (the [zero-division convention](super#zero-division)).
    pub fn accuracy(&self) -> f64 {
        super::ratio(self.correct(), self.total())
    }

    /// Precision, recall, F1 and support per class, with their averages (scikit-learn's
    /// `classification_report`).
    pub fn report(&self) -> ClassificationReport {
        ClassificationReport::new(self)
    }

    fn check(&self, sample: usize, predicted: usize, actual: usize) -> Result<(), MetricsError> {
        let classes = self.classes;
        if actual >= classes {
            return Err(MetricsError::LabelOutOfRange {
                sample,
                label: actual,
                classes,
            });
        }
        if predicted >= classes {
            return Err(MetricsError::PredictionOutOfRange {
                sample,
                class: predicted,
                classes,
            });
        }
        Ok(())
    }
}

impl fmt::Display for ConfusionMatrix {
    /// Rows are the actual classes, columns the predicted ones; counts right-aligned under
    /// their class names.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const CORNER: &str = "actual \\ predicted";
        let first = self
            .names
            .iter()
            .map(|n| n.chars().count())
            .max()
            .unwrap_or(0)
            .max(CORNER.len());
        let widths: Vec<usize> = (0..self.classes)
            .map(|p| {
                let count = (0..self.classes)
                    .map(|a| self.get(a, p).to_string().len())
                    .max()
                    .unwrap_or(1);
                count.max(self.names[p].chars().count())
            })
            .collect();
        write!(f, "{CORNER:<first$}")?;
        for (name, w) in self.names.iter().zip(&widths) {
            write!(f, "  {name:>w$}")?;
        }
        for (a, name) in self.names.iter().enumerate() {
            write!(f, "\n{name:<first$}")?;
            for (p, w) in widths.iter().enumerate() {
                write!(f, "  {:>w$}", self.get(a, p))?;
            }
        }
        Ok(())
    }
}
