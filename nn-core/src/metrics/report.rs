//! Per-class precision, recall and F1 with their averages: scikit-learn's
//! `classification_report`.

use core::fmt;

use super::confusion::ConfusionMatrix;
use super::ratio;

/// The scores of one class `c` from a [`ConfusionMatrix`] (`TP` = samples of `c` predicted
/// as `c`, `FP` = other samples predicted as `c`, `FN` = samples of `c` predicted as
/// another class):
///
/// - precision `= TP / (TP + FP)`, of the samples predicted as `c`, the fraction that are `c`;
/// - recall `= TP / (TP + FN)`, of the samples of `c`, the fraction predicted as `c`;
/// - F1 `= 2·TP / (2·TP + FP + FN)`, the harmonic mean `2·P·R / (P + R)` of the two
///   (computed from the counts, as scikit-learn does);
/// - support `= TP + FN`, the samples of `c`.
///
/// A ratio whose denominator is 0 is 0 (the [zero-division convention](super#zero-division)).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClassMetrics {
    /// `TP / (TP + FP)`; 0 if no sample was predicted as the class.
    pub precision: f64,
    /// `TP / (TP + FN)`; 0 if the class has no sample.
    pub recall: f64,
    /// `2·TP / (2·TP + FP + FN)`; 0 if the class neither has a sample nor was predicted.
    pub f1: f64,
    /// Samples of the class (`TP + FN`, its row's sum).
    pub support: usize,
    /// Samples predicted as the class (`TP + FP`, its column's sum).
    pub predicted: usize,
}

/// Scores averaged over the classes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Average {
    /// The average precision.
    pub precision: f64,
    /// The average recall.
    pub recall: f64,
    /// The average F1 (the average of the per-class F1 scores, not the F1 of the averages).
    pub f1: f64,
    /// All samples.
    pub support: usize,
}

/// Precision, recall, F1 and support of every class with the accuracy and two averages, as
/// scikit-learn's `classification_report(y_true, y_pred, labels=range(classes))`:
///
/// - macro average: `(1/C) Σ_c m_c`, every class counting the same;
/// - weighted average: `Σ_c support_c · m_c / Σ_c support_c`, each class by its samples
///   (0 for an empty matrix).
///
/// Every class of the matrix is included, also one without samples or predictions (its
/// scores are 0 by the [zero-division convention](super#zero-division), and pull the macro
/// average down); scikit-learn without `labels` would leave such a class out.
///
/// `Display` prints scikit-learn's layout, with 2 decimals unless the format asks for others
/// (`{:.4}`, its `digits=4`), followed by a note for every score set to 0 by the convention.
///
/// ```
/// use nn::metrics::ConfusionMatrix;
/// let cm = ConfusionMatrix::from_slices(3, &[0, 0, 2, 2, 1], &[0, 1, 2, 2, 2])?;
/// let report = cm.report();
/// assert_eq!(report.class(2).recall, 2.0 / 3.0); // 2 of the 3 samples of class 2
/// assert_eq!(report.class(0).precision, 0.5); // 1 of the 2 samples predicted as class 0
/// println!("{report}");
/// # Ok::<(), nn::metrics::MetricsError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ClassificationReport {
    classes: Vec<ClassMetrics>,
    names: Vec<String>,
    accuracy: f64,
    macro_avg: Average,
    weighted_avg: Average,
}

impl ClassificationReport {
    /// The report of a confusion matrix (also [`ConfusionMatrix::report`]).
    pub fn new(cm: &ConfusionMatrix) -> Self {
        let n = cm.classes();
        let classes: Vec<ClassMetrics> = (0..n)
            .map(|c| {
                let tp = cm.get(c, c);
                let support = cm.support(c);
                let predicted = cm.predicted(c);
                // 2·TP + FP + FN = predicted + support
                ClassMetrics {
                    precision: ratio(tp, predicted),
                    recall: ratio(tp, support),
                    f1: ratio(2 * tp, predicted + support),
                    support,
                    predicted,
                }
            })
            .collect();
        let total = cm.total();
        let mean = |m: fn(&ClassMetrics) -> f64| classes.iter().map(m).sum::<f64>() / n as f64;
        let weighted = |m: fn(&ClassMetrics) -> f64| {
            if total == 0 {
                0.0
            } else {
                classes.iter().map(|c| c.support as f64 * m(c)).sum::<f64>() / total as f64
            }
        };
        let average = |avg: &dyn Fn(fn(&ClassMetrics) -> f64) -> f64| Average {
            precision: avg(|c| c.precision),
            recall: avg(|c| c.recall),
            f1: avg(|c| c.f1),
            support: total,
        };
        Self {
            macro_avg: average(&mean),
            weighted_avg: average(&weighted),
            accuracy: cm.accuracy(),
            names: cm.names().to_vec(),
            classes,
        }
    }

    /// The scores of class `c`. Panics if there is no such class.
    #[track_caller]
    pub fn class(&self, c: usize) -> &ClassMetrics {
        assert!(
            c < self.classes.len(),
            "ClassificationReport::class: class {c} of {}",
            self.classes.len()
        );
        &self.classes[c]
    }

    /// The scores of every class, in class order.
    pub fn classes(&self) -> &[ClassMetrics] {
        &self.classes
    }

    /// The class names (as the confusion matrix's).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Renames the classes in the printed report. Panics unless there is one name per class.
    #[track_caller]
    pub fn with_names(mut self, names: &[&str]) -> Self {
        assert_eq!(
            names.len(),
            self.classes.len(),
            "ClassificationReport::with_names: {} names for {} classes",
            names.len(),
            self.classes.len()
        );
        self.names = names.iter().map(|n| n.to_string()).collect();
        self
    }

    /// The fraction of samples predicted correctly (0 for no samples).
    pub fn accuracy(&self) -> f64 {
        self.accuracy
    }

    /// The unweighted mean over the classes.
    pub fn macro_avg(&self) -> &Average {
        &self.macro_avg
    }

    /// The mean over the classes weighted by their support.
    pub fn weighted_avg(&self) -> &Average {
        &self.weighted_avg
    }

    /// All samples.
    pub fn total(&self) -> usize {
        self.macro_avg.support
    }

    /// One line for every score set to 0 because its denominator is 0.
    fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        for (m, name) in self.classes.iter().zip(&self.names) {
            match (m.predicted, m.support) {
                (0, 0) => notes.push(format!(
                    "note: class {name} has no samples and no predictions: its precision, recall and F1 are set to 0"
                )),
                (0, _) => notes.push(format!(
                    "note: no sample was predicted as class {name}: its precision is set to 0"
                )),
                (_, 0) => notes.push(format!("note: class {name} has no samples: its recall is set to 0")),
                _ => {}
            }
        }
        notes
    }
}

impl fmt::Display for ClassificationReport {
    /// scikit-learn's layout: the name column is as wide as the longest name or
    /// `weighted avg`, each score column 9 characters with `f.precision()` decimals (2 by
    /// default).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = f.precision().unwrap_or(2);
        let heading = "weighted avg";
        let w = self
            .names
            .iter()
            .map(|n| n.chars().count())
            .max()
            .unwrap_or(0)
            .max(heading.len())
            .max(digits);
        writeln!(
            f,
            "{:>w$}  {:>9} {:>9} {:>9} {:>9}",
            "", "precision", "recall", "f1-score", "support"
        )?;
        writeln!(f)?;
        let row = |f: &mut fmt::Formatter<'_>, name: &str, p: f64, r: f64, f1: f64, s: usize| {
            writeln!(f, "{name:>w$}  {p:>9.digits$} {r:>9.digits$} {f1:>9.digits$} {s:>9}")
        };
        for (m, name) in self.classes.iter().zip(&self.names) {
            row(f, name, m.precision, m.recall, m.f1, m.support)?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "{:>w$}  {:>9} {:>9} {:>9.digits$} {:>9}",
            "accuracy",
            "",
            "",
            self.accuracy,
            self.total()
        )?;
        let (m, wt) = (&self.macro_avg, &self.weighted_avg);
        row(f, "macro avg", m.precision, m.recall, m.f1, m.support)?;
        write!(
            f,
            "{:>w$}  {:>9.digits$} {:>9.digits$} {:>9.digits$} {:>9}",
            heading, wt.precision, wt.recall, wt.f1, wt.support
        )?;
        let notes = self.notes();
        if !notes.is_empty() {
            write!(f, "\n\n{}", notes.join("\n"))?;
        }
        Ok(())
    }
}
