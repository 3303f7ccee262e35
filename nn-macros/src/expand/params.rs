//! The network's constants (`INPUT`, `OUTPUT`, `PARAMS`, in `impl Net<f32>` so that
//! `Net::PARAMS` needs no type annotation) and its parameter access
//! (`visit_params`, `param_count`), over every layer that may have parameters:
//!
//! ```text
//! /// Trainable scalars: the sum of each layer's `Layer::PARAMS` (`affine1` 10 × 2 + 10,
//! /// `affine2` 3 × 10 + 3).
//! pub const PARAMS: usize = 0
//!     + <::nn::__private::Affine<T, 2, 10> as ::nn::__private::Layer<T, 2, 10>>::PARAMS
//!     + <::nn::__private::Affine<T, 10, 3> as ::nn::__private::Layer<T, 10, 3>>::PARAMS;
//! pub fn visit_params(&mut self, mut f: impl FnMut(::nn::__private::Param<'_, T>)) {
//!     self.affine1.visit_params(&mut |p| f(p.in_layer("affine1")));
//!     self.affine2.visit_params(&mut |p| f(p.in_layer("affine2")));
//! }
//! pub fn param_count(&self) -> usize {
//!     0 + <... as Layer<T, 2, 10>>::PARAMS + ...     (the same sum, for every `T`)
//! }
//! ```

use proc_macro2::TokenStream;
use quote::quote;

use super::layers::{call_mut, layer_trait};
use super::names::{docs, lit};
use super::Net;
use crate::validate::{Kind, LayerModel};

/// `INPUT`, `OUTPUT` and `PARAMS`.
pub(super) fn consts(net: &Net) -> TokenStream {
    let (input_w, output_w) = (&net.input_w, &net.output_w);
    let (_, doc) = params_sum(net.layers());
    let doc = docs(&doc);
    let vocab = net.m.tokens.map(|v| {
        let v = lit(v);
        quote! {
            /// The vocabulary of the token ids the network reads (`input: tokens(V)`): ids are
            /// `0..VOCAB`, one per column of a `1 × N` input.
            pub const VOCAB: usize = #v;
        }
    });
    quote! {
        #vocab
        /// Input features per sample.
        pub const INPUT: usize = #input_w;
        /// Output features per sample (the scores the loss takes).
        pub const OUTPUT: usize = #output_w;
        #doc
        /// The same number for `f64` (the built-ins' counts do not depend on the float type);
        /// generic code calls `param_count()`.
        pub const PARAMS: usize = Self::PARAMS_OF_T;
    }
}

/// `PARAMS_OF_T`, hidden, in the generic impl: the sum over the layer types written with
/// `T`, so that a layer that does not fit is reported once (for `T`), not again for `f32`.
pub(super) fn generic_consts(net: &Net) -> TokenStream {
    let (params, _) = params_sum(net.layers());
    quote! {
        #[doc(hidden)]
        pub const PARAMS_OF_T: usize = #params;
    }
}

/// The value of `PARAMS` and its doc line: `0 + <Ty as Layer<T, IN, OUT>>::PARAMS + ...`
/// over every layer that may have parameters (the layers' own counts, not formulas of the
/// macro's; the doc line shows the shapes of the built-ins).
fn params_sum(layers: &[LayerModel]) -> (TokenStream, String) {
    let with_params: Vec<&LayerModel> = layers.iter().filter(|l| l.may_have_params()).collect();
    let terms = with_params.iter().map(|l| layer_params(l));
    let parts: Vec<String> = with_params.iter().map(|l| params_part(l)).collect();
    let doc = if parts.is_empty() {
        String::from(" Trainable scalars: none.")
    } else {
        format!(
            " Trainable scalars: the sum of each layer's `Layer::PARAMS` ({}).",
            parts.join(", ")
        )
    };
    (quote!(0 #(+ #terms)*), doc)
}

/// One layer in the `PARAMS` doc line: `` `affine1` 10 × 2 + 10 `` for a built-in, the bare
/// name for a user layer.
fn params_part(l: &LayerModel) -> String {
    match &l.kind {
        Kind::Builtin(b) => format!("`{}` {}", l.name, b.params.shapes(l.fan_in(), l.out_w)),
        Kind::User { .. } => format!("`{}`", l.name),
    }
}

/// The parameter count of one layer, `<Ty as Layer<T, IN, OUT>>::PARAMS`, or `0` for a
/// built-in without parameters.
pub(super) fn layer_params(l: &LayerModel) -> TokenStream {
    if l.may_have_params() {
        let tr = layer_trait(l);
        quote!(#tr::PARAMS)
    } else {
        quote!(0)
    }
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

/// `param_count()`: the same sum as `PARAMS`, for every float type.
pub(super) fn param_count(_net: &Net) -> TokenStream {
    quote! {
        /// Number of trainable scalars (the `f32` network's `PARAMS`).
        pub fn param_count(&self) -> usize {
            Self::PARAMS_OF_T
        }
    }
}
