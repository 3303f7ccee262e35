use nalgebra::{SMatrix, SVector};

use super::{linear, repeat::repeat_into, sum::sum_into};
use crate::kernels::heap::{boxed_clone, boxed_zeros};
use crate::{BatchBuf, BatchMut, BatchRef, Float, Init, Input, Layer, Param};

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
#[derive(Debug)]
pub struct Affine<T: Float, const IN: usize, const OUT: usize> {
    /// `W` (`OUT × IN`).
    pub w: Box<SMatrix<T, OUT, IN>>,
    /// `b` (`OUT`).
    pub b: Box<SVector<T, OUT>>,
    /// `∂L/∂W` from the last backward.
    pub dw: Box<SMatrix<T, OUT, IN>>,
    /// `∂L/∂b` from the last backward.
    pub db: Box<SVector<T, OUT>>,
    y: BatchBuf<T, OUT>,
    dx: BatchBuf<T, IN>,
}

impl<T: Float, const IN: usize, const OUT: usize> Affine<T, IN, OUT> {
    /// A layer with zero weights and biases; the network (or [`Layer::init_params`]) draws
    /// the weights.
    pub fn new() -> Self {
        Self {
            w: boxed_zeros(),
            b: boxed_zeros(),
            dw: boxed_zeros(),
            db: boxed_zeros(),
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

/// `y = W·x + repeat(b)`: the bias broadcast (a Repeat) written into `y`, then the product
/// accumulated onto it. A free function so `forward` can write its own buffer while
/// reading its weights.
fn affine_into<T: Float, const IN: usize, const OUT: usize>(
    w: &SMatrix<T, OUT, IN>,
    b: &SVector<T, OUT>,
    x: BatchRef<'_, T, IN>,
    mut y: BatchMut<'_, T, OUT>,
) {
    repeat_into(b.as_slice(), y.as_view_mut());
    linear::forward::<T, IN, OUT>(w.as_slice(), x.as_slice(), T::one(), y.as_mut_slice());
}

/// Copies the weights heap to heap: a derived `Clone` of `Box<SMatrix>` builds the matrix
/// on the stack first in unoptimised builds, which overflows a 2 MiB stack for a 784 × 1000
/// layer.
impl<T: Float, const IN: usize, const OUT: usize> Clone for Affine<T, IN, OUT> {
    fn clone(&self) -> Self {
        Self {
            w: boxed_clone(&self.w),
            b: boxed_clone(&self.b),
            dw: boxed_clone(&self.dw),
            db: boxed_clone(&self.db),
            y: self.y.clone(),
            dx: self.dx.clone(),
        }
    }
}

impl<T: Float, const IN: usize, const OUT: usize> Default for Affine<T, IN, OUT> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float, const IN: usize, const OUT: usize> Layer<T, IN, OUT> for Affine<T, IN, OUT> {
    const PARAMS: usize = IN * OUT + OUT;

    fn forward(&mut self, x: BatchRef<'_, T, IN>) -> BatchRef<'_, T, OUT> {
        self.y.resize(x.ncols());
        affine_into(&self.w, &self.b, x, self.y.view_mut());
        self.y.view()
    }

    fn backward(&mut self, x: BatchRef<'_, T, IN>, dout: BatchRef<'_, T, OUT>) -> BatchRef<'_, T, IN> {
        self.backward_params(x, dout);
        self.dx.resize(dout.ncols());
        linear::backward_dx::<T, IN, OUT>(self.w.as_slice(), dout.as_slice(), self.dx.as_mut_slice());
        self.dx.view()
    }

    fn backward_params(&mut self, x: BatchRef<'_, T, IN>, dout: BatchRef<'_, T, OUT>) {
        linear::assert_same_samples("Affine", x.ncols(), dout.ncols());
        linear::backward_dw::<T, IN, OUT>(x.as_slice(), dout.as_slice(), self.dw.as_mut_slice());
        sum_into(dout, self.db.as_mut_slice());
    }

    /// Large layers fold the step into the weight-gradient product when it takes the GEMM's
    /// direct path (`dW` is not written);
    /// `db` is written, then `b` steps.
    fn backward_params_sgd(&mut self, x: BatchRef<'_, T, IN>, dout: BatchRef<'_, T, OUT>, lr: T) {
        if !linear::folds_step::<T, IN, OUT>(dout.ncols()) {
            return crate::layer::backward_then_step(self, x, dout, lr);
        }
        linear::assert_same_samples("Affine", x.ncols(), dout.ncols());
        linear::step_w::<T, IN, OUT>(x.as_slice(), dout.as_slice(), lr, self.w.as_mut_slice());
        sum_into(dout, self.db.as_mut_slice());
        crate::kernels::elementwise::sub_scaled(self.b.as_mut_slice(), lr, self.db.as_slice());
    }

    /// Gathers a gathered batch into `buf` inside the forward product (one pass over the
    /// samples, see `linear::forward_gathered`).
    fn forward_input(&mut self, x: Input<'_, T, IN>, buf: &mut BatchBuf<T, IN>) -> BatchRef<'_, T, OUT> {
        match x {
            Input::Gather(g) => {
                self.y.resize(g.len());
                buf.resize(g.len());
                repeat_into(self.b.as_slice(), self.y.view_mut());
                linear::forward_gathered::<T, IN, OUT>(
                    self.w.as_slice(),
                    g,
                    T::one(),
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

    fn infer(&self, x: BatchRef<'_, T, IN>, out: BatchMut<'_, T, OUT>) {
        assert_eq!(
            x.ncols(),
            out.ncols(),
            "Affine::infer: x has {} samples, out {}",
            x.ncols(),
            out.ncols()
        );
        affine_into(&self.w, &self.b, x, out);
    }

    fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, T>)) {
        f(Param::new("w", self.w.as_mut_slice(), self.dw.as_slice()));
        f(Param::new("b", self.b.as_mut_slice(), self.db.as_slice()));
    }

    fn param_count(&self) -> usize {
        IN * OUT + OUT
    }

    fn init_params(&mut self, init: &mut Init<'_>) {
        init.fill(self.w.as_mut_slice(), IN);
        self.b.fill(T::zero());
    }
}
