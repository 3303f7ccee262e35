//! A panic on `DataParallel`'s worker thread outside a training step (copying new values into
//! its network, or dropping it on exit) reaches the caller as a panic with the worker's
//! message, and nothing waits forever for a worker that has died. Every scenario runs under a
//! watchdog, so a hang fails the test instead of hanging the suite.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use nn::rand::SeedableRng;
use nn::rand_chacha::ChaCha8Rng;
use nn::{batch_from_rows, network, BatchBuf, BatchMut, BatchRef, DataParallel, Float, Layer, Param, Sgd};

/// The name `DataParallel` gives its worker thread.
fn on_worker() -> bool {
    thread::current().name() == Some("nn-data-parallel")
}

/// Identity with `n` parameter values (gradient 0). When `armed`, its `visit_params` panics
/// on the worker thread; `grow_on_clone` makes a clone carry one value more (a `Clone` that
/// does not copy the parameters); `bomb` makes dropping it on the worker thread panic.
#[derive(Debug)]
pub struct Trap<T: Float, const D: usize> {
    y: BatchBuf<T, D>,
    dx: BatchBuf<T, D>,
    p: Vec<T>,
    g: Vec<T>,
    pub armed: Arc<AtomicBool>,
    pub grow_on_clone: bool,
    pub bomb: bool,
}

impl<T: Float, const D: usize> Trap<T, D> {
    pub fn new() -> Self {
        Self {
            y: BatchBuf::new(),
            dx: BatchBuf::new(),
            p: vec![T::one(); 2],
            g: vec![T::zero(); 2],
            armed: Arc::new(AtomicBool::new(false)),
            grow_on_clone: false,
            bomb: false,
        }
    }
}

impl<T: Float, const D: usize> Default for Trap<T, D> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float, const D: usize> Clone for Trap<T, D> {
    fn clone(&self) -> Self {
        let n = self.p.len() + usize::from(self.grow_on_clone);
        Self {
            y: self.y.clone(),
            dx: self.dx.clone(),
            p: vec![T::one(); n],
            g: vec![T::zero(); n],
            armed: Arc::clone(&self.armed),
            grow_on_clone: self.grow_on_clone,
            bomb: self.bomb,
        }
    }
}

impl<T: Float, const D: usize> Drop for Trap<T, D> {
    fn drop(&mut self) {
        if self.bomb && on_worker() {
            panic!("trap: dropped on the worker thread");
        }
    }
}

impl<T: Float, const D: usize> Layer<T, D, D> for Trap<T, D> {
    const PARAMS: usize = 2;
    fn forward(&mut self, x: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
        self.y.copy_from(x);
        self.y.view()
    }
    fn backward(&mut self, _x: BatchRef<'_, T, D>, dout: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
        self.dx.copy_from(dout);
        self.dx.view()
    }
    fn output(&self) -> BatchRef<'_, T, D> {
        self.y.view()
    }
    fn infer(&self, x: BatchRef<'_, T, D>, mut out: BatchMut<'_, T, D>) {
        out.copy_from(&x);
    }
    fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, T>)) {
        if self.armed.load(Ordering::SeqCst) && on_worker() {
            panic!("trap: visit_params on the worker thread");
        }
        f(Param::new("p", &mut self.p, &self.g));
    }
}

network! {
    /// A classifier behind a `Trap`.
    #[derive(Clone)]
    pub struct Trapped { input: 3, trap: crate::Trap, affine: Affine(2), loss: SoftmaxWithLoss }
}

/// Runs `f` on its own thread and returns what it returns (or raises its panic); fails if it
/// takes longer than 30 s.
fn within_30s<R: Send + 'static>(what: &str, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(catch_unwind(AssertUnwindSafe(f)));
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(Ok(r)) => r,
        Ok(Err(payload)) => resume_unwind(payload),
        Err(_) => panic!("{what}: still waiting after 30 s (a dead worker the caller waits for)"),
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

fn net() -> Trapped<f64> {
    Trapped::new_f64(&mut ChaCha8Rng::seed_from_u64(3))
}

/// A batch and its class labels.
type Labelled = (nn::Batch<f64, 3>, Vec<usize>);

/// One sample (trained on the calling thread alone, then synced to the worker) and four
/// (split between the threads).
fn batches() -> (Labelled, Labelled) {
    let one = batch_from_rows(&[[0.1, 0.2, 0.3]]);
    let four = batch_from_rows(&[[0.1, 0.2, 0.3], [1.0, -1.0, 0.5], [0.0, 0.4, -0.2], [0.7, 0.7, 0.1]]);
    ((one, vec![1]), (four, vec![0, 1, 1, 0]))
}

#[test]
fn a_panic_copying_values_on_the_worker_is_raised_by_the_next_step() {
    let msg = within_30s("train_step after the worker's sync panicked", || {
        let ((x1, y1), (x4, y4)) = batches();
        let mut sgd = Sgd::new(0.1);
        let mut par = DataParallel::new(net());
        par.network().trap.armed.store(true, Ordering::SeqCst);
        // The calling thread trains this one; the worker then copies the new values and panics.
        par.train_step(&x1, &y1, &mut sgd);
        let err = catch_unwind(AssertUnwindSafe(|| par.train_step(&x4, &y4, &mut sgd)))
            .expect_err("the worker's panic must reach the caller");
        let msg = panic_message(&*err);
        // Raised once: the DataParallel is poisoned, and dropping it neither hangs nor panics.
        let again = catch_unwind(AssertUnwindSafe(|| par.train_step(&x4, &y4, &mut sgd))).expect_err("poisoned");
        assert!(panic_message(&*again).contains("earlier step panicked"));
        let mut inner = par.into_inner();
        inner.train_step(&x4, &y4, &mut sgd);
        msg
    });
    assert_eq!(msg, "trap: visit_params on the worker thread");
}

#[test]
fn a_panic_copying_values_on_the_worker_is_raised_by_the_drop() {
    let msg = within_30s("drop after the worker's sync panicked", || {
        let ((x1, y1), _) = batches();
        let mut par = DataParallel::new(net());
        par.network().trap.armed.store(true, Ordering::SeqCst);
        par.train_step(&x1, &y1, &mut Sgd::new(0.1));
        let err = catch_unwind(AssertUnwindSafe(|| drop(par))).expect_err("the worker's panic must reach the caller");
        panic_message(&*err)
    });
    assert_eq!(msg, "trap: visit_params on the worker thread");
}

#[test]
fn a_clone_with_other_parameter_sizes_is_refused_by_new() {
    let msg = within_30s("a DataParallel of a network whose clone differs", || {
        let ((x1, y1), (x4, y4)) = batches();
        let mut n = net();
        n.trap.grow_on_clone = true;
        let err = catch_unwind(AssertUnwindSafe(|| {
            let mut par = DataParallel::new(n);
            let mut sgd = Sgd::new(0.1);
            par.train_step(&x1, &y1, &mut sgd);
            par.train_step(&x4, &y4, &mut sgd);
        }))
        .expect_err("a clone with other parameter sizes must panic");
        panic_message(&*err)
    });
    assert_eq!(
        msg,
        "DataParallel::new: parameter tensor 0 (`trap.p`) has 2 values in the network but 3 in its \
         clone: the network's Clone must copy every parameter"
    );
}

#[test]
fn a_panic_of_the_worker_on_exit_is_raised_by_into_inner() {
    let msg = within_30s("into_inner with a worker that panics on exit", || {
        let (_, (x4, y4)) = batches();
        let mut n = net();
        n.trap.bomb = true;
        let mut par = DataParallel::new(n);
        par.train_step(&x4, &y4, &mut Sgd::new(0.1));
        let err = catch_unwind(AssertUnwindSafe(|| drop(par.into_inner())))
            .expect_err("the worker's panic must reach the caller");
        panic_message(&*err)
    });
    assert_eq!(msg, "trap: dropped on the worker thread");
}
