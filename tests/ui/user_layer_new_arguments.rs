use nn::network;

mod layers {
    use nn::{BatchBuf, BatchMut, BatchRef, Float, Layer};

    /// `y = max(x, αx)`: `new` takes the slope as `T`.
    pub struct Leaky<T, const D: usize> {
        alpha: T,
        y: BatchBuf<T, D>,
    }

    impl<T: Float, const D: usize> Leaky<T, D> {
        pub fn new(alpha: T) -> Self {
            Self { alpha, y: BatchBuf::new() }
        }
    }

    impl<T: Float, const D: usize> Layer<T, D, D> for Leaky<T, D> {
        fn forward(&mut self, x: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
            self.y.copy_from(x);
            self.y.view()
        }
        fn backward(&mut self, _x: BatchRef<'_, T, D>, dout: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
            let _ = self.alpha;
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

// `Leaky::new` takes one argument: `0.01` alone would reach it as `T`; two do not fit.
network! {
    pub struct Net {
        input: 2,
        fc: Affine(4),
        leaky: crate::layers::Leaky(0.01, 0.5),
        out: Affine(3),
    }
}

fn main() {}
