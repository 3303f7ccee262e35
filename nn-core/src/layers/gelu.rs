//! The Gaussian error linear unit, exact ([`Gelu`], PyTorch's `nn.GELU()`) and with the tanh
//! approximation ([`GeluTanh`], `nn.GELU(approximate='tanh')`).

use crate::float::Float;
use crate::layers::{Activation, ActivationFn};

/// The exact GELU (PyTorch's `nn.GELU()`), `x` weighted by the standard normal CDF `Φ`:
///
/// - forward: `y = x·Φ(x) = ½·x·(1 + erf(x/√2))`, computed as `½·x·erfc(−x/√2)` (no
///   cancellation for negative `x`)
/// - backward: `dx = dout ⊙ (Φ(x) + x·φ(x))`, `φ(x) = exp(−x²/2)/√(2π)`
///
/// # Shapes
/// `x, y, dout, dx: D × N`.
///
/// ```
/// use nn_core::{batch_from_rows, Gelu, Layer};
/// let mut layer = Gelu::<f64, 3>::new();
/// let x = batch_from_rows(&[[0.0, 1.0, -1.0]]);
/// let y = layer.forward(x.as_view());
/// assert_eq!(y[(0, 0)], 0.0);
/// assert!((y[(1, 0)] - 0.8413447460685429).abs() < 1e-15); // Φ(1)
/// assert!((y[(2, 0)] + 0.15865525393145707).abs() < 1e-15); // −Φ(−1)
/// nn_core::gradcheck::check_layer(&mut layer, x.as_view()).assert_ok();
/// ```
pub type Gelu<T, const D: usize> = Activation<T, D, GeluFn>;

/// GELU with PyTorch's tanh approximation (`nn.GELU(approximate='tanh')`), with its own exact
/// derivative:
///
/// - forward: `y = ½·x·(1 + tanh(u))`, `u = √(2/π)·(x + 0.044715·x³)`, computed as
///   `x·σ(2u)` (the same function: `1 + tanh u = 2σ(2u)`, without cancellation for
///   negative `x`)
/// - backward: `dx = dout ⊙ (s + x·s·(1 − s)·2u′)` with `s = σ(2u)` and
///   `u′ = √(2/π)·(1 + 3·0.044715·x²)`, that is `½(1 + tanh u) + ½x(1 − tanh²u)·u′`
///
/// # Shapes
/// `x, y, dout, dx: D × N`.
///
/// ```
/// use nn_core::{batch_from_rows, GeluTanh, Layer};
/// let mut layer = GeluTanh::<f64, 2>::new();
/// let x = batch_from_rows(&[[1.0, -1.0]]);
/// let y = layer.forward(x.as_view());
/// let u = (2.0 / std::f64::consts::PI).sqrt() * (1.0 + 0.044715);
/// assert!((y[(0, 0)] - 0.5 * (1.0 + u.tanh())).abs() < 1e-15);
/// assert!((y[(1, 0)] + 0.5 * (1.0 - u.tanh())).abs() < 1e-15);
/// nn_core::gradcheck::check_layer(&mut layer, x.as_view()).assert_ok();
/// ```
pub type GeluTanh<T, const D: usize> = Activation<T, D, GeluTanhFn>;

/// `1/√2`.
const FRAC_1_SQRT_2: f64 = core::f64::consts::FRAC_1_SQRT_2;
/// `1/√(2π)`.
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
/// `√(2/π)`.
const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
/// The cubic coefficient of the tanh approximation.
const CUBIC: f64 = 0.044715;

/// `x·Φ(x)` with `Φ(x) = ½·erfc(−x/√2)`; derivative `Φ(x) + x·φ(x)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GeluFn;

impl ActivationFn for GeluFn {
    const NAME: &'static str = "Gelu";

    #[inline]
    fn f<T: Float>(x: &[T], y: &mut [T]) {
        assert_eq!(x.len(), y.len(), "Gelu: input and output lengths differ");
        for (y, &x) in y.iter_mut().zip(x) {
            *y = x * cdf(x);
        }
    }

    #[inline(always)]
    fn df<T: Float>(x: T, _y: T) -> T {
        let pdf = T::cast(FRAC_1_SQRT_2PI) * (-(x * x) * T::cast(0.5)).exp();
        cdf(x) + x * pdf
    }
}

/// The standard normal CDF, `Φ(x) = ½·erfc(−x/√2)`.
#[inline(always)]
fn cdf<T: Float>(x: T) -> T {
    T::cast(0.5) * (-x * T::cast(FRAC_1_SQRT_2)).erfc()
}

/// `x·σ(2u)` = `½·x·(1 + tanh u)`, `u = √(2/π)·(x + 0.044715·x³)`; derivative
/// `s + x·s·(1 − s)·2u′`, `s = σ(2u)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GeluTanhFn;

impl ActivationFn for GeluTanhFn {
    const NAME: &'static str = "GeluTanh";

    #[inline]
    fn f<T: Float>(x: &[T], y: &mut [T]) {
        assert_eq!(x.len(), y.len(), "GeluTanh: input and output lengths differ");
        for (y, &x) in y.iter_mut().zip(x) {
            *y = x * sigmoid_2u(x);
        }
    }

    #[inline(always)]
    fn df<T: Float>(x: T, _y: T) -> T {
        let s = sigmoid_2u(x);
        let t = s * (T::one() - s);
        if t == T::zero() {
            // |x| so large that σ(2u) is exactly 0 or 1: the second term is 0 (and `u′` may
            // have overflowed, which would make it 0·∞ = NaN).
            s
        } else {
            let du = T::cast(SQRT_2_OVER_PI) * (T::one() + T::cast(3.0 * CUBIC) * x * x);
            s + x * t * (du + du)
        }
    }
}

/// `σ(2u) = 1 / (1 + exp(−2u))`, `u = √(2/π)·(x + 0.044715·x³)`.
#[inline(always)]
fn sigmoid_2u<T: Float>(x: T) -> T {
    let u = T::cast(SQRT_2_OVER_PI) * (x + T::cast(CUBIC) * x * x * x);
    T::one() / (T::one() + (-(u + u)).exp())
}
