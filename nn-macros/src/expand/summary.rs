//! `summary()`: a table of the layers (name, type, output width, parameters), the loss
//! last:
//!
//! ```text
//! ::nn::__private::Summary {
//!     network: "TwoLayerNet",
//!     input: 2,
//!     rows: ::std::vec::Vec::from([
//!         ::nn::__private::SummaryRow {
//!             name: "affine1",
//!             kind: ::std::string::String::from("Affine<2, 10>"),
//!             output: 10,
//!             params: <::nn::__private::Affine<T, 2, 10> as ::nn::__private::Layer<T, 2, 10>>::PARAMS,
//!         },
//!         ...
//!     ]),
//! }
//! ```

use proc_macro2::TokenStream;
use quote::quote;

use super::layers::kind_string;
use super::names::lit;
use super::params::layer_params;
use super::Net;
use crate::validate::{LayerModel, LossModel};

/// The `summary` method.
pub(super) fn summary(net: &Net) -> TokenStream {
    let (name, input_w) = (&net.name, &net.input_w);
    let rows = net.layers().iter().map(layer_row);
    let loss_row = net.m.loss.as_ref().map(loss_row);
    quote! {
        /// A table of the layers: name, type, output shape, parameters.
        pub fn summary(&self) -> ::nn::__private::Summary {
            ::nn::__private::Summary {
                network: #name,
                input: #input_w,
                rows: ::std::vec::Vec::from([
                    #(#rows)*
                    #loss_row
                ]),
            }
        }
    }
}

fn layer_row(l: &LayerModel) -> TokenStream {
    row(&l.name.to_string(), &kind_string(l), l.out_w, layer_params(l))
}

fn loss_row(l: &LossModel) -> TokenStream {
    let kind = format!("{}<{}>", l.kind.name, l.width);
    row(&l.name.to_string(), &kind, l.width, quote!(0))
}

/// One `SummaryRow { name, kind, output, params },`.
fn row(name: &str, kind: &str, output: usize, params: TokenStream) -> TokenStream {
    let output = lit(output);
    quote! {
        ::nn::__private::SummaryRow {
            name: #name,
            kind: ::std::string::String::from(#kind),
            output: #output,
            params: #params,
        },
    }
}
