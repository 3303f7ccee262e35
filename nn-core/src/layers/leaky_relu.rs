use crate::batch::{BatchBuf, BatchMut, BatchRef};
use crate::float::Float;
use crate::layers::{Layer, LayerOp};

/// Leaky Relu (PyTorch's `nn.LeakyReLU(negative_slope)`, default slope `α = 0.01`):
///
/// - forward: `y = x` for `x > 0`, `y = α·x` otherwise
/// - backward: `dx = dout` where `x > 0`, `dx = α·dout` otherwise (`α` at the kink `x = 0`,
///   as PyTorch)
///
/// NaN propagates (`y` and `dx` are NaN where `x` is); `±∞` give `±∞·` their slope.
///
/// # Shapes
/// `x, y, dout, dx: D × N`.
///
/// ```
/// use nn_core::{batch_from_rows, Layer, LeakyRelu};
/// let mut layer = LeakyRelu::<f64, 3>::new(0.1);
/// let x = batch_from_rows(&[[2.0, -3.0, 0.5]]);
/// assert_eq!(layer.forward(x.as_view()).as_slice(), &[2.0, -0.30000000000000004, 0.5]);
/// let dout = batch_from_rows(&[[1.0, 1.0, -2.0]]);
/// assert_eq!(layer.backward(x.as_view(), dout.as_view()).as_slice(), &[1.0, 0.1, -2.0]);
/// nn_core::gradcheck::check_layer(&mut layer, x.as_view()).assert_ok();
/// ```
#[derive(Clone, Debug)]
pub struct LeakyRelu<T, const D: usize> {
    alpha: T,
    y: BatchBuf<T, D>,
    dx: BatchBuf<T, D>,
}

impl<T: Float, const D: usize> LeakyRelu<T, D> {
    /// A leaky Relu with slope `negative_slope` for `x ≤ 0` (PyTorch's default is 0.01).
    /// Panics if the slope is not finite.
    #[track_caller]
    pub fn new(negative_slope: f64) -> Self {
        assert!(
            negative_slope.is_finite(),
            "LeakyRelu::new: negative_slope must be finite, got {negative_slope}"
        );
        Self {
            alpha: T::cast(negative_slope),
            y: BatchBuf::new(),
            dx: BatchBuf::new(),
        }
    }

    /// The slope `α` for `x ≤ 0`.
    pub fn negative_slope(&self) -> T {
        self.alpha
    }
}

/// `y = x` for `x > 0`, `α·x` otherwise (NaN: `α·NaN`).
#[inline]
fn leaky<T: Float>(alpha: T, x: &[T], y: &mut [T]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y = if x > T::zero() { x } else { alpha * x };
    }
}

impl<T: Float, const D: usize> Layer<T, D, D> for LeakyRelu<T, D> {
    /// `Unary("LeakyRelu")` when the slope is ONNX's default 0.01 (the exporter writes no
    /// attributes), `None` for any other slope.
    fn op(&self) -> Option<LayerOp<'_, T>> {
        (self.alpha == T::cast(0.01)).then_some(LayerOp::Unary("LeakyRelu"))
    }

    fn forward(&mut self, x: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
        self.y.resize(x.ncols());
        leaky(self.alpha, x.as_slice(), self.y.as_mut_slice());
        self.y.view()
    }

    fn backward(&mut self, x: BatchRef<'_, T, D>, dout: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
        assert!(
            dout.ncols() == self.y.ncols() && x.ncols() == self.y.ncols(),
            "LeakyRelu::backward: x has {} samples and dout {}, the last forward had {}",
            x.ncols(),
            dout.ncols(),
            self.y.ncols()
        );
        self.dx.resize(dout.ncols());
        for ((dx, &d), &x) in self.dx.as_mut_slice().iter_mut().zip(dout.as_slice()).zip(x.as_slice()) {
            // NaN where x is NaN (neither branch's comparison holds).
            *dx = if x > T::zero() {
                d
            } else if x <= T::zero() {
                self.alpha * d
            } else {
                x
            };
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
            "LeakyRelu::infer: x has {} samples, out {}",
            x.ncols(),
            out.ncols()
        );
        leaky(self.alpha, x.as_slice(), out.as_mut_slice());
    }
}
