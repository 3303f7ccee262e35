use nalgebra::{SMatrix, SVector};

use super::linear::{self, FusedLinear, Sealed};
use crate::batch::{BatchBuf, BatchMut, BatchRef};
use crate::float::Float;
use crate::init::Init;
use crate::input::Input;
use crate::kernels::heap::HeapMatrix;
use crate::layers::{Layer, LayerOp};
use crate::param::Param;
use crate::state::{Shape, TensorMut, TensorRef};

/// The book's `Affine` layer (a fully connected layer), `y = W·x + b` (the book's
/// `y = x·W + b` with samples as rows).
///
/// The bias add is a hidden Repeat node (`b` broadcast over the batch), so its gradient is
/// a Sum node:
/// - forward: `y = W·x + repeat(b)`
/// - backward: `dx = Wᵀ·dout`, `dW = dout·xᵀ`, `db = Σₙ dout[:, n]`
///
/// # Shapes
/// `x: IN × N`, `W: OUT × IN` (the book's `W` transposed), `b: OUT`, `y, dout: OUT × N`,
/// `dx: IN × N`. Weights and gradients live on the heap.
///
/// ```
/// use nn_core::{batch_from_rows, Affine, Layer};
/// let mut fc = Affine::<f64, 2, 1>::new();
/// fc.w[(0, 0)] = 1.0;
/// fc.w[(0, 1)] = 2.0;
/// fc.b[0] = 0.5;
/// let y = fc.forward(batch_from_rows(&[[1.0, 1.0], [2.0, 0.0]]).as_view());
/// assert_eq!(y.as_slice(), &[3.5, 2.5]);
/// ```
#[derive(Clone, Debug)]
pub struct Affine<T: Float, const IN: usize, const OUT: usize> {
    /// `W` (`OUT × IN`).
    pub w: HeapMatrix<T, OUT, IN>,
    /// `b` (`OUT`).
    pub b: HeapMatrix<T, OUT, 1>,
    /// `∂L/∂W` from the last backward.
    pub dw: HeapMatrix<T, OUT, IN>,
    /// `∂L/∂b` from the last backward.
    pub db: HeapMatrix<T, OUT, 1>,
    y: BatchBuf<T, OUT>,
    dx: BatchBuf<T, IN>,
}

impl<T: Float, const IN: usize, const OUT: usize> Affine<T, IN, OUT> {
    /// A layer with zero weights and biases; the network (or [`Layer::init_params`]) draws
    /// the weights.
    pub fn new() -> Self {
        Self {
            w: HeapMatrix::zeros(),
            b: HeapMatrix::zeros(),
            dw: HeapMatrix::zeros(),
            db: HeapMatrix::zeros(),
            y: BatchBuf::new(),
            dx: BatchBuf::new(),
        }
    }

    /// A layer with the given weights (`OUT × IN`) and biases.
    pub fn from_weights(w: &SMatrix<T, OUT, IN>, b: &SVector<T, OUT>) -> Self {
        let mut layer = Self::new();
        layer.w.copy_from(w);
        layer.b.copy_from(b);
        layer
    }
}

impl<T: Float, const IN: usize, const OUT: usize> Default for Affine<T, IN, OUT> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float, const IN: usize, const OUT: usize> Layer<T, IN, OUT> for Affine<T, IN, OUT> {
    const PARAMS: usize = IN * OUT + OUT;

    /// `Linear` with `W` and `b`.
    fn op(&self) -> Option<LayerOp<'_, T>> {
        Some(LayerOp::Linear {
            weight: self.w.as_slice(),
            bias: Some(self.b.as_slice()),
            inputs: IN,
            outputs: OUT,
        })
    }

    fn forward(&mut self, x: BatchRef<'_, T, IN>) -> BatchRef<'_, T, OUT> {
        linear::forward_buf::<T, IN, OUT>(self.w.as_slice(), Some(self.b.as_slice()), x, &mut self.y)
    }

    fn backward(&mut self, x: BatchRef<'_, T, IN>, dout: BatchRef<'_, T, OUT>) -> BatchRef<'_, T, IN> {
        FusedLinear::backward_params(self, x, dout);
        linear::backward_dx_buf::<T, IN, OUT>(self.w.as_slice(), dout, &mut self.dx)
    }

    fn output(&self) -> BatchRef<'_, T, OUT> {
        self.y.view()
    }

    fn infer(&self, x: BatchRef<'_, T, IN>, out: BatchMut<'_, T, OUT>) {
        linear::infer::<T, IN, OUT>("Affine", self.w.as_slice(), Some(self.b.as_slice()), x, out);
    }

    fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, T>)) {
        f(Param::new("w", self.w.as_mut_slice(), self.dw.as_slice()));
        f(Param::new("b", self.b.as_mut_slice(), self.db.as_slice()));
    }

    fn init_params(&mut self, init: &mut Init<'_>) {
        init.fill(self.w.as_mut_slice(), IN);
        self.b.fill(T::zero());
    }

    /// `weight` (`[OUT, IN]`, PyTorch's `Linear.weight`), then `bias` (`[OUT]`).
    fn visit_tensors<'a>(&'a self, f: &mut dyn FnMut(TensorRef<'a, T>)) {
        f(TensorRef::column_major("weight", OUT, IN, self.w.as_slice()));
        f(TensorRef::new("bias", Shape::vector(OUT), self.b.as_slice()));
    }

    fn visit_tensors_mut(&mut self, f: &mut dyn FnMut(TensorMut<'_, T>)) {
        f(TensorMut::column_major("weight", OUT, IN, self.w.as_mut_slice()));
        f(TensorMut::new("bias", Shape::vector(OUT), self.b.as_mut_slice()));
    }
}

impl<T: Float, const IN: usize, const OUT: usize> Sealed for Affine<T, IN, OUT> {}

impl<T: Float, const IN: usize, const OUT: usize> FusedLinear<T, IN, OUT> for Affine<T, IN, OUT> {
    fn forward_input(&mut self, x: Input<'_, T, IN>, buf: &mut BatchBuf<T, IN>) -> BatchRef<'_, T, OUT> {
        linear::forward_input::<T, IN, OUT>(self.w.as_slice(), Some(self.b.as_slice()), x, buf, &mut self.y)
    }

    fn backward_params(&mut self, x: BatchRef<'_, T, IN>, dout: BatchRef<'_, T, OUT>) {
        linear::backward_params::<T, IN, OUT>("Affine", x, dout, self.dw.as_mut_slice(), Some(self.db.as_mut_slice()));
    }
}
