//! The traits every `network!`-generated struct implements, so generic code (the trainer,
//! optimizers, the gradient checker) works with any network.

use core::fmt;

use crate::batch::{BatchMut, BatchRef};
use crate::float::Float;
use crate::input::Input;
use crate::layers::{LayerOp, LossLayer, Mode, Prediction};
use crate::optim::Optimizer;
use crate::param::Param;
use crate::state::{TensorMut, TensorRef};

/// A network from `IN` to `OUT` features per sample: inference and parameter access.
pub trait Network<T: Float, const IN: usize, const OUT: usize> {
    /// A network with every parameter zero (`network!`'s `Net::zeroed()` in `f32`,
    /// `Net::zeroed_f64()` in `f64`; this is the form for code generic over the float type
    /// or the network: `N::zeroed()`, `<Net<T> as Network<T, IN, OUT>>::zeroed()`).
    fn zeroed() -> Self
    where
        Self: Sized;

    /// A network with weights drawn from `rng` by `scheme`, biases zero (the generic form of
    /// `network!`'s `Net::with_init` / `Net::with_init_f64`).
    fn with_init(rng: &mut dyn rand::RngCore, scheme: crate::init::InitScheme) -> Self
    where
        Self: Sized;

    /// Runs every layer but the loss on `x` (`IN × N`) using the network's own buffers and
    /// returns the output (`OUT × N`, the book's `predict`: scores before the softmax).
    fn predict(&mut self, x: BatchRef<'_, T, IN>) -> BatchRef<'_, T, OUT>;

    /// Inference into a caller-owned `out` (`OUT × N`) through `&self`, so a shared network
    /// can predict from several threads. Allocates nothing once each thread has run a batch
    /// of this size.
    fn predict_into(&self, x: BatchRef<'_, T, IN>, out: BatchMut<'_, T, OUT>);

    /// Visits every (parameter, gradient) pair in model order, each tagged with its layer.
    fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, T>));

    /// Number of trainable scalars.
    fn param_count(&self) -> usize;

    /// A table of the layers (name, type, output shape, parameters), like Keras'
    /// `model.summary()`.
    fn summary(&self) -> Summary;

    // --- Saved state (`nn::state`, `nn::persist`) ---

    /// Every tensor of every layer in model order ([`Layer::visit_tensors`](crate::Layer::visit_tensors)),
    /// with the layer's field name: the saved key is `"{layer}.{tensor.name}"` (`fc1.weight`).
    /// The tensors borrow from `self` for `'a`, so a caller may keep them (a state view).
    ///
    /// ```
    /// nn::network! { pub struct Tiny { input: 2, fc: Affine(3), act: Tanh, out: MatMul(1) } }
    /// let net = Tiny::zeroed();
    /// let mut keys = Vec::new();
    /// nn::Network::visit_tensors(&net, &mut |layer, t| keys.push(format!("{layer}.{} {}", t.name, t.shape)));
    /// assert_eq!(keys, ["fc.weight [3, 2]", "fc.bias [3]", "out.weight [1, 3]"]);
    /// ```
    fn visit_tensors<'a>(&'a self, f: &mut dyn FnMut(&'static str, TensorRef<'a, T>));

    /// The same tensors, writable (loading), in the same order.
    fn visit_tensors_mut(&mut self, f: &mut dyn FnMut(&'static str, TensorMut<'_, T>));
    /// Visits every layer but the loss in model order as a standard operator (its field
    /// name and [`Layer::op`](crate::layers::Layer::op); `None` for a layer without one):
    /// what exporters such as `nn::onnx` (feature `onnx`) write.
    fn visit_ops(&self, f: &mut dyn FnMut(&'static str, Option<LayerOp<'_, T>>));

    /// What the scores mean for a deployed model: the loss layer's
    /// [`PREDICTION`](crate::layers::LossLayer::PREDICTION), [`Prediction::Scores`] for a
    /// network without a loss.
    fn prediction(&self) -> Prediction;

    // --- Training and inference ---

    /// Puts every layer in `mode` ([`Layer::set_mode`](crate::Layer::set_mode)). The
    /// generated methods do it themselves (`forward` and `train_step` train, `predict` and
    /// `evaluate` evaluate), so a caller needs it only to drive layers by hand. Default (a
    /// hand-written network): nothing.
    fn set_mode(&mut self, mode: Mode) {
        let _ = mode;
    }

    /// Restarts every layer's random stream from `seed` ([`Layer::reseed`](crate::Layer::reseed);
    /// layer `k` gets [`layer_seed(seed, k)`](crate::layers::layer_seed)). Default (a
    /// hand-written network): nothing.
    fn reseed(&mut self, seed: u64) {
        let _ = seed;
    }

    // --- Sequences (`nn::seq`) ---

    /// Whether a layer of the network is [`Layer::RECURRENT`](crate::Layer::RECURRENT) (its
    /// batches are time-major sequences, not independent samples). `network!` sets it from
    /// its layers; default `false`.
    const RECURRENT: bool = false;

    /// Tells every layer that batches hold `n` time-major sequences
    /// ([`Layer::set_sequences`](crate::Layer::set_sequences)): what recurrent layers need to
    /// walk the steps. Default (a hand-written network): nothing.
    fn set_sequences(&mut self, n: usize) {
        let _ = n;
    }

    /// Makes every stateful recurrent layer start its next batch from the zero state
    /// ([`Layer::reset_state`](crate::Layer::reset_state)). Default: nothing.
    fn reset_state(&mut self) {}
}

/// A network that ends in a loss layer: the book's `forward` / `backward` and a fused
/// training step. `network!` implements it for a layer list that ends in a loss; the
/// compile error for another network says so.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no loss layer, so it cannot be trained",
    label = "this network has no loss layer",
    note = "to train a network, end the `network!` layer list with a loss layer such as `loss: SoftmaxWithLoss` (classes), `loss: SigmoidWithLoss` (yes / no) or `loss: MeanSquaredError` (regression)"
)]
pub trait Trainable<T: Float, const IN: usize, const OUT: usize>: Network<T, IN, OUT> {
    /// The loss layer.
    type Loss: LossLayer<T, OUT>;

    /// Mean loss of a batch (the book's `forward(x, t)`); keeps what backward needs.
    fn forward(&mut self, x: BatchRef<'_, T, IN>, t: <Self::Loss as LossLayer<T, OUT>>::Target<'_>) -> T;

    /// Fills every gradient in place for the last forward (the book's `backward()`).
    fn backward(&mut self);

    /// Forward, backward and an optimizer update in one call; returns the loss. `x` is a
    /// batch or a mini-batch read in place from its data set (`Input::Gather`; `.into()`
    /// converts either). A NaN or an infinity in `x`, an activation or a parameter makes the
    /// returned loss non-finite (with built-in layers; debug builds of `network!` code panic
    /// on a non-finite `x` first); the parameters are then not to be trusted, which is why
    /// the [`Trainer`](crate::train::Trainer) stops with a `TrainError`.
    fn train_step<O: Optimizer<T> + ?Sized>(
        &mut self,
        x: Input<'_, T, IN>,
        t: <Self::Loss as LossLayer<T, OUT>>::Target<'_>,
        opt: &mut O,
    ) -> T;

    /// Loss and number of correctly classified samples of a batch (no gradients); the count
    /// is `None` for regression losses. A non-finite value reaching the scores makes the loss
    /// non-finite and its sample wrong (never counted as a class).
    fn evaluate(
        &mut self,
        x: BatchRef<'_, T, IN>,
        t: <Self::Loss as LossLayer<T, OUT>>::Target<'_>,
    ) -> (T, Option<usize>);
}

/// One row of a [`Summary`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SummaryRow {
    /// The field name (`affine1`).
    pub name: &'static str,
    /// The layer type (`Affine<2, 10>`).
    pub kind: String,
    /// Output features per sample.
    pub output: usize,
    /// Trainable scalars.
    pub params: usize,
}

/// A network's layers, like Keras' `model.summary()`; `Display` prints a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// The network's type name.
    pub network: &'static str,
    /// Input features per sample.
    pub input: usize,
    /// One row per layer, in order.
    pub rows: Vec<SummaryRow>,
}

impl Summary {
    /// Total trainable scalars.
    pub fn total_params(&self) -> usize {
        self.rows.iter().map(|r| r.params).sum()
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name_w = self.rows.iter().map(|r| r.name.len()).max().unwrap_or(0).max(5);
        let kind_w = self.rows.iter().map(|r| r.kind.len()).max().unwrap_or(0).max(4);
        let shape = |d: usize| format!("(N, {d})");
        writeln!(f, "{} (input: {})", self.network, shape(self.input))?;
        let line = "─".repeat(name_w + kind_w + 30);
        writeln!(f, "{line}")?;
        writeln!(
            f,
            "{:<name_w$}  {:<kind_w$}  {:<12}  {:>10}",
            "Layer", "Type", "Output", "Params"
        )?;
        writeln!(f, "{line}")?;
        for r in &self.rows {
            writeln!(
                f,
                "{:<name_w$}  {:<kind_w$}  {:<12}  {:>10}",
                r.name,
                r.kind,
                shape(r.output),
                r.params
            )?;
        }
        writeln!(f, "{line}")?;
        write!(f, "Total params: {}", self.total_params())
    }
}
