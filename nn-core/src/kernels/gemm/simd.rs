//! The SIMD vectors the GEMM's kernels are written with.
//!
//! Every kernel is generic over [`Simd`] and marked `#[inline(always)]`; it is instantiated
//! inside a `#[target_feature]` variant of a [`dispatch!`](crate::kernels::dispatch::dispatch)
//! entry (see `entry.rs`), so the intrinsics below compile to the instruction set that
//! variant enables.

use crate::kernels::elem::Elem;

/// A SIMD vector of `LANES` elements of `T`. All methods are `unsafe`: the caller must run on
/// a CPU with the instruction set the implementation uses, and pointers must be valid for
/// `LANES` elements (no alignment needed).
pub(crate) trait Simd {
    type T: Elem;
    type V: Copy;
    const LANES: usize;
    unsafe fn zero() -> Self::V;
    unsafe fn splat(x: Self::T) -> Self::V;
    unsafe fn load(p: *const Self::T) -> Self::V;
    unsafe fn store(p: *mut Self::T, v: Self::V);
    unsafe fn mul(a: Self::V, b: Self::V) -> Self::V;
    unsafe fn add(a: Self::V, b: Self::V) -> Self::V;
    /// `a·b + c`.
    unsafe fn fma(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// A lane mask selecting the first `live` lanes (`live ≤ LANES`).
    type M: Copy;
    unsafe fn mask(live: usize) -> Self::M;
    /// Loads the masked lanes from `p` (others zero); memory of masked-out lanes is not
    /// touched (no fault), so `p` need only be valid for the selected lanes.
    unsafe fn load_m(p: *const Self::T, m: Self::M) -> Self::V;
    /// Stores the masked lanes to `p`; other lanes' memory is not touched.
    unsafe fn store_m(p: *mut Self::T, m: Self::M, v: Self::V);
}

/// One scalar per "vector": the portable kernel (LLVM may still vectorise it).
pub(crate) struct Scalar<T>(core::marker::PhantomData<T>);

impl<T: Elem> Simd for Scalar<T> {
    type T = T;
    type V = T;
    const LANES: usize = 1;
    #[inline(always)]
    unsafe fn zero() -> T {
        T::ZERO
    }
    #[inline(always)]
    unsafe fn splat(x: T) -> T {
        x
    }
    #[inline(always)]
    unsafe fn load(p: *const T) -> T {
        // SAFETY: the caller guarantees `p` is valid for one element.
        unsafe { *p }
    }
    #[inline(always)]
    unsafe fn store(p: *mut T, v: T) {
        // SAFETY: the caller guarantees `p` is valid for one element.
        unsafe { *p = v }
    }
    #[inline(always)]
    unsafe fn mul(a: T, b: T) -> T {
        a * b
    }
    #[inline(always)]
    unsafe fn add(a: T, b: T) -> T {
        a + b
    }
    #[inline(always)]
    unsafe fn fma(a: T, b: T, c: T) -> T {
        a.madd::<false>(b, c)
    }
    type M = bool;
    #[inline(always)]
    unsafe fn mask(live: usize) -> bool {
        live > 0
    }
    #[inline(always)]
    unsafe fn load_m(p: *const T, m: bool) -> T {
        if m {
            // SAFETY: `p` is valid when the lane is selected (caller).
            unsafe { *p }
        } else {
            T::ZERO
        }
    }
    #[inline(always)]
    unsafe fn store_m(p: *mut T, m: bool, v: T) {
        if m {
            // SAFETY: `p` is valid when the lane is selected (caller).
            unsafe { *p = v }
        }
    }
}

#[cfg(target_arch = "x86_64")]
pub(crate) use x86::*;

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::Simd;
    use core::arch::x86_64::*;

    /// `-1` then `0` lanes: a load at offset `LANES − live` gives an AVX2 mask of `live` lanes.
    static MASK32: [i32; 16] = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0];
    static MASK64: [i64; 8] = [-1, -1, -1, -1, 0, 0, 0, 0];

    macro_rules! simd_impl {
        ($name:ident, $t:ty, $v:ty, $lanes:expr, $zero:ident, $splat:ident, $load:ident, $store:ident, $mul:ident, $add:ident, $fma:ident,
         $m:ty, |$live:ident| $mask:expr, |$lp:ident, $lm:ident| $load_m:expr, |$sp:ident, $sm:ident, $sv:ident| $store_m:expr) => {
            pub(crate) struct $name;
            // Every method below is an intrinsic of this instruction set: its callers are
            // `#[target_feature]` functions enabling that set, and pass pointers valid for
            // `LANES` elements (the `Simd` contract), which is what each `SAFETY` refers to.
            impl Simd for $name {
                type T = $t;
                type V = $v;
                const LANES: usize = $lanes;
                #[inline(always)]
                unsafe fn zero() -> $v {
                    // SAFETY: the `Simd` contract (see above).
                    unsafe { $zero() }
                }
                #[inline(always)]
                unsafe fn splat(x: $t) -> $v {
                    // SAFETY: the `Simd` contract (see above).
                    unsafe { $splat(x) }
                }
                #[inline(always)]
                unsafe fn load(p: *const $t) -> $v {
                    // SAFETY: the `Simd` contract (see above).
                    unsafe { $load(p) }
                }
                #[inline(always)]
                unsafe fn store(p: *mut $t, v: $v) {
                    // SAFETY: the `Simd` contract (see above).
                    unsafe { $store(p, v) }
                }
                #[inline(always)]
                unsafe fn mul(a: $v, b: $v) -> $v {
                    // SAFETY: the `Simd` contract (see above).
                    unsafe { $mul(a, b) }
                }
                #[inline(always)]
                unsafe fn add(a: $v, b: $v) -> $v {
                    // SAFETY: the `Simd` contract (see above).
                    unsafe { $add(a, b) }
                }
                #[inline(always)]
                unsafe fn fma(a: $v, b: $v, c: $v) -> $v {
                    // SAFETY: the `Simd` contract (see above).
                    unsafe { $fma(a, b, c) }
                }
                type M = $m;
                #[inline(always)]
                #[allow(unused_unsafe)]
                unsafe fn mask($live: usize) -> $m {
                    debug_assert!($live <= $lanes);
                    // SAFETY: the `Simd` contract (see above).
                    unsafe { $mask }
                }
                #[inline(always)]
                unsafe fn load_m($lp: *const $t, $lm: $m) -> $v {
                    // SAFETY: the `Simd` contract (see above).
                    unsafe { $load_m }
                }
                #[inline(always)]
                unsafe fn store_m($sp: *mut $t, $sm: $m, $sv: $v) {
                    // SAFETY: the `Simd` contract (see above).
                    unsafe { $store_m }
                }
            }
        };
    }

    simd_impl!(
        Avx512F32,
        f32,
        __m512,
        16,
        _mm512_setzero_ps,
        _mm512_set1_ps,
        _mm512_loadu_ps,
        _mm512_storeu_ps,
        _mm512_mul_ps,
        _mm512_add_ps,
        _mm512_fmadd_ps,
        __mmask16,
        |live| ((1u32 << live) - 1) as __mmask16,
        |p, m| _mm512_maskz_loadu_ps(m, p),
        |p, m, v| _mm512_mask_storeu_ps(p, m, v)
    );
    simd_impl!(
        Avx512F64,
        f64,
        __m512d,
        8,
        _mm512_setzero_pd,
        _mm512_set1_pd,
        _mm512_loadu_pd,
        _mm512_storeu_pd,
        _mm512_mul_pd,
        _mm512_add_pd,
        _mm512_fmadd_pd,
        __mmask8,
        |live| ((1u32 << live) - 1) as __mmask8,
        |p, m| _mm512_maskz_loadu_pd(m, p),
        |p, m, v| _mm512_mask_storeu_pd(p, m, v)
    );
    simd_impl!(
        Avx2F32,
        f32,
        __m256,
        8,
        _mm256_setzero_ps,
        _mm256_set1_ps,
        _mm256_loadu_ps,
        _mm256_storeu_ps,
        _mm256_mul_ps,
        _mm256_add_ps,
        _mm256_fmadd_ps,
        __m256i,
        |live| _mm256_loadu_si256(MASK32.as_ptr().add(8 - live).cast()),
        |p, m| _mm256_maskload_ps(p, m),
        |p, m, v| _mm256_maskstore_ps(p, m, v)
    );
    simd_impl!(
        Avx2F64,
        f64,
        __m256d,
        4,
        _mm256_setzero_pd,
        _mm256_set1_pd,
        _mm256_loadu_pd,
        _mm256_storeu_pd,
        _mm256_mul_pd,
        _mm256_add_pd,
        _mm256_fmadd_pd,
        __m256i,
        |live| _mm256_loadu_si256(MASK64.as_ptr().add(4 - live).cast()),
        |p, m| _mm256_maskload_pd(p, m),
        |p, m, v| _mm256_maskstore_pd(p, m, v)
    );
}
