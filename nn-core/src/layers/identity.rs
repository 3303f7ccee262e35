use crate::batch::{BatchBuf, BatchMut, BatchRef};
use crate::float::Float;
use crate::layers::{Layer, LayerOp};

/// The identity (PyTorch's `nn.Identity`): a placeholder layer that passes its input on.
///
/// - forward: `y = x`
/// - backward: `dx = dout`
///
/// # Shapes
/// `x, y, dout, dx: D × N`. Copies into its own buffers (a layer returns views of what it
/// owns).
///
/// ```
/// use nn_core::{batch_from_rows, Identity, Layer};
/// let mut id = Identity::<f64, 2>::new();
/// let x = batch_from_rows(&[[1.0, -2.0], [0.5, 3.0]]);
/// assert_eq!(id.forward(x.as_view()), x);
/// let dout = batch_from_rows(&[[0.25, 1.0], [-1.0, 2.0]]);
/// assert_eq!(id.backward(x.as_view(), dout.as_view()), dout);
/// nn_core::gradcheck::check_layer(&mut id, x.as_view()).assert_ok();
/// ```
#[derive(Clone, Debug, Default)]
pub struct Identity<T, const D: usize> {
    y: BatchBuf<T, D>,
    dx: BatchBuf<T, D>,
}

impl<T: Float, const D: usize> Identity<T, D> {
    /// The identity (its buffers grow on the first batch).
    pub fn new() -> Self {
        Self {
            y: BatchBuf::new(),
            dx: BatchBuf::new(),
        }
    }
}

impl<T: Float, const D: usize> Layer<T, D, D> for Identity<T, D> {
    /// [`LayerOp::Identity`].
    fn op(&self) -> Option<LayerOp<'_, T>> {
        Some(LayerOp::Identity)
    }

    fn forward(&mut self, x: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
        self.y.copy_from(x);
        self.y.view()
    }

    fn backward(&mut self, x: BatchRef<'_, T, D>, dout: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
        assert!(
            dout.ncols() == self.y.ncols() && x.ncols() == self.y.ncols(),
            "Identity::backward: x has {} samples and dout {}, the last forward had {}",
            x.ncols(),
            dout.ncols(),
            self.y.ncols()
        );
        self.dx.copy_from(dout);
        self.dx.view()
    }

    fn output(&self) -> BatchRef<'_, T, D> {
        self.y.view()
    }

    fn infer(&self, x: BatchRef<'_, T, D>, mut out: BatchMut<'_, T, D>) {
        assert_eq!(
            x.ncols(),
            out.ncols(),
            "Identity::infer: x has {} samples, out {}",
            x.ncols(),
            out.ncols()
        );
        out.as_mut_slice().copy_from_slice(x.as_slice());
    }
}
