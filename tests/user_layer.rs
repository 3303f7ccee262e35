//! Layers written outside nn (here, in this test file, using only the `nn` facade) work
//! everywhere a built-in layer does: the public gradient checker, hand-composed stacks,
//! optimizers through `optim::apply`, f32 and f64, and zero-allocation steady steps.
//!
//! - `Swish<T, D>`: `y = x·σ(x)`; `dx = dout ⊙ (σ(x) + y ⊙ (1 − σ(x)))`.
//! - `Scale<T, D>`: `y = a·x` with one learnable scalar `a`; `dx = a·dout`,
//!   `da = Σ dout ⊙ x` (over features and samples).
//!
//! Both follow the contract `network!` expects of a user layer (`Path::<T, D>::new(args)`
//! and `Layer<T, D, D>` for every float type), so they can be named in the macro too.

use nn::alloc_counter::count_allocations;
use nn::gradcheck::{self, check_layer, GradCheck};
use nn::rand::{Rng, SeedableRng};
use nn::rand_chacha::ChaCha8Rng;
use nn::{
    batch_view, optim, Adam, Affine, Batch, BatchRef, Float, Init, InitScheme, Labels, Layer, LossLayer, Optimizer,
    Sgd, SoftmaxWithLoss,
};

mod user {
    use nn::{BatchBuf, BatchMut, BatchRef, Float, Init, Layer, Param};

    /// Swish (Ramachandran et al. 2017), elementwise `y = x·σ(x)`. Keeps `σ(x)` and `y`.
    #[derive(Clone, Debug, Default)]
    pub struct Swish<T, const D: usize> {
        sig: BatchBuf<T, D>,
        y: BatchBuf<T, D>,
        dx: BatchBuf<T, D>,
    }

    impl<T: Float, const D: usize> Swish<T, D> {
        pub fn new() -> Self {
            Self {
                sig: BatchBuf::new(),
                y: BatchBuf::new(),
                dx: BatchBuf::new(),
            }
        }
    }

    fn swish<T: Float>(x: &[T], sig: &mut [T], y: &mut [T]) {
        T::sigmoid_slice(x, sig);
        for ((y, &s), &x) in y.iter_mut().zip(sig.iter()).zip(x) {
            *y = x * s;
        }
    }

    impl<T: Float, const D: usize> Layer<T, D, D> for Swish<T, D> {
        fn forward(&mut self, x: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
            self.sig.resize(x.ncols());
            self.y.resize(x.ncols());
            swish(x.as_slice(), self.sig.as_mut_slice(), self.y.as_mut_slice());
            self.y.view()
        }

        fn backward(&mut self, _x: BatchRef<'_, T, D>, dout: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
            assert_eq!(dout.ncols(), self.y.ncols(), "Swish::backward: dout of another batch");
            self.dx.resize(dout.ncols());
            for (((dx, &d), &s), &y) in self
                .dx
                .as_mut_slice()
                .iter_mut()
                .zip(dout.as_slice())
                .zip(self.sig.as_slice())
                .zip(self.y.as_slice())
            {
                *dx = d * (s + y * (T::one() - s));
            }
            self.dx.view()
        }

        fn output(&self) -> BatchRef<'_, T, D> {
            self.y.view()
        }

        fn infer(&self, x: BatchRef<'_, T, D>, mut out: BatchMut<'_, T, D>) {
            // σ(x) into `out`, then y = x·σ(x) in place: no scratch buffer needed.
            T::sigmoid_slice(x.as_slice(), out.as_mut_slice());
            for (y, &x) in out.as_mut_slice().iter_mut().zip(x.as_slice()) {
                *y *= x;
            }
        }
    }

    /// `y = a·x` with one learnable scalar `a` (starts at the constructor's value; kept by
    /// `init_params`, like a bias).
    #[derive(Clone, Debug)]
    pub struct Scale<T, const D: usize> {
        pub a: T,
        pub da: T,
        y: BatchBuf<T, D>,
        dx: BatchBuf<T, D>,
    }

    impl<T: Float, const D: usize> Scale<T, D> {
        pub fn new(a: f64) -> Self {
            Self {
                a: T::cast(a),
                da: T::zero(),
                y: BatchBuf::new(),
                dx: BatchBuf::new(),
            }
        }
    }

    impl<T: Float, const D: usize> Layer<T, D, D> for Scale<T, D> {
        const PARAMS: usize = 1;

        fn forward(&mut self, x: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
            self.y.resize(x.ncols());
            let a = self.a;
            for (y, &x) in self.y.as_mut_slice().iter_mut().zip(x.as_slice()) {
                *y = a * x;
            }
            self.y.view()
        }

        fn backward(&mut self, x: BatchRef<'_, T, D>, dout: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
            assert_eq!(
                x.ncols(),
                dout.ncols(),
                "Scale::backward: x and dout differ in batch size"
            );
            self.da = x.as_slice().iter().zip(dout.as_slice()).map(|(&x, &d)| x * d).sum();
            self.dx.resize(dout.ncols());
            let a = self.a;
            for (dx, &d) in self.dx.as_mut_slice().iter_mut().zip(dout.as_slice()) {
                *dx = a * d;
            }
            self.dx.view()
        }

        fn output(&self) -> BatchRef<'_, T, D> {
            self.y.view()
        }

        fn infer(&self, x: BatchRef<'_, T, D>, mut out: BatchMut<'_, T, D>) {
            for (y, &x) in out.as_mut_slice().iter_mut().zip(x.as_slice()) {
                *y = self.a * x;
            }
        }

        fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, T>)) {
            f(Param::new(
                "a",
                core::slice::from_mut(&mut self.a),
                core::slice::from_ref(&self.da),
            ));
        }

        fn init_params(&mut self, _init: &mut Init<'_>) {}
    }
}

use user::{Scale, Swish};

#[test]
fn gradient_check_of_user_layers() {
    fn run<const D: usize>(seed: u64) {
        for (i, n) in [1, 3, 16].into_iter().enumerate() {
            let x: Batch<f64, D> = gradcheck::random_batch(n, -4.0, 4.0, seed + i as u64);
            check_layer(&mut Swish::<f64, D>::new(), x.as_view()).assert_ok();
            let r = check_layer(&mut Scale::<f64, D>::new(-0.7), x.as_view());
            r.assert_ok();
            assert_eq!(r.tensors[1].name, "a", "the scalar parameter is checked");
        }
    }
    run::<1>(1);
    run::<5>(2);
    run::<12>(3);
}

#[test]
fn the_checker_catches_a_wrong_user_gradient() {
    /// Swish with the classic mistake: dx = dout ⊙ σ(x) (forgets the product rule).
    struct BadSwish(Swish<f64, 4>, nn::BatchBuf<f64, 4>);
    impl Layer<f64, 4, 4> for BadSwish {
        fn forward(&mut self, x: BatchRef<'_, f64, 4>) -> BatchRef<'_, f64, 4> {
            self.0.forward(x)
        }
        fn backward(&mut self, x: BatchRef<'_, f64, 4>, dout: BatchRef<'_, f64, 4>) -> BatchRef<'_, f64, 4> {
            self.1.resize(x.ncols());
            for ((dx, &x), &d) in self.1.as_mut_slice().iter_mut().zip(x.as_slice()).zip(dout.as_slice()) {
                *dx = d / (1.0 + (-x).exp());
            }
            self.1.view()
        }
        fn output(&self) -> BatchRef<'_, f64, 4> {
            self.0.output()
        }
        fn infer(&self, x: BatchRef<'_, f64, 4>, out: nn::BatchMut<'_, f64, 4>) {
            self.0.infer(x, out)
        }
    }
    let x: Batch<f64, 4> = gradcheck::random_batch(3, -2.0, 2.0, 5);
    let r = check_layer(&mut BadSwish(Swish::new(), nn::BatchBuf::new()), x.as_view());
    assert!(!r.passed() && r.max_error() > 1e-2, "{r}");
}

/// Three Gaussian blobs in the plane, `n` per class: (x, labels).
fn blobs<T: Float>(n: usize, seed: u64) -> (Batch<T, 2>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut labels = Vec::with_capacity(3 * n);
    let mut x = Batch::<T, 2>::zeros(3 * n);
    for i in 0..3 * n {
        let c = i % 3;
        let angle = 2.0 * std::f64::consts::PI * c as f64 / 3.0;
        x[(0, i)] = T::cast(2.0 * angle.cos() + rng.random_range(-0.8..0.8));
        x[(1, i)] = T::cast(2.0 * angle.sin() + rng.random_range(-0.8..0.8));
        labels.push(c);
    }
    (x, labels)
}

/// Affine(2→16) → Swish → Scale → Affine(16→3) → SoftmaxWithLoss, composed by hand.
struct Stack<T: Float> {
    a1: Affine<T, 2, 16>,
    swish: Swish<T, 16>,
    scale: Scale<T, 16>,
    a2: Affine<T, 16, 3>,
    loss: SoftmaxWithLoss<T, 3>,
}

impl<T: Float> Stack<T> {
    fn new(seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut init = Init::new(&mut rng, InitScheme::Xavier);
        let mut s = Stack {
            a1: Affine::new(),
            swish: Swish::new(),
            scale: Scale::new(0.5),
            a2: Affine::new(),
            loss: SoftmaxWithLoss::new(),
        };
        s.a1.init_params(&mut init);
        s.scale.init_params(&mut init);
        s.a2.init_params(&mut init);
        s
    }

    fn step<O: Optimizer<T>>(&mut self, x: BatchRef<'_, T, 2>, t: &[usize], opt: &mut O) -> T {
        let h = self.a1.forward(x);
        let z = self.swish.forward(h);
        let z2 = self.scale.forward(z);
        let s = self.a2.forward(z2);
        let loss = self.loss.forward(s, Labels::Classes(t));
        let ds = self.loss.backward();
        let dz2 = self.a2.backward(self.scale.output(), ds);
        let dz = self.scale.backward(self.swish.output(), dz2);
        let dh = self.swish.backward(self.a1.output(), dz);
        self.a1.backward(x, dh); // dx of the first layer is not needed
        optim::apply(opt, |f| {
            self.a1.visit_params(f);
            self.scale.visit_params(f);
            self.a2.visit_params(f);
        });
        loss
    }

    fn evaluate(&mut self, x: BatchRef<'_, T, 2>, t: &[usize]) -> (T, usize) {
        let h = self.a1.forward(x);
        let z = self.swish.forward(h);
        let z2 = self.scale.forward(z);
        let s = self.a2.forward(z2);
        let loss = self.loss.forward(s, Labels::Classes(t));
        (loss, self.loss.correct(self.a2.output(), Labels::Classes(t)).unwrap())
    }
}

fn train<T: Float, O: Optimizer<T>>(opt: &mut O, epochs: usize) -> (T, T, usize, Stack<T>, T) {
    let (x, t) = blobs::<T>(100, 11);
    let mut net = Stack::<T>::new(3);
    let a0 = net.scale.a;
    let (l0, _) = net.evaluate(x.as_view(), &t);
    for _ in 0..epochs {
        for start in (0..300).step_by(30) {
            let xb = batch_view(&x.as_slice()[2 * start..2 * (start + 30)]);
            net.step(xb, &t[start..start + 30], opt);
        }
    }
    let (l1, correct) = net.evaluate(x.as_view(), &t);
    eprintln!("loss {l0} -> {l1}, {correct}/300, a {a0} -> {}", net.scale.a);
    (l0, l1, correct, net, a0)
}

#[test]
fn trains_in_a_hand_composed_stack_with_sgd() {
    let (l0, l1, correct, net, a0) = train::<f32, _>(&mut Sgd::new(0.5), 60);
    assert!(l1 < 0.05 * l0, "loss {l0} → {l1}");
    assert!(correct >= 270, "{correct}/300 correct");
    assert!(
        net.scale.a != a0,
        "the user layer's parameter was trained ({a0} → {})",
        net.scale.a
    );
}

#[test]
fn trains_in_f64_with_adam() {
    let (l0, l1, correct, _, _) = train::<f64, _>(&mut Adam::with_lr(0.01), 30);
    assert!(l1 < 0.05 * l0, "loss {l0} → {l1}");
    assert!(correct >= 270, "{correct}/300 correct");
}

#[test]
fn the_sampled_checker_also_covers_the_stack_layers_in_place() {
    // The checker leaves each layer at the analytic point; run it on a trained stack's layers.
    let (_, _, _, net, _) = train::<f64, _>(&mut Sgd::new(0.5), 5);
    let (x, _) = blobs::<f64>(4, 2);
    let mut a1 = net.a1.clone();
    let h = a1.forward(x.as_view()).clone_owned();
    GradCheck::new().sample(20).layer(&mut a1, x.as_view()).assert_ok();
    GradCheck::new().layer(&mut net.swish.clone(), h.as_view()).assert_ok();
    GradCheck::new().layer(&mut net.scale.clone(), h.as_view()).assert_ok();
}

#[test]
fn a_steady_step_with_user_layers_allocates_nothing() {
    let (x, t) = blobs::<f32>(10, 1);
    let mut net = Stack::<f32>::new(1);
    let mut sgd = Sgd::new(0.1);
    net.step(x.as_view(), &t, &mut sgd);
    for n in [30, 10, 30] {
        let xb = batch_view(&x.as_slice()[..2 * n]);
        let (loss, allocs) = count_allocations(|| net.step(xb, &t[..n], &mut sgd));
        assert!(loss.is_finite());
        assert_eq!(allocs, 0, "batch {n}");
    }
}
