//! The `network!` procedural macro of `nn`: parse (`ast.rs`) → check (`validate.rs`) →
//! generate (`expand/`, one file per generated item). `builtins.rs` is the one table of
//! built-in layers that the checks and the generation read. Use it through the `nn` crate,
//! which re-exports it.

mod ast;
mod builtins;
mod expand;
mod validate;

#[cfg(test)]
mod fuzz;
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
/// assert_eq!(TwoLayerNet::PARAMS, 2 * 10 + 10 + 10 * 3 + 3);
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
/// | activation | `Sigmoid`, `Tanh`, `Relu`, `Softmax`, `Gelu` (erf), `GeluTanh`, `Softplus`, `Identity` | `Sigmoid<T, IN>` |
/// | with a number | `LeakyRelu(0.01)`, `Dropout(0.5)` | `Dropout<T, IN>` |
/// | normalization | `BatchNorm`, `BatchNorm(eps, momentum)`, `LayerNorm`, `LayerNorm(eps)` | `BatchNorm<T, IN>` |
/// | loss (last, optional) | `SoftmaxWithLoss`, `SigmoidWithLoss`, `MeanSquaredError` | `SoftmaxWithLoss<T, IN>` |
/// | your layer, same width | `crate::layers::Swish`, `self::Scale(2.0)` | `crate::layers::Swish<T, IN>` |
/// | your layer, new width | `crate::Project -> 16`, `crate::Project(0.5) -> 16` | `crate::Project<T, IN, 16>` |
///
/// A built-in's number arguments are optional from the right, with PyTorch's defaults
/// (`LeakyRelu` 0.01; `Dropout` p = 0.5; `BatchNorm` eps = 1e-5, momentum = 0.1; `LayerNorm`
/// eps = 1e-5), written as number literals and checked by the macro (`Dropout(1.5)` is a
/// compile error at the `1.5`); they reach the layer's `new` as `f64`.
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
///   arguments written in parentheses (none if there are none). A float literal (`0.01`,
///   `-0.5`) is passed as `Into::into(nn::Number(0.01))`, so it reaches a parameter typed `T`
///   (the network's float type) or `f64` alike; other arguments are passed as written;
/// - `impl<T: nn::Float> nn::Layer<T, IN, OUT> for Path<T, IN, ...>` for every float type and
///   the widths it is used at; its parameters are drawn by `Layer::init_params`, visited by
///   `Layer::visit_params` and counted by `Layer::PARAMS`.
///
/// The layer's type and its `Layer` bound are written at your tokens, so a layer that does
/// not fit (say it implements `Layer<T, 12, 12>` but follows a layer with 10 outputs) is a
/// compile error on that layer's line. A user layer cannot be the loss.
///
/// A path whose prefix is the `nn` crate names a built-in, not a user layer: `nn::Affine(3)`,
/// `::nn::layers::Relu`, `loss: nn::SoftmaxWithLoss` (and the same under a renamed
/// dependency's name, below).
///
/// **Layers declared inside a function.** The expansion names a user layer by the path you
/// write, from the module of the `network!` call, and a path with `::` cannot reach an item
/// declared directly in a function body (such items have no path; `self::` is the
/// enclosing module). Declare the layer in a module, or, to keep it local, in an inline
/// module inside the function: `fn f() { mod local { pub struct Scale<..> .. }
/// network! { .. s: local::Scale, .. } }` works, since `local` itself is in scope there.
///
/// # The `nn` crate's name, and options
/// The generated code reaches `nn` by absolute path. The macro reads the calling crate's
/// `Cargo.toml` (with the `proc-macro-crate` crate), so a renamed dependency
/// (`mynn = { package = "nn", .. }`) works unchanged: the paths become `::mynn::...`. When
/// `nn` is reached some other way (a re-export from another crate), name it with an
/// attribute on the struct, which the macro consumes:
/// - `#[nn(crate = path)]`: the path of the `nn` crate as seen from the call site, e.g.
///   `#[nn(crate = ::my_framework::nn)]`;
/// - `#[nn(f64_alias = Name)]`: the name of the `f64` alias instead of `NetF64`.
///
/// # Generated names
/// At module level the macro declares the struct and its alias `NameF64` (renamed by
/// `#[nn(f64_alias = ...)]`) and nothing else: the impls sit in a `const _: () = { ... };`
/// block. A clash with another item of the module (your own `NetF64`) is reported at the
/// network's name. The struct's type parameter is `T` and the generated code names `f32`,
/// `f64` and `usize`, so a network cannot be named `T`, `f32`, `f64` or `usize` (one error
/// says so). Each layer's name becomes a field; with a loss the struct also has a private
/// field `input` (so no layer may be named `input`, which is the size entry anyway). The
/// inherent items are the methods and constants listed below; an inherent item of your own
/// with the same name on the same type is a "duplicate definitions" error. The locals of the
/// generated bodies are hygienic, so layer names never clash with them.
///
/// # What it expands to
/// Run `cargo expand` (`cargo install cargo-expand`) on your crate to read it; the
/// repository keeps expansions of three networks in `tests/expand/`. For the network above:
/// - `pub struct TwoLayerNet<T: Float = f32>` with one public field per layer
///   (`pub affine1: Affine<T, 2, 10>`, ...) and a private copy of the last input;
///   `pub type TwoLayerNetF64 = TwoLayerNet<f64>`.
/// - Constructors, one set per float type so that none needs a type annotation:
///   `TwoLayerNet::new(&mut rng)`, `TwoLayerNet::zeroed()`, `TwoLayerNet::with_init(&mut rng,
///   scheme)` (`f32`) and `new_f64`, `zeroed_f64`, `with_init_f64` (`f64`); code generic over
///   the float type calls `Network::zeroed()` / `Network::with_init(rng, scheme)`. Schemes:
///   `InitScheme::{Book, Xavier, He, Normal { std }, Auto}` (`Auto`, the default: He for a
///   layer followed by a rectifier — `Relu`, `LeakyRelu`, or a user layer whose
///   `Layer::RECTIFIER` is `true` — else Xavier); `init_params(&mut rng, scheme)` draws again.
///   `rng` is any `rand::RngCore`; `nn::rand_chacha::ChaCha8Rng` gives a stream that is
///   stable across versions.
/// - `forward(x, t) -> loss` (the book's `forward`: keeps a copy of `x`), `backward()` (every
///   gradient in place), `train_step(x, t, &mut opt) -> loss` (forward, backward and the
///   optimizer update as straight-line code, no copy of `x`), `evaluate(x, t) -> (loss,
///   correct)`, `predict(x) -> view` (own buffers), `predict_into(&self, x, out)` (shared
///   `&self`, per-thread scratch), `visit_params(f)`, `param_count()`, `summary()`, and the
///   constants `INPUT`, `OUTPUT`, `PARAMS` (`TwoLayerNet::PARAMS`, the same for `f64`).
/// - Train and eval mode: `forward` and `train_step` put every layer that can tell the
///   difference (`Dropout`, `BatchNorm`, user layers) in `Mode::Train`, `predict` and
///   `evaluate` in `Mode::Eval` (`Layer::set_mode`); `predict_into` and the helpers below
///   use each layer's `infer`, always the inference form. `set_mode(mode)` switches by hand;
///   `reseed(seed)` restarts every layer's random stream (`Dropout`'s masks; the `Trainer`
///   calls it every epoch).
/// - Inference helpers through `&self`: `predict_one(&[T; IN]) -> [T; OUT]` (scores), and for
///   `SoftmaxWithLoss` / `SigmoidWithLoss` `predict_proba(&[T; IN])`,
///   `predict_proba_into(x, out)` (softmax or sigmoid), `predict_class(&[T; IN]) ->
///   Option<usize>` and `predict_classes(x) -> Vec<Option<usize>>` (`None` for a non-finite
///   score; the class methods for a sigmoid need one output).
/// - For exporters: `visit_ops(f)` (every layer but the loss as its `Layer::op`) and
///   `prediction()` (the loss's `LossLayer::PREDICTION`); with `nn`'s `onnx` feature,
///   `to_onnx()` and `save_onnx(path)` (`nn::onnx`).
/// - `x` is anything `nn::AsBatch` (`&Batch<T, IN>`, a view, a static
///   matrix, one sample `&[T; IN]`, samples as rows `&[[T; IN]]`, `&[[T; IN]; N]`,
///   `&Vec<[T; IN]>`); `t` is anything that converts into the loss's target: class indices (`&Vec<usize>`,
///   `&[usize]`) or one-hot columns (`&Batch<T, D>`) for the classification losses, a
///   `&Batch<T, D>` of values for `MeanSquaredError`. In debug builds the input is checked to
///   be finite.
/// - `impl Network<T, IN, OUT>`, and `impl Trainable<T, IN, OUT>` when there is a loss layer
///   (a network without one is for inference only).
/// - After the first batch of the largest size, `train_step`, `predict` and `predict_into`
///   allocate nothing.
///
/// # Errors
/// Mistakes are compile errors at the offending tokens, several at once but one per
/// mistake: an unknown layer (with the closest built-in suggested), a missing `input`, a
/// size that is not a positive integer, a layer after the loss, two losses, duplicate names,
/// a layer named `trainer` or `optimizer` (a checkpoint's own keys), a built-in's number
/// argument out of range or not a literal,
/// wrong arguments (`Affine()`, `Sigmoid(3)`, `Affine(2 ->)`), an explicit input width that
/// contradicts the previous layer, a missing comma, generic arguments on a layer, `#[cfg]`
/// or an inner doc comment `//!` on a layer (a layer cannot be compiled out; outer `///`
/// comments and other attributes pass through to the field), a reserved network name, and
/// widths whose parameter count (or sum of output widths) does not fit a `usize`. A user
/// layer's own `Layer::PARAMS` is only known to the compiler: if the network's sum
/// overflows, the compiler reports the failed evaluation of the network's `PARAMS` with the
/// two numbers.
#[proc_macro]
pub fn network(input: TokenStream) -> TokenStream {
    expand::expand(input.into(), &facade()).into()
}

/// The path of the `nn` facade in the crate being compiled, from its `Cargo.toml`:
/// `::mynn` for `mynn = { package = "nn", ... }`, else `::nn`. `FoundCrate::Itself` (the
/// `nn` package's own examples and doc tests) and a manifest that cannot be read also give
/// `::nn`: `nn`'s library never calls the macro, and `#[nn(crate = path)]` covers the rest.
fn facade() -> syn::Path {
    let name = match proc_macro_crate::crate_name("nn") {
        Ok(proc_macro_crate::FoundCrate::Name(name)) => name,
        Ok(proc_macro_crate::FoundCrate::Itself) | Err(_) => String::from("nn"),
    };
    let ident =
        syn::parse_str::<syn::Ident>(&name).unwrap_or_else(|_| syn::Ident::new("nn", proc_macro2::Span::call_site()));
    syn::parse_quote!(::#ident)
}
