//! A character-level LSTM language model (the book's chapter 6, on characters) trained on
//! 300 KB of Shakespeare committed to the repository (`examples/data/tinyshakespeare.txt`;
//! its source is in `examples/data/README.md`), then sampled one character at a time through
//! the generated `step`.
//!
//! The text is split into the first 90% (training) and the last 10% (held out). Training is
//! the book's truncated BPTT: `Trainer::streams(35)` cuts the text into 32 contiguous streams
//! and walks them 35 characters at a time, with the LSTM stateful so each batch continues
//! the last (`Trainer` resets the state every epoch); gradients are clipped to norm 5.
//! Reported per epoch: the held-out perplexity `exp(mean cross-entropy)` (a uniform guess over
//! the 62 characters scores 62) and 200 sampled characters.
//!
//! ```sh
//! cargo run --release --example char_lm                  # 8 epochs, writes out/char_lm-loss.png
//! cargo run --release --example char_lm -- --epochs 2 --seed 1 --out docs
//! ```

use std::error::Error;
use std::path::PathBuf;

use nn::data::Dataset;
use nn::rand::{Rng, SeedableRng};
use nn::rand_chacha::ChaCha8Rng;
use nn::train::{Control, Event, Trainer};
use nn::{network, Adam, Batch};

/// The text (public domain; see examples/data/README.md).
const TEXT: &str = include_str!("data/tinyshakespeare.txt");

network! {
    /// Characters → 32 features → LSTM 256 → one score per character, at every step.
    pub struct CharLm {
        input: tokens(65),
        embed: Embedding(32),
        lstm: Lstm(256),
        drop: Dropout(0.1),
        fc: Affine(65),
        loss: SoftmaxWithLoss,
    }
}

/// Steps per batch (truncated BPTT) and streams per batch.
const STEPS: usize = 35;
const STREAMS: usize = 32;

/// The characters of a text, sorted, and each character's id.
pub struct Vocabulary {
    chars: Vec<char>,
}

impl Vocabulary {
    /// The distinct characters of `text`.
    pub fn of(text: &str) -> Self {
        let mut chars: Vec<char> = text.chars().collect();
        chars.sort_unstable();
        chars.dedup();
        Self { chars }
    }

    /// The id of `c`, if it is in the vocabulary.
    pub fn id(&self, c: char) -> Option<usize> {
        self.chars.binary_search(&c).ok()
    }

    /// The character of id `k`.
    pub fn char(&self, k: usize) -> char {
        self.chars[k]
    }

    /// Number of characters.
    pub fn len(&self) -> usize {
        self.chars.len()
    }

    /// Whether the vocabulary is empty.
    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }
}

/// Next-character data: sample `i` is character `i` (its id as a float), labelled with
/// character `i + 1`.
pub fn next_char_data(ids: &[usize]) -> Result<Dataset<f32, 1>, nn::data::DataError> {
    let n = ids.len() - 1;
    let x = Batch::<f32, 1>::from_iterator(n, ids[..n].iter().map(|&i| i as f32));
    Dataset::classification(x, ids[1..].to_vec(), CharLm::VOCAB)
}

/// `len` characters sampled after `prime`, one `step` at a time, with softmax temperature
/// `temperature`.
pub fn sample(
    net: &CharLm,
    vocab: &Vocabulary,
    prime: &str,
    len: usize,
    temperature: f32,
    rng: &mut impl Rng,
) -> String {
    let mut state = net.step_state();
    let mut scores = [0.0f32; 65];
    for c in prime.chars() {
        let id = vocab.id(c).expect("the prime's characters are in the text");
        scores = net.step(&[id as f32], &mut state);
    }
    let mut out = String::from(prime);
    for _ in 0..len {
        let k = vocab.len();
        let max = scores[..k].iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let weights: Vec<f32> = scores[..k].iter().map(|&s| ((s - max) / temperature).exp()).collect();
        let mut pick = rng.random::<f32>() * weights.iter().sum::<f32>();
        let mut id = k - 1;
        for (i, &w) in weights.iter().enumerate() {
            if pick < w {
                id = i;
                break;
            }
            pick -= w;
        }
        out.push(vocab.char(id));
        scores = net.step(&[id as f32], &mut state);
    }
    out
}

fn main() -> Result<(), Box<dyn Error>> {
    let (mut seed, mut epochs, mut out) = (0u64, 8usize, PathBuf::from("out"));
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--seed" => seed = value()?.parse()?,
            "--epochs" => epochs = value()?.parse()?,
            "--out" => out = value()?.into(),
            _ => {
                println!("usage: char_lm [--seed N] [--epochs N] [--out DIR]");
                return Ok(());
            }
        }
    }

    let vocab = Vocabulary::of(TEXT);
    assert!(
        vocab.len() <= CharLm::VOCAB,
        "the text has {} characters, the model reads {}",
        vocab.len(),
        CharLm::VOCAB
    );
    let ids: Vec<usize> = TEXT.chars().map(|c| vocab.id(c).expect("from the text")).collect();
    let cut = ids.len() * 9 / 10;
    let (train, held_out) = (next_char_data(&ids[..cut])?, next_char_data(&ids[cut..])?);

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut net = CharLm::new(&mut rng);
    net.lstm.set_stateful(true);
    println!("{}", net.summary());
    println!(
        "{} characters ({} distinct): {} for training, {} held out; {STREAMS} streams of {STEPS} steps per batch",
        ids.len(),
        vocab.len(),
        train.len(),
        held_out.len()
    );

    let mut trainer = Trainer::new(Adam::with_lr(0.003f32))
        .streams(STEPS)
        .batch_size(STREAMS)
        .epochs(epochs)
        .seed(seed)
        .clip_grad_norm(5.0)
        .log_every(50);
    let mut sampler = ChaCha8Rng::seed_from_u64(seed + 1);
    let mut perplexity = Vec::new();
    let history = trainer.fit_with(&mut net, &train, Some(&held_out), |net, event| {
        if let Event::Epoch(stats) = event {
            let eval = stats.eval.expect("a held-out set is given");
            perplexity.push(eval.loss.exp());
            println!(
                "epoch {:>2}: held-out perplexity {:.2} (train {:.2}), accuracy {:.3}\n---\n{}\n---",
                stats.epoch,
                eval.loss.exp(),
                stats.train_loss.exp(),
                eval.accuracy.unwrap_or(f64::NAN),
                sample(net, &vocab, "ROMEO:\n", 200, 0.8, &mut sampler)
            );
        }
        Control::Continue
    })?;
    let first = history
        .epochs
        .first()
        .and_then(|e| e.eval)
        .map_or(f64::NAN, |e| e.loss.exp());
    println!(
        "held-out perplexity: {first:.2} after epoch 1, {:.2} after epoch {} (uniform guess: {})",
        perplexity.last().copied().unwrap_or(f64::NAN),
        history.epochs.len(),
        vocab.len()
    );
    std::fs::create_dir_all(&out)?;
    let path = out.join("char_lm-perplexity.png");
    nn::plot::loss_curve(&path, &perplexity, "epochs (held-out perplexity)")?;
    println!("wrote {}", path.display());
    Ok(())
}
