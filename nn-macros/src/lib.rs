//! The `network!` procedural macro of `nn` (stub until the macro issue lands).

use proc_macro::TokenStream;

/// Declares a network as a struct (see the `nn` crate docs).
#[proc_macro]
pub fn network(input: TokenStream) -> TokenStream {
    let _ = input;
    "compile_error!(\"network! is not implemented yet\");".parse().unwrap()
}
