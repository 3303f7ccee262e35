//! Issue 5, "Two threads": a `DataParallel` W2 step allocates nothing in steady state, on the
//! calling thread or on the worker. The worker's allocations are only visible to the
//! process-wide counter, so this binary holds a single test (no other test thread allocates
//! while it counts).

use nn::alloc_counter::{allocations_on_this_thread, count_allocations_in_process, CountingAllocator};
use nn::data::{Batches, Dataset};
use nn::rand::{Rng, SeedableRng};
use nn::rand_chacha::ChaCha8Rng;
use nn::{network, Adam, Batch, DataParallel, Sgd};

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

network! {
    /// W2.
    #[derive(Clone)]
    pub struct Mlp100 { input: 784, affine1: Affine(100), sigmoid: Sigmoid, affine2: Affine(10), loss: SoftmaxWithLoss }
}

#[test]
fn data_parallel_w2_steps_allocate_nothing_on_either_thread() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let x = Batch::<f32, 784>::from_fn(400, |_, _| rng.random::<f32>());
    let labels = (0..400).map(|_| rng.random_range(0..10)).collect();
    let data: Dataset<f32, 784> = Dataset::classification(x, labels, 10).unwrap();
    let mut par = DataParallel::new(Mlp100::new(&mut ChaCha8Rng::seed_from_u64(1)));
    let mut sgd = Sgd::new(0.1f32);
    let mut adam = Adam::new(0.001f32, 0.9, 0.999);
    let mut batches: Batches<f32, 784> = Batches::new(data.len(), 100, 0);

    // Warm-up: every buffer sees its batch size, Adam allocates its state.
    let (x, t) = batches.get(&data, 0);
    par.train_step(x, t.into(), &mut sgd);
    par.train_step(x, t.into(), &mut adam);

    for opt in [&mut sgd as &mut dyn nn::Optimizer<f32>, &mut adam] {
        let (mine, all) = count_allocations_in_process(|| {
            let before = allocations_on_this_thread();
            batches.shuffle();
            for i in 0..batches.len() {
                let (x, t) = batches.get(&data, i);
                par.train_step(x, t.into(), opt);
            }
            allocations_on_this_thread() - before
        });
        assert_eq!(mine, 0, "calling thread: {mine} allocations in steady steps");
        assert_eq!(all, 0, "worker thread: {all} allocations in steady steps (process-wide count)");
    }

    // The counter sees the worker: a larger batch grows the buffers of both networks, and
    // the process-wide count exceeds the calling thread's.
    let x = Batch::<f32, 784>::from_fn(300, |i, j| ((i + j) % 7) as f32 * 0.1);
    let y: Vec<usize> = (0..300).map(|j| j % 10).collect();
    let (mine, all) = count_allocations_in_process(|| {
        let before = allocations_on_this_thread();
        par.train_step(x.as_view(), (&y).into(), &mut sgd);
        allocations_on_this_thread() - before
    });
    assert!(mine > 0 && all > mine, "growth on both threads: calling thread {mine}, process {all}");
}
