//! Saving and loading a 784 → 1000 → 1000 → 10 f32 network (1,796,010 parameters, a 7.2 MB
//! safetensors file), measured interleaved against `std::fs::read` of the same file: the
//! issue's target is a load within 2× the time of reading the file. Each round times a few
//! iterations of every variant in turn; the ratio is taken per round (the variants of one
//! round saw the same load of a shared host) and reported as quartiles over the rounds, next
//! to the best and median times. The file sits in the page cache (read once before), so
//! `fs::read` is a copy out of memory: the strictest baseline.
//!
//! Variants: `fs::read`; two floors that convert nothing — `fs::read + memcpy` (the file read,
//! then copied into an existing buffer of its size: the least any load into memory the
//! network owns can cost) and `streamed read` (the file read 256 KiB at a time into one
//! reused buffer: the I/O of a streamed load); `Net::load(path)` (a new network: zeroed +
//! load, streamed); `load_into` an existing network (the file read whole, checked, then
//! written); `from_safetensors` of bytes already in memory (no I/O); `to_safetensors`
//! (serialise to bytes); `save` (atomic: temporary file, fsync, rename — the fsync dominates
//! and depends on the disk, so it is reported but not part of the ratio).
//!
//! Run: `cargo bench --bench persist` (`ROUNDS=n` to change the 100 rounds).

use std::hint::black_box;
use std::io::Read;
use std::time::Instant;

use nn::network;
use nn::rand::SeedableRng;
use nn::rand_chacha::ChaCha8Rng;

network! {
    /// The load benchmark network: 784 → 1000 → 1000 → 10, ReLU.
    pub struct Big {
        input: 784,
        fc1: Affine(1000),
        act1: Relu,
        fc2: Affine(1000),
        act2: Relu,
        fc3: Affine(10),
        loss: SoftmaxWithLoss,
    }
}

/// Iterations per variant per round.
const ITERS: usize = 3;

fn quartiles(mut v: Vec<f64>) -> [f64; 3] {
    v.sort_by(f64::total_cmp);
    [v[v.len() / 4], v[v.len() / 2], v[3 * v.len() / 4]]
}

fn main() {
    let rounds = std::env::var("ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(100);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("big.safetensors");
    let save_path = dir.path().join("saved.safetensors");
    let net: Big = Big::new(&mut ChaCha8Rng::seed_from_u64(0));
    net.save(&path).expect("saving the network");
    let bytes = std::fs::read(&path).unwrap();
    let mut target = Big::zeroed();

    let mut copy = vec![0u8; bytes.len()];
    let mut chunk = vec![0u8; 1 << 18];
    let labels = [
        "fs::read",
        "fs::read + memcpy",
        "streamed read",
        "Big::load",
        "load_into",
        "from_safetensors",
        "to_safetensors",
        "save",
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); labels.len()];
    for _ in 0..rounds + 2 {
        for (k, t) in times.iter_mut().enumerate() {
            let start = Instant::now();
            for _ in 0..ITERS {
                match k {
                    0 => drop(black_box(std::fs::read(&path).unwrap())),
                    1 => copy.copy_from_slice(&std::fs::read(&path).unwrap()),
                    2 => {
                        let mut f = std::fs::File::open(&path).unwrap();
                        while f.read(&mut chunk).unwrap() > 0 {
                            black_box(&chunk);
                        }
                    }
                    3 => drop(black_box(Big::<f32>::load(&path).unwrap())),
                    4 => target.load_into(&path).unwrap(),
                    5 => drop(black_box(Big::<f32>::from_safetensors(&bytes).unwrap())),
                    6 => drop(black_box(net.to_safetensors())),
                    _ => net.save(&save_path).unwrap(),
                }
            }
            t.push(start.elapsed().as_secs_f64() * 1e3 / ITERS as f64);
        }
        black_box((&target, &copy));
    }
    // The first two rounds warm up.
    for t in times.iter_mut() {
        t.drain(..2);
    }
    let best = |t: &[f64]| t.iter().copied().fold(f64::MAX, f64::min);
    println!(
        "784-1000-1000-10 f32, {} parameters, {:.1} MB file; {rounds} interleaved rounds of {ITERS}",
        Big::zeroed().param_count(),
        bytes.len() as f64 / 1e6
    );
    for (label, t) in labels.iter().zip(&times) {
        let [_, med, _] = quartiles(t.clone());
        println!("  {label:<20} best {:7.3} ms  median {med:7.3} ms", best(t));
    }
    for (k, label) in [
        (1, "fs::read + memcpy"),
        (2, "streamed read"),
        (3, "Big::load"),
        (4, "load_into"),
        (5, "from_safetensors"),
    ] {
        let ratio: Vec<f64> = times[k].iter().zip(&times[0]).map(|(a, b)| a / b).collect();
        let [q1, med, q3] = quartiles(ratio);
        println!(
            "  {label} / fs::read per round: median {med:.2} (quartiles {q1:.2}–{q3:.2}); best/best {:.2}",
            best(&times[k]) / best(&times[0])
        );
    }
}
