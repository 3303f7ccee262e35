//! A reusable training loop (the book's `Trainer`, `common/trainer.py`): epochs of seeded,
//! reshuffled mini-batches, a loss history, evaluation on a held-out set, progress output
//! and a callback that can stop training.
//!
//! ```
//! use nn::data::spiral;
//! use nn::rand::SeedableRng;
//! use nn::train::{Progress, Trainer};
//!
//! nn::network! {
//!     pub struct TwoLayerNet {
//!         input: 2,
//!         affine1: Affine(10),
//!         sigmoid: Sigmoid,
//!         affine2: Affine(3),
//!         loss: SoftmaxWithLoss,
//!     }
//! }
//!
//! let data = spiral::<f32>(1984);
//! // any network that implements `Trainable` (every `network!` with a loss layer does)
//! let mut net = TwoLayerNet::new(&mut nn::rand_chacha::ChaCha8Rng::seed_from_u64(0));
//! let mut trainer = Trainer::new(nn::Sgd::new(1.0))
//!     .epochs(5)
//!     .batch_size(30)
//!     .seed(0)
//!     .progress(Progress::Silent);
//! let history = trainer.fit(&mut net, &data, None)?;
//! assert_eq!(history.epochs.len(), 5);
//! # Ok::<(), nn::train::TrainError>(())
//! ```

#[cfg(feature = "safetensors")]
mod checkpoint;
#[cfg(feature = "safetensors")]
pub use checkpoint::{Checkpoint, CheckpointError};
pub mod parallel;
mod progress;
mod state;

use core::fmt;
use std::sync::Arc;

pub use progress::Progress;
pub use state::{Best, RngState, TrainState};

use state::Run;

use crate::data::{Batches, Dataset, Layout, Targets};
use crate::float::Float;
use crate::layers::{layer_seed, LossLayer};
use crate::network::{Network, Trainable};
use crate::optim::clip::ClipGradNorm;
use crate::optim::schedule::{LrSchedule, StepAt};
use crate::optim::{Optimizer, OptimizerState, StateError};

/// Why training stopped early with an error.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TrainError {
    /// The loss of a batch was NaN or infinite: diverging weights (lower the learning rate),
    /// or a NaN or infinity in the batch, an activation or a parameter (NaN propagates to
    /// the loss; see [`Trainer`]).
    #[error(
        "the loss became {loss} at epoch {epoch}, iteration {iter}; {}",
        match last_finite {
            Some(l) => format!("the last finite loss was {l}"),
            None => "no earlier loss was finite".to_string(),
        }
    )]
    NonFiniteLoss {
        /// The 1-based epoch.
        epoch: usize,
        /// The 1-based iteration within the epoch.
        iter: usize,
        /// The loss (NaN or ±inf).
        loss: f64,
        /// The last finite batch loss before it, if any.
        last_finite: Option<f64>,
    },
    /// A restored run cannot continue on this training set or with these settings (see
    /// [`Trainer::restore`]).
    #[error("cannot resume the saved run: {0}")]
    Resume(#[from] StateError),
    /// The run the last `fit` finished cannot go on with the trainer's settings or this
    /// training set (its batch size, `drop_last` or seed were changed, or the training set
    /// has another length). [`Trainer::reset`] starts a new run instead.
    #[error("cannot continue the last run (`Trainer::reset` starts a new one): {0}")]
    Continue(StateError),
    /// The last `fit` stopped inside an epoch (its callback stopped it at a log point, or
    /// an error), so its run cannot be continued exactly. [`Trainer::reset`] starts a new
    /// run.
    #[error("cannot continue the last run: {reason}; `Trainer::reset` starts a new one")]
    Unfinished {
        /// Where and why the last `fit` stopped.
        reason: String,
    },
    /// A class label is not one the loss knows ([`LossLayer::CLASSES`]): found before any
    /// training or evaluation.
    #[error("{}", label_message(set, *sample, *label, *classes))]
    LabelOutOfRange {
        /// Which data set: "training set", "held-out set" (of `fit`) or "data set" (of
        /// [`evaluate`]).
        set: &'static str,
        /// The sample's index in that data set.
        sample: usize,
        /// Its label.
        label: usize,
        /// The loss's number of classes (labels `0..classes`; 0: the loss takes no class
        /// indices).
        classes: usize,
    },
    /// The data set to evaluate has no samples (no mean loss or accuracy exists).
    #[error("the {set} has no samples to evaluate")]
    NoSamples {
        /// "held-out set" (of `fit`) or "data set" (of [`evaluate`]).
        set: &'static str,
    },
    /// The loss of a sample became NaN or infinite during an evaluation (a non-finite
    /// parameter or an overflow; data sets hold finite values only).
    #[error("{}", evaluation_message(set, *epoch, *batch, *sample, *loss))]
    NonFiniteEvaluation {
        /// "held-out set" (of `fit`) or "data set" (of [`evaluate`]).
        set: &'static str,
        /// The epoch (1-based) after which `fit` evaluated; `None` for [`evaluate`].
        epoch: Option<usize>,
        /// The batch (0-based, in order: batch `i` holds samples from `i · batch_size` on);
        /// `None` if every batch was finite but their sum overflowed.
        batch: Option<usize>,
        /// The first sample (0-based index in the data set) whose own loss is non-finite,
        /// if one is (a batch's mean can overflow with every sample finite).
        sample: Option<usize>,
        /// The non-finite loss (of the batch, or the sum).
        loss: f64,
    },
    /// Checkpoints keep the best held-out loss, but `fit` was given no held-out set.
    #[error("the checkpoint keeps the best held-out loss in {}, but `fit` was given no held-out set: pass `Some(&eval)` or drop `keep_best`", .path.display())]
    KeepBestWithoutEval {
        /// The best checkpoint's path.
        path: std::path::PathBuf,
    },
    /// Writing a checkpoint failed (training stopped there; the previous checkpoint file is
    /// intact).
    #[error("cannot write the checkpoint after epoch {epoch}: {message}")]
    Checkpoint {
        /// The epoch just finished (0: before the first, when the optimizer cannot save
        /// its state).
        epoch: usize,
        /// What failed (the file and the operating system's error, or the optimizer).
        message: String,
    },
    /// The training set has no samples (or fewer than one batch with `drop_last`).
    #[error("the training set yields no batch ({samples} samples, batch size {batch_size})")]
    NoBatch {
        /// Samples in the training set.
        samples: usize,
        /// The batch size.
        batch_size: usize,
    },
    /// A data set does not fit the trainer's sequence layout ([`Trainer::sequences`],
    /// [`Trainer::streams`]).
    #[error("the {set} does not fit the layout {layout:?}: {why}")]
    Layout {
        /// `"training set"` or `"held-out set"`.
        set: &'static str,
        /// The layout.
        layout: Layout,
        /// What does not fit.
        why: String,
    },
}

fn evaluation_message(
    set: &str,
    epoch: Option<usize>,
    batch: Option<usize>,
    sample: Option<usize>,
    loss: f64,
) -> String {
    let when = epoch.map(|e| format!(" after epoch {e}")).unwrap_or_default();
    let at = match (batch, sample) {
        (Some(b), Some(s)) => format!("the loss of sample {s} (batch {b}) is {loss}"),
        (Some(b), None) => format!("the mean loss of batch {b} is {loss} (every sample's own loss is finite)"),
        _ => format!("the summed loss overflowed to {loss}"),
    };
    format!("evaluating the {set}{when}: {at}")
}

fn label_message(set: &str, sample: usize, label: usize, classes: usize) -> String {
    if classes == 0 {
        format!("sample {sample} of the {set} has the class label {label}, but the loss takes no class indices (give it a batch of 0/1 targets)")
    } else {
        format!(
            "label {label} of sample {sample} of the {set} is out of range: the loss has {classes} classes (labels 0..{classes})"
        )
    }
}

/// One logged point: the mean batch loss since the previous point (the book's `loss_list`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogPoint {
    /// The 1-based epoch.
    pub epoch: usize,
    /// The 1-based iteration within the epoch.
    pub iter: usize,
    /// Iterations per epoch.
    pub iters: usize,
    /// Mean batch loss since the previous point.
    pub loss: f64,
    /// The learning rate of the point's last step ([`Optimizer::learning_rate`]; `None`
    /// for an optimizer without one).
    pub lr: Option<f64>,
}

impl fmt::Display for LogPoint {
    /// The book's progress line: `| epoch 1 | iter 10 / 10 | loss 1.13`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "| epoch {} | iter {} / {} | loss {:.2}",
            self.epoch, self.iter, self.iters, self.loss
        )
    }
}

/// Loss (and accuracy, for classification) of a network over a whole data set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    /// Mean loss per sample.
    pub loss: f64,
    /// Fraction of samples classified correctly; `None` for regression losses.
    pub accuracy: Option<f64>,
}

/// What happened in one epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpochStats {
    /// The 1-based epoch.
    pub epoch: usize,
    /// The mean batch loss over the epoch.
    pub train_loss: f64,
    /// Loss and accuracy on the held-out set, if one was given.
    pub eval: Option<Evaluation>,
}

/// What the callback of [`Trainer::fit_with`] is shown (with the network).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Event {
    /// Every `log_every` iterations (and at the end of each epoch).
    Log(LogPoint),
    /// At the end of each epoch, after the held-out evaluation.
    Epoch(EpochStats),
}

/// What the callback of [`Trainer::fit_with`] wants next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Go on training.
    Continue,
    /// Stop after this event (the history so far is returned).
    Stop,
}

/// The losses recorded during [`Trainer::fit`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// The logged points (the book's `loss_list`, plotted as the loss curve).
    pub log: Vec<LogPoint>,
    /// One entry per finished epoch.
    pub epochs: Vec<EpochStats>,
    /// Whether the callback stopped training early.
    pub stopped: bool,
}

/// The most entries [`Trainer::fit`] reserves in each of the history's vectors before the
/// first epoch (about 5 MiB in all at most).
const HISTORY_RESERVE: usize = 1 << 16;

/// Trains any [`Trainable`] network with an optimizer: for every epoch, reseed the
/// network's random layers ([`Network::reseed`] with [`epoch_seed`]), reshuffle the
/// training set with a seeded generator, run `train_step` on each mini-batch, log the mean
/// loss every `log_every` iterations, and evaluate on a held-out set if one is given.
///
/// The training step itself allocates nothing: batches are gathered into buffers reused
/// from the first batch on, the history's capacity is reserved before the first epoch (for
/// up to 65,536 epochs and log points; a longer run's history grows between steps), and
/// the network and optimizer reuse their own buffers. `epochs(usize::MAX)` trains until
/// the callback of [`fit_with`](Self::fit_with) stops it. A NaN or infinite batch loss stops
/// training with [`TrainError::NonFiniteLoss`].
///
/// # Runs: one `fit` after another, resuming
/// A trainer keeps its run. [`epochs`](Trainer::epochs) is the run's total, and a `fit`
/// after a finished `fit` continues that run where it stopped: the same shuffling stream
/// and order of the samples, epochs numbered on (the second `fit` starts at epoch 3 after a
/// first of 2), the history appended to (each `fit` returns the whole run's). So
/// `epochs(2)`, `fit`, `trainer.epochs += 2`, `fit` trains the same network bit for bit as
/// one `fit` of 4 epochs; a `fit` whose run already has `epochs` epochs trains nothing and
/// returns the history. [`reset`](Trainer::reset) starts a new run from
/// [`seed`](Trainer::seed). A `fit` that stopped inside an epoch (the callback at a log
/// point, an error) leaves no run to continue: the next `fit` is an error until `reset`.
///
/// [`state`](Trainer::state) after a `fit` gives a [`TrainState`]: epoch and step counts,
/// the shuffling stream and the current order of the samples, the best held-out loss, the
/// history and the optimizer's state. A fresh trainer [`restore`](Trainer::restore)s it and
/// its next `fit` continues the run bit for bit, exactly as the original trainer's next
/// `fit` would: N epochs, restore, N more give the same parameters and losses as 2N epochs
/// straight.
///
/// # Non-finite values
/// NaN propagates: every built-in layer and loss turns a NaN or an infinity in a step's
/// input, in an activation (an overflow) or in a parameter into a non-finite loss for that
/// step (no saturating function maps ±∞ to a finite value; see `ARCHITECTURE.md`), so the
/// guard above fires at the step that meets it, in release builds too. Debug builds also
/// panic earlier, naming the sample and feature, when a step's input is not finite.
///
/// The input is finite by construction: data sets reject non-finite features and float
/// targets when they are built (`Dataset::new`, `classification`, `regression`, the CSV
/// readers), and the one mutable access to their values, [`Dataset::standardize`], refuses
/// a [`Standardizer`](crate::data::Standardizer) whose result would not be finite (leaving
/// the data set unchanged). A non-finite loss therefore comes from an activation or a
/// parameter, and stops training as above.
/// Evaluations ([`evaluate`], and the held-out set of `fit`) fail the same way with
/// [`TrainError::NonFiniteEvaluation`], naming the sample.
///
/// # Labels
/// Before the first step, `fit` checks every class label of the training and held-out
/// sets against the loss's number of classes ([`LossLayer::CLASSES`]):
/// [`TrainError::LabelOutOfRange`] names the first sample out of range.
#[derive(Clone, Debug)]
pub struct Trainer<O> {
    /// The optimizer (kept across calls to `fit`, with its state).
    pub optimizer: O,
    /// Passes over the training set.
    pub epochs: usize,
    /// Samples per mini-batch.
    pub batch_size: usize,
    /// Seed of the shuffling stream (`ChaCha8Rng`).
    pub seed: u64,
    /// Drop a last batch shorter than `batch_size` (the book does).
    pub drop_last: bool,
    /// Iterations between log points; `0` logs once per epoch.
    pub log_every: usize,
    /// Where progress goes.
    pub progress: Progress,
    /// The run to resume, or the last one's end.
    run: Saved,
    /// Where checkpoints go during `fit`.
    #[cfg(feature = "safetensors")]
    checkpoint: Option<checkpoint::Checkpoint>,
    /// The learning-rate schedule, if any.
    schedule: Option<Schedule>,
    /// The global gradient norm steps are clipped to, if any.
    clip_grad_norm: Option<f64>,
    /// How samples form batches (independent samples, sequences, streams).
    layout: Layout,
}

/// A shared [`LrSchedule`] (so a trainer stays `Clone` and `Debug`).
#[derive(Clone)]
struct Schedule(Arc<dyn LrSchedule + Send + Sync>);

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LrSchedule")
    }
}

/// What a trainer knows of its runs.
#[derive(Clone, Debug, PartialEq)]
enum Saved {
    /// No `fit` yet.
    Nothing,
    /// Restored: the next `fit` continues it.
    Pending(Box<Run>),
    /// The end of the last `fit`, at the end of an epoch.
    Finished(Box<Run>),
    /// The last `fit` stopped inside an epoch (1-based) or with an error.
    Interrupted(String),
}

impl<O> Trainer<O> {
    /// A trainer with `optimizer`, 10 epochs of batch 32, seed 0, a log point every 10
    /// iterations and [`Progress::Auto`].
    pub fn new(optimizer: O) -> Self {
        Self {
            optimizer,
            epochs: 10,
            batch_size: 32,
            seed: 0,
            drop_last: false,
            log_every: 10,
            progress: Progress::Auto,
            run: Saved::Nothing,
            #[cfg(feature = "safetensors")]
            checkpoint: None,
            schedule: None,
            clip_grad_norm: None,
            layout: Layout::Samples,
        }
    }

    /// Trains on sequences: the data sets hold whole sequences of `steps` consecutive
    /// samples, and a batch is [`batch_size`](Self::batch_size) sequences in a shuffled order
    /// of sequences, laid out time-major ([`Layout::Sequences`]); before every batch the
    /// trainer calls the network's `set_sequences(N)`. The held-out set is read the same way.
    /// A data set that is not whole sequences fails `fit` with [`TrainError::Layout`].
    /// Panics if `steps` is 0.
    ///
    /// ```
    /// use nn::data::Dataset;
    /// use nn::train::{Progress, Trainer};
    ///
    /// nn::network! {
    ///     /// Per-step regression through a GRU.
    ///     pub struct Net { input: 1, gru: Gru(8), fc: Affine(1), loss: MeanSquaredError }
    /// }
    /// // 64 sequences of 10 steps: the target is the input one step late.
    /// let x = nn::Batch::<f32, 1>::from_fn(640, |_, i| ((i * 7919) % 13) as f32 / 13.0);
    /// let y = nn::Batch::<f32, 1>::from_fn(640, |_, i| if i % 10 == 0 { 0.0 } else { x[i - 1] });
    /// let data = Dataset::regression(x, y)?;
    /// let mut net = Net::new(&mut <nn::rand_chacha::ChaCha8Rng as nn::rand::SeedableRng>::seed_from_u64(0));
    /// let mut trainer = Trainer::new(nn::Adam::with_lr(0.02)).sequences(10).batch_size(8).epochs(30).progress(Progress::Silent);
    /// let history = trainer.fit(&mut net, &data, None)?;
    /// assert!(history.epochs.last().unwrap().train_loss < 0.2 * history.epochs[0].train_loss);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn sequences(mut self, steps: usize) -> Self {
        assert!(
            steps > 0,
            "Trainer::sequences: expected at least 1 step per sequence, got 0"
        );
        self.layout = Layout::Sequences { steps };
        self
    }

    /// Trains on streams, the book's truncated BPTT: each data set is one long sequence cut
    /// into [`batch_size`](Self::batch_size) contiguous streams, walked in order `steps` at a
    /// time ([`Layout::Streams`]; batch `b` holds steps `b·steps ..` of every stream,
    /// time-major, never shuffled). Make the network's recurrent layers stateful
    /// (`set_stateful(true)`) so each batch continues from where the last one stopped; the
    /// trainer calls `set_sequences(batch_size)` and, at the start of every epoch and of every
    /// evaluation, `reset_state()`. Panics if `steps` is 0.
    #[track_caller]
    pub fn streams(mut self, steps: usize) -> Self {
        assert!(steps > 0, "Trainer::streams: expected at least 1 step per batch, got 0");
        self.layout = Layout::Streams { steps };
        self
    }

    /// How batches are formed ([`Layout::Samples`] unless [`sequences`](Self::sequences) or
    /// [`streams`](Self::streams) was called).
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Sets the number of epochs of the run, in all (`usize::MAX`: until the callback of
    /// [`fit_with`](Self::fit_with) returns [`Control::Stop`]). Panics if `epochs` is 0.
    #[track_caller]
    pub fn epochs(mut self, epochs: usize) -> Self {
        assert!(epochs > 0, "Trainer::epochs: expected at least 1 epoch, got 0");
        self.epochs = epochs;
        self
    }

    /// Sets the batch size. Panics if `batch_size` is 0.
    #[track_caller]
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        assert!(
            batch_size > 0,
            "Trainer::batch_size: expected at least 1 sample per batch, got 0"
        );
        self.batch_size = batch_size;
        self
    }

    /// Sets the shuffling seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Drops (or keeps) a last, short batch.
    pub fn drop_last(mut self, drop: bool) -> Self {
        self.drop_last = drop;
        self
    }

    /// Sets the iterations between log points (`0`: once per epoch).
    pub fn log_every(mut self, iters: usize) -> Self {
        self.log_every = iters;
        self
    }

    /// Sets the learning rate of every step from `schedule` (see
    /// [`optim::schedule`](crate::optim::schedule)): before each step, `fit` asks it about
    /// the step's position ([`StepAt`]: the epoch finished before it, 0-based, and the
    /// step of the run) and hands the rate to
    /// [`Optimizer::set_learning_rate`]. Restored and continued runs ask about the same
    /// positions, so they train exactly as an uninterrupted run. `fit` panics if the
    /// optimizer has no learning rate ([`Optimizer::learning_rate`] is `None`) or the
    /// schedule gives a rate that is not finite and at least 0.
    ///
    /// ```
    /// use nn::optim::schedule::{CosineAnnealingLr, LinearWarmup};
    /// use nn::rand::SeedableRng;
    /// use nn::train::{Progress, Trainer};
    ///
    /// nn::network! { pub struct Net { input: 2, fc: Affine(3), loss: SoftmaxWithLoss } }
    ///
    /// let data = nn::data::spiral::<f32>(1); // 300 samples: 10 batches of 30
    /// let mut net = Net::new(&mut nn::rand_chacha::ChaCha8Rng::seed_from_u64(0));
    /// let mut trainer = Trainer::new(nn::Sgd::new(0.5))
    ///     .epochs(20)
    ///     .batch_size(30)
    ///     .log_every(5)
    ///     .progress(Progress::Silent)
    ///     // 10 steps of warm-up, then from 0.5 to 0.05 along a cosine over the 20 epochs
    ///     .schedule(LinearWarmup::new(10, CosineAnnealingLr::new(0.5, 20, 0.05)));
    /// let history = trainer.fit(&mut net, &data, None)?;
    /// assert_eq!(history.log[0].lr, Some(0.5 * 5.0 / 10.0)); // step 5 of 10 of the warm-up
    /// assert!((history.log.last().unwrap().lr.unwrap() - 0.05).abs() < 0.01);
    /// # Ok::<(), nn::train::TrainError>(())
    /// ```
    pub fn schedule(mut self, schedule: impl LrSchedule + Send + Sync + 'static) -> Self {
        self.schedule = Some(Schedule(Arc::new(schedule)));
        self
    }

    /// Clips every step's gradients to the global norm `max_norm` before the update
    /// ([`ClipGradNorm`]: `‖g‖ = √Σg²` over all parameters, every gradient scaled by
    /// `max_norm / (‖g‖ + 1e-6)` when that is below 1; PyTorch's `clip_grad_norm_`). A
    /// clipped step runs `forward`, `backward` and the update separately instead of the
    /// fused `train_step` (the batch is copied into a reused buffer, no in-place read), and
    /// allocates nothing once the largest batch and tensor have been seen. Panics unless
    /// `max_norm` is finite and greater than 0.
    #[track_caller]
    pub fn clip_grad_norm(mut self, max_norm: f64) -> Self {
        ClipGradNorm::<f64>::new(max_norm); // the same check, here at the caller
        self.clip_grad_norm = Some(max_norm);
        self
    }

    /// Sets where progress goes.
    pub fn progress(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }

    /// The state at the end of the last [`fit`](Self::fit) (or the one given to
    /// [`restore`](Self::restore) and not yet resumed), with the optimizer's: what a fresh
    /// trainer needs to continue the run exactly. An error if no `fit` ran, if the last one
    /// stopped inside an epoch (the callback stopped it at a log point, or an error), or if
    /// the optimizer cannot save its state.
    ///
    /// ```
    /// use nn::data::spiral;
    /// use nn::rand::SeedableRng;
    /// use nn::train::{Progress, Trainer};
    /// use nn::{Adam, Network};
    ///
    /// nn::network! {
    ///     #[derive(Clone)]
    ///     pub struct Net { input: 2, fc: Affine(3), loss: SoftmaxWithLoss }
    /// }
    ///
    /// let data = spiral::<f32>(1);
    /// let trainer = |epochs| Trainer::new(Adam::with_lr(0.01)).epochs(epochs).progress(Progress::Silent);
    /// let mut net = Net::new(&mut nn::rand_chacha::ChaCha8Rng::seed_from_u64(0));
    /// let mut straight = (net.clone(), trainer(4));
    /// let all = straight.1.fit(&mut straight.0, &data, None)?;
    ///
    /// // two epochs, then a fresh trainer (and optimizer) continues for two more
    /// let mut first = trainer(2);
    /// first.fit(&mut net, &data, None)?;
    /// let mut second = trainer(4);
    /// second.restore(&mut net, first.state()?)?;
    /// let resumed = second.fit(&mut net, &data, None)?;
    /// assert_eq!(resumed, all);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn state<T: Float>(&self) -> Result<TrainState<T>, StateError>
    where
        O: Optimizer<T>,
    {
        let run = match &self.run {
            Saved::Pending(run) | Saved::Finished(run) => run,
            Saved::Nothing => {
                return Err(StateError::NoState {
                    reason: "`fit` has not run".to_string(),
                })
            }
            Saved::Interrupted(why) => return Err(StateError::NoState { reason: why.clone() }),
        };
        let mut optimizer = OptimizerState::new();
        self.optimizer.save_state(&mut optimizer)?;
        Ok(run.to_state(optimizer))
    }

    /// Makes the next [`fit`](Self::fit) continue the run `state` was taken from: it starts
    /// at epoch `state.epoch + 1`, trains up to [`epochs`](Self::epochs) in all, draws the
    /// same batches the saved run would have drawn and returns the whole history (the saved
    /// part and the new). Loads the optimizer's state (its hyperparameters too) and sets
    /// [`seed`](Self::seed) to the saved run's.
    ///
    /// Checks, before changing anything: the batch size and `drop_last` against this
    /// trainer's (set them first), the state's consistency, the optimizer's kind, and its
    /// buffers against `net`'s parameter tensors. `fit` then checks the training set's
    /// length against the saved order ([`TrainError::Resume`]). See [`state`](Self::state)
    /// for an example.
    pub fn restore<T, N, const IN: usize, const OUT: usize>(
        &mut self,
        net: &mut N,
        state: TrainState<T>,
    ) -> Result<(), StateError>
    where
        T: Float,
        O: Optimizer<T>,
        N: Network<T, IN, OUT>,
    {
        let (run, optimizer) = self.prepare(net, state)?;
        self.optimizer.load_state(&optimizer)?;
        self.seed = run.seed;
        self.run = Saved::Pending(Box::new(run));
        Ok(())
    }

    /// Checks `state` against this trainer's settings and `net`'s parameter tensors
    /// (everything but the optimizer's kind, which its `load_state` checks).
    fn prepare<T, N, const IN: usize, const OUT: usize>(
        &self,
        net: &mut N,
        state: TrainState<T>,
    ) -> Result<(Run, OptimizerState<T>), StateError>
    where
        T: Float,
        N: Network<T, IN, OUT>,
    {
        let (run, optimizer) = Run::from_state(state)?;
        run.check_settings(self.batch_size, self.drop_last)?;
        let mut tensors = Vec::new();
        net.visit_params(&mut |p| tensors.push((p.layer, p.name, p.value.len())));
        optimizer.check_buffers(&tensors)?;
        Ok((run, optimizer))
    }

    /// Forgets the run (finished, restored or interrupted): the next [`fit`](Self::fit)
    /// starts a new one at epoch 1, shuffling from [`seed`](Self::seed). The optimizer keeps
    /// its state (Adam's moments, ...); reset or replace `optimizer` for a fresh start.
    pub fn reset(&mut self) {
        self.run = Saved::Nothing;
    }

    /// Fails unless the next `fit` can start or continue its run on `samples` samples with
    /// the current settings (checked before anything changes).
    fn check_run(&self, samples: usize) -> Result<(), TrainError> {
        let (run, wrap): (&Run, fn(StateError) -> TrainError) = match &self.run {
            Saved::Nothing => return Ok(()),
            Saved::Interrupted(reason) => return Err(TrainError::Unfinished { reason: reason.clone() }),
            Saved::Pending(run) => (run, TrainError::Resume),
            Saved::Finished(run) => (run, TrainError::Continue),
        };
        run.check_settings(self.batch_size, self.drop_last).map_err(wrap)?;
        if run.seed != self.seed {
            return Err(wrap(StateError::Seed {
                saved: run.seed,
                configured: self.seed,
            }));
        }
        if run.order.len() != samples {
            return Err(wrap(StateError::Samples {
                saved: run.order.len(),
                found: samples,
            }));
        }
        Ok(())
    }

    /// Trains `net` on `train`; evaluates on `eval` after every epoch if given.
    ///
    /// Continues the trainer's run (see [`Trainer`], "Runs"): a new run at epoch 1 after
    /// [`new`](Self::new) or [`reset`](Self::reset), else the restored run or the one the
    /// last `fit` finished, up to [`epochs`](Self::epochs) in all. Errors before any step:
    /// [`TrainError::Unfinished`] if the last `fit` stopped inside an epoch,
    /// [`TrainError::Continue`] / [`TrainError::Resume`] if the run cannot go on with these
    /// settings or this training set, [`TrainError::NoBatch`].
    #[track_caller]
    pub fn fit<T, N, Y, const IN: usize, const OUT: usize>(
        &mut self,
        net: &mut N,
        train: &Dataset<T, IN, Y>,
        eval: Option<&Dataset<T, IN, Y>>,
    ) -> Result<History, TrainError>
    where
        T: Float,
        O: Optimizer<T>,
        N: Trainable<T, IN, OUT>,
        Y: Targets<T>,
        for<'a> <N::Loss as LossLayer<T, OUT>>::Target<'a>: From<&'a Y::Buf>,
    {
        self.fit_with(net, train, eval, |_, _| Control::Continue)
    }

    /// [`fit`](Self::fit) with a callback that sees the network and every [`Event`] (log
    /// points and epoch ends) and may stop training by returning [`Control::Stop`] (early
    /// stopping, custom logging, saving or keeping a copy of the network as it is at that
    /// point: after the step of a log point, after the held-out evaluation of an epoch).
    ///
    /// Keeping the network with the lowest held-out loss:
    ///
    /// ```
    /// use nn::data::spiral;
    /// use nn::rand::SeedableRng;
    /// use nn::train::{Control, Event, Progress, Trainer};
    ///
    /// nn::network! {
    ///     #[derive(Clone)]
    ///     pub struct Net { input: 2, fc1: Affine(10), act: Tanh, fc2: Affine(3), loss: SoftmaxWithLoss }
    /// }
    ///
    /// let (train, test) = spiral::<f32>(1).split(0.2, 0);
    /// let mut net = Net::new(&mut nn::rand_chacha::ChaCha8Rng::seed_from_u64(0));
    /// let mut trainer = Trainer::new(nn::Adam::with_lr(0.05)).epochs(20).progress(Progress::Silent);
    /// let mut best: Option<(f64, Net<f32>)> = None;
    /// let history = trainer.fit_with(&mut net, &train, Some(&test), |net, event| {
    ///     if let Event::Epoch(stats) = event {
    ///         let loss = stats.eval.expect("a held-out set was given").loss;
    ///         if best.as_ref().is_none_or(|(b, _)| loss < *b) {
    ///             best = Some((loss, net.clone()));
    ///         }
    ///     }
    ///     Control::Continue
    /// })?;
    /// let (loss, mut best_net) = best.expect("20 epochs ran");
    /// let lowest = history.epochs.iter().map(|e| e.eval.unwrap().loss).fold(f64::INFINITY, f64::min);
    /// assert_eq!(loss, lowest);
    /// assert_eq!(nn::train::evaluate(&mut best_net, &test, trainer.batch_size)?.loss, lowest);
    /// # Ok::<(), nn::train::TrainError>(())
    /// ```
    #[track_caller]
    pub fn fit_with<T, N, Y, F, const IN: usize, const OUT: usize>(
        &mut self,
        net: &mut N,
        train: &Dataset<T, IN, Y>,
        eval: Option<&Dataset<T, IN, Y>>,
        mut callback: F,
    ) -> Result<History, TrainError>
    where
        T: Float,
        O: Optimizer<T>,
        N: Trainable<T, IN, OUT>,
        Y: Targets<T>,
        F: FnMut(&N, &Event) -> Control,
        for<'a> <N::Loss as LossLayer<T, OUT>>::Target<'a>: From<&'a Y::Buf>,
    {
        assert!(
            self.batch_size > 0,
            "Trainer::fit: the batch size is 0; expected at least 1 sample per batch"
        );
        if self.schedule.is_some() && self.optimizer.learning_rate().is_none() {
            panic!(
                "Trainer::schedule: the optimizer {} has no learning rate to schedule (Optimizer::learning_rate is None)",
                core::any::type_name::<O>()
            );
        }
        let layout = self.layout;
        let fits = |set: &'static str, len: usize| {
            layout
                .check(len, self.batch_size)
                .map_err(|why| TrainError::Layout { set, layout, why })
        };
        fits("training set", train.len())?;
        self.check_run(layout.units(train.len(), self.batch_size))?;
        check_labels::<T, N::Loss, Y, IN, OUT>(train, "training set")?;
        if let Some(eval) = eval {
            if eval.is_empty() {
                return Err(TrainError::NoSamples { set: "held-out set" });
            }
            fits("held-out set", eval.len())?;
            check_labels::<T, N::Loss, Y, IN, OUT>(eval, "held-out set")?;
        }
        let iters = layout.batches(train.len(), self.batch_size, self.drop_last);
        if iters == 0 {
            return Err(TrainError::NoBatch {
                samples: train.len(),
                batch_size: self.batch_size,
            });
        }
        #[cfg(feature = "safetensors")]
        if let Some(c) = &self.checkpoint {
            if let (Some(path), None) = (c.best_path(), eval) {
                return Err(TrainError::KeepBestWithoutEval {
                    path: path.to_path_buf(),
                });
            }
            self.optimizer
                .save_state(&mut OptimizerState::new())
                .map_err(|e| TrainError::Checkpoint {
                    epoch: 0,
                    message: e.to_string(),
                })?;
        }
        // A restored or finished run continues its stream, order and history; otherwise a new
        // run starts from `seed`.
        let (mut batches, start, mut iteration, mut history, mut best, mut last_finite) =
            match core::mem::replace(&mut self.run, Saved::Nothing) {
                Saved::Pending(run) | Saved::Finished(run) => {
                    let run = *run;
                    let batches = Batches::<T, IN, Y>::resume(
                        run.order,
                        run.batch_size,
                        run.drop_last,
                        run.rng,
                        layout,
                        train.len(),
                    );
                    let mut history = run.history;
                    history.stopped = false;
                    (batches, run.epoch, run.iteration, history, run.best, run.last_loss)
                }
                Saved::Nothing | Saved::Interrupted(_) => {
                    let batches = Batches::<T, IN, Y>::new(train.len(), self.batch_size, self.seed)
                        .drop_last(self.drop_last)
                        .layout(layout);
                    (batches, 0, 0u64, History::default(), None, None)
                }
            };
        debug_assert_eq!(batches.len(), iters);
        let log_every = if self.log_every == 0 { iters } else { self.log_every };
        let epochs = self.epochs.saturating_sub(start);
        // Bounded: `epochs` may be huge ("until the callback stops"); a longer history grows
        // (amortised) between steps.
        history
            .log
            .reserve_exact(epochs.saturating_mul(iters.div_ceil(log_every)).min(HISTORY_RESERVE));
        history.epochs.reserve_exact(epochs.min(HISTORY_RESERVE));
        let mut eval_batches = eval.map(|e| Batches::<T, IN, Y>::new(e.len(), self.batch_size, 0).layout(layout));
        let mut clip = self.clip_grad_norm.map(ClipGradNorm::<T>::new);
        let mut out = self.progress.start(epochs.saturating_mul(iters));
        let mut done = start;
        let mut interrupted = None;
        #[cfg(feature = "safetensors")]
        let mut written = start;

        'epochs: for epoch in start.saturating_add(1)..=self.epochs {
            net.reseed(epoch_seed(self.seed, epoch));
            if matches!(layout, Layout::Streams { .. }) {
                net.reset_state();
            }
            batches.shuffle();
            let (mut sum, mut count) = (0.0f64, 0usize);
            let mut epoch_sum = 0.0f64;
            for i in 0..iters {
                if let Some(Schedule(s)) = &self.schedule {
                    let at = StepAt {
                        epoch: epoch - 1,
                        step: iteration,
                        steps_per_epoch: iters,
                    };
                    let lr = s.lr(at);
                    assert!(
                        lr.is_finite() && lr >= 0.0,
                        "Trainer: the learning-rate schedule gave {lr} for epoch {epoch}, iteration {} (step {} of the run); a rate must be finite and at least 0",
                        i + 1,
                        iteration
                    );
                    self.optimizer.set_learning_rate(lr);
                }
                if layout.is_sequences() {
                    net.set_sequences(batches.sequences(i));
                }
                let loss = match clip.as_mut() {
                    None => {
                        let (x, t) = batches.get_in_place(train, i);
                        net.train_step(x.into(), t.into(), &mut self.optimizer)
                    }
                    Some(clip) => {
                        // forward and backward, then the update on clipped gradients
                        let (x, t) = batches.get(train, i);
                        let loss = net.forward(x, t.into());
                        net.backward();
                        clip.apply(&mut self.optimizer, |f| net.visit_params(f));
                        loss
                    }
                }
                .as_f64();
                iteration = iteration.saturating_add(1); // a loaded count may be anything
                if !loss.is_finite() {
                    out.finish();
                    self.run = Saved::Interrupted(format!(
                        "the last `fit` stopped with a non-finite loss at epoch {epoch}, iteration {}",
                        i + 1
                    ));
                    return Err(TrainError::NonFiniteLoss {
                        epoch,
                        iter: i + 1,
                        loss,
                        last_finite,
                    });
                }
                last_finite = Some(loss);
                sum += loss;
                epoch_sum += loss;
                count += 1;
                out.tick();
                if (i + 1) % log_every == 0 || i + 1 == iters {
                    let point = LogPoint {
                        epoch,
                        iter: i + 1,
                        iters,
                        loss: sum / count as f64,
                        lr: self.optimizer.learning_rate(),
                    };
                    (sum, count) = (0.0, 0);
                    history.log.push(point);
                    out.log(&point);
                    if callback(&*net, &Event::Log(point)) == Control::Stop {
                        history.stopped = true;
                        interrupted = Some((epoch, i + 1));
                        break 'epochs;
                    }
                }
            }
            let evaluation = match eval.zip(eval_batches.as_mut()) {
                None => None,
                Some((e, b)) => match evaluate_with(net, e, b, "held-out set", Some(epoch)) {
                    Ok(v) => Some(v),
                    Err(err) => {
                        out.finish();
                        self.run = Saved::Interrupted(format!(
                            "the last `fit` stopped with a non-finite held-out loss after epoch {epoch}"
                        ));
                        return Err(err);
                    }
                },
            };
            let stats = EpochStats {
                epoch,
                train_loss: epoch_sum / iters as f64,
                eval: evaluation,
            };
            let mut improved = false;
            if let Some(e) = stats.eval {
                if best.is_none_or(|b| e.loss < b.loss) {
                    best = Some(Best { epoch, loss: e.loss });
                    improved = true;
                }
            }
            let _ = improved; // used by checkpoints only
            history.epochs.push(stats);
            done = epoch;
            #[cfg(feature = "safetensors")]
            if let Some(c) = &self.checkpoint {
                let (periodic, best_now) = checkpoint::due(c, epoch, improved);
                if periodic || best_now {
                    let (order, rng) = batches.parts();
                    let run = Run {
                        epoch,
                        iteration,
                        batch_size: self.batch_size,
                        drop_last: self.drop_last,
                        seed: self.seed,
                        rng: rng.clone(),
                        order: order.to_vec(),
                        best,
                        last_loss: last_finite,
                        history: history.clone(),
                    };
                    let paths = [periodic.then(|| c.path()), best_now.then(|| c.best_path()).flatten()];
                    if let Err(e) = self.write_checkpoints(&*net, run, paths) {
                        out.finish();
                        self.run = Saved::Interrupted(format!(
                            "the last `fit` failed to write a checkpoint after epoch {epoch}"
                        ));
                        return Err(e);
                    }
                    if periodic {
                        written = epoch;
                    }
                }
            }
            out.epoch(&stats);
            if callback(&*net, &Event::Epoch(stats)) == Control::Stop {
                history.stopped = true;
                break;
            }
        }
        #[cfg(feature = "safetensors")]
        if let (Some(c), None) = (&self.checkpoint, interrupted) {
            if written != done {
                let (order, rng) = batches.parts();
                let run = Run {
                    epoch: done,
                    iteration,
                    batch_size: self.batch_size,
                    drop_last: self.drop_last,
                    seed: self.seed,
                    rng: rng.clone(),
                    order: order.to_vec(),
                    best,
                    last_loss: last_finite,
                    history: history.clone(),
                };
                if let Err(e) = self.write_checkpoints(&*net, run, [Some(c.path()), None]) {
                    out.finish();
                    self.run = Saved::Interrupted(format!(
                        "the last `fit` failed to write a checkpoint after epoch {done}"
                    ));
                    return Err(e);
                }
            }
        }
        out.finish();
        self.run = match interrupted {
            Some((epoch, iter)) => Saved::Interrupted(format!(
                "the last `fit` was stopped by its callback inside epoch {epoch} (at iteration {iter})"
            )),
            None => {
                let (order, rng) = batches.into_parts();
                Saved::Finished(Box::new(Run {
                    epoch: done,
                    iteration,
                    batch_size: self.batch_size,
                    drop_last: self.drop_last,
                    seed: self.seed,
                    rng,
                    order,
                    best,
                    last_loss: last_finite,
                    history: history.clone(),
                }))
            }
        };
        Ok(history)
    }
}

/// Mixed into the seed of [`epoch_seed`] so that its streams differ from the shuffling one.
const RESEED: u64 = 0xD1B5_4A32_D192_ED03;

/// The seed [`Trainer::fit`] hands [`Network::reseed`] before epoch `epoch` (1-based) of a
/// run with shuffling seed `seed`: [`layer_seed`]`(seed ^ C, epoch)` for a fixed constant
/// `C`. It depends on nothing else, so a resumed or continued run draws the same random
/// masks (`Dropout`) in each epoch as one uninterrupted run.
///
/// ```
/// use nn::train::epoch_seed;
/// assert_eq!(epoch_seed(0, 3), epoch_seed(0, 3));
/// assert_ne!(epoch_seed(0, 3), epoch_seed(0, 4));
/// assert_ne!(epoch_seed(0, 3), epoch_seed(1, 3));
/// ```
pub fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    layer_seed(seed ^ RESEED, epoch as u64)
}

/// Fails at the first sample of `data` whose class label is not below the loss's
/// [`CLASSES`](LossLayer::CLASSES) (nothing to check for a loss without classes or targets
/// that are not class indices). Gathers the labels in chunks into one small buffer.
fn check_labels<T, L, Y, const IN: usize, const OUT: usize>(
    data: &Dataset<T, IN, Y>,
    set: &'static str,
) -> Result<(), TrainError>
where
    T: Float,
    L: LossLayer<T, OUT>,
    Y: Targets<T>,
    for<'a> L::Target<'a>: From<&'a Y::Buf>,
{
    const CHUNK: usize = 256;
    let Some(classes) = L::CLASSES else { return Ok(()) };
    let mut idx = [0usize; CHUNK];
    let mut buf = Y::Buf::default();
    for start in (0..data.len()).step_by(CHUNK) {
        let len = CHUNK.min(data.len() - start);
        for (k, i) in idx[..len].iter_mut().enumerate() {
            *i = start + k;
        }
        data.y().gather(&idx[..len], &mut buf);
        let Some(labels) = L::class_indices((&buf).into()) else {
            return Ok(()); // one-hot rows or values, not class indices
        };
        if let Some(k) = labels.iter().position(|&l| l >= classes) {
            return Err(TrainError::LabelOutOfRange {
                set,
                sample: start + k,
                label: labels[k],
                classes,
            });
        }
    }
    Ok(())
}

/// Mean loss and accuracy of `net` over all of `data`, in batches of `batch_size` (no
/// gradients, no update).
///
/// Errors: [`TrainError::NoSamples`] for an empty data set (there is no mean to give),
/// [`TrainError::LabelOutOfRange`] (checked before evaluating), and
/// [`TrainError::NonFiniteEvaluation`] naming the first sample whose loss is NaN or
/// infinite. Data sets hold finite values only (their constructors reject NaN and
/// infinities), so that comes from the network: a non-finite parameter, or an overflow.
/// Panics if `batch_size` is 0.
#[track_caller]
pub fn evaluate<T, N, Y, const IN: usize, const OUT: usize>(
    net: &mut N,
    data: &Dataset<T, IN, Y>,
    batch_size: usize,
) -> Result<Evaluation, TrainError>
where
    T: Float,
    N: Trainable<T, IN, OUT>,
    Y: Targets<T>,
    for<'a> <N::Loss as LossLayer<T, OUT>>::Target<'a>: From<&'a Y::Buf>,
{
    assert!(batch_size > 0, "evaluate: the batch size must be at least 1, got 0");
    const SET: &str = "data set";
    if data.is_empty() {
        return Err(TrainError::NoSamples { set: SET });
    }
    check_labels::<T, N::Loss, Y, IN, OUT>(data, SET)?;
    evaluate_with(net, data, &mut Batches::new(data.len(), batch_size, 0), SET, None)
}

/// [`evaluate`] of a non-empty `data` with checked labels, in `batches` (in order:
/// batch `i` holds samples `i·b..`); `epoch` goes into the error.
fn evaluate_with<T, N, Y, const IN: usize, const OUT: usize>(
    net: &mut N,
    data: &Dataset<T, IN, Y>,
    batches: &mut Batches<T, IN, Y>,
    set: &'static str,
    epoch: Option<usize>,
) -> Result<Evaluation, TrainError>
where
    T: Float,
    N: Trainable<T, IN, OUT>,
    Y: Targets<T>,
    for<'a> <N::Loss as LossLayer<T, OUT>>::Target<'a>: From<&'a Y::Buf>,
{
    let (mut loss, mut correct, mut classified) = (0.0f64, 0usize, true);
    let size = batches.batch_size();
    let failed = |batch, sample, loss| TrainError::NonFiniteEvaluation {
        set,
        epoch,
        batch,
        sample,
        loss,
    };
    let layout = batches.current_layout();
    let mut columns = 0usize;
    if matches!(layout, Layout::Streams { .. }) {
        net.reset_state();
    }
    for i in 0..batches.len() {
        if layout.is_sequences() {
            net.set_sequences(batches.sequences(i));
        }
        let (x, t) = batches.get(data, i);
        let n = x.ncols();
        let (l, c) = net.evaluate(x, t.into());
        if !l.is_finite() && layout.is_sequences() {
            // A column alone is no sequence: the batch is what can be named.
            return Err(failed(Some(i), None, l.as_f64()));
        }
        if !l.is_finite() {
            // Which sample: each one alone (only on this error path).
            let t: <N::Loss as LossLayer<T, OUT>>::Target<'_> = t.into();
            let sample = (0..n).find(|&j| {
                let xj = crate::batch::columns("evaluate", x, j, 1);
                let tj = <N::Loss as LossLayer<T, OUT>>::target_columns(t, j, 1);
                !net.evaluate(xj, tj).0.is_finite()
            });
            return Err(failed(Some(i), sample.map(|j| i * size + j), l.as_f64()));
        }
        loss += l.as_f64() * n as f64;
        columns += n;
        match c {
            Some(c) => correct += c,
            None => classified = false,
        }
    }
    // Every sample but a remainder that streams leave unused.
    let n = columns as f64;
    if !loss.is_finite() {
        return Err(failed(None, None, loss)); // the sum overflowed
    }
    Ok(Evaluation {
        loss: loss / n,
        accuracy: classified.then(|| correct as f64 / n),
    })
}
