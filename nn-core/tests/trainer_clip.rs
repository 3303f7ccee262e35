//! Gradient clipping in the trainer: a clipped step is forward, backward and the update on
//! the gradients scaled to the global norm, as a hand-written loop with `ClipGradNorm`
//! computes it.

use nn_core::data::{spiral, Batches, SPIRAL_SEED};
use nn_core::optim::clip::{grad_norm, ClipGradNorm};
use nn_core::train::*;
use nn_core::{InitScheme, Network, Param, Sgd};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

#[path = "common/two_layer_net.rs"]
mod two_layer_net;
use two_layer_net::TwoLayerNet;

fn bits(net: &mut TwoLayerNet<f64>) -> Vec<u64> {
    let mut out = Vec::new();
    Network::visit_params(net, &mut |p: Param<'_, f64>| {
        out.extend(p.value.iter().map(|v| v.to_bits()))
    });
    out
}

#[test]
fn a_clipped_run_is_the_hand_written_loop() {
    let data = spiral::<f64>(SPIRAL_SEED);
    let start = TwoLayerNet::<f64>::with_init(&mut ChaCha8Rng::seed_from_u64(4), InitScheme::Auto);
    let max = 0.05;
    let mut trained = start.clone();
    let mut t = Trainer::new(Sgd::new(1.0))
        .epochs(2)
        .batch_size(30)
        .seed(6)
        .progress(Progress::Silent)
        .clip_grad_norm(max);
    let h = t.fit(&mut trained, &data, None).unwrap();

    // the same batches (the trainer shuffles once per epoch from its seed), by hand
    let mut by_hand = start.clone();
    let mut opt = Sgd::new(1.0);
    let mut clip = ClipGradNorm::new(max);
    let mut batches = Batches::new(data.len(), 30, 6);
    let mut clipped = 0;
    let mut losses = Vec::new();
    for _ in 0..2 {
        batches.shuffle();
        for i in 0..batches.len() {
            let (x, t) = batches.get(&data, i);
            losses.push(by_hand.forward(x, t));
            by_hand.backward();
            let norm = clip.apply(&mut opt, |f| by_hand.visit_params(f));
            clipped += (norm > max) as usize;
        }
    }
    assert!(clipped > 10, "the limit clips most steps ({clipped} of 20)");
    assert_eq!(bits(&mut trained), bits(&mut by_hand));
    let mean = |l: &[f64]| l.iter().sum::<f64>() / l.len() as f64;
    assert_eq!(h.epochs[1].train_loss, mean(&losses[10..]));

    // without clipping the run differs
    let mut unclipped = start.clone();
    Trainer::new(Sgd::new(1.0))
        .epochs(2)
        .batch_size(30)
        .seed(6)
        .progress(Progress::Silent)
        .fit(&mut unclipped, &data, None)
        .unwrap();
    assert_ne!(bits(&mut unclipped), bits(&mut trained));
}

#[test]
fn every_clipped_step_moves_the_parameters_by_at_most_lr_times_the_limit() {
    let data = spiral::<f64>(SPIRAL_SEED);
    let mut net = TwoLayerNet::<f64>::with_init(&mut ChaCha8Rng::seed_from_u64(4), InitScheme::Auto);
    let (lr, max) = (2.0, 0.01);
    let mut before: Vec<f64> = Vec::new();
    Network::visit_params(&mut net, &mut |p: Param<'_, f64>| before.extend_from_slice(p.value));
    let mut t = Trainer::new(Sgd::new(lr))
        .epochs(1)
        .batch_size(300) // one step
        .progress(Progress::Silent)
        .clip_grad_norm(max);
    t.fit(&mut net, &data, None).unwrap();
    let mut after: Vec<f64> = Vec::new();
    Network::visit_params(&mut net, &mut |p: Param<'_, f64>| after.extend_from_slice(p.value));
    let step = before
        .iter()
        .zip(&after)
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        .sqrt();
    assert!(step <= lr * max * (1.0 + 1e-9) && step > 0.99 * lr * max, "step {step}");
    // and the gradient of that step was larger than the limit
    let g = grad_norm(|f| net.visit_params(f));
    assert!(g > max, "gradient norm {g}");
}

#[test]
#[should_panic(expected = "ClipGradNorm: max_norm must be finite and greater than 0, got NaN")]
fn a_nan_limit_panics() {
    let _ = Trainer::new(Sgd::<f32>::new(0.1)).clip_grad_norm(f64::NAN);
}
