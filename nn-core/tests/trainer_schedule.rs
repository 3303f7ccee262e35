//! Learning-rate schedules in the trainer: the rate of every step is the schedule's (the
//! log records it), the optimizer uses it, and restored or continued runs train exactly as
//! an uninterrupted one.

use nn_core::data::{spiral, SPIRAL_SEED};
use nn_core::optim::schedule::{ExponentialLr, LinearWarmup, StepAt, StepLr};
use nn_core::train::*;
use nn_core::{Adam, InitScheme, Network, Optimizer, Param, Sgd};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

#[path = "common/two_layer_net.rs"]
mod two_layer_net;
use two_layer_net::TwoLayerNet;

fn net(seed: u64) -> TwoLayerNet<f64> {
    TwoLayerNet::with_init_f64(&mut ChaCha8Rng::seed_from_u64(seed), InitScheme::Auto)
}

fn bits(net: &mut TwoLayerNet<f64>) -> Vec<u64> {
    let mut out = Vec::new();
    Network::visit_params(net, &mut |p: Param<'_, f64>| {
        out.extend(p.value.iter().map(|v| v.to_bits()))
    });
    out
}

#[test]
fn every_step_gets_the_schedules_rate_and_the_log_records_it() {
    let data = spiral::<f64>(SPIRAL_SEED); // 300 samples: 10 batches of 30
    let schedule = LinearWarmup::new(4, StepLr::new(0.5, 1, 0.5));
    let mut t = Trainer::new(Sgd::new(1.0))
        .epochs(3)
        .batch_size(30)
        .log_every(1)
        .progress(Progress::Silent)
        .schedule(schedule);
    let h = t.fit(&mut net(0), &data, None).unwrap();
    assert_eq!(h.log.len(), 30);
    for (k, p) in h.log.iter().enumerate() {
        let want = 0.5 * 0.5f64.powi(k as i32 / 10) * if k < 4 { (k + 1) as f64 / 4.0 } else { 1.0 };
        assert_eq!(p.lr, Some(want), "step {k}");
    }
    assert_eq!(t.optimizer.lr, 0.125, "the last step's rate stays set");
    // without a schedule the log records the optimizer's own rate
    let mut t = Trainer::new(Sgd::new(0.25)).epochs(1).progress(Progress::Silent);
    let h = t.fit(&mut net(0), &data, None).unwrap();
    assert!(h.log.iter().all(|p| p.lr == Some(0.25)));
}

#[test]
fn a_rate_of_zero_leaves_the_network_as_it_is() {
    let data = spiral::<f64>(SPIRAL_SEED);
    let mut n = net(1);
    let start = bits(&mut n);
    let mut seen = Vec::new();
    let mut t = Trainer::new(Sgd::new(1.0))
        .epochs(2)
        .batch_size(30)
        .progress(Progress::Silent)
        .schedule(|at: StepAt| if at.epoch == 0 { 0.0 } else { 0.5 });
    t.fit_with(&mut n, &data, None, |net, e| {
        if let Event::Epoch(_) = e {
            seen.push(bits(&mut net.clone()));
        }
        Control::Continue
    })
    .unwrap();
    assert_eq!(seen[0], start, "epoch 1 trained at rate 0");
    assert_ne!(seen[1], start, "epoch 2 trained at rate 0.5");
}

fn trainer(epochs: usize) -> Trainer<Adam<f64>> {
    Trainer::new(Adam::with_lr(0.01))
        .epochs(epochs)
        .batch_size(7)
        .seed(3)
        .progress(Progress::Silent)
        .schedule(LinearWarmup::new(50, ExponentialLr::new(0.02, 0.7)))
}

#[test]
fn a_scheduled_run_resumes_and_continues_exactly() {
    let (train, test) = spiral::<f64>(SPIRAL_SEED).split(0.2, 1);
    let mut straight = net(2);
    let all = trainer(4).fit(&mut straight, &train, Some(&test)).unwrap();

    let mut first = net(2);
    let mut t = trainer(2);
    t.fit(&mut first, &train, Some(&test)).unwrap();
    // a fresh trainer whose optimizer has another rate: the schedule sets every step's
    let mut resumed = Trainer::new(Adam::with_lr(0.5))
        .epochs(4)
        .batch_size(7)
        .progress(Progress::Silent)
        .schedule(LinearWarmup::new(50, ExponentialLr::new(0.02, 0.7)));
    resumed.restore(&mut first, t.state().unwrap()).unwrap();
    let h = resumed.fit(&mut first, &train, Some(&test)).unwrap();
    assert_eq!(bits(&mut first), bits(&mut straight), "resumed");
    assert_eq!(h, all);

    let mut continued = net(2);
    let mut t = trainer(2);
    t.fit(&mut continued, &train, Some(&test)).unwrap();
    t.epochs = 4;
    assert_eq!(t.fit(&mut continued, &train, Some(&test)).unwrap(), all);
    assert_eq!(bits(&mut continued), bits(&mut straight), "continued");
}

#[test]
#[should_panic(expected = "has no learning rate to schedule (Optimizer::learning_rate is None)")]
fn scheduling_an_optimizer_without_a_rate_panics() {
    struct Fixed;
    impl Optimizer<f64> for Fixed {
        fn update(&mut self, _: usize, _: Param<'_, f64>) {}
    }
    let data = spiral::<f64>(SPIRAL_SEED);
    let mut t = Trainer::new(Fixed)
        .progress(Progress::Silent)
        .schedule(StepLr::new(0.1, 1, 0.5));
    let _ = t.fit(&mut net(0), &data, None);
}

#[test]
#[should_panic(
    expected = "Trainer: the learning-rate schedule gave NaN for epoch 2, iteration 1 (step 10 of the run); a rate must be finite and at least 0"
)]
fn a_schedule_giving_nan_panics_naming_the_step() {
    let data = spiral::<f64>(SPIRAL_SEED);
    let mut t = Trainer::new(Sgd::new(0.1))
        .epochs(3)
        .batch_size(30)
        .progress(Progress::Silent)
        .schedule(|at: StepAt| if at.epoch == 1 { f64::NAN } else { 0.1 });
    let _ = t.fit(&mut net(0), &data, None);
}
