use super::softmax::softmax_into;
use crate::{BatchBuf, BatchRef, Float, Labels, LossLayer};

/// The book's `SoftmaxWithLoss`: softmax followed by the mean cross-entropy error.
///
/// - forward: `y = softmax(score)` per sample; `L = −(1/N) Σₙ log(y[tₙ, n] + 1e-7)`
/// - backward (`dout = 1`): `dscore = (y − onehot(t)) / N`
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
/// loaded). A non-finite score gives a NaN or infinite loss, which the `Trainer` reports.
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
        super::cross_entropy::cross_entropy_error::<T, D>(self.y.view(), Labels::Classes(&self.t))
    }

    fn backward(&mut self) -> BatchRef<'_, T, D> {
        let n = self.y.ncols();
        self.dx.resize(n);
        let inv_n = T::one() / T::count(n.max(1));
        self.dx.as_mut_slice().copy_from_slice(self.y.as_slice());
        let dx = self.dx.as_mut_slice();
        for (i, &k) in self.t.iter().enumerate() {
            dx[i * D + k] -= T::one();
        }
        for v in dx.iter_mut() {
            *v *= inv_n;
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
                .filter(|&i| argmax(score.column(i).as_slice()) == t.class(i))
                .count(),
        )
    }
}

/// Index of the largest value (the first one on ties).
pub fn argmax<T: Float>(v: &[T]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}
