use super::broadcast::{repeat_into, sum_into};
use crate::batch::{BatchBuf, BatchRef};
use crate::float::Float;

/// The book's Sum node along the batch axis: `N` samples summed into one.
///
/// - forward: `y = Σₙ x[:, n]` (keepdims)
/// - backward: `dx[:, n] = dout` for every `n` (a Repeat)
///
/// # Shapes
/// `x: D × N → y: D × 1`; `dout: D × 1 → dx: D × N`.
///
/// ```
/// use nn_core::{batch_from_rows, Sum};
/// let mut sum = Sum::<f64, 2>::new();
/// let x = batch_from_rows(&[[1.0, 2.0], [3.0, 4.0]]);
/// assert_eq!(sum.forward(x.as_view()).as_slice(), &[4.0, 6.0]);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Sum<T, const D: usize> {
    n: usize,
    y: BatchBuf<T, D>,
    dx: BatchBuf<T, D>,
}

impl<T: Float, const D: usize> Sum<T, D> {
    /// A Sum node.
    pub fn new() -> Self {
        Self {
            n: 0,
            y: BatchBuf::new(),
            dx: BatchBuf::new(),
        }
    }

    /// The sum over the batch (`D × 1`).
    pub fn forward(&mut self, x: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
        self.n = x.ncols();
        self.y.resize(1);
        sum_into(x, self.y.as_mut_slice());
        self.y.view()
    }

    /// `dout` (`D × 1`) repeated over the batch of the last forward (`D × N`).
    #[track_caller]
    pub fn backward(&mut self, dout: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
        assert_eq!(
            dout.ncols(),
            1,
            "Sum::backward: expected one column, got {}",
            dout.ncols()
        );
        self.dx.resize(self.n);
        repeat_into(dout.as_slice(), self.dx.view_mut());
        self.dx.view()
    }
}
