//! Class labels for classification losses: indices or one-hot rows.

use crate::batch::{Batch, BatchRef};
use crate::float::Float;

/// The targets of a classification loss for a batch of `N` samples over `D` classes.
///
/// - `Classes`: one class index per sample (`N` values, each `< D`).
/// - `OneHot`: a `D × N` batch with one `1` per sample (the book converts these to indices
///   with `argmax`; here each column must hold exactly one `1` and zeros elsewhere).
///   [`SigmoidWithLoss`](crate::layers::SigmoidWithLoss) also takes any 0/1 (or soft) targets this way.
///
/// Converts from `&[usize]`, `&Vec<usize>`, `&[usize; N]`, a `BatchRef` or `&Batch`, so a
/// network's `forward(x, &labels)` takes either.
pub enum Labels<'a, T, const D: usize> {
    /// One class index per sample.
    Classes(&'a [usize]),
    /// One-hot rows (`D × N`, one sample per column).
    OneHot(BatchRef<'a, T, D>),
}

impl<T: Float, const D: usize> Clone for Labels<'_, T, D> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Float, const D: usize> Copy for Labels<'_, T, D> {}

impl<T: Float, const D: usize> core::fmt::Debug for Labels<'_, T, D> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Labels::Classes(c) => f.debug_tuple("Classes").field(c).finish(),
            Labels::OneHot(m) => f.debug_tuple("OneHot").field(&m.as_slice()).finish(),
        }
    }
}

impl<T, const D: usize> Labels<'_, T, D> {
    /// The number of samples labelled.
    pub fn len(&self) -> usize {
        match self {
            Labels::Classes(c) => c.len(),
            Labels::OneHot(m) => m.ncols(),
        }
    }

    /// Whether no sample is labelled.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a, T: Float, const D: usize> Labels<'a, T, D> {
    /// The labels of samples `start..start + len` (a column range of the batch), borrowing
    /// the same data. Panics if the range is not inside the `len()` samples.
    ///
    /// ```
    /// use nn_core::Labels;
    /// let t: Labels<'_, f32, 3> = Labels::Classes(&[2, 0, 1, 1]);
    /// assert_eq!(t.columns(1, 2).class(0), 0);
    /// assert_eq!(t.columns(1, 2).len(), 2);
    /// ```
    #[track_caller]
    pub fn columns(self, start: usize, len: usize) -> Labels<'a, T, D> {
        match self {
            Labels::Classes(c) => {
                Labels::Classes(&c[crate::batch::sample_range("Labels::columns", c.len(), start, len)])
            }
            Labels::OneHot(m) => Labels::OneHot(crate::batch::columns("Labels::columns", m, start, len)),
        }
    }
}

impl<T: Float, const D: usize> Labels<'_, T, D> {
    /// The class of sample `n`. Panics with a clear message if the label is out of range or
    /// the one-hot column holds no single `1`.
    #[inline]
    #[track_caller]
    pub fn class(&self, n: usize) -> usize {
        match self {
            Labels::Classes(c) => {
                let k = c[n];
                assert!(
                    k < D,
                    "label {k} of sample {n} is out of range: this loss has {D} classes (0..{D})"
                );
                k
            }
            Labels::OneHot(m) => {
                let col = m.column(n);
                let mut class = None;
                for (k, &v) in col.iter().enumerate() {
                    if v == T::one() && class.is_none() {
                        class = Some(k);
                    } else {
                        assert!(v == T::zero(), "one-hot label of sample {n} is not one-hot: entry {k} is {v} (expected exactly one 1 and zeros)");
                    }
                }
                class.unwrap_or_else(|| {
                    panic!("one-hot label of sample {n} has no 1 (expected exactly one 1 among {D} entries)")
                })
            }
        }
    }
}

impl<'a, T, const D: usize> From<&'a [usize]> for Labels<'a, T, D> {
    fn from(c: &'a [usize]) -> Self {
        Labels::Classes(c)
    }
}

impl<'a, T, const D: usize> From<&'a Vec<usize>> for Labels<'a, T, D> {
    fn from(c: &'a Vec<usize>) -> Self {
        Labels::Classes(c)
    }
}

impl<'a, T, const D: usize, const N: usize> From<&'a [usize; N]> for Labels<'a, T, D> {
    fn from(c: &'a [usize; N]) -> Self {
        Labels::Classes(c)
    }
}

impl<'a, T: Float, const D: usize> From<BatchRef<'a, T, D>> for Labels<'a, T, D> {
    fn from(m: BatchRef<'a, T, D>) -> Self {
        Labels::OneHot(m)
    }
}

impl<'a, T: Float, const D: usize> From<&'a Batch<T, D>> for Labels<'a, T, D> {
    fn from(m: &'a Batch<T, D>) -> Self {
        Labels::OneHot(m.as_view())
    }
}
