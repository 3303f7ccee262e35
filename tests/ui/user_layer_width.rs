use nn::network;

mod layers {
    use nn::{BatchBuf, BatchMut, BatchRef, Float, Layer};

    /// A layer that only works on 12 features.
    pub struct Fixed12<T, const D: usize> {
        y: BatchBuf<T, D>,
    }

    impl<T: Float, const D: usize> Fixed12<T, D> {
        pub fn new() -> Self {
            Self { y: BatchBuf::new() }
        }
    }

    impl<T: Float> Layer<T, 12, 12> for Fixed12<T, 12> {
        fn forward(&mut self, x: BatchRef<'_, T, 12>) -> BatchRef<'_, T, 12> {
            self.y.copy_from(x);
            self.y.view()
        }
        fn backward(&mut self, _x: BatchRef<'_, T, 12>, dout: BatchRef<'_, T, 12>) -> BatchRef<'_, T, 12> {
            self.y.copy_from(dout);
            self.y.view()
        }
        fn output(&self) -> BatchRef<'_, T, 12> {
            self.y.view()
        }
        fn infer(&self, x: BatchRef<'_, T, 12>, mut out: BatchMut<'_, T, 12>) {
            out.copy_from(&x);
        }
    }
}

network! {
    pub struct Net {
        input: 2,
        affine1: Affine(10),
        fixed: crate::layers::Fixed12,
        affine2: Affine(3),
        loss: SoftmaxWithLoss,
    }
}

fn main() {}
