//! ns per element of the fast `f32` functions (`nn::__internal`) against std's libm calls, at the
//! lengths the layers see (64: a batch-1 hidden layer; 1024; 10000: a W2 batch of activations).
//!
//! Run: `cargo bench --bench math` (a few seconds per group; criterion prints time per call and
//! elements/s; ns/element = time / length).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;

const LENGTHS: [usize; 3] = [64, 1024, 10_000];

/// Deterministic inputs spread over [−lim, lim].
fn inputs(n: usize, lim: f32) -> Vec<f32> {
    (0..n)
        .map(|i| ((i as f32 * 0.618_034).fract() * 2.0 - 1.0) * lim)
        .collect()
}

fn bench_tanh(c: &mut Criterion) {
    let mut g = c.benchmark_group("tanh");
    for n in LENGTHS {
        let x = inputs(n, 5.0);
        let mut y = vec![0.0f32; n];
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("nn", n), &n, |b, _| {
            b.iter(|| nn::__internal::tanh_f32(black_box(&x), black_box(&mut y)))
        });
        g.bench_with_input(BenchmarkId::new("std", n), &n, |b, _| {
            b.iter(|| {
                for (y, &x) in y.iter_mut().zip(black_box(&x)) {
                    *y = x.tanh();
                }
                black_box(&mut y);
            })
        });
    }
    g.finish();
}

fn bench_sigmoid(c: &mut Criterion) {
    let mut g = c.benchmark_group("sigmoid");
    for n in LENGTHS {
        let x = inputs(n, 8.0);
        let mut y = vec![0.0f32; n];
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("nn", n), &n, |b, _| {
            b.iter(|| nn::__internal::sigmoid_f32(black_box(&x), black_box(&mut y)))
        });
        g.bench_with_input(BenchmarkId::new("std", n), &n, |b, _| {
            b.iter(|| {
                for (y, &x) in y.iter_mut().zip(black_box(&x)) {
                    *y = 1.0 / (1.0 + (-x).exp());
                }
                black_box(&mut y);
            })
        });
    }
    g.finish();
}

/// `exp` is in place, so both sides copy the input into the buffer first (the copy is in
/// both timings; it is a small part of either).
fn bench_exp(c: &mut Criterion) {
    let mut g = c.benchmark_group("exp");
    for n in LENGTHS {
        let x = inputs(n, 20.0);
        let mut y = vec![0.0f32; n];
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("nn", n), &n, |b, _| {
            b.iter(|| {
                y.copy_from_slice(black_box(&x));
                nn::__internal::exp_f32_in_place(black_box(&mut y));
            })
        });
        g.bench_with_input(BenchmarkId::new("std", n), &n, |b, _| {
            b.iter(|| {
                y.copy_from_slice(black_box(&x));
                for v in black_box(&mut y).iter_mut() {
                    *v = v.exp();
                }
                black_box(&mut y);
            })
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(700))
        .sample_size(20)
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_tanh, bench_sigmoid, bench_exp
}
criterion_main!(benches);
