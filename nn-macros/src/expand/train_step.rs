//! `train_step(x, t, &mut opt) -> loss`: forward, backward and the optimizer update as
//! straight-line code, reading `x` in place (no copy):
//!
//! ```text
//! let x = ::nn::__private::AsInput::as_input(&x);
//! let affine1 = self.affine1.forward_input(x, &mut self.input);
//! ...                                              // forward chain, loss, backward chain
//! opt.begin_step();
//! let mut index = 0;
//! let mut update = |p| { opt.update(index, p); index += 1; };
//! self.affine1.visit_params(&mut |p| update(p.in_layer("affine1")));
//! self.affine2.visit_params(&mut |p| update(p.in_layer("affine2")));
//! loss
//! ```

use proc_macro2::TokenStream;
use quote::quote;

use super::backward::{backward_chain, Chain};
use super::forward::input_chain;
use super::layers::{call_mut, target_type};
use super::Net;
use crate::validate::{LayerModel, LossModel};

/// The `train_step` method.
pub(super) fn train_step(net: &Net, loss: &LossModel) -> TokenStream {
    let Net { v, input_w, last, .. } = net;
    let (x, t, opt, loss_v) = (&v.x, &v.t, &v.opt, &v.loss);
    let (lname, last_name) = (&loss.name, &last.name);
    let target = target_type(loss, quote!('t));
    let check = input_check(net);
    let forward = input_chain(net);
    let backward = backward_chain(net, loss, quote!(#x), Chain::Step);
    let update = update(net);
    let mode = super::modes::enter(net, true);
    quote! {
        /// One training step: forward, backward and an optimizer update (`begin_step`, then
        /// `update` for every parameter tensor in [`visit_params`](Self::visit_params) order)
        /// as straight-line code. Returns the loss. `x` is a batch or a mini-batch read in
        /// place from its data set (a `Gather`, from `Batches::get_in_place`; a first `Affine`
        /// or `MatMul` gathers it inside its first product). Allocates nothing once a batch
        /// this large has been seen (and the optimizer has its state).
        ///
        /// NaN propagates: a NaN or an infinity in `x`, in an activation or in a parameter
        /// makes the returned loss non-finite (the `Trainer` then stops with a `TrainError`);
        /// debug builds panic first on a non-finite `x`, naming the sample and feature.
        pub fn train_step<'t>(
            &mut self,
            #x: impl ::nn::__private::AsInput<T, #input_w>,
            #t: impl ::core::convert::Into<#target>,
            #opt: &mut (impl ::nn::__private::Optimizer<T> + ?::core::marker::Sized),
        ) -> T {
            let #x = ::nn::__private::AsInput::as_input(&#x);
            #check
            #(#mode)*
            #(#forward)*
            let #loss_v = self.#lname.forward(#last_name, #t.into());
            #(#backward)*
            #update
            #loss_v
        }
    }
}

/// `#[cfg(debug_assertions)] assert_finite_input(x, "Net::train_step")`.
fn input_check(net: &Net) -> TokenStream {
    let x = &net.v.x;
    let ctx = format!("{}::train_step", net.name);
    quote! {
        #[cfg(debug_assertions)]
        ::nn::__private::assert_finite_input(#x, #ctx);
    }
}

/// `begin_step`, then `update` for every parameter tensor in `visit_params` order.
fn update(net: &Net) -> TokenStream {
    let (opt, index, update, p) = (&net.v.opt, &net.v.index, &net.v.update, &net.v.p);
    let calls = net
        .layers()
        .iter()
        .filter(|l| l.may_have_params())
        .map(|l| update_call(net, l));
    quote! {
        #opt.begin_step();
        let mut #index = 0;
        let mut #update = |#p: ::nn::__private::Param<'_, T>| {
            #opt.update(#index, #p);
            #index += 1;
        };
        #(#calls)*
    }
}

/// `self.name.visit_params(&mut |p| update(p.in_layer("name")));`
fn update_call(net: &Net, l: &LayerModel) -> TokenStream {
    let (update, p) = (&net.v.update, &net.v.p);
    let name_s = l.name.to_string();
    let c = call_mut(l, "visit_params", quote!(&mut |#p| #update(#p.in_layer(#name_s))));
    quote!(#c;)
}
