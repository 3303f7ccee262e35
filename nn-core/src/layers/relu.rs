use crate::{BatchBuf, BatchMut, BatchRef, Float, Layer};

/// The book's `Relu` layer, elementwise `y = max(x, 0)`. Keeps `y` (its sign is the mask).
///
/// - forward: `y = max(x, 0)` (NaN stays NaN)
/// - backward: `dx = dout ⊙ [x > 0]` (0 at the kink `x = 0`)
///
/// # Shapes
/// `x, y, dout, dx: D × N`.
#[derive(Clone, Debug, Default)]
pub struct Relu<T, const D: usize> {
    y: BatchBuf<T, D>,
    dx: BatchBuf<T, D>,
}

impl<T: Float, const D: usize> Relu<T, D> {
    /// A ReLU layer.
    pub fn new() -> Self {
        Self {
            y: BatchBuf::new(),
            dx: BatchBuf::new(),
        }
    }
}

/// `max(x, 0)`, written so that a NaN stays a NaN (`NaN <= 0` is false): a NaN input must
/// reach the loss, not become a silent 0.
#[inline]
fn relu_slice<T: Float>(x: &[T], y: &mut [T]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y = if x <= T::zero() { T::zero() } else { x };
    }
}

impl<T: Float, const D: usize> Layer<T, D, D> for Relu<T, D> {
    fn forward(&mut self, x: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
        self.y.resize(x.ncols());
        relu_slice(x.as_slice(), self.y.as_mut_slice());
        self.y.view()
    }

    fn backward(&mut self, _x: BatchRef<'_, T, D>, dout: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
        assert_eq!(
            dout.ncols(),
            self.y.ncols(),
            "Relu::backward: dout has {} samples, the last forward had {}",
            dout.ncols(),
            self.y.ncols()
        );
        self.dx.resize(dout.ncols());
        for ((dx, &d), &y) in self
            .dx
            .as_mut_slice()
            .iter_mut()
            .zip(dout.as_slice())
            .zip(self.y.as_slice())
        {
            *dx = if y > T::zero() { d } else { T::zero() };
        }
        self.dx.view()
    }

    fn output(&self) -> BatchRef<'_, T, D> {
        self.y.view()
    }

    fn infer(&self, x: BatchRef<'_, T, D>, mut out: BatchMut<'_, T, D>) {
        relu_slice(x.as_slice(), out.as_mut_slice());
    }
}
