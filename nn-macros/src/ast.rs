//! The parsed input of `network!`: a struct header and a list of `name: value` entries.
//!
//! Parsing is forgiving: each entry is parsed on its own (tokens up to the next top-level
//! comma), so one malformed entry is reported and the others are still parsed and checked.
//! Nothing is interpreted here (which names are layers, whether sizes are valid): that is
//! [`validate`](crate::validate)'s job. Every node keeps its tokens, hence its span.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Ident, Token, Visibility};

/// `network! { #[attrs] vis struct Name { entries } }`
pub struct Input {
    /// Doc comments and attributes of the struct (passed through).
    pub attrs: Vec<Attribute>,
    /// The struct's visibility (passed through).
    pub vis: Visibility,
    /// The struct's name.
    pub ident: Ident,
    /// The span of the braces around the entries (for errors about the list as a whole).
    pub brace_span: Span,
    /// The entries in order.
    pub entries: Vec<Entry>,
    /// Syntax errors in entries (the entry is dropped, parsing goes on with the next one).
    pub errors: Vec<syn::Error>,
}

/// One `#[attrs] name: value` entry.
pub struct Entry {
    /// Doc comments and attributes on the entry (passed through to the field).
    pub attrs: Vec<Attribute>,
    /// The field name (`affine1`), or `input`.
    pub name: Ident,
    /// What follows the colon.
    pub value: Value,
}

/// The value of an entry.
pub enum Value {
    /// A bare expression that is not a layer: a size (`2`), or a mistake (`-3`, `2.5`).
    Size(Expr),
    /// A layer: `Affine(10)`, `Sigmoid`, `crate::Swish`, `self::Scale(2.0)`, `crate::Project -> 16`.
    Layer(LayerSpec),
}

/// `path [ (args) ] [ -> size ]`
pub struct LayerSpec {
    /// `Affine`, `crate::layers::Swish` (no generic arguments).
    pub path: syn::Path,
    /// The parenthesised arguments, if any (interpreted by [`validate`](crate::validate)).
    pub args: Option<Args>,
    /// `-> N`: the output width of a user layer that changes the width.
    pub arrow: Option<(Token![->], Expr)>,
}

/// `( tokens )` after a layer name.
pub struct Args {
    /// The span of the parentheses (and everything inside).
    pub span: Span,
    /// The tokens inside the parentheses.
    pub tokens: TokenStream,
}

/// An argument of a built-in layer: `10` (output width) or `12 -> 10` (input and output
/// width, the input checked against the previous layer).
pub struct WidthArg {
    /// The explicit input width, if written.
    pub input: Option<(Expr, Token![->])>,
    /// The output width.
    pub output: Expr,
}

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let lookahead = input.lookahead1();
        if !lookahead.peek(Token![struct]) {
            return Err(syn::Error::new(
                input.span(),
                "expected `struct`: write `network! { pub struct Name { input: N, layer: Kind, ... } }`",
            ));
        }
        let _: Token![struct] = input.parse()?;
        let ident: Ident = input.parse()?;
        if input.peek(Token![<]) {
            return Err(syn::Error::new(
                input.span(),
                "write the network without generic parameters: `network!` adds the float type `T` (f32 by default)",
            ));
        }
        let content;
        let brace = syn::braced!(content in input);
        let (entries, errors) = parse_entries(&content)?;
        if !input.is_empty() {
            return Err(syn::Error::new(
                input.span(),
                "unexpected tokens after the struct: `network!` declares one network",
            ));
        }
        Ok(Input {
            attrs,
            vis,
            ident,
            brace_span: brace.span.join(),
            entries,
            errors,
        })
    }
}

/// Splits the braced content at top-level commas and parses every piece on its own.
fn parse_entries(content: ParseStream) -> syn::Result<(Vec<Entry>, Vec<syn::Error>)> {
    let tokens: TokenStream = content.parse()?;
    let mut pieces: Vec<Vec<TokenTree>> = vec![Vec::new()];
    for tt in tokens {
        match &tt {
            TokenTree::Punct(p) if p.as_char() == ',' => pieces.push(Vec::new()),
            _ => pieces.last_mut().expect("pieces is never empty").push(tt),
        }
    }
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    for piece in pieces {
        if piece.is_empty() {
            continue; // trailing comma (or `,,`, harmless)
        }
        let stream: TokenStream = piece.into_iter().collect();
        match Entry::parse.parse2(stream) {
            Ok(entry) => entries.push(entry),
            Err(e) => errors.push(e),
        }
    }
    Ok((entries, errors))
}

impl Entry {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let name: Ident = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a layer name: each entry is `name: Layer`, e.g. `affine1: Affine(10)`",
            )
        })?;
        if !input.peek(Token![:]) || input.peek(Token![::]) {
            return Err(syn::Error::new(
                name.span(),
                format!("expected `:` after `{name}`: each entry is `name: Layer`, e.g. `{name}: Affine(10)`"),
            ));
        }
        let _: Token![:] = input.parse()?;
        if input.is_empty() {
            return Err(syn::Error::new(
                name.span(),
                format!("`{name}` has no layer after the colon"),
            ));
        }
        let value = Value::parse(input)?;
        Ok(Entry { attrs, name, value })
    }
}

impl Value {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let is_path = input.peek(Ident::peek_any) || input.peek(Token![::]);
        if !is_path {
            // A size such as `2`, or a mistake such as `-3` or `2.5`: validate explains.
            let expr: Expr = input.parse()?;
            expect_end(input)?;
            return Ok(Value::Size(expr));
        }
        let path = syn::Path::parse_mod_style(input).map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a layer name such as `Affine(10)` or a path to a layer type such as `crate::Swish`",
            )
        })?;
        if input.peek(Token![<]) {
            return Err(syn::Error::new(
                input.span(),
                "write the layer without generic arguments: the macro adds the float type and the widths \
                 (`Affine(10)` becomes `Affine<T, IN, 10>`)",
            ));
        }
        let args = if input.peek(syn::token::Paren) {
            let group: proc_macro2::Group = input.parse()?;
            debug_assert_eq!(group.delimiter(), Delimiter::Parenthesis);
            Some(Args {
                span: group.span(),
                tokens: group.stream(),
            })
        } else {
            None
        };
        let arrow = if input.peek(Token![->]) {
            let arrow: Token![->] = input.parse()?;
            let expr: Expr = input.parse()?;
            Some((arrow, expr))
        } else {
            None
        };
        expect_end(input)?;
        Ok(Value::Layer(LayerSpec { path, args, arrow }))
    }

    /// The span of the whole value, for errors about it.
    pub fn span(&self) -> Span {
        match self {
            Value::Size(e) => e.span(),
            Value::Layer(l) => l.span(),
        }
    }
}

impl LayerSpec {
    /// The span of the whole layer spec (path, arguments and arrow).
    pub fn span(&self) -> Span {
        let mut span = self.path.span();
        if let Some(args) = &self.args {
            span = span.join(args.span).unwrap_or(span);
        }
        if let Some((_, e)) = &self.arrow {
            span = span.join(e.span()).unwrap_or(span);
        }
        span
    }

    /// The layer's name as written (`Affine`, `crate::layers::Swish`).
    pub fn path_string(&self) -> String {
        self.path
            .to_token_stream()
            .to_string()
            .replace(" :: ", "::")
            .replace(":: ", "::")
    }
}

impl Args {
    /// The arguments of a built-in layer: a comma-separated list of [`WidthArg`].
    pub fn widths(&self) -> syn::Result<Punctuated<WidthArg, Token![,]>> {
        Punctuated::parse_terminated.parse2(self.tokens.clone())
    }

    /// The arguments of a user layer: expressions passed on to its `new`.
    pub fn exprs(&self) -> syn::Result<Punctuated<Expr, Token![,]>> {
        Punctuated::parse_terminated.parse2(self.tokens.clone())
    }
}

impl Parse for WidthArg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        // `12 -> 10`: the first width ends at `->` (an expression parser would read `12 - >`).
        let mut first = TokenStream::new();
        while !input.is_empty() && !input.peek(Token![->]) && !input.peek(Token![,]) {
            let tt: TokenTree = input.parse()?;
            first.extend([tt]);
        }
        if first.is_empty() {
            return Err(input.error("expected a width"));
        }
        let first: Expr = syn::parse2(first)?;
        if input.peek(Token![->]) {
            let arrow: Token![->] = input.parse()?;
            let output: Expr = input.parse()?;
            Ok(WidthArg {
                input: Some((first, arrow)),
                output,
            })
        } else {
            Ok(WidthArg {
                input: None,
                output: first,
            })
        }
    }
}

fn expect_end(input: ParseStream) -> syn::Result<()> {
    if input.is_empty() {
        Ok(())
    } else {
        Err(syn::Error::new(
            input.span(),
            "unexpected tokens: expected `,` before the next layer",
        ))
    }
}
