//! A hand-written chapter-1 network (what `network!` generates, written out by hand), used
//! by nn-core's doc examples and tests, which cannot use the macro. Not a public API.

use rand::RngCore;

const H: usize = 10;

use crate::{
    Affine, BatchBuf, BatchMut, BatchRef, Float, Init, InitScheme, Input, Labels, Layer, LossLayer, Network, Optimizer,
    Param, Sigmoid, SoftmaxWithLoss, Summary, SummaryRow, Trainable,
};

/// Affine(2→10) → Sigmoid → Affine(10→3) → SoftmaxWithLoss.
#[derive(Clone, Debug)]
pub struct TwoLayerNet<T: Float = f32> {
    /// First layer.
    pub affine1: Affine<T, 2, H>,
    /// Activation.
    pub sigmoid: Sigmoid<T, H>,
    /// Second layer.
    pub affine2: Affine<T, H, 3>,
    /// Loss.
    pub loss: SoftmaxWithLoss<T, 3>,
    x: BatchBuf<T, 2>,
}

impl<T: Float> TwoLayerNet<T> {
    /// Weights `0.01·randn` (the book's init), biases zero.
    pub fn new(rng: &mut dyn RngCore) -> Self {
        Self::with_init(rng, InitScheme::Book)
    }

    /// Weights drawn with `scheme`, biases zero.
    pub fn with_init(rng: &mut dyn RngCore, scheme: InitScheme) -> Self {
        let mut net = Self {
            affine1: Affine::new(),
            sigmoid: Sigmoid::new(),
            affine2: Affine::new(),
            loss: SoftmaxWithLoss::new(),
            x: BatchBuf::new(),
        };
        let mut init = Init::new(rng, scheme);
        net.affine1.init_params(&mut init.with_scheme(InitScheme::Xavier));
        net.affine2.init_params(&mut init.with_scheme(InitScheme::Xavier));
        net
    }

    fn scores(&mut self, x: BatchRef<'_, T, 2>) -> BatchRef<'_, T, 3> {
        let h = self.affine1.forward(x);
        let s = self.sigmoid.forward(h);
        self.affine2.forward(s)
    }
}

impl<T: Float> Network<T, 2, 3> for TwoLayerNet<T> {
    fn predict(&mut self, x: BatchRef<'_, T, 2>) -> BatchRef<'_, T, 3> {
        self.scores(x)
    }

    fn predict_into(&self, x: BatchRef<'_, T, 2>, out: BatchMut<'_, T, 3>) {
        let mut h = BatchBuf::<T, H>::new();
        h.resize(x.ncols());
        self.affine1.infer(x, h.view_mut());
        let mut s = BatchBuf::<T, H>::new();
        s.resize(x.ncols());
        self.sigmoid.infer(h.view(), s.view_mut());
        self.affine2.infer(s.view(), out);
    }

    fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, T>)) {
        self.affine1.visit_params(&mut |p| f(p.in_layer("affine1")));
        self.affine2.visit_params(&mut |p| f(p.in_layer("affine2")));
    }

    fn param_count(&self) -> usize {
        self.affine1.param_count() + self.affine2.param_count()
    }

    fn summary(&self) -> Summary {
        let row = |name, kind: String, output, params| SummaryRow {
            name,
            kind,
            output,
            params,
        };
        Summary {
            network: "TwoLayerNet",
            input: 2,
            rows: vec![
                row("affine1", format!("Affine<2, {H}>"), H, self.affine1.param_count()),
                row("sigmoid", "Sigmoid".into(), H, 0),
                row("affine2", format!("Affine<{H}, 3>"), 3, self.affine2.param_count()),
                row("loss", "SoftmaxWithLoss".into(), 3, 0),
            ],
        }
    }
}

impl<T: Float> Trainable<T, 2, 3> for TwoLayerNet<T> {
    type Loss = SoftmaxWithLoss<T, 3>;

    fn forward(&mut self, x: BatchRef<'_, T, 2>, t: Labels<'_, T, 3>) -> T {
        self.x.copy_from(x);
        let h = self.affine1.forward(x);
        let s = self.sigmoid.forward(h);
        let score = self.affine2.forward(s);
        self.loss.forward(score, t)
    }

    fn backward(&mut self) {
        let d = self.loss.backward();
        let d = self.affine2.backward(self.sigmoid.output(), d);
        let d = self.sigmoid.backward(self.affine1.output(), d);
        self.affine1.backward_params(self.x.view(), d);
    }

    fn train_step<O: Optimizer<T> + ?Sized>(&mut self, x: Input<'_, T, 2>, t: Labels<'_, T, 3>, opt: &mut O) -> T {
        // The first layer takes the input as it comes; a gathered batch ends up copied into
        // `self.x`, where the weight gradient reads it.
        let h = self.affine1.forward_input(x, &mut self.x);
        let s = self.sigmoid.forward(h);
        let score = self.affine2.forward(s);
        let loss = self.loss.forward(score, t);
        let d = self.loss.backward();
        let d = self.affine2.backward(self.sigmoid.output(), d);
        let d = self.sigmoid.backward(self.affine1.output(), d);
        self.affine1.backward_params(x.batch_in(&self.x), d);
        crate::optim::apply(opt, |f| self.visit_params(f));
        loss
    }

    fn evaluate(&mut self, x: BatchRef<'_, T, 2>, t: Labels<'_, T, 3>) -> (T, Option<usize>) {
        let loss = self.forward(x, t);
        let correct = self.loss.correct(self.affine2.output(), t);
        (loss, correct)
    }
}
