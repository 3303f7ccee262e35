//! W2 pieces shared by the `workloads`, `roofline` and `parallel` benches: the two networks,
//! the synthetic data set and the matrix products of one 784 → 100 → 10 step.

use nn::__internal::{MatMut, MatRef};
use nn::data::Dataset;
use nn::rand::{Rng, SeedableRng};
use nn::rand_chacha::ChaCha8Rng;
use nn::{network, Batch};

network! {
    /// W2: 784 → 100 → 10 with sigmoid.
    #[derive(Clone)]
    pub struct Mlp100 {
        input: 784,
        affine1: Affine(100),
        sigmoid: Sigmoid,
        affine2: Affine(10),
        loss: SoftmaxWithLoss,
    }
}

network! {
    /// W2: 784 → 256 → 256 → 10 with ReLU.
    #[derive(Clone)]
    pub struct Mlp256 {
        input: 784,
        affine1: Affine(256),
        relu1: Relu,
        affine2: Affine(256),
        relu2: Relu,
        affine3: Affine(10),
        loss: SoftmaxWithLoss,
    }
}

/// `n` random samples of 784 features in [0, 1) with random labels below 10.
pub fn synthetic(n: usize, seed: u64) -> Dataset<f32, 784> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = Batch::<f32, 784>::from_fn(n, |_, _| rng.random::<f32>());
    let labels = (0..n).map(|_| rng.random_range(0..10)).collect();
    Dataset::classification(x, labels, 10).unwrap()
}

/// The matrix products of one 784 → 100 → 10 step at batch 100 (column-major, W OUT×IN,
/// batches features × N), through `f`, which computes C = A·B for (A, B, C) views.
pub struct W2Products {
    w1: Vec<f32>,
    w2: Vec<f32>,
    x: Vec<f32>,
    h: Vec<f32>,
    s: Vec<f32>,
    dy2: Vec<f32>,
    dh: Vec<f32>,
    dw1: Vec<f32>,
    dw2: Vec<f32>,
}

impl W2Products {
    pub fn new() -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut v = |n: usize| (0..n).map(|_| rng.random::<f32>() - 0.5).collect::<Vec<f32>>();
        Self {
            w1: v(100 * 784),
            w2: v(10 * 100),
            x: v(784 * 100),
            h: v(100 * 100),
            s: v(100 * 100),
            dy2: v(10 * 100),
            dh: v(100 * 100),
            dw1: v(100 * 784),
            dw2: v(10 * 100),
        }
    }

    /// Runs the five products with `mm(alpha=1, A, B, beta=0, C)`.
    pub fn run(&mut self, mm: &mut Product<'_>) {
        let n = 100;
        // h = W1·x (100 × 100)
        mm(
            MatRef::col_major(&self.w1, 100, 784),
            MatRef::col_major(&self.x, 784, n),
            MatMut::col_major(&mut self.h, 100, n),
        );
        // y2 = W2·s (10 × 100), written into dy2's buffer
        mm(
            MatRef::col_major(&self.w2, 10, 100),
            MatRef::col_major(&self.s, 100, n),
            MatMut::col_major(&mut self.dy2, 10, n),
        );
        // dW2 = dy2·sᵀ (10 × 100)
        mm(
            MatRef::col_major(&self.dy2, 10, n),
            MatRef::col_major(&self.s, 100, n).t(),
            MatMut::col_major(&mut self.dw2, 10, 100),
        );
        // ds = W2ᵀ·dy2 (100 × 100)
        mm(
            MatRef::col_major(&self.w2, 10, 100).t(),
            MatRef::col_major(&self.dy2, 10, n),
            MatMut::col_major(&mut self.dh, 100, n),
        );
        // dW1 = dh·xᵀ (100 × 784)
        mm(
            MatRef::col_major(&self.dh, 100, n),
            MatRef::col_major(&self.x, 784, n).t(),
            MatMut::col_major(&mut self.dw1, 100, 784),
        );
    }
}

/// `C ← A·B` by matrixmultiply's `sgemm` (the other in-process GEMM).
pub fn matrixmultiply_sgemm(a: MatRef<'_, f32>, b: MatRef<'_, f32>, c: MatMut<'_, f32>) {
    // SAFETY: the views are in bounds (every shape and stride `W2Products` passes describes a
    // column-major buffer or its transpose of exactly the right length).
    unsafe {
        matrixmultiply::sgemm(
            a.rows,
            a.cols,
            b.cols,
            1.0,
            a.data.as_ptr(),
            a.rs as isize,
            a.cs as isize,
            b.data.as_ptr(),
            b.rs as isize,
            b.cs as isize,
            0.0,
            c.data.as_mut_ptr(),
            c.rs as isize,
            c.cs as isize,
        );
    }
}

/// One product `C ← A·B` as the roofline runs it.
pub type Product<'a> = dyn FnMut(MatRef<'_, f32>, MatRef<'_, f32>, MatMut<'_, f32>) + 'a;
