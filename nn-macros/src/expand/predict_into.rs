//! `predict_into(&self, x, out)`: inference through `&self` into a caller-owned output,
//! the intermediate outputs in a per-thread scratch, one slice per layer:
//!
//! ```text
//! let n = x.ncols();
//! ::nn::__private::with_scratch(n * 20, |scratch: &mut [T]| {
//!     let (affine1, scratch) = scratch.split_at_mut(n * 10);
//!     self.affine1.infer(x, ::nn::__private::batch_view_mut(affine1));
//!     let (sigmoid, _) = scratch.split_at_mut(n * 10);
//!     self.sigmoid.infer(::nn::__private::batch_view(affine1), ::nn::__private::batch_view_mut(sigmoid));
//!     self.affine2.infer(::nn::__private::batch_view(sigmoid), out);
//! });
//! ```

use proc_macro2::TokenStream;
use quote::quote;

use super::layers::call_ref;
use super::names::{docs, lit};
use super::Net;

/// The `predict_into` method.
pub(super) fn predict_into(net: &Net) -> TokenStream {
    let Net {
        v,
        input_w,
        output_w,
        last,
        name,
        ..
    } = net;
    let (x, out) = (&v.x, &v.out);
    let check = net.finite_check("predict_into");
    let body = body(net);
    let doc = docs(&format!(
        " Inference into a caller-owned `out` ({} × N, same N as `x`) through `&self`, so one network \
         can predict from several threads. Intermediate outputs live in a reused per-thread scratch: \
         nothing is allocated once each thread has seen a batch this large.",
        last.out_w
    ));
    quote! {
        #doc
        pub fn predict_into(
            &self,
            #x: impl ::nn::__private::AsBatch<T, #input_w>,
            #out: ::nn::__private::BatchMut<'_, T, #output_w>,
        ) {
            let #x = #x.as_batch();
            #check
            ::nn::__private::assert_same_batch(#x.ncols(), #out.ncols(), #name);
            #body
        }
    }
}

/// One `infer` straight into `out` for a single layer, else the scratch split between the
/// layers before the last.
fn body(net: &Net) -> TokenStream {
    let (x, out, n, scratch) = (&net.v.x, &net.v.out, &net.v.n, &net.v.scratch);
    let (mid, _) = net.layers().split_at(net.layers().len() - 1);
    if mid.is_empty() {
        let c = call_ref(net.last, "infer", quote!(#x, #out));
        return quote!(#c;);
    }
    let total = lit(mid.iter().map(|l| l.out_w).sum());
    let mut stmts = Vec::new();
    let mut prev = quote!(#x);
    for (i, l) in mid.iter().enumerate() {
        let (name, w) = (&l.name, lit(l.out_w));
        let rest = if i + 1 == mid.len() {
            quote!(_)
        } else {
            quote!(#scratch)
        };
        stmts.push(quote!(let (#name, #rest) = #scratch.split_at_mut(#n * #w);));
        let c = call_ref(l, "infer", quote!(#prev, ::nn::__private::batch_view_mut(#name)));
        stmts.push(quote!(#c;));
        prev = quote!(::nn::__private::batch_view(#name));
    }
    let c = call_ref(net.last, "infer", quote!(#prev, #out));
    stmts.push(quote!(#c;));
    quote! {
        let #n = #x.ncols();
        ::nn::__private::with_scratch(#n * #total, |#scratch: &mut [T]| {
            #(#stmts)*
        });
    }
}
