//! The direct path for small products, where packing costs more than it saves. Written over
//! slices (bounds checked once per column), generic over `FMA` and instantiated inside each
//! `#[target_feature]` entry so LLVM vectorises the inner loops for that instruction set.

use super::{MatMut, MatRef};
use crate::kernels::elem::Elem;

/// Largest `A` (in elements) the direct path copies column-major into a stack buffer.
const COPY_MAX: usize = 512;

/// Dot-product form: `A` rows and `B` columns contiguous and `k` long enough to vectorise
/// over, or so few columns of `C` that copying `A` would not pay.
fn use_dot<T>(a: &MatRef<'_, T>, b: &MatRef<'_, T>) -> bool {
    a.cs == 1 && b.rs == 1 && (a.cols >= 32 || b.cols <= 2)
}

/// `C ← α·A·B + β·C` without packing; `m, n, k ≥ 1`. Allocation-free.
#[inline(always)]
pub(crate) fn small<T: Elem, const FMA: bool>(alpha: T, a: MatRef<'_, T>, b: MatRef<'_, T>, beta: T, c: MatMut<'_, T>) {
    let (m, k) = (a.rows, a.cols);
    if c.rs == 1 && a.rs == 1 {
        axpy::<T, FMA>(alpha, a.data, a.cs, b, beta, c);
    } else if use_dot(&a, &b) || (c.rs != 1 || m * k > COPY_MAX) && a.cs == 1 && b.rs == 1 {
        dot::<T, FMA>(alpha, a, b, beta, c);
    } else if c.rs == 1 && m * k <= COPY_MAX {
        // Copy A (e.g. a small transposed weight matrix) column-major once, then run the axpy
        // form.
        let mut buf = [T::ZERO; COPY_MAX];
        let ac = &mut buf[..m * k];
        for p in 0..k {
            for (i, x) in ac[p * m..(p + 1) * m].iter_mut().enumerate() {
                *x = a.data[i * a.rs + p * a.cs];
            }
        }
        axpy::<T, FMA>(alpha, &buf[..m * k], m, b, beta, c);
    } else {
        strided::<T, FMA>(alpha, a, b, beta, c);
    }
}

/// Column `j` of C is `β·C[:, j] + Σ_p (α·B[p, j])·A[:, p]`, with A's columns contiguous at
/// `a[p·acs..][..m]` and C's columns contiguous. Four `p` per pass over the column.
#[inline(always)]
fn axpy<T: Elem, const FMA: bool>(alpha: T, a: &[T], acs: usize, b: MatRef<'_, T>, beta: T, c: MatMut<'_, T>) {
    let (m, n, k) = (c.rows, c.cols, b.rows);
    for j in 0..n {
        let col = &mut c.data[j * c.cs..][..m];
        if beta == T::ZERO {
            col.fill(T::ZERO);
        } else if beta != T::ONE {
            col.iter_mut().for_each(|x| *x = *x * beta);
        }
        let bj = |p: usize| alpha * b.data[p * b.rs + j * b.cs];
        let mut p = 0;
        while p + 4 <= k {
            let (s0, s1, s2, s3) = (bj(p), bj(p + 1), bj(p + 2), bj(p + 3));
            let a0 = &a[p * acs..][..m];
            let a1 = &a[(p + 1) * acs..][..m];
            let a2 = &a[(p + 2) * acs..][..m];
            let a3 = &a[(p + 3) * acs..][..m];
            for i in 0..m {
                let x = a0[i].madd::<FMA>(s0, col[i]);
                let x = a1[i].madd::<FMA>(s1, x);
                let x = a2[i].madd::<FMA>(s2, x);
                col[i] = a3[i].madd::<FMA>(s3, x);
            }
            p += 4;
        }
        while p < k {
            let s = bj(p);
            for (x, &y) in col.iter_mut().zip(&a[p * acs..][..m]) {
                *x = y.madd::<FMA>(s, *x);
            }
            p += 1;
        }
    }
}

/// `C(i, j) = α·⟨A[i, :], B[:, j]⟩ + β·C(i, j)` with A's rows and B's columns contiguous.
#[inline(always)]
fn dot<T: Elem, const FMA: bool>(alpha: T, a: MatRef<'_, T>, b: MatRef<'_, T>, beta: T, c: MatMut<'_, T>) {
    let (m, n, k) = (a.rows, b.cols, a.cols);
    for j in 0..n {
        let bc = &b.data[j * b.cs..][..k];
        for i in 0..m {
            let d = dot_slices::<T, FMA>(&a.data[i * a.rs..][..k], bc);
            let x = &mut c.data[i * c.rs + j * c.cs];
            *x = if beta == T::ZERO {
                alpha * d
            } else {
                (alpha * d).madd::<FMA>(T::ONE, beta * *x)
            };
        }
    }
}

/// `⟨x, y⟩` with 16 independent partial sums (vectorisable without reassociation).
#[inline(always)]
fn dot_slices<T: Elem, const FMA: bool>(x: &[T], y: &[T]) -> T {
    const W: usize = 16;
    let mut acc = [T::ZERO; W];
    let xc = x.chunks_exact(W);
    let yc = y.chunks_exact(W);
    let (xr, yr) = (xc.remainder(), yc.remainder());
    for (xs, ys) in xc.zip(yc) {
        for l in 0..W {
            acc[l] = xs[l].madd::<FMA>(ys[l], acc[l]);
        }
    }
    for (l, (&u, &v)) in xr.iter().zip(yr).enumerate() {
        acc[l] = u.madd::<FMA>(v, acc[l]);
    }
    let mut w = W;
    while w > 1 {
        w /= 2;
        for l in 0..w {
            acc[l] += acc[l + w];
        }
    }
    acc[0]
}

/// Any strides: one strided dot product per element of C.
#[inline(always)]
fn strided<T: Elem, const FMA: bool>(alpha: T, a: MatRef<'_, T>, b: MatRef<'_, T>, beta: T, c: MatMut<'_, T>) {
    let (m, n, k) = (a.rows, b.cols, a.cols);
    for j in 0..n {
        for i in 0..m {
            let mut d = T::ZERO;
            for p in 0..k {
                d = a.data[i * a.rs + p * a.cs].madd::<FMA>(b.data[p * b.rs + j * b.cs], d);
            }
            let x = &mut c.data[i * c.rs + j * c.cs];
            *x = if beta == T::ZERO {
                alpha * d
            } else {
                alpha * d + beta * *x
            };
        }
    }
}
