//! An optimizer's state as an owned record ([`OptimizerState`]), for checkpoints: what
//! [`Optimizer::save_state`](crate::Optimizer::save_state) writes and
//! [`Optimizer::load_state`](crate::Optimizer::load_state) reads back.

use std::borrow::Cow;

use crate::float::Float;

/// Why a saved state does not fit what it is loaded into (an optimizer, a trainer, a data set).
/// Every variant names the two sides.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The optimizer does not implement [`save_state`](crate::Optimizer::save_state) /
    /// [`load_state`](crate::Optimizer::load_state) (the trait's defaults).
    #[error("the optimizer {optimizer} cannot save or load its state (implement Optimizer::save_state and Optimizer::load_state)")]
    Unsupported {
        /// The optimizer's type name.
        optimizer: &'static str,
    },
    /// The state was saved by another kind of optimizer.
    #[error("the saved optimizer state is from {found}, but it is being loaded into {expected}")]
    Kind {
        /// The optimizer being loaded.
        expected: &'static str,
        /// The kind the state records.
        found: String,
    },
    /// An entry the optimizer needs is not in the state.
    #[error("the saved {optimizer} state has no {what} `{name}`")]
    Missing {
        /// The optimizer kind.
        optimizer: &'static str,
        /// "scalar", "integer" or "buffer list".
        what: &'static str,
        /// The entry's name.
        name: String,
    },
    /// A saved integer is out of the optimizer's range (a negative step count).
    #[error("the saved {optimizer} state's `{name}` is {value}, which is out of range")]
    OutOfRange {
        /// The optimizer kind.
        optimizer: &'static str,
        /// The entry's name.
        name: String,
        /// The value.
        value: i64,
    },
    /// The state holds buffers for more parameter tensors than the network has.
    #[error(
        "the saved optimizer state's `{buffer}` has buffers for {found} parameter tensors but the network has {expected}"
    )]
    TensorCount {
        /// The buffer list.
        buffer: String,
        /// Parameter tensors of the network.
        expected: usize,
        /// Buffers saved.
        found: usize,
    },
    /// A buffer's length differs from its parameter tensor's.
    #[error(
        "the saved optimizer state's `{buffer}` buffer {tensor} has {found} elements but parameter tensor {tensor} ({layer}.{name}) has {expected}"
    )]
    BufferLength {
        /// The buffer list.
        buffer: String,
        /// The parameter tensor's index in visit order.
        tensor: usize,
        /// The parameter's layer.
        layer: &'static str,
        /// The parameter's name in its layer.
        name: &'static str,
        /// The parameter tensor's length.
        expected: usize,
        /// The buffer's length.
        found: usize,
    },
    /// The trainer's batch size differs from the saved run's.
    #[error("the saved run used batch size {saved} but the trainer is set to {configured}")]
    BatchSize {
        /// The saved run's batch size.
        saved: usize,
        /// The trainer's.
        configured: usize,
    },
    /// The trainer's `drop_last` differs from the saved run's.
    #[error("the saved run used drop_last({saved}) but the trainer is set to drop_last({configured})")]
    DropLast {
        /// The saved run's setting.
        saved: bool,
        /// The trainer's.
        configured: bool,
    },
    /// The trainer's seed differs from the saved run's (a continued run keeps drawing from
    /// its own shuffling stream, so a new seed would have no effect).
    #[error("the saved run used seed {saved} but the trainer is set to {configured}")]
    Seed {
        /// The saved run's seed.
        saved: u64,
        /// The trainer's.
        configured: u64,
    },
    /// The training set has another length than the saved run's.
    #[error("the saved run shuffled {saved} samples but the training set has {found}")]
    Samples {
        /// Samples of the saved run (the length of its permutation).
        saved: usize,
        /// Samples of the training set given to `fit`.
        found: usize,
    },
    /// The saved history does not hold one entry per finished epoch.
    #[error("the saved run finished {epoch} epochs but its history records {recorded}")]
    History {
        /// Epochs finished.
        epoch: usize,
        /// Epoch entries in the history.
        recorded: usize,
    },
    /// The trainer has no state at the end of an epoch to save: `fit` has not run, or its
    /// last run stopped inside an epoch (by the callback at a log point, or with an error).
    #[error("the trainer has no state to save: {reason}")]
    NoState {
        /// Why.
        reason: String,
    },
    /// The saved permutation of the samples is not a permutation.
    #[error("the saved sample order is not a permutation of 0..{len}: {detail}")]
    Order {
        /// Its length.
        len: usize,
        /// What is wrong (a repeated or out-of-range index).
        detail: String,
    },
}

/// An optimizer's state, owned and independent of any file format: its kind, named
/// hyperparameters (`T`), named integers (step counts) and named buffer lists (one buffer per
/// parameter tensor, in the network's visit order; an empty buffer is one not allocated yet).
///
/// ```
/// use nn::optim::{apply, OptimizerState};
/// use nn::{Adam, Optimizer, Param};
///
/// let mut adam = Adam::<f64>::default();
/// let mut p = [1.0, 2.0];
/// apply(&mut adam, |f| f(Param::new("w", &mut p, &[0.5, -0.5])));
/// let mut state = OptimizerState::new();
/// adam.save_state(&mut state)?;
/// assert_eq!(state.kind(), "Adam");
/// assert_eq!(state.integer("t"), Some(1));
/// assert_eq!(state.buffers("m").unwrap()[0].len(), 2);
///
/// let mut resumed = Adam::<f64>::default();
/// resumed.load_state(&state)?;
/// assert_eq!(resumed.steps(), 1);
/// # Ok::<(), nn::optim::StateError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OptimizerState<T> {
    kind: Cow<'static, str>,
    scalars: Vec<(Cow<'static, str>, T)>,
    integers: Vec<(Cow<'static, str>, i64)>,
    buffers: Vec<(Cow<'static, str>, Vec<Vec<T>>)>,
}

impl<T: Float> OptimizerState<T> {
    /// An empty state of no kind.
    pub fn new() -> Self {
        Self {
            kind: Cow::Borrowed(""),
            scalars: Vec::new(),
            integers: Vec::new(),
            buffers: Vec::new(),
        }
    }

    /// Empties the state and names its kind (what an optimizer's `save_state` starts with).
    pub fn reset(&mut self, kind: impl Into<Cow<'static, str>>) {
        self.kind = kind.into();
        self.scalars.clear();
        self.integers.clear();
        self.buffers.clear();
    }

    /// The optimizer kind that saved this state ("Adam"), empty for a new state.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// Sets scalar `name` (a hyperparameter such as `lr`).
    pub fn set_scalar(&mut self, name: impl Into<Cow<'static, str>>, value: T) {
        set(&mut self.scalars, name.into(), value);
    }

    /// Sets integer `name` (a step count).
    pub fn set_integer(&mut self, name: impl Into<Cow<'static, str>>, value: i64) {
        set(&mut self.integers, name.into(), value);
    }

    /// Sets buffer list `name`: buffer `i` belongs to parameter tensor `i`.
    pub fn set_buffers(&mut self, name: impl Into<Cow<'static, str>>, buffers: Vec<Vec<T>>) {
        set(&mut self.buffers, name.into(), buffers);
    }

    /// Scalar `name`, if saved.
    pub fn scalar(&self, name: &str) -> Option<T> {
        get(&self.scalars, name).copied()
    }

    /// Integer `name`, if saved.
    pub fn integer(&self, name: &str) -> Option<i64> {
        get(&self.integers, name).copied()
    }

    /// Buffer list `name`, if saved.
    pub fn buffers(&self, name: &str) -> Option<&[Vec<T>]> {
        get(&self.buffers, name).map(Vec::as_slice)
    }

    /// Every scalar, by name.
    pub fn scalars(&self) -> impl Iterator<Item = (&str, T)> + '_ {
        self.scalars.iter().map(|(k, v)| (&**k, *v))
    }

    /// Every integer, by name.
    pub fn integers(&self) -> impl Iterator<Item = (&str, i64)> + '_ {
        self.integers.iter().map(|(k, v)| (&**k, *v))
    }

    /// Every buffer list, by name.
    pub fn buffer_lists(&self) -> impl Iterator<Item = (&str, &[Vec<T>])> + '_ {
        self.buffers.iter().map(|(k, v)| (&**k, v.as_slice()))
    }

    /// Checks every buffer list against the lengths of the network's parameter tensors (in
    /// visit order, each as (layer, name, length)): no more buffers than tensors, and each allocated
    /// buffer as long as its tensor. Run before training on with a loaded state, so a state
    /// from another network is an error here and not a panic at the first step.
    pub fn check_buffers(&self, tensors: &[(&'static str, &'static str, usize)]) -> Result<(), StateError> {
        for (name, list) in &self.buffers {
            if list.len() > tensors.len() {
                return Err(StateError::TensorCount {
                    buffer: name.to_string(),
                    expected: tensors.len(),
                    found: list.len(),
                });
            }
            for (tensor, (buf, &(layer, param, len))) in list.iter().zip(tensors).enumerate() {
                if !buf.is_empty() && buf.len() != len {
                    return Err(StateError::BufferLength {
                        buffer: name.to_string(),
                        tensor,
                        layer,
                        name: param,
                        expected: len,
                        found: buf.len(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Fails unless this state was saved by optimizer kind `kind`.
    pub fn expect_kind(&self, kind: &'static str) -> Result<(), StateError> {
        if self.kind == kind {
            Ok(())
        } else {
            Err(StateError::Kind {
                expected: kind,
                found: if self.kind.is_empty() {
                    "an empty state".to_string()
                } else {
                    self.kind.to_string()
                },
            })
        }
    }

    /// Scalar `name` of optimizer `kind`, or a [`StateError::Missing`].
    pub fn require_scalar(&self, kind: &'static str, name: &str) -> Result<T, StateError> {
        self.scalar(name).ok_or_else(|| missing(kind, "scalar", name))
    }

    /// Integer `name` of optimizer `kind`, or a [`StateError::Missing`].
    pub fn require_integer(&self, kind: &'static str, name: &str) -> Result<i64, StateError> {
        self.integer(name).ok_or_else(|| missing(kind, "integer", name))
    }

    /// Buffer list `name` of optimizer `kind`, or a [`StateError::Missing`].
    pub fn require_buffers(&self, kind: &'static str, name: &str) -> Result<&[Vec<T>], StateError> {
        self.buffers(name).ok_or_else(|| missing(kind, "buffer list", name))
    }
}

fn missing(optimizer: &'static str, what: &'static str, name: &str) -> StateError {
    StateError::Missing {
        optimizer,
        what,
        name: name.to_string(),
    }
}

/// Sets `name` in a list kept sorted by name (so equal states compare equal whatever order
/// their entries were set in).
fn set<V>(list: &mut Vec<(Cow<'static, str>, V)>, name: Cow<'static, str>, value: V) {
    match list.binary_search_by(|(k, _)| (**k).cmp(&*name)) {
        Ok(i) => list[i].1 = value,
        Err(i) => list.insert(i, (name, value)),
    }
}

fn get<'a, V>(list: &'a [(Cow<'static, str>, V)], name: &str) -> Option<&'a V> {
    list.binary_search_by(|(k, _)| (**k).cmp(name)).ok().map(|i| &list[i].1)
}
