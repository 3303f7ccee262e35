//! General matrix product `C ← α·A·B + β·C` on strided slices (placeholder: a plain loop until
//! the packed kernel lands). Transposes are passed as strides.

use crate::Float;

/// A read-only strided matrix: element `(i, j)` is `data[i * rs + j * cs]`.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a, T> {
    /// The elements.
    pub data: &'a [T],
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Distance between rows (1 for column-major).
    pub rs: usize,
    /// Distance between columns (the number of rows for column-major).
    pub cs: usize,
}

/// A writable strided matrix: element `(i, j)` is `data[i * rs + j * cs]`.
#[derive(Debug)]
pub struct MatMut<'a, T> {
    /// The elements.
    pub data: &'a mut [T],
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Distance between rows (1 for column-major).
    pub rs: usize,
    /// Distance between columns (the number of rows for column-major).
    pub cs: usize,
}

impl<'a, T> MatRef<'a, T> {
    /// A column-major `rows × cols` matrix over `data`.
    pub fn col_major(data: &'a [T], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            rs: 1,
            cs: rows,
        }
    }
    /// The transpose, as strides (no copy).
    pub fn t(self) -> Self {
        Self {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
        }
    }
    fn check(&self, what: &str) {
        if self.rows > 0 && self.cols > 0 {
            let last = (self.rows - 1) * self.rs + (self.cols - 1) * self.cs;
            assert!(
                last < self.data.len(),
                "gemm: {what} ({}×{}, strides {}/{}) needs {} elements, slice has {}",
                self.rows,
                self.cols,
                self.rs,
                self.cs,
                last + 1,
                self.data.len()
            );
        }
    }
}

impl<'a, T> MatMut<'a, T> {
    /// A column-major `rows × cols` matrix over `data`.
    pub fn col_major(data: &'a mut [T], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            rs: 1,
            cs: rows,
        }
    }
}

/// `C ← α·A·B + β·C` where A is m×k, B is k×n and C is m×n. With `β = 0`, C is overwritten
/// (whatever it held, NaN included, is ignored).
///
/// Panics if the shapes disagree or a slice is too short for its shape and strides.
pub fn gemm<T: Float>(alpha: T, a: MatRef<'_, T>, b: MatRef<'_, T>, beta: T, c: MatMut<'_, T>) {
    assert_eq!(
        a.cols, b.rows,
        "gemm: A is {}×{} but B is {}×{}",
        a.rows, a.cols, b.rows, b.cols
    );
    assert_eq!(c.rows, a.rows, "gemm: C has {} rows, A has {}", c.rows, a.rows);
    assert_eq!(c.cols, b.cols, "gemm: C has {} columns, B has {}", c.cols, b.cols);
    a.check("A");
    b.check("B");
    {
        let cr = MatRef {
            data: &*c.data,
            rows: c.rows,
            cols: c.cols,
            rs: c.rs,
            cs: c.cs,
        };
        cr.check("C");
    }
    let (m, n, k) = (a.rows, b.cols, a.cols);
    for j in 0..n {
        for i in 0..m {
            let mut acc = T::zero();
            for p in 0..k {
                acc += a.data[i * a.rs + p * a.cs] * b.data[p * b.rs + j * b.cs];
            }
            let ci = &mut c.data[i * c.rs + j * c.cs];
            *ci = if beta == T::zero() {
                alpha * acc
            } else {
                alpha * acc + beta * *ci
            };
        }
    }
}
