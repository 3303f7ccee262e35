//! Fast, accurate `f32` elementwise functions for the hot loops (`f64` keeps libm so gradient
//! checks stay exact).
//!
//! - [`exp_f32_in_place`]: `x = exp(x)`, range reduction `n = round(x · log2 e)`, Cody–Waite
//!   `r = x − n · ln 2`, a degree-7 minimax polynomial in `r`, `2ⁿ` from exponent bits.
//!   Error ≤ 1.02 ulp of the exact value (subnormal results included).
//! - [`sigmoid_f32`]: `y = 1 / (1 + exp(−x))` from `e = exp(−|x|)`: `1 / (1 + e)` for x ≥ 0,
//!   `e / (1 + e)` for x < 0 (no overflow, accurate tails). Relative error ≤ 1.8e−7 where
//!   the result is a normal float (≤ 2.4 ulp, subnormal results included).
//! - [`tanh_f32`]: `y = tanh(x)`, an odd minimax polynomial for |x| < 0.625 and
//!   `sign(x) · (1 − 2 / (exp(2|x|) + 1))` beyond. Relative error ≤ 1.5e−7 (≤ 1.33 ulp; the
//!   accuracy the models need is 1e−6 of libm's `tanhf`).
//!
//! The error bounds are measured over all 2³² inputs against `f64` libm, for every
//! instruction-set level (the ignored test `exhaustive`); the regular tests sweep ~10 M points.
//!
//! Non-finite inputs (issue 10): `exp` keeps IEEE semantics (NaN → NaN, +∞ → +∞, −∞ → +0);
//! `sigmoid` and `tanh` give NaN for NaN **and for ±∞** rather than their limits, so an
//! infinity (an overflow upstream or a poisoned input) cannot saturate into a plausible finite
//! activation and a finite loss: it reaches the loss as NaN. The check costs one fused
//! multiply-add per element (`x · 0 + y`), no extra pass. The loops have no calls and no branches
//! per element, so they vectorise; on x86-64 each is compiled three times (baseline SSE2,
//! AVX2 + FMA, AVX-512F) by [`dispatch!`] and the widest one the CPU supports is chosen once at
//! run time, so the default build (no `-C target-cpu=native`) gets wide vectors.
//!
//! ```
//! let x = [-100.0_f32, -1.0, 0.0, 0.5, 20.0];
//! let mut y = [0.0_f32; 5];
//! nn_core::__internal::tanh_f32(&x, &mut y);
//! assert_eq!(y[4], 1.0);
//! assert!((y[3] - 0.5_f32.tanh()).abs() <= 1e-6 * 0.5_f32.tanh());
//! nn_core::__internal::sigmoid_f32(&x, &mut y);
//! assert_eq!(y[2], 0.5);
//! assert!(y[0] > 0.0 && y[0] < 1e-43); // σ(−100) ≈ 3.7e−44, a subnormal, not 0 or NaN
//! nn_core::__internal::sigmoid_f32(&[f32::NEG_INFINITY], &mut y[..1]);
//! assert!(y[0].is_nan()); // not the limit 0: an infinity must not pass as a finite value
//! ```

pub(crate) mod lane;
#[cfg(test)]
mod tests;

use super::dispatch::dispatch;
use super::elem::Elem;
use super::isa::{Level, Supported};

/// Elements per block of the vectorised loops (one AVX-512 register, two AVX2 registers).
const BLOCK: usize = 16;

/// Applies `f` to every element of `x` into `y`, in fixed-size blocks so the compiler emits
/// full-width vector code. A ragged tail is done as one more full block over the last `BLOCK`
/// elements (overlapping the previous block, which recomputes identical values); a slice
/// shorter than a block is one block over a zero-padded copy.
#[inline(always)]
fn map_blocks(x: &[f32], y: &mut [f32], f: impl Fn(f32) -> f32) {
    let n = x.len();
    if n < BLOCK {
        // One full, vectorised block over a zero-padded copy (the lanes are independent, so
        // the first `n` results are what element-by-element code would give).
        let mut pad = [0.0f32; BLOCK];
        pad[..n].copy_from_slice(x);
        for v in pad.iter_mut() {
            *v = f(*v);
        }
        y[..n].copy_from_slice(&pad[..n]);
        return;
    }
    let block = |xb: &[f32], yb: &mut [f32]| {
        let xb: &[f32; BLOCK] = xb.try_into().unwrap();
        let yb: &mut [f32; BLOCK] = yb.try_into().unwrap();
        for i in 0..BLOCK {
            yb[i] = f(xb[i]);
        }
    };
    for (xb, yb) in x.chunks_exact(BLOCK).zip(y.chunks_exact_mut(BLOCK)) {
        block(xb, yb);
    }
    if !n.is_multiple_of(BLOCK) {
        block(&x[n - BLOCK..], &mut y[n - BLOCK..]);
    }
}

/// In-place version of [`map_blocks`]: the last (overlapping) block is computed from the
/// original values first and stored after the main loop.
#[inline(always)]
fn map_blocks_in_place(x: &mut [f32], f: impl Fn(f32) -> f32) {
    let n = x.len();
    if n < BLOCK {
        let mut pad = [0.0f32; BLOCK];
        pad[..n].copy_from_slice(x);
        for v in pad.iter_mut() {
            *v = f(*v);
        }
        x.copy_from_slice(&pad[..n]);
        return;
    }
    let block = |xb: &[f32]| -> [f32; BLOCK] {
        let xb: &[f32; BLOCK] = xb.try_into().unwrap();
        let mut out = [0.0f32; BLOCK];
        for i in 0..BLOCK {
            out[i] = f(xb[i]);
        }
        out
    };
    let tail = (!n.is_multiple_of(BLOCK)).then(|| block(&x[n - BLOCK..]));
    for xb in x.chunks_exact_mut(BLOCK) {
        let out = block(xb);
        xb.copy_from_slice(&out);
    }
    if let Some(tail) = tail {
        x[n - BLOCK..].copy_from_slice(&tail);
    }
}

dispatch! {
    /// `x[i] = exp(x[i])` in place, compiled for `isa`.
    pub(crate) fn exp_isa<L>(x: &mut [f32]) {
        map_blocks_in_place(x, lane::exp::<{ L::FMA }>)
    }
}

dispatch! {
    /// `y[i] = σ(x[i])`, compiled for `isa`.
    pub(crate) fn sigmoid_isa<L>(x: &[f32], y: &mut [f32]) {
        map_blocks(x, y, lane::sigmoid::<{ L::FMA }>)
    }
}

dispatch! {
    /// `y[i] = tanh(x[i])`, compiled for `isa`.
    pub(crate) fn tanh_isa<L>(x: &[f32], y: &mut [f32]) {
        map_blocks(x, y, lane::tanh::<{ L::FMA }>)
    }
}

/// `y[i] = σ(x[i]) = 1 / (1 + exp(−x[i]))`, NaN for a non-finite `x[i]`. Panics if the
/// lengths differ.
#[inline]
pub fn sigmoid_f32(x: &[f32], y: &mut [f32]) {
    assert_eq!(x.len(), y.len(), "sigmoid_f32: input and output lengths differ");
    sigmoid_isa(Supported::best(), x, y)
}

/// `y[i] = tanh(x[i])`, NaN for a non-finite `x[i]`. Panics if the lengths differ.
#[inline]
pub fn tanh_f32(x: &[f32], y: &mut [f32]) {
    assert_eq!(x.len(), y.len(), "tanh_f32: input and output lengths differ");
    tanh_isa(Supported::best(), x, y)
}

/// `p[i] ← p[i] − a·g[i]` (an SGD step), in 512- or 256-bit vectors where the CPU has them.
/// The same rounding as the scalar loop (a product, then a difference; no FMA). Panics if
/// the lengths differ.
///
/// ```
/// let mut p = [1.0f32, 2.0];
/// nn_core::__internal::sub_scaled(&mut p, 0.5, &[2.0, -2.0]);
/// assert_eq!(p, [0.0, 3.0]);
/// ```
#[inline]
pub fn sub_scaled<T: Elem>(p: &mut [T], a: T, g: &[T]) {
    assert_eq!(p.len(), g.len(), "sub_scaled: parameter and gradient lengths differ");
    sub_scaled_isa(Supported::best(), p, a, g)
}

dispatch! {
    /// [`sub_scaled`] compiled for `isa`, without its length check (a longer `p` keeps
    /// its tail).
    pub(crate) fn sub_scaled_isa<L>[T: Elem](p: &mut [T], a: T, g: &[T]) {
        for (v, &g) in p.iter_mut().zip(g) {
            *v -= a * g;
        }
    }
}

/// `x[i] = exp(x[i])` in place (IEEE at the limits: exp(−∞) = +0, exp(+∞) = +∞, NaN stays).
#[inline]
pub fn exp_f32_in_place(x: &mut [f32]) {
    exp_isa(Supported::best(), x)
}
