//! The metrics of a network on a data set: its predictions batch by batch, through `&self`.

use super::confusion::ConfusionMatrix;
use super::regression::{RegressionReport, RegressionSums};
use super::report::ClassificationReport;
use super::MetricsError;
use crate::batch::{Batch, BatchBuf};
use crate::data::Dataset;
use crate::float::Float;
use crate::layers::{argmax, Prediction};
use crate::network::Network;

/// How a network's scores (`predict`'s output) become a class, from its
/// [`prediction`](Network::prediction) and output width.
#[derive(Clone, Copy)]
enum Classify {
    /// The class of the largest score (`SoftmaxWithLoss`, or class scores without a loss).
    Argmax,
    /// One sigmoid output: class 1 if `σ(s) > 0.5`, that is `s > 0` (`SigmoidWithLoss`'s
    /// rule for its accuracy).
    Threshold,
}

impl Classify {
    fn of(prediction: Prediction, outputs: usize) -> Result<(Self, usize), MetricsError> {
        match (prediction, outputs) {
            (Prediction::Softmax, n) => Ok((Self::Argmax, n)),
            (Prediction::Sigmoid, 1) => Ok((Self::Threshold, 2)),
            (Prediction::Scores, n) if n >= 2 => Ok((Self::Argmax, n)),
            (prediction, outputs) => Err(MetricsError::NotAClassifier { outputs, prediction }),
        }
    }

    fn class<T: Float>(self, scores: &[T]) -> usize {
        match self {
            Self::Argmax => argmax(scores),
            Self::Threshold => usize::from(scores[0] > T::zero()),
        }
    }
}

/// The confusion matrix of `net`'s predictions on `data`, predicting `batch_size` samples at
/// a time with [`Network::predict_into`] into one reused output buffer.
///
/// The predicted class of a sample, from the network's [`Prediction`]:
///
/// - `Softmax` (`SoftmaxWithLoss`): the index of the largest score (the largest
///   probability), over `OUT` classes;
/// - `Sigmoid` with one output (`SigmoidWithLoss`, binary): class 1 if `σ(score) > 0.5`
///   (`score > 0`), else 0, over 2 classes;
/// - `Scores` with `OUT ≥ 2` (a network without a loss, or `MeanSquaredError`): the scores
///   are taken as class scores, the largest wins, over `OUT` classes.
///
/// Errors: [`MetricsError::Empty`] for an empty data set,
/// [`NotAClassifier`](MetricsError::NotAClassifier) for another network (one output
/// without a sigmoid, or several sigmoid outputs: multi-label),
/// [`NonFiniteScore`](MetricsError::NonFiniteScore) naming the first sample whose scores hold
/// a NaN or an infinity (diverged weights: its class would be meaningless), and
/// [`LabelOutOfRange`](MetricsError::LabelOutOfRange) for a label not below the classes.
/// Panics if `batch_size` is 0.
///
/// ```
/// use nn::metrics;
/// nn::network! { pub struct Net { input: 2, fc: Affine(3), loss: SoftmaxWithLoss } }
/// let net = Net::zeroed(); // every score 0: argmax picks class 0
/// let x = nn::batch_from_rows(&[[0.0f32, 1.0], [1.0, 0.0], [2.0, 2.0]]);
/// let data = nn::data::Dataset::classification(x, vec![0, 2, 0], 3)?;
/// let cm = metrics::confusion_matrix(&net, &data, 2)?;
/// assert_eq!((cm.get(0, 0), cm.get(2, 0), cm.accuracy()), (2, 1, 2.0 / 3.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[track_caller]
pub fn confusion_matrix<T, N, const IN: usize, const OUT: usize>(
    net: &N,
    data: &Dataset<T, IN>,
    batch_size: usize,
) -> Result<ConfusionMatrix, MetricsError>
where
    T: Float,
    N: Network<T, IN, OUT> + ?Sized,
{
    let (rule, classes) = Classify::of(net.prediction(), OUT)?;
    let mut cm = ConfusionMatrix::new(classes);
    let labels = data.labels();
    for_each_prediction(net, data.x(), batch_size, "confusion_matrix", |sample, scores| {
        check_finite(sample, scores)?;
        let label = labels[sample];
        if label >= classes {
            return Err(MetricsError::LabelOutOfRange { sample, label, classes });
        }
        cm.add(rule.class(scores), label);
        Ok(())
    })?;
    Ok(cm)
}

/// Precision, recall, F1 and support per class of `net` on `data`: the
/// [`report`](ConfusionMatrix::report) of [`confusion_matrix`] (same rules and errors).
#[track_caller]
pub fn classification_report<T, N, const IN: usize, const OUT: usize>(
    net: &N,
    data: &Dataset<T, IN>,
    batch_size: usize,
) -> Result<ClassificationReport, MetricsError>
where
    T: Float,
    N: Network<T, IN, OUT> + ?Sized,
{
    Ok(confusion_matrix(net, data, batch_size)?.report())
}

/// MAE, RMSE and R² of `net`'s predictions on a regression data set (targets `OUT × N`),
/// per output and averaged ([`RegressionReport`]), predicting `batch_size` samples at a
/// time into one reused output buffer.
///
/// The predictions compared with the targets are what the network's [`Prediction`] says
/// its scores mean: the scores themselves (`Scores`: `MeanSquaredError` or no loss), their
/// sigmoid (`Sigmoid`: probabilities of `SigmoidWithLoss`) or each sample's softmax
/// (`Softmax`).
///
/// Errors: [`MetricsError::Empty`] for an empty data set and
/// [`NonFiniteScore`](MetricsError::NonFiniteScore) naming the first sample and output
/// whose score is NaN or infinite. Panics if `batch_size` is 0.
///
/// ```
/// use nn::metrics;
/// nn::network! { pub struct Line { input: 1, fc: Affine(1), loss: MeanSquaredError } }
/// let net = Line::zeroed_f64(); // predicts 0 everywhere
/// let x = nn::batch_from_rows(&[[1.0], [2.0], [3.0]]);
/// let y = nn::batch_from_rows(&[[0.0], [1.0], [-1.0]]); // mean 0: R² = 0
/// let data = nn::data::Dataset::regression(x, y)?;
/// let report = metrics::regression(&net, &data, 2)?;
/// assert_eq!((report.mae(), report.r2()), (2.0 / 3.0, 0.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[track_caller]
pub fn regression<T, N, const IN: usize, const OUT: usize>(
    net: &N,
    data: &Dataset<T, IN, Batch<T, OUT>>,
    batch_size: usize,
) -> Result<RegressionReport, MetricsError>
where
    T: Float,
    N: Network<T, IN, OUT> + ?Sized,
{
    let prediction = net.prediction();
    let targets = data.y().as_slice();
    let mut sums = RegressionSums::new(OUT);
    for_each_prediction(net, data.x(), batch_size, "regression", |sample, scores| {
        check_finite(sample, scores)?;
        link(prediction, scores);
        sums.push(sample, scores, &targets[sample * OUT..(sample + 1) * OUT])
    })?;
    sums.finish()
}

/// Calls `f(sample, scores)` for every sample of `x` in order, with the network's scores of
/// that sample, predicted `batch_size` samples at a time into one output buffer; stops at
/// the first error. Errors with [`MetricsError::Empty`] for no samples.
#[track_caller]
fn for_each_prediction<T, N, const IN: usize, const OUT: usize>(
    net: &N,
    x: &Batch<T, IN>,
    batch_size: usize,
    function: &str,
    mut f: impl FnMut(usize, &mut [T]) -> Result<(), MetricsError>,
) -> Result<(), MetricsError>
where
    T: Float,
    N: Network<T, IN, OUT> + ?Sized,
{
    assert!(batch_size > 0, "metrics::{function}: the batch size must be at least 1");
    let n = x.ncols();
    if n == 0 {
        return Err(MetricsError::Empty);
    }
    let mut out = BatchBuf::<T, OUT>::new();
    for start in (0..n).step_by(batch_size) {
        let len = batch_size.min(n - start);
        out.resize(len);
        net.predict_into(x.columns(start, len), out.view_mut());
        for (i, scores) in out.as_mut_slice().chunks_exact_mut(OUT).enumerate() {
            f(start + i, scores)?;
        }
    }
    Ok(())
}

/// [`MetricsError::NonFiniteScore`] for the first non-finite score of `sample`.
fn check_finite<T: Float>(sample: usize, scores: &[T]) -> Result<(), MetricsError> {
    match scores.iter().position(|s| !s.is_finite()) {
        None => Ok(()),
        Some(output) => Err(MetricsError::NonFiniteScore {
            sample,
            output,
            value: scores[output].as_f64(),
        }),
    }
}

/// Turns one sample's finite scores into the prediction in place: `σ(s)` for `Sigmoid`,
/// `exp(s − max s) / Σ exp(s − max s)` for `Softmax`, unchanged for `Scores`.
fn link<T: Float>(prediction: Prediction, scores: &mut [T]) {
    match prediction {
        Prediction::Scores => {}
        Prediction::Sigmoid => {
            for s in scores {
                *s = T::one() / (T::one() + (-*s).exp());
            }
        }
        Prediction::Softmax => {
            let max = scores.iter().copied().fold(scores[0], |a, b| if b > a { b } else { a });
            let mut sum = T::zero();
            for s in scores.iter_mut() {
                *s = (*s - max).exp();
                sum += *s;
            }
            for s in scores {
                *s /= sum;
            }
        }
    }
}
