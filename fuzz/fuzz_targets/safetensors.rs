//! The safetensors loading path on arbitrary bytes: `from_safetensors` of a network (f32 and
//! f64), `from_safetensors_into` with every option switched, `Standardizer::from_safetensors`
//! and `Trainer::resume_from_safetensors` (a checkpoint, then two more epochs of training)
//! must never panic, hang or allocate what a header merely claims; a failed load must leave
//! the network bit-identical, a successful one must give finite values, and every error must
//! name its origin.
//!
//! Run with `cargo +nightly fuzz run safetensors corpus/safetensors seeds/safetensors` in
//! `fuzz/` (or `.ci/fuzz`). `seeds/safetensors/` holds valid files of `FuzzNet` (f32, f64,
//! `0.*`/`2.*` keys, an Adam checkpoint, a standardizer) and two PyTorch fixtures, written by
//! `NN_WRITE_FUZZ_SEEDS=1 cargo test --test all persist_mutation::write_fuzz_seeds -- --ignored`
//! from the repository root.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nn::data::{Dataset, Standardizer};
use nn::persist::{LoadError, LoadOptions};
use nn::rand::SeedableRng;
use nn::rand_chacha::ChaCha8Rng;
use nn::state::TensorRef;
use nn::train::{Progress, Trainer};
use nn::Adam;
use nn::Float;

nn::network! {
    /// The network of the seeds (the same declaration as tests/persist_mutation.rs).
    #[derive(Clone)]
    pub struct FuzzNet {
        input: 3,
        fc1: Affine(4),
        act: Tanh,
        fc2: Affine(2),
        loss: SoftmaxWithLoss,
    }
}

/// The longest acceptable message: names, shapes, both layer lists of a small network and a
/// quoted safetensors error.
const MAX_MESSAGE: usize = 2000;

fuzz_target!(|data: &[u8]| {
    // The generated constructors.
    check(FuzzNet::<f32>::from_safetensors(data).map(finite));
    check(FuzzNet::<f64>::from_safetensors(data).map(finite));

    // Into an existing network, with the options: a failure changes nothing.
    let opts = LoadOptions::new()
        .allow_unexpected(true)
        .check_layers(false)
        .rename("fc1", "0")
        .rename("fc2", "2");
    let mut net = FuzzNet::<f32>::new(&mut ChaCha8Rng::seed_from_u64(7));
    let before = bits(&net);
    match nn::persist::from_safetensors_into(&mut net, data, &opts) {
        Ok(()) => finite(net),
        Err(e) => {
            assert!(bits(&net) == before, "a failed load changed the network: {e}");
            check::<()>(Err(e));
        }
    }

    // A standardizer of 3 features.
    if let Ok(s) = Standardizer::<f32, 3>::from_safetensors(data).inspect_err(|e| check_msg(&e.to_string())) {
        assert!(
            s.mean.iter().chain(s.std.iter()).all(|v| v.is_finite()),
            "{:?} {:?}",
            s.mean,
            s.std
        );
    }

    // A checkpoint: resume, then train on to epoch 2 (a resumed state must not break `fit`).
    let mut net = FuzzNet::<f32>::new(&mut ChaCha8Rng::seed_from_u64(7));
    let before = bits(&net);
    let mut trainer = Trainer::new(Adam::<f32>::default())
        .epochs(2)
        .batch_size(4)
        .seed(3)
        .progress(Progress::Silent);
    match trainer.resume_from_safetensors(&mut net, data) {
        Ok(()) => {
            finite(net.clone());
            let _ = trainer.fit(&mut net, &data_set(), None);
        }
        Err(e) => {
            assert!(bits(&net) == before, "a failed resume changed the network: {e}");
            check_msg(&e.to_string());
        }
    }
});

/// The 8 samples a resumed checkpoint trains on (the seeds' checkpoint was made on them).
fn data_set() -> Dataset<f32, 3> {
    let x = nn::Batch::<f32, 3>::from_fn(8, |f, n| ((f * 8 + n) as f32 * 0.37).sin());
    Dataset::classification(x, (0..8).map(|n| n % 2).collect(), 2).expect("finite, labels < 2")
}

/// Every parameter's bits, in visiting order.
fn bits<T: Float>(net: &FuzzNet<T>) -> Vec<u64> {
    let mut out = Vec::new();
    net.visit_tensors(&mut |_, t: TensorRef<'_, T>| out.extend(t.data.iter().map(|v| v.as_f64().to_bits())));
    out
}

/// A loaded network holds only finite numbers.
fn finite<T: Float>(net: FuzzNet<T>) {
    net.visit_tensors(&mut |layer, t: TensorRef<'_, T>| {
        if let Some(i) = t.data.iter().position(|v| !v.is_finite()) {
            panic!("{layer}.{} holds {:?} at {i}", t.name, t.data[i]);
        }
    });
}

/// An error's message is short and names where the bytes came from.
fn check<R>(result: Result<R, LoadError>) {
    if let Err(e) = result {
        check_msg(&e.to_string());
    }
}

fn check_msg(msg: &str) {
    assert!(
        msg.len() <= MAX_MESSAGE,
        "a {}-byte error message: {}…",
        msg.len(),
        msg.chars().take(300).collect::<String>()
    );
    assert!(msg.contains("bytes"), "the error does not name its origin: {msg}");
}
