//! The one way a kernel is compiled per instruction set: [`dispatch!`].
//!
//! Written once, a kernel body is generic over a [`Level`](super::isa::Level) `L` (its
//! constants: `L::FMA`, or a per-level table such as the GEMM's tiles). `dispatch!` copies the
//! body into one function per [`Isa`](super::isa::Isa) variant — the AVX-512 and AVX2 ones with
//! `#[target_feature]`, so LLVM vectorises the body with 512- or 256-bit registers and
//! `mul_add` becomes one FMA instruction there — and emits the entry that picks the variant
//! of a [`Supported`](super::isa::Supported) instruction set. The GEMM entries, the
//! element-wise kernels and the fixed-width linear kernels are all defined with it.

/// Defines `$name(isa: Supported, args…)` running `$body` compiled for `isa`.
///
/// ```text
/// dispatch! {
///     /// Docs of the entry.
///     #[inline]
///     pub(crate) fn name<L>[T: Elem, const N: usize](x: &[T], y: &mut [T]) -> R {
///         body, in which `L` is the variant's `Level` type (`L::FMA`, `<T as Tiles<L>>::…`)
///     }
/// }
/// ```
///
/// The generic parameters in `[…]` (type parameters with at most one bound, and `const …:
/// usize`) are optional. With `unsafe fn`, the entry and its variants are `unsafe` with the
/// body's contract. Each variant holds its own copy of the body (the same code the former
/// `#[inline(always)]` body functions inlined into their `#[target_feature]` callers); the
/// portable variant is `#[inline(always)]` into the entry.
macro_rules! dispatch {
    (
        $(#[$attr:meta])*
        $vis:vis unsafe fn $name:ident <$L:ident> $([$($gen:tt)*])? ($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)?
        $body:block
    ) => {
        $crate::kernels::dispatch::dispatch!(@names [] [$($($gen)*)?]
            {[unsafe] $(#[$attr])* $vis fn $name [$($($gen)*)?] ($($arg: $ty),*) $(-> $ret)?, $L, $body});
    };
    (
        $(#[$attr:meta])*
        $vis:vis fn $name:ident <$L:ident> $([$($gen:tt)*])? ($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)?
        $body:block
    ) => {
        $crate::kernels::dispatch::dispatch!(@names [] [$($($gen)*)?]
            {[] $(#[$attr])* $vis fn $name [$($($gen)*)?] ($($arg: $ty),*) $(-> $ret)?, $L, $body});
    };
    // The names of the generic parameters, for the calls of the variants.
    (@names [$($acc:tt)*] [const $c:ident : usize $(, $($rest:tt)*)?] $item:tt) => {
        $crate::kernels::dispatch::dispatch!(@names [$($acc)* $c,] [$($($rest)*)?] $item);
    };
    (@names [$($acc:tt)*] [$t:ident $(: $bound:path)? $(, $($rest:tt)*)?] $item:tt) => {
        $crate::kernels::dispatch::dispatch!(@names [$($acc)* $t,] [$($($rest)*)?] $item);
    };
    (@names [$($names:tt)*] []
        {[$($unsafe:tt)?] $(#[$attr:meta])* $vis:vis fn $name:ident [$($gen:tt)*] ($($arg:ident : $ty:ty),*)
            $(-> $ret:ty)?, $L:ident, $body:block}
    ) => {
        $(#[$attr])*
        $vis $($unsafe)? fn $name<$($gen)*>(isa: $crate::kernels::isa::Supported, $($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,avx2,fma")]
            $($unsafe)? fn avx512<$($gen)*>($($arg: $ty),*) $(-> $ret)? {
                #[allow(dead_code)]
                type $L = $crate::kernels::isa::level::Avx512;
                $body
            }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            $($unsafe)? fn avx2<$($gen)*>($($arg: $ty),*) $(-> $ret)? {
                #[allow(dead_code)]
                type $L = $crate::kernels::isa::level::Avx2Fma;
                $body
            }
            #[inline(always)]
            $($unsafe)? fn generic<$($gen)*>($($arg: $ty),*) $(-> $ret)? {
                #[allow(dead_code)]
                type $L = $crate::kernels::isa::level::Generic;
                $body
            }
            match isa.isa() {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: a `Supported` is made only after detecting its features on this CPU,
                // so the `#[target_feature]` variant may run; the body's own contract (if it is
                // an `unsafe fn`) is the entry's, forwarded.
                $crate::kernels::isa::Isa::Avx512 => unsafe { avx512::<$($names)*>($($arg),*) },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: as above.
                $crate::kernels::isa::Isa::Avx2Fma => unsafe { avx2::<$($names)*>($($arg),*) },
                #[allow(unused_unsafe)]
                // SAFETY: the portable variant needs no CPU feature; the contract of an
                // `unsafe` body is the entry's, forwarded.
                _ => unsafe { generic::<$($names)*>($($arg),*) },
            }
        }
    };
}

pub(crate) use dispatch;
