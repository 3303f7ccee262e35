use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{gather_columns, index_below, Dataset, Targets};
use crate::batch::{BatchBuf, BatchRef};
use crate::float::Float;
use crate::input::Gather;

/// Shuffles `v` in place (Fisher–Yates) from `rng`. The permutation depends only on the
/// generator's stream, so a seeded `ChaCha8Rng` gives the same order on every platform and
/// crate version.
pub fn shuffle<E>(v: &mut [E], rng: &mut dyn RngCore) {
    for i in (1..v.len()).rev() {
        v.swap(i, index_below(rng, i + 1));
    }
}

/// Mini-batches of a [`Dataset`] in a seeded, reshuffled order (the book's
/// `idx = np.random.permutation(data_size); x = x[idx]`).
///
/// Only the batch in use is copied: [`get`](Batches::get) gathers the samples of batch `i`
/// into buffers that grow to the batch size once and are reused (a short last batch reuses
/// them too), so iterating allocates nothing after the first batch.
///
/// ```
/// use nn_core::data::{spiral, Batches};
/// let data = spiral::<f32>(1984);
/// let mut batches = Batches::new(data.len(), 30, 0);
/// batches.shuffle();
/// assert_eq!(batches.len(), 10);
/// let (x, t) = batches.get(&data, 0);
/// assert_eq!((x.nrows(), x.ncols(), t.len()), (2, 30, 30));
/// ```
#[derive(Clone, Debug)]
pub struct Batches<T: Float, const D: usize, Y: Targets<T> = Vec<usize>> {
    /// The units in their current order: samples, or sequences, or (streams) the positions
    /// of a stream, never shuffled.
    order: Vec<usize>,
    batch_size: usize,
    drop_last: bool,
    rng: ChaCha8Rng,
    layout: Layout,
    /// Samples in the data set.
    samples: usize,
    /// The sample indices of the current batch, time-major (sequence layouts).
    idx: Vec<usize>,
    x: BatchBuf<T, D>,
    y: Y::Buf,
}

/// How a data set's samples form batches: independent samples (the default), or sequences
/// in the time-major layout of [`nn::seq`](crate::seq) that recurrent layers read.
///
/// ```
/// use nn_core::data::{Batches, Dataset, Layout};
/// // 12 samples: 3 sequences of 4 steps (sequence k is samples 4k..4k+4).
/// let x = nn_core::Batch::<f32, 1>::from_fn(12, |_, i| i as f32);
/// let data = Dataset::regression(x.clone(), x)?;
/// let mut b = Batches::new(data.len(), 2, 0).layout(Layout::Sequences { steps: 4 });
/// assert_eq!((b.len(), b.sequences(0), b.sequences(1)), (2, 2, 1));
/// let (x, _) = b.get(&data, 0); // sequences 0 and 1, time-major: column t·2 + j
/// assert_eq!(x.as_slice(), &[0.0, 4.0, 1.0, 5.0, 2.0, 6.0, 3.0, 7.0]);
///
/// // 2 streams of 6 steps (samples 0..6 and 6..12), cut into batches of 4 and 2 steps.
/// let mut b = Batches::new(data.len(), 2, 0).layout(Layout::Streams { steps: 4 });
/// assert_eq!(b.len(), 2);
/// assert_eq!(b.get(&data, 1).0.as_slice(), &[4.0, 10.0, 5.0, 11.0]);
/// # Ok::<(), nn_core::data::DataError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Layout {
    /// Every sample alone; a batch is `batch_size` samples in the shuffled order.
    #[default]
    Samples,
    /// The data set is whole sequences of `steps` consecutive samples (sequence `k` is
    /// samples `k·steps .. (k+1)·steps`; the number of samples must be a multiple of
    /// `steps`). A batch is `batch_size` sequences in the shuffled order of sequences, laid
    /// out time-major: column `t·N + j` is step `t` of the batch's sequence `j`.
    Sequences {
        /// Steps per sequence (`T`).
        steps: usize,
    },
    /// The data set is one long sequence (a text, a recording), cut into `batch_size`
    /// contiguous streams (stream `j` is samples `j·L .. (j+1)·L`, `L = len / batch_size`,
    /// the remainder unused) walked in order, `steps` at a time: batch `b` holds steps
    /// `b·steps ..` of every stream, time-major. Never shuffled: with stateful recurrent
    /// layers each batch continues the last (the book's truncated BPTT). A last batch of
    /// fewer steps is kept unless `drop_last`.
    Streams {
        /// Steps per batch (`T`).
        steps: usize,
    },
}

impl Layout {
    /// The units of a data set of `samples` samples in batches of `batch_size`: samples,
    /// sequences, or the length of each stream.
    pub fn units(self, samples: usize, batch_size: usize) -> usize {
        match self {
            Layout::Samples => samples,
            Layout::Sequences { steps } => samples / steps.max(1),
            Layout::Streams { .. } => samples / batch_size.max(1),
        }
    }

    /// Units per batch: `batch_size` samples or sequences, or `steps` of every stream.
    fn per_batch(self, batch_size: usize) -> usize {
        match self {
            Layout::Streams { steps } => steps.max(1),
            _ => batch_size.max(1),
        }
    }

    /// The number of batches per pass over `samples` samples (a last short batch counted
    /// unless `drop_last`): what [`Batches::len`] and the trainer's iterations per epoch are.
    pub fn batches(self, samples: usize, batch_size: usize, drop_last: bool) -> usize {
        let (units, per) = (self.units(samples, batch_size), self.per_batch(batch_size));
        if drop_last {
            units / per
        } else {
            units.div_ceil(per)
        }
    }

    /// Whether batches hold sequences (any layout but [`Samples`](Layout::Samples)).
    pub fn is_sequences(self) -> bool {
        self != Layout::Samples
    }

    /// Why `samples` samples cannot be laid out this way, if they cannot.
    pub fn check(self, samples: usize, batch_size: usize) -> Result<(), String> {
        match self {
            Layout::Samples => Ok(()),
            Layout::Sequences { steps: 0 } | Layout::Streams { steps: 0 } => {
                Err("a sequence layout needs at least 1 step".into())
            }
            Layout::Sequences { steps } if !samples.is_multiple_of(steps) => {
                Err(format!("{samples} samples are not whole sequences of {steps} steps"))
            }
            Layout::Streams { .. } if samples < batch_size => Err(format!(
                "{samples} samples cannot make {batch_size} streams of at least 1 step"
            )),
            _ => Ok(()),
        }
    }
}

impl<T: Float, const D: usize, Y: Targets<T>> Batches<T, D, Y> {
    /// Batches of `batch_size` over `len` samples, in order until [`shuffle`](Self::shuffle)
    /// is called; `seed` seeds the shuffling stream. A last, shorter batch is kept (see
    /// [`drop_last`](Self::drop_last)).
    ///
    /// Panics if `batch_size` is 0.
    #[track_caller]
    pub fn new(len: usize, batch_size: usize, seed: u64) -> Self {
        assert!(
            batch_size > 0,
            "Batches::new: expected a batch size of at least 1, got 0"
        );
        Self {
            order: (0..len).collect(),
            batch_size,
            drop_last: false,
            rng: ChaCha8Rng::seed_from_u64(seed),
            layout: Layout::Samples,
            samples: len,
            idx: Vec::new(),
            x: BatchBuf::new(),
            y: Y::Buf::default(),
        }
    }

    /// Lays the samples out as sequences (see [`Layout`]); the order starts over (unshuffled).
    /// Panics if the samples do not fit the layout ([`Layout::check`]).
    #[track_caller]
    pub fn layout(mut self, layout: Layout) -> Self {
        if let Err(why) = layout.check(self.samples, self.batch_size) {
            panic!("Batches::layout: {why}");
        }
        self.layout = layout;
        self.order = (0..layout.units(self.samples, self.batch_size)).collect();
        self
    }

    /// The sequences (`N`) in batch `i`: what a network's `set_sequences` needs before it
    /// runs the batch (with [`Layout::Samples`], the batch's size: every sample is a sequence
    /// of one step).
    #[track_caller]
    pub fn sequences(&self, i: usize) -> usize {
        self.check_index(i, "sequences");
        match self.layout {
            Layout::Streams { .. } => self.batch_size,
            _ => self.indices(i).len(),
        }
    }

    /// Steps (`T`) of batch `i`: 1 for [`Layout::Samples`].
    #[track_caller]
    pub fn steps(&self, i: usize) -> usize {
        self.check_index(i, "steps");
        match self.layout {
            Layout::Samples => 1,
            Layout::Sequences { steps } => steps,
            Layout::Streams { steps } => steps.min(self.order.len() - i * steps),
        }
    }

    /// The layout.
    pub fn current_layout(&self) -> Layout {
        self.layout
    }

    /// Batches continuing a saved run: `order` is the current order (a permutation of the
    /// samples, checked by the caller) and `rng` the shuffling stream where it stopped.
    #[track_caller]
    pub(crate) fn resume(
        order: Vec<usize>,
        batch_size: usize,
        drop_last: bool,
        rng: ChaCha8Rng,
        layout: Layout,
        samples: usize,
    ) -> Self {
        assert!(batch_size > 0, "Batches: expected a batch size of at least 1, got 0");
        Self {
            order,
            batch_size,
            drop_last,
            rng,
            layout,
            samples,
            idx: Vec::new(),
            x: BatchBuf::new(),
            y: Y::Buf::default(),
        }
    }

    /// The current order and the shuffling stream (what [`resume`](Self::resume) takes).
    pub(crate) fn into_parts(self) -> (Vec<usize>, ChaCha8Rng) {
        (self.order, self.rng)
    }

    /// The current order and shuffling stream, borrowed (a checkpoint between epochs).
    #[cfg_attr(not(feature = "safetensors"), allow(dead_code))]
    pub(crate) fn parts(&self) -> (&[usize], &ChaCha8Rng) {
        (&self.order, &self.rng)
    }

    /// Drops a last batch shorter than the batch size, as the book's loops do
    /// (`max_iters = data_size // batch_size`).
    pub fn drop_last(mut self, drop: bool) -> Self {
        self.drop_last = drop;
        self
    }

    /// Draws a new order of the samples (of the sequences with [`Layout::Sequences`]; streams
    /// are never shuffled).
    pub fn shuffle(&mut self) {
        if !matches!(self.layout, Layout::Streams { .. }) {
            shuffle(&mut self.order, &mut self.rng);
        }
    }

    /// The number of batches per pass.
    pub fn len(&self) -> usize {
        self.layout.batches(self.samples, self.batch_size, self.drop_last)
    }

    /// Whether a pass has no batch.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The batch size.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The units of batch `i` in the current order: its sample indices ([`Layout::Samples`]),
    /// its sequences ([`Layout::Sequences`]), or its steps of each stream
    /// ([`Layout::Streams`]).
    ///
    /// Panics if `i` is not below [`len`](Self::len) (a last short batch dropped by
    /// [`drop_last`](Self::drop_last) is not there).
    #[track_caller]
    pub fn indices(&self, i: usize) -> &[usize] {
        self.check_index(i, "indices");
        let per = self.layout.per_batch(self.batch_size);
        let start = i * per;
        let end = (start + per).min(self.order.len());
        &self.order[start..end]
    }

    /// The sample indices of batch `i` in the order its columns take (time-major for the
    /// sequence layouts), into `self.idx`.
    fn fill_idx(&mut self, i: usize) {
        let mut idx = core::mem::take(&mut self.idx);
        let units = self.indices(i);
        idx.clear();
        match self.layout {
            Layout::Samples => idx.extend_from_slice(units),
            Layout::Sequences { steps } => {
                for t in 0..steps {
                    idx.extend(units.iter().map(|&k| k * steps + t));
                }
            }
            Layout::Streams { .. } => {
                let len = self.order.len();
                for &t in units {
                    idx.extend((0..self.batch_size).map(|j| j * len + t));
                }
            }
        }
        self.idx = idx;
    }

    /// Gathers batch `i` of `data` into the reused buffers: the samples (`D × n`) and their
    /// targets (convert with `.into()` to the loss layer's target type).
    ///
    /// Panics if `i` is not below [`len`](Self::len) or `data` does not have the number of
    /// samples these batches were built for.
    #[track_caller]
    pub fn get<'s>(&'s mut self, data: &Dataset<T, D, Y>, i: usize) -> (BatchRef<'s, T, D>, &'s Y::Buf) {
        self.range(data, i, "get");
        self.fill_idx(i);
        gather_columns(data.x().as_slice(), &self.idx, &mut self.x);
        data.y().gather(&self.idx, &mut self.y);
        (self.x.view(), &self.y)
    }

    /// Batch `i` of `data` with its samples left where they are: a [`Gather`] that a
    /// network's `train_step` reads in place (no copy of the `D × n` batch when the first
    /// layer is an `Affine` or `MatMul` on the GEMM path), and the targets gathered into the
    /// reused buffer as [`get`](Batches::get) does.
    ///
    /// ```
    /// use nn_core::data::{spiral, Batches};
    /// let data = spiral::<f32>(1984);
    /// let mut batches = Batches::new(data.len(), 30, 0);
    /// batches.shuffle();
    /// let (x, t) = batches.get_in_place(&data, 0);
    /// assert_eq!((x.len(), t.len()), (30, 30));
    /// assert_eq!(x.sample(0), data.sample(x.indices()[0]));
    /// ```
    ///
    /// Panics as [`get`](Self::get) does.
    #[track_caller]
    pub fn get_in_place<'s>(&'s mut self, data: &'s Dataset<T, D, Y>, i: usize) -> (Gather<'s, T, D>, &'s Y::Buf) {
        self.range(data, i, "get_in_place");
        self.fill_idx(i);
        data.y().gather(&self.idx, &mut self.y);
        (Gather::new(data.x().as_view(), &self.idx), &self.y)
    }

    /// Panics, naming `method`, if there is no batch `i` or `data` is not the data set these
    /// batches were built for.
    #[track_caller]
    fn range(&self, data: &Dataset<T, D, Y>, i: usize, method: &str) {
        self.check_index(i, method);
        assert!(
            self.samples == data.len(),
            "Batches::{method}: expected a data set of {} samples (what these batches were built for), got one of {}",
            self.samples,
            data.len()
        );
    }

    /// Panics, naming `method`, if there is no batch `i`.
    #[track_caller]
    fn check_index(&self, i: usize, method: &str) {
        let n = self.len();
        assert!(
            i < n,
            "Batches::{method}: expected a batch index below {n} ({} samples in batches of {}{}), got {i}",
            self.samples,
            self.batch_size,
            if self.drop_last {
                ", the last short one dropped"
            } else {
                ""
            }
        );
    }
}
