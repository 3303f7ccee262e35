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

use crate::batch::{BatchMut, BatchRef};
use crate::float::Float;
use crate::init::Init;
use crate::layers::op::{LayerOp, Prediction};
use crate::param::Param;
use crate::state::{TensorMut, TensorRef};

/// A differentiable layer from `IN` to `OUT` features per sample (the book's layer classes,
/// with `params`, `grads`, `forward` and `backward`).
///
/// A layer owns the buffers it writes: its output `y` (`OUT × N`) and its input gradient
/// `dx` (`IN × N`), grown to the largest batch seen and reused, so a steady training loop
/// allocates nothing. It does not copy its input: [`backward`](Layer::backward) receives the
/// same `x` again (the network that calls it still holds it).
///
/// Implement it for your own layer to use it in `network!` or by hand; every generic helper
/// (gradient checker, optimizers, trainer) then works with it. `forward`, `backward`,
/// `output` and `infer` are required; a layer with parameters also sets
/// [`PARAMS`](Layer::PARAMS) and implements [`visit_params`](Layer::visit_params) and
/// [`init_params`](Layer::init_params). For an element-wise function without parameters,
/// [`ActivationFn`](crate::layers::ActivationFn) is shorter.
///
/// # Example: a learnable scale
/// `y = a·x` with one trainable scalar `a`: `dx = a·dout`, `∂L/∂a = Σ dout ⊙ x` (over
/// features and samples). `network!` instantiates it as `Scale<T, IN>` and calls
/// `Scale::<T, IN>::new(args)` with the arguments written in the layer list.
///
/// ```
/// use nn::state::{Shape, TensorMut, TensorRef};
/// use nn::{BatchBuf, BatchMut, BatchRef, Float, Init, Layer, Param};
///
/// /// `y = a·x`, one learnable scalar `a`.
/// #[derive(Clone, Debug)]
/// pub struct Scale<T, const D: usize> {
///     a: T,
///     da: T,
///     y: BatchBuf<T, D>,  // D × N, the output
///     dx: BatchBuf<T, D>, // D × N, the input gradient
/// }
///
/// impl<T: Float, const D: usize> Scale<T, D> {
///     pub fn new(a: f64) -> Self {
///         Self { a: T::cast(a), da: T::zero(), y: BatchBuf::new(), dx: BatchBuf::new() }
///     }
/// }
///
/// impl<T: Float, const D: usize> Layer<T, D, D> for Scale<T, D> {
///     const PARAMS: usize = 1;
///
///     fn forward(&mut self, x: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
///         self.y.resize(x.ncols());
///         scale(self.a, x, self.y.view_mut());
///         self.y.view()
///     }
///
///     fn backward(&mut self, x: BatchRef<'_, T, D>, dout: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
///         self.da = x.iter().zip(dout.iter()).map(|(&x, &d)| x * d).sum();
///         self.dx.resize(dout.ncols());
///         for (dx, &d) in self.dx.as_mut_slice().iter_mut().zip(dout.iter()) {
///             *dx = self.a * d;
///         }
///         self.dx.view()
///     }
///
///     fn output(&self) -> BatchRef<'_, T, D> {
///         self.y.view()
///     }
///
///     fn infer(&self, x: BatchRef<'_, T, D>, out: BatchMut<'_, T, D>) {
///         scale(self.a, x, out);
///     }
///
///     fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, T>)) {
///         f(Param::new("a", std::slice::from_mut(&mut self.a), std::slice::from_ref(&self.da)));
///     }
///
///     fn init_params(&mut self, _init: &mut Init<'_>) {} // `a` keeps the value given to `new`
///
///     // Saved as `scale.a`, shape [1] (what `save`, `load` and `state` see).
///     fn visit_tensors<'a>(&'a self, f: &mut dyn FnMut(TensorRef<'a, T>)) {
///         f(TensorRef::new("a", Shape::vector(1), std::slice::from_ref(&self.a)));
///     }
///
///     fn visit_tensors_mut(&mut self, f: &mut dyn FnMut(TensorMut<'_, T>)) {
///         f(TensorMut::new("a", Shape::vector(1), std::slice::from_mut(&mut self.a)));
///     }
/// }
///
/// /// `out = a·x`.
/// fn scale<T: Float, const D: usize>(a: T, x: BatchRef<'_, T, D>, mut out: BatchMut<'_, T, D>) {
///     for (y, &x) in out.iter_mut().zip(x.iter()) {
///         *y = a * x;
///     }
/// }
///
/// nn::network! {
///     /// 2 → 8 (tanh, learnable scale) → 3.
///     pub struct ScaledNet {
///         input: 2,
///         affine1: Affine(8),
///         tanh: Tanh,
///         scale: self::Scale(0.5), // a path: a user layer; `(0.5)` goes to `new`
///         affine2: Affine(3),
///         loss: SoftmaxWithLoss,
///     }
/// }
///
/// # fn main() {
/// use nn::rand::SeedableRng;
/// let mut rng = nn::rand_chacha::ChaCha8Rng::seed_from_u64(0);
///
/// // The layer alone, and the whole network, against central differences in f64.
/// let x = nn::gradcheck::random_batch::<f64, 2>(5, -1.0, 1.0, 1);
/// nn::gradcheck::check_layer(&mut Scale::<f64, 2>::new(1.5), x.as_view()).assert_ok();
/// let mut net = ScaledNet::new_f64(&mut rng);
/// let labels = [0, 2, 1, 1, 0];
/// nn::gradcheck::check_network(&mut net, x.as_view(), nn::Labels::Classes(&labels)).assert_ok();
/// assert_eq!(ScaledNet::PARAMS, (2 * 8 + 8) + 1 + (8 * 3 + 3));
///
/// // Trained like any network: `a` is a parameter the optimizer moves.
/// let mut net = ScaledNet::new(&mut rng);
/// let x = x.map(|v| v as f32);
/// let before = net.scale.a;
/// for _ in 0..10 {
///     net.train_step(&x, &labels, &mut nn::Sgd::new(0.5));
/// }
/// assert_ne!(net.scale.a, before);
///
/// // Its tensor is part of the network's state, under the field's name.
/// let mut keys = Vec::new();
/// nn::Network::visit_tensors(&net, &mut |layer, t| keys.push(format!("{layer}.{}", t.name)));
/// assert_eq!(keys, ["affine1.weight", "affine1.bias", "scale.a", "affine2.weight", "affine2.bias"]);
/// # }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a layer from {IN} to {OUT} features per sample",
    label = "this layer must implement `nn::Layer<{T}, {IN}, {OUT}>` here",
    note = "the `network!` macro instantiates a user layer as `Path<T, IN>` (or `Path<T, IN, OUT>` with `-> OUT`) and needs `Layer<T, IN, OUT>` for every float type `T`"
)]
pub trait Layer<T: Float, const IN: usize, const OUT: usize> {
    /// Number of trainable scalars, known at compile time (`network!` sums these into the
    /// network's `PARAMS`). Layers with parameters set it; the default is 0.
    const PARAMS: usize = 0;

    /// Whether the layer is a rectifier (ReLU-like: identity for positive inputs, zero or a
    /// small slope for negative ones). `InitScheme::Auto` draws the layer *before* a
    /// rectifier by He instead of Xavier, as it does before the built-in `Relu` and
    /// `LeakyRelu`. Default: `false`.
    const RECTIFIER: bool = false;

    /// Whether the layer reads its batches as time-major sequences (see
    /// [`set_sequences`](Layer::set_sequences)): its output at one column depends on other
    /// columns (the earlier steps). The built-in `Rnn`, `Lstm` and `Gru` set it; a network
    /// holding such a layer has [`Network::RECURRENT`](crate::Network::RECURRENT), and code
    /// that splits a batch's columns (two-thread [`DataParallel`](crate::DataParallel)) refuses
    /// it. Default: `false`.
    const RECURRENT: bool = false;

    /// Forward pass on a batch `x` (`IN × N`): computes `y` (`OUT × N`) into the layer's own
    /// buffer, keeps what backward needs, and returns `y`.
    fn forward(&mut self, x: BatchRef<'_, T, IN>) -> BatchRef<'_, T, OUT>;

    /// Backward pass: given the `x` of the last forward and `dout = ∂L/∂y` (`OUT × N`),
    /// writes every parameter gradient in place and returns `dx = ∂L/∂x` (`IN × N`).
    fn backward(&mut self, x: BatchRef<'_, T, IN>, dout: BatchRef<'_, T, OUT>) -> BatchRef<'_, T, IN>;

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

    /// (Re)initialises the parameters with the scheme and random stream in `init`.
    fn init_params(&mut self, init: &mut Init<'_>) {
        let _ = init;
    }

    // --- Training and inference (`Mode`), random streams ---

    /// Switches what [`forward`](Layer::forward) computes between training and inference
    /// (PyTorch's `module.train()` / `module.eval()`): `Dropout` drops only in
    /// [`Mode::Train`], `BatchNorm` uses batch statistics in training and its running
    /// statistics in [`Mode::Eval`]. [`backward`](Layer::backward) follows the mode of the
    /// last forward; [`infer`](Layer::infer) always computes the inference form.
    ///
    /// A `network!` network calls it on every layer that may depend on it (the built-ins that
    /// do, and every user layer) before running them: with `Mode::Train` in `forward` and
    /// `train_step`, with `Mode::Eval` in `predict` and `evaluate`; `predict_into` and
    /// `predict_one` call `infer`. A layer is in `Mode::Train` when created. Default: ignores
    /// the mode (the layer computes the same in both).
    fn set_mode(&mut self, mode: Mode) {
        let _ = mode;
    }

    /// Restarts the layer's random stream (the one `Dropout` draws its masks from) at
    /// `seed`. A layer with a stream takes its first seed from the [`Init`] stream in
    /// [`init_params`](Layer::init_params), so a network drawn from a seeded generator is
    /// reproducible; the [`Trainer`](crate::train::Trainer) calls it before every epoch with a
    /// seed made from its own seed and the epoch (so a resumed run draws the same masks as
    /// an uninterrupted one), and the gradient checker before every forward (so the
    /// perturbed forwards see one mask). Default: ignores it (no randomness).
    fn reseed(&mut self, seed: u64) {
        let _ = seed;
    }

    // --- Sequences (`nn::seq`): recurrent layers ---

    /// Tells the layer that the batches it sees from now on hold `n` sequences laid out
    /// time-major: a batch of `T` steps of `n` sequences has `T·n` columns, column `t·n + j`
    /// being step `t` of sequence `j` (see [`nn::seq`](crate::seq)). Per-column layers
    /// (`Affine`, activations, losses) ignore it (the default): they apply to every step
    /// unchanged. Recurrent layers (`Rnn`, `Lstm`, `Gru`) read it to walk the steps in order;
    /// a `network!` network forwards its `set_sequences` to every recurrent and user layer. A
    /// layer starts with `n = 1`.
    fn set_sequences(&mut self, n: usize) {
        let _ = n;
    }

    /// Forgets a carried state: a stateful recurrent layer (the book's `stateful=True`) starts
    /// its next batch from the zero state again. Default: nothing to forget.
    fn reset_state(&mut self) {}

    // --- Saved state (`nn::state`, `nn::persist`) ---

    /// The tensors a saved file holds for this layer (PyTorch's `state_dict`): every
    /// parameter and any non-trainable buffer, with PyTorch's names (`"weight"`, `"bias"`)
    /// and shapes (`weight` of a fully connected layer is `[OUT, IN]`). Default: none; a
    /// layer with parameters must implement it (and
    /// [`visit_tensors_mut`](Layer::visit_tensors_mut)) to be saved.
    ///
    /// The tensors borrow from `self` for `'a`, so a caller may keep them (a state view).
    fn visit_tensors<'a>(&'a self, f: &mut dyn FnMut(TensorRef<'a, T>)) {
        let _ = f;
    }

    /// The same tensors, writable (loading). Must visit the same names, shapes and order as
    /// [`visit_tensors`](Layer::visit_tensors).
    fn visit_tensors_mut(&mut self, f: &mut dyn FnMut(TensorMut<'_, T>)) {
        let _ = f;
    }

    // --- Export (`nn::onnx`) ---

    /// The layer as a standard operator, for exporters such as `nn::onnx` (feature `onnx`):
    /// a fully connected product, an element-wise function, or the identity. The default,
    /// `None`, means "no standard form": exporting a network with this layer fails with an
    /// error naming it.
    fn op(&self) -> Option<LayerOp<'_, T>> {
        None
    }
}

/// Whether a layer computes its training form or its inference form (see
/// [`Layer::set_mode`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Training: `Dropout` drops, `BatchNorm` normalises by the batch's statistics and
    /// updates its running statistics. What a layer starts in.
    #[default]
    Train,
    /// Inference: `Dropout` is the identity, `BatchNorm` uses its running statistics.
    Eval,
}

/// A layer's streaming form: one time step of one sequence (a batch of one), through `&self`
/// and a caller-owned state, so several streams can share one layer (the plug-in case: one
/// audio sample in, one out). What a `network!` network's generated `step` calls on its
/// recurrent layers; the other layers of a streamed network run through
/// [`Layer::infer`] on one column.
///
/// `step` allocates nothing: everything it needs lives in the state, made once by
/// [`step_state`](StepLayer::step_state).
pub trait StepLayer<T: Float, const IN: usize, const OUT: usize>: Layer<T, IN, OUT> {
    /// The state carried from one step to the next (the hidden state, and the cell state of
    /// an LSTM), with any scratch the step needs.
    type StepState: Clone + std::fmt::Debug;

    /// A zero state (the state before the first step of a stream).
    fn step_state(&self) -> Self::StepState;

    /// Advances `state` by one step on input `x` (`IN` values) and writes the output `y`
    /// (`OUT` values).
    fn step(&self, x: &[T], state: &mut Self::StepState, y: &mut [T]);
}

/// The seed of layer `index` (0-based, in model order) of a network reseeded with `seed`
/// (what `network!`'s `reseed` hands each layer): SplitMix64 of the two, so neighbouring
/// layers and neighbouring seeds get unrelated streams.
pub const fn layer_seed(seed: u64, index: u64) -> u64 {
    let mut z = seed ^ index.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
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
    /// [`DataParallel`](crate::parallel::DataParallel), which trains on two halves of every batch.
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

    /// How many classes this loss's class-index targets ([`Labels::Classes`](crate::Labels::Classes))
    /// range over: a label must lie in `0..CLASSES`. `None` (the default): the loss takes no
    /// class indices (regression). [`SoftmaxWithLoss`](crate::layers::SoftmaxWithLoss) on
    /// `D` scores: `D`; [`SigmoidWithLoss`](crate::layers::SigmoidWithLoss): 2 with `D = 1`
    /// (labels 0 and 1), else 0 (class indices need one output). The
    /// [`Trainer`](crate::train::Trainer) checks every label against it before training.
    const CLASSES: Option<usize> = None;

    /// The class indices in `target`, if it holds them (a loss with
    /// [`CLASSES`](LossLayer::CLASSES) returns them for [`Labels::Classes`](crate::Labels::Classes));
    /// `None` for one-hot rows or target values. The default: `None`.
    ///
    /// ```
    /// use nn_core::{Labels, LossLayer, SoftmaxWithLoss};
    /// type L = SoftmaxWithLoss<f32, 3>;
    /// assert_eq!(<L as LossLayer<f32, 3>>::CLASSES, Some(3));
    /// let t: Labels<'_, f32, 3> = Labels::Classes(&[2, 0, 1]);
    /// assert_eq!(<L as LossLayer<f32, 3>>::class_indices(t), Some(&[2, 0, 1][..]));
    /// ```
    fn class_indices<'a>(target: Self::Target<'a>) -> Option<&'a [usize]> {
        let _ = target;
        None
    }

    /// What the scores mean for a deployed model: raw scores (the default, regression),
    /// the softmax of each sample's scores (class probabilities) or the sigmoid of each
    /// score. Exporters add that step after the scores.
    const PREDICTION: Prediction = Prediction::Scores;
}
