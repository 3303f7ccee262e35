//! Central-difference gradient checking in `f64`, for layers, losses and whole networks.
//!
//! Every check compares an analytic gradient (what `backward` wrote) with the numeric
//! derivative `(f(p + ε) − f(p − ε)) / 2ε`, entry by entry, and measures the difference as
//!
//! ```text
//! error(a, b) = |a − b| / max(|a|, |b|, 1e-3)
//! ```
//!
//! (relative, with a floor so that tiny gradients are compared absolutely). A check passes
//! when the largest error is at most the tolerance (default `1e-6`).
//!
//! - [`check_layer`]: any [`Layer<f64, IN, OUT>`]. The scalar differentiated is
//!   `L = Σ y ⊙ R` for a fixed random `R` (`OUT × N`, uniform in `[−1, 1]`), so
//!   `dout = R`: one backward checks `dx` and every parameter gradient (via
//!   [`visit_params`](Layer::visit_params)). The numeric derivative is computed as
//!   `Σ R ⊙ (y(p + ε) − y(p − ε)) / 2ε`, which keeps rounding far below the tolerance. It
//!   also checks that [`output`](Layer::output) agrees with `forward`, that
//!   [`infer`](Layer::infer) agrees with a `forward` in [`Mode::Eval`], and that
//!   [`PARAMS`](Layer::PARAMS) matches what `visit_params` hands out.
//! - [`check_loss`]: any [`LossLayer<f64, D>`]: `dscore` against the numeric derivative of
//!   the returned loss.
//! - [`check_network`]: any [`Trainable<f64, IN, OUT>`] network: the numeric derivative of
//!   `forward(x, t)` with respect to every parameter, against what `backward()` wrote.
//!
//! [`GradCheck`] sets ε, the tolerance, the random seed, an optional limit of sampled
//! entries per tensor (for large layers) and the [`Mode`] a layer is checked in; the
//! `check_*` functions use the defaults.
//!
//! # Modes and random layers
//! [`GradCheck::layer`] puts the layer in [`GradCheck::mode`] ([`Mode::Train`] by default,
//! what a layer starts in) with [`Layer::set_mode`] and leaves it there; `infer` is compared
//! with a forward in [`Mode::Eval`] (what `infer` computes), run before the analytic pass.
//! Before **every** forward it runs (the analytic one, each perturbed one, the `Eval` one and
//! the final one) it calls [`Layer::reseed`] with one fixed seed, [`layer_seed`]`(seed, 0)`
//! (unrelated to the stream of `R`), so a random layer such as `Dropout` draws the same mask
//! in all of them and its gradient is checked like a deterministic one. [`GradCheck::network`]
//! likewise calls [`Network::reseed`](crate::network::Network::reseed)`(seed)` before every
//! `forward` (a `network!` network's `forward` trains: [`Mode::Train`]).
//!
//! # Example: checking your own layer
//! ```
//! use nn_core::gradcheck::{self, GradCheck};
//! use nn_core::{Batch, BatchBuf, BatchMut, BatchRef, Float, Layer};
//!
//! /// `y = x²` elementwise; `dx = 2x ⊙ dout`.
//! #[derive(Default)]
//! struct Square<T, const D: usize> {
//!     y: BatchBuf<T, D>,
//!     dx: BatchBuf<T, D>,
//! }
//!
//! impl<T: Float, const D: usize> Layer<T, D, D> for Square<T, D> {
//!     fn forward(&mut self, x: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
//!         self.y.resize(x.ncols());
//!         square(x.as_slice(), self.y.as_mut_slice());
//!         self.y.view()
//!     }
//!     fn backward(&mut self, x: BatchRef<'_, T, D>, dout: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
//!         self.dx.resize(x.ncols());
//!         for ((dx, &x), &d) in self.dx.as_mut_slice().iter_mut().zip(x.as_slice()).zip(dout.as_slice()) {
//!             *dx = (x + x) * d;
//!         }
//!         self.dx.view()
//!     }
//!     fn output(&self) -> BatchRef<'_, T, D> {
//!         self.y.view()
//!     }
//!     fn infer(&self, x: BatchRef<'_, T, D>, mut out: BatchMut<'_, T, D>) {
//!         square(x.as_slice(), out.as_mut_slice());
//!     }
//! }
//!
//! fn square<T: Float>(x: &[T], y: &mut [T]) {
//!     for (y, &x) in y.iter_mut().zip(x) {
//!         *y = x * x;
//!     }
//! }
//!
//! let x: Batch<f64, 3> = gradcheck::random_batch(5, -2.0, 2.0, 42);
//! let report = gradcheck::check_layer(&mut Square::<f64, 3>::default(), x.as_view());
//! report.assert_ok(); // panics with a table of errors if a gradient is wrong
//! assert!(report.max_error() < 1e-6);
//!
//! // Tighter settings, and at most 10 sampled entries per tensor:
//! GradCheck::new().tolerance(1e-8).sample(10).seed(7)
//!     .layer(&mut Square::<f64, 3>::default(), x.as_view())
//!     .assert_ok();
//! ```

mod common;
mod layer;
mod loss;
mod network;
mod report;

pub use common::random_batch;
pub use report::{relative_error, EntryCheck, GradReport, TensorCheck, ERROR_FLOOR};

use crate::batch::BatchRef;
#[cfg(doc)]
use crate::layers::layer_seed;
use crate::layers::{Layer, LossLayer, Mode};
use crate::network::Trainable;

/// The default finite-difference step ε.
pub const DEFAULT_EPS: f64 = 1e-5;
/// The default tolerance on the largest [`relative_error`].
pub const DEFAULT_TOLERANCE: f64 = 1e-6;
/// Settings of a gradient check: step, tolerance, sampling and seed.
///
/// ```
/// use nn_core::gradcheck::GradCheck;
/// let check = GradCheck::new().eps(1e-6).tolerance(1e-7).sample(200).seed(3);
/// assert_eq!(check.max_entries, Some(200));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct GradCheck {
    /// Finite-difference step ε (default [`DEFAULT_EPS`]).
    pub eps: f64,
    /// Largest accepted [`relative_error`] (default [`DEFAULT_TOLERANCE`]).
    pub tolerance: f64,
    /// Check at most this many entries per tensor, chosen at random (default: all).
    pub max_entries: Option<usize>,
    /// Seed of the random `R` (layer checks) and of the sampled entries; the checked layer's
    /// or network's random stream is reseeded from it before every forward.
    pub seed: u64,
    /// The mode a layer is checked in (default [`Mode::Train`]; see the
    /// [module docs](self#modes-and-random-layers)). Network checks always train.
    pub mode: Mode,
}

impl Default for GradCheck {
    fn default() -> Self {
        Self::new()
    }
}

impl GradCheck {
    /// ε = 1e-5, tolerance 1e-6, every entry, seed 0, [`Mode::Train`].
    pub fn new() -> Self {
        Self {
            eps: DEFAULT_EPS,
            tolerance: DEFAULT_TOLERANCE,
            max_entries: None,
            seed: 0,
            mode: Mode::Train,
        }
    }

    /// Sets the finite-difference step.
    #[track_caller]
    pub fn eps(self, eps: f64) -> Self {
        assert!(
            eps > 0.0 && eps.is_finite(),
            "GradCheck::eps: expected a positive step, got {eps}"
        );
        Self { eps, ..self }
    }

    /// Sets the tolerance on the largest relative error.
    pub fn tolerance(self, tolerance: f64) -> Self {
        Self { tolerance, ..self }
    }

    /// Checks at most `k` randomly chosen entries per tensor (seeded).
    pub fn sample(self, k: usize) -> Self {
        Self {
            max_entries: Some(k),
            ..self
        }
    }

    /// Sets the seed of `R`, of the sampled entries and of the checked layer's random stream.
    pub fn seed(self, seed: u64) -> Self {
        Self { seed, ..self }
    }

    /// Checks a layer in `mode` (default [`Mode::Train`]): `GradCheck::new().mode(Mode::Eval)`
    /// checks what a `BatchNorm` computes with its running statistics.
    pub fn mode(self, mode: Mode) -> Self {
        Self { mode, ..self }
    }
}

/// [`GradCheck::layer`] with the default settings (ε = 1e-5, tolerance 1e-6, every entry).
pub fn check_layer<L, const IN: usize, const OUT: usize>(layer: &mut L, x: BatchRef<'_, f64, IN>) -> GradReport
where
    L: Layer<f64, IN, OUT> + ?Sized,
{
    GradCheck::new().layer(layer, x)
}

/// [`GradCheck::loss`] with the default settings.
///
/// ```
/// use nn_core::gradcheck::{check_loss, random_batch};
/// use nn_core::{Batch, Labels, SoftmaxWithLoss};
///
/// let score: Batch<f64, 4> = random_batch(6, -3.0, 3.0, 1);
/// let labels = [0, 3, 1, 1, 2, 0];
/// check_loss(&mut SoftmaxWithLoss::<f64, 4>::new(), score.as_view(), Labels::Classes(&labels)).assert_ok();
/// ```
pub fn check_loss<L, const D: usize>(
    loss: &mut L,
    score: BatchRef<'_, f64, D>,
    t: <L as LossLayer<f64, D>>::Target<'_>,
) -> GradReport
where
    L: LossLayer<f64, D> + ?Sized,
{
    GradCheck::new().loss(loss, score, t)
}

/// [`GradCheck::network`] with the default settings; use
/// `GradCheck::new().sample(200).network(..)` for large networks.
///
/// For a network built with `network!` (in f64; a complete, tested example is
/// `nn-core/tests/gradcheck_network.rs`, which implements `Trainable` by hand):
///
/// ```text
/// let mut net = TwoLayerNet::new_f64(&mut rng);
/// let report = nn::gradcheck::check_network(&mut net, x.as_view(), Labels::Classes(&labels));
/// report.assert_ok(); // or inspect report.max_error(), report.worst(), println!("{report}")
/// ```
pub fn check_network<N, const IN: usize, const OUT: usize>(
    net: &mut N,
    x: BatchRef<'_, f64, IN>,
    t: <N::Loss as LossLayer<f64, OUT>>::Target<'_>,
) -> GradReport
where
    N: Trainable<f64, IN, OUT> + ?Sized,
{
    GradCheck::new().network(net, x, t)
}
