//! ONNX export run in an independent runtime: every network is exported with `to_onnx`
//! (or `save_onnx`), loaded by `tract-onnx`, run on a batch with a symbolic batch size, and
//! its outputs compared with `predict` (`scores`) and with the loss's own prediction
//! (`probabilities`: softmax or sigmoid of the scores).
//!
//! Tolerance: normwise relative per sample. For each sample (one row of `OUT` outputs) `a`
//! of tract's output and `b` of nn's, `max_j |a_j − b_j| ≤ 1e-5 · max_j |b_j|`, in f32 and
//! for an f64 network, exported as f32 (its parameters rounded) and run on its input
//! rounded to f32, against its own f64 `predict`. (Element by element, a score that cancels to nearly 0
//! differs by a few f32 ulps of the *terms*, which no relative bound on that element
//! holds: both runtimes round differently in their dot products.) The largest error is
//! printed (`cargo test --features onnx --test all onnx:: -- --nocapture`).
#![cfg(feature = "onnx")]

use nn::data::{spiral, SPIRAL_SEED};
use nn::onnx::OnnxError;
use nn::rand::{Rng, SeedableRng};
use nn::rand_chacha::ChaCha8Rng;
use nn::train::{Progress, Trainer};
use nn::{network, Activation, ActivationFn, Batch, Float, Labels, Network};
use tract_onnx::prelude::*;

/// Softplus with an ONNX form: a user activation exports through `ActivationFn::OP`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SoftplusFn;

impl ActivationFn for SoftplusFn {
    const NAME: &'static str = "Softplus";
    const OP: Option<&'static str> = Some("Softplus");
    fn f<T: Float>(x: &[T], y: &mut [T]) {
        for (y, &x) in y.iter_mut().zip(x) {
            *y = x.exp().ln_1p();
        }
    }
    fn df<T: Float>(x: T, _y: T) -> T {
        T::one() / (T::one() + (-x).exp())
    }
}
pub type Softplus<T, const D: usize> = Activation<T, D, SoftplusFn>;

/// Swish, `x·σ(x)`, without an ONNX form (no `OP`): the export must name it.
#[derive(Clone, Copy, Debug, Default)]
pub struct SwishFn;

impl ActivationFn for SwishFn {
    const NAME: &'static str = "Swish";
    fn f<T: Float>(x: &[T], y: &mut [T]) {
        for (y, &x) in y.iter_mut().zip(x) {
            *y = x / (T::one() + (-x).exp());
        }
    }
    fn df<T: Float>(x: T, _y: T) -> T {
        let s = T::one() / (T::one() + (-x).exp());
        s * (T::one() + x * (T::one() - s))
    }
}
pub type Swish<T, const D: usize> = Activation<T, D, SwishFn>;

network! {
    /// The book's spiral classifier.
    pub struct SpiralNet {
        input: 2,
        affine1: Affine(10),
        sigmoid: Sigmoid,
        affine2: Affine(3),
        loss: SoftmaxWithLoss,
    }
}

network! {
    /// Every built-in operator, a user activation with an ONNX form, independent binary
    /// outputs.
    pub struct DeepNet {
        input: 5,
        fc1: Affine(32),
        relu: Relu,
        fc2: Affine(16),
        tanh: Tanh,
        proj: MatMul(12),
        sigmoid: Sigmoid,
        fc3: Affine(8),
        softplus: self::Softplus,
        fc4: Affine(4),
        loss: SigmoidWithLoss,
    }
}

network! {
    /// Regression: `scores` only.
    pub struct Regressor {
        input: 3,
        fc1: Affine(8),
        tanh: Tanh,
        fc2: Affine(2),
        loss: MeanSquaredError,
    }
}

network! {
    /// No loss; a softmax layer.
    pub struct Classifier {
        input: 3,
        fc: Affine(4),
        relu: Relu,
        out: Affine(3),
        prob: Softmax,
    }
}

network! {
    /// A layer without an ONNX form.
    pub struct SwishNet {
        input: 4,
        fc1: Affine(8),
        swish: self::Swish,
        fc2: Affine(3),
        loss: SoftmaxWithLoss,
    }
}

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// `n` samples of `D` features uniform in `[-2, 2)`, seeded (`D × N`).
fn random_batch<T: Float, const D: usize>(n: usize, seed: u64) -> Batch<T, D> {
    let mut r = rng(seed);
    Batch::from_fn(n, |_, _| T::cast(r.random_range(-2.0..2.0)))
}

/// Runs the ONNX `bytes` in tract on `x` (`D × N` = `[N, D]` row-major) and returns every
/// output, flattened row-major (`[N, OUT]`, the element order of an `OUT × N` batch). The
/// batch size stays symbolic in the optimised model: every call runs two batch sizes.
fn run_tract<T: Float, const D: usize>(bytes: &[u8], xs: &[&Batch<T, D>]) -> Vec<Vec<Vec<f32>>> {
    let model = tract_onnx::onnx()
        .model_for_read(&mut &bytes[..])
        .expect("tract reads the model")
        .into_optimized()
        .expect("tract optimises the model")
        .into_runnable()
        .expect("tract plans the model");
    xs.iter()
        .map(|x| {
            let x32: Vec<f32> = x.iter().map(|v| v.as_f64() as f32).collect();
            let input = Tensor::from_shape(&[x.ncols(), D], &x32).unwrap();
            let outputs = model.run(tvec!(input.into())).expect("tract runs the model");
            outputs
                .iter()
                .map(|t| t.to_plain_array_view::<f32>().unwrap().iter().copied().collect())
                .collect()
        })
        .collect()
}

/// The largest per-sample `max_j |a_j − b_j| / max_j |b_j|` over samples of `width`
/// outputs, after checking the lengths (a NaN counts as infinitely wrong).
fn max_rel_err<T: Float>(a: &[f32], b: &[T], width: usize) -> f64 {
    assert_eq!(a.len(), b.len(), "output lengths");
    a.chunks_exact(width)
        .zip(b.chunks_exact(width))
        .map(|(a, b)| {
            let diff = a
                .iter()
                .zip(b)
                .map(|(&a, &b)| (f64::from(a) - b.as_f64()).abs())
                .fold(0.0, f64::max);
            let scale = b.iter().map(|&b| b.as_f64().abs()).fold(f64::MIN_POSITIVE, f64::max);
            let e = diff / scale;
            if e.is_nan() || a.iter().any(|a| a.is_nan()) {
                f64::INFINITY
            } else {
                e
            }
        })
        .fold(0.0, f64::max)
}

/// The tolerance, for f32 and f64 networks alike (both are exported as f32).
const TOLERANCE: f64 = 1e-5;

/// The probabilities a loss derives from a batch of scores.
type ProbFn<T, const OUT: usize> = fn(&Batch<T, OUT>) -> Vec<T>;

/// Softmax of each sample's `OUT` scores.
fn softmax<T: Float, const OUT: usize>(scores: &Batch<T, OUT>) -> Vec<T> {
    let mut p = scores.clone();
    nn::layers::softmax_into(scores.as_view(), p.as_view_mut());
    p.as_slice().to_vec()
}

fn sigmoid<T: Float>(scores: &[T]) -> Vec<T> {
    scores.iter().map(|&s| T::one() / (T::one() + (-s).exp())).collect()
}

/// Exports `net`, runs it in tract on two batches and checks `scores` against `predict`
/// and `probabilities` against `prob` of the scores (`None`: no such output). Returns the
/// largest relative error.
fn check<T, N, const IN: usize, const OUT: usize>(
    name: &str,
    net: &mut N,
    xs: [&Batch<T, IN>; 2],
    prob: Option<ProbFn<T, OUT>>,
) -> f64
where
    T: Float,
    N: Network<T, IN, OUT>,
{
    let bytes = nn::onnx::to_onnx(&*net).unwrap_or_else(|e| panic!("{name}: {e}"));
    let runs = run_tract::<T, IN>(&bytes, &xs);
    let mut worst = 0.0f64;
    for (x, outputs) in xs.iter().zip(runs) {
        let scores: Batch<T, OUT> = net.predict(x.as_view()).clone_owned();
        let expected: Vec<Vec<T>> = match prob {
            Some(p) => vec![scores.as_slice().to_vec(), p(&scores)],
            None => vec![scores.as_slice().to_vec()],
        };
        assert_eq!(outputs.len(), expected.len(), "{name}: number of outputs");
        for (which, (got, want)) in ["scores", "probabilities"].iter().zip(outputs.iter().zip(&expected)) {
            let e = max_rel_err(got, want, OUT);
            println!("{name} (N = {}): {which} max relative error {e:.3e}", x.ncols());
            assert!(
                e <= TOLERANCE,
                "{name}: {which} differ from nn's by {e:e} (relative) on a batch of {}",
                x.ncols()
            );
            worst = worst.max(e);
        }
    }
    worst
}

#[test]
fn trained_spiral_net_matches_predict_and_softmax() {
    let data = spiral::<f32>(SPIRAL_SEED);
    let mut net = SpiralNet::new(&mut rng(0));
    let history = Trainer::new(nn::Sgd::new(1.0))
        .epochs(60)
        .batch_size(30)
        .seed(0)
        .progress(Progress::Silent)
        .fit(&mut net, &data, None)
        .unwrap();
    let (first, last) = (history.log.first().unwrap().loss, history.log.last().unwrap().loss);
    assert!(last < 0.8 * first, "the net trained: loss {first} → {last}");
    let x = data.x().clone();
    let one = random_batch::<f32, 2>(1, 1);
    let e = check("SpiralNet", &mut net, [&x, &one], Some(softmax::<f32, 3>));
    println!("SpiralNet: worst relative error {e:.3e}");
}

#[test]
fn deep_net_with_every_operator_matches() {
    let mut net = DeepNet::new(&mut rng(1));
    // A few steps so that the biases are not zero.
    let x = random_batch::<f32, 5>(64, 2);
    let targets: Batch<f32, 4> = random_batch::<f32, 4>(64, 3).map(|v| if v > 0.0 { 1.0 } else { 0.0 });
    let mut opt = nn::Adam::new(0.01, 0.9, 0.999);
    for _ in 0..20 {
        net.train_step(&x, Labels::OneHot(targets.as_view()), &mut opt);
    }
    assert!(net.fc1.b.iter().any(|&b| b != 0.0));
    let small = random_batch::<f32, 5>(3, 4);
    check(
        "DeepNet",
        &mut net,
        [&x, &small],
        Some(|s: &Batch<f32, 4>| sigmoid(s.as_slice())),
    );
}

#[test]
fn regression_and_f64_and_a_network_without_loss() {
    let mut reg = Regressor::new(&mut rng(5));
    reg.fc2.b[0] = 0.5;
    let x = random_batch::<f32, 3>(40, 6);
    check("Regressor", &mut reg, [&x, &random_batch(2, 7)], None);

    let mut reg64 = Regressor::new_f64(&mut rng(5));
    reg64.fc1.b[3] = -0.25;
    let x64 = random_batch::<f64, 3>(40, 6);
    check("Regressor<f64>", &mut reg64, [&x64, &random_batch(5, 8)], None);

    // The softmax layer is part of `scores`: there is no loss, so no `probabilities`.
    let mut cls = Classifier::new(&mut rng(9));
    let scores = check("Classifier", &mut cls, [&x, &random_batch(1, 10)], None);
    assert!(scores <= 1e-5);
}

#[test]
fn graph_inputs_and_outputs_are_named_and_batch_major() {
    let net = SpiralNet::new(&mut rng(0));
    let bytes = net.to_onnx().unwrap();
    let model = tract_onnx::onnx().model_for_read(&mut &bytes[..]).unwrap();
    let name = |o: &OutletId| model.node(o.node).name.clone();
    let inputs: Vec<String> = model.input_outlets().unwrap().iter().map(name).collect();
    let outputs: Vec<String> = model.output_outlets().unwrap().iter().map(name).collect();
    assert_eq!(inputs, ["input"]);
    // `scores` is the output of the last layer's node.
    assert_eq!(outputs, ["affine2", "probabilities"]);
    for layer in ["affine1", "sigmoid", "affine2"] {
        assert!(model.node_by_name(layer).is_ok(), "a node named {layer}");
    }
}

#[test]
fn a_layer_without_an_onnx_form_is_named() {
    let net = SwishNet::new(&mut rng(0));
    let err = net.to_onnx().unwrap_err();
    match &err {
        OnnxError::Unsupported { layer, kind } => {
            assert_eq!((*layer, kind.as_str()), ("swish", "Swish<8>"));
        }
        other => panic!("expected Unsupported, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("layer `swish` (Swish<8>)") && msg.contains("ActivationFn::OP"),
        "{msg}"
    );
    // Nothing is written.
    let dir = std::env::temp_dir().join(format!("nn-onnx-unsupported-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("swish.onnx");
    assert!(matches!(net.save_onnx(&path), Err(OnnxError::Unsupported { .. })));
    assert!(!path.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn save_onnx_writes_the_bytes_atomically() {
    let dir = std::env::temp_dir().join(format!("nn-onnx-save-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let net = SpiralNet::new(&mut rng(3));
    let path = dir.join("spiral.onnx");
    std::fs::write(&path, b"old").unwrap();
    net.save_onnx(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), net.to_onnx().unwrap());
    // The generic function writes the same file.
    nn::onnx::save_onnx(&net, &path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), net.to_onnx().unwrap());

    // A failing save (the target is a directory: the final rename fails) names the path,
    // leaves the target as it was and no temporary file behind.
    let target = dir.join("taken");
    std::fs::create_dir_all(target.join("inner")).unwrap();
    let err = net.save_onnx(&target).unwrap_err();
    assert!(matches!(&err, OnnxError::Io { path, .. } if *path == target), "{err:?}");
    assert!(err.to_string().contains("taken"), "{err}");
    assert!(target.join("inner").is_dir());
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["spiral.onnx", "taken"], "no temporary file remains");

    // A missing directory.
    let missing = dir.join("no/such/dir/net.onnx");
    assert!(matches!(net.save_onnx(&missing), Err(OnnxError::Io { path, .. }) if path == missing));
    std::fs::remove_dir_all(&dir).unwrap();
}
