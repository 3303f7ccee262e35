//! Loading: bytes → a checked safetensors file → every check on every tensor → the
//! network's tensors written. Nothing is written before every check has passed, so a
//! failed load leaves the network bit-identical.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use safetensors::tensor::TensorView;
use safetensors::SafeTensors;

use super::dtype::{first_not_finite_as, loads, read_into};
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

/// One tensor the network expects.
struct Expected {
    key: String,
    shape: Shape,
}

/// Checks `file` against `net` and, only if everything passes, writes every tensor of the
/// network from it.
///
/// Checks, in order: the layer list (`nn.layers`, unless `opts` turns it off), that every
/// layer with parameters lists its tensors, missing tensors (all of them), unexpected
/// tensors (file keys no tensor of the network maps to, except those for which `skip` is
/// true and unless `opts` allows them), then per tensor its shape, dtype and finiteness.
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
    let summary = net.summary();
    if opts.check_layers {
        check_layers(&layer_list(&summary), metadata, origin)?;
    }

    // What the network holds (its writable tensors, visited without writing).
    let mut expected: Vec<Expected> = Vec::new();
    let mut visited: HashMap<&'static str, usize> = HashMap::new();
    net.visit_tensors_mut(&mut |layer, t| {
        *visited.entry(layer).or_default() += t.data.len();
        let key = opts.keys.file_key(&format!("{layer}.{}", t.name)).into_owned();
        expected.push(Expected { key, shape: t.shape });
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
    let mut views: Vec<TensorView<'_>> = Vec::with_capacity(expected.len());
    let mut missing = Vec::new();
    for e in &expected {
        match file.tensor(&e.key) {
            Ok(v) => views.push(v),
            Err(_) => missing.push(e.key.clone()),
        }
    }
    let mut names: Vec<String> = file.names().into_iter().map(String::from).collect();
    names.sort();
    if !missing.is_empty() {
        return Err(LoadError::MissingTensors {
            origin: origin.clone(),
            missing,
            available: names,
        });
    }
    if !opts.allow_unexpected {
        let wanted: HashSet<&str> = expected.iter().map(|e| e.key.as_str()).collect();
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

    // Each tensor: shape, dtype, then every value finite.
    for (e, v) in expected.iter().zip(&views) {
        if v.shape() != e.shape.dims() {
            return Err(LoadError::Shape {
                origin: origin.clone(),
                tensor: e.key.clone(),
                expected: e.shape.dims().to_vec(),
                found: v.shape().to_vec(),
            });
        }
        if !loads(v.dtype()) {
            return Err(LoadError::Dtype {
                origin: origin.clone(),
                tensor: e.key.clone(),
                dtype: v.dtype().to_string(),
            });
        }
    }
    for (e, v) in expected.iter().zip(&views) {
        if let Some((at, value)) = first_not_finite_as::<T>(v.dtype(), v.data()) {
            return Err(LoadError::NonFinite {
                origin: origin.clone(),
                tensor: e.key.clone(),
                index: unravel(at, e.shape.dims()),
                value,
            });
        }
    }

    // Everything is valid: write.
    let mut next = 0;
    net.visit_tensors_mut(&mut |layer, t| {
        let v = match (expected.get(next), views.get(next)) {
            (Some(e), Some(v)) if e.shape == t.shape => v,
            _ => panic!(
                "layer `{layer}`: `Layer::visit_tensors_mut` visited tensor `{}` {} where the previous visit had another tensor; a layer must visit the same tensors every time",
                t.name, t.shape
            ),
        };
        next += 1;
        let (rows, cols) = rows_cols(t.shape.dims());
        let order = if t.shape.rank() == 2 { t.order } else { Order::RowMajor };
        read_into(v.dtype(), v.data(), t.data, order, rows, cols);
    });
    assert_eq!(
        next,
        expected.len(),
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
/// let mut a = Tiny::<f32>::zeroed();
/// a.fc.b[1] = 0.5;
/// let bytes = a.to_safetensors();
/// let mut b = Tiny::<f32>::zeroed();
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
/// nothing: on an error `net` is unchanged.
///
/// ```
/// use nn::persist::{LoadError, LoadOptions};
/// nn::network! { pub struct Tiny { input: 2, fc: Affine(3) } }
/// let mut net = Tiny::<f32>::zeroed();
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
    use super::unravel;

    #[test]
    fn unravel_is_row_major() {
        assert_eq!(unravel(0, &[3, 4]), [0, 0]);
        assert_eq!(unravel(5, &[3, 4]), [1, 1]);
        assert_eq!(unravel(11, &[3, 4]), [2, 3]);
        assert_eq!(unravel(7, &[8]), [7]);
        assert_eq!(unravel(0, &[]), Vec::<usize>::new());
    }
}
