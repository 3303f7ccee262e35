//! What every generated item uses: the hygienic locals of the generated bodies, paths into
//! `::nn::__private`, integer literals and doc attributes.

use proc_macro2::{Literal, Span, TokenStream};
use quote::quote;
use syn::Ident;

/// The locals and parameters of the generated code (`x`, `t`, `opt`, ...).
///
/// They are hygienic (mixed-site), so a layer named `x`, `out` or `loss` (whose output
/// becomes a local of that name) cannot shadow them.
pub(super) struct Locals {
    /// The input batch.
    pub x: Ident,
    /// The labels or targets.
    pub t: Ident,
    /// `predict_into`'s output.
    pub out: Ident,
    /// `predict_into`'s batch size.
    pub n: Ident,
    /// `predict_into`'s per-thread scratch.
    pub scratch: Ident,
    /// `train_step`'s optimizer.
    pub opt: Ident,
    /// `train_step`'s running parameter-tensor index.
    pub index: Ident,
    /// `train_step`'s per-tensor update closure.
    pub update: Ident,
    /// `visit_params`'s visitor.
    pub f: Ident,
    /// One visited parameter tensor.
    pub p: Ident,
    /// `init_params`'s `Init`.
    pub init: Ident,
    /// `with_init`'s new network.
    pub net: Ident,
    /// The random number generator of the constructors.
    pub rng: Ident,
    /// The `InitScheme` of the constructors.
    pub scheme: Ident,
    /// `train_step`'s loss.
    pub loss: Ident,
}

impl Locals {
    pub fn new() -> Self {
        let local = |s: &str| Ident::new(s, Span::mixed_site());
        Locals {
            x: local("x"),
            t: local("t"),
            out: local("out"),
            n: local("n"),
            scratch: local("scratch"),
            opt: local("opt"),
            index: local("index"),
            update: local("update"),
            f: local("f"),
            p: local("p"),
            init: local("init"),
            net: local("net"),
            rng: local("rng"),
            scheme: local("scheme"),
            loss: local("loss"),
        }
    }
}

/// `::nn::__private::Name`
pub(super) fn rt(name: &str) -> TokenStream {
    let ident = Ident::new(name, Span::call_site());
    quote!(::nn::__private::#ident)
}

/// An unsuffixed integer literal: `10`, not `10usize`.
pub(super) fn lit(n: usize) -> Literal {
    Literal::usize_unsuffixed(n)
}

/// `#[doc = "..."]` lines wrapped at about 90 characters, so the expansion reads as `///`
/// comments of ordinary length.
pub(super) fn docs(text: &str) -> TokenStream {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > 90 {
            lines.push(std::mem::take(&mut line));
        }
        line.push(' ');
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    quote!(#(#[doc = #lines])*)
}
