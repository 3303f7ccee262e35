//! Saving: a network's tensors → safetensors entries (PyTorch's row-major layout) → bytes
//! → an atomic file write.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::Path;

use safetensors::{Dtype, View};

use super::dtype::{float_dtype, write_from};
use super::error::SaveError;
use super::metadata::network_metadata;
use super::options::SaveOptions;
use crate::atomic::write_atomic;
use crate::float::Float;
use crate::network::Network;

/// One tensor to be written: its key, dtype, row-major shape and little-endian bytes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    /// The key in the file.
    pub(crate) key: String,
    /// The element type.
    pub(crate) dtype: Dtype,
    /// The shape (PyTorch's convention).
    pub(crate) shape: Vec<usize>,
    /// The elements, row-major, little-endian.
    pub(crate) data: Vec<u8>,
}

impl View for &Entry {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.data)
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

/// The tensors of a file to be written, keys unique (checked as they are pushed).
#[derive(Clone, Debug, Default)]
pub(crate) struct Entries {
    items: Vec<Entry>,
    keys: HashSet<String>,
}

#[allow(dead_code)] // the typed pushes are for the checkpoint code
impl Entries {
    /// No tensors.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The entries in the order they were pushed.
    pub(crate) fn items(&self) -> &[Entry] {
        &self.items
    }

    /// Adds a tensor; `data` holds `shape`'s elements row-major, little-endian. Fails on a
    /// key already present. Panics if `data` does not hold `shape`'s elements of `dtype`.
    #[track_caller]
    pub(crate) fn push(
        &mut self,
        key: String,
        dtype: Dtype,
        shape: Vec<usize>,
        data: Vec<u8>,
    ) -> Result<(), SaveError> {
        let numel: usize = shape.iter().product();
        assert_eq!(
            numel * dtype.bitsize() / 8,
            data.len(),
            "tensor `{key}`: {} bytes do not hold shape {shape:?} of {dtype}",
            data.len()
        );
        if !self.keys.insert(key.clone()) {
            return Err(SaveError::DuplicateKey { key });
        }
        self.items.push(Entry {
            key,
            dtype,
            shape,
            data,
        });
        Ok(())
    }

    /// Adds a float tensor in `T`'s own dtype; `data` is row-major.
    #[track_caller]
    pub(crate) fn push_floats<T: Float>(
        &mut self,
        key: String,
        shape: Vec<usize>,
        data: &[T],
    ) -> Result<(), SaveError> {
        let bytes = write_from(data, crate::state::Order::RowMajor, data.len(), 1);
        self.push(key, float_dtype::<T>(), shape, bytes)
    }

    /// Adds a vector of `i64` (`I64`, shape `[len]`).
    pub(crate) fn push_i64(&mut self, key: String, data: &[i64]) -> Result<(), SaveError> {
        let bytes = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.push(key, Dtype::I64, vec![data.len()], bytes)
    }

    /// Adds a vector of `u64` (`U64`, shape `[len]`).
    pub(crate) fn push_u64(&mut self, key: String, data: &[u64]) -> Result<(), SaveError> {
        let bytes = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.push(key, Dtype::U64, vec![data.len()], bytes)
    }

    /// Adds a vector of bytes (`U8`, shape `[len]`).
    pub(crate) fn push_u8(&mut self, key: String, data: &[u8]) -> Result<(), SaveError> {
        self.push(key, Dtype::U8, vec![data.len()], data.to_vec())
    }
}

/// Every tensor of `net` under its file key (`{field}.{tensor}` after `opts`' key map), in
/// `T`'s dtype and PyTorch's row-major layout. Refuses a layer whose `Layer::visit_tensors`
/// misses parameters (fewer visited scalars than its summary row's `params`).
pub(crate) fn network_entries<T: Float, const IN: usize, const OUT: usize, N: Network<T, IN, OUT> + ?Sized>(
    net: &N,
    opts: &SaveOptions,
) -> Result<Entries, SaveError> {
    let mut entries = Entries::new();
    let mut visited: HashMap<&'static str, usize> = HashMap::new();
    let mut result = Ok(());
    net.visit_tensors(&mut |layer, t| {
        *visited.entry(layer).or_default() += t.data.len();
        if result.is_err() {
            return;
        }
        let key = opts.keys.file_key(&format!("{layer}.{}", t.name)).into_owned();
        let (rows, cols) = rows_cols(t.shape.dims());
        let bytes = write_from(t.data, t.order, rows, cols);
        result = entries.push(key, float_dtype::<T>(), t.shape.dims().to_vec(), bytes);
    });
    result?;
    for row in net.summary().rows {
        let seen = visited.get(row.name).copied().unwrap_or(0);
        if row.params > 0 && seen < row.params {
            return Err(SaveError::LayerWithoutTensors {
                layer: row.name.to_string(),
                kind: row.kind,
                params: row.params,
                visited: seen,
            });
        }
    }
    Ok(entries)
}

/// `(rows, cols)` of a tensor for the layout copies: a matrix's, or `(len, 1)`.
pub(crate) fn rows_cols(dims: &[usize]) -> (usize, usize) {
    match dims {
        [r, c] => (*r, *c),
        _ => (dims.iter().product(), 1),
    }
}

/// The safetensors bytes of `entries` with `metadata` as `__metadata__`.
///
/// The same entries and metadata always give the same bytes: the safetensors crate writes
/// `__metadata__` from a `HashMap` in its (per-process random) order, so the header is
/// rewritten with every JSON object's keys sorted, padded with spaces to a multiple of 8
/// bytes as the crate pads it.
///
/// Panics only if the header would exceed the safetensors limit of 100 MB (millions of
/// tensors).
pub(crate) fn serialize(entries: &Entries, metadata: HashMap<String, String>) -> Vec<u8> {
    let data = entries.items().iter().map(|e| (e.key.as_str(), e));
    let bytes =
        safetensors::serialize(data, Some(metadata)).unwrap_or_else(|e| panic!("cannot serialize the tensors: {e}"));
    canonical_header(bytes)
}

/// `bytes` (a safetensors file) with its header's JSON keys sorted at every level. The
/// sorted header has the same length as the crate's (the same keys and values in another
/// order), so it is written over it in place; otherwise the file is rebuilt around it.
fn canonical_header(mut bytes: Vec<u8>) -> Vec<u8> {
    let n = u64::from_le_bytes(bytes[..8].try_into().expect("an 8-byte length")) as usize;
    let header: serde_json::Value =
        serde_json::from_slice(&bytes[8..8 + n]).expect("the safetensors crate writes JSON");
    let mut header = serde_json::to_vec(&sorted(header)).expect("a JSON value serializes");
    header.resize(header.len().next_multiple_of(8), b' ');
    if header.len() == n {
        bytes[8..8 + n].copy_from_slice(&header);
        return bytes;
    }
    let data = &bytes[8 + n..];
    let mut out = Vec::with_capacity(8 + header.len() + data.len());
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(data);
    out
}

/// `v` with every object's keys in sorted order (whether or not serde_json's maps keep
/// insertion order).
fn sorted(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(map) => {
            let mut items: Vec<(String, serde_json::Value)> = map.into_iter().collect();
            items.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(items.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        serde_json::Value::Array(items) => serde_json::Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// The safetensors bytes of a network, as [`save`] writes them (PyTorch's names and
/// layout, `nn`'s metadata).
///
/// # Panics
/// If a layer with parameters does not implement `Layer::visit_tensors` (a user layer's
/// programming mistake; [`to_safetensors_with`] returns it as an error).
///
/// ```
/// nn::network! { pub struct Tiny { input: 2, fc: Affine(3) } }
/// let net = Tiny::zeroed();
/// let bytes = nn::persist::to_safetensors(&net);
/// let back = Tiny::<f32>::from_safetensors(&bytes).unwrap();
/// assert_eq!(back.fc.w, net.fc.w);
/// ```
#[track_caller]
pub fn to_safetensors<T: Float, const IN: usize, const OUT: usize, N: Network<T, IN, OUT> + ?Sized>(
    net: &N,
) -> Vec<u8> {
    to_safetensors_with(net, &SaveOptions::new()).unwrap_or_else(|e| panic!("{e}"))
}

/// [`to_safetensors`] with a key map.
///
/// ```
/// use nn::persist::{LoadError, LoadOptions, SaveOptions};
/// nn::network! { pub struct Tiny { input: 2, fc: Affine(3) } }
/// let bytes = nn::persist::to_safetensors_with(&Tiny::zeroed(), &SaveOptions::new().rename("fc", "0")).unwrap();
/// // Saved as `0.weight`, `0.bias`: read back with the same key map.
/// let err = Tiny::<f32>::from_safetensors(&bytes).err().unwrap();
/// assert!(matches!(err, LoadError::MissingTensors { .. }));
/// assert!(Tiny::<f32>::from_safetensors_with(&bytes, &LoadOptions::new().rename("fc", "0")).is_ok());
/// ```
pub fn to_safetensors_with<T: Float, const IN: usize, const OUT: usize, N: Network<T, IN, OUT> + ?Sized>(
    net: &N,
    opts: &SaveOptions,
) -> Result<Vec<u8>, SaveError> {
    let entries = network_entries(net, opts)?;
    Ok(serialize(&entries, network_metadata(net)))
}

/// Saves a network to `path` atomically ([`write_atomic`]): its tensors under PyTorch's
/// names (`fc1.weight` `[OUT, IN]` row-major, `fc1.bias` `[OUT]`) in its own float type,
/// and `nn`'s metadata.
///
/// ```
/// nn::network! { pub struct Tiny { input: 2, fc: Affine(3) } }
/// let path = std::env::temp_dir().join(format!("nn-doc-save-{}.safetensors", std::process::id()));
/// let net = Tiny::zeroed_f64();
/// nn::persist::save(&net, &path).unwrap();
/// assert_eq!(Tiny::<f64>::load(&path).unwrap().fc.b, net.fc.b);
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn save<T: Float, const IN: usize, const OUT: usize, N: Network<T, IN, OUT> + ?Sized>(
    net: &N,
    path: impl AsRef<Path>,
) -> Result<(), SaveError> {
    save_with(net, path, &SaveOptions::new())
}

/// [`save`] with a key map.
///
/// ```
/// use nn::persist::{LoadOptions, SaveOptions};
/// nn::network! { pub struct Tiny { input: 2, fc: Affine(3) } }
/// let path = std::env::temp_dir().join(format!("nn-doc-save-with-{}.safetensors", std::process::id()));
/// nn::persist::save_with(&Tiny::zeroed(), &path, &SaveOptions::new().rename("fc", "0")).unwrap();
/// let net = Tiny::<f32>::load_with(&path, &LoadOptions::new().rename("fc", "0")).unwrap();
/// # let _ = net;
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn save_with<T: Float, const IN: usize, const OUT: usize, N: Network<T, IN, OUT> + ?Sized>(
    net: &N,
    path: impl AsRef<Path>,
    opts: &SaveOptions,
) -> Result<(), SaveError> {
    let path = path.as_ref();
    let bytes = to_safetensors_with(net, opts)?;
    write_atomic(path, |w| w.write_all(&bytes)).map_err(|source| SaveError::Io {
        path: path.to_path_buf(),
        source,
    })
}
