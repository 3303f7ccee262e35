//! ONNX export of a network for inference (feature `onnx`): hand a trained network to
//! another runtime (onnxruntime, tract, a browser, a phone) as a standard `.onnx` file.
//!
//! The graph (opset 13) takes `input`, a `[N, IN]` tensor with one sample per **row** (as
//! PyTorch and the runtimes do; `nn`'s batches are `IN × N`, so this is their transpose),
//! and gives `scores` (`[N, OUT]`, what `predict` returns) and, for a network trained with
//! `SoftmaxWithLoss` or `SigmoidWithLoss`, `probabilities` (their softmax over each
//! sample's scores, or their sigmoid). One node per layer, named by its field: `Affine` →
//! `Gemm` with initializers `{field}.weight` (`[OUT, IN]`, as `torch.nn.Linear`) and
//! `{field}.bias`, `MatMul` → `Gemm` without a bias, `Sigmoid` / `Tanh` / `Relu` /
//! `Softmax` → the operator of that name. Every tensor is `FLOAT` (f32): an `f64`
//! network's parameters are rounded to the nearest f32 (runtimes' `DOUBLE` support for
//! `Gemm` varies; tract 0.23 cannot optimise one).
//!
//! A layer is exported through [`Layer::op`](crate::layers::Layer::op); one without an
//! ONNX form (a user layer that does not implement it, an activation without
//! [`ActivationFn::OP`](crate::layers::ActivationFn::OP)) makes the export fail with
//! [`OnnxError::Unsupported`] naming it.
//!
//! Every `network!` struct also has the methods `to_onnx()` and `save_onnx(path)` when the
//! `nn` crate's `onnx` feature is on.
//!
//! ```
//! # fn main() -> Result<(), nn::onnx::OnnxError> {
//! use nn::rand::SeedableRng;
//!
//! nn::network! {
//!     /// 2 → 16 (tanh) → 3 classes.
//!     pub struct Classifier {
//!         input: 2,
//!         fc1: Affine(16),
//!         tanh: Tanh,
//!         fc2: Affine(3),
//!         loss: SoftmaxWithLoss,
//!     }
//! }
//!
//! let net = Classifier::new(&mut nn::rand_chacha::ChaCha8Rng::seed_from_u64(0));
//! let bytes: Vec<u8> = nn::onnx::to_onnx(&net)?; // a ModelProto
//! let path = std::env::temp_dir().join(format!("classifier-{}.onnx", std::process::id()));
//! nn::onnx::save_onnx(&net, &path)?; // written atomically
//! assert_eq!(std::fs::read(&path).unwrap(), bytes);
//! # std::fs::remove_file(&path).unwrap();
//! # Ok(())
//! # }
//! ```

mod error;
mod graph;
#[allow(missing_docs, clippy::all, clippy::pedantic)]
mod proto;
#[cfg(test)]
mod tests;

use std::path::Path;

pub use error::OnnxError;
pub use graph::{BATCH, INPUT, IR_VERSION, OPSET, PROBABILITIES, SCORES};

use crate::float::Float;
use crate::network::Network;

/// The network as a serialized ONNX `ModelProto` (see the [module documentation](self)).
///
/// # Errors
/// [`OnnxError::Unsupported`] for a layer without an ONNX form, [`OnnxError::InvalidOp`]
/// for a layer whose `Layer::op` contradicts its widths; both name the layer.
pub fn to_onnx<T: Float, const IN: usize, const OUT: usize, N: Network<T, IN, OUT> + ?Sized>(
    net: &N,
) -> Result<Vec<u8>, OnnxError> {
    let model = graph::model(net)?;
    Ok(prost::Message::encode_to_vec(&model))
}

/// Writes [`to_onnx`]'s bytes to `path` atomically: to a temporary file in the same
/// directory, flushed and `fsync`ed, then renamed over `path`, so a failed save leaves any
/// previous file intact and no temporary file behind.
///
/// # Errors
/// Those of [`to_onnx`] (nothing is written then), and [`OnnxError::Io`] naming the path.
pub fn save_onnx<T: Float, const IN: usize, const OUT: usize, N: Network<T, IN, OUT> + ?Sized>(
    net: &N,
    path: impl AsRef<Path>,
) -> Result<(), OnnxError> {
    let path = path.as_ref();
    let bytes = to_onnx(net)?;
    crate::atomic::write_atomic(path, |w| w.write_all(&bytes)).map_err(|source| OnnxError::Io {
        path: path.to_path_buf(),
        source,
    })
}
