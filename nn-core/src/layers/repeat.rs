use super::broadcast::{repeat_into, sum_into};
use crate::batch::{BatchBuf, BatchRef};
use crate::float::Float;

/// The book's Repeat node along the batch axis: one sample (`D × 1`, the book's `1 × D`)
/// copied `N` times.
///
/// - forward: `y[:, n] = x` for `n < N`
/// - backward: `dx = Σₙ dout[:, n]` (sum over the batch, keepdims)
///
/// # Shapes
/// `x: D × 1 → y: D × N`; `dout: D × N → dx: D × 1`.
///
/// ```
/// use nn_core::{batch_from_rows, Batch, Repeat};
/// let mut rep = Repeat::<f64, 2>::new();
/// let x = batch_from_rows(&[[1.0, 2.0]]);
/// assert_eq!(rep.forward(x.as_view(), 3).shape(), (2, 3));
/// let dx = rep.backward(Batch::<f64, 2>::from_element(3, 1.0).as_view());
/// assert_eq!(dx.as_slice(), &[3.0, 3.0]);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Repeat<T, const D: usize> {
    y: BatchBuf<T, D>,
    dx: BatchBuf<T, D>,
}

impl<T: Float, const D: usize> Repeat<T, D> {
    /// A Repeat node.
    pub fn new() -> Self {
        Self {
            y: BatchBuf::new(),
            dx: BatchBuf::new(),
        }
    }

    /// `x` (`D × 1`) repeated `n` times (`D × n`).
    #[track_caller]
    pub fn forward(&mut self, x: BatchRef<'_, T, D>, n: usize) -> BatchRef<'_, T, D> {
        assert_eq!(x.ncols(), 1, "Repeat::forward: expected one sample, got {}", x.ncols());
        self.y.resize(n);
        repeat_into(x.as_slice(), self.y.view_mut());
        self.y.view()
    }

    /// `dout` (`D × N`) summed over the batch (`D × 1`).
    pub fn backward(&mut self, dout: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
        self.dx.resize(1);
        sum_into(dout, self.dx.as_mut_slice());
        self.dx.view()
    }
}
