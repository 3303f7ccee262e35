//! `Layer::backward_params_sgd` = `backward_params` then `p ← p − lr·g`, bit for bit, for
//! the layers that fold the step into their weight-gradient product (GEMM-sized) and for
//! those that use the default (fixed-width sizes), in `f32` and `f64`.

use nn_core::gradcheck::random_batch;
use nn_core::rand::SeedableRng;
use nn_core::rand_chacha::ChaCha8Rng;
use nn_core::{Affine, Float, Init, InitScheme, Layer, MatMul, Param};

fn params<T: Float, L: Layer<T, IN, OUT>, const IN: usize, const OUT: usize>(l: &mut L) -> Vec<Vec<T>> {
    let mut out = Vec::new();
    l.visit_params(&mut |p: Param<'_, T>| out.push(p.value.to_vec()));
    out
}

fn check<T: Float, L: Layer<T, IN, OUT> + Clone, const IN: usize, const OUT: usize>(mut layer: L, n: usize) {
    layer.init_params(&mut Init::new(&mut ChaCha8Rng::seed_from_u64(1), InitScheme::Xavier));
    let x = random_batch::<T, IN>(n, -1.0, 1.0, 2);
    let dout = random_batch::<T, OUT>(n, -1.0, 1.0, 3);
    let lr = T::cast(0.3);
    let (mut folded, mut separate) = (layer.clone(), layer.clone());
    let _ = folded.forward(x.as_view());
    let _ = separate.forward(x.as_view());
    folded.backward_params_sgd(x.as_view(), dout.as_view(), lr);
    separate.backward_params(x.as_view(), dout.as_view());
    separate.visit_params(&mut |p| {
        for (v, &g) in p.value.iter_mut().zip(p.grad) {
            *v -= lr * g;
        }
    });
    let (a, b) = (params(&mut folded), params(&mut separate));
    assert!(a == b, "{IN}→{OUT}, n={n}: folded and separate SGD steps differ");
    assert!(
        a != params(&mut layer),
        "{IN}→{OUT}, n={n}: the parameters did not move"
    );
}

#[test]
fn folded_sgd_step_equals_the_separate_one() {
    for n in [1, 5, 33] {
        check(Affine::<f32, 70, 65>::new(), n);
        check(MatMul::<f32, 70, 65>::new(), n);
        check(Affine::<f64, 100, 30>::new(), n);
        check(MatMul::<f64, 100, 30>::new(), n);
        // Fixed-width sizes take the default.
        check(Affine::<f32, 2, 10>::new(), n);
        check(MatMul::<f64, 10, 3>::new(), n);
    }
    // A `dout` over 1 MiB (256 × 1100 f32): the packed path would add the samples into `W`
    // in blocks, so the step is not folded.
    check(Affine::<f32, 70, 256>::new(), 1100);
    check(MatMul::<f64, 40, 200>::new(), 700);
}
