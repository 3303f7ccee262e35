//! Instruction-set selection: detected once at run time (cached), so the default build,
//! without `-C target-cpu=native`, runs the AVX-512 or AVX2+FMA kernels where the CPU has them.

use core::sync::atomic::{AtomicU8, Ordering};

use super::direct::{direct_any, BSource};
use super::packed::{packed, Blocking};
use super::simd::{Elem, Scalar, Simd};
use super::small::small;
use super::{MatMut, MatRef, Raw, RawMut};

/// The instruction set a GEMM call runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Isa {
    /// AVX-512F kernels (x86-64): 32 × 12 tiles for f32, 16 × 12 for f64.
    Avx512,
    /// AVX2 + FMA kernels (x86-64): 16 × 6 tiles for f32, 8 × 6 for f64.
    Avx2Fma,
    /// Portable Rust, any target: 8 × 4 scalar tiles (LLVM vectorises what it can).
    Generic,
}

impl Isa {
    /// Every instruction set this crate has kernels for, fastest first.
    pub const ALL: [Isa; 3] = [Isa::Avx512, Isa::Avx2Fma, Isa::Generic];

    /// The fastest instruction set this CPU supports (detected on the first call, then cached).
    pub fn detect() -> Isa {
        static CACHE: AtomicU8 = AtomicU8::new(u8::MAX);
        match CACHE.load(Ordering::Relaxed) {
            0 => Isa::Avx512,
            1 => Isa::Avx2Fma,
            2 => Isa::Generic,
            _ => {
                let isa = Isa::ALL.into_iter().find(|i| i.is_supported()).unwrap_or(Isa::Generic);
                CACHE.store(isa as u8, Ordering::Relaxed);
                isa
            }
        }
    }

    /// Whether this CPU can run the kernels of `self`.
    pub fn is_supported(self) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => {
                is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx2")
                    && is_x86_feature_detected!("fma")
            }
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
            Isa::Generic => true,
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }
}

/// Per-float-type kernel entries. Implemented for `f32` and `f64`.
pub(crate) trait Kernels: Elem {
    /// `(MR, NR, blocking)` of the packed kernel for `isa`.
    fn shape(isa: Isa) -> (usize, usize, Blocking);

    /// The packed path ([`packed`]) compiled for `isa`.
    ///
    /// # Safety
    /// `isa.is_supported()`, and the contract of [`packed`] (with `ws` sized by `shape`).
    #[allow(clippy::too_many_arguments)]
    unsafe fn packed(isa: Isa, alpha: Self, a: Raw<Self>, b: Raw<Self>, beta: Self, c: RawMut<Self>, ws: &mut [Self]);

    /// The direct path ([`direct_any`]) compiled for `isa`, for any way of reading `B`.
    ///
    /// # Safety
    /// `isa.is_supported()`, and the contract of [`direct_any`].
    unsafe fn direct<B: BSource<Self>>(isa: Isa, alpha: Self, a: Raw<Self>, b: B, beta: Self, c: RawMut<Self>);

    /// The fallback path for other layouts ([`small`]) compiled for `isa`.
    ///
    /// # Safety
    /// `isa.is_supported()`; the contract of [`small`].
    unsafe fn small(isa: Isa, alpha: Self, a: MatRef<'_, Self>, b: MatRef<'_, Self>, beta: Self, c: MatMut<'_, Self>);
}

const fn blocking(kc: usize, mc: usize, nc: usize) -> Blocking {
    Blocking { kc, mc, nc }
}

macro_rules! kernels {
    ($t:ty, $avx512:ty, $avx2:ty, [$mv512:literal, $nr512:literal, $b512:expr], [$mv2:literal, $nr2:literal, $b2:expr], [$mvg:literal, $nrg:literal, $bg:expr]) => {
        impl Kernels for $t {
            unsafe fn direct<B: BSource<$t>>(isa: Isa, alpha: $t, a: Raw<$t>, b: B, beta: $t, c: RawMut<$t>) {
                #[cfg(target_arch = "x86_64")]
                #[target_feature(enable = "avx512f,avx2,fma")]
                unsafe fn avx512<B: BSource<$t>>(alpha: $t, a: Raw<$t>, b: B, beta: $t, c: RawMut<$t>) {
                    // SAFETY: forwarded contract of `Kernels::direct`.
                    unsafe { direct_any::<$avx512, 8, B>(alpha, a, b, beta, c) }
                }
                #[cfg(target_arch = "x86_64")]
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2<B: BSource<$t>>(alpha: $t, a: Raw<$t>, b: B, beta: $t, c: RawMut<$t>) {
                    // SAFETY: forwarded contract of `Kernels::direct`.
                    unsafe { direct_any::<$avx2, 6, B>(alpha, a, b, beta, c) }
                }
                // SAFETY: the caller checked `isa.is_supported()` and the `direct` contract.
                unsafe {
                    match isa {
                        #[cfg(target_arch = "x86_64")]
                        Isa::Avx512 => avx512(alpha, a, b, beta, c),
                        #[cfg(target_arch = "x86_64")]
                        Isa::Avx2Fma => avx2(alpha, a, b, beta, c),
                        _ => direct_any::<Scalar<$t>, 4, B>(alpha, a, b, beta, c),
                    }
                }
            }

            fn shape(isa: Isa) -> (usize, usize, Blocking) {
                match isa {
                    #[cfg(target_arch = "x86_64")]
                    Isa::Avx512 => ($mv512 * <$avx512 as Simd>::LANES, $nr512, $b512),
                    #[cfg(target_arch = "x86_64")]
                    Isa::Avx2Fma => ($mv2 * <$avx2 as Simd>::LANES, $nr2, $b2),
                    _ => ($mvg, $nrg, $bg),
                }
            }

            unsafe fn packed(isa: Isa, alpha: $t, a: Raw<$t>, b: Raw<$t>, beta: $t, c: RawMut<$t>, ws: &mut [$t]) {
                #[cfg(target_arch = "x86_64")]
                #[target_feature(enable = "avx512f,avx2,fma")]
                unsafe fn avx512(alpha: $t, a: Raw<$t>, b: Raw<$t>, beta: $t, c: RawMut<$t>, ws: &mut [$t]) {
                    // SAFETY: forwarded contract of `Kernels::packed`.
                    unsafe { packed::<$avx512, $mv512, $nr512>($b512, alpha, a, b, beta, c, ws) }
                }
                #[cfg(target_arch = "x86_64")]
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2(alpha: $t, a: Raw<$t>, b: Raw<$t>, beta: $t, c: RawMut<$t>, ws: &mut [$t]) {
                    // SAFETY: forwarded contract of `Kernels::packed`.
                    unsafe { packed::<$avx2, $mv2, $nr2>($b2, alpha, a, b, beta, c, ws) }
                }
                // SAFETY: the caller checked `isa.is_supported()` and the `packed` contract.
                unsafe {
                    match isa {
                        #[cfg(target_arch = "x86_64")]
                        Isa::Avx512 => avx512(alpha, a, b, beta, c, ws),
                        #[cfg(target_arch = "x86_64")]
                        Isa::Avx2Fma => avx2(alpha, a, b, beta, c, ws),
                        _ => packed::<Scalar<$t>, $mvg, $nrg>($bg, alpha, a, b, beta, c, ws),
                    }
                }
            }

            unsafe fn small(isa: Isa, alpha: $t, a: MatRef<'_, $t>, b: MatRef<'_, $t>, beta: $t, c: MatMut<'_, $t>) {
                #[cfg(target_arch = "x86_64")]
                #[target_feature(enable = "avx512f,avx2,fma")]
                fn avx512(alpha: $t, a: MatRef<'_, $t>, b: MatRef<'_, $t>, beta: $t, c: MatMut<'_, $t>) {
                    small::<$t, true>(alpha, a, b, beta, c)
                }
                #[cfg(target_arch = "x86_64")]
                #[target_feature(enable = "avx2,fma")]
                fn avx2(alpha: $t, a: MatRef<'_, $t>, b: MatRef<'_, $t>, beta: $t, c: MatMut<'_, $t>) {
                    small::<$t, true>(alpha, a, b, beta, c)
                }
                match isa {
                    // SAFETY: the caller checked `isa.is_supported()`.
                    #[cfg(target_arch = "x86_64")]
                    Isa::Avx512 => unsafe { avx512(alpha, a, b, beta, c) },
                    // SAFETY: the caller checked `isa.is_supported()`.
                    #[cfg(target_arch = "x86_64")]
                    Isa::Avx2Fma => unsafe { avx2(alpha, a, b, beta, c) },
                    _ => small::<$t, false>(alpha, a, b, beta, c),
                }
            }
        }
    };
}

#[cfg(target_arch = "x86_64")]
use super::simd::{Avx2F32, Avx2F64, Avx512F32, Avx512F64};
#[cfg(not(target_arch = "x86_64"))]
type Avx512F32 = Scalar<f32>;
#[cfg(not(target_arch = "x86_64"))]
type Avx2F32 = Scalar<f32>;
#[cfg(not(target_arch = "x86_64"))]
type Avx512F64 = Scalar<f64>;
#[cfg(not(target_arch = "x86_64"))]
type Avx2F64 = Scalar<f64>;

kernels!(
    f32,
    Avx512F32,
    Avx2F32,
    [2, 12, blocking(384, 192, 3072)],
    [2, 6, blocking(256, 144, 2048)],
    [8, 4, blocking(256, 64, 1024)]
);
kernels!(
    f64,
    Avx512F64,
    Avx2F64,
    [2, 12, blocking(256, 96, 2048)],
    [2, 6, blocking(256, 72, 2048)],
    [8, 4, blocking(256, 64, 1024)]
);
