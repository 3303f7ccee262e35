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
/// [`weight_decay(λ)`](Adam::weight_decay) is L2 regularisation (PyTorch's `Adam`
/// `weight_decay`): `g + λ·p` replaces `g` above, so the penalty goes through the moments
/// and is scaled per element like the gradient. The decoupled form is [`AdamW`]. Both decay
/// every parameter tensor, biases too (PyTorch's default).
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
    /// The L2 penalty `λ` (0: none).
    pub weight_decay: T,
    moments: Moments<T>,
}

impl<T: Float> Adam<T> {
    /// Adam with learning rate `lr` and decays `beta1`, `beta2`. Panics unless `lr` is
    /// finite and greater than 0 and both decays lie in `[0, 1)`.
    #[track_caller]
    pub fn new(lr: T, beta1: T, beta2: T) -> Self {
        check("Adam::new", lr, beta1, beta2);
        Self {
            lr,
            beta1,
            beta2,
            weight_decay: T::zero(),
            moments: Moments::new(lr),
        }
    }

    /// Adam with learning rate `lr` and the book's `β₁ = 0.9`, `β₂ = 0.999`. Panics unless
    /// `lr` is finite and greater than 0.
    #[track_caller]
    pub fn with_lr(lr: T) -> Self {
        Self::new(lr, T::cast(0.9), T::cast(0.999))
    }

    /// Adds the L2 penalty `λ·p` to every gradient (PyTorch's `Adam(weight_decay=λ)`).
    /// Panics unless `lambda` is finite and at least 0.
    #[track_caller]
    pub fn weight_decay(mut self, lambda: T) -> Self {
        super::check_weight_decay("Adam", lambda);
        self.weight_decay = lambda;
        self
    }

    /// The number of steps taken (the book's `iter`).
    pub fn steps(&self) -> i32 {
        self.moments.t
    }

    /// Forgets the moments and the step count.
    pub fn reset(&mut self) {
        self.moments.reset();
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
        self.moments.begin_step(self.lr, self.beta1, self.beta2);
    }

    #[inline]
    fn update(&mut self, index: usize, p: Param<'_, T>) {
        let (b1, b2) = (self.beta1, self.beta2);
        self.moments
            .update("Adam", index, p, b1, b2, self.weight_decay, T::one());
    }

    fn learning_rate(&self) -> Option<f64> {
        Some(self.lr.as_f64())
    }

    #[track_caller]
    fn set_learning_rate(&mut self, lr: f64) {
        super::check_new_rate("Adam", lr);
        self.lr = T::cast(lr);
        self.moments.rate_changed(self.lr, self.beta1, self.beta2);
    }

    /// Saves `lr`, `beta1`, `beta2`, a non-zero `weight_decay`, the step count `t` and the
    /// moments `m`, `v` (kind "Adam"; `lr_t` follows from them at the next `begin_step`).
    fn save_state(&self, state: &mut OptimizerState<T>) -> Result<(), StateError> {
        state.reset("Adam");
        self.moments.save(state, self.lr, self.beta1, self.beta2);
        super::save_weight_decay(state, self.weight_decay);
        Ok(())
    }

    /// Restores `lr`, `beta1`, `beta2`, `weight_decay` (0 if not saved), `t`, `m` and `v`.
    fn load_state(&mut self, state: &OptimizerState<T>) -> Result<(), StateError> {
        (self.lr, self.beta1, self.beta2) = self.moments.load("Adam", state)?;
        self.weight_decay = super::saved_weight_decay(state);
        Ok(())
    }
}

/// AdamW (Loshchilov & Hutter, PyTorch's `torch.optim.AdamW`): Adam with decoupled weight
/// decay. At step `t`, every parameter first shrinks by the decay, then takes [`Adam`]'s
/// step on the plain gradient:
///
/// - `p ← p · (1 − lr·λ)` (PyTorch's `param.mul_(1 - lr * weight_decay)`)
/// - `m`, `v` and `p ← p − lr_t · m / (√v + 1e-7)` as in [`Adam`] (its bias correction
///   folded into `lr_t`, as the book does)
///
/// Unlike L2 regularisation (`Adam::weight_decay`), the decay does not go through the
/// moments, so every weight decays at the same relative rate `lr·λ` per step whatever its
/// gradient history. It applies to every parameter tensor, biases too (PyTorch's default).
/// Defaults: `lr = 0.001`, `β₁ = 0.9`, `β₂ = 0.999`, `λ = 0.01` (PyTorch's;
/// [`AdamW::default`]).
///
/// ```
/// use nn::optim::AdamW;
/// use nn::{Optimizer, Param};
/// let mut opt = AdamW::with_lr(0.1).weight_decay(0.5);
/// let mut p = [2.0f64];
/// nn::optim::apply(&mut opt, |f| f(Param::new("w", &mut p, &[0.0])));
/// // a zero gradient moves nothing but the decay: 2 · (1 − 0.1 · 0.5)
/// assert_eq!(p, [1.9]);
/// ```
#[derive(Clone, Debug)]
pub struct AdamW<T> {
    /// The learning rate.
    pub lr: T,
    /// Decay of the first-moment average.
    pub beta1: T,
    /// Decay of the second-moment average.
    pub beta2: T,
    /// The decoupled weight decay `λ`.
    pub weight_decay: T,
    moments: Moments<T>,
}

impl<T: Float> AdamW<T> {
    /// AdamW with learning rate `lr`, decays `beta1`, `beta2` and weight decay
    /// `weight_decay`. Panics unless `lr` is finite and greater than 0, both decays lie in
    /// `[0, 1)` and `weight_decay` is finite and at least 0.
    #[track_caller]
    pub fn new(lr: T, beta1: T, beta2: T, weight_decay: T) -> Self {
        check("AdamW::new", lr, beta1, beta2);
        super::check_weight_decay("AdamW", weight_decay);
        Self {
            lr,
            beta1,
            beta2,
            weight_decay,
            moments: Moments::new(lr),
        }
    }

    /// AdamW with learning rate `lr` and PyTorch's `β₁ = 0.9`, `β₂ = 0.999`, `λ = 0.01`.
    /// Panics unless `lr` is finite and greater than 0.
    #[track_caller]
    pub fn with_lr(lr: T) -> Self {
        Self::new(lr, T::cast(0.9), T::cast(0.999), T::cast(0.01))
    }

    /// Sets the weight decay `λ`. Panics unless `lambda` is finite and at least 0.
    #[track_caller]
    pub fn weight_decay(mut self, lambda: T) -> Self {
        super::check_weight_decay("AdamW", lambda);
        self.weight_decay = lambda;
        self
    }

    /// The number of steps taken.
    pub fn steps(&self) -> i32 {
        self.moments.t
    }

    /// Forgets the moments and the step count.
    pub fn reset(&mut self) {
        self.moments.reset();
    }
}

impl<T: Float> Default for AdamW<T> {
    /// PyTorch's defaults: `lr = 0.001`, `β₁ = 0.9`, `β₂ = 0.999`, `λ = 0.01`.
    fn default() -> Self {
        Self::with_lr(T::cast(0.001))
    }
}

impl<T: Float> Optimizer<T> for AdamW<T> {
    fn begin_step(&mut self) {
        self.moments.begin_step(self.lr, self.beta1, self.beta2);
    }

    #[inline]
    fn update(&mut self, index: usize, p: Param<'_, T>) {
        let (b1, b2) = (self.beta1, self.beta2);
        let shrink = T::one() - self.lr * self.weight_decay;
        self.moments.update("AdamW", index, p, b1, b2, T::zero(), shrink);
    }

    fn learning_rate(&self) -> Option<f64> {
        Some(self.lr.as_f64())
    }

    #[track_caller]
    fn set_learning_rate(&mut self, lr: f64) {
        super::check_new_rate("AdamW", lr);
        self.lr = T::cast(lr);
        self.moments.rate_changed(self.lr, self.beta1, self.beta2);
    }

    /// Saves `lr`, `beta1`, `beta2`, `weight_decay`, the step count `t` and the moments
    /// `m`, `v` (kind "AdamW").
    fn save_state(&self, state: &mut OptimizerState<T>) -> Result<(), StateError> {
        state.reset("AdamW");
        self.moments.save(state, self.lr, self.beta1, self.beta2);
        state.set_scalar("weight_decay", self.weight_decay);
        Ok(())
    }

    /// Restores `lr`, `beta1`, `beta2`, `weight_decay`, `t`, `m` and `v`.
    fn load_state(&mut self, state: &OptimizerState<T>) -> Result<(), StateError> {
        state.expect_kind("AdamW")?;
        let weight_decay = state.require_scalar("AdamW", "weight_decay")?;
        (self.lr, self.beta1, self.beta2) = self.moments.load("AdamW", state)?;
        self.weight_decay = weight_decay;
        Ok(())
    }
}

#[track_caller]
fn check<T: Float>(who: &str, lr: T, beta1: T, beta2: T) {
    super::check_lr(who, lr);
    super::check_coefficient(who, "beta1", beta1);
    super::check_coefficient(who, "beta2", beta2);
}

/// What Adam and AdamW keep between steps: the step count, the bias-corrected rate and the
/// moments.
#[derive(Clone, Debug)]
struct Moments<T> {
    t: i32,
    lr_t: T,
    m: Slots<T>,
    v: Slots<T>,
}

impl<T: Float> Moments<T> {
    fn new(lr: T) -> Self {
        Self {
            t: 0,
            lr_t: lr,
            m: Slots::new(),
            v: Slots::new(),
        }
    }

    fn reset(&mut self) {
        self.t = 0;
        self.m.clear();
        self.v.clear();
    }

    fn begin_step(&mut self, lr: T, beta1: T, beta2: T) {
        self.t = self.t.saturating_add(1);
        self.lr_t = self.corrected(lr, beta1, beta2);
    }

    /// A new `lr` between steps or after `begin_step`: this step's `lr_t` follows it.
    fn rate_changed(&mut self, lr: T, beta1: T, beta2: T) {
        if self.t > 0 {
            self.lr_t = self.corrected(lr, beta1, beta2);
        }
    }

    /// `lr_t = lr · √(1 − β₂ᵗ) / (1 − β₁ᵗ)` at the current step count.
    fn corrected(&self, lr: T, beta1: T, beta2: T) -> T {
        let (b1, b2) = (beta1.as_f64(), beta2.as_f64());
        T::cast(lr.as_f64() * (1.0 - b2.powi(self.t)).sqrt() / (1.0 - b1.powi(self.t)))
    }

    /// One tensor's update: `p ← shrink·p` (AdamW's decay; 1: none), then the Adam step on
    /// `g + l2·p` (Adam's L2 penalty; 0: none).
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn update(&mut self, who: &str, index: usize, p: Param<'_, T>, beta1: T, beta2: T, l2: T, shrink: T) {
        assert!(
            self.t > 0,
            "{who}::update before begin_step: run steps through optim::apply or a network's train_step"
        );
        let lr_t = self.lr_t;
        let (k1, k2) = (T::one() - beta1, T::one() - beta2);
        let eps = T::cast(1e-7);
        let len = p.value.len();
        let m = self.m.get(index, len, who);
        let v = self.v.get(index, len, who);
        let (decays, penalised) = (shrink != T::one(), l2 != T::zero());
        for (((w, &g), m), v) in p.value.iter_mut().zip(p.grad).zip(m).zip(v) {
            if decays {
                *w *= shrink;
            }
            let g = if penalised { g + l2 * *w } else { g };
            *m += k1 * (g - *m);
            *v += k2 * (g * g - *v);
            *w -= lr_t * *m / (v.sqrt() + eps);
        }
    }

    fn save(&self, state: &mut OptimizerState<T>, lr: T, beta1: T, beta2: T) {
        state.set_scalar("lr", lr);
        state.set_scalar("beta1", beta1);
        state.set_scalar("beta2", beta2);
        state.set_integer("t", i64::from(self.t));
        state.set_buffers("m", self.m.to_vecs());
        state.set_buffers("v", self.v.to_vecs());
    }

    /// Checks and loads a state of `kind`; returns (`lr`, `beta1`, `beta2`). Changes
    /// nothing on an error.
    fn load(&mut self, kind: &'static str, state: &OptimizerState<T>) -> Result<(T, T, T), StateError> {
        state.expect_kind(kind)?;
        let lr = state.require_scalar(kind, "lr")?;
        let beta1 = state.require_scalar(kind, "beta1")?;
        let beta2 = state.require_scalar(kind, "beta2")?;
        let t = state.require_integer(kind, "t")?;
        let t = i32::try_from(t)
            .ok()
            .filter(|t| *t >= 0)
            .ok_or_else(|| StateError::OutOfRange {
                optimizer: kind,
                name: "t".to_string(),
                value: t,
            })?;
        let m = state.require_buffers(kind, "m")?;
        let v = state.require_buffers(kind, "v")?;
        self.t = t;
        self.lr_t = lr;
        self.m.set_vecs(m);
        self.v.set_vecs(v);
        Ok((lr, beta1, beta2))
    }
}
