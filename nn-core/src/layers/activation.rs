//! The element-wise activation layers, written once: [`Activation<T, D, F>`] applies a
//! function `f` to every element and multiplies the incoming gradient by its derivative.
//! [`Sigmoid`], [`Tanh`] and [`Relu`] are that layer with one [`ActivationFn`] each (as are
//! `Gelu`, `GeluTanh` and `Softplus`, in their own files), and a new activation is one more
//! `ActivationFn` (a few lines, see its example).
//!
//! Non-finite inputs: the three built-ins give NaN for NaN **and ±∞** (not the limits 0, ±1 or
//! `max(−∞, 0) = 0`), so a poisoned input or an overflow upstream reaches the loss as a
//! non-finite value instead of saturating into a plausible activation (issue 10).

use core::fmt;
use core::marker::PhantomData;

use crate::batch::{BatchBuf, BatchMut, BatchRef};
use crate::float::{finite_zero, Float};
use crate::layers::{Layer, LayerOp};

/// An element-wise function and its derivative: what an [`Activation`] layer needs.
///
/// `f` works on whole slices so that built-ins can use vectorised kernels; `df` is the
/// derivative at one element, given the input `x` and the output `y = f(x)` (for sigmoid
/// `y (1 − y)`, for tanh `1 − y²`: the book's backward formulas use the output).
///
/// ```
/// use nn::{Activation, ActivationFn, Float, Layer};
///
/// /// Softsign, `y = x / (1 + |x|)`, `dy/dx = 1 / (1 + |x|)²`.
/// #[derive(Clone, Copy, Debug, Default)]
/// pub struct SoftsignFn;
///
/// impl ActivationFn for SoftsignFn {
///     const NAME: &'static str = "Softsign";
///     fn f<T: Float>(x: &[T], y: &mut [T]) {
///         for (y, &x) in y.iter_mut().zip(x) {
///             *y = x / (T::one() + x.abs());
///         }
///     }
///     fn df<T: Float>(x: T, _y: T) -> T {
///         let s = T::one() + x.abs();
///         T::one() / (s * s)
///     }
/// }
///
/// /// The layer: usable in `network!` as `softsign: crate::Softsign`.
/// pub type Softsign<T, const D: usize> = Activation<T, D, SoftsignFn>;
///
/// let mut layer = Softsign::<f64, 2>::new();
/// let x = nn::batch_from_rows(&[[0.5, -3.0]]);
/// assert_eq!(layer.forward(x.as_view()).as_slice(), &[1.0 / 3.0, -0.75]);
/// nn::gradcheck::check_layer(&mut layer, x.as_view()).assert_ok();
/// ```
pub trait ActivationFn {
    /// The layer's name in summaries (`Sigmoid`).
    const NAME: &'static str;

    /// `y[i] = f(x[i])` for every element (`x` and `y` have the same length).
    fn f<T: Float>(x: &[T], y: &mut [T]);

    /// `f'(x)`, given `x` and `y = f(x)`.
    fn df<T: Float>(x: T, y: T) -> T;

    /// The ONNX operator type computing `f` element-wise without attributes (`"Sigmoid"`,
    /// `"Tanh"`, `"Relu"`), for exporters; `None` (the default) if there is none, and
    /// exporting a network with this activation then fails with an error naming it.
    const OP: Option<&'static str> = None;
}

/// An element-wise activation layer on `D` features: `y = f(x)`, `dx = dout ⊙ f'(x)`.
/// Keeps `y`.
///
/// - forward: `y = f(x)` element by element
/// - backward: `dx = dout ⊙ df(x, y)`
///
/// # Shapes
/// `x, y, dout, dx: D × N`.
pub struct Activation<T, const D: usize, F> {
    y: BatchBuf<T, D>,
    dx: BatchBuf<T, D>,
    f: PhantomData<fn() -> F>,
}

/// The book's `Sigmoid` layer: `y = 1 / (1 + exp(−x))`, `dx = dout ⊙ y ⊙ (1 − y)`.
pub type Sigmoid<T, const D: usize> = Activation<T, D, SigmoidFn>;
/// Hyperbolic tangent: `y = tanh(x)`, `dx = dout ⊙ (1 − y²)`.
pub type Tanh<T, const D: usize> = Activation<T, D, TanhFn>;
/// The book's `Relu` layer: `y = max(x, 0)` (NaN for NaN and ±∞), `dx = dout ⊙ [x > 0]` (0
/// at the kink).
pub type Relu<T, const D: usize> = Activation<T, D, ReluFn>;

impl<T: Float, const D: usize, F> Activation<T, D, F> {
    /// The layer (its buffers grow on the first batch).
    pub fn new() -> Self {
        Self {
            y: BatchBuf::new(),
            dx: BatchBuf::new(),
            f: PhantomData,
        }
    }
}

impl<T: Float, const D: usize, F> Default for Activation<T, D, F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float, const D: usize, F> Clone for Activation<T, D, F> {
    fn clone(&self) -> Self {
        Self {
            y: self.y.clone(),
            dx: self.dx.clone(),
            f: PhantomData,
        }
    }
}

impl<T: Float, const D: usize, F: ActivationFn> fmt::Debug for Activation<T, D, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(F::NAME).field("y", &self.y).finish_non_exhaustive()
    }
}

impl<T: Float, const D: usize, F: ActivationFn> Layer<T, D, D> for Activation<T, D, F> {
    /// `Unary(F::OP)`, `None` if the function has no ONNX operator.
    fn op(&self) -> Option<LayerOp<'_, T>> {
        F::OP.map(LayerOp::Unary)
    }

    fn forward(&mut self, x: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
        self.y.resize(x.ncols());
        F::f(x.as_slice(), self.y.as_mut_slice());
        self.y.view()
    }

    fn backward(&mut self, x: BatchRef<'_, T, D>, dout: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
        assert!(
            dout.ncols() == self.y.ncols() && x.ncols() == self.y.ncols(),
            "{}::backward: x has {} samples and dout {}, the last forward had {}",
            F::NAME,
            x.ncols(),
            dout.ncols(),
            self.y.ncols()
        );
        self.dx.resize(dout.ncols());
        let (xs, ys) = (x.as_slice(), self.y.as_slice());
        for (((dx, &d), &x), &y) in self.dx.as_mut_slice().iter_mut().zip(dout.as_slice()).zip(xs).zip(ys) {
            *dx = d * F::df(x, y);
        }
        self.dx.view()
    }

    fn output(&self) -> BatchRef<'_, T, D> {
        self.y.view()
    }

    fn infer(&self, x: BatchRef<'_, T, D>, mut out: BatchMut<'_, T, D>) {
        assert_eq!(
            x.ncols(),
            out.ncols(),
            "{}::infer: x has {} samples, out {}",
            F::NAME,
            x.ncols(),
            out.ncols()
        );
        F::f(x.as_slice(), out.as_mut_slice());
    }
}

/// `σ(x) = 1 / (1 + exp(−x))` (a fast vectorised kernel in `f32`, libm in `f64`);
/// `σ'(x) = y (1 − y)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SigmoidFn;

impl ActivationFn for SigmoidFn {
    const NAME: &'static str = "Sigmoid";
    const OP: Option<&'static str> = Some("Sigmoid");
    #[inline]
    fn f<T: Float>(x: &[T], y: &mut [T]) {
        T::sigmoid_slice(x, y)
    }
    #[inline(always)]
    fn df<T: Float>(_x: T, y: T) -> T {
        y * (T::one() - y)
    }
}

/// `tanh(x)` (a fast vectorised kernel in `f32`, libm in `f64`); `tanh'(x) = 1 − y²`.
#[derive(Clone, Copy, Debug, Default)]
pub struct TanhFn;

impl ActivationFn for TanhFn {
    const NAME: &'static str = "Tanh";
    const OP: Option<&'static str> = Some("Tanh");
    #[inline]
    fn f<T: Float>(x: &[T], y: &mut [T]) {
        T::tanh_slice(x, y)
    }
    #[inline(always)]
    fn df<T: Float>(_x: T, y: T) -> T {
        T::one() - y * y
    }
}

/// `max(x, 0)` for finite `x`, NaN for NaN and ±∞ (issue 10: a NaN must reach the loss, not
/// become a silent 0, and neither may −∞, which `max` would turn into 0); derivative
/// `[y > 0]`, NaN where `y` is NaN. Written as `max(x, x − x)` with the NaN-propagating
/// operand order (`x − x` is 0, or NaN for a non-finite `x`; `if x > z { x } else { z }`
/// returns `z` when either is NaN), the same two instructions per vector as `max(x, 0)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReluFn;

impl ActivationFn for ReluFn {
    const NAME: &'static str = "Relu";
    const OP: Option<&'static str> = Some("Relu");
    #[inline]
    fn f<T: Float>(x: &[T], y: &mut [T]) {
        assert_eq!(x.len(), y.len(), "Relu: input and output lengths differ");
        for (y, &x) in y.iter_mut().zip(x) {
            let z = finite_zero(x);
            *y = if x > z { x } else { z };
        }
    }
    #[inline(always)]
    fn df<T: Float>(_x: T, y: T) -> T {
        let z = finite_zero(y);
        if y > z {
            T::one()
        } else {
            z
        }
    }
}
