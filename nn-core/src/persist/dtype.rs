//! Element types: a network saves its own float (`F32` for `f32`, `F64` for `f64`) and loads
//! `F32`, `F64`, `F16` and `BF16` (converted to the network's float; f32 → f64 and the
//! 16-bit types → either are exact; f64 → f32 rounds to nearest). Integer, bool and 8-bit
//! float tensors are refused. Non-finite values are found before anything is written.

use safetensors::Dtype;

use super::layout;
use crate::float::Float;
use crate::state::Order;

/// The dtype a network of `T` saves: `F32` or `F64`.
pub(crate) fn float_dtype<T: Float>() -> Dtype {
    if is_f32::<T>() {
        Dtype::F32
    } else {
        Dtype::F64
    }
}

/// `"f32"` or `"f64"`.
pub(crate) fn float_name<T: Float>() -> &'static str {
    if is_f32::<T>() {
        "f32"
    } else {
        "f64"
    }
}

fn is_f32<T: Float>() -> bool {
    core::mem::size_of::<T>() == 4
}

/// Whether a tensor of `dtype` loads into a network (F32, F64, F16, BF16).
pub(crate) fn loads(dtype: Dtype) -> bool {
    matches!(dtype, Dtype::F32 | Dtype::F64 | Dtype::F16 | Dtype::BF16)
}

/// The first non-finite element (row-major index, value) of a tensor of a loadable `dtype`.
///
/// A fast pass first (every element's exponent bits, no early exit, so it vectorises), then
/// the position only when there is one.
pub(crate) fn first_non_finite(dtype: Dtype, bytes: &[u8]) -> Option<(usize, f64)> {
    let any = match dtype {
        Dtype::F32 => any_exponent_all_ones::<4>(bytes, 0x7f80_0000),
        Dtype::F64 => any_exponent_all_ones::<8>(bytes, 0x7ff0_0000_0000_0000),
        Dtype::F16 => any_exponent_all_ones::<2>(bytes, 0x7c00),
        Dtype::BF16 => any_exponent_all_ones::<2>(bytes, 0x7f80),
        _ => unreachable!("only loadable dtypes are scanned"),
    };
    if !any {
        return None;
    }
    let size = dtype.bitsize() / 8;
    bytes
        .chunks_exact(size)
        .map(|c| to_f64(dtype, c))
        .enumerate()
        .find(|(_, v)| !v.is_finite())
}

/// The first element (row-major index, value in the file) that does not become a finite `T`:
/// a NaN or an infinity of any dtype ([`first_non_finite`]), or, loading F64 into an `f32`
/// network, a finite value beyond f32's range (it would round to ±∞).
pub(crate) fn first_not_finite_as<T: Float>(dtype: Dtype, bytes: &[u8]) -> Option<(usize, f64)> {
    first_non_finite(dtype, bytes).or_else(|| {
        if dtype != Dtype::F64 || !is_f32::<T>() {
            return None;
        }
        bytes
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
            .enumerate()
            .find(|&(_, v)| !(v as f32).is_finite())
    })
}

/// Whether any `S`-byte little-endian element has all of `mask`'s (exponent) bits set
/// (one OR-reduction over the whole tensor, no early exit, so it vectorises).
fn any_exponent_all_ones<const S: usize>(bytes: &[u8], mask: u64) -> bool {
    let (words, _) = bytes.as_chunks::<S>();
    let any = match S {
        2 => {
            let mask = mask as u16;
            words.iter().fold(0u16, |a, w| {
                a | (u16::from_le_bytes([w[0], w[1]]) & mask == mask) as u16
            }) != 0
        }
        4 => {
            let mask = mask as u32;
            words.iter().fold(0u32, |a, w| {
                a | (u32::from_le_bytes([w[0], w[1], w[2], w[3]]) & mask == mask) as u32
            }) != 0
        }
        _ => {
            words.iter().fold(0u64, |a, w| {
                let v = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
                a | (v & mask == mask) as u64
            }) != 0
        }
    };
    any
}

/// One element of a loadable dtype as f64 (exact for all four).
fn to_f64(dtype: Dtype, c: &[u8]) -> f64 {
    match dtype {
        Dtype::F32 => f32::from_le_bytes(c.try_into().expect("4 bytes")) as f64,
        Dtype::F64 => f64::from_le_bytes(c.try_into().expect("8 bytes")),
        Dtype::F16 => half::f16::from_le_bytes([c[0], c[1]]).to_f64(),
        Dtype::BF16 => half::bf16::from_le_bytes([c[0], c[1]]).to_f64(),
        _ => unreachable!("only loadable dtypes are converted"),
    }
}

/// Converts a row-major tensor of a loadable `dtype` into `dst` (in `order`, `rows × cols`
/// for a matrix; a vector is `rows = len, cols = 1`).
pub(crate) fn read_into<T: Float>(dtype: Dtype, src: &[u8], dst: &mut [T], order: Order, rows: usize, cols: usize) {
    // `T::cast(x as f64)` is a plain copy for f32 → f32 (the compiler folds the widening).
    match dtype {
        Dtype::F32 => layout::read_into::<T, 4>(src, dst, order, rows, cols, |b| T::cast(f32::from_le_bytes(b) as f64)),
        Dtype::F64 => layout::read_into::<T, 8>(src, dst, order, rows, cols, |b| T::cast(f64::from_le_bytes(b))),
        Dtype::F16 => layout::read_into::<T, 2>(src, dst, order, rows, cols, |b| {
            T::cast(half::f16::from_le_bytes(b).to_f64())
        }),
        Dtype::BF16 => layout::read_into::<T, 2>(src, dst, order, rows, cols, |b| {
            T::cast(half::bf16::from_le_bytes(b).to_f64())
        }),
        _ => unreachable!("only loadable dtypes are converted"),
    }
}

/// Rows `r0..` (`src`: whole rows) of a row-major `rows × cols` tensor of a loadable
/// `dtype` into the column-major `dst` holding all of it.
pub(crate) fn read_rows_into<T: Float>(dtype: Dtype, src: &[u8], dst: &mut [T], rows: usize, cols: usize, r0: usize) {
    match dtype {
        Dtype::F32 => {
            layout::read_rows_into::<T, 4>(src, dst, rows, cols, r0, |b| T::cast(f32::from_le_bytes(b) as f64))
        }
        Dtype::F64 => layout::read_rows_into::<T, 8>(src, dst, rows, cols, r0, |b| T::cast(f64::from_le_bytes(b))),
        Dtype::F16 => layout::read_rows_into::<T, 2>(src, dst, rows, cols, r0, |b| {
            T::cast(half::f16::from_le_bytes(b).to_f64())
        }),
        Dtype::BF16 => layout::read_rows_into::<T, 2>(src, dst, rows, cols, r0, |b| {
            T::cast(half::bf16::from_le_bytes(b).to_f64())
        }),
        _ => unreachable!("only loadable dtypes are converted"),
    }
}

/// The row-major little-endian bytes of `src` (in `order`) as the network's own dtype.
pub(crate) fn write_from<T: Float>(src: &[T], order: Order, rows: usize, cols: usize) -> Vec<u8> {
    if is_f32::<T>() {
        layout::write_from::<T, 4>(src, order, rows, cols, |v| (v.as_f64() as f32).to_le_bytes())
    } else {
        layout::write_from::<T, 8>(src, order, rows, cols, |v| v.as_f64().to_le_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_non_finite_value_of_every_dtype() {
        let f32s: Vec<u8> = [1.0f32, f32::INFINITY, f32::NAN]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(first_non_finite(Dtype::F32, &f32s), Some((1, f64::INFINITY)));
        let f64s: Vec<u8> = [1.0f64, 2.0, f64::NEG_INFINITY]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(first_non_finite(Dtype::F64, &f64s), Some((2, f64::NEG_INFINITY)));
        let f16s: Vec<u8> = [half::f16::from_f32(65504.0), half::f16::NAN]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert!(matches!(first_non_finite(Dtype::F16, &f16s), Some((1, v)) if v.is_nan()));
        let bf16s: Vec<u8> = [half::bf16::MAX, half::bf16::INFINITY]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(first_non_finite(Dtype::BF16, &bf16s), Some((1, f64::INFINITY)));
        // The largest finite values are finite.
        let max: Vec<u8> = f32::MAX
            .to_le_bytes()
            .into_iter()
            .chain(f64::MAX.to_le_bytes())
            .collect();
        assert_eq!(first_non_finite(Dtype::F32, &max[..4]), None);
        assert_eq!(first_non_finite(Dtype::F64, &max[4..]), None);
        assert_eq!(first_non_finite(Dtype::F16, &f16s[..2]), None);
        assert_eq!(first_non_finite(Dtype::BF16, &bf16s[..2]), None);
        // An F64 beyond f32's range is finite in the file but not in an f32 network.
        let big: Vec<u8> = [1.0f64, 1e300, f64::from(f32::MAX)]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(first_not_finite_as::<f32>(Dtype::F64, &big), Some((1, 1e300)));
        assert_eq!(first_not_finite_as::<f64>(Dtype::F64, &big), None);
        assert_eq!(first_not_finite_as::<f32>(Dtype::F64, &big[16..]), None);
    }
}
