//! The kernel layer: every instruction-set-specific loop of the crate and all of its `unsafe`.
//! The rest of the crate calls safe functions of this module and never sees a
//! `#[target_feature]`, a raw pointer, a reinterpreted buffer or an `UnsafeCell`. Nothing here
//! depends on the rest of the crate.
//!
//! - [`isa`]: the one [`Isa`](isa::Isa) enum and its one cached run-time detection.
//! - [`dispatch`]: the one mechanism that compiles a kernel body once per instruction set
//!   (`#[target_feature]` variants) and picks the variant of the detected one.
//! - [`elem`]: [`Elem`], what the kernels need from `f32` / `f64` and their per-type entries;
//!   a supertrait of [`Float`](crate::Float) that seals it.
//! - [`gemm`]: the general matrix product (direct, packed and loop paths, gathered `B`).
//! - [`elementwise`]: fast `f32` exp / sigmoid / tanh and the vectorised SGD step.
//! - [`fixed`]: the fixed-width kernels of small fully connected layers.
//! - [`cell`]: the fused batch-1 streaming steps of the built-in recurrent cells.
//! - [`scratch`]: the one aligned per-thread scratch pool (nesting safe).
//! - [`heap`]: large static matrices allocated directly on the heap.
//! - [`alloc`]: the raw global allocator behind [`alloc_counter`](crate::alloc_counter).
//! - [`handoff`]: the cells and the state machine of [`DataParallel`](crate::DataParallel)'s
//!   two-thread hand-off, behind a safe API.
//!
//! Benchmarks and tests reach the pieces they measure through `nn_core::__internal`.

pub(crate) mod alloc;
pub(crate) mod cell;
pub(crate) mod dispatch;
pub(crate) mod elem;
pub(crate) mod elementwise;
pub(crate) mod fixed;
pub(crate) mod gemm;
pub(crate) mod handoff;
pub(crate) mod heap;
pub(crate) mod isa;
pub(crate) mod scratch;

pub use elem::Elem;
