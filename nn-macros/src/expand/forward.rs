//! The forward chains, one `let` per layer whose output is the next layer's input, and the
//! methods made of one: `forward` (keeps a copy of the input for `backward`), `evaluate`
//! and `predict`:
//!
//! ```text
//! let affine1 = self.affine1.forward(self.input.view());
//! let sigmoid = self.sigmoid.forward(affine1);
//! let affine2 = self.affine2.forward(sigmoid);
//! self.loss.forward(affine2, t.into())
//! ```
//!
//! `train_step`'s chain starts differently: its first layer reads the step's `Input`
//! ([`input_chain`]).

use proc_macro2::TokenStream;
use quote::quote;

use super::layers::{call_mut, target_type};
use super::names::docs;
use super::Net;
use crate::validate::{LayerModel, LossModel};

/// `let name = self.name.forward(prev);` for each layer, the first reading `x`.
pub(super) fn forward_chain(layers: &[LayerModel], x: TokenStream) -> Vec<TokenStream> {
    let mut prev = x;
    let mut stmts = Vec::new();
    for l in layers {
        stmts.push(forward_stmt(l, prev));
        let name = &l.name;
        prev = quote!(#name);
    }
    stmts
}

/// `train_step`'s chain: the first layer gets the step's `Input` (maybe gathered from a
/// data set) and the network's input buffer, the others as in [`forward_chain`].
pub(super) fn input_chain(net: &Net) -> Vec<TokenStream> {
    let (first, rest) = net
        .layers()
        .split_first()
        .expect("validate guarantees at least one layer");
    let name = &first.name;
    let mut stmts = vec![first_input_stmt(net, first)];
    stmts.extend(forward_chain(rest, quote!(#name)));
    stmts
}

/// A built-in `Affine` / `MatMul` gathers a gathered batch inside its first product
/// (`FusedLinear::forward_input`) and leaves it in `self.input`:
/// `let affine1 = self.affine1.forward_input(x, &mut self.input);`. Any other first layer
/// gets the batch copied there first (a contiguous batch is passed as it is):
/// `let l = self.l.forward(::nn::__private::Input::to_batch(x, &mut self.input));`.
fn first_input_stmt(net: &Net, first: &LayerModel) -> TokenStream {
    let (name, x) = (&first.name, &net.v.x);
    let c = if first.is_fused_linear() {
        call_mut(first, "forward_input", quote!(#x, &mut self.input))
    } else {
        call_mut(
            first,
            "forward",
            quote!(::nn::__private::Input::to_batch(#x, &mut self.input)),
        )
    };
    quote!(let #name = #c;)
}

/// `let name = self.name.forward(input);`
fn forward_stmt(l: &LayerModel, input: TokenStream) -> TokenStream {
    let name = &l.name;
    let c = call_mut(l, "forward", input);
    quote!(let #name = #c;)
}

/// `forward(x, t) -> loss`, the book's `forward`.
pub(super) fn forward(net: &Net, loss: &LossModel) -> TokenStream {
    let Net { v, input_w, last, .. } = net;
    let (x, t) = (&v.x, &v.t);
    let (lname, last_name) = (&loss.name, &last.name);
    let target = target_type(loss, quote!('t));
    let check = net.finite_check("forward");
    let chain = forward_chain(net.layers(), quote!(self.input.view()));
    let mode = super::modes::enter(net, true);
    quote! {
        /// The mean loss of a batch (the book's `forward(x, t)`): `x` is `IN × N`, `t` the N
        /// labels or targets. Keeps a copy of `x` and what every layer needs for
        /// [`backward`](Self::backward). Runs in training mode (`Dropout` drops, `BatchNorm`
        /// uses the batch's statistics).
        pub fn forward<'t>(
            &mut self,
            #x: impl ::nn::__private::AsBatch<T, #input_w>,
            #t: impl ::core::convert::Into<#target>,
        ) -> T {
            let #x = #x.as_batch();
            #check
            self.input.copy_from(#x);
            #(#mode)*
            #(#chain)*
            self.#lname.forward(#last_name, #t.into())
        }
    }
}

/// `evaluate(x, t) -> (loss, correct)`: no gradients, no copy of `x`.
pub(super) fn evaluate(net: &Net, loss: &LossModel) -> TokenStream {
    let Net { v, input_w, last, .. } = net;
    let (x, t, loss_v) = (&v.x, &v.t, &v.loss);
    let (lname, last_name) = (&loss.name, &last.name);
    let target = target_type(loss, quote!('t));
    let check = net.finite_check("evaluate");
    let chain = forward_chain(net.layers(), quote!(#x));
    let mode = super::modes::enter(net, false);
    quote! {
        /// Loss and, for classification losses, the number of correctly classified samples
        /// of a batch (no gradients are computed), in inference mode (`Dropout` off,
        /// `BatchNorm`'s running statistics). A non-finite value reaching the scores
        /// makes the loss non-finite and its sample wrong; debug builds panic first on a
        /// non-finite `x`.
        pub fn evaluate<'t>(
            &mut self,
            #x: impl ::nn::__private::AsBatch<T, #input_w>,
            #t: impl ::core::convert::Into<#target>,
        ) -> (T, ::core::option::Option<usize>) {
            let #x = #x.as_batch();
            #check
            let #t = #t.into();
            #(#mode)*
            #(#chain)*
            let #loss_v = self.#lname.forward(#last_name, #t);
            (#loss_v, self.#lname.correct(#last_name, #t))
        }
    }
}

/// `predict(x) -> view`: every layer but the loss, the last call being the value.
pub(super) fn predict(net: &Net) -> TokenStream {
    let Net {
        v,
        input_w,
        output_w,
        last,
        ..
    } = net;
    let x = &v.x;
    let (before_last, _) = net.layers().split_at(net.layers().len() - 1);
    let chain = forward_chain(before_last, quote!(#x));
    let last_input = match before_last.last() {
        None => quote!(#x),
        Some(prev) => {
            let prev = &prev.name;
            quote!(#prev)
        }
    };
    let last_call = call_mut(last, "forward", last_input);
    let check = net.finite_check("predict");
    let mode = super::modes::enter(net, false);
    let doc = docs(&format!(
        " Runs every layer but the loss on `x` ({} × N) in the network's own buffers and returns \
         the output ({} × N; scores before any softmax of the loss), in inference mode (`Dropout` off, \
         `BatchNorm`'s running statistics). Allocates nothing once a batch this large has been seen.",
        net.m.input, last.out_w
    ));
    quote! {
        #doc
        pub fn predict(
            &mut self,
            #x: impl ::nn::__private::AsBatch<T, #input_w>,
        ) -> ::nn::__private::BatchRef<'_, T, #output_w> {
            let #x = #x.as_batch();
            #check
            #(#mode)*
            #(#chain)*
            #last_call
        }
    }
}
