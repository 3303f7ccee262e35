//! Wide layers and wide data on 2 MiB threads (the stack of every `cargo test` thread and the
//! Rust default for spawned threads): a 784 → 1000 → 1000 → 10 network trained with Adam, with
//! Momentum and through `DataParallel`, and a `Standardizer` over 100,000 features. Nothing
//! sized by a layer's or a sample's width may sit on the stack.
//!
//! The overflows these guard against were in unoptimised code only (the fixed-width kernels'
//! `OUT × IN` accumulator inlined into every instantiation of the layer products, and the
//! `Standardizer`'s `[f64; D]` arrays), which the test profile (`opt-level = 1`) optimises
//! away; so `.ci/run` also runs this file at opt-level 0 (`CARGO_PROFILE_TEST_OPT_LEVEL=0
//! cargo test --test debug_stack`, the dev profile's code generation), where they overflowed
//! before the fix.

use nn::data::Standardizer;
use nn::gradcheck::random_batch;
use nn::rand::{Rng, SeedableRng};
use nn::rand_chacha::ChaCha8Rng;
use nn::{network, Adam, Batch, DataParallel, Float, Momentum, Optimizer, Sgd};

network! {
    /// Two 1000-wide hidden layers: every product goes to the GEMM.
    #[derive(Clone)]
    pub struct Wide { input: 784, fc1: Affine(1000), relu1: Relu, fc2: Affine(1000), relu2: Relu, fc3: Affine(10), loss: SoftmaxWithLoss }
}

const STACK: usize = 2 << 20;

/// Runs `f` on a new thread with a 2 MiB stack and returns its result (a stack overflow
/// aborts the whole test process, which is the failure).
fn on_small_stack<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the test thread panicked")
}

fn labels(n: usize, seed: u64) -> Vec<usize> {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| r.random_range(0..10)).collect()
}

/// Two steps of the wide network with `opt` on a batch of 2; returns both losses.
fn two_steps(mut opt: impl Optimizer<f32>) -> [f32; 2] {
    let mut net = Wide::<f32>::new(&mut ChaCha8Rng::seed_from_u64(1));
    let x = random_batch::<f32, 784>(2, 0.0, 1.0, 2);
    let t = labels(2, 3);
    [net.train_step(&x, &t, &mut opt), net.train_step(&x, &t, &mut opt)]
}

fn check_steps(losses: [f32; 2], what: &str) {
    assert!(losses.iter().all(|l| l.is_finite() && *l > 0.0), "{what}: {losses:?}");
    assert!(
        losses[1] < losses[0],
        "{what}: the second step did not lower the loss: {losses:?}"
    );
}

#[test]
fn wide_network_trains_with_adam_on_a_2_mib_thread() {
    check_steps(on_small_stack(|| two_steps(Adam::with_lr(1e-3))), "Adam");
}

#[test]
fn wide_network_trains_with_momentum_on_a_2_mib_thread() {
    check_steps(on_small_stack(|| two_steps(Momentum::new(0.01, 0.9))), "Momentum");
}

#[test]
fn wide_network_trains_with_sgd_on_a_2_mib_thread() {
    check_steps(on_small_stack(|| two_steps(Sgd::new(0.01))), "Sgd");
}

#[test]
fn data_parallel_trains_the_wide_network_from_a_2_mib_thread() {
    let losses = on_small_stack(|| {
        let net = Wide::<f32>::new(&mut ChaCha8Rng::seed_from_u64(1));
        let mut par = DataParallel::new(net);
        let x = random_batch::<f32, 784>(4, 0.0, 1.0, 2);
        let t = labels(4, 3);
        let mut opt = Sgd::new(0.01);
        [par.train_step(&x, &t, &mut opt), par.train_step(&x, &t, &mut opt)]
    });
    check_steps(losses, "DataParallel");
}

#[test]
fn standardizer_fits_100_000_features_on_a_2_mib_thread() {
    const D: usize = 100_000;
    let (mean, std, applied) = on_small_stack(|| {
        let x: Batch<f32, D> = Batch::from_fn(3, |i, j| (i % 7) as f32 + j as f32);
        let s = Standardizer::fit(&x);
        let mut sample = x.as_slice()[..D].to_vec();
        s.apply(&mut sample);
        (s.mean[D - 1], s.std[D - 1], sample[D - 1])
    });
    // Feature D−1 holds (D−1) mod 7 = 4 plus the sample index 0, 1, 2.
    assert_eq!(mean, 5.0);
    assert!((std.as_f64() - (2.0f64 / 3.0).sqrt()).abs() < 1e-6, "{std}");
    assert!((applied.as_f64() + (1.5f64).sqrt()).abs() < 1e-5, "{applied}");
}

network! {
    /// A recurrent language model: its buffers grow with the number of steps.
    pub struct LongLm { input: tokens(50), embed: Embedding(16), lstm: Lstm(64), gru: Gru(32), fc: Affine(50), loss: SoftmaxWithLoss }
}

/// 10,000 steps of one sequence, trained (forward and backpropagation through all of them),
/// predicted and streamed, on a 2 MiB thread: nothing sized by the sequence may sit on the
/// stack.
#[test]
fn a_ten_thousand_step_sequence_trains_and_streams_on_a_2_mib_thread() {
    let (loss, streamed, whole) = on_small_stack(|| {
        let mut net = LongLm::<f32>::new(&mut ChaCha8Rng::seed_from_u64(4));
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let ids: Vec<usize> = (0..10_001).map(|_| rng.random_range(0..50)).collect();
        let x = Batch::<f32, 1>::from_iterator(10_000, ids[..10_000].iter().map(|&i| i as f32));
        let loss = net.train_step(&x, &ids[1..], &mut Sgd::new(0.1));
        let whole = net.predict(&x).column(9_999).clone_owned();
        let mut state = net.step_state();
        let mut last = [0.0f32; 50];
        for &id in &ids[..10_000] {
            last = net.step(&[id as f32], &mut state);
        }
        (loss, last, whole)
    });
    assert!(loss.is_finite(), "loss {loss}");
    for k in 0..50 {
        assert!(
            (streamed[k] - whole[k]).abs() < 1e-3,
            "score {k}: streamed {} vs whole {}",
            streamed[k],
            whole[k]
        );
    }
}
