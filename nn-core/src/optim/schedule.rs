//! Learning-rate schedules (PyTorch's `torch.optim.lr_scheduler`): the rate of every
//! training step as a function of where the step is in its run.
//!
//! A schedule is a pure function of the step's position ([`StepAt`]: the epoch and the
//! step), asked before every step; the [`Trainer`](crate::train::Trainer) then sets the
//! optimizer's rate ([`Optimizer::set_learning_rate`](crate::Optimizer::set_learning_rate)).
//! Epoch schedules (PyTorch's, stepped once per epoch) read [`StepAt::epoch`] and give one
//! rate for a whole epoch; warm-up reads [`StepAt::step`]. Having no state of its own, a
//! schedule resumes exactly: a restored or continued run asks it about the same positions.
//! A schedule gives the rate itself, not a factor of the optimizer's rate, so it names its
//! base rate (`lr`); the optimizer's own rate is replaced from the first step.
//!
//! ```
//! use nn::optim::schedule::{CosineAnnealingLr, LinearWarmup, LrSchedule, StepAt, StepLr};
//!
//! let at = |epoch, step| StepAt { epoch, step, steps_per_epoch: 10 };
//! let step = StepLr::new(0.1, 30, 0.1); // ×0.1 every 30 epochs
//! assert_eq!(step.lr(at(29, 299)), 0.1);
//! assert!((step.lr(at(30, 300)) - 0.01).abs() < 1e-15);
//! // 100 warm-up steps, then a cosine from 0.1 down to 0 over 50 epochs
//! let s = LinearWarmup::new(100, CosineAnnealingLr::new(0.1, 50, 0.0));
//! assert!((s.lr(at(0, 0)) - 0.001).abs() < 1e-15);
//! assert_eq!(s.lr(at(0, 99)), 0.1);
//! assert_eq!(s.lr(at(50, 500)), 0.0);
//! // any `Fn(StepAt) -> f64` is a schedule
//! let halve_each_epoch = |at: StepAt| 0.1 * 0.5f64.powi(at.epoch as i32);
//! assert_eq!(halve_each_epoch.lr(at(2, 25)), 0.025);
//! ```

use core::f64::consts::PI;

/// Where a training step is in its run: what a [`LrSchedule`] is asked about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StepAt {
    /// Epochs finished before this step: 0 throughout the first epoch (PyTorch's
    /// `last_epoch` of an epoch scheduler stepped after each epoch).
    pub epoch: usize,
    /// Steps taken before this one in the whole run: 0 at the first step.
    pub step: u64,
    /// Steps per epoch.
    pub steps_per_epoch: usize,
}

/// A learning-rate schedule: the rate of the step at `at`. Implement it for a schedule of
/// your own (any `Fn(StepAt) -> f64` already is one). The rate must be finite and at least
/// 0 (the trainer panics otherwise, naming the step).
pub trait LrSchedule {
    /// The learning rate of the step at `at`.
    fn lr(&self, at: StepAt) -> f64;
}

impl<F: Fn(StepAt) -> f64> LrSchedule for F {
    fn lr(&self, at: StepAt) -> f64 {
        self(at)
    }
}

#[track_caller]
fn check_rate(who: &str, lr: f64) {
    assert!(
        lr.is_finite() && lr > 0.0,
        "{who}: the learning rate must be finite and greater than 0, got {lr}"
    );
}

#[track_caller]
fn check_gamma(who: &str, gamma: f64) {
    assert!(
        gamma.is_finite() && gamma > 0.0,
        "{who}: gamma must be finite and greater than 0, got {gamma}"
    );
}

/// PyTorch's `StepLR`: the rate times `γ` every `step_size` epochs,
/// `lr_e = lr · γ^⌊e / step_size⌋` in epoch `e` (0-based).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepLr {
    /// The rate of the first `step_size` epochs.
    pub lr: f64,
    /// Epochs between two decays.
    pub step_size: usize,
    /// The factor of each decay (PyTorch's default: 0.1).
    pub gamma: f64,
}

impl StepLr {
    /// `lr`, times `gamma` every `step_size` epochs. Panics unless `lr` and `gamma` are
    /// finite and positive and `step_size` is at least 1.
    #[track_caller]
    pub fn new(lr: f64, step_size: usize, gamma: f64) -> Self {
        check_rate("StepLr", lr);
        check_gamma("StepLr", gamma);
        assert!(step_size > 0, "StepLr: step_size must be at least 1 epoch, got 0");
        Self { lr, step_size, gamma }
    }
}

impl LrSchedule for StepLr {
    fn lr(&self, at: StepAt) -> f64 {
        self.lr * powi(self.gamma, at.epoch / self.step_size)
    }
}

/// PyTorch's `ExponentialLR`: the rate times `γ` every epoch, `lr_e = lr · γ^e` in epoch
/// `e` (0-based).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExponentialLr {
    /// The rate of the first epoch.
    pub lr: f64,
    /// The factor per epoch.
    pub gamma: f64,
}

impl ExponentialLr {
    /// `lr`, times `gamma` every epoch. Panics unless both are finite and positive.
    #[track_caller]
    pub fn new(lr: f64, gamma: f64) -> Self {
        check_rate("ExponentialLr", lr);
        check_gamma("ExponentialLr", gamma);
        Self { lr, gamma }
    }
}

impl LrSchedule for ExponentialLr {
    fn lr(&self, at: StepAt) -> f64 {
        self.lr * powi(self.gamma, at.epoch)
    }
}

/// PyTorch's `CosineAnnealingLR` (closed form): from `lr` down to `η_min` along half a
/// cosine over `T = t_max` epochs, `lr_e = η_min + (lr − η_min) · (1 + cos(π·e/T)) / 2` in
/// epoch `e` (0-based), and `η_min` from epoch `T` on. (PyTorch's keeps following the
/// cosine after `T`, back up to `lr` at `2T`; restarts are `CosineAnnealingWarmRestarts`.)
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CosineAnnealingLr {
    /// The rate of the first epoch.
    pub lr: f64,
    /// Epochs from `lr` to `eta_min`.
    pub t_max: usize,
    /// The lowest rate (PyTorch's default: 0).
    pub eta_min: f64,
}

impl CosineAnnealingLr {
    /// From `lr` to `eta_min` over `t_max` epochs. Panics unless `lr` is finite and
    /// positive, `eta_min` finite in `0..=lr` and `t_max` at least 1.
    #[track_caller]
    pub fn new(lr: f64, t_max: usize, eta_min: f64) -> Self {
        check_rate("CosineAnnealingLr", lr);
        assert!(
            eta_min.is_finite() && (0.0..=lr).contains(&eta_min),
            "CosineAnnealingLr: eta_min must lie in 0..=lr ({lr}), got {eta_min}"
        );
        assert!(t_max > 0, "CosineAnnealingLr: t_max must be at least 1 epoch, got 0");
        Self { lr, t_max, eta_min }
    }
}

impl LrSchedule for CosineAnnealingLr {
    fn lr(&self, at: StepAt) -> f64 {
        if at.epoch >= self.t_max {
            return self.eta_min;
        }
        let phase = PI * at.epoch as f64 / self.t_max as f64;
        self.eta_min + (self.lr - self.eta_min) * (1.0 + phase.cos()) / 2.0
    }
}

/// Linear warm-up over the first `w = steps` steps of the run, then `inner`: step `s`
/// (0-based) gets `inner(at) · (s + 1) / w` while `s < w`, so the rate climbs from `1/w` of
/// `inner`'s to all of it at step `w − 1` (PyTorch's `LinearLR` with
/// `start_factor = 1/w`, `total_iters = w − 1`, stepped per batch, chained with `inner`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinearWarmup<S> {
    /// Warm-up steps.
    pub steps: u64,
    /// The schedule it warms up to.
    pub inner: S,
}

impl<S: LrSchedule> LinearWarmup<S> {
    /// `steps` steps of warm-up into `inner`. Panics if `steps` is 0.
    #[track_caller]
    pub fn new(steps: u64, inner: S) -> Self {
        assert!(steps > 0, "LinearWarmup: the warm-up must last at least 1 step, got 0");
        Self { steps, inner }
    }
}

impl<S: LrSchedule> LrSchedule for LinearWarmup<S> {
    fn lr(&self, at: StepAt) -> f64 {
        let lr = self.inner.lr(at);
        if at.step < self.steps {
            lr * (at.step + 1) as f64 / self.steps as f64
        } else {
            lr
        }
    }
}

/// `x^n` for any `n` (`powi` takes an `i32`; a huge exponent saturates, which `x^n` does
/// anyway for `x ≠ 1`).
fn powi(x: f64, n: usize) -> f64 {
    x.powi(i32::try_from(n).unwrap_or(i32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(epoch: usize, step: u64) -> StepAt {
        StepAt {
            epoch,
            step,
            steps_per_epoch: 10,
        }
    }

    /// Rates of epochs `0..n` (step 10·e).
    fn per_epoch(s: &impl LrSchedule, n: usize) -> Vec<f64> {
        (0..n).map(|e| s.lr(at(e, 10 * e as u64))).collect()
    }

    fn close(a: &[f64], b: &[f64]) {
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= 1e-15 * y.abs().max(1.0),
                "entry {i}: {x} vs {y}\n{a:?}\n{b:?}"
            );
        }
    }

    #[test]
    fn step_lr_decays_every_step_size_epochs() {
        close(
            &per_epoch(&StepLr::new(0.1, 2, 0.5), 6),
            &[0.1, 0.1, 0.05, 0.05, 0.025, 0.025],
        );
    }

    #[test]
    fn exponential_lr_decays_every_epoch() {
        close(&per_epoch(&ExponentialLr::new(2.0, 0.5), 4), &[2.0, 1.0, 0.5, 0.25]);
    }

    #[test]
    fn cosine_annealing_follows_half_a_cosine_then_stays_at_eta_min() {
        // T = 4: cos(π·e/4) = 1, √½, 0, −√½, −1
        let h = 0.5f64.sqrt();
        let (lr, min) = (0.1, 0.01);
        let want: Vec<f64> = [1.0, h, 0.0, -h, -1.0, -1.0, -1.0]
            .iter()
            .map(|c| min + (lr - min) * (1.0 + c) / 2.0)
            .collect();
        close(&per_epoch(&CosineAnnealingLr::new(lr, 4, min), 7), &want);
        assert_eq!(CosineAnnealingLr::new(lr, 4, min).lr(at(1000, 0)), min);
    }

    #[test]
    fn linear_warmup_climbs_over_its_steps_then_hands_over() {
        let s = LinearWarmup::new(4, StepLr::new(0.8, 1, 0.5));
        // steps 0..4 in epoch 0 (inner 0.8), then steps of epoch 1 (inner 0.4)
        let got: Vec<f64> = (0..6).map(|k| s.lr(at(k as usize / 5, k))).collect();
        close(&got, &[0.2, 0.4, 0.6, 0.8, 0.8, 0.4]);
    }

    #[test]
    #[should_panic(expected = "StepLr: gamma must be finite and greater than 0, got -0.5")]
    fn a_bad_gamma_panics() {
        StepLr::new(0.1, 1, -0.5);
    }
}
