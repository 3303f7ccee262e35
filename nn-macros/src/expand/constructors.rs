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

use super::layers::{call_mut, layer_trait};
use super::names::{docs, lit, rt};
use super::Net;
use crate::validate::{Kind, LayerModel, LossModel};

/// `impl Net<f32> { new, zeroed, with_init }` and `impl Net<f64> { new_f64, zeroed_f64,
/// with_init_f64 }`: one impl per float type, so `Net::zeroed()` needs no type annotation
/// (an item defined for every `T` would leave `T` to infer). The bodies are the `Network`
/// impl's `zeroed` and `with_init` (trait_impls.rs), the generic forms.
pub(super) fn typed(net: &Net) -> TokenStream {
    let ident = &net.m.ident;
    let (rng, scheme) = (&net.v.rng, &net.v.scheme);
    let name = &net.name;
    let (i, o) = (&net.input_w, &net.output_w);
    let consts = super::params::consts(net);
    let new_doc = docs(&format!(
        " An `f32` network with weights drawn from `rng` (e.g. `ChaCha8Rng::seed_from_u64(seed)`) by \
         `InitScheme::Auto`, biases zero. For `f64` use [`{name}::new_f64`] or [`{}`]; for \
         another scheme, [`with_init`]({name}::with_init).",
        net.alias
    ));
    let new_f64_doc = docs(&format!(" Like [`{name}::new`], in `f64`."));
    let zeroed_f64_doc = docs(&format!(" Like [`{name}::zeroed`], in `f64`."));
    let with_init_f64_doc = docs(&format!(" Like [`{name}::with_init`], in `f64`."));
    let zeroed_doc = docs(&format!(
        " An `f32` network with every parameter zero (set the weights by hand, or call \
         [`init_params`]({name}::init_params)). `{name}::zeroed_f64()` in `f64`; generic code \
         calls `Network::zeroed()`."
    ));
    let network = quote!(::nn::__private::Network<f32, #i, #o>);
    let network64 = quote!(::nn::__private::Network<f64, #i, #o>);
    quote! {
        impl #ident<f32> {
            #consts

            #new_doc
            pub fn new(#rng: &mut impl ::nn::__private::RngCore) -> Self {
                Self::with_init(#rng, ::nn::__private::InitScheme::Auto)
            }

            #zeroed_doc
            pub fn zeroed() -> Self {
                <Self as #network>::zeroed()
            }

            /// An `f32` network with weights drawn from `rng` by `scheme` (`Book`: the book's
            /// `0.01 * randn`, `Xavier`, `He`, `Auto`), biases zero.
            pub fn with_init(
                #rng: &mut impl ::nn::__private::RngCore,
                #scheme: ::nn::__private::InitScheme,
            ) -> Self {
                <Self as #network>::with_init(#rng, #scheme)
            }
        }

        impl #ident<f64> {
            #new_f64_doc
            pub fn new_f64(#rng: &mut impl ::nn::__private::RngCore) -> Self {
                Self::with_init_f64(#rng, ::nn::__private::InitScheme::Auto)
            }

            #zeroed_f64_doc
            pub fn zeroed_f64() -> Self {
                <Self as #network64>::zeroed()
            }

            #with_init_f64_doc
            pub fn with_init_f64(
                #rng: &mut impl ::nn::__private::RngCore,
                #scheme: ::nn::__private::InitScheme,
            ) -> Self {
                <Self as #network64>::with_init(#rng, #scheme)
            }
        }
    }
}

/// `init_params`, for every float type.
pub(super) fn generic(net: &Net) -> TokenStream {
    init_params(net)
}

/// The `Network` impl's `zeroed` and `with_init`: every layer's `new`, then `init_params`.
pub(super) fn trait_constructors(net: &Net) -> TokenStream {
    let fields = net.layers().iter().map(layer_new);
    let loss = net.m.loss.as_ref().map(loss_new);
    let input = net
        .m
        .loss
        .as_ref()
        .map(|_| quote!(input: ::nn::__private::BatchBuf::new(),));
    let (rng, scheme, new) = (&net.v.rng, &net.v.scheme, &net.v.net);
    let (i, o) = (&net.input_w, &net.output_w);
    quote! {
        fn zeroed() -> Self {
            Self {
                #(#fields)*
                #loss
                #input
            }
        }

        fn with_init(
            mut #rng: &mut dyn ::nn::__private::RngCore,
            #scheme: ::nn::__private::InitScheme,
        ) -> Self {
            let mut #new = <Self as ::nn::__private::Network<T, #i, #o>>::zeroed();
            #new.init_params(&mut #rng, #scheme);
            #new
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
            let args = l.args.iter().map(|&v| proc_macro2::Literal::f64_suffixed(v));
            quote!(#name: #ty::new(#(#args),*),)
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
            let args = args.iter().map(user_arg);
            quote_spanned!(*span=> #name: #path #generics::new(#(#args),*),)
        }
    }
}

/// A user layer's argument as written, except a float literal (maybe negated):
/// `Into::into(Number(0.01))`, which becomes the `T` (or `f64`) its `new` takes.
fn user_arg(e: &syn::Expr) -> TokenStream {
    let is_float = match e {
        syn::Expr::Lit(l) => matches!(&l.lit, syn::Lit::Float(f) if f.suffix().is_empty()),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => {
            matches!(&*u.expr, syn::Expr::Lit(l) if matches!(&l.lit, syn::Lit::Float(f) if f.suffix().is_empty()))
        }
        _ => false,
    };
    if is_float {
        let span = syn::spanned::Spanned::span(e);
        quote_spanned!(span=> ::core::convert::Into::into(::nn::__private::Number(#e)))
    } else {
        quote::ToTokens::to_token_stream(e)
    }
}

fn loss_new(l: &LossModel) -> TokenStream {
    let name = &l.name;
    let ty = rt(l.kind.name);
    quote!(#name: #ty::new(),)
}

fn init_params(net: &Net) -> TokenStream {
    let (rng, scheme, init) = (&net.v.rng, &net.v.scheme, &net.v.init);
    let layers = net.layers();
    let calls: Vec<TokenStream> = layers
        .iter()
        .enumerate()
        .filter(|(_, l)| draws_at_init(l))
        .map(|(k, l)| init_call(net, l, user_after(layers, k)))
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

/// Whether `init_params` calls the layer: it may have parameters, or it has a random stream
/// whose first seed it draws from the `Init` stream (`Dropout`).
fn draws_at_init(l: &LayerModel) -> bool {
    l.may_have_params() || super::modes::is_modal(l)
}

/// The layer after layer `k` when it is a user layer: its `Layer::RECTIFIER` then decides
/// what `Auto` means for layer `k` (a constant of its type, known only to the compiler).
fn user_after(layers: &[LayerModel], k: usize) -> Option<&LayerModel> {
    layers.get(k + 1).filter(|next| matches!(next.kind, Kind::User { .. }))
}

/// `self.name.init_params(&mut init.with_scheme(InitScheme::He))`: what `Auto` means for
/// this layer (`if <Next as Layer<..>>::RECTIFIER { He } else { Xavier }` before a user
/// layer).
fn init_call(net: &Net, l: &LayerModel, user_next: Option<&LayerModel>) -> TokenStream {
    let init = &net.v.init;
    let scheme = match user_next {
        Some(next) => {
            let tr = layer_trait(next);
            quote! {
                if #tr::RECTIFIER {
                    ::nn::__private::InitScheme::He
                } else {
                    ::nn::__private::InitScheme::Xavier
                }
            }
        }
        None if l.before_relu => quote!(::nn::__private::InitScheme::He),
        None => quote!(::nn::__private::InitScheme::Xavier),
    };
    call_mut(l, "init_params", quote!(&mut #init.with_scheme(#scheme)))
}

/// The doc line saying what `InitScheme::Auto` picks for each layer.
fn auto_doc(net: &Net) -> String {
    let layers = net.layers();
    let per_layer: Vec<String> = layers
        .iter()
        .enumerate()
        .filter(|(_, l)| l.may_have_params())
        .map(|(k, l)| {
            let which = match user_after(layers, k).map(|next| &next.kind) {
                Some(Kind::User { path, .. }) => format!(
                    "He if `{}` is a rectifier (`Layer::RECTIFIER`), else Xavier",
                    crate::ast::path_string(path)
                ),
                _ if l.before_relu => String::from("He"),
                _ => String::from("Xavier"),
            };
            format!("`{}`: {which}", l.name)
        })
        .collect();
    if per_layer.is_empty() {
        String::from(" The network has no parameters; this does nothing.")
    } else {
        format!(
            " `InitScheme::Auto` resolves per layer (He before a rectifier such as `Relu`, else Xavier): {}.",
            per_layer.join(", ")
        )
    }
}
