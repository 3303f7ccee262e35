//! Optimizers: update every parameter from its gradient (the book's `optimizer.update(params, grads)`).

mod adagrad;
mod adam;
mod momentum;
mod rmsprop;
mod sgd;
mod state;

pub use adagrad::AdaGrad;
pub use adam::Adam;
pub use momentum::Momentum;
pub use rmsprop::RmsProp;
pub use sgd::Sgd;

use crate::{Float, Param};

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

    /// `Some(lr)` if [`update`](Optimizer::update) is exactly `p ← p − lr·g` (rounded as
    /// `p − (lr·g)`) and keeps no state, as for [`Sgd`]. A network's `train_step` may then
    /// fold the step of its first layer into that layer's weight-gradient product, skipping
    /// a pass over the weights; that layer's gradient fields are then not written (run
    /// `forward` and `backward` to see gradients). The default, `None`, never folds. An
    /// optimizer that wraps another (clipping, logging) must not forward its inner
    /// optimizer's rate: its own `update` would be skipped for the folded layer.
    fn sgd_rate(&self) -> Option<T> {
        None
    }
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
