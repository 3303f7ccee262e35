//! Loading: a checked safetensors header → every check on every tensor → the network's
//! tensors written. Nothing is written before every check has passed, so a failed load
//! leaves the network bit-identical. Bytes in memory are checked and converted in place.
//! `load_into` reads its file whole, then loads those bytes: every value it writes is one
//! it checked, even if another program rewrites the file meanwhile. A network made for the
//! load (`load`, `load_with`: dropped on an error) streams the file a chunk at a time
//! instead, each chunk checked, then converted while it is in cache: no copy of the file.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use safetensors::tensor::{Metadata, TensorView};
use safetensors::{Dtype, SafeTensorError, SafeTensors};

use super::dtype::{first_not_finite_as, loads, read_into, read_rows_into};
use super::error::{LoadError, Origin};
use super::metadata::{check_layers, layer_list};
use super::options::LoadOptions;
use super::save::rows_cols;
use crate::float::Float;
use crate::network::Network;
use crate::state::{Order, Shape};

/// A parsed safetensors file: its tensors and its `__metadata__`.
pub(crate) struct Parsed<'a> {
    /// The tensors (views into the bytes).
    pub(crate) tensors: SafeTensors<'a>,
    /// The `__metadata__` map, if the file has one.
    pub(crate) metadata: Option<HashMap<String, String>>,
}

/// Parses safetensors bytes. The safetensors crate checks the header length and every
/// offset against the buffer before anything is allocated for them, so a header claiming
/// gigabytes is a [`LoadError::Corrupt`], not an allocation.
pub(crate) fn parse<'a>(bytes: &'a [u8], origin: &Origin) -> Result<Parsed<'a>, LoadError> {
    let corrupt = |e: safetensors::SafeTensorError| LoadError::Corrupt {
        origin: origin.clone(),
        reason: e.to_string(),
    };
    let (_, meta) = SafeTensors::read_metadata(bytes).map_err(corrupt)?;
    let tensors = SafeTensors::deserialize(bytes).map_err(corrupt)?;
    Ok(Parsed {
        tensors,
        metadata: meta.metadata().clone(),
    })
}

/// Reads a whole file.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, LoadError> {
    std::fs::read(path).map_err(|source| LoadError::Io {
        origin: Origin::File(path.to_path_buf()),
        source,
    })
}

/// What the checks need of a file: each tensor's dtype and shape by key, and every key.
trait Lookup {
    fn info(&self, key: &str) -> Option<(Dtype, Vec<usize>)>;
    fn keys(&self) -> Vec<String>;
}

impl Lookup for SafeTensors<'_> {
    fn info(&self, key: &str) -> Option<(Dtype, Vec<usize>)> {
        self.tensor(key).ok().map(|v| (v.dtype(), v.shape().to_vec()))
    }
    fn keys(&self) -> Vec<String> {
        self.names().into_iter().map(String::from).collect()
    }
}

impl Lookup for Metadata {
    fn info(&self, key: &str) -> Option<(Dtype, Vec<usize>)> {
        Metadata::info(self, key).map(|i| (i.dtype, i.shape.clone()))
    }
    fn keys(&self) -> Vec<String> {
        self.tensors().into_keys().collect()
    }
}

/// One tensor of the network, found in the file with a fitting shape and dtype.
struct Planned {
    /// The key in the file.
    key: String,
    dtype: Dtype,
    shape: Shape,
}

/// Every check that needs no tensor data, in order: the layer list (`nn.layers`, unless
/// `opts` turns it off), that every layer with parameters lists its tensors, missing
/// tensors (all of them), unexpected tensors (file keys no tensor of the network maps to,
/// except those for which `skip` is true and unless `opts` allows them), then per tensor
/// its shape and dtype. Gives the network's tensors in visiting order.
fn plan<T: Float, const IN: usize, const OUT: usize, N: Network<T, IN, OUT> + ?Sized>(
    net: &mut N,
    file: &dyn Lookup,
    metadata: Option<&HashMap<String, String>>,
    origin: &Origin,
    opts: &LoadOptions,
    skip: &dyn Fn(&str) -> bool,
) -> Result<Vec<Planned>, LoadError> {
    let summary = net.summary();
    if opts.check_layers {
        check_layers(&layer_list(&summary), metadata, origin)?;
    }

    // What the network holds (its writable tensors, visited without writing).
    let mut expected: Vec<(String, Shape)> = Vec::new();
    let mut visited: HashMap<&'static str, usize> = HashMap::new();
    net.visit_tensors_mut(&mut |layer, t| {
        *visited.entry(layer).or_default() += t.data.len();
        let key = opts.keys.file_key(&format!("{layer}.{}", t.name)).into_owned();
        expected.push((key, t.shape));
    });
    for row in &summary.rows {
        let seen = visited.get(row.name).copied().unwrap_or(0);
        if row.params > 0 && seen < row.params {
            return Err(LoadError::LayerWithoutTensors {
                layer: row.name.to_string(),
                kind: row.kind.clone(),
                params: row.params,
                visited: seen,
            });
        }
    }

    // Presence: every missing key in one error, then every unexpected one.
    let mut found = Vec::with_capacity(expected.len());
    let mut missing = Vec::new();
    for (key, _) in &expected {
        match file.info(key) {
            Some(info) => found.push(info),
            None => missing.push(key.clone()),
        }
    }
    let mut names = file.keys();
    names.sort();
    if !missing.is_empty() {
        return Err(LoadError::MissingTensors {
            origin: origin.clone(),
            missing,
            available: names,
        });
    }
    if !opts.allow_unexpected {
        let wanted: HashSet<&str> = expected.iter().map(|(k, _)| k.as_str()).collect();
        let unexpected: Vec<String> = names
            .into_iter()
            .filter(|n| !wanted.contains(n.as_str()) && !skip(n))
            .collect();
        if !unexpected.is_empty() {
            return Err(LoadError::UnexpectedTensors {
                origin: origin.clone(),
                unexpected,
            });
        }
    }

    // Each tensor: shape, then dtype.
    let mut planned = Vec::with_capacity(expected.len());
    for ((key, shape), (dtype, dims)) in expected.into_iter().zip(found) {
        if dims != shape.dims() {
            return Err(LoadError::Shape {
                origin: origin.clone(),
                tensor: key,
                expected: shape.dims().to_vec(),
                found: dims,
            });
        }
        if !loads(dtype) {
            return Err(LoadError::Dtype {
                origin: origin.clone(),
                tensor: key,
                dtype: dtype.to_string(),
            });
        }
        planned.push(Planned { key, dtype, shape });
    }
    Ok(planned)
}

/// Panics unless the write visit meets the tensor the planning visit met at `next`.
#[track_caller]
fn same_visit<'p>(planned: &'p [Planned], next: usize, layer: &str, name: &str, shape: Shape) -> &'p Planned {
    match planned.get(next) {
        Some(p) if p.shape == shape => p,
        _ => panic!(
            "layer `{layer}`: `Layer::visit_tensors_mut` visited tensor `{name}` {shape} where the previous visit had another tensor; a layer must visit the same tensors every time"
        ),
    }
}

/// The `NonFinite` error of element `at` (row-major) of a planned tensor.
fn non_finite(p: &Planned, origin: &Origin, at: usize, value: f64) -> LoadError {
    LoadError::NonFinite {
        origin: origin.clone(),
        tensor: p.key.clone(),
        index: unravel(at, p.shape.dims()),
        value,
    }
}

/// Checks `file` against `net` and, only if everything passes (including every value being
/// finite), writes every tensor of the network from it; see [`plan`] for the checks.
/// F32/F64/F16/BF16 convert to `T`; the file's row-major matrices become nalgebra's
/// column-major storage.
pub(crate) fn load_network<T: Float, const IN: usize, const OUT: usize, N: Network<T, IN, OUT> + ?Sized>(
    net: &mut N,
    file: &SafeTensors<'_>,
    metadata: Option<&HashMap<String, String>>,
    origin: &Origin,
    opts: &LoadOptions,
    skip: &dyn Fn(&str) -> bool,
) -> Result<(), LoadError> {
    let planned = plan(net, file, metadata, origin, opts, skip)?;
    let views: Vec<TensorView<'_>> = planned
        .iter()
        .map(|p| file.tensor(&p.key).expect("planned tensors are in the file"))
        .collect();
    for (p, v) in planned.iter().zip(&views) {
        if let Some((at, value)) = first_not_finite_as::<T>(p.dtype, v.data()) {
            return Err(non_finite(p, origin, at, value));
        }
    }

    // Everything is valid: write.
    let mut next = 0;
    net.visit_tensors_mut(&mut |layer, t| {
        let p = same_visit(&planned, next, layer, t.name, t.shape);
        let v = &views[next];
        next += 1;
        let (rows, cols) = rows_cols(t.shape.dims());
        let order = if t.shape.rank() == 2 { t.order } else { Order::RowMajor };
        read_into(p.dtype, v.data(), t.data, order, rows, cols);
    });
    assert_eq!(
        next,
        planned.len(),
        "`Layer::visit_tensors_mut` visited fewer tensors than before; a layer must visit the same tensors every time"
    );
    Ok(())
}

// --- Loading from a file, streamed ---

/// Bytes read from a file at a time: whole rows of a matrix, or a stretch of a vector. Small
/// enough to stay in the L2 cache between the read and the conversion.
const CHUNK: usize = 1 << 18;

/// The safetensors crate's limit on the header's length.
const MAX_HEADER: u64 = 100_000_000;

/// Reads and checks the header of a safetensors file of `len` bytes: the same checks as
/// `SafeTensors::read_metadata` (length, UTF-8, JSON, offsets that cover exactly the rest of
/// the file), without reading the tensors. Gives the data's start and the header.
fn read_header(file: &mut File, len: u64, origin: &Origin) -> Result<(u64, Metadata), LoadError> {
    let corrupt = |e: SafeTensorError| LoadError::Corrupt {
        origin: origin.clone(),
        reason: e.to_string(),
    };
    if len < 8 {
        return Err(corrupt(SafeTensorError::HeaderTooSmall));
    }
    let mut n = [0u8; 8];
    read_exact(file, &mut n, origin)?;
    let n = u64::from_le_bytes(n);
    if n > MAX_HEADER {
        return Err(corrupt(SafeTensorError::HeaderTooLarge));
    }
    if 8 + n > len {
        return Err(corrupt(SafeTensorError::InvalidHeaderLength));
    }
    let mut header = vec![0u8; n as usize];
    read_exact(file, &mut header, origin)?;
    let text = std::str::from_utf8(&header).map_err(|e| corrupt(SafeTensorError::InvalidHeader(e)))?;
    let meta: Metadata =
        serde_json::from_str(text).map_err(|e| corrupt(SafeTensorError::InvalidHeaderDeserialization(e)))?;
    if meta.data_len() as u64 + 8 + n != len {
        return Err(corrupt(SafeTensorError::MetadataIncompleteBuffer));
    }
    Ok((8 + n, meta))
}

/// `read_exact`, a file that ends early being corrupt (it changed while it was read).
fn read_exact(file: &mut File, buf: &mut [u8], origin: &Origin) -> Result<(), LoadError> {
    file.read_exact(buf).map_err(|source| match source.kind() {
        std::io::ErrorKind::UnexpectedEof => LoadError::Corrupt {
            origin: origin.clone(),
            reason: "the file ended early (did it change while it was loaded?)".to_string(),
        },
        _ => LoadError::Io {
            origin: origin.clone(),
            source,
        },
    })
}

/// Where a planned tensor's bytes are in the file, and how many.
fn span(meta: &Metadata, data_start: u64, key: &str) -> (u64, usize) {
    let (a, b) = meta.info(key).expect("planned tensors are in the file").data_offsets;
    (data_start + a as u64, b - a)
}

/// Reads a tensor's bytes a chunk at a time, calling `each(chunk, first element)`.
fn chunks(
    file: &mut File,
    (at, len): (u64, usize),
    chunk: usize,
    elem: usize,
    buf: &mut Vec<u8>,
    origin: &Origin,
    mut each: impl FnMut(&[u8], usize) -> Result<(), LoadError>,
) -> Result<(), LoadError> {
    file.seek(SeekFrom::Start(at)).map_err(|source| LoadError::Io {
        origin: origin.clone(),
        source,
    })?;
    let mut done = 0;
    while done < len {
        let n = chunk.min(len - done);
        buf.resize(n, 0);
        read_exact(file, buf, origin)?;
        each(buf, done / elem)?;
        done += n;
    }
    Ok(())
}

/// Loads the file at `path` into a network made for this load (dropped on an error: the
/// network may be partly written then), reading the file a chunk at a time (no copy of the
/// whole file in memory): each chunk is checked, then converted while it is in cache.
fn load_fresh_path<T: Float, const IN: usize, const OUT: usize, N: Network<T, IN, OUT> + ?Sized>(
    net: &mut N,
    path: &Path,
    opts: &LoadOptions,
) -> Result<(), LoadError> {
    let origin = Origin::File(path.to_path_buf());
    let io = |source| LoadError::Io {
        origin: origin.clone(),
        source,
    };
    let mut file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let (data_start, meta) = read_header(&mut file, len, &origin)?;
    let planned = plan(net, &meta, meta.metadata().as_ref(), &origin, opts, &|_| false)?;
    let mut buf = Vec::new();

    let mut result = Ok(());
    let mut next = 0;
    net.visit_tensors_mut(&mut |layer, t| {
        let p = same_visit(&planned, next, layer, t.name, t.shape);
        next += 1;
        if result.is_err() {
            return;
        }
        let elem = p.dtype.bitsize() / 8;
        let (rows, cols) = rows_cols(t.shape.dims());
        let matrix = t.shape.rank() == 2 && t.order == Order::ColumnMajor;
        // Whole rows of a column-major matrix per chunk, any stretch of anything else.
        let chunk = if matrix {
            (CHUNK / (cols * elem).max(1)).max(1) * cols * elem
        } else {
            CHUNK / elem * elem
        };
        let data = &mut *t.data;
        result = chunks(
            &mut file,
            span(&meta, data_start, &p.key),
            chunk,
            elem,
            &mut buf,
            &origin,
            |c, first| {
                if let Some((at, value)) = first_not_finite_as::<T>(p.dtype, c) {
                    return Err(non_finite(p, &origin, first + at, value));
                }
                if matrix {
                    read_rows_into(p.dtype, c, data, rows, cols, first / cols);
                } else {
                    let n = c.len() / elem;
                    read_into(p.dtype, c, &mut data[first..first + n], Order::RowMajor, n, 1);
                }
                Ok(())
            },
        );
    });
    result?;
    assert_eq!(
        next,
        planned.len(),
        "`Layer::visit_tensors_mut` visited fewer tensors than before; a layer must visit the same tensors every time"
    );
    Ok(())
}

/// The multi-index (row-major, PyTorch's) of flat element `at` of a tensor of `dims`.
fn unravel(mut at: usize, dims: &[usize]) -> Vec<usize> {
    let mut index = vec![0; dims.len()];
    for (i, &d) in dims.iter().enumerate().rev() {
        if d > 0 {
            index[i] = at % d;
            at /= d;
        }
    }
    index
}

/// Loads a network's tensors from safetensors bytes (e.g. `include_bytes!`) into `net`,
/// all or nothing: on an error `net` is unchanged.
///
/// ```
/// use nn::persist::LoadOptions;
/// nn::network! { pub struct Tiny { input: 2, fc: Affine(3) } }
/// let mut a = Tiny::zeroed();
/// a.fc.b[1] = 0.5;
/// let bytes = a.to_safetensors();
/// let mut b = Tiny::zeroed();
/// nn::persist::from_safetensors_into(&mut b, &bytes, &LoadOptions::new()).unwrap();
/// assert_eq!(b.fc.b[1], 0.5);
/// ```
pub fn from_safetensors_into<T: Float, const IN: usize, const OUT: usize, N: Network<T, IN, OUT> + ?Sized>(
    net: &mut N,
    bytes: &[u8],
    opts: &LoadOptions,
) -> Result<(), LoadError> {
    load_bytes(net, bytes, Origin::Bytes, opts)
}

/// Loads a network's tensors from the safetensors file at `path` into `net`, all or
/// nothing: on an error `net` is unchanged. The file is read whole first (every value
/// written is one that was checked, whatever another program does to the file meanwhile).
///
/// ```
/// use nn::persist::{LoadError, LoadOptions};
/// nn::network! { pub struct Tiny { input: 2, fc: Affine(3) } }
/// let mut net = Tiny::zeroed();
/// let err = nn::persist::load_into(&mut net, "missing.safetensors", &LoadOptions::new()).unwrap_err();
/// assert!(matches!(err, LoadError::Io { .. }));
/// ```
pub fn load_into<T: Float, const IN: usize, const OUT: usize, N: Network<T, IN, OUT> + ?Sized>(
    net: &mut N,
    path: impl AsRef<Path>,
    opts: &LoadOptions,
) -> Result<(), LoadError> {
    let path = path.as_ref();
    let bytes = read_file(path)?;
    load_bytes(net, &bytes, Origin::File(path.to_path_buf()), opts)
}

/// [`load_into`] for a network made for this load (`load`, `load_with`): one streamed pass
/// over the file that checks and writes, since the network is dropped on an error. Not a
/// public API.
#[doc(hidden)]
pub fn __load_fresh<T: Float, const IN: usize, const OUT: usize, N: Network<T, IN, OUT> + ?Sized>(
    net: &mut N,
    path: impl AsRef<Path>,
    opts: &LoadOptions,
) -> Result<(), LoadError> {
    load_fresh_path(net, path.as_ref(), opts)
}

fn load_bytes<T: Float, const IN: usize, const OUT: usize, N: Network<T, IN, OUT> + ?Sized>(
    net: &mut N,
    bytes: &[u8],
    origin: Origin,
    opts: &LoadOptions,
) -> Result<(), LoadError> {
    let parsed = parse(bytes, &origin)?;
    load_network(net, &parsed.tensors, parsed.metadata.as_ref(), &origin, opts, &|_| {
        false
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unravel_is_row_major() {
        assert_eq!(unravel(0, &[3, 4]), [0, 0]);
        assert_eq!(unravel(5, &[3, 4]), [1, 1]);
        assert_eq!(unravel(11, &[3, 4]), [2, 3]);
        assert_eq!(unravel(7, &[8]), [7]);
        assert_eq!(unravel(0, &[]), Vec::<usize>::new());
    }
}
