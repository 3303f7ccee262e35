//! The three products of a fully connected layer, shared by [`MatMul`](super::MatMul) and
//! [`Affine`](super::Affine). Storage: `W` is `OUT × IN`, batches are `features × N`, all
//! column-major; transposes are passed to the GEMM as strides.
//!
//! Small products (`OUT · IN ≤` [`FIXED_MAX`] and `OUT · IN · N ≤` [`FIXED_MAX_WORK`]) skip the general GEMM: their widths are
//! compile-time constants here, so a per-sample loop with fully unrolled, vectorised inner
//! loops (compiled for AVX-512 or AVX2 when the CPU has them, detected once at run time) beats
//! any blocking scheme. Larger layers go to the general GEMM.

use crate::kernels::fixed::{fixed_backward_dw, fixed_backward_dx, fixed_forward};
use crate::kernels::gemm::{gemm, gemm_gathered, MatMut, MatRef};
use crate::{Float, Gather};

/// Largest `OUT · IN` that takes the fixed-width path.
pub const FIXED_MAX: usize = 64 * 64;

/// Largest product size `OUT · IN · N` that takes the fixed-width path: beyond it a
/// blocked GEMM wins even for narrow layers (measured on the 100 → 10 layer at batch 100).
pub const FIXED_MAX_WORK: usize = 1 << 15;

#[inline(always)]
const fn fixed<const IN: usize, const OUT: usize>(n: usize) -> bool {
    IN * OUT <= FIXED_MAX && IN * OUT * n <= FIXED_MAX_WORK
}

/// `y ← W·x + β·y` (`OUT × N`); the book's `x·W`.
#[inline]
pub fn forward<T: Float, const IN: usize, const OUT: usize>(w: &[T], x: &[T], beta: T, y: &mut [T]) {
    let n = x.len() / IN;
    if fixed::<IN, OUT>(n) {
        assert!(
            w.len() == OUT * IN && x.len() == IN * n && y.len() == OUT * n,
            "linear::forward: shapes disagree"
        );
        fixed_forward::<T, IN, OUT>(w, x, beta, y);
        return;
    }
    gemm(
        T::one(),
        MatRef::col_major(w, OUT, IN),
        MatRef::col_major(x, IN, n),
        beta,
        MatMut::col_major(y, OUT, n),
    );
}

/// `dx ← Wᵀ·dout` (`IN × N`); the book's `dout·Wᵀ`.
#[inline]
pub fn backward_dx<T: Float, const IN: usize, const OUT: usize>(w: &[T], dout: &[T], dx: &mut [T]) {
    let n = dout.len() / OUT;
    if fixed::<IN, OUT>(n) {
        assert!(
            w.len() == OUT * IN && dx.len() == IN * n,
            "linear::backward_dx: shapes disagree"
        );
        fixed_backward_dx::<T, IN, OUT>(w, dout, dx);
        return;
    }
    gemm(
        T::one(),
        MatRef::col_major(w, OUT, IN).t(),
        MatRef::col_major(dout, OUT, n),
        T::zero(),
        MatMut::col_major(dx, IN, n),
    );
}

/// `dW ← dout·xᵀ` (`OUT × IN`); the book's `xᵀ·dout`.
#[inline]
pub fn backward_dw<T: Float, const IN: usize, const OUT: usize>(x: &[T], dout: &[T], dw: &mut [T]) {
    let n = dout.len() / OUT;
    if fixed::<IN, OUT>(n) {
        assert!(
            dw.len() == OUT * IN && x.len() == IN * n,
            "linear::backward_dw: shapes disagree"
        );
        fixed_backward_dw::<T, IN, OUT>(x, dout, dw);
        return;
    }
    gemm(
        T::one(),
        MatRef::col_major(dout, OUT, n),
        MatRef::col_major(x, IN, n).t(),
        T::zero(),
        MatMut::col_major(dw, OUT, IN),
    );
}

/// [`forward`] for a batch `x` gathered from a data set, also writing the batch into `xbuf`
/// (`IN × N`, for the weight gradient). Larger products fuse the gather into the GEMM
/// (`gemm_gathered`: the samples cross memory once, prefetched while the previous tile
/// computes); small ones copy first. Same results as [`forward`] on the copied batch.
#[inline]
pub fn forward_gathered<T: Float, const IN: usize, const OUT: usize>(
    w: &[T],
    x: Gather<'_, T, IN>,
    beta: T,
    y: &mut [T],
    xbuf: &mut [T],
) {
    let n = x.len();
    assert!(
        xbuf.len() == IN * n && y.len() == OUT * n,
        "linear::forward_gathered: shapes disagree"
    );
    if fixed::<IN, OUT>(n) {
        crate::batch::copy_columns(x.source().as_slice(), IN, x.indices(), xbuf);
        forward::<T, IN, OUT>(w, xbuf, beta, y);
        return;
    }
    gemm_gathered(
        T::one(),
        MatRef::col_major(w, OUT, IN),
        x.as_gemm(),
        beta,
        MatMut::col_major(y, OUT, n),
        xbuf,
    );
}

/// Panics unless a layer's input and output gradient hold the same number of samples.
#[inline]
#[track_caller]
pub(crate) fn assert_same_samples(layer: &str, x: usize, dout: usize) {
    assert_eq!(x, dout, "{layer}::backward: x has {x} samples, dout {dout}");
}

/// Whether [`step_w`] folds the step into the product for a batch of `n`: on the GEMM's
/// direct path, which sums all `n` samples of an element before it touches `W`, so the
/// result rounds as the separate step does. Small products (fixed-width path) and large
/// batches (`dout` over 1 MiB: the packed path adds `k` in blocks into `W`) compute `dW` and
/// step separately.
#[inline(always)]
pub const fn folds_step<T, const IN: usize, const OUT: usize>(n: usize) -> bool {
    !fixed::<IN, OUT>(n) && OUT * n * size_of::<T>() <= crate::kernels::gemm::DIRECT_A_BYTES
}

/// `W ← W − lr·(dout·xᵀ)`: the SGD step with the weight gradient folded into one GEMM
/// (`α = −lr`, `β = 1`), rounded as `W − (lr·dW)` is. Panics unless [`folds_step`] holds.
#[inline]
pub fn step_w<T: Float, const IN: usize, const OUT: usize>(x: &[T], dout: &[T], lr: T, w: &mut [T]) {
    let n = dout.len() / OUT;
    assert!(
        folds_step::<T, IN, OUT>(n),
        "linear::step_w: this product steps separately"
    );
    gemm(
        -lr,
        MatRef::col_major(dout, OUT, n),
        MatRef::col_major(x, IN, n).t(),
        T::one(),
        MatMut::col_major(w, OUT, IN),
    );
}
