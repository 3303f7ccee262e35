use super::state::Slots;
use crate::float::Float;
use crate::optim::{Optimizer, OptimizerState, StateError};
use crate::param::Param;

/// SGD with momentum (the book's `Momentum`, vol. 1 `common/optimizer.py`):
///
/// - `v ← momentum·v − lr·g`
/// - `p ← p + v`
///
/// `v` starts at zero; one `v` per parameter tensor is allocated on the first step.
/// Book defaults: `lr = 0.01`, `momentum = 0.9` ([`Momentum::default`]).
///
/// ```
/// use nn_core::{Momentum, Optimizer, Param};
/// let mut opt = Momentum::new(0.1, 0.9);
/// let mut p = [1.0f64];
/// opt.update(0, Param::new("w", &mut p, &[1.0])); // v = -0.1
/// opt.update(0, Param::new("w", &mut p, &[1.0])); // v = 0.9·(-0.1) - 0.1 = -0.19
/// assert!((p[0] - (1.0 - 0.1 - 0.19)).abs() < 1e-12);
/// ```
#[derive(Clone, Debug)]
pub struct Momentum<T> {
    /// The learning rate.
    pub lr: T,
    /// The momentum coefficient (the fraction of the velocity kept per step).
    pub momentum: T,
    v: Slots<T>,
}

impl<T: Float> Momentum<T> {
    /// Momentum with learning rate `lr` and coefficient `momentum`.
    pub fn new(lr: T, momentum: T) -> Self {
        Self {
            lr,
            momentum,
            v: Slots::new(),
        }
    }

    /// Forgets the velocities (the next step starts from zero).
    pub fn reset(&mut self) {
        self.v.clear();
    }
}

impl<T: Float> Default for Momentum<T> {
    /// The book's defaults: `lr = 0.01`, `momentum = 0.9`.
    fn default() -> Self {
        Self::new(T::cast(0.01), T::cast(0.9))
    }
}

impl<T: Float> Optimizer<T> for Momentum<T> {
    #[inline]
    fn update(&mut self, index: usize, p: Param<'_, T>) {
        let (lr, momentum) = (self.lr, self.momentum);
        let v = self.v.get(index, p.value.len(), "Momentum");
        for ((w, &g), v) in p.value.iter_mut().zip(p.grad).zip(v) {
            *v = momentum * *v - lr * g;
            *w += *v;
        }
    }

    fn learning_rate(&self) -> Option<f64> {
        Some(self.lr.as_f64())
    }

    #[track_caller]
    fn set_learning_rate(&mut self, lr: f64) {
        super::check_new_rate("Momentum", lr);
        self.lr = T::cast(lr);
    }

    /// Saves `lr`, `momentum` and the velocities `v` (kind "Momentum").
    fn save_state(&self, state: &mut OptimizerState<T>) -> Result<(), StateError> {
        state.reset("Momentum");
        state.set_scalar("lr", self.lr);
        state.set_scalar("momentum", self.momentum);
        state.set_buffers("v", self.v.to_vecs());
        Ok(())
    }

    /// Restores `lr`, `momentum` and `v`.
    fn load_state(&mut self, state: &OptimizerState<T>) -> Result<(), StateError> {
        const KIND: &str = "Momentum";
        state.expect_kind(KIND)?;
        let lr = state.require_scalar(KIND, "lr")?;
        let momentum = state.require_scalar(KIND, "momentum")?;
        let v = state.require_buffers(KIND, "v")?;
        (self.lr, self.momentum) = (lr, momentum);
        self.v.set_vecs(v);
        Ok(())
    }
}
