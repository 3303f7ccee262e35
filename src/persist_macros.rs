//! `__persist_methods!`: the save / load methods of every `network!` struct, defined here
//! (not by the proc macro) so that the facade's `safetensors` feature decides whether they
//! exist. `network!` emits `__persist_methods!(Name, IN, OUT);` inside its `const _` block.

/// The persistence methods of a `network!` struct (feature `safetensors`); not a public
/// API.
#[cfg(feature = "safetensors")]
#[doc(hidden)]
#[macro_export]
macro_rules! __persist_methods {
    ($name:ident, $in:literal, $out:literal) => {
        impl<T: $crate::Float> $name<T> {
            /// Saves the network to `path` as a safetensors file, atomically (PyTorch's
            /// names and layout: `fc1.weight` `[OUT, IN]`, `fc1.bias` `[OUT]`; see
            /// `nn::persist`).
            pub fn save(
                &self,
                path: impl ::core::convert::AsRef<::std::path::Path>,
            ) -> ::core::result::Result<(), $crate::persist::SaveError> {
                $crate::persist::save::<T, $in, $out, Self>(self, path)
            }

            /// [`save`](Self::save) with a key map (`SaveOptions::rename`).
            pub fn save_with(
                &self,
                path: impl ::core::convert::AsRef<::std::path::Path>,
                options: &$crate::persist::SaveOptions,
            ) -> ::core::result::Result<(), $crate::persist::SaveError> {
                $crate::persist::save_with::<T, $in, $out, Self>(self, path, options)
            }

            /// The safetensors bytes [`save`](Self::save) writes. Panics if a user layer
            /// with parameters does not implement `Layer::visit_tensors`.
            #[track_caller]
            pub fn to_safetensors(&self) -> ::std::vec::Vec<u8> {
                $crate::persist::to_safetensors::<T, $in, $out, Self>(self)
            }

            /// A network loaded from the safetensors file at `path` (checked: see
            /// `nn::persist::LoadError`).
            pub fn load(
                path: impl ::core::convert::AsRef<::std::path::Path>,
            ) -> ::core::result::Result<Self, $crate::persist::LoadError> {
                Self::load_with(path, &$crate::persist::LoadOptions::new())
            }

            /// [`load`](Self::load) with options (key map, unexpected tensors, layer check).
            pub fn load_with(
                path: impl ::core::convert::AsRef<::std::path::Path>,
                options: &$crate::persist::LoadOptions,
            ) -> ::core::result::Result<Self, $crate::persist::LoadError> {
                let mut net = <Self as $crate::Network<T, $in, $out>>::zeroed();
                $crate::persist::__load_fresh::<T, $in, $out, Self>(&mut net, path, options)?;
                ::core::result::Result::Ok(net)
            }

            /// Loads the safetensors file at `path` into this network, all or nothing: on an
            /// error the network is unchanged.
            pub fn load_into(
                &mut self,
                path: impl ::core::convert::AsRef<::std::path::Path>,
            ) -> ::core::result::Result<(), $crate::persist::LoadError> {
                $crate::persist::load_into::<T, $in, $out, Self>(self, path, &$crate::persist::LoadOptions::new())
            }

            /// [`load_into`](Self::load_into) with options.
            pub fn load_into_with(
                &mut self,
                path: impl ::core::convert::AsRef<::std::path::Path>,
                options: &$crate::persist::LoadOptions,
            ) -> ::core::result::Result<(), $crate::persist::LoadError> {
                $crate::persist::load_into::<T, $in, $out, Self>(self, path, options)
            }

            /// A network loaded from safetensors bytes (e.g. `include_bytes!`).
            pub fn from_safetensors(bytes: &[u8]) -> ::core::result::Result<Self, $crate::persist::LoadError> {
                Self::from_safetensors_with(bytes, &$crate::persist::LoadOptions::new())
            }

            /// [`from_safetensors`](Self::from_safetensors) with options.
            pub fn from_safetensors_with(
                bytes: &[u8],
                options: &$crate::persist::LoadOptions,
            ) -> ::core::result::Result<Self, $crate::persist::LoadError> {
                let mut net = <Self as $crate::Network<T, $in, $out>>::zeroed();
                $crate::persist::from_safetensors_into::<T, $in, $out, Self>(&mut net, bytes, options)?;
                ::core::result::Result::Ok(net)
            }

            /// The saved tensors by key (`fc1.weight`), read-only.
            pub fn state(&self) -> $crate::persist::StateView<'_, T> {
                $crate::persist::state::<T, $in, $out, Self>(self)
            }
        }
    };
}

/// Without the `safetensors` feature: no persistence methods.
#[cfg(not(feature = "safetensors"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __persist_methods {
    ($name:ident, $in:literal, $out:literal) => {};
}
