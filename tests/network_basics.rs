use nn::network;
use nn::rand::SeedableRng;
use nn::rand_chacha::ChaCha8Rng;

network! {
    /// The book's chapter-1 network.
    #[derive(Clone, Debug)]
    pub struct TwoLayerNet {
        input: 2,
        affine1: Affine(10),
        sigmoid: Sigmoid,
        affine2: Affine(3),
        loss: SoftmaxWithLoss,
    }
}

#[test]
fn smoke() {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut net = TwoLayerNet::new(&mut rng);
    let x = nn::batch_from_rows(&[[0.1f32, 0.2], [0.3, -0.4]]);
    let labels = vec![0usize, 2];
    let l0 = net.forward(&x, &labels);
    net.backward();
    let mut sgd = nn::Sgd::new(1.0);
    for _ in 0..50 {
        net.train_step(&x, &labels, &mut sgd);
    }
    let l1 = net.forward(&x, &labels);
    assert!(l1 < l0, "{l0} {l1}");
    println!("{}", net.summary());
    let mut out = nn::Batch::<f32, 3>::zeros(2);
    net.predict_into(&x, out.as_view_mut());
    assert_eq!(out, net.predict(&x).into_owned());
}

mod layers {
    use nn::{BatchBuf, BatchMut, BatchRef, Float, Init, Layer, Param};

    /// y = a ⊙ x (one learned scale per feature).
    #[derive(Clone, Debug)]
    pub struct Scale<T, const D: usize> {
        pub a: Vec<T>,
        pub da: Vec<T>,
        y: BatchBuf<T, D>,
        dx: BatchBuf<T, D>,
    }
    impl<T: Float, const D: usize> Scale<T, D> {
        pub fn new(a0: f64) -> Self {
            Self {
                a: vec![T::cast(a0); D],
                da: vec![T::zero(); D],
                y: BatchBuf::new(),
                dx: BatchBuf::new(),
            }
        }
    }
    impl<T: Float, const D: usize> Layer<T, D, D> for Scale<T, D> {
        const PARAMS: usize = D;
        fn forward(&mut self, x: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
            self.y.resize(x.ncols());
            let a = &self.a;
            for (i, v) in self.y.as_mut_slice().iter_mut().enumerate() {
                *v = a[i % D] * x.as_slice()[i];
            }
            self.y.view()
        }
        fn backward(&mut self, x: BatchRef<'_, T, D>, dout: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
            self.dx.resize(x.ncols());
            self.da.iter_mut().for_each(|v| *v = T::zero());
            for i in 0..x.as_slice().len() {
                self.da[i % D] += dout.as_slice()[i] * x.as_slice()[i];
                self.dx.as_mut_slice()[i] = dout.as_slice()[i] * self.a[i % D];
            }
            self.dx.view()
        }
        fn output(&self) -> BatchRef<'_, T, D> {
            self.y.view()
        }
        fn infer(&self, x: BatchRef<'_, T, D>, mut out: BatchMut<'_, T, D>) {
            for (i, v) in out.as_mut_slice().iter_mut().enumerate() {
                *v = self.a[i % D] * x.as_slice()[i];
            }
        }
        fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, T>)) {
            f(Param::new("a", &mut self.a, &self.da));
        }
        fn init_params(&mut self, _init: &mut Init<'_>) {}
    }
}

network! {
    pub struct WithUser {
        input: 4,
        fc: Affine(6),
        scale: crate::layers::Scale(2.0),
        act: Relu,
        out: Affine(1),
        loss: MeanSquaredError,
    }
}

network! {
    struct Infer { input: 3, fc: Affine(2), act: Tanh }
}

#[test]
fn user_and_mse() {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut net = WithUser::new_f64(&mut rng);
    let x = nn::Batch::<f64, 4>::from_fn(5, |i, j| (i + j) as f64 * 0.1);
    let t = nn::Batch::<f64, 1>::from_fn(5, |_, j| j as f64 * 0.1);
    let l = net.forward(&x, &t);
    net.backward();
    assert!(l.is_finite());
    assert_eq!(WithUser::<f64>::PARAMS, 4 * 6 + 6 + 6 + 7);
    assert_eq!(net.param_count(), WithUser::<f64>::PARAMS);
    let mut inf = Infer::new(&mut rng);
    let x3 = nn::Batch::<f32, 3>::zeros(2);
    assert_eq!(inf.predict(&x3).shape(), (2, 2));
}
