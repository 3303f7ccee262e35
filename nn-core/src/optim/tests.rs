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

/// Three steps on two tensors with gradients drawn from `step` (deterministic).
fn steps<O: Optimizer<f64> + ?Sized>(opt: &mut O, a: &mut [f64; 3], b: &mut [f64; 2], from: usize, to: usize) {
    for s in from..to {
        let g = |i: usize| ((s * 7 + i * 3) % 11) as f64 / 5.0 - 1.0;
        let (ga, gb) = ([g(0), g(1), g(2)], [g(3), g(4)]);
        apply(opt, |f| {
            f(Param::new("a", a, &ga));
            f(Param::new("b", b, &gb));
        });
    }
}

/// Steps 0..3 with `first`, save, load into `fresh`, steps 3..6 with `fresh` give the same
/// bits as steps 0..6 with one optimizer.
fn check_round_trip<O: Optimizer<f64> + Clone>(first: O, fresh: O) {
    let (mut a, mut b) = (P0, [0.25, -0.75]);
    let mut straight = first.clone();
    steps(&mut straight, &mut a, &mut b, 0, 6);

    let mut opt = first;
    let (mut a2, mut b2) = (P0, [0.25, -0.75]);
    steps(&mut opt, &mut a2, &mut b2, 0, 3);
    let mut state = OptimizerState::new();
    opt.save_state(&mut state).unwrap();
    let mut resumed = fresh;
    resumed.load_state(&state).unwrap();
    state.check_buffers(&[("", "a", 3), ("", "b", 2)]).unwrap();
    steps(&mut resumed, &mut a2, &mut b2, 3, 6);
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&a), bits(&a2), "{}: tensor a after resuming", state.kind());
    assert_eq!(bits(&b), bits(&b2), "{}: tensor b after resuming", state.kind());
    // and the state itself round-trips
    let mut again = OptimizerState::new();
    resumed.save_state(&mut again).unwrap();
    let mut direct = OptimizerState::new();
    straight.save_state(&mut direct).unwrap();
    assert_eq!(again, direct, "{}: state after 6 steps", state.kind());
}

#[test]
fn every_optimizer_resumes_bit_identically_from_its_state() {
    // The fresh optimizers have other hyperparameters: the state carries them.
    check_round_trip(Sgd::new(0.1), Sgd::new(0.5));
    check_round_trip(Momentum::new(0.1, 0.8), Momentum::default());
    check_round_trip(AdaGrad::new(0.2), AdaGrad::default());
    check_round_trip(RmsProp::new(0.05, 0.9), RmsProp::default());
    check_round_trip(Adam::new(0.01, 0.8, 0.99), Adam::default());
}

#[test]
fn a_state_of_another_kind_or_missing_entries_is_an_error_and_changes_nothing() {
    let mut adam = Adam::<f64>::with_lr(0.5);
    let mut state = OptimizerState::new();
    Momentum::<f64>::default().save_state(&mut state).unwrap();
    let err = adam.load_state(&state).unwrap_err();
    assert_eq!(
        err,
        StateError::Kind {
            expected: "Adam",
            found: "Momentum".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "the saved optimizer state is from Momentum, but it is being loaded into Adam"
    );
    Adam::<f64>::default().save_state(&mut state).unwrap();
    let mut partial = OptimizerState::new();
    partial.reset("Adam");
    for (k, v) in state.scalars() {
        partial.set_scalar(k.to_string(), v);
    }
    partial.set_integer("t", 4);
    partial.set_buffers("m", vec![]);
    let err = adam.load_state(&partial).unwrap_err();
    assert_eq!(err.to_string(), "the saved Adam state has no buffer list `v`");
    assert_eq!((adam.lr, adam.steps()), (0.5, 0), "a failed load changes nothing");
    partial.set_buffers("v", vec![]);
    partial.set_integer("t", -1);
    assert!(matches!(
        adam.load_state(&partial),
        Err(StateError::OutOfRange { value: -1, .. })
    ));
    let empty = OptimizerState::<f64>::new();
    assert_eq!(
        Sgd::new(1.0).load_state(&empty).unwrap_err().to_string(),
        "the saved optimizer state is from an empty state, but it is being loaded into Sgd"
    );
}

#[test]
fn buffers_are_checked_against_the_network_tensors() {
    let mut opt = Momentum::<f64>::default();
    let (mut a, mut b) = (P0, [0.0; 2]);
    steps(&mut opt, &mut a, &mut b, 0, 1);
    let mut state = OptimizerState::new();
    opt.save_state(&mut state).unwrap();
    assert_eq!(state.check_buffers(&[("", "a", 3), ("", "b", 2)]), Ok(()));
    assert_eq!(
        state
            .check_buffers(&[("l", "a", 3), ("l", "b", 4)])
            .unwrap_err()
            .to_string(),
        "the saved optimizer state's `v` buffer 1 has 2 elements but parameter tensor 1 (l.b) has 4"
    );
    assert_eq!(
        state.check_buffers(&[("l", "a", 3)]).unwrap_err().to_string(),
        "the saved optimizer state's `v` has buffers for 2 parameter tensors but the network has 1"
    );
}

#[test]
fn an_optimizer_without_state_support_says_so() {
    struct Plain;
    impl Optimizer<f32> for Plain {
        fn update(&mut self, _: usize, _: Param<'_, f32>) {}
    }
    let err = Plain.save_state(&mut OptimizerState::new()).unwrap_err();
    assert!(
        matches!(err, StateError::Unsupported { optimizer } if optimizer.ends_with("Plain")),
        "{err}"
    );
    assert!(err.to_string().contains("implement Optimizer::save_state"), "{err}");
    assert!(Plain.load_state(&OptimizerState::new()).is_err());
}

/// `set_learning_rate(r)` makes an optimizer step as one built with rate `r` (Adam's
/// bias-corrected rate included, also when set between two steps).
fn check_set_rate<O: Optimizer<f64>>(name: &str, mut set: O, mut built: O, lr: f64) {
    assert_ne!(set.learning_rate(), Some(lr));
    set.set_learning_rate(lr);
    assert_eq!(set.learning_rate(), Some(lr), "{name}");
    let (mut a, mut b) = (P0, [0.25, -0.75]);
    let (mut a2, mut b2) = (P0, [0.25, -0.75]);
    steps(&mut set, &mut a, &mut b, 0, 3);
    steps(&mut built, &mut a2, &mut b2, 0, 3);
    assert_eq!((a, b), (a2, b2), "{name}");
}

#[test]
fn every_optimizer_has_a_learning_rate_to_set() {
    check_set_rate("Sgd", Sgd::new(0.1), Sgd::new(0.3), 0.3);
    check_set_rate("Momentum", Momentum::new(0.1, 0.8), Momentum::new(0.3, 0.8), 0.3);
    check_set_rate("AdaGrad", AdaGrad::new(0.1), AdaGrad::new(0.3), 0.3);
    check_set_rate("RmsProp", RmsProp::new(0.1, 0.9), RmsProp::new(0.3, 0.9), 0.3);
    check_set_rate("Adam", Adam::with_lr(0.1), Adam::with_lr(0.3), 0.3);
    // Adam: a rate set after `begin_step` applies to that step's updates
    let (mut late, mut built) = (Adam::<f64>::with_lr(0.1), Adam::<f64>::with_lr(0.3));
    let (mut p, mut q) = (P0, P0);
    late.begin_step();
    late.set_learning_rate(0.3);
    late.update(0, Param::new("w", &mut p, &GRADS[0]));
    apply(&mut built, |f| f(Param::new("w", &mut q, &GRADS[0])));
    assert_eq!(p, q);
}

#[test]
#[should_panic(expected = "Momentum::set_learning_rate: the learning rate must be finite and at least 0, got -1")]
fn a_negative_rate_panics() {
    Momentum::<f32>::default().set_learning_rate(-1.0);
}

#[test]
#[should_panic(
    expected = "has no learning rate to set to 0.5 (implement Optimizer::learning_rate and Optimizer::set_learning_rate)"
)]
fn an_optimizer_without_a_rate_says_so() {
    struct Plain;
    impl Optimizer<f32> for Plain {
        fn update(&mut self, _: usize, _: Param<'_, f32>) {}
    }
    assert_eq!(Plain.learning_rate(), None);
    Plain.set_learning_rate(0.5);
}

/// L2 weight decay is the same optimizer fed `g + λ·p`: three steps of
/// `decayed` on `GRADS` give the bits of three steps of `plain` on `GRADS[s] + λ·p_s`
/// (`p_s` the parameters before step `s`).
fn check_l2<O: Optimizer<f64>>(name: &str, mut decayed: O, mut plain: O, lambda: f64) {
    let (mut p, mut q) = (P0, P0);
    for g in GRADS {
        apply(&mut decayed, |f| f(Param::new("w", &mut p, &g)));
        let penalised: Vec<f64> = g.iter().zip(&q).map(|(g, w)| g + lambda * w).collect();
        apply(&mut plain, |f| f(Param::new("w", &mut q, &penalised)));
        assert_eq!(p.map(f64::to_bits), q.map(f64::to_bits), "{name}");
    }
    assert_ne!(p, {
        let mut r = P0;
        let mut undecayed = plain_again(name);
        for g in GRADS {
            apply(&mut *undecayed, |f| f(Param::new("w", &mut r, &g)));
        }
        r
    });
}

/// A fresh optimizer of `name` without decay (the `plain` of [`check_l2`]).
fn plain_again(name: &str) -> Box<dyn Optimizer<f64>> {
    match name {
        "Sgd" => Box::new(Sgd::new(0.1)),
        "Momentum" => Box::new(Momentum::new(0.1, 0.8)),
        "AdaGrad" => Box::new(AdaGrad::new(0.1)),
        "RmsProp" => Box::new(RmsProp::new(0.1, 0.9)),
        _ => Box::new(Adam::with_lr(0.1)),
    }
}

#[test]
fn l2_weight_decay_adds_lambda_p_to_the_gradient() {
    let l = 0.3;
    check_l2("Sgd", Sgd::new(0.1).weight_decay(l), Sgd::new(0.1), l);
    check_l2(
        "Momentum",
        Momentum::new(0.1, 0.8).weight_decay(l),
        Momentum::new(0.1, 0.8),
        l,
    );
    check_l2("AdaGrad", AdaGrad::new(0.1).weight_decay(l), AdaGrad::new(0.1), l);
    check_l2(
        "RmsProp",
        RmsProp::new(0.1, 0.9).weight_decay(l),
        RmsProp::new(0.1, 0.9),
        l,
    );
    check_l2("Adam", Adam::with_lr(0.1).weight_decay(l), Adam::with_lr(0.1), l);
    // by hand: p = 1, g = 0, lr = 0.1, λ = 0.5: p − 0.1·(0 + 0.5·1)
    let mut p = [1.0f64];
    Sgd::new(0.1)
        .weight_decay(0.5)
        .update(0, Param::new("w", &mut p, &[0.0]));
    assert_eq!(p, [1.0 - 0.1 * 0.5]);
}

#[test]
fn adamw_shrinks_the_weights_then_takes_adams_step() {
    let (lr, lambda) = (0.1, 0.3);
    let mut w = AdamW::new(lr, 0.9, 0.999, lambda);
    let mut adam = Adam::with_lr(lr);
    let (mut p, mut q) = (P0, P0);
    for g in GRADS {
        apply(&mut w, |f| f(Param::new("w", &mut p, &g)));
        q.iter_mut().for_each(|q| *q *= 1.0 - lr * lambda);
        apply(&mut adam, |f| f(Param::new("w", &mut q, &g)));
        assert_eq!(p.map(f64::to_bits), q.map(f64::to_bits));
    }
    assert_eq!(AdamW::<f64>::default().weight_decay, 0.01, "PyTorch's default λ");
    // the scheduled rate scales the decay too: rate 0 moves nothing
    let mut p = P0;
    let mut w = AdamW::with_lr(0.1);
    w.set_learning_rate(0.0);
    apply(&mut w, |f| f(Param::new("w", &mut p, &GRADS[0])));
    assert_eq!(p, P0);
}

#[test]
fn weight_decay_resumes_and_is_not_plain_sgd() {
    check_round_trip(Sgd::new(0.1).weight_decay(0.2), Sgd::new(0.5));
    check_round_trip(Momentum::new(0.1, 0.8).weight_decay(0.2), Momentum::default());
    check_round_trip(AdaGrad::new(0.2).weight_decay(0.2), AdaGrad::default());
    check_round_trip(RmsProp::new(0.05, 0.9).weight_decay(0.2), RmsProp::default());
    check_round_trip(Adam::new(0.01, 0.8, 0.99).weight_decay(0.2), Adam::default());
    check_round_trip(AdamW::new(0.01, 0.8, 0.99, 0.2), AdamW::default());
    // a state saved with decay loaded into an optimizer without, and back
    let mut state = OptimizerState::new();
    Sgd::new(0.1).weight_decay(0.2).save_state(&mut state).unwrap();
    let mut sgd = Sgd::<f64>::new(0.1);
    sgd.load_state(&state).unwrap();
    assert_eq!(sgd.weight_decay, 0.2);
    Sgd::new(0.1).save_state(&mut state).unwrap();
    assert_eq!(
        state.scalar("weight_decay"),
        None,
        "no decay, no entry (states as before)"
    );
    sgd.load_state(&state).unwrap();
    assert_eq!(sgd.weight_decay, 0.0);
    // DataParallel's one-pass SGD knows no decay: a decaying Sgd is not plain
    assert_eq!(sgd_rate(&Sgd::new(0.1f64)), Some(0.1));
    assert_eq!(sgd_rate(&Sgd::new(0.1f64).weight_decay(0.2)), None);
}

#[test]
#[should_panic(expected = "AdamW::weight_decay: the weight decay must be finite and at least 0, got -0.1")]
fn a_negative_weight_decay_panics() {
    AdamW::<f32>::default().weight_decay(-0.1);
}
