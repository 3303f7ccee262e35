//! The benchmark workloads of issue 5 (single thread, f32), on networks declared with
//! `network!`:
//!
//! - W1 `spiral`: the book's chapter-1 training, 2 → 10 → 3 sigmoid + SoftmaxWithLoss,
//!   batch 30, Sgd lr 1.0. One iteration = one epoch (reshuffle + 10 steps); criterion's
//!   throughput is steps/s, time per step = epoch time / 10.
//! - W2 `mlp`: 784 → 100 → 10 sigmoid and 784 → 256 → 256 → 10 ReLU, SoftmaxWithLoss,
//!   batch 100, Sgd lr 0.1, on 10,000 synthetic samples. One iteration = one step (a shuffled
//!   batch read in place from the data set, `Batches::get_in_place`, + `train_step`, whose
//!   first product gathers it; reshuffle every 100 steps).
//! - W2 roofline: the five matrix products one 784 → 100 → 10 step needs (forward of both
//!   layers, both weight gradients, the hidden dx), with nn's GEMM and with matrixmultiply on
//!   the same shapes; `step / fastest products` is the roofline ratio.
//! - W3 `latency`: batch-1 `predict` of 16 → 64 → 64 → 4 (tanh, tanh, linear).
//!
//! Run: `cargo bench --bench workloads`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nn::data::{spiral, Batches, Dataset};
use nn::gemm::{gemm, MatMut, MatRef};
use nn::rand::{Rng, SeedableRng};
use nn::rand_chacha::ChaCha8Rng;
use nn::{network, Batch, InitScheme, Network, Sgd};

network! {
    /// W1: the book's chapter-1 network.
    pub struct SpiralNet {
        input: 2,
        affine1: Affine(10),
        sigmoid: Sigmoid,
        affine2: Affine(3),
        loss: SoftmaxWithLoss,
    }
}

network! {
    /// W2: 784 → 100 → 10 with sigmoid.
    pub struct Mlp100 {
        input: 784,
        affine1: Affine(100),
        sigmoid: Sigmoid,
        affine2: Affine(10),
        loss: SoftmaxWithLoss,
    }
}

network! {
    /// W2: 784 → 256 → 256 → 10 with ReLU.
    pub struct Mlp256 {
        input: 784,
        affine1: Affine(256),
        relu1: Relu,
        affine2: Affine(256),
        relu2: Relu,
        affine3: Affine(10),
        loss: SoftmaxWithLoss,
    }
}

network! {
    /// W3: 16 → 64 → 64 → 4, tanh, tanh, linear (inference only).
    pub struct Control {
        input: 16,
        affine1: Affine(64),
        tanh1: Tanh,
        affine2: Affine(64),
        tanh2: Tanh,
        affine3: Affine(4),
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

fn w1_spiral(c: &mut Criterion) {
    let data = spiral::<f32>(1984);
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut net = SpiralNet::with_init(&mut rng, InitScheme::Book);
    let mut sgd = Sgd::new(1.0f32);
    let mut batches: Batches<f32, 2> = Batches::new(data.len(), 30, 0).drop_last(true);
    let mut g = c.benchmark_group("W1 spiral 2-10-3 b30");
    g.throughput(Throughput::Elements(batches.len() as u64));
    g.bench_function("epoch (reshuffle + 10 train steps)", |b| {
        b.iter(|| {
            batches.shuffle();
            let mut loss = 0.0;
            for i in 0..batches.len() {
                let (x, t) = batches.get_in_place(&data, i);
                loss += net.train_step(x, t, &mut sgd);
            }
            black_box(loss)
        })
    });
    g.finish();
}

fn synthetic(n: usize, seed: u64) -> Dataset<f32, 784> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = Batch::<f32, 784>::from_fn(n, |_, _| rng.random::<f32>());
    let labels = (0..n).map(|_| rng.random_range(0..10)).collect();
    Dataset::classification(x, labels, 10).unwrap()
}

/// One training step per iteration over shuffled batches of `data`.
macro_rules! bench_steps {
    ($g:expr, $name:expr, $net:expr, $data:expr, $opt:expr) => {{
        let mut batches: Batches<f32, 784> = Batches::new($data.len(), 100, 1).drop_last(true);
        let mut i = 0;
        $g.bench_function($name, |b| {
            b.iter(|| {
                if i == batches.len() {
                    batches.shuffle();
                    i = 0;
                }
                let (x, t) = batches.get_in_place(&$data, i);
                i += 1;
                black_box($net.train_step(x, t, &mut $opt))
            })
        });
    }};
}

/// The matrix products of one 784 → 100 → 10 step at batch 100 (column-major, W OUT×IN,
/// batches features × N), through `f`, which computes C = A·B for (A, B, C) views.
struct W2Products {
    w1: Vec<f32>,
    w2: Vec<f32>,
    x: Vec<f32>,
    h: Vec<f32>,
    s: Vec<f32>,
    dy2: Vec<f32>,
    dh: Vec<f32>,
    dw1: Vec<f32>,
    dw2: Vec<f32>,
}

impl W2Products {
    fn new() -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut v = |n: usize| (0..n).map(|_| rng.random::<f32>() - 0.5).collect::<Vec<f32>>();
        Self {
            w1: v(100 * 784),
            w2: v(10 * 100),
            x: v(784 * 100),
            h: v(100 * 100),
            s: v(100 * 100),
            dy2: v(10 * 100),
            dh: v(100 * 100),
            dw1: v(100 * 784),
            dw2: v(10 * 100),
        }
    }

    /// Runs the five products with `mm(alpha=1, A, B, beta=0, C)`.
    fn run(&mut self, mm: &mut Product<'_>) {
        let n = 100;
        // h = W1·x (100 × 100)
        mm(
            MatRef::col_major(&self.w1, 100, 784),
            MatRef::col_major(&self.x, 784, n),
            MatMut::col_major(&mut self.h, 100, n),
        );
        // y2 = W2·s (10 × 100), written into dy2's buffer
        mm(
            MatRef::col_major(&self.w2, 10, 100),
            MatRef::col_major(&self.s, 100, n),
            MatMut::col_major(&mut self.dy2, 10, n),
        );
        // dW2 = dy2·sᵀ (10 × 100)
        mm(
            MatRef::col_major(&self.dy2, 10, n),
            MatRef::col_major(&self.s, 100, n).t(),
            MatMut::col_major(&mut self.dw2, 10, 100),
        );
        // ds = W2ᵀ·dy2 (100 × 100)
        mm(
            MatRef::col_major(&self.w2, 10, 100).t(),
            MatRef::col_major(&self.dy2, 10, n),
            MatMut::col_major(&mut self.dh, 100, n),
        );
        // dW1 = dh·xᵀ (100 × 784)
        mm(
            MatRef::col_major(&self.dh, 100, n),
            MatRef::col_major(&self.x, 784, n).t(),
            MatMut::col_major(&mut self.dw1, 100, 784),
        );
    }
}

fn matrixmultiply_sgemm(a: MatRef<'_, f32>, b: MatRef<'_, f32>, c: MatMut<'_, f32>) {
    // SAFETY: the views are in bounds (checked by nn's MatRef users above: every shape and
    // stride describes a column-major buffer or its transpose of exactly the right length).
    unsafe {
        matrixmultiply::sgemm(
            a.rows,
            a.cols,
            b.cols,
            1.0,
            a.data.as_ptr(),
            a.rs as isize,
            a.cs as isize,
            b.data.as_ptr(),
            b.rs as isize,
            b.cs as isize,
            0.0,
            c.data.as_mut_ptr(),
            c.rs as isize,
            c.cs as isize,
        );
    }
}

fn w2_mlp(c: &mut Criterion) {
    let data = synthetic(10_000, 7);
    let mut g = c.benchmark_group("W2 mlp b100");
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut net = Mlp100::new(&mut rng);
    let mut sgd = Sgd::new(0.1f32);
    bench_steps!(g, "784-100-10 sigmoid: train step", net, data, sgd);

    let mut products = W2Products::new();
    g.bench_function("784-100-10 products only: nn gemm", |b| {
        b.iter(|| products.run(&mut |a, b, c| gemm(1.0, a, b, 0.0, c)))
    });
    g.bench_function("784-100-10 products only: matrixmultiply", |b| {
        b.iter(|| products.run(&mut |a, b, c| matrixmultiply_sgemm(a, b, c)))
    });

    let mut net = Mlp256::new(&mut rng);
    bench_steps!(g, "784-256-256-10 relu: train step", net, data, sgd);
    g.finish();
}

fn w3_latency(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut net = Control::new(&mut rng);
    let x = Batch::<f32, 16>::from_fn(1, |i, _| (i as f32 * 0.37).sin());
    let mut out = Batch::<f32, 4>::zeros(1);
    let mut g = c.benchmark_group("W3 latency 16-64-64-4 b1");
    g.bench_function("predict (&mut self, own buffers)", |b| {
        b.iter(|| black_box(net.predict(black_box(&x))[0]))
    });
    g.bench_function("predict_into (&self, caller output)", |b| {
        b.iter(|| {
            Network::predict_into(&net, black_box(x.as_view()), out.as_view_mut());
            black_box(out[0])
        })
    });
    g.finish();
}

criterion_group! {
    name = workloads;
    config = config();
    targets = w1_spiral, w2_mlp, w3_latency
}
criterion_main!(workloads);

/// One product `C ← A·B` as the roofline runs it.
type Product<'a> = dyn FnMut(MatRef<'_, f32>, MatRef<'_, f32>, MatMut<'_, f32>) + 'a;
