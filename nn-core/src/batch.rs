//! Batches: `D` features per sample (compile-time), any number of samples (run time).
//!
//! # Layout
//! A batch of `N` samples with `D` features is a nalgebra `D × N` matrix: **one sample per
//! column**. nalgebra is column-major, so this is exactly the memory of the book's row-major
//! `N × D` numpy array (`x[n, d]` of the book is `x[(d, n)]` here): a flat list of samples,
//! one after the other. Gathering a shuffled batch copies whole samples, and a batch of one
//! sample is a contiguous vector. The book's formulas carry over with every product
//! transposed: the book's `y = x·W` is `y = W·x` here, with `W` stored `OUT × IN` (PyTorch's
//! layout).

use nalgebra::{Const, Dyn, Matrix, MatrixView, MatrixViewMut, OMatrix, SMatrix, VecStorage};

use crate::float::Float;

/// An owned batch: `D` rows (features) × `N` columns (samples).
pub type Batch<T, const D: usize> = OMatrix<T, Const<D>, Dyn>;
/// A read-only, contiguous view of a batch (`D × N`, one sample per column).
pub type BatchRef<'a, T, const D: usize> = MatrixView<'a, T, Const<D>, Dyn>;
/// A writable, contiguous view of a batch (`D × N`, one sample per column).
pub type BatchMut<'a, T, const D: usize> = MatrixViewMut<'a, T, Const<D>, Dyn>;

/// Builds a `D × N` batch from a list of samples (the book's `N × D` rows).
///
/// ```
/// let x = nn_core::batch_from_rows(&[[0.0f32, 1.0], [2.0, 3.0], [4.0, 5.0]]);
/// assert_eq!(x.shape(), (2, 3)); // 2 features, 3 samples
/// assert_eq!(x[(1, 2)], 5.0); // feature 1 of sample 2
/// ```
pub fn batch_from_rows<T: Float, const D: usize>(rows: &[[T; D]]) -> Batch<T, D> {
    Batch::from_fn(rows.len(), |d, n| rows[n][d])
}

/// A view over `D * n` contiguous elements.
#[inline]
#[track_caller]
pub fn batch_view<T: Float, const D: usize>(data: &[T]) -> BatchRef<'_, T, D> {
    assert!(
        D > 0 && data.len().is_multiple_of(D),
        "batch_view: {} elements is not a whole number of samples of width {D}",
        data.len()
    );
    MatrixView::from_slice_generic(data, Const::<D>, Dyn(data.len() / D))
}

/// A writable view over `D * n` contiguous elements.
#[inline]
#[track_caller]
pub fn batch_view_mut<T: Float, const D: usize>(data: &mut [T]) -> BatchMut<'_, T, D> {
    assert!(
        D > 0 && data.len().is_multiple_of(D),
        "batch_view_mut: {} elements is not a whole number of samples of width {D}",
        data.len()
    );
    let n = data.len() / D;
    MatrixViewMut::from_slice_generic(data, Const::<D>, Dyn(n))
}

/// Anything that can be read as a contiguous `D × N` batch: [`Batch`], [`BatchRef`],
/// [`BatchMut`], [`BatchBuf`], a static `SMatrix<T, D, N>`, and references to them.
///
/// The compile error for another type (wrong width or wrong float type) names both the
/// width and the float type the network expects.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a batch of {D} `{T}` features per sample",
    label = "expected a batch of {D} `{T}` features per sample (a {D} × N matrix of `{T}`, one sample per column)",
    note = "batches are nalgebra matrices with the feature width as the row count: `nn::Batch<{T}, {D}>`, a view of one, or `SMatrix<{T}, {D}, N>`",
    note = "if the width is right, check the float type: a network of `{T}` takes only `{T}` batches; build the network for the data's type (`Net::<f64>` or its alias `NetF64` for `f64` data, `Net` for `f32`) or convert the data with `x.cast::<{T}>()`"
)]
pub trait AsBatch<T, const D: usize> {
    /// The batch as a contiguous view.
    fn as_batch(&self) -> BatchRef<'_, T, D>;
}

impl<T: Float, const D: usize> AsBatch<T, D> for Matrix<T, Const<D>, Dyn, VecStorage<T, Const<D>, Dyn>> {
    #[inline]
    fn as_batch(&self) -> BatchRef<'_, T, D> {
        self.as_view()
    }
}

impl<T: Float, const D: usize> AsBatch<T, D> for BatchRef<'_, T, D> {
    #[inline]
    fn as_batch(&self) -> BatchRef<'_, T, D> {
        self.as_view()
    }
}

impl<T: Float, const D: usize> AsBatch<T, D> for BatchMut<'_, T, D> {
    #[inline]
    fn as_batch(&self) -> BatchRef<'_, T, D> {
        self.as_view()
    }
}

impl<T: Float, const D: usize, const N: usize> AsBatch<T, D> for SMatrix<T, D, N> {
    #[inline]
    fn as_batch(&self) -> BatchRef<'_, T, D> {
        batch_view(self.as_slice())
    }
}

impl<T: Float, const D: usize> AsBatch<T, D> for BatchBuf<T, D> {
    #[inline]
    fn as_batch(&self) -> BatchRef<'_, T, D> {
        self.view()
    }
}

/// One sample, `[x₀, …, x_{D−1}]`: a batch of one column.
impl<T: Float, const D: usize> AsBatch<T, D> for [T; D] {
    #[inline]
    fn as_batch(&self) -> BatchRef<'_, T, D> {
        batch_view(self.as_slice())
    }
}

/// Samples as rows of features, `&[[x₀, x₁], [y₀, y₁]]`: a batch of one column per sample
/// (the rows lie in memory exactly as the `D × N` columns do; nothing is copied).
impl<T: Float, const D: usize> AsBatch<T, D> for [[T; D]] {
    #[inline]
    fn as_batch(&self) -> BatchRef<'_, T, D> {
        batch_view(self.as_flattened())
    }
}

/// `N` samples of `D` features: a batch of `N` columns.
impl<T: Float, const D: usize, const N: usize> AsBatch<T, D> for [[T; D]; N] {
    #[inline]
    fn as_batch(&self) -> BatchRef<'_, T, D> {
        batch_view(self.as_flattened())
    }
}

/// Samples in a `Vec`, one `[T; D]` each.
impl<T: Float, const D: usize> AsBatch<T, D> for Vec<[T; D]> {
    #[inline]
    fn as_batch(&self) -> BatchRef<'_, T, D> {
        batch_view(self.as_flattened())
    }
}

impl<T, const D: usize, B: AsBatch<T, D> + ?Sized> AsBatch<T, D> for &B {
    #[inline]
    fn as_batch(&self) -> BatchRef<'_, T, D> {
        (**self).as_batch()
    }
}

impl<T, const D: usize, B: AsBatch<T, D> + ?Sized> AsBatch<T, D> for &mut B {
    #[inline]
    fn as_batch(&self) -> BatchRef<'_, T, D> {
        (**self).as_batch()
    }
}

/// A batch buffer owned by a layer: grows to the largest batch it has seen and is reused,
/// without reallocating, for every batch of that size or smaller.
#[derive(Clone, Debug, Default)]
pub struct BatchBuf<T, const D: usize> {
    data: Vec<T>,
    cols: usize,
}

impl<T: Float, const D: usize> BatchBuf<T, D> {
    /// An empty buffer (allocates nothing).
    pub const fn new() -> Self {
        Self {
            data: Vec::new(),
            cols: 0,
        }
    }

    /// Sets the batch size to `n` samples. Allocates only when `n` exceeds every earlier
    /// size; new elements are zero, kept elements keep their values.
    #[inline]
    pub fn resize(&mut self, n: usize) {
        let len = D * n;
        if len > self.data.len() {
            self.data.resize(len, T::zero());
        }
        self.cols = n;
    }

    /// The current batch size.
    #[inline]
    pub fn ncols(&self) -> usize {
        self.cols
    }

    /// The current batch as a `D × n` view.
    #[inline]
    pub fn view(&self) -> BatchRef<'_, T, D> {
        batch_view(&self.data[..D * self.cols])
    }

    /// The current batch as a writable `D × n` view.
    #[inline]
    pub fn view_mut(&mut self) -> BatchMut<'_, T, D> {
        batch_view_mut(&mut self.data[..D * self.cols])
    }

    /// The current batch's elements, sample after sample.
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        &self.data[..D * self.cols]
    }

    /// The current batch's elements, writable.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.data[..D * self.cols]
    }

    /// Copies `x` in (resizing to its batch size).
    #[inline]
    pub fn copy_from(&mut self, x: BatchRef<'_, T, D>) {
        self.resize(x.ncols());
        self.as_mut_slice().copy_from_slice(x.as_slice());
    }

    /// The allocated capacity, in samples.
    pub fn capacity(&self) -> usize {
        self.data.len() / D.max(1)
    }
}

/// `start..start + len`, checked to be a range of samples of a batch of `n`: the one check
/// behind every `columns` method (inputs, gathered batches, labels, loss targets). Panics,
/// naming `what`, if the range is not inside the batch.
#[inline]
#[track_caller]
pub(crate) fn sample_range(what: &str, n: usize, start: usize, len: usize) -> core::ops::Range<usize> {
    assert!(
        start <= n && len <= n - start,
        "{what}: samples {start}..{} of a batch of {n}",
        start.saturating_add(len)
    );
    start..start + len
}

/// Samples `start..start + len` of `x` (a column range), without copying. Panics, naming
/// `what`, if the range is not inside the batch.
#[inline]
#[track_caller]
pub(crate) fn columns<'a, T: Float, const D: usize>(
    what: &str,
    x: BatchRef<'a, T, D>,
    start: usize,
    len: usize,
) -> BatchRef<'a, T, D> {
    let r = sample_range(what, x.ncols(), start, len);
    batch_view(&x.data.into_slice()[r.start * D..r.end * D])
}

/// Copies columns `idx` of a column-major source with `rows` rows per column into `dst`
/// (`rows × idx.len()`, column-major): the gather of a mini-batch, wherever it is done (it
/// lives with the GEMM, whose gathered product performs the same gather).
pub(crate) use crate::kernels::gemm::copy_columns;
