//! Weight initialisation from a seedable random stream.

use rand::RngCore;
use rand_distr::{Distribution, StandardNormal};

use crate::float::Float;

/// How weights are drawn (biases always start at zero).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum InitScheme {
    /// The book's chapter-1 init: `0.01 * randn`.
    Book,
    /// Xavier as the book uses it (chapter 6 of volume 1): `randn / sqrt(fan_in)`; suits
    /// sigmoid and tanh.
    Xavier,
    /// He: `randn * sqrt(2 / fan_in)`; suits ReLU.
    He,
    /// `randn * std`.
    Normal {
        /// Standard deviation.
        std: f64,
    },
    /// Xavier before sigmoid/tanh/linear layers, He before ReLU: the `network!` default
    /// (the macro resolves it per layer from the layer that follows).
    #[default]
    Auto,
}

impl InitScheme {
    /// The standard deviation for a layer with `fan_in` inputs (`Auto` counts as Xavier).
    pub fn std(self, fan_in: usize) -> f64 {
        let fan_in = fan_in.max(1) as f64;
        match self {
            InitScheme::Book => 0.01,
            InitScheme::Xavier | InitScheme::Auto => 1.0 / fan_in.sqrt(),
            InitScheme::He => (2.0 / fan_in).sqrt(),
            InitScheme::Normal { std } => std,
        }
    }
}

/// A random stream and a scheme, handed to [`Layer::init_params`](crate::Layer::init_params).
///
/// Use a generator whose stream is stable across crate versions, such as
/// `rand_chacha::ChaCha8Rng::seed_from_u64(seed)`, for reproducible runs.
pub struct Init<'a> {
    /// The random stream.
    pub rng: &'a mut dyn RngCore,
    /// The scheme.
    pub scheme: InitScheme,
}

impl<'a> Init<'a> {
    /// An initialiser drawing from `rng` with `scheme`.
    pub fn new(rng: &'a mut dyn RngCore, scheme: InitScheme) -> Self {
        Self { rng, scheme }
    }

    /// The same stream with another scheme (used by the macro to resolve `Auto` per layer).
    pub fn with_scheme(&mut self, scheme: InitScheme) -> Init<'_> {
        let scheme = if self.scheme == InitScheme::Auto {
            scheme
        } else {
            self.scheme
        };
        Init {
            rng: &mut *self.rng,
            scheme,
        }
    }

    /// One standard normal sample.
    pub fn randn(&mut self) -> f64 {
        StandardNormal.sample(&mut *self.rng)
    }

    /// Fills `w` with `randn * std(fan_in)`, in element order.
    pub fn fill<T: Float>(&mut self, w: &mut [T], fan_in: usize) {
        let std = self.scheme.std(fan_in);
        for v in w {
            *v = T::cast(self.randn() * std);
        }
    }
}
