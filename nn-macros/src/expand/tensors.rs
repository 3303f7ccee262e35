//! The network's saved state (`visit_tensors`, `visit_tensors_mut`): every tensor of every
//! layer that may have parameters, in model order, with the layer's field name:
//!
//! ```text
//! pub fn visit_tensors<'a>(&'a self, mut f: impl FnMut(&'static str, ::nn::__private::TensorRef<'a, T>)) {
//!     self.affine1.visit_tensors(&mut |p| f("affine1", p));
//!     self.affine2.visit_tensors(&mut |p| f("affine2", p));
//! }
//! pub fn visit_tensors_mut(&mut self, mut f: impl FnMut(&'static str, ::nn::__private::TensorMut<'_, T>)) {
//!     self.affine1.visit_tensors_mut(&mut |p| f("affine1", p));
//!     self.affine2.visit_tensors_mut(&mut |p| f("affine2", p));
//! }
//! ```
//!
//! and, in `impl Network`, the same methods forwarding to these (`trait_forwarding`); last,
//! `::nn::__private::__persist_methods!(Net, IN, OUT);` (`persist_methods`), the facade's
//! macro that adds `save`, `load`, `state`, ... with its `safetensors` feature.

use proc_macro2::TokenStream;
use quote::quote;

use super::layers::{call_mut, call_ref};
use super::Net;

/// The inherent `visit_tensors` and `visit_tensors_mut`.
pub(super) fn visit_tensors(net: &Net) -> TokenStream {
    let (read_f, read) = calls(net, false);
    let (write_f, write) = calls(net, true);
    quote! {
        /// Visits every saved tensor (PyTorch's `state_dict`) in model order with its layer's
        /// field name; the key in a file is `"{layer}.{tensor.name}"` (`affine1.weight`).
        pub fn visit_tensors<'a>(
            &'a self,
            #read_f: impl FnMut(&'static str, ::nn::__private::TensorRef<'a, T>),
        ) {
            #read
        }

        /// The same tensors as [`visit_tensors`](Self::visit_tensors), writable (loading).
        pub fn visit_tensors_mut(
            &mut self,
            #write_f: impl FnMut(&'static str, ::nn::__private::TensorMut<'_, T>),
        ) {
            #write
        }
    }
}

/// The visitor's pattern (`f` or `mut f`) and the body: one call per layer that may have
/// tensors, or `let _ = f;` when none may.
fn calls(net: &Net, mutable: bool) -> (TokenStream, TokenStream) {
    let (f, p) = (&net.v.f, &net.v.p);
    let method = if mutable { "visit_tensors_mut" } else { "visit_tensors" };
    let calls: Vec<TokenStream> = net
        .layers()
        .iter()
        .filter(|l| l.may_have_params())
        .map(|l| {
            let name_s = l.name.to_string();
            let args = quote!(&mut |#p| #f(#name_s, #p));
            if mutable {
                call_mut(l, method, args)
            } else {
                call_ref(l, method, args)
            }
        })
        .collect();
    if calls.is_empty() {
        (quote!(#f), quote!(let _ = #f;))
    } else {
        (quote!(mut #f), quote!(#(#calls;)*))
    }
}

/// The `Network` trait's `visit_tensors` and `visit_tensors_mut`, forwarding to the inherent
/// methods.
pub(super) fn trait_forwarding(net: &Net) -> TokenStream {
    let f = &net.v.f;
    quote! {
        fn visit_tensors<'a>(
            &'a self,
            #f: &mut dyn FnMut(&'static str, ::nn::__private::TensorRef<'a, T>),
        ) {
            Self::visit_tensors(self, #f)
        }

        fn visit_tensors_mut(
            &mut self,
            #f: &mut dyn FnMut(&'static str, ::nn::__private::TensorMut<'_, T>),
        ) {
            Self::visit_tensors_mut(self, #f)
        }
    }
}

/// `::nn::__private::__persist_methods!(Net, IN, OUT);`: the facade's macro that adds `save`,
/// `load`, `state`, ... when its `safetensors` feature is on (and nothing otherwise).
pub(super) fn persist_methods(net: &Net) -> TokenStream {
    let (ident, input_w, output_w) = (&net.m.ident, &net.input_w, &net.output_w);
    quote! {
        ::nn::__private::__persist_methods!(#ident, #input_w, #output_w);
    }
}
