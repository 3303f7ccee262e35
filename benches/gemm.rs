//! GEMM on the layer products of the workloads (f32, one thread): `nn`'s gemm against
//! `matrixmultiply` (which allocates its packing buffer per call) and nalgebra with `Dyn`
//! matrices. Throughput is reported in elements/s where one element is one flop
//! (`2·m·n·k` per product), so criterion's "Gelem/s" reads as GFLOP/s.
//!
//! Run: `cargo bench --bench gemm` (add `-- <filter>` to pick shapes).

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use nalgebra::{DMatrix, DMatrixView, Dyn};
use nn::__internal::{gemm, gemm_with, Isa, MatMut, MatRef, Path};

/// Which operand is transposed (passed as strides): the three layer products are
/// `y = W·x` (none), `dx = Wᵀ·dout` (A), `dW = dout·xᵀ` (B).
#[derive(Clone, Copy)]
enum Trans {
    None,
    A,
    B,
}

struct Shape {
    name: &'static str,
    m: usize,
    n: usize,
    k: usize,
    trans: Trans,
}

const fn shape(name: &'static str, m: usize, n: usize, k: usize, trans: Trans) -> Shape {
    Shape { name, m, n, k, trans }
}

const SHAPES: &[Shape] = &[
    // W2 784→100→10, batch 100
    shape("w2_fwd1_100x784x100", 100, 100, 784, Trans::None),
    shape("w2_dw1_100x100x784t", 100, 784, 100, Trans::B),
    shape("w2_fwd2_10x100x100", 10, 100, 100, Trans::None),
    shape("w2_dw2_10x100x100t", 10, 100, 100, Trans::B),
    shape("w2_dx2_10t_10x100", 100, 100, 10, Trans::A),
    // 784→256→256→10, batch 100
    shape("w2b_fwd1_256x784x100", 256, 100, 784, Trans::None),
    shape("w2b_dw1_256x100x784t", 256, 784, 100, Trans::B),
    shape("w2b_fwd2_256x256x100", 256, 100, 256, Trans::None),
    shape("w2b_dx2_256t_256x100", 256, 100, 256, Trans::A),
    shape("w2b_dw2_256x100x256t", 256, 256, 100, Trans::B),
    shape("w2b_fwd3_10x256x100", 10, 100, 256, Trans::None),
    shape("w2b_dx3_10t_10x100", 256, 100, 10, Trans::A),
    // chapter 1: 2→10→3, batch 30
    shape("w1_fwd1_10x2x30", 10, 30, 2, Trans::None),
    shape("w1_fwd2_3x10x30", 3, 30, 10, Trans::None),
    shape("w1_dw2_3x30x10t", 3, 10, 30, Trans::B),
    shape("w1_dx2_3t_3x30", 10, 30, 3, Trans::A),
    shape("w1_dw1_10x30x2t", 10, 2, 30, Trans::B),
    // batch-1 inference 16→64→64→4
    shape("w3_64x16x1", 64, 1, 16, Trans::None),
    shape("w3_64x64x1", 64, 1, 64, Trans::None),
    shape("w3_4x64x1", 4, 1, 64, Trans::None),
];

/// Operands stored as the layers store them: a transposed operand is the column-major
/// transpose, read through swapped strides.
struct Operands {
    a: Vec<f32>,
    b: Vec<f32>,
    c: Vec<f32>,
    /// (rows, cols, rs, cs) of A and B as the product sees them.
    av: (usize, usize, usize, usize),
    bv: (usize, usize, usize, usize),
}

fn operands(s: &Shape) -> Operands {
    let (m, n, k) = (s.m, s.n, s.k);
    let fill = |len: usize, seed: usize| (0..len).map(|i| ((i * 7 + seed) % 13) as f32 / 13.0 - 0.5).collect();
    let av = match s.trans {
        Trans::A => (m, k, k, 1),
        _ => (m, k, 1, m),
    };
    let bv = match s.trans {
        Trans::B => (k, n, n, 1),
        _ => (k, n, 1, k),
    };
    Operands {
        a: fill(m * k, 1),
        b: fill(k * n, 2),
        c: vec![0.0; m * n],
        av,
        bv,
    }
}

fn view<'a>(data: &'a [f32], (rows, cols, rs, cs): (usize, usize, usize, usize)) -> MatRef<'a, f32> {
    MatRef {
        data,
        rows,
        cols,
        rs,
        cs,
    }
}

fn bench_gemm(crit: &mut Criterion) {
    let mut group = crit.benchmark_group("gemm");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(800));
    for s in SHAPES {
        let (m, n, k) = (s.m, s.n, s.k);
        group.throughput(Throughput::Elements((2 * m * n * k) as u64));
        let mut o = operands(s);

        group.bench_function(BenchmarkId::new("nn", s.name), |bch| {
            bch.iter(|| {
                gemm(
                    1.0,
                    view(&o.a, o.av),
                    view(&o.b, o.bv),
                    0.0,
                    MatMut::col_major(&mut o.c, m, n),
                );
            })
        });

        group.bench_function(BenchmarkId::new("matrixmultiply", s.name), |bch| {
            bch.iter(|| {
                let (ar, ac) = (o.av.2 as isize, o.av.3 as isize);
                let (br, bc) = (o.bv.2 as isize, o.bv.3 as isize);
                // SAFETY: the pointers cover m×k, k×n and m×n matrices with these strides.
                unsafe {
                    matrixmultiply::sgemm(
                        m,
                        k,
                        n,
                        1.0,
                        o.a.as_ptr(),
                        ar,
                        ac,
                        o.b.as_ptr(),
                        br,
                        bc,
                        0.0,
                        o.c.as_mut_ptr(),
                        1,
                        m as isize,
                    )
                }
            })
        });

        // nalgebra, `Dyn` matrices: `gemm` for A·B and A·Bᵀ (Bᵀ a strided view), `gemm_tr`
        // for Aᵀ·B (nalgebra's own way to multiply by a transpose).
        let (a_rows, a_cols) = match s.trans {
            Trans::A => (k, m),
            _ => (m, k),
        };
        let a_na = DMatrix::from_column_slice(a_rows, a_cols, &o.a);
        let (b_rows, b_cols) = match s.trans {
            Trans::B => (n, k),
            _ => (k, n),
        };
        let b_na = DMatrix::from_column_slice(b_rows, b_cols, &o.b);
        let mut c_na = DMatrix::<f32>::zeros(m, n);
        group.bench_function(BenchmarkId::new("nalgebra", s.name), |bch| {
            bch.iter(|| match s.trans {
                Trans::None => c_na.gemm(1.0, &a_na, &b_na, 0.0),
                Trans::A => c_na.gemm_tr(1.0, &a_na, &b_na, 0.0),
                Trans::B => {
                    let bt = DMatrixView::<f32, Dyn, Dyn>::from_slice_with_strides(b_na.as_slice(), k, n, n, 1);
                    c_na.gemm(1.0, &a_na, &bt, 0.0)
                }
            })
        });
    }
    group.finish();

    // Our kernels per instruction set and algorithm on the two big W2 shapes.
    let mut group = crit.benchmark_group("gemm_isa");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(800));
    for s in &SHAPES[..2] {
        let (m, n, k) = (s.m, s.n, s.k);
        group.throughput(Throughput::Elements((2 * m * n * k) as u64));
        let mut o = operands(s);
        for isa in Isa::ALL.into_iter().filter(|i| i.is_supported()) {
            for path in [Path::Direct, Path::Packed] {
                group.bench_function(BenchmarkId::new(format!("{isa:?}-{path:?}"), s.name), |bch| {
                    bch.iter(|| {
                        let c = MatMut::col_major(&mut o.c, m, n);
                        gemm_with(isa, path, 1.0, view(&o.a, o.av), view(&o.b, o.bv), 0.0, c);
                    })
                });
            }
        }
    }
    group.finish();
}

criterion_group!(benches, bench_gemm);
criterion_main!(benches);
