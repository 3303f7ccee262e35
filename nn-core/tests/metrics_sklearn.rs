//! Agreement with scikit-learn on a random case: a 5-class classification (200 samples, one
//! class never predicted, one without samples but predicted) and a 3-output regression (60 samples).
//!
//! Every expected value, and the data itself, is in `reference/metrics_sklearn_values.rs`,
//! printed by `reference/metrics_sklearn.py` (scikit-learn 1.9.1, numpy 2.4.6; regenerate
//! with `python3 nn-core/tests/reference/metrics_sklearn.py >
//! nn-core/tests/reference/metrics_sklearn_values.rs`).

use nn_core::batch_view;
use nn_core::metrics::{ConfusionMatrix, RegressionReport};

#[allow(dead_code)]
mod sklearn {
    include!("reference/metrics_sklearn_values.rs");
}

/// Agreement to a few ulps: the same ratios, summed in another order.
fn close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= 1e-14 * expected.abs().max(1.0),
        "{what}: nn gives {actual:e}, scikit-learn {expected:e}"
    );
}

fn matrix() -> ConfusionMatrix {
    ConfusionMatrix::from_slices(sklearn::CLASSES, &sklearn::PREDICTED, &sklearn::ACTUAL).unwrap()
}

#[test]
fn confusion_matrix_matches_sklearn() {
    let cm = matrix();
    let c = sklearn::CLASSES;
    for a in 0..c {
        for p in 0..c {
            assert_eq!(cm.get(a, p), sklearn::CONFUSION[a * c + p], "actual {a}, predicted {p}");
        }
    }
    assert_eq!(cm.accuracy(), sklearn::ACCURACY);
}

#[test]
fn precision_recall_f1_match_sklearn() {
    let report = matrix().report();
    for (c, m) in report.classes().iter().enumerate() {
        close(m.precision, sklearn::PRECISION[c], &format!("precision of class {c}"));
        close(m.recall, sklearn::RECALL[c], &format!("recall of class {c}"));
        close(m.f1, sklearn::F1[c], &format!("F1 of class {c}"));
        assert_eq!(m.support, sklearn::SUPPORT[c], "support of class {c}");
    }
    for (avg, expected, what) in [
        (report.macro_avg(), sklearn::MACRO_AVG, "macro"),
        (report.weighted_avg(), sklearn::WEIGHTED_AVG, "weighted"),
    ] {
        close(avg.precision, expected[0], &format!("{what} precision"));
        close(avg.recall, expected[1], &format!("{what} recall"));
        close(avg.f1, expected[2], &format!("{what} F1"));
        assert_eq!(avg.support, sklearn::ACTUAL.len());
    }
}

#[test]
fn printed_report_is_sklearns() {
    let report = matrix().with_names(&["cat", "dog", "bird", "fish", "horse"]).report();
    // scikit-learn warns where nn prints these notes
    let notes = "\n\nnote: class fish has no samples: its recall is set to 0\
                 \nnote: no sample was predicted as class horse: its precision is set to 0";
    assert_eq!(report.to_string(), format!("{}{notes}", sklearn::REPORT_2));
    assert_eq!(format!("{report:.4}"), format!("{}{notes}", sklearn::REPORT_4));
}

#[test]
fn regression_matches_sklearn() {
    let report = RegressionReport::from_batches(
        batch_view::<f64, 3>(&sklearn::Y_PRED),
        batch_view::<f64, 3>(&sklearn::Y_TRUE),
    )
    .unwrap();
    assert_eq!(report.samples(), sklearn::SAMPLES);
    // two-pass sums in numpy, one pass (Welford) here
    let close = |a: f64, e: f64, what: &str| {
        assert!(
            (a - e).abs() <= 1e-12 * e.abs().max(1.0),
            "{what}: nn gives {a:e}, scikit-learn {e:e}"
        )
    };
    for (k, m) in report.outputs().iter().enumerate() {
        close(m.mae, sklearn::MAE[k], &format!("MAE of output {k}"));
        close(m.rmse, sklearn::RMSE[k], &format!("RMSE of output {k}"));
        close(m.r2, sklearn::R2[k], &format!("R² of output {k}"));
    }
    close(report.mae(), sklearn::UNIFORM[0], "uniform MAE");
    close(report.rmse(), sklearn::UNIFORM[1], "uniform RMSE");
    close(report.r2(), sklearn::UNIFORM[2], "uniform R²");
}
