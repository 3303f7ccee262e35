//! How one layer is written in the generated code: its field type, its `Layer` bound, a
//! call of one of its methods, and the strings that describe it.
//!
//! ```text
//! ::nn::__private::Affine<T, 2, 10>                         layer_type (built-in)
//! crate::layers::Swish<T, 8>                                layer_type (user layer)
//! self.affine1.forward(x)                                   call_mut   (built-in)
//! <crate::layers::Swish<T, 8> as ::nn::__private::Layer<T, 8, 8>>::forward(&mut self.swish, fc1)
//!                                                           call_mut   (user layer)
//! ```

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::Ident;

use super::names::{lit, rt};
use crate::validate::{Kind, LayerModel, LossModel};

/// The field type of a layer.
pub(super) fn layer_type(l: &LayerModel) -> TokenStream {
    // `Embedding<T, V, D>` implements `Layer<T, 1, D>`: its type names the vocabulary.
    let (i, o) = (lit(l.fan_in()), lit(l.out_w));
    match &l.kind {
        Kind::Builtin(b) => {
            let ty = rt(b.name);
            if b.takes_width {
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
pub(super) fn layer_trait(l: &LayerModel) -> TokenStream {
    let ty = layer_type(l);
    let (i, o) = (lit(l.in_w), lit(l.out_w));
    let span = match &l.kind {
        Kind::User { span, .. } => *span,
        Kind::Builtin(_) => Span::call_site(),
    };
    quote_spanned!(span=> <#ty as ::nn::__private::Layer<T, #i, #o>>)
}

/// A call of a `Layer` method that takes `&mut self`: `self.name.method(args)`.
pub(super) fn call_mut(l: &LayerModel, method: &str, args: TokenStream) -> TokenStream {
    call(l, method, false, args)
}

/// A call of a `Layer` method that takes `&self`: `self.name.method(args)`.
pub(super) fn call_ref(l: &LayerModel, method: &str, args: TokenStream) -> TokenStream {
    call(l, method, true, args)
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

/// The field type of the loss: `SoftmaxWithLoss<T, 3>`.
pub(super) fn loss_type(l: &LossModel) -> TokenStream {
    let ty = rt(l.kind.name);
    let w = lit(l.width);
    quote!(#ty<T, #w>)
}

/// The target type of a loss with the given lifetime: `Labels<'t, T, 3>` for
/// `t: impl Into<...>`, `Labels<'_, T, 3>` in the `Trainable` impl.
pub(super) fn target_type(l: &LossModel, lifetime: TokenStream) -> TokenStream {
    let ty = rt(l.kind.loss_target.expect("a loss has a target type"));
    let w = lit(l.width);
    quote!(#ty<#lifetime, T, #w>)
}

/// The layer's type as the summary shows it: `Affine<2, 10>`, `Swish<8>`.
pub(super) fn kind_string(l: &LayerModel) -> String {
    match &l.kind {
        Kind::Builtin(b) if b.takes_width => format!("{}<{}, {}>", b.name, l.fan_in(), l.out_w),
        Kind::Builtin(b) => format!("{}<{}>", b.name, l.in_w),
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

/// The doc line on a layer field: what it is and its shapes.
pub(super) fn field_doc(l: &LayerModel) -> String {
    let (i, o) = (l.in_w, l.out_w);
    match &l.kind {
        Kind::Builtin(b) if b.is_embedding() => format!(
            " `Embedding` of token ids in 0..{v} into {o} features: `weight` {v} × {o}; output {o} × N.",
            v = l.fan_in()
        ),
        Kind::Builtin(b) => (b.field_doc)(i, o),
        Kind::User { .. } => format!(" `{}` (user layer) {i} → {o}; output {o} × N.", kind_string(l)),
    }
}

/// The doc line on the loss field.
pub(super) fn loss_doc(l: &LossModel) -> String {
    (l.kind.field_doc)(l.width, l.width)
}
