//! The fused paths of the built-in fully connected layers (`FusedLinear`, which generated
//! `train_step`s call for a first `Affine` / `MatMul`) compute what the plain `Layer` methods
//! do, bit for bit: `forward_input` on a gathered batch equals `forward` on the copied batch
//! and leaves that batch in the network's input buffer; `backward_params` writes the same
//! parameter gradients as `backward`. Fixed-width and GEMM sizes, `f32` and `f64`.

use nn_core::gradcheck::random_batch;
use nn_core::rand::SeedableRng;
use nn_core::rand_chacha::ChaCha8Rng;
use nn_core::{Affine, BatchBuf, Float, FusedLinear, Gather, Init, InitScheme, Input, Layer, MatMul, Param};

fn grads<T: Float, L: Layer<T, IN, OUT>, const IN: usize, const OUT: usize>(l: &mut L) -> Vec<Vec<T>> {
    let mut out = Vec::new();
    l.visit_params(&mut |p: Param<'_, T>| out.push(p.grad.to_vec()));
    out
}

fn check<T: Float, L: FusedLinear<T, IN, OUT> + Clone, const IN: usize, const OUT: usize>(mut layer: L, n: usize) {
    layer.init_params(&mut Init::new(&mut ChaCha8Rng::seed_from_u64(1), InitScheme::Xavier));
    // A data set of 3n samples; the batch is every third one, backwards.
    let data = random_batch::<T, IN>(3 * n, -1.0, 1.0, 2);
    let idx: Vec<usize> = (0..n).map(|j| 3 * (n - 1 - j) + 1).collect();
    let copied = nn_core::Batch::<T, IN>::from_fn(n, |d, j| data[(d, idx[j])]);
    let dout = random_batch::<T, OUT>(n, -1.0, 1.0, 3);

    let (mut fused, mut plain) = (layer.clone(), layer);
    let mut buf = BatchBuf::<T, IN>::new();
    let y_fused = fused
        .forward_input(Input::Gather(Gather::new(data.as_view(), &idx)), &mut buf)
        .clone_owned();
    let y_plain = plain.forward(copied.as_view()).clone_owned();
    assert!(
        y_fused == y_plain,
        "{IN}→{OUT}, n={n}: forward_input differs from forward"
    );
    assert!(
        buf.as_slice() == copied.as_slice(),
        "{IN}→{OUT}, n={n}: the batch is not in the buffer"
    );

    fused.backward_params(buf.view(), dout.as_view());
    let _ = plain.backward(copied.as_view(), dout.as_view());
    assert!(
        grads(&mut fused) == grads(&mut plain),
        "{IN}→{OUT}, n={n}: backward_params differs from backward"
    );
}

#[test]
fn fused_paths_equal_the_plain_layer_methods() {
    for n in [1, 5, 33, 130] {
        check(Affine::<f32, 70, 65>::new(), n);
        check(MatMul::<f32, 70, 65>::new(), n);
        check(Affine::<f64, 100, 30>::new(), n);
        check(MatMul::<f64, 100, 30>::new(), n);
        // Fixed-width sizes.
        check(Affine::<f32, 2, 10>::new(), n);
        check(MatMul::<f64, 10, 3>::new(), n);
    }
}
