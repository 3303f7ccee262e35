//! The float types a network can be built on: `f32` (speed) and `f64` (gradient checks).

use core::fmt::{Debug, Display};
use core::iter::Sum;

use crate::kernels::elementwise;
use crate::kernels::Elem;

/// A float type layers compute in: implemented for `f32` and `f64` only.
///
/// Besides nalgebra's [`RealField`](nalgebra::RealField) arithmetic it carries the few slice
/// kernels the hot loops need, so each float type picks its own implementation (a fast,
/// vectorisable approximation for `f32`, libm for `f64` so gradient checks stay exact). It is
/// sealed: its other supertrait, through which the matrix-product kernels are picked per float
/// type, cannot be named outside this crate.
pub trait Float:
    nalgebra::RealField + Copy + Default + Debug + Display + Sum + Send + Sync + Elem + From<Number> + 'static
{
    /// Converts from `f64` (rounding for `f32`).
    fn cast(v: f64) -> Self;
    /// Converts to `f64` (exact).
    fn as_f64(self) -> f64;
    /// Converts a count (e.g. a batch size) to this float type.
    fn count(n: usize) -> Self;

    /// `y[i] = 1 / (1 + exp(-x[i]))` for every element, NaN where `x[i]` is NaN or ±∞ (not
    /// the limits 0 and 1: an infinite activation must reach the loss as a non-finite value).
    /// Panics if the lengths differ.
    fn sigmoid_slice(x: &[Self], y: &mut [Self]);
    /// `y[i] = tanh(x[i])` for every element, NaN where `x[i]` is NaN or ±∞ (not ±1). Panics
    /// if the lengths differ.
    fn tanh_slice(x: &[Self], y: &mut [Self]);
    /// `x[i] = exp(x[i])` in place (IEEE limits: exp(−∞) = 0, exp(+∞) = +∞, NaN stays NaN).
    fn exp_in_place(x: &mut [Self]);
    /// The complementary error function `erfc(x) = 1 − erf(x)` (libm's `erfcf` / `erfc`:
    /// accurate in both tails, where `1 − erf(x)` would cancel). NaN stays NaN.
    fn erfc(self) -> Self;
}

/// A number written in a `network!` layer list, on its way to a layer's constructor.
///
/// `network!` passes a user layer's float literal argument as
/// `Into::into(Number(0.01))`, so `crate::Leaky(0.01)` reaches a `new(alpha: T)` as the
/// network's float type `T` (every [`Float`] converts from it) and a `new(alpha: f64)` as an
/// `f64`, without the user spelling a type.
///
/// ```
/// use nn::Number;
/// fn scale<T: nn::Float>(a: T) -> T { a }
/// assert_eq!(scale::<f32>(Number(0.25).into()), 0.25f32);
/// let exact: f64 = Number(0.1).into();
/// assert_eq!(exact, 0.1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Number(pub f64);

impl From<Number> for f32 {
    /// Rounds to the nearest `f32`.
    fn from(n: Number) -> f32 {
        n.0 as f32
    }
}

impl From<Number> for f64 {
    fn from(n: Number) -> f64 {
        n.0
    }
}

/// `+0` for a finite `x`, NaN for NaN and ±∞ (`x − x`). Added to a value (or compared
/// against, as Relu does), it makes that value NaN exactly when `x` is not finite, without a
/// branch: how the layers keep a non-finite value from turning finite (issue 10).
#[inline(always)]
#[allow(clippy::eq_op)] // `x − x` is not 0 for NaN or ±∞: that is the point
pub(crate) fn finite_zero<T: Float>(x: T) -> T {
    x - x
}

impl Float for f32 {
    #[inline(always)]
    fn cast(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn as_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn count(n: usize) -> Self {
        n as f32
    }
    #[inline]
    fn sigmoid_slice(x: &[Self], y: &mut [Self]) {
        elementwise::sigmoid_f32(x, y)
    }
    #[inline]
    fn tanh_slice(x: &[Self], y: &mut [Self]) {
        elementwise::tanh_f32(x, y)
    }
    #[inline]
    fn exp_in_place(x: &mut [Self]) {
        elementwise::exp_f32_in_place(x)
    }
    #[inline]
    fn erfc(self) -> Self {
        libm::erfcf(self)
    }
}

impl Float for f64 {
    #[inline(always)]
    fn cast(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn as_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn count(n: usize) -> Self {
        n as f64
    }
    #[inline]
    fn sigmoid_slice(x: &[Self], y: &mut [Self]) {
        assert_eq!(x.len(), y.len(), "sigmoid_slice: input and output lengths differ");
        for (y, &x) in y.iter_mut().zip(x) {
            *y = x.sigmoid_lane::<false>();
        }
    }
    #[inline]
    fn tanh_slice(x: &[Self], y: &mut [Self]) {
        assert_eq!(x.len(), y.len(), "tanh_slice: input and output lengths differ");
        for (y, &x) in y.iter_mut().zip(x) {
            *y = x.tanh_lane::<false>();
        }
    }
    #[inline]
    fn exp_in_place(x: &mut [Self]) {
        for v in x {
            *v = v.exp();
        }
    }
    #[inline]
    fn erfc(self) -> Self {
        libm::erfc(self)
    }
}
