//! Regression metrics: mean absolute error, root mean squared error and R², per output and
//! averaged over the outputs.

use core::fmt;

use super::MetricsError;
use crate::batch::AsBatch;
use crate::float::Float;

/// The metrics of one output `k` over `N` samples, with `e_n = ŷ_n − y_n` the error of
/// sample `n` and `ȳ` the mean target:
///
/// - MAE `= (1/N) Σ_n |e_n|`;
/// - RMSE `= sqrt((1/N) Σ_n e_n²)`;
/// - R² `= 1 − SS_res / SS_tot` with `SS_res = Σ_n e_n²` and `SS_tot = Σ_n (y_n − ȳ)²`:
///   1 for exact predictions, 0 for predicting `ȳ` everywhere, negative for worse than that.
///
/// **Constant targets** (`SS_tot = 0`, R² undefined): R² is 1 if the predictions are exact
/// (`SS_res = 0`) and 0 otherwise, as scikit-learn's `r2_score` (its default
/// `force_finite=True`); [`constant_target`](Self::constant_target) says so and the printed
/// report adds a note.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OutputMetrics {
    /// Mean absolute error.
    pub mae: f64,
    /// Root mean squared error.
    pub rmse: f64,
    /// Coefficient of determination.
    pub r2: f64,
    /// Whether every target of this output is the same (`SS_tot = 0`), so that `r2` is set
    /// by the convention above.
    pub constant_target: bool,
}

/// MAE, RMSE and R² of every output of a regression, and their unweighted means over the
/// outputs (scikit-learn's `multioutput='uniform_average'`: the mean of the per-output RMSEs,
/// as its `root_mean_squared_error`, and of the per-output R² values). The formulas are on
/// [`OutputMetrics`]. Sums are taken in `f64`, the targets' mean and `SS_tot` in one pass
/// (Welford's update, exact for constant targets).
///
/// `Display` prints one row per output (then the averages, for several outputs) with 4
/// decimals unless the format asks for others (`{:.2}`).
///
/// ```
/// use nn::metrics::RegressionReport;
/// let y = [1.0f64, 2.0, 3.0, 4.0];
/// let exact = RegressionReport::from_slices(&y, &y)?;
/// assert_eq!((exact.mae(), exact.rmse(), exact.r2()), (0.0, 0.0, 1.0));
/// let mean = RegressionReport::from_slices(&[2.5; 4], &y)?; // always predicts ȳ = 2.5
/// assert_eq!((mean.mae(), mean.r2()), (1.0, 0.0));
/// assert_eq!(mean.rmse(), 1.25f64.sqrt()); // sqrt((1.5² + 0.5² + 0.5² + 1.5²) / 4)
/// # Ok::<(), nn::metrics::MetricsError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RegressionReport {
    outputs: Vec<OutputMetrics>,
    names: Vec<String>,
    samples: usize,
}

impl RegressionReport {
    /// The metrics of single-output predictions `predicted[n]` against targets `actual[n]`.
    /// Errors if the slices differ in length, are empty, or hold a NaN or an infinity
    /// (naming the sample).
    pub fn from_slices<T: Float>(predicted: &[T], actual: &[T]) -> Result<Self, MetricsError> {
        if predicted.len() != actual.len() {
            return Err(MetricsError::LengthMismatch {
                predicted: predicted.len(),
                actual: actual.len(),
            });
        }
        let mut sums = RegressionSums::new(1);
        for (sample, (p, a)) in predicted.iter().zip(actual).enumerate() {
            sums.push(sample, core::slice::from_ref(p), core::slice::from_ref(a))?;
        }
        sums.finish()
    }

    /// The metrics of `K`-output predictions against targets, both `K × N` batches (one
    /// sample per column). Errors if they hold different numbers of samples, none, or a NaN
    /// or an infinity (naming the sample and output).
    pub fn from_batches<T: Float, const K: usize>(
        predicted: impl AsBatch<T, K>,
        actual: impl AsBatch<T, K>,
    ) -> Result<Self, MetricsError> {
        let (p, a) = (predicted.as_batch(), actual.as_batch());
        if p.ncols() != a.ncols() {
            return Err(MetricsError::LengthMismatch {
                predicted: p.ncols(),
                actual: a.ncols(),
            });
        }
        let mut sums = RegressionSums::new(K);
        for (sample, (p, a)) in p
            .as_slice()
            .chunks_exact(K)
            .zip(a.as_slice().chunks_exact(K))
            .enumerate()
        {
            sums.push(sample, p, a)?;
        }
        sums.finish()
    }

    /// Names the outputs in the printed report. Panics unless there is one name per output.
    #[track_caller]
    pub fn with_names(mut self, names: &[&str]) -> Self {
        assert_eq!(
            names.len(),
            self.outputs.len(),
            "RegressionReport::with_names: {} names for {} outputs",
            names.len(),
            self.outputs.len()
        );
        self.names = names.iter().map(|n| n.to_string()).collect();
        self
    }

    /// The metrics of output `k`. Panics if there is no such output.
    #[track_caller]
    pub fn output(&self, k: usize) -> &OutputMetrics {
        assert!(
            k < self.outputs.len(),
            "RegressionReport::output: output {k} of {}",
            self.outputs.len()
        );
        &self.outputs[k]
    }

    /// The metrics of every output, in order.
    pub fn outputs(&self) -> &[OutputMetrics] {
        &self.outputs
    }

    /// The output names (their indices unless [`with_names`](Self::with_names) set them).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The number of samples.
    pub fn samples(&self) -> usize {
        self.samples
    }

    /// The mean absolute error, averaged over the outputs.
    pub fn mae(&self) -> f64 {
        self.mean(|m| m.mae)
    }

    /// The root mean squared error, averaged over the outputs (the mean of the per-output
    /// RMSEs).
    pub fn rmse(&self) -> f64 {
        self.mean(|m| m.rmse)
    }

    /// R², averaged over the outputs.
    pub fn r2(&self) -> f64 {
        self.mean(|m| m.r2)
    }

    fn mean(&self, f: fn(&OutputMetrics) -> f64) -> f64 {
        self.outputs.iter().map(f).sum::<f64>() / self.outputs.len() as f64
    }
}

impl fmt::Display for RegressionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = f.precision().unwrap_or(4);
        let w = self
            .names
            .iter()
            .map(|n| n.chars().count())
            .max()
            .unwrap_or(0)
            .max("average".len());
        writeln!(f, "{:<w$}  {:>10} {:>10} {:>10}", "output", "MAE", "RMSE", "R²")?;
        for (m, name) in self.outputs.iter().zip(&self.names) {
            writeln!(
                f,
                "{name:<w$}  {:>10.digits$} {:>10.digits$} {:>10.digits$}",
                m.mae, m.rmse, m.r2
            )?;
        }
        if self.outputs.len() > 1 {
            writeln!(
                f,
                "{:<w$}  {:>10.digits$} {:>10.digits$} {:>10.digits$}",
                "average",
                self.mae(),
                self.rmse(),
                self.r2()
            )?;
        }
        write!(f, "\n{} samples", self.samples)?;
        for (m, name) in self.outputs.iter().zip(&self.names) {
            if m.constant_target {
                let value = if m.r2 == 1.0 { "1 (exact predictions)" } else { "0" };
                write!(
                    f,
                    "\nnote: every target of output {name} is the same (SS_tot = 0): its R² is set to {value}"
                )?;
            }
        }
        Ok(())
    }
}

/// Running sums of a regression, one sample at a time: `Σ|e|`, `Σe²`, and the targets' mean
/// and `SS_tot` by Welford's update (`δ = y − ȳ_{n−1}`, `ȳ_n = ȳ_{n−1} + δ/n`,
/// `SS_tot += δ·(y − ȳ_n)`).
pub(crate) struct RegressionSums {
    samples: usize,
    /// Per output: `[Σ|e|, Σe², ȳ, SS_tot]`.
    sums: Vec<[f64; 4]>,
}

impl RegressionSums {
    pub(crate) fn new(outputs: usize) -> Self {
        Self {
            samples: 0,
            sums: vec![[0.0; 4]; outputs],
        }
    }

    /// Adds sample `sample` (its index, for errors): `predicted` and `actual` hold one value
    /// per output.
    pub(crate) fn push<T: Float>(&mut self, sample: usize, predicted: &[T], actual: &[T]) -> Result<(), MetricsError> {
        for (output, (&p, &a)) in predicted.iter().zip(actual).enumerate() {
            if !p.is_finite() {
                return Err(MetricsError::NonFiniteScore {
                    sample,
                    output,
                    value: p.as_f64(),
                });
            }
            if !a.is_finite() {
                return Err(MetricsError::NonFiniteTarget {
                    sample,
                    output,
                    value: a.as_f64(),
                });
            }
        }
        self.samples += 1;
        let n = self.samples as f64;
        for (s, (&p, &a)) in self.sums.iter_mut().zip(predicted.iter().zip(actual)) {
            let (p, y) = (p.as_f64(), a.as_f64());
            let e = p - y;
            s[0] += e.abs();
            s[1] += e * e;
            let delta = y - s[2];
            s[2] += delta / n;
            s[3] += delta * (y - s[2]);
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> Result<RegressionReport, MetricsError> {
        if self.samples == 0 {
            return Err(MetricsError::Empty);
        }
        let n = self.samples as f64;
        let outputs = self
            .sums
            .iter()
            .map(|&[abs, sq, _, ss_tot]| {
                let constant_target = ss_tot == 0.0;
                let r2 = match (constant_target, sq == 0.0) {
                    (false, _) => 1.0 - sq / ss_tot,
                    (true, true) => 1.0,
                    (true, false) => 0.0,
                };
                OutputMetrics {
                    mae: abs / n,
                    rmse: (sq / n).sqrt(),
                    r2,
                    constant_target,
                }
            })
            .collect();
        Ok(RegressionReport {
            outputs,
            names: (0..self.sums.len()).map(|k| k.to_string()).collect(),
            samples: self.samples,
        })
    }
}
