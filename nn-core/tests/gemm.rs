//! The GEMM against a naive f64 reference, for every transpose case (A, B, C each column-major,
//! row-major — a transpose passed as strides — or strided with padding), sizes straddling every
//! kernel and cache-block edge, α/β variations (β = 0 over a NaN-filled C), both float types
//! and every instruction set this CPU supports, each algorithm (packed, direct, loops) forced in
//! turn as well as the automatic choice; random shapes up to 70 and up to 300 in every
//! dimension (the differential test); plus the zero-allocation check. Under Miri (`.ci/miri`)
//! a reduced set runs.

use std::alloc::{GlobalAlloc, Layout as AllocLayout, System};
use std::cell::Cell;

use nn_core::__internal::linear;
use nn_core::__internal::{gemm, gemm_with, gemm_with_isa, Isa, MatMut, MatRef, Path, PATHS};
use nn_core::Float;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

// ---- per-thread counting allocator (other test threads allocate concurrently) ----

struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

fn bump() {
    // `try_with`: never panic inside the allocator (e.g. during thread teardown).
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: forwards every call to `System` unchanged; the counter is a const-initialised
// thread-local `Cell`, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: AllocLayout) -> *mut u8 {
        bump();
        // SAFETY: forwarded contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: AllocLayout) -> *mut u8 {
        bump();
        // SAFETY: forwarded contract.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: AllocLayout, new_size: usize) -> *mut u8 {
        bump();
        // SAFETY: forwarded contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: AllocLayout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs_during(f: impl FnOnce()) -> usize {
    let before = ALLOCS.with(Cell::get);
    f();
    ALLOCS.with(Cell::get) - before
}

// ---- strided storage of a logical matrix ----

/// How a logical `r × c` matrix is laid out in memory.
#[derive(Clone, Copy, Debug)]
enum Layout {
    /// Column-major, `pad` unused elements between columns.
    Col(usize),
    /// Row-major (the transpose of a column-major matrix, passed as strides), `pad` between rows.
    Row(usize),
    /// Every other row of a column-major matrix (neither stride is 1).
    Skip,
}

const LAYOUTS: [Layout; 5] = [
    Layout::Col(0),
    Layout::Col(3),
    Layout::Row(0),
    Layout::Row(2),
    Layout::Skip,
];

struct Stored<T> {
    data: Vec<T>,
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl<T: Float> Stored<T> {
    /// Stores `vals` (logical, column-major `r × c`); every other element (padding and two
    /// trailing elements) holds `fill`.
    fn new(vals: &[f64], r: usize, c: usize, layout: Layout, fill: T) -> Self {
        let (rs, cs) = match layout {
            Layout::Col(pad) => (1, r + pad),
            Layout::Row(pad) => (c + pad, 1),
            Layout::Skip => (2, 2 * r + 1),
        };
        let len = if r > 0 && c > 0 {
            (r - 1) * rs + (c - 1) * cs + 1
        } else {
            0
        } + 2;
        let mut data = vec![fill; len];
        for j in 0..c {
            for i in 0..r {
                data[i * rs + j * cs] = T::cast(vals[i + j * r]);
            }
        }
        Stored {
            data,
            rows: r,
            cols: c,
            rs,
            cs,
        }
    }
    fn view(&self) -> MatRef<'_, T> {
        MatRef {
            data: &self.data,
            rows: self.rows,
            cols: self.cols,
            rs: self.rs,
            cs: self.cs,
        }
    }
    fn view_mut(&mut self) -> MatMut<'_, T> {
        MatMut {
            data: &mut self.data,
            rows: self.rows,
            cols: self.cols,
            rs: self.rs,
            cs: self.cs,
        }
    }
    /// Which stored positions hold a logical element.
    fn element_mask(&self) -> Vec<bool> {
        let mut mask = vec![false; self.data.len()];
        for j in 0..self.cols {
            for i in 0..self.rows {
                mask[i * self.rs + j * self.cs] = true;
            }
        }
        mask
    }
}

fn random(rng: &mut ChaCha8Rng, len: usize) -> Vec<f64> {
    (0..len).map(|_| rng.random_range(-1.0..1.0)).collect()
}

#[derive(Clone, Copy, Debug)]
struct Case {
    m: usize,
    n: usize,
    k: usize,
    la: Layout,
    lb: Layout,
    lc: Layout,
    alpha: f64,
    beta: f64,
}

/// Runs one case with `isa` and checks every element of C against the f64 reference within
/// `(k + 4)·ε·(|α|·Σ|a||b| + |β·c₀|)`, and that no padding element of C changed.
fn check_case<T: Float>(isa: Isa, path: Path, case: Case, rng: &mut ChaCha8Rng) {
    let Case {
        m,
        n,
        k,
        la,
        lb,
        lc,
        alpha,
        beta,
    } = case;
    let av = random(rng, m * k);
    let bv = random(rng, k * n);
    // β = 0: C starts as NaN and must be overwritten, not propagated.
    let cv: Vec<f64> = if beta == 0.0 {
        vec![f64::NAN; m * n]
    } else {
        random(rng, m * n)
    };
    // Round inputs to T so the reference sees exactly what the kernel sees.
    let round = |v: &[f64]| v.iter().map(|&x| T::cast(x).as_f64()).collect::<Vec<_>>();
    let (av, bv, cv) = (round(&av), round(&bv), round(&cv));
    let a = Stored::<T>::new(&av, m, k, la, T::cast(f64::NAN));
    let b = Stored::<T>::new(&bv, k, n, lb, T::cast(f64::NAN));
    let sentinel = T::cast(12345.0);
    let mut c = Stored::<T>::new(&cv, m, n, lc, sentinel);
    gemm_with(
        isa,
        path,
        T::cast(alpha),
        a.view(),
        b.view(),
        T::cast(beta),
        c.view_mut(),
    );

    let eps = if size_of::<T>() == 4 {
        f32::EPSILON as f64
    } else {
        f64::EPSILON
    };
    for j in 0..n {
        for i in 0..m {
            let (mut exact, mut mag) = (0.0, 0.0);
            for p in 0..k {
                exact += av[i + p * m] * bv[p + j * k];
                mag += (av[i + p * m] * bv[p + j * k]).abs();
            }
            let c0 = cv[i + j * m];
            let (want, bound) = if beta == 0.0 {
                (alpha * exact, (k + 4) as f64 * eps * alpha.abs() * mag)
            } else {
                (
                    alpha * exact + beta * c0,
                    (k + 4) as f64 * eps * (alpha.abs() * mag + (beta * c0).abs()),
                )
            };
            let got = c.data[i * c.rs + j * c.cs].as_f64();
            assert!(
                (got - want).abs() <= bound + f64::MIN_POSITIVE,
                "{isa:?} {path:?} {}: C({i},{j}) = {got}, want {want} (bound {bound}) in {case:?}",
                std::any::type_name::<T>()
            );
        }
    }
    let mask = c.element_mask();
    for (idx, x) in c.data.iter().enumerate() {
        if x.as_f64() != 12345.0 {
            assert!(
                mask[idx],
                "{isa:?} {path:?}: padding element {idx} of C was written ({}) in {case:?}",
                x.as_f64()
            );
        }
    }
}

fn isas() -> Vec<Isa> {
    Isa::ALL.into_iter().filter(|i| i.is_supported()).collect()
}

/// Every forced algorithm and the automatic choice (under Miri only the forced ones: the
/// automatic choice is one of them).
fn paths() -> &'static [Path] {
    const ALL: [Path; 4] = [PATHS[0], PATHS[1], PATHS[2], Path::Auto];
    if cfg!(miri) {
        &ALL[..3]
    } else {
        &ALL
    }
}

const ALPHA_BETA: [(f64, f64); 4] = [(1.0, 0.0), (-0.5, 0.0), (1.0, 1.0), (0.75, -1.25)];

/// The `(A, B, C)` layouts to run: every combination, or under Miri (`.ci/miri`) four that
/// cover plain, transposed, padded and doubly strided operands.
fn layout_combos() -> Vec<(Layout, Layout, Layout)> {
    if cfg!(miri) {
        return vec![
            (Layout::Col(0), Layout::Col(0), Layout::Col(0)),
            (Layout::Row(0), Layout::Col(3), Layout::Col(1)),
            (Layout::Col(3), Layout::Row(2), Layout::Row(0)),
            (Layout::Skip, Layout::Skip, Layout::Skip),
        ];
    }
    let mut all = Vec::new();
    for la in LAYOUTS {
        for lb in LAYOUTS {
            for lc in LAYOUTS {
                all.push((la, lb, lc));
            }
        }
    }
    all
}

/// Every layout combination of A, B and C for the given sizes (under Miri, one of
/// [`layout_combos`] per instruction set and path, picked at random).
fn check_all_layouts<T: Float>(m: usize, n: usize, k: usize, rng: &mut ChaCha8Rng) {
    for (isa, path) in isas()
        .into_iter()
        .flat_map(|i| paths().iter().copied().map(move |p| (i, p)))
    {
        let mut combos = layout_combos();
        if cfg!(miri) {
            combos = vec![combos[rng.random_range(0..combos.len())]];
        }
        for (la, lb, lc) in combos {
            let (alpha, beta) = ALPHA_BETA[rng.random_range(0..ALPHA_BETA.len())];
            let case = Case {
                m,
                n,
                k,
                la,
                lb,
                lc,
                alpha,
                beta,
            };
            check_case::<T>(isa, path, case, rng);
        }
    }
}

/// Under Miri (`.ci/miri`, where a product costs ~10⁴ times more): the empty and unit cases,
/// tile edges of each instruction set, and the 1-column tiles with a 3-vector remainder that
/// once formed pointers past A and C.
#[cfg(miri)]
const EDGE_SIZES: &[(usize, usize, usize)] = &[(0, 5, 3), (1, 1, 1), (9, 1, 3), (17, 1, 2), (40, 1, 2), (11, 7, 2)];

/// Sizes straddling the register tiles (MR ∈ {8, 16, 32}, NR ∈ {4, 6, 12}), the empty and
/// unit cases, and the layer shapes of the workloads.
#[cfg(not(miri))]
const EDGE_SIZES: &[(usize, usize, usize)] = &[
    (0, 5, 3),
    (5, 0, 3),
    (5, 3, 0),
    (0, 0, 0),
    (1, 1, 1),
    (1, 7, 1),
    (7, 1, 1),
    (1, 1, 9),
    (3, 5, 1),
    (10, 30, 2),
    (3, 30, 10),
    (3, 10, 30),
    (10, 30, 3),
    (10, 2, 30),
    (64, 1, 16),
    (64, 1, 64),
    (4, 1, 64),
    (7, 5, 40),
    (8, 5, 40),
    (9, 5, 40),
    (15, 6, 40),
    (16, 7, 40),
    (17, 13, 40),
    (31, 11, 40),
    (32, 12, 40),
    (33, 13, 40),
    (63, 25, 24),
    (65, 23, 24),
    (24, 24, 24),
    (40, 3, 40),
    (40, 4, 40),
    (40, 5, 40),
    (40, 40, 4),
    (40, 40, 5),
    // One-column tiles whose remainder spans three vectors (`m mod 4·LANES` in
    // `(2·LANES, 3·LANES]`): once computed pointers past A and C (UB reported by Miri, see
    // `.ci/miri`); f64 AVX2 9..12, f64 AVX-512 / f32 AVX2 17..24, f32 AVX-512 33..48 (`Affine(784
    // -> 40)` on one sample), and with a full tile before them.
    (9, 1, 4),
    (12, 1, 9),
    (17, 1, 4),
    (24, 1, 3),
    (11, 7, 4),
    (40, 1, 8),
    (41, 1, 5),
    (48, 1, 2),
    (75, 1, 4),
];

fn edge_sizes<T: Float>(seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for &(m, n, k) in EDGE_SIZES {
        check_all_layouts::<T>(m, n, k, &mut rng);
    }
}

#[test]
fn edge_sizes_f32() {
    edge_sizes::<f32>(1);
}

#[test]
fn edge_sizes_f64() {
    edge_sizes::<f64>(2);
}

/// Random sizes up to 70 in every dimension, random layouts and α/β.
/// One `m × n × k` shape with one random α/β and random layouts per instruction set and path.
fn check_every_isa_and_path<T: Float>(m: usize, n: usize, k: usize, rng: &mut ChaCha8Rng) {
    let pick = |rng: &mut ChaCha8Rng| LAYOUTS[rng.random_range(0..LAYOUTS.len())];
    let (alpha, beta) = ALPHA_BETA[rng.random_range(0..ALPHA_BETA.len())];
    for (isa, path) in isas()
        .into_iter()
        .flat_map(|i| paths().iter().copied().map(move |p| (i, p)))
    {
        let case = Case {
            m,
            n,
            k,
            la: pick(rng),
            lb: pick(rng),
            lc: pick(rng),
            alpha,
            beta,
        };
        check_case::<T>(isa, path, case, rng);
    }
}

fn random_sizes<T: Float>(seed: u64, count: usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for _ in 0..count {
        let max = if cfg!(miri) { 10 } else { 70 };
        let dim = |rng: &mut ChaCha8Rng| rng.random_range(1..=max);
        let (m, n, k) = (dim(&mut rng), dim(&mut rng), dim(&mut rng));
        check_every_isa_and_path::<T>(m, n, k, &mut rng);
    }
}

/// Random cases per float type (fewer under Miri).
const RANDOM_CASES: usize = if cfg!(miri) { 1 } else { 300 };

#[test]
fn random_sizes_f32() {
    random_sizes::<f32>(3, RANDOM_CASES);
}

#[test]
fn random_sizes_f64() {
    random_sizes::<f64>(4, RANDOM_CASES);
}

/// The differential test over large shapes: `m`, `n`, `k` each in `1..=300` (log-uniform, so
/// every scale is hit; a case's `m·n·k` is capped at 2²¹ to bound the reference's time),
/// random layouts (transposes, padded and doubly strided operands) and α/β, on every
/// instruction set and path. A failure names the instruction set, path, shape, layouts, α
/// and β (the seed reproduces it).
fn large_random_sizes<T: Float>(seed: u64, count: usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut done = 0;
    while done < count {
        let dim = |rng: &mut ChaCha8Rng| (300f64.powf(rng.random_range(0.0..1.0)).round() as usize).clamp(1, 300);
        let (m, n, k) = (dim(&mut rng), dim(&mut rng), dim(&mut rng));
        if m * n * k > 1 << 21 {
            continue;
        }
        done += 1;
        check_every_isa_and_path::<T>(m, n, k, &mut rng);
    }
}

#[test]
#[cfg_attr(miri, ignore = "too slow under Miri")]
fn large_random_sizes_f32() {
    large_random_sizes::<f32>(7, 150);
}

#[test]
#[cfg_attr(miri, ignore = "too slow under Miri")]
fn large_random_sizes_f64() {
    large_random_sizes::<f64>(8, 150);
}

/// Cache-block edges: `k` across KC (256, 384) and 2·KC, `m` across MC (64…192), `n`
/// across NC (1024, 2048, 3072); a few layouts each (these sizes are slow to reference).
fn block_edges<T: Float>(seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let sizes = [
        (37, 29, 255),
        (37, 29, 256),
        (37, 29, 257),
        (33, 13, 384),
        (33, 13, 385),
        (20, 14, 769),
        (63, 40, 20),
        (65, 40, 20),
        (71, 40, 20),
        (73, 40, 20),
        (96, 40, 20),
        (97, 40, 20),
        (144, 30, 20),
        (145, 30, 20),
        (192, 30, 20),
        (193, 30, 20),
        (200, 1025, 5),
        (200, 2049, 5),
        (200, 3073, 5),
        (100, 100, 784),
    ];
    let combos = [
        (Layout::Col(0), Layout::Col(0), Layout::Col(0)),
        (Layout::Row(1), Layout::Col(2), Layout::Col(1)),
        (Layout::Col(0), Layout::Row(0), Layout::Row(3)),
        (Layout::Row(0), Layout::Row(0), Layout::Skip),
    ];
    for (m, n, k) in sizes {
        for (isa, path) in isas()
            .into_iter()
            .flat_map(|i| paths().iter().copied().map(move |p| (i, p)))
        {
            for (la, lb, lc) in combos {
                let (alpha, beta) = ALPHA_BETA[rng.random_range(0..ALPHA_BETA.len())];
                let case = Case {
                    m,
                    n,
                    k,
                    la,
                    lb,
                    lc,
                    alpha,
                    beta,
                };
                check_case::<T>(isa, path, case, &mut rng);
            }
        }
    }
}

#[test]
#[cfg_attr(miri, ignore = "too slow under Miri")]
fn block_edges_f32() {
    block_edges::<f32>(5);
}

#[test]
#[cfg_attr(miri, ignore = "too slow under Miri")]
fn block_edges_f64() {
    block_edges::<f64>(6);
}

#[test]
fn beta_zero_ignores_nan_and_inf_in_c() {
    for (isa, path) in isas()
        .into_iter()
        .flat_map(|i| paths().iter().copied().map(move |p| (i, p)))
    {
        let shapes: &[(usize, usize, usize)] = if cfg!(miri) {
            &[(3, 4, 5), (17, 1, 3)]
        } else {
            &[(3, 4, 5), (100, 100, 50)]
        };
        for &(m, n, k) in shapes {
            let a = vec![1.0f32; m * k];
            let b = vec![2.0f32; k * n];
            let mut c: Vec<f32> = (0..m * n)
                .map(|i| if i % 2 == 0 { f32::NAN } else { f32::INFINITY })
                .collect();
            gemm_with(
                isa,
                path,
                1.0,
                MatRef::col_major(&a, m, k),
                MatRef::col_major(&b, k, n),
                0.0,
                MatMut::col_major(&mut c, m, n),
            );
            assert!(
                c.iter().all(|&x| x == 2.0 * k as f32),
                "{isa:?} {path:?}: {:?}",
                &c[..4]
            );
        }
    }
}

#[test]
fn detected_isa_is_supported_and_cached() {
    let isa = Isa::detect();
    assert!(isa.is_supported());
    assert_eq!(Isa::detect(), isa);
    assert!(Isa::Generic.is_supported());
}

#[test]
#[should_panic(expected = "gemm: A is 2×3 but B is 4×2")]
fn mismatched_inner_dimension_panics() {
    let (a, b, mut c) = ([0.0f32; 6], [0.0f32; 8], [0.0f32; 4]);
    gemm(
        1.0,
        MatRef::col_major(&a, 2, 3),
        MatRef::col_major(&b, 4, 2),
        0.0,
        MatMut::col_major(&mut c, 2, 2),
    );
}

#[test]
#[should_panic(expected = "slice has 5")]
fn short_slice_panics() {
    let (a, b, mut c) = ([0.0f64; 5], [0.0f64; 6], [0.0f64; 4]);
    gemm(
        1.0,
        MatRef::col_major(&a, 2, 3),
        MatRef::col_major(&b, 3, 2),
        0.0,
        MatMut::col_major(&mut c, 2, 2),
    );
}

#[test]
#[should_panic(expected = "overlapping elements")]
fn overlapping_c_panics() {
    let (a, b, mut c) = ([0.0f32; 6], [0.0f32; 6], [0.0f32; 4]);
    let c = MatMut {
        data: &mut c,
        rows: 2,
        cols: 2,
        rs: 1,
        cs: 1,
    };
    gemm(1.0, MatRef::col_major(&a, 2, 3), MatRef::col_major(&b, 3, 2), 0.0, c);
}

/// The three layer products of `linear` against the reference, f32 and f64.
fn linear_products<T: Float, const IN: usize, const OUT: usize>(n: usize, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let vals = |rng: &mut ChaCha8Rng, len| random(rng, len).into_iter().map(T::cast).collect::<Vec<T>>();
    let w = vals(&mut rng, OUT * IN);
    let x = vals(&mut rng, IN * n);
    let dout = vals(&mut rng, OUT * n);
    let y0 = vals(&mut rng, OUT * n);
    let eps = if size_of::<T>() == 4 { 1e-5 } else { 1e-12 };
    let close = |got: T, want: f64, what: &str| {
        assert!(
            (got.as_f64() - want).abs() <= eps * (1.0 + want.abs()) * (IN + OUT + n) as f64,
            "{what}: {got} vs {want} (IN {IN}, OUT {OUT}, N {n})"
        );
    };
    // y = W·x + y0
    let mut y = y0.clone();
    linear::forward::<T, IN, OUT>(&w, &x, T::one(), &mut y);
    for j in 0..n {
        for o in 0..OUT {
            let want: f64 = (0..IN)
                .map(|i| w[o + i * OUT].as_f64() * x[i + j * IN].as_f64())
                .sum::<f64>()
                + y0[o + j * OUT].as_f64();
            close(y[o + j * OUT], want, "forward");
        }
    }
    // dx = Wᵀ·dout (dx pre-filled with NaN: it is overwritten)
    let mut dx = vec![T::cast(f64::NAN); IN * n];
    linear::backward_dx::<T, IN, OUT>(&w, &dout, &mut dx);
    for j in 0..n {
        for i in 0..IN {
            let want: f64 = (0..OUT)
                .map(|o| w[o + i * OUT].as_f64() * dout[o + j * OUT].as_f64())
                .sum();
            close(dx[i + j * IN], want, "backward_dx");
        }
    }
    // dW = dout·xᵀ
    let mut dw = vec![T::cast(f64::NAN); OUT * IN];
    linear::backward_dw::<T, IN, OUT>(&x, &dout, &mut dw);
    for i in 0..IN {
        for o in 0..OUT {
            let want: f64 = (0..n)
                .map(|j| dout[o + j * OUT].as_f64() * x[i + j * IN].as_f64())
                .sum();
            close(dw[o + i * OUT], want, "backward_dw");
        }
    }
}

#[test]
#[cfg(miri)]
fn linear_products_match_reference() {
    for n in [1, 2] {
        linear_products::<f32, 2, 10>(n, 7);
        linear_products::<f64, 10, 3>(n, 10);
        linear_products::<f32, 40, 9>(n, 11);
    }
}

#[test]
#[cfg(not(miri))]
fn linear_products_match_reference() {
    for n in [1, 2, 30, 100] {
        linear_products::<f32, 2, 10>(n, 7);
        linear_products::<f32, 10, 3>(n, 8);
        linear_products::<f64, 2, 10>(n, 9);
        linear_products::<f64, 10, 3>(n, 10);
        linear_products::<f32, 16, 64>(n, 11);
        linear_products::<f32, 64, 64>(n, 12);
        linear_products::<f32, 64, 4>(n, 13);
        linear_products::<f64, 64, 4>(n, 14);
    }
    linear_products::<f32, 784, 100>(100, 15);
    linear_products::<f32, 100, 10>(100, 16);
    linear_products::<f64, 784, 100>(37, 17);
    linear_products::<f32, 256, 256>(100, 18);
}

/// `(A, B, C, m, n, k)`, column-major.
type Problem<T> = (Vec<T>, Vec<T>, Vec<T>, usize, usize, usize);

/// After one warm-up call per shape, further calls allocate nothing (packed and direct
/// paths, transposed operands, both float types, every instruction set).
#[test]
#[cfg_attr(miri, ignore = "too slow under Miri")]
fn steady_state_calls_do_not_allocate() {
    fn shapes<T: Float>() -> Vec<Problem<T>> {
        [
            (100, 100, 784),
            (100, 784, 100),
            (784, 100, 100),
            (10, 100, 100),
            (10, 30, 2),
            (64, 1, 16),
            (3, 10, 30),
        ]
        .into_iter()
        .map(|(m, n, k)| {
            (
                vec![T::one(); m * k],
                vec![T::one(); k * n],
                vec![T::zero(); m * n],
                m,
                n,
                k,
            )
        })
        .collect()
    }
    fn run<T: Float>(isa: Isa, bufs: &mut [Problem<T>]) {
        for (a, b, c, m, n, k) in bufs.iter_mut() {
            let (m, n, k) = (*m, *n, *k);
            for &path in paths() {
                gemm_with(
                    isa,
                    path,
                    T::one(),
                    MatRef::col_major(a, m, k),
                    MatRef::col_major(b, k, n),
                    T::zero(),
                    MatMut::col_major(c, m, n),
                );
            }
            gemm_with_isa(
                isa,
                T::one(),
                MatRef::col_major(a, m, k),
                MatRef::col_major(b, k, n),
                T::zero(),
                MatMut::col_major(c, m, n),
            );
            // transposed A and B, transposed C
            gemm_with_isa(
                isa,
                T::one(),
                MatRef::col_major(a, k, m).t(),
                MatRef::col_major(b, n, k).t(),
                T::one(),
                MatMut::col_major(c, n, m).t(),
            );
        }
    }
    let mut f32s = shapes::<f32>();
    let mut f64s = shapes::<f64>();
    for isa in isas() {
        run(isa, &mut f32s);
        run(isa, &mut f64s);
        let allocs = allocs_during(|| {
            run(isa, &mut f32s);
            run(isa, &mut f64s);
        });
        assert_eq!(allocs, 0, "{isa:?}: steady-state gemm calls allocated {allocs} times");
    }
    // The linear-layer entry points too.
    let w = vec![0.5f32; 100 * 784];
    let x = vec![0.25f32; 784 * 100];
    let mut y = vec![0.0f32; 100 * 100];
    let mut dw = vec![0.0f32; 100 * 784];
    let mut dx = vec![0.0f32; 784 * 100];
    let step = |y: &mut [f32], dw: &mut [f32], dx: &mut [f32]| {
        linear::forward::<f32, 784, 100>(&w, &x, 0.0, y);
        linear::backward_dw::<f32, 784, 100>(&x, y, dw);
        linear::backward_dx::<f32, 784, 100>(&w, y, dx);
    };
    step(&mut y, &mut dw, &mut dx);
    let allocs = allocs_during(|| step(&mut y, &mut dw, &mut dx));
    assert_eq!(allocs, 0, "linear products allocated {allocs} times");
}
