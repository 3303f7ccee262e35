//! Central-difference gradient checks in f64 for every layer and loss of nn-core: `dx` (or
//! `dscore`) and every parameter gradient, several shapes and batch sizes (batch 1
//! included), max relative error `|a − b| / max(|a|, |b|, 1e-3)` ≤ 1e-6 (the checker's
//! default tolerance).

use nn_core::gradcheck::{self, check_layer, check_loss, GradCheck, GradReport};
use nn_core::rand::{Rng, SeedableRng};
use nn_core::rand_chacha::ChaCha8Rng;
use nn_core::{
    Affine, Batch, BatchBuf, BatchMut, BatchRef, Init, InitScheme, Labels, Layer, LossLayer, MatMul, MeanSquaredError,
    Relu, Repeat, Sigmoid, SigmoidWithLoss, Softmax, SoftmaxWithLoss, Sum, Tanh,
};

const BATCHES: [usize; 4] = [1, 2, 5, 17];

fn ok(r: GradReport) {
    r.assert_ok();
    assert!(r.checked() > 0, "nothing was checked: {r}");
}

/// Xavier weights plus non-zero biases, so every gradient is exercised at a generic point.
fn affine<const IN: usize, const OUT: usize>(seed: u64) -> Affine<f64, IN, OUT> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut a = Affine::<f64, IN, OUT>::new();
    a.init_params(&mut Init::new(&mut rng, InitScheme::Xavier));
    for b in a.b.iter_mut() {
        *b = rng.random_range(-0.5..0.5);
    }
    a
}

fn matmul<const IN: usize, const OUT: usize>(seed: u64) -> MatMul<f64, IN, OUT> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut m = MatMul::new();
    m.init_params(&mut Init::new(&mut rng, InitScheme::Xavier));
    m
}

macro_rules! linear_cases {
    ($($name:ident: $in:literal -> $out:literal),* $(,)?) => {$(
        #[test]
        fn $name() {
            for (i, &n) in BATCHES.iter().enumerate() {
                let seed = 100 * $in + $out + i as u64;
                let x: Batch<f64, $in> = gradcheck::random_batch(n, -2.0, 2.0, seed);
                ok(check_layer(&mut affine::<$in, $out>(seed), x.as_view()));
                ok(check_layer(&mut matmul::<$in, $out>(seed), x.as_view()));
            }
        }
    )*};
}

linear_cases! {
    linear_1_to_1: 1 -> 1,
    linear_2_to_3: 2 -> 3,
    linear_5_to_4: 5 -> 4,
    linear_7_to_13: 7 -> 13,
    linear_16_to_2: 16 -> 2,
}

#[test]
fn wide_affine_sampled() {
    // 64 × 48 weights, batch 33: a random sample of 150 entries per tensor.
    let x: Batch<f64, 48> = gradcheck::random_batch(33, -1.0, 1.0, 9);
    let r = GradCheck::new()
        .sample(150)
        .seed(4)
        .layer(&mut affine::<48, 64>(9), x.as_view());
    assert_eq!(r.tensors.iter().map(|t| t.checked).collect::<Vec<_>>(), [150, 150, 64]);
    ok(r);
}

macro_rules! elementwise_cases {
    ($($name:ident: $layer:ident, $lo:expr, $hi:expr);* $(;)?) => {$(
        #[test]
        fn $name() {
            fn run<const D: usize>(seed: u64) {
                for (i, &n) in BATCHES.iter().enumerate() {
                    let x: Batch<f64, D> = gradcheck::random_batch(n, $lo, $hi, seed + i as u64);
                    ok(check_layer(&mut $layer::<f64, D>::new(), x.as_view()));
                }
            }
            run::<1>(1);
            run::<3>(2);
            run::<10>(3);
        }
    )*};
}

elementwise_cases! {
    sigmoid: Sigmoid, -4.0, 4.0;
    tanh: Tanh, -3.0, 3.0;
    softmax: Softmax, -3.0, 3.0;
}

#[test]
fn relu_away_from_the_kink() {
    fn run<const D: usize>(seed: u64) {
        for (i, &n) in BATCHES.iter().enumerate() {
            // |x| in [0.1, 2) with a random sign: ε = 1e-5 never crosses 0.
            let mut x: Batch<f64, D> = gradcheck::random_batch(n, 0.1, 2.0, seed + i as u64);
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            for v in x.iter_mut() {
                if rng.random_bool(0.5) {
                    *v = -*v;
                }
            }
            let r = check_layer(&mut Relu::<f64, D>::new(), x.as_view());
            ok(r);
        }
    }
    run::<1>(1);
    run::<4>(2);
    run::<12>(3);
}

/// The book's Repeat node as a `Layer` (`x: D × 1 → y: D × n`), to reuse the checker.
struct RepeatNode<const D: usize> {
    node: Repeat<f64, D>,
    n: usize,
    y: BatchBuf<f64, D>,
}

impl<const D: usize> Layer<f64, D, D> for RepeatNode<D> {
    fn forward(&mut self, x: BatchRef<'_, f64, D>) -> BatchRef<'_, f64, D> {
        let y = self.node.forward(x, self.n);
        self.y.copy_from(y);
        self.y.view()
    }
    fn backward(&mut self, _x: BatchRef<'_, f64, D>, dout: BatchRef<'_, f64, D>) -> BatchRef<'_, f64, D> {
        self.node.backward(dout)
    }
    fn output(&self) -> BatchRef<'_, f64, D> {
        self.y.view()
    }
    /// The checker calls `infer` only when input and output have the same batch size, which
    /// for this node means one sample in and one out: `y = x`.
    fn infer(&self, x: BatchRef<'_, f64, D>, mut out: BatchMut<'_, f64, D>) {
        assert_eq!(x.ncols(), 1, "this node keeps the batch size only for one sample");
        out.copy_from(&x);
    }
}

/// The book's Sum node as a `Layer` (`x: D × N → y: D × 1`).
struct SumNode<const D: usize> {
    node: Sum<f64, D>,
    y: BatchBuf<f64, D>,
}

impl<const D: usize> Layer<f64, D, D> for SumNode<D> {
    fn forward(&mut self, x: BatchRef<'_, f64, D>) -> BatchRef<'_, f64, D> {
        let y = self.node.forward(x);
        self.y.copy_from(y);
        self.y.view()
    }
    fn backward(&mut self, _x: BatchRef<'_, f64, D>, dout: BatchRef<'_, f64, D>) -> BatchRef<'_, f64, D> {
        self.node.backward(dout)
    }
    fn output(&self) -> BatchRef<'_, f64, D> {
        self.y.view()
    }
    /// The checker calls `infer` only when input and output have the same batch size, which
    /// for this node means one sample in and one out: `y = x`.
    fn infer(&self, x: BatchRef<'_, f64, D>, mut out: BatchMut<'_, f64, D>) {
        assert_eq!(x.ncols(), 1, "this node keeps the batch size only for one sample");
        out.copy_from(&x);
    }
}

#[test]
fn repeat_node() {
    for n in [1, 7, 20] {
        let x: Batch<f64, 8> = gradcheck::random_batch(1, -1.0, 1.0, n as u64);
        let mut node = RepeatNode {
            node: Repeat::new(),
            n,
            y: BatchBuf::new(),
        };
        ok(check_layer(&mut node, x.as_view()));
    }
}

#[test]
fn sum_node() {
    for n in [1, 7, 20] {
        let x: Batch<f64, 8> = gradcheck::random_batch(n, -1.0, 1.0, n as u64);
        let mut node = SumNode {
            node: Sum::new(),
            y: BatchBuf::new(),
        };
        ok(check_layer(&mut node, x.as_view()));
    }
}

fn labels(n: usize, d: usize, seed: u64) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(0..d)).collect()
}

fn one_hot<const D: usize>(t: &[usize]) -> Batch<f64, D> {
    Batch::from_fn(t.len(), |d, n| if t[n] == d { 1.0 } else { 0.0 })
}

#[test]
fn softmax_with_loss_index_and_one_hot_labels() {
    fn run<const D: usize>(seed: u64) {
        for (i, &n) in BATCHES.iter().enumerate() {
            let s: Batch<f64, D> = gradcheck::random_batch(n, -3.0, 3.0, seed + i as u64);
            let t = labels(n, D, seed + 50 + i as u64);
            ok(check_loss(
                &mut SoftmaxWithLoss::<f64, D>::new(),
                s.as_view(),
                Labels::Classes(&t),
            ));
            let oh = one_hot::<D>(&t);
            ok(check_loss(
                &mut SoftmaxWithLoss::<f64, D>::new(),
                s.as_view(),
                Labels::OneHot(oh.as_view()),
            ));
        }
    }
    run::<2>(1);
    run::<3>(2);
    run::<10>(3);
}

#[test]
fn softmax_with_loss_confident_wrong_predictions() {
    // Scores far apart: the true class has probability ~e⁻²⁰ (where the book's 1e-7 guard
    // would dominate) and ~e⁻⁸⁰⁰ (underflow: the loss goes through log-softmax).
    let s = nn_core::batch_from_rows(&[[20.0, 0.0, -1.0], [800.0, 0.0, 1.0], [0.5, 0.2, 0.1]]);
    let t = [1, 1, 2];
    ok(check_loss(
        &mut SoftmaxWithLoss::<f64, 3>::new(),
        s.as_view(),
        Labels::Classes(&t),
    ));
    // Exact −ln y[t]: (20 + ln(1 + e⁻²⁰ + e⁻²¹)) + (800 + ln(1 + e⁻⁸⁰⁰ + e⁻⁷⁹⁹)) + (−ln softmax(0.5, 0.2, 0.1)[2]).
    let third = (0.5f64.exp() + 0.2f64.exp() + 0.1f64.exp()).ln() - 0.1;
    let expected = (20.0 + (1.0 + (-20f64).exp() + (-21f64).exp()).ln() + 800.0 + third) / 3.0;
    let loss = LossLayer::forward(&mut SoftmaxWithLoss::<f64, 3>::new(), s.as_view(), Labels::Classes(&t));
    assert!(
        (loss - expected).abs() <= 1e-12 * expected,
        "loss {loss}, expected {expected}"
    );
}

#[test]
fn sigmoid_with_loss_binary_class_labels() {
    for (i, &n) in BATCHES.iter().enumerate() {
        let s: Batch<f64, 1> = gradcheck::random_batch(n, -4.0, 4.0, 10 + i as u64);
        let t = labels(n, 2, 20 + i as u64);
        ok(check_loss(
            &mut SigmoidWithLoss::<f64, 1>::new(),
            s.as_view(),
            Labels::Classes(&t),
        ));
    }
}

#[test]
fn sigmoid_with_loss_multi_label_targets() {
    fn run<const D: usize>(seed: u64) {
        for (i, &n) in BATCHES.iter().enumerate() {
            let s: Batch<f64, D> = gradcheck::random_batch(n, -4.0, 4.0, seed + i as u64);
            let mut rng = ChaCha8Rng::seed_from_u64(seed + 7);
            let hard = Batch::<f64, D>::from_fn(n, |_, _| if rng.random_bool(0.5) { 1.0 } else { 0.0 });
            ok(check_loss(
                &mut SigmoidWithLoss::<f64, D>::new(),
                s.as_view(),
                Labels::OneHot(hard.as_view()),
            ));
            // Soft targets in [0, 1] too.
            let soft: Batch<f64, D> = gradcheck::random_batch(n, 0.0, 1.0, seed + 9);
            ok(check_loss(
                &mut SigmoidWithLoss::<f64, D>::new(),
                s.as_view(),
                Labels::OneHot(soft.as_view()),
            ));
        }
    }
    run::<2>(1);
    run::<5>(2);
}

#[test]
fn sigmoid_with_loss_large_scores() {
    // |s| up to 40: σ(s) rounds to 1 in f64, the stable form still gives the exact gradient.
    let s = nn_core::batch_from_rows(&[[40.0], [-40.0], [30.0], [-0.3]]);
    ok(check_loss(
        &mut SigmoidWithLoss::<f64, 1>::new(),
        s.as_view(),
        Labels::Classes(&[0, 1, 1, 0]),
    ));
}

#[test]
fn mean_squared_error() {
    fn run<const D: usize>(seed: u64) {
        for (i, &n) in BATCHES.iter().enumerate() {
            let s: Batch<f64, D> = gradcheck::random_batch(n, -3.0, 3.0, seed + i as u64);
            let t: Batch<f64, D> = gradcheck::random_batch(n, -3.0, 3.0, seed + 40 + i as u64);
            ok(check_loss(
                &mut MeanSquaredError::<f64, D>::new(),
                s.as_view(),
                t.as_view(),
            ));
        }
    }
    run::<1>(1);
    run::<4>(2);
    run::<9>(3);
}
