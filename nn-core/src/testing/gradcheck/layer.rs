//! The layer checker: `dx` and every parameter gradient of a `Layer`, plus the consistency
//! of `output`, `infer` and `PARAMS` with `forward` and `visit_params`. The layer is
//! reseeded with one seed before every forward (one Dropout mask for all of them).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::common::{collect_grads, max_rel_diff, with_param};
use super::report::GradReport;
use super::GradCheck;
use crate::batch::{Batch, BatchRef};
use crate::layers::{layer_seed, Layer, Mode};

/// Relative tolerance for consistency checks that should agree up to rounding
/// (`infer` vs `forward`).
const CONSISTENCY_TOLERANCE: f64 = 1e-10;

impl GradCheck {
    /// Checks `dx` and every parameter gradient of `layer` at input `x` (`IN × N`) in
    /// [`mode`](GradCheck::mode), reseeding the layer before every forward; see the
    /// [module docs](super). Leaves the layer in that mode, as after `forward(x)` and
    /// `backward(x, R)`.
    #[track_caller]
    pub fn layer<L, const IN: usize, const OUT: usize>(&self, layer: &mut L, x: BatchRef<'_, f64, IN>) -> GradReport
    where
        L: Layer<f64, IN, OUT> + ?Sized,
    {
        let n = x.ncols();
        let mut report = self.report(format!("layer `{}` on a batch of {n}", core::any::type_name::<L>()));
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let x0: Batch<f64, IN> = x.clone_owned();
        // One stream for every forward: a random layer (Dropout) draws the same mask in each.
        let stream = layer_seed(self.seed, 0);

        // `infer` against a forward in the inference form, before the analytic pass (whose
        // buffers backward uses).
        layer.set_mode(Mode::Eval);
        layer.reseed(stream);
        let ye: Batch<f64, OUT> = layer.forward(x0.as_view()).clone_owned();
        if ye.ncols() == n {
            let mut out = Batch::<f64, OUT>::from_element(n, f64::NAN);
            layer.infer(x0.as_view(), out.as_view_mut());
            let d = max_rel_diff(out.as_slice(), ye.as_slice());
            if d > CONSISTENCY_TOLERANCE {
                report.problems.push(format!(
                    "infer() differs from forward() in Mode::Eval: max relative difference {d:.3e}"
                ));
            }
        }
        layer.set_mode(self.mode);

        // Analytic pass at x, with dout = R.
        layer.reseed(stream);
        let y0: Batch<f64, OUT> = layer.forward(x0.as_view()).clone_owned();
        let m = y0.ncols();
        if layer.output().as_slice() != y0.as_slice() {
            report
                .problems
                .push("output() differs from what forward() returned".into());
        }
        let r = Batch::<f64, OUT>::from_fn(m, |_, _| rng.random_range(-1.0..1.0));
        let dx: Batch<f64, IN> = layer.backward(x0.as_view(), r.as_view()).clone_owned();
        let grads = collect_grads(|f| layer.visit_params(f));
        let visited: usize = grads.iter().map(|(_, g)| g.len()).sum();
        if visited != L::PARAMS {
            report.problems.push(format!(
                "Layer::PARAMS is {} but visit_params() hands out {visited} values",
                L::PARAMS
            ));
        }
        // Σ R ⊙ (y₊ − y₋) / h, with y₊ kept in a buffer.
        let mut yp = Batch::<f64, OUT>::zeros(m);
        let mut dot = |layer: &mut L, xin: BatchRef<'_, f64, IN>, plus: bool| -> f64 {
            layer.reseed(stream);
            let y = layer.forward(xin);
            assert_eq!(
                y.ncols(),
                m,
                "gradcheck: forward returned {} samples, then {m}",
                y.ncols()
            );
            if plus {
                yp.copy_from(&y);
                0.0
            } else {
                yp.iter()
                    .zip(y.iter())
                    .zip(r.iter())
                    .map(|((&p, &q), &r)| r * (p - q))
                    .sum()
            }
        };

        if dx.ncols() != n {
            report.problems.push(format!(
                "backward() returned dx with {} samples for an input of {n}",
                dx.ncols()
            ));
        } else {
            let mut xp = x0.clone();
            let t = self.tensor("dx".into(), Some((IN, n)), dx.as_slice(), &mut rng, |i| {
                let v0 = xp.as_slice()[i];
                let (vp, vm) = (v0 + self.eps, v0 - self.eps);
                xp.as_mut_slice()[i] = vp;
                dot(layer, xp.as_view(), true);
                xp.as_mut_slice()[i] = vm;
                let s = dot(layer, xp.as_view(), false);
                xp.as_mut_slice()[i] = v0;
                s / (vp - vm)
            });
            report.tensors.push(t);
        }

        for (k, (name, g)) in grads.iter().enumerate() {
            let t = self.tensor(name.clone(), None, g, &mut rng, |i| {
                let mut v0 = 0.0;
                with_param(|f| layer.visit_params(f), k, |v| v0 = v[i]);
                let (vp, vm) = (v0 + self.eps, v0 - self.eps);
                with_param(|f| layer.visit_params(f), k, |v| v[i] = vp);
                dot(layer, x0.as_view(), true);
                with_param(|f| layer.visit_params(f), k, |v| v[i] = vm);
                let s = dot(layer, x0.as_view(), false);
                with_param(|f| layer.visit_params(f), k, |v| v[i] = v0);
                s / (vp - vm)
            });
            report.tensors.push(t);
        }

        // Leave the layer at the analytic point.
        layer.reseed(stream);
        layer.forward(x0.as_view());
        layer.backward(x0.as_view(), r.as_view());
        report
    }
}
