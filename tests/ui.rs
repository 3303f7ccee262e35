//! Compile-fail tests of `network!`: each `tests/ui/<mistake>.rs` must fail to compile with
//! exactly the errors in `tests/ui/<mistake>.stderr` (read and reviewed; the toolchain is
//! pinned in `rust-toolchain.toml` so they do not drift). Regenerate after a deliberate
//! change with `TRYBUILD=overwrite cargo test --test ui`, then read the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
