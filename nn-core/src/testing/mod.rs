//! Helpers for testing networks and layers: the gradient checker and the allocation counter,
//! re-exported from the crate root as [`gradcheck`](crate::gradcheck) and
//! [`alloc_counter`](crate::alloc_counter).

pub mod alloc_counter;
pub mod gradcheck;
