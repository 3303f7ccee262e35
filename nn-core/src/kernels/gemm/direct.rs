//! The direct (unpacked) path for small and skinny products: `A` column-major (`rs = 1`) is
//! read in place, `B` is read through its strides one broadcast element at a time, and each
//! `MR × NR` tile of a column-major `C` is accumulated in registers. Row edges use masked
//! loads and stores; column edges repeat the last valid column of `B` and store only the
//! valid columns. No packing, no workspace: what small layers (chapter-1 widths, batch-1
//! inference) need. `B` is any [`BSource`]: a strided matrix, or a mini-batch gathered from a
//! data set by sample index (read in place and copied out as a side effect). While a tile
//! of `C` computes, the next tile's columns of a column-contiguous `B` are prefetched (and,
//! for a gathered batch, their pages touched first).

use super::simd::Simd;
use super::{Raw, RawMut};
use crate::kernels::elem::Elem;

/// How the direct kernel finds the elements of `B` (`k × n`): a column pointer per column
/// of a tile plus a row offset per `p`. Strided matrices ([`Raw`]) and mini-batches gathered
/// from a data set by sample index ([`GatherCopy`]) implement it.
pub trait BSource<T>: Copy {
    /// Number of columns.
    fn cols(&self) -> usize;
    /// Whether each column's `k` elements are contiguous in memory not yet read (then the
    /// next tile's columns are prefetched).
    fn prefetch(&self) -> bool;
    /// The address of element `(0, j)`.
    ///
    /// # Safety
    /// `j < cols`.
    unsafe fn col(&self, j: usize) -> *const T;
    /// The offset of element `(p, j)` from `col(j)`.
    fn row(&self, p: usize) -> usize;
    /// Called when every row tile of columns `j0..j0 + w` is done (a gathered batch copies
    /// them, now in cache, out of the data set).
    ///
    /// # Safety
    /// `j0 + w ≤ cols`.
    unsafe fn finish(&self, j0: usize, w: usize);
    /// The same columns read again by a later pass (a gathered batch from its copy).
    fn again(self) -> Self;
    /// Columns `j0..j0 + w`.
    ///
    /// # Safety
    /// `j0 + w ≤ cols`.
    unsafe fn sub(&self, j0: usize, w: usize) -> Self;
    /// Reads one element per 4 KiB page of column `j` (`k` elements), so that its pages are
    /// in the TLB before the prefetches of the column run. Matters for columns scattered
    /// over a large data set; a no-op for matrices already in cache.
    ///
    /// # Safety
    /// `j < cols`.
    #[inline(always)]
    unsafe fn touch(&self, j: usize, k: usize) {
        let _ = (j, k);
    }
}

impl<T: Copy> BSource<T> for Raw<T> {
    #[inline(always)]
    fn cols(&self) -> usize {
        self.cols
    }
    #[inline(always)]
    fn prefetch(&self) -> bool {
        self.rs == 1
    }
    #[inline(always)]
    unsafe fn col(&self, j: usize) -> *const T {
        // SAFETY: column `j` is inside the checked matrix (caller).
        unsafe { self.ptr.add(j * self.cs) }
    }
    #[inline(always)]
    fn row(&self, p: usize) -> usize {
        p * self.rs
    }
    #[inline(always)]
    unsafe fn finish(&self, _j0: usize, _w: usize) {}
    #[inline(always)]
    fn again(self) -> Self {
        self
    }
    #[inline(always)]
    unsafe fn sub(&self, j0: usize, w: usize) -> Self {
        Raw {
            // SAFETY: column `j0` is inside the matrix (caller).
            ptr: unsafe { self.ptr.add(j0 * self.cs) },
            cols: w,
            ..*self
        }
    }
}

/// `B = S[:, idx]`: columns of a column-major source `S` (`k` rows per column) picked by
/// index — a mini-batch of samples in its data set. The first pass reads the samples where
/// they are (the next tile's prefetched while a tile computes) and copies each tile's
/// columns into `out` (`k × cols`, column-major) once the tile is done with them, so `out`
/// ends up holding the batch; a later pass ([`again`](BSource::again)) reads `out`.
#[derive(Clone, Copy)]
pub(crate) struct GatherCopy<T> {
    pub(crate) src: *const T,
    pub(crate) k: usize,
    pub(crate) idx: *const usize,
    pub(crate) out: *mut T,
    pub(crate) cols: usize,
    /// First pass: read the source, then copy.
    pub(crate) first: bool,
}

impl<T: Copy> BSource<T> for GatherCopy<T> {
    #[inline(always)]
    fn cols(&self) -> usize {
        self.cols
    }
    #[inline(always)]
    fn prefetch(&self) -> bool {
        self.first
    }
    #[inline(always)]
    unsafe fn col(&self, j: usize) -> *const T {
        // SAFETY: `j < cols` (caller); `idx` has `cols` entries, each a column of the source,
        // and `out` room for `cols` columns of `k` (checked by `gemm_gathered`).
        unsafe {
            if self.first {
                self.src.add(*self.idx.add(j) * self.k)
            } else {
                self.out.add(j * self.k)
            }
        }
    }
    #[inline(always)]
    fn row(&self, p: usize) -> usize {
        p
    }
    #[inline(always)]
    unsafe fn finish(&self, j0: usize, w: usize) {
        if self.first {
            for j in j0..j0 + w {
                // SAFETY: as `col`; source and `out` are distinct allocations (`out` is
                // borrowed mutably).
                unsafe { core::ptr::copy_nonoverlapping(self.col(j), self.out.add(j * self.k), self.k) };
            }
        }
    }
    #[inline(always)]
    fn again(self) -> Self {
        Self { first: false, ..self }
    }
    #[inline(always)]
    unsafe fn touch(&self, j: usize, k: usize) {
        let per_page = (4096 / size_of::<T>()).max(1);
        // SAFETY: `j < cols` (caller), so column `j` is a column of the source with `k`
        // readable elements; every offset read is below `k`.
        unsafe {
            let p = self.col(j);
            for i in (0..k).step_by(per_page).chain(k.checked_sub(1)) {
                core::ptr::read_volatile(p.add(i));
            }
        }
    }
    #[inline(always)]
    unsafe fn sub(&self, j0: usize, w: usize) -> Self {
        Self {
            // SAFETY: `j0 ≤ cols` entries of `idx` exist (caller).
            idx: unsafe { self.idx.add(j0) },
            // SAFETY: `j0 ≤ cols` columns of `out` exist (caller).
            out: unsafe { self.out.add(j0 * self.k) },
            cols: w,
            ..*self
        }
    }
}

/// `C ← α·A·B + β·C` for `A` (`m × k`, `rs = 1`), `B` (`k × n`, any strides), `C` (`m × n`,
/// `rs = 1`), in `MR × NR` tiles with `MR = MV·LANES`. With `β = 0`, `C` is not read.
///
/// # Safety
/// The CPU supports `S`'s instruction set; `a`, `b`, `c` are valid for their shapes and
/// strides with `a.rs == 1` and `c.rs == 1`; `m, n, k ≥ 1`; `C`'s elements overlap neither
/// `A` nor `B`; every vector of the last row tile holds a row (`m mod MR` is 0 or above
/// `(MV − 1)·LANES`): a vector of rows is addressed only if its first row exists, so no
/// pointer past the end of `A` or `C` is formed.
#[inline(always)]
pub(crate) unsafe fn direct<S: Simd, const MV: usize, const NR: usize, B: BSource<S::T>>(
    alpha: S::T,
    a: Raw<S::T>,
    b: B,
    beta: S::T,
    c: RawMut<S::T>,
) {
    let lanes = S::LANES;
    let mr = MV * lanes;
    let (m, n, k) = (a.rows, b.cols(), a.cols);
    debug_assert!(a.rs == 1 && c.rs == 1 && m > 0 && n > 0 && k > 0);
    debug_assert!(
        m % mr == 0 || m % mr > (MV - 1) * lanes,
        "direct: a vector of the last row tile is empty"
    );
    // SAFETY: (whole body) A is read at `i + p·a.cs` for `i < m`, `p < k` (masked lanes past
    // `m` are not touched; each vector's first row is below `m`, so its address is inside A);
    // B at `col(j) + row(p)` for `p < k` and `j` clamped below `n`; C is written at
    // `i + j·c.cs` for `i < m` (masked) and `j < n`, a vector addressed only if it has live
    // lanes.
    unsafe {
        let alpha_v = S::splat(alpha);
        let beta_v = S::splat(beta);
        let row_tiles = m.div_ceil(mr);
        let mut j0 = 0;
        while j0 < n {
            let n_eff = NR.min(n - j0);
            let mut bcol = [b.col(j0); NR];
            for (j, p) in bcol.iter_mut().enumerate() {
                *p = b.col((j0 + j).min(n - 1));
            }
            // The next tile's columns of a column-contiguous B, fetched into L2 while this
            // tile computes: a B straight from a large data set (a training batch) is cold,
            // and its first row tile would otherwise wait on memory.
            let next = if b.prefetch() && j0 + NR < n {
                NR.min(n - j0 - NR)
            } else {
                0
            };
            // Real loads of the next tile's pages first (page walks overlap with this tile's
            // arithmetic; the prefetches below then find their pages in the TLB).
            for c in 0..next {
                b.touch(j0 + NR + c, k);
            }
            let mut i0 = 0;
            let mut r = 0;
            while i0 < m {
                let live = mr.min(m - i0);
                let ap = a.ptr.add(i0);
                // Row tile `r` prefetches its share of the next tile's columns.
                let pf = Prefetch {
                    first: j0 + NR + next * r / row_tiles,
                    cols: next * (r + 1) / row_tiles - next * r / row_tiles,
                };
                let acc = if live == mr {
                    accumulate::<S, MV, NR, false, B>(k, ap, a.cs, &bcol, b, &[S::mask(lanes); MV], pf)
                } else {
                    let mut masks = [S::mask(0); MV];
                    for (v, mk) in masks.iter_mut().enumerate() {
                        *mk = S::mask(live.saturating_sub(v * lanes).min(lanes));
                    }
                    accumulate::<S, MV, NR, true, B>(k, ap, a.cs, &bcol, b, &masks, pf)
                };
                for (j, accj) in acc.iter().enumerate().take(n_eff) {
                    let cp = c.ptr.add(i0 + (j0 + j) * c.cs);
                    for (v, &x) in accj.iter().enumerate() {
                        let lv = live.saturating_sub(v * lanes).min(lanes);
                        let x = S::mul(x, alpha_v);
                        if lv == lanes {
                            let p = cp.add(v * lanes);
                            let y = if beta == S::T::ZERO {
                                x
                            } else {
                                S::fma(S::load(p), beta_v, x)
                            };
                            S::store(p, y);
                        } else if lv > 0 {
                            let p = cp.add(v * lanes);
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
                r += 1;
            }
            b.finish(j0, n_eff);
            j0 += NR;
        }
    }
}

/// `Σ_p A[.., p]·B[p, j]` for the tile's `MR` rows (from `ap`, column stride `acs`, lanes
/// selected by `masks` when `MASKED`) and `NR` columns (`bcol[j] + b.row(p)`). A one-column tile
/// keeps four partial sums over `p` (a single chain would wait on the FMA latency). Every
/// cache line's worth of `p` (64 bytes of `T`), one line of each of `pf`'s columns is
/// prefetched.
///
/// # Safety
/// The reads described are valid for `p < k`, and every vector's first element
/// (`ap + p·acs + v·LANES`) is inside `A` (so its address may be formed); the CPU supports
/// `S`; `pf` names columns of `b` (below `b.cols()`), prefetched only if `b` is contiguous.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn accumulate<S: Simd, const MV: usize, const NR: usize, const MASKED: bool, B: BSource<S::T>>(
    k: usize,
    ap: *const S::T,
    acs: usize,
    bcol: &[*const S::T; NR],
    b: B,
    masks: &[S::M; MV],
    pf: Prefetch,
) -> [[S::V; MV]; NR] {
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn step<S: Simd, const MV: usize, const NR: usize, const MASKED: bool, B: BSource<S::T>>(
        acc: &mut [[S::V; MV]; NR],
        p: usize,
        ap: *const S::T,
        acs: usize,
        bcol: &[*const S::T; NR],
        b: B,
        masks: &[S::M; MV],
    ) {
        // SAFETY: forwarded contract of `accumulate`.
        unsafe {
            let mut av = [S::zero(); MV];
            for (v, x) in av.iter_mut().enumerate() {
                let src = ap.add(p * acs + v * S::LANES);
                *x = if MASKED { S::load_m(src, masks[v]) } else { S::load(src) };
            }
            let row = b.row(p);
            for (j, accj) in acc.iter_mut().enumerate() {
                let bj = S::splat(*bcol[j].add(row));
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
                    step::<S, MV, NR, MASKED, B>(acc, p + u, ap, acs, bcol, b, masks);
                }
                p += 4;
            }
            while p < k {
                step::<S, MV, NR, MASKED, B>(&mut accs[0], p, ap, acs, bcol, b, masks);
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
            let line = 64 / size_of::<S::T>();
            let mut acc = [[S::zero(); MV]; NR];
            let mut p0 = 0;
            while p0 < k {
                for c in 0..pf.cols {
                    prefetch(b.col(pf.first + c).wrapping_add(p0));
                }
                for p in p0..k.min(p0 + line) {
                    step::<S, MV, NR, MASKED, B>(&mut acc, p, ap, acs, bcol, b, masks);
                }
                p0 += line;
            }
            acc
        }
    }
}

/// Columns `first..first + cols` of a contiguous `B`, brought into L2 while a tile computes.
#[derive(Clone, Copy)]
struct Prefetch {
    first: usize,
    cols: usize,
}

/// Asks the CPU to fetch the cache line holding `p` into L2 (a hint: never faults, even for
/// an address outside any allocation).
#[inline(always)]
fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `prefetcht1` is SSE (baseline on x86-64) and only a hint; it reads no memory
    // architecturally and cannot fault.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T1 }>(p.cast::<i8>())
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
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
pub(crate) unsafe fn direct_any<S: Simd, const NR_WIDE: usize, B: BSource<S::T>>(
    alpha: S::T,
    a: Raw<S::T>,
    b: B,
    beta: S::T,
    c: RawMut<S::T>,
) {
    let n = b.cols();
    // SAFETY: every sub-call gets a column range of B and C inside `0..n`, forwarding the
    // contract.
    unsafe {
        if n == 1 {
            return row_tiles::<S, 1, 4, B>(alpha, a, b, beta, c);
        }
        let n_main = n / NR_WIDE * NR_WIDE;
        if n_main > 0 {
            row_tiles::<S, NR_WIDE, 2, B>(alpha, a, b.sub(0, n_main), beta, c);
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
                row_tiles::<S, 4, 2, B>(alpha, a, b.sub(j, w), beta, cj);
                j += w;
            } else {
                row_tiles::<S, 1, 4, B>(alpha, a, b.sub(j, 1), beta, cj);
                j += 1;
            }
        }
    }
}

/// Rows in `MVW`-vector tiles (`MVW` is 2 or 4), the remainder in the fewest vectors that
/// cover it (1, 2, 3 or 4), so that every vector of the remainder tile holds a row, as
/// [`direct`] requires.
///
/// # Safety
/// As [`direct`] (without its last-tile condition, which this function establishes).
#[inline(always)]
unsafe fn row_tiles<S: Simd, const NR: usize, const MVW: usize, B: BSource<S::T>>(
    alpha: S::T,
    a: Raw<S::T>,
    b: B,
    beta: S::T,
    c: RawMut<S::T>,
) {
    let l = S::LANES;
    let m = a.rows;
    let m_main = m / (MVW * l) * (MVW * l);
    // SAFETY: rows `0..m_main` and `m_main..m` are inside A and C (`rs == 1` for both); the
    // first call has only full tiles; the remainder runs as tiles of `⌈rem / l⌉` vectors
    // (3 as a 2- and a 1-vector tile), so every vector of a tile holds at least one row.
    unsafe {
        if m_main > 0 {
            direct::<S, MVW, NR, B>(alpha, Raw { rows: m_main, ..a }, b, beta, c);
        }
        let rem = m - m_main;
        if rem > 0 {
            // The first call copied a gathered B: read the copy.
            let b = if m_main > 0 { b.again() } else { b };
            let a = Raw {
                ptr: a.ptr.add(m_main),
                rows: rem,
                ..a
            };
            let c = RawMut {
                ptr: c.ptr.add(m_main),
                ..c
            };
            // `rem < MVW·l`; `MV = ⌈rem / l⌉` vectors leave none of them empty.
            const { assert!(MVW == 2 || MVW == 4) };
            if rem <= l {
                direct::<S, 1, NR, B>(alpha, a, b, beta, c);
            } else if MVW == 2 || rem <= 2 * l {
                direct::<S, 2, NR, B>(alpha, a, b, beta, c);
            } else if rem <= 3 * l {
                // Two vectors, then one (no 3-vector tile to compile): the second call reads
                // B again (a gathered B from its copy).
                direct::<S, 2, NR, B>(alpha, Raw { rows: 2 * l, ..a }, b, beta, c);
                let a = Raw {
                    ptr: a.ptr.add(2 * l),
                    rows: rem - 2 * l,
                    ..a
                };
                let c = RawMut {
                    ptr: c.ptr.add(2 * l),
                    ..c
                };
                direct::<S, 1, NR, B>(alpha, a, b.again(), beta, c);
            } else {
                direct::<S, MVW, NR, B>(alpha, a, b, beta, c);
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
