//! A 784 × 1000 `Affine` (3 MB of f32 weights, as much again for the gradient) constructs,
//! initialises, clones and trains one step without touching the stack with its weights:
//! on the default test thread (2 MiB unless RUST_MIN_STACK says otherwise) and on a thread
//! given exactly 2 MiB, in the test profile. Also passes unoptimised:
//! `CARGO_PROFILE_TEST_OPT_LEVEL=0 cargo test -p nn-core --test all large_layer::` (that is how the
//! derived `Clone` of `Affine`, which built the weights on the stack, was found).

use nn_core::gradcheck::random_batch;
use nn_core::rand::SeedableRng;
use nn_core::rand_chacha::ChaCha8Rng;
use nn_core::{optim, Affine, Batch, Init, InitScheme, Layer, MatMul, Sgd};

const STACK: usize = 2 << 20;

fn big_affine_step() {
    let mut fc = Affine::<f32, 784, 1000>::new();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    fc.init_params(&mut Init::new(&mut rng, InitScheme::He));
    assert_eq!(
        <Affine<f32, 784, 1000> as Layer<f32, 784, 1000>>::PARAMS,
        784 * 1000 + 1000
    );
    let std = (2.0f64 / 784.0).sqrt();
    let var = fc.w.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / (784.0 * 1000.0);
    assert!(
        (var.sqrt() / std - 1.0).abs() < 0.01,
        "He init: std {} vs {std}",
        var.sqrt()
    );

    let x: Batch<f32, 784> = random_batch(8, 0.0, 1.0, 1);
    let y = fc.forward(x.as_view()).clone_owned();
    assert_eq!(y.shape(), (1000, 8));
    // Spot-check y = W·x + b in f64.
    for &(o, n) in &[(0, 0), (999, 7), (500, 3)] {
        let expected: f64 = (0..784).map(|i| fc.w[(o, i)] as f64 * x[(i, n)] as f64).sum::<f64>() + fc.b[o] as f64;
        assert!((y[(o, n)] as f64 - expected).abs() < 1e-4, "y[{o}, {n}]");
    }

    let dout: Batch<f32, 1000> = random_batch(8, -1.0, 1.0, 2);
    let dx = fc.backward(x.as_view(), dout.as_view()).clone_owned();
    assert_eq!(dx.shape(), (784, 8));
    let w_before = fc.w[(3, 5)];
    let dw = fc.dw[(3, 5)];
    let expected_dw: f64 = (0..8).map(|n| dout[(3, n)] as f64 * x[(5, n)] as f64).sum();
    assert!((dw as f64 - expected_dw).abs() < 1e-4);

    let mut sgd = Sgd::new(0.1f32);
    optim::apply(&mut sgd, |f| fc.visit_params(f));
    assert_eq!(fc.w[(3, 5)], w_before - 0.1 * dw);

    // Clone keeps everything on the heap too.
    let copy = fc.clone();
    assert_eq!(copy.w[(999, 783)], fc.w[(999, 783)]);
    assert_eq!(copy.dw[(3, 5)], dw);

    let mut mm = MatMul::<f32, 784, 1000>::new();
    mm.init_params(&mut Init::new(&mut rng, InitScheme::Xavier));
    let _ = mm.forward(x.as_view());
    let _ = mm.clone();
}

#[test]
fn affine_784_by_1000_on_the_default_test_thread() {
    big_affine_step();
}

#[test]
fn affine_784_by_1000_on_a_2_mib_thread() {
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(big_affine_step)
        .unwrap()
        .join()
        .unwrap();
}
