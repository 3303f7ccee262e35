//! The constructors: `new` (f32) and `new_f64` in impls of their own, and the generic
//! `zeroed`, `with_init` and `init_params`:
//!
//! ```text
//! impl TwoLayerNet<f32> {
//!     pub fn new(rng: &mut impl RngCore) -> Self { Self::with_init(rng, InitScheme::Auto) }
//! }
//! ...
//! pub fn zeroed() -> Self {
//!     Self { affine1: ::nn::__private::Affine::new(), ..., input: BatchBuf::new() }
//! }
//! pub fn init_params(&mut self, rng: &mut impl RngCore, scheme: InitScheme) {
//!     let mut init = ::nn::__private::Init::new(rng, scheme);
//!     self.affine1.init_params(&mut init.with_scheme(::nn::__private::InitScheme::Xavier));
//!     ...
//! }
//! ```

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::layers::call_mut;
use super::names::{docs, lit, rt};
use super::Net;
use crate::validate::{Kind, LayerModel, LossModel};

/// `impl Net<f32> { new }` and `impl Net<f64> { new_f64 }`.
pub(super) fn typed(net: &Net) -> TokenStream {
    let ident = &net.m.ident;
    let rng = &net.v.rng;
    let name = &net.name;
    let new_doc = docs(&format!(
        " An `f32` network with weights drawn from `rng` (e.g. `ChaCha8Rng::seed_from_u64(seed)`) by \
         `InitScheme::Auto`, biases zero. For `f64` use [`{name}::new_f64`] or [`{}`]; for \
         another scheme, [`with_init`]({name}::with_init).",
        net.alias
    ));
    let new_f64_doc = docs(&format!(" Like [`{name}::new`], in `f64`."));
    quote! {
        impl #ident<f32> {
            #new_doc
            pub fn new(#rng: &mut impl ::nn::__private::RngCore) -> Self {
                Self::with_init(#rng, ::nn::__private::InitScheme::Auto)
            }
        }

        impl #ident<f64> {
            #new_f64_doc
            pub fn new_f64(#rng: &mut impl ::nn::__private::RngCore) -> Self {
                Self::with_init(#rng, ::nn::__private::InitScheme::Auto)
            }
        }
    }
}

/// `zeroed`, `with_init` and `init_params`, for every float type.
pub(super) fn generic(net: &Net) -> TokenStream {
    let zeroed = zeroed(net);
    let with_init = with_init(net);
    let init_params = init_params(net);
    quote! {
        #zeroed
        #with_init
        #init_params
    }
}

fn zeroed(net: &Net) -> TokenStream {
    let fields = net.layers().iter().map(layer_new);
    let loss = net.m.loss.as_ref().map(loss_new);
    let input = net
        .m
        .loss
        .as_ref()
        .map(|_| quote!(input: ::nn::__private::BatchBuf::new(),));
    quote! {
        /// A network with every parameter zero (set the weights by hand, or call
        /// [`init_params`](Self::init_params)).
        pub fn zeroed() -> Self {
            Self {
                #(#fields)*
                #loss
                #input
            }
        }
    }
}

/// `name: Affine::new(),` for a built-in, `name: path::<T, IN[, OUT]>::new(args),` at the
/// user's tokens for a user layer.
fn layer_new(l: &LayerModel) -> TokenStream {
    let name = &l.name;
    match &l.kind {
        Kind::Builtin(b) => {
            let ty = rt(b.name);
            quote!(#name: #ty::new(),)
        }
        Kind::User {
            path,
            args,
            changes_width,
            span,
        } => {
            let (i, o) = (lit(l.in_w), lit(l.out_w));
            let generics = if *changes_width {
                quote_spanned!(*span=> ::<T, #i, #o>)
            } else {
                quote_spanned!(*span=> ::<T, #i>)
            };
            let args = args.iter();
            quote_spanned!(*span=> #name: #path #generics::new(#(#args),*),)
        }
    }
}

fn loss_new(l: &LossModel) -> TokenStream {
    let name = &l.name;
    let ty = rt(l.kind.name);
    quote!(#name: #ty::new(),)
}

fn with_init(net: &Net) -> TokenStream {
    let (rng, scheme, new) = (&net.v.rng, &net.v.scheme, &net.v.net);
    quote! {
        /// A network with weights drawn from `rng` by `scheme` (`Book`: the book's
        /// `0.01 * randn`, `Xavier`, `He`, `Auto`), biases zero.
        pub fn with_init(
            #rng: &mut impl ::nn::__private::RngCore,
            #scheme: ::nn::__private::InitScheme,
        ) -> Self {
            let mut #new = Self::zeroed();
            #new.init_params(#rng, #scheme);
            #new
        }
    }
}

fn init_params(net: &Net) -> TokenStream {
    let (rng, scheme, init) = (&net.v.rng, &net.v.scheme, &net.v.init);
    let calls: Vec<TokenStream> = net
        .layers()
        .iter()
        .filter(|l| l.may_have_params())
        .map(|l| init_call(net, l))
        .collect();
    let body = if calls.is_empty() {
        quote!(let _ = (#rng, #scheme);)
    } else {
        quote! {
            let mut #init = ::nn::__private::Init::new(#rng, #scheme);
            #(#calls;)*
        }
    };
    let auto_doc = docs(&auto_doc(net));
    quote! {
        /// Draws every weight again from `rng` by `scheme`, layer after layer; biases
        /// become zero.
        #auto_doc
        pub fn init_params(
            &mut self,
            #rng: &mut impl ::nn::__private::RngCore,
            #scheme: ::nn::__private::InitScheme,
        ) {
            #body
        }
    }
}

/// `self.name.init_params(&mut init.with_scheme(InitScheme::He))`: what `Auto` means for
/// this layer.
fn init_call(net: &Net, l: &LayerModel) -> TokenStream {
    let init = &net.v.init;
    let which = if l.before_relu { quote!(He) } else { quote!(Xavier) };
    call_mut(
        l,
        "init_params",
        quote!(&mut #init.with_scheme(::nn::__private::InitScheme::#which)),
    )
}

/// The doc line saying what `InitScheme::Auto` picks for each layer.
fn auto_doc(net: &Net) -> String {
    let per_layer: Vec<String> = net
        .layers()
        .iter()
        .filter(|l| l.may_have_params())
        .map(|l| format!("`{}`: {}", l.name, if l.before_relu { "He" } else { "Xavier" }))
        .collect();
    if per_layer.is_empty() {
        String::from(" The network has no parameters; this does nothing.")
    } else {
        format!(
            " `InitScheme::Auto` resolves per layer (He before a `Relu`, else Xavier): {}.",
            per_layer.join(", ")
        )
    }
}
