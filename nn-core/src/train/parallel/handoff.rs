//! The worker thread of a [`DataParallel`](super::DataParallel) and what the two threads
//! hand over through the flat buffer of [`kernels::handoff`](crate::kernels::handoff), which
//! owns the cells and the state machine (and all of their `unsafe`).
//!
//! Per step: the caller posts its second half as a job ([`CallerEnd::scope`]); the worker
//! trains its network on it with a [`GradSink`](super::combine::GradSink), which writes the
//! scaled gradient into the buffer; the caller combines it with its own and updates, leaving
//! the new values in the buffer; a `sync` then has the worker copy them into its network
//! ([`store_values`]) while the calling thread returns to its own work.

use std::thread;

use crate::float::Float;
use crate::kernels::handoff::{self, CallerEnd, Request, WorkerEnd};
use crate::network::Trainable;

/// Spawns the worker thread, which trains `replica`; `values` (its parameter values in
/// `visit_params` order) is the flat buffer. Panics if the thread cannot be spawned.
pub(super) fn spawn<N, T, const IN: usize, const OUT: usize>(replica: N, values: Vec<T>) -> CallerEnd<T, N>
where
    T: Float,
    N: Trainable<T, IN, OUT> + Send + 'static,
{
    handoff::start(values, move |end| {
        thread::Builder::new()
            .name("nn-data-parallel".into())
            .spawn(move || worker_loop::<N, T, IN, OUT>(end, replica))
            .expect("DataParallel::new: could not spawn the worker thread")
    })
}

/// Copies the parameter values of `net` into `flat` (in `visit_params` order).
pub(super) fn load_values<N, T, const IN: usize, const OUT: usize>(net: &mut N, flat: &mut [T])
where
    T: Float,
    N: Trainable<T, IN, OUT>,
{
    let mut at = 0;
    net.visit_params(&mut |p| {
        flat[at..at + p.value.len()].copy_from_slice(p.value);
        at += p.value.len();
    });
}

/// Copies `flat` into the parameter values of `net` (in `visit_params` order).
fn store_values<N, T, const IN: usize, const OUT: usize>(net: &mut N, flat: &[T])
where
    T: Float,
    N: Trainable<T, IN, OUT>,
{
    let mut at = 0;
    net.visit_params(&mut |p| {
        p.value.copy_from_slice(&flat[at..at + p.value.len()]);
        at += p.value.len();
    });
}

/// The worker thread: copies the values on a sync, trains on a posted half, returns when
/// told to exit (or after a panicking step, whose panic the caller raises).
fn worker_loop<N, T, const IN: usize, const OUT: usize>(mut end: WorkerEnd<T, N>, mut net: N)
where
    T: Float,
    N: Trainable<T, IN, OUT>,
{
    loop {
        match end.next() {
            Request::Sync(sync) => sync.read(|flat| store_values(&mut net, flat)),
            Request::Step(step) => step.run(&mut net),
            Request::Exit => return,
        }
    }
}
