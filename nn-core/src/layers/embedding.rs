use crate::batch::{BatchBuf, BatchMut, BatchRef};
use crate::float::Float;
use crate::init::Init;
use crate::layers::Layer;
use crate::param::Param;
use crate::state::{Shape, TensorMut, TensorRef};

/// A lookup table of `V` learned vectors of `D` features (the book's `Embedding`, PyTorch's
/// `nn.Embedding(V, D)`): token id `k` reads row `k` of `weight`.
///
/// The input is one token id per column, stored as a float (`1 × N`; `network!` writes
/// `input: tokens(V)` for it). An id must be a whole number in `0..V`: anything else (a
/// fraction, a negative or out-of-range value, NaN) panics with a message naming the column,
/// the value and `V`.
///
/// - forward: `y[:, n] = W[:, id_n]`
/// - backward: `dW[:, k] = Σ_{n : id_n = k} dout[:, n]` (a sparse gradient: only the columns
///   of ids in the batch are written, duplicate ids add up), `dx = 0` (ids are not
///   differentiable)
///
/// The gradient stays sparse in cost: backward zeroes only the columns the previous backward
/// wrote, then accumulates into the columns of this batch's ids, so a step costs `O(D·N)`
/// here whatever `V` is (the optimizer still visits the whole `dW`).
///
/// # Shapes
/// `x: 1 × N` (ids), `W, dW: D × V` (column `k` is token `k`'s vector; saved as PyTorch's
/// `weight`, `[V, D]` row-major, the same bytes), `y, dout: D × N`, `dx: 1 × N`.
/// Initialised `N(0, 1)` like PyTorch's (whatever the network's `InitScheme`).
///
/// ```
/// use nn::{batch_from_rows, Embedding, Layer};
/// let mut emb = Embedding::<f64, 3, 2>::new();
/// emb.weight_mut().copy_from_slice(&[0.0, 1.0, 10.0, 11.0, 20.0, 21.0]); // token k: [10k, 10k + 1]
/// let ids = batch_from_rows(&[[2.0], [0.0], [2.0]]);
/// let y = emb.forward(ids.as_view()).clone_owned();
/// assert_eq!(y.as_slice(), &[20.0, 21.0, 0.0, 1.0, 20.0, 21.0]);
/// let dout = batch_from_rows(&[[1.0, 1.0], [5.0, 5.0], [2.0, 3.0]]);
/// emb.backward(ids.as_view(), dout.as_view());
/// assert_eq!(emb.grad(), &[5.0, 5.0, 0.0, 0.0, 3.0, 4.0]); // token 2 twice: summed
/// ```
#[derive(Clone, Debug)]
pub struct Embedding<T, const V: usize, const D: usize> {
    /// `W` (`D × V`, column-major: token `k`'s vector is `weight[k·D .. (k+1)·D]`).
    weight: Vec<T>,
    /// `∂L/∂W` (`D × V`), nonzero only in the columns of the last backward's ids.
    grad: Vec<T>,
    /// The ids of the last forward, one per column.
    ids: Vec<usize>,
    /// The ids whose gradient columns the last backward wrote (zeroed by the next one).
    touched: Vec<usize>,
    y: BatchBuf<T, D>,
    dx: BatchBuf<T, 1>,
}

impl<T: Float, const V: usize, const D: usize> Embedding<T, V, D> {
    /// A table of zeros; the network (or [`Layer::init_params`]) draws the vectors.
    pub fn new() -> Self {
        Self {
            weight: vec![T::zero(); V * D],
            grad: vec![T::zero(); V * D],
            ids: Vec::new(),
            touched: Vec::new(),
            y: BatchBuf::new(),
            dx: BatchBuf::new(),
        }
    }

    /// `W` (`D × V` column-major: the vectors of tokens `0, 1, …` one after another).
    pub fn weight(&self) -> &[T] {
        &self.weight
    }

    /// `W`, writable.
    pub fn weight_mut(&mut self) -> &mut [T] {
        &mut self.weight
    }

    /// The vector of token `id`. Panics unless `id < V`.
    #[track_caller]
    pub fn vector(&self, id: usize) -> &[T] {
        assert!(id < V, "Embedding::vector: token id {id} is not in 0..{V}");
        &self.weight[id * D..(id + 1) * D]
    }

    /// `∂L/∂W` of the last backward (`D × V`, like [`weight`](Self::weight)).
    pub fn grad(&self) -> &[T] {
        &self.grad
    }
}

impl<T: Float, const V: usize, const D: usize> Default for Embedding<T, V, D> {
    fn default() -> Self {
        Self::new()
    }
}

/// The token id in column `col` of an input, or a panic naming the column, the value and `V`.
#[inline]
#[track_caller]
fn token_id<T: Float>(layer: &str, col: usize, v: T, vocab: usize) -> usize {
    let f = v.as_f64();
    assert!(
        f >= 0.0 && f < vocab as f64 && f.fract() == 0.0,
        "{layer}: column {col} holds {f}, not a token id in 0..{vocab}"
    );
    f as usize
}

/// `out[:, n] = W[:, id_n]` for the ids in `x`.
#[track_caller]
fn gather<T: Float, const V: usize, const D: usize>(layer: &str, w: &[T], x: &[T], out: &mut [T]) {
    for (col, (&v, y)) in x.iter().zip(out.chunks_exact_mut(D)).enumerate() {
        let id = token_id(layer, col, v, V);
        y.copy_from_slice(&w[id * D..(id + 1) * D]);
    }
}

impl<T: Float, const V: usize, const D: usize> Layer<T, 1, D> for Embedding<T, V, D> {
    const PARAMS: usize = V * D;

    #[track_caller]
    fn forward(&mut self, x: BatchRef<'_, T, 1>) -> BatchRef<'_, T, D> {
        let n = x.ncols();
        self.ids.clear();
        for (col, &v) in x.as_slice().iter().enumerate() {
            self.ids.push(token_id("Embedding::forward", col, v, V));
        }
        self.y.resize(n);
        for (&id, y) in self.ids.iter().zip(self.y.as_mut_slice().chunks_exact_mut(D)) {
            y.copy_from_slice(&self.weight[id * D..(id + 1) * D]);
        }
        self.y.view()
    }

    #[track_caller]
    fn backward(&mut self, x: BatchRef<'_, T, 1>, dout: BatchRef<'_, T, D>) -> BatchRef<'_, T, 1> {
        assert!(
            x.ncols() == self.ids.len() && dout.ncols() == self.ids.len(),
            "Embedding::backward: x has {} samples and dout {}, the last forward had {}",
            x.ncols(),
            dout.ncols(),
            self.ids.len()
        );
        for &id in &self.touched {
            self.grad[id * D..(id + 1) * D].fill(T::zero());
        }
        self.touched.clear();
        for (&id, d) in self.ids.iter().zip(dout.as_slice().chunks_exact(D)) {
            for (g, &d) in self.grad[id * D..(id + 1) * D].iter_mut().zip(d) {
                *g += d;
            }
            self.touched.push(id);
        }
        self.dx.resize(dout.ncols());
        self.dx.as_mut_slice().fill(T::zero());
        self.dx.view()
    }

    fn output(&self) -> BatchRef<'_, T, D> {
        self.y.view()
    }

    #[track_caller]
    fn infer(&self, x: BatchRef<'_, T, 1>, mut out: BatchMut<'_, T, D>) {
        assert_eq!(
            x.ncols(),
            out.ncols(),
            "Embedding::infer: x has {} samples, out {}",
            x.ncols(),
            out.ncols()
        );
        gather::<T, V, D>("Embedding::infer", &self.weight, x.as_slice(), out.as_mut_slice());
    }

    fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, T>)) {
        f(Param::new("weight", &mut self.weight, &self.grad));
    }

    /// `N(0, 1)`, PyTorch's `nn.Embedding` initialisation.
    fn init_params(&mut self, init: &mut Init<'_>) {
        for w in &mut self.weight {
            *w = T::cast(init.randn());
        }
    }

    /// `weight`, `[V, D]` (PyTorch's `Embedding.weight`).
    fn visit_tensors<'a>(&'a self, f: &mut dyn FnMut(TensorRef<'a, T>)) {
        f(TensorRef::new("weight", Shape::new(&[V, D]), &self.weight));
    }

    fn visit_tensors_mut(&mut self, f: &mut dyn FnMut(TensorMut<'_, T>)) {
        f(TensorMut::new("weight", Shape::new(&[V, D]), &mut self.weight));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::batch_from_rows;

    #[test]
    fn backward_zeroes_only_the_previous_columns_and_sums_duplicates() {
        let mut e = Embedding::<f64, 4, 2>::new();
        let ids = batch_from_rows(&[[1.0], [3.0]]);
        e.forward(ids.as_view());
        e.backward(ids.as_view(), batch_from_rows(&[[1.0, 2.0], [3.0, 4.0]]).as_view());
        assert_eq!(e.grad(), &[0.0, 0.0, 1.0, 2.0, 0.0, 0.0, 3.0, 4.0]);
        let ids = batch_from_rows(&[[0.0], [0.0], [1.0]]);
        e.forward(ids.as_view());
        e.backward(
            ids.as_view(),
            batch_from_rows(&[[1.0, 1.0], [2.0, 2.0], [5.0, 6.0]]).as_view(),
        );
        assert_eq!(e.grad(), &[3.0, 3.0, 5.0, 6.0, 0.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    #[should_panic(expected = "Embedding::forward: column 1 holds 4, not a token id in 0..4")]
    fn an_out_of_range_id_names_its_column() {
        Embedding::<f32, 4, 2>::new().forward(batch_from_rows(&[[0.0], [4.0]]).as_view());
    }

    #[test]
    #[should_panic(expected = "column 0 holds 1.5, not a token id in 0..4")]
    fn a_fractional_id_panics() {
        let e = Embedding::<f64, 4, 2>::new();
        let mut out = crate::Batch::<f64, 2>::zeros(1);
        e.infer(batch_from_rows(&[[1.5]]).as_view(), out.as_view_mut());
    }
}
