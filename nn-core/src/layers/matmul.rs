use nalgebra::SMatrix;

use super::linear::{self, FusedLinear, Sealed};
use crate::batch::{BatchBuf, BatchMut, BatchRef};
use crate::float::Float;
use crate::init::Init;
use crate::input::Input;
use crate::kernels::heap::HeapMatrix;
use crate::layers::{Layer, LayerOp};
use crate::param::Param;
use crate::state::{TensorMut, TensorRef};

/// The book's `MatMul` layer, `y = W·x` (the book's `y = x·W` with samples as rows).
///
/// - forward: `y = W·x`
/// - backward: `dx = Wᵀ·dout`, `dW = dout·xᵀ` (the book's `dx = dout·Wᵀ`, `dW = xᵀ·dout`)
///
/// # Shapes
/// `x: IN × N`, `W: OUT × IN` (the book's `W` transposed), `y, dout: OUT × N`, `dx: IN × N`.
/// Weights live on the heap, so wide layers never touch the stack.
#[derive(Clone, Debug)]
pub struct MatMul<T: Float, const IN: usize, const OUT: usize> {
    /// `W` (`OUT × IN`).
    pub w: HeapMatrix<T, OUT, IN>,
    /// `∂L/∂W` from the last backward.
    pub dw: HeapMatrix<T, OUT, IN>,
    y: BatchBuf<T, OUT>,
    dx: BatchBuf<T, IN>,
}

impl<T: Float, const IN: usize, const OUT: usize> MatMul<T, IN, OUT> {
    /// A layer with zero weights; the network (or [`Layer::init_params`]) draws them.
    pub fn new() -> Self {
        Self {
            w: HeapMatrix::zeros(),
            dw: HeapMatrix::zeros(),
            y: BatchBuf::new(),
            dx: BatchBuf::new(),
        }
    }

    /// A layer with the given weights (`OUT × IN`).
    pub fn from_weights(w: &SMatrix<T, OUT, IN>) -> Self {
        let mut layer = Self::new();
        layer.w.copy_from(w);
        layer
    }
}

impl<T: Float, const IN: usize, const OUT: usize> Default for MatMul<T, IN, OUT> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float, const IN: usize, const OUT: usize> Layer<T, IN, OUT> for MatMul<T, IN, OUT> {
    const PARAMS: usize = IN * OUT;

    /// `Linear` with `W` and no bias.
    fn op(&self) -> Option<LayerOp<'_, T>> {
        Some(LayerOp::Linear {
            weight: self.w.as_slice(),
            bias: None,
            inputs: IN,
            outputs: OUT,
        })
    }

    fn forward(&mut self, x: BatchRef<'_, T, IN>) -> BatchRef<'_, T, OUT> {
        linear::forward_buf::<T, IN, OUT>(self.w.as_slice(), None, x, &mut self.y)
    }

    fn backward(&mut self, x: BatchRef<'_, T, IN>, dout: BatchRef<'_, T, OUT>) -> BatchRef<'_, T, IN> {
        FusedLinear::backward_params(self, x, dout);
        linear::backward_dx_buf::<T, IN, OUT>(self.w.as_slice(), dout, &mut self.dx)
    }

    fn output(&self) -> BatchRef<'_, T, OUT> {
        self.y.view()
    }

    fn infer(&self, x: BatchRef<'_, T, IN>, out: BatchMut<'_, T, OUT>) {
        linear::infer::<T, IN, OUT>("MatMul", self.w.as_slice(), None, x, out);
    }

    fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, T>)) {
        f(Param::new("w", self.w.as_mut_slice(), self.dw.as_slice()));
    }

    fn init_params(&mut self, init: &mut Init<'_>) {
        init.fill(self.w.as_mut_slice(), IN);
    }

    /// `weight` (`[OUT, IN]`, PyTorch's `Linear.weight`).
    fn visit_tensors<'a>(&'a self, f: &mut dyn FnMut(TensorRef<'a, T>)) {
        f(TensorRef::column_major("weight", OUT, IN, self.w.as_slice()));
    }

    fn visit_tensors_mut(&mut self, f: &mut dyn FnMut(TensorMut<'_, T>)) {
        f(TensorMut::column_major("weight", OUT, IN, self.w.as_mut_slice()));
    }
}

impl<T: Float, const IN: usize, const OUT: usize> Sealed for MatMul<T, IN, OUT> {}

impl<T: Float, const IN: usize, const OUT: usize> FusedLinear<T, IN, OUT> for MatMul<T, IN, OUT> {
    fn forward_input(&mut self, x: Input<'_, T, IN>, buf: &mut BatchBuf<T, IN>) -> BatchRef<'_, T, OUT> {
        linear::forward_input::<T, IN, OUT>(self.w.as_slice(), None, x, buf, &mut self.y)
    }

    fn backward_params(&mut self, x: BatchRef<'_, T, IN>, dout: BatchRef<'_, T, OUT>) {
        linear::backward_params::<T, IN, OUT>("MatMul", x, dout, self.dw.as_mut_slice(), None);
    }
}
