//! Learning an audio effect, in the spirit of RTNeural: a 1 → `Gru(16)` → 1 network learns a
//! nonlinear filter (a soft clipper into a one-pole low-pass, the shape of a guitar
//! overdrive) from input/output recordings generated in code, then runs sample by sample
//! through the generated `step` — one sample in, one out, through `&self`, allocation-free —
//! on a held-out signal it never saw.
//!
//! The effect: `s_t = 0.9·s_{t−1} + 0.1·tanh(4·x_t)`, output `s_t` (state 0 at the start of
//! each recording). Inputs: two sines of random frequencies (0.005–0.08 cycles per sample) and
//! amplitudes (0.1–1) plus white noise (σ 0.05). Training: 800 recordings of 64 samples,
//! `Trainer::sequences(64)` in batches of 16 recordings (time-major, `nn::seq`), Adam,
//! gradient clipping to norm 1. Reported per epoch: the training and held-out MSE (200 other
//! recordings), and the RMSE of streaming a 4,000-sample held-out signal through `step`,
//! beside the RMSE of the best constant and of the clipper without the low-pass
//! (`tanh(4·x)`, the input shaped but not filtered).
//!
//! ```sh
//! cargo run --release --example filter                 # writes out/filter-*.png
//! cargo run --release --example filter -- --seed 3 --epochs 20 --out docs
//! ```

use std::error::Error;
use std::path::PathBuf;

use nn::data::Dataset;
use nn::rand::{Rng, SeedableRng};
use nn::rand_chacha::ChaCha8Rng;
use nn::train::{Control, Event, Progress, Trainer};
use nn::{network, Adam, Batch};

network! {
    /// The effect model: one input sample → 16 GRU units → one output sample, per step.
    pub struct Filter {
        input: 1,
        gru: Gru(16),
        out: Affine(1),
        loss: MeanSquaredError,
    }
}

/// Recordings per batch, samples per recording, recordings to train on and to hold out.
const N: usize = 16;
const T: usize = 64;
const RECORDINGS: usize = 800;
const HELD_OUT_RECORDINGS: usize = 200;
/// Held-out samples streamed through `step`.
const HELD_OUT: usize = 4000;

/// The effect to learn, on a whole signal from state 0.
pub fn effect(x: &[f64]) -> Vec<f64> {
    let mut s = 0.0;
    x.iter()
        .map(|&x| {
            s = 0.9 * s + 0.1 * (4.0 * x).tanh();
            s
        })
        .collect()
}

/// A random input signal of `len` samples: two sines and noise.
pub fn signal(rng: &mut ChaCha8Rng, len: usize) -> Vec<f64> {
    let tones: Vec<(f64, f64, f64)> = (0..2)
        .map(|_| {
            (
                rng.random_range(0.005..0.08) * std::f64::consts::TAU,
                rng.random_range(0.1..1.0),
                rng.random_range(0.0..std::f64::consts::TAU),
            )
        })
        .collect();
    (0..len)
        .map(|t| {
            let tone: f64 = tones.iter().map(|&(w, a, p)| a * (w * t as f64 + p).sin()).sum();
            let noise: f64 = rng.random_range(-1.0..1.0) * 0.05 * 3f64.sqrt(); // σ 0.05
            0.5 * tone + noise
        })
        .collect()
}

/// `count` recordings of `T` samples, one after another (recording `k` is samples
/// `k·T .. (k+1)·T`, what `Trainer::sequences(T)` reads), with their targets.
pub fn recordings(rng: &mut ChaCha8Rng, count: usize) -> Dataset<f32, 1, Batch<f32, 1>> {
    let (mut x, mut y) = (Vec::with_capacity(count * T), Vec::with_capacity(count * T));
    for _ in 0..count {
        let input = signal(rng, T);
        y.extend(effect(&input).iter().map(|&v| v as f32));
        x.extend(input.iter().map(|&v| v as f32));
    }
    Dataset::regression(Batch::from_row_slice(&x), Batch::from_row_slice(&y)).expect("finite signals")
}

/// Root mean squared error.
pub fn rmse(a: &[f64], b: &[f64]) -> f64 {
    (a.iter().zip(b).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() / a.len() as f64).sqrt()
}

/// Streams `input` through the network one sample at a time (a fresh stream state).
pub fn stream(net: &Filter, input: &[f64]) -> Vec<f64> {
    let mut state = net.step_state();
    input
        .iter()
        .map(|&x| f64::from(net.step(&[x as f32], &mut state)[0]))
        .collect()
}

/// What a run reports.
pub struct Run {
    /// Training loss per epoch.
    pub losses: Vec<f64>,
    /// Held-out streaming RMSE per epoch.
    pub rmse: Vec<f64>,
    /// The baselines' held-out RMSE: the best constant, the clipper without the filter.
    pub constant_rmse: f64,
    pub unfiltered_rmse: f64,
    /// The held-out signal, its target and the last prediction.
    pub held_out: (Vec<f64>, Vec<f64>, Vec<f64>),
}

/// Trains a model for `epochs` epochs from `seed`, printing one line per epoch.
pub fn run(seed: u64, epochs: usize, quiet: bool) -> Result<Run, nn::train::TrainError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut net = Filter::new(&mut rng);
    let train = recordings(&mut rng, RECORDINGS);
    let eval = recordings(&mut rng, HELD_OUT_RECORDINGS);

    let mut held = ChaCha8Rng::seed_from_u64(seed ^ 0x5EED_F11E);
    let input = signal(&mut held, HELD_OUT);
    let target = effect(&input);
    let mean = target.iter().sum::<f64>() / target.len() as f64;
    let constant_rmse = rmse(&target, &vec![mean; target.len()]);
    let unfiltered: Vec<f64> = input.iter().map(|&x| (4.0 * x).tanh()).collect();
    let unfiltered_rmse = rmse(&target, &unfiltered);

    let mut trainer = Trainer::new(Adam::with_lr(0.01f32))
        .sequences(T)
        .batch_size(N)
        .epochs(epochs)
        .seed(seed)
        .clip_grad_norm(1.0)
        .progress(if quiet { Progress::Silent } else { Progress::Auto });
    let mut errors = Vec::new();
    let mut prediction = Vec::new();
    let history = trainer.fit_with(&mut net, &train, Some(&eval), |net, event| {
        if let Event::Epoch(stats) = event {
            prediction = stream(net, &input);
            let e = rmse(&target, &prediction);
            errors.push(e);
            if !quiet {
                println!(
                    "epoch {:>3}  train MSE {:.6}  held-out MSE {:.6}  streamed held-out RMSE {e:.4}",
                    stats.epoch,
                    stats.train_loss,
                    stats.eval.map_or(f64::NAN, |e| e.loss)
                );
            }
        }
        Control::Continue
    })?;
    Ok(Run {
        losses: history.epochs.iter().map(|e| e.train_loss).collect(),
        rmse: errors,
        constant_rmse,
        unfiltered_rmse,
        held_out: (input, target, prediction),
    })
}

fn main() -> Result<(), Box<dyn Error>> {
    let (mut seed, mut epochs, mut out) = (0u64, 30usize, PathBuf::from("out"));
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--seed" => seed = value()?.parse()?,
            "--epochs" => epochs = value()?.parse()?,
            "--out" => out = value()?.into(),
            _ => {
                println!("usage: filter [--seed N] [--epochs N] [--out DIR]");
                return Ok(());
            }
        }
    }
    println!(
        "{}\n{RECORDINGS} recordings of {T} samples ({HELD_OUT_RECORDINGS} held out), {N} per batch",
        Filter::new(&mut ChaCha8Rng::seed_from_u64(seed)).summary(),
    );
    let r = run(seed, epochs, false)?;
    println!(
        "held-out RMSE: GRU streamed {:.4}; best constant {:.4}; clipper without the filter {:.4}",
        r.rmse.last().copied().unwrap_or(f64::NAN),
        r.constant_rmse,
        r.unfiltered_rmse
    );
    std::fs::create_dir_all(&out)?;
    nn::plot::loss_curve(out.join("filter-loss.png"), &r.losses, "epochs")?;
    let (_, target, pred) = &r.held_out;
    nn::plot::predicted_vs_actual(out.join("filter-fit.png"), &pred[..1000], &target[..1000], "output")?;
    println!(
        "wrote {} and {}",
        out.join("filter-loss.png").display(),
        out.join("filter-fit.png").display()
    );
    Ok(())
}
