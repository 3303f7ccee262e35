//! The trainer on the book's chapter-1 network (declared with `network!`, weights drawn by
//! the book's `0.01 · randn`): logging like the book, replayable seeds, the callback,
//! errors. (Moved out of the crate's unit tests so the real macro can be used.)

use nn_core::data::{spiral, spiral_with, SPIRAL_SEED};
use nn_core::train::*;
use nn_core::{Adam, Float, InitScheme, Sgd};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

#[path = "common/two_layer_net.rs"]
mod two_layer_net;
use two_layer_net::TwoLayerNet;

fn net<T: Float>(seed: u64) -> TwoLayerNet<T> {
    <TwoLayerNet<T> as nn_core::Network<T, 2, 3>>::with_init(&mut ChaCha8Rng::seed_from_u64(seed), InitScheme::Book)
}

#[test]
fn trains_the_spiral_and_logs_like_the_book() {
    let data = spiral::<f32>(SPIRAL_SEED);
    let mut n = net::<f32>(1);
    let mut trainer = Trainer::new(Sgd::new(1.0))
        .epochs(300)
        .batch_size(30)
        .seed(2)
        .progress(Progress::Silent);
    let h = trainer.fit(&mut n, &data, Some(&data)).unwrap();
    assert_eq!(h.log.len(), 300, "10 iterations per epoch, one log point every 10");
    assert_eq!(h.epochs.len(), 300);
    assert_eq!((h.log[0].epoch, h.log[0].iter, h.log[0].iters), (1, 10, 10));
    assert!((h.log[0].loss - 3f64.ln()).abs() < 0.05, "first loss {}", h.log[0].loss);
    let last = h.epochs.last().unwrap();
    let eval = last.eval.unwrap();
    assert!(last.train_loss < 0.2, "last epoch's mean loss {}", last.train_loss);
    assert!(eval.loss < 0.15 && eval.accuracy.unwrap() >= 0.95, "{eval:?}");
    let other = evaluate(&mut n, &data, 64).unwrap();
    assert!(
        (other.loss - eval.loss).abs() < 1e-6 && other.accuracy == eval.accuracy,
        "evaluation should not depend on the batch size: {other:?} vs {eval:?}"
    );
    assert_eq!(
        h.log[0].to_string(),
        format!("| epoch 1 | iter 10 / 10 | loss {:.2}", h.log[0].loss)
    );
}

#[test]
fn log_every_and_short_batches() {
    let data = spiral_with::<f64>(11, 3, 0); // 33 samples: 4 batches of 8 and one of 1
    let mut n = net::<f64>(0);
    let mut t = Trainer::new(Sgd::new(0.5))
        .epochs(2)
        .batch_size(8)
        .log_every(2)
        .progress(Progress::Silent);
    let h = t.fit(&mut n, &data, None).unwrap();
    let iters: Vec<(usize, usize)> = h.log.iter().map(|p| (p.epoch, p.iter)).collect();
    assert_eq!(iters, [(1, 2), (1, 4), (1, 5), (2, 2), (2, 4), (2, 5)]);
    assert!(h.epochs.iter().all(|e| e.eval.is_none()));
    let mut t = t.drop_last(true).log_every(0);
    t.reset(); // a new run: the last one kept its short batches
    let h = t.fit(&mut n, &data, None).unwrap();
    assert_eq!(h.log.iter().map(|p| p.iter).collect::<Vec<_>>(), [4, 4]);
}

#[test]
fn the_same_seeds_replay_the_same_run() {
    let data = spiral::<f32>(3);
    let run = |seed| {
        let mut t = Trainer::new(Adam::with_lr(0.01))
            .epochs(3)
            .batch_size(30)
            .seed(seed)
            .progress(Progress::Silent);
        t.fit(&mut net::<f32>(5), &data, None).unwrap()
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8), "another shuffling seed gives another run");
}

#[test]
fn callback_sees_events_and_can_stop_early() {
    let data = spiral::<f32>(SPIRAL_SEED);
    let mut n = net::<f32>(1);
    let mut t = Trainer::new(Sgd::new(1.0))
        .epochs(100)
        .batch_size(30)
        .progress(Progress::Silent);
    let mut epochs_seen = 0;
    let mut logs_seen = 0;
    let h = t
        .fit_with(&mut n, &data, Some(&data), |_, e| match e {
            Event::Log(_) => {
                logs_seen += 1;
                Control::Continue
            }
            Event::Epoch(s) => {
                epochs_seen += 1;
                if s.eval.unwrap().accuracy.unwrap() > 0.6 {
                    Control::Stop
                } else {
                    Control::Continue
                }
            }
        })
        .unwrap();
    assert!(h.stopped);
    assert_eq!(h.epochs.len(), epochs_seen);
    assert_eq!(h.log.len(), logs_seen);
    assert!(epochs_seen < 100, "stopped after {epochs_seen} epochs");
    assert!(h.epochs.last().unwrap().eval.unwrap().accuracy.unwrap() > 0.6);
}

/// The callback sees the network as it is at each event: a copy taken at an epoch's end
/// evaluates to that epoch's held-out loss and accuracy, bit for bit; the copy of the last
/// epoch is the trained network.
#[test]
fn callback_sees_the_network_at_each_event() {
    let (train, test) = spiral::<f32>(SPIRAL_SEED).split(0.2, 0);
    let mut n = net::<f32>(1);
    let mut t = Trainer::new(Adam::with_lr(0.05))
        .epochs(4)
        .batch_size(30)
        .progress(Progress::Silent);
    let mut copies = Vec::new();
    let mut log_params = Vec::new();
    let h = t
        .fit_with(&mut n, &train, Some(&test), |net, e| {
            match e {
                Event::Epoch(s) => copies.push((s.eval.unwrap(), net.clone())),
                Event::Log(_) => log_params.push(net.affine1.w.clone()),
            }
            Control::Continue
        })
        .unwrap();
    assert_eq!(copies.len(), 4);
    for (i, (seen, copy)) in copies.iter_mut().enumerate() {
        let again = evaluate(copy, &test, 30).unwrap();
        assert_eq!(
            (again.loss.to_bits(), again.accuracy),
            (seen.loss.to_bits(), seen.accuracy),
            "epoch {}",
            i + 1
        );
    }
    assert_ne!(
        log_params.first(),
        log_params.last(),
        "the network trains between log points"
    );
    assert_eq!(copies.last().unwrap().1.affine1.w, n.affine1.w);
    assert_eq!(h.epochs.len(), 4);
}

/// "Train until the callback stops": an epoch count far beyond any run (`1 << 40`, or
/// `usize::MAX`) must not size the history by it (35 TB, or a capacity overflow), nor
/// overflow the progress total.
#[test]
fn a_huge_epoch_count_trains_until_the_callback_stops() {
    let data = spiral::<f32>(SPIRAL_SEED);
    for epochs in [1usize << 40, usize::MAX] {
        for progress in [Progress::Silent, Progress::Bar] {
            let mut n = net::<f32>(1);
            let mut t = Trainer::new(Sgd::new(1.0))
                .epochs(epochs)
                .batch_size(100)
                .log_every(1)
                .progress(progress);
            let h = t
                .fit_with(&mut n, &data, None, |_, e| match e {
                    Event::Epoch(s) if s.epoch == 2 => Control::Stop,
                    _ => Control::Continue,
                })
                .unwrap();
            assert!(h.stopped);
            assert_eq!(h.epochs.len(), 2, "epochs({epochs})");
            assert_eq!(h.log.len(), 2 * 3, "epochs({epochs}): 3 batches of 100 per epoch");
            // a bounded reservation, not one proportional to the epochs
            assert!(h.epochs.capacity() <= 1 << 16, "{}", h.epochs.capacity());
            assert!(h.log.capacity() <= 1 << 16, "{}", h.log.capacity());
        }
    }
}

#[test]
fn a_diverging_loss_stops_training_with_an_error() {
    let data = spiral::<f32>(SPIRAL_SEED);
    let mut n = net::<f32>(1);
    // The softmax cross-entropy stays finite as long as the scores are finite (it is
    // computed as a log-softmax), so the loss turns NaN only once a score overflows to
    // infinity (softmax then computes inf - inf): a learning rate of f32::MAX gets there
    // within a few steps.
    let mut t = Trainer::new(Sgd::new(f32::MAX))
        .epochs(50)
        .batch_size(30)
        .progress(Progress::Silent);
    let e = t.fit(&mut n, &data, None).unwrap_err();
    let TrainError::NonFiniteLoss {
        epoch,
        iter,
        loss,
        last_finite,
    } = e.clone()
    else {
        panic!("expected NonFiniteLoss, got {e:?}")
    };
    assert!(!loss.is_finite());
    let last = last_finite.expect("the first steps had finite losses");
    assert!(last.is_finite());
    assert!((1..=10).contains(&iter) && epoch >= 1, "epoch {epoch} iter {iter}");
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("epoch {epoch}, iteration {iter}"))
            && msg.contains(&format!("last finite loss was {last}")),
        "{msg}"
    );
}

#[test]
fn an_empty_training_set_is_an_error() {
    let data = spiral_with::<f32>(0, 3, 0);
    let mut t = Trainer::new(Sgd::new(1.0)).progress(Progress::Silent);
    assert_eq!(
        t.fit(&mut net::<f32>(0), &data, None).unwrap_err(),
        TrainError::NoBatch {
            samples: 0,
            batch_size: 32
        }
    );
}

nn::network! {
    /// A binary classifier (labels 0 and 1).
    struct Binary { input: 2, fc: Affine(1), loss: SigmoidWithLoss }
}

nn::network! {
    /// Two sigmoid outputs: multi-label targets, no class indices.
    struct TwoLabels { input: 2, fc: Affine(2), loss: SigmoidWithLoss }
}

/// The spiral's samples with its labels, one of them (`at`) replaced by `label`, without
/// the data set's own range check.
fn relabelled(at: usize, label: usize) -> nn_core::data::Dataset<f32, 2> {
    let data = spiral::<f32>(SPIRAL_SEED);
    let mut labels = data.labels().to_vec();
    labels[at] = label;
    nn_core::data::Dataset::new(data.x().clone(), labels).unwrap()
}

#[test]
fn a_label_out_of_range_is_an_error_before_any_step() {
    let mut n = net::<f32>(1);
    let before = n.affine1.w.clone();
    let mut t = Trainer::new(Sgd::new(1.0)).progress(Progress::Silent);
    let bad = relabelled(123, 3);
    let err = t.fit(&mut n, &bad, None).unwrap_err();
    assert_eq!(
        err,
        TrainError::LabelOutOfRange {
            set: "training set",
            sample: 123,
            label: 3,
            classes: 3
        }
    );
    assert_eq!(
        err.to_string(),
        "label 3 of sample 123 of the training set is out of range: the loss has 3 classes (labels 0..3)"
    );
    // in the held-out set, past the first chunk of labels the check gathers
    let err = t
        .fit(&mut n, &spiral::<f32>(SPIRAL_SEED), Some(&relabelled(299, 7)))
        .unwrap_err();
    assert_eq!(
        err,
        TrainError::LabelOutOfRange {
            set: "held-out set",
            sample: 299,
            label: 7,
            classes: 3
        }
    );
    assert_eq!(n.affine1.w, before, "no step was taken");
    assert!(matches!(
        t.state::<f32>(),
        Err(nn_core::optim::StateError::NoState { .. })
    ));

    // a binary loss takes 0 and 1; two sigmoid outputs take no class indices at all
    let binary = nn_core::data::Dataset::new(spiral::<f32>(SPIRAL_SEED).x().clone(), vec![1; 300]).unwrap();
    let mut b = Binary::<f32>::new(&mut ChaCha8Rng::seed_from_u64(0));
    assert!(t.fit(&mut b, &binary, None).is_ok());
    let mut t = Trainer::new(Sgd::new(1.0)).progress(Progress::Silent);
    let err = t.fit(&mut b, &relabelled(5, 2), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "label 2 of sample 5 of the training set is out of range: the loss has 2 classes (labels 0..2)"
    );
    let mut two = TwoLabels::<f32>::new(&mut ChaCha8Rng::seed_from_u64(0));
    let err = t.fit(&mut two, &binary, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "sample 0 of the training set has the class label 1, but the loss takes no class indices (give it a batch of 0/1 targets)"
    );
}

nn::network! {
    /// A line fitted by least squares.
    struct Line { input: 1, fc: Affine(1), loss: MeanSquaredError }
}

/// 100 samples `x = i / 100` with target 0, sample `huge` (if any) at `1e200`: finite, but
/// its squared error overflows.
fn line_data(huge: Option<usize>) -> nn_core::data::Dataset<f64, 1, nn_core::Batch<f64, 1>> {
    let x = nn_core::Batch::<f64, 1>::from_fn(100, |_, i| if Some(i) == huge { 1e200 } else { i as f64 / 100.0 });
    nn_core::data::Dataset::regression(x, nn_core::Batch::from_fn(100, |_, _| 0.0)).unwrap()
}

#[test]
fn evaluate_is_an_error_for_no_samples_or_a_non_finite_loss() {
    let mut n = net::<f32>(0);
    let empty = spiral_with::<f32>(0, 3, 0);
    let err = evaluate(&mut n, &empty, 10).unwrap_err();
    assert_eq!(err, TrainError::NoSamples { set: "data set" });
    assert_eq!(err.to_string(), "the data set has no samples to evaluate");
    assert_eq!(
        evaluate(&mut n, &relabelled(42, 3), 10).unwrap_err(),
        TrainError::LabelOutOfRange {
            set: "data set",
            sample: 42,
            label: 3,
            classes: 3
        }
    );

    let mut line = Line::new_f64(&mut ChaCha8Rng::seed_from_u64(0));
    assert!(evaluate(&mut line, &line_data(None), 32).unwrap().loss.is_finite());
    let err = evaluate(&mut line, &line_data(Some(73)), 32).unwrap_err();
    assert_eq!(
        err,
        TrainError::NonFiniteEvaluation {
            set: "data set",
            epoch: None,
            batch: Some(2),
            sample: Some(73),
            loss: f64::INFINITY
        }
    );
    assert_eq!(
        err.to_string(),
        "evaluating the data set: the loss of sample 73 (batch 2) is inf"
    );
}

#[test]
fn fit_stops_on_an_empty_or_non_finite_held_out_set() {
    let mut n = net::<f32>(0);
    let before = n.affine1.w.clone();
    let mut t = Trainer::new(Sgd::new(1.0)).progress(Progress::Silent);
    let data = spiral::<f32>(SPIRAL_SEED);
    assert_eq!(
        t.fit(&mut n, &data, Some(&spiral_with::<f32>(0, 3, 0))).unwrap_err(),
        TrainError::NoSamples { set: "held-out set" }
    );
    assert_eq!(n.affine1.w, before, "no step was taken");

    let mut line = Line::new_f64(&mut ChaCha8Rng::seed_from_u64(0));
    let mut t = Trainer::new(Sgd::new(0.1)).epochs(3).progress(Progress::Silent);
    let err = t
        .fit(&mut line, &line_data(None), Some(&line_data(Some(5))))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "evaluating the held-out set after epoch 1: the loss of sample 5 (batch 0) is inf"
    );
    assert!(t.state::<f64>().is_err(), "no run to continue after the error");
}
