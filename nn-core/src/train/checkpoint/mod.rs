//! Checkpoint files (feature `safetensors`): a network, its optimizer and its trainer's run
//! in one safetensors file, written between epochs and resumed exactly.
//!
//! The file holds the network's tensors under their own keys (`fc1.weight`, ...), so
//! `Net::load_with(path, &LoadOptions::new().allow_unexpected(true))` reads the weights of a
//! checkpoint, then the run ([`TrainState`]) under `trainer.*` and the optimizer's state
//! under `optimizer.*` (integers as U64/I64/U8 tensors; the table is in `codec.rs`). Its
//! `__metadata__` is the network's (`nn.layers`, `nn.float`, ...) plus `nn.checkpoint` =
//! `1` and `nn.optimizer` = the optimizer's kind (`Adam`).

mod codec;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{Run, Saved, TrainError, TrainState, Trainer};
use crate::float::Float;
use crate::network::Network;
use crate::optim::{Optimizer, OptimizerState, StateError};
use crate::persist::{
    check_layers, layer_list, load_network, network_entries, network_metadata, parse, read_file, serialize,
    write_atomic, LoadError, LoadOptions, Origin, SaveError, SaveOptions,
};

/// The metadata entry marking a checkpoint, and the format version this `nn` writes.
const CHECKPOINT_KEY: &str = "nn.checkpoint";
const VERSION: &str = "1";

/// When and where a [`Trainer`] writes checkpoints during [`fit`](Trainer::fit): every `k`
/// epochs (and after the last epoch of the `fit`) to one file, replaced atomically each
/// time, and optionally to a second file whenever the held-out loss reaches a new low
/// ("keep the best", which needs a held-out set: `fit(net, &train, Some(&eval))`).
///
/// A checkpoint is written between epochs, never during a training step, so training still
/// allocates nothing per step. [`Trainer::resume`] continues from either file exactly. (A
/// network with a layer field named `optimizer` cannot be resumed: its tensors would share
/// the optimizer's key prefix.)
///
/// ```
/// use nn::data::spiral;
/// use nn::rand::SeedableRng;
/// use nn::train::{Checkpoint, Progress, Trainer};
///
/// nn::network! {
///     pub struct Net { input: 2, fc1: Affine(8), act: Tanh, fc2: Affine(3), loss: SoftmaxWithLoss }
/// }
/// let dir = std::env::temp_dir().join(format!("nn-doc-checkpoint-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let (train, test) = spiral::<f32>(1).split(0.2, 0);
/// let mut net = Net::new(&mut nn::rand_chacha::ChaCha8Rng::seed_from_u64(0));
/// let mut trainer = Trainer::new(nn::Adam::with_lr(0.01))
///     .epochs(4)
///     .progress(Progress::Silent)
///     .checkpoint(Checkpoint::to(dir.join("last.safetensors")).every(2).keep_best(dir.join("best.safetensors")));
/// trainer.fit(&mut net, &train, Some(&test))?;
///
/// // Later (another process): the same setup, 8 epochs in all, continues at epoch 5.
/// let mut net = Net::zeroed();
/// let mut trainer = Trainer::new(nn::Adam::default()).epochs(8).progress(Progress::Silent);
/// trainer.resume(&mut net, dir.join("last.safetensors"))?;
/// let history = trainer.fit(&mut net, &train, Some(&test))?;
/// assert_eq!(history.epochs.len(), 8);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    path: PathBuf,
    every: usize,
    best: Option<PathBuf>,
}

impl Checkpoint {
    /// Checkpoints to `path` after every epoch (see [`every`](Self::every)).
    pub fn to(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            every: 1,
            best: None,
        }
    }

    /// Writes every `k` epochs (epochs `k`, `2k`, ... of the run) and after the last epoch
    /// of each `fit`.
    #[track_caller]
    pub fn every(mut self, k: usize) -> Self {
        assert!(k > 0, "Checkpoint::every: the interval must be at least 1 epoch");
        self.every = k;
        self
    }

    /// Also writes a checkpoint to `path` after every epoch whose held-out loss is the
    /// lowest so far. `fit` then needs a held-out set (an error otherwise:
    /// [`TrainError::KeepBestWithoutEval`]).
    pub fn keep_best(mut self, path: impl Into<PathBuf>) -> Self {
        self.best = Some(path.into());
        self
    }

    /// The periodic checkpoint's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The best checkpoint's path, if kept.
    pub fn best_path(&self) -> Option<&Path> {
        self.best.as_deref()
    }
}

/// Why a checkpoint could not be written or resumed. Every variant names the file, except
/// the network-level errors inside `Load` and `Save` that no file causes (a layer without
/// tensors, a duplicate key).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// Reading the file, or loading the network's tensors from it, failed (the network's
    /// own errors: another network, a missing tensor, a corrupt file, ...).
    #[error(transparent)]
    Load(#[from] LoadError),
    /// Writing the file failed (the previous file, if any, is intact).
    #[error(transparent)]
    Save(#[from] SaveError),
    /// The file is a safetensors file but not an `nn` checkpoint (no `nn.checkpoint`
    /// metadata): a network saved with `save` loads with `Net::load`, not `resume`.
    #[error("{origin}: not an nn checkpoint (its metadata has no `{CHECKPOINT_KEY}` entry); a network file loads with `Net::load`")]
    NotACheckpoint {
        /// The file or bytes.
        origin: Origin,
    },
    /// The checkpoint was written in a format version this `nn` does not read.
    #[error("{origin}: checkpoint format version {found}; this nn reads version {VERSION}")]
    Version {
        /// The file or bytes.
        origin: Origin,
        /// The file's `nn.checkpoint`.
        found: String,
    },
    /// The checkpoint was saved from a network of the other float type (an exact resume
    /// needs the same one).
    #[error("{origin}: the checkpoint was saved from an {file} network but is being resumed into an {network} one")]
    Float {
        /// The file or bytes.
        origin: Origin,
        /// The file's `nn.float`.
        file: String,
        /// The network's float type.
        network: &'static str,
    },
    /// A `trainer.*` or `optimizer.*` tensor is missing or malformed.
    #[error("{origin}: checkpoint tensor `{tensor}` {problem}")]
    Malformed {
        /// The file or bytes.
        origin: Origin,
        /// The tensor's key.
        tensor: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The saved run does not fit this trainer, optimizer, network or training set
    /// (another batch size, an optimizer of another kind, buffers of other lengths, ...).
    #[error("{origin}: {source}")]
    State {
        /// The file or bytes.
        origin: Origin,
        /// What does not fit.
        source: StateError,
    },
}

fn float_name<T: Float>() -> &'static str {
    if core::mem::size_of::<T>() == 4 {
        "f32"
    } else {
        "f64"
    }
}

/// Whether `key` is a checkpoint's own tensor (not the network's).
fn own_key(key: &str) -> bool {
    codec::PREFIXES.iter().any(|p| key.starts_with(p))
}

/// The checkpoint bytes of `net` and `state`.
pub(super) fn to_bytes<T, N, const IN: usize, const OUT: usize>(
    net: &N,
    state: &TrainState<T>,
) -> Result<Vec<u8>, SaveError>
where
    T: Float,
    N: Network<T, IN, OUT> + ?Sized,
{
    let mut entries = network_entries(net, &SaveOptions::new())?;
    codec::encode(state, &mut entries)?;
    let mut metadata: HashMap<String, String> = network_metadata(net);
    metadata.insert(CHECKPOINT_KEY.to_string(), VERSION.to_string());
    metadata.insert(codec::OPTIMIZER_KEY.to_string(), state.optimizer.kind().to_string());
    Ok(serialize(&entries, metadata))
}

/// Writes the checkpoint of `net` and `state` to `path` atomically.
pub(super) fn write<T, N, const IN: usize, const OUT: usize>(
    path: &Path,
    net: &N,
    state: &TrainState<T>,
) -> Result<(), SaveError>
where
    T: Float,
    N: Network<T, IN, OUT> + ?Sized,
{
    let bytes = to_bytes(net, state)?;
    write_atomic(path, |w| w.write_all(&bytes)).map_err(|source| SaveError::Io {
        path: path.to_path_buf(),
        source,
    })
}

impl<O> Trainer<O> {
    /// `fit`'s checkpoint after an epoch: `run` with the optimizer's state, written to each
    /// of `paths`.
    pub(super) fn write_checkpoints<T, N, const IN: usize, const OUT: usize>(
        &self,
        net: &N,
        run: Run,
        paths: [Option<&Path>; 2],
    ) -> Result<(), TrainError>
    where
        T: Float,
        O: Optimizer<T>,
        N: Network<T, IN, OUT> + ?Sized,
    {
        let epoch = run.epoch;
        let failed = |message: String| TrainError::Checkpoint { epoch, message };
        let mut optimizer = OptimizerState::new();
        self.optimizer
            .save_state(&mut optimizer)
            .map_err(|e| failed(e.to_string()))?;
        let state = run.into_state(optimizer);
        let bytes = to_bytes(net, &state).map_err(|e| failed(e.to_string()))?;
        for path in paths.into_iter().flatten() {
            write_atomic(path, |w| w.write_all(&bytes)).map_err(|source| {
                failed(
                    SaveError::Io {
                        path: path.to_path_buf(),
                        source,
                    }
                    .to_string(),
                )
            })?;
        }
        Ok(())
    }

    /// Writes checkpoints during [`fit`](Self::fit) as `checkpoint` says (every k epochs,
    /// keep the best); see [`Checkpoint`].
    pub fn checkpoint(mut self, checkpoint: Checkpoint) -> Self {
        self.checkpoint = Some(checkpoint);
        self
    }

    /// Writes a checkpoint of `net` and this trainer's [`state`](Self::state) (the end of
    /// the last `fit`) to `path`, atomically.
    pub fn save_checkpoint<T, N, const IN: usize, const OUT: usize>(
        &self,
        net: &N,
        path: impl AsRef<Path>,
    ) -> Result<(), CheckpointError>
    where
        T: Float,
        O: Optimizer<T>,
        N: Network<T, IN, OUT>,
    {
        let path = path.as_ref();
        let state = self.state::<T>().map_err(|source| CheckpointError::State {
            origin: Origin::File(path.to_path_buf()),
            source,
        })?;
        Ok(write(path, net, &state)?)
    }

    /// Loads the checkpoint at `path` into `net`, this trainer's optimizer and its run, so
    /// that the next [`fit`](Self::fit) continues exactly where the checkpoint was taken
    /// (see [`restore`](Self::restore), which this calls with the file's state).
    ///
    /// Set the trainer up first (batch size, `drop_last`, `epochs` = the run's total).
    /// Everything is checked before anything changes, and an error leaves `net`, the
    /// optimizer and the trainer as they were: a file that is not a checkpoint, another
    /// network ([`LoadError::OtherNetwork`]), another float type, an optimizer of another
    /// kind, another batch size, a corrupt file. `fit` then checks the training set's
    /// length against the saved order.
    pub fn resume<T, N, const IN: usize, const OUT: usize>(
        &mut self,
        net: &mut N,
        path: impl AsRef<Path>,
    ) -> Result<(), CheckpointError>
    where
        T: Float,
        O: Optimizer<T>,
        N: Network<T, IN, OUT>,
    {
        let path = path.as_ref();
        let bytes = read_file(path)?;
        self.resume_from(net, &bytes, Origin::File(path.to_path_buf()))
    }

    /// [`resume`](Self::resume) from checkpoint bytes in memory.
    pub fn resume_from_safetensors<T, N, const IN: usize, const OUT: usize>(
        &mut self,
        net: &mut N,
        bytes: &[u8],
    ) -> Result<(), CheckpointError>
    where
        T: Float,
        O: Optimizer<T>,
        N: Network<T, IN, OUT>,
    {
        self.resume_from(net, bytes, Origin::Bytes)
    }

    fn resume_from<T, N, const IN: usize, const OUT: usize>(
        &mut self,
        net: &mut N,
        bytes: &[u8],
        origin: Origin,
    ) -> Result<(), CheckpointError>
    where
        T: Float,
        O: Optimizer<T>,
        N: Network<T, IN, OUT>,
    {
        let parsed = parse(bytes, &origin)?;
        let meta = parsed.metadata.as_ref();
        let get = |key: &str| meta.and_then(|m| m.get(key));
        match get(CHECKPOINT_KEY) {
            None => return Err(CheckpointError::NotACheckpoint { origin }),
            Some(v) if v != VERSION => {
                return Err(CheckpointError::Version {
                    origin,
                    found: v.clone(),
                })
            }
            Some(_) => {}
        }
        if let Some(file) = get("nn.float").filter(|f| *f != float_name::<T>()) {
            return Err(CheckpointError::Float {
                origin,
                file: file.clone(),
                network: float_name::<T>(),
            });
        }
        // Another network is named before anything about the run or the optimizer.
        check_layers(&layer_list(&net.summary()), meta, &origin)?;
        let kind = get(codec::OPTIMIZER_KEY).map_or("", String::as_str);
        let state = codec::decode::<T>(&parsed.tensors, kind).map_err(|e| CheckpointError::Malformed {
            origin: origin.clone(),
            tensor: e.tensor,
            problem: e.problem,
        })?;
        let in_origin = |source| CheckpointError::State {
            origin: origin.clone(),
            source,
        };
        let (run, optimizer) = self.prepare(net, state).map_err(in_origin)?;
        // The optimizer is loaded before the network and put back if the network fails.
        let mut backup = OptimizerState::new();
        self.optimizer.save_state(&mut backup).map_err(in_origin)?;
        self.optimizer.load_state(&optimizer).map_err(in_origin)?;
        if let Err(e) = load_network(net, &parsed.tensors, meta, &origin, &LoadOptions::new(), &own_key) {
            self.optimizer
                .load_state(&backup)
                .expect("an optimizer reloads the state it saved");
            return Err(e.into());
        }
        self.seed = run.seed;
        self.run = Saved::Pending(Box::new(run));
        Ok(())
    }
}

/// What `fit` does with a [`Checkpoint`] after an epoch: whether to write the periodic and
/// the best file.
pub(super) fn due(c: &Checkpoint, epoch: usize, improved: bool) -> (bool, bool) {
    (epoch.is_multiple_of(c.every), improved && c.best.is_some())
}

#[cfg(test)]
mod tests;
