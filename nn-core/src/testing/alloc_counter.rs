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
//! Work handed to other threads (e.g. [`DataParallel`](crate::parallel::DataParallel)'s worker) is
//! counted by the process-wide counters of [`count_allocations_in_process`], which see every
//! thread, the test harness' included: use them in a test binary that runs one test at a time.

pub use crate::kernels::alloc::CountingAllocator;
use crate::kernels::alloc::{note_largest, process_allocations, take_largest, thread_bytes, thread_counts};

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
    /// Bytes requested by `alloc`, `alloc_zeroed` and `realloc` (its new size).
    pub bytes: u64,
}

impl AllocStats {
    /// The counters of the current thread.
    pub fn now() -> Self {
        let (allocs, reallocs, deallocs) = thread_counts();
        Self {
            allocs,
            reallocs,
            deallocs,
            bytes: thread_bytes(),
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
            bytes: self.bytes - earlier.bytes,
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
    process_allocations()
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

/// Runs `f` and returns its result with the size in bytes of the largest single request
/// (an allocation, or a reallocation's new size) it made on the current thread: what proves
/// that reading a file whose header claims gigabytes does not allocate them.
///
/// ```
/// use nn_core::alloc_counter::{largest_allocation, CountingAllocator};
///
/// #[global_allocator]
/// static ALLOC: CountingAllocator = CountingAllocator;
///
/// let (v, largest) = largest_allocation(|| vec![0u8; 1000]);
/// assert_eq!((v.len(), largest), (1000, 1000));
/// ```
///
/// Panics if [`CountingAllocator`] is not the global allocator.
pub fn largest_allocation<R>(f: impl FnOnce() -> R) -> (R, usize) {
    assert!(
        is_counting(),
        "largest_allocation: CountingAllocator is not the global allocator; declare \
         `#[global_allocator] static A: nn_core::alloc_counter::CountingAllocator = \
         nn_core::alloc_counter::CountingAllocator;` in this binary"
    );
    let earlier = take_largest();
    let r = f();
    let largest = take_largest();
    // An enclosing measurement still sees everything requested since it began.
    note_largest(earlier.max(largest));
    (r, largest)
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
