//! `__onnx_methods!(Name)`, which `network!` emits for every network: the inherent
//! `to_onnx` and `save_onnx` when this crate's `onnx` feature is on, nothing when it is off
//! (the proc macro cannot see this crate's features; this file decides).

/// The ONNX methods of a `network!` struct (feature `onnx`); not a public API.
#[cfg(feature = "onnx")]
#[doc(hidden)]
#[macro_export]
macro_rules! __onnx_methods {
    ($name:ident) => {
        impl<T: $crate::Float> $name<T> {
            /// The network as a serialized ONNX model for inference: input `input`
            /// `[N, IN]`, outputs `scores` `[N, OUT]` (and `probabilities` after a
            /// classification loss); see the `nn::onnx` module.
            ///
            /// # Errors
            /// `OnnxError::Unsupported` naming a layer without an ONNX form.
            pub fn to_onnx(&self) -> ::core::result::Result<::std::vec::Vec<u8>, $crate::onnx::OnnxError> {
                $crate::onnx::to_onnx(self)
            }

            /// Writes [`to_onnx`](Self::to_onnx)'s bytes to `path` atomically (a failed
            /// save leaves any previous file intact).
            ///
            /// # Errors
            /// Those of `to_onnx`, and `OnnxError::Io` naming the path.
            pub fn save_onnx(
                &self,
                path: impl ::core::convert::AsRef<::std::path::Path>,
            ) -> ::core::result::Result<(), $crate::onnx::OnnxError> {
                $crate::onnx::save_onnx(self, path)
            }
        }
    };
}

/// Without the `onnx` feature: no methods.
#[cfg(not(feature = "onnx"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __onnx_methods {
    ($name:ident) => {};
}
