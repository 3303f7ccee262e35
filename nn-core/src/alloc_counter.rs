//! A counting global allocator, to prove that a code path allocates nothing.
//!
//! [`CountingAllocator`] wraps [`std::alloc::System`] and counts, **per thread**, every
//! allocation and reallocation (frees are counted separately). The counters are `const`
//! initialised thread-locals holding plain `Cell`s, so the allocator never allocates itself
//! and other threads (test harness threads running other tests concurrently) never disturb
//! the count of the thread being measured.
//!
//! Declare it in a test binary (or any binary), then measure a closure:
//!
//! ```
//! use nn_core::alloc_counter::{count_allocations, CountingAllocator};
//!
//! #[global_allocator]
//! static ALLOC: CountingAllocator = CountingAllocator;
//!
//! let mut v: Vec<u32> = Vec::with_capacity(16);
//! let ((), n) = count_allocations(|| v.extend([1, 2, 3]));
//! assert_eq!(n, 0); // fits in the capacity
//! let ((), n) = count_allocations(|| v.extend(0..100));
//! assert!(n >= 1); // grew
//! ```
//!
//! [`count_allocations`] panics if `CountingAllocator` is not the global allocator, so a
//! forgotten `#[global_allocator]` cannot make a zero-allocation test pass vacuously.
//!
//! Work handed to other threads (e.g. [`DataParallel`](crate::DataParallel)'s worker) is
//! counted by the process-wide counters of [`count_allocations_in_process`], which see every
//! thread, the test harness' included: use them in a test binary that runs one test at a time.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Allocations plus reallocations of every thread.
static PROCESS_ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    static REALLOCS: Cell<u64> = const { Cell::new(0) };
    static DEALLOCS: Cell<u64> = const { Cell::new(0) };
}

#[inline]
fn bump(counter: &'static std::thread::LocalKey<Cell<u64>>) {
    // `try_with` never allocates (const init, no destructor) and ignores threads that are
    // being torn down.
    let _ = counter.try_with(|c| c.set(c.get() + 1));
}

#[inline]
fn bump_process() {
    PROCESS_ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
}

#[inline]
fn read(counter: &'static std::thread::LocalKey<Cell<u64>>) -> u64 {
    counter.try_with(Cell::get).unwrap_or(0)
}

/// A global allocator that forwards to [`System`] and counts allocations, reallocations and
/// frees per thread (and allocations plus reallocations of the whole process). Install it with
/// `#[global_allocator] static A: CountingAllocator = CountingAllocator;`.
#[derive(Clone, Copy, Debug, Default)]
pub struct CountingAllocator;

// SAFETY: every method forwards to `System` with the same arguments; the counters are
// thread-local `Cell`s with const initialisers and one atomic, so counting neither allocates
// nor races.
unsafe impl GlobalAlloc for CountingAllocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCS);
        bump_process();
        System.alloc(layout)
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCS);
        bump_process();
        System.alloc_zeroed(layout)
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump(&REALLOCS);
        bump_process();
        System.realloc(ptr, layout, new_size)
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        bump(&DEALLOCS);
        System.dealloc(ptr, layout)
    }
}

/// Per-thread allocator counters at one instant (all zero unless [`CountingAllocator`] is
/// the global allocator).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AllocStats {
    /// Calls to `alloc` and `alloc_zeroed`.
    pub allocs: u64,
    /// Calls to `realloc`.
    pub reallocs: u64,
    /// Calls to `dealloc`.
    pub deallocs: u64,
}

impl AllocStats {
    /// The counters of the current thread.
    pub fn now() -> Self {
        Self {
            allocs: read(&ALLOCS),
            reallocs: read(&REALLOCS),
            deallocs: read(&DEALLOCS),
        }
    }

    /// Allocations plus reallocations: what "allocates nothing" means.
    pub fn allocations(&self) -> u64 {
        self.allocs + self.reallocs
    }

    /// The counts between `earlier` and `self`.
    pub fn since(&self, earlier: &AllocStats) -> AllocStats {
        AllocStats {
            allocs: self.allocs - earlier.allocs,
            reallocs: self.reallocs - earlier.reallocs,
            deallocs: self.deallocs - earlier.deallocs,
        }
    }
}

/// Allocations plus reallocations made so far by the current thread.
pub fn allocations_on_this_thread() -> u64 {
    AllocStats::now().allocations()
}

/// Whether [`CountingAllocator`] is the global allocator (checked with one probe allocation).
pub fn is_counting() -> bool {
    let before = allocations_on_this_thread();
    let probe = std::hint::black_box(Box::new(std::hint::black_box(0u64)));
    drop(probe);
    allocations_on_this_thread() > before
}

/// Runs `f` and returns its result with the number of allocations plus reallocations it
/// made on the current thread (work it hands to other threads is not counted).
///
/// Panics if [`CountingAllocator`] is not the global allocator.
pub fn count_allocations<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let (r, stats) = count_allocations_detailed(f);
    (r, stats.allocations())
}

/// Allocations plus reallocations made so far by every thread of the process.
pub fn allocations_in_process() -> u64 {
    PROCESS_ALLOCATIONS.load(Ordering::SeqCst)
}

/// Runs `f` and returns its result with the number of allocations plus reallocations made
/// by **every thread** while it ran: work `f` hands to other threads counts, and so does
/// anything other threads do meanwhile (run such a test alone in its test binary). `f` must
/// wait for the work it hands out, or it may be missed.
///
/// Panics if [`CountingAllocator`] is not the global allocator.
pub fn count_allocations_in_process<R>(f: impl FnOnce() -> R) -> (R, u64) {
    assert!(
        is_counting(),
        "count_allocations_in_process: CountingAllocator is not the global allocator; declare \
         `#[global_allocator] static A: nn_core::alloc_counter::CountingAllocator = \
         nn_core::alloc_counter::CountingAllocator;` in this binary"
    );
    let before = allocations_in_process();
    let r = f();
    (r, allocations_in_process() - before)
}

/// Like [`count_allocations`], with allocations, reallocations and frees counted apart.
pub fn count_allocations_detailed<R>(f: impl FnOnce() -> R) -> (R, AllocStats) {
    assert!(
        is_counting(),
        "count_allocations: CountingAllocator is not the global allocator; declare \
         `#[global_allocator] static A: nn_core::alloc_counter::CountingAllocator = \
         nn_core::alloc_counter::CountingAllocator;` in this binary"
    );
    let before = AllocStats::now();
    let r = f();
    let after = AllocStats::now();
    (r, after.since(&before))
}

#[cfg(test)]
mod tests {
    // The library's unit-test binary does not install the counting allocator.
    #[test]
    #[should_panic(expected = "CountingAllocator is not the global allocator")]
    fn refuses_to_count_without_the_allocator() {
        assert!(!super::is_counting());
        let _ = super::count_allocations(|| ());
    }
}
