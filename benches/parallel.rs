//! W2 on two threads ("Two threads" of issue 5), measured interleaved: a single-thread
//! training step against the same step through `DataParallel` (each batch of 100 split in
//! two halves of 50, one per core), for 784 → 100 → 10 sigmoid and 784 → 256 → 256 → 10
//! ReLU (Sgd lr 0.1, shuffled batches read in place from 10,000 synthetic samples). Each
//! round runs a few steps of every variant in turn; the speed-up is taken per round (the
//! variants of one round saw the same load of a shared host) and reported as quartiles over
//! the rounds, next to the best and median step times. A third variant trains both halves
//! on the calling thread (`set_one_thread`): the cost of splitting and combining alone. A
//! fourth runs two threads with an Sgd that `DataParallel` does not recognise as plain SGD
//! (the combine, the update and the hand-back then take separate passes): the A/B of the
//! one-pass Sgd combine.
//!
//! Run: `cargo bench --bench parallel` (`ROUNDS=n` to change the 200 rounds).

use std::hint::black_box;
use std::time::Instant;

use nn::data::{Batches, Dataset};
use nn::rand::SeedableRng;
use nn::rand_chacha::ChaCha8Rng;
use nn::{DataParallel, Optimizer, Param, Sgd, Trainable};

#[path = "common/w2.rs"]
#[allow(dead_code)]
mod w2;
use w2::{synthetic, Mlp100, Mlp256};

/// Steps per variant per round.
const STEPS: usize = 10;

/// Plain SGD that is not recognised as such (no one-pass combine in `DataParallel`).
struct UnfoldedSgd(Sgd<f32>);

impl Optimizer<f32> for UnfoldedSgd {
    fn update(&mut self, index: usize, p: Param<'_, f32>) {
        self.0.update(index, p)
    }
}

fn quartiles(mut v: Vec<f64>) -> [f64; 3] {
    v.sort_by(f64::total_cmp);
    [v[v.len() / 4], v[v.len() / 2], v[3 * v.len() / 4]]
}

fn compare<N>(name: &str, net: N, data: &Dataset<f32, 784>, rounds: usize)
where
    N: Trainable<f32, 784, 10, Loss = nn::SoftmaxWithLoss<f32, 10>> + Clone + Send + 'static,
{
    let mut single = net.clone();
    let mut two = DataParallel::new(net.clone());
    let mut two_unfolded = DataParallel::new(net.clone());
    let mut one = DataParallel::new(net);
    one.set_one_thread(true);
    let mut sgd = Sgd::new(0.1f32);
    let mut unfolded = UnfoldedSgd(Sgd::new(0.1f32));
    let mut batches: Batches<f32, 784> = Batches::new(data.len(), 100, 1).drop_last(true);
    let mut next = 0;
    let mut times: [Vec<f64>; 4] = Default::default();
    for _ in 0..rounds + 2 {
        for (k, t) in times.iter_mut().enumerate() {
            let start = Instant::now();
            for _ in 0..STEPS {
                if next == batches.len() {
                    batches.shuffle();
                    next = 0;
                }
                let (x, y) = batches.get_in_place(data, next);
                next += 1;
                let loss = match k {
                    0 => single.train_step(x.into(), y.into(), &mut sgd),
                    1 => two.train_step(x, y, &mut sgd),
                    2 => one.train_step(x, y, &mut sgd),
                    _ => two_unfolded.train_step(x, y, &mut unfolded),
                };
                black_box(loss);
            }
            t.push(start.elapsed().as_secs_f64() * 1e6 / STEPS as f64);
        }
    }
    // The first two rounds warm up.
    for t in times.iter_mut() {
        t.drain(..2);
    }
    let ratio = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(a, b)| a / b).collect::<Vec<_>>();
    let best = |t: &[f64]| t.iter().copied().fold(f64::MAX, f64::min);
    let [q1, med, q3] = quartiles(ratio(&times[0], &times[1]));
    let [_, one_med, _] = quartiles(ratio(&times[2], &times[0]));
    let [u1, umed, u3] = quartiles(ratio(&times[3], &times[1]));
    let stats = two.stats();
    println!("{name}:");
    for (label, t) in [
        "1 thread",
        "2 threads (DataParallel)",
        "DataParallel, one thread",
        "2 threads, Sgd unfolded",
    ]
    .iter()
    .zip(&times)
    {
        println!(
            "  {label:<26} best {:7.0} µs  median {:7.0} µs",
            best(t),
            quartiles(t.clone())[1]
        );
    }
    println!(
        "  speed-up per round: median {med:.2} (quartiles {q1:.2}–{q3:.2}); best/best {:.2}",
        best(&times[0]) / best(&times[1])
    );
    println!(
        "  split + combine overhead on one thread: ×{one_med:.2}; the worker trained {} of {} second halves",
        stats.worker_steps, stats.split_steps
    );
    println!("  Sgd unfolded / one-pass Sgd combine, per round: median {umed:.3} (quartiles {u1:.3}–{u3:.3})");
}

fn main() {
    let rounds = std::env::var("ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(200);
    let data = synthetic(10_000, 7);
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    compare("784-100-10 sigmoid, batch 100", Mlp100::new(&mut rng), &data, rounds);
    compare("784-256-256-10 relu, batch 100", Mlp256::new(&mut rng), &data, rounds);
}
