//! Rnn, Lstm and Gru against an independent numpy reference: forward outputs and the
//! backpropagation-through-time gradients of `L = Σ_t Σ_j dY[t, j] · h_t[j]`.
//!
//! Every expected number was printed by `nn-core/tests/reference/recurrent.py` (numpy 2.4.6;
//! run `python3 nn-core/tests/reference/recurrent.py > nn-core/tests/reference/recurrent_values.rs`),
//! written from the equations in PyTorch's documentation of `nn.RNN` (tanh), `nn.LSTM` and
//! `nn.GRU`, not from this crate's code; its gradients are checked there against central
//! finite differences. All arrays are in nn's column-major layouts (see the script's header).

use nn_core::{batch_view, Gru, Layer, Lstm, Recurrent, Rnn, StepLayer};

mod reference {
    include!("reference/recurrent_values.rs");
}

use reference::{H, IN, N, T};

/// Every value of `got` within `1e-12 · max(1, |want|)` of `want`.
#[track_caller]
fn assert_close(cell: &str, array: &str, got: &[f64], want: &[f64]) {
    assert_eq!(
        got.len(),
        want.len(),
        "{cell} {array}: {} values, expected {}",
        got.len(),
        want.len()
    );
    for (i, (&a, &b)) in got.iter().zip(want).enumerate() {
        assert!(
            (a - b).abs() <= 1e-12 * b.abs().max(1.0),
            "{cell} {array}[{i}]: got {a:e}, numpy {b:e} (difference {:e})",
            a - b
        );
    }
}

/// The reference values of one cell.
struct Case {
    w_ih: &'static [f64],
    w_hh: &'static [f64],
    b_ih: &'static [f64],
    b_hh: &'static [f64],
    x: &'static [f64],
    h0: &'static [f64],
    c0: &'static [f64],
    dy: &'static [f64],
    y: &'static [f64],
    dw_ih: &'static [f64],
    dw_hh: &'static [f64],
    db_ih: &'static [f64],
    db_hh: &'static [f64],
    dx: &'static [f64],
    dh0: &'static [f64],
    dc0: &'static [f64],
}

macro_rules! case {
    ($m:ident, $c0:expr, $dc0:expr) => {{
        use reference::$m as r;
        Case {
            w_ih: &r::W_IH,
            w_hh: &r::W_HH,
            b_ih: &r::B_IH,
            b_hh: &r::B_HH,
            x: &r::X,
            h0: &r::H0,
            c0: $c0,
            dy: &r::DY,
            y: &r::Y,
            dw_ih: &r::DW_IH,
            dw_hh: &r::DW_HH,
            db_ih: &r::DB_IH,
            db_hh: &r::DB_HH,
            dx: &r::DX,
            dh0: &r::DH0,
            dc0: $dc0,
        }
    }};
}

fn rnn_case() -> Case {
    case!(rnn, &[], &[])
}

fn lstm_case() -> Case {
    case!(lstm, &reference::lstm::C0, &reference::lstm::DC0)
}

fn gru_case() -> Case {
    case!(gru, &[], &[])
}

/// A layer with the case's weights, set for `N` sequences (zero initial state).
fn layer<C: nn_core::Cell>(cell: &str, case: &Case) -> Recurrent<f64, C, 3, 4> {
    let mut layer = Recurrent::<f64, C, 3, 4>::new();
    assert_eq!(
        (layer.weight_ih.len(), layer.weight_hh.len()),
        (case.w_ih.len(), case.w_hh.len()),
        "{cell}: weight sizes"
    );
    assert_eq!(
        (layer.bias_ih.len(), layer.bias_hh.len()),
        (case.b_ih.len(), case.b_hh.len()),
        "{cell}: bias sizes"
    );
    layer.weight_ih.copy_from_slice(case.w_ih);
    layer.weight_hh.copy_from_slice(case.w_hh);
    layer.bias_ih.copy_from_slice(case.b_ih);
    layer.bias_hh.copy_from_slice(case.b_hh);
    layer.set_sequences(N);
    layer
}

/// Forward from the case's initial state, backward of `dY`: every output and gradient.
fn check<C: nn_core::Cell>(cell: &str, mut layer: Recurrent<f64, C, 3, 4>, case: &Case) {
    assert_eq!((IN, H), (3, 4));
    assert_eq!(case.x.len(), IN * T * N);
    assert_eq!(case.dy.len(), H * T * N);
    layer.set_initial_state(case.h0, case.c0);
    let x = batch_view::<f64, 3>(case.x);
    let dy = batch_view::<f64, 4>(case.dy);
    let y = layer.forward(x).as_slice().to_vec();
    assert_close(cell, "Y", &y, case.y);
    let dx = layer.backward(x, dy).as_slice().to_vec();
    assert_close(cell, "DX", &dx, case.dx);
    assert_close(cell, "DW_IH", &layer.grad_weight_ih, case.dw_ih);
    assert_close(cell, "DW_HH", &layer.grad_weight_hh, case.dw_hh);
    assert_close(cell, "DB_IH", &layer.grad_bias_ih, case.db_ih);
    assert_close(cell, "DB_HH", &layer.grad_bias_hh, case.db_hh);
    assert_close(cell, "DH0", layer.dh0(), case.dh0);
    assert_close(cell, "DC0", layer.dc0(), case.dc0);
}

#[test]
fn rnn_matches_numpy() {
    let case = rnn_case();
    let layer: Rnn<f64, 3, 4> = layer("rnn", &case);
    check("rnn", layer, &case);
}

#[test]
fn lstm_matches_numpy() {
    let case = lstm_case();
    let layer: Lstm<f64, 3, 4> = layer("lstm", &case);
    check("lstm", layer, &case);
}

#[test]
fn gru_matches_numpy() {
    let case = gru_case();
    let layer: Gru<f64, 3, 4> = layer("gru", &case);
    check("gru", layer, &case);
}

/// Streaming sequence `j` one step at a time (from a zero state) gives the batch forward's
/// outputs from a zero initial state, with the reference weights and inputs.
fn check_steps<C: nn_core::Cell>(cell: &str, case: &Case, j: usize) {
    let mut batch = layer::<C>(cell, case);
    let y = batch.forward(batch_view::<f64, 3>(case.x)).as_slice().to_vec();
    let stream = layer::<C>(cell, case);
    let mut s = stream.step_state();
    let mut h = [0.0; 4];
    for t in 0..T {
        let col = t * N + j;
        stream.step(&case.x[IN * col..IN * (col + 1)], &mut s, &mut h);
        assert_close(
            cell,
            &format!("step t={t} j={j} vs forward Y"),
            &h,
            &y[H * col..H * (col + 1)],
        );
    }
}

#[test]
fn streaming_steps_match_forward() {
    for j in 0..N {
        check_steps::<nn_core::RnnCell>("rnn", &rnn_case(), j);
        check_steps::<nn_core::LstmCell>("lstm", &lstm_case(), j);
        check_steps::<nn_core::GruCell>("gru", &gru_case(), j);
    }
}
