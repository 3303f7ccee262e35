//! Fused streaming steps of the built-in recurrent cells (batch 1, the plug-in case): one
//! function per cell does the whole step — `b_ih + b_hh`, the gate products `W_ih·x` and
//! `W_hh·h'`, the gate functions and the state update — compiled per instruction set by
//! [`dispatch!`] with `IN` and `H` as compile-time constants. Against the layer's general
//! step (a product call per side, then `sigmoid` / `tanh` slice calls padded to a vector
//! block, then the update) this saves the calls, the padding and the passes over memory,
//! which is most of a step at small `H`.
//!
//! Storage as in `layers::recurrent`: `W_ih` is `G·H × IN` and `W_hh` `G·H × H`, column-major,
//! gate blocks of `H` rows in PyTorch's order; the biases are `G·H`. The products go through
//! [`matvec_block_acc`] (rows in register blocks, interleaved partial sums) and
//! the gate functions through [`Elem::sigmoid_lane`] / [`Elem::tanh_lane`] (the fast `f32`
//! lane functions, libm for `f64`), one vectorised loop over the `H` units. Each gate block is
//! an `H`-element array, so at the benchmarked sizes the whole step stays in registers.
//!
//! The equations are the cells' (`layers::gru`, `lstm`, `rnn`); only the rounding of the sums
//! differs (both sides' products go into one sum per gate where the cell adds them).

use super::dispatch::dispatch;
use super::elem::Elem;
use super::fixed::matvec_block_acc;
use super::isa::{Level, Supported};

/// The parameters of a recurrent layer with `G` gates, as the fused steps read them:
/// `w_ih` (`G·H × IN`), `w_hh` (`G·H × H`), `b_ih`, `b_hh` (`G·H`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct CellWeights<'a, T> {
    pub(crate) w_ih: &'a [T],
    pub(crate) w_hh: &'a [T],
    pub(crate) b_ih: &'a [T],
    pub(crate) b_hh: &'a [T],
}

/// The first `H` elements of `s` from `at` as an array (compile-time bounds for the loops).
#[inline(always)]
fn block<T, const H: usize>(s: &[T], at: usize) -> &[T; H] {
    s[at..at + H].try_into().expect("a gate block of H elements")
}

/// Gate `g`'s pre-activation `W_ih[g]·x + b_ih[g]`, plus `W_hh[g]·h + b_hh[g]` when `hidden`
/// is given, in registers (`H` values; gate `g` is rows `g·H .. (g+1)·H` of `ld = G·H`).
#[inline(always)]
fn gate<T: Elem, const IN: usize, const H: usize, const FMA: bool, const WIDE: bool>(
    w: &CellWeights<'_, T>,
    g: usize,
    ld: usize,
    x: &[T; IN],
    hidden: Option<&[T; H]>,
) -> [T; H] {
    let bi = block::<T, H>(w.b_ih, g * H);
    let mut a = match hidden {
        Some(_) => {
            let bh = block::<T, H>(w.b_hh, g * H);
            core::array::from_fn(|k| bi[k] + bh[k])
        }
        None => *bi,
    };
    matvec_block_acc::<T, IN, FMA, WIDE>(w.w_ih, ld, g * H, x, &mut a);
    if let Some(h) = hidden {
        matvec_block_acc::<T, H, FMA, WIDE>(w.w_hh, ld, g * H, h, &mut a);
    }
    a
}

/// Gate `g`'s hidden side alone, `W_hh[g]·h + b_hh[g]` (GRU's `n` gate).
#[inline(always)]
fn hidden_side<T: Elem, const H: usize, const FMA: bool, const WIDE: bool>(
    w: &CellWeights<'_, T>,
    g: usize,
    ld: usize,
    h: &[T; H],
) -> [T; H] {
    let mut a = *block::<T, H>(w.b_hh, g * H);
    matvec_block_acc::<T, H, FMA, WIDE>(w.w_hh, ld, g * H, h, &mut a);
    a
}

/// One GRU step in place (gates r, z, n): `h ← (1 − z) ⊙ n + z ⊙ h` with
/// `r = σ(W_ir·x + b_ir + W_hr·h + b_hr)`, `z` alike, `n = tanh(W_in·x + b_in + r ⊙ (W_hn·h +
/// b_hn))`. Panics if a slice is shorter than its shape.
#[inline(always)]
pub(crate) fn gru_step<T: Elem, const IN: usize, const H: usize>(w: CellWeights<'_, T>, x: &[T; IN], h: &mut [T; H]) {
    gru_isa::<T, IN, H>(Supported::best(), w, x, h)
}

dispatch! {
    /// [`gru_step`] compiled for `isa`.
    #[inline(always)]
    fn gru_isa<L>[T: Elem, const IN: usize, const H: usize](w: CellWeights<'_, T>, x: &[T; IN], h: &mut [T; H]) {
        let (ld, hp) = (3 * H, *h);
        let ar = gate::<T, IN, H, { L::FMA }, { L::WIDE }>(&w, 0, ld, x, Some(&hp));
        let az = gate::<T, IN, H, { L::FMA }, { L::WIDE }>(&w, 1, ld, x, Some(&hp));
        let an = gate::<T, IN, H, { L::FMA }, { L::WIDE }>(&w, 2, ld, x, None);
        let ahn = hidden_side::<T, H, { L::FMA }, { L::WIDE }>(&w, 2, ld, &hp);
        for k in 0..H {
            let r = ar[k].sigmoid_lane::<{ L::FMA }>();
            let z = az[k].sigmoid_lane::<{ L::FMA }>();
            let n = (an[k] + r * ahn[k]).tanh_lane::<{ L::FMA }>();
            h[k] = (T::ONE - z) * n + z * hp[k];
        }
    }
}

/// One LSTM step in place (gates i, f, g, o): `c ← f ⊙ c + i ⊙ g`, `h ← o ⊙ tanh(c)` with
/// `[i, f, g, o] = [σ, σ, tanh, σ](W_ih·x + b_ih + W_hh·h + b_hh)`. Panics if a slice is
/// shorter than its shape.
#[inline(always)]
pub(crate) fn lstm_step<T: Elem, const IN: usize, const H: usize>(
    w: CellWeights<'_, T>,
    x: &[T; IN],
    h: &mut [T; H],
    c: &mut [T; H],
) {
    lstm_isa::<T, IN, H>(Supported::best(), w, x, h, c)
}

dispatch! {
    /// [`lstm_step`] compiled for `isa`.
    #[inline(always)]
    fn lstm_isa<L>[T: Elem, const IN: usize, const H: usize](w: CellWeights<'_, T>, x: &[T; IN], h: &mut [T; H], c: &mut [T; H]) {
        let (ld, hp) = (4 * H, *h);
        let ai = gate::<T, IN, H, { L::FMA }, { L::WIDE }>(&w, 0, ld, x, Some(&hp));
        let af = gate::<T, IN, H, { L::FMA }, { L::WIDE }>(&w, 1, ld, x, Some(&hp));
        let ag = gate::<T, IN, H, { L::FMA }, { L::WIDE }>(&w, 2, ld, x, Some(&hp));
        let ao = gate::<T, IN, H, { L::FMA }, { L::WIDE }>(&w, 3, ld, x, Some(&hp));
        for k in 0..H {
            let i = ai[k].sigmoid_lane::<{ L::FMA }>();
            let f = af[k].sigmoid_lane::<{ L::FMA }>();
            let g = ag[k].tanh_lane::<{ L::FMA }>();
            let o = ao[k].sigmoid_lane::<{ L::FMA }>();
            c[k] = f * c[k] + i * g;
            h[k] = o * c[k].tanh_lane::<{ L::FMA }>();
        }
    }
}

/// One Elman RNN step in place: `h ← tanh(W_ih·x + b_ih + W_hh·h + b_hh)`. Panics if a slice
/// is shorter than its shape.
#[inline(always)]
pub(crate) fn rnn_step<T: Elem, const IN: usize, const H: usize>(w: CellWeights<'_, T>, x: &[T; IN], h: &mut [T; H]) {
    rnn_isa::<T, IN, H>(Supported::best(), w, x, h)
}

dispatch! {
    /// [`rnn_step`] compiled for `isa`.
    #[inline(always)]
    fn rnn_isa<L>[T: Elem, const IN: usize, const H: usize](w: CellWeights<'_, T>, x: &[T; IN], h: &mut [T; H]) {
        let hp = *h;
        let a = gate::<T, IN, H, { L::FMA }, { L::WIDE }>(&w, 0, H, x, Some(&hp));
        for k in 0..H {
            h[k] = a[k].tanh_lane::<{ L::FMA }>();
        }
    }
}

#[cfg(test)]
mod tests {
    //! Each fused step against a naive `f64` reading of its equations, at every instruction
    //! set this CPU runs, in `f64` (to rounding) and `f32` (to the fast functions' accuracy).
    use super::*;

    fn sigmoid(v: f64) -> f64 {
        1.0 / (1.0 + (-v).exp())
    }

    fn values(n: usize, seed: u32) -> Vec<f64> {
        (0..n)
            .map(|i| (((i as u32).wrapping_mul(2654435761) ^ seed) % 1000) as f64 / 800.0 - 0.625)
            .collect()
    }

    /// `G·H` pre-activations of both sides apart: `(W_ih·x + b_ih, W_hh·h + b_hh)`.
    fn sides(g: usize, inw: usize, hw: usize, p: &[Vec<f64>; 4], x: &[f64], h: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let gh = g * hw;
        let ai = (0..gh).map(|r| p[2][r] + (0..inw).map(|k| p[0][k * gh + r] * x[k]).sum::<f64>());
        let ah = (0..gh).map(|r| p[3][r] + (0..hw).map(|k| p[1][k * gh + r] * h[k]).sum::<f64>());
        (ai.collect(), ah.collect())
    }

    fn params(g: usize, inw: usize, hw: usize) -> [Vec<f64>; 4] {
        let gh = g * hw;
        [values(gh * inw, 1), values(gh * hw, 2), values(gh, 3), values(gh, 4)]
    }

    fn weights<'a, T>(p: &'a [Vec<T>; 4]) -> CellWeights<'a, T> {
        CellWeights {
            w_ih: &p[0],
            w_hh: &p[1],
            b_ih: &p[2],
            b_hh: &p[3],
        }
    }

    fn as_f32(p: &[Vec<f64>; 4]) -> [Vec<f32>; 4] {
        p.clone().map(|v| v.into_iter().map(|v| v as f32).collect())
    }

    fn close(got: impl IntoIterator<Item = f64>, want: &[f64], tol: f64, what: &str) {
        for (k, (g, w)) in got.into_iter().zip(want).enumerate() {
            assert!((g - w).abs() <= tol * w.abs().max(1.0), "{what}: unit {k}: {g} vs {w}");
        }
    }

    fn gru_case<const IN: usize, const H: usize>() {
        let p = params(3, IN, H);
        let (x, h0) = (values(IN, 5), values(H, 6));
        let (ai, ah) = sides(3, IN, H, &p, &x, &h0);
        let want: Vec<f64> = (0..H)
            .map(|k| {
                let r = sigmoid(ai[k] + ah[k]);
                let z = sigmoid(ai[H + k] + ah[H + k]);
                let n = (ai[2 * H + k] + r * ah[2 * H + k]).tanh();
                (1.0 - z) * n + z * h0[k]
            })
            .collect();
        let p32 = as_f32(&p);
        for isa in Supported::all() {
            let mut h: [f64; H] = h0[..].try_into().unwrap();
            gru_isa::<f64, IN, H>(isa, weights(&p), x[..].try_into().unwrap(), &mut h);
            close(h, &want, 1e-13, &format!("GRU {IN}→{H} f64 {isa:?}"));
            let mut h: [f32; H] = core::array::from_fn(|k| h0[k] as f32);
            let x32: [f32; IN] = core::array::from_fn(|k| x[k] as f32);
            gru_isa::<f32, IN, H>(isa, weights(&p32), &x32, &mut h);
            close(h.map(f64::from), &want, 2e-6, &format!("GRU {IN}→{H} f32 {isa:?}"));
        }
    }

    fn lstm_case<const IN: usize, const H: usize>() {
        let p = params(4, IN, H);
        let (x, h0, c0) = (values(IN, 5), values(H, 6), values(H, 7));
        let (ai, ah) = sides(4, IN, H, &p, &x, &h0);
        let a: Vec<f64> = ai.iter().zip(&ah).map(|(a, b)| a + b).collect();
        let c_want: Vec<f64> = (0..H)
            .map(|k| sigmoid(a[H + k]) * c0[k] + sigmoid(a[k]) * a[2 * H + k].tanh())
            .collect();
        let h_want: Vec<f64> = (0..H).map(|k| sigmoid(a[3 * H + k]) * c_want[k].tanh()).collect();
        let p32 = as_f32(&p);
        for isa in Supported::all() {
            let (mut h, mut c): ([f64; H], [f64; H]) = (h0[..].try_into().unwrap(), c0[..].try_into().unwrap());
            lstm_isa::<f64, IN, H>(isa, weights(&p), x[..].try_into().unwrap(), &mut h, &mut c);
            close(h, &h_want, 1e-13, &format!("LSTM {IN}→{H} h f64 {isa:?}"));
            close(c, &c_want, 1e-13, &format!("LSTM {IN}→{H} c f64 {isa:?}"));
            let mut h: [f32; H] = core::array::from_fn(|k| h0[k] as f32);
            let mut c: [f32; H] = core::array::from_fn(|k| c0[k] as f32);
            let x32: [f32; IN] = core::array::from_fn(|k| x[k] as f32);
            lstm_isa::<f32, IN, H>(isa, weights(&p32), &x32, &mut h, &mut c);
            close(h.map(f64::from), &h_want, 2e-6, &format!("LSTM {IN}→{H} h f32 {isa:?}"));
            close(c.map(f64::from), &c_want, 2e-6, &format!("LSTM {IN}→{H} c f32 {isa:?}"));
        }
    }

    fn rnn_case<const IN: usize, const H: usize>() {
        let p = params(1, IN, H);
        let (x, h0) = (values(IN, 5), values(H, 6));
        let (ai, ah) = sides(1, IN, H, &p, &x, &h0);
        let want: Vec<f64> = (0..H).map(|k| (ai[k] + ah[k]).tanh()).collect();
        let p32 = as_f32(&p);
        for isa in Supported::all() {
            let mut h: [f64; H] = h0[..].try_into().unwrap();
            rnn_isa::<f64, IN, H>(isa, weights(&p), x[..].try_into().unwrap(), &mut h);
            close(h, &want, 1e-13, &format!("RNN {IN}→{H} f64 {isa:?}"));
            let mut h: [f32; H] = core::array::from_fn(|k| h0[k] as f32);
            let x32: [f32; IN] = core::array::from_fn(|k| x[k] as f32);
            rnn_isa::<f32, IN, H>(isa, weights(&p32), &x32, &mut h);
            close(h.map(f64::from), &want, 2e-6, &format!("RNN {IN}→{H} f32 {isa:?}"));
        }
    }

    #[test]
    fn gru_step_matches_the_equations_at_every_level() {
        gru_case::<1, 1>();
        gru_case::<1, 8>();
        gru_case::<3, 5>();
        gru_case::<2, 16>();
        gru_case::<5, 33>();
        gru_case::<1, 64>();
    }

    #[test]
    fn lstm_step_matches_the_equations_at_every_level() {
        lstm_case::<1, 1>();
        lstm_case::<1, 8>();
        lstm_case::<3, 5>();
        lstm_case::<2, 16>();
        lstm_case::<5, 33>();
        lstm_case::<1, 64>();
    }

    #[test]
    fn rnn_step_matches_the_equations_at_every_level() {
        rnn_case::<1, 1>();
        rnn_case::<3, 5>();
        rnn_case::<2, 16>();
        rnn_case::<5, 33>();
    }

    #[test]
    fn a_non_finite_input_reaches_the_state_as_nan() {
        let p = params(3, 1, 8);
        let mut h = [0.0f32; 8];
        gru_step::<f32, 1, 8>(weights(&as_f32(&p)), &[f32::INFINITY], &mut h);
        assert!(h.iter().all(|v| v.is_nan()), "{h:?}");
    }
}
