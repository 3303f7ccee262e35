//! Element order: a file holds every tensor row-major (PyTorch's order); a nalgebra matrix
//! is column-major. The copies between the two go tile by tile (`TILE × TILE` elements), so
//! both the strided reads and the strided writes stay in the L1 cache: loading a
//! 784 → 1000 → 1000 → 10 network costs about as much as reading its file.

use crate::state::Order;

/// Tile side of the blocked transposes: 32 × 32 elements touch 64 cache lines of f32.
const TILE: usize = 32;

/// Writes `dst[i] = get(src element)` for every element of a `rows × cols` tensor whose
/// `src` is row-major (`S` bytes per element) and whose `dst` is in `order`.
pub(crate) fn read_into<T, const S: usize>(
    src: &[u8],
    dst: &mut [T],
    order: Order,
    rows: usize,
    cols: usize,
    get: impl Fn([u8; S]) -> T,
) {
    debug_assert_eq!(src.len(), dst.len() * S);
    let elem = |c: &[u8]| get(c.try_into().expect("chunks_exact gives S bytes"));
    match order {
        Order::RowMajor => {
            for (d, c) in dst.iter_mut().zip(src.chunks_exact(S)) {
                *d = elem(c);
            }
        }
        Order::ColumnMajor => {
            // dst[c * rows + r] = src[r * cols + c]
            for r0 in (0..rows).step_by(TILE) {
                let r1 = (r0 + TILE).min(rows);
                for c0 in (0..cols).step_by(TILE) {
                    let c1 = (c0 + TILE).min(cols);
                    for r in r0..r1 {
                        let row = &src[(r * cols + c0) * S..(r * cols + c1) * S];
                        for (k, ch) in row.chunks_exact(S).enumerate() {
                            dst[(c0 + k) * rows + r] = elem(ch);
                        }
                    }
                }
            }
        }
    }
}

/// The row-major bytes (`S` per element, `put` encoding one) of a `rows × cols` tensor
/// whose `src` is in `order`.
pub(crate) fn write_from<T: Copy, const S: usize>(
    src: &[T],
    order: Order,
    rows: usize,
    cols: usize,
    put: impl Fn(T) -> [u8; S],
) -> Vec<u8> {
    let mut out = vec![0u8; src.len() * S];
    match order {
        Order::RowMajor => {
            for (c, &v) in out.chunks_exact_mut(S).zip(src) {
                c.copy_from_slice(&put(v));
            }
        }
        Order::ColumnMajor => {
            // out[r * cols + c] = src[c * rows + r]
            for r0 in (0..rows).step_by(TILE) {
                let r1 = (r0 + TILE).min(rows);
                for c0 in (0..cols).step_by(TILE) {
                    let c1 = (c0 + TILE).min(cols);
                    for r in r0..r1 {
                        let row = &mut out[(r * cols + c0) * S..(r * cols + c1) * S];
                        for (k, ch) in row.chunks_exact_mut(S).enumerate() {
                            ch.copy_from_slice(&put(src[(c0 + k) * rows + r]));
                        }
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both directions against the definition, for shapes around the tile size.
    #[test]
    fn transposes_match_the_definition() {
        for (rows, cols) in [(1, 1), (3, 5), (32, 32), (33, 31), (70, 65), (1, 100), (100, 1)] {
            // Column-major source: element (r, c) = 1000 r + c.
            let col: Vec<u32> = (0..rows * cols)
                .map(|i| (1000 * (i % rows) + i / rows) as u32)
                .collect();
            let bytes = write_from(&col, Order::ColumnMajor, rows, cols, u32::to_le_bytes);
            for r in 0..rows {
                for c in 0..cols {
                    let at = (r * cols + c) * 4;
                    let v = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
                    assert_eq!(v, (1000 * r + c) as u32, "({rows}×{cols}) element ({r}, {c})");
                }
            }
            let mut back = vec![0u32; rows * cols];
            read_into(&bytes, &mut back, Order::ColumnMajor, rows, cols, u32::from_le_bytes);
            assert_eq!(back, col, "{rows}×{cols}");
            let mut flat = vec![0u32; rows * cols];
            read_into(&bytes, &mut flat, Order::RowMajor, rows, cols, u32::from_le_bytes);
            assert_eq!(write_from(&flat, Order::RowMajor, rows, cols, u32::to_le_bytes), bytes);
        }
    }
}
