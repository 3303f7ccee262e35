//! The two batch-axis operations every layer with a bias needs: copying one column into
//! every sample (`repeat_into`, the Repeat node's forward) and summing the samples into one
//! column (`sum_into`, the Sum node's forward). Each is the other's backward.

use crate::batch::{BatchMut, BatchRef};
use crate::float::Float;

/// Copies the column `x` (`D` values) into every column of `out` (`D × N`): the Repeat
/// node's forward and the Sum node's backward. Affine's bias broadcast calls this too.
#[inline]
#[track_caller]
pub fn repeat_into<T: Float, const D: usize>(x: &[T], mut out: BatchMut<'_, T, D>) {
    assert_eq!(x.len(), D, "repeat_into: expected {D} values, got {}", x.len());
    for mut col in out.column_iter_mut() {
        col.as_mut_slice().copy_from_slice(x);
    }
}

/// Writes the sum of the columns of `x` (`D × N`) into `out` (`D` values): the Sum node's
/// forward and the Repeat node's backward. Affine's bias gradient calls this too.
#[inline]
#[track_caller]
pub fn sum_into<T: Float, const D: usize>(x: BatchRef<'_, T, D>, out: &mut [T]) {
    assert_eq!(
        out.len(),
        D,
        "sum_into: expected room for {D} values, got {}",
        out.len()
    );
    out.fill(T::zero());
    for col in x.as_slice().chunks_exact(D) {
        for (o, &v) in out.iter_mut().zip(col) {
            *o += v;
        }
    }
}
