//! Exact resume in memory: N epochs, `Trainer::state`, a fresh network (parameters copied),
//! optimizer and trainer `restore` it, N more epochs give the same bits as 2N epochs
//! straight (parameters and the whole history), for every built-in optimizer; and every
//! way a saved state can fail to fit is an error naming both sides.

use nn_core::data::{spiral, spiral_with, Dataset, SPIRAL_SEED};
use nn_core::optim::StateError;
use nn_core::train::*;
use nn_core::{AdaGrad, Adam, Float, InitScheme, Momentum, Network, Optimizer, RmsProp, Sgd};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

#[path = "common/two_layer_net.rs"]
mod two_layer_net;
use two_layer_net::TwoLayerNet;

nn::network! {
    /// Another network (other widths) for the mismatch errors.
    pub struct WideNet { input: 2, fc1: Affine(5), act: Tanh, fc2: Affine(3), loss: SoftmaxWithLoss }
}

fn net<T: Float>(seed: u64) -> TwoLayerNet<T> {
    <TwoLayerNet<T> as nn_core::Network<T, 2, 3>>::with_init(&mut ChaCha8Rng::seed_from_u64(seed), InitScheme::Auto)
}

/// Every parameter of `net`, as bits, in visit order.
fn param_bits<T: Float, N: Network<T, 2, 3>>(net: &mut N) -> Vec<Vec<u64>> {
    let mut out = Vec::new();
    // f32 → f64 is exact, so equal f64 bits are equal f32 bits.
    net.visit_params(&mut |p| out.push(p.value.iter().map(|v| v.as_f64().to_bits()).collect()));
    out
}

/// Copies every parameter of `from` into `to` (the same network type).
fn copy_params<T: Float, N: Network<T, 2, 3>>(from: &mut N, to: &mut N) {
    let mut values = Vec::new();
    from.visit_params(&mut |p| values.push(p.value.to_vec()));
    let mut i = 0;
    to.visit_params(&mut |p| {
        p.value.copy_from_slice(&values[i]);
        i += 1;
    });
}

/// The history with every float as bits (`PartialEq` on `f64` would accept `-0.0 == 0.0`),
/// one line per log point and epoch.
fn history_bits(h: &History) -> Vec<String> {
    let log = h
        .log
        .iter()
        .map(|p| format!("log {} {} {} {}", p.epoch, p.iter, p.iters, p.loss.to_bits()));
    let epochs = h.epochs.iter().map(|e| {
        let eval = e.eval.map(|v| (v.loss.to_bits(), v.accuracy.map(f64::to_bits)));
        format!("epoch {} {} {eval:?}", e.epoch, e.train_loss.to_bits())
    });
    log.chain(epochs).chain([format!("stopped {}", h.stopped)]).collect()
}

struct Setup {
    batch: usize,
    drop_last: bool,
    log_every: usize,
    seed: u64,
}

fn trainer<O>(opt: O, epochs: usize, s: &Setup) -> Trainer<O> {
    Trainer::new(opt)
        .epochs(epochs)
        .batch_size(s.batch)
        .drop_last(s.drop_last)
        .log_every(s.log_every)
        .seed(s.seed)
        .progress(Progress::Silent)
}

/// `n` epochs, restore into fresh everything, `n` more == `2n` straight, bit for bit.
fn check_resume<O: Optimizer<f64> + Clone>(name: &str, opt: O, fresh: O, n: usize, s: &Setup) {
    check_resume_in::<f64, O>(name, opt, fresh, n, s);
}

/// [`check_resume`] for a network, data set and optimizer of `T`.
fn check_resume_in<T: Float, O: Optimizer<T> + Clone>(name: &str, opt: O, fresh: O, n: usize, s: &Setup) {
    let (train, test) = spiral::<T>(SPIRAL_SEED).split(0.2, 1);

    let mut straight_net = net::<T>(3);
    let mut straight = trainer(opt.clone(), 2 * n, s);
    let all = straight.fit(&mut straight_net, &train, Some(&test)).unwrap();
    assert_eq!(all.epochs.len(), 2 * n);

    let mut first_net = net::<T>(3);
    let mut first = trainer(opt, n, s);
    let half = first.fit(&mut first_net, &train, Some(&test)).unwrap();
    assert_eq!(half.epochs.len(), n);
    let state = first.state().unwrap();
    assert_eq!((state.epoch, state.order.len()), (n, train.len()));

    // Fresh network (other initial weights, then the trained ones copied in), fresh
    // optimizer with other hyperparameters, fresh trainer with another seed.
    let mut second_net = net::<T>(99);
    copy_params(&mut first_net, &mut second_net);
    let mut second = trainer(fresh, 2 * n, &Setup { seed: 12345, ..*s });
    second.restore(&mut second_net, state).unwrap();
    let resumed = second.fit(&mut second_net, &train, Some(&test)).unwrap();

    assert_eq!(
        param_bits(&mut second_net),
        param_bits(&mut straight_net),
        "{name}: parameters after {n} + {n} epochs differ from {} straight",
        2 * n
    );
    assert_eq!(history_bits(&resumed), history_bits(&all), "{name}: history");
    assert_eq!(resumed, all, "{name}: history");
    // and the state at the end is the straight run's
    let (a, b) = (second.state::<T>().unwrap(), straight.state::<T>().unwrap());
    assert_eq!(a.rng, b.rng, "{name}: shuffling stream");
    assert_eq!((a.order, a.iteration, a.best), (b.order, b.iteration, b.best), "{name}");
    assert_eq!(a.optimizer, b.optimizer, "{name}: optimizer state");
}

const SHORT_LAST: Setup = Setup {
    batch: 7, // 240 = 34·7 + 2: a short last batch
    drop_last: false,
    log_every: 4,
    seed: 5,
};

#[test]
fn sgd_resumes_bit_identically() {
    check_resume("Sgd", Sgd::new(1.0), Sgd::new(0.1), 3, &SHORT_LAST);
}

#[test]
fn adam_resumes_bit_identically() {
    check_resume("Adam", Adam::with_lr(0.01), Adam::default(), 3, &SHORT_LAST);
    let dropping = Setup {
        batch: 32,
        drop_last: true,
        log_every: 0,
        seed: 0,
    };
    check_resume("Adam, drop_last", Adam::with_lr(0.01), Adam::default(), 2, &dropping);
}

/// The same in f32: its optimizer scalars and buffers are saved as F32.
#[test]
fn sgd_and_adam_resume_bit_identically_in_f32() {
    check_resume_in::<f32, _>("Sgd f32", Sgd::new(1.0), Sgd::new(0.1), 3, &SHORT_LAST);
    check_resume_in::<f32, _>("Adam f32", Adam::with_lr(0.01), Adam::default(), 3, &SHORT_LAST);
}

#[test]
fn the_other_optimizers_resume_bit_identically() {
    check_resume("Momentum", Momentum::new(0.1, 0.9), Momentum::default(), 2, &SHORT_LAST);
    check_resume("AdaGrad", AdaGrad::new(0.1), AdaGrad::default(), 2, &SHORT_LAST);
    check_resume("RmsProp", RmsProp::new(0.01, 0.9), RmsProp::default(), 2, &SHORT_LAST);
}

/// `fit` of n epochs, `epochs += n`, `fit` again on the same trainer == one `fit` of 2n
/// epochs: parameters, the whole history, and the state at the end, bit for bit.
fn check_continue<O: Optimizer<f64> + Clone>(name: &str, opt: O, n: usize, s: &Setup) {
    let (train, test) = spiral::<f64>(SPIRAL_SEED).split(0.2, 1);
    let mut straight_net = net::<f64>(3);
    let mut straight = trainer(opt.clone(), 2 * n, s);
    let all = straight.fit(&mut straight_net, &train, Some(&test)).unwrap();

    let mut split_net = net::<f64>(3);
    let mut t = trainer(opt, n, s);
    let first = t.fit(&mut split_net, &train, Some(&test)).unwrap();
    assert_eq!(first.epochs.len(), n);
    t.epochs += n;
    let whole = t.fit(&mut split_net, &train, Some(&test)).unwrap();
    assert_eq!(
        param_bits(&mut split_net),
        param_bits(&mut straight_net),
        "{name}: parameters after fit({n}) + fit({n} more) differ from fit({})",
        2 * n
    );
    assert_eq!(history_bits(&whole), history_bits(&all), "{name}: history");
    assert_eq!(
        whole.epochs.iter().map(|e| e.epoch).collect::<Vec<_>>(),
        (1..=2 * n).collect::<Vec<_>>(),
        "{name}: epochs are numbered on"
    );
    assert_eq!(
        t.state::<f64>().unwrap(),
        straight.state::<f64>().unwrap(),
        "{name}: state"
    );
}

#[test]
fn a_second_fit_continues_the_run() {
    check_continue("Sgd", Sgd::new(1.0), 2, &SHORT_LAST);
    check_continue("Adam", Adam::with_lr(0.01), 2, &SHORT_LAST);
    check_continue(
        "Momentum",
        Momentum::new(0.1, 0.9),
        1,
        &Setup {
            batch: 30,
            drop_last: true,
            log_every: 0,
            seed: 9,
        },
    );
}

#[test]
fn a_fit_with_nothing_left_trains_nothing_and_reset_starts_afresh() {
    let data = spiral::<f64>(4);
    let mut t = trainer(Sgd::new(1.0), 2, &SHORT_LAST);
    let mut n = net(1);
    let a = t.fit(&mut n, &data, None).unwrap();
    let sa = t.state::<f64>().unwrap();
    let trained = param_bits(&mut n);
    // the run has its 2 epochs: nothing to train
    assert_eq!(t.fit(&mut n, &data, None).unwrap(), a);
    assert_eq!(param_bits(&mut n), trained);
    // `reset`: a new run from the seed replays the first one (Sgd has no state)
    t.reset();
    let b = t.fit(&mut net(1), &data, None).unwrap();
    assert_eq!(a, b);
    assert_eq!(sa, t.state::<f64>().unwrap());
}

#[test]
fn a_continued_run_checks_its_settings_and_data_before_any_step() {
    let data = spiral::<f64>(4);
    let mut t = trainer(Adam::with_lr(0.01), 1, &SHORT_LAST);
    let mut n = net(1);
    t.fit(&mut n, &data, None).unwrap();
    let before = param_bits(&mut n);
    t.epochs = 3;
    t.batch_size = 8;
    let err = t.fit(&mut n, &data, None).unwrap_err();
    assert_eq!(
        err,
        TrainError::Continue(StateError::BatchSize {
            saved: 7,
            configured: 8
        })
    );
    assert_eq!(
        err.to_string(),
        "cannot continue the last run (`Trainer::reset` starts a new one): the saved run used batch size 7 but the trainer is set to 8"
    );
    t.batch_size = 7;
    t.seed = 1;
    assert_eq!(
        t.fit(&mut n, &data, None).unwrap_err().to_string(),
        "cannot continue the last run (`Trainer::reset` starts a new one): the saved run used seed 5 but the trainer is set to 1"
    );
    t.seed = SHORT_LAST.seed;
    assert_eq!(
        t.fit(&mut n, &spiral_with::<f64>(10, 3, 0), None).unwrap_err(),
        TrainError::Continue(StateError::Samples { saved: 300, found: 30 })
    );
    assert_eq!(param_bits(&mut n), before, "no step was taken");
    // the run is intact: the right settings continue it
    let h = t.fit(&mut n, &data, None).unwrap();
    assert_eq!(h.epochs.iter().map(|e| e.epoch).collect::<Vec<_>>(), [1, 2, 3]);
}

#[test]
fn resuming_a_finished_run_returns_its_history() {
    let data = spiral::<f64>(4);
    let mut t = trainer(Adam::with_lr(0.01), 2, &SHORT_LAST);
    let mut n = net(1);
    let h = t.fit(&mut n, &data, None).unwrap();
    let before = param_bits(&mut n);
    let state = t.state().unwrap();
    let mut again = trainer(Adam::default(), 2, &SHORT_LAST);
    again.restore(&mut n, state).unwrap();
    assert_eq!(again.fit(&mut n, &data, None).unwrap(), h, "nothing left to train");
    assert_eq!(param_bits(&mut n), before);
}

fn trained_state<O: Optimizer<f64>>(opt: O) -> (TrainState<f64>, Dataset<f64, 2>) {
    let data = spiral::<f64>(4);
    let mut t = trainer(opt, 1, &SHORT_LAST);
    t.fit(&mut net(1), &data, None).unwrap();
    (t.state().unwrap(), data)
}

#[test]
fn settings_of_another_run_are_errors_naming_both_values() {
    let (state, data) = trained_state(Adam::<f64>::default());
    let mut n = net(1);
    let other_batch = Setup { batch: 8, ..SHORT_LAST };
    let err = trainer(Adam::default(), 4, &other_batch)
        .restore(&mut n, state.clone())
        .unwrap_err();
    assert_eq!(
        err,
        StateError::BatchSize {
            saved: 7,
            configured: 8
        }
    );
    assert_eq!(
        err.to_string(),
        "the saved run used batch size 7 but the trainer is set to 8"
    );
    let dropping = Setup {
        drop_last: true,
        ..SHORT_LAST
    };
    let err = trainer(Adam::default(), 4, &dropping)
        .restore(&mut n, state.clone())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the saved run used drop_last(false) but the trainer is set to drop_last(true)"
    );

    // A data set of another length: an error from `fit`, before any step.
    let mut t = trainer(Adam::default(), 4, &SHORT_LAST);
    t.restore(&mut n, state.clone()).unwrap();
    let before = param_bits(&mut n);
    let err = t.fit(&mut n, &spiral_with::<f64>(10, 3, 0), None).unwrap_err();
    assert_eq!(err, TrainError::Resume(StateError::Samples { saved: 300, found: 30 }));
    assert_eq!(
        err.to_string(),
        "cannot resume the saved run: the saved run shuffled 300 samples but the training set has 30"
    );
    assert_eq!(param_bits(&mut n), before, "no step was taken");
    // the restored run is still pending: the right data set resumes it
    let h = t.fit(&mut n, &data, None).unwrap();
    assert_eq!(h.epochs.len(), 4);
    // changing the batch size after restore is caught by `fit` too
    let mut t = trainer(Adam::default(), 4, &SHORT_LAST);
    t.restore(&mut n, state).unwrap();
    t.batch_size = 9;
    assert_eq!(
        t.fit(&mut n, &data, None).unwrap_err(),
        TrainError::Resume(StateError::BatchSize {
            saved: 7,
            configured: 9
        })
    );
}

#[test]
fn an_optimizer_of_another_kind_or_network_is_an_error() {
    let (state, _) = trained_state(Adam::<f64>::default());
    let err = trainer(Sgd::new(1.0), 4, &SHORT_LAST)
        .restore(&mut net(1), state.clone())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the saved optimizer state is from Adam, but it is being loaded into Sgd"
    );
    let mut wide = WideNet::with_init_f64(&mut ChaCha8Rng::seed_from_u64(0), InitScheme::Auto);
    let mut t = trainer(Adam::default(), 4, &SHORT_LAST);
    let err = t.restore(&mut wide, state).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the saved optimizer state's `m` buffer 0 has 20 elements but parameter tensor 0 (fc1.w) has 10"
    );
    assert_eq!(t.optimizer.steps(), 0, "a failed restore changes nothing");
    assert!(matches!(t.state::<f64>(), Err(StateError::NoState { .. })));
}

#[test]
fn a_corrupt_state_is_an_error() {
    let (state, _) = trained_state(Sgd::<f64>::new(1.0));
    let mut bad = state.clone();
    bad.order[0] = bad.order[1];
    let err = trainer(Sgd::new(1.0), 4, &SHORT_LAST)
        .restore(&mut net(1), bad)
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the saved sample order is not a permutation of 0..300: entry 1 repeats"),
        "{err}"
    );
    let mut bad = state.clone();
    bad.order[5] = 300;
    let err = trainer(Sgd::new(1.0), 4, &SHORT_LAST)
        .restore(&mut net(1), bad)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the saved sample order is not a permutation of 0..300: entry 5 is 300"
    );
    let mut bad = state;
    bad.history.epochs.clear();
    let err = trainer(Sgd::new(1.0), 4, &SHORT_LAST)
        .restore(&mut net(1), bad)
        .unwrap_err();
    assert_eq!(err, StateError::History { epoch: 1, recorded: 0 });
}

#[test]
fn no_state_before_fit_or_after_a_stop_inside_an_epoch() {
    let t = trainer(Sgd::<f64>::new(1.0), 2, &SHORT_LAST);
    assert_eq!(
        t.state::<f64>().unwrap_err().to_string(),
        "the trainer has no state to save: `fit` has not run"
    );
    let data = spiral::<f64>(4);
    let mut t = trainer(Sgd::new(1.0), 2, &SHORT_LAST);
    t.fit_with(&mut net(1), &data, None, |_, e| match e {
        Event::Log(p) if p.iter == 8 => Control::Stop,
        _ => Control::Continue,
    })
    .unwrap();
    assert_eq!(
        t.state::<f64>().unwrap_err().to_string(),
        "the trainer has no state to save: the last `fit` was stopped by its callback inside epoch 1 (at iteration 8)"
    );
    // nor a run to continue: `fit` says so until `reset`
    assert_eq!(
        t.fit(&mut net(1), &data, None).unwrap_err().to_string(),
        "cannot continue the last run: the last `fit` was stopped by its callback inside epoch 1 (at iteration 8); `Trainer::reset` starts a new one"
    );
    t.reset();
    // stopping at an epoch's end leaves a state to resume from
    let h = t
        .fit_with(&mut net(1), &data, None, |_, e| match e {
            Event::Epoch(_) => Control::Stop,
            _ => Control::Continue,
        })
        .unwrap();
    assert!(h.stopped);
    let state = t.state::<f64>().unwrap();
    assert_eq!(state.epoch, 1);
    assert!(state.history.stopped);
}
