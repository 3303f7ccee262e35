//! The per-thread scratch pool: 64-byte-aligned buffers, grown to the largest size asked for
//! and reused, so nothing is allocated in steady state. It holds the GEMM's packing buffers and
//! large transposed-`A` copies, and the intermediate activations of inference through `&self`
//! (`Network::predict_into`: a shared network can predict from several threads).
//!
//! The pool is a stack of free buffers per thread. A call takes the top one (or makes one),
//! uses it and puts it back, so nested calls — a GEMM inside `predict_into`, a network inside a
//! user layer's `infer` — each get their own buffer, and a call at a given nesting depth gets
//! the same buffer every time (already grown after the first).

use core::cell::RefCell;

use super::elem::Elem;

/// 64 bytes, 64-aligned: the unit the buffers grow in (keeps packed panels and activations
/// cache-line aligned for either float type).
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([u8; 64]);

thread_local! {
    /// The free buffers of this thread, the one a call at the current depth takes on top.
    static POOL: RefCell<Vec<Vec<Line>>> = const { RefCell::new(Vec::new()) };
}

/// A buffer on loan from the pool: goes back on top when dropped (also when the closure
/// panics), or is freed if the thread's pool is gone (thread-local teardown).
struct Loan(Vec<Line>);

impl Drop for Loan {
    fn drop(&mut self) {
        let buf = core::mem::take(&mut self.0);
        let _ = POOL.try_with(|pool| {
            if let Ok(mut pool) = pool.try_borrow_mut() {
                pool.push(buf);
            }
        });
    }
}

/// Runs `f` on a scratch slice of `len` elements of this thread, 64-byte aligned.
///
/// The slice's contents are unspecified (whatever an earlier call left there): `f` must
/// write before it reads. Nested calls get distinct buffers. A buffer grows to the largest
/// `len` asked for at its nesting depth and is kept for the next call; after that, a call
/// allocates nothing. During thread-local teardown a temporary buffer is used instead.
///
/// ```
/// let sum = nn_core::__internal::with_scratch::<f32, _>(4, |s| {
///     s.copy_from_slice(&[1.0, 2.0, 3.0, 4.0]);
///     s.iter().sum::<f32>()
/// });
/// assert_eq!(sum, 10.0);
/// ```
pub fn with_scratch<T: Elem, R>(len: usize, f: impl FnOnce(&mut [T]) -> R) -> R {
    const {
        assert!(align_of::<T>() <= align_of::<Line>() && size_of::<Line>().is_multiple_of(size_of::<T>()));
    };
    let bytes = len.checked_mul(size_of::<T>()).expect("with_scratch: length overflows");
    let lines = bytes.div_ceil(size_of::<Line>());
    let taken = POOL.try_with(|pool| pool.try_borrow_mut().ok().and_then(|mut pool| pool.pop()));
    let mut loan = Loan(taken.ok().flatten().unwrap_or_default());
    if loan.0.len() < lines {
        loan.0.resize(lines, Line([0; 64]));
    }
    // SAFETY: the buffer holds `lines · 64 ≥ len · size_of::<T>()` initialised bytes, aligned
    // to 64 ≥ `align_of::<T>()` (checked above); `T` is `f32` or `f64` (`Elem` is sealed), for
    // which every bit pattern is a valid value; the slice borrows `loan` mutably for its whole
    // life, and the buffer is neither moved nor resized meanwhile.
    let slice = unsafe { core::slice::from_raw_parts_mut(loan.0.as_mut_ptr().cast::<T>(), len) };
    f(slice)
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

    #[test]
    fn nested_buffers_are_disjoint_aligned_and_kept_per_depth() {
        let span = |s: &[f32]| s.as_ptr_range();
        let (outer, inner) = with_scratch::<f32, _>(1000, |outer| {
            assert_eq!(outer.as_ptr().addr() % 64, 0);
            let inner = with_scratch::<f64, _>(300, |inner| {
                assert_eq!(inner.as_ptr().addr() % 64, 0);
                inner.as_ptr_range()
            });
            let o = span(outer);
            let (i0, i1) = (inner.start.cast::<f32>(), inner.end.cast::<f32>());
            assert!(i1 <= o.start || o.end <= i0, "nested buffers overlap");
            (outer.as_ptr().addr(), inner.start.addr())
        });
        // The same depths get the same (already grown) buffers again.
        with_scratch::<f32, _>(1000, |o| {
            assert_eq!(o.as_ptr().addr(), outer);
            with_scratch::<f64, _>(300, |i| assert_eq!(i.as_ptr().addr(), inner));
        });
    }

    #[test]
    fn a_panicking_call_gives_its_buffer_back() {
        let first = with_scratch::<f32, _>(64, |s| s.as_ptr().addr());
        let caught = std::panic::catch_unwind(|| with_scratch::<f32, _>(64, |_| panic!("inside")));
        assert!(caught.is_err());
        assert_eq!(with_scratch::<f32, _>(64, |s| s.as_ptr().addr()), first);
    }
}
