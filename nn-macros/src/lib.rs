//! The `network!` procedural macro of `nn`: parse (`ast.rs`) → check (`validate.rs`) →
//! generate (`expand/`, one file per generated item). `builtins.rs` is the one table of
//! built-in layers that the checks and the generation read. Use it through the `nn` crate,
//! which re-exports it.

mod ast;
mod builtins;
mod expand;
mod validate;

#[cfg(test)]
mod tests;

use proc_macro::TokenStream;

/// Declares a network: a list of named layers becomes a struct whose fields are the layers,
/// with compile-time widths, and straight-line `forward` / `backward` / `train_step` /
/// `predict` methods.
///
/// ```
/// use nn::network;
/// use nn::rand::SeedableRng;
/// use nn::rand_chacha::ChaCha8Rng;
///
/// network! {
///     /// The book's chapter-1 network.
///     #[derive(Clone)]
///     pub struct TwoLayerNet {
///         input: 2,
///         affine1: Affine(10),
///         sigmoid: Sigmoid,
///         affine2: Affine(3),
///         loss: SoftmaxWithLoss,
///     }
/// }
///
/// let mut rng = ChaCha8Rng::seed_from_u64(0);
/// let mut net = TwoLayerNet::new(&mut rng); // f32
/// let x = nn::batch_from_rows(&[[0.1f32, 0.2], [0.3, -0.4]]); // 2 samples
/// let labels = vec![0, 2];
/// let loss = net.train_step(&x, &labels, &mut nn::Sgd::new(1.0));
/// assert!(loss.is_finite());
/// assert_eq!(net.predict(&x).shape(), (3, 2)); // scores, 3 × N
/// assert_eq!(TwoLayerNet::<f32>::PARAMS, 2 * 10 + 10 + 10 * 3 + 3);
/// ```
///
/// # Syntax
/// `input: N` (features per sample) comes first; then one `name: Layer` per layer, in order.
/// Only output widths are written: every input width is the previous layer's output.
/// Doc comments and attributes on the struct and on each entry pass through.
///
/// | Layer | Written | Field type |
/// |---|---|---|
/// | fully connected | `Affine(out)`, `MatMul(out)` | `Affine<T, IN, out>` |
/// | activation | `Sigmoid`, `Tanh`, `Relu`, `Softmax` | `Sigmoid<T, IN>` |
/// | loss (last, optional) | `SoftmaxWithLoss`, `SigmoidWithLoss`, `MeanSquaredError` | `SoftmaxWithLoss<T, IN>` |
/// | your layer, same width | `crate::layers::Swish`, `self::Scale(2.0)` | `crate::layers::Swish<T, IN>` |
/// | your layer, new width | `crate::Project -> 16`, `crate::Project(0.5) -> 16` | `crate::Project<T, IN, 16>` |
///
/// `Affine(12 -> 3)` also states the input width; the macro checks it against the previous
/// layer. Widths are integer literals: the macro computes every width and writes them all as
/// literals (`Affine<T, 2, 10>`), because a width computed from a generic parameter cannot
/// be a const argument on stable Rust.
///
/// # Your own layers
/// Any layer given by a path (it contains `::`) is a user layer. The macro instantiates it as
/// `Path<T, IN>` when it keeps the width, or `Path<T, IN, OUT>` when `-> OUT` is written, and
/// requires:
/// - a constructor `Path::<T, IN>::new(args)` (or `Path::<T, IN, OUT>::new(args)`) taking the
///   arguments written in parentheses (none if there are none);
/// - `impl<T: nn::Float> nn::Layer<T, IN, OUT> for Path<T, IN, ...>` for every float type and
///   the widths it is used at; its parameters are drawn by `Layer::init_params`, visited by
///   `Layer::visit_params` and counted by `Layer::PARAMS`.
///
/// The layer's type and its `Layer` bound are written at your tokens, so a layer that does
/// not fit (say it implements `Layer<T, 12, 12>` but follows a layer with 10 outputs) is a
/// compile error on that layer's line. A user layer cannot be the loss.
///
/// # What it expands to
/// Run `cargo expand` (`cargo install cargo-expand`) on your crate to read it; the
/// repository keeps expansions of three networks in `tests/expand/`. For the network above:
/// - `pub struct TwoLayerNet<T: Float = f32>` with one public field per layer
///   (`pub affine1: Affine<T, 2, 10>`, ...) and a private copy of the last input;
///   `pub type TwoLayerNetF64 = TwoLayerNet<f64>`.
/// - Constructors: `TwoLayerNet::new(&mut rng)` (`f32`, no turbofish needed),
///   `TwoLayerNet::new_f64(&mut rng)`, `TwoLayerNet::<T>::with_init(&mut rng, scheme)` with
///   `InitScheme::{Book, Xavier, He, Normal { std }, Auto}` (`Auto`, the default: He for a
///   layer followed by `Relu`, else Xavier), `zeroed()`, and `init_params(&mut rng, scheme)`.
///   `rng` is any `rand::RngCore`; `nn::rand_chacha::ChaCha8Rng` gives a stream that is
///   stable across versions.
/// - `forward(x, t) -> loss` (the book's `forward`: keeps a copy of `x`), `backward()` (every
///   gradient in place), `train_step(x, t, &mut opt) -> loss` (forward, backward and the
///   optimizer update as straight-line code, no copy of `x`), `evaluate(x, t) -> (loss,
///   correct)`, `predict(x) -> view` (own buffers), `predict_into(&self, x, out)` (shared
///   `&self`, per-thread scratch), `visit_params(f)`, `param_count()`, `summary()`, and the
///   constants `INPUT`, `OUTPUT`, `PARAMS` (`TwoLayerNet::<f32>::PARAMS`).
/// - `x` is anything `nn::AsBatch` (`&Batch<T, IN>`, a view, a static
///   matrix); `t` is anything that converts into the loss's target: class indices (`&Vec<usize>`,
///   `&[usize]`) or one-hot columns (`&Batch<T, D>`) for the classification losses, a
///   `&Batch<T, D>` of values for `MeanSquaredError`. In debug builds the input is checked to
///   be finite.
/// - `impl Network<T, IN, OUT>`, and `impl Trainable<T, IN, OUT>` when there is a loss layer
///   (a network without one is for inference only).
/// - After the first batch of the largest size, `train_step`, `predict` and `predict_into`
///   allocate nothing.
///
/// # Errors
/// Mistakes are compile errors at the offending tokens, several at once: an unknown layer
/// (with the closest built-in suggested), a missing `input`, a size that is not a positive
/// integer, a layer after the loss, two losses, duplicate names, wrong arguments
/// (`Affine()`, `Sigmoid(3)`), an explicit input width that contradicts the previous layer.
#[proc_macro]
pub fn network(input: TokenStream) -> TokenStream {
    expand::expand(input.into()).into()
}
