//! What `network!` generates for use after training, and the conveniences of issue 13:
//! constructors and constants that need no type annotation, plain-number arguments of user
//! layers, `predict_one` / `predict_proba` / `predict_class(es)`, arrays as batches, the
//! train/eval mode the generated methods drive, `reseed`, and `Auto` initialisation before a
//! user rectifier.

use nn::alloc_counter::{count_allocations, CountingAllocator};
use nn::gradcheck::random_batch;
use nn::rand::SeedableRng;
use nn::rand_chacha::ChaCha8Rng;
use nn::{network, Batch, InitScheme, Mode, Network, Sgd};

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// User layers: one that records the mode and seed the network hands it, and a leaky
/// rectifier whose slope is a `T` written as a plain number.
pub mod layers {
    use nn::{BatchBuf, BatchMut, BatchRef, Float, Layer, Mode};

    /// `y = x`, remembering the last `set_mode` and `reseed`.
    #[derive(Clone, Debug)]
    pub struct Probe<T, const D: usize> {
        pub mode: Mode,
        pub seed: Option<u64>,
        pub scale: f64,
        y: BatchBuf<T, D>,
        dx: BatchBuf<T, D>,
    }

    impl<T: Float, const D: usize> Probe<T, D> {
        /// `scale` is an `f64` argument: a float literal reaches it as `f64`.
        pub fn new(scale: f64) -> Self {
            Self {
                mode: Mode::Train,
                seed: None,
                scale,
                y: BatchBuf::new(),
                dx: BatchBuf::new(),
            }
        }
    }

    impl<T: Float, const D: usize> Layer<T, D, D> for Probe<T, D> {
        fn forward(&mut self, x: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
            self.y.copy_from(x);
            self.y.view()
        }
        fn backward(&mut self, _x: BatchRef<'_, T, D>, dout: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
            self.dx.copy_from(dout);
            self.dx.view()
        }
        fn output(&self) -> BatchRef<'_, T, D> {
            self.y.view()
        }
        fn infer(&self, x: BatchRef<'_, T, D>, mut out: BatchMut<'_, T, D>) {
            out.copy_from(&x);
        }
        fn set_mode(&mut self, mode: Mode) {
            self.mode = mode;
        }
        fn reseed(&mut self, seed: u64) {
            self.seed = Some(seed);
        }
    }

    /// `y = max(x, αx)` with `α: T` (a float literal in `network!` becomes `T`).
    #[derive(Clone, Debug)]
    pub struct Leaky<T, const D: usize> {
        pub alpha: T,
        y: BatchBuf<T, D>,
        dx: BatchBuf<T, D>,
    }

    impl<T: Float, const D: usize> Leaky<T, D> {
        pub fn new(alpha: T) -> Self {
            Self {
                alpha,
                y: BatchBuf::new(),
                dx: BatchBuf::new(),
            }
        }
        fn f(&self, x: T) -> T {
            if x > T::zero() {
                x
            } else {
                self.alpha * x
            }
        }
    }

    impl<T: Float, const D: usize> Layer<T, D, D> for Leaky<T, D> {
        const RECTIFIER: bool = true;

        fn forward(&mut self, x: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
            self.y.resize(x.ncols());
            let alpha = self.alpha;
            for (y, &x) in self.y.as_mut_slice().iter_mut().zip(x.iter()) {
                *y = if x > T::zero() { x } else { alpha * x };
            }
            self.y.view()
        }
        fn backward(&mut self, x: BatchRef<'_, T, D>, dout: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
            self.dx.resize(x.ncols());
            for ((dx, &x), &d) in self.dx.as_mut_slice().iter_mut().zip(x.iter()).zip(dout.iter()) {
                *dx = if x > T::zero() { d } else { self.alpha * d };
            }
            self.dx.view()
        }
        fn output(&self) -> BatchRef<'_, T, D> {
            self.y.view()
        }
        fn infer(&self, x: BatchRef<'_, T, D>, mut out: BatchMut<'_, T, D>) {
            for (y, &x) in out.iter_mut().zip(x.iter()) {
                *y = self.f(x);
            }
        }
    }
}

network! {
    /// A classifier with a probe between its layers.
    pub struct Probed {
        input: 2,
        fc1: Affine(16),
        act: crate::layers::Leaky(-0.0), // a negated float literal: `T`
        probe: crate::layers::Probe(0.25), // a float literal into an `f64` argument
        fc2: Affine(3),
        loss: SoftmaxWithLoss,
    }
}

network! {
    /// The same widths, a leaky user rectifier with a plain-number slope.
    pub struct Rectified {
        input: 4,
        fc1: Affine(64),
        act: crate::layers::Leaky(0.01),
        fc2: Affine(3),
        loss: SoftmaxWithLoss,
    }
}

network! {
    /// A binary classifier (one sigmoid output).
    pub struct Binary { input: 2, fc: Affine(4), act: Tanh, out: Affine(1), loss: SigmoidWithLoss }
}

network! {
    /// A regression network (no classes).
    pub struct Regress { input: 3, fc: Affine(2), loss: MeanSquaredError }
}

#[test]
fn constructors_and_constants_need_no_type_annotation() {
    let zero = Probed::zeroed(); // f32, no turbofish
    assert!(zero.fc1.w.iter().all(|&w| w == 0.0f32));
    assert_eq!(Probed::PARAMS, (2 * 16 + 16) + (16 * 3 + 3));
    assert_eq!((Probed::INPUT, Probed::OUTPUT), (2, 3));
    let net = Probed::with_init(&mut rng(1), InitScheme::He);
    assert_eq!(net.param_count(), Probed::PARAMS);
    let wide = ProbedF64::zeroed_f64();
    assert_eq!(wide.param_count(), Probed::PARAMS);
    let _: ProbedF64 = Probed::with_init_f64(&mut rng(1), InitScheme::He);
    // Generic code goes through `Network`.
    fn generic<T: nn::Float>() -> Probed<T> {
        <Probed<T> as Network<T, 2, 3>>::zeroed()
    }
    assert_eq!(generic::<f64>().param_count(), Probed::PARAMS);
    // f32 and f64 networks drawn from one seed hold the same weights (up to rounding).
    let a = Probed::with_init(&mut rng(2), InitScheme::Xavier);
    let b = Probed::with_init_f64(&mut rng(2), InitScheme::Xavier);
    for (x, y) in a.fc1.w.iter().zip(b.fc1.w.iter()) {
        assert_eq!(*x, *y as f32);
    }
}

#[test]
fn plain_number_arguments_reach_user_layers_as_t_or_f64() {
    let net = Rectified::new(&mut rng(3));
    assert_eq!(net.act.alpha, 0.01f32);
    let wide = Rectified::new_f64(&mut rng(3));
    assert_eq!(wide.act.alpha, 0.01f64);
    let probed = Probed::new(&mut rng(3));
    assert_eq!(probed.probe.scale, 0.25);
    assert_eq!(probed.act.alpha, -0.0);
}

#[test]
fn auto_init_draws_he_before_a_user_rectifier() {
    // `fc1` is drawn first: by He under `Auto` exactly when `Leaky::RECTIFIER` holds.
    let auto = Rectified::new(&mut rng(4));
    let he = Rectified::with_init(&mut rng(4), InitScheme::He);
    let xavier = Rectified::with_init(&mut rng(4), InitScheme::Xavier);
    assert_eq!(auto.fc1.w, he.fc1.w);
    assert_ne!(auto.fc1.w, xavier.fc1.w);
    // `fc2` is followed by the loss: Xavier, in both.
    let auto_fc2: Vec<f32> = auto.fc2.w.iter().copied().collect();
    assert!(auto_fc2.iter().all(|w| w.is_finite()));
}

#[test]
fn the_generated_methods_drive_the_mode() {
    let mut net = Probed::new(&mut rng(5));
    let x = random_batch::<f32, 2>(6, -1.0, 1.0, 6);
    let t = [0usize, 1, 2, 0, 1, 2];
    net.predict(&x);
    assert_eq!(net.probe.mode, Mode::Eval, "predict evaluates");
    net.train_step(&x, &t, &mut Sgd::new(0.1));
    assert_eq!(net.probe.mode, Mode::Train, "train_step trains");
    net.evaluate(&x, &t);
    assert_eq!(net.probe.mode, Mode::Eval, "evaluate evaluates");
    net.forward(&x, &t);
    assert_eq!(net.probe.mode, Mode::Train, "forward trains");
    net.set_mode(Mode::Eval);
    assert_eq!(net.probe.mode, Mode::Eval, "set_mode reaches every layer");
    // `reseed` hands layer k (0-based, in the layer list) `layer_seed(seed, k)`.
    net.reseed(42);
    assert_eq!(net.probe.seed, Some(nn::layers::layer_seed(42, 2)));
    assert_ne!(nn::layers::layer_seed(42, 2), nn::layers::layer_seed(42, 1));
    assert_ne!(nn::layers::layer_seed(42, 2), nn::layers::layer_seed(43, 2));
}

#[test]
fn predict_one_proba_and_class_agree_with_predict() {
    let mut net = Probed::new(&mut rng(7));
    let samples = [[0.5f32, -0.25], [-1.0, 0.75], [0.1, 0.2]];
    let scores: Batch<f32, 3> = net.predict(samples).clone_owned(); // `[[T; IN]; N]` is a batch
    let classes = net.predict_classes(&samples[..]); // and `&[[T; IN]]`
    for (n, x) in samples.iter().enumerate() {
        let one = net.predict_one(x);
        assert_eq!(one.as_slice(), scores.column(n).as_slice(), "sample {n}");
        let p = net.predict_proba(x);
        let max = one.iter().fold(f32::MIN, |m, &s| m.max(s));
        let sum: f32 = one.iter().map(|s| (s - max).exp()).sum();
        for k in 0..3 {
            let expected = (one[k] - max).exp() / sum;
            assert!((p[k] - expected).abs() < 1e-6, "p[{k}] = {} vs {expected}", p[k]);
        }
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        let best = (0..3).max_by(|&a, &b| one[a].total_cmp(&one[b])).unwrap();
        assert_eq!(net.predict_class(x), Some(best));
        assert_eq!(classes[n], Some(best));
    }
    let mut out = Batch::<f32, 3>::zeros(3);
    net.predict_proba_into(samples, out.as_view_mut());
    assert_eq!(out.column(1).as_slice(), net.predict_proba(&samples[1]).as_slice());
}

#[test]
fn a_non_finite_score_has_no_class() {
    // (A non-finite input panics in debug builds before it gets here; a non-finite weight
    // reaches the scores in every build.)
    let mut net = Probed::new(&mut rng(8));
    net.fc1.w[(0, 0)] = f32::NAN; // feature 0 → every score
    assert_eq!(net.predict_class(&[1.0, 0.0]), None);
    assert!(net.predict_proba(&[1.0, 0.0]).iter().all(|p| p.is_nan()));
    let classes = net.predict_classes(&[[0.0f32, 0.0], [1.0, 1.0]][..]);
    assert!(classes[1].is_none(), "{classes:?}");
}

#[test]
fn a_single_sigmoid_output_predicts_zero_or_one() {
    let net = Binary::new(&mut rng(9));
    for x in [[0.3f32, -0.2], [-2.0, 1.5], [4.0, 4.0]] {
        let score = net.predict_one(&x)[0];
        let p = net.predict_proba(&x)[0];
        assert!((p - 1.0 / (1.0 + (-score).exp())).abs() < 1e-6);
        assert_eq!(net.predict_class(&x), Some(usize::from(score >= 0.0)));
    }
    // A regression network gets `predict_one` only.
    let r = Regress::new(&mut rng(10));
    assert_eq!(r.predict_one(&[1.0, 2.0, 3.0]).len(), 2);
}

#[test]
fn arrays_train_and_predict_like_batches() {
    let samples = [[0.5f32, -0.25], [-1.0, 0.75], [0.1, 0.2], [0.9, -0.9]];
    let batch = Batch::<f32, 2>::from_column_slice(samples.as_flattened());
    let t = [0usize, 1, 2, 1];
    let mut a = Probed::new(&mut rng(11));
    let mut b = a.clone_for_test();
    let la = a.train_step(samples, &t, &mut Sgd::new(0.1));
    let lb = b.train_step(&batch, &t, &mut Sgd::new(0.1));
    assert_eq!(la, lb);
    assert_eq!(a.fc1.w, b.fc1.w);
    let v: Vec<[f32; 2]> = samples.to_vec();
    assert_eq!(a.predict(&v).clone_owned(), b.predict(&batch).clone_owned());
    assert_eq!(
        a.predict(samples[0]).clone_owned(),
        b.predict(batch.columns(0, 1)).clone_owned()
    );
}

trait CloneForTest {
    fn clone_for_test(&self) -> Self;
}

impl CloneForTest for Probed {
    /// A copy through the saved tensors (the struct derives nothing).
    fn clone_for_test(&self) -> Self {
        let mut copy = Probed::zeroed();
        copy.fc1.w.copy_from(&self.fc1.w);
        copy.fc1.b.copy_from(&self.fc1.b);
        copy.fc2.w.copy_from(&self.fc2.w);
        copy.fc2.b.copy_from(&self.fc2.b);
        copy
    }
}

#[test]
fn inference_helpers_allocate_nothing_in_steady_state() {
    let net = Probed::new(&mut rng(12));
    let x = [0.5f32, -0.5];
    let samples = [[0.5f32, -0.25], [-1.0, 0.75]];
    let mut out = Batch::<f32, 3>::zeros(2);
    net.predict_one(&x); // warm-up: this thread's scratch grows
    net.predict_proba_into(samples, out.as_view_mut());
    let (_, n) = count_allocations(|| {
        for _ in 0..10 {
            std::hint::black_box(net.predict_one(&x));
            std::hint::black_box(net.predict_proba(&x));
            std::hint::black_box(net.predict_class(&x));
            net.predict_proba_into(samples, out.as_view_mut());
        }
    });
    assert_eq!(n, 0, "predict_one / predict_proba / predict_class allocated {n} times");
}

// ------------------------------------------------------------- the new built-in layers

network! {
    /// Every new built-in in one network.
    #[derive(Clone, Debug)]
    pub struct Regularized {
        input: 4,
        fc1: Affine(32),
        bn: BatchNorm,              // eps 1e-5, momentum 0.1 (PyTorch's defaults)
        act: LeakyRelu(0.02),
        drop: Dropout(0.5),
        fc2: Affine(16),
        ln: LayerNorm(1e-5),
        gelu: Gelu,
        fc3: Affine(8),
        soft: Softplus,
        tanh_gelu: GeluTanh,
        id: Identity,
        out: Affine(3),
        loss: SoftmaxWithLoss,
    }
}

fn data(n: usize, seed: u64) -> (Batch<f32, 4>, Vec<usize>) {
    let x = random_batch::<f32, 4>(n, -1.0, 1.0, seed);
    let t = (0..n).map(|i| (i * 7 + seed as usize) % 3).collect();
    (x, t)
}

#[test]
fn dropout_drops_in_train_step_and_not_in_predict_or_evaluate() {
    let mut net = Regularized::new(&mut rng(20));
    assert_eq!((net.drop.p(), net.act.negative_slope()), (0.5, 0.02));
    let (x, t) = data(64, 21);
    net.train_step(&x, &t, &mut Sgd::new(0.01));
    let mask: Vec<f32> = net.drop.mask().iter().copied().collect();
    let dropped = mask.iter().filter(|&&m| m == 0.0).count();
    assert!(
        mask.iter().all(|&m| m == 0.0 || m == 2.0),
        "inverted dropout scales by 1/(1-p)"
    );
    assert!(
        (dropped as f64 / mask.len() as f64 - 0.5).abs() < 0.1,
        "{dropped} of {} dropped",
        mask.len()
    );
    // Eval: the same answer every time, equal to the `&self` path, batch-independent.
    let a = net.predict(&x).clone_owned();
    let b = net.predict(&x).clone_owned();
    assert_eq!(a, b, "predict is deterministic");
    let mut out = Batch::<f32, 3>::zeros(64);
    net.predict_into(&x, out.as_view_mut());
    for (p, q) in a.iter().zip(out.iter()) {
        assert!(
            (p - q).abs() <= 1e-5 * (1.0 + p.abs()),
            "predict {p} vs predict_into {q}"
        );
    }
    let single = net.predict_one(&[x[(0, 0)], x[(1, 0)], x[(2, 0)], x[(3, 0)]]);
    for k in 0..3 {
        assert!(
            (single[k] - a[(k, 0)]).abs() <= 1e-5 * (1.0 + a[(k, 0)].abs()),
            "eval does not depend on the batch"
        );
    }
    assert_eq!(net.evaluate(&x, &t), net.evaluate(&x, &t), "evaluate is deterministic");
    // Train mode: a fresh mask every forward, the same one after the same reseed.
    let l1 = net.forward(&x, &t);
    let l2 = net.forward(&x, &t);
    assert_ne!(l1, l2, "two training forwards draw two masks");
    net.reseed(5);
    let l3 = net.forward(&x, &t);
    net.reseed(5);
    assert_eq!(l3, net.forward(&x, &t), "the same seed draws the same mask");
}

#[test]
fn two_runs_from_one_seed_are_identical() {
    let run = || {
        let mut net = Regularized::new(&mut rng(22));
        let mut opt = nn::Adam::default();
        let mut losses = Vec::new();
        for step in 0..20 {
            let (x, t) = data(16, 100 + step);
            losses.push(net.train_step(&x, &t, &mut opt));
        }
        (losses, net.out.w.clone(), net.bn.running_mean.clone())
    };
    let (a, b) = (run(), run());
    assert_eq!(a.0, b.0);
    assert_eq!(a.1, b.1);
    assert_eq!(a.2, b.2);
    // The masks come from the network's seed (Dropout draws its stream's seed in
    // `init_params`), not from a fixed default.
    let mask_of = |seed: u64| {
        let mut net = Regularized::new(&mut rng(seed));
        let (x, t) = data(16, 100);
        net.forward(&x, &t);
        net.drop.mask().iter().copied().collect::<Vec<f32>>()
    };
    assert_eq!(mask_of(40), mask_of(40));
    assert_ne!(mask_of(40), mask_of(41), "two network seeds draw two masks");
    // Another network seed draws other masks (and weights).
    let mut other = Regularized::new(&mut rng(23));
    let (x, t) = data(16, 100);
    assert_ne!(other.train_step(&x, &t, &mut nn::Adam::default()), a.0[0]);
}

#[test]
fn the_new_layers_pass_a_whole_network_gradient_check() {
    let mut net = RegularizedF64::new_f64(&mut rng(24));
    let x = random_batch::<f64, 4>(5, -1.0, 1.0, 25);
    let t = [0usize, 2, 1, 1, 0];
    nn::gradcheck::check_network(&mut net, x.as_view(), nn::Labels::Classes(&t)).assert_ok();
}

#[test]
fn summary_counts_the_normalisation_parameters() {
    let net = Regularized::zeroed();
    let s = net.summary();
    let row = |name: &str| s.rows.iter().find(|r| r.name == name).unwrap().params;
    assert_eq!((row("bn"), row("ln"), row("drop")), (64, 32, 0));
    assert_eq!(s.total_params(), Regularized::PARAMS);
    assert_eq!(
        Regularized::PARAMS,
        (4 * 32 + 32) + 64 + (32 * 16 + 16) + 32 + (16 * 8 + 8) + (8 * 3 + 3)
    );
    let mut keys = Vec::new();
    net.visit_tensors(|layer, t| keys.push(format!("{layer}.{}", t.name)));
    assert!(keys.contains(&"bn.running_var".to_string()), "{keys:?}");
}

#[test]
fn the_new_layers_train_and_predict_without_allocating() {
    let mut net = Regularized::new(&mut rng(26));
    let (x, t) = data(32, 27);
    let (short, _) = data(5, 28);
    let mut opt = nn::Adam::default();
    net.train_step(&x, &t, &mut opt);
    net.predict(&x);
    let sample = [0.1f32, 0.2, -0.3, 0.4];
    net.predict_one(&sample);
    let (_, n) = count_allocations(|| {
        for _ in 0..3 {
            net.train_step(&x, &t, &mut opt);
            net.train_step(&short, &t[..5], &mut opt);
            net.predict(&x);
            net.evaluate(&x, &t);
            std::hint::black_box(net.predict_one(&sample));
        }
    });
    assert_eq!(n, 0, "a network of the new layers allocated {n} times in steady state");
}

// ------------------------------------------------------------- panics name the caller

/// The file and message of the panic `f` raises.
fn panic_site(f: impl FnOnce() + std::panic::UnwindSafe) -> (String, String) {
    use std::sync::{Arc, Mutex};
    let seen = Arc::new(Mutex::new(None));
    let keep = Arc::clone(&seen);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let file = info.location().map(|l| l.file().to_string()).unwrap_or_default();
        *keep.lock().unwrap() = Some(file);
    }));
    let err = std::panic::catch_unwind(f).expect_err("it panics");
    std::panic::set_hook(previous);
    let message = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    let file = seen.lock().unwrap().take().unwrap_or_default();
    (file, message)
}

#[test]
fn caller_mistakes_panic_at_the_callers_line() {
    let (file, message) = panic_site(|| {
        let data = [1.0f32, 2.0, 3.0];
        let _ = nn::batch_view::<f32, 2>(&data); // 3 values are not columns of 2
    });
    assert!(
        file.ends_with("inference.rs"),
        "batch_view's panic points at {file}: {message}"
    );
    let (file, message) = panic_site(|| {
        let _ = nn::Dropout::<f32, 4>::new(1.0);
    });
    assert!(
        file.ends_with("inference.rs"),
        "Dropout::new points at {file}: {message}"
    );
    assert!(message.contains("[0, 1)"), "{message}");
}
