//! Reference values: small fixed inputs and weights, outputs and gradients compared with
//! values computed independently with the book's numpy formulas.
//!
//! Every expected number below was printed by `nn-core/tests/reference/reference_values.py`
//! (numpy 2.4.6; run `python3 nn-core/tests/reference/reference_values.py`), which uses the
//! book's layout: `x` is `N × D` with one sample per ROW and `W` is `IN × OUT`. nn stores the
//! same batch as `D × N` with one sample per column (the same memory, so a batch built with
//! `batch_from_rows(&numpy_rows)` is numpy's array) and `W` as `OUT × IN`, the book's `W`
//! transposed: `w[(o, i)] = W_book[i][o]`, and likewise for `dW`.

use nalgebra::{SMatrix, SVector};
use nn_core::{
    batch_from_rows, Affine, Batch, BatchRef, Labels, Layer, LossLayer, MatMul, MeanSquaredError, Relu, Sgd, Sigmoid,
    SigmoidWithLoss, Softmax, SoftmaxWithLoss, Tanh,
};

fn close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= 1e-13 * expected.abs().max(1.0),
        "{what}: got {actual:e}, numpy gives {expected:e}"
    );
}

/// Compares a `D × N` batch with numpy's `N × D` rows.
fn close_rows<const D: usize>(actual: BatchRef<'_, f64, D>, expected: &[[f64; D]], what: &str) {
    assert_eq!(actual.shape(), (D, expected.len()), "{what}: shape");
    for (n, row) in expected.iter().enumerate() {
        for (d, &e) in row.iter().enumerate() {
            close(actual[(d, n)], e, &format!("{what}[feature {d}, sample {n}]"));
        }
    }
}

/// nn's `OUT × IN` weights from the book's `IN × OUT` array.
fn weights<const IN: usize, const OUT: usize>(book: [[f64; OUT]; IN]) -> SMatrix<f64, OUT, IN> {
    SMatrix::from_fn(|o, i| book[i][o])
}

/// Compares nn's `OUT × IN` matrix with the book's `IN × OUT` array.
fn close_weights<const IN: usize, const OUT: usize>(
    actual: &SMatrix<f64, OUT, IN>,
    book: [[f64; OUT]; IN],
    what: &str,
) {
    for (i, row) in book.iter().enumerate() {
        for (o, &e) in row.iter().enumerate() {
            close(actual[(o, i)], e, &format!("{what}[out {o}, in {i}] (book [{i}][{o}])"));
        }
    }
}

// Affine / MatMul: x (N=2, IN=3), W (book 3 × 2), b, dout (N=2, OUT=2).
const X: [[f64; 3]; 2] = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]];
const W_BOOK: [[f64; 2]; 3] = [[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]];
const B: [f64; 2] = [0.05, -0.1];
const DOUT: [[f64; 2]; 2] = [[1.0, -2.0], [0.5, 0.25]];
// numpy: dx = dout @ W.T; dW = x.T @ dout; db = dout.sum(axis=0)
const DX: [[f64; 3]; 2] = [[0.5, -0.5, -1.7], [0.0, 0.25, -0.1]];
const DW_BOOK: [[f64; 2]; 3] = [[1.25, -0.625], [-0.875, 2.0625], [1.625, -4.1875]];

#[test]
fn affine() {
    let mut fc = Affine::<f64, 3, 2>::from_weights(&weights(W_BOOK), &SVector::from(B));
    let x = batch_from_rows(&X);
    // numpy: x @ W + b
    close_rows(
        fc.forward(x.as_view()),
        &[[-1.2, 0.6], [0.6500000000000001, -0.75]],
        "Affine y",
    );
    let dout = batch_from_rows(&DOUT);
    close_rows(fc.backward(x.as_view(), dout.as_view()), &DX, "Affine dx");
    close_weights(&fc.dw, DW_BOOK, "Affine dW");
    close(fc.db[0], 1.5, "Affine db[0]");
    close(fc.db[1], -1.75, "Affine db[1]");
}

#[test]
fn matmul() {
    let mut mm = MatMul::<f64, 3, 2>::from_weights(&weights(W_BOOK));
    let x = batch_from_rows(&X);
    // numpy: x @ W
    close_rows(
        mm.forward(x.as_view()),
        &[[-1.25, 0.7], [0.6000000000000001, -0.65]],
        "MatMul y",
    );
    let dout = batch_from_rows(&DOUT);
    close_rows(mm.backward(x.as_view(), dout.as_view()), &DX, "MatMul dx");
    close_weights(&mm.dw, DW_BOOK, "MatMul dW");
}

// Elementwise layers: a (N=2, D=3) and upstream gradient g.
const A: [[f64; 3]; 2] = [[0.5, -1.0, 2.0], [-3.0, 0.0, 0.75]];
const G: [[f64; 3]; 2] = [[1.0, -0.5, 0.25], [2.0, 1.5, -1.0]];

fn run_layer<L: Layer<f64, 3, 3>>(mut layer: L, y: [[f64; 3]; 2], dx: [[f64; 3]; 2], name: &str) {
    let a = batch_from_rows(&A);
    close_rows(layer.forward(a.as_view()), &y, &format!("{name} y"));
    let g = batch_from_rows(&G);
    close_rows(layer.backward(a.as_view(), g.as_view()), &dx, &format!("{name} dx"));
}

#[test]
fn sigmoid() {
    // numpy: y = 1 / (1 + np.exp(-a)); dx = g * (1.0 - y) * y
    run_layer(
        Sigmoid::new(),
        [
            [0.6224593312018546, 0.2689414213699951, 0.8807970779778823],
            [0.04742587317756678, 0.5, 0.679178699175393],
        ],
        [
            [0.2350037122015945, -0.09830596662074093, 0.026248396350876654],
            [0.09035331946182427, 0.375, -0.21789499376181404],
        ],
        "Sigmoid",
    );
}

#[test]
fn tanh() {
    // numpy: y = np.tanh(a); dx = g * (1.0 - y ** 2)
    run_layer(
        Tanh::new(),
        [
            [0.46211715726000974, -0.7615941559557649, 0.9640275800758169],
            [-0.9950547536867305, 0.0, 0.6351489523872873],
        ],
        [
            [0.7864477329659274, -0.20998717080701307, 0.017662706213291107],
            [0.019732074330880423, 1.5, -0.5965858082813315],
        ],
        "Tanh",
    );
}

#[test]
fn relu() {
    // numpy (the book's Relu): mask = a <= 0; y = a with y[mask] = 0; dx = g with dx[mask] = 0
    // (a holds an exact 0: the gradient there is 0, as in the book).
    run_layer(
        Relu::new(),
        [[0.5, 0.0, 2.0], [0.0, 0.0, 0.75]],
        [[1.0, 0.0, 0.25], [0.0, 0.0, -1.0]],
        "Relu",
    );
}

#[test]
fn softmax() {
    // numpy: y = softmax(a) (row-wise, max subtracted); the book's Softmax.backward:
    // dx = y * g - y * (y * g).sum(axis=1, keepdims=True)
    run_layer(
        Softmax::new(),
        [
            [0.1752903921400367, 0.039112573270687456, 0.7855970345892759],
            [0.015721634272160077, 0.3157774656663239, 0.6685009000615161],
        ],
        [
            [0.11356479665224019, -0.033329128641792966, -0.08023566801044721],
            [0.03401204889742873, 0.5252615311294073, -0.559273580026836],
        ],
        "Softmax",
    );
}

#[test]
fn softmax_with_loss() {
    let s = batch_from_rows(&[[0.3, -1.2, 2.0], [1.0, 0.5, -0.5]]);
    let mut l = SoftmaxWithLoss::<f64, 3>::new();
    let loss = l.forward(s.as_view(), Labels::Classes(&[2, 0]));
    // numpy: -np.sum(np.log(y[np.arange(n), t])) / n with y = softmax(s). nn has no 1e-7
    // guard (see SoftmaxWithLoss's docs); the book's guarded value 0.4029007724894442 is
    // within 1e-6 relative.
    close(loss, 0.4029009251447594, "SoftmaxWithLoss loss");
    assert!((loss - 0.4029007724894442).abs() < 1e-6 * loss);
    // numpy: dx = y.copy(); dx[np.arange(n), t] -= 1; dx / n
    close_rows(
        l.backward(),
        &[
            [0.07465943109169561, 0.016658770816080696, -0.09131820190777629],
            [-0.22672530636691018, 0.16574948021204575, 0.060975826154864424],
        ],
        "SoftmaxWithLoss dscore",
    );
}

#[test]
fn sigmoid_with_loss() {
    let s = batch_from_rows(&[[0.8], [-0.4], [-2.0]]);
    let mut l = SigmoidWithLoss::<f64, 1>::new();
    let loss = l.forward(s.as_view(), Labels::Classes(&[1, 0, 1]));
    // numpy: y = sigmoid(s); -np.sum(t * np.log(y) + (1 - t) * np.log(1 - y)) / 3
    close(loss, 1.003681309796901, "SigmoidWithLoss loss");
    // numpy: (y - t) / 3
    close_rows(
        l.backward(),
        &[[-0.10334183962412917], [0.133770779962516], [-0.2935990259926275]],
        "SigmoidWithLoss dscore",
    );
    // The same targets as a 1 × N batch of 0/1 values give the same numbers.
    let t = batch_from_rows(&[[1.0], [0.0], [1.0]]);
    close(
        l.forward(s.as_view(), Labels::OneHot(t.as_view())),
        1.003681309796901,
        "SigmoidWithLoss loss (0/1 targets)",
    );
}

#[test]
fn mean_squared_error() {
    let s = batch_from_rows(&A);
    let t = batch_from_rows(&[[0.0, 1.0, -1.0], [2.0, 0.5, 0.5]]);
    let mut l = MeanSquaredError::<f64, 3>::new();
    // numpy: np.mean((a - t) ** 2); dx = 2 * (a - t) / a.size
    close(l.forward(s.as_view(), t.as_view()), 6.427083333333333, "MSE loss");
    close_rows(
        l.backward(),
        &[
            [0.16666666666666666, -0.6666666666666666, 1.0],
            [-1.6666666666666667, -0.16666666666666666, 0.08333333333333333],
        ],
        "MSE dscore",
    );
}

#[test]
fn two_layer_net_sgd_step() {
    // Affine(2→3) → Sigmoid → Affine(3→2) → SoftmaxWithLoss, batch of 3, one SGD step with
    // lr = 0.5, composed by hand. numpy: the book's forward/backward written out (see the
    // script), then W -= lr * dW for every parameter.
    let x = batch_from_rows(&[[1.0, -0.5], [0.2, 0.8], [-1.5, 0.3]]);
    let t = [0, 1, 1];
    let mut a1 = Affine::<f64, 2, 3>::from_weights(
        &weights([[0.2, -0.4, 0.1], [0.5, 0.3, -0.2]]),
        &SVector::from([0.1, 0.0, -0.1]),
    );
    let mut sig = Sigmoid::<f64, 3>::new();
    let mut a2 = Affine::<f64, 3, 2>::from_weights(
        &weights([[0.3, -0.1], [-0.6, 0.4], [0.2, 0.7]]),
        &SVector::from([0.0, 0.05]),
    );
    let mut loss = SoftmaxWithLoss::<f64, 2>::new();

    let h = a1.forward(x.as_view());
    let z = sig.forward(h);
    let s = a2.forward(z);
    let l = loss.forward(s, Labels::Classes(&t));
    close(l, 0.6009674149320509, "loss");

    let ds = loss.backward();
    let dz = a2.backward(sig.output(), ds);
    let dh = sig.backward(a1.output(), dz);
    let _ = a1.backward(x.as_view(), dh);
    let mut sgd = Sgd::new(0.5);
    nn_core::optim::apply(&mut sgd, |f| {
        a1.visit_params(f);
        a2.visit_params(f);
    });

    close_weights(
        &a1.w,
        [
            [0.2172446509354806, -0.43886546606763055, 0.07878556219853339],
            [0.4887281226707884, 0.32758552848447986, -0.18563362700706226],
        ],
        "W1 after the step",
    );
    let b1: Batch<f64, 3> = Batch::from_column_slice(a1.b.as_slice());
    close_rows(
        b1.as_view(),
        &[[0.0992083022331735, 0.0032868612848463413, -0.09872299892452982]],
        "b1 after the step",
    );
    close_weights(
        &a2.w,
        [
            [0.28790701867877216, -0.08790701867877218],
            [-0.631230147011628, 0.4312301470116281],
            [0.204297185362922, 0.695702814637078],
        ],
        "W2 after the step",
    );
    close(a2.b[0], -0.012104745580115463, "b2[0] after the step");
    close(a2.b[1], 0.06210474558011547, "b2[1] after the step");
}
