//! The layers: the book's chapter-1 seed (`MatMul`, `Affine`, `Repeat`, `Sum`, `Sigmoid`,
//! `Softmax`, `SoftmaxWithLoss`) and the usual MLP companions (`Relu`, `Tanh`,
//! `SigmoidWithLoss`, `MeanSquaredError`). One file per layer.

mod affine;
mod cross_entropy;
pub mod linear;
mod matmul;
mod mse;
mod relu;
mod repeat;
mod sigmoid;
mod sigmoid_with_loss;
mod softmax;
mod softmax_with_loss;
mod sum;
mod tanh;

pub use affine::Affine;
pub use cross_entropy::{cross_entropy_error, LOG_GUARD};
pub use matmul::MatMul;
pub use mse::MeanSquaredError;
pub use relu::Relu;
pub use repeat::{repeat_into, Repeat};
pub use sigmoid::Sigmoid;
pub use sigmoid_with_loss::SigmoidWithLoss;
pub use softmax::{softmax_into, Softmax};
pub use softmax_with_loss::{argmax, SoftmaxWithLoss};
pub use sum::{sum_into, Sum};
pub use tanh::Tanh;
