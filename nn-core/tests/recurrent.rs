//! The recurrent layers alone (`Rnn`, `Lstm`, `Gru`) against central differences in f64
//! through time: every parameter and `dx` by the gradient checker for T = 1..8 steps of
//! N = 1..5 sequences, from a zero and from a given initial state; `dh₀` (and `dc₀`) by
//! perturbing the initial state; the stateful mode's gradients equal those of a layer started
//! from the carried state; a long sequence.

use nn_core::gradcheck::{check_layer, random_batch};
use nn_core::rand::SeedableRng;
use nn_core::rand_chacha::ChaCha8Rng;
use nn_core::{Cell, Gru, Init, InitScheme, Layer, Lstm, Recurrent, Rnn};

const IN: usize = 3;
const H: usize = 4;

fn drawn<C: Cell>(seed: u64) -> Recurrent<f64, C, IN, H> {
    let mut layer = Recurrent::<f64, C, IN, H>::new();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    layer.init_params(&mut Init::new(&mut rng, InitScheme::Auto));
    // Larger than PyTorch's ±1/√H, so the gates leave their linear range.
    for w in layer.weight_hh.iter_mut().chain(&mut layer.weight_ih) {
        *w *= 2.5;
    }
    layer
}

/// An initial state for `n` sequences (`c₀` empty without a cell state).
fn state<C: Cell>(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let h0 = random_batch::<f64, H>(n, -0.8, 0.8, seed).as_slice().to_vec();
    let c0 = if C::CELL_STATE {
        random_batch::<f64, H>(n, -1.5, 1.5, seed + 1).as_slice().to_vec()
    } else {
        Vec::new()
    };
    (h0, c0)
}

fn gradients_through_time<C: Cell>() {
    for n in 1..=5 {
        for t in 1..=8 {
            for from_state in [false, true] {
                let mut layer = drawn::<C>(t as u64 * 7 + n as u64);
                layer.set_sequences(n);
                if from_state {
                    let (h0, c0) = state::<C>(n, 40 + t as u64);
                    layer.set_initial_state(&h0, &c0);
                }
                let x = random_batch::<f64, IN>(t * n, -1.0, 1.0, t as u64);
                let report = check_layer(&mut layer, x.as_view());
                assert!(
                    report.max_error() <= 1e-6,
                    "{} T={t} N={n} initial state={from_state}: {report}",
                    C::NAME
                );
            }
        }
    }
}

#[test]
fn rnn_gradients_through_time() {
    gradients_through_time::<nn_core::RnnCell>();
}

#[test]
fn lstm_gradients_through_time() {
    gradients_through_time::<nn_core::LstmCell>();
}

#[test]
fn gru_gradients_through_time() {
    gradients_through_time::<nn_core::GruCell>();
}

/// `L = Σ r ⊙ y` of a forward from the initial state `(h0, c0)`.
fn loss<C: Cell>(layer: &mut Recurrent<f64, C, IN, H>, x: &[f64], r: &[f64], h0: &[f64], c0: &[f64]) -> f64 {
    layer.set_initial_state(h0, c0);
    let y = layer.forward(nn_core::batch_view(x));
    y.iter().zip(r).map(|(y, r)| y * r).sum()
}

fn initial_state_gradients<C: Cell>() {
    let eps = 1e-6;
    for (t, n) in [(1, 1), (3, 2), (8, 5)] {
        let mut layer = drawn::<C>(3);
        layer.set_sequences(n);
        let x = random_batch::<f64, IN>(t * n, -1.0, 1.0, 5).as_slice().to_vec();
        let r = random_batch::<f64, H>(t * n, -1.0, 1.0, 6);
        let (h0, c0) = state::<C>(n, 7);
        loss(&mut layer, &x, r.as_slice(), &h0, &c0);
        layer.backward(nn_core::batch_view(&x), r.as_view());
        let (dh0, dc0) = (layer.dh0().to_vec(), layer.dc0().to_vec());
        assert_eq!((dh0.len(), dc0.len()), (h0.len(), c0.len()));
        for which in 0..2 {
            let analytic = if which == 0 { &dh0 } else { &dc0 };
            for k in 0..analytic.len() {
                let (mut hp, mut cp) = (h0.clone(), c0.clone());
                let (mut hm, mut cm) = (h0.clone(), c0.clone());
                if which == 0 {
                    hp[k] += eps;
                    hm[k] -= eps;
                } else {
                    cp[k] += eps;
                    cm[k] -= eps;
                }
                let numeric = (loss(&mut layer, &x, r.as_slice(), &hp, &cp)
                    - loss(&mut layer, &x, r.as_slice(), &hm, &cm))
                    / (2.0 * eps);
                let err = (analytic[k] - numeric).abs() / analytic[k].abs().max(numeric.abs()).max(1e-8);
                assert!(
                    err <= 1e-6 || (analytic[k] - numeric).abs() < 1e-10,
                    "{} T={t} N={n}: d{}0[{k}] analytic {} numeric {numeric}",
                    C::NAME,
                    ["h", "c"][which],
                    analytic[k]
                );
            }
        }
    }
}

#[test]
fn initial_state_gradients_of_every_cell() {
    initial_state_gradients::<nn_core::RnnCell>();
    initial_state_gradients::<nn_core::LstmCell>();
    initial_state_gradients::<nn_core::GruCell>();
}

/// Every parameter gradient and `dx` after a backward.
fn gradients<C: Cell>(layer: &mut Recurrent<f64, C, IN, H>, dx: &[f64]) -> Vec<f64> {
    let mut g = dx.to_vec();
    layer.visit_params(&mut |p| g.extend_from_slice(p.grad));
    g
}

fn stateful_is_truncated_bptt_from_the_carried_state<C: Cell>() {
    let (t, n) = (5, 3);
    let mut stateful = drawn::<C>(11);
    stateful.set_sequences(n);
    stateful.set_stateful(true);
    let first = random_batch::<f64, IN>(t * n, -1.0, 1.0, 1);
    let second = random_batch::<f64, IN>(t * n, -1.0, 1.0, 2);
    let r = random_batch::<f64, H>(t * n, -1.0, 1.0, 3);
    let whole_first = stateful.forward(first.as_view()).clone_owned();
    let (h, c) = (stateful.initial_state().0.to_vec(), stateful.initial_state().1.to_vec());
    assert_eq!(
        &h[..],
        &whole_first.as_slice()[H * (t - 1) * n..],
        "the carried h is the last step's"
    );

    // Its next batch: the gradients of a plain layer started from the carried state, which
    // the checker verifies numerically.
    let mut plain = stateful.clone();
    plain.set_stateful(false);
    plain.set_initial_state(&h, &c);
    stateful.forward(second.as_view());
    let a = stateful.backward(second.as_view(), r.as_view()).as_slice().to_vec();
    plain.forward(second.as_view());
    let b = plain.backward(second.as_view(), r.as_view()).as_slice().to_vec();
    assert_eq!(gradients(&mut stateful, &a), gradients(&mut plain, &b), "{}", C::NAME);
    let report = check_layer(&mut plain, second.as_view());
    assert!(report.max_error() <= 1e-6, "{}: {report}", C::NAME);

    // reset_state: the next batch starts from zero, as a fresh layer's does.
    stateful.reset_state();
    let mut fresh = drawn::<C>(11);
    fresh.set_sequences(n);
    assert_eq!(stateful.forward(first.as_view()), fresh.forward(first.as_view()));
    // A batch of other sequences (N changes) starts from zero too.
    stateful.set_sequences(1);
    fresh.set_sequences(1);
    assert_eq!(stateful.forward(first.as_view()), fresh.forward(first.as_view()));
}

#[test]
fn stateful_batches_are_truncated_bptt_from_the_carried_state() {
    stateful_is_truncated_bptt_from_the_carried_state::<nn_core::RnnCell>();
    stateful_is_truncated_bptt_from_the_carried_state::<nn_core::LstmCell>();
    stateful_is_truncated_bptt_from_the_carried_state::<nn_core::GruCell>();
}

/// 10,000 steps forward and back (and streamed) without overflowing the test thread's stack:
/// every step's buffers live on the heap. (`tests/debug_stack.rs` runs a network twin in the
/// dev profile, opt-level 0, on a 2 MiB thread.)
#[test]
fn ten_thousand_steps_do_not_overflow_the_stack() {
    let steps = 10_000;
    let x = random_batch::<f32, 1>(steps, -1.0, 1.0, 0);
    let r = random_batch::<f32, 32>(steps, -1.0, 1.0, 1);
    let mut lstm = Lstm::<f32, 1, 32>::new();
    lstm.init_params(&mut Init::new(&mut ChaCha8Rng::seed_from_u64(0), InitScheme::Auto));
    let y = lstm.forward(x.as_view()).clone_owned();
    let dx = lstm.backward(x.as_view(), r.as_view());
    assert!(dx.iter().all(|v| v.is_finite()) && y.iter().all(|v| v.is_finite()));
    let mut gru = Gru::<f32, 1, 32>::new();
    gru.init_params(&mut Init::new(&mut ChaCha8Rng::seed_from_u64(1), InitScheme::Auto));
    gru.forward(x.as_view());
    gru.backward(x.as_view(), r.as_view());
    let rnn = Rnn::<f32, 1, 32>::new();
    let mut out = nn_core::Batch::<f32, 32>::zeros(steps);
    rnn.infer(x.as_view(), out.as_view_mut());
    use nn_core::StepLayer;
    let mut s = lstm.step_state();
    let mut h = [0.0f32; 32];
    for t in 0..steps {
        lstm.step(&x.as_slice()[t..t + 1], &mut s, &mut h);
    }
    assert!((h[0] - y[(0, steps - 1)]).abs() < 1e-5);
}

#[test]
#[should_panic(expected = "Lstm: a batch of 7 columns is not 2 sequences of equal length")]
fn a_batch_that_is_not_whole_steps_names_the_layer() {
    let mut lstm = Lstm::<f64, 1, 2>::new();
    lstm.set_sequences(2);
    lstm.forward(random_batch::<f64, 1>(7, 0.0, 1.0, 0).as_view());
}

#[test]
#[should_panic(expected = "Gru::set_initial_state: h0 has 4 values, not H·N = 4·2")]
fn a_wrong_initial_state_panics_with_both_sizes() {
    let mut gru = Gru::<f64, 1, 4>::new();
    gru.set_sequences(2);
    gru.set_initial_state(&[0.0; 4], &[]);
}

/// The batch-1 kernels read whole 64-byte lines: every parameter buffer starts on one
/// (`nn::AlignedBuf`, `nn::HeapMatrix`), also after a clone.
#[test]
fn parameters_start_on_a_cache_line() {
    fn aligned(what: &str, p: *const f32) {
        assert_eq!(p as usize % 64, 0, "{what} is not 64-byte aligned");
    }
    let gru = Gru::<f32, 3, 5>::new();
    let lstm = Lstm::<f32, 1, 7>::new().clone();
    for (name, l) in [
        ("Gru weight_ih", &gru.weight_ih),
        ("Gru weight_hh", &gru.weight_hh),
        ("Gru bias_hh", &gru.bias_hh),
    ] {
        aligned(name, l.as_ptr());
    }
    aligned("Lstm weight_hh", lstm.weight_hh.as_ptr());
    aligned("Lstm grad_weight_hh", lstm.grad_weight_hh.as_ptr());
    let affine = nn_core::Affine::<f32, 3, 5>::new().clone();
    aligned("Affine w", affine.w.as_ptr());
    aligned("Affine b", affine.b.as_ptr());
    aligned("Affine dw", affine.dw.as_ptr());
}
