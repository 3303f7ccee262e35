use super::recurrent::{Cell, Recurrent, RecurrentState, StepView};
use crate::float::Float;
use crate::kernels::cell;

/// The Elman cell `h = tanh(W_ih·x + b_ih + W_hh·h' + b_hh)` (the book's `RNN`, PyTorch's
/// `nn.RNN` with its default `nonlinearity='tanh'`); one gate block (`G = 1`).
///
/// - forward: `a = W_ih·x + b_ih + W_hh·h' + b_hh`, `h = tanh(a)`
/// - backward: `da = dh ⊙ (1 − h²)`, `dh' = W_hhᵀ·da`
#[derive(Clone, Copy, Debug, Default)]
pub struct RnnCell;

/// A tanh recurrent layer over sequences, `IN` → `H` per step (the book's `TimeRNN`,
/// PyTorch's `nn.RNN(IN, H)`): see [`Recurrent`] for the parameters, the sequence layout,
/// the stateful mode and the streaming step, and [`RnnCell`] for the equations. In
/// `network!`: `rnn: Rnn(H)`.
///
/// ```
/// use nn::{Layer, Rnn};
/// let mut rnn = Rnn::<f64, 1, 2>::new();
/// rnn.weight_ih.copy_from_slice(&[1.0, -1.0]);
/// rnn.set_sequences(1);
/// // One sequence of 3 steps: x = 0.5, 0, 0 (W_hh = 0: each step sees only its input).
/// let y = rnn.forward(nn::batch_from_rows(&[[0.5], [0.0], [0.0]]).as_view());
/// assert_eq!(y.ncols(), 3);
/// assert!((y[(0, 0)] - 0.5f64.tanh()).abs() < 1e-15 && y[(1, 1)] == 0.0);
/// ```
pub type Rnn<T, const IN: usize, const H: usize> = Recurrent<T, RnnCell, IN, H>;

impl Cell for RnnCell {
    const GATES: usize = 1;
    const NAME: &'static str = "Rnn";
    const CELL_STATE: bool = false;
    const SEPARATE_HIDDEN: bool = false;
    const DIRECT: bool = false;

    #[inline]
    fn forward<T: Float>(a: &mut [T], _: &[T], _: &[T], _: &[T], h: &mut [T], _: &mut [T], _: &mut [T], tmp: &mut [T]) {
        tmp.copy_from_slice(a);
        T::tanh_slice(tmp, a);
        h.copy_from_slice(a);
    }

    #[inline]
    fn backward<T: Float>(s: StepView<'_, T>, dh: &[T], _: &mut [T], da: &mut [T], _: &mut [T], _: &mut [T]) {
        for ((d, &h), &g) in da.iter_mut().zip(s.h).zip(dh) {
            *d = g * (T::one() - h * h);
        }
    }

    #[inline(always)]
    fn fused_step<T: Float, const IN: usize, const H: usize>(
        layer: &Recurrent<T, Self, IN, H>,
        x: &[T; IN],
        s: &mut RecurrentState<T>,
    ) -> bool {
        let (h, _) = s.fused_parts::<H>();
        cell::rnn_step::<T, IN, H>(layer.cell_weights(), x, h);
        true
    }
}
