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
/// [`weight_decay(λ)`](Momentum::weight_decay) (L2, PyTorch's `weight_decay`) uses
/// `g + λ·p` for `g`, for every parameter tensor (biases too, as in PyTorch).
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
    /// The L2 penalty `λ` (0: none).
    pub weight_decay: T,
    v: Slots<T>,
}

impl<T: Float> Momentum<T> {
    /// Momentum with learning rate `lr` and coefficient `momentum`. Panics unless `lr` is
    /// finite and greater than 0 and `momentum` lies in `[0, 1)`.
    #[track_caller]
    pub fn new(lr: T, momentum: T) -> Self {
        super::check_lr("Momentum::new", lr);
        super::check_coefficient("Momentum::new", "momentum", momentum);
        Self {
            lr,
            momentum,
            weight_decay: T::zero(),
            v: Slots::new(),
        }
    }

    /// Adds the L2 penalty `λ·p` to every gradient (PyTorch's `weight_decay`). Panics
    /// unless `lambda` is finite and at least 0.
    #[track_caller]
    pub fn weight_decay(mut self, lambda: T) -> Self {
        super::check_weight_decay("Momentum", lambda);
        self.weight_decay = lambda;
        self
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
        let (lr, momentum, lambda) = (self.lr, self.momentum, self.weight_decay);
        let v = self.v.get(index, p.value.len(), "Momentum");
        if lambda == T::zero() {
            for ((w, &g), v) in p.value.iter_mut().zip(p.grad).zip(v) {
                *v = momentum * *v - lr * g;
                *w += *v;
            }
        } else {
            for ((w, &g), v) in p.value.iter_mut().zip(p.grad).zip(v) {
                *v = momentum * *v - lr * (g + lambda * *w);
                *w += *v;
            }
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

    /// Saves `lr`, `momentum`, a non-zero `weight_decay` and the velocities `v` (kind
    /// "Momentum").
    fn save_state(&self, state: &mut OptimizerState<T>) -> Result<(), StateError> {
        state.reset("Momentum");
        state.set_scalar("lr", self.lr);
        state.set_scalar("momentum", self.momentum);
        super::save_weight_decay(state, self.weight_decay);
        state.set_buffers("v", self.v.to_vecs());
        Ok(())
    }

    /// Restores `lr`, `momentum`, `weight_decay` (0 if not saved) and `v`.
    fn load_state(&mut self, state: &OptimizerState<T>) -> Result<(), StateError> {
        const KIND: &str = "Momentum";
        state.expect_kind(KIND)?;
        let lr = state.require_scalar(KIND, "lr")?;
        let momentum = state.require_scalar(KIND, "momentum")?;
        let v = state.require_buffers(KIND, "v")?;
        (self.lr, self.momentum) = (lr, momentum);
        self.weight_decay = super::saved_weight_decay(state);
        self.v.set_vecs(v);
        Ok(())
    }
}
