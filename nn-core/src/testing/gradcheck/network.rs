//! The network checker: every parameter gradient of a `Trainable` network against the
//! numeric derivative of its loss.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::common::{collect_grads, with_param};
use super::report::GradReport;
use super::GradCheck;
use crate::batch::BatchRef;
use crate::layers::LossLayer;
#[cfg(doc)]
use crate::network::Network;
use crate::network::Trainable;

impl GradCheck {
    /// Checks every parameter gradient of a network: the numeric derivative of
    /// `net.forward(x, t)` with respect to each parameter (perturbed through
    /// `visit_params`) against what `net.backward()` wrote. Parameters are restored bit
    /// for bit; the network is left as after `forward(x, t)` and `backward()`. Before every
    /// forward the network is reseeded with [`Network::reseed`]`(seed)`, so random layers
    /// (Dropout) draw the same masks in all of them.
    pub fn network<N, const IN: usize, const OUT: usize>(
        &self,
        net: &mut N,
        x: BatchRef<'_, f64, IN>,
        t: <N::Loss as LossLayer<f64, OUT>>::Target<'_>,
    ) -> GradReport
    where
        N: Trainable<f64, IN, OUT> + ?Sized,
    {
        let n = x.ncols();
        let mut report = self.report(format!("network `{}` on a batch of {n}", core::any::type_name::<N>()));
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        // One stream for every forward: random layers (Dropout) draw the same masks in each.
        net.reseed(self.seed);
        let l0 = net.forward(x, t);
        if !l0.is_finite() {
            report.problems.push(format!("the loss is not finite: {l0}"));
        }
        net.backward();
        let grads = collect_grads(|f| net.visit_params(f));
        let visited: usize = grads.iter().map(|(_, g)| g.len()).sum();
        if visited != net.param_count() {
            report.problems.push(format!(
                "param_count() is {} but visit_params() hands out {visited} values",
                net.param_count()
            ));
        }
        for (k, (name, g)) in grads.iter().enumerate() {
            let tc = self.tensor(name.clone(), None, g, &mut rng, |i| {
                let mut v0 = 0.0;
                with_param(|f| net.visit_params(f), k, |v| v0 = v[i]);
                let (vp, vm) = (v0 + self.eps, v0 - self.eps);
                with_param(|f| net.visit_params(f), k, |v| v[i] = vp);
                net.reseed(self.seed);
                let lp = net.forward(x, t);
                with_param(|f| net.visit_params(f), k, |v| v[i] = vm);
                net.reseed(self.seed);
                let lm = net.forward(x, t);
                with_param(|f| net.visit_params(f), k, |v| v[i] = v0);
                (lp - lm) / (vp - vm)
            });
            report.tensors.push(tc);
        }
        net.reseed(self.seed);
        net.forward(x, t);
        net.backward();
        report
    }
}
