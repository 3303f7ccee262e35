use crate::batch::{BatchBuf, BatchMut, BatchRef};
use crate::float::{finite_zero, Float};
use crate::layers::{Layer, LayerOp};

/// Softmax of every sample (column) of `x` into `y`, with the column maximum subtracted
/// first so `exp` never overflows: `y = exp(x − max x) / Σ exp(x − max x)`.
///
/// A column holding a NaN or an infinity (of either sign) becomes all NaN: an activation
/// that is not finite must reach the loss, and `exp(−∞) = 0` would otherwise turn a `−∞`
/// score into a plausible probability of 0 (`+∞` gives `∞ − ∞` and a NaN gives NaN by
/// themselves).
#[inline]
#[track_caller]
pub fn softmax_into<T: Float, const D: usize>(x: BatchRef<'_, T, D>, mut y: BatchMut<'_, T, D>) {
    assert_eq!(
        x.ncols(),
        y.ncols(),
        "softmax_into: x has {} samples, y {}",
        x.ncols(),
        y.ncols()
    );
    let xs = x.as_slice();
    let ys = y.as_mut_slice();
    if D >= LONG_COLUMN {
        // Long columns (a language model's vocabulary): one column at a time, so each stays
        // in cache through its four steps and the block crosses memory once each way.
        for (xc, yc) in xs.chunks_exact(D).zip(ys.chunks_exact_mut(D)) {
            shift_by_max(xc, yc);
            T::exp_in_place(yc);
            let inv = T::one() / lane_sum(yc);
            for y in yc.iter_mut() {
                *y *= inv;
            }
        }
        return;
    }
    // Short columns: three passes, so `exp` runs once over the whole `D × N` block
    // (full-width vector code even for small D) instead of once per short column.
    for (xc, yc) in xs.chunks_exact(D).zip(ys.chunks_exact_mut(D)) {
        shift_by_max(xc, yc);
    }
    T::exp_in_place(ys);
    for yc in ys.chunks_exact_mut(D) {
        normalise(yc);
    }
}

/// Columns of at least this many scores are done one at a time by [`softmax_into`].
const LONG_COLUMN: usize = 1024;

/// `y = x − max x` for one column.
#[inline]
fn shift_by_max<T: Float>(xc: &[T], yc: &mut [T]) {
    // A NaN is skipped by these comparisons unless it comes first; the NaN element itself
    // then poisons the column through `exp` and the sum. `min − min` is 0, or NaN when the
    // column holds −∞, which would otherwise become exp(−∞) = 0, a plausible probability
    // (+∞ gives ∞ − ∞ = NaN by itself).
    let (max, min) = max_min(xc);
    let max = max + finite_zero(min);
    for (y, &x) in yc.iter_mut().zip(xc) {
        *y = x - max;
    }
}

/// The maximum and minimum of a column, each lane of 16 folding its own elements (so the
/// loop vectorises; the result does not depend on the order), then the lanes folded. Every
/// lane starts from `xc[0]`, so a leading NaN makes both NaN, as one sequential fold would.
#[inline]
fn max_min<T: Float>(xc: &[T]) -> (T, T) {
    const LANES: usize = 16;
    let (mut hi, mut lo) = ([xc[0]; LANES], [xc[0]; LANES]);
    let chunks = xc.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for i in 0..LANES {
            hi[i] = if c[i] > hi[i] { c[i] } else { hi[i] };
            lo[i] = if c[i] < lo[i] { c[i] } else { lo[i] };
        }
    }
    let fold = |(h, l): (T, T), &v: &T| (if v > h { v } else { h }, if v < l { v } else { l });
    let lanes = hi.iter().zip(&lo).fold((xc[0], xc[0]), |(h, l), (&a, &b)| {
        (if a > h { a } else { h }, if b < l { b } else { l })
    });
    rest.iter().fold(lanes, fold)
}

/// `Σ y` in 16 lanes (each summing every 16th element, then the lanes in order): a
/// vectorised sum for long columns, where one running sum would wait on every add.
#[inline]
fn lane_sum<T: Float>(y: &[T]) -> T {
    const LANES: usize = 16;
    let mut acc = [T::zero(); LANES];
    let chunks = y.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for i in 0..LANES {
            acc[i] += c[i];
        }
    }
    acc.iter().copied().sum::<T>() + rest.iter().copied().sum::<T>()
}

/// `y = y / Σ y` for one column.
#[inline]
fn normalise<T: Float>(yc: &mut [T]) {
    let inv = T::one() / yc.iter().copied().sum::<T>();
    for y in yc.iter_mut() {
        *y *= inv;
    }
}

/// The book's `Softmax` layer, per sample: `y = exp(x − max x) / Σ exp(x − max x)`.
///
/// - forward: `y = softmax(x)` (column-wise; the book's row-wise)
/// - backward: `dx = y ⊙ (dout − Σ_d dout ⊙ y)` per sample
///
/// # Shapes
/// `x, y, dout, dx: D × N`.
#[derive(Clone, Debug, Default)]
pub struct Softmax<T, const D: usize> {
    y: BatchBuf<T, D>,
    dx: BatchBuf<T, D>,
}

impl<T: Float, const D: usize> Softmax<T, D> {
    /// A softmax layer.
    pub fn new() -> Self {
        Self {
            y: BatchBuf::new(),
            dx: BatchBuf::new(),
        }
    }
}

impl<T: Float, const D: usize> Layer<T, D, D> for Softmax<T, D> {
    /// `Unary("Softmax")`: over each sample's features (ONNX's default axis from opset 13).
    fn op(&self) -> Option<LayerOp<'_, T>> {
        Some(LayerOp::Unary("Softmax"))
    }

    fn forward(&mut self, x: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
        self.y.resize(x.ncols());
        softmax_into(x, self.y.view_mut());
        self.y.view()
    }

    fn backward(&mut self, _x: BatchRef<'_, T, D>, dout: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
        assert_eq!(
            dout.ncols(),
            self.y.ncols(),
            "Softmax::backward: dout has {} samples, the last forward had {}",
            dout.ncols(),
            self.y.ncols()
        );
        self.dx.resize(dout.ncols());
        let y = self.y.as_slice();
        for ((dx, d), y) in self
            .dx
            .as_mut_slice()
            .chunks_exact_mut(D)
            .zip(dout.as_slice().chunks_exact(D))
            .zip(y.chunks_exact(D))
        {
            let s: T = d.iter().zip(y).map(|(&d, &y)| d * y).sum();
            for ((dx, &d), &y) in dx.iter_mut().zip(d).zip(y) {
                *dx = y * (d - s);
            }
        }
        self.dx.view()
    }

    fn output(&self) -> BatchRef<'_, T, D> {
        self.y.view()
    }

    fn infer(&self, x: BatchRef<'_, T, D>, out: BatchMut<'_, T, D>) {
        softmax_into(x, out);
    }
}
