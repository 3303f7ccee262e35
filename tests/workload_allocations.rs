//! Issue 5: zero heap allocations per step of the benchmark workloads (W1, W2, W3) in steady
//! state, counted per thread by `nn::alloc_counter` (other test threads allocate
//! concurrently). The speed itself lives in `benches/workloads.rs`.

use nn::alloc_counter::count_allocations;
use nn::data::{spiral, Batches, Dataset};
use nn::rand::{Rng, SeedableRng};
use nn::rand_chacha::ChaCha8Rng;
use nn::{network, Batch, InitScheme, Network, Sgd};

network! {
    /// W1.
    pub struct SpiralNet { input: 2, affine1: Affine(10), sigmoid: Sigmoid, affine2: Affine(3), loss: SoftmaxWithLoss }
}

network! {
    /// W2.
    pub struct Mlp100 { input: 784, affine1: Affine(100), sigmoid: Sigmoid, affine2: Affine(10), loss: SoftmaxWithLoss }
}

network! {
    /// W2, the deeper variant.
    pub struct Mlp256 {
        input: 784, affine1: Affine(256), relu1: Relu, affine2: Affine(256), relu2: Relu, affine3: Affine(10),
        loss: SoftmaxWithLoss,
    }
}

network! {
    /// W3.
    pub struct Control { input: 16, affine1: Affine(64), tanh1: Tanh, affine2: Affine(64), tanh2: Tanh, affine3: Affine(4) }
}

#[test]
fn w1_epochs_with_reshuffle_allocate_nothing() {
    let data = spiral::<f32>(1984);
    let mut net = SpiralNet::with_init(&mut ChaCha8Rng::seed_from_u64(0), InitScheme::Book);
    let mut sgd = Sgd::new(1.0f32);
    let mut batches: Batches<f32, 2> = Batches::new(data.len(), 30, 0);
    let mut epoch = |batches: &mut Batches<f32, 2>| {
        batches.shuffle();
        for i in 0..batches.len() {
            let (x, t) = batches.get_in_place(&data, i);
            net.train_step(x, t, &mut sgd);
        }
    };
    epoch(&mut batches);
    let ((), n) = count_allocations(|| {
        for _ in 0..3 {
            epoch(&mut batches)
        }
    });
    assert_eq!(n, 0, "W1: {n} allocations in 3 steady epochs");
}

fn synthetic(n: usize) -> Dataset<f32, 784> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let x = Batch::<f32, 784>::from_fn(n, |_, _| rng.random::<f32>());
    let labels = (0..n).map(|_| rng.random_range(0..10)).collect();
    Dataset::classification(x, labels, 10).unwrap()
}

#[test]
fn w2_steps_allocate_nothing() {
    let data = synthetic(400);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut mlp100 = Mlp100::new(&mut rng);
    let mut mlp256 = Mlp256::new(&mut rng);
    let mut sgd = Sgd::new(0.1f32);
    let mut batches: Batches<f32, 784> = Batches::new(data.len(), 100, 0);
    let (x, t) = batches.get(&data, 0);
    mlp100.train_step(x, t, &mut sgd);
    mlp256.train_step(x, t, &mut sgd);
    let ((), n) = count_allocations(|| {
        batches.shuffle();
        for i in 0..batches.len() {
            let (x, t) = batches.get(&data, i);
            mlp100.train_step(x, t, &mut sgd);
            mlp256.train_step(x, t, &mut sgd);
        }
    });
    assert_eq!(n, 0, "W2: {n} allocations in steady steps (copied batches)");
    // As the bench runs it: batches read in place from the data set (after one warm-up step
    // of that kind, which grows each network's input buffer once).
    let (x, t) = batches.get_in_place(&data, 0);
    mlp100.train_step(x, t, &mut sgd);
    mlp256.train_step(x, t, &mut sgd);
    let ((), n) = count_allocations(|| {
        batches.shuffle();
        for i in 0..batches.len() {
            let (x, t) = batches.get_in_place(&data, i);
            mlp100.train_step(x, t, &mut sgd);
            mlp256.train_step(x, t, &mut sgd);
        }
    });
    assert_eq!(n, 0, "W2: {n} allocations in steady steps (batches read in place)");
}

#[test]
fn w3_batch_one_predictions_allocate_nothing() {
    let mut net = Control::new(&mut ChaCha8Rng::seed_from_u64(2));
    let x = Batch::<f32, 16>::from_fn(1, |i, _| i as f32 * 0.1);
    let mut out = Batch::<f32, 4>::zeros(1);
    net.predict(&x);
    Network::predict_into(&net, x.as_view(), out.as_view_mut());
    let ((), n) = count_allocations(|| {
        for _ in 0..100 {
            net.predict(&x);
            Network::predict_into(&net, x.as_view(), out.as_view_mut());
        }
    });
    assert_eq!(n, 0, "W3: {n} allocations in 100 predictions");
    assert_eq!(out, net.predict(&x).into_owned());
}
