//! The file's `__metadata__`: what saved it and from which network, so that a file saved
//! from another network is recognised before its tensors are read.
//!
//! | key | value |
//! | --- | --- |
//! | `format` | `pt` (what PyTorch tools expect of a state dict) |
//! | `nn.version` | the `nn` version that wrote the file |
//! | `nn.network` | the network's type name (`TwoLayerNet`) |
//! | `nn.float` | `f32` or `f64` |
//! | `nn.input` | input features per sample |
//! | `nn.layers` | `affine1: Affine<2, 10>; sigmoid: Sigmoid<10>; ...` (the summary's rows) |

use std::collections::HashMap;

use super::dtype::float_name;
use super::error::{LoadError, Origin};
use crate::float::Float;
use crate::network::{Network, Summary};

/// The metadata key holding the layer list.
pub(crate) const LAYERS: &str = "nn.layers";

/// The layer list of a summary: `affine1: Affine<2, 10>; sigmoid: Sigmoid<10>; ...`.
pub(crate) fn layer_list(summary: &Summary) -> String {
    summary
        .rows
        .iter()
        .map(|r| format!("{}: {}", r.name, r.kind))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The metadata `nn` writes for `net` (see the module's table).
pub(crate) fn network_metadata<T: Float, const IN: usize, const OUT: usize, N: Network<T, IN, OUT> + ?Sized>(
    net: &N,
) -> HashMap<String, String> {
    let summary = net.summary();
    HashMap::from([
        ("format".to_string(), "pt".to_string()),
        ("nn.version".to_string(), env!("CARGO_PKG_VERSION").to_string()),
        ("nn.network".to_string(), summary.network.to_string()),
        ("nn.float".to_string(), float_name::<T>().to_string()),
        ("nn.input".to_string(), IN.to_string()),
        (LAYERS.to_string(), layer_list(&summary)),
    ])
}

/// Refuses a file whose `nn.layers` differs from `expected` (a file without it passes).
pub(crate) fn check_layers(
    expected: &str,
    metadata: Option<&HashMap<String, String>>,
    origin: &Origin,
) -> Result<(), LoadError> {
    match metadata.and_then(|m| m.get(LAYERS)) {
        Some(file) if file != expected => Err(LoadError::OtherNetwork {
            origin: origin.clone(),
            file_layers: file.clone(),
            expected_layers: expected.to_string(),
        }),
        _ => Ok(()),
    }
}
