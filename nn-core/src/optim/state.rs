//! Per-parameter optimizer state, allocated on the first step and reused after.

use crate::float::Float;

/// One buffer per parameter tensor, indexed by the `index` of
/// [`Optimizer::update`](crate::Optimizer::update) (the tensor's position in the network's
/// visit order). A buffer is allocated (zeroed) the first time its tensor is seen; every
/// later step reuses it, so a steady training loop allocates nothing.
#[derive(Clone, Debug, Default)]
pub(crate) struct Slots<T> {
    slots: Vec<Vec<T>>,
}

impl<T: Float> Slots<T> {
    pub(crate) const fn new() -> Self {
        Self { slots: Vec::new() }
    }

    /// The buffer of tensor `index`, of `len` elements. Panics if the tensor had another
    /// length on an earlier step (the optimizer is being used with another network).
    #[inline]
    pub(crate) fn get(&mut self, index: usize, len: usize, what: &str) -> &mut [T] {
        if index >= self.slots.len() {
            self.slots.resize_with(index + 1, Vec::new);
        }
        let slot = &mut self.slots[index];
        if slot.is_empty() {
            slot.resize(len, T::zero());
        }
        assert_eq!(
            slot.len(),
            len,
            "{what}: parameter tensor {index} has {len} elements but had {} on an earlier step \
             (one optimizer per network; call reset() to reuse it)",
            slot.len()
        );
        slot
    }

    /// A copy of every buffer (for [`OptimizerState`](crate::optim::OptimizerState)).
    pub(crate) fn to_vecs(&self) -> Vec<Vec<T>> {
        self.slots.clone()
    }

    /// Replaces every buffer with `slots` (already checked by the caller).
    pub(crate) fn set_vecs(&mut self, slots: &[Vec<T>]) {
        self.slots.clear();
        self.slots.extend_from_slice(slots);
    }

    /// Drops all state (the next step starts afresh).
    pub(crate) fn clear(&mut self) {
        self.slots.clear();
    }
}
