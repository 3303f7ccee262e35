//! What can go wrong when exporting a network to ONNX.

use std::io;
use std::path::PathBuf;

/// A failed ONNX export: a layer without an ONNX form, a layer whose `Layer::op` does not
/// describe it, or a file that could not be written. Each names the layer or the path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OnnxError {
    /// The layer's [`Layer::op`](crate::layers::Layer::op) is `None`: it has no standard
    /// operator, so the network cannot be exported.
    #[error(
        "cannot export layer `{layer}` ({kind}) to ONNX: it has no standard operator \
         (implement `Layer::op` for the layer, or set `ActivationFn::OP` for an activation)"
    )]
    Unsupported {
        /// The layer's field name.
        layer: &'static str,
        /// Its type as the summary shows it (`Swish<8>`).
        kind: String,
    },
    /// The layer's `Layer::op` contradicts the network: widths that do not chain, a weight
    /// slice of the wrong length, an empty operator name.
    #[error("cannot export layer `{layer}` ({kind}) to ONNX: its `Layer::op` {problem}")]
    InvalidOp {
        /// The layer's field name.
        layer: &'static str,
        /// Its type as the summary shows it.
        kind: String,
        /// What is wrong.
        problem: String,
    },
    /// Writing the file failed; any previous file at `path` is left as it was.
    #[error("cannot write the ONNX model to {}: {source}", path.display())]
    Io {
        /// The file that was being written.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
}
