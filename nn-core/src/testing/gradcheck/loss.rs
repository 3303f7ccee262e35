//! The loss checker: `dscore` of a `LossLayer` against the numeric derivative of its loss.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::report::GradReport;
use super::GradCheck;
use crate::batch::{Batch, BatchRef};
use crate::layers::LossLayer;

impl GradCheck {
    /// Checks `dscore` of `loss` at `score` (`D × N`) against target `t`. Leaves the loss as
    /// after `forward(score, t)` and `backward()`.
    pub fn loss<L, const D: usize>(
        &self,
        loss: &mut L,
        score: BatchRef<'_, f64, D>,
        t: <L as LossLayer<f64, D>>::Target<'_>,
    ) -> GradReport
    where
        L: LossLayer<f64, D> + ?Sized,
    {
        let n = score.ncols();
        let mut report = self.report(format!("loss `{}` on a batch of {n}", core::any::type_name::<L>()));
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut s: Batch<f64, D> = score.clone_owned();
        let l0 = loss.forward(s.as_view(), t);
        if !l0.is_finite() {
            report.problems.push(format!("the loss is not finite: {l0}"));
        }
        let ds: Batch<f64, D> = loss.backward().clone_owned();
        if ds.ncols() != n {
            report.problems.push(format!(
                "backward() returned dscore with {} samples for a batch of {n}",
                ds.ncols()
            ));
            return report;
        }
        let t_check = self.tensor("dscore".into(), Some((D, n)), ds.as_slice(), &mut rng, |i| {
            let v0 = s.as_slice()[i];
            let (vp, vm) = (v0 + self.eps, v0 - self.eps);
            s.as_mut_slice()[i] = vp;
            let lp = loss.forward(s.as_view(), t);
            s.as_mut_slice()[i] = vm;
            let lm = loss.forward(s.as_view(), t);
            s.as_mut_slice()[i] = v0;
            (lp - lm) / (vp - vm)
        });
        report.tensors.push(t_check);
        loss.forward(s.as_view(), t);
        loss.backward();
        report
    }
}
