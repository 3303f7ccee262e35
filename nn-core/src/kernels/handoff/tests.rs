//! The hand-off on its own, with a counter as the worker's context: each way a job can end
//! (run, taken back, panicked, never finished), a panicking sync, and the buffer going both
//! ways.

use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use super::{start, CallerEnd, Finished, Request, WorkerEnd};

/// The worker's context: how many jobs it ran, and the last values it read.
#[derive(Default)]
struct Ctx {
    jobs: u32,
    seen: Vec<f64>,
}

fn serve(mut end: WorkerEnd<f64, Ctx>) {
    let mut ctx = Ctx::default();
    loop {
        match end.next() {
            Request::Sync(sync) => sync.read(|v| ctx.seen = v.to_vec()),
            Request::Step(step) => step.run(&mut ctx),
            Request::Exit => return,
        }
    }
}

/// A worker that starts serving only once `go` receives (or is dropped).
fn worker(values: Vec<f64>) -> (CallerEnd<f64, Ctx>, mpsc::Sender<()>) {
    let (go, wait) = mpsc::channel::<()>();
    let caller = start(values, move |end| {
        thread::spawn(move || {
            let _ = wait.recv();
            serve(end)
        })
    });
    (caller, go)
}

#[test]
fn a_job_runs_on_the_worker_and_fills_the_buffer() {
    let (mut caller, go) = worker(vec![1.0, 2.0, 3.0]);
    drop(go);
    let scale = 10.0;
    let (finished, sum) = caller.scope(
        move |ctx: &mut Ctx, v: &mut [f64]| {
            ctx.jobs += 1;
            for x in v.iter_mut() {
                *x *= scale;
            }
            v.iter().sum()
        },
        |posted| {
            // Some local work, so that the worker has claimed the job by now (most likely).
            thread::sleep(Duration::from_millis(2));
            let (finished, v) = posted.finish();
            (finished, v.iter().sum::<f64>())
        },
    );
    match finished {
        Finished::Done { loss } => {
            assert_eq!(loss, 60.0);
            assert_eq!(sum, 60.0);
        }
        // The worker was not scheduled in time: the job never ran.
        Finished::TakenBack => assert_eq!(sum, 6.0),
    }
    assert_eq!(caller.values().iter().sum::<f64>(), sum);
}

#[test]
fn an_unclaimed_job_is_taken_back_and_never_runs() {
    let (mut caller, go) = worker(vec![1.0, 2.0]);
    let finished = caller.scope(
        |_: &mut Ctx, _: &mut [f64]| -> f64 { unreachable!("a job taken back must not run") },
        |posted| {
            let (finished, v) = posted.finish();
            v[0] = 5.0; // the caller owns the buffer now
            finished
        },
    );
    assert_eq!(finished, Finished::TakenBack);
    go.send(()).unwrap();
    // The worker then sees no job, reads the values on a sync, and exits on drop.
    caller.sync();
    assert_eq!(caller.values(), &[5.0, 2.0]);
}

#[test]
fn sync_hands_the_values_to_the_worker() {
    let (mut caller, go) = worker(vec![0.0; 3]);
    drop(go);
    caller.values().copy_from_slice(&[4.0, 5.0, 6.0]);
    caller.sync();
    // The job sees what the sync copied into the worker's context.
    let seen = caller.scope(
        |ctx: &mut Ctx, _: &mut [f64]| ctx.seen.iter().sum(),
        |posted| {
            thread::sleep(Duration::from_millis(2));
            match posted.finish().0 {
                Finished::Done { loss } => Some(loss),
                Finished::TakenBack => None,
            }
        },
    );
    if let Some(seen) = seen {
        assert_eq!(seen, 15.0);
    }
}

#[test]
fn a_panicking_job_is_raised_by_finish_with_its_payload() {
    let (mut caller, go) = worker(vec![0.0]);
    drop(go);
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        // Retry until the worker (not the caller) gets the job.
        loop {
            let finished = caller.scope(
                |_: &mut Ctx, _: &mut [f64]| -> f64 { panic!("job failed") },
                |posted| {
                    thread::sleep(Duration::from_millis(1));
                    posted.finish().0
                },
            );
            assert_eq!(finished, Finished::TakenBack);
        }
    }));
    let payload = result.unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"job failed"));
    // The worker has stopped: posting panics, the buffer is still there, drop joins.
    assert_eq!(caller.values(), &[0.0]);
    let post = panic::catch_unwind(AssertUnwindSafe(|| caller.sync()));
    assert!(post.is_err());
    drop(caller);
}

#[test]
fn a_scope_that_never_finishes_still_waits_for_the_worker() {
    let (mut caller, go) = worker(vec![1.0]);
    drop(go);
    for _ in 0..100 {
        caller.scope(
            |ctx: &mut Ctx, v: &mut [f64]| {
                ctx.jobs += 1;
                v[0] += 1.0;
                0.0
            },
            |_posted| {},
        );
    }
    // Every job either ran to its end or was taken back; the buffer is the caller's again.
    assert!(caller.values()[0] >= 1.0);
    let unwound = panic::catch_unwind(AssertUnwindSafe(|| {
        caller.scope(|_: &mut Ctx, _: &mut [f64]| 0.0, |_posted| panic!("local work failed"))
    }));
    assert!(unwound.is_err());
    caller.sync();
}

/// A worker whose sync reads panic.
fn failing_sync_worker(values: Vec<f64>) -> CallerEnd<f64, Ctx> {
    start(values, |mut end: WorkerEnd<f64, Ctx>| {
        thread::spawn(move || {
            let mut ctx = Ctx::default();
            loop {
                match end.next() {
                    Request::Sync(sync) => sync.read(|_| panic!("sync failed")),
                    Request::Step(step) => step.run(&mut ctx),
                    Request::Exit => return,
                }
            }
        })
    })
}

#[test]
fn a_panicking_sync_is_raised_once_by_the_next_use() {
    let mut caller = failing_sync_worker(vec![1.0]);
    caller.sync();
    // The next use raises the worker's panic (here `values`; `sync` and `scope` alike).
    let raised = panic::catch_unwind(AssertUnwindSafe(|| caller.values()[0])).unwrap_err();
    assert_eq!(raised.downcast_ref::<&str>(), Some(&"sync failed"));
    // Once: the buffer is the caller's, posting panics with the generic message, drop joins.
    assert_eq!(caller.values(), &[1.0]);
    let post = panic::catch_unwind(AssertUnwindSafe(|| caller.sync())).unwrap_err();
    assert!(post
        .downcast_ref::<&str>()
        .is_some_and(|m| m.contains("stopped after a panic")));
    drop(caller);
}

#[test]
fn a_panicking_sync_nobody_raised_is_raised_by_the_drop() {
    let mut caller = failing_sync_worker(vec![1.0]);
    caller.sync();
    let raised = panic::catch_unwind(AssertUnwindSafe(|| drop(caller))).unwrap_err();
    assert_eq!(raised.downcast_ref::<&str>(), Some(&"sync failed"));
}
