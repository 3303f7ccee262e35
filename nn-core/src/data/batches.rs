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
    order: Vec<usize>,
    batch_size: usize,
    drop_last: bool,
    rng: ChaCha8Rng,
    x: BatchBuf<T, D>,
    y: Y::Buf,
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
            x: BatchBuf::new(),
            y: Y::Buf::default(),
        }
    }

    /// Batches continuing a saved run: `order` is the current order (a permutation of the
    /// samples, checked by the caller) and `rng` the shuffling stream where it stopped.
    #[track_caller]
    pub(crate) fn resume(order: Vec<usize>, batch_size: usize, drop_last: bool, rng: ChaCha8Rng) -> Self {
        assert!(batch_size > 0, "Batches: expected a batch size of at least 1, got 0");
        Self {
            order,
            batch_size,
            drop_last,
            rng,
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

    /// Draws a new order of the samples.
    pub fn shuffle(&mut self) {
        shuffle(&mut self.order, &mut self.rng);
    }

    /// The number of batches per pass.
    pub fn len(&self) -> usize {
        let n = self.order.len();
        if self.drop_last {
            n / self.batch_size
        } else {
            n.div_ceil(self.batch_size)
        }
    }

    /// Whether a pass has no batch.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The batch size.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The sample indices of batch `i` in the current order.
    ///
    /// Panics if `i` is not below [`len`](Self::len) (a last short batch dropped by
    /// [`drop_last`](Self::drop_last) is not there).
    #[track_caller]
    pub fn indices(&self, i: usize) -> &[usize] {
        self.check_index(i, "indices");
        let start = i * self.batch_size;
        let end = (start + self.batch_size).min(self.order.len());
        &self.order[start..end]
    }

    /// Gathers batch `i` of `data` into the reused buffers: the samples (`D × n`) and their
    /// targets (convert with `.into()` to the loss layer's target type).
    ///
    /// Panics if `i` is not below [`len`](Self::len) or `data` does not have the number of
    /// samples these batches were built for.
    #[track_caller]
    pub fn get<'s>(&'s mut self, data: &Dataset<T, D, Y>, i: usize) -> (BatchRef<'s, T, D>, &'s Y::Buf) {
        let (start, end) = self.range(data, i, "get");
        let idx = &self.order[start..end];
        gather_columns(data.x().as_slice(), idx, &mut self.x);
        data.y().gather(idx, &mut self.y);
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
        let (start, end) = self.range(data, i, "get_in_place");
        let idx = &self.order[start..end];
        data.y().gather(idx, &mut self.y);
        (Gather::new(data.x().as_view(), idx), &self.y)
    }

    /// The positions in `order` of batch `i`; panics, naming `method`, if there is no such
    /// batch or `data` is not the data set these batches were built for.
    #[track_caller]
    fn range(&self, data: &Dataset<T, D, Y>, i: usize, method: &str) -> (usize, usize) {
        self.check_index(i, method);
        assert!(
            self.order.len() == data.len(),
            "Batches::{method}: expected a data set of {} samples (what these batches were built for), got one of {}",
            self.order.len(),
            data.len()
        );
        let start = i * self.batch_size;
        (start, (start + self.batch_size).min(self.order.len()))
    }

    /// Panics, naming `method`, if there is no batch `i`.
    #[track_caller]
    fn check_index(&self, i: usize, method: &str) {
        let n = self.len();
        assert!(
            i < n,
            "Batches::{method}: expected a batch index below {n} ({} samples in batches of {}{}), got {i}",
            self.order.len(),
            self.batch_size,
            if self.drop_last {
                ", the last short one dropped"
            } else {
                ""
            }
        );
    }
}
