//! `impl Network<T, IN, OUT>` for every network and `impl Trainable<T, IN, OUT>` for one
//! with a loss; each method forwards to the inherent method of the same name:
//!
//! ```text
//! impl<T: ::nn::__private::Float> ::nn::__private::Network<T, 2, 3> for TwoLayerNet<T> {
//!     fn predict(&mut self, x: ::nn::__private::BatchRef<'_, T, 2>) -> ::nn::__private::BatchRef<'_, T, 3> {
//!         Self::predict(self, x)
//!     }
//!     ...
//! }
//! ```

use proc_macro2::TokenStream;
use quote::quote;

use super::layers::{loss_type, target_type};
use super::tensors;
use super::Net;
use crate::validate::LossModel;

/// `impl Network`: `predict`, `predict_into`, `visit_params`, `param_count`, `summary`,
/// `visit_tensors`, `visit_tensors_mut` (tensors.rs), `visit_ops` and `prediction` (ops.rs).
pub(super) fn network(net: &Net) -> TokenStream {
    let Net {
        m,
        v,
        input_w,
        output_w,
        float,
        ..
    } = net;
    let (ident, x, out, f) = (&m.ident, &v.x, &v.out, &v.f);
    let tensors = tensors::trait_forwarding(net);
    let ops = super::ops::forwarding(net);
    let modes = super::modes::forwarding();
    let sequences = super::sequences::forwarding(net);
    let constructors = super::constructors::trait_constructors(net);
    quote! {
        impl<T: #float> ::nn::__private::Network<T, #input_w, #output_w> for #ident<T> {
            #constructors

            fn predict(
                &mut self,
                #x: ::nn::__private::BatchRef<'_, T, #input_w>,
            ) -> ::nn::__private::BatchRef<'_, T, #output_w> {
                Self::predict(self, #x)
            }

            fn predict_into(
                &self,
                #x: ::nn::__private::BatchRef<'_, T, #input_w>,
                #out: ::nn::__private::BatchMut<'_, T, #output_w>,
            ) {
                Self::predict_into(self, #x, #out)
            }

            fn visit_params(&mut self, #f: &mut dyn FnMut(::nn::__private::Param<'_, T>)) {
                Self::visit_params(self, #f)
            }

            fn param_count(&self) -> usize {
                Self::param_count(self)
            }

            fn summary(&self) -> ::nn::__private::Summary {
                Self::summary(self)
            }

            #tensors
            #ops
            #modes
            #sequences
        }
    }
}

/// `impl Trainable`: the loss type, `forward`, `backward`, `train_step`, `evaluate`.
pub(super) fn trainable(net: &Net, loss: &LossModel) -> TokenStream {
    let Net {
        m,
        v,
        input_w,
        output_w,
        float,
        ..
    } = net;
    let (ident, x, t, opt) = (&m.ident, &v.x, &v.t, &v.opt);
    let lty = loss_type(loss);
    // `<Loss as LossLayer<T, D>>::Target<'_>`, written as the concrete type.
    let target = target_type(loss, quote!('_));
    quote! {
        impl<T: #float> ::nn::__private::Trainable<T, #input_w, #output_w> for #ident<T> {
            type Loss = #lty;

            fn forward(&mut self, #x: ::nn::__private::BatchRef<'_, T, #input_w>, #t: #target) -> T {
                Self::forward(self, #x, #t)
            }

            fn backward(&mut self) {
                Self::backward(self)
            }

            fn train_step<O: ::nn::__private::Optimizer<T> + ?::core::marker::Sized>(
                &mut self,
                #x: ::nn::__private::Input<'_, T, #input_w>,
                #t: #target,
                #opt: &mut O,
            ) -> T {
                Self::train_step(self, #x, #t, #opt)
            }

            fn evaluate(
                &mut self,
                #x: ::nn::__private::BatchRef<'_, T, #input_w>,
                #t: #target,
            ) -> (T, ::core::option::Option<usize>) {
                Self::evaluate(self, #x, #t)
            }
        }
    }
}
