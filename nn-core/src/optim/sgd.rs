use crate::float::Float;
use crate::optim::{Optimizer, OptimizerState, StateError};
use crate::param::Param;

/// Stochastic gradient descent (the book's `SGD`): `p ← p − lr·g` for every parameter.
///
/// ```
/// use nn_core::{Optimizer, Param, Sgd};
/// let mut p = [1.0f32, 2.0];
/// let g = [0.5f32, -1.0];
/// Sgd::new(0.1).update(0, Param::new("w", &mut p, &g));
/// assert_eq!(p, [0.95, 2.1]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Sgd<T> {
    /// The learning rate.
    pub lr: T,
}

impl<T: Float> Sgd<T> {
    /// SGD with learning rate `lr` (the book's default is 0.01; chapter 1 uses 1.0).
    pub fn new(lr: T) -> Self {
        Self { lr }
    }
}

/// The SGD rule for one element, `p ← p − lr·g` (a product, then a difference: no FMA, so
/// every path rounds alike). Every SGD update of nn computes it: [`Sgd::update`] through a
/// vectorised loop, and [`DataParallel`](crate::parallel::DataParallel)'s one-pass combine.
#[inline(always)]
pub(crate) fn rule<T: Float>(p: T, lr: T, g: T) -> T {
    p - lr * g
}

impl<T: Float> Optimizer<T> for Sgd<T> {
    #[inline]
    fn update(&mut self, _index: usize, p: Param<'_, T>) {
        // The vectorised form of `rule` (same rounding, checked by the optim tests).
        crate::kernels::elementwise::sub_scaled(p.value, self.lr, p.grad);
    }

    fn learning_rate(&self) -> Option<f64> {
        Some(self.lr.as_f64())
    }

    #[track_caller]
    fn set_learning_rate(&mut self, lr: f64) {
        super::check_new_rate("Sgd", lr);
        self.lr = T::cast(lr);
    }

    /// Saves `lr` (kind "Sgd").
    fn save_state(&self, state: &mut OptimizerState<T>) -> Result<(), StateError> {
        state.reset("Sgd");
        state.set_scalar("lr", self.lr);
        Ok(())
    }

    /// Restores `lr`.
    fn load_state(&mut self, state: &OptimizerState<T>) -> Result<(), StateError> {
        state.expect_kind("Sgd")?;
        self.lr = state.require_scalar("Sgd", "lr")?;
        Ok(())
    }

    fn plain_sgd_rate(&self, _: super::sealed::Token) -> Option<T> {
        Some(self.lr)
    }
}
