//! The W2 roofline ratio of issue 5, measured interleaved: a full 784 → 100 → 10 training
//! step (batch 100, Sgd lr 0.1, shuffled batches of 10,000 synthetic samples) against the
//! five matrix products it needs, run with nn's GEMM and with matrixmultiply on hot buffers
//! of the same shapes. Each round times a few iterations of every variant in turn and the
//! best round of each is kept, so a slow phase of a shared host hits all variants alike
//! (criterion's separate runs, in `workloads`, drift apart by more than the ratio's margin).
//!
//! Variants of the step: the batch read in place from the data set (`get_in_place`, what
//! the `Trainer` does), the batch copied out first (`get`), and one cached batch trained on
//! again and again (no memory traffic for the input: the step's own overhead), and the batch
//! read in place with an Sgd the network does not fold into its first weight-gradient
//! product (the fold's A/B).
//!
//! Run: `cargo bench --bench roofline` (`ROUNDS=n` to change the 60 rounds).

use std::hint::black_box;
use std::time::Instant;

use nn::__internal::gemm;
use nn::data::Batches;
use nn::rand::SeedableRng;
use nn::rand_chacha::ChaCha8Rng;
use nn::{Batch, Optimizer, Param, Sgd};

#[path = "common/w2.rs"]
#[allow(dead_code)] // Mlp256 is for the other benches
mod w2;
use w2::{matrixmultiply_sgemm, synthetic, Mlp100, W2Products};

/// Iterations per variant per round.
const ITERS: usize = 20;

/// Plain SGD that the network cannot recognise as such: the same update, run as a separate
/// pass over every parameter, so the step with it measures what folding the first layer's
/// update into its weight-gradient product saves.
struct UnfoldedSgd(Sgd<f32>);

impl Optimizer<f32> for UnfoldedSgd {
    fn update(&mut self, index: usize, p: Param<'_, f32>) {
        self.0.update(index, p)
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs the target too: keep it short.
    let quick = !std::env::args().any(|a| a == "--bench");
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if quick { 2 } else { 60 });

    let data = synthetic(10_000, 7);
    let mut net = Mlp100::new(&mut ChaCha8Rng::seed_from_u64(0));
    let mut sgd = Sgd::new(0.1f32);
    let mut unfolded = UnfoldedSgd(Sgd::new(0.1f32));
    let mut batches: Batches<f32, 784> = Batches::new(data.len(), 100, 1).drop_last(true);
    let (x, t) = batches.get(&data, 0);
    let (cached_x, cached_t): (Batch<f32, 784>, Vec<usize>) = (x.into_owned(), t.clone());
    let mut products = W2Products::new();
    let mut next = 0;
    let mut next_batch = |batches: &mut Batches<f32, 784>| {
        if next == batches.len() {
            batches.shuffle();
            next = 0;
        }
        next += 1;
        next - 1
    };

    let names = [
        "step, batch read in place",
        "step, batch copied first",
        "step, one cached batch",
        "step, in place, Sgd unfolded",
        "products, nn GEMM",
        "products, matrixmultiply",
    ];
    let mut best = [f64::INFINITY; 6];
    for _ in 0..rounds {
        for (v, best) in best.iter_mut().enumerate() {
            let start = Instant::now();
            for _ in 0..ITERS {
                match v {
                    0 => {
                        let i = next_batch(&mut batches);
                        let (x, t) = batches.get_in_place(&data, i);
                        black_box(net.train_step(x, t, &mut sgd));
                    }
                    1 => {
                        let i = next_batch(&mut batches);
                        let (x, t) = batches.get(&data, i);
                        black_box(net.train_step(x, t, &mut sgd));
                    }
                    2 => {
                        black_box(net.train_step(&cached_x, &cached_t, &mut sgd));
                    }
                    3 => {
                        let i = next_batch(&mut batches);
                        let (x, t) = batches.get_in_place(&data, i);
                        black_box(net.train_step(x, t, &mut unfolded));
                    }
                    4 => products.run(&mut |a, b, c| gemm(1.0, a, b, 0.0, c)),
                    _ => products.run(&mut |a, b, c| matrixmultiply_sgemm(a, b, c)),
                }
            }
            *best = best.min(start.elapsed().as_secs_f64() / ITERS as f64);
        }
    }
    let limit = best[4].min(best[5]);
    println!("W2 784-100-10, batch 100: best of {rounds} interleaved rounds of {ITERS} iterations");
    for (name, t) in names.iter().zip(best) {
        println!("  {name:<28} {:>8.1} µs   {:>5.3} × products", t * 1e6, t / limit);
    }
    println!(
        "  roofline fraction (products / step read in place): {:.2}",
        limit / best[0]
    );
    println!(
        "  gather fused / copied first: {:.3}; Sgd folded / unfolded: {:.3}",
        best[0] / best[1],
        best[0] / best[3]
    );
}
