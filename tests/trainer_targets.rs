//! The Trainer with every kind of target: values for `MeanSquaredError` and one-hot columns
//! for `SoftmaxWithLoss` (class indices are covered by the spiral and Iris tests).

use nn::data::{spiral, Dataset};
use nn::rand::SeedableRng;
use nn::rand_chacha::ChaCha8Rng;
use nn::train::{evaluate, Progress, Trainer};
use nn::{network, Adam, Batch, Sgd};

network! {
    /// 1 → 16 → 1 regression net.
    pub struct SineNet {
        input: 1,
        affine1: Affine(16),
        tanh: Tanh,
        affine2: Affine(1),
        loss: MeanSquaredError,
    }
}

network! {
    /// The chapter-1 net.
    pub struct SpiralNet {
        input: 2,
        affine1: Affine(10),
        sigmoid: Sigmoid,
        affine2: Affine(3),
        loss: SoftmaxWithLoss,
    }
}

#[test]
fn regression_targets_with_mean_squared_error() {
    // y = sin(x) on [-3, 3]
    let n = 200;
    let x = Batch::<f32, 1>::from_fn(n, |_, i| -3.0 + 6.0 * i as f32 / (n - 1) as f32);
    let y = Batch::<f32, 1>::from_fn(n, |_, i| x[(0, i)].sin());
    let data = Dataset::regression(x, y).unwrap();
    let mut net = SineNet::new(&mut ChaCha8Rng::seed_from_u64(0));
    let before = evaluate(&mut net, &data, 50).unwrap();
    assert_eq!(before.accuracy, None, "a regression loss has no accuracy");
    let mut trainer = Trainer::new(Adam::with_lr(0.01))
        .epochs(200)
        .batch_size(20)
        .progress(Progress::Silent);
    let history = trainer.fit(&mut net, &data, Some(&data)).unwrap();
    let after = history.epochs.last().unwrap().eval.unwrap();
    assert!(
        after.loss < 0.01 && after.loss < before.loss / 20.0,
        "MSE {} → {}",
        before.loss,
        after.loss
    );
}

#[test]
fn one_hot_targets_match_class_indices() {
    let data = spiral::<f32>(1984);
    let one_hot = Batch::<f32, 3>::from_fn(data.len(), |k, n| if data.labels()[n] == k { 1.0 } else { 0.0 });
    let data_oh = Dataset::new(data.x().clone(), one_hot).unwrap();
    let run = |seed| {
        let trainer = Trainer::new(Sgd::new(1.0))
            .epochs(20)
            .batch_size(30)
            .seed(seed)
            .progress(Progress::Silent);
        (trainer, SpiralNet::new(&mut ChaCha8Rng::seed_from_u64(seed)))
    };
    let (mut t1, mut n1) = run(4);
    let (mut t2, mut n2) = run(4);
    let h1 = t1.fit(&mut n1, &data, Some(&data)).unwrap();
    let h2 = t2.fit(&mut n2, &data_oh, Some(&data_oh)).unwrap();
    // the same samples in the same order with equivalent labels: the same run
    assert_eq!(h1, h2);
    assert!(h2.epochs.last().unwrap().eval.unwrap().accuracy.is_some());
}
