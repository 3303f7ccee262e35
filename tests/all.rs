//! Most of this crate's integration tests in one binary (one build and one link instead of
//! one per file: most of the test command's time was building and linking test binaries).
//! Each file is a module; run one with `cargo test --test all <file>::`.
//! The files that stay binaries of their own: the panic-hook and process-wide allocation
//! tests (a hook or a process count sees every test of its binary), those that CI runs alone
//! or under another profile, and `networks` (whose expansion snapshots name `crate::` paths).

// spiral.rs and classify.rs each load examples/spiral.rs as a module of their own.
#![allow(clippy::duplicate_mod)]

/// Counts allocations per thread for the zero-allocation tests of every module.
#[global_allocator]
static ALLOC: nn::alloc_counter::CountingAllocator = nn::alloc_counter::CountingAllocator;

#[path = "classify.rs"]
mod classify;
#[path = "diabetes.rs"]
mod diabetes;
#[path = "iris.rs"]
mod iris;
#[path = "macro_paths.rs"]
mod macro_paths;
#[path = "metrics.rs"]
mod metrics;
#[path = "onnx.rs"]
mod onnx;
#[path = "parallel.rs"]
mod parallel;
#[path = "persist_errors.rs"]
mod persist_errors;
#[path = "persist_mutation.rs"]
mod persist_mutation;
#[path = "pytorch_fixture.rs"]
mod pytorch_fixture;
#[path = "pytorch_sequences.rs"]
mod pytorch_sequences;
#[path = "sequences.rs"]
mod sequences;
#[path = "spiral.rs"]
mod spiral;
#[path = "state.rs"]
mod state;
#[path = "trainer_targets.rs"]
mod trainer_targets;
#[path = "user_layer.rs"]
mod user_layer;
#[path = "workload_allocations.rs"]
mod workload_allocations;
