//! A network's saved state as named tensors (PyTorch's `state_dict`): what
//! [`Layer::visit_tensors`](crate::Layer::visit_tensors) and
//! [`Network::visit_tensors`](crate::Network::visit_tensors) hand out.
//!
//! A tensor has a [`Shape`] in PyTorch's convention (`fc1.weight` of an `Affine<IN, OUT>` is
//! `[OUT, IN]`, row-major, as `torch.nn.Linear` keeps it) and a flat slice whose element
//! [`Order`] says how the slice holds that shape: row-major (the file's order), or
//! column-major for a nalgebra matrix, which the saving and loading code transposes.
//!
//! ```
//! use nn::state::{Order, Shape, TensorRef};
//! // A 2 × 3 matrix stored column-major, as nalgebra does: [[1, 2, 3], [4, 5, 6]].
//! let data = [1.0_f32, 4.0, 2.0, 5.0, 3.0, 6.0];
//! let t = TensorRef::column_major("weight", 2, 3, &data);
//! assert_eq!((t.shape.dims(), t.order), (&[2, 3][..], Order::ColumnMajor));
//! assert_eq!(t.shape.numel(), 6);
//! assert_eq!(Shape::vector(3).to_string(), "[3]");
//! ```

use core::fmt;

/// The largest rank a [`Shape`] holds.
pub const MAX_RANK: usize = 4;

/// A saved tensor's shape in PyTorch's (row-major) convention: up to [`MAX_RANK`] dims.
///
/// ```
/// use nn::state::Shape;
/// let s = Shape::matrix(10, 2);
/// assert_eq!((s.dims(), s.rank(), s.numel()), (&[10, 2][..], 2, 20));
/// assert_eq!(Shape::new(&[2, 3, 4]).to_string(), "[2, 3, 4]");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Shape {
    dims: [usize; MAX_RANK],
    rank: u8,
}

impl Shape {
    /// A vector of `n` elements, shape `[n]`.
    pub const fn vector(n: usize) -> Self {
        Self {
            dims: [n, 0, 0, 0],
            rank: 1,
        }
    }

    /// A `rows × cols` matrix, shape `[rows, cols]`.
    pub const fn matrix(rows: usize, cols: usize) -> Self {
        Self {
            dims: [rows, cols, 0, 0],
            rank: 2,
        }
    }

    /// A shape of any rank up to [`MAX_RANK`] (`&[]` is a scalar). Panics on a longer list.
    #[track_caller]
    pub fn new(dims: &[usize]) -> Self {
        assert!(
            dims.len() <= MAX_RANK,
            "Shape::new: rank {} is more than the {MAX_RANK} dimensions a Shape holds",
            dims.len()
        );
        let mut d = [0; MAX_RANK];
        d[..dims.len()].copy_from_slice(dims);
        Self {
            dims: d,
            rank: dims.len() as u8,
        }
    }

    /// The dimensions, outermost first.
    pub fn dims(&self) -> &[usize] {
        &self.dims[..self.rank as usize]
    }

    /// The number of dimensions.
    pub fn rank(&self) -> usize {
        self.rank as usize
    }

    /// The number of elements (the product of the dimensions; 1 for a scalar).
    pub fn numel(&self) -> usize {
        self.dims().iter().product()
    }
}

/// `[10, 2]`, as PyTorch prints a size.
impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[")?;
        for (i, d) in self.dims().iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{d}")?;
        }
        write!(f, "]")
    }
}

/// How a tensor's flat `data` holds the elements of its [`Shape`].
///
/// ```
/// use nn::state::Order;
/// assert_ne!(Order::RowMajor, Order::ColumnMajor);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Order {
    /// The last index varies fastest: PyTorch's order, and the file's.
    RowMajor,
    /// The first index varies fastest: a nalgebra matrix's storage (rank 2 only).
    ColumnMajor,
}

/// Panics unless `len == shape.numel()` and a column-major tensor has rank 2.
#[track_caller]
fn check(name: &str, shape: Shape, order: Order, len: usize) {
    assert!(
        len == shape.numel(),
        "tensor `{name}`: shape {shape} holds {} elements but the data has {len}",
        shape.numel()
    );
    assert!(
        order == Order::RowMajor || shape.rank() == 2,
        "tensor `{name}`: a column-major tensor must be a matrix (rank 2), not shape {shape}"
    );
}

/// A named tensor of a layer, read-only (saving).
///
/// ```
/// use nn::state::{Shape, TensorRef};
/// let b = [0.5_f64, -1.0];
/// let t = TensorRef::new("bias", Shape::vector(2), &b);
/// assert_eq!((t.name, t.data), ("bias", &b[..]));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TensorRef<'a, T> {
    /// The name inside its layer, as PyTorch names it (`"weight"`, `"bias"`).
    pub name: &'static str,
    /// The shape in PyTorch's convention.
    pub shape: Shape,
    /// How `data` holds the elements of `shape`.
    pub order: Order,
    /// The elements (`shape.numel()` of them).
    pub data: &'a [T],
}

impl<'a, T> TensorRef<'a, T> {
    /// A row-major tensor. Panics unless `data.len() == shape.numel()`.
    #[track_caller]
    pub fn new(name: &'static str, shape: Shape, data: &'a [T]) -> Self {
        check(name, shape, Order::RowMajor, data.len());
        Self {
            name,
            shape,
            order: Order::RowMajor,
            data,
        }
    }

    /// A `rows × cols` matrix stored column-major (a nalgebra matrix's `as_slice()`).
    /// Panics unless `data.len() == rows * cols`.
    #[track_caller]
    pub fn column_major(name: &'static str, rows: usize, cols: usize, data: &'a [T]) -> Self {
        let shape = Shape::matrix(rows, cols);
        check(name, shape, Order::ColumnMajor, data.len());
        Self {
            name,
            shape,
            order: Order::ColumnMajor,
            data,
        }
    }
}

impl<T: Copy> TensorRef<'_, T> {
    /// The elements in row-major order (PyTorch's, a file's): a copy, transposed for a
    /// column-major matrix.
    ///
    /// ```
    /// use nn::state::TensorRef;
    /// let data = [1, 4, 2, 5, 3, 6]; // [[1, 2, 3], [4, 5, 6]] column-major
    /// assert_eq!(TensorRef::column_major("w", 2, 3, &data).to_row_major(), [1, 2, 3, 4, 5, 6]);
    /// ```
    pub fn to_row_major(&self) -> Vec<T> {
        match self.order {
            Order::RowMajor => self.data.to_vec(),
            Order::ColumnMajor => {
                let (rows, cols) = (self.shape.dims()[0], self.shape.dims()[1]);
                (0..rows * cols)
                    .map(|i| self.data[(i % cols) * rows + i / cols])
                    .collect()
            }
        }
    }
}

/// A named tensor of a layer, writable (loading).
///
/// ```
/// use nn::state::{Order, TensorMut};
/// let mut w = [0.0_f32; 6];
/// let t = TensorMut::column_major("weight", 2, 3, &mut w);
/// assert_eq!(t.order, Order::ColumnMajor);
/// t.data[1] = 4.0; // row 1, column 0
/// assert_eq!(w[1], 4.0);
/// ```
#[derive(Debug)]
pub struct TensorMut<'a, T> {
    /// The name inside its layer, as PyTorch names it (`"weight"`, `"bias"`).
    pub name: &'static str,
    /// The shape in PyTorch's convention.
    pub shape: Shape,
    /// How `data` holds the elements of `shape`.
    pub order: Order,
    /// The elements (`shape.numel()` of them).
    pub data: &'a mut [T],
}

impl<'a, T> TensorMut<'a, T> {
    /// A row-major tensor. Panics unless `data.len() == shape.numel()`.
    #[track_caller]
    pub fn new(name: &'static str, shape: Shape, data: &'a mut [T]) -> Self {
        check(name, shape, Order::RowMajor, data.len());
        Self {
            name,
            shape,
            order: Order::RowMajor,
            data,
        }
    }

    /// A `rows × cols` matrix stored column-major (a nalgebra matrix's `as_mut_slice()`).
    /// Panics unless `data.len() == rows * cols`.
    #[track_caller]
    pub fn column_major(name: &'static str, rows: usize, cols: usize, data: &'a mut [T]) -> Self {
        let shape = Shape::matrix(rows, cols);
        check(name, shape, Order::ColumnMajor, data.len());
        Self {
            name,
            shape,
            order: Order::ColumnMajor,
            data,
        }
    }

    /// The same tensor, read-only.
    pub fn view(&self) -> TensorRef<'_, T> {
        TensorRef {
            name: self.name,
            shape: self.shape,
            order: self.order,
            data: self.data,
        }
    }
}
