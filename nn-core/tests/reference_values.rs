//! Reference values: small fixed inputs and weights, outputs and gradients compared with
//! values computed independently with the book's numpy formulas.
//!
//! Every expected number below was printed by `nn-core/tests/reference/reference_values.py`
//! (numpy 2.4.6; run `python3 nn-core/tests/reference/reference_values.py`), which uses the
//! book's layout: `x` is `N × D` with one sample per ROW and `W` is `IN × OUT`. nn stores the
//! same batch as `D × N` with one sample per column (the same memory, so a batch built with
//! `batch_from_rows(&numpy_rows)` is numpy's array) and `W` as `OUT × IN`, the book's `W`
//! transposed: `w[(o, i)] = W_book[i][o]`, and likewise for `dW`.
//!
//! The layers the book does not have (LeakyRelu, Gelu, GeluTanh, Softplus, LayerNorm,
//! BatchNorm) follow PyTorch's definitions, written out in numpy in the same script; the
//! normalisations' input gradients there go through the explicit Jacobian of `x̂` (a matrix
//! per sample or feature), not the closed form the layers use.

use nalgebra::{SMatrix, SVector};
use nn_core::{
    batch_from_rows, Affine, Batch, BatchNorm, BatchRef, Gelu, GeluTanh, Labels, Layer, LayerNorm, LeakyRelu,
    LossLayer, MatMul, MeanSquaredError, Mode, Relu, Sgd, Sigmoid, SigmoidWithLoss, Softmax, SoftmaxWithLoss, Softplus,
    Tanh,
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

#[test]
fn leaky_relu() {
    // numpy: np.where(a > 0, a, 0.1 * a); dx = np.where(a > 0, g, 0.1 * g) (slope 0.1 at the
    // exact 0 of a, as PyTorch)
    run_layer(
        LeakyRelu::new(0.1),
        [[0.5, -0.1, 2.0], [-0.30000000000000004, 0.0, 0.75]],
        [[1.0, -0.05, 0.25], [0.2, 0.15000000000000002, -1.0]],
        "LeakyRelu",
    );
}

#[test]
fn gelu() {
    // numpy: Phi = 0.5 * (1 + erf(a / sqrt 2)); y = a * Phi; dx = g * (Phi + a * phi(a))
    run_layer(
        Gelu::new(),
        [
            [0.34573123063700656, -0.15865525393145707, 1.9544997361036416],
            [-0.00404969409489031, 0.0, 0.5800294857173488],
        ],
        [
            [0.8674951246561629, 0.041657735293843146, 0.27130795026954924],
            [-0.02389129440836784, 0.75, -0.9992257217392351],
        ],
        "Gelu",
    );
}

#[test]
fn gelu_tanh() {
    // numpy: t = tanh(sqrt(2/pi) (a + 0.044715 a^3)); y = 0.5 a (1 + t);
    // dx = g * (0.5 (1 + t) + 0.5 a (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 a^2))
    run_layer(
        GeluTanh::new(),
        [
            [0.34571400982514394, -0.1588080093917233, 1.954597694087775],
            [-0.0036373920817729943, 0.0, 0.5799605551656203],
        ],
        [
            [0.8673699035346424, 0.04148204192289129, 0.27152481415590457],
            [-0.023168333261939032, 0.75, -0.9989382561374143],
        ],
        "GeluTanh",
    );
}

#[test]
fn softplus() {
    // numpy: y = x if x > 20 else log1p(exp(x)); dx = gs * (1 if x > 20 else sigmoid(x)),
    // on values past the threshold (25) and just below it (19.5), and far negative (-30).
    let x = batch_from_rows(&[[0.5, -1.0, 2.0], [25.0, -30.0, 19.5]]);
    let g = batch_from_rows(&G);
    let mut layer = Softplus::<f64, 3>::new();
    close_rows(
        layer.forward(x.as_view()),
        &[
            [0.9740769841801067, 0.31326168751822286, 2.1269280110429727],
            [25.0, 9.357622968839737e-14, 19.500000003398267],
        ],
        "Softplus y",
    );
    close_rows(
        layer.backward(x.as_view(), g.as_view()),
        &[
            [0.6224593312018546, -0.13447071068499755, 0.22019926949447058],
            [2.0, 1.4036434453258948e-13, -0.9999999966017321],
        ],
        "Softplus dx",
    );
    // The far-negative values are tiny but relatively exact (no cancellation).
    let y = layer.output();
    assert!((y[(1, 1)] / 9.357622968839737e-14 - 1.0).abs() < 1e-13, "{}", y[(1, 1)]);
}

#[test]
fn layer_norm() {
    // numpy, per row of a: x̂ = (a - mean) / sqrt(var + 1e-5), y = gl * x̂ + bl; dx = Jᵀ (gl * g)
    // with J = inv (I - 1/D - x̂ x̂ᵀ / D); dweight = Σ_n g * x̂, dbias = Σ_n g.
    let mut ln = LayerNorm::<f64, 3>::new(1e-5);
    ln.weight.copy_from_slice(&[1.5, -0.5, 2.0]);
    ln.bias.copy_from_slice(&[0.1, 0.2, -0.3]);
    let a = batch_from_rows(&A);
    close_rows(
        ln.forward(a.as_view()),
        &[
            [0.1, 0.8123703944645484, 2.1494815778581935],
            [-1.9830912566991494, -0.03145458407768331, 1.5516366726214665],
        ],
        "LayerNorm y",
    );
    let g = batch_from_rows(&G);
    close_rows(
        ln.backward(a.as_view(), g.as_view()),
        &[
            [0.6123703944645484, -0.30618587763928745, -0.3061845168252607],
            [-0.01836248356881598, 0.09184474788504371, -0.07348226431622745],
        ],
        "LayerNorm dx",
    );
    close_vector(
        ln.dweight.as_slice(),
        &[-2.7774550089321997, 1.3067341466975981, -0.6196331390784591],
        "LayerNorm dweight",
    );
    close_vector(ln.dbias.as_slice(), &[3.0, 1.0, -0.75], "LayerNorm dbias");
}

fn close_vector(actual: &[f64], expected: &[f64], what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: length");
    for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        close(a, e, &format!("{what}[{i}]"));
    }
}

// BatchNorm: three training batches (N = 4, D = 3), weight gb, bias bb.
const BN_BATCHES: [[[f64; 3]; 4]; 3] = [
    [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75], [-2.0, 0.5, 1.0], [0.0, 3.0, -1.5]],
    [[1.0, 2.0, 0.0], [-1.0, 0.5, 0.5], [2.5, -1.5, 1.0], [0.5, 0.0, -2.0]],
    [[-0.5, 1.0, 3.0], [0.25, -2.0, 1.0], [1.75, 0.5, -1.0], [-1.0, 1.5, 0.5]],
];

fn batch_norm() -> BatchNorm<f64, 3> {
    let mut bn = BatchNorm::<f64, 3>::new(1e-5, 0.1);
    bn.weight.copy_from_slice(&[1.25, 0.5, -1.0]);
    bn.bias.copy_from_slice(&[0.0, -0.25, 0.5]);
    bn
}

#[test]
fn batch_norm_training() {
    // numpy, per feature over the batch: x̂ = (x - mean) / sqrt(var + 1e-5) (biased var),
    // y = gb * x̂ + bb; dx = Jᵀ (gb * dout) with J = inv (I - 1/N - x̂ x̂ᵀ / N) per feature.
    let mut bn = batch_norm();
    let x = batch_from_rows(&BN_BATCHES[0]);
    close_rows(
        bn.forward(x.as_view()),
        &[
            [0.4902888292667678, -0.831484783652961, -0.8087482671752573],
            [1.4708664878003033, -0.4007553142803973, 1.1769387588837539],
            [-1.9611553170670712, -0.3146094204058846, -0.08668025769925325],
            [0.0, 0.5468495183392429, 1.7184897659907568],
        ],
        "BatchNorm train y",
    );
    let dout = batch_from_rows(&[
        [1.0, -0.5, 0.25],
        [2.0, 1.5, -1.0],
        [-0.75, 0.5, 1.0],
        [0.5, -1.0, -0.25],
    ]);
    close_rows(
        bn.backward(x.as_view(), dout.as_view()),
        &[
            [-0.0707124141108152, -0.3685566588187395, 0.26728047731306664],
            [0.15557937961763052, 0.4340859915347385, 0.4904486234335552],
            [0.0989913454682224, 0.11219751590816272, -0.5213312082392151],
            [-0.18385831097503802, -0.1777268486241616, -0.23639789250740678],
        ],
        "BatchNorm train dx",
    );
    close_vector(
        bn.dweight.as_slice(),
        &[3.922310634134142, -1.5290896162726013, 1.8954285248745104],
        "BatchNorm train dweight",
    );
    close_vector(bn.dbias.as_slice(), &[2.75, 0.5, 0.0], "BatchNorm train dbias");
}

#[test]
fn batch_norm_running_statistics_and_eval() {
    // numpy: after each batch, rm = 0.9 rm + 0.1 mean, rv = 0.9 rv + 0.1 var(ddof=1), from
    // rm = 0, rv = 1; then eval: x̂ = (x - rm) / sqrt(rv + 1e-5), dx = dout * gb / sqrt(rv + 1e-5).
    let mut bn = batch_norm();
    for b in &BN_BATCHES {
        bn.forward(batch_from_rows(b).as_view());
    }
    close_vector(
        bn.running_mean.as_slice(),
        &[0.08000000000000002, 0.10318750000000002, 0.0914375],
        "BatchNorm running_mean",
    );
    close_vector(
        bn.running_var.as_slice(),
        &[1.2357500000000001, 1.3855572916666667, 1.3646822916666668],
        "BatchNorm running_var",
    );
    bn.set_mode(Mode::Eval);
    let x = batch_from_rows(&[[0.3, -0.7, 1.2], [-1.1, 0.9, 0.0]]);
    let y_eval = [
        [0.24738059346725602, -0.5911718056135302, -0.4489488725018467],
        [-1.326859546778919, 0.08846388217001766, 0.5782720979010093],
    ];
    close_rows(bn.forward(x.as_view()), &y_eval, "BatchNorm eval y");
    let mut out = Batch::<f64, 3>::zeros(2);
    bn.infer(x.as_view(), out.as_view_mut());
    close_rows(out.as_view(), &y_eval, "BatchNorm infer");
    let dout = batch_from_rows(&[[1.0, 2.0, -1.0], [0.5, -0.5, 0.25]]);
    close_rows(
        bn.backward(x.as_view(), dout.as_view()),
        &[
            [1.124457243032982, 0.8495446097294348, 0.8560174753357134],
            [0.562228621516491, -0.2123861524323587, -0.21400436883392834],
        ],
        "BatchNorm eval dx",
    );
    close_vector(
        bn.dweight.as_slice(),
        &[-0.3328393439377628, -1.7031511046241385, -0.968516896977099],
        "BatchNorm eval dweight",
    );
    close_vector(bn.dbias.as_slice(), &[1.5, 1.5, -0.75], "BatchNorm eval dbias");
    // Eval forwards leave the running statistics alone.
    close(bn.running_mean[0], 0.08000000000000002, "running_mean after eval");
}
