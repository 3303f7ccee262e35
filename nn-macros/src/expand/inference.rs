//! The inference helpers (nn-core's `inference` module does the work):
//!
//! ```text
//! pub fn predict_one(&self, x: &[T; IN]) -> [T; OUT]                every network
//! pub fn predict_proba(&self, x: &[T; IN]) -> [T; OUT]              SoftmaxWithLoss,
//! pub fn predict_proba_into(&self, x: impl AsBatch, out: BatchMut)  SigmoidWithLoss
//! pub fn predict_class(&self, x: &[T; IN]) -> Option<usize>         SoftmaxWithLoss,
//! pub fn predict_classes(&self, x: impl AsBatch) -> Vec<Option<usize>>  SigmoidWithLoss on 1
//! ```

use proc_macro2::TokenStream;
use quote::quote;

use super::names::docs;
use super::Net;

/// The helpers this network gets.
pub(super) fn methods(net: &Net) -> TokenStream {
    let Net { input_w, output_w, .. } = net;
    let x = &net.v.x;
    let (i, o) = (net.m.input, net.last.out_w);
    let one_doc = docs(&format!(
        " The {o} scores of one sample of {i} features (`[T; {i}]` in, `[T; {o}]` out), in inference \
         mode through `&self` ([`predict_into`](Self::predict_into) on a batch of one). Allocates \
         nothing once this thread has predicted with the network."
    ));
    let one = quote! {
        #one_doc
        pub fn predict_one(&self, #x: &[T; #input_w]) -> [T; #output_w] {
            ::nn::__private::inference::predict_one(self, #x)
        }
    };
    let loss = match &net.m.loss {
        Some(l) => l,
        None => return one,
    };
    let (proba, class) = match loss.kind.name {
        "SoftmaxWithLoss" => (true, true),
        "SigmoidWithLoss" => (true, loss.width == 1),
        _ => (false, false),
    };
    let activation = if loss.kind.name == "SoftmaxWithLoss" {
        "the softmax of its scores"
    } else {
        "the sigmoid of each score"
    };
    let proba = proba.then(|| {
        let doc = docs(&format!(
            " The probabilities of one sample: {activation} (what `{}` trains), in inference mode. A \
             non-finite score makes them NaN.",
            loss.kind.name
        ));
        let into_doc = docs(&format!(
            " The probabilities of every sample of `x` ({i} × N) in a caller-owned `out` ({o} × N): \
             {activation}, in inference mode through `&self`."
        ));
        quote! {
            #doc
            pub fn predict_proba(&self, #x: &[T; #input_w]) -> [T; #output_w] {
                let mut out = [<T as ::nn::__private::Float>::cast(0.0); #output_w];
                ::nn::__private::inference::predict_proba_into(
                    self,
                    ::nn::__private::batch_view(#x),
                    ::nn::__private::batch_view_mut(&mut out),
                );
                out
            }

            #into_doc
            #[track_caller]
            pub fn predict_proba_into(
                &self,
                #x: impl ::nn::__private::AsBatch<T, #input_w>,
                out: ::nn::__private::BatchMut<'_, T, #output_w>,
            ) {
                ::nn::__private::inference::predict_proba_into(self, #x.as_batch(), out)
            }
        }
    });
    let which = if loss.kind.name == "SoftmaxWithLoss" {
        format!("the largest of the {o} scores (`0..{o}`)")
    } else {
        String::from("1 if the probability is at least 0.5, else 0")
    };
    let class = class.then(|| {
        let doc = docs(&format!(
            " The class of one sample: {which}, in inference mode; `None` if a score is not finite \
             (a NaN in the input or the weights)."
        ));
        let many_doc = docs(&format!(
            " The class of every sample of `x` ({i} × N; a `Batch`, `&[[T; {i}]]`, ...): {which}, \
             `None` where a score is not finite."
        ));
        quote! {
            #doc
            pub fn predict_class(&self, #x: &[T; #input_w]) -> ::core::option::Option<usize> {
                let scores = ::nn::__private::inference::predict_one(self, #x);
                ::nn::__private::inference::class_of(
                    ::nn::__private::Network::prediction(self),
                    &scores,
                )
            }

            #many_doc
            pub fn predict_classes(
                &self,
                #x: impl ::nn::__private::AsBatch<T, #input_w>,
            ) -> ::std::vec::Vec<::core::option::Option<usize>> {
                ::nn::__private::inference::predict_classes(self, #x.as_batch())
            }
        }
    });
    quote! {
        #one
        #proba
        #class
    }
}
