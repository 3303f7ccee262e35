//! `DataParallel`: two-thread training gives the single-thread results (every loss, both
//! optimizers, odd and tiny batches), the worker thread is joined, and a panic on either
//! thread is raised on the caller without a deadlock.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

use nn::data::{Batches, Dataset};
use nn::rand::{Rng, SeedableRng};
use nn::rand_chacha::ChaCha8Rng;
use nn::{network, Adam, Batch, DataParallel, Float, Labels, LossLayer, Network, Optimizer, Sgd, Trainable};

network! {
    /// A softmax classifier.
    #[derive(Clone)]
    pub struct Classifier { input: 12, affine1: Affine(16), tanh: Tanh, affine2: Affine(5), loss: SoftmaxWithLoss }
}

network! {
    /// Multi-label outputs.
    #[derive(Clone)]
    pub struct MultiLabel { input: 12, affine1: Affine(8), relu: Relu, affine2: Affine(3), loss: SigmoidWithLoss }
}

network! {
    /// Regression.
    #[derive(Clone)]
    pub struct Regressor { input: 12, affine1: Affine(10), sigmoid: Sigmoid, affine2: Affine(2), loss: MeanSquaredError }
}

network! {
    /// A W2-like f32 network (GEMM path for its first layer).
    #[derive(Clone)]
    pub struct Wide { input: 196, affine1: Affine(64), sigmoid: Sigmoid, affine2: Affine(10), loss: SoftmaxWithLoss }
}

/// Identity with one parameter (a scale fixed at 1, gradient 0) whose `visit_params`
/// sleeps: the worker's copy of the new values then outlasts any spinning a waiting caller
/// does before it parks.
#[derive(Clone, Debug)]
pub struct Sleepy<T: Float, const D: usize> {
    y: nn::BatchBuf<T, D>,
    dx: nn::BatchBuf<T, D>,
    p: [T; 1],
    g: [T; 1],
}

impl<T: Float, const D: usize> Sleepy<T, D> {
    pub fn new() -> Self {
        Self {
            y: nn::BatchBuf::new(),
            dx: nn::BatchBuf::new(),
            p: [T::one()],
            g: [T::zero()],
        }
    }
}

impl<T: Float, const D: usize> Default for Sleepy<T, D> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float, const D: usize> nn::Layer<T, D, D> for Sleepy<T, D> {
    const PARAMS: usize = 1;
    fn forward(&mut self, x: nn::BatchRef<'_, T, D>) -> nn::BatchRef<'_, T, D> {
        self.y.copy_from(x);
        self.y.view()
    }
    fn backward(&mut self, _x: nn::BatchRef<'_, T, D>, dout: nn::BatchRef<'_, T, D>) -> nn::BatchRef<'_, T, D> {
        self.dx.copy_from(dout);
        self.dx.view()
    }
    fn output(&self) -> nn::BatchRef<'_, T, D> {
        self.y.view()
    }
    fn infer(&self, x: nn::BatchRef<'_, T, D>, mut out: nn::BatchMut<'_, T, D>) {
        out.copy_from(&x);
    }
    fn visit_params(&mut self, f: &mut dyn FnMut(nn::Param<'_, T>)) {
        std::thread::sleep(std::time::Duration::from_millis(20));
        f(nn::Param::new("scale", &mut self.p, &self.g));
    }
}

network! {
    /// Its parameters are slow to visit (see `Sleepy`).
    #[derive(Clone)]
    pub struct SlowToSync { input: 12, sleepy: self::Sleepy, affine1: Affine(5), loss: SoftmaxWithLoss }
}

/// Tests that count the worker threads run one at a time (the others create workers too).
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Batch sizes of the equivalence runs: odd, even, one and two samples.
const SIZES: [usize; 7] = [101, 64, 1, 2, 3, 100, 1];

fn inputs<T: Float, const D: usize>(rng: &mut ChaCha8Rng, n: usize) -> Batch<T, D> {
    Batch::from_fn(n, |_, _| T::cast(rng.random::<f64>() * 2.0 - 1.0))
}

fn params<T: Float, const IN: usize, const OUT: usize>(net: &mut impl Network<T, IN, OUT>) -> Vec<Vec<f64>> {
    let mut out = Vec::new();
    net.visit_params(&mut |p| out.push(p.value.iter().map(|v| v.as_f64()).collect()));
    out
}

/// Every parameter tensor of `a` within `tol` of `b`, relative to the tensor's largest
/// magnitude.
fn assert_close(a: &[Vec<f64>], b: &[Vec<f64>], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len());
    for (i, (a, b)) in a.iter().zip(b).enumerate() {
        let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-30);
        let err = a.iter().zip(b).fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
        assert!(
            err <= tol * scale,
            "{what}: tensor {i} differs by {err:e} (scale {scale:e}, tol {tol:e})"
        );
    }
}

/// Trains a clone of `net` single-threaded and `net` in a `DataParallel` on the same batches
/// (sizes `SIZES`, `targets(rng, n)` for the labels) and compares losses and parameters.
fn compare<N, T, const IN: usize, const OUT: usize, Y, O>(
    net: N,
    mut opt: impl FnMut() -> O,
    targets: impl Fn(&mut ChaCha8Rng, usize) -> Y,
    as_target: impl for<'a> Fn(&'a Y) -> <N::Loss as LossLayer<T, OUT>>::Target<'a>,
    tol: f64,
    what: &str,
) where
    T: Float,
    N: Trainable<T, IN, OUT> + Clone + Send + 'static,
    for<'a> <N::Loss as LossLayer<T, OUT>>::Target<'a>: Send,
    O: Optimizer<T>,
{
    let mut single = net.clone();
    let mut par = DataParallel::new(net);
    let (mut opt1, mut opt2) = (opt(), opt());
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for (step, &n) in SIZES.iter().chain(&SIZES).enumerate() {
        let x = inputs::<T, IN>(&mut rng, n);
        let y = targets(&mut rng, n);
        let l1 = single
            .train_step(nn::Input::Batch(x.as_view()), as_target(&y), &mut opt1)
            .as_f64();
        let l2 = par.train_step(&x, as_target(&y), &mut opt2).as_f64();
        assert!(
            (l1 - l2).abs() <= tol * l1.abs().max(1.0),
            "{what}: step {step} (batch {n}): loss {l2} vs single-thread {l1}"
        );
        let mut net = par.into_inner();
        assert_close(
            &params(&mut net),
            &params(&mut single),
            tol,
            &format!("{what}, step {step} (batch {n})"),
        );
        par = DataParallel::new(net);
    }
    // Also without re-creating the worker between steps.
    let mut single = single.clone();
    let mut par = DataParallel::new(single.clone());
    for &n in SIZES.iter().chain(&SIZES) {
        let x = inputs::<T, IN>(&mut rng, n);
        let y = targets(&mut rng, n);
        single.train_step(nn::Input::Batch(x.as_view()), as_target(&y), &mut opt1);
        par.train_step(&x, as_target(&y), &mut opt2);
    }
    let mut net = par.into_inner();
    assert_close(
        &params(&mut net),
        &params(&mut single),
        tol,
        &format!("{what}, persistent worker"),
    );
}

#[allow(clippy::ptr_arg)] // `compare` borrows the targets it generated, a `Vec`
fn cls<T: Float, const D: usize>(y: &Vec<usize>) -> Labels<'_, T, D> {
    Labels::Classes(y)
}

fn one_hot<T: Float, const D: usize>(y: &Batch<T, D>) -> Labels<'_, T, D> {
    Labels::OneHot(y.as_view())
}

fn values_view<T: Float, const D: usize>(y: &Batch<T, D>) -> nn::BatchRef<'_, T, D> {
    y.as_view()
}

fn classes(rng: &mut ChaCha8Rng, n: usize, k: usize) -> Vec<usize> {
    (0..n).map(|_| rng.random_range(0..k)).collect()
}

#[test]
fn softmax_classifier_matches_single_thread_f64() {
    let _s = serial();
    let net = Classifier::new_f64(&mut ChaCha8Rng::seed_from_u64(1));
    let labels = |rng: &mut ChaCha8Rng, n| classes(rng, n, 5);
    compare(net.clone(), || Sgd::new(0.5), labels, cls, 1e-12, "softmax f64 Sgd");
    compare(
        net,
        || Adam::new(0.01, 0.9, 0.999),
        labels,
        cls,
        1e-12,
        "softmax f64 Adam",
    );
}

#[test]
fn one_hot_multi_label_and_regression_targets_are_split_too() {
    let _s = serial();
    let net = MultiLabel::new_f64(&mut ChaCha8Rng::seed_from_u64(2));
    let bits = |rng: &mut ChaCha8Rng, n| Batch::<f64, 3>::from_fn(n, |_, _| rng.random_range(0..2) as f64);
    compare(net, || Sgd::new(0.3), bits, one_hot, 1e-12, "sigmoid f64 Sgd");

    let net = Regressor::new_f64(&mut ChaCha8Rng::seed_from_u64(3));
    let values = |rng: &mut ChaCha8Rng, n| Batch::<f64, 2>::from_fn(n, |_, _| rng.random::<f64>());
    compare(
        net,
        || Adam::new(0.01, 0.9, 0.999),
        values,
        values_view,
        1e-12,
        "mse f64 Adam",
    );
}

#[test]
fn wide_f32_network_matches_single_thread() {
    let _s = serial();
    let net = Wide::new(&mut ChaCha8Rng::seed_from_u64(4));
    let labels = |rng: &mut ChaCha8Rng, n| classes(rng, n, 10);
    compare(net.clone(), || Sgd::new(0.1f32), labels, cls, 1e-5, "wide f32 Sgd");
    compare(
        net,
        || Adam::new(0.001f32, 0.9, 0.999),
        labels,
        cls,
        1e-5,
        "wide f32 Adam",
    );
}

/// The two-thread path and the path where the calling thread trains both halves (which also
/// runs when the worker has not started in time) give the same parameters, bit for bit.
#[test]
fn both_halves_on_the_calling_thread_give_identical_results() {
    let _s = serial();
    let net = Wide::new(&mut ChaCha8Rng::seed_from_u64(10));
    // Adam goes through `Optimizer::update`, Sgd through the one-pass step.
    one_and_two_threads_agree(net.clone(), || Adam::new(0.001f32, 0.9, 0.999), "Adam");
    one_and_two_threads_agree(net, || Sgd::new(0.1f32), "Sgd");
}

fn one_and_two_threads_agree<O: Optimizer<f32>>(net: Wide, opt: impl Fn() -> O, what: &str) {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut two = DataParallel::new(net.clone());
    let mut one = DataParallel::new(net);
    one.set_one_thread(true);
    let (mut a1, mut a2) = (opt(), opt());
    for &n in SIZES.iter().chain(&SIZES) {
        let x = inputs::<f32, 196>(&mut rng, n);
        let y = classes(&mut rng, n, 10);
        let l2 = two.train_step(&x, &y, &mut a2);
        let l1 = one.train_step(&x, &y, &mut a1);
        assert_eq!(l1.to_bits(), l2.to_bits(), "{what}, batch {n}: loss {l1} vs {l2}");
    }
    assert_eq!(one.stats().worker_steps, 0);
    assert_eq!(one.stats().split_steps, two.stats().split_steps);
    let (mut one, mut two) = (one.into_inner(), two.into_inner());
    let (p1, p2) = (params(&mut one), params(&mut two));
    assert!(p1 == p2, "{what}: the parameters differ");
}

#[test]
fn batches_read_in_place_match_single_thread() {
    let _s = serial();
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let x = inputs::<f32, 196>(&mut rng, 500);
    let y = classes(&mut rng, 500, 10);
    let data: Dataset<f32, 196> = Dataset::classification(x, y, 10).unwrap();
    let mut single = Wide::new(&mut rng);
    let mut par = DataParallel::new(single.clone());
    let mut sgd = Sgd::new(0.1f32);
    // Batches of 64 and a last one of 52 (odd halves 26/26, then 32/32).
    let mut batches: Batches<f32, 196> = Batches::new(data.len(), 64, 3);
    for _ in 0..2 {
        batches.shuffle();
        for i in 0..batches.len() {
            let (x, t) = batches.get_in_place(&data, i);
            let l1 = single.train_step(x, t, &mut sgd);
            let (x, t) = batches.get_in_place(&data, i);
            let l2 = par.train_step(x, t, &mut sgd);
            assert!(
                (l1 - l2).abs() <= 1e-5 * l1.abs().max(1.0),
                "batch {i}: loss {l2} vs {l1}"
            );
        }
    }
    let mut net = par.into_inner();
    assert_close(&params(&mut net), &params(&mut single), 1e-5, "batches read in place");
}

/// The worker threads alive in this process (Linux: by thread name).
fn workers() -> usize {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim_end() == "nn-data-paralle") // 15 characters kept
        .count()
}

/// Waits a little for exited threads to leave /proc (join returns once the thread's
/// function has returned).
fn workers_settled(expected: usize) -> usize {
    for _ in 0..200 {
        if workers() == expected {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    workers()
}

#[test]
fn drop_and_into_inner_join_the_worker() {
    let _s = serial();
    let linux = std::fs::metadata("/proc/self/task").is_ok();
    let before = workers();
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let net = Classifier::new_f64(&mut rng);
    let x = inputs::<f64, 12>(&mut rng, 9);
    let y = classes(&mut rng, 9, 5);
    let mut sgd = Sgd::new(0.1);

    let mut par = DataParallel::new(net.clone());
    if linux {
        assert_eq!(workers_settled(before + 1), before + 1, "one worker per DataParallel");
    }
    par.train_step(&x, &y, &mut sgd);
    drop(par);
    if linux {
        assert_eq!(workers_settled(before), before, "dropping joins the worker");
    }

    // Dropped right after construction, and after a step whose values are still being copied.
    for _ in 0..20 {
        drop(DataParallel::new(net.clone()));
        let mut par = DataParallel::new(net.clone());
        par.train_step(&x, &y, &mut sgd);
        let mut inner = par.into_inner();
        // The network keeps training on its own.
        inner.train_step(&x, &y, &mut sgd);
    }
    if linux {
        assert_eq!(workers_settled(before), before, "into_inner joins the worker");
    }
}

#[test]
fn network_mut_changes_reach_the_worker() {
    let _s = serial();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut single = Classifier::new_f64(&mut rng);
    let mut par = DataParallel::new(single.clone());
    let x = inputs::<f64, 12>(&mut rng, 40);
    let y = classes(&mut rng, 40, 5);
    let mut sgd = Sgd::new(0.2);
    single.train_step(&x, &y, &mut sgd);
    par.train_step(&x, &y, &mut sgd);
    // Change a weight on both; the worker's half of the next step must see it.
    single.affine1.w[(0, 0)] += 0.5;
    par.network_mut().affine1.w[(0, 0)] += 0.5;
    for _ in 0..3 {
        single.train_step(&x, &y, &mut sgd);
        par.train_step(&x, &y, &mut sgd);
    }
    let mut net = par.into_inner();
    assert_close(&params(&mut net), &params(&mut single), 1e-12, "after network_mut");
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn a_panic_on_either_thread_reaches_the_caller() {
    let _s = serial();
    let before = workers();
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let net = Classifier::new_f64(&mut rng);
    let x = inputs::<f64, 12>(&mut rng, 10);
    let mut sgd = Sgd::new(0.1);
    // Samples 0..5 are the caller's half, 5..10 the worker's.
    for bad in [9, 2] {
        let mut y = classes(&mut rng, 10, 5);
        let mut par = DataParallel::new(net.clone());
        par.train_step(&x, &y, &mut sgd);
        y[bad] = 7; // out of range for 5 classes
        let err =
            catch_unwind(AssertUnwindSafe(|| par.train_step(&x, &y, &mut sgd))).expect_err("a bad label must panic");
        let msg = panic_message(&*err);
        assert!(
            msg.contains("label 7") && msg.contains("out of range"),
            "the loss layer's own message (sample {bad}): {msg:?}"
        );
        // Poisoned: the next step refuses to run.
        y[bad] = 0;
        let err = catch_unwind(AssertUnwindSafe(|| par.train_step(&x, &y, &mut sgd)))
            .expect_err("a poisoned DataParallel must refuse to train");
        assert!(panic_message(&*err).contains("earlier step panicked"));
        // The network can still be taken back, and the worker is gone.
        let mut inner = par.into_inner();
        inner.train_step(&x, &y, &mut sgd);
    }
    if std::fs::metadata("/proc/self/task").is_ok() {
        assert_eq!(workers_settled(before), before, "the workers exited");
    }
}

/// A `DataParallel` is `Send`: stepped on one thread, then moved to another that steps and
/// joins it while the worker is still copying the first thread's step (`Sleepy`). The worker wakes
/// the thread that posted the last job, so the new thread must not park waiting for it.
#[test]
fn a_data_parallel_moved_to_another_thread_keeps_working() {
    use std::sync::mpsc;
    use std::time::Duration;
    let _s = serial();
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let net = SlowToSync::new(&mut rng);
    let x = inputs::<f32, 12>(&mut rng, 8);
    let t = classes(&mut rng, 8, 5);
    let mut single = net.clone();
    let mut par = DataParallel::new(net);
    let mut sgd = Sgd::new(0.05f32);
    par.train_step(&x, &t, &mut sgd); // posted from this thread; the worker copies (slowly)
    let (done, result) = mpsc::channel();
    let (x2, t2) = (x.clone(), t.clone());
    std::thread::spawn(move || {
        for _ in 0..3 {
            par.train_step(&x2, &t2, &mut sgd);
        }
        let mut net = par.into_inner();
        let _ = done.send(params(&mut net));
    });
    let got = result
        .recv_timeout(Duration::from_secs(120))
        .expect("a DataParallel moved to another thread hung waiting for its worker");
    let mut sgd = Sgd::new(0.05f32);
    for _ in 0..4 {
        single.train_step(&x, &t, &mut sgd);
    }
    assert_close(&got, &params(&mut single), 1e-5, "moved DataParallel vs single thread");
}
