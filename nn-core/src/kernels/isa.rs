//! The instruction sets the kernels are compiled for, and the one run-time detection (the only
//! `is_x86_feature_detected!` of the crate), cached, so the default build (without
//! `-C target-cpu=native`) runs the AVX-512 or AVX2 + FMA variants where the CPU has them.

use core::sync::atomic::{AtomicU8, Ordering};

/// An instruction set the kernels have a variant for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Isa {
    /// AVX-512F (with AVX2 and FMA), x86-64: GEMM tiles of 32 × 12 for f32 and 16 × 12 for
    /// f64, 512-bit element-wise loops.
    Avx512,
    /// AVX2 + FMA, x86-64: GEMM tiles of 16 × 6 for f32 and 8 × 6 for f64, 256-bit loops.
    Avx2Fma,
    /// Portable Rust, any target (SSE2 on x86-64): 8 × 4 scalar GEMM tiles, separate multiply
    /// and add (LLVM vectorises what it can).
    Generic,
}

impl Isa {
    /// Every instruction set this crate has kernels for, fastest first.
    pub const ALL: [Isa; 3] = [Isa::Avx512, Isa::Avx2Fma, Isa::Generic];

    /// The fastest instruction set this CPU supports (detected on the first call, then cached).
    #[inline]
    pub fn detect() -> Isa {
        Supported::best().isa()
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

    /// `self` as a [`Supported`], if this CPU runs it.
    #[inline]
    pub(crate) fn supported(self) -> Option<Supported> {
        self.is_supported().then_some(Supported(self))
    }
}

/// An [`Isa`] this CPU supports: made only by detection ([`Supported::best`],
/// [`Isa::supported`]), so an entry of [`dispatch!`](super::dispatch::dispatch) that is given
/// one may run that variant's `#[target_feature]` code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Supported(Isa);

impl Supported {
    /// The fastest instruction set of this CPU: detected on the first call (without
    /// allocating), then read from a cache.
    #[inline]
    pub(crate) fn best() -> Supported {
        static CACHE: AtomicU8 = AtomicU8::new(u8::MAX);
        match CACHE.load(Ordering::Relaxed) {
            0 => Supported(Isa::Avx512),
            1 => Supported(Isa::Avx2Fma),
            2 => Supported(Isa::Generic),
            _ => {
                let best = Isa::ALL
                    .into_iter()
                    .find_map(Isa::supported)
                    .unwrap_or(Supported(Isa::Generic));
                CACHE.store(best.0 as u8, Ordering::Relaxed);
                best
            }
        }
    }

    /// Every instruction set this CPU runs, fastest first (for tests).
    #[cfg(test)]
    pub(crate) fn all() -> impl Iterator<Item = Supported> {
        Isa::ALL.into_iter().filter_map(Isa::supported)
    }

    /// The instruction set.
    #[inline(always)]
    pub(crate) fn isa(self) -> Isa {
        self.0
    }
}

/// An instruction set as a type: what a kernel body of [`dispatch!`](super::dispatch::dispatch)
/// is generic over, so each variant instantiates the body with its own constants.
pub trait Level: 'static {
    /// Whether `mul_add` is one instruction (FMA) in this variant; otherwise a multiply and an
    /// add are used (a fused `mul_add` without hardware support is a slow libm call).
    const FMA: bool;
    /// Whether this variant has 32 vector registers of 512 bits (AVX-512): room for twice the
    /// register blocks of the matrix–vector kernel.
    const WIDE: bool;
}

/// The [`Level`] types, one per [`Isa`] variant.
pub mod level {
    use super::Level;

    /// [`Isa::Avx512`](super::Isa::Avx512) as a type.
    pub struct Avx512;
    /// [`Isa::Avx2Fma`](super::Isa::Avx2Fma) as a type.
    pub struct Avx2Fma;
    /// [`Isa::Generic`](super::Isa::Generic) as a type.
    pub struct Generic;

    impl Level for Avx512 {
        const FMA: bool = true;
        const WIDE: bool = true;
    }
    impl Level for Avx2Fma {
        const FMA: bool = true;
        const WIDE: bool = false;
    }
    impl Level for Generic {
        const FMA: bool = false;
        const WIDE: bool = false;
    }
}
