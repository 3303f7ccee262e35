use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::Dataset;
use crate::batch::Batch;
use crate::float::Float;

/// The seed of the book's `spiral.load_data(seed=1984)`.
pub const SPIRAL_SEED: u64 = 1984;

/// The book's spiral data set (DLfS2 `dataset/spiral.py`): 3 classes × 100 points in the
/// plane. For class `j` and point `i`: `rate = i / 100`, `radius = rate`,
/// `θ = 4j + 4·rate + 0.2·randn`, `x = (radius·sin θ, radius·cos θ)`, label `j`.
///
/// Samples are ordered by class, then `i` (300 columns); the normal draws come from
/// `ChaCha8Rng::seed_from_u64(seed)` in that order, so a seed always gives the same points
/// (not numpy's points: the random stream differs).
pub fn spiral<T: Float>(seed: u64) -> Dataset<T, 2> {
    spiral_with::<T>(100, 3, seed)
}

/// The spiral with `per_class` points for each of `classes` arms (the book: 100 and 3).
pub fn spiral_with<T: Float>(per_class: usize, classes: usize, seed: u64) -> Dataset<T, 2> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = per_class * classes;
    let mut x = Batch::<T, 2>::zeros(n);
    let mut labels = Vec::with_capacity(n);
    for j in 0..classes {
        for i in 0..per_class {
            let rate = i as f64 / per_class as f64;
            let radius = rate;
            let noise: f64 = StandardNormal.sample(&mut rng);
            let theta = j as f64 * 4.0 + 4.0 * rate + noise * 0.2;
            let ix = per_class * j + i;
            x[(0, ix)] = T::cast(radius * theta.sin());
            x[(1, ix)] = T::cast(radius * theta.cos());
            labels.push(j);
        }
    }
    Dataset::classification(x, labels, classes).expect("the spiral's points are finite and its labels in range")
}
