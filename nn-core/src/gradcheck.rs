//! Central-difference gradient checking in `f64`, for layers, losses and whole networks.
//!
//! Every check compares an analytic gradient (what `backward` wrote) with the numeric
//! derivative `(f(p + ε) − f(p − ε)) / 2ε`, entry by entry, and measures the difference as
//!
//! ```text
//! error(a, b) = |a − b| / max(|a|, |b|, 1e-3)
//! ```
//!
//! (relative, with a floor so that tiny gradients are compared absolutely). A check passes
//! when the largest error is at most the tolerance (default `1e-6`).
//!
//! - [`check_layer`]: any [`Layer<f64, IN, OUT>`]. The scalar differentiated is
//!   `L = Σ y ⊙ R` for a fixed random `R` (`OUT × N`, uniform in `[−1, 1]`), so
//!   `dout = R`: one backward checks `dx` and every parameter gradient (via
//!   [`visit_params`](Layer::visit_params)). The numeric derivative is computed as
//!   `Σ R ⊙ (y(p + ε) − y(p − ε)) / 2ε`, which keeps rounding far below the tolerance. It
//!   also checks that [`output`](Layer::output) and [`infer`](Layer::infer) agree with
//!   `forward`, and that [`PARAMS`](Layer::PARAMS) matches what `visit_params` hands out.
//! - [`check_loss`]: any [`LossLayer<f64, D>`]: `dscore` against the numeric derivative of
//!   the returned loss.
//! - [`check_network`]: any [`Trainable<f64, IN, OUT>`] network: the numeric derivative of
//!   `forward(x, t)` with respect to every parameter, against what `backward()` wrote.
//!
//! [`GradCheck`] sets ε, the tolerance, the random seed and an optional limit of sampled
//! entries per tensor (for large layers); the `check_*` functions use the defaults.
//!
//! # Example: checking your own layer
//! ```
//! use nn_core::gradcheck::{self, GradCheck};
//! use nn_core::{Batch, BatchBuf, BatchMut, BatchRef, Float, Layer};
//!
//! /// `y = x²` elementwise; `dx = 2x ⊙ dout`.
//! #[derive(Default)]
//! struct Square<T, const D: usize> {
//!     y: BatchBuf<T, D>,
//!     dx: BatchBuf<T, D>,
//! }
//!
//! impl<T: Float, const D: usize> Layer<T, D, D> for Square<T, D> {
//!     fn forward(&mut self, x: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
//!         self.y.resize(x.ncols());
//!         square(x.as_slice(), self.y.as_mut_slice());
//!         self.y.view()
//!     }
//!     fn backward(&mut self, x: BatchRef<'_, T, D>, dout: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
//!         self.dx.resize(x.ncols());
//!         for ((dx, &x), &d) in self.dx.as_mut_slice().iter_mut().zip(x.as_slice()).zip(dout.as_slice()) {
//!             *dx = (x + x) * d;
//!         }
//!         self.dx.view()
//!     }
//!     fn output(&self) -> BatchRef<'_, T, D> {
//!         self.y.view()
//!     }
//!     fn infer(&self, x: BatchRef<'_, T, D>, mut out: BatchMut<'_, T, D>) {
//!         square(x.as_slice(), out.as_mut_slice());
//!     }
//! }
//!
//! fn square<T: Float>(x: &[T], y: &mut [T]) {
//!     for (y, &x) in y.iter_mut().zip(x) {
//!         *y = x * x;
//!     }
//! }
//!
//! let x: Batch<f64, 3> = gradcheck::random_batch(5, -2.0, 2.0, 42);
//! let report = gradcheck::check_layer(&mut Square::<f64, 3>::default(), x.as_view());
//! report.assert_ok(); // panics with a table of errors if a gradient is wrong
//! assert!(report.max_error() < 1e-6);
//!
//! // Tighter settings, and at most 10 sampled entries per tensor:
//! GradCheck::new().tolerance(1e-8).sample(10).seed(7)
//!     .layer(&mut Square::<f64, 3>::default(), x.as_view())
//!     .assert_ok();
//! ```

use core::fmt;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{Batch, BatchRef, Float, Layer, LossLayer, Param, Trainable};

/// The default finite-difference step ε.
pub const DEFAULT_EPS: f64 = 1e-5;
/// The default tolerance on the largest [`relative_error`].
pub const DEFAULT_TOLERANCE: f64 = 1e-6;
/// The floor of the denominator of [`relative_error`]: gradients smaller than this are
/// compared absolutely.
pub const ERROR_FLOOR: f64 = 1e-3;
/// Relative tolerance for consistency checks that should agree up to rounding
/// (`infer` vs `forward`).
const CONSISTENCY_TOLERANCE: f64 = 1e-10;

/// `|a − b| / max(|a|, |b|, 1e-3)`; infinite if either value is NaN or infinite.
pub fn relative_error(a: f64, b: f64) -> f64 {
    if !(a.is_finite() && b.is_finite()) {
        return f64::INFINITY;
    }
    (a - b).abs() / a.abs().max(b.abs()).max(ERROR_FLOOR)
}

/// A `D × n` batch with entries uniform in `[lo, hi)`, drawn from `ChaCha8Rng` seeded with
/// `seed` (reproducible across crate versions).
pub fn random_batch<T: Float, const D: usize>(n: usize, lo: f64, hi: f64, seed: u64) -> Batch<T, D> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Batch::from_fn(n, |_, _| T::cast(rng.random_range(lo..hi)))
}

/// Settings of a gradient check: step, tolerance, sampling and seed.
///
/// ```
/// use nn_core::gradcheck::GradCheck;
/// let check = GradCheck::new().eps(1e-6).tolerance(1e-7).sample(200).seed(3);
/// assert_eq!(check.max_entries, Some(200));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct GradCheck {
    /// Finite-difference step ε (default [`DEFAULT_EPS`]).
    pub eps: f64,
    /// Largest accepted [`relative_error`] (default [`DEFAULT_TOLERANCE`]).
    pub tolerance: f64,
    /// Check at most this many entries per tensor, chosen at random (default: all).
    pub max_entries: Option<usize>,
    /// Seed of the random `R` (layer checks) and of the sampled entries.
    pub seed: u64,
}

impl Default for GradCheck {
    fn default() -> Self {
        Self::new()
    }
}

/// The result of one checked entry.
#[derive(Clone, Debug, PartialEq)]
pub struct EntryCheck {
    /// Flat index into the tensor (column-major element order).
    pub index: usize,
    /// The gradient written by `backward`.
    pub analytic: f64,
    /// The central-difference estimate.
    pub numeric: f64,
    /// Their [`relative_error`].
    pub error: f64,
}

/// The result for one tensor (`dx`, `dscore` or a parameter).
#[derive(Clone, Debug, PartialEq)]
pub struct TensorCheck {
    /// `"dx"`, `"dscore"`, the parameter name (`"w"`) or `"layer.name"` in a network.
    pub name: String,
    /// `(rows, cols)` when known (inputs and scores), to print `(feature, sample)` positions.
    pub shape: Option<(usize, usize)>,
    /// Number of entries in the tensor.
    pub len: usize,
    /// Number of entries checked (all, or the sample).
    pub checked: usize,
    /// The entry with the largest error (`None` if nothing was checked).
    pub worst: Option<EntryCheck>,
}

impl TensorCheck {
    /// The largest error in this tensor (0 if nothing was checked).
    pub fn max_error(&self) -> f64 {
        self.worst.as_ref().map_or(0.0, |e| e.error)
    }

    fn position(&self, index: usize) -> String {
        match self.shape {
            Some((rows, _)) if rows > 0 => format!("({}, {})", index % rows, index / rows),
            _ => format!("[{index}]"),
        }
    }
}

/// What a gradient check found: per-tensor errors and any consistency problems.
/// `Display` prints a table; [`assert_ok`](GradReport::assert_ok) panics with it.
#[derive(Clone, Debug, PartialEq)]
pub struct GradReport {
    /// What was checked (`layer nn_core::Affine<f64, 3, 2>`, batch of 4).
    pub subject: String,
    /// The step used.
    pub eps: f64,
    /// The tolerance [`passed`](GradReport::passed) compares against.
    pub tolerance: f64,
    /// One entry per checked tensor, in order (`dx` or `dscore` first, then parameters in
    /// visit order).
    pub tensors: Vec<TensorCheck>,
    /// Consistency problems found besides gradient errors (a `PARAMS` that disagrees
    /// with `visit_params`, `infer` disagreeing with `forward`, a non-finite loss, ...).
    pub problems: Vec<String>,
}

impl GradReport {
    /// The largest error over every checked entry (infinite if any value was not finite).
    pub fn max_error(&self) -> f64 {
        self.tensors.iter().map(TensorCheck::max_error).fold(0.0, f64::max)
    }

    /// The tensor and entry with the largest error.
    pub fn worst(&self) -> Option<(&TensorCheck, &EntryCheck)> {
        self.tensors
            .iter()
            .filter_map(|t| t.worst.as_ref().map(|e| (t, e)))
            .fold(None, |best: Option<(&TensorCheck, &EntryCheck)>, (t, e)| match best {
                Some((_, b)) if e.error <= b.error => best,
                _ => Some((t, e)),
            })
    }

    /// Total number of entries checked.
    pub fn checked(&self) -> usize {
        self.tensors.iter().map(|t| t.checked).sum()
    }

    /// Whether every error is within the tolerance and there is no other problem.
    pub fn passed(&self) -> bool {
        self.problems.is_empty() && self.max_error() <= self.tolerance
    }

    /// Panics with the report when the check did not pass.
    #[track_caller]
    pub fn assert_ok(&self) {
        if !self.passed() {
            panic!("{self}");
        }
    }

    /// Panics with the report when the largest error exceeds `tolerance` (or there is a
    /// consistency problem).
    #[track_caller]
    pub fn assert_within(&self, tolerance: f64) {
        Self {
            tolerance,
            ..self.clone()
        }
        .assert_ok()
    }
}

impl fmt::Display for GradReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.passed() { "passed" } else { "FAILED" };
        writeln!(
            f,
            "gradient check of {}: {verdict}, max relative error {:.3e} (tolerance {:.1e}, eps {:.1e}, {} entries checked)",
            self.subject,
            self.max_error(),
            self.tolerance,
            self.eps,
            self.checked()
        )?;
        writeln!(
            f,
            "  {:<20} {:>13} {:>11}  {:<12} {:>24} {:>24}",
            "tensor", "checked/len", "max error", "worst at", "analytic", "numeric"
        )?;
        for t in &self.tensors {
            let flag = if t.max_error() > self.tolerance {
                "  <-- too large"
            } else {
                ""
            };
            match &t.worst {
                Some(e) => writeln!(
                    f,
                    "  {:<20} {:>13} {:>11.3e}  {:<12} {:>24.16e} {:>24.16e}{flag}",
                    t.name,
                    format!("{}/{}", t.checked, t.len),
                    e.error,
                    t.position(e.index),
                    e.analytic,
                    e.numeric
                )?,
                None => writeln!(f, "  {:<20} {:>13} {:>11}", t.name, format!("0/{}", t.len), "-")?,
            }
        }
        for p in &self.problems {
            writeln!(f, "  problem: {p}")?;
        }
        Ok(())
    }
}

/// Calls `f` on the values of the `k`-th tensor `visit` hands out.
fn with_param(visit: impl FnOnce(&mut dyn FnMut(Param<'_, f64>)), k: usize, f: impl FnOnce(&mut [f64])) {
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
fn collect_grads(visit: impl FnOnce(&mut dyn FnMut(Param<'_, f64>))) -> Vec<(String, Vec<f64>)> {
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

fn max_rel_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&a, &b)| if a == b { 0.0 } else { relative_error(a, b) })
        .fold(0.0, f64::max)
}

impl GradCheck {
    /// ε = 1e-5, tolerance 1e-6, every entry, seed 0.
    pub fn new() -> Self {
        Self {
            eps: DEFAULT_EPS,
            tolerance: DEFAULT_TOLERANCE,
            max_entries: None,
            seed: 0,
        }
    }

    /// Sets the finite-difference step.
    pub fn eps(self, eps: f64) -> Self {
        assert!(
            eps > 0.0 && eps.is_finite(),
            "GradCheck::eps: expected a positive step, got {eps}"
        );
        Self { eps, ..self }
    }

    /// Sets the tolerance on the largest relative error.
    pub fn tolerance(self, tolerance: f64) -> Self {
        Self { tolerance, ..self }
    }

    /// Checks at most `k` randomly chosen entries per tensor (seeded).
    pub fn sample(self, k: usize) -> Self {
        Self {
            max_entries: Some(k),
            ..self
        }
    }

    /// Sets the seed of `R` and of the sampled entries.
    pub fn seed(self, seed: u64) -> Self {
        Self { seed, ..self }
    }

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

    fn report(&self, subject: String) -> GradReport {
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
    fn tensor(
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

    /// Checks `dx` and every parameter gradient of `layer` at input `x` (`IN × N`); see the
    /// [module docs](self). Leaves the layer as after `forward(x)` and `backward(x, R)`.
    pub fn layer<L, const IN: usize, const OUT: usize>(&self, layer: &mut L, x: BatchRef<'_, f64, IN>) -> GradReport
    where
        L: Layer<f64, IN, OUT> + ?Sized,
    {
        let n = x.ncols();
        let mut report = self.report(format!("layer `{}` on a batch of {n}", core::any::type_name::<L>()));
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let x0: Batch<f64, IN> = x.clone_owned();

        // Analytic pass at x, with dout = R.
        let y0: Batch<f64, OUT> = layer.forward(x0.as_view()).clone_owned();
        let m = y0.ncols();
        if layer.output().as_slice() != y0.as_slice() {
            report
                .problems
                .push("output() differs from what forward() returned".into());
        }
        if m == n {
            let mut out = Batch::<f64, OUT>::from_element(n, f64::NAN);
            layer.infer(x0.as_view(), out.as_view_mut());
            let d = max_rel_diff(out.as_slice(), y0.as_slice());
            if d > CONSISTENCY_TOLERANCE {
                report.problems.push(format!(
                    "infer() differs from forward(): max relative difference {d:.3e}"
                ));
            }
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
        layer.forward(x0.as_view());
        layer.backward(x0.as_view(), r.as_view());
        report
    }

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

    /// Checks every parameter gradient of a network: the numeric derivative of
    /// `net.forward(x, t)` with respect to each parameter (perturbed through
    /// `visit_params`) against what `net.backward()` wrote. Parameters are restored bit
    /// for bit; the network is left as after `forward(x, t)` and `backward()`.
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
                let lp = net.forward(x, t);
                with_param(|f| net.visit_params(f), k, |v| v[i] = vm);
                let lm = net.forward(x, t);
                with_param(|f| net.visit_params(f), k, |v| v[i] = v0);
                (lp - lm) / (vp - vm)
            });
            report.tensors.push(tc);
        }
        net.forward(x, t);
        net.backward();
        report
    }
}

/// [`GradCheck::layer`] with the default settings (ε = 1e-5, tolerance 1e-6, every entry).
pub fn check_layer<L, const IN: usize, const OUT: usize>(layer: &mut L, x: BatchRef<'_, f64, IN>) -> GradReport
where
    L: Layer<f64, IN, OUT> + ?Sized,
{
    GradCheck::new().layer(layer, x)
}

/// [`GradCheck::loss`] with the default settings.
///
/// ```
/// use nn_core::gradcheck::{check_loss, random_batch};
/// use nn_core::{Batch, Labels, SoftmaxWithLoss};
///
/// let score: Batch<f64, 4> = random_batch(6, -3.0, 3.0, 1);
/// let labels = [0, 3, 1, 1, 2, 0];
/// check_loss(&mut SoftmaxWithLoss::<f64, 4>::new(), score.as_view(), Labels::Classes(&labels)).assert_ok();
/// ```
pub fn check_loss<L, const D: usize>(
    loss: &mut L,
    score: BatchRef<'_, f64, D>,
    t: <L as LossLayer<f64, D>>::Target<'_>,
) -> GradReport
where
    L: LossLayer<f64, D> + ?Sized,
{
    GradCheck::new().loss(loss, score, t)
}

/// [`GradCheck::network`] with the default settings; use
/// `GradCheck::new().sample(200).network(..)` for large networks.
///
/// For a network built with `network!` (in f64; a complete, tested example is
/// `nn-core/tests/gradcheck_network.rs`, which implements `Trainable` by hand):
///
/// ```text
/// let mut net = TwoLayerNet::new_f64(&mut rng);
/// let report = nn::gradcheck::check_network(&mut net, x.as_view(), Labels::Classes(&labels));
/// report.assert_ok(); // or inspect report.max_error(), report.worst(), println!("{report}")
/// ```
pub fn check_network<N, const IN: usize, const OUT: usize>(
    net: &mut N,
    x: BatchRef<'_, f64, IN>,
    t: <N::Loss as LossLayer<f64, OUT>>::Target<'_>,
) -> GradReport
where
    N: Trainable<f64, IN, OUT> + ?Sized,
{
    GradCheck::new().network(net, x, t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BatchBuf, BatchMut, Init, InitScheme};

    /// An Affine-like layer whose weight gradient is deliberately off by 1 % in one entry.
    struct Broken {
        inner: crate::Affine<f64, 3, 2>,
        dx: BatchBuf<f64, 3>,
    }

    impl Layer<f64, 3, 2> for Broken {
        const PARAMS: usize = 8;
        fn forward(&mut self, x: BatchRef<'_, f64, 3>) -> BatchRef<'_, f64, 2> {
            self.inner.forward(x)
        }
        fn backward(&mut self, x: BatchRef<'_, f64, 3>, dout: BatchRef<'_, f64, 2>) -> BatchRef<'_, f64, 3> {
            self.dx.copy_from(self.inner.backward(x, dout));
            self.inner.dw[(1, 2)] *= 1.01;
            self.dx.view()
        }
        fn output(&self) -> BatchRef<'_, f64, 2> {
            self.inner.output()
        }
        fn infer(&self, x: BatchRef<'_, f64, 3>, out: BatchMut<'_, f64, 2>) {
            self.inner.infer(x, out)
        }
        fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, f64>)) {
            self.inner.visit_params(f)
        }
    }

    fn affine() -> crate::Affine<f64, 3, 2> {
        let mut a = crate::Affine::<f64, 3, 2>::new();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        a.init_params(&mut Init::new(&mut rng, InitScheme::Xavier));
        a.b.copy_from_slice(&[0.3, -0.2]);
        a
    }

    #[test]
    fn correct_layer_passes() {
        let x: Batch<f64, 3> = random_batch(4, -1.0, 1.0, 5);
        let r = check_layer(&mut affine(), x.as_view());
        r.assert_ok();
        assert_eq!(r.tensors.len(), 3);
        assert_eq!(r.checked(), 12 + 6 + 2);
    }

    #[test]
    fn wrong_gradient_is_found_and_located() {
        let x: Batch<f64, 3> = random_batch(4, -1.0, 1.0, 5);
        let r = check_layer(
            &mut Broken {
                inner: affine(),
                dx: BatchBuf::new(),
            },
            x.as_view(),
        );
        assert!(!r.passed());
        let (t, e) = r.worst().unwrap();
        assert_eq!(t.name, "w");
        assert_eq!(e.index, 2 * 2 + 1); // (1, 2) in a column-major 2 × 3 matrix
        assert!((e.error - 0.01 / 1.01).abs() < 1e-6, "{r}");
        let msg = std::panic::catch_unwind(|| r.assert_ok()).unwrap_err();
        let msg = msg.downcast_ref::<String>().unwrap();
        assert!(msg.contains("FAILED") && msg.contains("too large"), "{msg}");
    }

    #[test]
    fn sampling_limits_entries() {
        let x: Batch<f64, 3> = random_batch(40, -1.0, 1.0, 5);
        let r = GradCheck::new().sample(7).layer(&mut affine(), x.as_view());
        r.assert_ok();
        assert_eq!(r.tensors.iter().map(|t| t.checked).collect::<Vec<_>>(), [7, 6, 2]);
    }

    #[test]
    fn params_mismatch_is_a_problem() {
        struct Lies(crate::Affine<f64, 3, 2>, BatchBuf<f64, 3>);
        impl Layer<f64, 3, 2> for Lies {
            const PARAMS: usize = 6;
            fn forward(&mut self, x: BatchRef<'_, f64, 3>) -> BatchRef<'_, f64, 2> {
                self.0.forward(x)
            }
            fn backward(&mut self, x: BatchRef<'_, f64, 3>, d: BatchRef<'_, f64, 2>) -> BatchRef<'_, f64, 3> {
                self.1.copy_from(self.0.backward(x, d));
                self.1.view()
            }
            fn output(&self) -> BatchRef<'_, f64, 2> {
                self.0.output()
            }
            fn infer(&self, x: BatchRef<'_, f64, 3>, out: BatchMut<'_, f64, 2>) {
                self.0.infer(x, out)
            }
            fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, f64>)) {
                self.0.visit_params(f)
            }
        }
        let x: Batch<f64, 3> = random_batch(2, -1.0, 1.0, 5);
        let r = check_layer(&mut Lies(affine(), BatchBuf::new()), x.as_view());
        assert!(r.max_error() < 1e-6);
        assert!(!r.passed());
        assert!(r.problems[0].contains("Layer::PARAMS is 6"), "{r}");
    }
}
