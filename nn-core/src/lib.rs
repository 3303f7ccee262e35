//! The runtime of `nn`: layers with compile-time feature widths, losses, optimizers and
//! training helpers. Use it through the `nn` facade crate.
//!
//! Every layer is generic over the float type ([`Float`]: `f32` or `f64`) and its input and
//! output widths (`const usize`); the batch size is chosen per call. A batch is a `D × N`
//! nalgebra matrix with one sample per column (see [`batch`] for why).
#![warn(missing_docs)]

pub mod alloc_counter;
pub mod batch;
pub mod data;
mod float;
pub mod gemm;
pub mod gradcheck;
mod heap;
mod init;
mod input;
mod labels;
mod layer;
pub mod layers;
pub mod math;
mod network;
pub mod optim;
pub mod parallel;
mod param;
#[cfg(feature = "plot")]
pub mod plot;
pub mod scratch;
pub mod train;

pub use batch::{batch_from_rows, batch_view, batch_view_mut, AsBatch, Batch, BatchBuf, BatchMut, BatchRef};
pub use float::Float;
pub use heap::{boxed_clone, boxed_zeros};
pub use init::{Init, InitScheme};
pub use input::{AsInput, Gather, Input};
pub use labels::Labels;
pub use layer::{Layer, LossLayer};
pub use layers::*;
pub use network::{Network, Summary, SummaryRow, Trainable};
pub use optim::{AdaGrad, Adam, Momentum, Optimizer, RmsProp, Sgd};
pub use parallel::{DataParallel, ParallelStats};
pub use param::Param;

pub use nalgebra;
pub use rand;
pub use rand_chacha;
