use crate::float::Float;
use crate::optim::{Optimizer, OptimizerState, StateError};
use crate::param::Param;

/// Stochastic gradient descent (the book's `SGD`): `p ← p − lr·g` for every parameter.
///
/// With [`weight_decay(λ)`](Sgd::weight_decay) (L2 regularisation, PyTorch's `SGD`
/// `weight_decay`): `p ← p − lr·(g + λ·p)`, for every parameter tensor (biases too, as in
/// PyTorch). For SGD the decoupled form (AdamW's) is the same update.
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
    /// The L2 penalty `λ` (0: none).
    pub weight_decay: T,
}

impl<T: Float> Sgd<T> {
    /// SGD with learning rate `lr` (the book's default is 0.01; chapter 1 uses 1.0). Panics
    /// unless `lr` is finite and greater than 0.
    #[track_caller]
    pub fn new(lr: T) -> Self {
        super::check_lr("Sgd::new", lr);
        Self {
            lr,
            weight_decay: T::zero(),
        }
    }

    /// Adds the L2 penalty `λ·p` to every gradient (PyTorch's `weight_decay`). Panics
    /// unless `lambda` is finite and at least 0.
    #[track_caller]
    pub fn weight_decay(mut self, lambda: T) -> Self {
        super::check_weight_decay("Sgd", lambda);
        self.weight_decay = lambda;
        self
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
        let (lr, lambda) = (self.lr, self.weight_decay);
        if lambda == T::zero() {
            // The vectorised form of `rule` (same rounding, checked by the optim tests).
            crate::kernels::elementwise::sub_scaled(p.value, lr, p.grad);
        } else {
            for (w, &g) in p.value.iter_mut().zip(p.grad) {
                *w = rule(*w, lr, g + lambda * *w);
            }
        }
    }

    fn learning_rate(&self) -> Option<f64> {
        Some(self.lr.as_f64())
    }

    #[track_caller]
    fn set_learning_rate(&mut self, lr: f64) {
        super::check_new_rate("Sgd", lr);
        self.lr = T::cast(lr);
    }

    /// Saves `lr` and a non-zero `weight_decay` (kind "Sgd").
    fn save_state(&self, state: &mut OptimizerState<T>) -> Result<(), StateError> {
        state.reset("Sgd");
        state.set_scalar("lr", self.lr);
        super::save_weight_decay(state, self.weight_decay);
        Ok(())
    }

    /// Restores `lr` and `weight_decay` (0 if not saved).
    fn load_state(&mut self, state: &OptimizerState<T>) -> Result<(), StateError> {
        state.expect_kind("Sgd")?;
        self.lr = state.require_scalar("Sgd", "lr")?;
        self.weight_decay = super::saved_weight_decay(state);
        Ok(())
    }

    /// Plain SGD only without weight decay.
    fn plain_sgd_rate(&self, _: super::sealed::Token) -> Option<T> {
        (self.weight_decay == T::zero()).then_some(self.lr)
    }
}
