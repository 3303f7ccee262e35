//! The trainer's epochs allocate nothing: a run of 6 epochs makes exactly as many heap
//! allocations as a run of 1 (all of them set-up: history capacity, batch buffers, the
//! network's buffers on the first batch, the optimizer's state on the first step).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use nn_core::data::spiral;
use nn_core::train::doc_net::TwoLayerNet;
use nn_core::train::{Progress, Trainer};
use nn_core::{Adam, Optimizer, Sgd};
use rand::SeedableRng;

struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts (per thread: other test threads
// allocate concurrently).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_of_a_run<O: Optimizer<f32>>(opt: O, epochs: usize, batch: usize) -> usize {
    let data = spiral::<f32>(1984);
    let (train, test) = data.split(0.2, 0);
    let mut net: TwoLayerNet<f32> = TwoLayerNet::new(&mut rand_chacha::ChaCha8Rng::seed_from_u64(0));
    let mut trainer = Trainer::new(opt)
        .epochs(epochs)
        .batch_size(batch)
        .progress(Progress::Silent);
    let before = ALLOCS.with(Cell::get);
    let history = trainer.fit(&mut net, &train, Some(&test)).unwrap();
    let after = ALLOCS.with(Cell::get);
    assert_eq!(history.epochs.len(), epochs);
    after - before
}

#[test]
fn epochs_after_the_first_allocate_nothing() {
    // batch 7 leaves a short last batch (240 = 34·7 + 2) in training and evaluation
    for batch in [30, 7] {
        let one = allocations_of_a_run(Sgd::new(1.0), 1, batch);
        let six = allocations_of_a_run(Sgd::new(1.0), 6, batch);
        assert_eq!(
            one, six,
            "Sgd, batch {batch}: 1 epoch made {one} allocations, 6 epochs {six}"
        );
        let one = allocations_of_a_run(Adam::default(), 1, batch);
        let six = allocations_of_a_run(Adam::default(), 6, batch);
        assert_eq!(
            one, six,
            "Adam, batch {batch}: 1 epoch made {one} allocations, 6 epochs {six}"
        );
        assert!(one > 0, "the counter counts");
    }
}
