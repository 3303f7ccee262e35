//! The backward chains, from the loss down to the first layer with parameters (the `stop`
//! layer: below it no gradient is needed), and the `backward` method made of one:
//!
//! ```text
//! let d_affine2 = self.loss.backward();
//! let d_sigmoid = self.affine2.backward(self.sigmoid.output(), d_affine2);
//! let d_affine1 = self.sigmoid.backward(self.affine1.output(), d_sigmoid);
//! self.affine1.backward_params(self.input.view(), d_affine1);
//! ```
//!
//! In `train_step` ([`Chain::Step`]) a stop layer that is the first layer reads the batch
//! its forward left in the input buffer ([`stop_stmt`]).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::layers::{call_mut, call_ref};
use super::Net;
use crate::validate::LossModel;

/// Which method the backward chain is for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Chain {
    /// `backward`: the input is the copy `forward` kept.
    Backward,
    /// `train_step`: the input is the step's `Input` (a gathered batch is read back from
    /// the input buffer).
    Step,
}

/// The statements from the loss down to the stop layer; `x_first` is the first layer's
/// input.
pub(super) fn backward_chain(net: &Net, loss: &LossModel, x_first: TokenStream, chain: Chain) -> Vec<TokenStream> {
    let lname = &loss.name;
    let Some(stop) = net.stop() else {
        // No parameters: only the loss has something to do.
        return vec![quote!(self.#lname.backward();)];
    };
    let d_last = format_ident!("d_{}", net.last.name);
    let mut stmts = vec![quote!(let #d_last = self.#lname.backward();)];
    for i in (stop..net.layers().len()).rev() {
        let x_in = layer_input(net, i, &x_first);
        if i == stop {
            stmts.push(stop_stmt(net, i, x_in, chain));
        } else {
            stmts.push(backward_stmt(net, i, x_in));
        }
    }
    stmts
}

/// The input layer `i` saw: `x_first` for the first layer, else the previous layer's
/// `output()`.
fn layer_input(net: &Net, i: usize, x_first: &TokenStream) -> TokenStream {
    match i.checked_sub(1) {
        None => x_first.clone(),
        Some(prev) => call_ref(&net.layers()[prev], "output", quote!()),
    }
}

/// `let d_prev = self.name.backward(x_in, d_name);`
fn backward_stmt(net: &Net, i: usize, x_in: TokenStream) -> TokenStream {
    let layer = &net.layers()[i];
    let dout = format_ident!("d_{}", layer.name);
    let dprev = format_ident!("d_{}", net.layers()[i - 1].name);
    let c = call_mut(layer, "backward", quote!(#x_in, #dout));
    quote!(let #dprev = #c;)
}

/// The stop layer's call, whose gradient of its input nothing needs: a built-in `Affine` /
/// `MatMul` skips that product (`FusedLinear::backward_params`:
/// `self.affine1.backward_params(x_in, d_affine1);`), any other layer runs its `backward` and
/// the result is dropped (`let _ = <Ty as Layer<..>>::backward(&mut self.l, x_in, d_l);`).
///
/// In `train_step`, a first layer's forward left a gathered batch copied in `self.input`,
/// read back with `x.batch_in(&self.input)`.
fn stop_stmt(net: &Net, i: usize, x_in: TokenStream, chain: Chain) -> TokenStream {
    let layer = &net.layers()[i];
    let dout = format_ident!("d_{}", layer.name);
    let x_in = if i == 0 && chain == Chain::Step {
        quote!(#x_in.batch_in(&self.input))
    } else {
        x_in
    };
    if layer.is_fused_linear() {
        let c = call_mut(layer, "backward_params", quote!(#x_in, #dout));
        quote!(#c;)
    } else {
        let c = call_mut(layer, "backward", quote!(#x_in, #dout));
        quote!(let _ = #c;)
    }
}

/// `backward()`: every gradient in place, for the last `forward`.
pub(super) fn backward(net: &Net, loss: &LossModel) -> TokenStream {
    let chain = backward_chain(net, loss, quote!(self.input.view()), Chain::Backward);
    quote! {
        /// Fills every gradient in place for the last [`forward`](Self::forward) (the book's
        /// `backward()`). `d_name` is the gradient of the loss with respect to the output of
        /// layer `name`.
        pub fn backward(&mut self) {
            #(#chain)*
        }
    }
}
