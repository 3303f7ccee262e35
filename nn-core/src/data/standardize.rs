use crate::batch::Batch;
use crate::float::Float;

/// Per-feature standardization, `x ← (x − mean) / std`, fitted on the training set and
/// applied unchanged to the test set (so no test statistics leak into training).
///
/// `std` is the population standard deviation (numpy's default `ddof = 0`); a constant
/// feature (`std = 0`) is only centred.
///
/// ```
/// use nn_core::{batch_from_rows, data::Standardizer};
/// let train = batch_from_rows(&[[1.0f64, 10.0], [3.0, 10.0]]);
/// let s = Standardizer::fit(&train);
/// assert_eq!(*s.mean, [2.0, 10.0]);
/// assert_eq!(*s.std, [1.0, 1.0]); // the constant feature keeps std 1
/// let mut x = [5.0, 12.0];
/// s.apply(&mut x);
/// assert_eq!(x, [3.0, 2.0]);
/// ```
///
/// Both vectors live on the heap (as does every buffer `fit` uses), so a width of 100,000
/// features fits any thread's stack.
#[derive(Clone, Debug, PartialEq)]
pub struct Standardizer<T, const D: usize> {
    /// The mean of each feature.
    pub mean: Box<[T; D]>,
    /// The standard deviation of each feature (1 for a constant feature).
    pub std: Box<[T; D]>,
}

/// `D` copies of `v` on the heap (never on the stack, whatever `D`).
pub(super) fn boxed<U: Clone, const D: usize>(v: U) -> Box<[U; D]> {
    vec![v; D].into_boxed_slice().try_into().ok().expect("D elements")
}

impl<T: Float, const D: usize> Standardizer<T, D> {
    /// Fits mean and standard deviation of every feature of `x` (`D × N`, `N ≥ 1`),
    /// accumulating in `f64`.
    ///
    /// Panics if `x` has no samples.
    #[track_caller]
    pub fn fit(x: &Batch<T, D>) -> Self {
        let n = x.ncols();
        assert!(n > 0, "Standardizer::fit: expected at least 1 sample, got 0");
        let mut mean = vec![0.0f64; D];
        for s in x.as_slice().chunks_exact(D) {
            for (a, v) in mean.iter_mut().zip(s) {
                *a += v.as_f64();
            }
        }
        mean.iter_mut().for_each(|s| *s /= n as f64);
        let mut sq = vec![0.0f64; D];
        for s in x.as_slice().chunks_exact(D) {
            for ((a, v), m) in sq.iter_mut().zip(s).zip(&mean) {
                let d = v.as_f64() - m;
                *a += d * d;
            }
        }
        let mut out = Self {
            mean: boxed(T::zero()),
            std: boxed(T::one()),
        };
        for (((m, sd), &mf), &s) in out.mean.iter_mut().zip(out.std.iter_mut()).zip(&mean).zip(&sq) {
            *m = T::cast(mf);
            let sf = (s / n as f64).sqrt();
            *sd = T::cast(if sf > 0.0 { sf } else { 1.0 });
        }
        out
    }

    /// Standardizes samples stored one after the other (`D` values each) in place.
    ///
    /// Panics if the length of `samples` is not a multiple of `D`.
    #[track_caller]
    pub fn apply(&self, samples: &mut [T]) {
        assert!(
            samples.len().is_multiple_of(D),
            "Standardizer::apply: expected whole samples of {D} values (a length that is a multiple of {D}), got {} values",
            samples.len()
        );
        for s in samples.chunks_exact_mut(D) {
            for ((v, &m), &sd) in s.iter_mut().zip(self.mean.iter()).zip(self.std.iter()) {
                *v = standardized(*v, m, sd);
            }
        }
    }

    /// The first value of `samples` (whole samples of `D` values) that [`apply`](Self::apply)
    /// would make NaN or infinite, as (sample, feature).
    pub(super) fn first_non_finite(&self, samples: &[T]) -> Option<(usize, usize)> {
        samples.chunks_exact(D).enumerate().find_map(|(n, s)| {
            s.iter()
                .zip(self.mean.iter().zip(self.std.iter()))
                .position(|(&v, (&m, &sd))| !standardized(v, m, sd).is_finite())
                .map(|f| (n, f))
        })
    }
}

/// `(v − mean) / std`: what [`Standardizer::apply`] writes, and what
/// [`first_non_finite`](Standardizer::first_non_finite) checks.
#[inline]
fn standardized<T: Float>(v: T, mean: T, std: T) -> T {
    (v - mean) / std
}
