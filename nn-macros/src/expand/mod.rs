//! Code generation: a checked [`Model`] → the struct, its constructors, straight-line
//! forward / backward / train_step / predict methods and the `Network` / `Trainable` impls.
//!
//! One file per generated item; [`generate`] only puts them in order:
//!
//! ```text
//! pub struct Net<T: Float = f32> { layers.., loss, input }   strukt.rs
//! pub type NetF64 = Net<f64>;                                strukt.rs
//! const _: () = {
//!     impl Net<f32> { INPUT, OUTPUT, PARAMS                  params.rs
//!                     new, zeroed, with_init }               constructors.rs
//!     impl Net<f64> { new_f64, zeroed_f64, with_init_f64 }   constructors.rs
//!     impl<T: Float> Net<T> {
//!         init_params                                        constructors.rs
//!         forward                                            forward.rs     (with a loss)
//!         backward                                           backward.rs    (with a loss)
//!         train_step                                         train_step.rs  (with a loss)
//!         evaluate, predict                                  forward.rs
//!         predict_into                                       predict_into.rs
//!         predict_one, predict_proba(_into), predict_class(es) inference.rs
//!         visit_params, param_count                          params.rs
//!         summary                                            summary.rs
//!         visit_tensors, visit_tensors_mut                   tensors.rs
//!         visit_ops, prediction                              ops.rs
//!         set_mode, reseed                                   modes.rs
//!     }
//!     impl Network for Net<T> { zeroed, with_init, ... }     trait_impls.rs, constructors.rs
//!     impl Trainable for Net<T>                              trait_impls.rs
//!     ::nn::__private::__persist_methods!(Net, IN, OUT);     tensors.rs (save, load, ...:
//!                                                            the facade's macro)
//!     ::nn::__onnx_methods!(Net);                            ops.rs (to_onnx, save_onnx)
//! };
//! ```
//!
//! `names.rs` holds what every item uses (the hygienic locals, `::nn::__private` paths,
//! literals, doc lines), `layers.rs` how one layer is written (its type, a call of one of
//! its methods).
//!
//! Naming in the generated bodies: the local `affine1` is the output of layer `affine1`, and
//! `d_affine1` is the gradient of the loss with respect to that output. Every runtime path
//! goes through `::nn::__private`, written so in this module for readability;
//! [`names::with_facade`] then rewrites those paths to the calling crate's name for `nn`
//! (`::mynn::__private` for `mynn = { package = "nn" }`, or `#[nn(crate = path)]`).

mod backward;
mod constructors;
mod forward;
mod inference;
mod layers;
mod modes;
mod names;
mod ops;
mod params;
mod predict_into;
mod sequences;
mod strukt;
mod summary;
mod tensors;
mod train_step;
mod trait_impls;

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use syn::Ident;

use crate::ast::Input;
use crate::validate::{LayerModel, LossModel, Model};
use names::{lit, rt, Locals};

/// Parses, validates and expands the macro input; `facade` is the path of the `nn` crate
/// in the calling crate (`::nn` unless it renamed the dependency). Never panics: every
/// problem becomes a `compile_error!` next to a placeholder struct of the same name.
pub fn expand(input: TokenStream, facade: &syn::Path) -> TokenStream {
    let parsed: Input = match crate::ast::parse(input) {
        Ok(p) => p,
        Err(e) => return e.to_compile_error(),
    };
    let fallback = placeholder(&parsed);
    match crate::validate::validate(parsed, facade) {
        Ok(model) => generate_for(&model),
        Err(e) => {
            let errors = e.to_compile_error();
            quote! { #fallback #errors }
        }
    }
}

/// The whole expansion of a valid network, its paths under the calling crate's facade.
pub fn generate_for(model: &Model) -> TokenStream {
    names::with_facade(generate(model), &model.krate)
}

/// The user's struct, without layers, so that code naming it does not add errors of its own
/// to the real one.
fn placeholder(input: &Input) -> TokenStream {
    let attrs = &input.attrs;
    let vis = &input.vis;
    let ident = &input.ident;
    quote! {
        #(#attrs)*
        #vis struct #ident<T = f32> {
            _float: ::core::marker::PhantomData<T>,
        }
    }
}

/// A valid network and what most generated items need about it.
struct Net<'a> {
    /// The checked input.
    m: &'a Model,
    /// The hygienic locals and parameters of the generated bodies.
    v: Locals,
    /// The struct's name as a string (doc links, contexts of the debug checks).
    name: String,
    /// `NameF64`.
    alias: Ident,
    /// The last layer before the loss (there is at least one).
    last: &'a LayerModel,
    /// The input width as a literal.
    input_w: Literal,
    /// The output width (the last layer's) as a literal.
    output_w: Literal,
    /// `::nn::__private::Float`.
    float: TokenStream,
}

impl<'a> Net<'a> {
    fn new(m: &'a Model) -> Self {
        let last = m.layers.last().expect("validate guarantees at least one layer");
        Net {
            m,
            v: Locals::new(),
            name: m.ident.to_string(),
            alias: m.alias.clone(),
            last,
            input_w: lit(m.input),
            output_w: lit(last.out_w),
            float: rt("Float"),
        }
    }

    /// The layers before the loss.
    fn layers(&self) -> &'a [LayerModel] {
        &self.m.layers
    }

    /// The first layer that may have parameters: `backward` stops there.
    fn stop(&self) -> Option<usize> {
        self.m.layers.iter().position(LayerModel::may_have_params)
    }

    /// `#[cfg(debug_assertions)] assert_finite(x, "Net::method")`.
    fn finite_check(&self, method: &str) -> TokenStream {
        let x = &self.v.x;
        let ctx = format!("{}::{method}", self.name);
        quote! {
            #[cfg(debug_assertions)]
            ::nn::__private::assert_finite(#x, #ctx);
        }
    }
}

/// The whole expansion of a valid network.
pub fn generate(m: &Model) -> TokenStream {
    let net = Net::new(m);
    let ident = &m.ident;
    let float = &net.float;
    let strukt = strukt::strukt(&net);
    let state_struct = sequences::state_struct(&net);
    let typed_constructors = constructors::typed(&net);
    let network_impl = trait_impls::network(&net);
    let trainable_impl = m.loss.as_ref().map(|l| trait_impls::trainable(&net, l));
    let methods = inherent_methods(&net);
    let cfgs = cfg_attrs(m);
    let persist = tensors::persist_methods(&net);
    let onnx_methods = ops::onnx_methods(&net);
    quote! {
        #strukt
        #state_struct

        #(#cfgs)*
        const _: () = {
            use ::nn::__private::{AsBatch as _, FusedLinear as _, Layer as _, LossLayer as _};

            #typed_constructors

            impl<T: #float> #ident<T> {
                #methods
            }

            #network_impl

            #trainable_impl

            #persist
            #onnx_methods
        };
    }
}

/// The struct's `#[cfg]` attributes, repeated on the alias and the impls so
/// that a network compiled out takes its items with it.
pub(super) fn cfg_attrs(m: &Model) -> Vec<&syn::Attribute> {
    m.attrs.iter().filter(|a| a.path().is_ident("cfg")).collect()
}

/// The items of `impl<T: Float> Net<T>`, in order.
fn inherent_methods(net: &Net) -> TokenStream {
    let consts = params::generic_consts(net);
    let constructors = constructors::generic(net);
    let trainable = net.m.loss.as_ref().map(|l| trainable_methods(net, l));
    let predict = forward::predict(net);
    let predict_into = predict_into::predict_into(net);
    let visit_params = params::visit_params(net);
    let param_count = params::param_count(net);
    let summary = summary::summary(net);
    let tensors = tensors::visit_tensors(net);
    let ops = ops::methods(net);
    let modes = modes::methods(net);
    let sequences = sequences::methods(net);
    let step = sequences::step_methods(net);
    let inference = inference::methods(net);
    quote! {
        #consts
        #constructors
        #trainable
        #predict
        #predict_into
        #inference
        #visit_params
        #param_count
        #summary
        #tensors
        #ops
        #modes
        #sequences
        #step
    }
}

/// The methods that need the loss: `forward`, `backward`, `train_step`, `evaluate`.
fn trainable_methods(net: &Net, loss: &LossModel) -> TokenStream {
    let forward = forward::forward(net, loss);
    let backward = backward::backward(net, loss);
    let train_step = train_step::train_step(net, loss);
    let evaluate = forward::evaluate(net, loss);
    quote! {
        #forward
        #backward
        #train_step
        #evaluate
    }
}
