//! Gradient clipping by global norm (the book's `clip_grads`, vol. 2 `common/util.py`;
//! PyTorch's `torch.nn.utils.clip_grad_norm_`).
//!
//! Over all parameter tensors of a step, `‖g‖ = √Σ g²`; with `rate = max_norm / (‖g‖ +
//! 1e-6)`, every gradient is scaled by `rate` when `rate < 1` (so the step's gradient has
//! norm just under `max_norm`) and left as it is otherwise. A gradient is read-only
//! ([`Param::grad`]), so [`ClipGradNorm::apply`] hands the optimizer each tensor's scaled
//! copy from one reused buffer: no allocation once the largest tensor has been seen.
//!
//! A non-finite norm is not special-cased (as PyTorch's default, `error_if_nonfinite =
//! False`): NaN leaves the gradients as they are, an infinite norm makes the rate 0; the
//! step's loss is then non-finite too, which stops a [`Trainer`](crate::train::Trainer).

use crate::float::Float;
use crate::optim::Optimizer;
use crate::param::Param;

/// The global norm `√Σ g²` of every gradient `visit` hands out (summed in `f64`).
///
/// ```
/// use nn::optim::clip::grad_norm;
/// use nn::Param;
/// let (mut a, mut b) = ([0.0f32; 2], [0.0f32]);
/// let norm = grad_norm(|f| {
///     f(Param::new("a", &mut a, &[3.0, 0.0]));
///     f(Param::new("b", &mut b, &[4.0]));
/// });
/// assert_eq!(norm, 5.0);
/// ```
pub fn grad_norm<T: Float>(visit: impl FnOnce(&mut dyn FnMut(Param<'_, T>))) -> f64 {
    let mut sum = 0.0f64;
    visit(&mut |p| {
        sum += p.grad.iter().map(|g| g.as_f64() * g.as_f64()).sum::<f64>();
    });
    sum.sqrt()
}

/// The factor [`ClipGradNorm`] scales the gradients by: `max_norm / (norm + 1e-6)` if that
/// is below 1, else 1.
pub fn clip_rate(norm: f64, max_norm: f64) -> f64 {
    let rate = max_norm / (norm + 1e-6);
    if rate < 1.0 {
        rate
    } else {
        1.0
    }
}

/// An optimizer step on gradients clipped to a global norm (see the [module](self) docs
/// for the formula); what [`Trainer::clip_grad_norm`](crate::train::Trainer::clip_grad_norm)
/// does every step. In a hand-written loop, after `forward` and `backward`:
///
/// ```
/// use nn::optim::clip::ClipGradNorm;
/// use nn::rand::SeedableRng;
/// use nn::{Network, Trainable};
///
/// nn::network! { pub struct Net { input: 2, fc: Affine(3), loss: SoftmaxWithLoss } }
///
/// let data = nn::data::spiral::<f32>(1);
/// let mut net = Net::new(&mut nn::rand_chacha::ChaCha8Rng::seed_from_u64(0));
/// let mut opt = nn::Sgd::new(0.1);
/// let mut clip = ClipGradNorm::new(0.5);
/// for _ in 0..3 {
///     net.forward(data.x().as_view(), data.labels());
///     net.backward();
///     let norm = clip.apply(&mut opt, |f| net.visit_params(f)); // the norm before clipping
///     assert!(norm.is_finite());
/// }
/// ```
#[derive(Clone, Debug)]
pub struct ClipGradNorm<T> {
    /// The largest global gradient norm a step uses.
    pub max_norm: f64,
    scaled: Vec<T>,
}

impl<T: Float> ClipGradNorm<T> {
    /// Clipping to `max_norm`. Panics unless `max_norm` is finite and greater than 0.
    #[track_caller]
    pub fn new(max_norm: f64) -> Self {
        assert!(
            max_norm.is_finite() && max_norm > 0.0,
            "ClipGradNorm: max_norm must be finite and greater than 0, got {max_norm}"
        );
        Self {
            max_norm,
            scaled: Vec::new(),
        }
    }

    /// One optimizer step (`begin_step`, then `update` for each tensor in order, as
    /// [`apply`](crate::optim::apply)) on the gradients `visit` hands out, clipped to
    /// `max_norm`; returns their norm before clipping. `visit` is called twice: for the
    /// norm, then for the step.
    pub fn apply<O: Optimizer<T> + ?Sized>(
        &mut self,
        opt: &mut O,
        mut visit: impl FnMut(&mut dyn FnMut(Param<'_, T>)),
    ) -> f64 {
        let norm = grad_norm(&mut visit);
        let rate = clip_rate(norm, self.max_norm);
        if rate == 1.0 {
            crate::optim::apply(opt, visit);
            return norm;
        }
        let rate = T::cast(rate);
        let scaled = &mut self.scaled;
        opt.begin_step();
        let mut index = 0;
        visit(&mut |p| {
            scaled.clear();
            scaled.extend(p.grad.iter().map(|&g| g * rate));
            opt.update(
                index,
                Param {
                    layer: p.layer,
                    name: p.name,
                    value: p.value,
                    grad: scaled,
                },
            );
            index += 1;
        });
        norm
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::{Adam, Sgd};

    #[test]
    fn a_norm_above_the_limit_scales_every_gradient() {
        // norm √(3² + 4² + 12²) = 13 over two tensors; max 1.3: rate 1.3 / (13 + 1e-6)
        let (mut a, mut b) = ([1.0f64, 2.0], [3.0f64]);
        let (ga, gb) = ([3.0, 4.0], [12.0]);
        let mut clip = ClipGradNorm::new(1.3);
        let norm = clip.apply(&mut Sgd::new(1.0), |f| {
            f(Param::new("a", &mut a, &ga));
            f(Param::new("b", &mut b, &gb));
        });
        assert_eq!(norm, 13.0);
        let rate = 1.3 / (13.0 + 1e-6);
        assert_eq!(a, [1.0 - 3.0 * rate, 2.0 - 4.0 * rate]);
        assert_eq!(b, [3.0 - 12.0 * rate]);
    }

    #[test]
    fn a_norm_within_the_limit_leaves_the_gradients() {
        let (mut p, mut q) = ([1.0f64, 2.0], [1.0f64, 2.0]);
        let g = [0.3, -0.4];
        let (mut clipped, mut plain) = (Adam::with_lr(0.1), Adam::with_lr(0.1));
        let norm = ClipGradNorm::new(0.5 + 2e-6).apply(&mut clipped, |f| f(Param::new("w", &mut p, &g)));
        crate::optim::apply(&mut plain, |f| f(Param::new("w", &mut q, &g)));
        assert!((norm - 0.5).abs() < 1e-15);
        assert_eq!(p, q);
        // just at the limit the book's rule (rate < 1) already scales
        assert!(clip_rate(0.5, 0.5) < 1.0);
        assert_eq!(clip_rate(0.5, 0.5 + 1e-6), 1.0);
    }

    #[test]
    fn the_scaled_copy_is_reused() {
        let mut clip = ClipGradNorm::<f32>::new(0.1);
        let mut p = [0.0f32; 64];
        let g = [1.0f32; 64];
        clip.apply(&mut Sgd::new(1.0), |f| f(Param::new("w", &mut p, &g)));
        let (ptr, cap) = (clip.scaled.as_ptr(), clip.scaled.capacity());
        let mut q = [0.0f32; 8];
        clip.apply(&mut Sgd::new(1.0), |f| {
            f(Param::new("w", &mut p, &g));
            f(Param::new("v", &mut q, &g[..8]));
        });
        assert_eq!((clip.scaled.as_ptr(), clip.scaled.capacity()), (ptr, cap));
    }

    #[test]
    #[should_panic(expected = "ClipGradNorm: max_norm must be finite and greater than 0, got 0")]
    fn a_zero_limit_panics() {
        ClipGradNorm::<f32>::new(0.0);
    }
}
