//! The runtime of `nn`: layers with compile-time feature widths, losses, optimizers and
//! training helpers. Use it through the `nn` facade crate.
//!
//! Every layer is generic over the float type ([`Float`]: `f32` or `f64`) and its input and
//! output widths (`const usize`); the batch size is chosen per call. A batch is a `D × N`
//! nalgebra matrix with one sample per column (see [`batch`] for why).
#![warn(missing_docs)]
#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]

// Atomic file replacement, shared by `persist` and `onnx`.
#[cfg(any(feature = "safetensors", feature = "onnx"))]
mod atomic;
pub mod batch;
pub mod data;
mod float;
pub mod inference;
mod init;
mod input;
#[allow(unsafe_code)]
mod kernels;
mod labels;
pub mod layers;
pub mod metrics;
mod network;
#[cfg(feature = "onnx")]
pub mod onnx;
pub mod optim;
mod param;
#[cfg(feature = "safetensors")]
pub mod persist;
#[cfg(feature = "plot")]
pub mod plot;
pub mod seq;
pub mod state;

/// The modules behind Cargo features, for the `nn` facade to re-export whichever are on.
#[doc(hidden)]
pub mod feature_gated {
    #[cfg(feature = "onnx")]
    pub use crate::onnx;
    #[cfg(feature = "safetensors")]
    pub use crate::persist;
    #[cfg(feature = "plot")]
    pub use crate::plot;
}
mod testing;
pub mod train;

pub use batch::{batch_from_rows, batch_view, batch_view_mut, AsBatch, Batch, BatchBuf, BatchMut, BatchRef};
pub use float::{Float, Number};
pub use init::{Init, InitScheme};
pub use input::{AsInput, Gather, Input};
pub use kernels::heap::{AlignedBuf, HeapMatrix};
pub use labels::Labels;
#[doc(hidden)]
pub use layers::FusedLinear;
pub use layers::{
    argmax, cross_entropy_error, layer_seed, repeat_into, softmax_into, sum_into, Activation, ActivationFn, Affine,
    BatchNorm, Cell, Dropout, Embedding, Gelu, GeluFn, GeluTanh, GeluTanhFn, Gru, GruCell, Identity, Layer, LayerNorm,
    LeakyRelu, LossLayer, Lstm, LstmCell, MatMul, MeanSquaredError, Mode, Recurrent, RecurrentState, Relu, ReluFn,
    Repeat, Rnn, RnnCell, Sigmoid, SigmoidFn, SigmoidWithLoss, Softmax, SoftmaxWithLoss, Softplus, SoftplusFn,
    StepLayer, Sum, Tanh, TanhFn, LOG_GUARD,
};
pub use network::{Network, Summary, SummaryRow, Trainable};
// Layers as standard operators, for exporters (`onnx`).
pub use layers::{LayerOp, Prediction};
pub use optim::{AdaGrad, Adam, Momentum, Optimizer, RmsProp, Sgd};
pub use param::Param;
pub use testing::{alloc_counter, gradcheck};
pub use train::parallel;
pub use train::parallel::{DataParallel, ParallelStats};

pub use nalgebra;
pub use rand;
pub use rand_chacha;

/// The kernels' entry points that benchmarks and tests measure or compare against; not a
/// public API (no stability promise, hidden from the docs).
#[doc(hidden)]
pub mod __internal {
    pub use crate::kernels::elementwise::{exp_f32_in_place, sigmoid_f32, sub_scaled, tanh_f32};
    pub use crate::kernels::gemm::{
        gemm, gemm_gathered, gemm_gathered_with_isa, gemm_with, gemm_with_isa, Gathered, Isa, MatMut, MatRef, Path,
        PATHS,
    };
    pub use crate::kernels::scratch::with_scratch;
    /// The fully connected layers' product choice (fixed-width kernels or the GEMM).
    pub mod linear {
        pub use crate::layers::linear::{backward_dw, backward_dx, forward, FIXED_MAX, FIXED_MAX_WORK};
    }

    /// `y ← y + W·x`, `W` column-major with `y.len()` rows and `K` columns: the gate products
    /// of a recurrent layer's streaming step.
    pub fn matvec_acc<T: crate::Float, const K: usize>(w: &[T], x: &[T], y: &mut [T]) {
        crate::kernels::fixed::fixed_matvec_acc::<T, K>(w, x, y);
    }
}
