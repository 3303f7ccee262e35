//! The optimizer wrappers that combine the two halves' gradients in the flat buffer: the
//! worker's [`GradSink`] writes `n₁/N·g₁` into it, the caller's [`Combine`] adds `n₀/N·g₀`,
//! runs the user's optimizer on the sum and leaves the updated values in the buffer for the
//! worker. Both visit the parameters in `visit_params` order, so position `at` of the buffer is
//! the same scalar on both threads.

use crate::float::Float;
use crate::kernels::handoff::{Finished, Posted};
use crate::optim::{self, Optimizer};
use crate::param::Param;

/// The worker's "optimizer": writes `scale·g` of every parameter into `flat` (in visit
/// order) and leaves the values alone.
pub(super) struct GradSink<'f, T> {
    flat: &'f mut [T],
    scale: T,
    at: usize,
}

impl<'f, T> GradSink<'f, T> {
    /// Writes `scale·g` into `flat`.
    pub(super) fn new(flat: &'f mut [T], scale: T) -> Self {
        Self { flat, scale, at: 0 }
    }
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
pub(super) enum Mode<T> {
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

/// Where a [`Combine`] gets the flat buffer from, in `begin_step`.
enum Source<'s, T> {
    /// The buffer, the worker being idle.
    Ready(&'s mut [T]),
    /// The worker's job, to finish (or take back) first: the buffer comes with its end.
    Posted(Posted<'s, T>),
    /// Moved into `Combine::flat` by the first `begin_step`.
    Taken,
}

/// The caller's optimizer wrapper, handed to its network's `train_step`: combines the
/// gradients in `flat` as `mode` says, runs the user's optimizer on the result and stores
/// every updated value in `flat` for the worker.
pub(super) struct Combine<'s, T: Float, O: ?Sized> {
    opt: &'s mut O,
    source: Source<'s, T>,
    mode: Mode<T>,
    flat: Option<&'s mut [T]>,
    at: usize,
    index: usize,
    /// Set by `begin_step` in `Mode::First`.
    finished: Option<Finished<T>>,
}

impl<'s, T: Float, O: Optimizer<T> + ?Sized> Combine<'s, T, O> {
    /// A wrapper in `mode` (not `First`) over the buffer `flat`.
    pub(super) fn new(opt: &'s mut O, flat: &'s mut [T], mode: Mode<T>) -> Self {
        debug_assert!(
            !matches!(mode, Mode::First(_)),
            "Combine::new: Mode::First needs a posted job"
        );
        Self::with_source(opt, Source::Ready(flat), mode)
    }

    /// The first half's wrapper while the worker has the second half, `posted`: its
    /// `begin_step` waits for the worker (or takes the job back), then combines with weight
    /// `scale`.
    pub(super) fn first(opt: &'s mut O, posted: Posted<'s, T>, scale: T) -> Self {
        Self::with_source(opt, Source::Posted(posted), Mode::First(scale))
    }

    fn with_source(opt: &'s mut O, source: Source<'s, T>, mode: Mode<T>) -> Self {
        Self {
            opt,
            source,
            mode,
            flat: None,
            at: 0,
            index: 0,
            finished: None,
        }
    }

    /// How the posted job ended (`None` if `begin_step` was never called).
    pub(super) fn finished(&self) -> Option<Finished<T>> {
        self.finished
    }
}

impl<T: Float, O: Optimizer<T> + ?Sized> Optimizer<T> for Combine<'_, T, O> {
    fn begin_step(&mut self) {
        match core::mem::replace(&mut self.source, Source::Taken) {
            Source::Ready(flat) => self.flat = Some(flat),
            Source::Posted(posted) => {
                let (finished, flat) = posted.finish();
                self.finished = Some(finished);
                if let Mode::First(s) = self.mode {
                    self.mode = match finished {
                        Finished::Done { .. } => Mode::Add(s),
                        Finished::TakenBack => Mode::Stash(s),
                    };
                }
                self.flat = Some(flat);
            }
            // A second `begin_step`: the same buffer.
            Source::Taken => {}
        }
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
                if let Some(lr) = optim::sgd_rate(&*self.opt) {
                    // Plain SGD in one pass: g = flat + s·g₀, v ← v − lr·g (the SGD rule, as
                    // `Sgd` rounds it), flat ← v.
                    for ((f, &g), v) in slot.iter_mut().zip(grad).zip(value.iter_mut()) {
                        *v = optim::sgd::rule(*v, lr, *f + s * g);
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
