//! Most of this crate's integration tests in one binary (one build and one link instead of
//! one per file: most of the test command's time was building and linking test binaries).
//! Each file is a module; run one with `cargo test -p nn-core --test all <file>::`.
//! The files that stay binaries of their own: the panic-hook and process-wide allocation
//! tests (a hook or a process count sees every test of its binary), and those that CI runs
//! alone or under another profile.

// Several files load common/two_layer_net.rs as a module of their own (as when each was a
// binary).
#![allow(clippy::duplicate_mod)]

/// Counts allocations per thread for the zero-allocation tests of every module.
#[global_allocator]
static ALLOC: nn_core::alloc_counter::CountingAllocator = nn_core::alloc_counter::CountingAllocator;

#[path = "bad_input.rs"]
mod bad_input;
#[path = "checkpoint.rs"]
mod checkpoint;
#[path = "fused_linear.rs"]
mod fused_linear;
#[path = "gradcheck_checker.rs"]
mod gradcheck_checker;
#[path = "gradcheck_layers.rs"]
mod gradcheck_layers;
#[path = "gradcheck_network.rs"]
mod gradcheck_network;
#[path = "large_layer.rs"]
mod large_layer;
#[path = "metrics_sklearn.rs"]
mod metrics_sklearn;
#[path = "new_layers.rs"]
mod new_layers;
#[path = "plot.rs"]
mod plot;
#[path = "recurrent.rs"]
mod recurrent;
#[path = "recurrent_reference.rs"]
mod recurrent_reference;
#[path = "reference_values.rs"]
mod reference_values;
#[path = "resume.rs"]
mod resume;
#[path = "scratch_pool.rs"]
mod scratch_pool;
#[path = "seed_shapes.rs"]
mod seed_shapes;
#[path = "standardizer_file.rs"]
mod standardizer_file;
#[path = "trainer.rs"]
mod trainer;
#[path = "trainer_alloc.rs"]
mod trainer_alloc;
#[path = "trainer_clip.rs"]
mod trainer_clip;
#[path = "trainer_reseed.rs"]
mod trainer_reseed;
#[path = "trainer_schedule.rs"]
mod trainer_schedule;
#[path = "zero_alloc.rs"]
mod zero_alloc;
