//! A [`Standardizer`] as a safetensors file (feature `safetensors`): the preprocessing a
//! deployed network needs beside its weights.
//!
//! Two tensors, `mean` and `std`, each of shape `[D]` in the float type's own dtype; the
//! metadata records `format` = `pt`, `nn.version`, `nn.float` and `nn.standardizer` = `D`.
//! Loading converts F32/F64/F16/BF16 like a network's tensors and refuses everything else
//! with a [`LoadError`] naming the file and the tensor; a standard deviation that is not
//! positive is refused too (it would divide by zero or flip the sign).

use std::collections::HashMap;
use std::path::Path;

use super::Standardizer;
use crate::float::Float;
use safetensors::tensor::TensorView;

use crate::persist::{
    first_not_finite_as, loads, parse, read_file, read_into, serialize, write_atomic, Entries, LoadError, Origin,
    SaveError,
};
use crate::state::Order;

const NAMES: [&str; 2] = ["mean", "std"];

impl<T: Float, const D: usize> Standardizer<T, D> {
    /// The safetensors bytes of `mean` and `std` (see [`save`](Self::save)).
    pub fn to_safetensors(&self) -> Vec<u8> {
        let mut entries = Entries::new();
        for (name, v) in NAMES.into_iter().zip([&*self.mean, &*self.std]) {
            entries
                .push_floats(name.to_string(), vec![D], &v[..])
                .expect("two distinct keys");
        }
        let float = if core::mem::size_of::<T>() == 4 { "f32" } else { "f64" };
        let metadata = HashMap::from([
            ("format".to_string(), "pt".to_string()),
            ("nn.version".to_string(), env!("CARGO_PKG_VERSION").to_string()),
            ("nn.float".to_string(), float.to_string()),
            ("nn.standardizer".to_string(), D.to_string()),
        ]);
        serialize(&entries, metadata)
    }

    /// Saves `mean` and `std` (tensors of shape `[D]`) to `path`, atomically.
    ///
    /// ```
    /// use nn::{batch_from_rows, data::Standardizer};
    /// let s = Standardizer::fit(&batch_from_rows(&[[1.0f32, 10.0], [3.0, 14.0]]));
    /// let path = std::env::temp_dir().join(format!("nn-doc-std-{}.safetensors", std::process::id()));
    /// s.save(&path)?;
    /// assert_eq!(Standardizer::<f32, 2>::load(&path)?, s);
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), SaveError> {
        let path = path.as_ref();
        let bytes = self.to_safetensors();
        write_atomic(path, |w| w.write_all(&bytes)).map_err(|source| SaveError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Loads a standardizer saved by [`save`](Self::save) (or any safetensors file holding
    /// exactly `mean` and `std` of shape `[D]` as F32, F64, F16 or BF16).
    pub fn load(path: impl AsRef<Path>) -> Result<Self, LoadError> {
        let path = path.as_ref();
        Self::read(&read_file(path)?, &Origin::File(path.to_path_buf()))
    }

    /// [`load`](Self::load) from bytes in memory (`include_bytes!`).
    ///
    /// ```
    /// use nn::data::Standardizer;
    /// use nn::persist::LoadError;
    /// let err = Standardizer::<f64, 3>::from_safetensors(b"\x08\0\0\0\0\0\0\0{}      ").unwrap_err();
    /// assert!(matches!(err, LoadError::MissingTensors { .. }), "{err}");
    /// ```
    pub fn from_safetensors(bytes: &[u8]) -> Result<Self, LoadError> {
        Self::read(bytes, &Origin::Bytes)
    }

    fn read(bytes: &[u8], origin: &Origin) -> Result<Self, LoadError> {
        let parsed = parse(bytes, origin)?;
        let file = &parsed.tensors;
        let mut names: Vec<String> = file.names().into_iter().map(String::from).collect();
        names.sort();
        let missing: Vec<String> = NAMES
            .iter()
            .filter(|n| file.tensor(n).is_err())
            .map(|n| n.to_string())
            .collect();
        if !missing.is_empty() {
            return Err(LoadError::MissingTensors {
                origin: origin.clone(),
                missing,
                available: names,
            });
        }
        let unexpected: Vec<String> = names.into_iter().filter(|n| !NAMES.contains(&n.as_str())).collect();
        if !unexpected.is_empty() {
            return Err(LoadError::UnexpectedTensors {
                origin: origin.clone(),
                unexpected,
            });
        }
        let mut out = Self {
            mean: super::standardize::boxed(T::zero()),
            std: super::standardize::boxed(T::one()),
        };
        for (name, dst) in NAMES.into_iter().zip([&mut out.mean, &mut out.std]) {
            let view = file.tensor(name).expect("checked present");
            read_vector(&view, &mut dst[..], name, origin)?;
        }
        if let Some((i, &v)) = out.std.iter().enumerate().find(|(_, v)| v.as_f64() <= 0.0) {
            return Err(LoadError::InvalidValue {
                origin: origin.clone(),
                tensor: "std".to_string(),
                index: vec![i],
                value: v.as_f64(),
                expected: "a standard deviation must be positive",
            });
        }
        Ok(out)
    }
}

/// Checks tensor `name` (shape `[len]`, a float dtype, finite as `T`) and converts it into
/// `dst`.
fn read_vector<T: Float>(view: &TensorView<'_>, dst: &mut [T], name: &str, origin: &Origin) -> Result<(), LoadError> {
    if view.shape() != [dst.len()] {
        return Err(LoadError::Shape {
            origin: origin.clone(),
            tensor: name.to_string(),
            expected: vec![dst.len()],
            found: view.shape().to_vec(),
        });
    }
    if !loads(view.dtype()) {
        return Err(LoadError::Dtype {
            origin: origin.clone(),
            tensor: name.to_string(),
            dtype: view.dtype().to_string(),
        });
    }
    if let Some((at, value)) = first_not_finite_as::<T>(view.dtype(), view.data()) {
        return Err(LoadError::NonFinite {
            origin: origin.clone(),
            tensor: name.to_string(),
            index: vec![at],
            value,
        });
    }
    read_into(view.dtype(), view.data(), dst, Order::RowMajor, dst.len(), 1);
    Ok(())
}
