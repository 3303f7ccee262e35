//! The gradient checker itself: a correct layer passes, a wrong gradient is found and
//! located, sampling limits the checked entries, and a `PARAMS` that disagrees with
//! `visit_params` is reported.

use nn_core::gradcheck::{check_layer, random_batch, GradCheck};
use nn_core::rand::SeedableRng;
use nn_core::rand_chacha::ChaCha8Rng;
use nn_core::{Affine, Batch, BatchBuf, BatchMut, BatchRef, Init, InitScheme, Layer, Param};

/// An Affine-like layer whose weight gradient is deliberately off by 1 % in one entry.
struct Broken {
    inner: Affine<f64, 3, 2>,
    dx: BatchBuf<f64, 3>,
}

impl Layer<f64, 3, 2> for Broken {
    const PARAMS: usize = 8;
    fn forward(&mut self, x: BatchRef<'_, f64, 3>) -> BatchRef<'_, f64, 2> {
        self.inner.forward(x)
    }
    fn backward(&mut self, x: BatchRef<'_, f64, 3>, dout: BatchRef<'_, f64, 2>) -> BatchRef<'_, f64, 3> {
        self.dx.copy_from(self.inner.backward(x, dout));
        self.inner.dw[(1, 2)] *= 1.01;
        self.dx.view()
    }
    fn output(&self) -> BatchRef<'_, f64, 2> {
        self.inner.output()
    }
    fn infer(&self, x: BatchRef<'_, f64, 3>, out: BatchMut<'_, f64, 2>) {
        self.inner.infer(x, out)
    }
    fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, f64>)) {
        self.inner.visit_params(f)
    }
}

fn affine() -> Affine<f64, 3, 2> {
    let mut a = Affine::<f64, 3, 2>::new();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    a.init_params(&mut Init::new(&mut rng, InitScheme::Xavier));
    a.b.copy_from_slice(&[0.3, -0.2]);
    a
}

#[test]
fn correct_layer_passes() {
    let x: Batch<f64, 3> = random_batch(4, -1.0, 1.0, 5);
    let r = check_layer(&mut affine(), x.as_view());
    r.assert_ok();
    assert_eq!(r.tensors.len(), 3);
    assert_eq!(r.checked(), 12 + 6 + 2);
}

#[test]
fn wrong_gradient_is_found_and_located() {
    let x: Batch<f64, 3> = random_batch(4, -1.0, 1.0, 5);
    let r = check_layer(
        &mut Broken {
            inner: affine(),
            dx: BatchBuf::new(),
        },
        x.as_view(),
    );
    assert!(!r.passed());
    let (t, e) = r.worst().unwrap();
    assert_eq!(t.name, "w");
    assert_eq!(e.index, 2 * 2 + 1); // (1, 2) in a column-major 2 × 3 matrix
    assert!((e.error - 0.01 / 1.01).abs() < 1e-6, "{r}");
    let msg = std::panic::catch_unwind(|| r.assert_ok()).unwrap_err();
    let msg = msg.downcast_ref::<String>().unwrap();
    assert!(msg.contains("FAILED") && msg.contains("too large"), "{msg}");
}

#[test]
fn sampling_limits_entries() {
    let x: Batch<f64, 3> = random_batch(40, -1.0, 1.0, 5);
    let r = GradCheck::new().sample(7).layer(&mut affine(), x.as_view());
    r.assert_ok();
    assert_eq!(r.tensors.iter().map(|t| t.checked).collect::<Vec<_>>(), [7, 6, 2]);
}

#[test]
fn params_mismatch_is_a_problem() {
    struct Lies(Affine<f64, 3, 2>, BatchBuf<f64, 3>);
    impl Layer<f64, 3, 2> for Lies {
        const PARAMS: usize = 6;
        fn forward(&mut self, x: BatchRef<'_, f64, 3>) -> BatchRef<'_, f64, 2> {
            self.0.forward(x)
        }
        fn backward(&mut self, x: BatchRef<'_, f64, 3>, d: BatchRef<'_, f64, 2>) -> BatchRef<'_, f64, 3> {
            self.1.copy_from(self.0.backward(x, d));
            self.1.view()
        }
        fn output(&self) -> BatchRef<'_, f64, 2> {
            self.0.output()
        }
        fn infer(&self, x: BatchRef<'_, f64, 3>, out: BatchMut<'_, f64, 2>) {
            self.0.infer(x, out)
        }
        fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, f64>)) {
            self.0.visit_params(f)
        }
    }
    let x: Batch<f64, 3> = random_batch(2, -1.0, 1.0, 5);
    let r = check_layer(&mut Lies(affine(), BatchBuf::new()), x.as_view());
    assert!(r.max_error() < 1e-6);
    assert!(!r.passed());
    assert!(r.problems[0].contains("Layer::PARAMS is 6"), "{r}");
}
