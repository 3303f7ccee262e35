//! Parameter storage on the heap, aligned to a cache line: [`AlignedBuf`] (a fixed-length
//! buffer) and [`HeapMatrix`] (a static-shape nalgebra matrix in one). The global allocator
//! aligns a `Vec<f32>` or a `Box<SMatrix<f32, R, C>>` to 16 bytes only; a weight column that
//! starts mid-line makes every 64-byte vector load of the batch-1 kernels (`fixed`, `cell`)
//! touch two lines, which measured 1.75× slower on a `96 × 32` matrix–vector product
//! (Ice Lake, AVX-512). A matrix built here is never built on the stack first either
//! (`Box::new(SMatrix::zeros())` would put a 784×1000 `f32` matrix, 3 MB, there).

use core::fmt;
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;
use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};

use nalgebra::SMatrix;

use super::elem::Elem;

/// The alignment of every [`AlignedBuf`]: one cache line, one AVX-512 vector.
pub(crate) const ALIGN: usize = 64;

/// A heap buffer of a fixed number of `T`s whose first element is 64-byte aligned (a cache line);
/// reads and writes as a slice (`Deref<Target = [T]>`). The storage of the recurrent layers'
/// parameters and of every [`HeapMatrix`].
///
/// ```
/// let mut b = nn::AlignedBuf::filled(3, 0.0f32);
/// b.copy_from_slice(&[1.0, 2.0, 3.0]);
/// assert_eq!(b.iter().sum::<f32>(), 6.0);
/// assert_eq!(b.as_ptr() as usize % 64, 0); // one cache line
/// ```
pub struct AlignedBuf<T> {
    ptr: NonNull<T>,
    len: usize,
}

// SAFETY: `AlignedBuf<T>` owns its `T`s like a `Box<[T]>` (no shared state, no interior
// mutability), so it is `Send` / `Sync` exactly when `T` is.
unsafe impl<T: Send> Send for AlignedBuf<T> {}
// SAFETY: as for `Send`: `&AlignedBuf<T>` only hands out `&[T]`.
unsafe impl<T: Sync> Sync for AlignedBuf<T> {}

impl<T: Copy> AlignedBuf<T> {
    /// `len` copies of `value`.
    pub fn filled(len: usize, value: T) -> Self {
        let mut b = Self::uninit(len);
        // SAFETY: `uninit` allocated room for `len` `T`s at `ptr` (or `len` is 0); each is
        // written once before the buffer is read as a slice.
        unsafe {
            for i in 0..len {
                b.ptr.as_ptr().add(i).write(value);
            }
        }
        b.len = len;
        b
    }

    /// A copy of `values`.
    pub fn from_slice(values: &[T]) -> Self {
        let mut b = Self::uninit(values.len());
        // SAFETY: room for `values.len()` `T`s at `ptr`, a fresh allocation that cannot
        // overlap `values`; `T: Copy`, so a bitwise copy is a copy.
        unsafe { core::ptr::copy_nonoverlapping(values.as_ptr(), b.ptr.as_ptr(), values.len()) };
        b.len = values.len();
        b
    }

    /// Room for `len` `T`s, none written yet; `self.len` is 0 until the caller sets it.
    fn uninit(len: usize) -> Self {
        assert!(core::mem::size_of::<T>() > 0, "AlignedBuf of a zero-sized type");
        let layout = Self::layout(len);
        let ptr = if layout.size() == 0 {
            // A dangling, aligned, non-null pointer: never read (the length is 0) nor freed.
            NonNull::new(core::ptr::without_provenance_mut::<T>(layout.align())).expect("alignment > 0")
        } else {
            // SAFETY: `layout` has a non-zero size.
            let raw = unsafe { alloc(layout) } as *mut T;
            NonNull::new(raw).unwrap_or_else(|| handle_alloc_error(layout))
        };
        AlignedBuf { ptr, len: 0 }
    }
}

impl<T> AlignedBuf<T> {
    /// The layout of `len` `T`s at [`ALIGN`] (or `T`'s own alignment, if larger).
    fn layout(len: usize) -> Layout {
        let size = core::mem::size_of::<T>()
            .checked_mul(len)
            .expect("AlignedBuf size overflows usize");
        Layout::from_size_align(size, ALIGN.max(core::mem::align_of::<T>())).expect("AlignedBuf layout")
    }
}

impl<T> Drop for AlignedBuf<T> {
    fn drop(&mut self) {
        let layout = Self::layout(self.len);
        if layout.size() != 0 {
            // SAFETY: `ptr` came from `alloc(layout)` with this very layout (`len` is the
            // length it was allocated for: it never changes after construction); `T: Copy`
            // everywhere a buffer is built, so there is nothing to drop element by element.
            unsafe { dealloc(self.ptr.as_ptr() as *mut u8, layout) }
        }
    }
}

impl<T> Deref for AlignedBuf<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        // SAFETY: `ptr` is aligned, non-null and holds `len` initialised `T`s owned by `self`.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T> DerefMut for AlignedBuf<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as for `deref`, and `&mut self` makes the borrow unique.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Copy> Clone for AlignedBuf<T> {
    fn clone(&self) -> Self {
        Self::from_slice(self)
    }
}

impl<T: fmt::Debug> fmt::Debug for AlignedBuf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: PartialEq> PartialEq for AlignedBuf<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<'a, T> IntoIterator for &'a AlignedBuf<T> {
    type Item = &'a T;
    type IntoIter = core::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, T> IntoIterator for &'a mut AlignedBuf<T> {
    type Item = &'a mut T;
    type IntoIter = core::slice::IterMut<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

/// An `R × C` nalgebra matrix ([`SMatrix`]) on the heap, 64-byte aligned: the weights
/// of `Affine`, `Linear`, `MatMul`, `BatchNorm` and `LayerNorm`. Reads and writes as the
/// matrix (`Deref<Target = SMatrix<T, R, C>>`), so `layer.w[(i, j)]`, `layer.w.as_slice()`
/// and `*layer.w = m` work as on a `Box<SMatrix>`.
///
/// ```
/// use nn::nalgebra::SMatrix;
/// let mut w = nn::HeapMatrix::<f32, 2, 3>::zeros();
/// w[(1, 2)] = 5.0;
/// *w += SMatrix::<f32, 2, 3>::repeat(1.0);
/// assert_eq!(w.as_slice(), &[1.0, 1.0, 1.0, 1.0, 1.0, 6.0]); // column-major
/// ```
pub struct HeapMatrix<T, const R: usize, const C: usize> {
    buf: AlignedBuf<T>,
}

impl<T: Elem, const R: usize, const C: usize> HeapMatrix<T, R, C> {
    /// The zero matrix, allocated directly on the heap.
    pub fn zeros() -> Self {
        HeapMatrix {
            buf: AlignedBuf::filled(R * C, T::ZERO),
        }
    }
}

impl<T: Copy, const R: usize, const C: usize> HeapMatrix<T, R, C> {
    /// A heap copy of `m` (never on the stack as a whole).
    pub fn from_matrix(m: &SMatrix<T, R, C>) -> Self {
        HeapMatrix {
            buf: AlignedBuf::from_slice(m.as_slice()),
        }
    }
}

impl<T, const R: usize, const C: usize> Deref for HeapMatrix<T, R, C> {
    type Target = SMatrix<T, R, C>;
    fn deref(&self) -> &SMatrix<T, R, C> {
        debug_assert_eq!(self.buf.len(), R * C);
        // SAFETY: `SMatrix<T, R, C>` is `#[repr(C)] Matrix { data: ArrayStorage, PhantomData }`
        // with `#[repr(transparent)] ArrayStorage([[T; R]; C])`: exactly `R · C` contiguous
        // `T`s with the alignment of `T`. `buf` holds `R · C` initialised `T`s (every
        // constructor sizes it so) at an address aligned for `T` (and more).
        unsafe { &*(self.buf.as_ptr() as *const SMatrix<T, R, C>) }
    }
}

impl<T, const R: usize, const C: usize> DerefMut for HeapMatrix<T, R, C> {
    fn deref_mut(&mut self) -> &mut SMatrix<T, R, C> {
        debug_assert_eq!(self.buf.len(), R * C);
        // SAFETY: as for `deref`; `&mut self` makes the borrow unique.
        unsafe { &mut *(self.buf.as_mut_ptr() as *mut SMatrix<T, R, C>) }
    }
}

impl<T, const R: usize, const C: usize> AsRef<SMatrix<T, R, C>> for HeapMatrix<T, R, C> {
    fn as_ref(&self) -> &SMatrix<T, R, C> {
        self
    }
}

impl<T, const R: usize, const C: usize> AsMut<SMatrix<T, R, C>> for HeapMatrix<T, R, C> {
    fn as_mut(&mut self) -> &mut SMatrix<T, R, C> {
        self
    }
}

impl<T: Copy, const R: usize, const C: usize> Clone for HeapMatrix<T, R, C> {
    /// Heap to heap (a derived `Clone` of a `Box<SMatrix>` builds the matrix on the stack).
    fn clone(&self) -> Self {
        HeapMatrix { buf: self.buf.clone() }
    }
}

impl<T: fmt::Debug + nalgebra::Scalar, const R: usize, const C: usize> fmt::Debug for HeapMatrix<T, R, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: PartialEq, const R: usize, const C: usize> PartialEq for HeapMatrix<T, R, C> {
    fn eq(&self, other: &Self) -> bool {
        self.buf == other.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_and_matrices_are_aligned_and_hold_their_values() {
        for len in [0usize, 1, 3, 16, 1000] {
            let b = AlignedBuf::filled(len, 2.5f32);
            assert_eq!(b.len(), len);
            assert_eq!(b.as_ptr() as usize % ALIGN, 0, "len {len}");
            assert!(b.iter().all(|&v| v == 2.5));
            let c = b.clone();
            assert_eq!(c, b);
            assert_eq!(c.as_ptr() as usize % ALIGN, 0);
        }
        let mut m = HeapMatrix::<f64, 3, 2>::zeros();
        m[(2, 1)] = 4.0;
        assert_eq!(m.as_ptr() as usize % ALIGN, 0);
        assert_eq!(m.as_slice(), &[0.0, 0.0, 0.0, 0.0, 0.0, 4.0]);
        let n = m.clone();
        assert_eq!(n, m);
        *m = SMatrix::<f64, 3, 2>::repeat(1.0);
        assert_eq!(m.sum(), 6.0);
        assert_eq!(HeapMatrix::from_matrix(&*n), n);
    }
}
