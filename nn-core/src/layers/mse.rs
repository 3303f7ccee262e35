use crate::batch::{BatchBuf, BatchRef};
use crate::float::Float;
use crate::layers::{LossLayer, Prediction};

/// Mean squared error over every element (PyTorch's `MSELoss`), for regression.
///
/// - forward: `L = (1 / (N·D)) Σ (score − t)²`
/// - backward (`dout = 1`): `dscore = 2 (score − t) / (N·D)`
///
/// # Shapes
/// `score, t, dscore: D × N`. The target is a batch of values (`&Batch` or a `BatchRef`).
#[derive(Clone, Debug, Default)]
pub struct MeanSquaredError<T, const D: usize> {
    diff: BatchBuf<T, D>,
    dx: BatchBuf<T, D>,
}

impl<T: Float, const D: usize> MeanSquaredError<T, D> {
    /// A mean-squared-error loss.
    pub fn new() -> Self {
        Self {
            diff: BatchBuf::new(),
            dx: BatchBuf::new(),
        }
    }
}

impl<T: Float, const D: usize> LossLayer<T, D> for MeanSquaredError<T, D> {
    type Target<'a> = BatchRef<'a, T, D>;
    const PREDICTION: Prediction = Prediction::Scores;

    fn target_columns<'a>(t: Self::Target<'a>, start: usize, len: usize) -> Self::Target<'a> {
        crate::batch::columns("MeanSquaredError::target_columns", t, start, len)
    }

    fn forward(&mut self, score: BatchRef<'_, T, D>, t: BatchRef<'_, T, D>) -> T {
        let n = score.ncols();
        assert_eq!(
            t.ncols(),
            n,
            "MeanSquaredError: {} targets for a batch of {n} samples",
            t.ncols()
        );
        self.diff.resize(n);
        let mut total = T::zero();
        for ((d, &s), &t) in self
            .diff
            .as_mut_slice()
            .iter_mut()
            .zip(score.as_slice())
            .zip(t.as_slice())
        {
            *d = s - t;
            total += *d * *d;
        }
        total / T::count((n * D).max(1))
    }

    fn backward(&mut self) -> BatchRef<'_, T, D> {
        let n = self.diff.ncols();
        self.dx.resize(n);
        let scale = T::cast(2.0) / T::count((n * D).max(1));
        for (dx, &d) in self.dx.as_mut_slice().iter_mut().zip(self.diff.as_slice()) {
            *dx = d * scale;
        }
        self.dx.view()
    }
}
