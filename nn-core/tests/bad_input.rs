//! Bad input inside the hot step.
//!
//! Which is which:
//! - **Programmer errors panic** with a message saying what was expected: a class label
//!   `≥ D`, a one-hot column that is not one-hot, a label or target count that differs from
//!   the batch size, a binary label other than 0/1, a target outside `[0, 1]`. Data from
//!   outside (files, datasets) is validated where it is loaded and returns a `Result` there;
//!   inside the step these are assertions.
//! - **Non-finite numbers are not errors of the code**: a NaN or infinite input or score
//!   flows through every layer and gives a NaN or infinite loss, which is returned (not
//!   panicked) so the trainer can report it. No layer turns a NaN or an infinity into a
//!   finite number (`tests/nan_propagation.rs` checks every position).

use nn_core::{
    batch_from_rows, Affine, Batch, Float, Labels, Layer, LossLayer, MeanSquaredError, Relu, Sigmoid, SigmoidWithLoss,
    Softmax, SoftmaxWithLoss, Tanh,
};

fn scores() -> Batch<f64, 3> {
    batch_from_rows(&[[0.1, 0.2, 0.3], [1.0, -1.0, 0.5]])
}

#[test]
#[should_panic(expected = "label 3 of sample 1 is out of range: this loss has 3 classes (0..3)")]
fn label_index_out_of_range() {
    SoftmaxWithLoss::<f64, 3>::new().forward(scores().as_view(), Labels::Classes(&[0, 3]));
}

#[test]
#[should_panic(expected = "one-hot label of sample 1 has no 1 (expected exactly one 1 among 3 entries)")]
fn one_hot_column_without_a_one() {
    let t = batch_from_rows(&[[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]);
    SoftmaxWithLoss::<f64, 3>::new().forward(scores().as_view(), Labels::OneHot(t.as_view()));
}

#[test]
#[should_panic(expected = "one-hot label of sample 0 is not one-hot: entry 2 is 1")]
fn one_hot_column_with_two_ones() {
    let t = batch_from_rows(&[[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]);
    SoftmaxWithLoss::<f64, 3>::new().forward(scores().as_view(), Labels::OneHot(t.as_view()));
}

#[test]
#[should_panic(expected = "one-hot label of sample 1 is not one-hot: entry 0 is 0.5")]
fn one_hot_column_with_a_fraction() {
    let t = batch_from_rows(&[[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]]);
    SoftmaxWithLoss::<f64, 3>::new().forward(scores().as_view(), Labels::OneHot(t.as_view()));
}

#[test]
#[should_panic(expected = "SoftmaxWithLoss: 3 labels for a batch of 2 samples")]
fn softmax_label_count_differs_from_batch() {
    SoftmaxWithLoss::<f64, 3>::new().forward(scores().as_view(), Labels::Classes(&[0, 1, 2]));
}

#[test]
#[should_panic(expected = "SoftmaxWithLoss: 1 labels for a batch of 2 samples")]
fn softmax_one_hot_count_differs_from_batch() {
    let t = batch_from_rows(&[[0.0, 1.0, 0.0]]);
    SoftmaxWithLoss::<f64, 3>::new().forward(scores().as_view(), Labels::OneHot(t.as_view()));
}

#[test]
#[should_panic(expected = "SoftmaxWithLoss: 1 labels for a batch of 2 samples")]
fn correct_count_differs_from_batch() {
    SoftmaxWithLoss::<f64, 3>::new().correct(scores().as_view(), Labels::Classes(&[0]));
}

#[test]
#[should_panic(expected = "SigmoidWithLoss: 1 labels for a batch of 2 samples")]
fn sigmoid_label_count_differs_from_batch() {
    let s = batch_from_rows(&[[0.5], [-0.5]]);
    SigmoidWithLoss::<f64, 1>::new().forward(s.as_view(), Labels::Classes(&[1]));
}

#[test]
#[should_panic(expected = "SigmoidWithLoss: binary label 2 is neither 0 nor 1")]
fn sigmoid_binary_label_out_of_range() {
    let s = batch_from_rows(&[[0.5], [-0.5]]);
    SigmoidWithLoss::<f64, 1>::new().forward(s.as_view(), Labels::Classes(&[1, 2]));
}

#[test]
#[should_panic(expected = "SigmoidWithLoss: class indices need one output (D = 1), this loss has 3")]
fn sigmoid_class_indices_need_one_output() {
    SigmoidWithLoss::<f64, 3>::new().forward(scores().as_view(), Labels::Classes(&[0, 1]));
}

#[test]
#[should_panic(expected = "SigmoidWithLoss: target 1.5 is outside [0, 1]")]
fn sigmoid_target_outside_unit_interval() {
    let t = batch_from_rows(&[[0.0, 1.0, 0.0], [1.5, 0.0, 0.0]]);
    SigmoidWithLoss::<f64, 3>::new().forward(scores().as_view(), Labels::OneHot(t.as_view()));
}

#[test]
#[should_panic(expected = "MeanSquaredError: 1 targets for a batch of 2 samples")]
fn mse_target_count_differs_from_batch() {
    let t = batch_from_rows(&[[0.0, 1.0, 0.0]]);
    MeanSquaredError::<f64, 3>::new().forward(scores().as_view(), t.as_view());
}

#[test]
#[should_panic(expected = "Affine::backward: x has 2 samples, dout 1")]
fn backward_with_a_dout_of_another_batch() {
    let mut fc = Affine::<f64, 3, 2>::new();
    let x = scores();
    fc.forward(x.as_view());
    fc.backward(x.as_view(), Batch::<f64, 2>::zeros(1).as_view());
}

fn nan_and_inf_give_a_non_finite_loss<T: Float>() {
    let nan = T::cast(f64::NAN);
    let inf = T::cast(f64::INFINITY);
    let rows = |v: T| -> Batch<T, 3> {
        batch_from_rows(&[
            [T::cast(0.1), T::cast(0.2), T::cast(0.3)],
            [T::cast(1.0), v, T::cast(0.5)],
        ])
    };

    // SoftmaxWithLoss: NaN or ±inf anywhere in the column of a sample, at its label or not
    // (issue 10: −inf at another class used to be a probability of 0 and a finite loss,
    // hiding a poisoned input; every non-finite score now gives a non-finite loss).
    for (v, label) in [(nan, 0), (inf, 0), (inf, 1), (-inf, 1), (-inf, 0)] {
        let loss = SoftmaxWithLoss::<T, 3>::new().forward(rows(v).as_view(), Labels::Classes(&[2, label]));
        assert!(!loss.is_finite(), "score {v}, label {label}: loss {loss} is finite");
    }

    // SigmoidWithLoss and MSE.
    for v in [nan, inf, -inf] {
        let s = rows(v);
        let t = Batch::<T, 3>::from_element(2, T::cast(1.0));
        let l1 = SigmoidWithLoss::<T, 3>::new().forward(s.as_view(), Labels::OneHot(t.as_view()));
        let zero = Batch::<T, 3>::zeros(2);
        let l2 = SigmoidWithLoss::<T, 3>::new().forward(s.as_view(), Labels::OneHot(zero.as_view()));
        let l3 = MeanSquaredError::<T, 3>::new().forward(s.as_view(), t.as_view());
        if v.as_f64().is_nan() {
            assert!(
                l1.as_f64().is_nan() && l2.as_f64().is_nan() && l3.as_f64().is_nan(),
                "{v}: {l1} {l2} {l3}"
            );
        } else {
            // ±inf: with one of the two targets the sample is infinitely wrong.
            assert!(!(l1.is_finite() && l2.is_finite()), "{v}: {l1} {l2}");
            assert!(!l3.is_finite(), "{v}: {l3}");
        }
    }

    // Every activation keeps a NaN a NaN (forward and infer), so it reaches the loss.
    fn keeps_nan<T: Float, L: Layer<T, 3, 3>>(mut layer: L, x: &Batch<T, 3>, name: &str) {
        let y = layer.forward(x.as_view());
        assert!(
            y[(1, 1)].as_f64().is_nan(),
            "{name}: forward turned NaN into {}",
            y[(1, 1)]
        );
        let mut out = Batch::<T, 3>::zeros(2);
        layer.infer(x.as_view(), out.as_view_mut());
        assert!(
            out[(1, 1)].as_f64().is_nan(),
            "{name}: infer turned NaN into {}",
            out[(1, 1)]
        );
    }
    let x = rows(nan);
    keeps_nan(Sigmoid::<T, 3>::new(), &x, "Sigmoid");
    keeps_nan(Tanh::<T, 3>::new(), &x, "Tanh");
    keeps_nan(Relu::<T, 3>::new(), &x, "Relu");
    keeps_nan(Softmax::<T, 3>::new(), &x, "Softmax");
    let mut fc = Affine::<T, 3, 3>::new();
    fc.w.fill(T::cast(0.5));
    keeps_nan(fc, &x, "Affine");

    // A NaN input through a whole stack: Affine → Relu → Affine → SoftmaxWithLoss.
    let mut a1 = Affine::<T, 3, 4>::new();
    a1.w.fill(T::cast(0.1));
    let mut relu = Relu::<T, 4>::new();
    let mut a2 = Affine::<T, 4, 3>::new();
    a2.w.fill(T::cast(0.1));
    let h = a1.forward(x.as_view());
    let r = relu.forward(h);
    let s = a2.forward(r);
    let loss = SoftmaxWithLoss::<T, 3>::new().forward(s, Labels::Classes(&[0, 1]));
    assert!(loss.as_f64().is_nan(), "a NaN input gave the loss {loss}");
}

#[test]
fn nan_and_inf_give_a_non_finite_loss_f32() {
    nan_and_inf_give_a_non_finite_loss::<f32>();
}

#[test]
fn nan_and_inf_give_a_non_finite_loss_f64() {
    nan_and_inf_give_a_non_finite_loss::<f64>();
}
