use crate::batch::{BatchBuf, BatchRef};
use crate::float::Float;
use crate::labels::Labels;
use crate::layers::{LossLayer, Prediction};

/// The book's `SigmoidWithLoss`: a sigmoid on every output followed by the binary
/// cross-entropy, averaged over the batch.
///
/// - forward: `y = σ(score)`;
///   `L = −(1/N) Σₙ Σ_d [t log y + (1 − t) log(1 − y)]`
/// - backward (`dout = 1`): `dscore = (y − t) / N`
///
/// The loss is computed in the stable form `max(s, 0) − s·t − log σ(|s|)` (PyTorch's
/// `BCEWithLogitsLoss`), with `σ(|s|)` taken from the kept `y` (`y` or `1 − y`, both in
/// `[0.5, 1]`), so it is never `log 0` and needs no guard. The book adds `1e-7` inside
/// both logs instead; with that guard the backward above is not the exact derivative of the
/// loss (relative error up to `1e-7 / y`), which fails a `1e-6` gradient check.
///
/// Targets: with `D = 1`, class indices 0 or 1 ([`Labels::Classes`]); for any `D`, a
/// `D × N` batch of targets in `[0, 1]` ([`Labels::OneHot`], multi-label).
///
/// A NaN or infinite score makes the loss NaN (`σ` gives NaN there, see
/// [`Float::sigmoid_slice`]) and its sample wrong in [`correct`](LossLayer::correct).
///
/// # Shapes
/// `score, y, dscore: D × N`.
#[derive(Clone, Debug, Default)]
pub struct SigmoidWithLoss<T, const D: usize> {
    y: BatchBuf<T, D>,
    t: BatchBuf<T, D>,
    dx: BatchBuf<T, D>,
}

impl<T: Float, const D: usize> SigmoidWithLoss<T, D> {
    /// A sigmoid-with-loss layer.
    pub fn new() -> Self {
        Self {
            y: BatchBuf::new(),
            t: BatchBuf::new(),
            dx: BatchBuf::new(),
        }
    }

    /// The probabilities `σ(score)` of the last forward (`D × N`).
    pub fn probabilities(&self) -> BatchRef<'_, T, D> {
        self.y.view()
    }

    fn load_targets(&mut self, t: Labels<'_, T, D>, n: usize) {
        assert_eq!(
            t.len(),
            n,
            "SigmoidWithLoss: {} labels for a batch of {n} samples",
            t.len()
        );
        self.t.resize(n);
        match t {
            Labels::Classes(c) => {
                assert!(D == 1, "SigmoidWithLoss: class indices need one output (D = 1), this loss has {D}; pass a {D} × N batch of 0/1 targets");
                for (dst, &k) in self.t.as_mut_slice().iter_mut().zip(c) {
                    assert!(k <= 1, "SigmoidWithLoss: binary label {k} is neither 0 nor 1");
                    *dst = T::count(k);
                }
            }
            Labels::OneHot(m) => {
                for (dst, &v) in self.t.as_mut_slice().iter_mut().zip(m.as_slice()) {
                    assert!(
                        v >= T::zero() && v <= T::one(),
                        "SigmoidWithLoss: target {v} is outside [0, 1]"
                    );
                    *dst = v;
                }
            }
        }
    }
}

impl<T: Float, const D: usize> LossLayer<T, D> for SigmoidWithLoss<T, D> {
    type Target<'a> = Labels<'a, T, D>;
    const PREDICTION: Prediction = Prediction::Sigmoid;

    fn target_columns<'a>(t: Self::Target<'a>, start: usize, len: usize) -> Self::Target<'a> {
        t.columns(start, len)
    }

    const CLASSES: Option<usize> = Some(if D == 1 { 2 } else { 0 });

    fn class_indices<'a>(t: Self::Target<'a>) -> Option<&'a [usize]> {
        match t {
            Labels::Classes(c) => Some(c),
            Labels::OneHot(_) => None,
        }
    }

    fn forward(&mut self, score: BatchRef<'_, T, D>, t: Labels<'_, T, D>) -> T {
        let n = score.ncols();
        self.load_targets(t, n);
        self.y.resize(n);
        T::sigmoid_slice(score.as_slice(), self.y.as_mut_slice());
        let mut total = T::zero();
        for ((&s, &y), &t) in score.as_slice().iter().zip(self.y.as_slice()).zip(self.t.as_slice()) {
            // −[t log σ(s) + (1 − t) log(1 − σ(s))] = max(s, 0) − s·t − log σ(|s|).
            let (relu, sig_abs) = if s >= T::zero() {
                (s, y)
            } else {
                (T::zero(), T::one() - y)
            };
            total += relu - s * t - sig_abs.ln();
        }
        total / T::count(n.max(1))
    }

    fn backward(&mut self) -> BatchRef<'_, T, D> {
        let n = self.y.ncols();
        self.dx.resize(n);
        let inv_n = T::one() / T::count(n.max(1));
        for ((dx, &y), &t) in self
            .dx
            .as_mut_slice()
            .iter_mut()
            .zip(self.y.as_slice())
            .zip(self.t.as_slice())
        {
            *dx = (y - t) * inv_n;
        }
        self.dx.view()
    }

    fn correct(&self, score: BatchRef<'_, T, D>, t: Labels<'_, T, D>) -> Option<usize> {
        let n = score.ncols();
        assert_eq!(
            t.len(),
            n,
            "SigmoidWithLoss: {} labels for a batch of {n} samples",
            t.len()
        );
        let half = T::cast(0.5);
        let ok = (0..n)
            .filter(|&i| {
                // A non-finite score is wrong whatever the target (issue 10).
                (0..D).all(|d| {
                    let s = score[(d, i)];
                    let predicted = s > T::zero();
                    let target = match t {
                        Labels::Classes(c) => c[i] == 1,
                        Labels::OneHot(m) => m[(d, i)] > half,
                    };
                    s.is_finite() && predicted == target
                })
            })
            .count();
        Some(ok)
    }
}
