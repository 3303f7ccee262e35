//! A [`TrainState`] as safetensors tensors, beside the network's own (`trainer.*` and
//! `optimizer.*` keys), and back.
//!
//! | key | dtype, shape | holds |
//! | --- | --- | --- |
//! | `trainer.epoch`, `trainer.iteration`, `trainer.batch_size`, `trainer.seed` | U64 `[1]` | the counts and settings |
//! | `trainer.drop_last`, `trainer.history.stopped` | U8 `[1]` | 0 or 1 |
//! | `trainer.rng.seed` | U8 `[32]` | the ChaCha8 key |
//! | `trainer.rng.stream` | U64 `[1]` | its stream |
//! | `trainer.rng.word_pos` | U64 `[2]` | its word position, low and high 64 bits |
//! | `trainer.order` | U64 `[N]` | the current permutation of the samples |
//! | `trainer.best.epoch` / `trainer.best.loss` | U64 / F64 `[1]` | the best held-out loss (absent: none) |
//! | `trainer.last_loss` | F64 `[1]` | the last finite batch loss (absent: none) |
//! | `trainer.history.log.position` | U64 `[L, 3]` | epoch, iteration, iterations per epoch |
//! | `trainer.history.log.loss` | F64 `[L]` | each log point's loss |
//! | `trainer.history.log.lr` / `trainer.history.log.has_lr` | F64 / U8 `[L]` | its learning rate, and whether it has one (both absent in files written before rates were logged: none) |
//! | `trainer.history.epochs.epoch` | U64 `[E]` | |
//! | `trainer.history.epochs.train_loss` | F64 `[E]` | |
//! | `trainer.history.epochs.eval` | F64 `[E, 2]` | held-out loss and accuracy |
//! | `trainer.history.epochs.has_eval` | U8 `[E, 2]` | whether each of those is present |
//! | `optimizer.scalar.{name}` | the float `[1]` | a hyperparameter |
//! | `optimizer.integer.{name}` | I64 `[1]` | a step count |
//! | `optimizer.buffers.{name}` | U64 `[K]` | the length of each buffer of a list (0: not allocated) |
//! | `optimizer.buffer.{name}.{i}` | the float `[len]` | buffer `i` (allocated ones only) |
//!
//! The optimizer's kind is the metadata entry `nn.optimizer`. Floats of the optimizer are
//! stored in the network's own float type and must be loaded as that type (a resume is
//! exact or refused).

use safetensors::{Dtype, SafeTensors};

use crate::float::Float;
use crate::optim::OptimizerState;
use crate::persist::{Entries, SaveError};
use crate::train::{Best, EpochStats, Evaluation, History, LogPoint, RngState, TrainState};

/// Key prefixes of a checkpoint's own tensors (everything else is the network's).
pub(crate) const PREFIXES: [&str; 2] = ["trainer.", "optimizer."];

/// A checkpoint tensor that is missing or malformed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FormatError {
    pub(crate) tensor: String,
    pub(crate) problem: String,
}

fn u64s(key: &str, shape: Vec<usize>, values: impl IntoIterator<Item = u64>) -> (String, Dtype, Vec<usize>, Vec<u8>) {
    let data = values.into_iter().flat_map(u64::to_le_bytes).collect();
    (key.to_string(), Dtype::U64, shape, data)
}

fn f64s(key: &str, shape: Vec<usize>, values: impl IntoIterator<Item = f64>) -> (String, Dtype, Vec<usize>, Vec<u8>) {
    let data = values.into_iter().flat_map(f64::to_le_bytes).collect();
    (key.to_string(), Dtype::F64, shape, data)
}

fn u8s(key: &str, shape: Vec<usize>, values: Vec<u8>) -> (String, Dtype, Vec<usize>, Vec<u8>) {
    (key.to_string(), Dtype::U8, shape, values)
}

fn is_f32<T: Float>() -> bool {
    core::mem::size_of::<T>() == 4
}

/// Adds the tensors of `state` to `entries` (the optimizer's kind goes into the metadata,
/// see [`OPTIMIZER_KEY`]). Fails if a key is taken (a network layer named `trainer` or
/// `optimizer` holding a tensor of the same name).
pub(crate) fn encode<T: Float>(state: &TrainState<T>, entries: &mut Entries) -> Result<(), SaveError> {
    let one = || vec![1];
    let h = &state.history;
    let e = &h.epochs;
    let eval = |s: &EpochStats| {
        s.eval
            .map_or([f64::NAN, f64::NAN], |v| [v.loss, v.accuracy.unwrap_or(f64::NAN)])
    };
    let has = |s: &EpochStats| {
        [
            s.eval.is_some() as u8,
            s.eval.is_some_and(|v| v.accuracy.is_some()) as u8,
        ]
    };
    let mut fixed = vec![
        u64s("trainer.epoch", one(), [state.epoch as u64]),
        u64s("trainer.iteration", one(), [state.iteration]),
        u64s("trainer.batch_size", one(), [state.batch_size as u64]),
        u8s("trainer.drop_last", one(), vec![state.drop_last as u8]),
        u64s("trainer.seed", one(), [state.seed]),
        u8s("trainer.rng.seed", vec![32], state.rng.seed.to_vec()),
        u64s("trainer.rng.stream", one(), [state.rng.stream]),
        u64s(
            "trainer.rng.word_pos",
            vec![2],
            [state.rng.word_pos as u64, (state.rng.word_pos >> 64) as u64],
        ),
        u64s(
            "trainer.order",
            vec![state.order.len()],
            state.order.iter().map(|&i| i as u64),
        ),
        u64s(
            "trainer.history.log.position",
            vec![h.log.len(), 3],
            h.log
                .iter()
                .flat_map(|p| [p.epoch as u64, p.iter as u64, p.iters as u64]),
        ),
        f64s(
            "trainer.history.log.loss",
            vec![h.log.len()],
            h.log.iter().map(|p| p.loss),
        ),
        f64s(
            "trainer.history.log.lr",
            vec![h.log.len()],
            h.log.iter().map(|p| p.lr.unwrap_or(f64::NAN)),
        ),
        u8s(
            "trainer.history.log.has_lr",
            vec![h.log.len()],
            h.log.iter().map(|p| p.lr.is_some() as u8).collect(),
        ),
        u64s(
            "trainer.history.epochs.epoch",
            vec![e.len()],
            e.iter().map(|s| s.epoch as u64),
        ),
        f64s(
            "trainer.history.epochs.train_loss",
            vec![e.len()],
            e.iter().map(|s| s.train_loss),
        ),
        f64s("trainer.history.epochs.eval", vec![e.len(), 2], e.iter().flat_map(eval)),
        u8s(
            "trainer.history.epochs.has_eval",
            vec![e.len(), 2],
            e.iter().flat_map(has).collect(),
        ),
        u8s("trainer.history.stopped", one(), vec![h.stopped as u8]),
    ];
    if let Some(best) = state.best {
        fixed.push(u64s("trainer.best.epoch", one(), [best.epoch as u64]));
        fixed.push(f64s("trainer.best.loss", one(), [best.loss]));
    }
    if let Some(l) = state.last_loss {
        fixed.push(f64s("trainer.last_loss", one(), [l]));
    }
    for (key, dtype, shape, data) in fixed {
        entries.push(key, dtype, shape, data)?;
    }

    let opt = &state.optimizer;
    for (name, v) in opt.scalars() {
        entries.push_floats(format!("optimizer.scalar.{name}"), vec![1], &[v])?;
    }
    for (name, v) in opt.integers() {
        entries.push_i64(format!("optimizer.integer.{name}"), &[v])?;
    }
    for (name, list) in opt.buffer_lists() {
        let lens: Vec<u64> = list.iter().map(|b| b.len() as u64).collect();
        entries.push_u64(format!("optimizer.buffers.{name}"), &lens)?;
        for (i, b) in list.iter().enumerate().filter(|(_, b)| !b.is_empty()) {
            entries.push_floats(format!("optimizer.buffer.{name}.{i}"), vec![b.len()], b)?;
        }
    }
    Ok(())
}

/// The metadata key naming the optimizer's kind.
pub(crate) const OPTIMIZER_KEY: &str = "nn.optimizer";

/// Reads the tensors [`encode`] wrote back into a state of optimizer `kind`.
pub(crate) fn decode<T: Float>(st: &SafeTensors<'_>, kind: &str) -> Result<TrainState<T>, FormatError> {
    let r = Reader { st };
    let one = |key: &str| r.u64s(key, &[1]).map(|v| v[0]);
    let usize_of = |key: &str, v: u64| to_usize(key, v);
    let flag = |key: &str| -> Result<bool, FormatError> {
        match r.bytes(key, Dtype::U8, &[1])?[0] {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(problem(key, format!("is {b}; expected 0 or 1"))),
        }
    };

    let seed: [u8; 32] = r
        .bytes("trainer.rng.seed", Dtype::U8, &[32])?
        .try_into()
        .expect("32 bytes checked");
    let wp = r.u64s("trainer.rng.word_pos", &[2])?;
    let n = r.len("trainer.order")?;
    let order = r
        .u64s("trainer.order", &[n])?
        .into_iter()
        .map(|v| usize_of("trainer.order", v))
        .collect::<Result<_, _>>()?;
    let best = match r.st.tensor("trainer.best.epoch") {
        Err(_) => None,
        Ok(_) => Some(Best {
            epoch: usize_of("trainer.best.epoch", one("trainer.best.epoch")?)?,
            loss: r.f64s("trainer.best.loss", &[1])?[0],
        }),
    };
    let last_loss = match r.st.tensor("trainer.last_loss") {
        Err(_) => None,
        Ok(_) => Some(r.f64s("trainer.last_loss", &[1])?[0]),
    };

    let l = r.len("trainer.history.log.loss")?;
    let pos = r.u64s("trainer.history.log.position", &[l, 3])?;
    let losses = r.f64s("trainer.history.log.loss", &[l])?;
    let rates = match r.st.tensor("trainer.history.log.has_lr") {
        Err(_) => vec![None; l], // written before the rates were logged
        Ok(_) => {
            let has = r.bytes("trainer.history.log.has_lr", Dtype::U8, &[l])?;
            let lr = r.f64s("trainer.history.log.lr", &[l])?;
            has.iter()
                .zip(lr)
                .enumerate()
                .map(|(i, (&h, lr))| match h {
                    0 => Ok(None),
                    1 => Ok(Some(lr)),
                    b => Err(problem(
                        "trainer.history.log.has_lr",
                        format!("entry {i} is {b}; expected 0 or 1"),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?
        }
    };
    let key = "trainer.history.log.position";
    let log = pos
        .chunks_exact(3)
        .zip(losses)
        .zip(rates)
        .map(|((p, loss), lr)| {
            Ok(LogPoint {
                epoch: usize_of(key, p[0])?,
                iter: usize_of(key, p[1])?,
                iters: usize_of(key, p[2])?,
                loss,
                lr,
            })
        })
        .collect::<Result<_, FormatError>>()?;
    let e = r.len("trainer.history.epochs.epoch")?;
    let numbers = r.u64s("trainer.history.epochs.epoch", &[e])?;
    let train = r.f64s("trainer.history.epochs.train_loss", &[e])?;
    let eval = r.f64s("trainer.history.epochs.eval", &[e, 2])?;
    let has = r.bytes("trainer.history.epochs.has_eval", Dtype::U8, &[e, 2])?;
    let key = "trainer.history.epochs.epoch";
    let epochs = (0..e)
        .map(|i| {
            let eval = match (has[2 * i], has[2 * i + 1]) {
                (0, 0) => None,
                (1, a @ (0 | 1)) => Some(Evaluation {
                    loss: eval[2 * i],
                    accuracy: (a == 1).then_some(eval[2 * i + 1]),
                }),
                (l, a) => {
                    return Err(problem(
                        "trainer.history.epochs.has_eval",
                        format!("row {i} is [{l}, {a}]; expected [0, 0], [1, 0] or [1, 1]"),
                    ))
                }
            };
            Ok(EpochStats {
                epoch: usize_of(key, numbers[i])?,
                train_loss: train[i],
                eval,
            })
        })
        .collect::<Result<_, FormatError>>()?;

    Ok(TrainState {
        epoch: usize_of("trainer.epoch", one("trainer.epoch")?)?,
        iteration: one("trainer.iteration")?,
        batch_size: usize_of("trainer.batch_size", one("trainer.batch_size")?)?,
        drop_last: flag("trainer.drop_last")?,
        seed: one("trainer.seed")?,
        rng: RngState {
            seed,
            stream: one("trainer.rng.stream")?,
            word_pos: u128::from(wp[0]) | (u128::from(wp[1]) << 64),
        },
        order,
        best,
        last_loss,
        history: History {
            log,
            epochs,
            stopped: flag("trainer.history.stopped")?,
        },
        optimizer: decode_optimizer(&r, kind)?,
    })
}

fn decode_optimizer<T: Float>(r: &Reader<'_, '_>, kind: &str) -> Result<OptimizerState<T>, FormatError> {
    let mut state = OptimizerState::new();
    state.reset(kind.to_string());
    let mut names: Vec<&str> =
        r.st.iter()
            .map(|(k, _)| k)
            .filter(|k| k.starts_with("optimizer."))
            .collect();
    names.sort_unstable(); // the file's order is the header's (a map): make ours fixed
    let mut consumed = std::collections::HashSet::new();
    for key in &names {
        if let Some(name) = key.strip_prefix("optimizer.scalar.") {
            state.set_scalar(name.to_string(), r.floats::<T>(key, &[1])?[0]);
        } else if let Some(name) = key.strip_prefix("optimizer.integer.") {
            let b = r.bytes(key, Dtype::I64, &[1])?;
            state.set_integer(name.to_string(), i64::from_le_bytes(b.try_into().expect("8 bytes")));
        } else if let Some(name) = key.strip_prefix("optimizer.buffers.") {
            let k = r.len(key)?;
            let lens = r.u64s(key, &[k])?;
            let mut list = Vec::with_capacity(k);
            for (i, &len) in lens.iter().enumerate() {
                if len == 0 {
                    list.push(Vec::new());
                    continue;
                }
                let buf = format!("optimizer.buffer.{name}.{i}");
                list.push(r.floats::<T>(&buf, &[to_usize(key, len)?])?);
                consumed.insert(buf);
            }
            state.set_buffers(name.to_string(), list);
        } else if key.starts_with("optimizer.buffer.") {
            // checked below: each must belong to a list
        } else {
            return Err(problem(key, "is not an optimizer scalar, integer or buffer".into()));
        }
    }
    for key in names.iter().filter(|k| k.starts_with("optimizer.buffer.")) {
        if !consumed.contains(*key) {
            return Err(problem(
                key,
                "belongs to no allocated buffer of the optimizer state's lists".into(),
            ));
        }
    }
    Ok(state)
}

fn problem(tensor: &str, problem: String) -> FormatError {
    FormatError {
        tensor: tensor.to_string(),
        problem,
    }
}

fn to_usize(key: &str, v: u64) -> Result<usize, FormatError> {
    usize::try_from(v).map_err(|_| problem(key, format!("holds {v}, too large for this machine")))
}

/// Typed reads of the checkpoint's tensors.
struct Reader<'a, 'd> {
    st: &'a SafeTensors<'d>,
}

impl<'d> Reader<'_, 'd> {
    /// The bytes of `key`, checked to be of `dtype` and `shape`.
    fn bytes(&self, key: &str, dtype: Dtype, shape: &[usize]) -> Result<&'d [u8], FormatError> {
        let view = self
            .st
            .tensor(key)
            .map_err(|_| problem(key, "is missing (not a complete nn checkpoint)".into()))?;
        if view.dtype() != dtype {
            return Err(problem(
                key,
                format!("has dtype {:?}; expected {dtype:?}", view.dtype()),
            ));
        }
        if view.shape() != shape {
            return Err(problem(
                key,
                format!("has shape {:?}; expected {shape:?}", view.shape()),
            ));
        }
        Ok(view.data())
    }

    /// The first dimension of `key` (the length of a list).
    fn len(&self, key: &str) -> Result<usize, FormatError> {
        let view = self
            .st
            .tensor(key)
            .map_err(|_| problem(key, "is missing (not a complete nn checkpoint)".into()))?;
        view.shape()
            .first()
            .copied()
            .ok_or_else(|| problem(key, "has no dimensions".into()))
    }

    fn u64s(&self, key: &str, shape: &[usize]) -> Result<Vec<u64>, FormatError> {
        let b = self.bytes(key, Dtype::U64, shape)?;
        Ok(b.chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect())
    }

    fn f64s(&self, key: &str, shape: &[usize]) -> Result<Vec<f64>, FormatError> {
        let b = self.bytes(key, Dtype::F64, shape)?;
        Ok(b.chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect())
    }

    /// Floats of the network's own type (exactly: no conversion), all finite.
    fn floats<T: Float>(&self, key: &str, shape: &[usize]) -> Result<Vec<T>, FormatError> {
        let values: Vec<T> = if is_f32::<T>() {
            let b = self.bytes(key, Dtype::F32, shape)?;
            b.chunks_exact(4)
                .map(|c| T::cast(f32::from_le_bytes(c.try_into().expect("4 bytes")) as f64))
                .collect()
        } else {
            let b = self.bytes(key, Dtype::F64, shape)?;
            b.chunks_exact(8)
                .map(|c| T::cast(f64::from_le_bytes(c.try_into().expect("8 bytes"))))
                .collect()
        };
        if let Some((i, v)) = values.iter().enumerate().find(|(_, v)| !v.as_f64().is_finite()) {
            return Err(problem(key, format!("holds the non-finite value {v:?} at index {i}")));
        }
        Ok(values)
    }
}
