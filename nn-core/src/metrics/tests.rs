//! Hand-computed cases, the printed tables and the errors. Agreement with scikit-learn on a
//! random case: nn-core/tests/metrics_sklearn.rs; the network-driven functions:
//! tests/metrics.rs at the workspace root (they need `network!`).

use super::*;
use crate::batch::batch_from_rows;

/// `a` and `b` agree to a few ulps (the arithmetic order differs from the fractions below).
fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 4.0 * f64::EPSILON * b.abs().max(1.0),
        "{what}: {a} != {b}"
    );
}

/// 10 samples of 3 classes; rows are the actual class:
///
/// ```text
///            predicted 0  1  2   support
/// actual 0             2  1  1   4
/// actual 1             1  2  0   3
/// actual 2             0  1  2   3
/// predicted (column)   3  4  3   10
/// ```
const ACTUAL: [usize; 10] = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
const PREDICTED: [usize; 10] = [0, 0, 1, 2, 1, 1, 0, 2, 2, 1];

fn three_class() -> ConfusionMatrix {
    ConfusionMatrix::from_slices(3, &PREDICTED, &ACTUAL).unwrap()
}

#[test]
fn confusion_matrix_counts_by_actual_row_and_predicted_column() {
    let cm = three_class();
    let expected = [[2, 1, 1], [1, 2, 0], [0, 1, 2]];
    for (a, row) in expected.iter().enumerate() {
        for (p, &count) in row.iter().enumerate() {
            assert_eq!(cm.get(a, p), count, "actual {a}, predicted {p}");
        }
    }
    assert_eq!((cm.classes(), cm.total(), cm.correct()), (3, 10, 6));
    assert_eq!([cm.support(0), cm.support(1), cm.support(2)], [4, 3, 3]);
    assert_eq!([cm.predicted(0), cm.predicted(1), cm.predicted(2)], [3, 4, 3]);
    assert_eq!(cm.accuracy(), 0.6); // (2 + 2 + 2) / 10

    // the same from pairs, and added one at a time
    let pairs = PREDICTED.iter().copied().zip(ACTUAL.iter().copied());
    assert_eq!(ConfusionMatrix::from_pairs(3, pairs.clone()).unwrap(), cm);
    let mut added = ConfusionMatrix::new(3);
    for (p, a) in pairs {
        added.add(p, a);
    }
    assert_eq!(added, cm);
}

#[test]
fn precision_recall_f1_by_hand() {
    let r = three_class().report();
    // class 0: TP = 2, FP = 1 (column 0: 3 − 2), FN = 2 (row 0: 4 − 2)
    //   P = 2/3, R = 2/4, F1 = 2·2 / (2·2 + 1 + 2) = 4/7
    // class 1: TP = 2, FP = 2 (4 − 2), FN = 1 (3 − 2)
    //   P = 2/4, R = 2/3, F1 = 4 / (4 + 2 + 1) = 4/7
    // class 2: TP = 2, FP = 1 (3 − 2), FN = 1 (3 − 2)
    //   P = 2/3, R = 2/3, F1 = 4 / (4 + 1 + 1) = 2/3
    let expected = [
        (2.0 / 3.0, 0.5, 4.0 / 7.0, 4),
        (0.5, 2.0 / 3.0, 4.0 / 7.0, 3),
        (2.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0, 3),
    ];
    for (c, &(p, rc, f1, support)) in expected.iter().enumerate() {
        let m = r.class(c);
        close(m.precision, p, &format!("precision {c}"));
        close(m.recall, rc, &format!("recall {c}"));
        close(m.f1, f1, &format!("f1 {c}"));
        assert_eq!(m.support, support, "support {c}");
        // F1 is the harmonic mean of P and R when both are defined
        close(m.f1, 2.0 * p * rc / (p + rc), &format!("harmonic mean {c}"));
    }
    // macro: P = (2/3 + 1/2 + 2/3) / 3 = 11/18, R = (1/2 + 2/3 + 2/3) / 3 = 11/18,
    //        F1 = (4/7 + 4/7 + 2/3) / 3 = (24/21 + 14/21) / 3 = 38/63
    let m = r.macro_avg();
    close(m.precision, 11.0 / 18.0, "macro precision");
    close(m.recall, 11.0 / 18.0, "macro recall");
    close(m.f1, 38.0 / 63.0, "macro f1");
    // weighted by support (4, 3, 3) / 10:
    //   P = (4·2/3 + 3·1/2 + 3·2/3) / 10 = (16/6 + 9/6 + 12/6) / 10 = 37/60
    //   R = (4·1/2 + 3·2/3 + 3·2/3) / 10 = 6/10 (the accuracy, as always)
    //   F1 = (4·4/7 + 3·4/7 + 3·2/3) / 10 = (4 + 2) / 10 = 6/10
    let w = r.weighted_avg();
    close(w.precision, 37.0 / 60.0, "weighted precision");
    close(w.recall, 0.6, "weighted recall");
    close(w.f1, 0.6, "weighted f1");
    assert_eq!((m.support, w.support, r.total()), (10, 10, 10));
    assert_eq!(r.accuracy(), 0.6);
}

#[test]
fn zero_division_gives_zero() {
    // class 1 is never predicted, class 2 has no samples, class 3 has neither
    let cm = ConfusionMatrix::from_slices(4, &[0, 0, 2, 0], &[0, 1, 0, 0]).unwrap();
    let r = cm.report();
    // class 0: TP = 2, predicted 3, support 3: P = R = F1 = 2/3
    close(r.class(0).precision, 2.0 / 3.0, "precision 0");
    // class 1: TP = 0 of 0 predicted (0/0 → 0), of 1 sample (0/1 = 0)
    assert_eq!(
        (r.class(1).precision, r.class(1).recall, r.class(1).f1),
        (0.0, 0.0, 0.0)
    );
    // class 2: predicted once wrongly (0/1), no sample (0/0 → 0)
    assert_eq!((r.class(2).precision, r.class(2).recall), (0.0, 0.0));
    // class 3: 0/0 everywhere
    assert_eq!(
        (r.class(3).precision, r.class(3).recall, r.class(3).f1),
        (0.0, 0.0, 0.0)
    );
    close(
        r.macro_avg().precision,
        (2.0 / 3.0) / 4.0,
        "macro precision includes empty classes",
    );

    let empty = ConfusionMatrix::new(2);
    let r = empty.report();
    assert_eq!(
        (empty.accuracy(), r.weighted_avg().precision, r.macro_avg().f1),
        (0.0, 0.0, 0.0)
    );
}

#[test]
fn confusion_matrix_display() {
    let cm = three_class();
    assert_eq!(
        cm.to_string(),
        "\
actual \\ predicted  0  1  2
0                   2  1  1
1                   1  2  0
2                   0  1  2"
    );
    // names and counts wider than one character set the column widths
    let mut cm = cm.with_names(&["setosa", "versicolor", "virginica-long-name"]);
    for _ in 0..1234 {
        cm.add(1, 0);
    }
    assert_eq!(
        cm.to_string(),
        "\
actual \\ predicted   setosa  versicolor  virginica-long-name
setosa                    2        1235                    1
versicolor                1           2                    0
virginica-long-name       0           1                    2"
    );
}

#[test]
fn classification_report_display() {
    // the same layout as scikit-learn's classification_report(actual, predicted) for
    // ACTUAL / PREDICTED (printed by it, with the final newline left out)
    assert_eq!(
        three_class().report().to_string(),
        "              precision    recall  f1-score   support

           0       0.67      0.50      0.57         4
           1       0.50      0.67      0.57         3
           2       0.67      0.67      0.67         3

    accuracy                           0.60        10
   macro avg       0.61      0.61      0.60        10
weighted avg       0.62      0.60      0.60        10"
    );
    // digits = 4, names, and the notes of the zero-division convention
    let cm = ConfusionMatrix::from_slices(3, &[0, 0, 0], &[0, 1, 0]).unwrap();
    let report = cm.with_names(&["a much longer name", "b", "c"]).report();
    assert_eq!(
        format!("{report:.4}"),
        "                    precision    recall  f1-score   support

a much longer name     0.6667    1.0000    0.8000         2
                 b     0.0000    0.0000    0.0000         1
                 c     0.0000    0.0000    0.0000         0

          accuracy                         0.6667         3
         macro avg     0.2222    0.3333    0.2667         3
      weighted avg     0.4444    0.6667    0.5333         3

note: no sample was predicted as class b: its precision is set to 0
note: class c has no samples and no predictions: its precision, recall and F1 are set to 0"
    );
    let renamed = report.with_names(&["x", "y", "z"]);
    assert_eq!(renamed.names(), ["x", "y", "z"]);
}

#[test]
fn confusion_matrix_errors_name_the_sample() {
    assert_eq!(
        ConfusionMatrix::from_slices(3, &[0, 1], &[0]),
        Err(MetricsError::LengthMismatch {
            predicted: 2,
            actual: 1
        })
    );
    let err = ConfusionMatrix::from_slices(3, &[0, 1, 2], &[0, 3, 1]).unwrap_err();
    assert_eq!(
        err,
        MetricsError::LabelOutOfRange {
            sample: 1,
            label: 3,
            classes: 3
        }
    );
    assert_eq!(
        err.to_string(),
        "the label of sample 1 is 3: expected a class index in 0..3"
    );
    let err = ConfusionMatrix::from_pairs(2, [(0, 0), (1, 1), (5, 0)]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "sample 2 is predicted as class 5: expected a class index in 0..2"
    );
}

#[test]
#[should_panic(expected = "ConfusionMatrix::add: (predicted 2, actual 0) is not a pair of classes in 0..2")]
fn add_out_of_range_panics() {
    ConfusionMatrix::new(2).add(2, 0);
}

#[test]
#[should_panic(expected = "ConfusionMatrix::with_names: 2 names for 3 classes")]
fn wrong_number_of_names_panics() {
    let _ = ConfusionMatrix::new(3).with_names(&["a", "b"]);
}

#[test]
fn regression_perfect_and_mean_predictions() {
    let y = [3.0f64, -1.0, 2.5, 7.0, 0.5];
    let perfect = RegressionReport::from_slices(&y, &y).unwrap();
    assert_eq!((perfect.mae(), perfect.rmse(), perfect.r2()), (0.0, 0.0, 1.0));
    assert!(!perfect.output(0).constant_target);

    // ȳ = (3 − 1 + 2.5 + 7 + 0.5) / 5 = 2.4 in every sample: SS_res = SS_tot, R² = 0
    let mean = [2.4f64; 5];
    let r = RegressionReport::from_slices(&mean, &y).unwrap();
    close(r.r2(), 0.0, "R² of the mean");
    // |e| = 0.6, 3.4, 0.1, 4.6, 1.9: MAE = 10.6 / 5
    close(r.mae(), 10.6 / 5.0, "MAE of the mean");
    assert_eq!(r.samples(), 5);
}

#[test]
fn regression_by_hand() {
    // e = ŷ − y = (0, −1, 2): MAE = 3/3 = 1, RMSE = sqrt(5/3);
    // ȳ = 2, SS_tot = 1 + 1 + 0 = 2, SS_res = 5: R² = 1 − 5/2 = −1.5
    let r = RegressionReport::from_slices(&[1.0f32, 2.0, 4.0], &[1.0, 3.0, 2.0]).unwrap();
    let m = r.output(0);
    assert_eq!((m.mae, m.r2), (1.0, -1.5));
    close(m.rmse, (5.0f64 / 3.0).sqrt(), "rmse");

    // two outputs, averaged uniformly; output 1: e = (1, 1, −1), ȳ = 0 over (0, 1, −1):
    //   MAE = 1, RMSE = 1, SS_tot = 2, SS_res = 3, R² = −0.5
    let predicted = batch_from_rows(&[[1.0f64, 1.0], [2.0, 2.0], [4.0, -2.0]]);
    let actual = batch_from_rows(&[[1.0f64, 0.0], [3.0, 1.0], [2.0, -1.0]]);
    let r = RegressionReport::from_batches(&predicted, &actual).unwrap();
    assert_eq!(r.outputs().len(), 2);
    assert_eq!((r.output(1).mae, r.output(1).rmse, r.output(1).r2), (1.0, 1.0, -0.5));
    assert_eq!((r.mae(), r.r2()), (1.0, (-1.5 - 0.5) / 2.0));
    close(r.rmse(), ((5.0f64 / 3.0).sqrt() + 1.0) / 2.0, "mean of the RMSEs");
}

#[test]
fn regression_constant_targets() {
    // SS_tot = 0: R² = 1 for exact predictions, 0 otherwise (scikit-learn's force_finite)
    let exact = RegressionReport::from_slices(&[2.0f64, 2.0], &[2.0, 2.0]).unwrap();
    assert_eq!((exact.r2(), exact.output(0).constant_target), (1.0, true));
    let off = RegressionReport::from_slices(&[2.0f64, 3.0], &[2.0, 2.0]).unwrap();
    assert_eq!((off.r2(), off.output(0).constant_target), (0.0, true));
    // 0.1 is not exact in binary, but Welford's mean of equal values is that value
    let tenth = RegressionReport::from_slices(&[0.1f64, 0.1, 0.1], &[0.1, 0.1, 0.1]).unwrap();
    assert_eq!((tenth.r2(), tenth.output(0).constant_target), (1.0, true));
    assert!(off
        .to_string()
        .ends_with("\nnote: every target of output 0 is the same (SS_tot = 0): its R² is set to 0"));
}

#[test]
fn regression_display() {
    let predicted = batch_from_rows(&[[1.0f64, 1.0], [2.0, 2.0], [4.0, -2.0]]);
    let actual = batch_from_rows(&[[1.0f64, 0.0], [3.0, 1.0], [2.0, -1.0]]);
    let r = RegressionReport::from_batches(&predicted, &actual).unwrap();
    assert_eq!(
        r.to_string(),
        "\
output          MAE       RMSE         R²
0            1.0000     1.2910    -1.5000
1            1.0000     1.0000    -0.5000
average      1.0000     1.1455    -1.0000

3 samples"
    );
    let r = RegressionReport::from_slices(&[1.0f64, 2.0], &[1.0, 2.0])
        .unwrap()
        .with_names(&["price (k€)"]);
    assert_eq!(
        format!("{r:.2}"),
        "\
output             MAE       RMSE         R²
price (k€)        0.00       0.00       1.00

2 samples"
    );
}

#[test]
fn regression_errors() {
    assert_eq!(RegressionReport::from_slices::<f64>(&[], &[]), Err(MetricsError::Empty));
    assert_eq!(
        RegressionReport::from_slices(&[1.0f64], &[1.0, 2.0]),
        Err(MetricsError::LengthMismatch {
            predicted: 1,
            actual: 2
        })
    );
    let err = RegressionReport::from_slices(&[1.0f64, f64::NAN], &[1.0, 2.0]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the score of sample 1 (output 0) is NaN, which is not finite"
    );
    let predicted = batch_from_rows(&[[1.0f32, 1.0], [2.0, 2.0]]);
    let actual = batch_from_rows(&[[1.0f32, 0.0], [3.0, f32::INFINITY]]);
    let err = RegressionReport::from_batches(&predicted, &actual).unwrap_err();
    assert_eq!(
        err,
        MetricsError::NonFiniteTarget {
            sample: 1,
            output: 1,
            value: f64::INFINITY
        }
    );
}
