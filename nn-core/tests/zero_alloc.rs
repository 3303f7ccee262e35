//! Zero heap allocations in a steady training step: after the first step at the largest
//! batch size, forward + backward + optimizer update of hand-composed stacks allocate
//! nothing, and neither does a following shorter batch (buffers grow to the largest batch
//! and are reused).
//!
//! Counted per thread by `nn_core::alloc_counter::CountingAllocator`, so tests running
//! concurrently on other threads do not disturb the count.

use nn_core::alloc_counter::count_allocations;
use nn_core::gradcheck::random_batch;
use nn_core::rand::SeedableRng;
use nn_core::rand_chacha::ChaCha8Rng;
use nn_core::FusedLinear; // the first layers below skip their dx, as generated code does
use nn_core::{
    batch_view, optim, Adam, Affine, Batch, BatchNorm, BatchRef, Dropout, Gelu, GeluTanh, Identity, Init, InitScheme,
    Labels, Layer, LayerNorm, LeakyRelu, LossLayer, MatMul, MeanSquaredError, Mode, Optimizer, Relu, Sgd, Sigmoid,
    SigmoidWithLoss, Softmax, SoftmaxWithLoss, Softplus, Tanh,
};

/// The first `n` samples of `x`, as a batch view (no copy).
fn first<const D: usize>(x: &Batch<f32, D>, n: usize) -> BatchRef<'_, f32, D> {
    batch_view(&x.as_slice()[..D * n])
}

/// Runs `step(30)` once (it may allocate: buffers, optimizer state, GEMM workspace), then
/// asserts that further steps at 30, at shorter batches and at 30 again allocate nothing.
/// Returns the warm-up's allocation count.
fn assert_steady(name: &str, step: impl FnMut(usize) -> f32) -> u64 {
    assert_steady_at(name, &[30, 10, 30, 1, 29, 30], step)
}

/// [`assert_steady`] with these batch sizes after the warm-up at 30.
fn assert_steady_at(name: &str, sizes: &[usize], mut step: impl FnMut(usize) -> f32) -> u64 {
    let (loss, warmup) = count_allocations(|| step(30));
    assert!(loss.is_finite(), "{name}: warm-up loss {loss}");
    for &n in sizes {
        let (loss, allocs) = count_allocations(|| step(n));
        assert!(loss.is_finite(), "{name}: loss {loss} at batch {n}");
        assert_eq!(
            allocs, 0,
            "{name}: a step at batch {n} allocated {allocs} times after warm-up"
        );
    }
    warmup
}

fn init() -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(42)
}

/// The book's chapter-1 network, composed by hand: Affine(2→10) → Sigmoid → Affine(10→3)
/// → SoftmaxWithLoss, f32.
struct Ch1 {
    a1: Affine<f32, 2, 10>,
    sig: Sigmoid<f32, 10>,
    a2: Affine<f32, 10, 3>,
    loss: SoftmaxWithLoss<f32, 3>,
}

impl Ch1 {
    fn new() -> Self {
        let mut rng = init();
        let mut init = Init::new(&mut rng, InitScheme::Book);
        let mut net = Ch1 {
            a1: Affine::new(),
            sig: Sigmoid::new(),
            a2: Affine::new(),
            loss: SoftmaxWithLoss::new(),
        };
        net.a1.init_params(&mut init);
        net.a2.init_params(&mut init);
        net
    }

    fn step<O: Optimizer<f32>>(&mut self, x: BatchRef<'_, f32, 2>, t: Labels<'_, f32, 3>, opt: &mut O) -> f32 {
        let h = self.a1.forward(x);
        let z = self.sig.forward(h);
        let s = self.a2.forward(z);
        let loss = self.loss.forward(s, t);
        let ds = self.loss.backward();
        let dz = self.a2.backward(self.sig.output(), ds);
        let dh = self.sig.backward(self.a1.output(), dz);
        self.a1.backward_params(x, dh);
        optim::apply(opt, |f| {
            self.a1.visit_params(f);
            self.a2.visit_params(f);
        });
        loss
    }
}

#[test]
fn chapter1_stack_with_sgd() {
    let x: Batch<f32, 2> = random_batch(30, -1.0, 1.0, 1);
    let t: Vec<usize> = (0..30).map(|i| i % 3).collect();
    let mut net = Ch1::new();
    let mut sgd = Sgd::new(1.0);
    let warmup = assert_steady("chapter 1 / index labels", |n| {
        net.step(first(&x, n), Labels::Classes(&t[..n]), &mut sgd)
    });
    // The counter sees the warm-up's buffers: the zero counts above are not vacuous.
    assert!(warmup > 0, "the warm-up allocated nothing: is the counter counting?");

    let one_hot = Batch::<f32, 3>::from_fn(30, |d, i| if t[i] == d { 1.0 } else { 0.0 });
    assert_steady("chapter 1 / one-hot labels", |n| {
        net.step(first(&x, n), Labels::OneHot(first(&one_hot, n)), &mut sgd)
    });
}

#[test]
fn chapter1_stack_with_adam() {
    let x: Batch<f32, 2> = random_batch(30, -1.0, 1.0, 2);
    let t: Vec<usize> = (0..30).map(|i| (i * 7) % 3).collect();
    let mut net = Ch1::new();
    let mut adam = Adam::with_lr(0.01);
    assert_steady("chapter 1 / Adam", |n| {
        net.step(first(&x, n), Labels::Classes(&t[..n]), &mut adam)
    });
}

#[test]
fn relu_tanh_mse_stack() {
    // MatMul(4→16) → Relu → Affine(16→16) → Tanh → Affine(16→2) → MeanSquaredError.
    let mut mm = MatMul::<f32, 4, 16>::new();
    let mut relu = Relu::<f32, 16>::new();
    let mut a2 = Affine::<f32, 16, 16>::new();
    let mut tanh = Tanh::<f32, 16>::new();
    let mut a3 = Affine::<f32, 16, 2>::new();
    let mut mse = MeanSquaredError::<f32, 2>::new();
    let mut rng = init();
    let mut init = Init::new(&mut rng, InitScheme::He);
    mm.init_params(&mut init);
    a2.init_params(&mut init);
    a3.init_params(&mut init);
    let x: Batch<f32, 4> = random_batch(30, -1.0, 1.0, 3);
    let y: Batch<f32, 2> = random_batch(30, -1.0, 1.0, 4);
    let mut sgd = Sgd::new(0.05);
    assert_steady("relu/tanh/mse", |n| {
        let x = first(&x, n);
        let h1 = mm.forward(x);
        let r = relu.forward(h1);
        let h2 = a2.forward(r);
        let z = tanh.forward(h2);
        let s = a3.forward(z);
        let loss = mse.forward(s, first(&y, n));
        let ds = mse.backward();
        let dz = a3.backward(tanh.output(), ds);
        let dh2 = tanh.backward(a2.output(), dz);
        let dr = a2.backward(relu.output(), dh2);
        let dh1 = relu.backward(mm.output(), dr);
        mm.backward_params(x, dh1);
        optim::apply(&mut sgd, |f| {
            mm.visit_params(f);
            a2.visit_params(f);
            a3.visit_params(f);
        });
        loss
    });
}

#[test]
fn sigmoid_with_loss_stacks() {
    // Binary: Affine(3→8) → Tanh → Affine(8→1) → SigmoidWithLoss with class labels.
    let mut a1 = Affine::<f32, 3, 8>::new();
    let mut tanh = Tanh::<f32, 8>::new();
    let mut a2 = Affine::<f32, 8, 1>::new();
    let mut loss = SigmoidWithLoss::<f32, 1>::new();
    let mut rng = init();
    let mut init = Init::new(&mut rng, InitScheme::Xavier);
    a1.init_params(&mut init);
    a2.init_params(&mut init);
    let x: Batch<f32, 3> = random_batch(30, -1.0, 1.0, 5);
    let t: Vec<usize> = (0..30).map(|i| (i / 2) % 2).collect();
    let mut sgd = Sgd::new(0.1);
    assert_steady("sigmoid-with-loss / binary", |n| {
        let x = first(&x, n);
        let h = a1.forward(x);
        let z = tanh.forward(h);
        let s = a2.forward(z);
        let l = loss.forward(s, Labels::Classes(&t[..n]));
        let ds = loss.backward();
        let dz = a2.backward(tanh.output(), ds);
        let dh = tanh.backward(a1.output(), dz);
        a1.backward_params(x, dh);
        optim::apply(&mut sgd, |f| {
            a1.visit_params(f);
            a2.visit_params(f);
        });
        l
    });

    // Multi-label: Affine(3→4) → Softmax → Affine(4→4) → SigmoidWithLoss with 0/1 targets.
    let mut b1 = Affine::<f32, 3, 4>::new();
    let mut soft = Softmax::<f32, 4>::new();
    let mut b2 = Affine::<f32, 4, 4>::new();
    let mut multi = SigmoidWithLoss::<f32, 4>::new();
    b1.init_params(&mut init);
    b2.init_params(&mut init);
    let targets = Batch::<f32, 4>::from_fn(30, |d, i| ((i + d) % 2) as f32);
    assert_steady("sigmoid-with-loss / multi-label", |n| {
        let x = first(&x, n);
        let h = b1.forward(x);
        let p = soft.forward(h);
        let s = b2.forward(p);
        let l = multi.forward(s, Labels::OneHot(first(&targets, n)));
        let ds = multi.backward();
        let dp = b2.backward(soft.output(), ds);
        let dh = soft.backward(b1.output(), dp);
        b1.backward_params(x, dh);
        optim::apply(&mut sgd, |f| {
            b1.visit_params(f);
            b2.visit_params(f);
        });
        l
    });
}

#[test]
fn inference_into_caller_buffers_allocates_nothing() {
    let net = Ch1::new();
    let x: Batch<f32, 2> = random_batch(30, -1.0, 1.0, 6);
    let mut h = Batch::<f32, 10>::zeros(30);
    let mut z = Batch::<f32, 10>::zeros(30);
    let mut s = Batch::<f32, 3>::zeros(30);
    // Warm-up (a GEMM may set up a per-thread workspace once).
    net.a1.infer(x.as_view(), h.as_view_mut());
    let ((), allocs) = count_allocations(|| {
        net.a1.infer(x.as_view(), h.as_view_mut());
        net.sig.infer(h.as_view(), z.as_view_mut());
        net.a2.infer(z.as_view(), s.as_view_mut());
    });
    assert_eq!(allocs, 0);
    assert!(s.iter().all(|v| v.is_finite()));
}

/// Affine(4→8) → `layer` → Affine(8→3) → SoftmaxWithLoss with Adam (the layer's parameters
/// updated too): steady steps allocate nothing in `mode`, at `sizes`; then `infer` of the
/// layer into a caller's buffer allocates nothing either.
fn layer_stack<L: Layer<f32, 8, 8>>(name: &str, mut layer: L, mode: Mode, sizes: &[usize]) {
    let mut a1 = Affine::<f32, 4, 8>::new();
    let mut a2 = Affine::<f32, 8, 3>::new();
    let mut loss = SoftmaxWithLoss::<f32, 3>::new();
    let mut rng = init();
    let mut init = Init::new(&mut rng, InitScheme::Xavier);
    a1.init_params(&mut init);
    layer.init_params(&mut init);
    a2.init_params(&mut init);
    layer.set_mode(mode);
    let x: Batch<f32, 4> = random_batch(30, -1.0, 1.0, 7);
    let t: Vec<usize> = (0..30).map(|i| (i * 5) % 3).collect();
    let mut adam = Adam::with_lr(0.01);
    let warmup = assert_steady_at(&format!("{name} ({mode:?})"), sizes, |n| {
        let x = first(&x, n);
        let h = a1.forward(x);
        let z = layer.forward(h);
        let s = a2.forward(z);
        let l = loss.forward(s, Labels::Classes(&t[..n]));
        let ds = loss.backward();
        let dz = a2.backward(layer.output(), ds);
        let dh = layer.backward(a1.output(), dz);
        a1.backward_params(x, dh);
        optim::apply(&mut adam, |f| {
            a1.visit_params(f);
            layer.visit_params(f);
            a2.visit_params(f);
        });
        l
    });
    assert!(
        warmup > 0,
        "{name}: the warm-up allocated nothing: is the counter counting?"
    );
    let h: Batch<f32, 8> = random_batch(30, -1.0, 1.0, 8);
    let mut out = Batch::<f32, 8>::zeros(30);
    let ((), allocs) = count_allocations(|| layer.infer(h.as_view(), out.as_view_mut()));
    assert_eq!(allocs, 0, "{name}: infer allocated {allocs} times");
    // Switching modes allocates nothing.
    let ((), allocs) = count_allocations(|| {
        layer.set_mode(Mode::Eval);
        layer.set_mode(mode);
        layer.reseed(3);
    });
    assert_eq!(allocs, 0, "{name}: set_mode / reseed allocated {allocs} times");
}

/// Batch sizes for layers that take one sample.
const SIZES: [usize; 6] = [30, 10, 30, 1, 29, 30];

#[test]
fn new_layers_allocate_nothing_per_step() {
    layer_stack("Dropout", Dropout::new(0.3), Mode::Train, &SIZES);
    layer_stack("Dropout", Dropout::new(0.3), Mode::Eval, &SIZES);
    // Training BatchNorm needs two samples per batch.
    layer_stack(
        "BatchNorm",
        BatchNorm::new(1e-5, 0.1),
        Mode::Train,
        &[30, 10, 30, 2, 29, 30],
    );
    layer_stack("BatchNorm", BatchNorm::new(1e-5, 0.1), Mode::Eval, &SIZES);
    layer_stack("LayerNorm", LayerNorm::new(1e-5), Mode::Train, &SIZES);
    layer_stack("LeakyRelu", LeakyRelu::new(0.01), Mode::Train, &SIZES);
    layer_stack("Gelu", Gelu::new(), Mode::Train, &SIZES);
    layer_stack("GeluTanh", GeluTanh::new(), Mode::Train, &SIZES);
    layer_stack("Softplus", Softplus::new(), Mode::Train, &SIZES);
    layer_stack("Identity", Identity::new(), Mode::Train, &SIZES);
}
