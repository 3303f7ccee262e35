//! [`LoadOptions`] and [`SaveOptions`]: the key map and the checks a load makes.

use super::keys::KeyMap;

/// How a file is read into a network: key renaming and which checks apply.
///
/// The defaults are strict: every tensor of the network must be in the file, the file may
/// hold no other tensor, and a file saved by `nn` from a network with other layers is
/// refused.
///
/// ```
/// use nn::persist::LoadOptions;
/// // A torch `nn.Sequential` keeps its layers as `0.weight`, `2.weight`, ...
/// let opts = LoadOptions::new().rename("fc1", "0").rename("fc2", "2").allow_unexpected(true);
/// # let _ = opts;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadOptions {
    pub(crate) keys: KeyMap,
    pub(crate) allow_unexpected: bool,
    pub(crate) check_layers: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl LoadOptions {
    /// The strict defaults: no renaming, no unexpected tensors, layers checked.
    pub fn new() -> Self {
        Self {
            keys: KeyMap::default(),
            allow_unexpected: false,
            check_layers: true,
        }
    }

    /// Reads the network's key `network` (a whole key such as `fc1.weight`, or a layer name
    /// such as `fc1`, which renames every key of the layer) from the file's key or prefix
    /// `file`: `.rename("fc1", "0")` reads `fc1.weight` from `0.weight`. The longest
    /// matching rule applies.
    pub fn rename(mut self, network: impl Into<String>, file: impl Into<String>) -> Self {
        self.keys.add(network.into(), file.into());
        self
    }

    /// Whether tensors of the file that the network does not have are ignored (default
    /// `false`: they are a [`LoadError::UnexpectedTensors`](super::LoadError::UnexpectedTensors)).
    pub fn allow_unexpected(mut self, allow: bool) -> Self {
        self.allow_unexpected = allow;
        self
    }

    /// Whether a file whose `nn.layers` metadata lists other layers than the network's is
    /// refused (default `true`: [`LoadError::OtherNetwork`](super::LoadError::OtherNetwork)).
    /// Files without that metadata (saved by PyTorch) are never refused by this check.
    pub fn check_layers(mut self, check: bool) -> Self {
        self.check_layers = check;
        self
    }
}

/// How a network is written: key renaming.
///
/// ```
/// use nn::persist::SaveOptions;
/// // Save `fc1.weight` as `0.weight` (a torch `nn.Sequential`'s names).
/// let opts = SaveOptions::new().rename("fc1", "0");
/// # let _ = opts;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SaveOptions {
    pub(crate) keys: KeyMap,
}

impl SaveOptions {
    /// No renaming: keys are `{field}.{tensor}` (`fc1.weight`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Saves the network's key `network` (a whole key, or a layer name for all its keys)
    /// under the file key or prefix `file`, as [`LoadOptions::rename`] reads it.
    pub fn rename(mut self, network: impl Into<String>, file: impl Into<String>) -> Self {
        self.keys.add(network.into(), file.into());
        self
    }
}
