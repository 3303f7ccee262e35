use crate::batch::{BatchBuf, BatchMut, BatchRef};
use crate::float::Float;
use crate::init::Init;
use crate::kernels::heap::HeapMatrix;
use crate::layers::{Layer, Mode};
use crate::param::Param;
use crate::state::{Shape, TensorMut, TensorRef};

/// Batch normalisation of `D` features over the `N` samples of a batch (PyTorch's
/// `nn.BatchNorm1d(D, eps, momentum)` on `N × D` input), with a learnable scale `γ`
/// (`weight`) and shift `β` (`bias`) per feature.
///
/// [`Mode::Train`], per feature `d` over the batch (`Σ` over the `N` samples):
/// - forward: `μ = Σx / N`, `σ² = Σ(x − μ)² / N` (biased), `x̂ = (x − μ)/√(σ² + ε)`,
///   `y = γ·x̂ + β`; then `running_mean ← (1 − m)·running_mean + m·μ` and
///   `running_var ← (1 − m)·running_var + m·σ²·N/(N − 1)` (the unbiased variance, as
///   PyTorch). Needs `N ≥ 2` (PyTorch refuses one sample too): panics otherwise.
/// - backward (through the batch statistics): `dγ = Σ dout ⊙ x̂`, `dβ = Σ dout`,
///   `dx = γ/(N·√(σ² + ε)) · (N·dout − Σ dout − x̂ ⊙ Σ(dout ⊙ x̂))`
///
/// [`Mode::Eval`] (and [`infer`](Layer::infer)), a fixed affine map per feature:
/// - forward: `x̂ = (x − running_mean)/√(running_var + ε)`, `y = γ·x̂ + β`
/// - backward: `dγ = Σ dout ⊙ x̂`, `dβ = Σ dout`, `dx = γ·dout/√(running_var + ε)`
///
/// [`backward`](Layer::backward) follows the mode of the last forward. `new(1e-5, 0.1)` is
/// PyTorch's default (what `network!` passes when none are given).
///
/// # Shapes
/// `x, y, dout, dx, x̂: D × N`; `weight`, `bias`, `running_mean`, `running_var`: `D`.
///
/// # Saved state, and PyTorch's files
/// [`visit_tensors`](Layer::visit_tensors) hands out `weight`, `bias`, `running_mean` and
/// `running_var` (each `[D]`), PyTorch's `state_dict` names. PyTorch also keeps
/// `num_batches_tracked`, an `int64` count used only when `momentum=None`; `nn` has no such
/// tensor, so a file saved from a torch `BatchNorm1d` holds one key more than the network:
/// load it with `nn::persist::LoadOptions::new().allow_unexpected(true)` (the extra key is
/// then ignored, whatever its dtype), plus `.rename(..)` if torch's module names differ.
/// Files saved by `nn` hold the four tensors only.
///
/// ```
/// use nn_core::{batch_from_rows, BatchNorm, Layer, Mode};
/// let mut bn = BatchNorm::<f64, 2>::new(1e-5, 0.1);
/// // Feature 0 is 1, 2, 3 over the batch; feature 1 is 10, 10, 40.
/// let x = batch_from_rows(&[[1.0, 10.0], [2.0, 10.0], [3.0, 40.0]]);
/// let y = bn.forward(x.as_view());
/// // Each feature now has mean 0 and (biased) variance 1, up to ε.
/// for d in 0..2 {
///     let row = y.row(d);
///     assert!(row.sum().abs() < 1e-12);
///     assert!((row.map(|v| v * v).sum() / 3.0 - 1.0).abs() < 1e-4);
/// }
/// // The running statistics moved 10% of the way to the batch's (unbiased variance).
/// assert!((bn.running_mean[0] - 0.2).abs() < 1e-15);
/// assert!((bn.running_var[0] - (0.9 + 0.1 * 1.0)).abs() < 1e-15);
/// nn_core::gradcheck::check_layer(&mut bn, x.as_view()).assert_ok();
///
/// // Inference normalises with the running statistics.
/// bn.set_mode(Mode::Eval);
/// let expected = (1.0 - bn.running_mean[0]) / (bn.running_var[0] + 1e-5).sqrt();
/// let y = bn.forward(x.as_view());
/// assert!((y[(0, 0)] - expected).abs() < 1e-15);
/// ```
#[derive(Clone, Debug)]
pub struct BatchNorm<T: Float, const D: usize> {
    /// `γ` (`D`), PyTorch's `weight`; starts at 1.
    pub weight: HeapMatrix<T, D, 1>,
    /// `β` (`D`), PyTorch's `bias`; starts at 0.
    pub bias: HeapMatrix<T, D, 1>,
    /// `∂L/∂γ` from the last backward.
    pub dweight: HeapMatrix<T, D, 1>,
    /// `∂L/∂β` from the last backward.
    pub dbias: HeapMatrix<T, D, 1>,
    /// The running mean used in [`Mode::Eval`] (`D`, not trained); starts at 0.
    pub running_mean: HeapMatrix<T, D, 1>,
    /// The running (unbiased) variance used in [`Mode::Eval`] (`D`, not trained); starts at 1.
    pub running_var: HeapMatrix<T, D, 1>,
    eps: T,
    momentum: T,
    mode: Mode,
    /// The mode of the last forward (what backward follows).
    forward_mode: Mode,
    /// The last forward's batch mean (training; scratch).
    mean: HeapMatrix<T, D, 1>,
    /// `1/√(σ² + ε)` per feature of the last forward (batch or running variance).
    inv_std: HeapMatrix<T, D, 1>,
    xhat: BatchBuf<T, D>,
    y: BatchBuf<T, D>,
    dx: BatchBuf<T, D>,
}

impl<T: Float, const D: usize> BatchNorm<T, D> {
    /// Batch normalisation with `ε = eps` added to the variance and running statistics
    /// updated with `momentum` (PyTorch's defaults: `1e-5`, `0.1`). `γ = 1`, `β = 0`,
    /// `running_mean = 0`, `running_var = 1`. Panics unless `eps ≥ 0` is finite and
    /// `0 ≤ momentum ≤ 1`.
    #[track_caller]
    pub fn new(eps: f64, momentum: f64) -> Self {
        assert!(
            eps >= 0.0 && eps.is_finite(),
            "BatchNorm::new: eps must be finite and ≥ 0, got {eps}"
        );
        assert!(
            (0.0..=1.0).contains(&momentum),
            "BatchNorm::new: momentum must be in [0, 1], got {momentum}"
        );
        let mut bn = Self {
            weight: HeapMatrix::zeros(),
            bias: HeapMatrix::zeros(),
            dweight: HeapMatrix::zeros(),
            dbias: HeapMatrix::zeros(),
            running_mean: HeapMatrix::zeros(),
            running_var: HeapMatrix::zeros(),
            eps: T::cast(eps),
            momentum: T::cast(momentum),
            mode: Mode::Train,
            forward_mode: Mode::Train,
            mean: HeapMatrix::zeros(),
            inv_std: HeapMatrix::zeros(),
            xhat: BatchBuf::new(),
            y: BatchBuf::new(),
            dx: BatchBuf::new(),
        };
        bn.reset();
        bn
    }

    /// `ε`.
    pub fn eps(&self) -> T {
        self.eps
    }

    /// The running statistics' momentum `m`.
    pub fn momentum(&self) -> T {
        self.momentum
    }

    /// `γ = 1`, `β = 0`, `running_mean = 0`, `running_var = 1`.
    fn reset(&mut self) {
        self.weight.fill(T::one());
        self.bias.fill(T::zero());
        self.running_mean.fill(T::zero());
        self.running_var.fill(T::one());
    }

    /// The batch statistics of `x` into `mean` and `inv_std` (two passes), and the running
    /// statistics' update.
    #[track_caller]
    fn batch_statistics(&mut self, x: &[T], n: usize) {
        assert!(
            n >= 2,
            "BatchNorm: training needs more than 1 sample per batch for the batch statistics, \
             got {n} (PyTorch refuses it too; use Mode::Eval, or batches of 2 or more)"
        );
        let mean = self.mean.as_mut_slice();
        mean.fill(T::zero());
        for col in x.chunks_exact(D) {
            for (m, &v) in mean.iter_mut().zip(col) {
                *m += v;
            }
        }
        let inv_n = T::one() / T::count(n);
        for m in mean.iter_mut() {
            *m *= inv_n;
        }
        // Σ(x − μ)² in `inv_std`, then turned into 1/√(σ² + ε).
        let var = self.inv_std.as_mut_slice();
        var.fill(T::zero());
        for col in x.chunks_exact(D) {
            for ((s, &v), &m) in var.iter_mut().zip(col).zip(mean.iter()) {
                let c = v - m;
                *s += c * c;
            }
        }
        let (mom, keep) = (self.momentum, T::one() - self.momentum);
        let unbiased = T::one() / T::count(n - 1);
        for (((s, &m), rm), rv) in var
            .iter_mut()
            .zip(mean.iter())
            .zip(self.running_mean.iter_mut())
            .zip(self.running_var.iter_mut())
        {
            *rm = keep * *rm + mom * m;
            *rv = keep * *rv + mom * (*s * unbiased);
            *s = T::one() / (*s * inv_n + self.eps).sqrt();
        }
    }
}

/// `1/√(running_var + ε)` of one feature (the inference form's scale).
#[inline(always)]
fn eval_inv_std<T: Float>(running_var: T, eps: T) -> T {
    T::one() / (running_var + eps).sqrt()
}

impl<T: Float, const D: usize> Layer<T, D, D> for BatchNorm<T, D> {
    const PARAMS: usize = 2 * D;

    #[track_caller]
    fn forward(&mut self, x: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
        let n = x.ncols();
        self.forward_mode = self.mode;
        match self.mode {
            Mode::Train => self.batch_statistics(x.as_slice(), n),
            Mode::Eval => {
                self.mean.copy_from(&self.running_mean);
                for (s, &rv) in self.inv_std.iter_mut().zip(self.running_var.iter()) {
                    *s = eval_inv_std(rv, self.eps);
                }
            }
        }
        self.xhat.resize(n);
        self.y.resize(n);
        let (mean, inv_std) = (self.mean.as_slice(), self.inv_std.as_slice());
        let (gamma, beta) = (self.weight.as_slice(), self.bias.as_slice());
        for ((xc, hc), yc) in x
            .as_slice()
            .chunks_exact(D)
            .zip(self.xhat.as_mut_slice().chunks_exact_mut(D))
            .zip(self.y.as_mut_slice().chunks_exact_mut(D))
        {
            for d in 0..D {
                let h = (xc[d] - mean[d]) * inv_std[d];
                hc[d] = h;
                yc[d] = gamma[d] * h + beta[d];
            }
        }
        self.y.view()
    }

    fn backward(&mut self, x: BatchRef<'_, T, D>, dout: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
        let n = self.y.ncols();
        assert!(
            dout.ncols() == n && x.ncols() == n,
            "BatchNorm::backward: x has {} samples and dout {}, the last forward had {n}",
            x.ncols(),
            dout.ncols(),
        );
        // dβ = Σ dout, dγ = Σ dout ⊙ x̂ (per feature, over the batch).
        let (dgamma, dbeta) = (self.dweight.as_mut_slice(), self.dbias.as_mut_slice());
        dgamma.fill(T::zero());
        dbeta.fill(T::zero());
        for (dc, hc) in dout
            .as_slice()
            .chunks_exact(D)
            .zip(self.xhat.as_slice().chunks_exact(D))
        {
            for d in 0..D {
                dbeta[d] += dc[d];
                dgamma[d] += dc[d] * hc[d];
            }
        }
        self.dx.resize(n);
        let (gamma, inv_std) = (self.weight.as_slice(), self.inv_std.as_slice());
        let cols = dout
            .as_slice()
            .chunks_exact(D)
            .zip(self.xhat.as_slice().chunks_exact(D))
            .zip(self.dx.as_mut_slice().chunks_exact_mut(D));
        match self.forward_mode {
            Mode::Train => {
                let (nf, inv_n) = (T::count(n), T::one() / T::count(n));
                for ((dc, hc), xc) in cols {
                    for d in 0..D {
                        let k = gamma[d] * inv_std[d] * inv_n;
                        xc[d] = k * (nf * dc[d] - dbeta[d] - hc[d] * dgamma[d]);
                    }
                }
            }
            Mode::Eval => {
                for ((dc, _), xc) in cols {
                    for d in 0..D {
                        xc[d] = gamma[d] * inv_std[d] * dc[d];
                    }
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
            "BatchNorm::infer: x has {} samples, out {}",
            x.ncols(),
            out.ncols()
        );
        let (rm, rv) = (self.running_mean.as_slice(), self.running_var.as_slice());
        let (gamma, beta) = (self.weight.as_slice(), self.bias.as_slice());
        for (xc, yc) in x.as_slice().chunks_exact(D).zip(out.as_mut_slice().chunks_exact_mut(D)) {
            for d in 0..D {
                let h = (xc[d] - rm[d]) * eval_inv_std(rv[d], self.eps);
                yc[d] = gamma[d] * h + beta[d];
            }
        }
    }

    /// `weight` (`γ`), then `bias` (`β`).
    fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, T>)) {
        f(Param::new(
            "weight",
            self.weight.as_mut_slice(),
            self.dweight.as_slice(),
        ));
        f(Param::new("bias", self.bias.as_mut_slice(), self.dbias.as_slice()));
    }

    /// `γ = 1`, `β = 0` and fresh running statistics (`0` and `1`); draws nothing.
    fn init_params(&mut self, _init: &mut Init<'_>) {
        self.reset();
    }

    fn set_mode(&mut self, mode: Mode) {
        self.mode = mode;
    }

    /// `weight`, `bias`, `running_mean`, `running_var` (each `[D]`), PyTorch's names.
    fn visit_tensors<'a>(&'a self, f: &mut dyn FnMut(TensorRef<'a, T>)) {
        f(TensorRef::new("weight", Shape::vector(D), self.weight.as_slice()));
        f(TensorRef::new("bias", Shape::vector(D), self.bias.as_slice()));
        f(TensorRef::new(
            "running_mean",
            Shape::vector(D),
            self.running_mean.as_slice(),
        ));
        f(TensorRef::new(
            "running_var",
            Shape::vector(D),
            self.running_var.as_slice(),
        ));
    }

    fn visit_tensors_mut(&mut self, f: &mut dyn FnMut(TensorMut<'_, T>)) {
        f(TensorMut::new("weight", Shape::vector(D), self.weight.as_mut_slice()));
        f(TensorMut::new("bias", Shape::vector(D), self.bias.as_mut_slice()));
        f(TensorMut::new(
            "running_mean",
            Shape::vector(D),
            self.running_mean.as_mut_slice(),
        ));
        f(TensorMut::new(
            "running_var",
            Shape::vector(D),
            self.running_var.as_mut_slice(),
        ));
    }
}
