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
    let mut net = <Net<T> as nn::Network<T, 3, 2>>::with_init(&mut rng, nn::InitScheme::Auto);
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
    let mut b = Net::zeroed_f64();
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
    let mut net = Net::zeroed();
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
    let bytes = Net::zeroed_f64().to_safetensors();
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

/// The same network gives the same bytes: in one process (each save's metadata map hashes
/// with new random keys) and in another process (the test binary run again, writing its
/// bytes to a file).
#[test]
fn saves_are_byte_reproducible() {
    let bytes = random::<f32>(7).to_safetensors();
    if let Some(out) = std::env::var_os("NN_REPRODUCIBLE_OUT") {
        std::fs::write(out, &bytes).unwrap();
        return;
    }
    for _ in 0..10 {
        assert!(random::<f32>(7).to_safetensors() == bytes, "two saves differ");
    }
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.safetensors");
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "saves_are_byte_reproducible", "--test-threads=1", "--quiet"])
        .env("NN_REPRODUCIBLE_OUT", &other)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(
        std::fs::read(&other).unwrap() == bytes,
        "another process saved other bytes"
    );
    // Still a valid, aligned safetensors file holding the same network.
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap());
    assert_eq!(n % 8, 0, "header length {n}");
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    assert_eq!(meta.metadata().as_ref().unwrap()["nn.network"], "Net");
    assert_eq!(safetensors::SafeTensors::deserialize(&bytes).unwrap().len(), 5);
    assert_eq!(
        bits(&Net::<f32>::from_safetensors(&bytes).unwrap()),
        bits(&random::<f32>(7))
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
    let mut b = Net::zeroed();
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

// --- Other element types in the file ---

/// A file holding `net`'s tensors converted element-wise by `enc` to `dtype`.
fn converted(net: &Net<f32>, dtype: safetensors::Dtype, enc: impl Fn(f32) -> Vec<u8>) -> Vec<u8> {
    let tensors: Vec<(String, Vec<usize>, Vec<u8>)> = net
        .state()
        .iter()
        .map(|(k, t)| {
            (
                k.to_string(),
                t.shape.dims().to_vec(),
                t.to_row_major().into_iter().flat_map(&enc).collect(),
            )
        })
        .collect();
    let views = tensors.iter().map(|(k, s, b)| {
        (
            k.clone(),
            safetensors::tensor::TensorView::new(dtype, s.clone(), b).unwrap(),
        )
    });
    safetensors::serialize(views, None).unwrap()
}

/// A network whose values are exact in f16 and bf16 (multiples of 1/64 in [-2, 2]).
fn half_exact() -> Net<f32> {
    let mut net = Net::zeroed();
    let mut k = 0i32;
    net.visit_tensors_mut(|_, t| {
        for v in t.data.iter_mut() {
            k += 7;
            *v = ((k % 257) - 128) as f32 / 64.0;
        }
    });
    net
}

#[test]
fn f16_and_bf16_files_load_exactly_into_f32_and_f64() {
    let net = half_exact();
    let f16 = converted(&net, safetensors::Dtype::F16, |v| {
        half::f16::from_f32(v).to_le_bytes().to_vec()
    });
    let bf16 = converted(&net, safetensors::Dtype::BF16, |v| {
        half::bf16::from_f32(v).to_le_bytes().to_vec()
    });
    for bytes in [&f16, &bf16] {
        assert_eq!(bits(&net), bits(&Net::<f32>::from_safetensors(bytes).unwrap()));
        assert_eq!(bits(&net), bits(&Net::<f64>::from_safetensors(bytes).unwrap()));
    }
    // Rounded values really are converted, not reinterpreted: 1/3 in f16.
    let third = half::f16::from_f64(1.0 / 3.0);
    let mut one = Net::zeroed();
    one.fc2.b[0] = 1.0 / 3.0;
    let bytes = converted(&one, safetensors::Dtype::F16, |v| {
        half::f16::from_f32(v).to_le_bytes().to_vec()
    });
    assert_eq!(Net::<f64>::from_safetensors(&bytes).unwrap().fc2.b[0], third.to_f64());
}

#[test]
fn f64_file_into_f32_network_rounds_to_nearest() {
    let mut wide = Net::zeroed_f64();
    wide.fc1.w[(2, 1)] = 0.1;
    wide.fc2.b[1] = 1.0 + 1e-12;
    let narrow = Net::<f32>::from_safetensors(&wide.to_safetensors()).unwrap();
    assert_eq!(narrow.fc1.w[(2, 1)], 0.1f32);
    assert_eq!(narrow.fc2.b[1], 1.0f32);
}

// --- Atomic saves ---

/// The names of the files in `dir`.
fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn save_replaces_the_file_and_leaves_no_temporary() {
    let path = TempPath::new("replace");
    random::<f32>(10).save(&path.0).unwrap();
    let b = random::<f32>(11);
    b.save(&path.0).unwrap();
    assert_eq!(bits(&b), bits(&Net::<f32>::load(&path.0).unwrap()));
    assert_eq!(listing(path.0.parent().unwrap()), ["model.safetensors"]);
}

#[test]
fn a_writer_failing_midway_leaves_the_old_file_and_no_temporary() {
    let path = TempPath::new("failing-writer");
    let old = random::<f32>(12);
    old.save(&path.0).unwrap();
    let before = std::fs::read(&path.0).unwrap();
    let new = random::<f32>(13).to_safetensors();
    let err = nn::persist::write_atomic(&path.0, |w| {
        w.write_all(&new[..new.len() / 2])?;
        w.flush()?;
        Err(std::io::Error::other("injected failure"))
    })
    .unwrap_err();
    assert_eq!(err.to_string(), "injected failure");
    assert_eq!(std::fs::read(&path.0).unwrap(), before);
    assert_eq!(listing(path.0.parent().unwrap()), ["model.safetensors"]);
    // A new file that fails is not created at all.
    let fresh = path.0.with_file_name("fresh.safetensors");
    assert!(nn::persist::write_atomic(&fresh, |_| Err(std::io::Error::other("no"))).is_err());
    assert_eq!(listing(path.0.parent().unwrap()), ["model.safetensors"]);
}

#[test]
fn a_failing_rename_leaves_the_target_and_no_temporary() {
    // The target is a non-empty directory: the temporary file is complete, the rename fails
    // (as root too, where permissions do not stop writes).
    let path = TempPath::new("failing-rename");
    std::fs::create_dir(&path.0).unwrap();
    std::fs::write(path.0.join("keep"), b"x").unwrap();
    let err = random::<f32>(14).save(&path.0).err().unwrap();
    assert!(
        matches!(&err, nn::persist::SaveError::Io { path: p, .. } if *p == path.0),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with(&format!("{}: cannot write the file", path.0.display())),
        "{err}"
    );
    assert_eq!(listing(path.0.parent().unwrap()), ["model.safetensors"]);
    assert_eq!(listing(&path.0), ["keep"]);
}

#[test]
fn a_parent_that_is_a_file_fails_cleanly() {
    let path = TempPath::new("parent-is-file");
    let parent = path.0.with_file_name("plain-file");
    std::fs::write(&parent, b"not a directory").unwrap();
    let target = parent.join("model.safetensors");
    assert!(matches!(
        random::<f32>(15).save(&target),
        Err(nn::persist::SaveError::Io { .. })
    ));
    assert_eq!(std::fs::read(&parent).unwrap(), b"not a directory");
    assert_eq!(listing(path.0.parent().unwrap()), ["plain-file"]);
}

#[cfg(unix)]
#[test]
fn a_read_only_directory_keeps_the_old_file() {
    use std::os::unix::fs::PermissionsExt;
    let path = TempPath::new("read-only");
    let dir = path.0.parent().unwrap().to_path_buf();
    let old = random::<f32>(16);
    old.save(&path.0).unwrap();
    let before = std::fs::read(&path.0).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    // As root, permissions do not stop writes: then the other failure tests cover this.
    let probe = dir.join("probe");
    let enforced = std::fs::write(&probe, b"").is_err();
    let _ = std::fs::remove_file(&probe);
    if enforced {
        let err = random::<f32>(17).save(&path.0).err().unwrap();
        assert!(
            matches!(&err, nn::persist::SaveError::Io { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied),
            "{err}"
        );
        assert_eq!(std::fs::read(&path.0).unwrap(), before);
        assert_eq!(listing(&dir), ["model.safetensors"]);
    } else {
        eprintln!("note: running as root, a read-only directory does not stop writes; skipped");
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[cfg(unix)]
#[test]
fn a_new_file_gets_the_usual_permissions_and_a_replaced_one_keeps_its_own() {
    use std::os::unix::fs::PermissionsExt;
    let path = TempPath::new("permissions");
    let reference = path.0.with_file_name("reference");
    std::fs::write(&reference, b"").unwrap();
    random::<f32>(18).save(&path.0).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path.0), mode(&reference)); // as `File::create` (0o666 less the umask)
                                                 // Modes the umask would narrow (group or other write) are kept exactly too.
    for kept in [0o640, 0o664, 0o666, 0o600] {
        std::fs::set_permissions(&path.0, std::fs::Permissions::from_mode(kept)).unwrap();
        random::<f32>(19).save(&path.0).unwrap();
        assert_eq!(mode(&path.0), kept, "{kept:o}");
    }
}
