//! What every generated item uses: the hygienic locals of the generated bodies, paths into
//! `::nn::__private`, integer literals and doc attributes.

use proc_macro2::{Group, Literal, Span, TokenStream, TokenTree};
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

/// Rewrites every `::nn::__private` path of the generated code to `facade::__private`
/// (a no-op for the usual `::nn`). The generators write `::nn::__private::...` literally, so
/// that they and the expansion snapshots read as plain Rust.
pub(super) fn with_facade(tokens: TokenStream, facade: &syn::Path) -> TokenStream {
    let is_default = facade.leading_colon.is_some() && facade.segments.len() == 1 && facade.segments[0].ident == "nn";
    if is_default {
        return tokens;
    }
    let facade = quote!(#facade);
    rewrite(tokens, &facade)
}

fn rewrite(tokens: TokenStream, facade: &TokenStream) -> TokenStream {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = TokenStream::new();
    let mut i = 0;
    while i < trees.len() {
        if let Some(len) = nn_private_at(&trees[i..]) {
            // `::nn::__private` -> `facade::__private`: keep the trailing `::__private`.
            out.extend(facade.clone());
            out.extend(trees[i + 3..i + len].iter().cloned());
            i += len;
            continue;
        }
        match &trees[i] {
            TokenTree::Group(g) => {
                let mut new = Group::new(g.delimiter(), rewrite(g.stream(), facade));
                new.set_span(g.span());
                out.extend([TokenTree::Group(new)]);
            }
            tt => out.extend([tt.clone()]),
        }
        i += 1;
    }
    out
}

/// The number of tokens of `::nn::__private` if `trees` starts with it (`:` `:` `nn` `:` `:`
/// `__private`).
fn nn_private_at(trees: &[TokenTree]) -> Option<usize> {
    let punct = |t: &TokenTree, c: char| matches!(t, TokenTree::Punct(p) if p.as_char() == c);
    let ident = |t: &TokenTree, s: &str| matches!(t, TokenTree::Ident(i) if i == s);
    let ok = trees.len() >= 6
        && punct(&trees[0], ':')
        && punct(&trees[1], ':')
        && ident(&trees[2], "nn")
        && punct(&trees[3], ':')
        && punct(&trees[4], ':')
        && ident(&trees[5], "__private");
    ok.then_some(6)
}
