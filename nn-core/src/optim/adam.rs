use super::state::Slots;
use crate::float::Float;
use crate::optim::{Optimizer, OptimizerState, StateError};
use crate::param::Param;

/// Adam (the book's `Adam`, vol. 1 `common/optimizer.py`), with the bias correction folded
/// into the learning rate as the book does. At step `t = 1, 2, …` (counted by
/// [`begin_step`](Optimizer::begin_step)):
///
/// - `lr_t = lr · √(1 − β₂ᵗ) / (1 − β₁ᵗ)`
/// - `m ← m + (1 − β₁)·(g − m)`
/// - `v ← v + (1 − β₂)·(g² − v)`
/// - `p ← p − lr_t · m / (√v + 1e-7)`
///
/// `m` and `v` start at zero; one of each per parameter tensor is allocated on the first
/// step. Book defaults: `lr = 0.001`, `β₁ = 0.9`, `β₂ = 0.999` ([`Adam::default`]).
///
/// Call [`begin_step`](Optimizer::begin_step) once per step before the updates
/// ([`optim::apply`](crate::optim::apply) and every network's `train_step` do).
#[derive(Clone, Debug)]
pub struct Adam<T> {
    /// The learning rate.
    pub lr: T,
    /// Decay of the first-moment average.
    pub beta1: T,
    /// Decay of the second-moment average.
    pub beta2: T,
    t: i32,
    lr_t: T,
    m: Slots<T>,
    v: Slots<T>,
}

impl<T: Float> Adam<T> {
    /// Adam with learning rate `lr` and decays `beta1`, `beta2`.
    pub fn new(lr: T, beta1: T, beta2: T) -> Self {
        Self {
            lr,
            beta1,
            beta2,
            t: 0,
            lr_t: lr,
            m: Slots::new(),
            v: Slots::new(),
        }
    }

    /// Adam with learning rate `lr` and the book's `β₁ = 0.9`, `β₂ = 0.999`.
    pub fn with_lr(lr: T) -> Self {
        Self::new(lr, T::cast(0.9), T::cast(0.999))
    }

    /// The number of steps taken (the book's `iter`).
    pub fn steps(&self) -> i32 {
        self.t
    }

    /// `lr_t = lr · √(1 − β₂ᵗ) / (1 − β₁ᵗ)` at the current step count.
    fn corrected_lr(&self) -> T {
        let (b1, b2) = (self.beta1.as_f64(), self.beta2.as_f64());
        T::cast(self.lr.as_f64() * (1.0 - b2.powi(self.t)).sqrt() / (1.0 - b1.powi(self.t)))
    }

    /// Forgets the moments and the step count.
    pub fn reset(&mut self) {
        self.t = 0;
        self.m.clear();
        self.v.clear();
    }
}

impl<T: Float> Default for Adam<T> {
    /// The book's defaults: `lr = 0.001`, `β₁ = 0.9`, `β₂ = 0.999`.
    fn default() -> Self {
        Self::with_lr(T::cast(0.001))
    }
}

impl<T: Float> Optimizer<T> for Adam<T> {
    fn begin_step(&mut self) {
        self.t = self.t.saturating_add(1);
        self.lr_t = self.corrected_lr();
    }

    #[inline]
    fn update(&mut self, index: usize, p: Param<'_, T>) {
        assert!(
            self.t > 0,
            "Adam::update before begin_step: run steps through optim::apply or a network's train_step"
        );
        let lr_t = self.lr_t;
        let (k1, k2) = (T::one() - self.beta1, T::one() - self.beta2);
        let eps = T::cast(1e-7);
        let len = p.value.len();
        let m = self.m.get(index, len, "Adam");
        let v = self.v.get(index, len, "Adam");
        for (((w, &g), m), v) in p.value.iter_mut().zip(p.grad).zip(m).zip(v) {
            *m += k1 * (g - *m);
            *v += k2 * (g * g - *v);
            *w -= lr_t * *m / (v.sqrt() + eps);
        }
    }

    fn learning_rate(&self) -> Option<f64> {
        Some(self.lr.as_f64())
    }

    #[track_caller]
    fn set_learning_rate(&mut self, lr: f64) {
        super::check_new_rate("Adam", lr);
        self.lr = T::cast(lr);
        if self.t > 0 {
            self.lr_t = self.corrected_lr();
        }
    }

    /// Saves `lr`, `beta1`, `beta2`, the step count `t` and the moments `m`, `v` (kind
    /// "Adam"; `lr_t` follows from them at the next `begin_step`).
    fn save_state(&self, state: &mut OptimizerState<T>) -> Result<(), StateError> {
        state.reset("Adam");
        state.set_scalar("lr", self.lr);
        state.set_scalar("beta1", self.beta1);
        state.set_scalar("beta2", self.beta2);
        state.set_integer("t", i64::from(self.t));
        state.set_buffers("m", self.m.to_vecs());
        state.set_buffers("v", self.v.to_vecs());
        Ok(())
    }

    /// Restores `lr`, `beta1`, `beta2`, `t`, `m` and `v`.
    fn load_state(&mut self, state: &OptimizerState<T>) -> Result<(), StateError> {
        const KIND: &str = "Adam";
        state.expect_kind(KIND)?;
        let lr = state.require_scalar(KIND, "lr")?;
        let beta1 = state.require_scalar(KIND, "beta1")?;
        let beta2 = state.require_scalar(KIND, "beta2")?;
        let t = state.require_integer(KIND, "t")?;
        let t = i32::try_from(t)
            .ok()
            .filter(|t| *t >= 0)
            .ok_or_else(|| StateError::OutOfRange {
                optimizer: KIND,
                name: "t".to_string(),
                value: t,
            })?;
        let m = state.require_buffers(KIND, "m")?;
        let v = state.require_buffers(KIND, "v")?;
        (self.lr, self.beta1, self.beta2, self.t) = (lr, beta1, beta2, t);
        self.lr_t = lr;
        self.m.set_vecs(m);
        self.v.set_vecs(v);
        Ok(())
    }
}
