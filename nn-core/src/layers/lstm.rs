use super::recurrent::{Cell, Recurrent, RecurrentState, StepView};
use crate::float::Float;
use crate::kernels::cell;

/// The LSTM cell in PyTorch's gate order **i, f, g, o** (`nn.LSTM`; `G = 4`, rows `0..H` of
/// the weights are `i`, `H..2H` `f`, `2H..3H` `g`, `3H..4H` `o`). The book's `LSTM` slices its
/// `A` as f, g, i, o instead: reorder the four row blocks to move its weights here.
///
/// - forward: `a = W_ih·x + b_ih + W_hh·h' + b_hh`, `i = σ(a_i)`, `f = σ(a_f)`,
///   `g = tanh(a_g)`, `o = σ(a_o)`, `c = f ⊙ c' + i ⊙ g`, `h = o ⊙ tanh(c)`
/// - backward: `do = dh ⊙ tanh(c)`, `dc ← dc + dh ⊙ o ⊙ (1 − tanh²(c))`, `di = dc ⊙ g`,
///   `df = dc ⊙ c'`, `dg = dc ⊙ i`, `dc' = dc ⊙ f`; `da_i = di ⊙ i ⊙ (1 − i)`,
///   `da_f = df ⊙ f ⊙ (1 − f)`, `da_g = dg ⊙ (1 − g²)`, `da_o = do ⊙ o ⊙ (1 − o)`;
///   `dh' = W_hhᵀ·da`
#[derive(Clone, Copy, Debug, Default)]
pub struct LstmCell;

/// An LSTM layer over sequences, `IN` → `H` per step (the book's `TimeLSTM`, PyTorch's
/// `nn.LSTM(IN, H)`): see [`Recurrent`] for the parameters, the sequence layout, the
/// stateful mode and the streaming step, and [`LstmCell`] for the equations. In `network!`:
/// `lstm: Lstm(H)`.
///
/// ```
/// use nn::{Layer, Lstm, StepLayer};
/// let mut rng = nn::rand::rngs::mock::StepRng::new(1, 1 << 40);
/// let mut lstm = Lstm::<f64, 2, 3>::new();
/// lstm.init_params(&mut nn::Init::new(&mut rng, nn::InitScheme::Auto));
/// // Two sequences of 4 steps, time-major: column t·2 + j is step t of sequence j.
/// lstm.set_sequences(2);
/// let x = nn::gradcheck::random_batch::<f64, 2>(8, -1.0, 1.0, 0);
/// let y = lstm.forward(x.as_view()).clone_owned();
/// // Streaming sequence 1 one step at a time gives the same outputs.
/// let mut state = lstm.step_state();
/// let mut h = [0.0; 3];
/// for t in 0..4 {
///     lstm.step(x.column(t * 2 + 1).as_slice(), &mut state, &mut h);
///     assert!((h[0] - y[(0, t * 2 + 1)]).abs() < 1e-12);
/// }
/// assert_eq!(<Lstm<f64, 2, 3> as nn::Layer<f64, 2, 3>>::PARAMS, 4 * 3 * (2 + 3 + 2));
/// ```
pub type Lstm<T, const IN: usize, const H: usize> = Recurrent<T, LstmCell, IN, H>;

impl Cell for LstmCell {
    const GATES: usize = 4;
    const NAME: &'static str = "Lstm";
    const CELL_STATE: bool = true;
    const SEPARATE_HIDDEN: bool = false;
    const DIRECT: bool = false;

    #[inline]
    fn forward<T: Float>(
        a: &mut [T],
        _: &[T],
        _: &[T],
        cp: &[T],
        h: &mut [T],
        c: &mut [T],
        tc: &mut [T],
        tmp: &mut [T],
    ) {
        let hn = h.len();
        tmp.copy_from_slice(a);
        // σ over all four blocks in one call (long enough for full vectors), then `g` again
        // with tanh.
        T::sigmoid_slice(tmp, a);
        T::tanh_slice(&tmp[2 * hn..3 * hn], &mut a[2 * hn..3 * hn]);
        let (i, rest) = a.split_at(hn);
        let (f, rest) = rest.split_at(hn);
        let (g, o) = rest.split_at(hn);
        for k in 0..hn {
            c[k] = f[k] * cp[k] + i[k] * g[k];
        }
        T::tanh_slice(c, tc);
        for k in 0..hn {
            h[k] = o[k] * tc[k];
        }
    }

    #[inline]
    fn backward<T: Float>(s: StepView<'_, T>, dh: &[T], dc: &mut [T], da: &mut [T], _: &mut [T], _: &mut [T]) {
        let hn = dh.len();
        let one = T::one();
        for k in 0..hn {
            let (i, f, g, o) = (s.act[k], s.act[hn + k], s.act[2 * hn + k], s.act[3 * hn + k]);
            let tc = s.tc[k];
            let d_o = dh[k] * tc;
            let dck = dc[k] + dh[k] * o * (one - tc * tc);
            da[k] = dck * g * i * (one - i);
            da[hn + k] = dck * s.cp[k] * f * (one - f);
            da[2 * hn + k] = dck * i * (one - g * g);
            da[3 * hn + k] = d_o * o * (one - o);
            dc[k] = dck * f;
        }
    }

    #[inline(always)]
    fn fused_step<T: Float, const IN: usize, const H: usize>(
        layer: &Recurrent<T, Self, IN, H>,
        x: &[T; IN],
        s: &mut RecurrentState<T>,
    ) -> bool {
        let (h, c) = s.fused_parts::<H>();
        let c: &mut [T; H] = c.try_into().expect("an LSTM state has c");
        cell::lstm_step::<T, IN, H>(layer.cell_weights(), x, h, c);
        true
    }
}
