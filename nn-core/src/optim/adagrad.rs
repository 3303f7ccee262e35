use super::state::Slots;
use crate::float::Float;
use crate::optim::{Optimizer, OptimizerState, StateError};
use crate::param::Param;

/// AdaGrad (the book's `AdaGrad`, vol. 1 `common/optimizer.py`): a per-element learning rate
/// that shrinks with the sum of squared gradients.
///
/// - `h ← h + g²`
/// - `p ← p − lr·g / (√h + 1e-7)`
///
/// `h` starts at zero; one `h` per parameter tensor is allocated on the first step.
/// Book default: `lr = 0.01` ([`AdaGrad::default`]). [`weight_decay(λ)`](AdaGrad::weight_decay)
/// (L2, PyTorch's `weight_decay`) uses `g + λ·p` for `g`, for every parameter tensor
/// (biases too, as in PyTorch).
#[derive(Clone, Debug)]
pub struct AdaGrad<T> {
    /// The learning rate.
    pub lr: T,
    /// The L2 penalty `λ` (0: none).
    pub weight_decay: T,
    h: Slots<T>,
}

impl<T: Float> AdaGrad<T> {
    /// AdaGrad with learning rate `lr`. Panics unless `lr` is finite and greater than 0.
    #[track_caller]
    pub fn new(lr: T) -> Self {
        super::check_lr("AdaGrad::new", lr);
        Self {
            lr,
            weight_decay: T::zero(),
            h: Slots::new(),
        }
    }

    /// Adds the L2 penalty `λ·p` to every gradient (PyTorch's `weight_decay`). Panics
    /// unless `lambda` is finite and at least 0.
    #[track_caller]
    pub fn weight_decay(mut self, lambda: T) -> Self {
        super::check_weight_decay("AdaGrad", lambda);
        self.weight_decay = lambda;
        self
    }

    /// Forgets the accumulated squares.
    pub fn reset(&mut self) {
        self.h.clear();
    }
}

impl<T: Float> Default for AdaGrad<T> {
    /// The book's default: `lr = 0.01`.
    fn default() -> Self {
        Self::new(T::cast(0.01))
    }
}

impl<T: Float> Optimizer<T> for AdaGrad<T> {
    #[inline]
    fn update(&mut self, index: usize, p: Param<'_, T>) {
        let (lr, lambda) = (self.lr, self.weight_decay);
        let eps = T::cast(1e-7);
        let h = self.h.get(index, p.value.len(), "AdaGrad");
        for ((w, &g), h) in p.value.iter_mut().zip(p.grad).zip(h) {
            let g = if lambda == T::zero() { g } else { g + lambda * *w };
            *h += g * g;
            *w -= lr * g / (h.sqrt() + eps);
        }
    }

    fn learning_rate(&self) -> Option<f64> {
        Some(self.lr.as_f64())
    }

    #[track_caller]
    fn set_learning_rate(&mut self, lr: f64) {
        super::check_new_rate("AdaGrad", lr);
        self.lr = T::cast(lr);
    }

    /// Saves `lr`, a non-zero `weight_decay` and the sums of squares `h` (kind "AdaGrad").
    fn save_state(&self, state: &mut OptimizerState<T>) -> Result<(), StateError> {
        state.reset("AdaGrad");
        state.set_scalar("lr", self.lr);
        super::save_weight_decay(state, self.weight_decay);
        state.set_buffers("h", self.h.to_vecs());
        Ok(())
    }

    /// Restores `lr`, `weight_decay` (0 if not saved) and `h`.
    fn load_state(&mut self, state: &OptimizerState<T>) -> Result<(), StateError> {
        const KIND: &str = "AdaGrad";
        state.expect_kind(KIND)?;
        let lr = state.require_scalar(KIND, "lr")?;
        let h = state.require_buffers(KIND, "h")?;
        self.lr = lr;
        self.weight_decay = super::saved_weight_decay(state);
        self.h.set_vecs(h);
        Ok(())
    }
}
