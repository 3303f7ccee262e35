//! Weights from outside `nn`: the PyTorch module of tests/fixtures/pytorch/make_fixtures.py
//! (`fc1: Linear(6, 64), act1: Tanh, fc2: Linear(64, 8), act2: ReLU, fc3: Linear(8, 4)`),
//! saved with `safetensors.torch.save_file(model.state_dict(), path)`, loads into the
//! `network!` with the same field names and reproduces torch's outputs on the fixed inputs:
//! f64 within 1e-12 and f32 within 1e-6, relative to the largest output of the sample
//! (`|got − want| ≤ tol · max(‖want_n‖∞, 1e-3)`, see `assert_close`). The `nn.Sequential`
//! twin (`0.weight`, `2.weight`, `4.weight`) loads through the key map, and an F16 file
//! converts to either float type.
#![cfg(feature = "safetensors")]

use nn::persist::{LoadError, LoadOptions};
use nn::{Batch, Float};
use safetensors::{Dtype, SafeTensors};

nn::network! {
    /// The fixture's module, field for field (an inference network: no loss).
    pub struct Mlp {
        input: 6,
        fc1: Affine(64),
        act1: Tanh,
        fc2: Affine(8),
        act2: Relu,
        fc3: Affine(4),
    }
}

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pytorch")
        .join(name)
}

/// One tensor of a fixture file as f64 values in the file's (row-major) order.
fn tensor(file: &SafeTensors<'_>, name: &str) -> (Vec<usize>, Vec<f64>) {
    let t = file.tensor(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    let values = match t.dtype() {
        Dtype::F64 => t
            .data()
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
            .collect(),
        Dtype::F32 => t
            .data()
            .chunks_exact(4)
            .map(|b| f64::from(f32::from_le_bytes(b.try_into().unwrap())))
            .collect(),
        other => panic!("{name}: dtype {other:?} in an io fixture"),
    };
    (t.shape().to_vec(), values)
}

/// The fixed inputs `x` [N, 6] as a 6 × N batch and torch's outputs `y` [N, 4] as 4 × N
/// (a row-major `[N, D]` array is the column-major `D × N` matrix: the same memory).
fn io<T: Float>(name: &str) -> (Batch<T, 6>, Batch<f64, 4>) {
    let bytes = std::fs::read(fixture(name)).unwrap();
    let file = SafeTensors::deserialize(&bytes).unwrap();
    let (xs, x) = tensor(&file, "x");
    let (ys, y) = tensor(&file, "y");
    assert_eq!((xs[1], ys[1], xs[0]), (6, 4, ys[0]), "{name}: shapes {xs:?}, {ys:?}");
    let x: Vec<T> = x.iter().map(|&v| T::cast(v)).collect();
    (Batch::from_column_slice(&x), Batch::from_column_slice(&y))
}

/// `got` (4 × N) against `want`: per sample, `|got − want| ≤ tol · max(‖want_n‖∞, 1e-3)`.
/// Relative to the sample's largest output rather than to each element, since an output near
/// zero (a cancellation in `fc3`) carries the rounding of the larger terms that cancelled.
/// Returns the largest ratio of error to allowance (≤ 1 passes), for the printed report.
fn assert_close<T: Float>(got: &Batch<T, 4>, want: &Batch<f64, 4>, tol: f64, what: &str) -> f64 {
    assert_eq!(got.ncols(), want.ncols(), "{what}: sample count");
    let mut worst = 0.0f64;
    for (n, (g, w)) in got.column_iter().zip(want.column_iter()).enumerate() {
        let scale = w.iter().fold(1e-3f64, |m, v| m.max(v.abs()));
        for (k, (g, w)) in g.iter().zip(w.iter()).enumerate() {
            let err = (g.as_f64() - w).abs();
            worst = worst.max(err / (tol * scale));
            assert!(
                err <= tol * scale,
                "{what}: sample {n} output {k}: {g} vs torch's {w} (|diff| {err:e} > {tol:e} · {scale})"
            );
        }
    }
    println!("{what}: largest error {:.3} of the allowance", worst);
    worst
}

#[test]
fn f64_module_reproduces_torch_within_1e_12() {
    let mut net = Mlp::<f64>::load(fixture("mlp_f64.safetensors")).unwrap();
    let (x, y) = io::<f64>("mlp_io_f64.safetensors");
    assert_close(&net.predict(x.as_view()).into_owned(), &y, 1e-12, "f64");
}

#[test]
fn f32_module_reproduces_torch_within_1e_6() {
    let mut net = Mlp::<f32>::load(fixture("mlp_f32.safetensors")).unwrap();
    let (x, y) = io::<f32>("mlp_io_f32.safetensors");
    assert_close(&net.predict(x.as_view()).into_owned(), &y, 1e-6, "f32");
}

/// F16 tensors convert exactly to f32 and f64; the outputs are those of the f16 weights
/// (computed in f64 by the script).
#[test]
fn f16_file_converts_to_either_float() {
    let (x, y) = io::<f64>("mlp_io_f16.safetensors");
    let mut net = Mlp::<f64>::load(fixture("mlp_f16.safetensors")).unwrap();
    assert_close(&net.predict(x.as_view()).into_owned(), &y, 1e-12, "f16 -> f64");
    let mut net = Mlp::<f32>::load(fixture("mlp_f16.safetensors")).unwrap();
    let x32 = x.map(|v| v as f32);
    assert_close(&net.predict(x32.as_view()).into_owned(), &y, 1e-6, "f16 -> f32");
}

/// The parameters land where torch keeps them: `fc1.weight[i][j]` (row i = output unit i)
/// is `w[(i, j)]` of the `Affine`.
#[test]
fn weight_layout_is_torch_linear() {
    let bytes = std::fs::read(fixture("mlp_f64.safetensors")).unwrap();
    let file = SafeTensors::deserialize(&bytes).unwrap();
    let (shape, w) = tensor(&file, "fc1.weight");
    assert_eq!(shape, [64, 6]);
    let net = Mlp::<f64>::from_safetensors(&bytes).unwrap();
    for i in 0..64 {
        for j in 0..6 {
            assert_eq!(net.fc1.w[(i, j)], w[i * 6 + j], "fc1.weight[{i}][{j}]");
        }
    }
    let (_, b) = tensor(&file, "fc3.bias");
    assert_eq!(net.fc3.b.as_slice(), &b[..]);
}

/// `nn.Sequential` numbers its modules: fc1 → `0`, fc2 → `2`, fc3 → `4`.
#[test]
fn sequential_twin_loads_through_the_key_map() {
    let path = fixture("mlp_sequential_f32.safetensors");
    let opts = LoadOptions::new()
        .rename("fc1", "0")
        .rename("fc2", "2")
        .rename("fc3", "4");
    let mut seq = Mlp::<f32>::load_with(&path, &opts).unwrap();
    let mut named = Mlp::<f32>::load(fixture("mlp_f32.safetensors")).unwrap();
    let (x, y) = io::<f32>("mlp_io_f32.safetensors");
    let out = seq.predict(x.as_view()).into_owned();
    assert_eq!(out, named.predict(x.as_view()).into_owned());
    assert_close(&out, &y, 1e-6, "Sequential f32");

    // Without the map every key is missing, all of them named in one error.
    match Mlp::<f32>::load(&path) {
        Err(e @ LoadError::MissingTensors { .. }) => {
            let msg = e.to_string();
            for key in [
                "fc1.weight",
                "fc1.bias",
                "fc2.weight",
                "fc2.bias",
                "fc3.weight",
                "fc3.bias",
            ] {
                assert!(msg.contains(key), "{key} not in: {msg}");
            }
        }
        other => panic!("loaded a Sequential file without the key map: {:?}", other.map(|_| ())),
    }
}

/// A file `nn` saves has torch's keys, shapes and values (what `model.load_state_dict(
/// safetensors.torch.load_file(path))` needs), bit for bit the tensors it was loaded from.
#[test]
fn saved_file_has_torchs_keys_and_values() {
    let torch_bytes = std::fs::read(fixture("mlp_f32.safetensors")).unwrap();
    let torch_file = SafeTensors::deserialize(&torch_bytes).unwrap();
    let net = Mlp::<f32>::from_safetensors(&torch_bytes).unwrap();
    let bytes = net.to_safetensors();
    // For `python3 tests/fixtures/pytorch/make_fixtures.py --check <this file>`, which loads
    // it with torch's strict `load_state_dict` and compares the outputs.
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("mlp_from_nn.safetensors");
    net.save(&out).unwrap();
    let saved = std::fs::read(&out).unwrap();
    let saved = SafeTensors::deserialize(&saved).unwrap();
    let ours = SafeTensors::deserialize(&bytes).unwrap();
    for name in ours.names() {
        assert_eq!(
            saved.tensor(name).unwrap().data(),
            ours.tensor(name).unwrap().data(),
            "{name}"
        );
    }
    let mut ours_names = ours.names();
    let mut torch_names = torch_file.names();
    ours_names.sort();
    torch_names.sort();
    assert_eq!(ours_names, torch_names);
    for name in torch_names {
        let (a, b) = (ours.tensor(name).unwrap(), torch_file.tensor(name).unwrap());
        assert_eq!((a.dtype(), a.shape()), (b.dtype(), b.shape()), "{name}");
        assert_eq!(a.data(), b.data(), "{name}: other values");
    }
}
