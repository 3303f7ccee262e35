//! `Standardizer` save/load: bit-identical round trips for f32 and f64, conversions, and a
//! `LoadError` naming the file and tensor for every bad file.
#![cfg(feature = "safetensors")]

use std::collections::HashMap;

use nn_core::batch_from_rows;
use nn_core::data::Standardizer;
use nn_core::persist::{LoadError, Origin};
use safetensors::tensor::TensorView;
use safetensors::Dtype;

fn fitted<T: nn_core::Float>() -> Standardizer<T, 3> {
    let rows: [[f64; 3]; 3] = [[1.0, -2.5, 7.0], [3.0, 0.1, 7.0], [-4.0, 9.75, 7.0]];
    let rows: Vec<[T; 3]> = rows.iter().map(|r| r.map(T::cast)).collect();
    Standardizer::fit(&batch_from_rows(&rows))
}

/// Safetensors bytes holding `tensors` (key, dtype, shape, little-endian bytes).
fn file(tensors: &[(&str, Dtype, Vec<usize>, Vec<u8>)]) -> Vec<u8> {
    let views = tensors
        .iter()
        .map(|(k, d, s, b)| (k.to_string(), TensorView::new(*d, s.clone(), b).unwrap()));
    safetensors::serialize(views, None::<HashMap<String, String>>).unwrap()
}

fn f64s(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

#[test]
fn round_trips_bit_identically_through_files_and_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let s = fitted::<f32>();
    let path = dir.path().join("s32.safetensors");
    s.save(&path).unwrap();
    let back = Standardizer::<f32, 3>::load(&path).unwrap();
    let bits = |s: &Standardizer<f32, 3>| (s.mean.map(f32::to_bits), s.std.map(f32::to_bits));
    assert_eq!(bits(&back), bits(&s));
    let s = fitted::<f64>();
    let back = Standardizer::<f64, 3>::from_safetensors(&s.to_safetensors()).unwrap();
    let bits = |s: &Standardizer<f64, 3>| (s.mean.map(f64::to_bits), s.std.map(f64::to_bits));
    assert_eq!(bits(&back), bits(&s));
    // an f32 file loads into f64 exactly
    let wide = Standardizer::<f64, 3>::from_safetensors(&fitted::<f32>().to_safetensors()).unwrap();
    assert_eq!(*wide.mean, fitted::<f32>().mean.map(f64::from));
}

#[test]
fn a_bad_file_is_a_load_error_naming_the_tensor() {
    let good_mean = ("mean", Dtype::F64, vec![3], f64s(&[1.0, 2.0, 3.0]));
    let good_std = ("std", Dtype::F64, vec![3], f64s(&[1.0, 0.5, 2.0]));
    let load =
        |t: &[(&str, Dtype, Vec<usize>, Vec<u8>)]| Standardizer::<f64, 3>::from_safetensors(&file(t)).unwrap_err();

    let ok = Standardizer::<f64, 3>::from_safetensors(&file(&[good_mean.clone(), good_std.clone()])).unwrap();
    assert_eq!((*ok.mean, *ok.std), ([1.0, 2.0, 3.0], [1.0, 0.5, 2.0]));
    let err = load(std::slice::from_ref(&good_mean));
    assert!(
        matches!(&err, LoadError::MissingTensors { missing, .. } if missing == &["std"]),
        "{err}"
    );
    let err = load(&[
        good_mean.clone(),
        good_std.clone(),
        ("extra", Dtype::F64, vec![1], f64s(&[0.0])),
    ]);
    assert!(
        matches!(&err, LoadError::UnexpectedTensors { unexpected, .. } if unexpected == &["extra"]),
        "{err}"
    );
    let err = load(&[good_mean.clone(), ("std", Dtype::F64, vec![2], f64s(&[1.0, 1.0]))]);
    assert_eq!(
        err.to_string(),
        "safetensors bytes: tensor `std` has shape [2] in the file where [3] is expected"
    );
    let err = load(&[good_mean.clone(), ("std", Dtype::I64, vec![3], vec![0; 24])]);
    assert!(
        matches!(&err, LoadError::Dtype { tensor, .. } if tensor == "std"),
        "{err}"
    );
    let err = load(&[
        ("mean", Dtype::F64, vec![3], f64s(&[1.0, f64::NAN, 3.0])),
        good_std.clone(),
    ]);
    assert!(
        matches!(&err, LoadError::NonFinite { tensor, index, .. } if tensor == "mean" && index == &[1]),
        "{err}"
    );
    let err = load(&[good_mean.clone(), ("std", Dtype::F64, vec![3], f64s(&[1.0, 0.0, 2.0]))]);
    assert_eq!(
        err.to_string(),
        "safetensors bytes: tensor `std` holds 0 at index [1]; a standard deviation must be positive"
    );
    // F64 beyond f32's range would become ±∞ in an f32 standardizer.
    let err = Standardizer::<f32, 3>::from_safetensors(&file(&[
        ("mean", Dtype::F64, vec![3], f64s(&[1e300, 0.0, 0.0])),
        good_std.clone(),
    ]))
    .unwrap_err();
    assert!(
        matches!(&err, LoadError::NonFinite { tensor, index, value, .. } if tensor == "mean" && index == &[0] && *value == 1e300),
        "{err}"
    );
    let err = Standardizer::<f64, 3>::from_safetensors(b"\xff\xff\xff\xff\xff\xff\xff\x7fnot a header").unwrap_err();
    assert!(
        matches!(
            err,
            LoadError::Corrupt {
                origin: Origin::Bytes,
                ..
            }
        ),
        "{err}"
    );
    let err = Standardizer::<f64, 3>::load("no/such/standardizer.safetensors").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("no/such/standardizer.safetensors: cannot read the file"),
        "{err}"
    );
}
