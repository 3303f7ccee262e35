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
                let acc = if live == mr {
                    accumulate::<S, MV, NR, false>(k, ap, a.cs, &bcol, b.rs, &[S::mask(lanes); MV])
                } else {
                    let mut masks = [S::mask(0); MV];
                    for (v, mk) in masks.iter_mut().enumerate() {
                        *mk = S::mask(live.saturating_sub(v * lanes).min(lanes));
                    }
                    accumulate::<S, MV, NR, true>(k, ap, a.cs, &bcol, b.rs, &masks)
                };
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

/// `Σ_p A[.., p]·B[p, j]` for the tile's `MR` rows (from `ap`, column stride `acs`, lanes
/// selected by `masks` when `MASKED`) and `NR` columns (`bcol[j] + p·brs`). A one-column tile
/// keeps four partial sums over `p` (a single chain would wait on the FMA latency).
///
/// # Safety
/// The reads described are valid for `p < k`; the CPU supports `S`.
#[inline(always)]
unsafe fn accumulate<S: Simd, const MV: usize, const NR: usize, const MASKED: bool>(
    k: usize,
    ap: *const S::T,
    acs: usize,
    bcol: &[*const S::T; NR],
    brs: usize,
    masks: &[S::M; MV],
) -> [[S::V; MV]; NR] {
    #[inline(always)]
    unsafe fn step<S: Simd, const MV: usize, const NR: usize, const MASKED: bool>(
        acc: &mut [[S::V; MV]; NR],
        p: usize,
        ap: *const S::T,
        acs: usize,
        bcol: &[*const S::T; NR],
        brs: usize,
        masks: &[S::M; MV],
    ) {
        // SAFETY: forwarded contract of `accumulate`.
        unsafe {
            let mut av = [S::zero(); MV];
            for (v, x) in av.iter_mut().enumerate() {
                let src = ap.add(p * acs + v * S::LANES);
                *x = if MASKED { S::load_m(src, masks[v]) } else { S::load(src) };
            }
            for (j, accj) in acc.iter_mut().enumerate() {
                let bj = S::splat(*bcol[j].add(p * brs));
                for v in 0..MV {
                    accj[v] = S::fma(av[v], bj, accj[v]);
                }
            }
        }
    }
    // SAFETY: forwarded contract.
    unsafe {
        if NR == 1 && k >= 8 {
            let mut accs = [[[S::zero(); MV]; NR]; 4];
            let mut p = 0;
            while p + 4 <= k {
                for (u, acc) in accs.iter_mut().enumerate() {
                    step::<S, MV, NR, MASKED>(acc, p + u, ap, acs, bcol, brs, masks);
                }
                p += 4;
            }
            while p < k {
                step::<S, MV, NR, MASKED>(&mut accs[0], p, ap, acs, bcol, brs, masks);
                p += 1;
            }
            let [a0, a1, a2, a3] = accs;
            let mut acc = a0;
            for j in 0..NR {
                for v in 0..MV {
                    acc[j][v] = S::add(S::add(a0[j][v], a1[j][v]), S::add(a2[j][v], a3[j][v]));
                }
            }
            acc
        } else {
            let mut acc = [[S::zero(); MV]; NR];
            for p in 0..k {
                step::<S, MV, NR, MASKED>(&mut acc, p, ap, acs, bcol, brs, masks);
            }
            acc
        }
    }
}

/// [`direct`] with tiles picked for the shape: columns of `C` in `NR_WIDE`-wide tiles, the
/// remainder in 4- and 1-column tiles; rows in two-vector tiles (four for a matrix–vector
/// product), the remainder in the fewest vectors that cover it. So only the last vector of
/// rows is ever partly masked, and no column tile computes a wasted column unless fewer than
/// four remain.
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
    let n = b.cols;
    // SAFETY: every sub-call gets a column range of B and C inside `0..n`, forwarding the
    // contract.
    unsafe {
        if n == 1 {
            return row_tiles::<S, 1, 4>(alpha, a, b, beta, c);
        }
        let n_main = n / NR_WIDE * NR_WIDE;
        if n_main > 0 {
            row_tiles::<S, NR_WIDE, 2>(alpha, a, col_range(b, 0, n_main), beta, c);
        }
        let mut j = n_main;
        while j < n {
            let w = n - j;
            let cj = RawMut {
                ptr: c.ptr.add(j * c.cs),
                ..c
            };
            if w >= 2 {
                let w = w.min(4);
                row_tiles::<S, 4, 2>(alpha, a, col_range(b, j, w), beta, cj);
                j += w;
            } else {
                row_tiles::<S, 1, 4>(alpha, a, col_range(b, j, 1), beta, cj);
                j += 1;
            }
        }
    }
}

/// Columns `j0..j0+w` of B.
///
/// # Safety
/// `j0 + w ≤ b.cols`.
#[inline(always)]
unsafe fn col_range<T>(b: Raw<T>, j0: usize, w: usize) -> Raw<T> {
    Raw {
        // SAFETY: column `j0` is inside B (caller).
        ptr: unsafe { b.ptr.add(j0 * b.cs) },
        cols: w,
        ..b
    }
}

/// Rows in `MVW`-vector tiles, the remainder in 1, 2 or `MVW` vectors.
///
/// # Safety
/// As [`direct`].
#[inline(always)]
unsafe fn row_tiles<S: Simd, const NR: usize, const MVW: usize>(
    alpha: S::T,
    a: Raw<S::T>,
    b: Raw<S::T>,
    beta: S::T,
    c: RawMut<S::T>,
) {
    let l = S::LANES;
    let m = a.rows;
    let m_main = m / (MVW * l) * (MVW * l);
    // SAFETY: rows `0..m_main` and `m_main..m` are inside A and C (`rs == 1` for both).
    unsafe {
        if m_main > 0 {
            direct::<S, MVW, NR>(alpha, Raw { rows: m_main, ..a }, b, beta, c);
        }
        let rem = m - m_main;
        if rem > 0 {
            let a = Raw {
                ptr: a.ptr.add(m_main),
                rows: rem,
                ..a
            };
            let c = RawMut {
                ptr: c.ptr.add(m_main),
                ..c
            };
            if rem <= l {
                direct::<S, 1, NR>(alpha, a, b, beta, c);
            } else if rem <= 2 * l || MVW <= 2 {
                direct::<S, 2, NR>(alpha, a, b, beta, c);
            } else {
                direct::<S, MVW, NR>(alpha, a, b, beta, c);
            }
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
