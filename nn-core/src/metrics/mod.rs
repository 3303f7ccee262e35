//! Evaluation metrics, as scikit-learn defines them: the confusion matrix, per-class
//! precision / recall / F1 with their averages (a printable [`ClassificationReport`]), and
//! regression errors (MAE, RMSE, R², a printable [`RegressionReport`]).
//!
//! Each comes from plain predictions ([`ConfusionMatrix::from_slices`],
//! [`RegressionReport::from_slices`]) or from a network and a data set
//! ([`confusion_matrix`], [`classification_report`], [`regression`]), which predict batch by
//! batch through `&self` ([`Network::predict_into`](crate::Network::predict_into)) into one
//! reused output buffer.
//!
//! ```
//! use nn::metrics::ConfusionMatrix;
//! // (predicted, actual) class pairs of 5 samples
//! let cm = ConfusionMatrix::from_pairs(3, [(0, 0), (0, 1), (2, 2), (2, 2), (1, 2)])?;
//! assert_eq!(cm.accuracy(), 0.6);
//! let report = cm.report();
//! assert_eq!(report.class(2).f1, 0.8); // 2·TP / (2·TP + FP + FN) = 4 / 5
//! print!("{cm}\n\n{report}");
//! # Ok::<(), nn::metrics::MetricsError>(())
//! ```
//!
//! # Zero division
//!
//! A ratio whose denominator is 0 is **0**, as scikit-learn's default
//! (`zero_division="warn"`, which warns and uses 0): the precision of a class no sample was
//! predicted as, the recall of a class without samples, the F1 of a class with neither, the
//! weighted averages and the accuracy of an empty matrix. A printed [`ClassificationReport`]
//! ends with a `note:` line for every such score, in place of scikit-learn's warning. R² of
//! constant targets follows scikit-learn's `force_finite=True` (see [`OutputMetrics`]).

mod confusion;
mod evaluate;
mod regression;
mod report;

pub use confusion::ConfusionMatrix;
pub use evaluate::{classification_report, confusion_matrix, regression};
pub use regression::{OutputMetrics, RegressionReport};
pub use report::{Average, ClassMetrics, ClassificationReport};

use crate::layers::Prediction;

/// Why metrics could not be computed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum MetricsError {
    /// There is no sample to evaluate.
    #[error("no samples: metrics need at least one sample")]
    Empty,
    /// The predictions and the labels or targets count different samples.
    #[error("{predicted} predictions but {actual} labels or targets")]
    LengthMismatch {
        /// Predictions given.
        predicted: usize,
        /// Labels or targets given.
        actual: usize,
    },
    /// A score (a network's output, or a prediction given) is NaN or infinite: the network
    /// diverged or its input was not finite, so the prediction means nothing.
    #[error("the score of sample {sample} (output {output}) is {value}, which is not finite")]
    NonFiniteScore {
        /// The sample (its index in the data set or the slices).
        sample: usize,
        /// The output (row) of that sample.
        output: usize,
        /// The score.
        value: f64,
    },
    /// A regression target given to [`RegressionReport::from_slices`] or
    /// [`from_batches`](RegressionReport::from_batches) is NaN or infinite.
    #[error("the target of sample {sample} (output {output}) is {value}, which is not finite")]
    NonFiniteTarget {
        /// The sample.
        sample: usize,
        /// The output (row) of that sample.
        output: usize,
        /// The target.
        value: f64,
    },
    /// A label is not below the number of classes.
    #[error("the label of sample {sample} is {label}: expected a class index in 0..{classes}")]
    LabelOutOfRange {
        /// The sample.
        sample: usize,
        /// The label.
        label: usize,
        /// The number of classes.
        classes: usize,
    },
    /// A predicted class given to [`ConfusionMatrix::from_pairs`] or
    /// [`from_slices`](ConfusionMatrix::from_slices) is not below the number of classes.
    #[error("sample {sample} is predicted as class {class}: expected a class index in 0..{classes}")]
    PredictionOutOfRange {
        /// The sample.
        sample: usize,
        /// The predicted class.
        class: usize,
        /// The number of classes.
        classes: usize,
    },
    /// The network's scores do not name one class per sample: one output without a sigmoid
    /// (a regression), or several sigmoid outputs (multi-label).
    #[error("{}", not_a_classifier(*.outputs, *.prediction))]
    NotAClassifier {
        /// The network's outputs per sample.
        outputs: usize,
        /// What its scores mean ([`Network::prediction`](crate::Network::prediction)).
        prediction: Prediction,
    },
}

fn not_a_classifier(outputs: usize, prediction: Prediction) -> String {
    let why = match prediction {
        Prediction::Sigmoid => format!("its {outputs} sigmoid outputs are independent yes/no answers (multi-label)"),
        _ => format!("it has {outputs} output without a classification loss (a regression)"),
    };
    format!(
        "the network does not predict one class per sample: {why}; a confusion matrix needs `SoftmaxWithLoss`, \
         one output with `SigmoidWithLoss`, or two or more class scores"
    )
}

/// `num / den`, or 0 when `den` is 0 (the zero-division convention).
fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

#[cfg(test)]
mod tests;
