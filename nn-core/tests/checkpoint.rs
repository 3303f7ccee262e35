//! Checkpoint files: N epochs written by `Checkpoint`, resumed from the file into a fresh
//! network, optimizer and trainer, N more epochs == 2N straight (parameters and history bit
//! for bit) for every built-in optimizer; keep-best; the file as a plain network file; and
//! every error (another network, float type, optimizer kind, batch size, data set length, a
//! file that is not a checkpoint, a corrupt or malformed one, a failed write), each leaving
//! network, optimizer and trainer unchanged.
#![cfg(feature = "safetensors")]

use std::collections::HashMap;
use std::path::Path;

use nn_core::data::{spiral, Dataset, SPIRAL_SEED};
use nn_core::optim::StateError;
use nn_core::persist::{LoadError, LoadOptions};
use nn_core::train::*;
use nn_core::{AdaGrad, Adam, InitScheme, Momentum, Network, Optimizer, Param, RmsProp, Sgd};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use safetensors::SafeTensors;

#[path = "common/two_layer_net.rs"]
mod two_layer_net;
use two_layer_net::TwoLayerNet;

nn::network! {
    /// Another network (other widths) for the mismatch errors.
    pub struct WideNet { input: 2, fc1: Affine(5), act: Tanh, fc2: Affine(3), loss: SoftmaxWithLoss }
}

fn net(seed: u64) -> TwoLayerNet<f64> {
    net_in(seed)
}

fn net_in<T: nn_core::Float>(seed: u64) -> TwoLayerNet<T> {
    <TwoLayerNet<T> as nn_core::Network<T, 2, 3>>::with_init(&mut ChaCha8Rng::seed_from_u64(seed), InitScheme::Auto)
}

fn bits<T: nn_core::Float, N: Network<T, 2, 3>>(net: &mut N) -> Vec<Vec<u64>> {
    let mut out = Vec::new();
    // f32 → f64 is exact, so equal f64 bits are equal f32 bits.
    net.visit_params(&mut |p| out.push(p.value.iter().map(|v| v.as_f64().to_bits()).collect()));
    out
}

/// The history with every float as bits, one line per log point and epoch.
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

fn trainer<O>(opt: O, epochs: usize) -> Trainer<O> {
    Trainer::new(opt)
        .epochs(epochs)
        .batch_size(7)
        .log_every(4)
        .seed(3)
        .progress(Progress::Silent)
}

fn data() -> (Dataset<f64, 2>, Dataset<f64, 2>) {
    spiral::<f64>(SPIRAL_SEED).split(0.2, 1)
}

/// `n` epochs with a checkpoint after the last; a zeroed network, a fresh optimizer (other
/// hyperparameters) and a fresh trainer resume from the file; `n` more epochs == `2n`
/// straight.
fn check_file_resume<O: Optimizer<f64> + Clone>(name: &str, opt: O, fresh: O, n: usize, dir: &Path) {
    check_file_resume_in::<f64, O>(name, opt, fresh, n, dir);
}

/// [`check_file_resume`] for a network, data set and optimizer of `T`.
fn check_file_resume_in<T: nn_core::Float, O: Optimizer<T> + Clone>(
    name: &str,
    opt: O,
    fresh: O,
    n: usize,
    dir: &Path,
) {
    let (train, test) = spiral::<T>(SPIRAL_SEED).split(0.2, 1);
    let mut straight_net = net_in::<T>(3);
    let all = trainer(opt.clone(), 2 * n)
        .fit(&mut straight_net, &train, Some(&test))
        .unwrap();

    let path = dir.join(format!("{name}.safetensors"));
    let mut first_net = net_in::<T>(3);
    trainer(opt, n)
        .checkpoint(Checkpoint::to(&path).every(n + 1)) // written after the last epoch
        .fit(&mut first_net, &train, Some(&test))
        .unwrap();

    let mut second_net = <TwoLayerNet<T> as nn::Network<T, 2, 3>>::zeroed();
    let mut second = trainer(fresh, 2 * n).seed(999);
    second.resume(&mut second_net, &path).unwrap();
    assert_eq!(
        bits(&mut second_net),
        bits(&mut first_net),
        "{name}: the network is the file's"
    );
    let resumed = second.fit(&mut second_net, &train, Some(&test)).unwrap();
    assert_eq!(bits(&mut second_net), bits(&mut straight_net), "{name}: parameters");
    assert_eq!(history_bits(&resumed), history_bits(&all), "{name}: history");
}

#[test]
fn sgd_and_adam_resume_from_a_file_bit_identically() {
    let dir = tempfile::tempdir().unwrap();
    check_file_resume("Sgd", Sgd::new(1.0), Sgd::new(0.1), 3, dir.path());
    check_file_resume("Adam", Adam::with_lr(0.01), Adam::default(), 3, dir.path());
    // f32: the network, the optimizer's scalars and buffers as F32 tensors.
    check_file_resume_in::<f32, _>("Sgd32", Sgd::new(1.0), Sgd::new(0.1), 3, dir.path());
    check_file_resume_in::<f32, _>("Adam32", Adam::with_lr(0.01), Adam::default(), 3, dir.path());
}

#[test]
fn the_other_optimizers_resume_from_a_file_bit_identically() {
    let dir = tempfile::tempdir().unwrap();
    check_file_resume("Momentum", Momentum::new(0.1, 0.9), Momentum::default(), 2, dir.path());
    check_file_resume("AdaGrad", AdaGrad::new(0.1), AdaGrad::default(), 2, dir.path());
    check_file_resume("RmsProp", RmsProp::new(0.01, 0.9), RmsProp::default(), 2, dir.path());
}

#[test]
fn every_k_epochs_and_keep_best() {
    let dir = tempfile::tempdir().unwrap();
    let (last, best) = (dir.path().join("last.safetensors"), dir.path().join("best.safetensors"));
    let (train, test) = data();
    // A high learning rate makes the held-out loss go up and down.
    let mut n = net(3);
    let mut seen = Vec::new();
    let all = trainer(Sgd::new(3.0), 9)
        .checkpoint(Checkpoint::to(&last).every(4).keep_best(&best))
        .fit_with(&mut n, &train, Some(&test), |_, e| {
            if let Event::Epoch(s) = e {
                // what the files hold when the epoch's callback runs
                let epoch_of = |p: &Path| {
                    let mut t = trainer(Sgd::new(3.0), 100);
                    t.resume(&mut net(0), p).unwrap();
                    t.state::<f64>().unwrap().epoch
                };
                seen.push((s.epoch, last.exists().then(|| epoch_of(&last)), epoch_of(&best)));
            }
            Control::Continue
        })
        .unwrap();
    let losses: Vec<f64> = all.epochs.iter().map(|e| e.eval.unwrap().loss).collect();
    let mut best_so_far = 0;
    for (i, &(epoch, periodic, best_epoch)) in seen.iter().enumerate() {
        if losses[i] < losses[best_so_far] {
            best_so_far = i;
        }
        assert_eq!(
            best_epoch,
            best_so_far + 1,
            "epoch {epoch}: best file (losses {losses:?})"
        );
        let want = (epoch >= 4).then_some(epoch / 4 * 4);
        assert_eq!(periodic, want, "epoch {epoch}: periodic file");
    }
    assert!(
        seen.iter().map(|s| s.2).collect::<std::collections::HashSet<_>>().len() > 1 && seen.last().unwrap().2 < 9,
        "the test needs a best epoch that moves and is not the last: {losses:?}"
    );
    // After the fit the periodic file holds the last epoch (9 is not a multiple of 4).
    let mut t = trainer(Sgd::new(3.0), 9);
    t.resume(&mut net(0), &last).unwrap();
    assert_eq!(t.state::<f64>().unwrap().epoch, 9);

    // The best file resumes too: its network is the one after the best epoch, and training
    // on from it replays the straight run.
    let b = seen.last().unwrap().2;
    let mut at_best = net(3);
    trainer(Sgd::new(3.0), b)
        .fit(&mut at_best, &train, Some(&test))
        .unwrap();
    let mut from_best = TwoLayerNet::zeroed_f64();
    let mut t = trainer(Sgd::new(1.0), 9);
    t.resume(&mut from_best, &best).unwrap();
    assert_eq!(bits(&mut from_best), bits(&mut at_best));
    let h = t.fit(&mut from_best, &train, Some(&test)).unwrap();
    assert_eq!(history_bits(&h), history_bits(&all));
    assert_eq!(bits(&mut from_best), bits(&mut n));
}

#[test]
fn keep_best_without_a_held_out_set_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (train, _) = data();
    let best = dir.path().join("best.safetensors");
    let err = trainer(Sgd::new(1.0), 2)
        .checkpoint(Checkpoint::to(dir.path().join("last.safetensors")).keep_best(&best))
        .fit(&mut net(0), &train, None)
        .unwrap_err();
    assert_eq!(err, TrainError::KeepBestWithoutEval { path: best.clone() });
    assert!(err.to_string().contains("but `fit` was given no held-out set"), "{err}");
    assert!(!best.exists());
}

#[test]
fn a_checkpoint_reads_as_a_network_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.safetensors");
    let (train, _) = data();
    let mut n = net(3);
    let t = {
        let mut t = trainer(Adam::with_lr(0.01), 2);
        t.fit(&mut n, &train, None).unwrap();
        t
    };
    t.save_checkpoint(&n, &path).unwrap();
    let mut back = TwoLayerNet::<f64>::load_with(&path, &LoadOptions::new().allow_unexpected(true)).unwrap();
    assert_eq!(bits(&mut back), bits(&mut n));
    // without the option, the trainer's tensors are unexpected
    let Err(err) = TwoLayerNet::<f64>::load(&path) else {
        panic!("a checkpoint is not a plain network file")
    };
    assert!(matches!(err, LoadError::UnexpectedTensors { .. }), "{err}");
    let bytes = std::fs::read(&path).unwrap();
    let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
    let meta = meta.metadata().clone().unwrap();
    assert_eq!(
        (meta["nn.checkpoint"].as_str(), meta["nn.optimizer"].as_str()),
        ("1", "Adam")
    );
}

/// A 2-epoch Adam checkpoint of `net(3)` at `path`.
fn adam_checkpoint(path: &Path) {
    let (train, _) = data();
    trainer(Adam::with_lr(0.01), 2)
        .checkpoint(Checkpoint::to(path))
        .fit(&mut net(3), &train, None)
        .unwrap();
}

/// Resumes `path` into `net(7)` and a fresh Adam trainer expecting an error; checks that
/// nothing changed.
fn resume_err(path: &Path) -> CheckpointError {
    let mut n = net(7);
    let before = bits(&mut n);
    let mut t = trainer(Adam::<f64>::default(), 4);
    let err = t.resume(&mut n, path).unwrap_err();
    assert_eq!(
        bits(&mut n),
        before,
        "a failed resume leaves the network unchanged ({err})"
    );
    assert_eq!(t.optimizer.steps(), 0, "and the optimizer ({err})");
    assert!(t.state::<f64>().is_err(), "and the trainer ({err})");
    err
}

/// Rewrites the checkpoint at `from` into `to` with `edit` applied to its tensors and
/// metadata.
fn rewrite(
    from: &Path,
    to: &Path,
    edit: impl FnOnce(&mut Vec<(String, safetensors::Dtype, Vec<usize>, Vec<u8>)>, &mut HashMap<String, String>),
) {
    let bytes = std::fs::read(from).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut meta = SafeTensors::read_metadata(&bytes)
        .unwrap()
        .1
        .metadata()
        .clone()
        .unwrap();
    let mut tensors: Vec<_> = st
        .tensors()
        .into_iter()
        .map(|(k, v)| (k, v.dtype(), v.shape().to_vec(), v.data().to_vec()))
        .collect();
    edit(&mut tensors, &mut meta);
    let views = tensors.iter().map(|(k, d, s, b)| {
        (
            k.clone(),
            safetensors::tensor::TensorView::new(*d, s.clone(), b).unwrap(),
        )
    });
    std::fs::write(to, safetensors::serialize(views, Some(meta)).unwrap()).unwrap();
}

#[test]
fn resume_errors_name_the_file_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.safetensors");
    adam_checkpoint(&good);
    let bad = dir.path().join("bad.safetensors");
    let shown = |e: &CheckpointError| e.to_string().replace(&*bad.to_string_lossy(), "FILE");

    // Not there.
    let err = resume_err(&dir.path().join("missing.safetensors"));
    assert!(matches!(err, CheckpointError::Load(LoadError::Io { .. })), "{err}");
    // Truncated.
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(&bad, &bytes[..bytes.len() / 2]).unwrap();
    let err = resume_err(&bad);
    assert!(matches!(err, CheckpointError::Load(LoadError::Corrupt { .. })), "{err}");
    // A plain network file.
    net(3).save(&bad).unwrap();
    let err = resume_err(&bad);
    assert_eq!(
        shown(&err),
        "FILE: not an nn checkpoint (its metadata has no `nn.checkpoint` entry); a network file loads with `Net::load`"
    );
    // Another format version.
    rewrite(&good, &bad, |_, m| {
        m.insert("nn.checkpoint".into(), "7".into());
    });
    assert_eq!(
        shown(&resume_err(&bad)),
        "FILE: checkpoint format version 7; this nn reads version 1"
    );
    // A missing trainer tensor.
    rewrite(&good, &bad, |t, _| t.retain(|e| e.0 != "trainer.order"));
    assert_eq!(
        shown(&resume_err(&bad)),
        "FILE: checkpoint tensor `trainer.order` is missing (not a complete nn checkpoint)"
    );
    // A network tensor with a NaN: the optimizer was already loaded and is put back.
    rewrite(&good, &bad, |t, _| {
        let w = t.iter_mut().find(|e| e.0 == "affine2.weight").unwrap();
        w.3[8..16].copy_from_slice(&f64::NAN.to_le_bytes());
    });
    let err = resume_err(&bad);
    assert!(
        matches!(&err, CheckpointError::Load(LoadError::NonFinite { tensor, index, .. }) if tensor == "affine2.weight" && index == &[0, 1]),
        "{err}"
    );
    // A permutation that is not one.
    rewrite(&good, &bad, |t, _| {
        let o = t.iter_mut().find(|e| e.0 == "trainer.order").unwrap();
        o.3[0..8].copy_from_slice(&1000u64.to_le_bytes());
    });
    assert_eq!(
        shown(&resume_err(&bad)),
        "FILE: the saved sample order is not a permutation of 0..240: entry 0 is 1000"
    );
}

#[test]
fn another_network_float_optimizer_or_batch_size_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.safetensors");
    adam_checkpoint(&path);
    let shown = |e: CheckpointError| e.to_string().replace(&*path.to_string_lossy(), "FILE");

    let mut wide = WideNet::zeroed_f64();
    let err = trainer(Adam::<f64>::default(), 4).resume(&mut wide, &path).unwrap_err();
    assert!(
        matches!(err, CheckpointError::Load(LoadError::OtherNetwork { .. })),
        "{err}"
    );
    assert!(shown(err).starts_with("FILE: the file was saved from another network"));

    let mut n32 = TwoLayerNet::zeroed();
    let err = trainer(Adam::<f32>::default(), 4).resume(&mut n32, &path).unwrap_err();
    assert_eq!(
        shown(err),
        "FILE: the checkpoint was saved from an f64 network but is being resumed into an f32 one"
    );

    let err = trainer(Sgd::<f64>::new(1.0), 4).resume(&mut net(0), &path).unwrap_err();
    assert_eq!(
        shown(err),
        "FILE: the saved optimizer state is from Adam, but it is being loaded into Sgd"
    );

    let err = trainer(Adam::<f64>::default(), 4)
        .batch_size(8)
        .resume(&mut net(0), &path)
        .unwrap_err();
    assert_eq!(
        shown(err),
        "FILE: the saved run used batch size 7 but the trainer is set to 8"
    );

    // A training set of another length: `fit` refuses before any step.
    let mut t = trainer(Adam::<f64>::default(), 4);
    let mut n = net(0);
    t.resume(&mut n, &path).unwrap();
    let before = bits(&mut n);
    let err = t.fit(&mut n, &spiral::<f64>(1), None).unwrap_err();
    assert_eq!(err, TrainError::Resume(StateError::Samples { saved: 240, found: 300 }));
    assert_eq!(bits(&mut n), before);
}

#[test]
fn a_failed_checkpoint_write_stops_training_with_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (train, _) = data();
    let path = dir.path().join("no-such-dir").join("c.safetensors");
    let err = trainer(Sgd::new(1.0), 5)
        .checkpoint(Checkpoint::to(&path).every(2))
        .fit(&mut net(0), &train, None)
        .unwrap_err();
    let TrainError::Checkpoint { epoch, message } = &err else {
        panic!("{err}")
    };
    assert_eq!(*epoch, 2);
    assert!(message.contains(&*path.to_string_lossy()), "{message}");

    // An optimizer that cannot save its state fails before the first epoch.
    #[derive(Clone)]
    struct Plain;
    impl Optimizer<f64> for Plain {
        fn update(&mut self, _: usize, _: Param<'_, f64>) {}
    }
    let err = trainer(Plain, 5)
        .checkpoint(Checkpoint::to(dir.path().join("p.safetensors")))
        .fit(&mut net(0), &train, None)
        .unwrap_err();
    assert!(
        matches!(&err, TrainError::Checkpoint { epoch: 0, message } if message.contains("cannot save or load its state")),
        "{err}"
    );
}

/// Thousands of deterministic corruptions of a valid checkpoint (byte flips in the header
/// and the data, truncations): `resume_from_safetensors` gives `Ok` or an error, never a
/// panic, and a resumed run then trains (or refuses) without a panic either.
#[test]
fn corrupted_checkpoints_never_panic() {
    let (train, _) = data();
    let mut t = trainer(Adam::with_lr(0.01), 1);
    let mut n = net(3);
    t.fit(&mut n, &train, None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.safetensors");
    t.save_checkpoint(&n, &path).unwrap();
    let good = std::fs::read(&path).unwrap();
    let header = u64::from_le_bytes(good[..8].try_into().unwrap()) as usize + 8;
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let (mut ok, mut failed) = (0, 0);
    for i in 0..3000 {
        let mut bytes = good.clone();
        match i % 3 {
            // a byte of the header (keys, dtypes, shapes, offsets, metadata)
            0 => {
                let at = rand::Rng::random_range(&mut rng, 0..header);
                bytes[at] ^= 1 << rand::Rng::random_range(&mut rng, 0..8);
            }
            // a byte of the data (counts, order, rng, buffers, weights)
            1 => {
                let at = rand::Rng::random_range(&mut rng, header..bytes.len());
                bytes[at] = rand::Rng::random(&mut rng);
            }
            _ => bytes.truncate(rand::Rng::random_range(&mut rng, 0..bytes.len())),
        }
        let mut t = trainer(Adam::<f64>::default(), 2);
        let mut n = net(0);
        match t.resume_from_safetensors(&mut n, &bytes) {
            Ok(()) => {
                ok += 1;
                let _ = t.fit(&mut n, &train, None);
            }
            Err(_) => failed += 1,
        }
    }
    assert!(ok > 0 && failed > 0, "{ok} resumed, {failed} refused");
}
