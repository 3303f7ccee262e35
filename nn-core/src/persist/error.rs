//! The errors of saving and loading: each names where the bytes came from (a file's path or
//! in-memory bytes) and the tensor or layer at fault.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Where a loaded file came from: shown at the start of every [`LoadError`].
///
/// ```
/// use nn::persist::Origin;
/// assert_eq!(Origin::File("model.safetensors".into()).to_string(), "model.safetensors");
/// assert_eq!(Origin::Bytes.to_string(), "safetensors bytes");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// A file, by the path it was opened with.
    File(PathBuf),
    /// Bytes in memory (`from_safetensors`, `include_bytes!`).
    Bytes,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(p) => write!(f, "{}", p.display()),
            Origin::Bytes => f.write_str("safetensors bytes"),
        }
    }
}

/// Why a network could not be loaded. A failed load leaves the network unchanged.
///
/// ```
/// use nn::persist::{LoadError, LoadOptions, Origin};
/// nn::network! {
///     pub struct Tiny { input: 2, fc: Affine(1) }
/// }
/// let err = Tiny::<f32>::from_safetensors(b"not a safetensors file").err().unwrap();
/// assert!(matches!(err, LoadError::Corrupt { origin: Origin::Bytes, .. }));
/// assert!(err.to_string().starts_with("safetensors bytes: not a valid safetensors file"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("{origin}: cannot read the file: {source}")]
    Io {
        /// The file.
        origin: Origin,
        /// The operating system's error.
        source: io::Error,
    },
    /// Not a valid safetensors file: truncated, a bad header, a header or offsets claiming
    /// more bytes than the file holds.
    #[error("{origin}: not a valid safetensors file ({reason})")]
    Corrupt {
        /// The file or bytes.
        origin: Origin,
        /// What is wrong (the safetensors crate's message).
        reason: String,
    },
    /// Tensors the network needs are not in the file (all of them, file keys).
    #[error("{origin}: missing tensor(s) {}{}", list(.missing), hint(.available))]
    MissingTensors {
        /// The file or bytes.
        origin: Origin,
        /// Every missing key, as looked up in the file (after renaming).
        missing: Vec<String>,
        /// The keys the file holds (a few of them in the message).
        available: Vec<String>,
    },
    /// The file holds tensors the network does not have (an error unless
    /// [`LoadOptions::allow_unexpected`](super::LoadOptions::allow_unexpected)).
    #[error("{origin}: unexpected tensor(s) {} (allow them with `LoadOptions::allow_unexpected(true)`)", list(.unexpected))]
    UnexpectedTensors {
        /// The file or bytes.
        origin: Origin,
        /// Every key of the file that no tensor of the network maps to.
        unexpected: Vec<String>,
    },
    /// A tensor has another shape than the network's (PyTorch's convention: `[OUT, IN]`).
    #[error("{origin}: tensor `{tensor}` has shape {} in the file where {} is expected", dims(.found), dims(.expected))]
    Shape {
        /// The file or bytes.
        origin: Origin,
        /// The key in the file.
        tensor: String,
        /// The network's shape.
        expected: Vec<usize>,
        /// The file's shape.
        found: Vec<usize>,
    },
    /// A tensor's element type cannot become a float of the network (integers, bool, 8-bit
    /// floats). F32, F64, F16 and BF16 convert.
    #[error("{origin}: tensor `{tensor}` has dtype {dtype}; a network loads F32, F64, F16 or BF16 tensors")]
    Dtype {
        /// The file or bytes.
        origin: Origin,
        /// The key in the file.
        tensor: String,
        /// The file's dtype (`I64`, `BOOL`, ...).
        dtype: String,
    },
    /// A tensor holds a NaN or an infinity, or (loading F64 into an `f32` network) a value
    /// beyond f32's range, which would become an infinity: the first one in the file's
    /// row-major order.
    #[error("{origin}: tensor `{tensor}` holds the non-finite value {} at index {}{}", shown(*.value), dims(.index), beyond_f32(*.value))]
    NonFinite {
        /// The file or bytes.
        origin: Origin,
        /// The key in the file.
        tensor: String,
        /// The element's index in the tensor's (PyTorch) shape: `[row, column]` of a weight.
        index: Vec<usize>,
        /// The value.
        value: f64,
    },
    /// A finite value outside what the loaded object accepts (a `Standardizer`'s standard
    /// deviation that is not positive): the first one in row-major order.
    #[error("{origin}: tensor `{tensor}` holds {value} at index {}; {expected}", dims(.index))]
    InvalidValue {
        /// The file or bytes.
        origin: Origin,
        /// The key in the file.
        tensor: String,
        /// The element's index in the tensor's shape.
        index: Vec<usize>,
        /// The value.
        value: f64,
        /// What the value must be.
        expected: &'static str,
    },
    /// The file was saved from a network with other layers (its `nn.layers` metadata
    /// differs; [`LoadOptions::check_layers`](super::LoadOptions::check_layers) skips the check).
    #[error(
        "{origin}: the file was saved from another network\n  file:    {}\n  network: {expected_layers}", capped(.file_layers)
    )]
    OtherNetwork {
        /// The file or bytes.
        origin: Origin,
        /// The file's layer list.
        file_layers: String,
        /// This network's layer list.
        expected_layers: String,
    },
    /// A layer with parameters does not list its tensors (a user layer that does not
    /// implement `Layer::visit_tensors_mut`), so it cannot be loaded.
    #[error("layer `{layer}` ({kind}) has {params} trainable parameters but its `Layer::visit_tensors_mut` visits {visited}: implement `Layer::visit_tensors` and `Layer::visit_tensors_mut` for it to load a network holding it")]
    LayerWithoutTensors {
        /// The layer's field name.
        layer: String,
        /// The layer's type (`Scale<8>`).
        kind: String,
        /// Its trainable scalars.
        params: usize,
        /// The scalars its `visit_tensors_mut` visits.
        visited: usize,
    },
}

impl LoadError {
    /// Where the bytes came from, if the error is about a file or bytes.
    ///
    /// ```
    /// # nn::network! { pub struct Tiny { input: 2, fc: Affine(1) } }
    /// let err = Tiny::<f32>::load("no/such/file.safetensors").err().unwrap();
    /// assert_eq!(err.origin().unwrap().to_string(), "no/such/file.safetensors");
    /// ```
    pub fn origin(&self) -> Option<&Origin> {
        match self {
            LoadError::Io { origin, .. }
            | LoadError::Corrupt { origin, .. }
            | LoadError::MissingTensors { origin, .. }
            | LoadError::UnexpectedTensors { origin, .. }
            | LoadError::Shape { origin, .. }
            | LoadError::Dtype { origin, .. }
            | LoadError::NonFinite { origin, .. }
            | LoadError::InvalidValue { origin, .. }
            | LoadError::OtherNetwork { origin, .. } => Some(origin),
            LoadError::LayerWithoutTensors { .. } => None,
        }
    }
}

/// Why a network could not be saved. A failed save leaves any previous file unchanged.
///
/// ```
/// # nn::network! { pub struct Tiny { input: 2, fc: Affine(1) } }
/// let net = Tiny::zeroed();
/// let err = net.save("no/such/dir/model.safetensors").unwrap_err();
/// assert!(matches!(err, nn::persist::SaveError::Io { .. }));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SaveError {
    /// Writing the file failed (nothing was replaced).
    #[error("{}: cannot write the file: {source}", .path.display())]
    Io {
        /// The target path.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// A layer with parameters does not list its tensors (a user layer that does not
    /// implement `Layer::visit_tensors`), so the file would lack its parameters.
    #[error("layer `{layer}` ({kind}) has {params} trainable parameters but its `Layer::visit_tensors` visits {visited}: implement `Layer::visit_tensors` and `Layer::visit_tensors_mut` for it to save a network holding it")]
    LayerWithoutTensors {
        /// The layer's field name.
        layer: String,
        /// The layer's type (`Scale<8>`).
        kind: String,
        /// Its trainable scalars.
        params: usize,
        /// The scalars its `visit_tensors` visits.
        visited: usize,
    },
    /// Two tensors would be stored under the same key (a layer visiting one name twice, or
    /// a key map sending two keys to one).
    #[error("two tensors would be saved as `{key}` (check the layers' tensor names and the key map)")]
    DuplicateKey {
        /// The key in the file.
        key: String,
    },
}

/// `` `a`, `b` `` (at most 8, then "and N more").
fn list(keys: &[String]) -> String {
    let mut s = keys
        .iter()
        .take(8)
        .map(|k| format!("`{}`", capped(k)))
        .collect::<Vec<_>>()
        .join(", ");
    if keys.len() > 8 {
        s.push_str(&format!(" and {} more", keys.len() - 8));
    }
    s
}

/// `s`, or its first 200 characters and "…" (a file's strings can be megabytes long).
fn capped(s: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 200;
    match s.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &s[..at]).into(),
        None => s.into(),
    }
}

/// "; the file holds `x`, `y`" or "; the file holds no tensors".
fn hint(available: &[String]) -> String {
    if available.is_empty() {
        String::from("; the file holds no tensors")
    } else {
        format!(
            "; the file holds {} (rename keys with `LoadOptions::rename`)",
            list(available)
        )
    }
}

/// A `NonFinite` value: `NaN`, `inf`, or a finite one in exponent form (`1e300`).
fn shown(value: f64) -> String {
    if value.is_finite() {
        format!("{value:e}")
    } else {
        value.to_string()
    }
}

/// What a finite `NonFinite` value means: an F64 beyond f32's range, for an f32 network.
fn beyond_f32(value: f64) -> &'static str {
    if value.is_finite() {
        " as f32 (the file's F64 value is beyond f32's range)"
    } else {
        ""
    }
}

/// `[10, 2]`.
pub(crate) fn dims(d: &[usize]) -> String {
    let parts: Vec<String> = d.iter().map(usize::to_string).collect();
    format!("[{}]", parts.join(", "))
}
