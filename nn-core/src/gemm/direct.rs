//! The direct (unpacked) path for small and skinny products: `A` column-major (`rs = 1`) is
//! read in place, `B` is read through its strides one broadcast element at a time, and each
//! `MR × NR` tile of a column-major `C` is accumulated in registers. Row edges use masked
//! loads and stores; column edges repeat the last valid column of `B` and store only the
//! valid columns. No packing, no workspace: what small layers (chapter-1 widths, batch-1
//! inference) need.

use super::simd::{Elem, Simd};
use super::{Raw, RawMut};

/// `C ← α·A·B + β·C` for `A` (`m × k`, `rs = 1`), `B` (`k × n`, any strides), `C` (`m × n`,
/// `rs = 1`), in `MR × NR` tiles with `MR = MV·LANES`. With `β = 0`, `C` is not read.
///
/// # Safety
/// The CPU supports `S`'s instruction set; `a`, `b`, `c` are valid for their shapes and
/// strides with `a.rs == 1` and `c.rs == 1`; `m, n, k ≥ 1`; `C`'s elements overlap neither
/// `A` nor `B`.
#[inline(always)]
pub(crate) unsafe fn direct<S: Simd, const MV: usize, const NR: usize>(
    alpha: S::T,
    a: Raw<S::T>,
    b: Raw<S::T>,
    beta: S::T,
    c: RawMut<S::T>,
) {
    let lanes = S::LANES;
    let mr = MV * lanes;
    let (m, n, k) = (a.rows, b.cols, a.cols);
    debug_assert!(a.rs == 1 && c.rs == 1 && m > 0 && n > 0 && k > 0);
    // SAFETY (whole body): A is read at `i + p·a.cs` for `i < m`, `p < k` (masked lanes past
    // `m` are not touched); B at `p·b.rs + j·b.cs` for `p < k` and `j` clamped below `n`; C is
    // written at `i + j·c.cs` for `i < m` (masked) and `j < n`.
    unsafe {
        let alpha_v = S::splat(alpha);
        let beta_v = S::splat(beta);
        let mut j0 = 0;
        while j0 < n {
            let n_eff = NR.min(n - j0);
            let mut bcol = [b.ptr; NR];
            for (j, p) in bcol.iter_mut().enumerate() {
                *p = b.ptr.add((j0 + j).min(n - 1) * b.cs);
            }
            let mut i0 = 0;
            while i0 < m {
                let live = mr.min(m - i0);
                let ap = a.ptr.add(i0);
                let mut acc = [[S::zero(); MV]; NR];
                if live == mr {
                    for p in 0..k {
                        let mut av = [S::zero(); MV];
                        for (v, x) in av.iter_mut().enumerate() {
                            *x = S::load(ap.add(p * a.cs + v * lanes));
                        }
                        for (j, accj) in acc.iter_mut().enumerate() {
                            let bj = S::splat(*bcol[j].add(p * b.rs));
                            for v in 0..MV {
                                accj[v] = S::fma(av[v], bj, accj[v]);
                            }
                        }
                    }
                } else {
                    let mut masks = [S::mask(0); MV];
                    for (v, mk) in masks.iter_mut().enumerate() {
                        *mk = S::mask(live.saturating_sub(v * lanes).min(lanes));
                    }
                    for p in 0..k {
                        let mut av = [S::zero(); MV];
                        for (v, x) in av.iter_mut().enumerate() {
                            *x = S::load_m(ap.add(p * a.cs + v * lanes), masks[v]);
                        }
                        for (j, accj) in acc.iter_mut().enumerate() {
                            let bj = S::splat(*bcol[j].add(p * b.rs));
                            for v in 0..MV {
                                accj[v] = S::fma(av[v], bj, accj[v]);
                            }
                        }
                    }
                }
                for (j, accj) in acc.iter().enumerate().take(n_eff) {
                    let cp = c.ptr.add(i0 + (j0 + j) * c.cs);
                    for (v, &x) in accj.iter().enumerate() {
                        let lv = live.saturating_sub(v * lanes).min(lanes);
                        let p = cp.add(v * lanes);
                        let x = S::mul(x, alpha_v);
                        if lv == lanes {
                            let y = if beta == S::T::ZERO {
                                x
                            } else {
                                S::fma(S::load(p), beta_v, x)
                            };
                            S::store(p, y);
                        } else if lv > 0 {
                            let mk = S::mask(lv);
                            let y = if beta == S::T::ZERO {
                                x
                            } else {
                                S::fma(S::load_m(p, mk), beta_v, x)
                            };
                            S::store_m(p, mk, y);
                        }
                    }
                }
                i0 += mr;
            }
            j0 += NR;
        }
    }
}

/// [`direct`] with the tile picked for the shape: one column (`MR = 4·LANES`) for a
/// matrix–vector product, 4 columns for skinny `B`, else `NR_WIDE` columns and one or two
/// vectors of rows.
///
/// # Safety
/// As [`direct`].
#[inline(always)]
pub(crate) unsafe fn direct_any<S: Simd, const NR_WIDE: usize>(
    alpha: S::T,
    a: Raw<S::T>,
    b: Raw<S::T>,
    beta: S::T,
    c: RawMut<S::T>,
) {
    let (m, n) = (a.rows, b.cols);
    // SAFETY: forwarded contract.
    unsafe {
        if n == 1 {
            direct::<S, 4, 1>(alpha, a, b, beta, c)
        } else if n <= 4 {
            direct::<S, 2, 4>(alpha, a, b, beta, c)
        } else if m <= S::LANES {
            direct::<S, 1, NR_WIDE>(alpha, a, b, beta, c)
        } else {
            direct::<S, 2, NR_WIDE>(alpha, a, b, beta, c)
        }
    }
}

/// Copies `A` column-major into `dst[..m·k]` (for an `A` whose rows are not contiguous),
/// 16 columns at a time so a row-major source is read in runs.
pub(crate) fn copy_col_major<T: Elem>(a: &super::MatRef<'_, T>, dst: &mut [T]) {
    const W: usize = 16;
    let (m, k) = (a.rows, a.cols);
    let dst = &mut dst[..m * k];
    for p0 in (0..k).step_by(W) {
        let w = W.min(k - p0);
        for i in 0..m {
            for p in p0..p0 + w {
                dst[p * m + i] = a.data[i * a.rs + p * a.cs];
            }
        }
    }
}
