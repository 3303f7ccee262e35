//! The fixed-width kernels of a fully connected layer's three products, for small layers
//! (which products take them is `layers::linear`'s choice). The widths are compile-time
//! constants here, so a per-sample loop with fully unrolled, vectorised inner loops (compiled
//! per instruction set by [`dispatch!`], the best one picked at run time) beats any blocking
//! scheme. Storage as in `layers::linear`: `W` is `OUT × IN`, batches are `features × N`, all
//! column-major.
//!
//! The entries below check no shapes: the caller passes `w` of `OUT · IN`, `x` of `IN · N`,
//! `y` / `dout` of `OUT · N`, `dx` of `IN · N` and `dw` of at least `OUT · IN` elements
//! (shorter batch slices compute fewer samples; a short `dw` panics).

use super::dispatch::dispatch;
use super::elem::Elem;
use super::isa::{Level, Supported};

/// `y ← W·x + β·y` (`OUT × N`) with the best instruction set of this CPU.
#[inline(always)]
pub(crate) fn fixed_forward<T: Elem, const IN: usize, const OUT: usize>(w: &[T], x: &[T], beta: T, y: &mut [T]) {
    forward_isa::<T, IN, OUT>(Supported::best(), w, x, beta, y)
}

/// `dx ← Wᵀ·dout` (`IN × N`) with the best instruction set of this CPU.
#[inline(always)]
pub(crate) fn fixed_backward_dx<T: Elem, const IN: usize, const OUT: usize>(w: &[T], dout: &[T], dx: &mut [T]) {
    backward_dx_isa::<T, IN, OUT>(Supported::best(), w, dout, dx)
}

/// `dW ← dout·xᵀ` (`OUT × IN`) with the best instruction set of this CPU.
#[inline(always)]
pub(crate) fn fixed_backward_dw<T: Elem, const IN: usize, const OUT: usize>(x: &[T], dout: &[T], dw: &mut [T]) {
    backward_dw_isa::<T, IN, OUT>(Supported::best(), x, dout, dw)
}

dispatch! {
    /// `y[:, n] = Σᵢ W[:, i]·x[i, n] (+ β·y[:, n])`, one sample at a time through the
    /// matrix–vector kernel [`matvec_block_acc`] (rows in register blocks, each block's `IN`
    /// products in interleaved partial sums: a batch-1 product is latency-bound). A sample's
    /// sums do not depend on the batch around it, so `predict_one` equals `predict` bit for
    /// bit.
    #[inline(always)]
    fn forward_isa<L>[T: Elem, const IN: usize, const OUT: usize](w: &[T], x: &[T], beta: T, y: &mut [T]) {
        if x.len() == IN && y.len() == OUT {
            // One sample apart from the loop: in the loop LLVM hoists the loads of a small
            // `W` out of it (copying it to the stack first), which a lone sample pays for.
            forward_sample::<T, IN, OUT, { L::FMA }, { L::WIDE }>(w, x, beta, y);
            return;
        }
        for (xc, yc) in x.chunks_exact(IN).zip(y.chunks_exact_mut(OUT)) {
            forward_sample::<T, IN, OUT, { L::FMA }, { L::WIDE }>(w, xc, beta, yc);
        }
    }
}

/// One sample of [`forward_isa`]: `y ← W·x + β·y` for `x` of `IN` and `y` of `OUT` elements.
#[inline(always)]
fn forward_sample<T: Elem, const IN: usize, const OUT: usize, const FMA: bool, const WIDE: bool>(
    w: &[T],
    x: &[T],
    beta: T,
    y: &mut [T],
) {
    if beta == T::ZERO {
        y.fill(T::ZERO);
    } else if beta != T::ONE {
        for v in y.iter_mut() {
            *v = beta * *v;
        }
    }
    let x: &[T; IN] = x.try_into().expect("a sample of IN features");
    matvec_block_acc::<T, IN, FMA, WIDE>(w, OUT, 0, x, y);
}

dispatch! {
    /// `dx[i, n] = Σₒ W[o, i]·dout[o, n]`: one dot product of length `OUT` per element.
    #[inline(always)]
    fn backward_dx_isa<L>[T: Elem, const IN: usize, const OUT: usize](w: &[T], dout: &[T], dx: &mut [T]) {
        for (dc, xc) in dout.chunks_exact(OUT).zip(dx.chunks_exact_mut(IN)) {
            for (xi, wc) in xc.iter_mut().zip(w.chunks_exact(OUT)) {
                let mut s = T::ZERO;
                for (&wv, &d) in wc.iter().zip(dc) {
                    s += wv * d;
                }
                *xi = s;
            }
        }
    }
}

dispatch! {
    /// `dW[:, i] = Σₙ dout[:, n]·x[i, n]`: a rank-1 update per sample, accumulated in `dW`
    /// itself (`OUT · IN` elements). No `OUT × IN` array on the stack: the body is inlined
    /// into every instantiation of the layer product, taken or not, and an unoptimised build
    /// would reserve that array in the caller's frame (a 784 × 1000 layer: 3 MB).
    #[inline(always)]
    fn backward_dw_isa<L>[T: Elem, const IN: usize, const OUT: usize](x: &[T], dout: &[T], dw: &mut [T]) {
        let dw = &mut dw[..OUT * IN];
        dw.fill(T::ZERO);
        for (dc, xc) in dout.chunks_exact(OUT).zip(x.chunks_exact(IN)) {
            let dc: &[T; OUT] = dc.try_into().expect("chunk of OUT");
            for (col, &xi) in dw.chunks_exact_mut(OUT).zip(xc) {
                for (a, &d) in col.iter_mut().zip(dc) {
                    *a += d * xi;
                }
            }
        }
    }
}

/// `y ← y + W·x` for a column-major `W` of `y.len()` rows and `K` columns: the gate
/// products of one streaming step of a recurrent layer (`W_ih·x`, `W_hh·h`), whose `K` (`IN`,
/// `H`) is a compile-time constant and whose rows (`G·H`) are not. Panics if `w` has fewer
/// than `rows · K` or `x` fewer than `K` elements.
#[inline(always)]
pub(crate) fn fixed_matvec_acc<T: Elem, const K: usize>(w: &[T], x: &[T], y: &mut [T]) {
    let rows = y.len();
    assert!(
        w.len() >= rows * K && x.len() >= K,
        "fixed_matvec_acc: W has {} elements and x {}, expected {rows}·{K} and {K}",
        w.len(),
        x.len()
    );
    matvec_isa::<T, K>(
        Supported::best(),
        &w[..rows * K],
        x[..K].try_into().expect("K elements"),
        y,
    )
}

dispatch! {
    /// `y ← y + W·x` for `W` of `y.len()` rows: [`matvec_block_acc`] over all of them.
    #[inline(always)]
    fn matvec_isa<L>[T: Elem, const K: usize](w: &[T], x: &[T; K], y: &mut [T]) {
        matvec_block_acc::<T, K, { L::FMA }, { L::WIDE }>(w, y.len(), 0, x, y);
    }
}

/// `y ← y + W[row0 .. row0 + y.len(), :]·x` for a column-major `W` of leading dimension `ld`
/// and `K` columns (one gate block of a recurrent layer's weights, or all of them). Rows go
/// in register blocks of 64 (`WIDE`: AVX-512's 32 registers), 32, 16, 8, 4, then one at a
/// time; each block sums its `K` products in `S` interleaved partial sums (columns `k ≡ s
/// mod S`), `S` larger for the narrower blocks, so that every block runs about eight
/// independent multiply-add chains: at these sizes a product is latency-bound, not
/// throughput-bound. Inlined into the caller's instruction-set variant (the body of
/// [`matvec_isa`] and of the fused cell steps of
/// `kernels::cell`).
#[inline(always)]
pub(crate) fn matvec_block_acc<T: Elem, const K: usize, const FMA: bool, const WIDE: bool>(
    w: &[T],
    ld: usize,
    row0: usize,
    x: &[T; K],
    y: &mut [T],
) {
    let rows = y.len();
    // One check for every block of every column below (a bounds check per column load would
    // keep the sums out of registers: LLVM spills them around each panic branch).
    assert!(
        K > 0 && row0 + rows <= ld && w.len() >= (K - 1) * ld + row0 + rows,
        "matvec: W of {} elements cannot hold rows {row0}..{} of {K} columns of {ld}",
        w.len(),
        row0 + rows
    );
    let m = Block { w, ld, row0, x };
    let r = if WIDE { m.rows::<64, 2, FMA>(y, 0) } else { 0 };
    let r = m.rows::<32, 2, FMA>(y, r);
    let r = m.rows::<16, 4, FMA>(y, r);
    let r = m.rows::<8, 4, FMA>(y, r);
    let r = m.rows::<4, 8, FMA>(y, r);
    m.rows::<1, 8, FMA>(y, r);
}

/// The longest `K` whose column loop is left to LLVM to unroll fully (see `Block::rows`).
const UNROLL_MAX: usize = 8;

/// The operands of [`matvec_block_acc`], checked: `w` holds rows `row0 .. row0 + y.len()` of
/// `K` columns of `ld`.
struct Block<'a, T, const K: usize> {
    w: &'a [T],
    ld: usize,
    row0: usize,
    x: &'a [T; K],
}

impl<T: Elem, const K: usize> Block<'_, T, K> {
    /// Rows `r .. r + B` of column `k`.
    #[inline(always)]
    fn col<const B: usize>(&self, k: usize, r: usize, rows: usize) -> &[T; B] {
        debug_assert!(k < K && r + B <= rows);
        let at = k * self.ld + self.row0 + r;
        // SAFETY: every caller has `k < K` and `r + B <= rows` (`rows` = `y.len()`), so
        // `at + B <= (K − 1)·ld + row0 + rows <= w.len()` by the assertion of
        // `matvec_block_acc`: the `B` elements are inside `w`, and `[T; B]` has the alignment
        // of `T`.
        unsafe { &*(self.w.as_ptr().add(at) as *const [T; B]) }
    }

    /// The blocks of `B` rows of `y` from row `r` while a whole block fits, with `S` partial
    /// sums each; returns the first row not done.
    #[inline(always)]
    fn rows<const B: usize, const S: usize, const FMA: bool>(&self, y: &mut [T], mut r: usize) -> usize {
        let (rows, x) = (y.len(), self.x);
        while r + B <= rows {
            let out: &mut [T; B] = (&mut y[r..r + B]).try_into().expect("a block of B rows");
            let mut sums = [[T::ZERO; B]; S];
            sums[0] = *out;
            // A long `K` stays a loop: fully unrolled (its trip count is a constant), LLVM
            // schedules all of a block's column loads ahead and spills them (a 9 KB frame,
            // 3× slower, for a GRU step at H = 32). An opaque bound keeps it rolled.
            let end = if K > UNROLL_MAX {
                core::hint::black_box(K).min(K)
            } else {
                K
            };
            let mut k = 0;
            while k + S <= end {
                for (s, sum) in sums.iter_mut().enumerate() {
                    let c = self.col::<B>(k + s, r, rows);
                    for i in 0..B {
                        sum[i] = c[i].madd::<FMA>(x[k + s], sum[i]);
                    }
                }
                k += S;
            }
            // The last `K mod S` columns into the first sum (a fixed index: an index that
            // varies with `k` keeps `sums` in memory rather than in registers).
            while k < K {
                let c = self.col::<B>(k, r, rows);
                for i in 0..B {
                    sums[0][i] = c[i].madd::<FMA>(x[k], sums[0][i]);
                }
                k += 1;
            }
            // Pairwise: sums s and s + half, halving until one is left.
            let mut n = S;
            while n > 1 {
                n /= 2;
                let (low, high) = sums.split_at_mut(n);
                for (a, b) in low.iter_mut().zip(high.iter()) {
                    for (v, &u) in a.iter_mut().zip(b) {
                        *v += u;
                    }
                }
            }
            *out = sums[0];
            r += B;
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::gemm::{gemm, MatMut, MatRef};

    fn matvec_case<const K: usize>(rows: usize) {
        let w = values(rows * K, 7);
        let x = values(K, 11);
        let y0 = values(rows, 13);
        let mut y = y0.clone();
        fixed_matvec_acc::<f64, K>(&w, &x, &mut y);
        for r in 0..rows {
            let want = y0[r] + (0..K).map(|k| w[r + k * rows] * x[k]).sum::<f64>();
            assert!(
                (y[r] - want).abs() <= 1e-12 * want.abs().max(1.0),
                "rows {rows} K {K} row {r}"
            );
        }
        for isa in crate::kernels::isa::Supported::all() {
            let mut yi = y0.clone();
            matvec_isa::<f64, K>(isa, &w, x[..].try_into().unwrap(), &mut yi);
            assert!(
                yi.iter()
                    .zip(&y)
                    .all(|(a, b)| (a - b).abs() <= 1e-12 * b.abs().max(1.0)),
                "{isa:?}"
            );
        }
    }

    #[test]
    fn matvec_matches_the_naive_sum_at_every_level() {
        for rows in [1, 7, 8, 24, 32, 41, 96, 192, 256] {
            matvec_case::<1>(rows);
            matvec_case::<3>(rows);
            matvec_case::<8>(rows);
            matvec_case::<64>(rows);
        }
    }

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

    /// Who computes a layer's three products: the fixed-width kernels compiled for an
    /// instruction set, or the GEMM (what `layers::linear` uses for larger layers).
    #[derive(Clone, Copy, Debug)]
    enum Via {
        Fixed(Supported),
        Gemm,
    }

    impl Via {
        fn forward<const IN: usize, const OUT: usize>(self, w: &[f64], x: &[f64], beta: f64, y: &mut [f64]) {
            let n = x.len() / IN;
            match self {
                Via::Fixed(isa) => forward_isa::<f64, IN, OUT>(isa, w, x, beta, y),
                Via::Gemm => gemm(
                    1.0,
                    MatRef::col_major(w, OUT, IN),
                    MatRef::col_major(x, IN, n),
                    beta,
                    MatMut::col_major(y, OUT, n),
                ),
            }
        }

        fn backward_dx<const IN: usize, const OUT: usize>(self, w: &[f64], dout: &[f64], dx: &mut [f64]) {
            let n = dout.len() / OUT;
            match self {
                Via::Fixed(isa) => backward_dx_isa::<f64, IN, OUT>(isa, w, dout, dx),
                Via::Gemm => gemm(
                    1.0,
                    MatRef::col_major(w, OUT, IN).t(),
                    MatRef::col_major(dout, OUT, n),
                    0.0,
                    MatMut::col_major(dx, IN, n),
                ),
            }
        }

        fn backward_dw<const IN: usize, const OUT: usize>(self, x: &[f64], dout: &[f64], dw: &mut [f64]) {
            let n = dout.len() / OUT;
            match self {
                Via::Fixed(isa) => backward_dw_isa::<f64, IN, OUT>(isa, x, dout, dw),
                Via::Gemm => gemm(
                    1.0,
                    MatRef::col_major(dout, OUT, n),
                    MatRef::col_major(x, IN, n).t(),
                    0.0,
                    MatMut::col_major(dw, OUT, IN),
                ),
            }
        }
    }

    fn check<const IN: usize, const OUT: usize>(n: usize, via: Via) {
        let w = values(OUT * IN, 1);
        let x = values(IN * n, 2);
        let dout = values(OUT * n, 3);
        let y0 = values(OUT * n, 4);

        let mut y = y0.clone();
        via.forward::<IN, OUT>(&w, &x, 0.5, &mut y);
        let want = naive(OUT, n, IN, |o, i| w[o + i * OUT], |i, s| x[i + s * IN]);
        for ((g, w), y0) in y.iter().zip(&want).zip(&y0) {
            assert!(
                (g - (w + 0.5 * y0)).abs() < 1e-12 * (1.0 + w.abs()),
                "{via:?} forward {IN}->{OUT} n={n}"
            );
        }

        let mut dx = vec![f64::NAN; IN * n];
        via.backward_dx::<IN, OUT>(&w, &dout, &mut dx);
        let want = naive(IN, n, OUT, |i, o| w[o + i * OUT], |o, s| dout[o + s * OUT]);
        for (g, w) in dx.iter().zip(&want) {
            assert!(
                (g - w).abs() < 1e-12 * (1.0 + w.abs()),
                "{via:?} backward_dx {IN}->{OUT} n={n}"
            );
        }

        let mut dw = vec![f64::NAN; OUT * IN];
        via.backward_dw::<IN, OUT>(&x, &dout, &mut dw);
        let want = naive(OUT, IN, n, |o, s| dout[o + s * OUT], |s, i| x[i + s * IN]);
        for (g, w) in dw.iter().zip(&want) {
            assert!(
                (g - w).abs() < 1e-12 * (1.0 + w.abs()),
                "{via:?} backward_dw {IN}->{OUT} n={n}"
            );
        }
    }

    #[test]
    fn fixed_path_matches_reference() {
        for isa in Supported::all() {
            let ns: &[usize] = if cfg!(miri) { &[1, 3] } else { &[1, 2, 7, 30, 2000] };
            for &n in ns {
                let via = Via::Fixed(isa);
                check::<2, 10>(n, via);
                check::<10, 3>(n, via);
                check::<16, 64>(n, via);
                check::<64, 64>(n, via);
                check::<64, 4>(n, via);
                check::<1, 1>(n, via);
            }
        }
    }

    /// A NaN or an infinity in `x`, `W` or `dout`, at every position, makes every output of
    /// the three products that reads it non-finite, on every instruction set this CPU runs
    /// (issue 10: nothing of a fixed-width path may turn a non-finite value finite).
    fn check_non_finite<const IN: usize, const OUT: usize>(isa: Supported, n: usize) {
        let nz = |v: Vec<f64>| -> Vec<f64> { v.into_iter().map(|x| if x == 0.0 { 0.75 } else { x }).collect() };
        let (w, x, dout) = (nz(values(OUT * IN, 5)), nz(values(IN * n, 6)), nz(values(OUT * n, 7)));
        let bad = |v: &[f64]| v.iter().all(|x| !x.is_finite());
        for p in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            for i in 0..IN * n {
                let mut xp = x.clone();
                xp[i] = p;
                let (s, f) = (i / IN, i % IN);
                for beta in [0.0, 1.0] {
                    let mut y = vec![0.5; OUT * n];
                    forward_isa::<f64, IN, OUT>(isa, &w, &xp, beta, &mut y);
                    assert!(
                        bad(&y[s * OUT..(s + 1) * OUT]),
                        "{isa:?} forward {IN}->{OUT} n={n}: x[{f},{s}] = {p}"
                    );
                }
                let mut dw = vec![0.0; OUT * IN];
                backward_dw_isa::<f64, IN, OUT>(isa, &xp, &dout, &mut dw);
                assert!(
                    bad(&dw[f * OUT..(f + 1) * OUT]),
                    "{isa:?} dW {IN}->{OUT} n={n}: x[{f},{s}] = {p}"
                );
            }
            for i in 0..OUT * IN {
                let mut wp = w.clone();
                wp[i] = p;
                let (o, f) = (i % OUT, i / OUT);
                let mut y = vec![0.0; OUT * n];
                forward_isa::<f64, IN, OUT>(isa, &wp, &x, 0.0, &mut y);
                assert!(
                    (0..n).all(|s| !y[o + s * OUT].is_finite()),
                    "{isa:?} forward: W[{o},{f}] = {p}"
                );
                let mut dx = vec![0.0; IN * n];
                backward_dx_isa::<f64, IN, OUT>(isa, &wp, &dout, &mut dx);
                assert!(
                    (0..n).all(|s| !dx[f + s * IN].is_finite()),
                    "{isa:?} dx: W[{o},{f}] = {p}"
                );
            }
            for i in 0..OUT * n {
                let mut dp = dout.clone();
                dp[i] = p;
                let (o, s) = (i % OUT, i / OUT);
                let mut dx = vec![0.0; IN * n];
                backward_dx_isa::<f64, IN, OUT>(isa, &w, &dp, &mut dx);
                assert!(
                    bad(&dx[s * IN..(s + 1) * IN]),
                    "{isa:?} dx {IN}->{OUT}: dout[{o},{s}] = {p}"
                );
                let mut dw = vec![0.0; OUT * IN];
                backward_dw_isa::<f64, IN, OUT>(isa, &x, &dp, &mut dw);
                assert!(
                    (0..IN).all(|f| !dw[o + f * OUT].is_finite()),
                    "{isa:?} dW: dout[{o},{s}] = {p}"
                );
            }
            // A non-finite bias already in `y` survives `β = 1`.
            let mut y = vec![0.5; OUT * n];
            y[OUT * n - 1] = p;
            forward_isa::<f64, IN, OUT>(isa, &w, &x, 1.0, &mut y);
            assert!(
                !y[OUT * n - 1].is_finite(),
                "{isa:?} forward {IN}->{OUT}: β = 1 dropped {p}"
            );
        }
    }

    #[test]
    fn fixed_path_keeps_non_finite_values_non_finite() {
        for isa in Supported::all() {
            for n in [1, 3] {
                check_non_finite::<2, 10>(isa, n);
                check_non_finite::<10, 3>(isa, n);
                check_non_finite::<16, 17>(isa, n);
                check_non_finite::<1, 1>(isa, n);
                check_non_finite::<5, 33>(isa, n);
            }
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "too slow under Miri")]
    fn gemm_path_matches_reference() {
        for n in [1, 5, 33] {
            check::<65, 64>(n, Via::Gemm);
            check::<100, 70>(n, Via::Gemm);
        }
    }
}
