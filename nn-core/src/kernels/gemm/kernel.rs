//! The register-blocked microkernel of the packed path: an `MR × NR` tile of `C` (with
//! `MR = MV·LANES`) accumulated in `MV·NR` vector registers over one `kc` block.

use super::simd::Simd;
use crate::kernels::elem::Elem;

/// The largest `MR·NR` of any kernel (AVX-512 f32: 32 × 12); sizes the edge-tile buffer.
pub(crate) const TILE_MAX: usize = 32 * 16;

/// `C[0..m_eff, 0..n_eff] ← α·Ã·B̃ + β·C`, where `Ã` is a packed `MR × kc` micro-panel
/// (`MR` contiguous elements per `p`) and `B̃` a packed `kc × NR` micro-panel (`NR`
/// contiguous elements per `p`), zero-padded past `m_eff`/`n_eff`. With `β = 0`, `C` is not
/// read. `C(i, j)` is at `c + i·rs + j·cs`.
///
/// # Safety
/// The CPU supports `S`'s instruction set; `a` holds `kc·MR` and `b` `kc·NR` readable
/// elements; `c + i·rs + j·cs` is writable for `i < m_eff ≤ MR`, `j < n_eff ≤ NR`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn micro<S: Simd, const MV: usize, const NR: usize>(
    kc: usize,
    a: *const S::T,
    b: *const S::T,
    alpha: S::T,
    beta: S::T,
    c: *mut S::T,
    rs: usize,
    cs: usize,
    m_eff: usize,
    n_eff: usize,
) {
    let lanes = S::LANES;
    let mr = MV * lanes;
    debug_assert!(mr * NR <= TILE_MAX && m_eff <= mr && n_eff <= NR);
    // SAFETY: every pointer below stays inside the regions the caller vouches for: `a` and
    // `b` advance by `mr` / `NR` per step for `kc` steps, `c` offsets stay below
    // `m_eff`/`n_eff`.
    unsafe {
        let mut acc = [[S::zero(); MV]; NR];
        let (mut a, mut b) = (a, b);
        for _ in 0..kc {
            let mut av = [S::zero(); MV];
            for (v, x) in av.iter_mut().enumerate() {
                *x = S::load(a.add(v * lanes));
            }
            for (j, accj) in acc.iter_mut().enumerate() {
                let bj = S::splat(*b.add(j));
                for v in 0..MV {
                    accj[v] = S::fma(av[v], bj, accj[v]);
                }
            }
            a = a.add(mr);
            b = b.add(NR);
        }
        let alpha_v = S::splat(alpha);
        if rs == 1 && m_eff == mr && n_eff == NR {
            if beta == S::T::ZERO {
                for (j, accj) in acc.iter().enumerate() {
                    for (v, &x) in accj.iter().enumerate() {
                        S::store(c.add(j * cs + v * lanes), S::mul(x, alpha_v));
                    }
                }
            } else {
                let beta_v = S::splat(beta);
                for (j, accj) in acc.iter().enumerate() {
                    for (v, &x) in accj.iter().enumerate() {
                        let p = c.add(j * cs + v * lanes);
                        S::store(p, S::fma(S::load(p), beta_v, S::mul(x, alpha_v)));
                    }
                }
            }
        } else {
            let mut tile = [S::T::ZERO; TILE_MAX];
            let t = tile.as_mut_ptr();
            for (j, accj) in acc.iter().enumerate() {
                for (v, &x) in accj.iter().enumerate() {
                    S::store(t.add(j * mr + v * lanes), x);
                }
            }
            for j in 0..n_eff {
                for i in 0..m_eff {
                    let p = c.add(i * rs + j * cs);
                    let x = alpha * tile[j * mr + i];
                    *p = if beta == S::T::ZERO { x } else { beta * *p + x };
                }
            }
        }
    }
}
