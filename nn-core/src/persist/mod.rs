//! Saving and loading networks as [safetensors](https://github.com/huggingface/safetensors)
//! files, with PyTorch's names, shapes and element order (feature `safetensors`, on by
//! default).
//!
//! # Layout
//! A layer field `fc1` holding an `Affine<IN, OUT>` is stored as `fc1.weight`, shape
//! `[OUT, IN]`, row-major, and `fc1.bias`, shape `[OUT]`: exactly what `torch.nn.Linear`
//! keeps, so `model.load_state_dict(safetensors.torch.load_file(path))` reads an `nn` file
//! into a torch module whose submodules have the same names, and `nn` reads the file
//! `safetensors.torch.save_file(model.state_dict(), path)` writes. `MatMul` stores
//! `weight` only. Other names (`nn.Sequential`'s `0.weight`) map with
//! [`LoadOptions::rename`] / [`SaveOptions::rename`]. A user layer lists its tensors with
//! [`Layer::visit_tensors`](crate::Layer::visit_tensors).
//!
//! A network saves its own float type (`F32` or `F64`) and loads `F32`, `F64`, `F16` and
//! `BF16` tensors, converted to its float type (exact except f64 → f32, which rounds to
//! nearest). The file's `__metadata__` records `format` = `pt`, `nn.version`,
//! `nn.network`, `nn.float`, `nn.input` and `nn.layers` (the layer list with widths).
//!
//! # Checked, all-or-nothing loading
//! Every load checks the whole file before writing anything, so a failed
//! [`load_into`] leaves the network bit-identical. A [`LoadError`] names the file (or
//! "safetensors bytes") and the tensor: missing tensors (all of them), unexpected ones, a
//! wrong shape, a dtype that is not a float, a NaN or infinity (with its index), a
//! truncated or corrupt file (including a header that claims more than the file holds),
//! or a file saved from a network with other layers (both layer lists shown).
//!
//! # Atomic saves
//! [`save`] writes through [`write_atomic`]: a temporary file in the same directory,
//! flushed and `fsync`ed, then renamed over the target; a failed save leaves the previous
//! file and no temporary file.
//!
//! Every `network!` struct has these as methods: `save`, `save_with`, `to_safetensors`,
//! `load`, `load_with`, `load_into`, `load_into_with`, `from_safetensors`,
//! `from_safetensors_with` and `state`.
//!
//! ```
//! use nn::rand::SeedableRng;
//! nn::network! {
//!     pub struct Net { input: 2, fc1: Affine(8), act: Tanh, fc2: Affine(3), loss: SoftmaxWithLoss }
//! }
//! let net = Net::new(&mut nn::rand_chacha::ChaCha8Rng::seed_from_u64(7));
//! let path = std::env::temp_dir().join(format!("nn-doc-persist-{}.safetensors", std::process::id()));
//! net.save(&path).unwrap();
//! let back = Net::load(&path).unwrap();
//! assert_eq!(back.fc1.w, net.fc1.w);
//! // The same bytes in memory, e.g. from `include_bytes!("model.safetensors")`.
//! let bytes = std::fs::read(&path).unwrap();
//! assert_eq!(Net::<f32>::from_safetensors(&bytes).unwrap().fc2.b, net.fc2.b);
//! assert_eq!(net.state().get("fc1.weight").unwrap().shape.dims(), &[8, 2]);
//! # std::fs::remove_file(&path).unwrap();
//! ```

mod dtype;
mod error;
mod keys;
mod layout;
mod load;
mod metadata;
mod options;
mod save;
mod view;

pub use crate::atomic::write_atomic;
pub use error::{LoadError, Origin, SaveError};
pub use load::{__load_fresh, from_safetensors_into, load_into};
pub use options::{LoadOptions, SaveOptions};
pub use save::{save, save_with, to_safetensors, to_safetensors_with};
pub use view::{state, StateView};

// The building blocks of other files that hold a network (checkpoints).
#[allow(unused_imports)]
pub(crate) use load::{load_network, parse, read_file, Parsed};
#[allow(unused_imports)]
pub(crate) use metadata::{check_layers, layer_list, network_metadata};
// Float tensors outside a network (`Standardizer`).
pub(crate) use dtype::{first_not_finite_as, loads, read_into};
#[allow(unused_imports)]
pub(crate) use save::{network_entries, serialize, Entries, Entry};
