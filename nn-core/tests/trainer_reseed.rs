//! The trainer reseeds the network's random layers before every epoch with a seed made of
//! its own seed and the epoch number (`train::epoch_seed`), so a resumed or continued run
//! draws the same random numbers as an uninterrupted one.
//!
//! `Noisy` is a hand-written network around the book's chapter-1 network whose training
//! step adds noise drawn from its own random stream (what `Dropout` does with its masks):
//! its parameters depend on where that stream is, so they agree bit for bit only if every
//! epoch restarts it at the same seed.

use nn_core::batch::{BatchMut, BatchRef};
use nn_core::data::{spiral, SPIRAL_SEED};
use nn_core::layers::{LayerOp, LossLayer, Prediction};
use nn_core::state::{TensorMut, TensorRef};
use nn_core::train::{epoch_seed, Progress, Trainer};
use nn_core::{Adam, InitScheme, Input, Network, Optimizer, Param, Summary, Trainable};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[path = "common/two_layer_net.rs"]
mod two_layer_net;
use two_layer_net::TwoLayerNet;

type Loss = <TwoLayerNet<f64> as Trainable<f64, 2, 3>>::Loss;

/// The book's network plus noise from a stream that only `reseed` restarts.
#[derive(Clone)]
struct Noisy {
    inner: TwoLayerNet<f64>,
    rng: ChaCha8Rng,
    seeds: Vec<u64>,
}

impl Noisy {
    /// `stream` seeds the noise before the first `reseed` (a fresh network's own draw).
    fn new(stream: u64) -> Self {
        Self {
            inner: TwoLayerNet::with_init_f64(&mut ChaCha8Rng::seed_from_u64(3), InitScheme::Auto),
            rng: ChaCha8Rng::seed_from_u64(stream),
            seeds: Vec::new(),
        }
    }

    fn bits(&mut self) -> Vec<u64> {
        let mut out = Vec::new();
        Network::visit_params(&mut self.inner, &mut |p: Param<'_, f64>| {
            out.extend(p.value.iter().map(|v| v.to_bits()))
        });
        out
    }
}

impl Network<f64, 2, 3> for Noisy {
    fn zeroed() -> Self {
        unimplemented!("not needed here")
    }
    fn with_init(_rng: &mut dyn nn_core::rand::RngCore, _scheme: InitScheme) -> Self {
        unimplemented!("not needed here")
    }
    fn predict(&mut self, x: BatchRef<'_, f64, 2>) -> BatchRef<'_, f64, 3> {
        self.inner.predict(x)
    }
    fn predict_into(&self, x: BatchRef<'_, f64, 2>, out: BatchMut<'_, f64, 3>) {
        self.inner.predict_into(x, out)
    }
    fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, f64>)) {
        Network::visit_params(&mut self.inner, f)
    }
    fn param_count(&self) -> usize {
        Network::param_count(&self.inner)
    }
    fn summary(&self) -> Summary {
        Network::summary(&self.inner)
    }
    fn visit_tensors<'a>(&'a self, f: &mut dyn FnMut(&'static str, TensorRef<'a, f64>)) {
        Network::visit_tensors(&self.inner, f)
    }
    fn visit_tensors_mut(&mut self, f: &mut dyn FnMut(&'static str, TensorMut<'_, f64>)) {
        Network::visit_tensors_mut(&mut self.inner, f)
    }
    fn visit_ops(&self, f: &mut dyn FnMut(&'static str, Option<LayerOp<'_, f64>>)) {
        Network::visit_ops(&self.inner, f)
    }
    fn prediction(&self) -> Prediction {
        Network::prediction(&self.inner)
    }
    fn reseed(&mut self, seed: u64) {
        self.seeds.push(seed);
        self.rng = ChaCha8Rng::seed_from_u64(seed);
    }
}

impl Trainable<f64, 2, 3> for Noisy {
    type Loss = Loss;

    fn forward(&mut self, x: BatchRef<'_, f64, 2>, t: <Loss as LossLayer<f64, 3>>::Target<'_>) -> f64 {
        Trainable::forward(&mut self.inner, x, t)
    }
    fn backward(&mut self) {
        Trainable::backward(&mut self.inner)
    }
    fn train_step<O: Optimizer<f64> + ?Sized>(
        &mut self,
        x: Input<'_, f64, 2>,
        t: <Loss as LossLayer<f64, 3>>::Target<'_>,
        opt: &mut O,
    ) -> f64 {
        let loss = Trainable::train_step(&mut self.inner, x, t, opt);
        let rng = &mut self.rng;
        Network::visit_params(&mut self.inner, &mut |p| {
            for v in p.value.iter_mut() {
                *v += 1e-3 * (rng.next_u32() as f64 / u32::MAX as f64 - 0.5);
            }
        });
        loss
    }
    fn evaluate(
        &mut self,
        x: BatchRef<'_, f64, 2>,
        t: <Loss as LossLayer<f64, 3>>::Target<'_>,
    ) -> (f64, Option<usize>) {
        Trainable::evaluate(&mut self.inner, x, t)
    }
}

fn trainer(epochs: usize) -> Trainer<Adam<f64>> {
    Trainer::new(Adam::with_lr(0.01))
        .epochs(epochs)
        .batch_size(30)
        .seed(5)
        .progress(Progress::Silent)
}

#[test]
fn every_epoch_reseeds_the_network_from_the_seed_and_the_epoch() {
    let data = spiral::<f64>(SPIRAL_SEED);
    let mut net = Noisy::new(0);
    trainer(3).fit(&mut net, &data, None).unwrap();
    assert_eq!(net.seeds, (1..=3).map(|e| epoch_seed(5, e)).collect::<Vec<_>>());
    let distinct: std::collections::HashSet<_> = net.seeds.iter().collect();
    assert_eq!(distinct.len(), 3, "every epoch draws other masks");
}

#[test]
fn a_resumed_run_draws_what_an_uninterrupted_one_draws() {
    let data = spiral::<f64>(SPIRAL_SEED);
    let mut straight = Noisy::new(0);
    trainer(4).fit(&mut straight, &data, None).unwrap();

    // 2 epochs, then a fresh network (its noise stream elsewhere) with the trained
    // parameters and a fresh trainer resume for 2 more.
    let mut first = Noisy::new(0);
    let mut t = trainer(2);
    t.fit(&mut first, &data, None).unwrap();
    let mut second = Noisy::new(77);
    second.inner = first.inner.clone();
    let mut resumed = trainer(4);
    resumed.restore(&mut second, t.state().unwrap()).unwrap();
    resumed.fit(&mut second, &data, None).unwrap();
    assert_eq!(second.seeds, [epoch_seed(5, 3), epoch_seed(5, 4)]);
    assert_eq!(second.bits(), straight.bits(), "resumed after 2 epochs");

    // and the same trainer's second `fit` continues likewise
    let mut continued = Noisy::new(0);
    let mut t = trainer(2);
    t.fit(&mut continued, &data, None).unwrap();
    continued.rng = ChaCha8Rng::seed_from_u64(99); // drawn elsewhere between the two fits
    t.epochs = 4;
    t.fit(&mut continued, &data, None).unwrap();
    assert_eq!(continued.bits(), straight.bits(), "continued after 2 epochs");
}
