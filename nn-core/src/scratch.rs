//! A reused per-thread scratch buffer for inference through `&self`
//! (`Network::predict_into`): intermediate activations live here instead of in the network,
//! so a shared network can predict from several threads, and nothing is allocated once a
//! thread has seen a batch of the largest size.

use std::cell::RefCell;

use crate::Float;

thread_local! {
    /// Free buffers of this thread. A call takes one (or makes one), uses it and gives it
    /// back, so nested calls (a network inside a user layer's `infer`) each get their own.
    static POOL: RefCell<Vec<Vec<f64>>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on a scratch slice of `len` elements of this thread.
///
/// The slice's contents are unspecified (whatever an earlier call left there): `f` must
/// write before it reads. The buffer grows to the largest `len` requested and is kept for
/// the next call; after that, a call allocates nothing.
///
/// ```
/// let sum = nn_core::scratch::with_scratch::<f32, _>(4, |s| {
///     s.copy_from_slice(&[1.0, 2.0, 3.0, 4.0]);
///     s.iter().sum::<f32>()
/// });
/// assert_eq!(sum, 10.0);
/// ```
pub fn with_scratch<T: Float, R>(len: usize, f: impl FnOnce(&mut [T]) -> R) -> R {
    const { assert!(align_of::<T>() <= align_of::<f64>() && size_of::<f64>().is_multiple_of(size_of::<T>())) };
    let words = (len * size_of::<T>()).div_ceil(size_of::<f64>());
    let mut buf = POOL
        .try_with(|p| p.borrow_mut().pop())
        .ok()
        .flatten()
        .unwrap_or_default();
    if buf.len() < words {
        buf.resize(words, 0.0);
    }
    // SAFETY: `T` is `f32` or `f64` (`Float` is sealed): every bit pattern is a valid value,
    // its alignment divides `f64`'s (checked above), and `words` f64s hold at least `len` Ts.
    // The slice borrows `buf`, which outlives it.
    let slice = unsafe { std::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<T>(), len) };
    let result = f(slice);
    let _ = POOL.try_with(|p| p.borrow_mut().push(buf));
    result
}

#[cfg(test)]
mod tests {
    use super::with_scratch;

    #[test]
    fn nested_calls_get_distinct_buffers() {
        with_scratch::<f64, _>(3, |outer| {
            outer.fill(1.0);
            with_scratch::<f64, _>(3, |inner| inner.fill(2.0));
            assert_eq!(outer, &[1.0, 1.0, 1.0]);
        });
    }

    #[test]
    fn f32_slices_have_the_requested_length() {
        with_scratch::<f32, _>(5, |s| {
            assert_eq!(s.len(), 5);
            s.fill(3.0);
        });
        with_scratch::<f32, _>(0, |s| assert!(s.is_empty()));
    }
}
