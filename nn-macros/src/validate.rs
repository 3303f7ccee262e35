//! Every check of `network!`, turning the parsed [`Input`] into a [`Model`] whose widths are
//! all known. Errors are collected (not returned at the first one) and combined with
//! [`syn::Error::combine`], each at the span of the offending tokens.

use std::collections::HashSet;

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Ident, Lit, Token, Visibility};

use crate::ast::{path_string, Entry, Input, LayerSpec, Value};
use crate::builtins::{self, Builtin, BUILTINS};

/// Struct names the generated code cannot take: `T` is the generated float type parameter,
/// the others are types the generated code names (`T: Float = f32`, `const PARAMS: usize`).
const RESERVED_NAMES: &[&str] = &["T", "f32", "f64", "usize"];

/// Layer names a checkpoint file uses for its own keys (`trainer.epoch`, `optimizer.step`).
const RESERVED_FIELDS: &[&str] = &["trainer", "optimizer"];

/// A checked network: every layer with its input and output width.
pub struct Model {
    /// Struct attributes and doc comments.
    pub attrs: Vec<Attribute>,
    /// Struct visibility.
    pub vis: Visibility,
    /// Struct name.
    pub ident: Ident,
    /// The name of the `f64` alias (`NameF64`, or `#[nn(f64_alias = ...)]`).
    pub alias: Ident,
    /// The path of the `nn` facade in the calling crate (`::nn`, `::mynn`, or
    /// `#[nn(crate = ...)]`): every generated path starts with it.
    pub krate: syn::Path,
    /// Input features per sample (1 for token ids).
    pub input: usize,
    /// `input: tokens(V)`: the vocabulary size V of the token ids the network reads.
    pub tokens: Option<usize>,
    /// The layers before the loss, in order (at least one).
    pub layers: Vec<LayerModel>,
    /// The loss layer, if any.
    pub loss: Option<LossModel>,
}

/// One (non-loss) layer.
pub struct LayerModel {
    /// Attributes and doc comments written on the entry.
    pub attrs: Vec<Attribute>,
    /// The field name.
    pub name: Ident,
    /// What the layer is.
    pub kind: Kind,
    /// Input width.
    pub in_w: usize,
    /// Output width.
    pub out_w: usize,
    /// Whether `InitScheme::Auto` picks He for it: the next layer is a `Relu` (a built-in
    /// with [`he_before`](crate::builtins::Builtin::he_before)).
    pub before_relu: bool,
    /// A built-in's scalar arguments, every one filled in (`Dropout(0.2)`: `[0.2]`).
    pub args: Vec<f64>,
    /// An `Embedding`'s vocabulary (its input width is 1, a token id).
    pub vocab: Option<usize>,
}

/// A built-in layer or a user layer given by path.
pub enum Kind {
    /// `Affine`, `Sigmoid`, ... (a row of [`BUILTINS`]).
    Builtin(&'static Builtin),
    /// A user layer: `path<T, IN>` (keeps the width) or `path<T, IN, OUT>` (`-> OUT`).
    User {
        /// The path as written (its tokens carry the user's spans).
        path: syn::Path,
        /// Arguments passed on to `new`.
        args: Punctuated<Expr, Token![,]>,
        /// Whether the width changes (`-> OUT` was written).
        changes_width: bool,
        /// The span of the type's name, where the generated type and `Layer` bound are
        /// written, so type errors about the layer point at it.
        span: Span,
    },
}

/// The loss layer at the end.
pub struct LossModel {
    /// Attributes and doc comments written on the entry.
    pub attrs: Vec<Attribute>,
    /// The field name.
    pub name: Ident,
    /// Which loss (a row of [`BUILTINS`] with a target).
    pub kind: &'static Builtin,
    /// Width of the scores it takes.
    pub width: usize,
}

impl LayerModel {
    /// Whether the layer is a built-in `Affine` or `MatMul`, whose fused paths
    /// (`FusedLinear`) the generated code calls.
    pub fn is_fused_linear(&self) -> bool {
        matches!(self.kind, Kind::Builtin(b) if b.is_fully_connected())
    }

    /// The input width of its parameter shapes and type: the vocabulary of an `Embedding`,
    /// else the input width.
    pub fn fan_in(&self) -> usize {
        self.vocab.unwrap_or(self.in_w)
    }

    /// Whether it is a built-in recurrent layer (`Rnn`, `Lstm`, `Gru`).
    pub fn is_recurrent(&self) -> bool {
        matches!(self.kind, Kind::Builtin(b) if b.is_recurrent())
    }

    /// Whether the layer may have parameters (built-ins with weights, and every user layer).
    pub fn may_have_params(&self) -> bool {
        match &self.kind {
            Kind::Builtin(b) => b.has_params(),
            Kind::User { .. } => true,
        }
    }
}

/// Collects errors; `into_result` combines them into one.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }
    fn add(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.push(syn::Error::new(span, msg));
    }
}

/// What an entry's value turned out to be.
enum Resolved {
    Layer(Kind, Option<usize>, Option<(usize, Span)>, Vec<f64>),
    Loss(&'static Builtin),
}

/// Checks the parsed input. `facade` is the path of the `nn` crate as the calling crate
/// names it (found from its `Cargo.toml`), used unless `#[nn(crate = ...)]` says otherwise;
/// built-in layers may be written with it (`nn::Affine(3)`). On error, returns every error
/// found, combined.
pub fn validate(input: Input, facade: &syn::Path) -> Result<Model, syn::Error> {
    let mut errors = Errors::default();
    for e in input.errors {
        errors.push(e);
    }
    let krate = input.options.krate.clone().unwrap_or_else(|| facade.clone());
    let facades = Facades::new(&krate);
    let ident_s = input.ident.to_string();
    if RESERVED_NAMES.contains(&ident_s.as_str()) {
        errors.add(
            input.ident.span(),
            format!(
                "a network cannot be named `{ident_s}`: the generated code uses the type parameter `T` \
                 (the float type) and the types `f32`, `f64` and `usize`; choose another name"
            ),
        );
    }
    let alias = match &input.options.f64_alias {
        Some(a) if *a == input.ident => {
            errors.add(a.span(), "the `f64` alias needs a name of its own, not the network's");
            a.clone()
        }
        Some(a) => a.clone(),
        None => quote::format_ident!("{}F64", input.ident, span = input.ident.span()),
    };
    check_unique_names(&input.entries, &mut errors);

    let mut entries = input.entries.into_iter().peekable();
    let (width, tokens) = input_size(&mut entries, input.brace_span, &mut errors);
    let mut chain = Chain::new(width, tokens);
    for entry in entries {
        chain.push(entry, &facades, &mut errors);
    }
    let Chain { layers, loss, .. } = chain;

    if layers.is_empty() && errors.0.is_none() {
        errors.add(
            input.ident.span(),
            "a network needs at least one layer after `input` (besides the loss), e.g. `affine: Affine(3)`",
        );
    }

    match errors.0 {
        Some(e) => Err(e),
        None => Ok(Model {
            attrs: input.attrs,
            vis: input.vis,
            ident: input.ident,
            alias,
            krate,
            input: width_of_input(&layers),
            tokens,
            layers,
            loss,
        }),
    }
}

/// Names must be unique (each is a field); `input` is the size entry, checked apart.
fn check_unique_names(entries: &[Entry], errors: &mut Errors) {
    let mut seen: HashSet<String> = HashSet::new();
    for entry in entries {
        if matches!(entry.value, Value::Broken) {
            continue;
        }
        // `r#a` is the field `a`: compare names without the raw prefix.
        let name = entry.name.unraw().to_string();
        if name == "input" {
            continue; // checked by `input_size` and `Chain::push`
        }
        if RESERVED_FIELDS.contains(&name.as_str()) {
            errors.add(
                entry.name.span(),
                format!(
                    "a layer cannot be named `{name}`: a checkpoint file keeps the trainer's and the optimizer's \
                     state under the keys `trainer.*` and `optimizer.*`, beside the layers' `{{layer}}.{{tensor}}`; \
                     choose another name"
                ),
            );
        }
        if !seen.insert(name.clone()) {
            errors.add(
                entry.name.span(),
                format!(
                    "duplicate layer name `{name}`: every layer becomes a field of the struct, so names must be unique"
                ),
            );
        }
    }
}

/// `input: N` (or `input: tokens(V)`) first: takes it from `entries` and returns N (`None`
/// after an error), with V for token ids (then N is 1).
fn input_size(
    entries: &mut std::iter::Peekable<std::vec::IntoIter<Entry>>,
    brace_span: Span,
    errors: &mut Errors,
) -> (Option<usize>, Option<usize>) {
    match entries.peek() {
        // Maybe it was `input`: its error is reported, nothing more to say.
        Some(first) if matches!(first.value, Value::Broken) => {
            entries.next();
        }
        Some(first) if first.name.unraw() == "input" => {
            let first = entries.next().expect("peeked");
            match &first.value {
                Value::Size(expr) => match size(expr, "the input size") {
                    Ok(n) => return (Some(n), None),
                    Err(e) => errors.push(e),
                },
                Value::Layer(l) if l.path.is_ident("tokens") && l.arrow.is_none() => match vocabulary(l) {
                    Ok(v) => return (Some(1), Some(v)),
                    Err(e) => errors.push(e),
                },
                Value::Layer(l) => errors.add(
                    l.span(),
                    "`input` is the number of features per sample, a positive integer such as `input: 2`, \
                     or `tokens(V)` for token ids in 0..V (`input: tokens(10000)`)",
                ),
                Value::Broken => {}
            }
        }
        Some(first) => errors.add(
            first.name.span(),
            "missing input size: start the layer list with `input: N`, the number of features per sample",
        ),
        None => errors.add(
            brace_span,
            "empty network: write `input: N` and at least one layer, e.g. `{ input: 2, affine: Affine(3) }`",
        ),
    }
    (None, None)
}

/// V of `input: tokens(V)`.
fn vocabulary(l: &LayerSpec) -> syn::Result<usize> {
    let usage = "write `input: tokens(V)` with V the vocabulary size (token ids are 0..V)";
    let Some(args) = &l.args else {
        return Err(syn::Error::new(
            l.span(),
            format!("`tokens` needs the vocabulary size: {usage}"),
        ));
    };
    let exprs = args
        .exprs()
        .map_err(|e| syn::Error::new(e.span(), format!("malformed `tokens(...)`: {e}; {usage}")))?;
    match exprs.len() {
        1 => size(&exprs[0], "the vocabulary size of `tokens`"),
        n => Err(syn::Error::new(
            args.span(),
            format!("`tokens` takes one argument, the vocabulary size, found {n}: {usage}"),
        )),
    }
}

/// The layers checked so far, and the width flowing out of the last one.
struct Chain {
    /// The output width of the last entry (`None` once unknown after an error: no
    /// follow-up width errors).
    width: Option<usize>,
    /// The name of the entry `width` comes from (`input` at first), for messages.
    source: String,
    layers: Vec<LayerModel>,
    loss: Option<LossModel>,
    /// The name of the loss entry once one was seen (even if its width was unknown).
    loss_name: Option<String>,
    /// The sum of the output widths so far (the scratch `predict_into` splits), checked.
    widths_sum: usize,
    /// The parameters of the built-in layers so far, checked.
    params_sum: usize,
    /// `input: tokens(V)`: V (the first layer must be an `Embedding` of V tokens).
    tokens: Option<usize>,
}

impl Chain {
    fn new(width: Option<usize>, tokens: Option<usize>) -> Self {
        Chain {
            tokens,
            width,
            source: String::from("input"),
            layers: Vec::new(),
            loss: None,
            loss_name: None,
            widths_sum: 0,
            params_sum: 0,
        }
    }

    /// Checks one entry after `input` and appends it.
    fn push(&mut self, entry: Entry, facades: &Facades, errors: &mut Errors) {
        let Entry { attrs, name, value } = entry;
        if matches!(value, Value::Broken) {
            self.width = None; // its error is reported; no follow-up width errors
            return;
        }
        if name.unraw() == "input" {
            errors.add(
                name.span(),
                "`input: N` must be the first entry, and only once (it is the number of features per sample)",
            );
            return;
        }
        let Some(resolved) = resolve(&name, &value, facades, errors) else {
            self.width = None; // unknown from here on: no follow-up width errors
            return;
        };
        if let Some(prev) = &self.loss_name {
            match resolved {
                Resolved::Loss(_) => errors.add(
                    value.span().unwrap_or(name.span()),
                    format!("a network has one loss layer, and `{prev}` already is one: remove one of them"),
                ),
                Resolved::Layer(..) => errors.add(
                    name.span(),
                    format!("layer `{name}` comes after the loss layer `{prev}`: the loss must be the last layer"),
                ),
            }
            return;
        }
        match resolved {
            Resolved::Loss(kind) => self.push_loss(attrs, name, kind),
            Resolved::Layer(kind, out, explicit_in, args) => {
                let span = value.span().unwrap_or(name.span());
                self.push_layer(attrs, name, kind, (out, explicit_in, args), span, errors)
            }
        }
    }

    fn push_loss(&mut self, attrs: Vec<Attribute>, name: Ident, kind: &'static Builtin) {
        self.loss_name = Some(name.to_string());
        if let Some(w) = self.width {
            self.loss = Some(LossModel {
                attrs,
                name,
                kind,
                width: w,
            });
        }
    }

    /// A layer with output width `out` (`None`: it keeps the width) and maybe an explicit
    /// input width, checked against the width flowing in; `span` is the layer's.
    fn push_layer(
        &mut self,
        attrs: Vec<Attribute>,
        name: Ident,
        kind: Kind,
        (out, explicit_in, args): (Option<usize>, Option<(usize, Span)>, Vec<f64>),
        span: Span,
        errors: &mut Errors,
    ) {
        let vocab = match self.tokens_in(&name, &kind, explicit_in, span, errors) {
            Ok(vocab) => vocab,
            Err(()) => {
                self.width = None; // no follow-up width errors
                return;
            }
        };
        let explicit_in = explicit_in.filter(|_| vocab.is_none()); // checked against V above
        if let (Some((expected, span)), Some(w)) = (explicit_in, self.width) {
            if expected != w {
                let source = &self.source;
                errors.add(
                    span,
                    format!("layer `{name}` expects {expected} inputs but `{source}` outputs {w}",),
                );
            }
        }
        let Some(in_w) = self.width else {
            // Width unknown because of an earlier error; keep checking the rest.
            self.width = out;
            self.source = name.to_string();
            return;
        };
        let out_w = out.unwrap_or(in_w);
        if let Err(msg) = self.count(&name, &kind, vocab.unwrap_or(in_w), out_w) {
            errors.add(span, msg);
            self.width = None; // no follow-up errors about the same numbers
            return;
        }
        if let Some(prev) = self.layers.last_mut() {
            prev.before_relu = matches!(kind, Kind::Builtin(b) if b.he_before);
        }
        self.source = name.to_string();
        self.width = Some(out_w);
        self.layers.push(LayerModel {
            attrs,
            name,
            kind,
            in_w,
            out_w,
            before_relu: false,
            args,
            vocab,
        });
    }

    /// The token-id rules: `input: tokens(V)` goes to an `Embedding` first, and an
    /// `Embedding` only reads `input: tokens(V)` (its explicit vocabulary, `Embedding(V -> D)`,
    /// must be V). `Ok(Some(V))` for that `Embedding`, `Ok(None)` for any other layer.
    fn tokens_in(
        &self,
        name: &Ident,
        kind: &Kind,
        explicit_in: Option<(usize, Span)>,
        span: Span,
        errors: &mut Errors,
    ) -> Result<Option<usize>, ()> {
        let embedding = matches!(kind, Kind::Builtin(b) if b.is_embedding());
        let first = self.source == "input";
        if self.width.is_none() {
            // Unknown after an earlier error (also in `input`): no follow-up errors.
            return Ok(self.tokens.filter(|_| embedding));
        }
        match (embedding, first, self.tokens) {
            (true, true, Some(v)) => {
                if let Some((expected, vspan)) = explicit_in {
                    if expected != v {
                        errors.add(
                            vspan,
                            format!(
                                "layer `{name}` embeds a vocabulary of {expected} tokens but `input` has \
                                 tokens({v})"
                            ),
                        );
                        return Err(());
                    }
                }
                Ok(Some(v))
            }
            (true, true, None) => {
                errors.add(
                    span,
                    format!(
                        "`Embedding` reads token ids, but `input` is {} features per sample: write \
                         `input: tokens(V)` with V the vocabulary size",
                        self.width.map_or(String::from("N"), |w| w.to_string())
                    ),
                );
                Err(())
            }
            (true, false, _) => {
                let source = &self.source;
                errors.add(
                    span,
                    format!(
                        "`Embedding` reads token ids, so it must be the first layer, right after \
                         `input: tokens(V)`; here it follows `{source}`, whose outputs are features, not token ids"
                    ),
                );
                Err(())
            }
            (false, true, Some(v)) => {
                errors.add(
                    span,
                    format!(
                        "`input: tokens({v})` gives token ids: the first layer must be an `Embedding` that \
                         turns them into features, e.g. `{name}: Embedding(64)`"
                    ),
                );
                Err(())
            }
            (false, _, _) => Ok(None),
        }
    }
}

impl Chain {
    /// Adds the layer's output width and (for a built-in) its parameter count to the
    /// running sums, with checked arithmetic: the generated code writes them as literals
    /// and sizes buffers by them, so a count that does not fit a `usize` is an error here.
    fn count(&mut self, name: &Ident, kind: &Kind, in_w: usize, out_w: usize) -> Result<(), String> {
        let max = usize::MAX;
        if let Kind::Builtin(b) = kind {
            let params = (!matches!(b.params, builtins::Params::None)).then(|| b.params.count(in_w, out_w));
            if let Some(params) = params {
                let shapes = b.params.shapes(in_w, out_w);
                let Some(params) = params else {
                    return Err(format!(
                        "layer `{name}` (`{}` {in_w} → {out_w}) has {shapes} parameters, more than a \
                         `usize` holds ({max})",
                        b.name
                    ));
                };
                let Some(sum) = self.params_sum.checked_add(params) else {
                    return Err(format!(
                        "layer `{name}` ({shapes} = {params} parameters) brings the network's parameter \
                         count past what a `usize` holds ({} + {params} > {max})",
                        self.params_sum
                    ));
                };
                self.params_sum = sum;
            }
        }
        let Some(sum) = self.widths_sum.checked_add(out_w) else {
            return Err(format!(
                "layer `{name}` ({out_w} outputs) brings the sum of the layers' output widths past what a \
                 `usize` holds ({} + {out_w} > {max})",
                self.widths_sum
            ));
        };
        self.widths_sum = sum;
        Ok(())
    }
}

fn width_of_input(layers: &[LayerModel]) -> usize {
    layers.first().map(|l| l.in_w).unwrap_or(0)
}

/// The paths under which the built-ins may be written: `nn::Affine`, `::nn::Affine`,
/// `nn::layers::Affine`, and the same under the facade's name in the calling crate.
struct Facades(Vec<String>);

impl Facades {
    fn new(krate: &syn::Path) -> Self {
        let mut prefixes = Vec::new();
        for base in [
            "nn".to_string(),
            path_string(krate).trim_start_matches("::").to_string(),
        ] {
            prefixes.push(format!("{base}::layers"));
            prefixes.push(base);
        }
        Facades(prefixes)
    }

    /// The built-in a multi-segment path names, if its prefix is the facade.
    fn builtin(&self, path: &syn::Path) -> Option<&'static Builtin> {
        let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let (last, prefix) = names.split_last()?;
        if prefix.is_empty() || !self.0.contains(&prefix.join("::")) {
            return None;
        }
        builtins::find(last)
    }
}

/// Interprets one layer entry; reports and returns `None` when it is not a valid layer.
fn resolve(name: &Ident, value: &Value, facades: &Facades, errors: &mut Errors) -> Option<Resolved> {
    let spec = match value {
        Value::Layer(spec) => spec,
        Value::Size(expr) => {
            errors.add(
                expr.span(),
                format!("expected a layer for `{name}`, found a size: write the layer, e.g. `{name}: Affine(10)`"),
            );
            return None;
        }
        Value::Broken => return None,
    };
    let single = spec.path.segments.len() == 1 && spec.path.leading_colon.is_none();
    let last = spec.path.segments.last()?;
    let builtin = if single {
        match builtins::find(&last.ident.to_string()) {
            Some(b) => b,
            None => {
                errors.add(last.ident.span(), unknown_layer_message(&last.ident.to_string()));
                return None;
            }
        }
    } else {
        match facades.builtin(&spec.path) {
            Some(b) => b,
            None => return resolve_user(spec, errors),
        }
    };
    if builtin.is_loss() {
        resolve_loss(builtin, spec, errors)
    } else {
        resolve_builtin(builtin, spec, errors)
    }
}

fn resolve_loss(b: &'static Builtin, spec: &LayerSpec, errors: &mut Errors) -> Option<Resolved> {
    let written = b.name;
    if let Some(args) = &spec.args {
        errors.add(
            args.span(),
            format!("`{written}` takes no arguments: it works on the previous layer's outputs"),
        );
        return None;
    }
    if let Some((arrow, e)) = &spec.arrow {
        let span = arrow.span().join(e.span()).unwrap_or(arrow.span());
        errors.add(span, format!("`{written}` takes no output width: it is the loss"));
        return None;
    }
    Some(Resolved::Loss(b))
}

fn resolve_builtin(b: &'static Builtin, spec: &LayerSpec, errors: &mut Errors) -> Option<Resolved> {
    let name = b.name;
    if let Some((arrow, e)) = &spec.arrow {
        let span = arrow.span().join(e.span()).unwrap_or(arrow.span());
        let msg = if b.takes_width {
            format!("write the output width inside the parentheses: `{name}(N)` (or `{name}(IN -> OUT)`)")
        } else {
            format!("`{name}` keeps the width of the previous layer: remove `-> ...`")
        };
        errors.add(span, msg);
        return None;
    }
    if !b.takes_width {
        let args = scalar_args(b, spec, errors)?;
        return Some(Resolved::Layer(Kind::Builtin(b), None, None, args));
    }
    let usage = format!("`{name}(N)` with N the number of outputs (or `{name}(IN -> OUT)`)");
    let Some(args) = &spec.args else {
        errors.add(spec.path.span(), format!("`{name}` needs its output width: {usage}"));
        return None;
    };
    let widths = match args.widths() {
        Ok(w) => w,
        Err(e) => {
            errors.add(e.span(), format!("malformed arguments of `{name}`: {e}; write {usage}"));
            return None;
        }
    };
    if widths.len() != 1 {
        let msg = if widths.is_empty() {
            format!("`{name}` needs its output width: {usage}")
        } else {
            format!(
                "`{name}` takes one argument, its output width, found {}: {usage}",
                widths.len()
            )
        };
        errors.add(args.span(), msg);
        return None;
    }
    let arg = &widths[0];
    let out = match size(&arg.output, &format!("the output width of `{name}`")) {
        Ok(n) => n,
        Err(e) => {
            errors.push(e);
            return None;
        }
    };
    let explicit_in = match &arg.input {
        None => None,
        Some((e, _)) => match size(e, &format!("the input width of `{name}`")) {
            Ok(n) => Some((n, e.span())),
            Err(err) => {
                errors.push(err);
                return None;
            }
        },
    };
    Some(Resolved::Layer(Kind::Builtin(b), Some(out), explicit_in, Vec::new()))
}

/// The scalar arguments of a built-in that keeps the width (`Dropout(0.2)`), each a number
/// literal checked by its row; the ones not written take their defaults.
fn scalar_args(b: &'static Builtin, spec: &LayerSpec, errors: &mut Errors) -> Option<Vec<f64>> {
    let name = b.name;
    let Some(args) = &spec.args else {
        return Some(b.args.iter().map(|a| a.default).collect());
    };
    if b.args.is_empty() {
        errors.add(
            args.span(),
            format!("`{name}` takes no arguments: it keeps the width of the previous layer, so write `{name}`"),
        );
        return None;
    }
    let names: Vec<String> = b.args.iter().map(|a| format!("{} = {}", a.name, a.default)).collect();
    let usage = format!("`{name}({})`, each optional from the right", names.join(", "));
    let exprs = match args.exprs() {
        Ok(e) => e,
        Err(e) => {
            errors.add(e.span(), format!("malformed arguments of `{name}`: {e}; write {usage}"));
            return None;
        }
    };
    if exprs.len() > b.args.len() {
        errors.add(
            args.span(),
            format!(
                "`{name}` takes at most {} argument{}, found {}: {usage}",
                b.args.len(),
                if b.args.len() == 1 { "" } else { "s" },
                exprs.len()
            ),
        );
        return None;
    }
    let mut values = Vec::with_capacity(b.args.len());
    for (i, arg) in b.args.iter().enumerate() {
        let Some(expr) = exprs.iter().nth(i) else {
            values.push(arg.default);
            continue;
        };
        let what = format!("`{}` of `{name}`", arg.name);
        let v = match number(expr) {
            Some(v) => v,
            None => {
                let text = quote::ToTokens::to_token_stream(expr).to_string().replace("- ", "-");
                errors.add(
                    expr.span(),
                    format!(
                        "{what} must be a number literal such as `{}`, found `{text}`",
                        arg.default
                    ),
                );
                return None;
            }
        };
        if let Err(allowed) = (arg.check)(v) {
            let text = quote::ToTokens::to_token_stream(expr).to_string().replace("- ", "-");
            errors.push(syn::Error::new_spanned(
                expr,
                format!("{what} must be {allowed}, found `{text}`"),
            ));
            return None;
        }
        values.push(v);
    }
    Some(values)
}

/// The value of a number literal, maybe negated: `0.2`, `1e-5`, `-3`, `2_f64`.
pub fn number(expr: &Expr) -> Option<f64> {
    match expr {
        // `$x:literal` / `$x:expr` from a `macro_rules!` arrive in an invisible group.
        Expr::Group(g) => number(&g.expr),
        Expr::Lit(lit) => match &lit.lit {
            Lit::Float(f) if matches!(f.suffix(), "" | "f32" | "f64") => f.base10_parse::<f64>().ok(),
            Lit::Int(i) if i.suffix().is_empty() => i.base10_parse::<f64>().ok(),
            _ => None,
        },
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => number(&u.expr).map(|v| -v),
        Expr::Paren(p) => number(&p.expr),
        _ => None,
    }
}

fn resolve_user(spec: &LayerSpec, errors: &mut Errors) -> Option<Resolved> {
    let args = match &spec.args {
        None => Punctuated::new(),
        Some(a) => match a.exprs() {
            Ok(e) => e,
            Err(e) => {
                errors.push(e);
                return None;
            }
        },
    };
    let out = match &spec.arrow {
        None => None,
        Some((_, e)) => match size(e, &format!("the output width of `{}`", spec.path_string())) {
            Ok(n) => Some(n),
            Err(e) => {
                errors.push(e);
                return None;
            }
        },
    };
    Some(Resolved::Layer(
        Kind::User {
            path: spec.path.clone(),
            args,
            changes_width: out.is_some(),
            // The type's own name: where a type error about this layer is most telling.
            span: spec
                .path
                .segments
                .last()
                .map(|s| s.ident.span())
                .unwrap_or_else(|| spec.span()),
        },
        out,
        None,
        Vec::new(),
    ))
}

/// A width: a positive integer literal.
fn size(expr: &Expr, what: &str) -> syn::Result<usize> {
    let err = |msg: String| Err(syn::Error::new(expr.span(), msg));
    let text = quote::ToTokens::to_token_stream(expr).to_string();
    match expr {
        // `$h:literal` / `$h:expr` from a `macro_rules!` arrive in an invisible group.
        Expr::Group(g) => size(&g.expr, what),
        Expr::Lit(lit) => match &lit.lit {
            Lit::Int(int) => {
                if !matches!(int.suffix(), "" | "usize") {
                    return err(format!("{what} must be a plain integer such as `10`, found `{text}`"));
                }
                match int.base10_parse::<usize>() {
                    Ok(0) => err(format!("{what} must be at least 1, found 0")),
                    Ok(n) => Ok(n),
                    Err(_) => err(format!("{what} is too large: `{text}`")),
                }
            }
            Lit::Float(_) => err(format!("{what} must be a whole number of features, found `{text}`")),
            _ => err(format!("{what} must be a positive integer, found `{text}`")),
        },
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => err(format!(
            "{what} must be a positive integer, found `{}`",
            text.replace("- ", "-")
        )),
        _ => err(format!(
            "{what} must be an integer literal, found `{text}`: the macro computes every width \
             at expansion time, so constants and expressions cannot be used"
        )),
    }
}

fn unknown_layer_message(written: &str) -> String {
    let known: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
    let best = known
        .iter()
        .map(|k| (edit_distance(&written.to_lowercase(), &k.to_lowercase()), *k))
        .min();
    let list = known.join(", ");
    let hint = format!("built-in layers are {list}; a layer of your own is written as a path, e.g. `crate::{written}`");
    match best {
        Some((d, k)) if d <= 2.max(written.len() / 3) => {
            format!("unknown layer `{written}`: did you mean `{k}`? ({hint})")
        }
        _ => format!("unknown layer `{written}` ({hint})"),
    }
}

/// Levenshtein distance (insert, delete, substitute), on chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == cb { prev } else { 1 + prev.min(row[j]).min(cur) };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("sigmod", "sigmoid"), 1);
        assert_eq!(edit_distance("relu", "relu"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("affin", "affine"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn unknown_layer_suggests_the_closest() {
        assert!(unknown_layer_message("Sigmod").contains("did you mean `Sigmoid`?"));
        assert!(unknown_layer_message("ReLU").contains("did you mean `Relu`?"));
        assert!(unknown_layer_message("Dense").starts_with("unknown layer `Dense` ("));
    }
}
