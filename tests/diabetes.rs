//! The diabetes example on real data: the network's held-out R² and RMSE, in the target's
//! units, for several split/initialization seeds, and the example's unit conversion checked
//! against the metrics of its predictions in those units.

#[path = "../examples/diabetes.rs"]
#[allow(dead_code)]
mod diabetes_example;

use diabetes_example::{run, Settings};
use nn::metrics::RegressionReport;
use nn::train::Progress;

#[test]
fn the_data_set_is_linfas_diabetes() {
    let d = diabetes_example::diabetes();
    // linfa-datasets 0.8 drops the first of the 442 patients (it reads the header-less CSV
    // as if it had a header): the first sample here is scikit-learn's second.
    assert_eq!(d.len(), 441);
    assert_eq!(d.y().as_slice()[..3], [75.0, 141.0, 206.0]);
    assert_eq!(d.sample(0)[..2], [-1.882_016_5e-3, -4.464_163_7e-2]);
    let y = d.y().as_slice();
    let (lo, hi) = y
        .iter()
        .fold((f32::MAX, f32::MIN), |(lo, hi), &t| (lo.min(t), hi.max(t)));
    assert_eq!((lo, hi), (25.0, 346.0));
}

#[test]
fn held_out_r2_is_above_0_3() {
    let settings = Settings::default();
    for seed in [0, 1, 2] {
        let r = run(seed, settings, Progress::Silent).unwrap();
        let (test, linear) = (r.test, r.linear);
        println!(
            "seed {seed}: test RMSE {:.2}, MAE {:.2}, R² {:.3} (least squares: RMSE {:.2}, R² {:.3}; test std {:.2})",
            test.rmse, test.mae, test.r2, linear.rmse, linear.r2, r.test_std
        );
        assert_eq!(r.sizes, (353, 88));
        assert!(test.r2 > 0.3, "seed {seed}: held-out R² {}", test.r2);
        // better than predicting the mean, of the test targets or of the training ones
        assert!(
            test.rmse < r.test_std,
            "seed {seed}: RMSE {} ≥ std {}",
            test.rmse,
            r.test_std
        );
        let train_std = f64::from(r.target.std[0]);
        assert!(
            test.rmse < train_std,
            "seed {seed}: RMSE {} ≥ std {train_std}",
            test.rmse
        );
        // not much worse than a linear fit of the same split
        assert!(
            test.r2 > linear.r2 - 0.1,
            "seed {seed}: R² {} vs least squares {}",
            test.r2,
            linear.r2
        );

        // The errors rescaled from the standardized target equal those of the predictions
        // mapped back to the target's units.
        let actual: Vec<f64> = r.test_set.y().iter().map(|&t| f64::from(t)).collect();
        let direct = RegressionReport::from_slices(&r.test_predictions(), &actual).unwrap();
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-5 * b.abs().max(1.0);
        assert!(
            close(test.mae, direct.mae()),
            "seed {seed}: MAE {} vs {}",
            test.mae,
            direct.mae()
        );
        assert!(
            close(test.rmse, direct.rmse()),
            "seed {seed}: RMSE {} vs {}",
            test.rmse,
            direct.rmse()
        );
        assert!(
            close(test.r2, direct.r2()),
            "seed {seed}: R² {} vs {}",
            test.r2,
            direct.r2()
        );
    }
}
