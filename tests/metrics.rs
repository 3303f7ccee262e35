//! `nn::metrics` driven by a network: `confusion_matrix`, `classification_report` and
//! `regression` on tiny `network!` nets with hand-set weights, whose predictions are worked
//! out by hand; their errors; and one reused output buffer (allocations do not grow with the
//! number of batches).

use nn::alloc_counter::count_allocations;
use nn::data::Dataset;
use nn::metrics::{self, ConfusionMatrix, MetricsError, RegressionReport};
use nn::{batch_from_rows, Batch, Prediction};

nn::network! {
    /// Three class scores `s = W·x + b`.
    pub struct Classifier { input: 2, fc: Affine(3), loss: SoftmaxWithLoss }
}

nn::network! {
    /// A binary classifier: one score, sigmoid.
    pub struct Binary { input: 1, fc: Affine(1), loss: SigmoidWithLoss }
}

nn::network! {
    /// Two regression outputs.
    pub struct Regressor { input: 1, fc: Affine(2), loss: MeanSquaredError }
}

nn::network! {
    /// Three scores, no loss layer.
    pub struct Scores { input: 2, fc: Affine(3) }
}

nn::network! {
    /// One regression output.
    pub struct Line { input: 1, fc: Affine(1), loss: MeanSquaredError }
}

nn::network! {
    /// Two independent sigmoid outputs (multi-label).
    pub struct MultiLabel { input: 1, fc: Affine(2), loss: SigmoidWithLoss }
}

/// Scores `(x₀, x₁, 0.5)`: class 0 if `x₀` is the largest, 1 if `x₁` is, else 2.
fn classifier() -> Classifier<f32> {
    let mut net = Classifier::zeroed();
    net.fc.w.copy_from_slice(&[1.0, 0.0, 0.0, 0.0, 1.0, 0.0]); // column-major 3 × 2: W = [[1, 0], [0, 1], [0, 0]]
    net.fc.b.copy_from_slice(&[0.0, 0.0, 0.5]);
    net
}

/// Samples, their labels, and the class `classifier()` predicts for each (by hand).
fn samples() -> (Batch<f32, 2>, Vec<usize>, Vec<usize>) {
    let rows = [
        [1.0, 0.0],  // scores (1, 0, 0.5): class 0
        [0.0, 2.0],  // (0, 2, 0.5): 1
        [0.2, 0.1],  // (0.2, 0.1, 0.5): 2
        [3.0, 1.0],  // (3, 1, 0.5): 0
        [-1.0, 0.0], // (−1, 0, 0.5): 2
        [1.0, 1.0],  // (1, 1, 0.5): a tie, the first wins: 0
        [0.0, 0.7],  // (0, 0.7, 0.5): 1
    ];
    let labels = vec![0, 1, 0, 0, 2, 1, 2];
    let predicted = vec![0, 1, 2, 0, 2, 0, 1];
    (batch_from_rows(&rows), labels, predicted)
}

#[test]
fn confusion_matrix_of_a_softmax_network() {
    let net = classifier();
    assert_eq!(net.prediction(), Prediction::Softmax);
    let (x, labels, predicted) = samples();
    let data = Dataset::classification(x, labels.clone(), 3).unwrap();
    let expected = ConfusionMatrix::from_slices(3, &predicted, &labels).unwrap();
    // by hand: actual 0 → predicted 0, 2, 0; actual 1 → 1, 0; actual 2 → 2, 1
    assert_eq!(
        (
            expected.get(0, 0),
            expected.get(0, 2),
            expected.get(1, 0),
            expected.get(2, 1)
        ),
        (2, 1, 1, 1)
    );
    // every batch size gives the same matrix: one sample, a short last batch, one batch, more
    for batch_size in [1, 2, 3, 7, 100] {
        let cm = metrics::confusion_matrix(&net, &data, batch_size).unwrap();
        assert_eq!(cm, expected, "batch size {batch_size}");
    }
    let report = metrics::classification_report(&net, &data, 3).unwrap();
    assert_eq!(report, expected.report());
    assert_eq!(report.accuracy(), 4.0 / 7.0); // samples 0, 1, 3, 4
}

#[test]
fn a_network_without_loss_is_classified_by_its_largest_score() {
    let mut net = Scores::zeroed_f64();
    net.fc.w.copy_from_slice(&[1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
    net.fc.b.copy_from_slice(&[0.0, 0.0, 0.5]);
    assert_eq!(net.prediction(), Prediction::Scores);
    let x = batch_from_rows(&[[1.0, 0.0], [0.0, 2.0], [0.2, 0.1]]);
    let data = Dataset::classification(x, vec![0, 1, 2], 3).unwrap();
    let cm = metrics::confusion_matrix(&net, &data, 2).unwrap();
    assert_eq!((cm.correct(), cm.total()), (3, 3));
}

#[test]
fn binary_sigmoid_network_thresholds_at_one_half() {
    // score = x: σ(x) > 0.5 exactly when x > 0, so x = 0 (σ = 0.5) is class 0
    let mut net = Binary::zeroed();
    net.fc.w[0] = 1.0;
    let x = batch_from_rows(&[[-2.0], [0.0], [0.5], [3.0], [-0.1]]);
    let data = Dataset::classification(x, vec![0, 1, 1, 0, 0], 2).unwrap();
    let cm = metrics::confusion_matrix(&net, &data, 2).unwrap();
    // predicted 0, 0, 1, 1, 0 against actual 0, 1, 1, 0, 0
    assert_eq!(
        cm,
        ConfusionMatrix::from_slices(2, &[0, 0, 1, 1, 0], &[0, 1, 1, 0, 0]).unwrap()
    );
    assert_eq!(cm.classes(), 2);
}

/// `y = (2x + 1, −x)`.
fn regressor() -> Regressor<f64> {
    let mut net = Regressor::zeroed_f64();
    net.fc.w.copy_from_slice(&[2.0, -1.0]);
    net.fc.b.copy_from_slice(&[1.0, 0.0]);
    net
}

#[test]
fn regression_of_exact_and_of_mean_predictions() {
    let net = regressor();
    let x = batch_from_rows(&[[0.0], [1.0], [2.0], [-3.0], [0.5]]);
    let exact = Batch::<f64, 2>::from_fn(5, |k, n| if k == 0 { 2.0 * x[n] + 1.0 } else { -x[n] });
    let data = Dataset::regression(x.clone(), exact).unwrap();
    for batch_size in [1, 2, 5, 9] {
        let r = metrics::regression(&net, &data, batch_size).unwrap();
        assert_eq!(
            (r.mae(), r.rmse(), r.r2(), r.samples()),
            (0.0, 0.0, 1.0, 5),
            "batch size {batch_size}"
        );
    }

    // targets whose mean is the prediction: both outputs predict their targets' mean
    // everywhere (x = 0 in every sample), so R² = 0
    let x0 = Batch::<f64, 1>::zeros(4);
    let y = batch_from_rows(&[[0.0, 1.0], [2.0, -1.0], [1.5, 0.5], [0.5, -0.5]]); // means (1, 0)
    let data = Dataset::regression(x0.clone(), y.clone()).unwrap();
    let r = metrics::regression(&net, &data, 3).unwrap();
    assert_eq!((r.output(0).r2, r.output(1).r2), (0.0, 0.0));
    // and the same numbers as the report of the predictions themselves
    let predicted = batch_from_rows(&[[1.0, 0.0]; 4]);
    assert_eq!(r, RegressionReport::from_batches(&predicted, &y).unwrap());
}

#[test]
fn regression_compares_probabilities_for_a_sigmoid_network() {
    // zero weights: σ(0) = 0.5 for every sample, against targets 0, 1, 0, 1
    let net = Binary::zeroed_f64();
    let x = batch_from_rows(&[[1.0], [2.0], [3.0], [4.0]]);
    let t = batch_from_rows(&[[0.0], [1.0], [0.0], [1.0]]);
    let r = metrics::regression(&net, &Dataset::regression(x, t).unwrap(), 4).unwrap();
    assert_eq!((r.mae(), r.rmse(), r.r2()), (0.5, 0.5, 0.0));
}

#[test]
fn errors() {
    let net = classifier();
    // an empty data set
    let empty = Dataset::classification(Batch::<f32, 2>::zeros(0), vec![], 3).unwrap();
    assert_eq!(metrics::confusion_matrix(&net, &empty, 4), Err(MetricsError::Empty));
    let empty = Dataset::regression(Batch::<f64, 1>::zeros(0), Batch::<f64, 2>::zeros(0)).unwrap();
    assert_eq!(metrics::regression(&regressor(), &empty, 4), Err(MetricsError::Empty));

    // a label the network has no class for (the data set was built without a class count)
    let (x, _, _) = samples();
    let data = Dataset::new(x.clone(), vec![0, 1, 2, 0, 3, 1, 2]).unwrap();
    let err = metrics::confusion_matrix(&net, &data, 2).unwrap_err();
    assert_eq!(
        err,
        MetricsError::LabelOutOfRange {
            sample: 4,
            label: 3,
            classes: 3
        }
    );

    // a NaN weight: the scores of every sample with x₁ ≠ 0 are NaN (0 · NaN is NaN as well)
    let mut poisoned = classifier();
    poisoned.fc.w[4] = f32::NAN; // W[1][1]
    let data = Dataset::classification(x, vec![0; 7], 3).unwrap();
    let err = metrics::confusion_matrix(&poisoned, &data, 3).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the score of sample 0 (output 1) is NaN, which is not finite"
    );
    let mut poisoned = regressor();
    poisoned.fc.b[1] = f64::INFINITY;
    let data = Dataset::regression(Batch::<f64, 1>::zeros(3), Batch::<f64, 2>::zeros(3)).unwrap();
    assert_eq!(
        metrics::regression(&poisoned, &data, 2),
        Err(MetricsError::NonFiniteScore {
            sample: 0,
            output: 1,
            value: f64::INFINITY
        })
    );

    // networks whose scores are not one class per sample
    let data = Dataset::classification(batch_from_rows(&[[1.0f64]]), vec![0], 2).unwrap();
    let err = metrics::confusion_matrix(&Line::zeroed_f64(), &data, 1).unwrap_err();
    assert_eq!(
        err,
        MetricsError::NotAClassifier {
            outputs: 1,
            prediction: Prediction::Scores
        }
    );
    assert_eq!(
        err.to_string(),
        "the network does not predict one class per sample: it has 1 output without a classification loss \
         (a regression); a confusion matrix needs `SoftmaxWithLoss`, one output with `SigmoidWithLoss`, or two or \
         more class scores"
    );
    let err = metrics::classification_report(&MultiLabel::zeroed_f64(), &data, 1).unwrap_err();
    assert_eq!(
        err,
        MetricsError::NotAClassifier {
            outputs: 2,
            prediction: Prediction::Sigmoid
        }
    );
}

#[test]
#[should_panic(expected = "metrics::confusion_matrix: the batch size must be at least 1")]
fn batch_size_zero_panics() {
    let (x, labels, _) = samples();
    let _ = metrics::confusion_matrix(&classifier(), &Dataset::classification(x, labels, 3).unwrap(), 0);
}

#[test]
fn one_output_buffer_for_all_batches() {
    // the allocations of a pass do not depend on the number of batches: 2 or 50 batches of 4
    let net = classifier();
    let data = |n: usize| {
        let x = Batch::<f32, 2>::from_fn(n, |d, i| ((i * 7 + d * 3) % 11) as f32 - 5.0);
        Dataset::classification(x, (0..n).map(|i| i % 3).collect(), 3).unwrap()
    };
    let (small, large) = (data(8), data(200));
    metrics::confusion_matrix(&net, &large, 4).unwrap(); // warm-up: the per-thread scratch
    let (_, few) = count_allocations(|| metrics::confusion_matrix(&net, &small, 4).unwrap());
    let (_, many) = count_allocations(|| metrics::confusion_matrix(&net, &large, 4).unwrap());
    assert_eq!(few, many, "2 batches allocated {few} times, 50 batches {many} times");

    let net = regressor();
    let data = |n: usize| {
        let x = Batch::<f64, 1>::from_fn(n, |_, i| i as f64);
        Dataset::regression(x.clone(), Batch::<f64, 2>::from_fn(n, |k, i| (i + k) as f64)).unwrap()
    };
    let (small, large) = (data(8), data(200));
    metrics::regression(&net, &large, 4).unwrap();
    let (_, few) = count_allocations(|| metrics::regression(&net, &small, 4).unwrap());
    let (_, many) = count_allocations(|| metrics::regression(&net, &large, 4).unwrap());
    assert_eq!(few, many, "2 batches allocated {few} times, 50 batches {many} times");
}
