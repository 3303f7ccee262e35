use nn::network;

// A user layer's `Layer::PARAMS` is only known to the compiler: if the network's sum
// overflows, const evaluation fails with the numbers and the network's `PARAMS`.
mod layers {
    use nn::{BatchBuf, BatchMut, BatchRef, Float, Layer};

    /// A layer that claims `usize::MAX` parameters.
    pub struct Huge<T, const D: usize> {
        y: BatchBuf<T, D>,
    }

    impl<T: Float, const D: usize> Huge<T, D> {
        pub fn new() -> Self {
            Self { y: BatchBuf::new() }
        }
    }

    impl<T: Float, const D: usize> Layer<T, D, D> for Huge<T, D> {
        const PARAMS: usize = usize::MAX;
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

network! {
    pub struct Net {
        input: 2,
        a: Affine(3),
        huge: crate::layers::Huge,
    }
}

const _: usize = Net::PARAMS;

fn main() {}
