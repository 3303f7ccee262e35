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
//!   the same shapes; `step / fastest products` is the roofline ratio. On a shared machine
//!   the separate criterion runs drift apart: `cargo bench --bench roofline` measures the
//!   ratio interleaved.
//! - W2 on two threads: the same steps through `DataParallel` (each batch split in two
//!   halves of 50 samples, one per core).
//! - W3 `latency`: batch-1 `predict` of 16 → 64 → 64 → 4 (tanh, tanh, linear).
//!
//! Run: `cargo bench --bench workloads`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nn::__internal::gemm;
use nn::data::{spiral, Batches};
use nn::rand::SeedableRng;
use nn::rand_chacha::ChaCha8Rng;
use nn::{network, Batch, DataParallel, InitScheme, Network, Sgd};

#[path = "common/w2.rs"]
mod w2;
use w2::{matrixmultiply_sgemm, synthetic, Mlp100, Mlp256, W2Products};

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

fn w2_mlp(c: &mut Criterion) {
    let data = synthetic(10_000, 7);
    let mut g = c.benchmark_group("W2 mlp b100");
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut net = Mlp100::new(&mut rng);
    let mut sgd = Sgd::new(0.1f32);
    bench_steps!(g, "784-100-10 sigmoid: train step", net, data, sgd);
    let mut par = DataParallel::new(Mlp100::new(&mut ChaCha8Rng::seed_from_u64(0)));
    bench_steps!(
        g,
        "784-100-10 sigmoid: train step, 2 threads (DataParallel)",
        par,
        data,
        sgd
    );
    drop(par);

    let mut products = W2Products::new();
    g.bench_function("784-100-10 products only: nn gemm", |b| {
        b.iter(|| products.run(&mut |a, b, c| gemm(1.0, a, b, 0.0, c)))
    });
    g.bench_function("784-100-10 products only: matrixmultiply", |b| {
        b.iter(|| products.run(&mut |a, b, c| matrixmultiply_sgemm(a, b, c)))
    });

    let mut net = Mlp256::new(&mut rng);
    bench_steps!(g, "784-256-256-10 relu: train step", net, data, sgd);
    let mut par = DataParallel::new(Mlp256::new(&mut rng));
    bench_steps!(
        g,
        "784-256-256-10 relu: train step, 2 threads (DataParallel)",
        par,
        data,
        sgd
    );
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
    let sample: [f32; 16] = core::array::from_fn(|i| (i as f32 * 0.37).sin());
    g.bench_function("predict_one (&self, [f32; 16] -> [f32; 4])", |b| {
        b.iter(|| black_box(net.predict_one(black_box(&sample))[0]))
    });
    g.finish();
}

criterion_group! {
    name = workloads;
    config = config();
    targets = w1_spiral, w2_mlp, w3_latency
}
criterion_main!(workloads);
