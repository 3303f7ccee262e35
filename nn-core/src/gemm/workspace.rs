//! The per-thread packing workspace: one 64-byte-aligned buffer per thread, grown to the
//! largest size a product on that thread has needed and reused afterwards, so a GEMM in
//! steady state allocates nothing.

use core::cell::RefCell;

use super::simd::Elem;

/// 64 bytes, 64-aligned: the unit the buffer grows in (keeps packed panels cache-line
/// aligned for either float type).
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([u8; 64]);

thread_local! {
    static WORKSPACE: RefCell<Vec<Line>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with a scratch slice of at least `len` elements (contents unspecified). Uses this
/// thread's buffer; allocates only when the buffer must grow, or when it is unavailable (a
/// nested call, or thread-local storage already torn down at thread exit).
pub(crate) fn with_workspace<T: Elem, R>(len: usize, f: impl FnOnce(&mut [T]) -> R) -> R {
    let mut f = Some(f);
    let mut run = |buf: &mut Vec<Line>| {
        let lines = (len * size_of::<T>()).div_ceil(size_of::<Line>());
        if buf.len() < lines {
            buf.resize(lines, Line([0; 64]));
        }
        // SAFETY: `buf` holds `lines · 64 ≥ len · size_of::<T>()` initialised bytes, aligned to
        // 64 ≥ align_of::<T>(); `T` is f32 or f64, for which every bit pattern is valid; the
        // slice borrows `buf` mutably for its whole life.
        let s = unsafe { core::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<T>(), len) };
        (f.take().expect("workspace closure runs once"))(s)
    };
    let done = WORKSPACE.try_with(|cell| cell.try_borrow_mut().ok().map(|mut buf| run(&mut buf)));
    match done {
        Ok(Some(r)) => r,
        _ => run(&mut Vec::new()),
    }
}
