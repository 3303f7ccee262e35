//! A classifier on real data: Fisher's Iris flowers (150 samples, 4 measurements in cm,
//! 3 species), as shipped inside the `linfa-datasets` crate (no download). A seeded, stratified 80/20
//! train/test split, standardization fitted on the training set, a 4 → 16 → 3 ReLU network
//! trained with Adam, and the accuracy on the held-out test set.
//!
//! ```sh
//! cargo run --release --example iris [-- --seed N]
//! ```

use std::error::Error;

use nn::data::{Dataset, Standardizer};
use nn::rand::SeedableRng;
use nn::rand_chacha::ChaCha8Rng;
use nn::train::{evaluate, Evaluation, Progress, TrainError, Trainer};
use nn::{network, Adam, Batch};

network! {
    /// Iris classifier: 4 measurements → 16 ReLU units → 3 species scores.
    pub struct IrisNet {
        input: 4,
        affine1: Affine(16),
        relu: Relu,
        affine2: Affine(3),
        loss: SoftmaxWithLoss,
    }
}

/// The Iris data set from `linfa-datasets` as a `Dataset` (features 4 × 150, labels 0..3:
/// setosa, versicolor, virginica).
pub fn iris() -> Dataset<f32, 4> {
    let ds = linfa_datasets::iris();
    let (records, targets) = (&ds.records, &ds.targets);
    let x = Batch::<f32, 4>::from_fn(records.nrows(), |f, n| records[[n, f]] as f32);
    Dataset::classification(x, targets.to_vec(), 3).expect("the Iris data are finite with labels in 0..3")
}

/// What one run produced.
pub struct Run {
    /// Loss and accuracy on the training set.
    pub train: Evaluation,
    /// Loss and accuracy on the held-out test set.
    pub test: Evaluation,
    /// Samples in the training and test sets.
    pub sizes: (usize, usize),
}

/// Splits 80/20 (stratified: 10 test flowers per species) with `seed`, standardizes with the training statistics, trains for 100
/// epochs (Adam lr 0.01, batch 16) and evaluates on both parts.
pub fn run(seed: u64, progress: Progress) -> Result<Run, TrainError> {
    let (mut train, mut test) = iris().stratified_split(0.2, seed);
    let scaler = Standardizer::fit(train.x());
    // measurements of a few cm, no feature constant: the standardized values are finite
    train
        .standardize(&scaler)
        .expect("the standardized training set is finite");
    test.standardize(&scaler).expect("the standardized test set is finite");

    let mut net = IrisNet::new(&mut ChaCha8Rng::seed_from_u64(seed)); // He init before the ReLU
    let mut trainer = Trainer::new(Adam::with_lr(0.01))
        .epochs(100)
        .batch_size(16)
        .seed(seed)
        .log_every(0) // one line per epoch
        .progress(progress);
    trainer.fit(&mut net, &train, Some(&test))?;
    Ok(Run {
        train: evaluate(&mut net, &train, train.len())?,
        test: evaluate(&mut net, &test, test.len())?,
        sizes: (train.len(), test.len()),
    })
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut seed = 0u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seed" => seed = args.next().ok_or("--seed needs a value")?.parse()?,
            other => return Err(format!("unknown argument `{other}` (usage: iris [--seed N])").into()),
        }
    }
    let r = run(seed, Progress::Auto)?;
    println!(
        "train: {} samples, loss {:.4}, accuracy {:.3}",
        r.sizes.0,
        r.train.loss,
        r.train.accuracy.unwrap_or(0.0)
    );
    println!(
        "test:  {} samples, loss {:.4}, accuracy {:.3}",
        r.sizes.1,
        r.test.loss,
        r.test.accuracy.unwrap_or(0.0)
    );
    Ok(())
}
