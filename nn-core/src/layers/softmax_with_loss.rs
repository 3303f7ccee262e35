use super::softmax::softmax_into;
use crate::batch::{BatchBuf, BatchRef};
use crate::float::{finite_zero, Float};
use crate::labels::Labels;
use crate::layers::{LossLayer, Prediction};

/// The book's `SoftmaxWithLoss`: softmax followed by the mean cross-entropy error.
///
/// - forward: `y = softmax(score)` per sample; `L = −(1/N) Σₙ log y[tₙ, n]`
/// - backward (`dout = 1`): `dscore = (y − onehot(t)) / N`
///
/// # The book's `1e-7` guard
/// The book computes `log(y + 1e-7)` so that a probability that underflowed to 0 does not
/// give `log 0`. With the guard the backward above is not the exact derivative of the loss
/// (they differ by a factor `y[t] / (y[t] + 1e-7)`, a relative error of up to `1e-7 / y[t]`,
/// which fails a `1e-6` gradient check), and differentiating the guard instead would make
/// the gradient vanish for badly wrong predictions. So the loss here is the exact
/// `−log y[t]`: computed as `ln` of the kept probability, or, when that probability is below
/// `1e-30` (underflow), as the log-softmax `ln Σ exp(score − max) − (score[t] − max)`. It is
/// never `log 0`, equals the book's value to within `1e-7 / y[t]` relative, and its gradient
/// is exactly `(y − onehot(t)) / N`. The book's guarded function is still available as
/// [`cross_entropy_error`](crate::cross_entropy_error).
///
/// Labels are class indices or one-hot columns ([`Labels`]); both give identical loss and
/// gradient (one-hot is converted to indices, as the book does).
///
/// # Shapes
/// `score, y, dscore: D × N`; labels: `N` indices or `D × N` one-hot.
///
/// # Panics
/// When the label count differs from the batch size, a label is `≥ D`, or a one-hot column
/// is not one-hot: these are programmer errors (data from files is validated where it is
/// loaded).
///
/// # Non-finite scores
/// A NaN or an infinity (either sign, any class) among a sample's scores makes the loss NaN
/// (its softmax column is all NaN, see [`softmax_into`](crate::softmax_into)), which the
/// `Trainer` reports; such a sample is never counted as correct by [`correct`](LossLayer::correct).
#[derive(Clone, Debug, Default)]
pub struct SoftmaxWithLoss<T, const D: usize> {
    y: BatchBuf<T, D>,
    t: Vec<usize>,
    dx: BatchBuf<T, D>,
}

impl<T: Float, const D: usize> SoftmaxWithLoss<T, D> {
    /// A softmax-with-loss layer over `D` classes.
    pub fn new() -> Self {
        Self {
            y: BatchBuf::new(),
            t: Vec::new(),
            dx: BatchBuf::new(),
        }
    }

    /// The class probabilities of the last forward (`D × N`).
    pub fn probabilities(&self) -> BatchRef<'_, T, D> {
        self.y.view()
    }
}

impl<T: Float, const D: usize> LossLayer<T, D> for SoftmaxWithLoss<T, D> {
    type Target<'a> = Labels<'a, T, D>;
    const PREDICTION: Prediction = Prediction::Softmax;

    fn target_columns<'a>(t: Self::Target<'a>, start: usize, len: usize) -> Self::Target<'a> {
        t.columns(start, len)
    }

    const CLASSES: Option<usize> = Some(D);

    fn class_indices<'a>(t: Self::Target<'a>) -> Option<&'a [usize]> {
        match t {
            Labels::Classes(c) => Some(c),
            Labels::OneHot(_) => None,
        }
    }

    fn forward(&mut self, score: BatchRef<'_, T, D>, t: Labels<'_, T, D>) -> T {
        let n = score.ncols();
        assert_eq!(
            t.len(),
            n,
            "SoftmaxWithLoss: {} labels for a batch of {n} samples",
            t.len()
        );
        self.y.resize(n);
        softmax_into(score, self.y.view_mut());
        self.t.clear();
        self.t.extend((0..n).map(|i| t.class(i)));
        let y = self.y.as_slice();
        let tiny = T::cast(1e-30);
        let mut total = T::zero();
        for (i, &k) in self.t.iter().enumerate() {
            let p = y[i * D + k];
            total -= if p >= tiny {
                p.ln()
            } else {
                log_softmax_at(score.column(i).as_slice(), k)
            };
        }
        total / T::count(n.max(1))
    }

    fn backward(&mut self) -> BatchRef<'_, T, D> {
        let n = self.y.ncols();
        self.dx.resize(n);
        let inv_n = T::one() / T::count(n.max(1));
        // One pass: dx = y / N, then the label's entry less 1 / N (y − t, scaled).
        for (d, &y) in self.dx.as_mut_slice().iter_mut().zip(self.y.as_slice()) {
            *d = y * inv_n;
        }
        let dx = self.dx.as_mut_slice();
        for (i, &k) in self.t.iter().enumerate() {
            dx[i * D + k] = (self.y.as_slice()[i * D + k] - T::one()) * inv_n;
        }
        self.dx.view()
    }

    fn correct(&self, score: BatchRef<'_, T, D>, t: Labels<'_, T, D>) -> Option<usize> {
        assert_eq!(
            t.len(),
            score.ncols(),
            "SoftmaxWithLoss: {} labels for a batch of {} samples",
            t.len(),
            score.ncols()
        );
        Some(
            (0..score.ncols())
                .filter(|&i| {
                    let s = score.column(i);
                    let s = s.as_slice();
                    s.iter().all(|v| v.is_finite()) && argmax(s) == t.class(i)
                })
                .count(),
        )
    }
}

/// `ln softmax(s)[k] = (s[k] − max s) − ln Σ exp(s − max s)`, exact where the softmax
/// probability underflows; NaN if `s` holds a NaN or an infinity of either sign (`v − v`
/// is NaN there; a `−∞` would otherwise add `exp(−∞) = 0` and leave a finite value).
fn log_softmax_at<T: Float>(s: &[T], k: usize) -> T {
    let max = s.iter().copied().fold(s[0], |a, b| if b > a { b } else { a });
    let sum: T = s.iter().map(|&v| ((v - max) + finite_zero(v)).exp()).sum();
    (s[k] - max) - sum.ln()
}

/// Index of the largest value (the first one on ties). A NaN never compares larger, so it is
/// not picked unless it is first (an all-NaN column gives 0): code that classifies checks
/// the scores are finite, as [`SoftmaxWithLoss`]'s accuracy does (a non-finite sample is
/// wrong).
pub fn argmax<T: Float>(v: &[T]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}
