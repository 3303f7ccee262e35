//! The book's chapter-1 run (DLfS2 `ch01/train_custom_loop.py`): the 2 → 10 → 3 network
//! learns the three-armed spiral with SGD, then draws the loss curve and the decision
//! boundary.
//!
//! ```sh
//! cargo run --release --example spiral                 # writes out/spiral-*.png
//! cargo run --release --example spiral -- --seed 3 --out docs
//! cargo run --release --example spiral -- --save spiral.safetensors  # keep the trained net
//! ```
//!
//! `--seed` seeds the weights and the shuffling (default 0); the data set is always the
//! book's 300 points, generated with `--data-seed` (default 1984, the book's seed).
//! `--save FILE` writes the trained network as a safetensors file, which
//! `examples/classify.rs` loads to classify points (`examples/spiral.safetensors` is the
//! default run's file, compiled into that example).

use std::error::Error;
use std::path::PathBuf;

use nn::data::{spiral, Dataset, SPIRAL_SEED};
use nn::rand::SeedableRng;
use nn::rand_chacha::ChaCha8Rng;
use nn::train::{evaluate, Evaluation, History, Progress, TrainError, Trainer};
use nn::{network, InitScheme, Sgd};

network! {
    /// The book's chapter-1 network: 2 inputs, 10 sigmoid units, 3 class scores.
    pub struct TwoLayerNet {
        input: 2,
        affine1: Affine(10),
        sigmoid: Sigmoid,
        affine2: Affine(3),
        loss: SoftmaxWithLoss,
    }
}

/// The book's settings.
pub const MAX_EPOCH: usize = 300;
/// Samples per batch.
pub const BATCH_SIZE: usize = 30;
/// SGD's learning rate.
pub const LEARNING_RATE: f32 = 1.0;

/// What one run produced.
pub struct Run {
    /// The trained network.
    pub net: TwoLayerNet,
    /// The loss history (one point per 10 iterations, as the book's `loss_list`).
    pub history: History,
    /// Loss and accuracy over the whole data set after training.
    pub final_eval: Evaluation,
}

/// Trains the chapter-1 network on `data`: weights `0.01·randn` and the shuffling drawn from
/// `seed`, biases zero, SGD lr 1.0, batch 30, 300 epochs reshuffled every epoch.
pub fn train(data: &Dataset<f32, 2>, seed: u64, progress: Progress) -> Result<Run, TrainError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut net = TwoLayerNet::with_init(&mut rng, InitScheme::Book);
    let mut trainer = Trainer::new(Sgd::new(LEARNING_RATE))
        .epochs(MAX_EPOCH)
        .batch_size(BATCH_SIZE)
        .seed(seed)
        .drop_last(true) // the book's max_iters = data_size // batch_size
        .log_every(10)
        .progress(progress);
    let history = trainer.fit(&mut net, data, None)?;
    let final_eval = evaluate(&mut net, data, data.len())?;
    Ok(Run {
        net,
        history,
        final_eval,
    })
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut seed = 0u64;
    let mut data_seed = SPIRAL_SEED;
    let mut out = PathBuf::from("out");
    let mut save = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--seed" => seed = value()?.parse()?,
            "--data-seed" => data_seed = value()?.parse()?,
            "--out" => out = value()?.into(),
            "--save" => save = Some(PathBuf::from(value()?)),
            "-h" | "--help" => {
                println!("usage: spiral [--seed N] [--data-seed N] [--out DIR] [--save FILE]");
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}` (try --help)").into()),
        }
    }

    let data = spiral::<f32>(data_seed);
    let run = train(&data, seed, Progress::Auto)?;
    println!("{}", run.net.summary());
    let accuracy = run.final_eval.accuracy.expect("a classifier");
    println!(
        "final loss {:.4} (mean over the 300 points), training accuracy {:.3}",
        run.final_eval.loss, accuracy
    );

    std::fs::create_dir_all(&out)?;
    let loss_png = out.join("spiral-loss.png");
    let boundary_png = out.join("spiral-boundary.png");
    let losses: Vec<f64> = run.history.log.iter().map(|p| p.loss).collect();
    nn::plot::loss_curve(&loss_png, &losses, "iterations (×10)")?;
    nn::plot::decision_boundary(&boundary_png, &run.net, &data)?;
    println!("wrote {} and {}", loss_png.display(), boundary_png.display());
    if let Some(path) = save {
        run.net.save(&path)?;
        println!("saved the trained network to {}", path.display());
    }
    Ok(())
}
