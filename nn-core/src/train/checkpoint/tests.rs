//! The codec alone: a state survives encode → safetensors bytes → decode unchanged, and each
//! malformed tensor is named.

use std::collections::HashMap;

use safetensors::{Dtype, SafeTensors};

use super::codec::{decode, encode, FormatError};
use crate::optim::OptimizerState;
use crate::persist::{serialize, Entries, Entry};
use crate::train::{Best, EpochStats, Evaluation, History, LogPoint, RngState, TrainState};

fn state() -> TrainState<f32> {
    let mut optimizer = OptimizerState::new();
    optimizer.reset("Adam");
    optimizer.set_scalar("lr", 0.001);
    optimizer.set_scalar("beta1", 0.9);
    optimizer.set_integer("t", 7);
    optimizer.set_buffers("m", vec![vec![1.5, -2.0], vec![], vec![0.25]]);
    optimizer.set_buffers("v", vec![]);
    let log = vec![
        LogPoint {
            epoch: 1,
            iter: 3,
            iters: 3,
            loss: 1.25,
            lr: Some(0.125),
        },
        LogPoint {
            epoch: 2,
            iter: 3,
            iters: 3,
            loss: -0.0,
            lr: None,
        },
    ];
    let epochs = vec![
        EpochStats {
            epoch: 1,
            train_loss: 1.0,
            eval: None,
        },
        EpochStats {
            epoch: 2,
            train_loss: 0.5,
            eval: Some(Evaluation {
                loss: f64::NAN,
                accuracy: None,
            }),
        },
        EpochStats {
            epoch: 3,
            train_loss: 0.25,
            eval: Some(Evaluation {
                loss: 0.75,
                accuracy: Some(0.5),
            }),
        },
    ];
    TrainState {
        epoch: 3,
        iteration: 9,
        batch_size: 2,
        drop_last: true,
        seed: u64::MAX,
        rng: RngState {
            seed: core::array::from_fn(|i| i as u8 * 7),
            stream: 3,
            word_pos: (5u128 << 64) | 11,
        },
        order: vec![2, 0, 4, 1, 3],
        best: Some(Best { epoch: 3, loss: 0.75 }),
        last_loss: Some(0.125),
        history: History {
            log,
            epochs,
            stopped: true,
        },
        optimizer,
    }
}

/// The tensors of `s`, as a list to edit.
fn entries(s: &TrainState<f32>) -> Vec<Entry> {
    let mut e = Entries::new();
    encode(s, &mut e).unwrap();
    e.items().to_vec()
}

fn bytes(entries: &[Entry]) -> Vec<u8> {
    let mut e = Entries::new();
    for t in entries {
        e.push(t.key.clone(), t.dtype, t.shape.clone(), t.data.clone()).unwrap();
    }
    serialize(&e, HashMap::new())
}

fn debug_bits(s: &TrainState<f32>) -> String {
    // Debug of f64 prints -0.0 and NaN distinctly: equal strings, equal values bit for bit
    // (but NaN's payload).
    format!("{s:?}")
}

#[test]
fn a_state_round_trips() {
    let s = state();
    let b = bytes(&entries(&s));
    let back = decode::<f32>(&SafeTensors::deserialize(&b).unwrap(), "Adam").unwrap();
    assert_eq!(debug_bits(&back), debug_bits(&s));
    assert_eq!(back.rng, s.rng);
    assert_eq!(back.optimizer, s.optimizer);
    // none-values and an empty history round-trip too
    let mut s = state();
    (s.best, s.last_loss, s.history) = (None, None, History::default());
    s.epoch = 0;
    let b = bytes(&entries(&s));
    let back = decode::<f32>(&SafeTensors::deserialize(&b).unwrap(), "Adam").unwrap();
    assert_eq!(debug_bits(&back), debug_bits(&s));
}

/// A checkpoint written before log points had a learning rate (no `trainer.history.log.lr`
/// / `has_lr`) decodes with none.
#[test]
fn a_checkpoint_without_logged_rates_decodes_with_none() {
    let mut v = entries(&state());
    v.retain(|e| !e.key.starts_with("trainer.history.log.lr") && e.key != "trainer.history.log.has_lr");
    let back = decode::<f32>(&SafeTensors::deserialize(&bytes(&v)).unwrap(), "Adam").unwrap();
    let mut want = state();
    want.history.log.iter_mut().for_each(|p| p.lr = None);
    assert_eq!(debug_bits(&back), debug_bits(&want));
}

/// Decodes `state()`'s tensors after `edit`.
fn decode_edited(edit: impl FnOnce(&mut Vec<Entry>)) -> FormatError {
    let mut entries = entries(&state());
    edit(&mut entries);
    let b = bytes(&entries);
    decode::<f32>(&SafeTensors::deserialize(&b).unwrap(), "Adam").unwrap_err()
}

fn find<'a>(entries: &'a mut [Entry], key: &str) -> &'a mut Entry {
    entries.iter_mut().find(|e| e.key == key).unwrap()
}

#[test]
fn a_malformed_tensor_is_named() {
    let e = decode_edited(|v| v.retain(|e| e.key != "trainer.rng.stream"));
    assert_eq!(
        (e.tensor.as_str(), e.problem.as_str()),
        ("trainer.rng.stream", "is missing (not a complete nn checkpoint)")
    );
    let e = decode_edited(|v| {
        let t = find(v, "trainer.epoch");
        (t.dtype, t.shape) = (Dtype::I32, vec![2]);
    });
    assert_eq!(e.problem, "has dtype I32; expected U64");
    let e = decode_edited(|v| find(v, "trainer.history.log.position").shape = vec![3, 2]);
    assert_eq!(
        (e.tensor.as_str(), e.problem.as_str()),
        ("trainer.history.log.position", "has shape [3, 2]; expected [2, 3]")
    );
    let e = decode_edited(|v| find(v, "trainer.drop_last").data = vec![2]);
    assert_eq!(e.problem, "is 2; expected 0 or 1");
    let e = decode_edited(|v| find(v, "trainer.history.log.has_lr").data[1] = 3);
    assert_eq!(
        (e.tensor.as_str(), e.problem.as_str()),
        ("trainer.history.log.has_lr", "entry 1 is 3; expected 0 or 1")
    );
    let e = decode_edited(|v| v.retain(|e| e.key != "trainer.history.log.lr"));
    assert_eq!(
        (e.tensor.as_str(), e.problem.as_str()),
        ("trainer.history.log.lr", "is missing (not a complete nn checkpoint)")
    );
    let e = decode_edited(|v| find(v, "trainer.history.epochs.has_eval").data[0] = 5);
    assert_eq!(e.problem, "row 0 is [5, 0]; expected [0, 0], [1, 0] or [1, 1]");
    let e = decode_edited(|v| {
        let t = find(v, "optimizer.buffer.m.0");
        t.data = [f32::NAN, 1.0].iter().flat_map(|x| x.to_le_bytes()).collect();
    });
    assert_eq!(
        (e.tensor.as_str(), e.problem.as_str()),
        ("optimizer.buffer.m.0", "holds the non-finite value NaN at index 0")
    );
    // the optimizer's floats are the network's float type, exactly
    let e = decode_edited(|v| {
        let t = find(v, "optimizer.scalar.lr");
        (t.dtype, t.data) = (Dtype::F64, 0.001f64.to_le_bytes().to_vec());
    });
    assert_eq!(e.problem, "has dtype F64; expected F32");
    let e = decode_edited(|v| find(v, "optimizer.buffers.m").data[8..16].copy_from_slice(&4u64.to_le_bytes()));
    assert_eq!(
        (e.tensor.as_str(), e.problem.as_str()),
        ("optimizer.buffer.m.1", "is missing (not a complete nn checkpoint)")
    );
    let e = decode_edited(|v| find(v, "optimizer.buffers.m").data[16..24].copy_from_slice(&0u64.to_le_bytes()));
    assert_eq!(
        (e.tensor.as_str(), e.problem.as_str()),
        (
            "optimizer.buffer.m.2",
            "belongs to no allocated buffer of the optimizer state's lists"
        )
    );
    let e = decode_edited(|v| {
        let mut extra = find(v, "optimizer.scalar.lr").clone();
        extra.key = "optimizer.other".into();
        v.push(extra);
    });
    assert_eq!(
        (e.tensor.as_str(), e.problem.as_str()),
        ("optimizer.other", "is not an optimizer scalar, integer or buffer")
    );
}
