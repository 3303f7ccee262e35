//! The per-thread scratch pool (`with_scratch`, what generated `predict_into` and the GEMM's
//! packing use): nested calls get distinct, 64-byte-aligned buffers, and once each nesting
//! depth has seen its largest size, calls allocate nothing — also with a GEMM that needs
//! packing buffers running inside a scratch call.
//!
//! Counted per thread by `nn_core::alloc_counter::CountingAllocator`.

use nn_core::__internal::{gemm, with_scratch, MatMut, MatRef};
use nn_core::alloc_counter::count_allocations;

/// Three nested calls of mixed float types; checks that the buffers are aligned and disjoint,
/// and returns their addresses.
fn nested(outer_len: usize, mid_len: usize, inner_len: usize) -> [usize; 3] {
    with_scratch::<f32, _>(outer_len, |outer| {
        outer.fill(1.0);
        let (mid, inner) = with_scratch::<f64, _>(mid_len, |mid| {
            mid.fill(2.0);
            let inner = with_scratch::<f32, _>(inner_len, |inner| {
                inner.fill(3.0);
                inner.as_ptr_range()
            });
            assert!(
                mid.iter().all(|&v| v == 2.0),
                "an inner call wrote into its caller's buffer"
            );
            (mid.as_ptr_range(), inner)
        });
        assert!(
            outer.iter().all(|&v| v == 1.0),
            "an inner call wrote into its caller's buffer"
        );
        let ranges = [
            (outer.as_ptr().addr(), outer.as_ptr_range().end.addr()),
            (mid.start.addr(), mid.end.addr()),
            (inner.start.addr(), inner.end.addr()),
        ];
        for (i, &(s, _)) in ranges.iter().enumerate() {
            assert_eq!(s % 64, 0, "buffer {i} is not 64-byte aligned");
        }
        for i in 0..3 {
            for j in i + 1..3 {
                let ((a0, a1), (b0, b1)) = (ranges[i], ranges[j]);
                assert!(a1 <= b0 || b1 <= a0, "buffers {i} and {j} overlap");
            }
        }
        [ranges[0].0, ranges[1].0, ranges[2].0]
    })
}

#[test]
fn nested_calls_get_distinct_aligned_buffers_and_steady_calls_allocate_nothing() {
    let first = nested(1000, 333, 77);
    let (again, allocs) = count_allocations(|| nested(1000, 333, 77));
    assert_eq!(allocs, 0, "a steady nested call allocated {allocs} times");
    assert_eq!(again, first, "each depth gets its buffer back");
    // Smaller requests reuse the grown buffers too.
    let ((), allocs) = count_allocations(|| {
        nested(10, 1, 0);
    });
    assert_eq!(allocs, 0, "a smaller nested call allocated {allocs} times");
}

#[test]
fn a_packing_gemm_inside_a_scratch_call_allocates_nothing_in_steady_state() {
    // 600 × 500 f32 `A` (1.2 MB) takes the packed path, whose panels come from the pool.
    let (m, k, n) = (600, 500, 40);
    let a = vec![0.5f32; m * k];
    let b = vec![0.25f32; k * n];
    let mut c = vec![0.0f32; m * n];
    let step = |c: &mut [f32]| {
        with_scratch::<f32, _>(m * n, |s| {
            gemm(
                1.0,
                MatRef::col_major(&a, m, k),
                MatRef::col_major(&b, k, n),
                0.0,
                MatMut::col_major(s, m, n),
            );
            c.copy_from_slice(s);
        })
    };
    step(&mut c);
    let ((), allocs) = count_allocations(|| step(&mut c));
    assert_eq!(allocs, 0, "steady gemm inside with_scratch allocated {allocs} times");
    assert!(c.iter().all(|&v| v == 0.125 * k as f32));
}
