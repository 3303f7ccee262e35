use crate::batch::{BatchBuf, BatchMut, BatchRef};
use crate::float::Float;
use crate::init::Init;
use crate::kernels::heap::HeapMatrix;
use crate::layers::Layer;
use crate::param::Param;
use crate::state::{Shape, TensorMut, TensorRef};

/// Layer normalisation over each sample's `D` features (PyTorch's `nn.LayerNorm(D, eps)`
/// with `elementwise_affine=True`): a learnable scale `γ` (`weight`) and shift `β` (`bias`)
/// per feature. The same in training and inference.
///
/// Per sample (column), with `Σ` over its `D` features:
/// - forward: `μ = Σx / D`, `σ² = Σ(x − μ)² / D` (biased), `x̂ = (x − μ)/√(σ² + ε)`,
///   `y = γ ⊙ x̂ + β`
/// - backward: with `g = γ ⊙ dout`, `dx = (D·g − Σg − x̂·Σ(g ⊙ x̂)) / (D·√(σ² + ε))`;
///   `dγ = Σₙ dout ⊙ x̂`, `dβ = Σₙ dout` (over the samples)
///
/// # Shapes
/// `x, y, dout, dx, x̂: D × N`; `weight`, `bias`: `D`. Saved as `weight` and `bias` (`[D]`),
/// PyTorch's names.
///
/// ```
/// use nn_core::{batch_from_rows, LayerNorm, Layer};
/// let mut ln = LayerNorm::<f64, 3>::new(1e-5);
/// let x = batch_from_rows(&[[1.0, 2.0, 6.0], [-1.0, 0.0, 1.0]]);
/// let y = ln.forward(x.as_view());
/// // Every sample now has mean 0 and (biased) variance 1, up to ε.
/// for n in 0..2 {
///     let col = y.column(n);
///     assert!(col.sum().abs() < 1e-12);
///     assert!((col.map(|v| v * v).sum() / 3.0 - 1.0).abs() < 1e-4);
/// }
/// nn_core::gradcheck::check_layer(&mut ln, x.as_view()).assert_ok();
/// ```
#[derive(Clone, Debug)]
pub struct LayerNorm<T: Float, const D: usize> {
    /// `γ` (`D`), PyTorch's `weight`; starts at 1.
    pub weight: HeapMatrix<T, D, 1>,
    /// `β` (`D`), PyTorch's `bias`; starts at 0.
    pub bias: HeapMatrix<T, D, 1>,
    /// `∂L/∂γ` from the last backward.
    pub dweight: HeapMatrix<T, D, 1>,
    /// `∂L/∂β` from the last backward.
    pub dbias: HeapMatrix<T, D, 1>,
    eps: T,
    /// `1/√(σ² + ε)` of every sample of the last forward (`1 × N`).
    inv_std: BatchBuf<T, 1>,
    xhat: BatchBuf<T, D>,
    y: BatchBuf<T, D>,
    dx: BatchBuf<T, D>,
}

impl<T: Float, const D: usize> LayerNorm<T, D> {
    /// Layer normalisation with `ε = eps` added to each sample's variance (PyTorch's default
    /// `1e-5`); `γ = 1`, `β = 0`. Panics unless `eps ≥ 0` is finite.
    #[track_caller]
    pub fn new(eps: f64) -> Self {
        assert!(
            eps >= 0.0 && eps.is_finite(),
            "LayerNorm::new: eps must be finite and ≥ 0, got {eps}"
        );
        let mut ln = Self {
            weight: HeapMatrix::zeros(),
            bias: HeapMatrix::zeros(),
            dweight: HeapMatrix::zeros(),
            dbias: HeapMatrix::zeros(),
            eps: T::cast(eps),
            inv_std: BatchBuf::new(),
            xhat: BatchBuf::new(),
            y: BatchBuf::new(),
            dx: BatchBuf::new(),
        };
        ln.weight.fill(T::one());
        ln
    }

    /// `ε`.
    pub fn eps(&self) -> T {
        self.eps
    }
}

/// Normalises one sample `x` (`D` features): writes `y = γ ⊙ x̂ + β`, and `x̂` into `xhat`
/// if given; returns `1/√(σ² + ε)`.
#[inline]
fn normalize<T: Float>(x: &[T], gamma: &[T], beta: &[T], eps: T, y: &mut [T], mut xhat: Option<&mut [T]>) -> T {
    let inv_d = T::one() / T::count(x.len());
    let mean = x.iter().copied().sum::<T>() * inv_d;
    let var = x
        .iter()
        .map(|&v| {
            let c = v - mean;
            c * c
        })
        .sum::<T>()
        * inv_d;
    let inv_std = T::one() / (var + eps).sqrt();
    for d in 0..x.len() {
        let h = (x[d] - mean) * inv_std;
        if let Some(xhat) = xhat.as_deref_mut() {
            xhat[d] = h;
        }
        y[d] = gamma[d] * h + beta[d];
    }
    inv_std
}

impl<T: Float, const D: usize> Layer<T, D, D> for LayerNorm<T, D> {
    const PARAMS: usize = 2 * D;

    fn forward(&mut self, x: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
        let n = x.ncols();
        self.inv_std.resize(n);
        self.xhat.resize(n);
        self.y.resize(n);
        let (gamma, beta) = (self.weight.as_slice(), self.bias.as_slice());
        for (((xc, hc), yc), s) in x
            .as_slice()
            .chunks_exact(D)
            .zip(self.xhat.as_mut_slice().chunks_exact_mut(D))
            .zip(self.y.as_mut_slice().chunks_exact_mut(D))
            .zip(self.inv_std.as_mut_slice())
        {
            *s = normalize(xc, gamma, beta, self.eps, yc, Some(hc));
        }
        self.y.view()
    }

    fn backward(&mut self, x: BatchRef<'_, T, D>, dout: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
        let n = self.y.ncols();
        assert!(
            dout.ncols() == n && x.ncols() == n,
            "LayerNorm::backward: x has {} samples and dout {}, the last forward had {n}",
            x.ncols(),
            dout.ncols(),
        );
        let (dgamma, dbeta) = (self.dweight.as_mut_slice(), self.dbias.as_mut_slice());
        dgamma.fill(T::zero());
        dbeta.fill(T::zero());
        self.dx.resize(n);
        let gamma = self.weight.as_slice();
        let (df, inv_d) = (T::count(D), T::one() / T::count(D));
        for (((dc, hc), xc), &s) in dout
            .as_slice()
            .chunks_exact(D)
            .zip(self.xhat.as_slice().chunks_exact(D))
            .zip(self.dx.as_mut_slice().chunks_exact_mut(D))
            .zip(self.inv_std.as_slice())
        {
            // Σg and Σ(g ⊙ x̂) of this sample, g = γ ⊙ dout; dγ, dβ accumulate over samples.
            let (mut sum_g, mut sum_gh) = (T::zero(), T::zero());
            for d in 0..D {
                let g = gamma[d] * dc[d];
                sum_g += g;
                sum_gh += g * hc[d];
                dbeta[d] += dc[d];
                dgamma[d] += dc[d] * hc[d];
            }
            let k = s * inv_d;
            for d in 0..D {
                xc[d] = k * (df * gamma[d] * dc[d] - sum_g - hc[d] * sum_gh);
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
            "LayerNorm::infer: x has {} samples, out {}",
            x.ncols(),
            out.ncols()
        );
        let (gamma, beta) = (self.weight.as_slice(), self.bias.as_slice());
        for (xc, yc) in x.as_slice().chunks_exact(D).zip(out.as_mut_slice().chunks_exact_mut(D)) {
            normalize(xc, gamma, beta, self.eps, yc, None);
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

    /// `γ = 1`, `β = 0` (PyTorch's initialisation); draws nothing.
    fn init_params(&mut self, _init: &mut Init<'_>) {
        self.weight.fill(T::one());
        self.bias.fill(T::zero());
    }

    /// `weight`, `bias` (each `[D]`), PyTorch's names.
    fn visit_tensors<'a>(&'a self, f: &mut dyn FnMut(TensorRef<'a, T>)) {
        f(TensorRef::new("weight", Shape::vector(D), self.weight.as_slice()));
        f(TensorRef::new("bias", Shape::vector(D), self.bias.as_slice()));
    }

    fn visit_tensors_mut(&mut self, f: &mut dyn FnMut(TensorMut<'_, T>)) {
        f(TensorMut::new("weight", Shape::vector(D), self.weight.as_mut_slice()));
        f(TensorMut::new("bias", Shape::vector(D), self.bias.as_mut_slice()));
    }
}
