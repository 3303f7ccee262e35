use crate::float::{finite_zero, Float};
use crate::layers::{Activation, ActivationFn};

/// Softplus (PyTorch's `nn.Softplus` with `beta = 1`, `threshold = 20`), a smooth Relu:
///
/// - forward: `y = ln(1 + eˣ)` (`ln_1p(exp x)`, exact for very negative `x`), and `y = x`
///   for `x > 20` (where they agree to 2·10⁻⁹ relative)
/// - backward: `dx = dout ⊙ σ(x)` with `σ(x) = eˣ / (eˣ + 1)`, and `dx = dout` for `x > 20`
///   (PyTorch's backward)
///
/// Unlike PyTorch it gives NaN for ±∞ as well as NaN (not the limits `+∞` and `0`), like the
/// other built-in activations: a non-finite activation must reach the loss.
///
/// # Shapes
/// `x, y, dout, dx: D × N`.
///
/// ```
/// use nn_core::{batch_from_rows, Layer, Softplus};
/// let mut layer = Softplus::<f64, 3>::new();
/// let x = batch_from_rows(&[[0.0, -40.0, 25.0]]);
/// let y = layer.forward(x.as_view());
/// assert!((y[(0, 0)] - 2f64.ln()).abs() < 1e-15);
/// assert!((y[(1, 0)] / (-40f64).exp() - 1.0).abs() < 1e-15); // no cancellation
/// assert_eq!(y[(2, 0)], 25.0);
/// nn_core::gradcheck::check_layer(&mut layer, x.as_view()).assert_ok();
/// ```
pub type Softplus<T, const D: usize> = Activation<T, D, SoftplusFn>;

/// PyTorch's softplus threshold: above it `y = x`.
const THRESHOLD: f64 = 20.0;

/// `ln(1 + eˣ)` (`x` above 20), NaN for NaN and ±∞; derivative `σ(x)` (1 above 20).
#[derive(Clone, Copy, Debug, Default)]
pub struct SoftplusFn;

impl ActivationFn for SoftplusFn {
    const NAME: &'static str = "Softplus";
    /// ONNX's `Softplus`, `ln(exp(x) + 1)` (no threshold; the same to 2·10⁻⁹ above 20).
    const OP: Option<&'static str> = Some("Softplus");

    #[inline]
    fn f<T: Float>(x: &[T], y: &mut [T]) {
        assert_eq!(x.len(), y.len(), "Softplus: input and output lengths differ");
        let threshold = T::cast(THRESHOLD);
        for (y, &x) in y.iter_mut().zip(x) {
            let v = if x > threshold { x } else { x.exp().ln_1p() };
            // `+ (x − x)`: NaN for ±∞ (ln_1p(exp(−∞)) would be a plausible 0).
            *y = v + finite_zero(x);
        }
    }

    #[inline(always)]
    fn df<T: Float>(x: T, _y: T) -> T {
        if x > T::cast(THRESHOLD) {
            T::one()
        } else {
            let z = x.exp();
            z / (z + T::one())
        }
    }
}
