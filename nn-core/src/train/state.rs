//! What a [`Trainer`](super::Trainer) needs to resume a run exactly: [`TrainState`].

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::History;
use crate::float::Float;
use crate::optim::{OptimizerState, StateError};

/// The position of a `ChaCha8Rng` stream: the generator's 32-byte seed, its stream number
/// and its offset in 32-bit words ([`ChaCha8Rng::get_word_pos`]). [`to_rng`](Self::to_rng)
/// rebuilds a generator that draws exactly what the original draws next.
///
/// ```
/// use nn::rand::{RngCore, SeedableRng};
/// use nn::rand_chacha::ChaCha8Rng;
/// use nn::train::RngState;
///
/// let mut rng = ChaCha8Rng::seed_from_u64(7);
/// rng.next_u32();
/// let mut copy = RngState::of(&rng).to_rng();
/// assert_eq!(rng.next_u64(), copy.next_u64());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RngState {
    /// The generator's key ([`ChaCha8Rng::get_seed`]).
    pub seed: [u8; 32],
    /// The stream number ([`ChaCha8Rng::get_stream`]).
    pub stream: u64,
    /// Words drawn from the stream ([`ChaCha8Rng::get_word_pos`]; 68 bits are used).
    pub word_pos: u128,
}

impl RngState {
    /// The position of `rng`.
    pub fn of(rng: &ChaCha8Rng) -> Self {
        Self {
            seed: rng.get_seed(),
            stream: rng.get_stream(),
            word_pos: rng.get_word_pos(),
        }
    }

    /// A generator at this position.
    pub fn to_rng(&self) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::from_seed(self.seed);
        rng.set_stream(self.stream);
        rng.set_word_pos(self.word_pos);
        rng
    }
}

/// The lowest held-out loss of a run so far, and its epoch (what
/// `Checkpoint::keep_best` compares against, feature `safetensors`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Best {
    /// The 1-based epoch.
    pub epoch: usize,
    /// The mean held-out loss after that epoch.
    pub loss: f64,
}

/// Everything a [`Trainer`](super::Trainer) needs to continue a run exactly where it
/// stopped, at the end of an epoch: the epoch and step counts, the shuffling stream and the
/// current order of the samples (each epoch reshuffles the previous order in place, so the
/// order is state), the best held-out loss, the history, and the optimizer's state.
///
/// [`Trainer::state`](super::Trainer::state) takes it after a `fit`;
/// [`Trainer::restore`](super::Trainer::restore) gives it to a trainer whose next `fit`
/// goes on from epoch `epoch + 1`. A checkpoint file stores the same record beside the
/// network's tensors.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct TrainState<T> {
    /// Epochs finished.
    pub epoch: usize,
    /// Training steps taken over all epochs.
    pub iteration: u64,
    /// The run's batch size.
    pub batch_size: usize,
    /// The run's `drop_last`.
    pub drop_last: bool,
    /// The run's shuffling seed (informational: [`rng`](Self::rng) is what continues).
    pub seed: u64,
    /// The shuffling stream after the last epoch's shuffle.
    pub rng: RngState,
    /// The last epoch's order of the samples (a permutation of `0..N`).
    pub order: Vec<usize>,
    /// The lowest held-out loss so far.
    pub best: Option<Best>,
    /// The last finite batch loss.
    pub last_loss: Option<f64>,
    /// The history so far (the next `fit` appends to it and returns the whole).
    pub history: History,
    /// The optimizer's state.
    pub optimizer: OptimizerState<T>,
}

/// [`TrainState`] without the optimizer (which the trainer loads at once): what a trainer
/// keeps between `fit`s.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Run {
    pub(super) epoch: usize,
    pub(super) iteration: u64,
    pub(super) batch_size: usize,
    pub(super) drop_last: bool,
    pub(super) seed: u64,
    pub(super) rng: ChaCha8Rng,
    pub(super) order: Vec<usize>,
    pub(super) best: Option<Best>,
    pub(super) last_loss: Option<f64>,
    pub(super) history: History,
}

impl Run {
    pub(super) fn to_state<T: Float>(&self, optimizer: OptimizerState<T>) -> TrainState<T> {
        TrainState {
            epoch: self.epoch,
            iteration: self.iteration,
            batch_size: self.batch_size,
            drop_last: self.drop_last,
            seed: self.seed,
            rng: RngState::of(&self.rng),
            order: self.order.clone(),
            best: self.best,
            last_loss: self.last_loss,
            history: self.history.clone(),
            optimizer,
        }
    }

    /// [`to_state`](Self::to_state), consuming the run (no copies).
    #[cfg_attr(not(feature = "safetensors"), allow(dead_code))]
    pub(super) fn into_state<T: Float>(self, optimizer: OptimizerState<T>) -> TrainState<T> {
        TrainState {
            epoch: self.epoch,
            iteration: self.iteration,
            batch_size: self.batch_size,
            drop_last: self.drop_last,
            seed: self.seed,
            rng: RngState::of(&self.rng),
            order: self.order,
            best: self.best,
            last_loss: self.last_loss,
            history: self.history,
            optimizer,
        }
    }

    /// Splits `state` into the run and the optimizer state, checking that the run is
    /// consistent (the order a permutation, one history entry per epoch).
    pub(super) fn from_state<T: Float>(state: TrainState<T>) -> Result<(Self, OptimizerState<T>), StateError> {
        check_permutation(&state.order)?;
        if state.history.epochs.len() != state.epoch {
            return Err(StateError::History {
                epoch: state.epoch,
                recorded: state.history.epochs.len(),
            });
        }
        let run = Self {
            epoch: state.epoch,
            iteration: state.iteration,
            batch_size: state.batch_size,
            drop_last: state.drop_last,
            seed: state.seed,
            rng: state.rng.to_rng(),
            order: state.order,
            best: state.best,
            last_loss: state.last_loss,
            history: state.history,
        };
        Ok((run, state.optimizer))
    }

    /// Fails unless a trainer with `batch_size` and `drop_last` can continue this run.
    pub(super) fn check_settings(&self, batch_size: usize, drop_last: bool) -> Result<(), StateError> {
        if self.batch_size != batch_size {
            return Err(StateError::BatchSize {
                saved: self.batch_size,
                configured: batch_size,
            });
        }
        if self.drop_last != drop_last {
            return Err(StateError::DropLast {
                saved: self.drop_last,
                configured: drop_last,
            });
        }
        Ok(())
    }
}

/// Fails unless `order` holds each of `0..order.len()` once.
fn check_permutation(order: &[usize]) -> Result<(), StateError> {
    let mut seen = vec![false; order.len()];
    for (at, &i) in order.iter().enumerate() {
        let detail = match seen.get_mut(i) {
            None => format!("entry {at} is {i}"),
            Some(true) => format!("entry {at} repeats {i}"),
            Some(s) => {
                *s = true;
                continue;
            }
        };
        return Err(StateError::Order {
            len: order.len(),
            detail,
        });
    }
    Ok(())
}
