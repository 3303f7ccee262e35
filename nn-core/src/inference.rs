//! Inference helpers behind the methods `network!` generates for every network:
//! `predict_one` (one sample in, its scores out, as arrays), and for classification losses
//! `predict_proba` / `predict_proba_into` (the loss's output activation: softmax or sigmoid)
//! and `predict_class` / `predict_classes`. All run through `&self`
//! ([`Network::predict_into`]), so one network serves several threads, in inference mode.
//!
//! A NaN or an infinity reaching the scores is not hidden: probabilities are then NaN, and
//! the class is `None` (an `argmax` over NaN would name a class at random).

use crate::batch::{batch_view, batch_view_mut, BatchMut, BatchRef};
use crate::float::Float;
use crate::layers::{argmax, softmax_into, Prediction};
use crate::network::Network;

/// The scores (`OUT`) of one sample `x` (`IN`): [`Network::predict_into`] on a batch of one.
/// Allocates nothing once the thread's scratch has served this network.
pub fn predict_one<T, N, const IN: usize, const OUT: usize>(net: &N, x: &[T; IN]) -> [T; OUT]
where
    T: Float,
    N: Network<T, IN, OUT> + ?Sized,
{
    let mut out = [T::zero(); OUT];
    net.predict_into(batch_view(x), batch_view_mut(&mut out));
    out
}

/// The prediction of the scores in `out` (`OUT × N`), in place, per sample: the softmax of
/// the column for [`Prediction::Softmax`], the sigmoid of each score for
/// [`Prediction::Sigmoid`], nothing for [`Prediction::Scores`].
pub fn apply_prediction<T: Float, const OUT: usize>(prediction: Prediction, mut out: BatchMut<'_, T, OUT>) {
    let mut column = [T::zero(); OUT];
    for mut col in out.column_iter_mut() {
        column.copy_from_slice(col.as_slice());
        match prediction {
            Prediction::Scores => {}
            Prediction::Softmax => softmax_into(batch_view::<T, OUT>(&column), batch_view_mut(col.as_mut_slice())),
            Prediction::Sigmoid => T::sigmoid_slice(&column, col.as_mut_slice()),
        }
    }
}

/// The probabilities (`OUT × N`) of the samples `x` (`IN × N`) in a caller-owned `out`.
#[track_caller]
pub fn predict_proba_into<T, N, const IN: usize, const OUT: usize>(
    net: &N,
    x: BatchRef<'_, T, IN>,
    mut out: BatchMut<'_, T, OUT>,
) where
    T: Float,
    N: Network<T, IN, OUT> + ?Sized,
{
    net.predict_into(x, out.as_view_mut());
    apply_prediction(net.prediction(), out);
}

/// The class of one sample's scores: the largest score for [`Prediction::Softmax`] (`OUT`
/// classes), `score ≥ 0` (probability ≥ 0.5) for [`Prediction::Sigmoid`] with one output
/// (classes 0 and 1). `None` if a score is not finite. Panics for other predictions
/// (`network!` generates the class methods only where they mean something).
#[track_caller]
pub fn class_of<T: Float>(prediction: Prediction, scores: &[T]) -> Option<usize> {
    if !scores.iter().all(|s| s.is_finite()) {
        return None;
    }
    match (prediction, scores.len()) {
        (Prediction::Softmax, _) => Some(argmax(scores)),
        (Prediction::Sigmoid, 1) => Some(usize::from(scores[0] >= T::zero())),
        (p, n) => panic!(
            "no single class for {n} scores predicted as {p:?}: classes need a softmax, or a sigmoid on one output"
        ),
    }
}

/// The class of every sample of `x` (`IN × N`), `None` where a score is not finite.
pub fn predict_classes<T, N, const IN: usize, const OUT: usize>(net: &N, x: BatchRef<'_, T, IN>) -> Vec<Option<usize>>
where
    T: Float,
    N: Network<T, IN, OUT> + ?Sized,
{
    let prediction = net.prediction();
    let mut scores = vec![T::zero(); x.ncols() * OUT];
    net.predict_into(x, batch_view_mut(&mut scores));
    scores.chunks_exact(OUT).map(|s| class_of(prediction, s)).collect()
}
