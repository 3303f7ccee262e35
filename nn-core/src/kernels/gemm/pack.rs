//! Packing of `A` blocks into `MR`-row micro-panels and `B` blocks into `NR`-column
//! micro-panels, zero-padded at the edges. Transposed operands are read through their
//! strides (a transpose is never materialised).

use super::Raw;
use crate::kernels::elem::Elem;

/// Packs `A[i0..i0+mc, p0..p0+kc]` into `dst`: micro-panel `q` (rows `q·mr..`) occupies
/// `dst[q·kc·mr..][..kc·mr]`, element `(i, p)` of the panel at `p·mr + i`.
///
/// # Safety
/// `a` is valid for every in-range `(i, p)` of its shape, and the block lies inside it;
/// `dst.len() ≥ ⌈mc/mr⌉·mr·kc`.
#[inline(always)]
pub(crate) unsafe fn pack_a<T: Elem>(a: Raw<T>, i0: usize, mc: usize, p0: usize, kc: usize, mr: usize, dst: &mut [T]) {
    for (q, panel) in dst.chunks_exact_mut(kc * mr).take(mc.div_ceil(mr)).enumerate() {
        let r0 = i0 + q * mr;
        let rows = mr.min(i0 + mc - r0);
        // SAFETY: rows `r0..r0+rows` and columns `p0..p0+kc` are inside `a` (caller).
        unsafe { pack_panel(a.ptr.add(r0 * a.rs + p0 * a.cs), a.rs, a.cs, rows, kc, mr, panel) }
    }
}

/// Packs `B[p0..p0+kc, j0..j0+nc]` into `dst`: micro-panel `q` (columns `q·nr..`) occupies
/// `dst[q·kc·nr..][..kc·nr]`, element `(p, j)` of the panel at `p·nr + j`.
///
/// # Safety
/// As [`pack_a`], with `dst.len() ≥ ⌈nc/nr⌉·nr·kc`.
#[inline(always)]
pub(crate) unsafe fn pack_b<T: Elem>(b: Raw<T>, p0: usize, kc: usize, j0: usize, nc: usize, nr: usize, dst: &mut [T]) {
    for (q, panel) in dst.chunks_exact_mut(kc * nr).take(nc.div_ceil(nr)).enumerate() {
        let c0 = j0 + q * nr;
        let cols = nr.min(j0 + nc - c0);
        // SAFETY: as in `pack_a`; `Bᵀ` is packed like an `A` block (its strides swapped).
        unsafe { pack_panel(b.ptr.add(p0 * b.rs + c0 * b.cs), b.cs, b.rs, cols, kc, nr, panel) }
    }
}

/// `panel[p·w + i] = src[i·s_i + p·s_p]` for `i < live`, `p < kc`; zero for `live ≤ i < w`.
///
/// # Safety
/// `src + i·s_i + p·s_p` is readable for `i < live`, `p < kc`; `panel.len() == kc·w`.
#[inline(always)]
unsafe fn pack_panel<T: Elem>(
    src: *const T,
    s_i: usize,
    s_p: usize,
    live: usize,
    kc: usize,
    w: usize,
    panel: &mut [T],
) {
    debug_assert_eq!(panel.len(), kc * w);
    if s_i == 1 {
        // Contiguous along the panel's width: one short copy per `p`.
        for (p, dst) in panel.chunks_exact_mut(w).enumerate() {
            // SAFETY: `live` contiguous elements from `src + p·s_p` are readable (caller).
            let s = unsafe { core::slice::from_raw_parts(src.add(p * s_p), live) };
            dst[..live].copy_from_slice(s);
            dst[live..].fill(T::ZERO);
        }
    } else if live == w {
        // Strided along the width (a transposed operand): walk each source line along `p`
        // in groups of `w`, writing the panel row by row.
        for (p, dst) in panel.chunks_exact_mut(w).enumerate() {
            for (i, d) in dst.iter_mut().enumerate() {
                // SAFETY: `i < live`, `p < kc`.
                *d = unsafe { *src.add(i * s_i + p * s_p) };
            }
        }
    } else {
        for (p, dst) in panel.chunks_exact_mut(w).enumerate() {
            for (i, d) in dst[..live].iter_mut().enumerate() {
                // SAFETY: `i < live`, `p < kc`.
                *d = unsafe { *src.add(i * s_i + p * s_p) };
            }
            dst[live..].fill(T::ZERO);
        }
    }
}
