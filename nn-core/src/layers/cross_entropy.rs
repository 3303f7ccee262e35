use crate::batch::BatchRef;
use crate::float::Float;
use crate::labels::Labels;

/// The book's guard inside the log: `log(y + 1e-7)` never sees 0.
pub const LOG_GUARD: f64 = 1e-7;

/// The book's `cross_entropy_error`: mean over the batch of `−log(y[t] + 1e-7)` where `y`
/// holds probabilities (`D × N`) and `t` the true class of each sample.
///
/// [`SoftmaxWithLoss`](crate::layers::SoftmaxWithLoss) does not use the guard (see its docs for why).
///
/// Panics if the label count differs from the batch size or a label is out of range.
#[track_caller]
pub fn cross_entropy_error<T: Float, const D: usize>(y: BatchRef<'_, T, D>, t: Labels<'_, T, D>) -> T {
    let n = y.ncols();
    assert_eq!(
        t.len(),
        n,
        "cross_entropy_error: {} labels for a batch of {n} samples",
        t.len()
    );
    let guard = T::cast(LOG_GUARD);
    let mut total = T::zero();
    for i in 0..n {
        total -= (y[(t.class(i), i)] + guard).ln();
    }
    total / T::count(n.max(1))
}
