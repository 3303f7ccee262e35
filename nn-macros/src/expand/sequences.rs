//! Sequences: the network's `set_sequences` / `reset_state` (forwarded to every recurrent and
//! user layer), and for a network with a recurrent layer the streaming `step` through `&self`
//! with a caller-owned `{Name}State`:
//!
//! ```text
//! pub fn set_sequences(&mut self, n: usize) { self.lstm.set_sequences(n); }
//! pub fn reset_state(&mut self) { self.lstm.reset_state(); }
//!
//! pub struct CharLmState<T: Float = f32> {          // one field per recurrent layer,
//!     pub lstm: <Lstm<T, 16, 32> as StepLayer<T, 16, 32>>::StepState,
//!     scratch: Vec<T>,                              // + the layers' outputs, one column
//! }
//! pub fn step(&self, x: &[T; 1], state: &mut CharLmState<T>) -> [T; 65] {
//!     let scratch = &mut state.scratch[..];
//!     let (embed, scratch) = scratch.split_at_mut(16);
//!     self.embed.infer(batch_view(x), batch_view_mut(embed));
//!     let (lstm, _) = scratch.split_at_mut(32);
//!     StepLayer::step(&self.lstm, embed, &mut state.lstm, lstm);
//!     let mut y = [T::zero(); 65];
//!     self.affine.infer(batch_view(lstm), batch_view_mut(&mut y));
//!     y
//! }
//! ```

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::layers::{call_mut, call_ref, layer_type};
use super::names::{docs, lit, rt};
use super::Net;
use crate::validate::{Kind, LayerModel};

/// Whether the layer may read the sequence count or carry a state: the built-in recurrent
/// layers and every user layer.
fn is_sequential(l: &LayerModel) -> bool {
    match &l.kind {
        Kind::Builtin(b) => b.is_recurrent(),
        Kind::User { .. } => true,
    }
}

/// The inherent `set_sequences` and `reset_state`.
pub(super) fn methods(net: &Net) -> TokenStream {
    let seq: Vec<&LayerModel> = net.layers().iter().filter(|l| is_sequential(l)).collect();
    let set = seq.iter().map(|l| {
        let c = call_mut(l, "set_sequences", quote!(n));
        quote!(#c;)
    });
    let reset = seq.iter().map(|l| {
        let c = call_mut(l, "reset_state", quote!());
        quote!(#c;)
    });
    let unused = seq.is_empty().then(|| quote!(let _ = n;));
    quote! {
        /// Tells the recurrent layers that batches hold `n` sequences, time-major (column
        /// `t·n + j` is step `t` of sequence `j`; see `nn::seq`). Every layer starts with
        /// `n = 1`.
        pub fn set_sequences(&mut self, n: usize) {
            #unused
            #(#set)*
        }

        /// Makes every stateful recurrent layer start its next batch from the zero state.
        pub fn reset_state(&mut self) {
            #(#reset)*
        }
    }
}

/// The `Network` impl's `RECURRENT` (any recurrent layer) and forwarding `set_sequences` and
/// `reset_state`.
pub(super) fn forwarding(net: &Net) -> TokenStream {
    let recurrent = net.layers().iter().filter(|l| is_sequential(l)).map(|l| {
        let tr = super::layers::layer_trait(l);
        quote!(|| #tr::RECURRENT)
    });
    quote! {
        const RECURRENT: bool = false #(#recurrent)*;

        fn set_sequences(&mut self, n: usize) {
            Self::set_sequences(self, n)
        }

        fn reset_state(&mut self) {
            Self::reset_state(self)
        }
    }
}

/// The name of the generated stream state: `{Name}State`.
pub(super) fn state_ident(net: &Net) -> syn::Ident {
    format_ident!("{}State", net.m.ident, span = net.m.ident.span())
}

/// `<Lstm<T, 16, 32> as StepLayer<T, 16, 32>>`.
fn step_trait(l: &LayerModel) -> TokenStream {
    let ty = layer_type(l);
    let (i, o) = (lit(l.in_w), lit(l.out_w));
    let tr = rt("StepLayer");
    quote!(<#ty as #tr<T, #i, #o>>)
}

/// The state struct (outside the `const _` block: users name it), for a network with a
/// recurrent layer; nothing otherwise.
pub(super) fn state_struct(net: &Net) -> Option<TokenStream> {
    let recurrent: Vec<&LayerModel> = net.layers().iter().filter(|l| l.is_recurrent()).collect();
    if recurrent.is_empty() {
        return None;
    }
    let vis = &net.m.vis;
    let ident = state_ident(net);
    let float = &net.float;
    let fields = recurrent.iter().map(|l| {
        let (name, tr) = (&l.name, step_trait(l));
        let doc = docs(&format!(" The state `{name}` carries from one step to the next."));
        quote! {
            #doc
            pub #name: #tr::StepState,
        }
    });
    let doc = docs(&format!(
        " The state of one stream through [`{n}::step`]: what every recurrent layer carries from one \
         step to the next, and one column of every layer's output. Made by [`{n}::step_state`] (the \
         zero state; make a new one to restart a stream); several states, one per stream, can share \
         one network.",
        n = net.name
    ));
    let cfgs = super::cfg_attrs(net.m);
    Some(quote! {
        #(#cfgs)*
        #doc
        #[derive(Clone, Debug)]
        #vis struct #ident<T: #float = f32> {
            #(#fields)*
            /// One column of every layer's output but the last.
            scratch: ::std::vec::Vec<T>,
        }
    })
}

/// `step_state` and `step`, for a network with a recurrent layer.
pub(super) fn step_methods(net: &Net) -> Option<TokenStream> {
    let recurrent: Vec<&LayerModel> = net.layers().iter().filter(|l| l.is_recurrent()).collect();
    if recurrent.is_empty() {
        return None;
    }
    let ident = state_ident(net);
    let (input_w, output_w) = (&net.input_w, &net.output_w);
    let (mid, _) = net.layers().split_at(net.layers().len() - 1);
    let total = lit(mid.iter().map(|l| l.out_w).sum());
    let inits = recurrent.iter().map(|l| {
        let (name, tr) = (&l.name, step_trait(l));
        quote!(#name: #tr::step_state(&self.#name),)
    });
    let x = &net.v.x;
    let state = quote!(state);
    let mut stmts = vec![quote!(let scratch = &mut #state.scratch[..];)];
    let mut prev = quote!(&#x[..]);
    let n_mid = mid.len();
    for (i, l) in net.layers().iter().enumerate() {
        let last = i == n_mid;
        let name = &l.name;
        let out = if last {
            quote!(&mut y[..])
        } else {
            let rest = if i + 1 == n_mid { quote!(_) } else { quote!(scratch) };
            let w = lit(l.out_w);
            stmts.push(quote!(let (#name, #rest) = scratch.split_at_mut(#w);));
            quote!(#name)
        };
        if l.is_recurrent() {
            let tr = step_trait(l);
            stmts.push(quote!(#tr::step(&self.#name, #prev, &mut #state.#name, #out);));
        } else {
            let c = call_ref(
                l,
                "infer",
                quote!(::nn::__private::batch_view(#prev), ::nn::__private::batch_view_mut(#out)),
            );
            stmts.push(quote!(#c;));
        }
        prev = quote!(#name);
    }
    let doc_state = docs(&format!(
        " A zero stream state for [`{n}::step`]: allocates its buffers (once per stream).",
        n = net.name
    ));
    let doc_step = docs(&format!(
        " Streaming inference: advances `state` by one time step of one sequence with input `x` \
         ({} values) and returns the last layer's output ({} scores; the loss, if any, is not \
         applied). Through `&self`, allocation-free: several streams, each with its own state, can \
         share one network. Every other layer computes its inference form (`Layer::infer`).",
        net.m.input, net.last.out_w
    ));
    let ctx = format!("{}::step", net.name);
    let check = quote! {
        #[cfg(debug_assertions)]
        ::nn::__private::assert_finite(::nn::__private::batch_view::<T, #input_w>(&#x[..]), #ctx);
    };
    Some(quote! {
        #doc_state
        pub fn step_state(&self) -> #ident<T> {
            #ident {
                #(#inits)*
                scratch: ::std::vec![T::zero(); #total],
            }
        }

        #doc_step
        pub fn step(&self, #x: &[T; #input_w], #state: &mut #ident<T>) -> [T; #output_w] {
            #check
            let mut y = [T::zero(); #output_w];
            #(#stmts)*
            y
        }
    })
}
