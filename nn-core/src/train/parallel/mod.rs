//! Data-parallel training on two threads: every batch is split in two column ranges, one
//! per core, and the two halves' gradients are combined before one optimizer step.
//!
//! # The math
//! A batch of `N` samples is split into the first `n₀ = N − ⌊N/2⌋` columns (trained on the
//! calling thread, by the network [`DataParallel`] keeps) and the last `n₁ = ⌊N/2⌋` (trained
//! on a worker thread, by a clone of it). Every loss of `nn` is a mean over the samples of
//! its batch, so with `L₀`, `L₁` and `g₀`, `g₁` the losses and gradients of the two halves,
//! the loss and gradient of the whole batch are the weighted means
//!
//! ```text
//! L = (n₀·L₀ + n₁·L₁) / N        g = (n₀·g₀ + n₁·g₁) / N
//! ```
//!
//! which is what a single-threaded `train_step` on the whole batch computes, up to float
//! rounding. This needs layers whose forward pass treats samples independently (every layer
//! of `nn` does; a batch normalisation would not). The optimizer then updates the caller's
//! network from `g` once, exactly as `train_step` would, and the worker's copy receives the
//! new values before its next step.
//!
//! # Threads and memory
//! [`DataParallel::new`] spawns one persistent worker thread and allocates one flat buffer of
//! `param_count()` scalars; a step allocates nothing after each network has seen a batch of
//! its size. The two threads hand over with atomics, a short spin, a few yields and then
//! `std::thread::park` / `unpark`, with no lock and no allocation. Per step, the flat buffer
//! carries the worker's scaled gradient `n₁/N·g₁` to the caller, then the updated parameter
//! values back to the worker, which copies them into its network while the calling thread
//! returns to its own work.
//!
//! If the worker has not started on its half by the time the calling thread has finished
//! its own (the second core is busy with another process), the calling thread takes the
//! job back and trains the second half itself: the step then costs about two half-batch
//! steps on one core instead of waiting for the worker to be scheduled. The arithmetic is
//! the same either way (`n₀/N·g₀ + n₁/N·g₁`, one rounding per product and one per sum), so
//! the results do not depend on which thread ran the second half.
//!
//! # Panics
//! A panic in either half of a step (bad labels, a panicking optimizer) is raised on the
//! calling thread once the worker is idle: a panic on the worker is propagated with its
//! original payload. So is a panic while the worker copies new values into its network
//! (a layer's `visit_params`), which happens after `train_step` has returned: it is raised
//! by the next `train_step`, or else by `into_inner` or the drop. The `DataParallel` is then *poisoned* (the two networks may disagree):
//! later steps panic, while [`network`](DataParallel::network),
//! [`into_inner`](DataParallel::into_inner) and dropping it still work.
//!
//! ```
//! use nn::rand::SeedableRng;
//! use nn::{batch_from_rows, DataParallel, Sgd};
//!
//! nn::network! {
//!     /// Any `network!` struct with `#[derive(Clone)]` (here a 2 → 10 → 3 softmax classifier).
//!     #[derive(Clone)]
//!     pub struct TwoLayerNet {
//!         input: 2,
//!         affine1: Affine(10),
//!         sigmoid: Sigmoid,
//!         affine2: Affine(3),
//!         loss: SoftmaxWithLoss,
//!     }
//! }
//!
//! let net = TwoLayerNet::new_f64(&mut nn::rand_chacha::ChaCha8Rng::seed_from_u64(0));
//! let mut single = net.clone();
//! let mut par = DataParallel::new(net);
//!
//! let x = batch_from_rows(&[[0.0, 1.0], [1.0, 0.5], [-1.0, 0.2], [0.3, -0.7], [0.9, 0.9]]);
//! let labels = [0usize, 1, 2, 1, 0];
//! let mut sgd = Sgd::new(0.5);
//! for _ in 0..10 {
//!     let l2 = par.train_step(&x, &labels, &mut sgd); // what the network's own train_step takes
//!     let l1 = single.train_step(&x, &labels, &mut sgd);
//!     assert!((l1 - l2).abs() < 1e-12);
//! }
//! // Same parameters as the single-threaded run, up to rounding.
//! let (a, b) = (&par.network().affine1.w, &single.affine1.w);
//! assert!((a.as_ref() - b.as_ref()).amax() < 1e-12);
//! let net: TwoLayerNet<f64> = par.into_inner(); // joins the worker
//! # let _ = net;
//! ```

// The layout: this file has the public API and the step; `combine` the optimizer wrappers that
// combine the gradients in the flat buffer; `handoff` the worker thread. The cells the two
// threads share and their state machine, with all the `unsafe` of the hand-off, are in the
// kernel layer (`kernels/handoff.rs`), behind a safe API.
mod combine;
mod handoff;

use self::combine::{Combine, GradSink, Mode};
use crate::float::Float;
use crate::input::AsInput;
use crate::kernels::handoff::{CallerEnd, Finished};
use crate::layers::LossLayer;
use crate::network::Trainable;
use crate::optim::Optimizer;

/// Data-parallel training of network `N` over the samples of each batch, on the calling
/// thread and one worker thread (see the [module docs](self) for the math and the
/// protocol). Results equal a single-threaded [`Trainable::train_step`] on the whole batch up
/// to float rounding; a step allocates nothing in steady state, on either thread.
pub struct DataParallel<N, T: Float, const IN: usize, const OUT: usize> {
    net: N,
    /// The hand-off with the worker thread, which trains a clone of `net`.
    worker: CallerEnd<T, N>,
    /// `net`'s values may differ from `flat` (after `network_mut`): reload before the next
    /// step.
    stale: bool,
    /// A step is in progress or panicked.
    poisoned: bool,
    /// Train both halves on the calling thread (`set_one_thread`).
    one_thread: bool,
    /// `flat` holds values the worker has not copied yet.
    unsynced: bool,
    stats: ParallelStats,
}

/// How the steps of a [`DataParallel`] were shared between the threads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParallelStats {
    /// Steps on batches of 2 samples or more.
    pub split_steps: u64,
    /// Of those, the steps whose second half the worker trained (the others ran both halves
    /// on the calling thread: the worker had not started in time, or `set_one_thread`).
    pub worker_steps: u64,
}

impl<N, T, const IN: usize, const OUT: usize> DataParallel<N, T, IN, OUT>
where
    T: Float,
    N: Trainable<T, IN, OUT> + Clone + Send + 'static,
    for<'a> <N::Loss as LossLayer<T, OUT>>::Target<'a>: Send,
{
    /// Takes `net` (trained on the calling thread) and spawns one worker thread that trains
    /// a clone of it. Allocates the clone, the thread and a buffer of `param_count()`
    /// scalars, once. Panics if the thread cannot be spawned, or if the clone's
    /// `visit_params` does not visit tensors of the same sizes as `net`'s (a user layer whose
    /// `Clone` does not copy its parameters), or if the network is
    /// [`RECURRENT`](crate::Network::RECURRENT): its batches are time-major sequences, and two
    /// halves of their columns would be two halves of time, not two sets of samples.
    #[track_caller]
    pub fn new(mut net: N) -> Self {
        assert!(
            !N::RECURRENT,
            "DataParallel::new: `{}` has a recurrent layer; its batch columns are time steps, which cannot be split between two threads (train it on one thread)",
            core::any::type_name::<N>()
        );
        let mut replica = net.clone();
        let mut flat = Vec::with_capacity(net.param_count());
        net.visit_params(&mut |p| flat.extend_from_slice(p.value));
        check_same_layout(&mut net, &mut replica);
        let worker = handoff::spawn::<N, T, IN, OUT>(replica, flat);
        Self {
            net,
            worker,
            stale: false,
            poisoned: false,
            one_thread: false,
            unsynced: false,
            stats: ParallelStats::default(),
        }
    }

    /// One training step on batch `x` (`IN × N`, or a mini-batch read in place from its data
    /// set, [`Gather`](crate::input::Gather)) with targets `t`: forward and backward on the two
    /// halves in parallel, the combined gradient, one `opt` update. Takes the same arguments
    /// as a generated network's `train_step` and returns the mean loss of the batch. A batch of fewer than 2 samples is trained on the calling thread alone.
    ///
    /// Panics if a previous step panicked (see the [module docs](self#panics)), or with the
    /// network's own message for a bad batch.
    #[track_caller]
    pub fn train_step<'t, O: Optimizer<T> + ?Sized>(
        &mut self,
        x: impl AsInput<T, IN>,
        t: impl Into<<N::Loss as LossLayer<T, OUT>>::Target<'t>>,
        opt: &mut O,
    ) -> T {
        let x = x.as_input();
        let t = t.into();
        assert!(
            !self.poisoned,
            "DataParallel::train_step: an earlier step panicked, the two networks may disagree \
             (recover the network with into_inner)"
        );
        self.poisoned = true;
        // (The worker may still be copying the last values: every use of `self.worker` below
        // waits for it first.)
        if self.stale {
            handoff::load_values(&mut self.net, self.worker.values());
            self.stale = false;
            self.unsynced = true;
        }
        if self.unsynced && !self.one_thread {
            self.worker.sync();
            self.unsynced = false;
        }
        let n = x.ncols();
        let loss = if n < 2 {
            self.net
                .train_step(x, t, &mut Combine::new(opt, self.worker.values(), Mode::Alone))
        } else {
            let n1 = n / 2;
            let n0 = n - n1;
            let count = T::count(n);
            let (s0, s1) = (T::count(n0) / count, T::count(n1) / count);
            let (x1, t1) = (
                x.columns(n0, n1),
                <N::Loss as LossLayer<T, OUT>>::target_columns(t, n0, n1),
            );
            let (x0, t0) = (
                x.columns(0, n0),
                <N::Loss as LossLayer<T, OUT>>::target_columns(t, 0, n0),
            );
            self.stats.split_steps += 1;
            if self.one_thread {
                // Both halves here, with the same arithmetic as the two-thread step.
                let loss0 = self
                    .net
                    .train_step(x0, t0, &mut Combine::new(opt, self.worker.values(), Mode::Stash(s0)));
                let loss1 = self
                    .net
                    .train_step(x1, t1, &mut Combine::new(opt, self.worker.values(), Mode::Add(s1)));
                // `flat` holds the new values; the worker copies them before it next trains.
                self.unsynced = true;
                self.poisoned = false;
                return (T::count(n0) * loss0 + T::count(n1) * loss1) / count;
            }
            // The second half, for the worker's network: its gradient, scaled by `n₁/N`, goes
            // into the flat buffer. The job borrows `x` and `t`: `scope` returns (or unwinds)
            // only once the worker no longer uses it, like a scoped thread.
            let job = move |replica: &mut N, flat: &mut [T]| replica.train_step(x1, t1, &mut GradSink::new(flat, s1));
            let net = &mut self.net;
            let (loss0, finished) = self.worker.scope(job, |posted| {
                // The first half here; `Combine::begin_step` waits for the worker's half (or
                // takes it back) before combining.
                let mut comb = Combine::first(&mut *opt, posted, s0);
                let loss0 = net.train_step(x0, t0, &mut comb);
                (loss0, comb.finished())
            });
            let finished = finished
                .expect("DataParallel::train_step: the network's train_step never called Optimizer::begin_step");
            let loss1 = match finished {
                Finished::Done { loss } => {
                    self.stats.worker_steps += 1;
                    loss
                }
                // The worker never started: train the second half here, adding its gradient
                // to the first half's, which `Stash` left in `flat`.
                Finished::TakenBack => {
                    self.net
                        .train_step(x1, t1, &mut Combine::new(opt, self.worker.values(), Mode::Add(s1)))
                }
            };
            (T::count(n0) * loss0 + T::count(n1) * loss1) / count
        };
        // Hand the new values to the worker, which copies them while this thread goes on.
        self.worker.sync();
        self.unsynced = false;
        self.poisoned = false;
        loss
    }

    /// With `true`, every step trains both halves of the batch on the calling thread, one
    /// after the other, with the same arithmetic (so the same results, bit for bit, as when
    /// the worker trains the second half); with `false` (the default), the worker trains the
    /// second half in parallel. For a machine whose second core is known to be busy, or to
    /// measure what the second thread brings.
    pub fn set_one_thread(&mut self, one_thread: bool) {
        self.one_thread = one_thread;
    }

    /// How many steps the worker took part in. A worker that has not trained on a batch
    /// size yet allocates its buffers the first time it does.
    pub fn stats(&self) -> ParallelStats {
        self.stats
    }

    /// The network (the calling thread's copy, which carries the training result).
    pub fn network(&self) -> &N {
        &self.net
    }

    /// The network, mutably (e.g. to change its parameters): the worker's copy receives its
    /// parameter values before the next step.
    pub fn network_mut(&mut self) -> &mut N {
        self.stale = true;
        &mut self.net
    }

    /// Stops the worker thread and returns the network. Panics with the worker's message if
    /// the worker panicked copying the last step's values and no step has raised it yet.
    pub fn into_inner(self) -> N {
        let Self { net, worker, .. } = self;
        drop(worker);
        net
    }
}

/// Panics unless `clone` visits parameter tensors of the sizes `net` visits, in the same
/// order: the flat buffer carries values and gradients between the two by position.
#[track_caller]
fn check_same_layout<N, T, const IN: usize, const OUT: usize>(net: &mut N, clone: &mut N)
where
    T: Float,
    N: Trainable<T, IN, OUT>,
{
    let layout = |n: &mut N| {
        let mut tensors = Vec::new();
        n.visit_params(&mut |p| tensors.push((p.layer, p.name, p.value.len())));
        tensors
    };
    let (a, b) = (layout(net), layout(clone));
    if let Some(i) = (0..a.len().min(b.len())).find(|&i| a[i].2 != b[i].2) {
        let (layer, name, len) = a[i];
        panic!(
            "DataParallel::new: parameter tensor {i} (`{layer}.{name}`) has {len} values in the \
             network but {} in its clone: the network's Clone must copy every parameter",
            b[i].2
        );
    }
    assert!(
        a.len() == b.len(),
        "DataParallel::new: the network visits {} parameter tensors but its clone {}: the \
         network's Clone must copy every parameter",
        a.len(),
        b.len()
    );
}
