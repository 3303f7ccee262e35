use crate::{BatchBuf, BatchMut, BatchRef, Float, Layer};

/// Hyperbolic tangent, elementwise `y = tanh(x)`. Keeps `y`.
///
/// - forward: `y = tanh(x)`
/// - backward: `dx = dout ⊙ (1 − y²)`
///
/// # Shapes
/// `x, y, dout, dx: D × N`.
#[derive(Clone, Debug, Default)]
pub struct Tanh<T, const D: usize> {
    y: BatchBuf<T, D>,
    dx: BatchBuf<T, D>,
}

impl<T: Float, const D: usize> Tanh<T, D> {
    /// A tanh layer.
    pub fn new() -> Self {
        Self {
            y: BatchBuf::new(),
            dx: BatchBuf::new(),
        }
    }
}

impl<T: Float, const D: usize> Layer<T, D, D> for Tanh<T, D> {
    fn forward(&mut self, x: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
        self.y.resize(x.ncols());
        T::tanh_slice(x.as_slice(), self.y.as_mut_slice());
        self.y.view()
    }

    fn backward(&mut self, _x: BatchRef<'_, T, D>, dout: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
        assert_eq!(
            dout.ncols(),
            self.y.ncols(),
            "Tanh::backward: dout has {} samples, the last forward had {}",
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
            *dx = d * (T::one() - y * y);
        }
        self.dx.view()
    }

    fn output(&self) -> BatchRef<'_, T, D> {
        self.y.view()
    }

    fn infer(&self, x: BatchRef<'_, T, D>, mut out: BatchMut<'_, T, D>) {
        T::tanh_slice(x.as_slice(), out.as_mut_slice());
    }
}
