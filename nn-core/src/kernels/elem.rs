//! [`Elem`]: what the kernels need from a float type, and its per-type entries.

use core::fmt::Debug;
use core::ops::{Add, AddAssign, Mul, Sub, SubAssign};

use super::elementwise::lane;
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
    /// `σ(self) = 1 / (1 + exp(−self))` for one element, NaN for ±∞ and NaN (issue 10): the
    /// branch-free fast lane function for `f32` (`kernels::elementwise`, ≤ 1.8e−7 relative),
    /// libm for `f64`. Loops over it vectorise for `f32`.
    fn sigmoid_lane<const FMA: bool>(self) -> Self;
    /// `tanh(self)` for one element, NaN for ±∞ and NaN: as [`sigmoid_lane`](Elem::sigmoid_lane).
    fn tanh_lane<const FMA: bool>(self) -> Self;
}

macro_rules! elem {
    ($t:ty, $sigmoid:expr, $tanh:expr) => {
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
            #[inline(always)]
            fn sigmoid_lane<const FMA: bool>(self) -> Self {
                $sigmoid(self)
            }
            #[inline(always)]
            fn tanh_lane<const FMA: bool>(self) -> Self {
                $tanh(self)
            }
        }
    };
}

elem!(f32, lane::sigmoid::<FMA>, lane::tanh::<FMA>);
// `x · 0` is ±0 for a finite x (so adding it changes nothing; it keeps tanh(−0) = −0) and NaN
// for ±∞, so an infinity cannot saturate into a finite activation.
elem!(f64, |x: f64| 1.0 / (1.0 + (-x).exp()) + x * 0.0, |x: f64| x.tanh()
    + x * 0.0);
