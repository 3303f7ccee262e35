//! `visit_ops` and `prediction`: the network as standard operators, for exporters
//! (`nn::onnx`). Every layer but the loss, in order, with its `Layer::op`; the loss says
//! what the scores mean:
//!
//! ```text
//! pub fn visit_ops(&self, f: &mut dyn FnMut(&'static str, Option<::nn::__private::LayerOp<'_, T>>)) {
//!     f("affine1", self.affine1.op());
//!     f("swish", <crate::Swish<T, 8> as ::nn::__private::Layer<T, 8, 8>>::op(&self.swish));
//!     ...
//! }
//! pub fn prediction(&self) -> ::nn::__private::Prediction {
//!     <::nn::__private::SoftmaxWithLoss<T, 3> as ::nn::__private::LossLayer<T, 3>>::PREDICTION
//! }
//! ```
//!
//! The `Network` impl forwards to both ([`forwarding`]).

use proc_macro2::TokenStream;
use quote::quote;

use super::layers::{call_ref, loss_type};
use super::names::lit;
use super::Net;

/// The inherent `visit_ops` and `prediction`.
pub(super) fn methods(net: &Net) -> TokenStream {
    let f = &net.v.f;
    let calls = net.layers().iter().map(|l| {
        let name = l.name.to_string();
        let op = call_ref(l, "op", quote!());
        quote!(#f(#name, #op);)
    });
    let prediction = match &net.m.loss {
        Some(loss) => {
            let (ty, w) = (loss_type(loss), lit(loss.width));
            quote!(<#ty as ::nn::__private::LossLayer<T, #w>>::PREDICTION)
        }
        None => quote!(::nn::__private::Prediction::Scores),
    };
    quote! {
        /// Visits every layer but the loss in model order as a standard operator: its
        /// field name and `Layer::op` (`None` for a layer without one). What exporters
        /// such as `nn::onnx` write.
        pub fn visit_ops(
            &self,
            #f: &mut dyn FnMut(&'static str, ::core::option::Option<::nn::__private::LayerOp<'_, T>>),
        ) {
            #(#calls)*
        }

        /// What the scores mean for a deployed model: the loss layer's `PREDICTION`
        /// (`Prediction::Scores` without a loss).
        pub fn prediction(&self) -> ::nn::__private::Prediction {
            #prediction
        }
    }
}

/// The `Network` impl's `visit_ops` and `prediction`, forwarding to the inherent methods.
pub(super) fn forwarding(net: &Net) -> TokenStream {
    let f = &net.v.f;
    quote! {
        fn visit_ops(
            &self,
            #f: &mut dyn FnMut(&'static str, ::core::option::Option<::nn::__private::LayerOp<'_, T>>),
        ) {
            Self::visit_ops(self, #f)
        }

        fn prediction(&self) -> ::nn::__private::Prediction {
            Self::prediction(self)
        }
    }
}

/// `nn::__onnx_methods!(Name);`: `to_onnx` and `save_onnx` when the facade's `onnx` feature
/// is on, nothing otherwise (the facade decides; the macro cannot see its features).
pub(super) fn onnx_methods(net: &Net) -> TokenStream {
    let (krate, ident) = (&net.m.krate, &net.m.ident);
    quote!(#krate::__onnx_methods!(#ident);)
}
