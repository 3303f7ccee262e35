//! The raw global allocator of [`alloc_counter`](crate::alloc_counter): forwards to
//! [`System`] and counts (requests, and their sizes). Its counters are `const`-initialised thread-locals holding plain
//! `Cell`s (and one process-wide atomic), so counting never allocates, and other threads
//! (test harness threads running other tests concurrently) never disturb the count of the
//! thread being measured.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Allocations plus reallocations of every thread.
static PROCESS_ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    static REALLOCS: Cell<u64> = const { Cell::new(0) };
    static DEALLOCS: Cell<u64> = const { Cell::new(0) };
    /// Bytes requested by allocations and reallocations (their new sizes).
    static BYTES: Cell<u64> = const { Cell::new(0) };
    /// The largest single request (allocation or reallocation's new size) since the last
    /// [`take_largest`].
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

#[inline]
fn bump(counter: &'static std::thread::LocalKey<Cell<u64>>) {
    // `try_with` never allocates (const init, no destructor) and ignores threads that are
    // being torn down.
    let _ = counter.try_with(|c| c.set(c.get() + 1));
}

/// Notes a request of `size` bytes on the current thread.
#[inline]
fn note_size(size: usize) {
    let _ = BYTES.try_with(|c| c.set(c.get().wrapping_add(size as u64)));
    let _ = LARGEST.try_with(|c| c.set(c.get().max(size)));
}

#[inline]
fn bump_process() {
    PROCESS_ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
}

#[inline]
fn read(counter: &'static std::thread::LocalKey<Cell<u64>>) -> u64 {
    counter.try_with(Cell::get).unwrap_or(0)
}

/// `(allocs, reallocs, deallocs)` counted so far on the current thread.
pub(crate) fn thread_counts() -> (u64, u64, u64) {
    (read(&ALLOCS), read(&REALLOCS), read(&DEALLOCS))
}

/// Bytes requested so far on the current thread (allocations and reallocations' new sizes).
pub(crate) fn thread_bytes() -> u64 {
    BYTES.try_with(Cell::get).unwrap_or(0)
}

/// The largest single request on the current thread since the last call, and resets it to 0.
pub(crate) fn take_largest() -> usize {
    LARGEST.try_with(|c| c.replace(0)).unwrap_or(0)
}

/// Raises the current thread's largest request to at least `size` (restoring an enclosing
/// measurement after [`take_largest`]).
pub(crate) fn note_largest(size: usize) {
    let _ = LARGEST.try_with(|c| c.set(c.get().max(size)));
}

/// Allocations plus reallocations counted so far on every thread.
pub(crate) fn process_allocations() -> u64 {
    PROCESS_ALLOCATIONS.load(Ordering::SeqCst)
}

/// A global allocator that forwards to [`System`] and counts allocations, reallocations and
/// frees per thread (and allocations plus reallocations of the whole process). Install it with
/// `#[global_allocator] static A: CountingAllocator = CountingAllocator;`.
#[derive(Clone, Copy, Debug, Default)]
pub struct CountingAllocator;

// SAFETY: every method forwards to `System` with the same arguments (so `System`'s guarantees
// hold); the counters are thread-local `Cell`s with const initialisers and one atomic, so
// counting neither allocates nor races.
unsafe impl GlobalAlloc for CountingAllocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCS);
        bump_process();
        note_size(layout.size());
        // SAFETY: the caller's contract of `GlobalAlloc::alloc`, forwarded.
        unsafe { System.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCS);
        bump_process();
        note_size(layout.size());
        // SAFETY: the caller's contract of `GlobalAlloc::alloc_zeroed`, forwarded.
        unsafe { System.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump(&REALLOCS);
        bump_process();
        note_size(new_size);
        // SAFETY: the caller's contract of `GlobalAlloc::realloc`, forwarded (`ptr` came from
        // this allocator, i.e. from `System`).
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        bump(&DEALLOCS);
        // SAFETY: the caller's contract of `GlobalAlloc::dealloc`, forwarded (`ptr` came from
        // this allocator, i.e. from `System`).
        unsafe { System.dealloc(ptr, layout) }
    }
}
