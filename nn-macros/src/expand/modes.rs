//! Training and inference: the `set_mode` calls at the start of the generated methods, and
//! the network's `set_mode` / `reseed`:
//!
//! ```text
//! self.dropout.set_mode(::nn::__private::Mode::Train);      // forward, train_step
//! self.dropout.set_mode(::nn::__private::Mode::Eval);       // predict, evaluate
//! pub fn set_mode(&mut self, mode: Mode) { self.dropout.set_mode(mode); ... }
//! pub fn reseed(&mut self, seed: u64) { self.dropout.reseed(layer_seed(seed, 2)); ... }
//! ```
//!
//! Only layers that may depend on the mode are called: the built-ins marked `modal`
//! (`Dropout`, `BatchNorm`) and every user layer; a network of `Affine` and activations gets
//! no call at all.

use proc_macro2::TokenStream;
use quote::quote;

use super::layers::call_mut;
use super::Net;
use crate::validate::{Kind, LayerModel};

/// Whether the layer's `forward` may depend on the mode or a random stream.
pub(super) fn is_modal(l: &LayerModel) -> bool {
    match &l.kind {
        Kind::Builtin(b) => b.modal,
        Kind::User { .. } => true,
    }
}

/// `self.name.set_mode(Mode::Train);` (or `Eval`) for every layer that may depend on it.
pub(super) fn enter(net: &Net, train: bool) -> Vec<TokenStream> {
    let mode = if train { quote!(Train) } else { quote!(Eval) };
    net.layers()
        .iter()
        .filter(|l| is_modal(l))
        .map(|l| {
            let c = call_mut(l, "set_mode", quote!(::nn::__private::Mode::#mode));
            quote!(#c;)
        })
        .collect()
}

/// The inherent `set_mode` and `reseed`.
pub(super) fn methods(net: &Net) -> TokenStream {
    let modal: Vec<(usize, &LayerModel)> = net.layers().iter().enumerate().filter(|(_, l)| is_modal(l)).collect();
    let set = modal.iter().map(|(_, l)| {
        let c = call_mut(l, "set_mode", quote!(mode));
        quote!(#c;)
    });
    let reseed = modal.iter().map(|(k, l)| {
        let k = *k as u64;
        let c = call_mut(l, "reseed", quote!(::nn::__private::layer_seed(seed, #k)));
        quote!(#c;)
    });
    let unused_mode = modal.is_empty().then(|| quote!(let _ = mode;));
    let unused_seed = modal.is_empty().then(|| quote!(let _ = seed;));
    quote! {
        /// Puts every layer in `mode` (`Layer::set_mode`). `forward` and `train_step` train,
        /// `predict` and `evaluate` evaluate by themselves; this is for driving the layers by
        /// hand.
        pub fn set_mode(&mut self, mode: ::nn::__private::Mode) {
            #unused_mode
            #(#set)*
        }

        /// Restarts every layer's random stream (`Layer::reseed`; layer `k` of the list gets
        /// `layer_seed(seed, k)`): two networks reseeded alike draw the same `Dropout` masks.
        pub fn reseed(&mut self, seed: u64) {
            #unused_seed
            #(#reseed)*
        }
    }
}

/// The `Network` impl's forwarding `set_mode` and `reseed`.
pub(super) fn forwarding() -> TokenStream {
    quote! {
        fn set_mode(&mut self, mode: ::nn::__private::Mode) {
            Self::set_mode(self, mode)
        }

        fn reseed(&mut self, seed: u64) {
            Self::reseed(self, seed)
        }
    }
}
