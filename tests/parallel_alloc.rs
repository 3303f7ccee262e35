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

    // Warm-up: every buffer sees its batch size, Adam allocates its state. The worker's
    // buffers grow only in steps it takes part in (it may miss one when the second core is
    // busy: the calling thread then trains both halves), so warm up until it has trained a
    // copied batch and a batch read in place.
    for in_place in [false, true] {
        let before = par.stats().worker_steps;
        for round in 0.. {
            assert!(round < 10_000, "the worker never trained a half batch");
            if in_place {
                let (x, t) = batches.get_in_place(&data, 0);
                par.train_step(x, t, &mut adam);
            } else {
                let (x, t) = batches.get(&data, 0);
                par.train_step(x, t, &mut sgd);
            }
            if par.stats().worker_steps > before {
                break;
            }
        }
    }
    for opt in [&mut sgd as &mut dyn nn::Optimizer<f32>, &mut adam] {
        for in_place in [false, true] {
            let (mine, all) = count_allocations_in_process(|| {
                let before = allocations_on_this_thread();
                batches.shuffle();
                for i in 0..batches.len() {
                    if in_place {
                        let (x, t) = batches.get_in_place(&data, i);
                        par.train_step(x, t, opt);
                    } else {
                        let (x, t) = batches.get(&data, i);
                        par.train_step(x, t, opt);
                    }
                }
                allocations_on_this_thread() - before
            });
            let how = if in_place {
                "batches read in place"
            } else {
                "copied batches"
            };
            assert_eq!(mine, 0, "calling thread: {mine} allocations in steady steps ({how})");
            assert_eq!(
                all, 0,
                "worker thread: {all} allocations in steady steps ({how}, process-wide count)"
            );
        }
    }

    // The counter sees the worker: a larger batch grows the buffers of both networks, and
    // the process-wide count exceeds the calling thread's (in a step the worker takes part in).
    for n in (300..).step_by(2) {
        assert!(n < 2000, "the worker never trained a half batch");
        let x = Batch::<f32, 784>::from_fn(n, |i, j| ((i + j) % 7) as f32 * 0.1);
        let y: Vec<usize> = (0..n).map(|j| j % 10).collect();
        let before = par.stats().worker_steps;
        let (mine, all) = count_allocations_in_process(|| {
            let before = allocations_on_this_thread();
            par.train_step(&x, &y, &mut sgd);
            allocations_on_this_thread() - before
        });
        if par.stats().worker_steps > before {
            assert!(
                mine > 0 && all > mine,
                "growth on both threads: calling thread {mine}, process {all}"
            );
            break;
        }
    }
}
