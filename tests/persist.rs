//! Saving and loading networks (`nn::persist`): bit-identical round trips in both float
//! types and across them, PyTorch's layout, the key map and the metadata.
#![cfg(feature = "safetensors")]

use std::path::PathBuf;

use nn::persist::{LoadOptions, SaveOptions};
use nn::rand::SeedableRng;
use nn::rand_chacha::ChaCha8Rng;

nn::network! {
    /// 3 → 5 (tanh) → 4 (relu, no bias) → 2.
    #[derive(Clone, Debug)]
    pub struct Net {
        input: 3,
        fc1: Affine(5),
        act1: Tanh,
        mm: MatMul(4),
        act2: Relu,
        fc2: Affine(2),
        loss: SoftmaxWithLoss,
    }
}

/// Every saved tensor's bits, in model order.
fn bits<T: nn::Float>(net: &Net<T>) -> Vec<(String, Vec<f64>)> {
    net.state()
        .iter()
        .map(|(k, t)| (k.to_string(), t.data.iter().map(|v| v.as_f64()).collect()))
        .collect()
}

fn random<T: nn::Float>(seed: u64) -> Net<T> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut net = Net::<T>::with_init(&mut rng, nn::InitScheme::Auto);
    // Non-zero biases, so that they are checked too.
    net.visit_tensors_mut(|_, t| {
        for (i, v) in t.data.iter_mut().enumerate() {
            if *v == T::zero() {
                *v = T::cast(0.01 * i as f64 - 0.02);
            }
        }
    });
    net
}

/// A fresh path in the system's temporary directory, removed on drop.
struct TempPath(PathBuf);

impl TempPath {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("nn-persist-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempPath(dir.join("model.safetensors"))
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.0.parent().unwrap());
    }
}

#[test]
fn bytes_round_trip_is_bit_identical_f32_and_f64() {
    let a = random::<f32>(1);
    let b = Net::<f32>::from_safetensors(&a.to_safetensors()).unwrap();
    assert_eq!(bits(&a), bits(&b));
    assert_eq!(a.fc1.w.as_slice(), b.fc1.w.as_slice());
    let a = random::<f64>(2);
    let b = Net::<f64>::from_safetensors(&a.to_safetensors()).unwrap();
    assert_eq!(a.fc1.w.as_slice(), b.fc1.w.as_slice());
    assert_eq!(bits(&a), bits(&b));
}

#[test]
fn file_round_trip_is_bit_identical_f32_and_f64() {
    let path = TempPath::new("file-round-trip");
    let a = random::<f32>(3);
    a.save(&path.0).unwrap();
    assert_eq!(bits(&a), bits(&Net::<f32>::load(&path.0).unwrap()));
    let a = random::<f64>(4);
    a.save(&path.0).unwrap();
    let mut b = Net::<f64>::zeroed();
    b.load_into(&path.0).unwrap();
    assert_eq!(bits(&a), bits(&b));
}

#[test]
fn f32_file_into_f64_network_and_back() {
    let a = random::<f32>(5);
    let wide = Net::<f64>::from_safetensors(&a.to_safetensors()).unwrap();
    assert_eq!(bits(&a), bits(&wide)); // widening is exact
    let narrow = Net::<f32>::from_safetensors(&wide.to_safetensors()).unwrap();
    assert_eq!(a.fc1.w.as_slice(), narrow.fc1.w.as_slice());
    assert_eq!(bits(&a), bits(&narrow));
}

#[test]
fn weights_are_pytorch_layout_out_by_in_row_major() {
    let mut net = Net::<f32>::zeroed();
    for r in 0..5 {
        for c in 0..3 {
            net.fc1.w[(r, c)] = (10 * r + c) as f32;
        }
    }
    let bytes = net.to_safetensors();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let w = file.tensor("fc1.weight").unwrap();
    assert_eq!((w.dtype(), w.shape()), (safetensors::Dtype::F32, &[5, 3][..]));
    let values: Vec<f32> = w
        .data()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    let expected: Vec<f32> = (0..5).flat_map(|r| (0..3).map(move |c| (10 * r + c) as f32)).collect();
    assert_eq!(values, expected);
    assert_eq!(file.tensor("fc1.bias").unwrap().shape(), &[5]);
    assert_eq!(file.tensor("mm.weight").unwrap().shape(), &[4, 5]);
    let mut names = file.names();
    names.sort();
    assert_eq!(names, ["fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight", "mm.weight"]);
}

#[test]
fn metadata_names_the_network() {
    let bytes = Net::<f64>::zeroed().to_safetensors();
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let meta = meta.metadata().clone().unwrap();
    assert_eq!(meta["format"], "pt");
    assert_eq!(meta["nn.network"], "Net");
    assert_eq!(meta["nn.float"], "f64");
    assert_eq!(meta["nn.input"], "3");
    assert_eq!(meta["nn.version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        meta["nn.layers"],
        "fc1: Affine<3, 5>; act1: Tanh<5>; mm: MatMul<5, 4>; act2: Relu<4>; fc2: Affine<4, 2>; loss: SoftmaxWithLoss<2>"
    );
}

#[test]
fn rename_maps_layers_both_ways() {
    let a = random::<f32>(6);
    let save = SaveOptions::new()
        .rename("fc1", "0")
        .rename("mm", "2")
        .rename("fc2.weight", "4.weight");
    let path = TempPath::new("rename");
    a.save_with(&path.0, &save).unwrap();
    let file = std::fs::read(&path.0).unwrap();
    let st = safetensors::SafeTensors::deserialize(&file).unwrap();
    let mut names = st.names();
    names.sort();
    assert_eq!(names, ["0.bias", "0.weight", "2.weight", "4.weight", "fc2.bias"]);
    let load = LoadOptions::new()
        .rename("fc1", "0")
        .rename("mm", "2")
        .rename("fc2.weight", "4.weight");
    assert_eq!(bits(&a), bits(&Net::<f32>::load_with(&path.0, &load).unwrap()));
    let mut b = Net::<f32>::zeroed();
    b.load_into_with(&path.0, &load).unwrap();
    assert_eq!(bits(&a), bits(&b));
    assert_eq!(
        bits(&a),
        bits(&Net::<f32>::from_safetensors_with(&file, &load).unwrap())
    );
}

#[test]
fn state_view_lists_keys_and_shapes() {
    let net = random::<f32>(7);
    let state = net.state();
    assert_eq!(
        state.keys().collect::<Vec<_>>(),
        ["fc1.weight", "fc1.bias", "mm.weight", "fc2.weight", "fc2.bias"]
    );
    assert_eq!(state.len(), 5);
    assert_eq!(state.numel(), 15 + 5 + 20 + 8 + 2);
    assert_eq!(state.get("fc2.weight").unwrap().to_row_major()[1], net.fc2.w[(0, 1)]);
    assert!(state.get("fc3.weight").is_none());
    assert_eq!(
        state.to_string(),
        "Net (f32): 5 tensors, 50 scalars\n  fc1.weight  [5, 3]  15\n  fc1.bias    [5]     5\n  mm.weight   [4, 5]  20\n  fc2.weight  [2, 4]  8\n  fc2.bias    [2]     2"
    );
    // The generic function gives the same view.
    assert_eq!(nn::persist::state(&net).keys().count(), 5);
}
