//! The layers after the book's: Dropout, BatchNorm, LayerNorm, LeakyRelu, Gelu, GeluTanh,
//! Softplus, Identity.
//!
//! - Central-difference gradient checks in f64 (`dx` and every parameter, batches 1 to 5;
//!   BatchNorm in training from 2), max relative error ≤ 1e-6, the checker's default. Dropout
//!   is checked with `p = 0.3`: the checker reseeds the layer before every forward, so all of
//!   them drop the same elements (and a network check with Dropout and BatchNorm inside).
//! - Dropout's statistics (kept fraction, scale), modes and seeding, which replace reference
//!   values for a random layer; the other layers' reference values are in reference_values.rs.
//! - Constructor and training panics, `Layer::op`, NaN propagation (NaN in, NaN out).

use nn_core::gradcheck::{self, check_layer, GradCheck, GradReport};
use nn_core::rand::{Rng, SeedableRng};
use nn_core::rand_chacha::ChaCha8Rng;
use nn_core::{
    batch_from_rows, layer_seed, Affine, Batch, BatchMut, BatchNorm, BatchRef, Dropout, Gelu, GeluTanh, Identity, Init,
    InitScheme, Input, Labels, Layer, LayerNorm, LayerOp, LeakyRelu, LossLayer, Mode, Network, Optimizer, Param,
    SoftmaxWithLoss, Softplus, Summary, Trainable,
};

const BATCHES: [usize; 5] = [1, 2, 3, 4, 5];

fn ok(r: GradReport) {
    r.assert_ok();
    assert!(r.checked() > 0, "nothing was checked: {r}");
}

fn uniform(rng: &mut ChaCha8Rng, v: &mut [f64], lo: f64, hi: f64) {
    for v in v {
        *v = rng.random_range(lo..hi);
    }
}

// --- Gradient checks ---

#[test]
fn dropout_gradients_in_both_modes() {
    fn run<const D: usize>(seed: u64) -> (usize, usize) {
        let (mut dropped, mut kept) = (0, 0);
        for &n in &BATCHES {
            let x: Batch<f64, D> = gradcheck::random_batch(n, -2.0, 2.0, seed + n as u64);
            let mut drop = Dropout::<f64, D>::new(0.3);
            ok(check_layer(&mut drop, x.as_view()));
            dropped += drop.mask().iter().filter(|&&m| m == 0.0).count();
            kept += drop.mask().iter().filter(|&&m| m != 0.0).count();
            ok(GradCheck::new().mode(Mode::Eval).layer(&mut drop, x.as_view()));
            // Another seed, another mask: still consistent.
            ok(GradCheck::new().seed(seed + 99).layer(&mut drop, x.as_view()));
        }
        (dropped, kept)
    }
    let (mut dropped, mut kept) = (0, 0);
    for (d, k) in [run::<1>(1), run::<4>(2), run::<9>(3)] {
        dropped += d;
        kept += k;
    }
    // The checks above did drop elements (and keep others): not vacuously the identity.
    assert!(dropped > 10 && kept > 10, "dropped {dropped}, kept {kept}");
}

#[test]
fn the_checker_leaves_the_layer_in_the_checked_mode() {
    let x: Batch<f64, 3> = gradcheck::random_batch(40, -1.0, 1.0, 9);
    let mut drop = Dropout::<f64, 3>::new(0.5);
    ok(GradCheck::new().mode(Mode::Eval).layer(&mut drop, x.as_view()));
    assert_eq!(drop.forward(x.as_view()), x, "left in Mode::Eval: the identity");
    ok(GradCheck::new().layer(&mut drop, x.as_view()));
    assert_ne!(drop.forward(x.as_view()), x, "left in Mode::Train: drops");
    // In training, the checker's last forward used layer_seed(seed, 0): the same mask again.
    ok(GradCheck::new().seed(4).layer(&mut drop, x.as_view()));
    let mask = drop.mask().clone_owned();
    drop.reseed(layer_seed(4, 0));
    drop.forward(x.as_view());
    assert_eq!(drop.mask(), mask);
}

/// A BatchNorm with random `γ`, `β` and running statistics (a generic point).
fn batch_norm<const D: usize>(seed: u64) -> BatchNorm<f64, D> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut bn = BatchNorm::<f64, D>::new(1e-5, 0.1);
    uniform(&mut rng, bn.weight.as_mut_slice(), 0.5, 2.0);
    uniform(&mut rng, bn.bias.as_mut_slice(), -1.0, 1.0);
    uniform(&mut rng, bn.running_mean.as_mut_slice(), -1.0, 1.0);
    uniform(&mut rng, bn.running_var.as_mut_slice(), 0.5, 2.0);
    bn
}

#[test]
fn batch_norm_gradients_through_the_batch_statistics() {
    fn run<const D: usize>(seed: u64) {
        for &n in &BATCHES[1..] {
            let x: Batch<f64, D> = gradcheck::random_batch(n, -2.0, 2.0, seed + n as u64);
            let r = check_layer(&mut batch_norm::<D>(seed), x.as_view());
            assert_eq!(r.checked(), D * n + 2 * D, "{r}");
            ok(r);
        }
    }
    run::<1>(1);
    run::<3>(2);
    run::<6>(3);
}

#[test]
fn batch_norm_gradients_in_eval_mode() {
    fn run<const D: usize>(seed: u64) {
        for &n in &BATCHES {
            let x: Batch<f64, D> = gradcheck::random_batch(n, -2.0, 2.0, seed + n as u64);
            let mut bn = batch_norm::<D>(seed);
            ok(GradCheck::new().mode(Mode::Eval).layer(&mut bn, x.as_view()));
        }
    }
    run::<1>(1);
    run::<3>(2);
    run::<6>(3);
}

#[test]
fn layer_norm_gradients() {
    fn run<const D: usize>(seed: u64) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for &n in &BATCHES {
            let x: Batch<f64, D> = gradcheck::random_batch(n, -2.0, 2.0, seed + n as u64);
            let mut ln = LayerNorm::<f64, D>::new(1e-5);
            uniform(&mut rng, ln.weight.as_mut_slice(), -2.0, 2.0);
            uniform(&mut rng, ln.bias.as_mut_slice(), -1.0, 1.0);
            ok(check_layer(&mut ln, x.as_view()));
        }
    }
    run::<1>(1);
    run::<2>(2);
    run::<3>(3);
    run::<8>(4);
}

#[test]
fn leaky_relu_gradients_away_from_the_kink() {
    fn run<const D: usize>(slope: f64, seed: u64) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for &n in &BATCHES {
            // |x| in [0.1, 2) with a random sign: ε = 1e-5 never crosses 0.
            let mut x: Batch<f64, D> = gradcheck::random_batch(n, 0.1, 2.0, seed + n as u64);
            for v in x.iter_mut() {
                if rng.random_bool(0.5) {
                    *v = -*v;
                }
            }
            ok(check_layer(&mut LeakyRelu::<f64, D>::new(slope), x.as_view()));
        }
    }
    run::<1>(0.01, 1);
    run::<4>(0.2, 2);
    run::<7>(-0.5, 3);
}

macro_rules! smooth_cases {
    ($($name:ident: $layer:ident, $lo:expr, $hi:expr);* $(;)?) => {$(
        #[test]
        fn $name() {
            fn run<const D: usize>(seed: u64) {
                for &n in &BATCHES {
                    let x: Batch<f64, D> = gradcheck::random_batch(n, $lo, $hi, seed + n as u64);
                    ok(check_layer(&mut $layer::<f64, D>::new(), x.as_view()));
                }
            }
            run::<1>(1);
            run::<3>(2);
            run::<10>(3);
        }
    )*};
}

smooth_cases! {
    gelu_gradients: Gelu, -4.0, 4.0;
    gelu_tanh_gradients: GeluTanh, -4.0, 4.0;
    softplus_gradients: Softplus, -6.0, 6.0;
    identity_gradients: Identity, -2.0, 2.0;
}

#[test]
fn smooth_activations_far_out() {
    // Tails: no cancellation, no overflow; Softplus on both sides of its threshold (20).
    let x = batch_from_rows(&[[-12.0, 9.0, 25.0, -30.0], [19.5, -7.5, 40.0, 6.0]]);
    ok(check_layer(&mut Gelu::<f64, 4>::new(), x.as_view()));
    ok(check_layer(&mut GeluTanh::<f64, 4>::new(), x.as_view()));
    ok(check_layer(&mut Softplus::<f64, 4>::new(), x.as_view()));
}

// --- A network with BatchNorm and Dropout, through the network checker ---

/// 4 → 6 → BatchNorm → Dropout(0.3) → 3, softmax cross-entropy, written out as `network!`
/// writes it (set_mode and reseed included).
struct DropNet {
    affine1: Affine<f64, 4, 6>,
    bn: BatchNorm<f64, 6>,
    drop: Dropout<f64, 6>,
    affine2: Affine<f64, 6, 3>,
    loss: SoftmaxWithLoss<f64, 3>,
    x: Batch<f64, 4>,
}

impl DropNet {
    fn new(seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut init = Init::new(&mut rng, InitScheme::Xavier);
        let mut net = DropNet {
            affine1: Affine::new(),
            bn: BatchNorm::new(1e-5, 0.1),
            drop: Dropout::new(0.3),
            affine2: Affine::new(),
            loss: SoftmaxWithLoss::new(),
            x: Batch::zeros(0),
        };
        net.affine1.init_params(&mut init);
        net.bn.init_params(&mut init);
        net.drop.init_params(&mut init);
        net.affine2.init_params(&mut init);
        for (i, g) in net.bn.weight.iter_mut().enumerate() {
            *g = 0.5 + 0.25 * i as f64;
        }
        net
    }
}

impl Network<f64, 4, 3> for DropNet {
    fn zeroed() -> Self {
        unimplemented!("not needed by the gradient checker")
    }
    fn with_init(_rng: &mut dyn nn_core::rand::RngCore, _scheme: nn_core::InitScheme) -> Self {
        unimplemented!("not needed by the gradient checker")
    }
    fn visit_ops(&self, _f: &mut dyn FnMut(&'static str, Option<LayerOp<'_, f64>>)) {
        unimplemented!("not needed by the gradient checker")
    }
    fn prediction(&self) -> nn_core::Prediction {
        unimplemented!("not needed by the gradient checker")
    }
    fn predict(&mut self, _x: BatchRef<'_, f64, 4>) -> BatchRef<'_, f64, 3> {
        unimplemented!("not needed by the gradient checker")
    }
    fn predict_into(&self, _x: BatchRef<'_, f64, 4>, _out: BatchMut<'_, f64, 3>) {
        unimplemented!("not needed by the gradient checker")
    }
    fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, f64>)) {
        self.affine1.visit_params(&mut |p| f(p.in_layer("affine1")));
        self.bn.visit_params(&mut |p| f(p.in_layer("bn")));
        self.affine2.visit_params(&mut |p| f(p.in_layer("affine2")));
    }
    fn param_count(&self) -> usize {
        (4 * 6 + 6) + 2 * 6 + (6 * 3 + 3)
    }
    fn summary(&self) -> Summary {
        unimplemented!("not needed by the gradient checker")
    }
    fn visit_tensors<'a>(&'a self, _f: &mut dyn FnMut(&'static str, nn_core::state::TensorRef<'a, f64>)) {
        unimplemented!("not needed by the gradient checker")
    }
    fn visit_tensors_mut(&mut self, _f: &mut dyn FnMut(&'static str, nn_core::state::TensorMut<'_, f64>)) {
        unimplemented!("not needed by the gradient checker")
    }
    fn set_mode(&mut self, mode: Mode) {
        self.bn.set_mode(mode);
        self.drop.set_mode(mode);
    }
    fn reseed(&mut self, seed: u64) {
        self.drop.reseed(layer_seed(seed, 2));
    }
}

impl Trainable<f64, 4, 3> for DropNet {
    type Loss = SoftmaxWithLoss<f64, 3>;
    fn forward(&mut self, x: BatchRef<'_, f64, 4>, t: Labels<'_, f64, 3>) -> f64 {
        Network::set_mode(self, Mode::Train);
        self.x = x.clone_owned();
        let h = self.affine1.forward(x);
        let b = self.bn.forward(h);
        let d = self.drop.forward(b);
        let s = self.affine2.forward(d);
        self.loss.forward(s, t)
    }
    fn backward(&mut self) {
        let ds = self.loss.backward();
        let dd = self.affine2.backward(self.drop.output(), ds);
        let db = self.drop.backward(self.bn.output(), dd);
        let dh = self.bn.backward(self.affine1.output(), db);
        let _ = self.affine1.backward(self.x.as_view(), dh);
    }
    fn train_step<O: Optimizer<f64> + ?Sized>(
        &mut self,
        _x: Input<'_, f64, 4>,
        _t: Labels<'_, f64, 3>,
        _opt: &mut O,
    ) -> f64 {
        unimplemented!("not needed by the gradient checker")
    }
    fn evaluate(&mut self, _x: BatchRef<'_, f64, 4>, _t: Labels<'_, f64, 3>) -> (f64, Option<usize>) {
        unimplemented!("not needed by the gradient checker")
    }
}

#[test]
fn network_with_batch_norm_and_dropout() {
    for (n, seed) in [(2, 1), (5, 2), (16, 3)] {
        let mut net = DropNet::new(seed);
        let x: Batch<f64, 4> = gradcheck::random_batch(n, -2.0, 2.0, seed + 10);
        let labels: Vec<usize> = (0..n).map(|i| (i * 7 + seed as usize) % 3).collect();
        let r = gradcheck::check_network(&mut net, x.as_view(), Labels::Classes(&labels));
        assert_eq!(r.checked(), net.param_count(), "{r}");
        ok(r);
        assert!(net.drop.mask().iter().any(|&m| m == 0.0) || n < 5, "no element dropped");
    }
}

// --- Dropout: statistics, modes, seeding ---

/// Kept fraction of a 100 × 1000 batch (10⁵ elements): Binomial(10⁵, 1 − p)/10⁵ has a standard
/// deviation of at most 0.0016, so 0.01 is more than 6 of them.
const FRACTION_BOUND: f64 = 0.01;

#[test]
fn dropout_keeps_one_minus_p_and_scales_the_kept() {
    for p in [0.1, 0.3, 0.5, 0.9] {
        let x: Batch<f64, 100> = gradcheck::random_batch(1000, 0.5, 2.0, 7);
        let mut drop = Dropout::<f64, 100>::new(p);
        let y = drop.forward(x.as_view()).clone_owned();
        let scale = 1.0 / (1.0 - p);
        let mut kept = 0usize;
        for ((&y, &x), &m) in y.iter().zip(x.iter()).zip(drop.mask().iter()) {
            if m == 0.0 {
                assert_eq!(y, 0.0);
            } else {
                assert_eq!(m, scale);
                assert_eq!(y, x * scale, "a kept value is x / (1 − p)");
                kept += 1;
            }
        }
        let fraction = kept as f64 / y.len() as f64;
        assert!(
            (fraction - (1.0 - p)).abs() < FRACTION_BOUND,
            "p = {p}: kept {fraction}, expected {} ± {FRACTION_BOUND}",
            1.0 - p
        );
        // The mean of the mask's factors is ≈ 1 (inverted dropout keeps the expectation).
        let mean = drop.mask().iter().sum::<f64>() / y.len() as f64;
        assert!((mean - 1.0).abs() < FRACTION_BOUND * scale, "p = {p}: mask mean {mean}");
        // Neighbouring elements are independent: both kept with probability (1 − p)².
        let m = drop.mask();
        let pairs = m.as_slice().windows(2).filter(|w| w[0] != 0.0 && w[1] != 0.0).count();
        let both = pairs as f64 / (m.len() - 1) as f64;
        assert!(
            (both - (1.0 - p) * (1.0 - p)).abs() < FRACTION_BOUND,
            "p = {p}: pairs {both}"
        );

        // backward: dout ⊙ m.
        let dout: Batch<f64, 100> = gradcheck::random_batch(1000, -1.0, 1.0, 8);
        let dx = drop.backward(x.as_view(), dout.as_view()).clone_owned();
        for ((&dx, &d), &m) in dx.iter().zip(dout.iter()).zip(drop.mask().iter()) {
            assert_eq!(dx, d * m);
        }
    }
}

#[test]
fn dropout_with_p_zero_keeps_everything() {
    let x: Batch<f64, 5> = gradcheck::random_batch(40, -1.0, 1.0, 3);
    let mut drop = Dropout::<f64, 5>::new(0.0);
    assert_eq!(drop.forward(x.as_view()), x);
}

#[test]
fn dropout_eval_is_the_identity_and_backward_follows_the_last_forward() {
    let x: Batch<f64, 6> = gradcheck::random_batch(50, -1.0, 1.0, 4);
    let dout: Batch<f64, 6> = gradcheck::random_batch(50, -1.0, 1.0, 5);
    let mut drop = Dropout::<f64, 6>::new(0.5);
    drop.set_mode(Mode::Eval);
    assert_eq!(drop.forward(x.as_view()), x);
    assert_eq!(drop.backward(x.as_view(), dout.as_view()), dout);
    let mut out = Batch::<f64, 6>::zeros(50);
    drop.infer(x.as_view(), out.as_view_mut());
    assert_eq!(out, x);

    // A training forward, then a switch to Eval: backward still applies that forward's mask.
    drop.set_mode(Mode::Train);
    let y = drop.forward(x.as_view()).clone_owned();
    assert_ne!(y, x);
    drop.set_mode(Mode::Eval);
    let dx = drop.backward(x.as_view(), dout.as_view()).clone_owned();
    for ((&dx, &d), &m) in dx.iter().zip(dout.iter()).zip(drop.mask().iter()) {
        assert_eq!(dx, d * m);
    }
    // `infer` is the identity whatever the mode.
    drop.set_mode(Mode::Train);
    drop.infer(x.as_view(), out.as_view_mut());
    assert_eq!(out, x);
}

fn mask_after<const D: usize>(drop: &mut Dropout<f64, D>, n: usize) -> Vec<f64> {
    let x = Batch::<f64, D>::from_element(n, 1.0);
    drop.forward(x.as_view());
    drop.mask().as_slice().to_vec()
}

#[test]
fn dropout_seeding() {
    let mut a = Dropout::<f64, 8>::new(0.3);
    let mut b = Dropout::<f64, 8>::new(0.3);
    // New layers share the default seed; every forward draws a fresh mask.
    let first = mask_after(&mut a, 100);
    assert_eq!(first, mask_after(&mut b, 100));
    let second = mask_after(&mut a, 100);
    assert_ne!(first, second, "two forwards drew the same mask");

    // Same seed, same mask; another seed, another mask; reseed restarts the stream.
    a.reseed(11);
    b.reseed(11);
    let m11 = mask_after(&mut a, 100);
    assert_eq!(m11, mask_after(&mut b, 100));
    b.reseed(12);
    assert_ne!(m11, mask_after(&mut b, 100));
    a.reseed(11);
    assert_eq!(m11, mask_after(&mut a, 100));
    assert_eq!(mask_after(&mut a, 100), {
        b.reseed(11);
        mask_after(&mut b, 100);
        mask_after(&mut b, 100)
    });

    // init_params takes the seed from the Init stream: the same generator, the same masks;
    // another generator, other masks.
    let masks = |seed: u64| {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut d = Dropout::<f64, 8>::new(0.3);
        d.init_params(&mut Init::new(&mut rng, InitScheme::Auto));
        let m = mask_after(&mut d, 100);
        (m, rng.random::<u64>())
    };
    let (m1, next1) = masks(1);
    assert_eq!(masks(1), (m1.clone(), next1));
    assert_ne!(masks(2).0, m1);
    assert_ne!(m1, first, "init_params kept the default seed");
    // It drew exactly one u64 from the stream.
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let _ = rng.random::<u64>();
    assert_eq!(rng.random::<u64>(), next1);
}

// --- Panics ---

#[test]
#[should_panic(expected = "Dropout::new: the drop probability p must be in [0, 1), got 1")]
fn dropout_p_one_panics() {
    let _ = Dropout::<f32, 3>::new(1.0);
}

#[test]
#[should_panic(expected = "Dropout::new: the drop probability p must be in [0, 1), got -0.1")]
fn dropout_negative_p_panics() {
    let _ = Dropout::<f32, 3>::new(-0.1);
}

#[test]
#[should_panic(expected = "Dropout::new: the drop probability p must be in [0, 1), got NaN")]
fn dropout_nan_p_panics() {
    let _ = Dropout::<f32, 3>::new(f64::NAN);
}

#[test]
#[should_panic(expected = "BatchNorm: training needs more than 1 sample per batch for the batch statistics, got 1")]
fn batch_norm_training_on_one_sample_panics() {
    let mut bn = BatchNorm::<f64, 3>::new(1e-5, 0.1);
    bn.forward(batch_from_rows(&[[1.0, 2.0, 3.0]]).as_view());
}

#[test]
fn batch_norm_eval_on_one_sample_works() {
    let mut bn = BatchNorm::<f64, 3>::new(1e-5, 0.1);
    bn.set_mode(Mode::Eval);
    let y = bn.forward(batch_from_rows(&[[1.0, 2.0, 3.0]]).as_view());
    // Fresh running statistics (0, 1): y = x / √(1 + ε).
    assert!((y[(1, 0)] - 2.0 / (1.0 + 1e-5f64).sqrt()).abs() < 1e-15);
}

#[test]
#[should_panic(expected = "BatchNorm::new: momentum must be in [0, 1], got 1.5")]
fn batch_norm_bad_momentum_panics() {
    let _ = BatchNorm::<f64, 3>::new(1e-5, 1.5);
}

#[test]
#[should_panic(expected = "LayerNorm::new: eps must be finite and ≥ 0, got -1")]
fn layer_norm_negative_eps_panics() {
    let _ = LayerNorm::<f64, 3>::new(-1.0);
}

// --- State, init, op ---

#[test]
fn batch_norm_state_and_init() {
    let mut bn = batch_norm::<3>(5);
    let mut names = Vec::new();
    bn.visit_tensors(&mut |t| names.push((t.name, t.shape.dims().to_vec())));
    assert_eq!(
        names,
        [
            ("weight", vec![3]),
            ("bias", vec![3]),
            ("running_mean", vec![3]),
            ("running_var", vec![3])
        ]
    );
    let mut params = Vec::new();
    bn.visit_params(&mut |p| params.push(p.name));
    assert_eq!(params, ["weight", "bias"]);
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    bn.init_params(&mut Init::new(&mut rng, InitScheme::He));
    assert!(bn.weight.iter().all(|&v| v == 1.0) && bn.bias.iter().all(|&v| v == 0.0));
    assert!(bn.running_mean.iter().all(|&v| v == 0.0) && bn.running_var.iter().all(|&v| v == 1.0));

    let mut ln = LayerNorm::<f64, 3>::new(1e-5);
    let mut names = Vec::new();
    ln.visit_tensors(&mut |t| names.push(t.name));
    assert_eq!(names, ["weight", "bias"]);
    ln.weight.fill(3.0);
    ln.init_params(&mut Init::new(&mut rng, InitScheme::He));
    assert!(ln.weight.iter().all(|&v| v == 1.0));
}

#[test]
fn ops() {
    assert_eq!(Layer::op(&Identity::<f32, 3>::new()), Some(LayerOp::Identity));
    assert_eq!(Layer::op(&Dropout::<f32, 3>::new(0.5)), Some(LayerOp::Identity));
    assert_eq!(Layer::op(&Softplus::<f32, 3>::new()), Some(LayerOp::Unary("Softplus")));
    assert_eq!(
        Layer::op(&LeakyRelu::<f32, 3>::new(0.01)),
        Some(LayerOp::Unary("LeakyRelu"))
    );
    assert_eq!(Layer::op(&LeakyRelu::<f32, 3>::new(0.2)), None);
    assert_eq!(Layer::op(&Gelu::<f32, 3>::new()), None);
    assert_eq!(Layer::op(&GeluTanh::<f32, 3>::new()), None);
    assert_eq!(Layer::op(&BatchNorm::<f32, 3>::new(1e-5, 0.1)), None);
    assert_eq!(Layer::op(&LayerNorm::<f32, 3>::new(1e-5)), None);
}

// --- Non-finite values ---

/// Every element of a column holding a NaN comes out non-finite in that column (forward and
/// infer, f32 and f64), the other columns stay finite.
fn nan_stays<L: Layer<f32, 3, 3>>(name: &str, mut layer: impl FnMut() -> L) {
    for i in 0..6 {
        let mut x = batch_from_rows(&[[0.5f32, -1.0, 2.0], [-3.0, 0.25, 0.75]]);
        x.as_mut_slice()[i] = f32::NAN;
        let mut l = layer();
        let y = l.forward(x.as_view()).clone_owned();
        let mut out = Batch::<f32, 3>::zeros(2);
        l.infer(x.as_view(), out.as_view_mut());
        for (what, y) in [("forward", &y), ("infer", &out)] {
            assert!(y.as_slice()[i].is_nan(), "{name} {what}: NaN at {i} gave {y}");
            let other = 1 - i / 3;
            assert!(y.column(other).iter().all(|v| v.is_finite()), "{name} {what}: {y}");
        }
    }
}

#[test]
fn nan_propagates() {
    nan_stays("LeakyRelu", || LeakyRelu::new(0.01));
    nan_stays("LeakyRelu slope 0", || LeakyRelu::new(0.0));
    nan_stays("Gelu", Gelu::new);
    nan_stays("GeluTanh", GeluTanh::new);
    nan_stays("Softplus", Softplus::new);
    nan_stays("Identity", Identity::new);
    nan_stays("Dropout", || Dropout::new(0.5));
    nan_stays("LayerNorm", || LayerNorm::new(1e-5));
    nan_stays("BatchNorm (eval)", || {
        let mut bn = BatchNorm::new(1e-5, 0.1);
        bn.set_mode(Mode::Eval);
        bn
    });
    // LeakyRelu's gradient is NaN where x is.
    let mut l = LeakyRelu::<f64, 2>::new(0.1);
    let x = batch_from_rows(&[[f64::NAN, -1.0]]);
    l.forward(x.as_view());
    let dx = l.backward(x.as_view(), batch_from_rows(&[[1.0, 1.0]]).as_view());
    assert!(dx[(0, 0)].is_nan() && dx[(1, 0)] == 0.1);
    // Softplus: ±∞ give NaN too (not the limits), as the other activations.
    let mut s = Softplus::<f64, 2>::new();
    let y = s.forward(batch_from_rows(&[[f64::INFINITY, f64::NEG_INFINITY]]).as_view());
    assert!(y.iter().all(|v| v.is_nan()), "{y}");
}
