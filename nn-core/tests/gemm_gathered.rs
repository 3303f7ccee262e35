//! `gemm_gathered` against `gemm` on the copied batch: the same `C` bit for bit on the direct
//! path (the same kernel reading the same values in the same order) and the batch copied
//! exactly, close to it on the fallback paths, for every instruction set, `f32` and `f64`.

use nn_core::__internal::{gemm_gathered_with_isa, gemm_with_isa, Gathered, Isa, MatMut, MatRef};
use nn_core::Float;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn isas() -> Vec<Isa> {
    Isa::ALL.into_iter().filter(|i| i.is_supported()).collect()
}

fn values<T: Float>(rng: &mut ChaCha8Rng, n: usize) -> Vec<T> {
    (0..n).map(|_| T::cast(rng.random::<f64>() * 2.0 - 1.0)).collect()
}

/// `C ← α·A·X + β·C` with `X = S[:, idx]`, gathered vs copied. `a_t`: A given as the
/// transpose of a column-major matrix; `c_t`: C row-major.
#[allow(clippy::too_many_arguments)]
fn case<T: Float>(isa: Isa, m: usize, k: usize, n: usize, a_t: bool, c_t: bool, beta: f64, rng: &mut ChaCha8Rng) {
    let source_cols = n + 7;
    let s = values::<T>(rng, k * source_cols);
    let idx: Vec<usize> = (0..n).map(|_| rng.random_range(0..source_cols)).collect();
    let a = values::<T>(rng, m * k);
    let c0 = values::<T>(rng, m * n);
    let a_view = if a_t {
        MatRef::col_major(&a, k, m).t()
    } else {
        MatRef::col_major(&a, m, k)
    };
    let (alpha, beta) = (T::cast(0.75), T::cast(beta));
    fn c_mut<T>(c: &mut [T], m: usize, n: usize, c_t: bool) -> MatMut<'_, T> {
        if c_t {
            MatMut::col_major(c, n, m).t()
        } else {
            MatMut::col_major(c, m, n)
        }
    }

    let mut got = c0.clone();
    let mut x_got = vec![T::cast(f64::NAN); k * n];
    gemm_gathered_with_isa(
        isa,
        alpha,
        a_view,
        Gathered::columns(&s, k, &idx),
        beta,
        c_mut(&mut got, m, n, c_t),
        &mut x_got,
    );

    let mut x = Vec::with_capacity(k * n);
    for &i in &idx {
        x.extend_from_slice(&s[i * k..(i + 1) * k]);
    }
    let mut want = c0.clone();
    gemm_with_isa(
        isa,
        alpha,
        a_view,
        MatRef::col_major(&x, k, n),
        beta,
        c_mut(&mut want, m, n, c_t),
    );

    let what = format!(
        "{isa:?} {} m={m} k={k} n={n} a_t={a_t} c_t={c_t}",
        std::any::type_name::<T>()
    );
    assert!(x_got == x, "{what}: the batch was not copied exactly");
    let direct = !c_t && m * k * size_of::<T>() <= 1 << 20;
    if direct {
        assert!(
            got == want,
            "{what}: gathered and copied batches give different products"
        );
    } else {
        for (g, w) in got.iter().zip(&want) {
            let (g, w) = (g.as_f64(), w.as_f64());
            assert!((g - w).abs() <= 1e-4 * (1.0 + w.abs()), "{what}: {g} vs {w}");
        }
    }
}

fn all<T: Float>(seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // Under Miri (`.ci/miri`): a few shapes, among them 1-column tiles with a 3-vector
    // remainder (`(9|17|40) × 1`).
    #[cfg(miri)]
    let shapes: &[(usize, usize, usize)] = &[(3, 2, 5), (9, 3, 1), (17, 2, 1), (40, 2, 1)];
    #[cfg(not(miri))]
    let shapes: &[(usize, usize, usize)] = &[
        (1, 1, 1),
        (3, 2, 5),
        (10, 2, 30),
        (100, 784, 100),
        (33, 17, 9),
        (64, 64, 1),
        (17, 40, 13),
        (50, 31, 66),
        (97, 5, 19),
    ];
    for isa in isas() {
        for &(m, k, n) in shapes {
            let betas: &[f64] = if cfg!(miri) { &[1.0] } else { &[0.0, 1.0, -0.5] };
            for &beta in betas {
                case::<T>(isa, m, k, n, false, false, beta, &mut rng);
            }
            case::<T>(isa, m, k, n, true, false, 0.0, &mut rng);
            case::<T>(isa, m, k, n, false, true, 1.0, &mut rng);
        }
    }
}

#[test]
fn gathered_matches_copied_f32() {
    all::<f32>(1);
}

#[test]
fn gathered_matches_copied_f64() {
    all::<f64>(2);
}

/// An `A` over 1 MiB takes the copying fallback to the packed path: still correct.
#[test]
#[cfg_attr(miri, ignore = "too slow under Miri")]
fn large_a_falls_back_to_packed() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for isa in isas() {
        case::<f32>(isa, 600, 500, 20, false, false, 0.0, &mut rng);
    }
}

#[test]
#[should_panic(expected = "column index 3 is out of range for a source of 3 columns")]
fn index_out_of_range_panics() {
    let s = [0.0f32; 6];
    let w = [0.0f32; 2];
    let (mut y, mut x) = ([0.0f32; 1], [0.0f32; 2]);
    gemm_gathered_with_isa(
        Isa::Generic,
        1.0,
        MatRef::col_major(&w, 1, 2),
        Gathered::columns(&s, 2, &[3]),
        0.0,
        MatMut::col_major(&mut y, 1, 1),
        &mut x,
    );
}
