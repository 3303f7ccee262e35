//! The packed (GotoBLAS/BLIS) path for large products: `B` is packed in `kc × nc` blocks
//! (`NR`-column micro-panels), `A` in `mc × kc` blocks (`MR`-row micro-panels), and the
//! microkernel runs over every `MR × NR` tile of `C` with its accumulators in registers.

use super::kernel::micro;
use super::pack::{pack_a, pack_b};
use super::simd::Simd;
use super::{Raw, RawMut};
use crate::kernels::elem::Elem;

/// Cache blocking of one kernel: the `k` block (`kc`), rows of `A` packed at once (`mc`),
/// columns of `B` packed at once (`nc`).
#[derive(Clone, Copy, Debug)]
pub struct Blocking {
    pub kc: usize,
    pub mc: usize,
    pub nc: usize,
}

impl Blocking {
    /// The `k` block actually used: `k` split into equal blocks of at most `self.kc`.
    pub fn kc_for(&self, k: usize) -> usize {
        k.div_ceil(k.div_ceil(self.kc).max(1)).max(1)
    }

    /// Elements of workspace the packed path needs for an `m × n × k` product:
    /// `(A block, B block)`.
    pub fn workspace(&self, mr: usize, nr: usize, m: usize, n: usize, k: usize) -> (usize, usize) {
        let kc = self.kc_for(k);
        let mc = self.mc.min(m).div_ceil(mr) * mr;
        let nc = self.nc.min(n).div_ceil(nr) * nr;
        (mc * kc, nc * kc)
    }
}

/// `C ← α·A·B + β·C` through packed blocks; `ws` is split into the `A` and `B` buffers.
///
/// # Safety
/// The CPU supports `S`'s instruction set; `a`, `b`, `c` are valid for their shapes and
/// strides (`A` `m × k`, `B` `k × n`, `C` `m × n`, `k ≥ 1`), `C`'s elements are distinct and
/// overlap neither `A` nor `B`; `ws.len()` is at least the sum of [`Blocking::workspace`].
#[inline(always)]
pub(crate) unsafe fn packed<S: Simd, const MV: usize, const NR: usize>(
    blk: Blocking,
    alpha: S::T,
    a: Raw<S::T>,
    b: Raw<S::T>,
    beta: S::T,
    c: RawMut<S::T>,
    ws: &mut [S::T],
) {
    let mr = MV * S::LANES;
    let (m, n, k) = (a.rows, b.cols, a.cols);
    let (a_len, _) = blk.workspace(mr, NR, m, n, k);
    let (abuf, bbuf) = ws.split_at_mut(a_len);
    let kcb = blk.kc_for(k);
    let mcb = blk.mc.div_ceil(mr) * mr;
    let ncb = blk.nc.div_ceil(NR) * NR;

    let mut jc = 0;
    while jc < n {
        let nc = ncb.min(n - jc);
        let mut pc = 0;
        while pc < k {
            let kc = kcb.min(k - pc);
            // SAFETY: the block `[pc.., jc..]` lies inside B; `bbuf` was sized for it.
            unsafe { pack_b(b, pc, kc, jc, nc, NR, bbuf) };
            let beta_eff = if pc == 0 { beta } else { S::T::ONE };
            let mut ic = 0;
            while ic < m {
                let mc = mcb.min(m - ic);
                // SAFETY: the block `[ic.., pc..]` lies inside A; `abuf` was sized for it.
                unsafe { pack_a(a, ic, mc, pc, kc, mr, abuf) };
                for jr in (0..nc).step_by(NR) {
                    let n_eff = NR.min(nc - jr);
                    let bp = bbuf[(jr / NR) * kc * NR..].as_ptr();
                    for ir in (0..mc).step_by(mr) {
                        let m_eff = mr.min(mc - ir);
                        let ap = abuf[(ir / mr) * kc * mr..].as_ptr();
                        // SAFETY: the packed panels hold `kc·mr` / `kc·NR` elements; the C
                        // tile `[ic+ir.., jc+jr..]` of `m_eff × n_eff` lies inside C.
                        unsafe {
                            let cp = c.ptr.add((ic + ir) * c.rs + (jc + jr) * c.cs);
                            micro::<S, MV, NR>(kc, ap, bp, alpha, beta_eff, cp, c.rs, c.cs, m_eff, n_eff);
                        }
                    }
                }
                ic += mc;
            }
            pc += kc;
        }
        jc += nc;
    }
}

/// Scales `C ← β·C` (zero-fills when `β = 0`, ignoring what `C` held): the `k = 0` product.
pub(crate) fn scale<T: Elem>(beta: T, c: super::MatMut<'_, T>) {
    for j in 0..c.cols {
        for i in 0..c.rows {
            let x = &mut c.data[i * c.rs + j * c.cs];
            *x = if beta == T::ZERO { T::ZERO } else { beta * *x };
        }
    }
}
