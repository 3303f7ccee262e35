//! [`StateView`]: a network's tensors by key, read-only (`state()`), as a saved file would
//! hold them.

use std::fmt;

use super::dtype::float_name;
use crate::float::Float;
use crate::network::Network;
use crate::state::TensorRef;

/// A network's saved tensors (PyTorch's `state_dict`) by key (`fc1.weight`), borrowed from
/// the network without `&mut`. A weight's `data` is the network's storage, column-major
/// ([`TensorRef::order`]); [`TensorRef::to_row_major`] gives the file's order.
///
/// `Display` prints a table of keys, shapes and element counts.
///
/// ```
/// nn::network! { pub struct Tiny { input: 2, fc: Affine(3) } }
/// let net = Tiny::zeroed();
/// let state = net.state();
/// assert_eq!(state.len(), 2);
/// assert_eq!(state.get("fc.weight").unwrap().shape.dims(), &[3, 2]);
/// assert_eq!(state.keys().collect::<Vec<_>>(), ["fc.weight", "fc.bias"]);
/// println!("{state}");
/// ```
#[derive(Clone, Debug)]
pub struct StateView<'a, T> {
    network: &'static str,
    float: &'static str,
    tensors: Vec<(String, TensorRef<'a, T>)>,
}

impl<'a, T> StateView<'a, T> {
    /// The tensors in model order, each with its key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &TensorRef<'a, T>)> {
        self.tensors.iter().map(|(k, t)| (k.as_str(), t))
    }

    /// The keys in model order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.tensors.iter().map(|(k, _)| k.as_str())
    }

    /// The tensor saved under `key` (`"fc1.weight"`).
    pub fn get(&self, key: &str) -> Option<&TensorRef<'a, T>> {
        self.tensors.iter().find(|(k, _)| k == key).map(|(_, t)| t)
    }

    /// The number of tensors.
    pub fn len(&self) -> usize {
        self.tensors.len()
    }

    /// Whether the network has no tensors.
    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty()
    }

    /// The number of scalars in all tensors.
    pub fn numel(&self) -> usize {
        self.tensors.iter().map(|(_, t)| t.shape.numel()).sum()
    }
}

/// ```text
/// Tiny (f32): 2 tensors, 9 scalars
///   fc.weight  [3, 2]  6
///   fc.bias    [3]     3
/// ```
impl<T> fmt::Display for StateView<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {} tensors, {} scalars",
            self.network,
            self.float,
            self.len(),
            self.numel()
        )?;
        let key_w = self.keys().map(str::len).max().unwrap_or(0);
        let shapes: Vec<String> = self.tensors.iter().map(|(_, t)| t.shape.to_string()).collect();
        let shape_w = shapes.iter().map(String::len).max().unwrap_or(0);
        for ((k, t), s) in self.tensors.iter().zip(&shapes) {
            write!(f, "\n  {k:<key_w$}  {s:<shape_w$}  {}", t.shape.numel())?;
        }
        Ok(())
    }
}

/// The tensors of `net` by key, without `&mut` (what [`save`](super::save) would write, in
/// the network's own layout).
///
/// ```
/// nn::network! { pub struct Tiny { input: 2, fc: Affine(3) } }
/// let net = Tiny::zeroed_f64();
/// let state = nn::persist::state(&net);
/// assert_eq!(state.get("fc.bias").unwrap().data, net.fc.b.as_slice());
/// ```
pub fn state<T: Float, const IN: usize, const OUT: usize, N: Network<T, IN, OUT> + ?Sized>(
    net: &N,
) -> StateView<'_, T> {
    let mut tensors = Vec::new();
    net.visit_tensors(&mut |layer, t| tensors.push((format!("{layer}.{}", t.name), t)));
    StateView {
        network: net.summary().network,
        float: float_name::<T>(),
        tensors,
    }
}
