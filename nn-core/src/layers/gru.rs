use super::recurrent::{Cell, Recurrent, RecurrentState, StepView};
use crate::float::Float;
use crate::kernels::cell;

/// The GRU cell in PyTorch's gate order **r, z, n** with `b_hn` inside the reset product
/// (`nn.GRU`; `G = 3`). `a = W_ih·x + b_ih` and `ah = W_hh·h' + b_hh` are kept apart:
///
/// - forward: `r = σ(a_r + ah_r)`, `z = σ(a_z + ah_z)`, `n = tanh(a_n + r ⊙ ah_n)`,
///   `h = (1 − z) ⊙ n + z ⊙ h'`
/// - backward: `dn = dh ⊙ (1 − z) ⊙ (1 − n²)`, `dz = dh ⊙ (h' − n) ⊙ z ⊙ (1 − z)`,
///   `dr = dn ⊙ ah_n ⊙ r ⊙ (1 − r)`; `da = [dr, dz, dn]`, `dah = [dr, dz, dn ⊙ r]`;
///   `dh' = W_hhᵀ·dah + dh ⊙ z`
#[derive(Clone, Copy, Debug, Default)]
pub struct GruCell;

/// A GRU layer over sequences, `IN` → `H` per step (PyTorch's `nn.GRU(IN, H)`): see
/// [`Recurrent`] for the parameters, the sequence layout, the stateful mode and the
/// streaming step, and [`GruCell`] for the equations. In `network!`: `gru: Gru(H)`.
///
/// ```
/// use nn::{Gru, Layer, StepLayer};
/// let mut gru = Gru::<f32, 1, 8>::new();
/// gru.init_params(&mut nn::Init::new(&mut nn::rand::rngs::mock::StepRng::new(3, 1 << 41), nn::InitScheme::Auto));
/// // The plug-in case: one sample in, 8 features out, through `&gru` and a stream state.
/// let mut state = gru.step_state();
/// let mut h = [0.0f32; 8];
/// for t in 0..100 {
///     gru.step(&[(t as f32 * 0.1).sin()], &mut state, &mut h);
/// }
/// assert_eq!(state.h(), &h);
/// ```
pub type Gru<T, const IN: usize, const H: usize> = Recurrent<T, GruCell, IN, H>;

impl Cell for GruCell {
    const GATES: usize = 3;
    const NAME: &'static str = "Gru";
    const CELL_STATE: bool = false;
    const SEPARATE_HIDDEN: bool = true;
    const DIRECT: bool = true;

    #[inline]
    fn forward<T: Float>(
        a: &mut [T],
        ah: &[T],
        hp: &[T],
        _: &[T],
        h: &mut [T],
        _: &mut [T],
        _: &mut [T],
        tmp: &mut [T],
    ) {
        let hn = h.len();
        for k in 0..2 * hn {
            tmp[k] = a[k] + ah[k];
        }
        T::sigmoid_slice(&tmp[..2 * hn], &mut a[..2 * hn]);
        for k in 0..hn {
            tmp[2 * hn + k] = a[2 * hn + k] + a[k] * ah[2 * hn + k];
        }
        T::tanh_slice(&tmp[2 * hn..], &mut a[2 * hn..]);
        let one = T::one();
        for k in 0..hn {
            let (z, n) = (a[hn + k], a[2 * hn + k]);
            h[k] = (one - z) * n + z * hp[k];
        }
    }

    #[inline]
    fn backward<T: Float>(s: StepView<'_, T>, dh: &[T], _: &mut [T], da: &mut [T], dah: &mut [T], dhp: &mut [T]) {
        let hn = dh.len();
        let one = T::one();
        for k in 0..hn {
            let (r, z, n) = (s.act[k], s.act[hn + k], s.act[2 * hn + k]);
            let dn = dh[k] * (one - z) * (one - n * n);
            let dz = dh[k] * (s.hp[k] - n) * z * (one - z);
            let dr = dn * s.ah[2 * hn + k] * r * (one - r);
            da[k] = dr;
            dah[k] = dr;
            da[hn + k] = dz;
            dah[hn + k] = dz;
            da[2 * hn + k] = dn;
            dah[2 * hn + k] = dn * r;
            dhp[k] = dh[k] * z;
        }
    }

    #[inline(always)]
    fn fused_step<T: Float, const IN: usize, const H: usize>(
        layer: &Recurrent<T, Self, IN, H>,
        x: &[T; IN],
        s: &mut RecurrentState<T>,
    ) -> bool {
        let (h, _) = s.fused_parts::<H>();
        cell::gru_step::<T, IN, H>(layer.cell_weights(), x, h);
        true
    }
}
