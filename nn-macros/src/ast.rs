//! The parsed input of `network!`: a struct header and a list of `name: value` entries.
//!
//! Parsing is forgiving: an entry that does not parse is reported, kept as
//! [`Value::Broken`] (so the checks know a layer is missing there and report nothing about
//! it or the widths after it) and parsing goes on after the next top-level comma. Nothing is
//! interpreted here (which names are layers, whether sizes are valid): that is
//! [`validate`](crate::validate)'s job. Every node keeps its tokens, hence its span, and
//! every error points into the input: a stream is parsed inside a group whose closing span
//! is its last token, so even "unexpected end of input" has a place.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Ident, Token, Visibility};

/// `network! { #[attrs] vis struct Name { entries } }`
pub struct Input {
    /// Doc comments and attributes of the struct (passed through; `#[nn(...)]` removed).
    pub attrs: Vec<Attribute>,
    /// The macro's own options, from `#[nn(...)]` on the struct.
    pub options: Options,
    /// The struct's visibility (passed through).
    pub vis: Visibility,
    /// The struct's name.
    pub ident: Ident,
    /// The span of the braces around the entries (for errors about the list as a whole).
    pub brace_span: Span,
    /// The entries in order (a malformed one as [`Value::Broken`]).
    pub entries: Vec<Entry>,
    /// Syntax errors in entries and options (parsing went on after each).
    pub errors: Vec<syn::Error>,
}

/// `#[nn(crate = path, f64_alias = Name)]` on the struct.
#[derive(Default)]
pub struct Options {
    /// `crate = path`: the path of the `nn` facade, for a crate that reaches it under
    /// another name than its dependency name (a re-export).
    pub krate: Option<syn::Path>,
    /// `f64_alias = Name`: the name of the generated `f64` alias instead of `NameF64`.
    pub f64_alias: Option<Ident>,
}

/// One `#[attrs] name: value` entry.
pub struct Entry {
    /// Doc comments and attributes on the entry (passed through to the field).
    pub attrs: Vec<Attribute>,
    /// The field name (`affine1`), or `input`; for a [`Value::Broken`] entry whose name did
    /// not parse, an identifier at the entry's first token.
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
    /// An entry that did not parse; its error is already in [`Input::errors`].
    Broken,
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
    /// The parentheses and everything inside.
    pub group: Group,
}

/// An argument of a built-in layer: `10` (output width) or `12 -> 10` (input and output
/// width, the input checked against the previous layer).
pub struct WidthArg {
    /// The explicit input width, if written.
    pub input: Option<(Expr, Token![->])>,
    /// The output width.
    pub output: Expr,
}

/// Parses the whole macro input. The input is parsed inside a group whose spans are its
/// last token's, so an error at the end of the input points at that token, not at the
/// whole macro call.
pub fn parse(tokens: TokenStream) -> syn::Result<Input> {
    parse_scoped(tokens, Input::parse)
}

/// Runs `parser` over `tokens` inside a parenthesised group spanned at the last token (the
/// call site only for an empty stream, where there is nothing else to point at).
fn parse_scoped<T>(tokens: TokenStream, parser: impl FnOnce(ParseStream) -> syn::Result<T>) -> syn::Result<T> {
    let last = tokens.clone().into_iter().last().map(|tt| tt.span());
    parse_in_group(tokens, last.unwrap_or_else(Span::call_site), parser)
}

/// Runs `parser` over `tokens` inside a parenthesised group spanned at `span`: the end of
/// `tokens` is reported at `span`.
fn parse_in_group<T>(
    tokens: TokenStream,
    span: Span,
    parser: impl FnOnce(ParseStream) -> syn::Result<T>,
) -> syn::Result<T> {
    let mut group = Group::new(Delimiter::Parenthesis, tokens);
    group.set_span(span);
    let wrapped = TokenStream::from(TokenTree::Group(group));
    let outer = |input: ParseStream| {
        let content;
        syn::parenthesized!(content in input);
        let value = parser(&content)?;
        if !content.is_empty() {
            return Err(content.error("unexpected tokens"));
        }
        Ok(value)
    };
    outer.parse2(wrapped)
}

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut errors = Vec::new();
        reject_inner_attrs(input, "the struct", &mut errors)?;
        let mut attrs = input.call(Attribute::parse_outer)?;
        let options = take_options(&mut attrs, &mut errors);
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
        let entries = parse_entries(&content, &mut errors)?;
        if !input.is_empty() {
            return Err(syn::Error::new(
                input.span(),
                "unexpected tokens after the struct: `network!` declares one network",
            ));
        }
        Ok(Input {
            attrs,
            options,
            vis,
            ident,
            brace_span: brace.span.join(),
            entries,
            errors,
        })
    }
}

/// `//!` and `#![...]` have nothing to attach to inside `network!`: one error each.
fn reject_inner_attrs(input: ParseStream, place: &str, errors: &mut Vec<syn::Error>) -> syn::Result<()> {
    while input.peek(Token![#]) && input.peek2(Token![!]) {
        for attr in input.call(Attribute::parse_inner)? {
            errors.push(syn::Error::new_spanned(
                &attr,
                format!(
                    "inner attributes and inner doc comments (`//!`, `#![...]`) are not supported on {place} \
                     inside `network!`: write an outer doc comment `///` (or `#[...]`) before it"
                ),
            ));
        }
    }
    Ok(())
}

/// Removes the `#[nn(...)]` attributes from `attrs` and reads them.
fn take_options(attrs: &mut Vec<Attribute>, errors: &mut Vec<syn::Error>) -> Options {
    let mut options = Options::default();
    attrs.retain(|attr| {
        if !attr.path().is_ident("nn") {
            return true;
        }
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                let path = meta.value()?.call(syn::Path::parse_mod_style)?;
                options.krate = Some(path);
                Ok(())
            } else if meta.path.is_ident("f64_alias") {
                let ident: Ident = meta.value()?.parse()?;
                options.f64_alias = Some(ident);
                Ok(())
            } else {
                Err(meta.error("unknown `nn` option: expected `crate = path` or `f64_alias = Name`"))
            }
        });
        if let Err(e) = parsed {
            errors.push(e);
        }
        false
    });
    options
}

/// Parses `entry, entry, ...` from the braced content. A malformed entry is reported,
/// kept as [`Value::Broken`], and parsing resumes after the next top-level comma.
fn parse_entries(content: ParseStream, errors: &mut Vec<syn::Error>) -> syn::Result<Vec<Entry>> {
    reject_inner_attrs(content, "the layer list", errors)?;
    let mut entries = Vec::new();
    loop {
        if content.is_empty() {
            return Ok(entries);
        }
        if content.peek(Token![,]) {
            let _: Token![,] = content.parse()?; // `,,` (harmless)
            continue;
        }
        let first_span = content.span();
        let fork = content.fork();
        match Entry::parse(&fork) {
            Ok(entry) => {
                syn::parse::discouraged::Speculative::advance_to(content, &fork);
                let name = entry.name.clone();
                entries.push(entry);
                if content.is_empty() {
                    return Ok(entries);
                }
                if content.peek(Token![,]) {
                    let _: Token![,] = content.parse()?;
                    continue;
                }
                errors.push(syn::Error::new(
                    content.span(),
                    format!("expected `,` after the entry `{name}`: entries are separated by commas"),
                ));
                // What follows the missing comma is unknown: a broken entry stands for it.
                entries.push(broken(None, content.span()));
            }
            Err((name, e)) => {
                errors.push(e);
                entries.push(broken(name, first_span));
            }
        }
        skip_to_comma(content)?;
    }
}

/// A placeholder for an entry that did not parse.
fn broken(name: Option<Ident>, span: Span) -> Entry {
    Entry {
        attrs: Vec::new(),
        name: name.unwrap_or_else(|| Ident::new("__broken_entry", span)),
        value: Value::Broken,
    }
}

/// Skips tokens up to the next comma that is not inside `<...>` (generic arguments; the
/// `>` of `->` does not close one).
fn skip_to_comma(input: ParseStream) -> syn::Result<()> {
    input.step(|cursor| {
        let mut rest = *cursor;
        let mut depth = 0usize;
        let mut after_minus = false;
        while let Some((tt, next)) = rest.token_tree() {
            if let TokenTree::Punct(p) = &tt {
                match p.as_char() {
                    ',' if depth == 0 => return Ok(((), rest)),
                    '<' => depth = depth.saturating_add(1),
                    '>' if !after_minus => depth = depth.saturating_sub(1),
                    _ => {}
                }
                after_minus = p.as_char() == '-' && p.spacing() == proc_macro2::Spacing::Joint;
            } else {
                after_minus = false;
            }
            rest = next;
        }
        Ok(((), rest))
    })
}

impl Entry {
    /// One entry, up to (not including) the comma after it. On error, the name if it was
    /// read.
    fn parse(input: ParseStream) -> Result<Self, (Option<Ident>, syn::Error)> {
        let attrs = Self::attrs(input).map_err(|e| (None, e))?;
        let name: Ident = input.parse().map_err(|e| {
            (
                None,
                syn::Error::new(
                    e.span(),
                    "expected a layer name: each entry is `name: Layer`, e.g. `affine1: Affine(10)`",
                ),
            )
        })?;
        let err = |e: syn::Error| (Some(name.clone()), e);
        if !input.peek(Token![:]) || input.peek(Token![::]) {
            return Err(err(syn::Error::new(
                name.span(),
                format!("expected `:` after `{name}`: each entry is `name: Layer`, e.g. `{name}: Affine(10)`"),
            )));
        }
        let colon: Token![:] = input.parse().map_err(err)?;
        if input.is_empty() || input.peek(Token![,]) {
            let what = if name == "input" {
                "no size after the colon: write the number of features per sample, e.g. `input: 2`"
            } else {
                "no layer after the colon"
            };
            let span = name.span().join(colon.span).unwrap_or(name.span());
            return Err(err(syn::Error::new(span, format!("`{name}` has {what}"))));
        }
        let value = Value::parse(input).map_err(err)?;
        Ok(Entry { attrs, name, value })
    }

    /// The outer attributes of an entry; `#[cfg]` / `#[cfg_attr]` and inner attributes are
    /// errors (a layer cannot be compiled out: every generated method calls it).
    fn attrs(input: ParseStream) -> syn::Result<Vec<Attribute>> {
        if input.peek(Token![#]) && input.peek2(Token![!]) {
            let inner = input.call(Attribute::parse_inner)?;
            return Err(syn::Error::new_spanned(
                &inner[0],
                "inner attributes and inner doc comments (`//!`, `#![...]`) are not supported on a layer: \
                 write an outer doc comment `///` before the entry",
            ));
        }
        let attrs = input.call(Attribute::parse_outer)?;
        if let Some(cfg) = attrs
            .iter()
            .find(|a| a.path().is_ident("cfg") || a.path().is_ident("cfg_attr"))
        {
            return Err(syn::Error::new_spanned(
                cfg,
                "`#[cfg]` and `#[cfg_attr]` are not supported on a layer: the generated methods call every \
                 layer, so one cannot be compiled out; declare two networks under `#[cfg]` instead",
            ));
        }
        Ok(attrs)
    }
}

impl Value {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let is_path = input.peek(Ident::peek_any) || input.peek(Token![::]);
        if !is_path {
            // A size such as `2`, or a mistake such as `-3` or `2.5`: validate explains.
            let expr: Expr = input.parse()?;
            return Ok(Value::Size(expr));
        }
        // Type-style: generic arguments (`Swish<f32, 3>`) are parsed, then refused in one
        // error, so their commas do not split the entry.
        let path: syn::Path = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a layer name such as `Affine(10)` or a path to a layer type such as `crate::Swish`",
            )
        })?;
        if let Some(seg) = path.segments.iter().find(|s| !s.arguments.is_none()) {
            return Err(syn::Error::new_spanned(
                &seg.arguments,
                "write the layer without generic arguments: the macro adds the float type and the widths \
                 (`Affine(10)` becomes `Affine<T, IN, 10>`, `crate::Swish` becomes `crate::Swish<T, IN>`)",
            ));
        }
        let args = if input.peek(syn::token::Paren) {
            let group: Group = input.parse()?;
            Some(Args { group })
        } else {
            None
        };
        let arrow = if input.peek(Token![->]) {
            let arrow: Token![->] = input.parse()?;
            if input.is_empty() || input.peek(Token![,]) {
                return Err(syn::Error::new(
                    arrow.span(),
                    "expected the output width after `->`, e.g. `crate::Project -> 16`",
                ));
            }
            let expr: Expr = input.parse()?;
            Some((arrow, expr))
        } else {
            None
        };
        Ok(Value::Layer(LayerSpec { path, args, arrow }))
    }

    /// The span of the whole value, for errors about it.
    pub fn span(&self) -> Option<Span> {
        match self {
            Value::Size(e) => Some(e.span()),
            Value::Layer(l) => Some(l.span()),
            Value::Broken => None,
        }
    }
}

impl LayerSpec {
    /// The span of the whole layer spec (path, arguments and arrow).
    pub fn span(&self) -> Span {
        let mut span = self.path.span();
        if let Some(args) = &self.args {
            span = span.join(args.group.span()).unwrap_or(span);
        }
        if let Some((_, e)) = &self.arrow {
            span = span.join(e.span()).unwrap_or(span);
        }
        span
    }

    /// The layer's name as written (`Affine`, `crate::layers::Swish`).
    pub fn path_string(&self) -> String {
        path_string(&self.path)
    }
}

/// A path as written, without spaces: `crate::layers::Swish`, `::nn::Affine`.
pub fn path_string(path: &syn::Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}

impl Args {
    /// The span of the parentheses (and everything inside).
    pub fn span(&self) -> Span {
        self.group.span()
    }

    /// The arguments of a built-in layer: a comma-separated list of [`WidthArg`].
    pub fn widths(&self) -> syn::Result<Punctuated<WidthArg, Token![,]>> {
        self.parse_inside(Punctuated::parse_terminated)
    }

    /// The arguments of a user layer: expressions passed on to its `new`.
    pub fn exprs(&self) -> syn::Result<Punctuated<Expr, Token![,]>> {
        self.parse_inside(Punctuated::parse_terminated)
    }

    /// Parses the tokens inside the parentheses; their end is reported at the `)`.
    fn parse_inside<T>(&self, parser: impl FnOnce(ParseStream) -> syn::Result<T>) -> syn::Result<T> {
        parse_in_group(self.group.stream(), self.group.span_close(), parser)
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
        let first: Expr = parse_scoped(first, |s| s.parse())?;
        if input.peek(Token![->]) {
            let arrow: Token![->] = input.parse()?;
            if input.is_empty() || input.peek(Token![,]) {
                return Err(syn::Error::new(arrow.span(), "expected the output width after `->`"));
            }
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
