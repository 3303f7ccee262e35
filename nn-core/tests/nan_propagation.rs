//! Issue 10, defect 4: a non-finite value must never turn back into a finite number on its
//! way to the loss. A NaN or an infinity in a step's input, in an activation or in a
//! parameter makes every output that depends on it non-finite, and so the loss; the
//! `Trainer`'s non-finite-loss guard then stops training with a `TrainError`.
//!
//! Each layer and loss is tested directly (no debug-build check is in the way, so these hold
//! in release builds: `cargo test --release -p nn-core --test nan_propagation`), and the
//! generated methods are tested through a network: in debug builds their input check panics
//! first (asserted here too), in release builds the non-finite loss comes back.

use std::panic::{catch_unwind, AssertUnwindSafe};

use nn_core::data::{spiral, DataError, Dataset, Standardizer, SPIRAL_SEED};
use nn_core::train::{evaluate, Progress, TrainError, Trainer};
use nn_core::{
    batch_from_rows, cross_entropy_error, softmax_into, Affine, Batch, BatchNorm, Dropout, Float, Gelu, GeluTanh,
    Identity, InitScheme, Labels, Layer, LayerNorm, LeakyRelu, LossLayer, MatMul, MeanSquaredError, Mode, Relu, Repeat,
    Sgd, Sigmoid, SigmoidWithLoss, Softmax, SoftmaxWithLoss, Softplus, Sum, Tanh,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The values injected: NaN and both infinities.
fn poisons<T: Float>() -> [T; 3] {
    [T::cast(f64::NAN), T::cast(f64::INFINITY), T::cast(f64::NEG_INFINITY)]
}

/// A `D × n` batch of finite values of both signs (and some exact zeros), different per seed.
fn finite<T: Float, const D: usize>(n: usize, seed: u64) -> Batch<T, D> {
    Batch::from_fn(n, |r, c| {
        let h = (r as u64 * 31 + c as u64 * 17 + seed * 7) % 23;
        T::cast(h as f64 / 4.0 - 2.5)
    })
}

/// Every `(index, value)` injection into a slice of `len` elements.
fn injections<T: Float>(len: usize) -> impl Iterator<Item = (usize, T)> {
    (0..len).flat_map(|i| poisons::<T>().into_iter().map(move |v| (i, v)))
}

fn all_non_finite<T: Float>(v: &[T]) -> bool {
    v.iter().all(|x| !x.is_finite())
}

/// `layer` maps a non-finite input element to a non-finite output column (forward and
/// infer), leaving the other samples finite.
fn layer_poisons_its_column<T: Float, const I: usize, const O: usize, L: Layer<T, I, O>>(
    name: &str,
    mut layer: impl FnMut() -> L,
) {
    let n = 3;
    for (i, v) in injections::<T>(I * n) {
        let mut x = finite::<T, I>(n, 1);
        x.as_mut_slice()[i] = v;
        let (col, row) = (i / I, i % I);
        let mut l = layer();
        let y = l.forward(x.as_view()).into_owned();
        let mut out = Batch::<T, O>::zeros(n);
        l.infer(x.as_view(), out.as_view_mut());
        for (what, y) in [("forward", y.as_slice()), ("infer", out.as_slice())] {
            for (c, yc) in y.chunks_exact(O).enumerate() {
                if c == col {
                    assert!(
                        !yc.iter().all(|v| v.is_finite()),
                        "{name} {what}: x[{row}, {col}] = {v} gave the finite column {yc:?}"
                    );
                } else {
                    assert!(yc.iter().all(|v| v.is_finite()), "{name} {what}: column {c} {yc:?}");
                }
            }
        }
    }
}

fn affine<T: Float, const I: usize, const O: usize>() -> Affine<T, I, O> {
    let mut a = Affine::<T, I, O>::new();
    a.w.copy_from_slice(finite::<T, I>(O, 2).as_slice());
    a.b.copy_from_slice(finite::<T, O>(1, 3).as_slice());
    a
}

fn matmul<T: Float, const I: usize, const O: usize>() -> MatMul<T, I, O> {
    let mut a = MatMul::<T, I, O>::new();
    a.w.copy_from_slice(finite::<T, I>(O, 4).as_slice());
    a
}

fn layers_poison_their_column<T: Float>() {
    layer_poisons_its_column::<T, 3, 3, _>("Sigmoid", Sigmoid::new);
    layer_poisons_its_column::<T, 3, 3, _>("Tanh", Tanh::new);
    layer_poisons_its_column::<T, 3, 3, _>("Relu", Relu::new);
    layer_poisons_its_column::<T, 3, 3, _>("Softmax", Softmax::new);
    layer_poisons_its_column::<T, 3, 3, _>("LeakyRelu", || LeakyRelu::new(0.01));
    layer_poisons_its_column::<T, 3, 3, _>("Gelu", Gelu::new);
    layer_poisons_its_column::<T, 3, 3, _>("GeluTanh", GeluTanh::new);
    layer_poisons_its_column::<T, 3, 3, _>("Softplus", Softplus::new);
    layer_poisons_its_column::<T, 3, 3, _>("Identity", Identity::new);
    layer_poisons_its_column::<T, 3, 3, _>("LayerNorm", || LayerNorm::new(1e-5));
    // Dropout keeps a poison non-finite where it drops it (x·0), in training and inference.
    layer_poisons_its_column::<T, 3, 3, _>("Dropout", || Dropout::new(0.5));
    // BatchNorm in inference (training mixes the samples: one poison reaches every column).
    layer_poisons_its_column::<T, 3, 3, _>("BatchNorm (eval)", || {
        let mut bn = BatchNorm::new(1e-5, 0.1);
        bn.set_mode(Mode::Eval);
        bn
    });
    // Every output of a fully connected layer reads every input: the whole column (fixed-width
    // kernels for small layers, the GEMM for these larger ones).
    layer_poisons_its_column::<T, 3, 4, _>("Affine 3->4", affine::<T, 3, 4>);
    layer_poisons_its_column::<T, 3, 4, _>("MatMul 3->4", matmul::<T, 3, 4>);
    layer_poisons_its_column::<T, 65, 70, _>("Affine 65->70 (GEMM)", affine::<T, 65, 70>);
    layer_poisons_its_column::<T, 70, 65, _>("MatMul 70->65 (GEMM)", matmul::<T, 70, 65>);
}

#[test]
fn every_layer_keeps_a_non_finite_input_non_finite_f32() {
    layers_poison_their_column::<f32>();
}

#[test]
fn every_layer_keeps_a_non_finite_input_non_finite_f64() {
    layers_poison_their_column::<f64>();
}

/// Repeat copies the poison into every column, Sum adds it into its row.
#[test]
fn repeat_and_sum_keep_non_finite_values() {
    for (i, v) in injections::<f32>(3) {
        let mut x = finite::<f32, 3>(1, 5);
        x.as_mut_slice()[i] = v;
        let mut rep = Repeat::<f32, 3>::new();
        let y = rep.forward(x.as_view(), 4);
        assert!((0..4).all(|c| !y[(i, c)].is_finite()), "Repeat: {v} at {i}");
        let mut x = finite::<f32, 3>(4, 5);
        x[(i, 2)] = v;
        let mut sum = Sum::<f32, 3>::new();
        let y = sum.forward(x.as_view());
        assert!(!y[(i, 0)].is_finite(), "Sum: {v} at row {i} gave {}", y[(i, 0)]);
    }
}

/// A non-finite weight or bias of a fully connected layer poisons the outputs it feeds, on
/// the fixed-width path and on the GEMM path.
fn parameters_poison_outputs<T: Float, const I: usize, const O: usize>() {
    let n = 3;
    let x = finite::<T, I>(n, 6);
    for (k, v) in injections::<T>(O * I + O) {
        let mut a = affine::<T, I, O>();
        let row = if k < O * I {
            a.w.as_mut_slice()[k] = v;
            k % O
        } else {
            a.b[k - O * I] = v;
            k - O * I
        };
        let y = a.forward(x.as_view());
        assert!(
            (0..n).all(|c| !y[(row, c)].is_finite()),
            "Affine {I}->{O}: parameter {k} = {v} left output row {row} finite"
        );
        if k < O * I {
            let mut m = matmul::<T, I, O>();
            m.w.as_mut_slice()[k] = v;
            let y = m.forward(x.as_view());
            assert!(
                (0..n).all(|c| !y[(row, c)].is_finite()),
                "MatMul {I}->{O}: weight {k} = {v}"
            );
        }
    }
}

#[test]
fn a_non_finite_parameter_poisons_the_outputs_it_feeds() {
    parameters_poison_outputs::<f32, 3, 4>();
    parameters_poison_outputs::<f64, 3, 4>();
    parameters_poison_outputs::<f32, 65, 70>();
}

/// Every loss is non-finite when any score of the batch is, whichever class or target.
fn losses_are_non_finite<T: Float>() {
    let n = 2;
    for (i, v) in injections::<T>(3 * n) {
        let mut s = finite::<T, 3>(n, 7);
        s.as_mut_slice()[i] = v;
        for label in 0..3 {
            let l = SoftmaxWithLoss::<T, 3>::new().forward(s.as_view(), Labels::Classes(&[label, (label + 1) % 3]));
            assert!(
                !l.is_finite(),
                "SoftmaxWithLoss: score {i} = {v}, labels {label}: loss {l}"
            );
        }
        for t in [0.0, 0.25, 1.0] {
            let t = Batch::<T, 3>::from_element(n, T::cast(t));
            let l = SigmoidWithLoss::<T, 3>::new().forward(s.as_view(), Labels::OneHot(t.as_view()));
            assert!(
                !l.is_finite(),
                "SigmoidWithLoss: score {i} = {v}, targets {t:?}: loss {l}"
            );
            let l = MeanSquaredError::<T, 3>::new().forward(s.as_view(), t.as_view());
            assert!(!l.is_finite(), "MeanSquaredError: score {i} = {v}: loss {l}");
        }
        // The book's guarded cross-entropy over probabilities.
        let mut p = Batch::<T, 3>::zeros(n);
        softmax_into(s.as_view(), p.as_view_mut());
        let l = cross_entropy_error(p.as_view(), Labels::Classes(&[0, 1]));
        assert!(!l.is_finite(), "cross_entropy_error: score {i} = {v}: loss {l}");
    }
    // SigmoidWithLoss with one output and class labels.
    for v in poisons::<T>() {
        for label in 0..2 {
            let s = batch_from_rows(&[[T::cast(0.5)], [v]]);
            let l = SigmoidWithLoss::<T, 1>::new().forward(s.as_view(), Labels::Classes(&[1, label]));
            assert!(!l.is_finite(), "SigmoidWithLoss: score {v}, label {label}: loss {l}");
        }
    }
}

#[test]
fn every_loss_is_non_finite_for_a_non_finite_score_f32() {
    losses_are_non_finite::<f32>();
}

#[test]
fn every_loss_is_non_finite_for_a_non_finite_score_f64() {
    losses_are_non_finite::<f64>();
}

/// A sample whose scores are not all finite is never counted as correct.
#[test]
fn accuracy_counts_a_non_finite_score_as_wrong() {
    for (i, v) in injections::<f32>(3) {
        // Every label of the poisoned sample is tried: none may count as correct.
        for label in 0..3 {
            let mut s = batch_from_rows(&[[0.0f32, 1.0, 0.5], [0.0, 1.0, 0.5]]);
            s[(i, 1)] = v;
            let c = SoftmaxWithLoss::<f32, 3>::new().correct(s.as_view(), Labels::Classes(&[1, label]));
            assert_eq!(c, Some(1), "score {i} = {v}, label {label}");
        }
        let mut s = batch_from_rows(&[[1.0f32, -1.0, 2.0], [1.0, -1.0, 2.0]]);
        s[(i, 1)] = v;
        for t in [0.0f32, 1.0] {
            let mut tb = batch_from_rows(&[[1.0f32, 0.0, 1.0], [1.0, 0.0, 1.0]]);
            tb[(i, 1)] = t;
            let c = SigmoidWithLoss::<f32, 3>::new().correct(s.as_view(), Labels::OneHot(tb.as_view()));
            assert_eq!(c, Some(1), "sigmoid score {i} = {v}, target {t}");
        }
    }
}

nn::network! {
    /// The probe's network: the book's 2 → 10 (sigmoid) → 3.
    #[derive(Clone)]
    struct SigmoidNet {
        input: 2,
        affine1: Affine(10),
        sigmoid: Sigmoid,
        affine2: Affine(3),
        loss: SoftmaxWithLoss,
    }
}

nn::network! {
    /// Relu and tanh hidden layers, a binary sigmoid loss.
    #[derive(Clone)]
    struct ReluTanhNet {
        input: 3,
        affine1: Affine(8),
        relu: Relu,
        affine2: Affine(5),
        tanh: Tanh,
        affine3: Affine(1),
        loss: SigmoidWithLoss,
    }
}

nn::network! {
    /// A regression network.
    #[derive(Clone)]
    struct MseNet {
        input: 2,
        affine1: Affine(6),
        sigmoid: Sigmoid,
        affine2: Affine(2),
        loss: MeanSquaredError,
    }
}

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// Runs `f` on a poisoned input: in debug builds the generated method's input check must
/// panic naming the input (`None`), in release builds `f` runs (`Some`).
fn through_input_check<R>(what: &str, f: impl FnOnce() -> R) -> Option<R> {
    if cfg!(debug_assertions) {
        let e = catch_unwind(AssertUnwindSafe(f)).err();
        let msg = e
            .as_ref()
            .and_then(|e| e.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        assert!(
            msg.contains("the input batch is not finite"),
            "{what}: expected the debug input check to panic, got {msg:?}"
        );
        None
    } else {
        Some(f())
    }
}

/// `train_step` on an input with a NaN or an infinity at any position returns a non-finite
/// loss (release builds; debug builds stop at the input check).
#[test]
fn train_step_with_a_non_finite_input_returns_a_non_finite_loss() {
    for (i, v) in injections::<f32>(2 * 4) {
        let mut net = SigmoidNet::with_init(&mut rng(1), InitScheme::Book);
        let mut x = finite::<f32, 2>(4, 8);
        x.as_mut_slice()[i] = v;
        let loss = through_input_check("SigmoidNet::train_step", || {
            net.train_step(&x, &[0, 1, 2, 0][..], &mut Sgd::new(0.1))
        });
        if let Some(loss) = loss {
            assert!(!loss.is_finite(), "SigmoidNet: input {i} = {v} gave the loss {loss}");
        }
    }
    for (i, v) in injections::<f32>(3 * 4) {
        let mut net = ReluTanhNet::with_init(&mut rng(2), InitScheme::He);
        let mut x = finite::<f32, 3>(4, 9);
        x.as_mut_slice()[i] = v;
        let loss = through_input_check("ReluTanhNet::train_step", || {
            net.train_step(&x, &[0, 1, 1, 0][..], &mut Sgd::new(0.1))
        });
        if let Some(loss) = loss {
            assert!(!loss.is_finite(), "ReluTanhNet: input {i} = {v} gave the loss {loss}");
        }
    }
    for (i, v) in injections::<f64>(2 * 4) {
        let mut net = MseNet::with_init_f64(&mut rng(3), InitScheme::Xavier);
        let mut x = finite::<f64, 2>(4, 10);
        x.as_mut_slice()[i] = v;
        let t = finite::<f64, 2>(4, 11);
        let loss = through_input_check("MseNet::train_step", || net.train_step(&x, &t, &mut Sgd::new(0.1)));
        if let Some(loss) = loss {
            assert!(!loss.is_finite(), "MseNet: input {i} = {v} gave the loss {loss}");
        }
    }
}

/// A non-finite parameter (no input check applies) makes `train_step`'s loss non-finite in
/// every build.
#[test]
fn train_step_with_a_non_finite_parameter_returns_a_non_finite_loss() {
    let x = finite::<f32, 2>(4, 12);
    let labels = [0usize, 1, 2, 1];
    let base = SigmoidNet::with_init(&mut rng(4), InitScheme::Book);
    for v in poisons::<f32>() {
        for k in 0..30 {
            let mut net = base.clone();
            match k {
                0..20 => net.affine1.w.as_mut_slice()[k] = v,
                _ => net.affine1.b[k - 20] = v,
            }
            let loss = net.train_step(&x, &labels[..], &mut Sgd::new(0.1));
            assert!(!loss.is_finite(), "affine1 parameter {k} = {v}: loss {loss}");
        }
        for k in 0..33 {
            let mut net = base.clone();
            match k {
                0..30 => net.affine2.w.as_mut_slice()[k] = v,
                _ => net.affine2.b[k - 30] = v,
            }
            let loss = net.train_step(&x, &labels[..], &mut Sgd::new(0.1));
            assert!(!loss.is_finite(), "affine2 parameter {k} = {v}: loss {loss}");
        }
    }
    let base = ReluTanhNet::with_init(&mut rng(5), InitScheme::He);
    let x = finite::<f32, 3>(4, 13);
    for v in poisons::<f32>() {
        for k in 0..24 {
            let mut net = base.clone();
            net.affine1.w.as_mut_slice()[k] = v;
            let loss = net.train_step(&x, &[0, 1, 1, 0][..], &mut Sgd::new(0.1));
            assert!(!loss.is_finite(), "ReluTanhNet affine1 weight {k} = {v}: loss {loss}");
        }
    }
}

/// The probe: `evaluate` on a batch holding −inf returned `(1.153, Some(0))`. Now
/// its loss is non-finite, and the poisoned sample does not count as correct.
#[test]
fn evaluate_with_an_infinite_input_gives_a_non_finite_loss() {
    let data = spiral::<f32>(SPIRAL_SEED);
    let mut net = SigmoidNet::with_init(&mut rng(6), InitScheme::Book);
    // Trained a little, so that some samples are classified correctly.
    let mut t = Trainer::new(Sgd::new(1.0))
        .epochs(30)
        .batch_size(30)
        .progress(Progress::Silent);
    t.fit(&mut net, &data, None).unwrap();
    let (x, y) = (data.x(), data.labels());
    let (_, correct) = net.evaluate(x, y);
    let correct = correct.unwrap();
    assert!(correct > 100, "{correct}");
    for v in poisons::<f32>() {
        for f in 0..2 {
            let mut xp = x.clone();
            // Poison a correctly classified sample.
            let s = (0..data.len())
                .find(|&s| net.evaluate(x.columns(s, 1), &y[s..s + 1]).1 == Some(1))
                .unwrap();
            xp[(f, s)] = v;
            let got = through_input_check("SigmoidNet::evaluate", || net.evaluate(&xp, y));
            if let Some((loss, c)) = got {
                assert!(!loss.is_finite(), "evaluate: x[{f}, {s}] = {v} gave the loss {loss}");
                assert_eq!(c, Some(correct - 1), "evaluate: x[{f}, {s}] = {v}");
            }
        }
    }
}

/// A data set whose feature 2 is 0 except for sample `k`, where it is `sign · f32::MAX`: a
/// finite value, as every value of a `Dataset` is. The way a non-finite value once reached a
/// validated `Dataset`, a standardizer with a subnormal standard deviation, is refused (the
/// data set unchanged).
fn poisoned_spiral(k: usize, sign: f32) -> Dataset<f32, 3> {
    let data = spiral::<f32>(SPIRAL_SEED);
    let x = Batch::<f32, 3>::from_fn(data.len(), |r, c| match r {
        2 => (c == k) as u8 as f32 * sign * f32::MAX,
        _ => data.x()[(r, c)],
    });
    let mut d = Dataset::classification(x, data.labels().to_vec(), 3).unwrap();
    let before = d.x().clone();
    let e = d
        .standardize(&Standardizer {
            mean: Box::new([0.0; 3]),
            std: Box::new([1.0, 1.0, f32::from_bits(1)]),
        })
        .unwrap_err();
    assert!(
        matches!(e, DataError::NonFiniteStandardized { sample, feature: 2, .. } if sample == k),
        "{e:?}"
    );
    assert_eq!(d.x(), &before);
    assert!(d.x().iter().all(|v| v.is_finite()));
    d
}

nn::network! {
    /// The book's network on three features.
    #[derive(Clone)]
    struct Net3 {
        input: 3,
        affine1: Affine(10),
        sigmoid: Sigmoid,
        affine2: Affine(3),
        loss: SoftmaxWithLoss,
    }
}

/// `Net3` with the book's initialisation, except that the first layer weighs feature 2 by
/// 4: the poisoned sample's hidden pre-activations overflow to `sign · ∞` (`4 · f32::MAX`),
/// which the sigmoid turns into NaN; every other sample, 0 there, is unaffected.
fn overflowing_net(seed: u64) -> Net3<f32> {
    let mut net = Net3::<f32>::with_init(&mut rng(seed), InitScheme::Book);
    net.affine1.w.column_mut(2).fill(4.0);
    net
}

/// One sample among 300 whose activations overflow stops training with
/// `TrainError::NonFiniteLoss` at the step that sees it, the first of a full-batch run, in
/// debug and release builds (the input is finite: no debug input check is in the way).
/// Before issue 10 the first step returned a finite loss and poisoned the weights, and the
/// guard fired one step late.
#[test]
fn a_poisoned_sample_stops_training_with_an_error() {
    for (k, sign) in [(17, 1.0), (250, -1.0)] {
        let data = poisoned_spiral(k, sign);
        let mut net = overflowing_net(7);
        let mut t = Trainer::new(Sgd::new(1.0))
            .epochs(5)
            .batch_size(300)
            .progress(Progress::Silent);
        match t.fit(&mut net, &data, None) {
            Err(TrainError::NonFiniteLoss {
                epoch,
                iter,
                loss,
                last_finite,
            }) => {
                assert_eq!((epoch, iter, last_finite), (1, 1, None), "sample {k} ({sign}·MAX)");
                assert!(!loss.is_finite());
            }
            other => panic!("sample {k} ({sign}·MAX): training went on: {other:?}"),
        }
    }
}

/// `evaluate` (the trainer's) over a data set with one sample whose activations overflow
/// is an error naming that sample; without the overflowing weights the same data evaluate
/// to a finite loss.
#[test]
fn trainer_evaluate_reports_a_non_finite_loss() {
    let data = poisoned_spiral(99, -1.0);
    match evaluate(&mut overflowing_net(8), &data, 50) {
        Err(TrainError::NonFiniteEvaluation {
            batch: Some(1),
            sample: Some(99),
            loss,
            ..
        }) => assert!(!loss.is_finite()),
        other => panic!("expected an error naming sample 99, got {other:?}"),
    }
    let mut plain = Net3::with_init(&mut rng(8), InitScheme::Book);
    plain.affine1.w.column_mut(2).fill(0.0);
    let e = evaluate(&mut plain, &data, 50).expect("finite weights evaluate");
    assert!(e.loss.is_finite(), "{e:?}");
}

/// The GEMM behind the larger layers, on every instruction set this CPU runs and every path:
/// a non-finite entry of `A` poisons its row of `C`, one of `B` its column, for shapes on
/// and off the register tiles (and transposed operands); a NaN already in `C` survives
/// `β = 1`.
fn gemm_poisons<T: Float>() {
    use nn_core::__internal::{gemm_with, Isa, MatMut, MatRef, PATHS};
    let isas: Vec<Isa> = Isa::ALL.into_iter().filter(|i| i.is_supported()).collect();
    let shapes = [(1, 1, 1), (7, 3, 5), (17, 2, 9), (33, 13, 3), (9, 1, 4)];
    for isa in &isas {
        for path in PATHS {
            for &(m, n, k) in &shapes {
                for trans in [false, true] {
                    let av = finite::<T, 1>(m * k, 20).as_slice().to_vec();
                    let bv = finite::<T, 1>(k * n, 21).as_slice().to_vec();
                    let run = |av: &[T], bv: &[T], beta: T, c: &mut [T]| {
                        let a = if trans {
                            MatRef::col_major(av, k, m).t()
                        } else {
                            MatRef::col_major(av, m, k)
                        };
                        gemm_with(
                            *isa,
                            path,
                            T::one(),
                            a,
                            MatRef::col_major(bv, k, n),
                            beta,
                            MatMut::col_major(c, m, n),
                        );
                    };
                    // Non-zero B and A, so a poisoned factor reaches every product it is in.
                    let nz = |v: &[T]| {
                        v.iter()
                            .map(|&x| if x == T::zero() { T::one() } else { x })
                            .collect::<Vec<_>>()
                    };
                    let (av, bv) = (nz(&av), nz(&bv));
                    for (idx, v) in injections::<T>(m * k) {
                        let mut a = av.clone();
                        a[idx] = v;
                        let row = if trans { idx / k } else { idx % m };
                        let mut c = vec![T::zero(); m * n];
                        run(&a, &bv, T::zero(), &mut c);
                        for j in 0..n {
                            assert!(
                                !c[row + j * m].is_finite(),
                                "{isa:?} {path:?} {m}x{n}x{k} trans {trans}: A[{idx}] = {v}, C[{row}, {j}] = {}",
                                c[row + j * m]
                            );
                        }
                    }
                    for (idx, v) in injections::<T>(k * n) {
                        let mut b = bv.clone();
                        b[idx] = v;
                        let col = idx / k;
                        let mut c = vec![T::zero(); m * n];
                        run(&av, &b, T::zero(), &mut c);
                        assert!(
                            all_non_finite(&c[col * m..(col + 1) * m]),
                            "{isa:?} {path:?} {m}x{n}x{k}: B[{idx}] = {v}, column {col} {:?}",
                            &c[col * m..(col + 1) * m]
                        );
                    }
                    let mut c = vec![T::zero(); m * n];
                    c[m * n - 1] = T::cast(f64::NAN);
                    run(&av, &bv, T::one(), &mut c);
                    assert!(
                        !c[m * n - 1].is_finite(),
                        "{isa:?} {path:?} {m}x{n}x{k}: β = 1 dropped a NaN in C"
                    );
                }
            }
        }
    }
}

#[test]
fn gemm_keeps_non_finite_operands_non_finite() {
    gemm_poisons::<f32>();
    gemm_poisons::<f64>();
}

/// `DataParallel` trains the two halves of a batch on two threads and averages the losses: a
/// poisoned sample in either half (release builds; in debug builds the input check panics,
/// re-raised on the caller's thread) or a poisoned parameter gives a non-finite loss.
#[test]
fn data_parallel_returns_a_non_finite_loss() {
    use nn_core::DataParallel;
    let base = SigmoidNet::with_init(&mut rng(9), InitScheme::Book);
    let labels = [0usize, 1, 2, 1, 0, 2];
    for s in [0, 5] {
        for v in poisons::<f32>() {
            let mut x = finite::<f32, 2>(6, 14);
            x[(1, s)] = v;
            let mut par = DataParallel::new(base.clone());
            let loss = through_input_check("DataParallel::train_step", || {
                par.train_step(&x, &labels[..], &mut Sgd::new(0.1))
            });
            if let Some(loss) = loss {
                assert!(!loss.is_finite(), "sample {s} = {v}: loss {loss}");
            }
        }
    }
    for v in poisons::<f32>() {
        let mut net = base.clone();
        net.affine1.w[(3, 1)] = v;
        let mut par = DataParallel::new(net);
        let x = finite::<f32, 2>(6, 15);
        let loss = par.train_step(&x, &labels[..], &mut Sgd::new(0.1));
        assert!(!loss.is_finite(), "weight {v}: loss {loss}");
    }
}
