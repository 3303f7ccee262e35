//! Sequence workloads (issue 12), each beside the products it is made of, in one process:
//!
//! - **W5** streaming inference, batch 1: `input: 1 → Gru(H) → Affine(1)` and the `Lstm(H)`
//!   twin, H = 8, 16, 32, 64, one sample per `step` (through `&self`, caller-owned state), and
//!   "products only": the step's matrix–vector products alone (`W_ih·x`, `W_hh·h`, the output
//!   `Affine`) through the same kernels.
//! - **W4** an LSTM language-model training step in the book's chapter-6 shape (vocabulary
//!   10,000, embedding 100, hidden 100, batch 20, T 35, synthetic token ids), its character
//!   twin (vocabulary 100), and each one's matrix products alone (the roofline).
//!
//! ```sh
//! cargo bench --bench sequences             # all
//! cargo bench --bench sequences -- W5       # one group
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use nn::__internal::linear::forward as linear_forward;
use nn::__internal::{gemm, matvec_acc, MatMut, MatRef};
use nn::rand::{Rng, SeedableRng};
use nn::rand_chacha::ChaCha8Rng;
use nn::{network, AlignedBuf, Batch, Sgd};

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

macro_rules! streaming_nets {
    ($($gru:ident, $lstm:ident, $h:literal;)*) => {$(
        network! {
            /// W5: one sample → GRU → one sample.
            pub struct $gru { input: 1, gru: Gru($h), out: Affine(1) }
        }
        network! {
            /// W5: one sample → LSTM → one sample.
            pub struct $lstm { input: 1, lstm: Lstm($h), out: Affine(1) }
        }
    )*};
}
streaming_nets! {
    Gru8, Lstm8, 8;
    Gru16, Lstm16, 16;
    Gru32, Lstm32, 32;
    Gru64, Lstm64, 64;
}

/// The products of one streaming step alone: `W_ih·x` (G·H × 1), `W_hh·h` (G·H × H) and the
/// output layer (1 × H), through the kernels the layers use (`matvec_acc` for the gates,
/// the fixed-width `Affine` product for the output).
macro_rules! step_products {
    ($g:ident, $name:literal, $h:literal, $gh:literal) => {{
        // Aligned like the layers' parameters (`nn::AlignedBuf`).
        let w_ih = AlignedBuf::filled($gh, 0.01f32);
        let w_hh = AlignedBuf::filled($gh * $h, 0.01f32);
        let w_out = AlignedBuf::filled($h, 0.01f32);
        let (x, h) = (vec![0.5f32; 1], vec![0.5f32; $h]);
        let (mut a, mut out) = (vec![0.0f32; $gh], vec![0.0f32; 1]);
        $g.bench_function($name, |b| {
            b.iter(|| {
                matvec_acc::<f32, 1>(&w_ih, black_box(&x), &mut a);
                matvec_acc::<f32, $h>(&w_hh, black_box(&h), &mut a);
                linear_forward::<f32, $h, 1>(&w_out, black_box(&h), 0.0, &mut out);
                black_box((a[0], out[0]))
            })
        });
    }};
}

macro_rules! stream {
    ($g:ident, $net:ident, $name:literal) => {{
        let net = $net::new(&mut ChaCha8Rng::seed_from_u64(0));
        let mut state = net.step_state();
        let input = input_table();
        let mut i = 0usize;
        $g.bench_function($name, |b| {
            b.iter(|| {
                i = i.wrapping_add(1);
                net.step(&[input[i & (INPUT_LEN - 1)]], &mut state)[0]
            })
        });
    }};
}

/// Length of the streamed input table (a power of two).
const INPUT_LEN: usize = 65_536;

/// The streamed samples, `sin(0.01·i)`, read from a table as RTNeural's side does
/// (`benches/reference/rtneural/w5_bench.cpp`), so that neither side times a `sin` call.
fn input_table() -> Vec<f32> {
    (0..INPUT_LEN).map(|i| (0.01 * i as f32).sin()).collect()
}

fn w5_streaming(c: &mut Criterion) {
    let mut g = c.benchmark_group("W5 streaming b1 (ns per sample)");
    stream!(g, Gru8, "GRU H=8: step");
    step_products!(g, "GRU H=8: products only", 8, 24);
    stream!(g, Gru16, "GRU H=16: step");
    step_products!(g, "GRU H=16: products only", 16, 48);
    stream!(g, Gru32, "GRU H=32: step");
    step_products!(g, "GRU H=32: products only", 32, 96);
    stream!(g, Gru64, "GRU H=64: step");
    step_products!(g, "GRU H=64: products only", 64, 192);
    stream!(g, Lstm8, "LSTM H=8: step");
    step_products!(g, "LSTM H=8: products only", 8, 32);
    stream!(g, Lstm16, "LSTM H=16: step");
    step_products!(g, "LSTM H=16: products only", 16, 64);
    stream!(g, Lstm32, "LSTM H=32: step");
    step_products!(g, "LSTM H=32: products only", 32, 128);
    stream!(g, Lstm64, "LSTM H=64: step");
    step_products!(g, "LSTM H=64: products only", 64, 256);
    g.finish();
}

network! {
    /// W4, the book's chapter-6 shape: 10,000 words → 100 → LSTM 100 → 10,000 scores.
    pub struct WordLm {
        input: tokens(10000),
        embed: Embedding(100),
        lstm: Lstm(100),
        fc: Affine(10000),
        loss: SoftmaxWithLoss,
    }
}

network! {
    /// W4's character twin: 100 characters → 100 → LSTM 100 → 100 scores.
    pub struct CharLm {
        input: tokens(100),
        embed: Embedding(100),
        lstm: Lstm(100),
        fc: Affine(100),
        loss: SoftmaxWithLoss,
    }
}

const BATCH: usize = 20;
const STEPS: usize = 35;

/// Synthetic token ids (time-major, `1 × T·N`) and next-token labels.
fn tokens(vocab: usize, seed: u64) -> (Batch<f32, 1>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let ids: Vec<usize> = (0..STEPS * BATCH + BATCH).map(|_| rng.random_range(0..vocab)).collect();
    let x = Batch::<f32, 1>::from_iterator(STEPS * BATCH, ids[..STEPS * BATCH].iter().map(|&i| i as f32));
    (x, ids[BATCH..].to_vec())
}

/// The matrix products of one W4 training step (vocabulary `v`), alone, through the same
/// GEMM: forward `W_ih·X` (400 × 100 · 100 × 700), 35 × `W_hh·h` (400 × 100 · 100 × 20), the
/// output layer (`v` × 100 · 100 × 700); backward the output layer's dW and dX, 35 ×
/// `W_hhᵀ·dG_t` (100 × 400 · 400 × 20), and the LSTM's dW_hh, dW_ih and dX over all 700
/// columns — the products the layers compute, in the same shapes.
struct W4Products {
    v: usize,
    w_ih: Vec<f32>,
    w_hh: Vec<f32>,
    w_out: Vec<f32>,
    x: Vec<f32>,
    h: Vec<f32>,
    gates: Vec<f32>,
    scores: Vec<f32>,
    dw_out: Vec<f32>,
    dh: Vec<f32>,
    dw_ih: Vec<f32>,
    dw_hh: Vec<f32>,
    dx: Vec<f32>,
}

impl W4Products {
    const E: usize = 100;
    const H: usize = 100;
    const G: usize = 400;
    const M: usize = STEPS * BATCH;

    fn new(v: usize) -> Self {
        let (e, h, g, m) = (Self::E, Self::H, Self::G, Self::M);
        Self {
            v,
            w_ih: vec![0.01; g * e],
            w_hh: vec![0.01; g * h],
            w_out: vec![0.01; v * h],
            x: vec![0.5; e * m],
            h: vec![0.5; h * m],
            gates: vec![0.0; g * m],
            scores: vec![0.0; v * m],
            dw_out: vec![0.0; v * h],
            dh: vec![0.0; h * m],
            dw_ih: vec![0.0; g * e],
            dw_hh: vec![0.0; g * h],
            dx: vec![0.0; e * m],
        }
    }

    fn run(&mut self) {
        let (v, e, h, g, m, n) = (self.v, Self::E, Self::H, Self::G, Self::M, BATCH);
        let cm = MatRef::col_major;
        // Forward.
        gemm(
            1.0,
            cm(&self.w_ih, g, e),
            cm(&self.x, e, m),
            0.0,
            MatMut::col_major(&mut self.gates, g, m),
        );
        for t in 0..STEPS {
            let (hs, gs) = (
                &self.h[t * h * n..(t + 1) * h * n],
                &mut self.gates[t * g * n..(t + 1) * g * n],
            );
            gemm(
                1.0,
                cm(&self.w_hh, g, h),
                cm(hs, h, n),
                1.0,
                MatMut::col_major(gs, g, n),
            );
        }
        gemm(
            1.0,
            cm(&self.w_out, v, h),
            cm(&self.h, h, m),
            0.0,
            MatMut::col_major(&mut self.scores, v, m),
        );
        // Backward: output layer dW = dS·Hᵀ, dH = Wᵀ·dS.
        gemm(
            1.0,
            cm(&self.scores, v, m),
            MatRef::col_major(&self.h, h, m).t(),
            0.0,
            MatMut::col_major(&mut self.dw_out, v, h),
        );
        gemm(
            1.0,
            MatRef::col_major(&self.w_out, v, h).t(),
            cm(&self.scores, v, m),
            0.0,
            MatMut::col_major(&mut self.dh, h, m),
        );
        // LSTM: per step dh_{t-1} = W_hhᵀ·dG_t; then dW_hh = dG·H_prevᵀ, dW_ih, dX over all steps.
        for t in (0..STEPS).rev() {
            let gs = &self.gates[t * g * n..(t + 1) * g * n];
            let dh = &mut self.dh[t * h * n..(t + 1) * h * n];
            gemm(
                1.0,
                MatRef::col_major(&self.w_hh, g, h).t(),
                cm(gs, g, n),
                1.0,
                MatMut::col_major(dh, h, n),
            );
        }
        gemm(
            1.0,
            cm(&self.gates, g, m),
            MatRef::col_major(&self.h, h, m).t(),
            0.0,
            MatMut::col_major(&mut self.dw_hh, g, h),
        );
        gemm(
            1.0,
            cm(&self.gates, g, m),
            MatRef::col_major(&self.x, e, m).t(),
            0.0,
            MatMut::col_major(&mut self.dw_ih, g, e),
        );
        gemm(
            1.0,
            MatRef::col_major(&self.w_ih, g, e).t(),
            cm(&self.gates, g, m),
            0.0,
            MatMut::col_major(&mut self.dx, e, m),
        );
    }
}

fn w4_language_model(c: &mut Criterion) {
    let mut g = c.benchmark_group("W4 lstm lm b20 T35");
    g.sample_size(10).measurement_time(Duration::from_secs(6));
    let mut net = WordLm::new(&mut ChaCha8Rng::seed_from_u64(0));
    net.set_sequences(BATCH);
    let (x, labels) = tokens(10_000, 1);
    let mut sgd = Sgd::new(0.1f32);
    g.bench_function("V=10000 E=100 H=100: train step", |b| {
        b.iter(|| black_box(net.train_step(&x, &labels[..], &mut sgd)))
    });
    let mut products = W4Products::new(10_000);
    g.bench_function("V=10000 E=100 H=100: products only", |b| b.iter(|| products.run()));
    let mut net = CharLm::new(&mut ChaCha8Rng::seed_from_u64(0));
    net.set_sequences(BATCH);
    let (x, labels) = tokens(100, 2);
    g.bench_function("V=100 E=100 H=100: train step", |b| {
        b.iter(|| black_box(net.train_step(&x, &labels[..], &mut sgd)))
    });
    // 189 M multiply-adds: the step's lower bound with this GEMM (PyTorch's step is
    // measured by benches/reference/w4_pytorch.py).
    let mut products = W4Products::new(100);
    g.bench_function("V=100 E=100 H=100: products only", |b| b.iter(|| products.run()));
    g.finish();
}

criterion_group! {
    name = sequences;
    config = config();
    targets = w5_streaming, w4_language_model
}
criterion_main!(sequences);
