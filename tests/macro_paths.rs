//! `network!` input forms that are not errors: built-ins written by path (`nn::Affine`,
//! `::nn::layers::Relu`), the `#[nn(...)]` options, `///` comments on entries, and the
//! documented way to use a layer declared inside a function (an inline module there).

use nn::network;

network! {
    /// Built-ins by path, the options, and documented entries.
    #[nn(crate = ::nn, f64_alias = ByPathDouble)]
    pub struct ByPath {
        input: 2,
        /// The hidden layer.
        hidden: nn::Affine(4),
        act: ::nn::layers::Relu,
        out: nn::layers::Affine(4 -> 3),
        loss: nn::SoftmaxWithLoss,
    }
}

#[test]
fn builtins_written_by_path_are_builtins() {
    assert_eq!(ByPath::PARAMS, 2 * 4 + 4 + 4 * 3 + 3);
    let net = ByPath::zeroed();
    let kinds: Vec<String> = net.summary().rows.iter().map(|r| r.kind.clone()).collect();
    assert_eq!(kinds, ["Affine<2, 4>", "Relu<4>", "Affine<4, 3>", "SoftmaxWithLoss<3>"]);
}

#[test]
fn the_f64_alias_can_be_renamed() {
    let net: ByPathDouble = ByPath::zeroed_f64();
    assert_eq!(nn::Network::param_count(&net), ByPath::PARAMS);
}

#[test]
fn a_layer_in_an_inline_module_of_a_function_can_be_named() {
    mod local {
        use nn::{BatchBuf, BatchMut, BatchRef, Float, Layer};

        /// The identity, declared inside the test function's inline module.
        pub struct Same<T, const D: usize> {
            y: BatchBuf<T, D>,
        }

        impl<T: Float, const D: usize> Same<T, D> {
            pub fn new() -> Self {
                Self { y: BatchBuf::new() }
            }
        }

        impl<T: Float, const D: usize> Layer<T, D, D> for Same<T, D> {
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
        struct Local {
            input: 2,
            same: local::Same,
            a: Affine(3),
        }
    }

    assert_eq!(Local::PARAMS, 2 * 3 + 3);
    let kinds: Vec<String> = Local::zeroed().summary().rows.iter().map(|r| r.kind.clone()).collect();
    assert_eq!(kinds, ["Same<2>", "Affine<2, 3>"]);
}

// A network under `#[cfg]` takes its alias and impls with it: compiled out, nothing of it
// remains to fail (they used to stay and name the missing struct).
network! {
    #[cfg(any())]
    pub struct CompiledOut {
        input: 2,
        a: Affine(3),
    }
}
