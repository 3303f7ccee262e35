use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::batch::{BatchBuf, BatchMut, BatchRef};
use crate::float::Float;
use crate::init::Init;
use crate::layers::{Layer, LayerOp, Mode};

/// The seed of a new layer's stream (until [`Layer::init_params`] or [`Layer::reseed`]).
const DEFAULT_SEED: u64 = 0;

/// Inverted dropout (PyTorch's `nn.Dropout(p)`): in training each element is zeroed with
/// probability `p` and the kept ones scaled by `1/(1 − p)`, so the expected output is the
/// input and inference needs no rescaling.
///
/// - forward, [`Mode::Train`]: `y = x ⊙ m`, with `m = 1/(1 − p)` with probability `1 − p`
///   and `0` otherwise, drawn afresh for every element on every forward
/// - backward, `Train`: `dx = dout ⊙ m` (the mask of the last forward)
/// - forward and backward, [`Mode::Eval`] (and [`infer`](Layer::infer)): `y = x`,
///   `dx = dout`
///
/// The mask comes from the layer's own `ChaCha8Rng`: seeded with 0 by [`new`](Dropout::new),
/// with one `u64` drawn from the [`Init`] stream by [`init_params`](Layer::init_params) (so a
/// network drawn from a seeded generator drops the same elements every run), and restarted
/// by [`reseed`](Layer::reseed) (`ChaCha8Rng::seed_from_u64(seed)`). An element is dropped
/// when one `u32` of that stream is below `p·2³²` (so `p` is resolved to 2⁻³²). A NaN or
/// infinity stays non-finite where it is dropped (`x·0`).
///
/// # Shapes
/// `x, y, dout, dx, m: D × N` (the mask is kept as its scale factors).
///
/// ```
/// use nn_core::{Dropout, Layer, Mode};
/// let x = nn_core::Batch::<f64, 4>::from_element(250, 1.0); // 1000 ones
/// let mut drop = Dropout::<f64, 4>::new(0.25);
/// let y = drop.forward(x.as_view()).clone_owned();
/// // About a quarter are 0, the others 1/(1 − 0.25).
/// let kept = y.iter().filter(|&&v| v != 0.0).count();
/// assert!((700..800).contains(&kept));
/// assert!(y.iter().all(|&v| v == 0.0 || v == 1.0 / 0.75));
///
/// // The same seed, the same mask.
/// drop.reseed(7);
/// let a = drop.forward(x.as_view()).clone_owned();
/// drop.reseed(7);
/// assert_eq!(drop.forward(x.as_view()), a);
///
/// // Inference: the identity.
/// drop.set_mode(Mode::Eval);
/// assert_eq!(drop.forward(x.as_view()), x);
/// ```
#[derive(Clone, Debug)]
pub struct Dropout<T, const D: usize> {
    p: f64,
    /// `1/(1 − p)`, the factor of a kept element.
    scale: T,
    /// An element is dropped when a `u32` draw is below this (`p·2³²`).
    threshold: u64,
    rng: ChaCha8Rng,
    mode: Mode,
    /// The mode of the last forward (what backward follows).
    forward_mode: Mode,
    /// The last training forward's factors, `0` or `1/(1 − p)` (`D × N`).
    mask: BatchBuf<T, D>,
    y: BatchBuf<T, D>,
    dx: BatchBuf<T, D>,
}

impl<T: Float, const D: usize> Dropout<T, D> {
    /// Dropout with drop probability `p` (PyTorch's default is 0.5). Panics unless
    /// `0 ≤ p < 1`.
    #[track_caller]
    pub fn new(p: f64) -> Self {
        assert!(
            (0.0..1.0).contains(&p),
            "Dropout::new: the drop probability p must be in [0, 1), got {p}"
        );
        Self {
            p,
            scale: T::cast(1.0 / (1.0 - p)),
            threshold: (p * 4_294_967_296.0) as u64,
            rng: ChaCha8Rng::seed_from_u64(DEFAULT_SEED),
            mode: Mode::Train,
            forward_mode: Mode::Train,
            mask: BatchBuf::new(),
            y: BatchBuf::new(),
            dx: BatchBuf::new(),
        }
    }

    /// The drop probability `p`.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// The factors of the last training forward (`0` or `1/(1 − p)`, `D × N`).
    pub fn mask(&self) -> BatchRef<'_, T, D> {
        self.mask.view()
    }
}

impl<T: Float, const D: usize> Layer<T, D, D> for Dropout<T, D> {
    /// [`LayerOp::Identity`]: what it computes for inference.
    fn op(&self) -> Option<LayerOp<'_, T>> {
        Some(LayerOp::Identity)
    }

    fn forward(&mut self, x: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
        self.forward_mode = self.mode;
        match self.mode {
            Mode::Eval => self.y.copy_from(x),
            Mode::Train => {
                let n = x.ncols();
                self.mask.resize(n);
                self.y.resize(n);
                let (scale, threshold) = (self.scale, self.threshold);
                for m in self.mask.as_mut_slice() {
                    *m = if u64::from(self.rng.next_u32()) < threshold {
                        T::zero()
                    } else {
                        scale
                    };
                }
                for ((y, &x), &m) in self
                    .y
                    .as_mut_slice()
                    .iter_mut()
                    .zip(x.as_slice())
                    .zip(self.mask.as_slice())
                {
                    *y = x * m;
                }
            }
        }
        self.y.view()
    }

    fn backward(&mut self, x: BatchRef<'_, T, D>, dout: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
        assert!(
            dout.ncols() == self.y.ncols() && x.ncols() == self.y.ncols(),
            "Dropout::backward: x has {} samples and dout {}, the last forward had {}",
            x.ncols(),
            dout.ncols(),
            self.y.ncols()
        );
        match self.forward_mode {
            Mode::Eval => self.dx.copy_from(dout),
            Mode::Train => {
                self.dx.resize(dout.ncols());
                for ((dx, &d), &m) in self
                    .dx
                    .as_mut_slice()
                    .iter_mut()
                    .zip(dout.as_slice())
                    .zip(self.mask.as_slice())
                {
                    *dx = d * m;
                }
            }
        }
        self.dx.view()
    }

    fn output(&self) -> BatchRef<'_, T, D> {
        self.y.view()
    }

    fn infer(&self, x: BatchRef<'_, T, D>, mut out: BatchMut<'_, T, D>) {
        assert_eq!(
            x.ncols(),
            out.ncols(),
            "Dropout::infer: x has {} samples, out {}",
            x.ncols(),
            out.ncols()
        );
        out.as_mut_slice().copy_from_slice(x.as_slice());
    }

    /// Draws the stream's seed: one `u64` from `init.rng`.
    fn init_params(&mut self, init: &mut Init<'_>) {
        self.rng = ChaCha8Rng::seed_from_u64(init.rng.next_u64());
    }

    fn set_mode(&mut self, mode: Mode) {
        self.mode = mode;
    }

    fn reseed(&mut self, seed: u64) {
        self.rng = ChaCha8Rng::seed_from_u64(seed);
    }
}
