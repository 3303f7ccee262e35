//! `gradcheck::check_network` on a hand-written `Trainable` (what `network!` generates,
//! written out): it passes on correct gradients and finds a wrong one.

use nn_core::gradcheck::{self, GradCheck};
use nn_core::rand::SeedableRng;
use nn_core::rand_chacha::ChaCha8Rng;
use nn_core::{
    Affine, Batch, BatchBuf, BatchMut, BatchRef, Init, InitScheme, Input, Labels, Layer, LossLayer, Network, Optimizer,
    Param, SoftmaxWithLoss, Summary, Tanh, Trainable,
};

/// 4 → 6 (tanh) → 3, softmax cross-entropy. `bug` scales `affine1.b`'s gradient.
struct Net {
    affine1: Affine<f64, 4, 6>,
    tanh: Tanh<f64, 6>,
    affine2: Affine<f64, 6, 3>,
    loss: SoftmaxWithLoss<f64, 3>,
    x: Batch<f64, 4>,
    bug: f64,
}

impl Net {
    fn new(seed: u64, bug: f64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut init = Init::new(&mut rng, InitScheme::Xavier);
        let mut net = Net {
            affine1: Affine::new(),
            tanh: Tanh::new(),
            affine2: Affine::new(),
            loss: SoftmaxWithLoss::new(),
            x: Batch::zeros(0),
            bug,
        };
        net.affine1.init_params(&mut init);
        net.affine2.init_params(&mut init);
        // Non-zero biases so that their gradients are exercised at a generic point.
        for (i, b) in net.affine1.b.iter_mut().enumerate() {
            *b = 0.1 * i as f64 - 0.2;
        }
        net
    }
}

impl Network<f64, 4, 3> for Net {
    fn zeroed() -> Self {
        unimplemented!("not needed by the gradient checker")
    }
    fn with_init(_rng: &mut dyn nn_core::rand::RngCore, _scheme: nn_core::InitScheme) -> Self {
        unimplemented!("not needed by the gradient checker")
    }
    fn visit_ops(&self, _f: &mut dyn FnMut(&'static str, Option<nn_core::LayerOp<'_, f64>>)) {
        unimplemented!("not needed by the gradient checker")
    }
    fn prediction(&self) -> nn_core::Prediction {
        unimplemented!("not needed by the gradient checker")
    }
    fn predict(&mut self, x: BatchRef<'_, f64, 4>) -> BatchRef<'_, f64, 3> {
        let h = self.affine1.forward(x);
        let a = self.tanh.forward(h);
        self.affine2.forward(a)
    }
    fn predict_into(&self, _x: BatchRef<'_, f64, 4>, _out: BatchMut<'_, f64, 3>) {
        unimplemented!("not needed by the gradient checker")
    }
    fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, f64>)) {
        self.affine1.visit_params(&mut |p| f(p.in_layer("affine1")));
        self.affine2.visit_params(&mut |p| f(p.in_layer("affine2")));
    }
    fn param_count(&self) -> usize {
        <Affine<f64, 4, 6> as Layer<f64, 4, 6>>::PARAMS + <Affine<f64, 6, 3> as Layer<f64, 6, 3>>::PARAMS
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
}

impl Trainable<f64, 4, 3> for Net {
    type Loss = SoftmaxWithLoss<f64, 3>;
    fn forward(&mut self, x: BatchRef<'_, f64, 4>, t: Labels<'_, f64, 3>) -> f64 {
        self.x = x.clone_owned();
        let h = self.affine1.forward(x);
        let a = self.tanh.forward(h);
        let s = self.affine2.forward(a);
        self.loss.forward(s, t)
    }
    fn backward(&mut self) {
        let ds = self.loss.backward();
        let da = self.affine2.backward(self.tanh.output(), ds);
        let dh = self.tanh.backward(self.affine1.output(), da);
        let _ = self.affine1.backward(self.x.as_view(), dh);
        *self.affine1.db *= self.bug;
    }
    fn train_step<O: Optimizer<f64> + ?Sized>(
        &mut self,
        x: Input<'_, f64, 4>,
        t: Labels<'_, f64, 3>,
        opt: &mut O,
    ) -> f64 {
        let mut buf = BatchBuf::new();
        let l = self.forward(x.to_batch(&mut buf), t);
        self.backward();
        nn_core::optim::apply(opt, |f| Network::visit_params(self, f));
        l
    }
    fn evaluate(&mut self, x: BatchRef<'_, f64, 4>, t: Labels<'_, f64, 3>) -> (f64, Option<usize>) {
        let l = self.forward(x, t);
        (l, self.loss.correct(self.affine2.output(), t))
    }
}

#[test]
fn correct_network_passes_for_several_batch_sizes() {
    for (n, seed) in [(1, 1), (5, 2), (17, 3)] {
        let mut net = Net::new(seed, 1.0);
        let x: Batch<f64, 4> = gradcheck::random_batch(n, -2.0, 2.0, seed + 10);
        let labels: Vec<usize> = (0..n).map(|i| (i * 7 + seed as usize) % 3).collect();
        let r = gradcheck::check_network(&mut net, x.as_view(), Labels::Classes(&labels));
        eprintln!("{r}");
        r.assert_ok();
        assert_eq!(r.checked(), 4 * 6 + 6 + 6 * 3 + 3);
        assert_eq!(
            r.tensors.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            ["affine1.w", "affine1.b", "affine2.w", "affine2.b"]
        );
    }
}

#[test]
fn sampled_network_check_checks_at_most_k_per_tensor() {
    let mut net = Net::new(4, 1.0);
    let x: Batch<f64, 4> = gradcheck::random_batch(8, -2.0, 2.0, 9);
    let labels = [0, 1, 2, 0, 1, 2, 2, 1];
    let r = GradCheck::new()
        .sample(5)
        .network(&mut net, x.as_view(), Labels::Classes(&labels));
    r.assert_ok();
    assert_eq!(r.tensors.iter().map(|t| t.checked).collect::<Vec<_>>(), [5, 5, 5, 3]);
}

#[test]
fn wrong_network_gradient_is_reported() {
    let mut net = Net::new(5, 1.001);
    let x: Batch<f64, 4> = gradcheck::random_batch(6, -2.0, 2.0, 11);
    let labels = [2, 1, 0, 0, 1, 2];
    let r = gradcheck::check_network(&mut net, x.as_view(), Labels::Classes(&labels));
    assert!(!r.passed(), "{r}");
    assert_eq!(r.worst().unwrap().0.name, "affine1.b");
    assert!(
        r.tensors[0].max_error() < 1e-6 && r.tensors[2].max_error() < 1e-6,
        "{r}"
    );
}

#[test]
fn parameters_are_restored_bit_for_bit() {
    let mut net = Net::new(6, 1.0);
    let mut before = Vec::new();
    Network::visit_params(&mut net, &mut |p| before.extend_from_slice(p.value));
    let x: Batch<f64, 4> = gradcheck::random_batch(3, -2.0, 2.0, 12);
    gradcheck::check_network(&mut net, x.as_view(), Labels::Classes(&[0, 1, 2])).assert_ok();
    let mut after = Vec::new();
    Network::visit_params(&mut net, &mut |p| after.extend_from_slice(p.value));
    assert_eq!(before, after);
}
