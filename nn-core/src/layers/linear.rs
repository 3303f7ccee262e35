//! The three products of a fully connected layer, shared by [`MatMul`](super::MatMul) and
//! [`Affine`](super::Affine). Storage: `W` is `OUT × IN`, batches are `features × N`, all
//! column-major; transposes are passed to the GEMM as strides.

use crate::gemm::{gemm, MatMut, MatRef};
use crate::Float;

/// `y ← W·x + β·y` (`OUT × N`); the book's `x·W`.
#[inline]
pub fn forward<T: Float, const IN: usize, const OUT: usize>(w: &[T], x: &[T], beta: T, y: &mut [T]) {
    let n = x.len() / IN;
    gemm(
        T::one(),
        MatRef::col_major(w, OUT, IN),
        MatRef::col_major(x, IN, n),
        beta,
        MatMut::col_major(y, OUT, n),
    );
}

/// `dx ← Wᵀ·dout` (`IN × N`); the book's `dout·Wᵀ`.
#[inline]
pub fn backward_dx<T: Float, const IN: usize, const OUT: usize>(w: &[T], dout: &[T], dx: &mut [T]) {
    let n = dout.len() / OUT;
    gemm(
        T::one(),
        MatRef::col_major(w, OUT, IN).t(),
        MatRef::col_major(dout, OUT, n),
        T::zero(),
        MatMut::col_major(dx, IN, n),
    );
}

/// `dW ← dout·xᵀ` (`OUT × IN`); the book's `xᵀ·dout`.
#[inline]
pub fn backward_dw<T: Float, const IN: usize, const OUT: usize>(x: &[T], dout: &[T], dw: &mut [T]) {
    let n = dout.len() / OUT;
    gemm(
        T::one(),
        MatRef::col_major(dout, OUT, n),
        MatRef::col_major(x, IN, n).t(),
        T::zero(),
        MatMut::col_major(dw, OUT, IN),
    );
}
