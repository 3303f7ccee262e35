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
//! original payload. The `DataParallel` is then *poisoned* (the two networks may disagree):
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

use std::any::Any;
use std::cell::UnsafeCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle, Thread};
use std::time::Duration;

use crate::{AsInput, Float, Input, LossLayer, Optimizer, Param, Trainable};

// Worker states. The caller moves IDLE → SYNC | STEP | EXIT, STEP → IDLE (takes the job
// back) and DONE → IDLE; the worker moves SYNC → IDLE, STEP → RUNNING (claims the job) and
// RUNNING → DONE | PANICKED. The state says who owns the cells of `Shared`.
/// The worker waits; the caller owns every cell.
const IDLE: u32 = 0;
/// The worker copies `flat` (parameter values) into its network.
const SYNC: u32 = 1;
/// A job is posted and not yet claimed: the caller still owns every cell but `job`, which it
/// must not change.
const STEP: u32 = 2;
/// The worker trains on the posted half and writes `n₁/N·g₁` into `flat`.
const RUNNING: u32 = 3;
/// The worker finished its half; its loss is in `Shared::loss`.
const DONE: u32 = 4;
/// The worker panicked during a step (payload in `Shared::panic`) and has exited.
const PANICKED: u32 = 5;
/// The worker must exit.
const EXIT: u32 = 6;

/// Spins before yielding: a hand-over between the two threads usually comes within a few
/// microseconds, less than a park/unpark round trip.
const SPINS: u32 = 256;
/// Then yields the core this many times (the other thread may be waiting for it when other
/// processes occupy the second core) before parking.
const YIELDS: u32 = 64;

/// One round of waiting: spin, then yield; `true` once it is time to park.
#[inline]
fn pause(round: &mut u32) -> bool {
    *round += 1;
    if *round <= SPINS {
        std::hint::spin_loop();
        false
    } else if *round <= SPINS + YIELDS {
        thread::yield_now();
        false
    } else {
        true
    }
}

/// What the two threads share. Every `UnsafeCell` is accessed by one thread at a time, as
/// `state` says: the worker owns `flat`, `loss` and `panic` from the moment it sees `SYNC`
/// or claims a job (`STEP → RUNNING`, acquire) until it publishes `IDLE`, `DONE` or
/// `PANICKED` (release); the caller owns them otherwise, and writes `job` and `caller` only
/// while the worker is `IDLE`.
struct Shared<T> {
    state: AtomicU32,
    /// Whether the caller is (about to be) parked waiting for the worker.
    caller_waiting: AtomicBool,
    /// The thread to unpark when the worker leaves `SYNC` or `RUNNING`.
    caller: UnsafeCell<Option<Thread>>,
    /// Parameter values (caller → worker) or the worker's scaled gradient (worker → caller),
    /// in `visit_params` order.
    flat: UnsafeCell<Vec<T>>,
    /// The posted job: a `*const Job` on the caller's stack, valid until the caller takes
    /// the job back or sees `DONE` or `PANICKED`.
    job: UnsafeCell<*const ()>,
    /// The worker's mean loss over its half.
    loss: UnsafeCell<T>,
    /// The payload of a panic on the worker.
    panic: UnsafeCell<Option<Box<dyn Any + Send + 'static>>>,
}

// SAFETY: the cells are never accessed by both threads at once: ownership passes with
// release stores and acquire loads (or compare-exchanges) of `state`, as described on
// `Shared`. `T: Send` (every `Float` is), and the job pointer is only dereferenced by the
// worker while `RUNNING`, during which the caller keeps the job alive (`DataParallel::
// train_step` waits for the worker on every path out of the step, unwinding included).
unsafe impl<T: Send> Sync for Shared<T> {}
// SAFETY: as above; the raw job pointer is only a message between the two threads.
unsafe impl<T: Send> Send for Shared<T> {}

impl<T> Shared<T> {
    /// Waits until `state` satisfies `ready`, and returns it. For the worker thread, which
    /// the caller always unparks after changing `state`.
    fn worker_wait(&self, ready: impl Fn(u32) -> bool) -> u32 {
        let mut round = 0;
        loop {
            let s = self.state.load(Ordering::Acquire);
            if ready(s) {
                return s;
            }
            if pause(&mut round) {
                thread::park();
            }
        }
    }

    /// The caller's side of [`worker_wait`](Self::worker_wait): parks only after announcing
    /// it in `caller_waiting`, so the worker unparks it only when it may be parked (a late
    /// unpark can still leave a token on the user's thread when the caller saw the new state
    /// in its re-check; harmless, since every correct `park` loops).
    ///
    /// The worker wakes the thread that posted the last job. A `DataParallel` that moved to
    /// another thread since (it is `Send`) waits in short timed parks until it posts again.
    fn caller_wait(&self, ready: impl Fn(u32) -> bool) -> u32 {
        let mut round = 0;
        loop {
            let s = self.state.load(Ordering::Acquire);
            if ready(s) {
                return s;
            }
            if !pause(&mut round) {
                continue;
            }
            // SAFETY: only the owner writes the slot (in `post`, on the thread that posts);
            // the worker only reads it, so reading it here races with no write.
            let posted_here = unsafe { &*self.caller.get() }
                .as_ref()
                .is_some_and(|t| t.id() == thread::current().id());
            if !posted_here {
                thread::park_timeout(Duration::from_micros(50));
                continue;
            }
            // Announce, then check again: with both sides SeqCst, either the worker sees the
            // flag and unparks us, or we see its new state here.
            self.caller_waiting.store(true, Ordering::SeqCst);
            let s = self.state.load(Ordering::SeqCst);
            if ready(s) {
                self.caller_waiting.store(false, Ordering::Relaxed);
                return s;
            }
            thread::park();
            self.caller_waiting.store(false, Ordering::Relaxed);
        }
    }

    /// Worker: publishes `next` and wakes the caller if it is parked. `caller` was cloned
    /// from its slot before the store (the caller may overwrite the slot right after).
    fn worker_publish(&self, next: u32, caller: Option<Thread>) {
        self.state.store(next, Ordering::SeqCst);
        if self.caller_waiting.load(Ordering::SeqCst) {
            if let Some(t) = caller {
                t.unpark();
            }
        }
    }

    /// Caller: takes a posted, unclaimed job back (`STEP → IDLE`). `false` if the worker
    /// has claimed it.
    fn take_back(&self) -> bool {
        self.state
            .compare_exchange(STEP, IDLE, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Caller: waits until the worker has finished a claimed job (or the job was never
    /// claimed and is taken back); raises a panic of the worker on this thread.
    fn finish_job(&self) -> Finished {
        if self.take_back() {
            return Finished::TakenBack;
        }
        match self.caller_wait(|s| s != RUNNING) {
            DONE => Finished::Done,
            PANICKED => {
                // SAFETY: `PANICKED` is final (the worker has left its loop): the slot is ours.
                let payload = unsafe { (*self.panic.get()).take() };
                panic::resume_unwind(payload.unwrap_or_else(|| Box::new("DataParallel: the worker thread panicked")))
            }
            s => unreachable!("DataParallel: worker state {s} after a claimed job"),
        }
    }
}

/// How a posted job ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Finished {
    /// The worker trained on it: its scaled gradient is in `flat`, its loss in `loss`.
    Done,
    /// The worker had not claimed it; the caller trains on that half itself.
    TakenBack,
}

/// A step's input for the worker, on the caller's stack.
struct Job<'x, 't, T: Float, L: LossLayer<T, OUT>, const IN: usize, const OUT: usize> {
    x: Input<'x, T, IN>,
    t: L::Target<'t>,
    /// `n₁/N`.
    scale: T,
}

/// The worker's "optimizer": writes `scale·g` of every parameter into `flat` (in visit
/// order) and leaves the values alone.
struct GradSink<'f, T> {
    flat: &'f mut [T],
    scale: T,
    at: usize,
}

impl<T: Float> Optimizer<T> for GradSink<'_, T> {
    fn update(&mut self, _index: usize, p: Param<'_, T>) {
        let dst = &mut self.flat[self.at..self.at + p.grad.len()];
        for (d, &g) in dst.iter_mut().zip(p.grad) {
            *d = self.scale * g;
        }
        self.at += p.grad.len();
    }
}

/// What the caller's optimizer wrapper does with each gradient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode<T> {
    /// No second half: the user's optimizer gets the gradient as it is.
    Alone,
    /// The first half with a job posted: decided in `begin_step` (`Add` if the worker ran
    /// it, `Stash` if the job is taken back).
    First(T),
    /// `flat ← scale·g` (no update: the second half is still to come, on this thread).
    Stash(T),
    /// `flat ← flat + scale·g`, then the user's optimizer updates from `flat`.
    Add(T),
}

/// The caller's optimizer wrapper, handed to its network's `train_step`: combines the
/// gradients in `flat` as `mode` says, runs the user's optimizer on the result and stores
/// every updated value in `flat` for the worker.
struct Combine<'s, T: Float, O: ?Sized> {
    opt: &'s mut O,
    shared: &'s Shared<T>,
    mode: Mode<T>,
    flat: Option<&'s mut [T]>,
    at: usize,
    index: usize,
    /// Set by `begin_step`.
    finished: Option<Finished>,
}

impl<'s, T: Float, O: Optimizer<T> + ?Sized> Combine<'s, T, O> {
    fn new(opt: &'s mut O, shared: &'s Shared<T>, mode: Mode<T>) -> Self {
        Self {
            opt,
            shared,
            mode,
            flat: None,
            at: 0,
            index: 0,
            finished: None,
        }
    }
}

impl<T: Float, O: Optimizer<T> + ?Sized> Optimizer<T> for Combine<'_, T, O> {
    fn begin_step(&mut self) {
        if let Mode::First(s) = self.mode {
            let finished = self.shared.finish_job();
            self.finished = Some(finished);
            self.mode = match finished {
                Finished::Done => Mode::Add(s),
                Finished::TakenBack => Mode::Stash(s),
            };
        }
        // SAFETY: the worker is IDLE (no job, or the job was taken back) or DONE: the caller
        // owns `flat` until it posts again, after this step, when this borrow has ended.
        self.flat = Some(unsafe { (*self.shared.flat.get()).as_mut_slice() });
        self.index = 0;
        self.at = 0;
        if !matches!(self.mode, Mode::Stash(_)) {
            self.opt.begin_step();
        }
    }

    fn update(&mut self, _index: usize, p: Param<'_, T>) {
        let flat = self
            .flat
            .as_deref_mut()
            .expect("Optimizer::update called before begin_step");
        let Param {
            layer,
            name,
            value,
            grad,
        } = p;
        let n = grad.len();
        let slot = &mut flat[self.at..self.at + n];
        self.at += n;
        let grad: &[T] = match self.mode {
            Mode::Stash(s) => {
                for (f, &g) in slot.iter_mut().zip(grad) {
                    *f = s * g;
                }
                return;
            }
            Mode::Add(s) => {
                if let Some(lr) = crate::optim::sgd_rate(&*self.opt) {
                    // Plain SGD in one pass: g = flat + s·g₀, v ← v − lr·g (the SGD rule, as
                    // `Sgd` rounds it), flat ← v.
                    for ((f, &g), v) in slot.iter_mut().zip(grad).zip(value.iter_mut()) {
                        *v = crate::optim::sgd::rule(*v, lr, *f + s * g);
                        *f = *v;
                    }
                    self.index += 1;
                    return;
                }
                for (f, &g) in slot.iter_mut().zip(grad) {
                    *f += s * g;
                }
                &*slot
            }
            Mode::Alone | Mode::First(_) => grad,
        };
        self.opt.update(
            self.index,
            Param {
                layer,
                name,
                value: &mut *value,
                grad,
            },
        );
        self.index += 1;
        slot.copy_from_slice(value);
    }
}

/// Data-parallel training of network `N` over the samples of each batch, on the calling
/// thread and one worker thread (see the [module docs](self) for the math and the
/// protocol). Results equal a single-threaded [`Trainable::train_step`] on the whole batch up
/// to float rounding; a step allocates nothing in steady state, on either thread.
pub struct DataParallel<N, T: Float, const IN: usize, const OUT: usize> {
    net: N,
    worker: Worker<T>,
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

/// The worker thread and what it shares; stops and joins the thread when dropped.
struct Worker<T: Float> {
    shared: Arc<Shared<T>>,
    thread: Thread,
    handle: Option<JoinHandle<()>>,
}

impl<T: Float> Worker<T> {
    /// Posts `SYNC` or `STEP` to the idle worker and wakes it.
    fn post(&self, state: u32) {
        // SAFETY: the worker is IDLE (every caller of `post` waited for it): the caller owns
        // the slot. Cloning the current thread's handle does not allocate.
        unsafe { *self.shared.caller.get() = Some(thread::current()) };
        self.shared.state.store(state, Ordering::Release);
        self.thread.unpark();
    }
}

impl<N, T, const IN: usize, const OUT: usize> DataParallel<N, T, IN, OUT>
where
    T: Float,
    N: Trainable<T, IN, OUT> + Clone + Send + 'static,
    for<'a> <N::Loss as LossLayer<T, OUT>>::Target<'a>: Send,
{
    /// Takes `net` (trained on the calling thread) and spawns one worker thread that trains
    /// a clone of it. Allocates the clone, the thread and a buffer of `param_count()`
    /// scalars, once. Panics if the thread cannot be spawned.
    pub fn new(mut net: N) -> Self {
        let replica = net.clone();
        let mut flat = Vec::with_capacity(net.param_count());
        net.visit_params(&mut |p| flat.extend_from_slice(p.value));
        let shared = Arc::new(Shared {
            state: AtomicU32::new(IDLE),
            caller_waiting: AtomicBool::new(false),
            caller: UnsafeCell::new(None),
            flat: UnsafeCell::new(flat),
            job: UnsafeCell::new(std::ptr::null()),
            loss: UnsafeCell::new(T::zero()),
            panic: UnsafeCell::new(None),
        });
        let handle = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name("nn-data-parallel".into())
                .spawn(move || worker_loop::<N, T, IN, OUT>(&shared, replica))
                .expect("DataParallel::new: could not spawn the worker thread")
        };
        Self {
            net,
            worker: Worker {
                shared,
                thread: handle.thread().clone(),
                handle: Some(handle),
            },
            stale: false,
            poisoned: false,
            one_thread: false,
            unsynced: false,
            stats: ParallelStats::default(),
        }
    }

    /// One training step on batch `x` (`IN × N`, or a mini-batch read in place from its data
    /// set, [`Gather`](crate::Gather)) with targets `t`: forward and backward on the two
    /// halves in parallel, the combined gradient, one `opt` update. Takes the same arguments
    /// as a generated network's `train_step` and returns the mean loss of the batch. A batch of fewer than 2 samples is trained on the calling thread alone.
    ///
    /// Panics if a previous step panicked (see the [module docs](self#panics)), or with the
    /// network's own message for a bad batch.
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
        let shared = &*self.worker.shared;
        // The worker may still be copying the last values.
        shared.caller_wait(|s| s == IDLE);
        if self.stale {
            // SAFETY: the worker is IDLE: the caller owns `flat`.
            let flat = unsafe { &mut *shared.flat.get() };
            let mut at = 0;
            self.net.visit_params(&mut |p| {
                flat[at..at + p.value.len()].copy_from_slice(p.value);
                at += p.value.len();
            });
            self.stale = false;
            self.unsynced = true;
        }
        if self.unsynced && !self.one_thread {
            self.worker.post(SYNC);
            shared.caller_wait(|s| s == IDLE);
            self.unsynced = false;
        }
        let n = x.ncols();
        let loss = if n < 2 {
            self.net.train_step(x, t, &mut Combine::new(opt, shared, Mode::Alone))
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
                    .train_step(x0, t0, &mut Combine::new(opt, shared, Mode::Stash(s0)));
                let loss1 = self
                    .net
                    .train_step(x1, t1, &mut Combine::new(opt, shared, Mode::Add(s1)));
                // `flat` holds the new values; the worker copies them before it next trains.
                self.unsynced = true;
                self.poisoned = false;
                return (T::count(n0) * loss0 + T::count(n1) * loss1) / count;
            }
            let job = Job::<T, N::Loss, IN, OUT> {
                x: x1,
                t: t1,
                scale: s1,
            };
            // SAFETY: the worker is IDLE (waited above): the caller owns the slot.
            unsafe { *shared.job.get() = (&raw const job).cast() };
            self.worker.post(STEP);
            // From here until the job is taken back or the worker is DONE or PANICKED, the
            // worker may read `job`, which borrows `x` and `t`: the guard waits for that on
            // every path out of this block, unwinding included (like a scoped thread).
            let guard = WaitOnDrop(shared);
            let mut comb = Combine::new(opt, shared, Mode::First(s0));
            let loss0 = self.net.train_step(x0, t0, &mut comb);
            let finished = comb
                .finished
                .expect("DataParallel::train_step: the network's train_step never called Optimizer::begin_step");
            drop(guard);
            let loss1 = match finished {
                Finished::Done => {
                    self.stats.worker_steps += 1;
                    // SAFETY: the worker is DONE: the slot is ours.
                    let loss1 = unsafe { *shared.loss.get() };
                    shared.state.store(IDLE, Ordering::Relaxed);
                    loss1
                }
                // The worker never started: train the second half here, adding its gradient
                // to the first half's, which `Stash` left in `flat`.
                Finished::TakenBack => self
                    .net
                    .train_step(x1, t1, &mut Combine::new(opt, shared, Mode::Add(s1))),
            };
            (T::count(n0) * loss0 + T::count(n1) * loss1) / count
        };
        // Hand the new values to the worker, which copies them while this thread goes on.
        self.worker.post(SYNC);
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

    /// Stops the worker thread and returns the network.
    pub fn into_inner(self) -> N {
        let Self { net, worker, .. } = self;
        drop(worker);
        net
    }
}

/// Makes sure the worker no longer reads the posted job when dropped: takes it back if it
/// is unclaimed, else waits for the worker to finish it. On the normal path
/// `Combine::begin_step` has done so already.
struct WaitOnDrop<'s, T>(&'s Shared<T>);

impl<T> Drop for WaitOnDrop<'_, T> {
    fn drop(&mut self) {
        if !self.0.take_back() {
            self.0.caller_wait(|s| s != RUNNING);
        }
    }
}

impl<T: Float> Drop for Worker<T> {
    fn drop(&mut self) {
        let shared = &*self.shared;
        // Let a SYNC or a claimed job finish (`train_step` never leaves one behind).
        if shared.caller_wait(|s| s != SYNC && s != RUNNING) != PANICKED {
            shared.state.store(EXIT, Ordering::Release);
            self.thread.unpark();
        }
        if let Some(h) = self.handle.take() {
            // The worker catches the panics of the network's code and returns normally.
            let _ = h.join();
        }
    }
}

/// The worker thread: waits for `SYNC` (copy the values), `STEP` (claim the job, train on
/// its half) or `EXIT`.
fn worker_loop<N, T, const IN: usize, const OUT: usize>(shared: &Shared<T>, mut net: N)
where
    T: Float,
    N: Trainable<T, IN, OUT>,
{
    loop {
        match shared.worker_wait(|s| s == SYNC || s == STEP || s == EXIT) {
            SYNC => {
                // SAFETY: in SYNC the worker owns `flat` and reads the caller slot, which the
                // caller does not write until the worker is IDLE again.
                let (flat, caller) = unsafe { (&*shared.flat.get(), (*shared.caller.get()).clone()) };
                let mut at = 0;
                net.visit_params(&mut |p| {
                    p.value.copy_from_slice(&flat[at..at + p.value.len()]);
                    at += p.value.len();
                });
                shared.worker_publish(IDLE, caller);
            }
            STEP => {
                if shared
                    .state
                    .compare_exchange(STEP, RUNNING, Ordering::Acquire, Ordering::Relaxed)
                    .is_err()
                {
                    continue; // taken back by the caller
                }
                let result = panic::catch_unwind(AssertUnwindSafe(|| {
                    // SAFETY: RUNNING: the worker owns `flat` and `loss`; `job` points to a
                    // live `Job` on the caller's stack, which the caller keeps until it sees
                    // DONE or PANICKED (`WaitOnDrop`). The job's lifetimes are unbounded
                    // here; its borrows end before this closure returns.
                    unsafe {
                        let job = &*(*shared.job.get()).cast::<Job<'_, '_, T, N::Loss, IN, OUT>>();
                        let mut sink = GradSink {
                            flat: (*shared.flat.get()).as_mut_slice(),
                            scale: job.scale,
                            at: 0,
                        };
                        *shared.loss.get() = net.train_step(job.x, job.t, &mut sink);
                    }
                }));
                // SAFETY: still RUNNING: the slot is readable.
                let caller = unsafe { (*shared.caller.get()).clone() };
                match result {
                    Ok(()) => shared.worker_publish(DONE, caller),
                    Err(payload) => {
                        // SAFETY: still RUNNING: the worker owns the panic slot.
                        unsafe { *shared.panic.get() = Some(payload) };
                        shared.worker_publish(PANICKED, caller);
                        return;
                    }
                }
            }
            _ => return,
        }
    }
}
