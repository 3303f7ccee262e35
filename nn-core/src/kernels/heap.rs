//! Matrices with compile-time shape allocated directly on the heap.

use nalgebra::SMatrix;

use super::elem::Elem;

/// A zeroed `R × C` static matrix allocated on the heap without building it on the stack
/// first (`Box::new(SMatrix::zeros())` would put a 784×1000 `f32` matrix, 3 MB, on the
/// stack before moving it).
pub(crate) fn boxed_zeros<T: Elem, const R: usize, const C: usize>() -> Box<SMatrix<T, R, C>> {
    let data: Box<[T]> = vec![T::ZERO; R * C].into_boxed_slice();
    assert_eq!(data.len(), R * C);
    let ptr = Box::into_raw(data) as *mut T as *mut SMatrix<T, R, C>;
    // SAFETY: `SMatrix<T, R, C>` is `#[repr(C)] Matrix { data: ArrayStorage, PhantomData }`
    // with `#[repr(transparent)] ArrayStorage([[T; R]; C])`: exactly `R * C` contiguous `T`s
    // with the alignment of `T`, the layout of the boxed slice we just allocated (same
    // size, same alignment, so the global allocator sees the same layout on drop).
    unsafe { Box::from_raw(ptr) }
}

/// A heap copy of `m` that never holds the matrix on the stack.
pub(crate) fn boxed_clone<T: Elem, const R: usize, const C: usize>(m: &SMatrix<T, R, C>) -> Box<SMatrix<T, R, C>> {
    let mut b = boxed_zeros::<T, R, C>();
    b.as_mut_slice().copy_from_slice(m.as_slice());
    b
}
