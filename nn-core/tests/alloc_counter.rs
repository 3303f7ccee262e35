//! The counting allocator counts exactly, and per thread.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use nn_core::alloc_counter::{
    allocations_on_this_thread, count_allocations, count_allocations_detailed, is_counting, CountingAllocator,
};

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

#[test]
fn counts_allocations_and_reallocations_exactly() {
    assert!(is_counting());
    let ((), n) = count_allocations(|| {});
    assert_eq!(n, 0);
    let (boxes, n) = count_allocations(|| (std::hint::black_box(Box::new(1u64)), Box::new([0u8; 64])));
    assert_eq!(n, 2);
    drop(boxes);

    let mut v: Vec<u64> = Vec::with_capacity(1);
    let ((), stats) = count_allocations_detailed(|| {
        for i in 0..1000 {
            v.push(std::hint::black_box(i));
        }
    });
    assert_eq!(stats.allocs, 0);
    assert!(stats.reallocs >= 1, "growing a Vec reallocates: {stats:?}");
    let ((), stats) = count_allocations_detailed(|| drop(std::mem::take(&mut v)));
    assert_eq!((stats.allocations(), stats.deallocs), (0, 1));
}

#[test]
fn other_threads_do_not_disturb_the_count() {
    let stop = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicUsize::new(0));
    let busy = {
        let (stop, rounds) = (stop.clone(), rounds.clone());
        std::thread::spawn(move || {
            let mut total = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let v: Vec<u8> = std::hint::black_box(vec![1; 100]);
                total += v.len();
                rounds.fetch_add(1, Ordering::Relaxed);
            }
            (total, allocations_on_this_thread())
        })
    };
    // Measure an allocation-free loop here while the other thread allocates.
    while rounds.load(Ordering::Relaxed) < 100 {
        std::thread::yield_now();
    }
    let mut sum = 0u64;
    let mut round = 0;
    while round < 200 || rounds.load(Ordering::Relaxed) < 1000 {
        round += 1;
        let ((), n) = count_allocations(|| {
            for i in 0..10_000u64 {
                sum = sum.wrapping_add(std::hint::black_box(i * round as u64));
            }
        });
        assert_eq!(n, 0, "round {round}");
    }
    stop.store(true, Ordering::Relaxed);
    let (total, theirs) = busy.join().unwrap();
    assert!(total > 0 && theirs > 0, "the other thread allocated ({theirs} times)");
    std::hint::black_box(sum);
}

#[test]
fn the_process_wide_count_sees_other_threads() {
    use nn_core::alloc_counter::count_allocations_in_process;
    // Other tests of this binary may allocate meanwhile: the count can only be larger.
    let (mine, n) = count_allocations_in_process(|| {
        std::thread::scope(|s| {
            s.spawn(|| {
                for i in 0..10u64 {
                    drop(std::hint::black_box(Box::new(i)));
                }
            });
        });
        0
    });
    assert!(n >= 10 + mine, "the 10 boxes of the other thread were counted: {n}");
}
