//! The two-thread hand-off behind [`DataParallel`](crate::DataParallel): the cells a calling
//! thread and one worker thread pass back and forth, and the state machine that says which of
//! the two owns them at each moment. Everything `unsafe` of the hand-off is in this file, and
//! its API is safe: each method checks (or waits for) the state it needs, and the lifetimes of
//! what it returns end before the state can change again.
//!
//! - [`start`] creates the two ends: a [`CallerEnd`] for the calling thread and a [`WorkerEnd`]
//!   for the worker thread it spawns. Neither end can be cloned, so there is one of each.
//! - The caller borrows the shared `values` buffer ([`CallerEnd::values`]) while the worker is
//!   idle, asks the worker to read it ([`CallerEnd::sync`]), or posts a job that borrows its
//!   stack ([`CallerEnd::scope`], in the style of [`std::thread::scope`]): the job runs on the
//!   worker with `&mut` access to the buffer, while the caller does its own work; the caller
//!   then waits for the job or takes it back unstarted ([`Posted::finish`]). On every way out of
//!   the scope, unwinding included, the worker has stopped reading the job.
//! - The worker waits for the next [`Request`] ([`WorkerEnd::next`]) and serves it.
//!
//! # The states
//! One atomic `state` says who owns the cells. The caller moves `IDLE → SYNC | STEP | EXIT`,
//! `STEP → IDLE` (takes the job back) and `DONE → IDLE`; the worker moves `SYNC → IDLE |
//! PANICKED`, `STEP → RUNNING` (claims the job) and `RUNNING → DONE | PANICKED`. Ownership passes with
//! release stores and acquire loads (or compare-exchanges) of `state`: the worker owns the
//! buffer, the loss and the panic slot from the moment it sees `SYNC` or claims a job until it
//! publishes `IDLE`, `DONE` or `PANICKED`; the caller owns them otherwise, and writes the job
//! and caller slots only while the worker is `IDLE` (or `DONE`, which it treats alike).
//!
//! # Panics on the worker
//! The worker runs every job and every sync under `catch_unwind`: a panic leaves its payload
//! in the panic slot and the final state `PANICKED`, and the worker thread returns. The caller
//! raises the payload (once) at its next use of the hand-off: [`Posted::finish`] for a job,
//! the next [`CallerEnd::values`], `sync` or `scope` for a sync's, and at the latest when it
//! drops its end, which also raises a panic of the worker thread past its loop (when the
//! caller is not unwinding already). No wait can then outlast the worker.
//!
//! # Waiting
//! Both threads spin a little, yield a few times and then park (`std::thread::park` /
//! `unpark`), with no lock and no allocation: a hand-over between the two threads usually
//! comes within a few microseconds, less than a park/unpark round trip.

use std::any::Any;
use std::cell::UnsafeCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle, Thread};
use std::time::Duration;

/// The worker waits; the caller owns every cell.
const IDLE: u32 = 0;
/// The worker reads `values` (parameter values to copy into its network).
const SYNC: u32 = 1;
/// A job is posted and not yet claimed: the caller still owns every cell but `job`, which it
/// must not change.
const STEP: u32 = 2;
/// The worker runs the posted job, with `&mut` access to `values`.
const RUNNING: u32 = 3;
/// The worker finished the job; its result is in `loss`.
const DONE: u32 = 4;
/// A job or a sync panicked (payload in `panic` until the caller raises it); the worker
/// serves no more requests. Final.
const PANICKED: u32 = 5;
/// The worker must exit.
const EXIT: u32 = 6;

/// Spins before yielding.
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

/// Whether the caller owns every cell in state `s` (the worker touches none until the next
/// post).
fn caller_owns(s: u32) -> bool {
    matches!(s, IDLE | DONE | PANICKED)
}

/// The panic payload of a job.
type Payload = Box<dyn Any + Send + 'static>;

/// The cells and the state, apart from the job slot (whose type names the worker's context).
/// Every `UnsafeCell` is accessed by one thread at a time, as `state` says (module docs).
struct Core<T> {
    state: AtomicU32,
    /// Whether the caller is (about to be) parked waiting for the worker.
    caller_waiting: AtomicBool,
    /// The thread to unpark when the worker leaves `SYNC` or `RUNNING`; written by the caller
    /// when it posts.
    caller: UnsafeCell<Option<Thread>>,
    /// The buffer the two threads pass back and forth.
    values: UnsafeCell<Vec<T>>,
    /// The result of the last job.
    loss: UnsafeCell<Option<T>>,
    /// The payload of a panic of the last job or sync, until the caller raises it.
    panic: UnsafeCell<Option<Payload>>,
}

/// A type-erased pointer to a posted job (an `Option<J>` on the caller's stack) and the
/// function that runs it.
struct JobRef<T, C> {
    data: *mut (),
    /// `run_job::<J, C, T>`: called with `data`, valid only as long as the job is posted.
    run: unsafe fn(*mut (), &mut C, &mut [T]) -> T,
}

impl<T, C> Clone for JobRef<T, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T, C> Copy for JobRef<T, C> {}

/// Runs the job `data` points to.
///
/// # Safety
/// `data` must point to a live `Option<J>` that nothing else reads or writes during the call.
unsafe fn run_job<J, C, T>(data: *mut (), ctx: &mut C, values: &mut [T]) -> T
where
    J: FnOnce(&mut C, &mut [T]) -> T,
{
    // SAFETY: the function's contract.
    let slot = unsafe { &mut *data.cast::<Option<J>>() };
    let job = slot.take().expect("handoff: a posted job ran twice");
    job(ctx, values)
}

/// What the two ends share.
struct Shared<T, C> {
    core: Core<T>,
    /// The posted job: set by the caller while the worker is `IDLE`, read by the worker only
    /// once it has claimed the job (`STEP → RUNNING`), cleared by the caller at the end of
    /// the scope that posted it.
    job: UnsafeCell<Option<JobRef<T, C>>>,
}

// SAFETY: the cells are never accessed by both threads at once: ownership passes with release
// stores and acquire loads (or compare-exchanges) of `state`, as the module docs describe, and
// every access below checks or waits for the state that grants it. `T: Send` because values
// of `T` (the buffer, the loss) move between the threads; the payload is `Send`; the job
// pointer is dereferenced only by the worker while `RUNNING`, during which `CallerEnd::scope`
// keeps the job (`Send`) alive and untouched. `C` is never stored: it is only named by the
// job's function pointer.
unsafe impl<T: Send, C> Sync for Shared<T, C> {}
// SAFETY: as above; the raw job pointer is only a message between the two threads.
unsafe impl<T: Send, C> Send for Shared<T, C> {}

impl<T> Core<T> {
    /// Worker: waits until `state` satisfies `ready`, and returns it. The caller always
    /// unparks the worker after changing `state`.
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

    /// Caller: [`worker_wait`](Self::worker_wait), but parks only after announcing it in
    /// `caller_waiting`, so the worker unparks it only when it may be parked (a late unpark
    /// can still leave a token on the user's thread when the caller saw the new state in its
    /// re-check; harmless, since every correct `park` loops).
    ///
    /// The worker wakes the thread that posted last. A caller that moved to another thread
    /// since (a `DataParallel` is `Send`) waits in short timed parks until it posts again.
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
            // SAFETY: only the caller writes the slot (in `CallerEnd::post`, which needs the
            // `&mut CallerEnd` that this wait is borrowed from); the worker only reads it, so
            // reading it here races with no write.
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

    /// Caller: takes a posted, unclaimed job back (`STEP → IDLE`). `false` if the worker has
    /// claimed it (or no job is posted).
    fn take_back(&self) -> bool {
        self.state
            .compare_exchange(STEP, IDLE, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Caller: waits until the worker touches no cell (it may still be reading `values` for a
    /// `SYNC`), and returns the state (`IDLE`, `DONE` or `PANICKED`).
    fn wait_owned(&self) -> u32 {
        self.caller_wait(caller_owns)
    }

    /// Caller: the payload of the worker's panic, once (`None` if the worker has not
    /// panicked, or the payload was taken before).
    fn take_panic(&self) -> Option<Payload> {
        if self.wait_owned() != PANICKED {
            return None;
        }
        // SAFETY: PANICKED is final (the worker serves no more requests): the caller owns the
        // panic slot.
        unsafe { (*self.panic.get()).take() }
    }

    /// Caller: waits for the worker to be idle, and raises its panic (with the worker's
    /// payload the first time) if it has stopped after one.
    fn wait_ready(&self) {
        if let Some(payload) = self.take_panic() {
            panic::resume_unwind(payload);
        }
        assert!(
            self.wait_owned() != PANICKED,
            "DataParallel: the worker thread has stopped after a panic"
        );
    }
}

/// Creates the two ends of a hand-off around the buffer `values`, and runs `spawn` with the
/// worker's end: `spawn` starts the worker thread, which serves [`WorkerEnd::next`] until it
/// returns [`Request::Exit`], and returns its handle (dropping the caller's end joins it).
pub(crate) fn start<T, C>(values: Vec<T>, spawn: impl FnOnce(WorkerEnd<T, C>) -> JoinHandle<()>) -> CallerEnd<T, C> {
    let shared = Arc::new(Shared {
        core: Core {
            state: AtomicU32::new(IDLE),
            caller_waiting: AtomicBool::new(false),
            caller: UnsafeCell::new(None),
            values: UnsafeCell::new(values),
            loss: UnsafeCell::new(None),
            panic: UnsafeCell::new(None),
        },
        job: UnsafeCell::new(None),
    });
    let handle = spawn(WorkerEnd {
        shared: Arc::clone(&shared),
    });
    CallerEnd {
        worker: handle.thread().clone(),
        handle: Some(handle),
        shared,
    }
}

/// The calling thread's end of the hand-off. Dropping it lets a `SYNC` finish, tells the
/// worker to exit and joins its thread.
pub(crate) struct CallerEnd<T, C> {
    shared: Arc<Shared<T, C>>,
    worker: Thread,
    handle: Option<JoinHandle<()>>,
}

/// How a posted job ended (see [`Posted::finish`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Finished<T> {
    /// The worker ran it, which returned `loss`.
    Done {
        /// What the job returned.
        loss: T,
    },
    /// The worker had not claimed it: it never runs, and the caller does that work itself.
    TakenBack,
}

impl<T, C> CallerEnd<T, C> {
    /// The shared buffer, once the worker no longer reads it (it may still be copying the
    /// values of the last [`sync`](Self::sync)). If that sync panicked, raises the worker's
    /// panic here (once: after that, the buffer is handed out).
    pub(crate) fn values(&mut self) -> &mut [T] {
        if let Some(payload) = self.shared.core.take_panic() {
            panic::resume_unwind(payload);
        }
        // SAFETY: the worker is IDLE, DONE or PANICKED: it touches no cell until the next post,
        // which needs `&mut self`, borrowed by the returned slice.
        unsafe { (*self.shared.core.values.get()).as_mut_slice() }
    }

    /// Asks the worker to read the buffer (a [`Request::Sync`]) and returns at once; the next
    /// use of this end waits for the worker to be done with it.
    pub(crate) fn sync(&mut self) {
        self.post(SYNC);
    }

    /// Posts `state` (`SYNC` or `STEP`) once the worker is idle, and wakes it. Panics if the
    /// worker has stopped after a panic: with the worker's payload if nobody raised it yet.
    fn post(&mut self, state: u32) {
        let core = &self.shared.core;
        core.wait_ready();
        // SAFETY: the worker is IDLE or DONE: the caller owns the slot. Cloning the current
        // thread's handle does not allocate.
        unsafe { *core.caller.get() = Some(thread::current()) };
        core.state.store(state, Ordering::Release);
        self.worker.unpark();
    }

    /// Posts `job` to the worker, runs `local` on this thread meanwhile and returns what
    /// `local` returns. The worker runs `job` on its context and the buffer (a
    /// [`Request::Step`]) unless `local` takes the job back first: `local` gets a [`Posted`]
    /// whose [`finish`](Posted::finish) does one or the other and hands over the buffer.
    ///
    /// When `scope` returns or unwinds, the worker is done with the job: the job may borrow
    /// from the caller's stack, like a scoped thread. If `local` never called `finish`, the
    /// job is taken back if unclaimed, and else waited for (its result is dropped). A panic of
    /// the job is raised by `finish`, on this thread, with its original payload.
    pub(crate) fn scope<J, R>(&mut self, job: J, local: impl FnOnce(Posted<'_, T>) -> R) -> R
    where
        J: FnOnce(&mut C, &mut [T]) -> T + Send,
    {
        self.shared.core.wait_ready();
        // Lives until after `reclaim` below has made sure that the worker no longer uses it
        // (locals drop in reverse order, when returning and when unwinding).
        let mut job = Some(job);
        let job_ref = JobRef {
            data: (&raw mut job).cast(),
            run: run_job::<J, C, T>,
        };
        // SAFETY: the worker is IDLE or DONE (waited above): the caller owns the slot.
        unsafe { *self.shared.job.get() = Some(job_ref) };
        self.post(STEP);
        let reclaim = Reclaim(&self.shared);
        let r = local(Posted {
            core: &self.shared.core,
        });
        drop(reclaim);
        r
    }
}

impl<T, C> Drop for CallerEnd<T, C> {
    /// Joins the worker. A panic of the worker that nobody has raised yet (the last sync's,
    /// or one in the worker's own exit, such as dropping its context) is raised here, unless
    /// this thread is already unwinding.
    fn drop(&mut self) {
        let core = &self.shared.core;
        // Let a SYNC finish (`scope` never leaves a job behind).
        let unraised = if core.caller_wait(|s| s != SYNC && s != RUNNING) == PANICKED {
            core.take_panic()
        } else {
            core.state.store(EXIT, Ordering::Release);
            self.worker.unpark();
            None
        };
        // The worker catches the panics of its jobs and syncs and returns normally; an `Err`
        // is a panic after that.
        let exit = self.handle.take().and_then(|h| h.join().err());
        if let Some(payload) = unraised.or(exit) {
            if !thread::panicking() {
                panic::resume_unwind(payload);
            }
        }
    }
}

/// Makes sure, when dropped, that the worker no longer uses the job posted by
/// [`CallerEnd::scope`]: takes it back if unclaimed, else waits for the worker to finish it,
/// then clears the job slot. After [`Posted::finish`] there is nothing left to wait for.
struct Reclaim<'s, T, C>(&'s Shared<T, C>);

impl<T, C> Drop for Reclaim<'_, T, C> {
    fn drop(&mut self) {
        let core = &self.0.core;
        if !core.take_back() && core.caller_wait(|s| s != RUNNING) == DONE {
            // An unfinished job's result, which nobody asked for; the caller owns the state.
            core.state.store(IDLE, Ordering::Relaxed);
        } else if thread::panicking() {
            // The caller unwinds with its own panic: a panic of the worker in the same step is
            // not raised later as well.
            drop(core.take_panic());
        }
        // SAFETY: the job was taken back or has ended (IDLE, DONE or PANICKED): the worker no
        // longer reads the slot, and the caller owns it.
        unsafe { *self.0.job.get() = None };
    }
}

/// A job posted by [`CallerEnd::scope`], seen from the caller's side of the scope.
pub(crate) struct Posted<'p, T> {
    core: &'p Core<T>,
}

impl<'p, T> Posted<'p, T> {
    /// Takes the job back if the worker has not claimed it, else waits for the worker to
    /// finish it; then hands over the buffer (which the worker filled if it ran the job) for
    /// the rest of the scope. If the job panicked, raises its panic here, with its payload.
    pub(crate) fn finish(self) -> (Finished<T>, &'p mut [T]) {
        let core = self.core;
        let finished = if core.take_back() {
            Finished::TakenBack
        } else {
            match core.caller_wait(|s| s != RUNNING) {
                DONE => {
                    // SAFETY: DONE: the caller owns the loss cell.
                    let loss = unsafe { (*core.loss.get()).take() };
                    core.state.store(IDLE, Ordering::Relaxed);
                    Finished::Done {
                        loss: loss.expect("handoff: a finished job left no result"),
                    }
                }
                PANICKED => {
                    // SAFETY: PANICKED is final (the worker serves no more requests): the
                    // caller owns the panic slot.
                    let payload = unsafe { (*core.panic.get()).take() };
                    panic::resume_unwind(
                        payload.unwrap_or_else(|| Box::new("DataParallel: the worker thread panicked")),
                    )
                }
                s => unreachable!("handoff: worker state {s} after a claimed job"),
            }
        };
        // SAFETY: the worker is IDLE (the job was taken back, or its DONE was just turned into
        // IDLE) and cannot leave it during 'p: only a post does that, which needs the `&mut
        // CallerEnd` that `scope` holds for longer than 'p. `Posted` is consumed here, so this
        // is the only borrow of the buffer.
        (finished, unsafe { (*core.values.get()).as_mut_slice() })
    }
}

/// The worker thread's end of the hand-off.
pub(crate) struct WorkerEnd<T, C> {
    shared: Arc<Shared<T, C>>,
}

/// What the caller asks the worker to do next.
pub(crate) enum Request<'w, T, C> {
    /// Read the buffer ([`SyncRequest::read`]).
    Sync(SyncRequest<'w, T, C>),
    /// Run the posted job ([`StepRequest::run`]).
    Step(StepRequest<'w, T, C>),
    /// Return from the thread: the caller's end was dropped, or a job panicked.
    Exit,
}

/// A [`Request::Sync`]: the worker may read the buffer.
pub(crate) struct SyncRequest<'w, T, C> {
    shared: &'w Shared<T, C>,
}

/// A [`Request::Step`]: a job is posted.
pub(crate) struct StepRequest<'w, T, C> {
    shared: &'w Shared<T, C>,
}

impl<T, C> WorkerEnd<T, C> {
    /// Waits for the caller's next request.
    pub(crate) fn next(&mut self) -> Request<'_, T, C> {
        let shared = &*self.shared;
        match shared.core.worker_wait(|s| matches!(s, SYNC | STEP | EXIT | PANICKED)) {
            SYNC => Request::Sync(SyncRequest { shared }),
            STEP => Request::Step(StepRequest { shared }),
            _ => Request::Exit,
        }
    }
}

impl<T, C> SyncRequest<'_, T, C> {
    /// Runs `read` on the buffer, then tells the caller the worker is idle again. Catches a
    /// panic of `read` (after which [`WorkerEnd::next`] returns [`Request::Exit`]): the caller
    /// raises it at its next use of the hand-off, or when it drops its end.
    pub(crate) fn read(self, read: impl FnOnce(&[T])) {
        let core = &self.shared.core;
        // SAFETY: the state is SYNC (seen with an acquire load by `next`, and only the worker
        // leaves SYNC): the worker may read the buffer and the caller slot, which the caller
        // does not write until the worker is IDLE (or PANICKED) again.
        let (values, caller) = unsafe { (&*core.values.get(), (*core.caller.get()).clone()) };
        match panic::catch_unwind(AssertUnwindSafe(|| read(values))) {
            Ok(()) => core.worker_publish(IDLE, caller),
            Err(payload) => {
                // SAFETY: still SYNC: the worker owns the panic slot.
                unsafe { *core.panic.get() = Some(payload) };
                core.worker_publish(PANICKED, caller);
            }
        }
    }
}

impl<T, C> StepRequest<'_, T, C> {
    /// Claims the posted job and runs it on `ctx` and the buffer, catching a panic (after
    /// which [`WorkerEnd::next`] returns [`Request::Exit`]); does nothing if the caller took
    /// the job back first.
    pub(crate) fn run(self, ctx: &mut C) {
        let shared = self.shared;
        let core = &shared.core;
        if core
            .state
            .compare_exchange(STEP, RUNNING, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return; // taken back by the caller
        }
        let result = panic::catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: RUNNING: the worker owns the buffer and the loss cell, and reads the job
            // slot, which the caller set before posting STEP (the claim's acquire pairs with
            // that release) and does not change until it sees DONE or PANICKED.
            let (job, values) = unsafe {
                (
                    (*shared.job.get()).expect("handoff: STEP without a job"),
                    (*core.values.get()).as_mut_slice(),
                )
            };
            // SAFETY: `job.data` points to the `Option<J>` on the stack of `CallerEnd::scope`,
            // which keeps it alive and untouched until it sees DONE or PANICKED (`Reclaim`).
            let loss = unsafe { (job.run)(job.data, ctx, values) };
            // SAFETY: still RUNNING: the worker owns the loss cell.
            unsafe { *core.loss.get() = Some(loss) };
        }));
        // SAFETY: still RUNNING: the caller does not write the slot.
        let caller = unsafe { (*core.caller.get()).clone() };
        match result {
            Ok(()) => core.worker_publish(DONE, caller),
            Err(payload) => {
                // SAFETY: still RUNNING: the worker owns the panic slot.
                unsafe { *core.panic.get() = Some(payload) };
                core.worker_publish(PANICKED, caller);
            }
        }
    }
}

#[cfg(test)]
mod tests;
