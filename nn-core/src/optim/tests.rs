//! Optimizer tests: three steps against numbers computed independently, and loss reduction
//! on a small regression problem.

use super::*;
use crate::batch::{batch_from_rows, Batch};
use crate::layers::{Affine, Layer, LossLayer, MeanSquaredError};

const P0: [f64; 3] = [1.0, -2.0, 0.5];
const GRADS: [[f64; 3]; 3] = [[0.5, -1.0, 2.0], [0.1, 0.3, -0.4], [-0.2, 0.0, 1.0]];

/// Runs three steps with the fixed gradients `GRADS` and compares the parameter after each
/// step with `expected`.
///
/// The expected values were computed in plain Python floats (no numpy) by transcribing the
/// update rules of the book's vol. 1 `common/optimizer.py` with the book's defaults, e.g.
/// for Adam: `lr_t = lr*sqrt(1-b2**t)/(1-b1**t); m += (1-b1)*(g-m); v += (1-b2)*(g**2-v);
/// p -= lr_t*m/(sqrt(v)+1e-7)`, printing `repr(p)` after each step.
fn check_three_steps<O: Optimizer<f64>>(mut opt: O, expected: [[f64; 3]; 3]) {
    let mut p = P0;
    for (step, (g, want)) in GRADS.iter().zip(expected).enumerate() {
        apply(&mut opt, |f| f(Param::new("w", &mut p, g)));
        for i in 0..3 {
            assert!(
                (p[i] - want[i]).abs() <= 1e-14 * want[i].abs().max(1.0),
                "step {}: p[{i}] = {} but expected {}",
                step + 1,
                p[i],
                want[i]
            );
        }
    }
}

#[test]
fn momentum_three_steps() {
    check_three_steps(
        Momentum::default(),
        [
            [0.995, -1.99, 0.48],
            [0.9895, -1.984, 0.46599999999999997],
            [0.98655, -1.9786, 0.44339999999999996],
        ],
    );
}

#[test]
fn adagrad_three_steps() {
    check_three_steps(
        AdaGrad::default(),
        [
            [0.9900000019999996, -1.9900000009999999, 0.4900000005],
            [0.988038841033233, -1.992873479580434, 0.49196116175522797],
            [0.9916903240832676, -1.992873479580434, 0.48755890741739827],
        ],
    );
}

#[test]
fn rmsprop_three_steps() {
    check_three_steps(
        RmsProp::default(),
        [
            [0.9000001999996, -1.9000000999999, 0.40000004999997507],
            [0.8802936532711891, -1.9288675856816302, 0.41970662585452784],
            [0.9171212519540148, -1.9288675856816302, 0.3753335788504756],
        ],
    );
}

#[test]
fn adam_three_steps() {
    check_three_steps(
        Adam::default(),
        [
            [0.9990000063245154, -1.9990000031622677, 0.49900000158113633],
            [0.9981969703286983, -1.9985721558672702, 0.49848897629664524],
            [0.9978526185621205, -1.9982414286687038, 0.4978529125615459],
        ],
    );
}

#[test]
fn sgd_three_steps() {
    // p - 0.1 * (g1 + g2 + g3), cumulatively.
    check_three_steps(
        Sgd::new(0.1),
        [[0.95, -1.9, 0.3], [0.94, -1.93, 0.34], [0.96, -1.93, 0.24]],
    );
}

#[test]
fn state_is_kept_per_tensor() {
    // Two tensors in one step must not share velocities: updating tensor 1 with a zero
    // gradient leaves it unchanged although tensor 0 has built up momentum.
    let mut opt = Momentum::new(0.1, 0.9);
    let (mut a, mut b) = ([0.0f64], [0.0f64]);
    for _ in 0..3 {
        apply(&mut opt, |f| {
            f(Param::new("a", &mut a, &[1.0]));
            f(Param::new("b", &mut b, &[0.0]));
        });
    }
    assert_eq!(b, [0.0]);
    assert!((a[0] - -(0.1 + 0.19 + 0.271)).abs() < 1e-12, "a = {}", a[0]);
}

#[test]
#[should_panic(expected = "had 3 on an earlier step")]
fn reusing_state_with_another_shape_panics() {
    let mut opt = AdaGrad::default();
    let mut p = [0.0f64; 3];
    apply(&mut opt, |f| f(Param::new("w", &mut p, &[1.0; 3])));
    let mut q = [0.0f64; 2];
    apply(&mut opt, |f| f(Param::new("w", &mut q, &[1.0; 2])));
}

/// Mean squared error of a linear model `y = W·x + b` on a fixed, exactly solvable problem
/// (`y = 2·x0 − x1 + 0.5`), trained for `steps` full-batch steps; returns (first, last) loss.
fn regression<O: Optimizer<f64> + ?Sized>(opt: &mut O, steps: usize) -> (f64, f64) {
    let x = batch_from_rows(&[[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [-1.0, 2.0], [0.5, -0.5], [2.0, 1.0]]);
    let t: Batch<f64, 1> = Batch::from_fn(x.ncols(), |_, n| 2.0 * x[(0, n)] - x[(1, n)] + 0.5);
    let mut fc = Affine::<f64, 2, 1>::new();
    let mut loss = MeanSquaredError::<f64, 1>::new();
    let mut first = None;
    let mut last = 0.0;
    for _ in 0..steps {
        let y = fc.forward(x.as_view());
        last = loss.forward(y, t.as_view());
        first.get_or_insert(last);
        let dy = loss.backward();
        fc.backward(x.as_view(), dy);
        apply(opt, |f| fc.visit_params(f));
    }
    (first.unwrap(), last)
}

#[test]
fn every_optimizer_reduces_the_loss() {
    let cases: [(&str, &mut dyn Optimizer<f64>, f64); 5] = [
        ("Sgd", &mut Sgd::new(0.1), 0.01),
        ("Momentum", &mut Momentum::default(), 0.01),
        ("AdaGrad", &mut AdaGrad::new(0.1), 0.1),
        ("RmsProp", &mut RmsProp::default(), 0.1),
        ("Adam", &mut Adam::with_lr(0.05), 0.01),
    ];
    for (name, opt, ratio) in cases {
        let (first, last) = regression(opt, 200);
        assert!(
            last < ratio * first,
            "{name}: loss went from {first} to {last}, expected below {ratio} × the start"
        );
    }
}
