//! What the three recurrent layers share: [`Recurrent`], one layer over whole sequences
//! generic in its [`Cell`] (the per-step equations of `Rnn`, `Lstm`, `Gru`), with PyTorch's
//! parameters, the stateful mode, truncated BPTT and the streaming step.
//!
//! # Layout and buffers (`G` gates, `GH = G·H`, `T` steps of `N` sequences, `M = T·N`)
//! Batches are time-major ([`nn::seq`](crate::seq)): column `t·N + j` is step `t` of sequence
//! `j`, so step `t` is the contiguous block of columns `t·N .. (t+1)·N`.
//!
//! | buffer | shape | holds |
//! |---|---|---|
//! | `act` | `GH × M` | pre-activations `W_ih·x + b_ih (+ W_hh·h' + b_hh)`, then the gate activations |
//! | `ah` | `GH × M` | `W_hh·h' + b_hh` (GRU only: its `n` gate needs it apart) |
//! | `hs` | `H × (T+1)·N` | `h₀`, then `h_t` after step `t` (the output is the last `M` columns) |
//! | `cs` | `H × (T+1)·N` | `c₀`, then `c_t` (LSTM only) |
//! | `tcs` | `H × M` | `tanh(c_t)` (LSTM only) |
//! | `dact` | `GH × M` | `∂L/∂` of the input-side pre-activations |
//! | `dah` | `GH × M` | `∂L/∂(W_hh·h' + b_hh)` (GRU only; the others share `dact`) |
//!
//! Forward: one product `W_ih·X` over all `M` columns, then per step one product
//! `W_hh·h_{t−1}` over `N` columns and the cell. Backward walks the steps in reverse with one
//! product `W_hhᵀ·dA_t` per step and ends with three whole-batch products:
//! `dW_ih = dA·Xᵀ`, `dW_hh = dA_h·H_prevᵀ` (`H_prev` = the first `M` columns of `hs`) and
//! `dX = W_ihᵀ·dA`.

use core::fmt::Debug;
use core::marker::PhantomData;

use rand::Rng;

use crate::batch::{batch_view, BatchBuf, BatchMut, BatchRef};
use crate::float::Float;
use crate::init::Init;
use crate::kernels::cell::CellWeights;
use crate::kernels::fixed::fixed_matvec_acc;
use crate::kernels::gemm::{gemm, MatMut, MatRef};
use crate::kernels::heap::AlignedBuf;
use crate::kernels::scratch::with_scratch;
use crate::layers::{Layer, StepLayer};
use crate::param::Param;
use crate::seq;
use crate::state::{Shape, TensorMut, TensorRef};

/// The equations of one recurrent step for one sequence (`Rnn`'s, `Lstm`'s, `Gru`'s), on
/// slices of one column each. Implemented by [`RnnCell`](crate::layers::RnnCell),
/// [`LstmCell`](crate::layers::LstmCell) and [`GruCell`](crate::layers::GruCell); a new cell
/// is a new recurrent layer (`Recurrent<T, MyCell, IN, H>`).
pub trait Cell: Clone + Copy + Debug + Default + Send + Sync + 'static {
    /// Gate blocks of `H` rows each in the weight matrices (1, 4, 3).
    const GATES: usize;
    /// The layer's name in messages and summaries (`"Lstm"`).
    const NAME: &'static str;
    /// Whether the cell carries a cell state `c` besides `h` (LSTM).
    const CELL_STATE: bool;
    /// Whether the cell needs `W_hh·h' + b_hh` apart from the input side (GRU's `n` gate).
    /// When `false`, `a` arrives as the full pre-activation and `ah` is empty.
    const SEPARATE_HIDDEN: bool;

    /// One step: `a` (`GH`) holds the pre-activations and is overwritten with the gate
    /// activations; `ah` (`GH`, or empty) the hidden side; `hp`, `cp` (`H`, `cp` empty
    /// without a cell state) the previous state; writes `h`, `c` and `tc = tanh(c)`; `tmp`
    /// (`GH`) is scratch.
    #[allow(clippy::too_many_arguments)]
    fn forward<T: Float>(
        a: &mut [T],
        ah: &[T],
        hp: &[T],
        cp: &[T],
        h: &mut [T],
        c: &mut [T],
        tc: &mut [T],
        tmp: &mut [T],
    );

    /// The step's backward: from `dh = ∂L/∂h` (`H`) and `dc` (`∂L/∂c` from the next step,
    /// replaced by `∂L/∂c'`), writes `da` (the input-side pre-activations, `GH`), `dah`
    /// (the hidden side when [`SEPARATE_HIDDEN`](Cell::SEPARATE_HIDDEN), else empty) and
    /// `dhp` (`∂L/∂h'` apart from the path through `W_hh`; empty when the cell has none).
    fn backward<T: Float>(s: StepView<'_, T>, dh: &[T], dc: &mut [T], da: &mut [T], dah: &mut [T], dhp: &mut [T]);

    /// Whether `h'` reaches `h` other than through `W_hh` (GRU's `z ⊙ h'`).
    const DIRECT: bool;

    /// The built-in cells' fused streaming step (`kernels::cell`): one batch-1 step of
    /// `layer` from `x` on the state `s` in place, returning `true`; the default returns
    /// `false` and [`step`](StepLayer::step) runs [`forward`](Cell::forward) instead. A speed
    /// path of the built-ins, not part of writing a cell: leave the default.
    #[doc(hidden)]
    #[inline(always)]
    fn fused_step<T: Float, const IN: usize, const H: usize>(
        layer: &Recurrent<T, Self, IN, H>,
        x: &[T; IN],
        s: &mut RecurrentState<T>,
    ) -> bool {
        let _ = (layer, x, s);
        false
    }
}

/// What a step's forward left for its backward, one column each.
#[derive(Clone, Copy, Debug)]
pub struct StepView<'a, T> {
    /// The gate activations (`GH`).
    pub act: &'a [T],
    /// `W_hh·h' + b_hh` (`GH`; empty unless the cell keeps it).
    pub ah: &'a [T],
    /// The previous hidden state `h'` (`H`).
    pub hp: &'a [T],
    /// The previous cell state `c'` (`H`, or empty).
    pub cp: &'a [T],
    /// `tanh(c)` (`H`, or empty).
    pub tc: &'a [T],
    /// The new hidden state `h` (`H`).
    pub h: &'a [T],
}

/// A recurrent layer over whole sequences (`IN` features in, `H` out per step), generic in
/// its step equations `C`; use it as [`Rnn`](crate::layers::Rnn),
/// [`Lstm`](crate::layers::Lstm) or [`Gru`](crate::layers::Gru).
///
/// # Parameters (PyTorch's names, layout and initialisation)
/// `weight_ih_l0` (`GH × IN`), `weight_hh_l0` (`GH × H`), `bias_ih_l0`, `bias_hh_l0` (`GH`),
/// gate blocks of `H` rows in PyTorch's order; saved row-major as `[GH, IN]`, `[GH, H]`,
/// `[GH]`, so a `torch.nn.LSTM` / `GRU` / `RNN` state dict loads as is (the keys prefixed by
/// the field name). Initialised uniform in `[−1/√H, 1/√H]` like PyTorch's (whatever the
/// network's `InitScheme`).
///
/// # Sequences, state and truncated BPTT
/// A batch holds `N` sequences of `T` steps, time-major (`IN × T·N`, column `t·N + j`; see
/// [`nn::seq`](crate::seq)); `N` comes from [`set_sequences`](Layer::set_sequences) (default
/// 1), `T` from the batch. The output is `h_t` for every step (`H × T·N`, same layout).
/// Backward is exact backpropagation through the batch's `T` steps: gradients do not flow
/// into earlier batches (truncated BPTT, as in the book's `Time*` layers).
///
/// Every forward starts from the *initial state* (`h₀`, and `c₀` for an LSTM; `H × N`):
/// zero, unless set by [`set_initial_state`](Self::set_initial_state). In stateful mode
/// ([`set_stateful`](Self::set_stateful), the book's `stateful=True`) each forward then makes
/// its final state the next forward's initial state, so consecutive batches continue the
/// same `N` sequences; [`reset_state`](Layer::reset_state) sets it back to zero, and a batch
/// with a different `N` starts from zero. [`infer`](Layer::infer) starts from the initial
/// state without changing it; the streaming [`step`](StepLayer::step) carries its own state.
/// [`dh0`](Self::dh0) (and [`dc0`](Self::dc0)) give `∂L/∂h₀` after a backward.
#[derive(Clone, Debug)]
pub struct Recurrent<T: Float, C: Cell, const IN: usize, const H: usize> {
    /// `W_ih` (`GH × IN`, column-major).
    pub weight_ih: AlignedBuf<T>,
    /// `W_hh` (`GH × H`, column-major).
    pub weight_hh: AlignedBuf<T>,
    /// `b_ih` (`GH`).
    pub bias_ih: AlignedBuf<T>,
    /// `b_hh` (`GH`).
    pub bias_hh: AlignedBuf<T>,
    /// `∂L/∂W_ih` of the last backward.
    pub grad_weight_ih: AlignedBuf<T>,
    /// `∂L/∂W_hh` of the last backward.
    pub grad_weight_hh: AlignedBuf<T>,
    /// `∂L/∂b_ih` of the last backward.
    pub grad_bias_ih: AlignedBuf<T>,
    /// `∂L/∂b_hh` of the last backward.
    pub grad_bias_hh: AlignedBuf<T>,
    sequences: usize,
    stateful: bool,
    /// The initial state of the next forward (`H × N`; empty: zero).
    h0: Vec<T>,
    c0: Vec<T>,
    /// Steps of the last forward.
    steps: usize,
    /// Sequences of the last forward.
    seqs: usize,
    act: Vec<T>,
    ah: Vec<T>,
    hs: Vec<T>,
    cs: Vec<T>,
    tcs: Vec<T>,
    dact: Vec<T>,
    dah: Vec<T>,
    /// `∂L/∂h` flowing back into the current step (`H × N`).
    dh: Vec<T>,
    /// `dout_t + dh` (`H × N`).
    dh_step: Vec<T>,
    /// `∂L/∂c` flowing back (`H × N`; LSTM).
    dc: Vec<T>,
    /// The direct part of `∂L/∂h'` (`H × N`; GRU).
    dhp: Vec<T>,
    /// One column of scratch (`GH`).
    tmp: Vec<T>,
    dx: BatchBuf<T, IN>,
    cell: PhantomData<C>,
}

/// Resizes `v` to `len` (allocates only beyond every earlier length).
#[inline]
fn fit<T: Float>(v: &mut Vec<T>, len: usize) {
    v.resize(len, T::zero());
}

/// `y ← A·x + β·y` for column-major `A` (`rows × k`), `x` (`k × n`), `y` (`rows × n`).
#[inline]
fn product<T: Float>(a: &[T], rows: usize, k: usize, x: &[T], n: usize, beta: T, y: &mut [T]) {
    gemm(
        T::one(),
        MatRef::col_major(a, rows, k),
        MatRef::col_major(x, k, n),
        beta,
        MatMut::col_major(y, rows, n),
    );
}

/// Writes `b` into every column of `y` (`b.len()` rows).
#[inline]
fn fill_columns<T: Float>(y: &mut [T], b: &[T]) {
    for col in y.chunks_exact_mut(b.len()) {
        col.copy_from_slice(b);
    }
}

/// `db = Σ_n d[:, n]` (`db.len()` rows).
#[inline]
fn sum_columns<T: Float>(d: &[T], db: &mut [T]) {
    db.fill(T::zero());
    for col in d.chunks_exact(db.len()) {
        for (s, &v) in db.iter_mut().zip(col) {
            *s += v;
        }
    }
}

/// The column `j` (of `rows` elements) of a column-major slice, or empty when `rows` is 0.
#[inline]
fn col<T>(s: &[T], rows: usize, j: usize) -> &[T] {
    &s[j * rows..(j + 1) * rows]
}

#[inline]
fn col_mut<T>(s: &mut [T], rows: usize, j: usize) -> &mut [T] {
    &mut s[j * rows..(j + 1) * rows]
}

impl<T: Float, C: Cell, const IN: usize, const H: usize> Recurrent<T, C, IN, H> {
    /// Rows of the weight matrices: `G·H`.
    pub const GH: usize = C::GATES * H;
    /// `H` for the cell state buffers, 0 without one.
    const HC: usize = if C::CELL_STATE { H } else { 0 };
    /// `G·H` for the hidden-side buffers, 0 when the cell does not keep them apart.
    const GHS: usize = if C::SEPARATE_HIDDEN { C::GATES * H } else { 0 };

    /// A layer with zero parameters, not stateful, one sequence per batch; the network (or
    /// [`Layer::init_params`]) draws the parameters.
    pub fn new() -> Self {
        let gh = Self::GH;
        Self {
            weight_ih: AlignedBuf::filled(gh * IN, T::zero()),
            weight_hh: AlignedBuf::filled(gh * H, T::zero()),
            bias_ih: AlignedBuf::filled(gh, T::zero()),
            bias_hh: AlignedBuf::filled(gh, T::zero()),
            grad_weight_ih: AlignedBuf::filled(gh * IN, T::zero()),
            grad_weight_hh: AlignedBuf::filled(gh * H, T::zero()),
            grad_bias_ih: AlignedBuf::filled(gh, T::zero()),
            grad_bias_hh: AlignedBuf::filled(gh, T::zero()),
            sequences: 1,
            stateful: false,
            h0: Vec::new(),
            c0: Vec::new(),
            steps: 0,
            seqs: 0,
            act: Vec::new(),
            ah: Vec::new(),
            hs: Vec::new(),
            cs: Vec::new(),
            tcs: Vec::new(),
            dact: Vec::new(),
            dah: Vec::new(),
            dh: Vec::new(),
            dh_step: Vec::new(),
            dc: Vec::new(),
            dhp: Vec::new(),
            tmp: vec![T::zero(); gh],
            dx: BatchBuf::new(),
            cell: PhantomData,
        }
    }

    /// Stateful mode on or off (the book's `stateful`): whether each forward's final state
    /// becomes the next forward's initial state. Switching it off keeps the current initial
    /// state (call [`reset_state`](Layer::reset_state) to zero it).
    pub fn set_stateful(&mut self, stateful: bool) {
        self.stateful = stateful;
    }

    /// Whether the layer is stateful.
    pub fn is_stateful(&self) -> bool {
        self.stateful
    }

    /// The sequences per batch (`N`), as set by [`set_sequences`](Layer::set_sequences).
    pub fn sequences(&self) -> usize {
        self.sequences
    }

    /// Sets the initial state of the next forward (PyTorch's `h_0`, `c_0`): `h0` and, for an
    /// LSTM, `c0` of `H × N` (column `j` for sequence `j`; `c0` must be empty for the other
    /// cells), `N` the current [`sequences`](Self::sequences). Panics on other lengths.
    #[track_caller]
    pub fn set_initial_state(&mut self, h0: &[T], c0: &[T]) {
        let n = self.sequences;
        assert_eq!(
            h0.len(),
            H * n,
            "{}::set_initial_state: h0 has {} values, not H·N = {H}·{n}",
            C::NAME,
            h0.len()
        );
        assert_eq!(
            c0.len(),
            Self::HC * n,
            "{}::set_initial_state: c0 has {} values, not {}",
            C::NAME,
            c0.len(),
            Self::HC * n
        );
        self.h0.clear();
        self.h0.extend_from_slice(h0);
        self.c0.clear();
        self.c0.extend_from_slice(c0);
    }

    /// The initial state of the next forward (`h₀`, `H × N`; empty means zero).
    pub fn initial_state(&self) -> (&[T], &[T]) {
        (&self.h0, &self.c0)
    }

    /// `∂L/∂h₀` of the last backward (`H × N`): the gradient with respect to the state the
    /// batch started from.
    pub fn dh0(&self) -> &[T] {
        &self.dh
    }

    /// `∂L/∂c₀` of the last backward (`H × N`; empty without a cell state).
    pub fn dc0(&self) -> &[T] {
        &self.dc
    }

    /// The initial state of a batch of `n` sequences into `h` and `c`: the stored one if it
    /// is for `n` sequences, else zero.
    fn start_state(&self, n: usize, h: &mut [T], c: &mut [T]) {
        if self.h0.len() == H * n && self.c0.len() == Self::HC * n {
            h.copy_from_slice(&self.h0);
            c.copy_from_slice(&self.c0);
        } else {
            h.fill(T::zero());
            c.fill(T::zero());
        }
    }

    /// Fills each column of `a` (`GH × n`) with the biases the step adds on the input side:
    /// `b_ih`, plus `b_hh` when the cell sums both sides (added once, in the first column,
    /// which the others copy).
    fn input_bias(&self, a: &mut [T]) {
        let gh = Self::GH;
        let (first, rest) = a.split_at_mut(gh);
        if C::SEPARATE_HIDDEN {
            first.copy_from_slice(&self.bias_ih[..gh]);
        } else {
            for ((v, &bi), &bh) in first.iter_mut().zip(&self.bias_ih[..gh]).zip(&self.bias_hh[..gh]) {
                *v = bi + bh;
            }
        }
        fill_columns(rest, first);
    }

    /// The parameters as the fused streaming steps read them.
    #[inline(always)]
    pub(crate) fn cell_weights(&self) -> CellWeights<'_, T> {
        CellWeights {
            w_ih: &self.weight_ih,
            w_hh: &self.weight_hh,
            b_ih: &self.bias_ih,
            b_hh: &self.bias_hh,
        }
    }

    /// `y ← y + W_hh·h'` over `n` columns; one sequence (streaming, `infer` of one stream)
    /// takes the fixed-K matrix–vector kernel.
    fn hidden_product(&self, n: usize, hp: &[T], y: &mut [T]) {
        if n == 1 {
            fixed_matvec_acc::<T, H>(&self.weight_hh, hp, y);
        } else {
            product(&self.weight_hh, Self::GH, H, hp, n, T::one(), y);
        }
    }

    /// One step over `n` columns: `a` (`GH × n`, input side done) gets the hidden side and
    /// the cell; `ah` (`GH × n` or empty) keeps the hidden side apart.
    #[allow(clippy::too_many_arguments)]
    fn run_step(
        &self,
        n: usize,
        a: &mut [T],
        ah: &mut [T],
        hp: &[T],
        cp: &[T],
        h: &mut [T],
        c: &mut [T],
        tc: &mut [T],
        tmp: &mut [T],
    ) {
        let gh = Self::GH;
        if C::SEPARATE_HIDDEN {
            fill_columns(ah, &self.bias_hh);
            self.hidden_product(n, hp, ah);
        } else {
            self.hidden_product(n, hp, a);
        }
        let (hc, ghs) = (Self::HC, Self::GHS);
        for j in 0..n {
            C::forward(
                col_mut(a, gh, j),
                col(ah, ghs, j),
                col(hp, H, j),
                col(cp, hc, j),
                col_mut(h, H, j),
                col_mut(c, hc, j),
                col_mut(tc, hc, j),
                tmp,
            );
        }
    }
}

impl<T: Float, C: Cell, const IN: usize, const H: usize> Default for Recurrent<T, C, IN, H> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float, C: Cell, const IN: usize, const H: usize> Layer<T, IN, H> for Recurrent<T, C, IN, H> {
    const PARAMS: usize = C::GATES * H * (IN + H + 2);
    const RECURRENT: bool = true;

    #[track_caller]
    fn forward(&mut self, x: BatchRef<'_, T, IN>) -> BatchRef<'_, T, H> {
        let (gh, hc, ghs) = (Self::GH, Self::HC, Self::GHS);
        let n = self.sequences;
        let m = x.ncols();
        let steps = seq::steps(C::NAME, m, n);
        fit(&mut self.act, gh * m);
        fit(&mut self.ah, ghs * m);
        fit(&mut self.hs, H * (m + n));
        fit(&mut self.cs, hc * (m + n));
        fit(&mut self.tcs, hc * m);
        let mut act = core::mem::take(&mut self.act);
        let mut ah = core::mem::take(&mut self.ah);
        let mut hs = core::mem::take(&mut self.hs);
        let mut cs = core::mem::take(&mut self.cs);
        let mut tcs = core::mem::take(&mut self.tcs);
        let mut tmp = core::mem::take(&mut self.tmp);

        self.input_bias(&mut act);
        product(&self.weight_ih, gh, IN, x.as_slice(), m, T::one(), &mut act);
        self.start_state(n, &mut hs[..H * n], &mut cs[..hc * n]);
        for t in 0..steps {
            let (hprev, hnext) = hs.split_at_mut((t + 1) * H * n);
            let (cprev, cnext) = cs.split_at_mut((t + 1) * hc * n);
            self.run_step(
                n,
                &mut act[t * gh * n..(t + 1) * gh * n],
                &mut ah[t * ghs * n..(t + 1) * ghs * n],
                &hprev[t * H * n..],
                &cprev[t * hc * n..],
                &mut hnext[..H * n],
                &mut cnext[..hc * n],
                &mut tcs[t * hc * n..(t + 1) * hc * n],
                &mut tmp,
            );
        }
        if self.stateful {
            self.h0.clear();
            self.h0.extend_from_slice(&hs[H * m..H * (m + n)]);
            self.c0.clear();
            self.c0.extend_from_slice(&cs[hc * m..hc * (m + n)]);
        }
        (self.act, self.ah, self.hs, self.cs, self.tcs, self.tmp) = (act, ah, hs, cs, tcs, tmp);
        (self.steps, self.seqs) = (steps, n);
        batch_view(&self.hs[H * n..H * (m + n)])
    }

    #[track_caller]
    fn backward(&mut self, x: BatchRef<'_, T, IN>, dout: BatchRef<'_, T, H>) -> BatchRef<'_, T, IN> {
        let (gh, hc, ghs) = (Self::GH, Self::HC, Self::GHS);
        let (steps, n) = (self.steps, self.seqs);
        let m = steps * n;
        assert!(
            x.ncols() == m && dout.ncols() == m,
            "{}::backward: x has {} columns and dout {}, the last forward had {m} ({steps} steps of {n} sequences)",
            C::NAME,
            x.ncols(),
            dout.ncols()
        );
        fit(&mut self.dact, gh * m);
        fit(&mut self.dah, ghs * m);
        fit(&mut self.dh, H * n);
        fit(&mut self.dh_step, H * n);
        fit(&mut self.dc, hc * n);
        let direct = if C::DIRECT { H } else { 0 };
        fit(&mut self.dhp, direct * n);
        self.dh.fill(T::zero());
        self.dc.fill(T::zero());
        let dout = dout.as_slice();
        for t in (0..steps).rev() {
            let cols = t * n..(t + 1) * n;
            for ((s, &d), &h) in self
                .dh_step
                .iter_mut()
                .zip(&dout[H * cols.start..H * cols.end])
                .zip(&self.dh)
            {
                *s = d + h;
            }
            for j in 0..n {
                let c = cols.start + j;
                let view = StepView {
                    act: col(&self.act, gh, c),
                    ah: col(&self.ah, ghs, c),
                    hp: col(&self.hs, H, c),
                    cp: col(&self.cs, hc, c),
                    tc: col(&self.tcs, hc, c),
                    h: col(&self.hs, H, c + n),
                };
                C::backward(
                    view,
                    col(&self.dh_step, H, j),
                    col_mut(&mut self.dc, hc, j),
                    col_mut(&mut self.dact, gh, c),
                    col_mut(&mut self.dah, ghs, c),
                    col_mut(&mut self.dhp, direct, j),
                );
            }
            // dh' = W_hhᵀ·dA_h (+ the direct term).
            let dah = if C::SEPARATE_HIDDEN { &self.dah } else { &self.dact };
            let beta = if C::DIRECT {
                self.dh.copy_from_slice(&self.dhp);
                T::one()
            } else {
                T::zero()
            };
            gemm(
                T::one(),
                MatRef::col_major(&self.weight_hh, gh, H).t(),
                MatRef::col_major(&dah[gh * cols.start..gh * cols.end], gh, n),
                beta,
                MatMut::col_major(&mut self.dh, H, n),
            );
        }
        let dah = if C::SEPARATE_HIDDEN { &self.dah } else { &self.dact };
        let x = x.as_slice();
        gemm(
            T::one(),
            MatRef::col_major(&self.dact[..gh * m], gh, m),
            MatRef::col_major(x, IN, m).t(),
            T::zero(),
            MatMut::col_major(&mut self.grad_weight_ih, gh, IN),
        );
        gemm(
            T::one(),
            MatRef::col_major(&dah[..gh * m], gh, m),
            MatRef::col_major(&self.hs[..H * m], H, m).t(),
            T::zero(),
            MatMut::col_major(&mut self.grad_weight_hh, gh, H),
        );
        sum_columns(&self.dact[..gh * m], &mut self.grad_bias_ih);
        sum_columns(&dah[..gh * m], &mut self.grad_bias_hh);
        self.dx.resize(m);
        gemm(
            T::one(),
            MatRef::col_major(&self.weight_ih, gh, IN).t(),
            MatRef::col_major(&self.dact[..gh * m], gh, m),
            T::zero(),
            MatMut::col_major(self.dx.as_mut_slice(), IN, m),
        );
        self.dx.view()
    }

    fn output(&self) -> BatchRef<'_, T, H> {
        let n = self.seqs;
        batch_view(&self.hs[H * n..H * (self.steps * n + n)])
    }

    #[track_caller]
    fn infer(&self, x: BatchRef<'_, T, IN>, mut out: BatchMut<'_, T, H>) {
        let (gh, hc, ghs) = (Self::GH, Self::HC, Self::GHS);
        let m = x.ncols();
        assert_eq!(
            m,
            out.ncols(),
            "{}::infer: x has {m} samples, out {}",
            C::NAME,
            out.ncols()
        );
        let n = self.sequences;
        let steps = seq::steps(C::NAME, m, n);
        let out = out.as_mut_slice();
        let len = gh * m + ghs * n + H * n + 2 * hc * n + hc * n + gh;
        with_scratch::<T, _>(len, |s| {
            let (act, s) = s.split_at_mut(gh * m);
            let (ah, s) = s.split_at_mut(ghs * n);
            let (h0, s) = s.split_at_mut(H * n);
            let (c_a, s) = s.split_at_mut(hc * n);
            let (c_b, s) = s.split_at_mut(hc * n);
            let (tc, tmp) = s.split_at_mut(hc * n);
            self.input_bias(act);
            product(&self.weight_ih, gh, IN, x.as_slice(), m, T::one(), act);
            self.start_state(n, h0, c_a);
            let (mut cp, mut c) = (c_a, c_b);
            for t in 0..steps {
                let (done, rest) = out.split_at_mut(t * H * n);
                let hp: &[T] = if t == 0 { h0 } else { &done[(t - 1) * H * n..] };
                self.run_step(
                    n,
                    &mut act[t * gh * n..(t + 1) * gh * n],
                    ah,
                    hp,
                    cp,
                    &mut rest[..H * n],
                    c,
                    tc,
                    tmp,
                );
                core::mem::swap(&mut cp, &mut c);
            }
        });
    }

    fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, T>)) {
        f(Param::new("weight_ih_l0", &mut self.weight_ih, &self.grad_weight_ih));
        f(Param::new("weight_hh_l0", &mut self.weight_hh, &self.grad_weight_hh));
        f(Param::new("bias_ih_l0", &mut self.bias_ih, &self.grad_bias_ih));
        f(Param::new("bias_hh_l0", &mut self.bias_hh, &self.grad_bias_hh));
    }

    /// Uniform in `[−1/√H, 1/√H]` for every parameter, PyTorch's initialisation, drawn in
    /// the order `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh` (element order).
    fn init_params(&mut self, init: &mut Init<'_>) {
        let k = 1.0 / (H as f64).sqrt();
        for v in self
            .weight_ih
            .iter_mut()
            .chain(&mut self.weight_hh)
            .chain(&mut self.bias_ih)
            .chain(&mut self.bias_hh)
        {
            *v = T::cast(init.rng.random_range(-k..=k));
        }
    }

    fn set_sequences(&mut self, n: usize) {
        self.sequences = n;
    }

    fn reset_state(&mut self) {
        self.h0.clear();
        self.c0.clear();
    }

    /// PyTorch's `weight_ih_l0` `[GH, IN]`, `weight_hh_l0` `[GH, H]`, `bias_ih_l0`,
    /// `bias_hh_l0` `[GH]`.
    fn visit_tensors<'a>(&'a self, f: &mut dyn FnMut(TensorRef<'a, T>)) {
        let gh = Self::GH;
        f(TensorRef::column_major("weight_ih_l0", gh, IN, &self.weight_ih));
        f(TensorRef::column_major("weight_hh_l0", gh, H, &self.weight_hh));
        f(TensorRef::new("bias_ih_l0", Shape::new(&[gh]), &self.bias_ih));
        f(TensorRef::new("bias_hh_l0", Shape::new(&[gh]), &self.bias_hh));
    }

    fn visit_tensors_mut(&mut self, f: &mut dyn FnMut(TensorMut<'_, T>)) {
        let gh = Self::GH;
        f(TensorMut::column_major("weight_ih_l0", gh, IN, &mut self.weight_ih));
        f(TensorMut::column_major("weight_hh_l0", gh, H, &mut self.weight_hh));
        f(TensorMut::new("bias_ih_l0", Shape::new(&[gh]), &mut self.bias_ih));
        f(TensorMut::new("bias_hh_l0", Shape::new(&[gh]), &mut self.bias_hh));
    }
}

/// The state of one stream through a recurrent layer's [`step`](StepLayer::step): `h` (and
/// `c`), with the step's scratch, allocated once by [`step_state`](StepLayer::step_state).
///
/// `h` and `c` are cache-line aligned (`AlignedBuf`), like the parameters: the fused steps
/// read and write them as whole vectors.
#[derive(Clone, Debug)]
pub struct RecurrentState<T: Copy> {
    h: AlignedBuf<T>,
    c: AlignedBuf<T>,
    h_next: AlignedBuf<T>,
    c_next: AlignedBuf<T>,
    a: Vec<T>,
    ah: Vec<T>,
    tc: Vec<T>,
    tmp: Vec<T>,
}

impl<T: Float> RecurrentState<T> {
    /// The hidden state after the last step (`H`).
    pub fn h(&self) -> &[T] {
        &self.h
    }

    /// The cell state after the last step (`H`; empty without one).
    pub fn c(&self) -> &[T] {
        &self.c
    }

    /// `h` (`H`) as an array and `c` (`H`, or empty), for the fused steps. Panics if the state
    /// is for another width.
    #[inline(always)]
    pub(crate) fn fused_parts<const H: usize>(&mut self) -> (&mut [T; H], &mut [T]) {
        let h = (&mut self.h[..]).try_into().expect("a state of H values");
        (h, &mut self.c)
    }

    /// Back to the zero state (the start of a new stream).
    pub fn reset(&mut self) {
        self.h.fill(T::zero());
        self.c.fill(T::zero());
    }
}

impl<T: Float, C: Cell, const IN: usize, const H: usize> StepLayer<T, IN, H> for Recurrent<T, C, IN, H> {
    type StepState = RecurrentState<T>;

    fn step_state(&self) -> RecurrentState<T> {
        let (gh, hc, ghs) = (Self::GH, Self::HC, Self::GHS);
        RecurrentState {
            h: AlignedBuf::filled(H, T::zero()),
            c: AlignedBuf::filled(hc, T::zero()),
            h_next: AlignedBuf::filled(H, T::zero()),
            c_next: AlignedBuf::filled(hc, T::zero()),
            a: vec![T::zero(); gh],
            ah: vec![T::zero(); ghs],
            tc: vec![T::zero(); hc],
            tmp: vec![T::zero(); gh],
        }
    }

    #[track_caller]
    fn step(&self, x: &[T], s: &mut RecurrentState<T>, y: &mut [T]) {
        assert!(
            x.len() == IN && y.len() == H && s.h.len() == H,
            "{}::step: x has {} values and y {}, the layer is {IN} → {H} (state for {})",
            C::NAME,
            x.len(),
            y.len(),
            s.h.len()
        );
        let x: &[T; IN] = x.try_into().expect("checked above");
        if C::fused_step(self, x, s) {
            y.copy_from_slice(&s.h);
            return;
        }
        // Slices of compile-time length (`GH`, `H`): the copies and loops of the inlined cell
        // compile to fixed-size moves and unrolled vector code instead of calls.
        let (gh, hc, ghs) = (Self::GH, Self::HC, Self::GHS);
        let a = &mut s.a[..gh];
        self.input_bias(a);
        fixed_matvec_acc::<T, IN>(&self.weight_ih, x, a);
        self.run_step(
            1,
            a,
            &mut s.ah[..ghs],
            &s.h[..H],
            &s.c[..hc],
            &mut s.h_next[..H],
            &mut s.c_next[..hc],
            &mut s.tc[..hc],
            &mut s.tmp[..gh],
        );
        core::mem::swap(&mut s.h, &mut s.h_next);
        core::mem::swap(&mut s.c, &mut s.c_next);
        y[..H].copy_from_slice(&s.h[..H]);
    }
}
