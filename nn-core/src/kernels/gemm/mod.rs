//! General matrix product `C ← α·A·B + β·C` on strided slices; transposes are passed as
//! strides and never materialised.
//!
//! - **Direct** (every layer product of the workloads): `A` column-major (a transposed `A` is
//!   first copied column-major) is read in place and `B` through its strides; each `MR × NR`
//!   tile of `C` is accumulated in registers, row edges by masked loads/stores. While `A` fits
//!   in L2 this beats packing at every size measured (chapter-1 widths, batch-1 matrix–vector
//!   products, and 100×784·784×100 alike).
//! - **Packed** (an `A` larger than ~1 MiB): BLIS-style, `B` packed in `kc × nc` blocks, `A` in
//!   `mc × kc` blocks, an `MR × NR` microkernel with its accumulators in registers.
//! - **Loops**: plain dot-product loops for a `C` with no unit stride.
//!
//! Packing buffers and large transposed-`A` copies live in the per-thread scratch pool
//! ([`with_scratch`]), grown once and reused, so a call in steady state performs no heap
//! allocation.
//! - **Gathered** ([`gemm_gathered`]): `B` is a mini-batch picked from a data set by sample
//!   index, read in place and copied out as a side effect (the gather of a training step
//!   fused into its first product).
//! - The instruction set (AVX-512, AVX2+FMA or portable) is detected at run time and cached
//!   ([`Isa::detect`]), so the default build is fast without `-C target-cpu=native`; each
//!   path is compiled per instruction set by [`dispatch!`](crate::kernels::dispatch::dispatch)
//!   (`entry.rs`), with per-float-type tiles picked through [`Elem`] (no run-time type test).
//!
//! ```
//! use nn_core::__internal::{gemm, MatMut, MatRef};
//! // A = [1 2; 3 4] (column-major), B = Aᵀ as strides, C ← A·Aᵀ.
//! let a = [1.0f32, 3.0, 2.0, 4.0];
//! let mut c = [f32::NAN; 4];
//! gemm(1.0, MatRef::col_major(&a, 2, 2), MatRef::col_major(&a, 2, 2).t(), 0.0, MatMut::col_major(&mut c, 2, 2));
//! assert_eq!(c, [5.0, 11.0, 11.0, 25.0]);
//! ```

mod direct;
mod entry;
mod kernel;
mod pack;
mod packed;
mod simd;
mod small;

pub use crate::kernels::isa::Isa;
pub(crate) use entry::Tiles;

use crate::kernels::elem::Elem;
use crate::kernels::isa::Supported;
use crate::kernels::scratch::with_scratch;
use direct::{BSource, GatherCopy};

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
        check_extent(what, self.data.len(), self.rows, self.cols, self.rs, self.cs);
    }
    fn raw(&self) -> Raw<T> {
        Raw {
            ptr: self.data.as_ptr(),
            rows: self.rows,
            cols: self.cols,
            rs: self.rs,
            cs: self.cs,
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
    /// A read-only view of the same elements.
    pub fn as_ref(&self) -> MatRef<'_, T> {
        MatRef {
            data: self.data,
            rows: self.rows,
            cols: self.cols,
            rs: self.rs,
            cs: self.cs,
        }
    }
    fn check(&self) {
        check_extent("C", self.data.len(), self.rows, self.cols, self.rs, self.cs);
        assert!(
            distinct(self.rows, self.rs, self.cols, self.cs),
            "gemm: C ({}×{}, strides {}/{}) has overlapping elements",
            self.rows,
            self.cols,
            self.rs,
            self.cs
        );
    }
    fn raw(&mut self) -> RawMut<T> {
        RawMut {
            ptr: self.data.as_mut_ptr(),
            rs: self.rs,
            cs: self.cs,
        }
    }
}

fn check_extent(what: &str, len: usize, rows: usize, cols: usize, rs: usize, cs: usize) {
    if rows > 0 && cols > 0 {
        let last = (rows - 1)
            .checked_mul(rs)
            .and_then(|r| (cols - 1).checked_mul(cs).and_then(|c| c.checked_add(r)));
        assert!(
            last.is_some_and(|last| last < len),
            "gemm: {what} ({rows}×{cols}, strides {rs}/{cs}) needs {} elements, slice has {len}",
            last.map_or("more than usize::MAX".to_string(), |l| (l + 1).to_string()),
        );
    }
}

/// Whether an `n1 × n2` grid with strides `s1`, `s2` has no two elements at the same offset
/// (sufficient check: the inner stride's span fits inside the outer stride).
fn distinct(n1: usize, s1: usize, n2: usize, s2: usize) -> bool {
    if n1 == 0 || n2 == 0 {
        return true;
    }
    // A dimension of extent 1 never steps, whatever its stride.
    match (n1 > 1, n2 > 1) {
        (false, false) => true,
        (true, false) => s1 > 0,
        (false, true) => s2 > 0,
        (true, true) => {
            let ((s1, n1), s2) = if s1 <= s2 { ((s1, n1), s2) } else { ((s2, n2), s1) };
            s1 > 0 && s1.saturating_mul(n1) <= s2
        }
    }
}

/// A bounds-checked read-only matrix as a raw pointer (for the packed path).
#[derive(Clone, Copy)]
pub struct Raw<T> {
    ptr: *const T,
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

/// A bounds-checked writable matrix as a raw pointer (for the packed path).
#[derive(Clone, Copy)]
pub struct RawMut<T> {
    ptr: *mut T,
    rs: usize,
    cs: usize,
}

/// `C ← α·A·B + β·C` where A is m×k, B is k×n and C is m×n. With `β = 0`, C is overwritten
/// (whatever it held, NaN included, is ignored). Runs with the instruction set of
/// [`Isa::detect`].
///
/// Panics if the shapes disagree, a slice is too short for its shape and strides, or C's
/// strides make two of its elements share memory.
#[inline]
pub fn gemm<T: Elem>(alpha: T, a: MatRef<'_, T>, b: MatRef<'_, T>, beta: T, c: MatMut<'_, T>) {
    gemm_with_isa(Isa::detect(), alpha, a, b, beta, c)
}

/// [`gemm`] with a chosen instruction set (for tests and benchmarks).
///
/// Panics as [`gemm`] does, and if this CPU does not support `isa`.
pub fn gemm_with_isa<T: Elem>(isa: Isa, alpha: T, a: MatRef<'_, T>, b: MatRef<'_, T>, beta: T, c: MatMut<'_, T>) {
    gemm_with(isa, Path::Auto, alpha, a, b, beta, c)
}

/// Which algorithm a call runs (for tests and benchmarks; [`gemm`] uses [`Path::Auto`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Path {
    /// Chosen by shape and layout.
    Auto,
    /// Packed panels and the register-blocked microkernel (large products).
    Packed,
    /// Unpacked register tiles over a column-major `A` (copied column-major first if it is
    /// not); falls back to [`Path::Loops`] when C has no unit stride.
    Direct,
    /// Plain dot-product / axpy loops (layouts no kernel handles).
    Loops,
}

/// Paths this crate has, for tests that run every one.
pub const PATHS: [Path; 3] = [Path::Packed, Path::Direct, Path::Loops];

/// [`gemm`] with a chosen instruction set and algorithm.
///
/// Panics as [`gemm_with_isa`] does.
#[allow(clippy::too_many_arguments)]
pub fn gemm_with<T: Elem>(
    isa: Isa,
    path: Path,
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
) {
    assert_eq!(
        a.cols, b.rows,
        "gemm: A is {}×{} but B is {}×{}",
        a.rows, a.cols, b.rows, b.cols
    );
    assert_eq!(c.rows, a.rows, "gemm: C has {} rows, A has {}", c.rows, a.rows);
    assert_eq!(c.cols, b.cols, "gemm: C has {} columns, B has {}", c.cols, b.cols);
    a.check("A");
    b.check("B");
    c.check();
    let isa = isa
        .supported()
        .unwrap_or_else(|| panic!("gemm: this CPU does not support {isa:?}"));
    run(isa, path, alpha, a, b, beta, c)
}

/// `X = S[:, idx]`: the columns `idx` of a column-major `rows × _` source `S`, i.e. a
/// mini-batch of samples picked from its data set, as `B` of [`gemm_gathered`].
#[derive(Clone, Copy, Debug)]
pub struct Gathered<'a, T> {
    /// The source's elements, column-major with `rows` per column.
    pub data: &'a [T],
    /// Rows of the source (features per sample).
    pub rows: usize,
    /// The source columns that make up `X`, in order (repeats allowed).
    pub idx: &'a [usize],
}

impl<'a, T> Gathered<'a, T> {
    /// `X = S[:, idx]` for a column-major source `S` with `rows` rows.
    pub fn columns(data: &'a [T], rows: usize, idx: &'a [usize]) -> Self {
        Self { data, rows, idx }
    }

    fn check(&self) {
        if self.rows == 0 {
            return; // nothing is read
        }
        let available = self.data.len() / self.rows;
        if let Some(&bad) = self.idx.iter().find(|&&i| i >= available) {
            panic!("gemm_gathered: column index {bad} is out of range for a source of {available} columns");
        }
    }
}

/// `C ← α·A·X + β·C` for a gathered `X = S[:, idx]` ([`Gathered`]), also writing `X` into
/// `x` (`rows × idx.len()`, column-major): the first product of a training step on a
/// shuffled mini-batch, with the gather fused into it. On the direct path each tile of `C`
/// reads its samples where they lie in the data set (the next tile's samples are prefetched
/// meanwhile) and copies them into `x` once it is done with them, now from cache; so the
/// batch crosses memory once, overlapped with the arithmetic, and the copy serves the weight
/// gradient. Other shapes (an `A` over 1 MiB, a row-major `C`) copy first and call
/// [`gemm`]. Either way `C` and `x` are bit for bit what [`gemm`] on the copied batch gives.
///
/// Panics as [`gemm`] does, if an index is out of range of the source, or if `x` does not
/// have `rows · idx.len()` elements.
///
/// ```
/// use nn_core::__internal::{gemm_gathered, Gathered, MatMut, MatRef};
/// // Source: 3 samples of 2 features; the batch is samples 2 and 0.
/// let s = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
/// let w = [1.0f32, 0.0, 0.0, 1.0, 1.0, 1.0]; // W = [1 1; 0 1; 0 1], column-major
/// let (mut y, mut x) = ([0.0f32; 6], [0.0f32; 4]);
/// gemm_gathered(1.0, MatRef::col_major(&w, 3, 2), Gathered::columns(&s, 2, &[2, 0]), 0.0, MatMut::col_major(&mut y, 3, 2), &mut x);
/// assert_eq!(y, [11.0, 6.0, 6.0, 3.0, 2.0, 2.0]);
/// assert_eq!(x, [5.0, 6.0, 1.0, 2.0]);
/// ```
pub fn gemm_gathered<T: Elem>(alpha: T, a: MatRef<'_, T>, b: Gathered<'_, T>, beta: T, c: MatMut<'_, T>, x: &mut [T]) {
    gemm_gathered_with_isa(Isa::detect(), alpha, a, b, beta, c, x)
}

/// [`gemm_gathered`] with a chosen instruction set (for tests and benchmarks).
///
/// Panics as [`gemm_gathered`] does, and if this CPU does not support `isa`.
pub fn gemm_gathered_with_isa<T: Elem>(
    isa: Isa,
    alpha: T,
    a: MatRef<'_, T>,
    b: Gathered<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
    x: &mut [T],
) {
    let (k, n) = (b.rows, b.idx.len());
    assert_eq!(a.cols, k, "gemm_gathered: A is {}×{} but B is {k}×{n}", a.rows, a.cols);
    assert_eq!(c.rows, a.rows, "gemm_gathered: C has {} rows, A has {}", c.rows, a.rows);
    assert_eq!(c.cols, n, "gemm_gathered: C has {} columns, B has {n}", c.cols);
    assert_eq!(
        x.len(),
        k * n,
        "gemm_gathered: x has {} elements, the batch is {k}×{n}",
        x.len()
    );
    a.check("A");
    b.check();
    c.check();
    let Some(cpu) = isa.supported() else {
        panic!("gemm_gathered: this CPU does not support {isa:?}")
    };
    let direct = c.rs == 1 && a.rows * a.cols * size_of::<T>() <= DIRECT_A_BYTES;
    if !direct || a.rows == 0 || n == 0 || k == 0 {
        copy_columns(b.data, k, b.idx, x);
        gemm_with_isa(isa, alpha, a, MatRef::col_major(x, k, n), beta, c);
        return;
    }
    let b = GatherCopy {
        src: b.data.as_ptr(),
        k,
        idx: b.idx.as_ptr(),
        out: x.as_mut_ptr(),
        cols: n,
        first: true,
    };
    run_direct(cpu, alpha, a, b, beta, c)
}

/// Copies columns `idx` of a column-major source with `rows` rows per column into `dst`
/// (`rows × idx.len()`, column-major): the gather of a mini-batch, wherever it is done.
#[inline]
pub(crate) fn copy_columns<T: Copy>(src: &[T], rows: usize, idx: &[usize], dst: &mut [T]) {
    if rows == 0 {
        return;
    }
    for (dst, &i) in dst.chunks_exact_mut(rows).zip(idx) {
        dst.copy_from_slice(&src[i * rows..(i + 1) * rows]);
    }
}

/// The direct path re-reads `A` once per tile column of `C` (8 columns): it runs while `A`
/// (copied column-major if need be) fits comfortably in L2 — this many bytes — or when `C`
/// has at most 8 columns.
pub(crate) const DIRECT_A_BYTES: usize = 1 << 20;
/// A transposed `A` of at most this many elements is copied column-major on the stack for the
/// direct path (larger ones go to the per-thread scratch pool).
const STACK_COPY: usize = 512;

/// Picks the path and orientation; shapes and bounds are already checked.
fn run<T: Elem>(isa: Supported, path: Path, alpha: T, a: MatRef<'_, T>, b: MatRef<'_, T>, beta: T, c: MatMut<'_, T>) {
    let (m, n, k) = (a.rows, b.cols, a.cols);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        packed::scale(beta, c);
        return;
    }
    // The kernels want C's columns contiguous: compute Cᵀ = Bᵀ·Aᵀ if C is row-major.
    let (a, b, c) = if c.rs != 1 && c.cs == 1 {
        (b.t(), a.t(), c.t())
    } else {
        (a, b, c)
    };
    let path = match path {
        Path::Auto if c.rs != 1 => Path::Loops,
        // A matrix–vector-like product streams A once on the direct path, whatever its size.
        Path::Auto if a.rows * a.cols * size_of::<T>() <= DIRECT_A_BYTES || b.cols <= 8 => Path::Direct,
        Path::Auto => Path::Packed,
        Path::Direct if c.rs != 1 => Path::Loops,
        p => p,
    };
    match path {
        Path::Packed => run_packed(isa, alpha, a, b, beta, c),
        Path::Direct => run_direct(isa, alpha, a, b.raw(), beta, c),
        _ => entry::small(isa, alpha, a, b, beta, c),
    }
}

/// The packed path; `m, n, k ≥ 1`, shapes and bounds checked.
fn run_packed<T: Elem>(isa: Supported, alpha: T, a: MatRef<'_, T>, b: MatRef<'_, T>, beta: T, c: MatMut<'_, T>) {
    let (mr, nr, blk) = entry::packed_shape::<T>(isa);
    let (m, n) = (a.rows, b.cols);
    // Cᵀ = Bᵀ·Aᵀ when that fills the MR × NR tiles clearly better (C then has `cs == 1`;
    // the kernel's edge store handles any strides).
    let padded = |m: usize, n: usize| m.div_ceil(mr) * mr * n.div_ceil(nr) * nr;
    let swap = padded(n, m) * 8 < padded(m, n) * 7;
    let (a, b, mut c) = if swap { (b.t(), a.t(), c.t()) } else { (a, b, c) };
    let (m, n, k) = (a.rows, b.cols, a.cols);
    let (la, lb) = blk.workspace(mr, nr, m, n, k);
    let (ar, br, cr) = (a.raw(), b.raw(), c.raw());
    with_scratch(la + lb, |ws| {
        // SAFETY: A, B, C were bounds-checked for their shapes and strides, C's elements are
        // distinct and `c` is borrowed uniquely (so it overlaps neither A nor B), k ≥ 1, and
        // `ws` has the size `workspace` asked for with `isa`'s shape.
        unsafe { entry::packed(isa, alpha, ar, br, beta, cr, ws) }
    });
}

/// The direct path; C has `rs == 1`, `m, n, k ≥ 1`, shapes and bounds checked (`b` reads
/// only inside its checked source).
fn run_direct<T: Elem, B: BSource<T>>(
    isa: Supported,
    alpha: T,
    a: MatRef<'_, T>,
    br: B,
    beta: T,
    mut c: MatMut<'_, T>,
) {
    let (m, k) = (a.rows, a.cols);
    let cr = c.raw();
    if a.rs == 1 {
        // SAFETY: A, B, C bounds-checked, `a.rs == 1`, `c.rs == 1`, C's elements distinct and
        // not overlapping A or B (unique borrow), m, n, k ≥ 1.
        unsafe { entry::direct(isa, alpha, a.raw(), br, beta, cr) };
        return;
    }
    let direct_on = |buf: &mut [T]| {
        direct::copy_col_major(&a, buf);
        let ac = MatRef::col_major(&buf[..m * k], m, k);
        // SAFETY: as above; the copy `ac` is column-major and lives in a buffer distinct from C.
        unsafe { entry::direct(isa, alpha, ac.raw(), br, beta, cr) };
    };
    if m * k <= STACK_COPY {
        direct_on(&mut [T::ZERO; STACK_COPY]);
    } else {
        with_scratch(m * k, direct_on);
    }
}
