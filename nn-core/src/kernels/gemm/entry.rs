//! The GEMM's entries per instruction set: one table row per float type and [`Level`]
//! ([`Tiles`]: which SIMD type, tile and cache blocking each path uses), and the entries that
//! [`dispatch!`] compiles once per instruction set.

use super::direct::{direct_any, BSource};
use super::packed::{packed as packed_path, Blocking};
use super::simd::{Scalar, Simd};
use super::small::small as small_path;
use super::{MatMut, MatRef, Raw, RawMut};
use crate::kernels::dispatch::dispatch;
use crate::kernels::elem::Elem;
use crate::kernels::isa::level::{Avx2Fma, Avx512, Generic};
use crate::kernels::isa::{Isa, Level, Supported};

/// One float type's GEMM kernels at one instruction-set level `L`: a row of the table below.
pub trait Tiles<L>: Sized {
    /// `(MR, NR, blocking)` of the packed kernel.
    const PACKED: (usize, usize, Blocking);

    /// The direct path ([`direct_any`]) with this level's vector type and tile widths.
    ///
    /// # Safety
    /// The CPU supports `L`; the contract of [`direct_any`].
    unsafe fn direct<B: BSource<Self>>(alpha: Self, a: Raw<Self>, b: B, beta: Self, c: RawMut<Self>);

    /// The packed path ([`packed_path`]) with this level's vector type, tile and blocking.
    ///
    /// # Safety
    /// The CPU supports `L`; the contract of [`packed_path`] (with `ws` sized for
    /// [`Self::PACKED`]).
    unsafe fn packed(alpha: Self, a: Raw<Self>, b: Raw<Self>, beta: Self, c: RawMut<Self>, ws: &mut [Self]);
}

const fn blocking(kc: usize, mc: usize, nc: usize) -> Blocking {
    Blocking { kc, mc, nc }
}

/// A row of the table: `$t` at level `$level` uses the vectors `$simd`, direct tiles
/// `NR_WIDE` columns wide, and packed tiles of `MV` vectors × `NR` columns with `blocking`.
/// `$inline` is the direct path's inlining into its dispatch entry: the portable variant is
/// kept out of line (`never`), or its inlined body makes the entry save registers on every
/// call, whichever variant it then jumps to (measured: 11–13 instructions more per call).
macro_rules! tiles {
    ($t:ty, $level:ty, $simd:ty, direct $nr_wide:literal $inline:ident, packed [$mv:literal, $nr:literal, $blocking:expr]) => {
        impl Tiles<$level> for $t {
            const PACKED: (usize, usize, Blocking) = ($mv * <$simd as Simd>::LANES, $nr, $blocking);

            #[inline($inline)]
            unsafe fn direct<B: BSource<$t>>(alpha: $t, a: Raw<$t>, b: B, beta: $t, c: RawMut<$t>) {
                // SAFETY: forwarded contract of `Tiles::direct`.
                unsafe { direct_any::<$simd, $nr_wide, B>(alpha, a, b, beta, c) }
            }

            #[inline(always)]
            unsafe fn packed(alpha: $t, a: Raw<$t>, b: Raw<$t>, beta: $t, c: RawMut<$t>, ws: &mut [$t]) {
                // SAFETY: forwarded contract of `Tiles::packed`.
                unsafe { packed_path::<$simd, $mv, $nr>($blocking, alpha, a, b, beta, c, ws) }
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

tiles!(f32, Avx512, Avx512F32, direct 8 always, packed [2, 12, blocking(384, 192, 3072)]);
tiles!(f32, Avx2Fma, Avx2F32, direct 6 always, packed [2, 6, blocking(256, 144, 2048)]);
tiles!(f32, Generic, Scalar<f32>, direct 4 never, packed [8, 4, blocking(256, 64, 1024)]);
tiles!(f64, Avx512, Avx512F64, direct 8 always, packed [2, 12, blocking(256, 96, 2048)]);
tiles!(f64, Avx2Fma, Avx2F64, direct 6 always, packed [2, 6, blocking(256, 72, 2048)]);
tiles!(f64, Generic, Scalar<f64>, direct 4 never, packed [8, 4, blocking(256, 64, 1024)]);

/// `(MR, NR, blocking)` of the packed kernel `isa` runs for `T`.
pub(super) fn packed_shape<T: Elem>(isa: Supported) -> (usize, usize, Blocking) {
    match isa.isa() {
        Isa::Avx512 => <T as Tiles<Avx512>>::PACKED,
        Isa::Avx2Fma => <T as Tiles<Avx2Fma>>::PACKED,
        Isa::Generic => <T as Tiles<Generic>>::PACKED,
    }
}

dispatch! {
    /// The direct path ([`direct_any`]) compiled for `isa`, for any way of reading `B`.
    ///
    /// # Safety
    /// The contract of [`direct_any`].
    pub(super) unsafe fn direct<L>[T: Elem, B: BSource<T>](alpha: T, a: Raw<T>, b: B, beta: T, c: RawMut<T>) {
        // SAFETY: this variant is compiled for (and runs on a CPU with) `L`; the rest of the
        // contract is the entry's.
        unsafe { <T as Tiles<L>>::direct(alpha, a, b, beta, c) }
    }
}

dispatch! {
    /// The packed path ([`packed_path`]) compiled for `isa`.
    ///
    /// # Safety
    /// The contract of [`packed_path`], with `ws` sized by [`packed_shape`] of `isa`.
    pub(super) unsafe fn packed<L>[T: Elem](alpha: T, a: Raw<T>, b: Raw<T>, beta: T, c: RawMut<T>, ws: &mut [T]) {
        // SAFETY: as in `direct`.
        unsafe { <T as Tiles<L>>::packed(alpha, a, b, beta, c, ws) }
    }
}

dispatch! {
    /// The fallback path for other layouts ([`small_path`]) compiled for `isa`.
    pub(super) fn small<L>[T: Elem](alpha: T, a: MatRef<'_, T>, b: MatRef<'_, T>, beta: T, c: MatMut<'_, T>) {
        small_path::<T, { L::FMA }>(alpha, a, b, beta, c)
    }
}
