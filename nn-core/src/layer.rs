//! The core layer trait: compile-time input and output widths, run-time batch size.
//!
//! # Why widths are `const usize` parameters of the trait
//! On stable Rust a width computed from a generic layer (`{<L as Layer>::OUT}`) cannot be
//! used as a const argument. `nn` therefore writes every width as a literal: the `network!`
//! macro knows the width of every built-in layer, takes a user layer's output width from the
//! macro input (or assumes it keeps the width), and instantiates each layer type with literal
//! widths (`Affine<T, 2, 10>`). A user layer implements [`Layer<T, IN, OUT>`] for the widths
//! it supports; a mismatch is then an unsatisfied trait bound that the compiler reports at
//! the layer's line.

use crate::{BatchBuf, BatchMut, BatchRef, Float, Init, Input, Param};

/// A differentiable layer from `IN` to `OUT` features per sample (the book's layer classes,
/// with `params`, `grads`, `forward` and `backward`).
///
/// A layer owns the buffers it writes: its output `y` (`OUT × N`) and its input gradient
/// `dx` (`IN × N`), grown to the largest batch seen and reused, so a steady training loop
/// allocates nothing. It does not copy its input: [`backward`](Layer::backward) receives the
/// same `x` again (the network that calls it still holds it).
///
/// Implement it for your own layer to use it in `network!` or by hand; every generic helper
/// (gradient checker, optimizers, trainer) then works with it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a layer from {IN} to {OUT} features per sample",
    label = "this layer must implement `nn::Layer<{T}, {IN}, {OUT}>` here",
    note = "the `network!` macro instantiates a user layer as `Path<T, IN>` (or `Path<T, IN, OUT>` with `-> OUT`) and needs `Layer<T, IN, OUT>` for every float type `T`"
)]
pub trait Layer<T: Float, const IN: usize, const OUT: usize> {
    /// Number of trainable scalars, known at compile time (`network!` sums these into the
    /// network's `PARAMS`). Layers with parameters set it; the default is 0.
    const PARAMS: usize = 0;

    /// Forward pass on a batch `x` (`IN × N`): computes `y` (`OUT × N`) into the layer's own
    /// buffer, keeps what backward needs, and returns `y`.
    fn forward(&mut self, x: BatchRef<'_, T, IN>) -> BatchRef<'_, T, OUT>;

    /// Backward pass: given the `x` of the last forward and `dout = ∂L/∂y` (`OUT × N`),
    /// writes every parameter gradient in place and returns `dx = ∂L/∂x` (`IN × N`).
    fn backward(&mut self, x: BatchRef<'_, T, IN>, dout: BatchRef<'_, T, OUT>) -> BatchRef<'_, T, IN>;

    /// Backward pass of a first layer: parameter gradients only, `dx` is not needed. The
    /// default runs [`backward`](Layer::backward); layers with a costly `dx` skip it.
    fn backward_params(&mut self, x: BatchRef<'_, T, IN>, dout: BatchRef<'_, T, OUT>) {
        let _ = self.backward(x, dout);
    }

    /// [`backward_params`](Layer::backward_params) followed by the SGD step
    /// `p ← p − lr·g` of every parameter (what a network's `train_step` runs for its first
    /// layer when the optimizer's [`sgd_rate`](crate::Optimizer::sgd_rate) is `Some`).
    /// The default does exactly that; `Affine` and `MatMul` fold the step into the weight
    /// gradient's product (`W ← W − lr·dout·xᵀ` in one GEMM, same rounding) and leave `dW`
    /// unwritten.
    fn backward_params_sgd(&mut self, x: BatchRef<'_, T, IN>, dout: BatchRef<'_, T, OUT>, lr: T) {
        backward_then_step(self, x, dout, lr)
    }

    /// The forward pass of a network's first layer, whose input may be a mini-batch gathered
    /// from a data set ([`Input::Gather`]); `buf` is the network's input buffer. An override
    /// **must** leave a gathered batch copied into `buf`: the network reads it back from
    /// there with [`Input::batch_in`] for [`backward_params`](Layer::backward_params), which
    /// checks only its size (a stale batch of the same size would go unnoticed). The default
    /// copies it and runs [`forward`](Layer::forward); `Affine` and `MatMul` copy it inside
    /// their product instead, so the samples cross memory once.
    fn forward_input(&mut self, x: Input<'_, T, IN>, buf: &mut BatchBuf<T, IN>) -> BatchRef<'_, T, OUT> {
        self.forward(x.to_batch(buf))
    }

    /// The output of the last [`forward`](Layer::forward) (`OUT × N`).
    fn output(&self) -> BatchRef<'_, T, OUT>;

    /// Inference without touching the layer's buffers: writes `f(x)` into `out` (`OUT × N`,
    /// same `N` as `x`). Lets a shared `&network` predict from several threads.
    fn infer(&self, x: BatchRef<'_, T, IN>, out: BatchMut<'_, T, OUT>);

    /// Visits every (parameter, gradient) pair in a fixed order (the book's `params` and
    /// `grads`). Layers without parameters keep the default, which visits nothing.
    fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, T>)) {
        let _ = f;
    }

    /// Number of trainable scalars; [`PARAMS`](Layer::PARAMS) unless overridden.
    fn param_count(&self) -> usize {
        Self::PARAMS
    }

    /// (Re)initialises the parameters with the scheme and random stream in `init`.
    fn init_params(&mut self, init: &mut Init<'_>) {
        let _ = init;
    }
}

/// [`Layer::backward_params`], then `p ← p − lr·g` for every parameter: the default of
/// [`Layer::backward_params_sgd`], for overrides that fold the step only for some sizes.
pub(crate) fn backward_then_step<T: Float, L: Layer<T, IN, OUT> + ?Sized, const IN: usize, const OUT: usize>(
    layer: &mut L,
    x: BatchRef<'_, T, IN>,
    dout: BatchRef<'_, T, OUT>,
    lr: T,
) {
    layer.backward_params(x, dout);
    layer.visit_params(&mut |p| crate::kernels::elementwise::sub_scaled(p.value, lr, p.grad));
}

/// A loss layer on `D` scores per sample (the book's `SoftmaxWithLoss`): the last layer of a
/// trainable network. `backward` starts the backward pass with `dout = 1`.
pub trait LossLayer<T: Float, const D: usize> {
    /// What a batch is compared against: class labels, one-hot rows or target values.
    /// Wrong kinds of targets are type errors.
    type Target<'a>: Copy;

    /// Mean loss of a batch of scores (`D × N`) against `target` (`N` labels or `D × N`
    /// values); keeps what backward needs.
    fn forward(&mut self, score: BatchRef<'_, T, D>, target: Self::Target<'_>) -> T;

    /// The targets of samples `start..start + len` of a batch's `target` (a column range),
    /// borrowing the same data: what generic code needs to split a batch, e.g.
    /// [`DataParallel`](crate::DataParallel), which trains on two halves of every batch.
    /// Implementations panic if the range is not inside the batch.
    ///
    /// ```
    /// use nn_core::{Labels, LossLayer, SoftmaxWithLoss};
    /// let t: Labels<'_, f32, 3> = Labels::Classes(&[2, 0, 1]);
    /// let tail = <SoftmaxWithLoss<f32, 3> as LossLayer<f32, 3>>::target_columns(t, 1, 2);
    /// assert_eq!((tail.len(), tail.class(0)), (2, 0));
    /// ```
    fn target_columns<'a>(target: Self::Target<'a>, start: usize, len: usize) -> Self::Target<'a>;

    /// `∂L/∂score` (`D × N`) for the last forward.
    fn backward(&mut self) -> BatchRef<'_, T, D>;

    /// How many samples of the last forward were predicted correctly (argmax for
    /// classification, the 0.5 threshold for binary outputs), if that means anything for this
    /// loss; `None` for regression losses.
    fn correct(&self, score: BatchRef<'_, T, D>, target: Self::Target<'_>) -> Option<usize> {
        let _ = (score, target);
        None
    }
}
