use nalgebra::SMatrix;

use super::linear;
use crate::kernels::heap::{boxed_clone, boxed_zeros};
use crate::{BatchBuf, BatchMut, BatchRef, Float, Init, Input, Layer, Param};

/// The book's `MatMul` layer, `y = W·x` (the book's `y = x·W` with samples as rows).
///
/// - forward: `y = W·x`
/// - backward: `dx = Wᵀ·dout`, `dW = dout·xᵀ` (the book's `dx = dout·Wᵀ`, `dW = xᵀ·dout`)
///
/// # Shapes
/// `x: IN × N`, `W: OUT × IN` (the book's `W` transposed), `y, dout: OUT × N`, `dx: IN × N`.
/// Weights live on the heap, so wide layers never touch the stack.
#[derive(Debug)]
pub struct MatMul<T: Float, const IN: usize, const OUT: usize> {
    /// `W` (`OUT × IN`).
    pub w: Box<SMatrix<T, OUT, IN>>,
    /// `∂L/∂W` from the last backward.
    pub dw: Box<SMatrix<T, OUT, IN>>,
    y: BatchBuf<T, OUT>,
    dx: BatchBuf<T, IN>,
}

impl<T: Float, const IN: usize, const OUT: usize> MatMul<T, IN, OUT> {
    /// A layer with zero weights; the network (or [`Layer::init_params`]) draws them.
    pub fn new() -> Self {
        Self {
            w: boxed_zeros(),
            dw: boxed_zeros(),
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

/// Copies the weights heap to heap: a derived `Clone` of `Box<SMatrix>` builds the matrix
/// on the stack first in unoptimised builds, which overflows a 2 MiB stack for a 784 × 1000
/// layer.
impl<T: Float, const IN: usize, const OUT: usize> Clone for MatMul<T, IN, OUT> {
    fn clone(&self) -> Self {
        Self {
            w: boxed_clone(&self.w),
            dw: boxed_clone(&self.dw),
            y: self.y.clone(),
            dx: self.dx.clone(),
        }
    }
}

impl<T: Float, const IN: usize, const OUT: usize> Default for MatMul<T, IN, OUT> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float, const IN: usize, const OUT: usize> Layer<T, IN, OUT> for MatMul<T, IN, OUT> {
    const PARAMS: usize = IN * OUT;

    fn forward(&mut self, x: BatchRef<'_, T, IN>) -> BatchRef<'_, T, OUT> {
        self.y.resize(x.ncols());
        linear::forward::<T, IN, OUT>(self.w.as_slice(), x.as_slice(), T::zero(), self.y.as_mut_slice());
        self.y.view()
    }

    fn backward(&mut self, x: BatchRef<'_, T, IN>, dout: BatchRef<'_, T, OUT>) -> BatchRef<'_, T, IN> {
        self.backward_params(x, dout);
        self.dx.resize(dout.ncols());
        linear::backward_dx::<T, IN, OUT>(self.w.as_slice(), dout.as_slice(), self.dx.as_mut_slice());
        self.dx.view()
    }

    fn backward_params(&mut self, x: BatchRef<'_, T, IN>, dout: BatchRef<'_, T, OUT>) {
        linear::assert_same_samples("MatMul", x.ncols(), dout.ncols());
        linear::backward_dw::<T, IN, OUT>(x.as_slice(), dout.as_slice(), self.dw.as_mut_slice());
    }

    /// Large layers fold the step into the weight-gradient product when it takes the GEMM's
    /// direct path (`dW` is not written).
    fn backward_params_sgd(&mut self, x: BatchRef<'_, T, IN>, dout: BatchRef<'_, T, OUT>, lr: T) {
        if !linear::folds_step::<T, IN, OUT>(dout.ncols()) {
            return crate::layer::backward_then_step(self, x, dout, lr);
        }
        linear::assert_same_samples("MatMul", x.ncols(), dout.ncols());
        linear::step_w::<T, IN, OUT>(x.as_slice(), dout.as_slice(), lr, self.w.as_mut_slice());
    }

    /// Gathers a gathered batch into `buf` inside the forward product (one pass over the
    /// samples, see `linear::forward_gathered`).
    fn forward_input(&mut self, x: Input<'_, T, IN>, buf: &mut BatchBuf<T, IN>) -> BatchRef<'_, T, OUT> {
        match x {
            Input::Gather(g) => {
                self.y.resize(g.len());
                buf.resize(g.len());
                linear::forward_gathered::<T, IN, OUT>(
                    self.w.as_slice(),
                    g,
                    T::zero(),
                    self.y.as_mut_slice(),
                    buf.as_mut_slice(),
                );
                self.y.view()
            }
            Input::Batch(x) => self.forward(x),
        }
    }

    fn output(&self) -> BatchRef<'_, T, OUT> {
        self.y.view()
    }

    fn infer(&self, x: BatchRef<'_, T, IN>, mut out: BatchMut<'_, T, OUT>) {
        assert_eq!(
            x.ncols(),
            out.ncols(),
            "MatMul::infer: x has {} samples, out {}",
            x.ncols(),
            out.ncols()
        );
        linear::forward::<T, IN, OUT>(self.w.as_slice(), x.as_slice(), T::zero(), out.as_mut_slice());
    }

    fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, T>)) {
        f(Param::new("w", self.w.as_mut_slice(), self.dw.as_slice()));
    }

    fn param_count(&self) -> usize {
        IN * OUT
    }

    fn init_params(&mut self, init: &mut Init<'_>) {
        init.fill(self.w.as_mut_slice(), IN);
    }
}
