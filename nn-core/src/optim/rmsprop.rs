use super::state::Slots;
use crate::float::Float;
use crate::optim::{Optimizer, OptimizerState, StateError};
use crate::param::Param;

/// RMSprop (the book's `RMSprop`, vol. 1 `common/optimizer.py`): AdaGrad with an
/// exponentially decaying average of squared gradients.
///
/// - `h ← decay·h + (1 − decay)·g²`
/// - `p ← p − lr·g / (√h + 1e-7)`
///
/// `h` starts at zero; one `h` per parameter tensor is allocated on the first step.
/// Book defaults: `lr = 0.01`, `decay = 0.99` ([`RmsProp::default`]).
/// [`weight_decay(λ)`](RmsProp::weight_decay) (L2, PyTorch's `weight_decay`) uses
/// `g + λ·p` for `g`, for every parameter tensor (biases too, as in PyTorch).
#[derive(Clone, Debug)]
pub struct RmsProp<T> {
    /// The learning rate.
    pub lr: T,
    /// The decay rate of the squared-gradient average (the book's `decay_rate`).
    pub decay: T,
    /// The L2 penalty `λ` (0: none).
    pub weight_decay: T,
    h: Slots<T>,
}

impl<T: Float> RmsProp<T> {
    /// RMSprop with learning rate `lr` and decay rate `decay`. Panics unless `lr` is
    /// finite and greater than 0 and `decay` lies in `[0, 1)`.
    #[track_caller]
    pub fn new(lr: T, decay: T) -> Self {
        super::check_lr("RmsProp::new", lr);
        super::check_coefficient("RmsProp::new", "decay", decay);
        Self {
            lr,
            decay,
            weight_decay: T::zero(),
            h: Slots::new(),
        }
    }

    /// Adds the L2 penalty `λ·p` to every gradient (PyTorch's `weight_decay`). Panics
    /// unless `lambda` is finite and at least 0.
    #[track_caller]
    pub fn weight_decay(mut self, lambda: T) -> Self {
        super::check_weight_decay("RmsProp", lambda);
        self.weight_decay = lambda;
        self
    }

    /// Forgets the averages.
    pub fn reset(&mut self) {
        self.h.clear();
    }
}

impl<T: Float> Default for RmsProp<T> {
    /// The book's defaults: `lr = 0.01`, `decay = 0.99`.
    fn default() -> Self {
        Self::new(T::cast(0.01), T::cast(0.99))
    }
}

impl<T: Float> Optimizer<T> for RmsProp<T> {
    #[inline]
    fn update(&mut self, index: usize, p: Param<'_, T>) {
        let (lr, decay, lambda) = (self.lr, self.decay, self.weight_decay);
        let keep = T::one() - decay;
        let eps = T::cast(1e-7);
        let h = self.h.get(index, p.value.len(), "RmsProp");
        for ((w, &g), h) in p.value.iter_mut().zip(p.grad).zip(h) {
            let g = if lambda == T::zero() { g } else { g + lambda * *w };
            *h = decay * *h + keep * g * g;
            *w -= lr * g / (h.sqrt() + eps);
        }
    }

    fn learning_rate(&self) -> Option<f64> {
        Some(self.lr.as_f64())
    }

    #[track_caller]
    fn set_learning_rate(&mut self, lr: f64) {
        super::check_new_rate("RmsProp", lr);
        self.lr = T::cast(lr);
    }

    /// Saves `lr`, `decay`, a non-zero `weight_decay` and the averages `h` (kind "RmsProp").
    fn save_state(&self, state: &mut OptimizerState<T>) -> Result<(), StateError> {
        state.reset("RmsProp");
        state.set_scalar("lr", self.lr);
        state.set_scalar("decay", self.decay);
        super::save_weight_decay(state, self.weight_decay);
        state.set_buffers("h", self.h.to_vecs());
        Ok(())
    }

    /// Restores `lr`, `decay`, `weight_decay` (0 if not saved) and `h`.
    fn load_state(&mut self, state: &OptimizerState<T>) -> Result<(), StateError> {
        const KIND: &str = "RmsProp";
        state.expect_kind(KIND)?;
        let lr = state.require_scalar(KIND, "lr")?;
        let decay = state.require_scalar(KIND, "decay")?;
        let h = state.require_buffers(KIND, "h")?;
        (self.lr, self.decay) = (lr, decay);
        self.weight_decay = super::saved_weight_decay(state);
        self.h.set_vecs(h);
        Ok(())
    }
}
