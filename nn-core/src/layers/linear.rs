//! The three products of a fully connected layer, shared by [`MatMul`](super::MatMul) and
//! [`Affine`](super::Affine). Storage: `W` is `OUT × IN`, batches are `features × N`, all
//! column-major; transposes are passed to the GEMM as strides.
//!
//! Small products (`OUT · IN ≤` [`FIXED_MAX`] and `OUT · IN · N ≤` [`FIXED_MAX_WORK`]) skip the general GEMM: their widths are
//! compile-time constants here, so a per-sample loop with fully unrolled, vectorised inner
//! loops (compiled for AVX-512 or AVX2 when the CPU has them, detected once at run time) beats
//! any blocking scheme. Larger layers go to [`gemm`].

use crate::gemm::{gemm, gemm_gathered, Isa, MatMut, MatRef};
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
        dispatch!(fixed_forward::<T, IN, OUT>(w, x, beta, y));
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
        dispatch!(fixed_backward_dx::<T, IN, OUT>(w, dout, dx));
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
        dispatch!(fixed_backward_dw::<T, IN, OUT>(x, dout, dw));
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
/// ([`gemm_gathered`]: the samples cross memory once, prefetched while the previous tile
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
    !fixed::<IN, OUT>(n) && OUT * n * size_of::<T>() <= crate::gemm::DIRECT_A_BYTES
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

/// Calls `$f(args)` (one of the `fixed_*` kernels) compiled for the best instruction set of
/// this CPU: each kernel has `#[target_feature]` twins in `isa_x86` into which the
/// `#[inline(always)]` body is inlined.
macro_rules! dispatch {
    ($f:ident :: < $($g:tt),* > ( $($arg:expr),* )) => {{
        #[cfg(target_arch = "x86_64")]
        {
            match Isa::detect() {
                // SAFETY: `Isa::detect` returned a level this CPU supports.
                Isa::Avx512 => unsafe { isa_x86::avx512::$f::<$($g),*>($($arg),*) },
                // SAFETY: as above.
                Isa::Avx2Fma => unsafe { isa_x86::avx2::$f::<$($g),*>($($arg),*) },
                Isa::Generic => $f::<$($g),*>($($arg),*),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = Isa::detect;
            $f::<$($g),*>($($arg),*)
        }
    }};
}
use dispatch;

/// `#[target_feature]` twins of the fixed-width kernels.
#[cfg(target_arch = "x86_64")]
mod isa_x86 {
    macro_rules! twins {
        ($features:literal) => {
            use crate::Float;

            /// [`fixed_forward`](super::super::fixed_forward) for this instruction set.
            ///
            /// # Safety
            /// The CPU supports the enabled features.
            #[target_feature(enable = $features)]
            pub unsafe fn fixed_forward<T: Float, const IN: usize, const OUT: usize>(
                w: &[T],
                x: &[T],
                beta: T,
                y: &mut [T],
            ) {
                super::super::fixed_forward::<T, IN, OUT>(w, x, beta, y)
            }

            /// [`fixed_backward_dx`](super::super::fixed_backward_dx) for this instruction set.
            ///
            /// # Safety
            /// The CPU supports the enabled features.
            #[target_feature(enable = $features)]
            pub unsafe fn fixed_backward_dx<T: Float, const IN: usize, const OUT: usize>(
                w: &[T],
                dout: &[T],
                dx: &mut [T],
            ) {
                super::super::fixed_backward_dx::<T, IN, OUT>(w, dout, dx)
            }

            /// [`fixed_backward_dw`](super::super::fixed_backward_dw) for this instruction set.
            ///
            /// # Safety
            /// The CPU supports the enabled features.
            #[target_feature(enable = $features)]
            pub unsafe fn fixed_backward_dw<T: Float, const IN: usize, const OUT: usize>(
                x: &[T],
                dout: &[T],
                dw: &mut [T],
            ) {
                super::super::fixed_backward_dw::<T, IN, OUT>(x, dout, dw)
            }
        };
    }

    pub mod avx512 {
        twins!("avx512f,avx2,fma");
    }

    pub mod avx2 {
        twins!("avx2,fma");
    }
}

/// `y[:, n] = Σᵢ W[:, i]·x[i, n] (+ β·y[:, n])`, one sample at a time, accumulating in a
/// register-sized array of `OUT` values.
#[inline(always)]
fn fixed_forward<T: Float, const IN: usize, const OUT: usize>(w: &[T], x: &[T], beta: T, y: &mut [T]) {
    let keep = beta != T::zero();
    for (xc, yc) in x.chunks_exact(IN).zip(y.chunks_exact_mut(OUT)) {
        let mut acc = [T::zero(); OUT];
        if keep {
            for (a, &v) in acc.iter_mut().zip(yc.iter()) {
                *a = beta * v;
            }
        }
        for (wc, &xi) in w.chunks_exact(OUT).zip(xc) {
            for (a, &wv) in acc.iter_mut().zip(wc) {
                *a += wv * xi;
            }
        }
        yc.copy_from_slice(&acc);
    }
}

/// `dx[i, n] = Σₒ W[o, i]·dout[o, n]`: one dot product of length `OUT` per element.
#[inline(always)]
fn fixed_backward_dx<T: Float, const IN: usize, const OUT: usize>(w: &[T], dout: &[T], dx: &mut [T]) {
    for (dc, xc) in dout.chunks_exact(OUT).zip(dx.chunks_exact_mut(IN)) {
        for (xi, wc) in xc.iter_mut().zip(w.chunks_exact(OUT)) {
            let mut s = T::zero();
            for (&wv, &d) in wc.iter().zip(dc) {
                s += wv * d;
            }
            *xi = s;
        }
    }
}

/// `dW[:, i] = Σₙ dout[:, n]·x[i, n]`: a rank-1 update per sample into an `OUT × IN`
/// accumulator on the stack (registers for the smallest layers), then one copy into `dW`.
#[inline(always)]
fn fixed_backward_dw<T: Float, const IN: usize, const OUT: usize>(x: &[T], dout: &[T], dw: &mut [T]) {
    let mut acc = [[T::zero(); OUT]; IN];
    for (dc, xc) in dout.chunks_exact(OUT).zip(x.chunks_exact(IN)) {
        let dc: &[T; OUT] = dc.try_into().expect("chunk of OUT");
        for (col, &xi) in acc.iter_mut().zip(xc) {
            for (a, &d) in col.iter_mut().zip(dc) {
                *a += d * xi;
            }
        }
    }
    for (dst, col) in dw.chunks_exact_mut(OUT).zip(&acc) {
        dst.copy_from_slice(col);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize, seed: u32) -> Vec<f64> {
        (0..n)
            .map(|i| (((i as u32).wrapping_mul(2654435761) ^ seed) % 1000) as f64 / 500.0 - 1.0)
            .collect()
    }

    fn naive(
        m: usize,
        n: usize,
        k: usize,
        a: impl Fn(usize, usize) -> f64,
        b: impl Fn(usize, usize) -> f64,
    ) -> Vec<f64> {
        let mut c = vec![0.0; m * n];
        for j in 0..n {
            for i in 0..m {
                c[i + j * m] = (0..k).map(|p| a(i, p) * b(p, j)).sum();
            }
        }
        c
    }

    fn check<const IN: usize, const OUT: usize>(n: usize) {
        let w = values(OUT * IN, 1);
        let x = values(IN * n, 2);
        let dout = values(OUT * n, 3);
        let y0 = values(OUT * n, 4);

        let mut y = y0.clone();
        forward::<f64, IN, OUT>(&w, &x, 0.5, &mut y);
        let want = naive(OUT, n, IN, |o, i| w[o + i * OUT], |i, s| x[i + s * IN]);
        for ((g, w), y0) in y.iter().zip(&want).zip(&y0) {
            assert!(
                (g - (w + 0.5 * y0)).abs() < 1e-12 * (1.0 + w.abs()),
                "forward {IN}->{OUT} n={n}"
            );
        }

        let mut dx = vec![f64::NAN; IN * n];
        backward_dx::<f64, IN, OUT>(&w, &dout, &mut dx);
        let want = naive(IN, n, OUT, |i, o| w[o + i * OUT], |o, s| dout[o + s * OUT]);
        for (g, w) in dx.iter().zip(&want) {
            assert!((g - w).abs() < 1e-12 * (1.0 + w.abs()), "backward_dx {IN}->{OUT} n={n}");
        }

        let mut dw = vec![f64::NAN; OUT * IN];
        backward_dw::<f64, IN, OUT>(&x, &dout, &mut dw);
        let want = naive(OUT, IN, n, |o, s| dout[o + s * OUT], |s, i| x[i + s * IN]);
        for (g, w) in dw.iter().zip(&want) {
            assert!((g - w).abs() < 1e-12 * (1.0 + w.abs()), "backward_dw {IN}->{OUT} n={n}");
        }
    }

    #[test]
    fn fixed_path_matches_reference() {
        for n in [1, 2, 7, 30, 2000] {
            check::<2, 10>(n);
            check::<10, 3>(n);
            check::<16, 64>(n);
            check::<64, 64>(n);
            check::<64, 4>(n);
            check::<1, 1>(n);
        }
    }

    #[test]
    fn gemm_path_matches_reference() {
        for n in [1, 5, 33] {
            check::<65, 64>(n);
            check::<100, 70>(n);
        }
    }
}
