//! [`Elem`]: what the kernels need from a float type, and its per-type entries.

use core::fmt::Debug;
use core::ops::{Add, AddAssign, Mul, Sub, SubAssign};

use super::gemm::Tiles;
use super::isa::level::{Avx2Fma, Avx512, Generic};

/// `f32` or `f64` as the kernels see them: plain arithmetic, and the GEMM's tiles at every
/// instruction-set level ([`Tiles`]). A supertrait of [`Float`](crate::float::Float) that code
/// outside this crate cannot name, so `Float` is sealed: its kernels are picked per float
/// type through this trait, with no run-time type test.
pub trait Elem:
    Copy
    + Debug
    + PartialEq
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + AddAssign
    + SubAssign
    + Send
    + Sync
    + 'static
    + Tiles<Avx512>
    + Tiles<Avx2Fma>
    + Tiles<Generic>
{
    /// `0`.
    const ZERO: Self;
    /// `1`.
    const ONE: Self;
    /// `self·a + b`, fused when `FMA` (the caller's target has an FMA instruction), else
    /// a multiply and an add (a fused `mul_add` without hardware support is a slow libm call).
    fn madd<const FMA: bool>(self, a: Self, b: Self) -> Self;
}

macro_rules! elem {
    ($t:ty) => {
        impl Elem for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            #[inline(always)]
            fn madd<const FMA: bool>(self, a: Self, b: Self) -> Self {
                if FMA {
                    self.mul_add(a, b)
                } else {
                    self * a + b
                }
            }
        }
    };
}

elem!(f32);
elem!(f64);
