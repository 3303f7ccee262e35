//! The layers: the book's chapter-1 seed (`MatMul`, `Affine`, `Repeat`, `Sum`, `Sigmoid`,
//! `Softmax`, `SoftmaxWithLoss`) and the usual MLP companions (`Relu`, `Tanh`, `LeakyRelu`,
//! `Gelu`, `GeluTanh`, `Softplus`, `Identity`, `Dropout`, `BatchNorm`, `LayerNorm`,
//! `SigmoidWithLoss`, `MeanSquaredError`). One file per layer; the traits every layer
//! implements are in `layer.rs` ([`Layer`], [`LossLayer`]).

mod activation;
mod affine;
mod batch_norm;
mod broadcast;
mod cross_entropy;
mod dropout;
mod embedding;
mod gelu;
mod gru;
mod identity;
mod layer;
mod layer_norm;
mod leaky_relu;
pub(crate) mod linear;
mod lstm;
mod matmul;
mod mse;
mod op;
mod recurrent;
mod repeat;
mod rnn;
mod sigmoid_with_loss;
mod softmax;
mod softmax_with_loss;
mod softplus;
mod sum;

pub use activation::{Activation, ActivationFn, Relu, ReluFn, Sigmoid, SigmoidFn, Tanh, TanhFn};
pub use affine::Affine;
pub use batch_norm::BatchNorm;
pub use broadcast::{repeat_into, sum_into};
pub use cross_entropy::{cross_entropy_error, LOG_GUARD};
pub use dropout::Dropout;
pub use embedding::Embedding;
pub use gelu::{Gelu, GeluFn, GeluTanh, GeluTanhFn};
pub use gru::{Gru, GruCell};
pub use identity::Identity;
pub use layer::{layer_seed, Layer, LossLayer, Mode, StepLayer};
pub use layer_norm::LayerNorm;
pub use leaky_relu::LeakyRelu;
#[doc(hidden)]
pub use linear::FusedLinear;
pub use lstm::{Lstm, LstmCell};
pub use matmul::MatMul;
pub use mse::MeanSquaredError;
pub use op::{LayerOp, Prediction};
pub use recurrent::{Cell, Recurrent, RecurrentState, StepView};
pub use repeat::Repeat;
pub use rnn::{Rnn, RnnCell};
pub use sigmoid_with_loss::SigmoidWithLoss;
pub use softmax::{softmax_into, Softmax};
pub use softmax_with_loss::{argmax, SoftmaxWithLoss};
pub use softplus::{Softplus, SoftplusFn};
pub use sum::Sum;
