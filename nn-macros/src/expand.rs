//! Code generation: a checked [`Model`] → the struct, its constructors, straight-line
//! forward / backward / train_step / predict methods and the `Network` / `Trainable` impls.
//!
//! Naming in the generated bodies: the local `affine1` is the output of layer `affine1`, and
//! `d_affine1` is the gradient of the loss with respect to that output. Every runtime path
//! goes through `::nn::__private`.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;

use crate::ast::Input;
use crate::validate::{Builtin, Kind, LayerModel, LossKind, LossModel, Model};

/// Parses, validates and expands the macro input. Never panics: every problem becomes a
/// `compile_error!` next to a placeholder struct of the same name.
pub fn expand(input: TokenStream) -> TokenStream {
    let parsed: Input = match syn::parse2(input) {
        Ok(p) => p,
        Err(e) => return e.to_compile_error(),
    };
    let fallback = placeholder(&parsed);
    match crate::validate::validate(parsed) {
        Ok(model) => generate(&model),
        Err(e) => {
            let errors = e.to_compile_error();
            quote! { #fallback #errors }
        }
    }
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

/// `#[doc = "..."]` lines wrapped at about 90 characters, so the expansion reads as `///`
/// comments of ordinary length.
fn docs(text: &str) -> TokenStream {
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

fn lit(n: usize) -> Literal {
    Literal::usize_unsuffixed(n)
}

/// `::nn::__private::Name`
fn rt(name: &str) -> TokenStream {
    let ident = Ident::new(name, Span::call_site());
    quote!(::nn::__private::#ident)
}

/// The field type of a layer.
fn layer_type(l: &LayerModel) -> TokenStream {
    let (i, o) = (lit(l.in_w), lit(l.out_w));
    match &l.kind {
        Kind::Builtin(b) => {
            let ty = rt(b.name());
            if b.takes_width() {
                quote!(#ty<T, #i, #o>)
            } else {
                quote!(#ty<T, #i>)
            }
        }
        Kind::User {
            path,
            changes_width,
            span,
            ..
        } => {
            if *changes_width {
                quote_spanned!(*span=> #path<T, #i, #o>)
            } else {
                quote_spanned!(*span=> #path<T, #i>)
            }
        }
    }
}

/// `<Type as Layer<T, IN, OUT>>`, at the user's tokens for a user layer.
fn layer_trait(l: &LayerModel) -> TokenStream {
    let ty = layer_type(l);
    let (i, o) = (lit(l.in_w), lit(l.out_w));
    let span = match &l.kind {
        Kind::User { span, .. } => *span,
        Kind::Builtin(_) => Span::call_site(),
    };
    quote_spanned!(span=> <#ty as ::nn::__private::Layer<T, #i, #o>>)
}

/// A call of a `Layer` method on a field: method syntax for built-ins (no inherent method
/// can shadow it), the fully qualified trait path for user layers, so that a layer whose
/// widths do not fit is reported at its line.
fn call(l: &LayerModel, method: &str, by_ref: bool, args: TokenStream) -> TokenStream {
    let name = &l.name;
    let m = Ident::new(method, Span::call_site());
    match &l.kind {
        Kind::Builtin(_) => quote!(self.#name.#m(#args)),
        Kind::User { span, .. } => {
            // `<Type<T, IN> as Layer<T, IN, OUT>>::method(&mut self.name, ...)`, all at the
            // user's tokens: a layer that does not fit is one error, on its line.
            let tr = layer_trait(l);
            let recv = if by_ref {
                quote!(&self.#name)
            } else {
                quote!(&mut self.#name)
            };
            quote_spanned!(*span=> #tr::#m(#recv, #args))
        }
    }
}

/// The backward call of the first layer with parameters, whose `dx` nothing needs: a
/// built-in `Affine` / `MatMul` skips it (`FusedLinear::backward_params`), any other layer
/// runs its `backward` and the result is dropped.
fn stop_backward(l: &LayerModel, x_in: TokenStream, dout: TokenStream) -> TokenStream {
    if l.is_fused_linear() {
        let c = call(l, "backward_params", false, quote!(#x_in, #dout));
        quote!(#c;)
    } else {
        let c = call(l, "backward", false, quote!(#x_in, #dout));
        quote!(let _ = #c;)
    }
}

fn loss_type(l: &LossModel) -> TokenStream {
    let ty = rt(l.kind.name());
    let w = lit(l.width);
    quote!(#ty<T, #w>)
}

/// The target type of a loss, for `t: impl Into<...>`.
fn target_type(l: &LossModel) -> TokenStream {
    let w = lit(l.width);
    match l.kind {
        LossKind::SoftmaxWithLoss | LossKind::SigmoidWithLoss => quote!(::nn::__private::Labels<'t, T, #w>),
        LossKind::MeanSquaredError => quote!(::nn::__private::BatchRef<'t, T, #w>),
    }
}

fn kind_string(l: &LayerModel) -> String {
    match &l.kind {
        Kind::Builtin(b) if b.takes_width() => format!("{}<{}, {}>", b.name(), l.in_w, l.out_w),
        Kind::Builtin(b) => format!("{}<{}>", b.name(), l.in_w),
        Kind::User {
            path, changes_width, ..
        } => {
            let last = path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
            if *changes_width {
                format!("{last}<{}, {}>", l.in_w, l.out_w)
            } else {
                format!("{last}<{}>", l.in_w)
            }
        }
    }
}

/// The doc attribute on a layer field: what it is and its shapes.
fn field_doc(l: &LayerModel) -> String {
    let (i, o) = (l.in_w, l.out_w);
    match &l.kind {
        Kind::Builtin(Builtin::Affine) => {
            format!(" `Affine` {i} → {o}: `W` {o} × {i}, `b` {o}; output {o} × N.")
        }
        Kind::Builtin(Builtin::MatMul) => format!(" `MatMul` {i} → {o}: `W` {o} × {i}; output {o} × N."),
        Kind::Builtin(b) => format!(" `{}` on {i} features; output {o} × N.", b.name()),
        Kind::User { .. } => format!(" `{}` (user layer) {i} → {o}; output {o} × N.", kind_string(l)),
    }
}

fn loss_doc(l: &LossModel) -> String {
    let w = l.width;
    match l.kind {
        LossKind::SoftmaxWithLoss => {
            format!(" `SoftmaxWithLoss` over {w} classes: softmax of the {w} × N scores, mean cross-entropy.")
        }
        LossKind::SigmoidWithLoss => {
            format!(" `SigmoidWithLoss` on {w} outputs: sigmoid of the {w} × N scores, mean binary cross-entropy.")
        }
        LossKind::MeanSquaredError => format!(" `MeanSquaredError` on {w} × N outputs against {w} × N targets."),
    }
}

/// The whole expansion of a valid network.
pub fn generate(m: &Model) -> TokenStream {
    let Model {
        attrs,
        vis,
        ident,
        input,
        layers,
        loss,
    } = m;
    let name_str = ident.to_string();
    // Locals and parameters of the generated code are hygienic (mixed-site), so a layer
    // named `x`, `out` or `loss` (whose output becomes a local of that name) cannot shadow
    // them.
    let [x, t, out, n, scratch, opt, index, update, f, p, init, net, rng, scheme, loss_v] = [
        "x", "t", "out", "n", "scratch", "opt", "index", "update", "f", "p", "init", "net", "rng", "scheme", "loss",
    ]
    .map(|s| Ident::new(s, Span::mixed_site()));
    let input_w = lit(*input);
    let last = layers.last().expect("validate guarantees at least one layer");
    let output_w = lit(last.out_w);
    let alias = format_ident!("{}F64", ident);

    // ---- the struct ----
    let fields = layers.iter().map(|l| {
        let name = &l.name;
        let ty = layer_type(l);
        let doc = docs(&field_doc(l));
        let attrs = &l.attrs;
        quote! {
            #(#attrs)*
            #doc
            pub #name: #ty,
        }
    });
    let loss_field = loss.as_ref().map(|l| {
        let name = &l.name;
        let ty = loss_type(l);
        let doc = docs(&loss_doc(l));
        let attrs = &l.attrs;
        quote! {
            #(#attrs)*
            #doc
            pub #name: #ty,
        }
    });
    let input_field = loss.as_ref().map(|_| {
        let doc = docs(&format!(
            " The input of the last `forward` ({input} × N), read again by `backward`."
        ));
        quote! {
            #doc
            input: ::nn::__private::BatchBuf<T, #input_w>,
        }
    });
    let alias_doc = docs(&format!(" [`{name_str}`] in `f64` (gradient checks, reference runs)."));
    let float = rt("Float");

    let strukt = quote! {
        #(#attrs)*
        #vis struct #ident<T: #float = f32> {
            #(#fields)*
            #loss_field
            #input_field
        }

        #alias_doc
        #vis type #alias = #ident<f64>;
    };

    // ---- constructors ----
    let ctor_fields = layers.iter().map(|l| {
        let name = &l.name;
        match &l.kind {
            Kind::Builtin(b) => {
                let ty = rt(b.name());
                quote!(#name: #ty::new(),)
            }
            Kind::User { path, args, span, .. } => {
                let (i, o) = (lit(l.in_w), lit(l.out_w));
                let generics = match &l.kind {
                    Kind::User {
                        changes_width: true, ..
                    } => quote_spanned!(*span=> ::<T, #i, #o>),
                    _ => quote_spanned!(*span=> ::<T, #i>),
                };
                let args = args.iter();
                quote_spanned!(*span=> #name: #path #generics::new(#(#args),*),)
            }
        }
    });
    let loss_ctor = loss.as_ref().map(|l| {
        let name = &l.name;
        let ty = rt(l.kind.name());
        quote!(#name: #ty::new(),)
    });
    let input_ctor = loss.as_ref().map(|_| quote!(input: ::nn::__private::BatchBuf::new(),));
    let init_calls: Vec<TokenStream> = layers
        .iter()
        .filter(|l| l.may_have_params())
        .map(|l| {
            let which = if l.before_relu { quote!(He) } else { quote!(Xavier) };
            call(
                l,
                "init_params",
                false,
                quote!(&mut #init.with_scheme(::nn::__private::InitScheme::#which)),
            )
        })
        .collect();
    let init_body = if init_calls.is_empty() {
        quote!(let _ = (#rng, #scheme);)
    } else {
        quote! {
            let mut #init = ::nn::__private::Init::new(#rng, #scheme);
            #(#init_calls;)*
        }
    };
    let auto_doc = {
        let per_layer: Vec<String> = layers
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
    };

    // ---- forward pieces ----
    // `first` is the tokens of the input batch as the first layer sees it. With `input`, the
    // first layer gets an `Input` (maybe gathered from a data set) and the network's input
    // buffer (`forward_input`).
    let forward_chain_with = |first: TokenStream, input: bool| -> Vec<TokenStream> {
        let mut prev = first;
        let mut stmts = Vec::new();
        for (i, l) in layers.iter().enumerate() {
            let name = &l.name;
            let c = if i == 0 && input && l.is_fused_linear() {
                call(l, "forward_input", false, quote!(#prev, &mut self.input))
            } else if i == 0 && input {
                call(
                    l,
                    "forward",
                    false,
                    quote!(::nn::__private::Input::to_batch(#prev, &mut self.input)),
                )
            } else {
                call(l, "forward", false, prev.clone())
            };
            stmts.push(quote!(let #name = #c;));
            prev = quote!(#name);
        }
        stmts
    };
    let forward_chain = |first: TokenStream| forward_chain_with(first, false);
    let last_name = &last.name;

    // backward: from the loss (or nothing) down to the first layer with parameters. With
    // `input`, a first layer reached reads the batch `forward_input` left in the input buffer.
    let first_param = layers.iter().position(|l| l.may_have_params());
    let backward_chain_with = |x_first: TokenStream, input: bool| -> Vec<TokenStream> {
        let mut stmts = Vec::new();
        let Some(l) = loss else { return stmts };
        let lname = &l.name;
        let Some(stop) = first_param else {
            stmts.push(quote!(self.#lname.backward();));
            return stmts;
        };
        let d_last = format_ident!("d_{}", last_name);
        stmts.push(quote!(let #d_last = self.#lname.backward();));
        for i in (stop..layers.len()).rev() {
            let layer = &layers[i];
            let dout = format_ident!("d_{}", layer.name);
            let x_in = if i == 0 {
                x_first.clone()
            } else {
                let prev = &layers[i - 1];
                call(prev, "output", true, quote!())
            };
            if i == stop && i == 0 && input {
                // A gathered batch was left copied in `self.input` by the first forward.
                let x_in = quote!(#x_in.batch_in(&self.input));
                stmts.push(stop_backward(layer, x_in, quote!(#dout)));
            } else if i == stop {
                stmts.push(stop_backward(layer, x_in, quote!(#dout)));
            } else {
                let dprev = format_ident!("d_{}", layers[i - 1].name);
                let c = call(layer, "backward", false, quote!(#x_in, #dout));
                stmts.push(quote!(let #dprev = #c;));
            }
        }
        stmts
    };

    let backward_chain = |x_first: TokenStream| backward_chain_with(x_first, false);

    let finite_check = |method: &str| {
        let ctx = format!("{name_str}::{method}");
        quote! {
            #[cfg(debug_assertions)]
            ::nn::__private::assert_finite(#x, #ctx);
        }
    };

    let visit_calls: Vec<TokenStream> = layers
        .iter()
        .filter(|l| l.may_have_params())
        .map(|l| {
            let name_s = l.name.to_string();
            call(l, "visit_params", false, quote!(&mut |#p| #f(#p.in_layer(#name_s))))
        })
        .collect();
    let update_calls = layers.iter().filter(|l| l.may_have_params()).map(|l| {
        let name_s = l.name.to_string();
        let c = call(
            l,
            "visit_params",
            false,
            quote!(&mut |#p| #update(#p.in_layer(#name_s))),
        );
        quote!(#c;)
    });
    let (f_pat, visit_body) = if visit_calls.is_empty() {
        (quote!(#f), quote!(let _ = #f;))
    } else {
        (quote!(mut #f), quote!(#(#visit_calls;)*))
    };
    let (params_const, params_doc) = {
        let terms: Vec<TokenStream> = layers
            .iter()
            .filter(|l| l.may_have_params())
            .map(|l| {
                let tr = layer_trait(l);
                quote!(#tr::PARAMS)
            })
            .collect();
        let names: Vec<String> = layers
            .iter()
            .filter(|l| l.may_have_params())
            .map(|l| format!("`{}`", l.name))
            .collect();
        let doc = if names.is_empty() {
            String::from(" Trainable scalars: none.")
        } else {
            format!(
                " Trainable scalars: the sum of each layer's `Layer::PARAMS` ({}).",
                names.join(", ")
            )
        };
        (quote!(0 #(+ #terms)*), doc)
    };

    let summary_rows = layers.iter().map(|l| {
        let name_s = l.name.to_string();
        let kind = kind_string(l);
        let out_lit = lit(l.out_w);
        let params = if l.may_have_params() {
            let tr = layer_trait(l);
            quote!(#tr::PARAMS)
        } else {
            quote!(0)
        };
        quote! {
            ::nn::__private::SummaryRow {
                name: #name_s,
                kind: ::std::string::String::from(#kind),
                output: #out_lit,
                params: #params,
            },
        }
    });
    let loss_row = loss.as_ref().map(|l| {
        let name_s = l.name.to_string();
        let kind = format!("{}<{}>", l.kind.name(), l.width);
        let out_lit = lit(l.width);
        quote! {
            ::nn::__private::SummaryRow {
                name: #name_s,
                kind: ::std::string::String::from(#kind),
                output: #out_lit,
                params: 0,
            },
        }
    });

    // predict_into: intermediate outputs in a thread-local scratch, one slice per layer.
    let predict_into_body = {
        let n_mid = layers.len() - 1;
        if n_mid == 0 {
            let c = call(last, "infer", true, quote!(#x, #out));
            quote!(#c;)
        } else {
            let total: usize = layers[..n_mid].iter().map(|l| l.out_w).sum();
            let widths: Vec<Literal> = layers[..n_mid].iter().map(|l| lit(l.out_w)).collect();
            let total_doc = lit(total);
            let mut stmts = Vec::new();
            let mut prev = quote!(#x);
            for (i, l) in layers[..n_mid].iter().enumerate() {
                let name = &l.name;
                let w = &widths[i];
                let rest = if i + 1 == n_mid { quote!(_) } else { quote!(#scratch) };
                stmts.push(quote!(let (#name, #rest) = #scratch.split_at_mut(#n * #w);));
                let c = call(l, "infer", true, quote!(#prev, ::nn::__private::batch_view_mut(#name)));
                stmts.push(quote!(#c;));
                prev = quote!(::nn::__private::batch_view(#name));
            }
            let c = call(last, "infer", true, quote!(#prev, #out));
            stmts.push(quote!(#c;));
            quote! {
                let #n = #x.ncols();
                ::nn::__private::with_scratch(#n * #total_doc, |#scratch: &mut [T]| {
                    #(#stmts)*
                });
            }
        }
    };

    let fwd_plain = forward_chain(quote!(#x));
    // `predict` ends with the last layer's call as its value.
    let fwd_predict = &fwd_plain[..fwd_plain.len() - 1];
    let last_call = {
        let input = if layers.len() == 1 {
            quote!(#x)
        } else {
            let prev = &layers[layers.len() - 2].name;
            quote!(#prev)
        };
        call(last, "forward", false, input)
    };
    let predict_doc = format!(
        " Runs every layer but the loss on `x` ({input} × N) in the network's own buffers and returns \
         the output ({} × N; scores before any softmax of the loss). Allocates nothing once a batch \
         this large has been seen.",
        last.out_w
    );
    let predict_into_doc = format!(
        " Inference into a caller-owned `out` ({} × N, same N as `x`) through `&self`, so one network \
         can predict from several threads. Intermediate outputs live in a reused per-thread scratch: \
         nothing is allocated once each thread has seen a batch this large.",
        last.out_w
    );
    let check_predict = finite_check("predict");
    let check_predict_into = finite_check("predict_into");

    let trainable = loss.as_ref().map(|l| {
        let lname = &l.name;
        let target = target_type(l);
        let lty = loss_type(l);
        let fwd_copy = forward_chain(quote!(self.input.view()));
        let bwd_copy = backward_chain(quote!(self.input.view()));
        let fwd_input = forward_chain_with(quote!(#x), true);
        let bwd_input = backward_chain_with(quote!(#x), true);
        let check_step = {
            let ctx = format!("{name_str}::train_step");
            quote! {
                #[cfg(debug_assertions)]
                ::nn::__private::assert_finite_input(#x, #ctx);
            }
        };
        let check_forward = finite_check("forward");
        let check_eval = finite_check("evaluate");
        let w = lit(l.width);
        // `<Loss as LossLayer<T, D>>::Target<'_>`, written as the concrete type.
        let target_trait = match l.kind {
            LossKind::SoftmaxWithLoss | LossKind::SigmoidWithLoss => quote!(::nn::__private::Labels<'_, T, #w>),
            LossKind::MeanSquaredError => quote!(::nn::__private::BatchRef<'_, T, #w>),
        };
        let inherent = quote! {
            /// The mean loss of a batch (the book's `forward(x, t)`): `x` is `IN × N`, `t` the N
            /// labels or targets. Keeps a copy of `x` and what every layer needs for
            /// [`backward`](Self::backward).
            pub fn forward<'t>(
                &mut self,
                #x: impl ::nn::__private::AsBatch<T, #input_w>,
                #t: impl ::core::convert::Into<#target>,
            ) -> T {
                let #x = #x.as_batch();
                #check_forward
                self.input.copy_from(#x);
                #(#fwd_copy)*
                self.#lname.forward(#last_name, #t.into())
            }

            /// Fills every gradient in place for the last [`forward`](Self::forward) (the book's
            /// `backward()`). `d_name` is the gradient of the loss with respect to the output of
            /// layer `name`.
            pub fn backward(&mut self) {
                #(#bwd_copy)*
            }

            /// One training step: forward, backward and an optimizer update (`begin_step`, then
            /// `update` for every parameter tensor in [`visit_params`](Self::visit_params) order)
            /// as straight-line code. Returns the loss. `x` is a batch or a mini-batch read in
            /// place from its data set (a `Gather`, from `Batches::get_in_place`; a first `Affine`
            /// or `MatMul` gathers it inside its first product). Allocates nothing once a batch
            /// this large has been seen (and the optimizer has its state).
            pub fn train_step<'t>(
                &mut self,
                #x: impl ::nn::__private::AsInput<T, #input_w>,
                #t: impl ::core::convert::Into<#target>,
                #opt: &mut (impl ::nn::__private::Optimizer<T> + ?Sized),
            ) -> T {
                let #x = ::nn::__private::AsInput::as_input(&#x);
                #check_step
                #(#fwd_input)*
                let #loss_v = self.#lname.forward(#last_name, #t.into());
                #(#bwd_input)*
                #opt.begin_step();
                let mut #index = 0;
                let mut #update = |#p: ::nn::__private::Param<'_, T>| {
                    #opt.update(#index, #p);
                    #index += 1;
                };
                #(#update_calls)*
                #loss_v
            }

            /// Loss and, for classification losses, the number of correctly classified samples
            /// of a batch (no gradients are computed).
            pub fn evaluate<'t>(
                &mut self,
                #x: impl ::nn::__private::AsBatch<T, #input_w>,
                #t: impl ::core::convert::Into<#target>,
            ) -> (T, ::core::option::Option<usize>) {
                let #x = #x.as_batch();
                #check_eval
                let #t = #t.into();
                #(#fwd_plain)*
                let #loss_v = self.#lname.forward(#last_name, #t);
                (#loss_v, self.#lname.correct(#last_name, #t))
            }
        };
        let trait_impl = quote! {
            impl<T: #float> ::nn::__private::Trainable<T, #input_w, #output_w> for #ident<T> {
                type Loss = #lty;

                fn forward(&mut self, #x: ::nn::__private::BatchRef<'_, T, #input_w>, #t: #target_trait) -> T {
                    Self::forward(self, #x, #t)
                }

                fn backward(&mut self) {
                    Self::backward(self)
                }

                fn train_step<O: ::nn::__private::Optimizer<T> + ?Sized>(
                    &mut self,
                    #x: ::nn::__private::Input<'_, T, #input_w>,
                    #t: #target_trait,
                    #opt: &mut O,
                ) -> T {
                    Self::train_step(self, #x, #t, #opt)
                }

                fn evaluate(
                    &mut self,
                    #x: ::nn::__private::BatchRef<'_, T, #input_w>,
                    #t: #target_trait,
                ) -> (T, ::core::option::Option<usize>) {
                    Self::evaluate(self, #x, #t)
                }
            }
        };
        (inherent, trait_impl)
    });
    let (trainable_inherent, trainable_impl) = match trainable {
        Some((a, b)) => (Some(a), Some(b)),
        None => (None, None),
    };

    let new_doc = format!(
        " An `f32` network with weights drawn from `rng` (e.g. `ChaCha8Rng::seed_from_u64(seed)`) by \
         `InitScheme::Auto`, biases zero. For `f64` use [`{name_str}::new_f64`] or [`{alias}`]; for \
         another scheme, [`with_init`]({name_str}::with_init)."
    );
    let new_f64_doc = docs(&format!(" Like [`{name_str}::new`], in `f64`."));
    let new_doc = docs(&new_doc);
    let predict_doc = docs(&predict_doc);
    let predict_into_doc = docs(&predict_into_doc);
    let params_doc = docs(&params_doc);
    let auto_doc = docs(&auto_doc);
    let summary_name = name_str.clone();

    quote! {
        #strukt

        const _: () = {
            use ::nn::__private::{AsBatch as _, FusedLinear as _, Layer as _, LossLayer as _};

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

            impl<T: #float> #ident<T> {
                /// Input features per sample.
                pub const INPUT: usize = #input_w;
                /// Output features per sample (the scores the loss takes).
                pub const OUTPUT: usize = #output_w;
                #params_doc
                pub const PARAMS: usize = #params_const;

                /// A network with every parameter zero (set the weights by hand, or call
                /// [`init_params`](Self::init_params)).
                pub fn zeroed() -> Self {
                    Self {
                        #(#ctor_fields)*
                        #loss_ctor
                        #input_ctor
                    }
                }

                /// A network with weights drawn from `rng` by `scheme` (`Book`: the book's
                /// `0.01 * randn`, `Xavier`, `He`, `Auto`), biases zero.
                pub fn with_init(
                    #rng: &mut impl ::nn::__private::RngCore,
                    #scheme: ::nn::__private::InitScheme,
                ) -> Self {
                    let mut #net = Self::zeroed();
                    #net.init_params(#rng, #scheme);
                    #net
                }

                /// Draws every weight again from `rng` by `scheme`, layer after layer; biases
                /// become zero.
                #auto_doc
                pub fn init_params(
                    &mut self,
                    #rng: &mut impl ::nn::__private::RngCore,
                    #scheme: ::nn::__private::InitScheme,
                ) {
                    #init_body
                }

                #trainable_inherent

                #predict_doc
                pub fn predict(
                    &mut self,
                    #x: impl ::nn::__private::AsBatch<T, #input_w>,
                ) -> ::nn::__private::BatchRef<'_, T, #output_w> {
                    let #x = #x.as_batch();
                    #check_predict
                    #(#fwd_predict)*
                    #last_call
                }

                #predict_into_doc
                pub fn predict_into(
                    &self,
                    #x: impl ::nn::__private::AsBatch<T, #input_w>,
                    #out: ::nn::__private::BatchMut<'_, T, #output_w>,
                ) {
                    let #x = #x.as_batch();
                    #check_predict_into
                    ::nn::__private::assert_same_batch(#x.ncols(), #out.ncols(), #summary_name);
                    #predict_into_body
                }

                /// Visits every (parameter, gradient) pair in model order (the book's `params`
                /// and `grads`), each tagged with its layer's field name.
                pub fn visit_params(&mut self, #f_pat: impl FnMut(::nn::__private::Param<'_, T>)) {
                    #visit_body
                }

                /// Number of trainable scalars (equals [`PARAMS`](Self::PARAMS)).
                pub fn param_count(&self) -> usize {
                    Self::PARAMS
                }

                /// A table of the layers: name, type, output shape, parameters.
                pub fn summary(&self) -> ::nn::__private::Summary {
                    ::nn::__private::Summary {
                        network: #summary_name,
                        input: #input_w,
                        rows: ::std::vec::Vec::from([
                            #(#summary_rows)*
                            #loss_row
                        ]),
                    }
                }
            }

            impl<T: #float> ::nn::__private::Network<T, #input_w, #output_w> for #ident<T> {
                fn predict(
                    &mut self,
                    #x: ::nn::__private::BatchRef<'_, T, #input_w>,
                ) -> ::nn::__private::BatchRef<'_, T, #output_w> {
                    Self::predict(self, #x)
                }

                fn predict_into(
                    &self,
                    #x: ::nn::__private::BatchRef<'_, T, #input_w>,
                    #out: ::nn::__private::BatchMut<'_, T, #output_w>,
                ) {
                    Self::predict_into(self, #x, #out)
                }

                fn visit_params(&mut self, #f: &mut dyn FnMut(::nn::__private::Param<'_, T>)) {
                    Self::visit_params(self, #f)
                }

                fn param_count(&self) -> usize {
                    Self::param_count(self)
                }

                fn summary(&self) -> ::nn::__private::Summary {
                    Self::summary(self)
                }
            }

            #trainable_impl
        };
    }
}
