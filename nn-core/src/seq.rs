//! Sequence batches: `N` sequences of `T` steps in one `D × (T·N)` batch, time-major.
//!
//! Column `t·N + j` holds step `t` of sequence `j`: the `N` sequences' first steps, then
//! their second steps, and so on. `T` and `N` are chosen at run time, the feature width `D`
//! at compile time as everywhere else. Because every step is a column, every per-column layer
//! applies to every step unchanged: an `Affine` on such a batch *is* the book's `TimeAffine`,
//! `SoftmaxWithLoss` its `TimeSoftmaxWithLoss` (the mean loss over all `T·N` predictions),
//! `Dropout` its `TimeDropout` (a fresh mask per element and step). Only recurrent layers
//! (`Rnn`, `Lstm`, `Gru`) need `N`, to walk the steps in order: a network is told it with
//! `set_sequences(N)`, which it forwards to them ([`Layer::set_sequences`]).
//!
//! Token inputs (`input: tokens(V)` in `network!`) are a `1 × (T·N)` batch of token ids in
//! `0..V`, stored as the network's float type (exact up to 2²⁴), read by `Embedding`.
//!
//! Data sets of sequences go through the same layout: [`Trainer::sequences`] (whole
//! sequences, shuffled as sequences) and [`Trainer::streams`] (the book's truncated BPTT over
//! contiguous streams) build time-major batches with [`Layout`] and call `set_sequences` for
//! every batch. A recurrent network streams one step at a time through its generated `step`.
//!
//! [`Layer::set_sequences`]: crate::layers::Layer::set_sequences
//! [`Trainer::sequences`]: crate::train::Trainer::sequences
//! [`Trainer::streams`]: crate::train::Trainer::streams
//! [`Layout`]: crate::data::Layout

/// The column of step `t` of sequence `j` in a time-major batch of `n` sequences.
///
/// ```
/// assert_eq!(nn_core::seq::column(2, 1, 4), 9);
/// ```
#[inline]
pub const fn column(t: usize, j: usize, n: usize) -> usize {
    t * n + j
}

/// The number of steps in a time-major batch of `cols` columns holding `n` sequences.
/// Panics (naming `what`) when `n` is 0 or does not divide `cols`: the batch is not `n`
/// sequences of equal length.
#[track_caller]
pub fn steps(what: &str, cols: usize, n: usize) -> usize {
    assert!(
        n > 0 && cols.is_multiple_of(n),
        "{what}: a batch of {cols} columns is not {n} sequences of equal length \
         (time-major: T·N columns; call `set_sequences(N)` with the batch's N)"
    );
    cols / n
}
