use nn::network;

mod layers {
    use nn::{BatchBuf, BatchMut, BatchRef, Float, Layer};

    /// Keeps the width: declared with one width parameter.
    pub struct Identity<T, const D: usize> {
        y: BatchBuf<T, D>,
    }

    impl<T: Float, const D: usize> Identity<T, D> {
        pub fn new() -> Self {
            Self { y: BatchBuf::new() }
        }
    }

    impl<T: Float, const D: usize> Layer<T, D, D> for Identity<T, D> {
        fn forward(&mut self, x: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
            self.y.copy_from(x);
            self.y.view()
        }
        fn backward(&mut self, _x: BatchRef<'_, T, D>, dout: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
            self.y.copy_from(dout);
            self.y.view()
        }
        fn output(&self) -> BatchRef<'_, T, D> {
            self.y.view()
        }
        fn infer(&self, x: BatchRef<'_, T, D>, mut out: BatchMut<'_, T, D>) {
            out.copy_from(&x);
        }
    }
}

// `-> 16` asks for `Identity<T, 10, 16>`, but `Identity` keeps the width.
network! {
    pub struct Net {
        input: 2,
        affine1: Affine(10),
        same: crate::layers::Identity -> 16,
        affine2: Affine(3),
    }
}

fn main() {}
