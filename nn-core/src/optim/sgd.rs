use crate::{Float, Optimizer, Param};

/// Stochastic gradient descent (the book's `SGD`): `p ← p − lr·g` for every parameter.
///
/// ```
/// use nn_core::{Optimizer, Param, Sgd};
/// let mut p = [1.0f32, 2.0];
/// let g = [0.5f32, -1.0];
/// Sgd::new(0.1).update(0, Param::new("w", &mut p, &g));
/// assert_eq!(p, [0.95, 2.1]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Sgd<T> {
    /// The learning rate.
    pub lr: T,
}

impl<T: Float> Sgd<T> {
    /// SGD with learning rate `lr` (the book's default is 0.01; chapter 1 uses 1.0).
    pub fn new(lr: T) -> Self {
        Self { lr }
    }
}

impl<T: Float> Optimizer<T> for Sgd<T> {
    #[inline]
    fn update(&mut self, _index: usize, p: Param<'_, T>) {
        crate::kernels::elementwise::sub_scaled(p.value, self.lr, p.grad);
    }

    fn sgd_rate(&self) -> Option<T> {
        Some(self.lr)
    }
}
