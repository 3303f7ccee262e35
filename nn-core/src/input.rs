//! What a network's training step reads: a contiguous batch, or a mini-batch picked from a
//! data set by sample index and read where it lies ([`Gather`]), so a shuffled batch is never
//! copied out of its data set.

use crate::kernels::gemm::Gathered;
use nalgebra::{Const, Dyn, Matrix, SMatrix, VecStorage};

use crate::batch::{batch_view, AsBatch, BatchBuf, BatchMut, BatchRef};
use crate::float::Float;

/// A mini-batch read in place: sample `j` is column `idx[j]` of `source` (`D × M`, one
/// sample per column). [`Batches::get_in_place`](crate::data::Batches::get_in_place) hands
/// these out; a network's `train_step` reads them without copying when its first layer is an
/// `Affine` or `MatMul` on the GEMM path (other first layers get a copy in the network's
/// input buffer).
///
/// ```
/// use nn_core::{batch_from_rows, Gather};
/// let data = batch_from_rows(&[[0.0f32, 1.0], [2.0, 3.0], [4.0, 5.0]]); // 2 × 3
/// let batch = Gather::new(data.as_view(), &[2, 0]);
/// assert_eq!(batch.len(), 2);
/// assert_eq!(batch.sample(0), &[4.0, 5.0]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Gather<'a, T: Float, const D: usize> {
    /// The source's elements, sample after sample.
    data: &'a [T],
    idx: &'a [usize],
}

impl<'a, T: Float, const D: usize> Gather<'a, T, D> {
    /// Samples `idx` of `source`, in that order. Panics if an index is not a column of
    /// `source`.
    #[track_caller]
    pub fn new(source: BatchRef<'a, T, D>, idx: &'a [usize]) -> Self {
        let m = source.ncols();
        if let Some(&bad) = idx.iter().find(|&&i| i >= m) {
            panic!("Gather::new: sample index {bad} is out of range for a source of {m} samples");
        }
        Self {
            data: source.data.into_slice(),
            idx,
        }
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        self.idx.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.idx.is_empty()
    }

    /// The matrix the samples are read from.
    pub fn source(&self) -> BatchRef<'a, T, D> {
        batch_view(self.data)
    }

    /// The source columns, in batch order.
    pub fn indices(&self) -> &'a [usize] {
        self.idx
    }

    /// The `D` features of sample `j` of the batch.
    pub fn sample(&self, j: usize) -> &'a [T] {
        let i = self.idx[j];
        &self.data[i * D..(i + 1) * D]
    }

    /// Copies the batch into `buf` (`D × len`) and returns it.
    pub fn copy_into<'b>(&self, buf: &'b mut BatchBuf<T, D>) -> BatchRef<'b, T, D> {
        crate::data::gather_columns(self.data, self.idx, buf);
        buf.view()
    }

    /// Samples `start..start + len` of this batch, read from the same source. Panics if the
    /// range is not inside the batch.
    #[track_caller]
    pub fn columns(self, start: usize, len: usize) -> Self {
        let r = crate::batch::sample_range("Gather::columns", self.len(), start, len);
        Self {
            data: self.data,
            idx: &self.idx[r],
        }
    }

    /// The batch as a GEMM operand (`X`, `D × len`).
    pub fn as_gemm(&self) -> Gathered<'a, T> {
        Gathered::columns(self.data, D, self.idx)
    }
}

/// The input batch of a training step: contiguous, or gathered from a data set.
#[derive(Clone, Copy, Debug)]
pub enum Input<'a, T: Float, const D: usize> {
    /// A contiguous `D × N` batch.
    Batch(BatchRef<'a, T, D>),
    /// Samples read in place from a larger matrix.
    Gather(Gather<'a, T, D>),
}

impl<'a, T: Float, const D: usize> Input<'a, T, D> {
    /// The number of samples.
    pub fn ncols(&self) -> usize {
        match self {
            Input::Batch(x) => x.ncols(),
            Input::Gather(g) => g.len(),
        }
    }

    /// Samples `start..start + len` of this batch (a contiguous column range, or the same
    /// range of a gathered batch's indices), without copying. Panics if the range is not
    /// inside the batch.
    ///
    /// ```
    /// use nn_core::{batch_from_rows, Input};
    /// let x = batch_from_rows(&[[0.0f32, 1.0], [2.0, 3.0], [4.0, 5.0]]); // 2 × 3
    /// let tail = Input::from(x.as_view()).columns(1, 2);
    /// assert_eq!(tail.ncols(), 2);
    /// ```
    #[track_caller]
    pub fn columns(self, start: usize, len: usize) -> Self {
        match self {
            Input::Batch(x) => Input::Batch(crate::batch::columns("Input::columns", x, start, len)),
            Input::Gather(g) => Input::Gather(g.columns(start, len)),
        }
    }

    /// The batch as a contiguous view: itself, or a gathered batch copied into `buf`.
    pub fn to_batch<'b>(self, buf: &'b mut BatchBuf<T, D>) -> BatchRef<'b, T, D>
    where
        'a: 'b,
    {
        match self {
            Input::Batch(x) => x,
            Input::Gather(g) => g.copy_into(buf),
        }
    }

    /// The view [`to_batch`](Input::to_batch) returned for the same `self` and `buf` (a
    /// gathered batch is read back from `buf`, which must not have changed since). For the
    /// code `network!` generates.
    #[doc(hidden)]
    #[track_caller]
    pub fn batch_in<'b>(self, buf: &'b BatchBuf<T, D>) -> BatchRef<'b, T, D>
    where
        'a: 'b,
    {
        match self {
            Input::Batch(x) => x,
            Input::Gather(g) => {
                assert_eq!(
                    buf.ncols(),
                    g.len(),
                    "Input::batch_in: the buffer holds {} samples, the gathered batch {} (call to_batch first)",
                    buf.ncols(),
                    g.len()
                );
                buf.view()
            }
        }
    }

    /// Panics, naming the first offending entry, if the batch holds a NaN or an infinity.
    #[track_caller]
    pub fn assert_finite(&self, method: &str) {
        let bad = |j: usize, x: &[T]| x.iter().position(|v| !v.is_finite()).map(|f| (j, f, x[f]));
        let found = match self {
            Input::Batch(x) => x.as_slice().chunks_exact(D).enumerate().find_map(|(j, s)| bad(j, s)),
            Input::Gather(g) => (0..g.len()).find_map(|j| bad(j, g.sample(j))),
        };
        if let Some((j, f, v)) = found {
            panic!(
                "{method}: the input batch is not finite: sample {j}, feature {f} is {v} \
                 (check the data and its preprocessing)"
            );
        }
    }
}

impl<'a, T: Float, const D: usize> From<BatchRef<'a, T, D>> for Input<'a, T, D> {
    fn from(x: BatchRef<'a, T, D>) -> Self {
        Input::Batch(x)
    }
}

impl<'a, T: Float, const D: usize> From<Gather<'a, T, D>> for Input<'a, T, D> {
    fn from(g: Gather<'a, T, D>) -> Self {
        Input::Gather(g)
    }
}

/// Anything a network's `train_step` takes as its input batch: every [`AsBatch`](crate::batch::AsBatch)
/// type, a [`Gather`] and an [`Input`].
///
/// The compile error for another type (wrong width or wrong float type) names both the
/// width and the float type the network expects.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an input batch of {D} `{T}` features per sample",
    label = "expected a batch of {D} `{T}` features per sample (a {D} × N matrix of `{T}`, one sample per column) or a `Gather` of one",
    note = "batches are nalgebra matrices with the feature width as the row count: `nn::Batch<{T}, {D}>`, a view of one, or `SMatrix<{T}, {D}, N>`",
    note = "if the width is right, check the float type: a network of `{T}` takes only `{T}` batches; build the network for the data's type (`Net::<f64>` or its alias `NetF64` for `f64` data, `Net` for `f32`) or convert the data with `x.cast::<{T}>()`"
)]
pub trait AsInput<T: Float, const D: usize> {
    /// The input batch.
    fn as_input(&self) -> Input<'_, T, D>;
}

// The same types as `AsBatch` (a blanket impl over it would stop `Gather` from having its
// own: downstream crates could implement `AsBatch` for it).
impl<T: Float, const D: usize> AsInput<T, D> for Matrix<T, Const<D>, Dyn, VecStorage<T, Const<D>, Dyn>> {
    #[inline]
    fn as_input(&self) -> Input<'_, T, D> {
        Input::Batch(self.as_view())
    }
}

impl<T: Float, const D: usize> AsInput<T, D> for BatchRef<'_, T, D> {
    #[inline]
    fn as_input(&self) -> Input<'_, T, D> {
        Input::Batch(self.as_view())
    }
}

impl<T: Float, const D: usize> AsInput<T, D> for BatchMut<'_, T, D> {
    #[inline]
    fn as_input(&self) -> Input<'_, T, D> {
        Input::Batch(self.as_view())
    }
}

impl<T: Float, const D: usize, const N: usize> AsInput<T, D> for SMatrix<T, D, N> {
    #[inline]
    fn as_input(&self) -> Input<'_, T, D> {
        Input::Batch(batch_view(self.as_slice()))
    }
}

impl<T: Float, const D: usize> AsInput<T, D> for BatchBuf<T, D> {
    #[inline]
    fn as_input(&self) -> Input<'_, T, D> {
        Input::Batch(self.view())
    }
}

/// One sample, a batch of one.
impl<T: Float, const D: usize> AsInput<T, D> for [T; D] {
    #[inline]
    fn as_input(&self) -> Input<'_, T, D> {
        Input::Batch(self.as_batch())
    }
}

/// Samples as rows of features (one column each, nothing copied).
impl<T: Float, const D: usize> AsInput<T, D> for [[T; D]] {
    #[inline]
    fn as_input(&self) -> Input<'_, T, D> {
        Input::Batch(self.as_batch())
    }
}

/// `N` samples of `D` features.
impl<T: Float, const D: usize, const N: usize> AsInput<T, D> for [[T; D]; N] {
    #[inline]
    fn as_input(&self) -> Input<'_, T, D> {
        Input::Batch(self.as_batch())
    }
}

/// Samples in a `Vec`, one `[T; D]` each.
impl<T: Float, const D: usize> AsInput<T, D> for Vec<[T; D]> {
    #[inline]
    fn as_input(&self) -> Input<'_, T, D> {
        Input::Batch(self.as_batch())
    }
}

impl<T: Float, const D: usize> AsInput<T, D> for Gather<'_, T, D> {
    #[inline]
    fn as_input(&self) -> Input<'_, T, D> {
        Input::Gather(*self)
    }
}

impl<T: Float, const D: usize> AsInput<T, D> for Input<'_, T, D> {
    #[inline]
    fn as_input(&self) -> Input<'_, T, D> {
        *self
    }
}

impl<T: Float, const D: usize, X: AsInput<T, D> + ?Sized> AsInput<T, D> for &X {
    #[inline]
    fn as_input(&self) -> Input<'_, T, D> {
        (**self).as_input()
    }
}

impl<T: Float, const D: usize, X: AsInput<T, D> + ?Sized> AsInput<T, D> for &mut X {
    #[inline]
    fn as_input(&self) -> Input<'_, T, D> {
        (**self).as_input()
    }
}
