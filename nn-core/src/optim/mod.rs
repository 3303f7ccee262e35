//! Optimizers: update every parameter from its gradient (the book's `optimizer.update(params, grads)`).

mod adagrad;
mod adam;
pub mod clip;
mod momentum;
mod rmsprop;
mod saved;
pub mod schedule;
pub(crate) mod sgd;
mod state;

pub use adagrad::AdaGrad;
pub use adam::{Adam, AdamW};
pub use clip::ClipGradNorm;
pub use momentum::Momentum;
pub use rmsprop::RmsProp;
pub use saved::{OptimizerState, StateError};
pub use sgd::Sgd;

use crate::float::Float;
use crate::param::Param;

/// An update rule applied to every (parameter, gradient) pair of a network.
///
/// A step calls [`begin_step`](Optimizer::begin_step) once, then
/// [`update`](Optimizer::update) for each parameter tensor in the network's fixed visit
/// order, so `index` identifies a tensor across steps. Stateful optimizers allocate their
/// state on the first step and reuse it after.
pub trait Optimizer<T: Float> {
    /// Called once at the start of every step (e.g. Adam's step counter).
    fn begin_step(&mut self) {}

    /// Updates one parameter tensor in place from its gradient.
    fn update(&mut self, index: usize, param: Param<'_, T>);

    /// The learning rate, if this optimizer has one (every built-in optimizer: its `lr`).
    /// What the [`Trainer`](crate::train::Trainer) records in its log points and a
    /// [`schedule`](crate::train::Trainer::schedule) needs. The default: `None`.
    fn learning_rate(&self) -> Option<f64> {
        None
    }

    /// Sets the learning rate (what a [`schedule`] does before every step); the
    /// next [`begin_step`](Optimizer::begin_step) and updates use it. The built-in
    /// optimizers panic unless `lr` is finite and at least 0. The default panics: an
    /// optimizer whose [`learning_rate`](Optimizer::learning_rate) is `Some` must implement
    /// both.
    fn set_learning_rate(&mut self, lr: f64) {
        panic!(
            "{} has no learning rate to set to {lr} (implement Optimizer::learning_rate and Optimizer::set_learning_rate)",
            core::any::type_name::<Self>()
        );
    }

    /// Writes this optimizer's state (hyperparameters, step counts, per-tensor buffers) into
    /// `state`, replacing what it held, for a checkpoint. The default returns
    /// [`StateError::Unsupported`]; every built-in optimizer implements it.
    fn save_state(&self, state: &mut OptimizerState<T>) -> Result<(), StateError> {
        let _ = state;
        Err(StateError::Unsupported {
            optimizer: core::any::type_name::<Self>(),
        })
    }

    /// Restores the state [`save_state`](Optimizer::save_state) wrote (hyperparameters
    /// included), so the next step continues exactly where the saved run was. Checks the
    /// kind and that every entry is there before changing anything (an error leaves `self`
    /// as it was); buffer lengths are checked against the network by
    /// [`OptimizerState::check_buffers`]. The default returns [`StateError::Unsupported`].
    fn load_state(&mut self, state: &OptimizerState<T>) -> Result<(), StateError> {
        let _ = state;
        Err(StateError::Unsupported {
            optimizer: core::any::type_name::<Self>(),
        })
    }

    /// Whether this is plain SGD, `p ← p − lr·g` with no state (only [`Sgd`] says so):
    /// [`DataParallel`](crate::parallel::DataParallel) then combines the two halves' gradients and steps
    /// in one pass. Not part of the trait's contract for optimizer authors: the argument's
    /// type cannot be named outside nn, so no other optimizer can override it (a wrapper
    /// that forwarded it would have its own `update` skipped).
    #[doc(hidden)]
    fn plain_sgd_rate(&self, _: sealed::Token) -> Option<T> {
        None
    }
}

/// A type only nn can name: [`Optimizer::plain_sgd_rate`] takes one, so only nn's own
/// optimizers can override that method.
pub(crate) mod sealed {
    /// See the module docs.
    #[derive(Clone, Copy, Debug)]
    pub struct Token(pub(crate) ());
}

/// `Some(lr)` if `opt` is plain SGD (see [`Optimizer::plain_sgd_rate`]).
#[inline]
pub(crate) fn sgd_rate<T: Float, O: Optimizer<T> + ?Sized>(opt: &O) -> Option<T> {
    opt.plain_sgd_rate(sealed::Token(()))
}

/// Panics unless `lr` is a learning rate an optimizer can be built with (finite, > 0).
#[track_caller]
pub(crate) fn check_lr<T: Float>(who: &str, lr: T) {
    assert!(
        lr.is_finite() && lr > T::zero(),
        "{who}: the learning rate must be finite and greater than 0, got {lr}"
    );
}

/// Panics unless `v` lies in `0..1` (a decay or momentum coefficient).
#[track_caller]
pub(crate) fn check_coefficient<T: Float>(who: &str, name: &str, v: T) {
    assert!(
        v >= T::zero() && v < T::one(),
        "{who}: {name} must lie in [0, 1), got {v}"
    );
}

/// Panics unless `lambda` is a weight decay (finite, ≥ 0).
#[track_caller]
pub(crate) fn check_weight_decay<T: Float>(who: &str, lambda: T) {
    assert!(
        lambda.is_finite() && lambda >= T::zero(),
        "{who}::weight_decay: the weight decay must be finite and at least 0, got {lambda}"
    );
}

/// The saved `weight_decay` (0 in a state saved without one: the optimizers write it only
/// when it is not 0).
pub(crate) fn saved_weight_decay<T: Float>(state: &OptimizerState<T>) -> T {
    state.scalar("weight_decay").unwrap_or(T::zero())
}

/// Saves `weight_decay` if it is not 0 (so states without decay read as before).
pub(crate) fn save_weight_decay<T: Float>(state: &mut OptimizerState<T>, lambda: T) {
    if lambda != T::zero() {
        state.set_scalar("weight_decay", lambda);
    }
}

/// Panics unless `lr` is a usable learning rate for `set_learning_rate` (finite, ≥ 0).
#[track_caller]
pub(crate) fn check_new_rate(who: &str, lr: f64) {
    assert!(
        lr.is_finite() && lr >= 0.0,
        "{who}::set_learning_rate: the learning rate must be finite and at least 0, got {lr}"
    );
}

/// Runs one optimizer step over every pair `visit` hands out: `begin_step`, then `update`
/// for each pair in order.
pub fn apply<T: Float, O: Optimizer<T> + ?Sized>(opt: &mut O, visit: impl FnOnce(&mut dyn FnMut(Param<'_, T>))) {
    opt.begin_step();
    let mut index = 0;
    visit(&mut |p| {
        opt.update(index, p);
        index += 1;
    });
}

#[cfg(test)]
mod tests;
