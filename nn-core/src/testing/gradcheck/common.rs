//! What every checker shares: random batches, reading and perturbing parameters through
//! `visit_params`, sampling entries and checking one tensor.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::report::{relative_error, EntryCheck, GradReport, TensorCheck};
use super::GradCheck;
use crate::batch::Batch;
use crate::float::Float;
use crate::param::Param;

/// A `D × n` batch with entries uniform in `[lo, hi)`, drawn from `ChaCha8Rng` seeded with
/// `seed` (reproducible across crate versions).
pub fn random_batch<T: Float, const D: usize>(n: usize, lo: f64, hi: f64, seed: u64) -> Batch<T, D> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Batch::from_fn(n, |_, _| T::cast(rng.random_range(lo..hi)))
}

/// Calls `f` on the values of the `k`-th tensor `visit` hands out.
pub(super) fn with_param(visit: impl FnOnce(&mut dyn FnMut(Param<'_, f64>)), k: usize, f: impl FnOnce(&mut [f64])) {
    let mut f = Some(f);
    let mut i = 0;
    visit(&mut |p| {
        if i == k {
            if let Some(f) = f.take() {
                f(p.value);
            }
        }
        i += 1;
    });
    assert!(
        f.is_none(),
        "gradcheck: parameter tensor {k} disappeared between visits"
    );
}

/// (name, gradient) of every tensor `visit` hands out.
pub(super) fn collect_grads(visit: impl FnOnce(&mut dyn FnMut(Param<'_, f64>))) -> Vec<(String, Vec<f64>)> {
    let mut out = Vec::new();
    visit(&mut |p| {
        let name = if p.layer.is_empty() {
            p.name.to_string()
        } else {
            format!("{}.{}", p.layer, p.name)
        };
        out.push((name, p.grad.to_vec()));
    });
    out
}

/// The largest [`relative_error`] between two equal-length slices (0 where they agree exactly).
pub(super) fn max_rel_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&a, &b)| if a == b { 0.0 } else { relative_error(a, b) })
        .fold(0.0, f64::max)
}

impl GradCheck {
    /// The entries to check in a tensor of `len`: all, or a sorted seeded sample.
    fn indices(&self, len: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
        match self.max_entries {
            Some(k) if k < len => {
                let mut v = rand::seq::index::sample(rng, len, k).into_vec();
                v.sort_unstable();
                v
            }
            _ => (0..len).collect(),
        }
    }

    /// An empty report of `subject` with these settings.
    pub(super) fn report(&self, subject: String) -> GradReport {
        GradReport {
            subject,
            eps: self.eps,
            tolerance: self.tolerance,
            tensors: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// Checks one tensor: `numeric(i, value)` returns the numeric derivative at entry `i`
    /// whose current value is `value`.
    pub(super) fn tensor(
        &self,
        name: String,
        shape: Option<(usize, usize)>,
        analytic: &[f64],
        rng: &mut ChaCha8Rng,
        mut numeric: impl FnMut(usize) -> f64,
    ) -> TensorCheck {
        let idx = self.indices(analytic.len(), rng);
        let mut worst: Option<EntryCheck> = None;
        for &i in &idx {
            let num = numeric(i);
            let e = EntryCheck {
                index: i,
                analytic: analytic[i],
                numeric: num,
                error: relative_error(analytic[i], num),
            };
            if worst.as_ref().is_none_or(|w| e.error > w.error) {
                worst = Some(e);
            }
        }
        TensorCheck {
            name,
            shape,
            len: analytic.len(),
            checked: idx.len(),
            worst,
        }
    }
}
