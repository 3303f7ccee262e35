//! The network's constants (`INPUT`, `OUTPUT`, `PARAMS`) and its parameter access
//! (`visit_params`, `param_count`), over every layer that may have parameters:
//!
//! ```text
//! /// Trainable scalars: `affine1` 10 × 2 + 10, `affine2` 3 × 10 + 3.
//! pub const PARAMS: usize = 63;
//! pub fn visit_params(&mut self, mut f: impl FnMut(::nn::__private::Param<'_, T>)) {
//!     self.affine1.visit_params(&mut |p| f(p.in_layer("affine1")));
//!     self.affine2.visit_params(&mut |p| f(p.in_layer("affine2")));
//! }
//! pub fn param_count(&self) -> usize {
//!     self.affine1.param_count() + self.affine2.param_count()
//! }
//! ```

use proc_macro2::TokenStream;
use quote::quote;

use super::layers::{call_mut, call_ref, layer_trait};
use super::names::{docs, lit};
use super::Net;
use crate::validate::{Kind, LayerModel};

/// `INPUT`, `OUTPUT` and `PARAMS`.
pub(super) fn consts(net: &Net) -> TokenStream {
    let (input_w, output_w) = (&net.input_w, &net.output_w);
    let (params, doc) = params_sum(net.layers());
    let doc = docs(&doc);
    quote! {
        /// Input features per sample.
        pub const INPUT: usize = #input_w;
        /// Output features per sample (the scores the loss takes).
        pub const OUTPUT: usize = #output_w;
        #doc
        pub const PARAMS: usize = #params;
    }
}

/// The value of `PARAMS` and its doc line: the built-ins' counts summed into one literal,
/// plus `<Ty as Layer>::PARAMS` for each user layer.
fn params_sum(layers: &[LayerModel]) -> (TokenStream, String) {
    let mut literal = 0usize;
    let mut parts = Vec::new();
    let mut terms = Vec::new();
    for l in layers {
        match &l.kind {
            Kind::Builtin(b) if b.has_params() => {
                literal += b.params.count(l.in_w, l.out_w);
                parts.push(format!("`{}` {}", l.name, b.params.shapes(l.in_w, l.out_w)));
            }
            Kind::Builtin(_) => {}
            Kind::User { .. } => {
                let tr = layer_trait(l);
                terms.push(quote!(+ #tr::PARAMS));
                parts.push(format!("`{}` (its `Layer::PARAMS`)", l.name));
            }
        }
    }
    let literal = lit(literal);
    let doc = if parts.is_empty() {
        String::from(" Trainable scalars: none.")
    } else {
        format!(" Trainable scalars: {}.", parts.join(", "))
    };
    (quote!(#literal #(#terms)*), doc)
}

/// `visit_params(f)`: every (parameter, gradient) pair, tagged with its layer's name.
pub(super) fn visit_params(net: &Net) -> TokenStream {
    let (f, p) = (&net.v.f, &net.v.p);
    let calls: Vec<TokenStream> = net
        .layers()
        .iter()
        .filter(|l| l.may_have_params())
        .map(|l| {
            let name_s = l.name.to_string();
            call_mut(l, "visit_params", quote!(&mut |#p| #f(#p.in_layer(#name_s))))
        })
        .collect();
    let (f_pat, body) = if calls.is_empty() {
        (quote!(#f), quote!(let _ = #f;))
    } else {
        (quote!(mut #f), quote!(#(#calls;)*))
    };
    quote! {
        /// Visits every (parameter, gradient) pair in model order (the book's `params`
        /// and `grads`), each tagged with its layer's field name.
        pub fn visit_params(&mut self, #f_pat: impl FnMut(::nn::__private::Param<'_, T>)) {
            #body
        }
    }
}

/// `param_count()`: the layers' own counts, summed.
pub(super) fn param_count(net: &Net) -> TokenStream {
    let terms: Vec<TokenStream> = net
        .layers()
        .iter()
        .filter(|l| l.may_have_params())
        .map(layer_param_count)
        .collect();
    let body = if terms.is_empty() {
        quote!(0)
    } else {
        quote!(#(#terms)+*)
    };
    quote! {
        /// Number of trainable scalars (equals [`PARAMS`](Self::PARAMS)).
        pub fn param_count(&self) -> usize {
            #body
        }
    }
}

/// The parameter count of one layer: `self.name.param_count()`, or `0` for a layer
/// without parameters.
pub(super) fn layer_param_count(l: &LayerModel) -> TokenStream {
    if l.may_have_params() {
        call_ref(l, "param_count", quote!())
    } else {
        quote!(0)
    }
}
