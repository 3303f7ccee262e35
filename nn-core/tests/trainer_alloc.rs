//! The trainer's epochs allocate nothing: a run of 6 epochs makes exactly as many heap
//! allocations as a run of 1 (all of them set-up: history capacity, batch buffers, the
//! network's buffers on the first batch, the optimizer's state on the first step).

use nn_core::alloc_counter::count_allocations;
use nn_core::data::spiral;
use nn_core::optim::AdamW;
use nn_core::train::{Progress, Trainer};
use nn_core::{Adam, Optimizer, Sgd};
use rand::SeedableRng;

#[path = "common/two_layer_net.rs"]
mod two_layer_net;
use two_layer_net::TwoLayerNet;

fn allocations_of_a_run<O: Optimizer<f32>>(opt: O, epochs: usize, batch: usize) -> u64 {
    let data = spiral::<f32>(1984);
    let (train, test) = data.split(0.2, 0);
    let mut net = TwoLayerNet::with_init(
        &mut rand_chacha::ChaCha8Rng::seed_from_u64(0),
        nn_core::InitScheme::Book,
    );
    let mut trainer = Trainer::new(opt)
        .epochs(epochs)
        .batch_size(batch)
        .progress(Progress::Silent);
    let (history, n) = count_allocations(|| trainer.fit(&mut net, &train, Some(&test)).unwrap());
    assert_eq!(history.epochs.len(), epochs);
    n
}

#[test]
fn epochs_after_the_first_allocate_nothing() {
    // batch 7 leaves a short last batch (240 = 34·7 + 2) in training and evaluation
    for batch in [30, 7] {
        let one = allocations_of_a_run(Sgd::new(1.0), 1, batch);
        let six = allocations_of_a_run(Sgd::new(1.0), 6, batch);
        assert_eq!(
            one, six,
            "Sgd, batch {batch}: 1 epoch made {one} allocations, 6 epochs {six}"
        );
        let one = allocations_of_a_run(Adam::default(), 1, batch);
        let six = allocations_of_a_run(Adam::default(), 6, batch);
        assert_eq!(
            one, six,
            "Adam, batch {batch}: 1 epoch made {one} allocations, 6 epochs {six}"
        );
        assert!(one > 0, "the counter counts");
        // weight decay (L2 and decoupled) adds no buffer
        let one = allocations_of_a_run(Sgd::new(1.0).weight_decay(0.01), 1, batch);
        let six = allocations_of_a_run(Sgd::new(1.0).weight_decay(0.01), 6, batch);
        assert_eq!(one, six, "Sgd with weight decay, batch {batch}: {one} vs {six}");
        let one = allocations_of_a_run(AdamW::default(), 1, batch);
        let six = allocations_of_a_run(AdamW::default(), 6, batch);
        assert_eq!(one, six, "AdamW, batch {batch}: {one} vs {six}");
    }
}

/// Clipped steps (forward, backward, the norm, the update on a scaled copy) allocate
/// nothing either: in the trainer (1 epoch as many allocations as 6) and in a hand-written
/// loop (none after the first step).
#[test]
fn clipped_steps_allocate_nothing() {
    use nn_core::optim::clip::ClipGradNorm;
    let data = spiral::<f32>(1984);
    let run = |epochs, batch| {
        let mut net = TwoLayerNet::with_init(
            &mut rand_chacha::ChaCha8Rng::seed_from_u64(0),
            nn_core::InitScheme::Book,
        );
        let mut trainer = Trainer::new(Adam::default())
            .epochs(epochs)
            .batch_size(batch)
            .clip_grad_norm(1e-4)
            .progress(Progress::Silent);
        count_allocations(|| trainer.fit(&mut net, &data, Some(&data)).unwrap()).1
    };
    for batch in [30, 7] {
        assert_eq!(run(1, batch), run(6, batch), "batch {batch}");
    }
    let mut net = TwoLayerNet::<f32>::with_init(
        &mut rand_chacha::ChaCha8Rng::seed_from_u64(0),
        nn_core::InitScheme::Book,
    );
    let (x, labels) = (data.x().as_view(), data.labels());
    let mut opt = Adam::default();
    let mut clip = ClipGradNorm::new(1e-4);
    let mut step = || {
        net.forward(x, labels);
        net.backward();
        clip.apply(&mut opt, |f| net.visit_params(f))
    };
    step();
    let (norms, n) = count_allocations(|| (0..5).map(|_| step()).fold(0.0, f64::max));
    assert!(norms > 1e-4, "the steps were clipped");
    assert_eq!(n, 0, "5 clipped steps after the first allocated {n} times");
}

/// Allocations of a `fit` that resumes a 2-epoch run and trains `more` epochs.
fn allocations_of_a_resumed_run<O: Optimizer<f32> + Clone>(opt: O, more: usize) -> u64 {
    let data = spiral::<f32>(1984);
    let (train, test) = data.split(0.2, 0);
    let mut net = TwoLayerNet::with_init(
        &mut rand_chacha::ChaCha8Rng::seed_from_u64(0),
        nn_core::InitScheme::Book,
    );
    let mut first = Trainer::new(opt.clone())
        .epochs(2)
        .batch_size(7)
        .progress(Progress::Silent);
    first.fit(&mut net, &train, Some(&test)).unwrap();
    let mut trainer = Trainer::new(opt)
        .epochs(2 + more)
        .batch_size(7)
        .progress(Progress::Silent);
    trainer.restore(&mut net, first.state().unwrap()).unwrap();
    let (history, n) = count_allocations(|| trainer.fit(&mut net, &train, Some(&test)).unwrap());
    assert_eq!(history.epochs.len(), 2 + more);
    n
}

#[test]
fn resumed_epochs_allocate_nothing() {
    let (one, six) = (
        allocations_of_a_resumed_run(Sgd::new(1.0), 1),
        allocations_of_a_resumed_run(Sgd::new(1.0), 6),
    );
    assert_eq!(one, six, "Sgd: 1 resumed epoch made {one} allocations, 6 epochs {six}");
    let (one, six) = (
        allocations_of_a_resumed_run(Adam::default(), 1),
        allocations_of_a_resumed_run(Adam::default(), 6),
    );
    assert_eq!(one, six, "Adam: 1 resumed epoch made {one} allocations, 6 epochs {six}");
}

/// Checkpoints are written between epochs: with a checkpoint after every epoch and
/// keep-best, the steps between two log points of an epoch still allocate nothing, while
/// each epoch boundary (the writes) does.
#[cfg(feature = "safetensors")]
#[test]
fn checkpointing_adds_no_allocation_to_the_steps() {
    use nn_core::alloc_counter::allocations_on_this_thread;
    use nn_core::train::{Checkpoint, Control, Event};

    let dir = tempfile::tempdir().unwrap();
    let data = spiral::<f32>(1984);
    let (train, test) = data.split(0.2, 0);
    let mut net = TwoLayerNet::with_init(
        &mut rand_chacha::ChaCha8Rng::seed_from_u64(0),
        nn_core::InitScheme::Book,
    );
    let mut trainer = Trainer::new(Adam::default())
        .epochs(4)
        .batch_size(7)
        .log_every(5)
        .progress(Progress::Silent)
        .checkpoint(Checkpoint::to(dir.path().join("last.safetensors")).keep_best(dir.path().join("best.safetensors")));
    let mut marks: Vec<(usize, u64)> = Vec::with_capacity(1000);
    trainer
        .fit_with(&mut net, &train, Some(&test), |_, e| {
            if let Event::Log(p) = e {
                marks.push((p.epoch, allocations_on_this_thread()));
            }
            Control::Continue
        })
        .unwrap();
    assert!(dir.path().join("last.safetensors").exists() && dir.path().join("best.safetensors").exists());
    for w in marks.windows(2).filter(|w| w[0].0 >= 2) {
        let ((e0, a0), (e1, a1)) = (w[0], w[1]);
        if e0 == e1 {
            assert_eq!(a0, a1, "epoch {e0}: steps between two log points allocated {}", a1 - a0);
        } else {
            assert!(
                a1 > a0,
                "the checkpoint after epoch {e0} allocates (the counter counts)"
            );
        }
    }
}
