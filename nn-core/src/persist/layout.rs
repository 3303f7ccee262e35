//! Element order: a file holds every tensor row-major (PyTorch's order); a nalgebra matrix
//! is column-major. The copies between the two are transposes, done in blocks of
//! [`BLOCK_ROWS`] source rows × [`BLOCK_COLS`] source columns: the block's source lines
//! (64 rows of 64 bytes for f32) stay in L1 while each of its columns is written out as
//! one contiguous run of the destination.
//!
//! (Measured on the 784 → 1000 → 1000 → 10 benchmark network, loading from a file: these
//! blocks took about half the time of bands of 8 source rows written across every
//! destination row, and of 8 × 8 tiles; `cargo run --release --example` probe, issue 11.)

use crate::state::Order;

/// Source rows per block of the transposes: one run of the destination per column.
const BLOCK_ROWS: usize = 64;
/// Source columns per block: one 64-byte cache line of f32 per source row.
const BLOCK_COLS: usize = 16;

/// `dst[c * rows + r] = f(src[r * cols + c])`: the transpose of a row-major `rows × cols`
/// `src` into a row-major `cols × rows` `dst`.
fn transpose<A: Copy, B>(src: &[A], dst: &mut [B], rows: usize, cols: usize, f: impl Fn(A) -> B) {
    debug_assert!(src.len() == rows * cols && dst.len() == rows * cols);
    transpose_rows(src, dst, rows, cols, 0, &f);
}

/// [`transpose`] of rows `r0..r0 + src.len() / cols` only: `src` holds those rows,
/// `dst` the whole `cols × rows` destination.
fn transpose_rows<A: Copy, B>(src: &[A], dst: &mut [B], rows: usize, cols: usize, r0: usize, f: &impl Fn(A) -> B) {
    if rows == 0 || cols == 0 {
        return;
    }
    for (b, block) in src.chunks(BLOCK_ROWS * cols).enumerate() {
        let start = r0 + b * BLOCK_ROWS;
        let n = block.len() / cols;
        for c0 in (0..cols).step_by(BLOCK_COLS) {
            let c1 = (c0 + BLOCK_COLS).min(cols);
            for (c, out) in dst.chunks_exact_mut(rows).enumerate().take(c1).skip(c0) {
                for (d, row) in out[start..start + n].iter_mut().zip(block.chunks_exact(cols)) {
                    *d = f(row[c]);
                }
            }
        }
    }
}

/// Rows `r0..` of a row-major `rows × cols` tensor (`src`, whole rows, `S` bytes per
/// element) into the column-major `dst` holding all of it.
pub(crate) fn read_rows_into<T, const S: usize>(
    src: &[u8],
    dst: &mut [T],
    rows: usize,
    cols: usize,
    r0: usize,
    get: impl Fn([u8; S]) -> T,
) {
    let (src, rest) = src.as_chunks::<S>();
    debug_assert!(rest.is_empty() && dst.len() == rows * cols && src.len() % cols.max(1) == 0);
    transpose_rows(src, dst, rows, cols, r0, &get);
}

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
    let (src, rest) = src.as_chunks::<S>();
    debug_assert!(rest.is_empty() && src.len() == dst.len() && dst.len() == rows * cols);
    match order {
        Order::RowMajor => {
            for (d, c) in dst.iter_mut().zip(src) {
                *d = get(*c);
            }
        }
        // Column-major `rows × cols` is row-major `cols × rows`.
        Order::ColumnMajor => transpose(src, dst, rows, cols, get),
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
    let mut out = vec![[0u8; S]; src.len()];
    match order {
        Order::RowMajor => {
            for (c, &v) in out.iter_mut().zip(src) {
                *c = put(v);
            }
        }
        // `src` is row-major `cols × rows`.
        Order::ColumnMajor => transpose(src, &mut out, cols, rows, put),
    }
    out.into_flattened()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both directions against the definition, for shapes around the block sizes.
    #[test]
    fn transposes_match_the_definition() {
        let shapes = [
            (1, 1),
            (3, 5),
            (16, 64),
            (64, 16),
            (65, 17),
            (70, 65),
            (130, 33),
            (1, 100),
            (100, 1),
        ];
        for (rows, cols) in shapes {
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
            // Row by row, and in uneven groups of rows, as a streamed file arrives.
            for step in [1, 3, 17, 64, 65] {
                let mut part = vec![0u32; rows * cols];
                for r0 in (0..rows).step_by(step) {
                    let r1 = (r0 + step).min(rows);
                    read_rows_into(
                        &bytes[r0 * cols * 4..r1 * cols * 4],
                        &mut part,
                        rows,
                        cols,
                        r0,
                        u32::from_le_bytes,
                    );
                }
                assert_eq!(part, col, "{rows}×{cols} in steps of {step}");
            }
            let mut flat = vec![0u32; rows * cols];
            read_into(&bytes, &mut flat, Order::RowMajor, rows, cols, u32::from_le_bytes);
            assert_eq!(write_from(&flat, Order::RowMajor, rows, cols, u32::to_le_bytes), bytes);
        }
    }
}
