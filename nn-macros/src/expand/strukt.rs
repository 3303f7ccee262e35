//! The network's struct (one public field per layer, the loss, and with a loss a private
//! copy of the last input) and its `f64` alias:
//!
//! ```text
//! /// The book's chapter-1 network.
//! pub struct TwoLayerNet<T: ::nn::__private::Float = f32> {
//!     /// `Affine` 2 → 10: `W` 10 × 2, `b` 10; output 10 × N.
//!     pub affine1: ::nn::__private::Affine<T, 2, 10>,
//!     ...
//!     pub loss: ::nn::__private::SoftmaxWithLoss<T, 3>,
//!     /// The input of the last `forward` (2 × N), read again by `backward`.
//!     input: ::nn::__private::BatchBuf<T, 2>,
//! }
//! /// [`TwoLayerNet`] in `f64` (gradient checks, reference runs).
//! pub type TwoLayerNetF64 = TwoLayerNet<f64>;
//! ```

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::layers::{field_doc, layer_type, loss_doc, loss_type};
use super::names::docs;
use super::Net;
use crate::validate::{LayerModel, LossModel, Model};

/// The struct and its alias.
pub(super) fn strukt(net: &Net) -> TokenStream {
    let Model {
        attrs,
        vis,
        ident,
        layers,
        loss,
        ..
    } = net.m;
    let float = &net.float;
    let fields = layers.iter().map(layer_field);
    let loss_field = loss.as_ref().map(loss_field);
    let input_field = loss.as_ref().map(|_| input_field(net));
    let alias = &net.alias;
    let cfgs = attrs.iter().filter(|a| a.path().is_ident("cfg"));
    let alias_doc = docs(&format!(
        " [`{}`] in `f64` (gradient checks, reference runs).",
        net.name
    ));
    // At the alias's name (the struct's, unless renamed): a clash with an item of the same
    // name is reported there, not at the whole macro call.
    // Being at the user's tokens, an unused alias would now warn: it is a convenience the
    // user did not write, so it does not.
    let alias_item = quote_spanned! {alias.span()=>
        #alias_doc
        #(#cfgs)*
        #[allow(dead_code)]
        #vis type #alias = #ident<f64>;
    };
    quote! {
        #(#attrs)*
        #vis struct #ident<T: #float = f32> {
            #(#fields)*
            #loss_field
            #input_field
        }

        #alias_item
    }
}

/// `pub affine1: Affine<T, 2, 10>,` with the entry's attributes and a doc line.
fn layer_field(l: &LayerModel) -> TokenStream {
    let name = &l.name;
    let ty = layer_type(l);
    let doc = docs(&field_doc(l));
    let attrs = &l.attrs;
    quote! {
        #(#attrs)*
        #doc
        pub #name: #ty,
    }
}

/// `pub loss: SoftmaxWithLoss<T, 3>,` with the entry's attributes and a doc line.
fn loss_field(l: &LossModel) -> TokenStream {
    let name = &l.name;
    let ty = loss_type(l);
    let doc = docs(&loss_doc(l));
    let attrs = &l.attrs;
    quote! {
        #(#attrs)*
        #doc
        pub #name: #ty,
    }
}

/// The private copy of the last input that `backward` reads (only with a loss).
fn input_field(net: &Net) -> TokenStream {
    let input_w = &net.input_w;
    let doc = docs(&format!(
        " The input of the last `forward` ({} × N), read again by `backward`.",
        net.m.input
    ));
    quote! {
        #doc
        input: ::nn::__private::BatchBuf<T, #input_w>,
    }
}
