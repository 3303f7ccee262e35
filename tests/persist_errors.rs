//! Every way a load or a save can fail, each as its typed error naming the origin and the
//! tensor, and the all-or-nothing guarantee: after every failing `load_into` the network
//! is bit-identical to what it was.
#![cfg(feature = "safetensors")]

use std::collections::HashMap;

use nn::persist::{LoadError, LoadOptions, Origin, SaveError, SaveOptions};
use nn::rand::SeedableRng;
use nn::rand_chacha::ChaCha8Rng;
use nn::state::{Shape, TensorMut, TensorRef};
use nn::{BatchBuf, BatchMut, BatchRef, Float, Init, Layer, Param};
use safetensors::tensor::TensorView;
use safetensors::Dtype;

nn::network! {
    /// 3 → 5 (tanh) → 2.
    #[derive(Clone, Debug)]
    pub struct Net {
        input: 3,
        fc1: Affine(5),
        act: Tanh,
        fc2: Affine(2),
        loss: SoftmaxWithLoss,
    }
}

nn::network! {
    /// The same tensors as `Net`, another activation: another network.
    pub struct SigmoidNet {
        input: 3,
        fc1: Affine(5),
        act: Sigmoid,
        fc2: Affine(2),
        loss: SoftmaxWithLoss,
    }
}

fn trained(seed: u64) -> Net<f32> {
    let mut net = Net::new(&mut ChaCha8Rng::seed_from_u64(seed));
    net.fc1.b[0] = 0.25;
    net.fc2.b[1] = -0.5;
    net
}

/// Every tensor's bits (so that a NaN written by a bad load would be seen too).
fn bits(net: &Net<f32>) -> Vec<u32> {
    net.state()
        .iter()
        .flat_map(|(_, t)| t.data.iter().map(|v| v.to_bits()))
        .collect()
}

/// A tensor for a hand-made file: key, dtype, shape, little-endian bytes.
type Raw = (String, Dtype, Vec<usize>, Vec<u8>);

/// The row-major tensors of `net` as raw f32 entries.
fn raw(net: &Net<f32>) -> Vec<Raw> {
    net.state()
        .iter()
        .map(|(k, t)| {
            let bytes = t.to_row_major().iter().flat_map(|v| v.to_le_bytes()).collect();
            (k.to_string(), Dtype::F32, t.shape.dims().to_vec(), bytes)
        })
        .collect()
}

fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// A safetensors file of `tensors` with `metadata`.
fn file(tensors: &[Raw], metadata: Option<HashMap<String, String>>) -> Vec<u8> {
    let views: Vec<(String, TensorView<'_>)> = tensors
        .iter()
        .map(|(k, d, s, b)| (k.clone(), TensorView::new(*d, s.clone(), b).unwrap()))
        .collect();
    safetensors::serialize(views, metadata).unwrap()
}

/// Loads `bytes` into a trained network, checks that the load failed and changed nothing,
/// and returns the error.
fn fails(bytes: &[u8], opts: &LoadOptions) -> LoadError {
    let mut net = trained(9);
    let before = bits(&net);
    let err = match nn::persist::from_safetensors_into(&mut net, bytes, opts) {
        Ok(()) => panic!("the load succeeded"),
        Err(e) => e,
    };
    assert_eq!(bits(&net), before, "a failed load changed the network ({err})");
    err
}

fn replace(tensors: &mut [Raw], key: &str, dtype: Dtype, shape: Vec<usize>, bytes: Vec<u8>) {
    let t = tensors.iter_mut().find(|t| t.0 == key).unwrap();
    *t = (key.to_string(), dtype, shape, bytes);
}

#[test]
fn io_error_names_the_file() {
    let err = Net::<f32>::load("no/such/dir/model.safetensors").err().unwrap();
    match &err {
        LoadError::Io { origin, source } => {
            assert_eq!(origin, &Origin::File("no/such/dir/model.safetensors".into()));
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        e => panic!("{e}"),
    }
    assert!(
        err.to_string()
            .starts_with("no/such/dir/model.safetensors: cannot read the file"),
        "{err}"
    );
    // load_into too, and the network is unchanged.
    let mut net = trained(1);
    let before = bits(&net);
    assert!(matches!(net.load_into("no/such/file"), Err(LoadError::Io { .. })));
    assert_eq!(bits(&net), before);
}

#[test]
fn truncated_and_corrupt_bytes() {
    let good = trained(2).to_safetensors();
    for cut in [0, 4, 8, 20, good.len() / 2, good.len() - 1] {
        let err = fails(&good[..cut], &LoadOptions::new());
        assert!(
            matches!(
                err,
                LoadError::Corrupt {
                    origin: Origin::Bytes,
                    ..
                }
            ),
            "cut at {cut}: {err}"
        );
    }
    // A header that is not JSON.
    let mut bad = good.clone();
    bad[8] = b'#';
    let err = fails(&bad, &LoadOptions::new());
    assert!(matches!(err, LoadError::Corrupt { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("safetensors bytes: not a valid safetensors file"),
        "{err}"
    );
    // Trailing bytes the offsets do not cover.
    let mut long = good.clone();
    long.extend([0; 8]);
    assert!(matches!(fails(&long, &LoadOptions::new()), LoadError::Corrupt { .. }));
}

#[test]
fn header_claiming_more_than_the_file_holds() {
    let good = trained(3).to_safetensors();
    for claim in [1u64 << 30, 1 << 40, u64::MAX, 50_000_000, good.len() as u64] {
        let mut bad = good.clone();
        bad[..8].copy_from_slice(&claim.to_le_bytes());
        let err = fails(&bad, &LoadOptions::new());
        assert!(matches!(err, LoadError::Corrupt { .. }), "claim {claim}: {err}");
    }
    // Offsets claiming a gigabyte of data.
    let header_len = u64::from_le_bytes(good[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&good[8..8 + header_len]).unwrap();
    let edited = header.replacen("\"data_offsets\":[0,", "\"data_offsets\":[1000000000,", 1);
    assert_ne!(edited, header);
    let mut bad = (edited.len() as u64).to_le_bytes().to_vec();
    bad.extend(edited.as_bytes());
    bad.extend(&good[8 + header_len..]);
    let err = fails(&bad, &LoadOptions::new());
    assert!(matches!(err, LoadError::Corrupt { .. }), "{err}");
}

#[test]
fn missing_tensors_are_all_listed() {
    let mut tensors = raw(&trained(4));
    tensors.retain(|t| t.0 == "fc1.weight");
    let err = fails(&file(&tensors, None), &LoadOptions::new());
    match &err {
        LoadError::MissingTensors { missing, available, .. } => {
            assert_eq!(missing, &["fc1.bias", "fc2.weight", "fc2.bias"]);
            assert_eq!(available, &["fc1.weight"]);
        }
        e => panic!("{e}"),
    }
    assert_eq!(
        err.to_string(),
        "safetensors bytes: missing tensor(s) `fc1.bias`, `fc2.weight`, `fc2.bias`; the file holds `fc1.weight` (rename keys with `LoadOptions::rename`)"
    );
    // A key map that points nowhere: missing under the file's name.
    let good = trained(4).to_safetensors();
    match fails(&good, &LoadOptions::new().rename("fc2", "2")) {
        LoadError::MissingTensors { missing, .. } => assert_eq!(missing, ["2.weight", "2.bias"]),
        e => panic!("{e}"),
    }
}

#[test]
fn unexpected_tensors_unless_allowed() {
    let net = trained(5);
    let mut tensors = raw(&net);
    tensors.push(("extra.weight".into(), Dtype::F32, vec![2], f32_bytes(&[1.0, 2.0])));
    tensors.push((
        "optimizer.step".into(),
        Dtype::I64,
        vec![1],
        7i64.to_le_bytes().to_vec(),
    ));
    let bytes = file(&tensors, None);
    match fails(&bytes, &LoadOptions::new()) {
        LoadError::UnexpectedTensors { unexpected, .. } => assert_eq!(unexpected, ["extra.weight", "optimizer.step"]),
        e => panic!("{e}"),
    }
    let mut other = trained(6);
    nn::persist::from_safetensors_into(&mut other, &bytes, &LoadOptions::new().allow_unexpected(true)).unwrap();
    assert_eq!(bits(&other), bits(&net));
}

#[test]
fn wrong_shape_names_expected_and_found() {
    let mut tensors = raw(&trained(7));
    replace(
        &mut tensors,
        "fc1.weight",
        Dtype::F32,
        vec![3, 5],
        f32_bytes(&[0.5; 15]),
    );
    let err = fails(&file(&tensors, None), &LoadOptions::new());
    match &err {
        LoadError::Shape {
            tensor,
            expected,
            found,
            ..
        } => {
            assert_eq!(
                (tensor.as_str(), &expected[..], &found[..]),
                ("fc1.weight", &[5, 3][..], &[3, 5][..])
            );
        }
        e => panic!("{e}"),
    }
    assert_eq!(
        err.to_string(),
        "safetensors bytes: tensor `fc1.weight` has shape [3, 5] in the file where [5, 3] is expected"
    );
    // A bias of another length, and a rank the network does not have.
    let mut tensors = raw(&trained(7));
    replace(&mut tensors, "fc2.bias", Dtype::F32, vec![3], f32_bytes(&[0.5; 3]));
    assert!(matches!(
        fails(&file(&tensors, None), &LoadOptions::new()),
        LoadError::Shape { .. }
    ));
    let mut tensors = raw(&trained(7));
    replace(&mut tensors, "fc2.bias", Dtype::F32, vec![1, 2], f32_bytes(&[0.5; 2]));
    assert!(matches!(
        fails(&file(&tensors, None), &LoadOptions::new()),
        LoadError::Shape { .. }
    ));
}

#[test]
fn integer_and_bool_dtypes_are_refused() {
    for (dtype, bytes) in [
        (Dtype::I64, 3i64.to_le_bytes().repeat(5)),
        (Dtype::I32, 3i32.to_le_bytes().repeat(5)),
        (Dtype::BOOL, vec![1; 5]),
        (Dtype::U8, vec![1; 5]),
    ] {
        let mut tensors = raw(&trained(8));
        replace(&mut tensors, "fc1.bias", dtype, vec![5], bytes);
        let err = fails(&file(&tensors, None), &LoadOptions::new());
        match &err {
            LoadError::Dtype { tensor, dtype: d, .. } => {
                assert_eq!((tensor.as_str(), d.as_str()), ("fc1.bias", &*dtype.to_string()))
            }
            e => panic!("{e}"),
        }
        assert!(
            err.to_string()
                .contains(&format!("tensor `fc1.bias` has dtype {dtype}")),
            "{err}"
        );
    }
}

#[test]
fn non_finite_values_name_tensor_and_index() {
    // The last tensor is bad: the earlier, valid ones must not have been written either.
    for (value, dtype) in [
        (f32::NAN, Dtype::F32),
        (f32::INFINITY, Dtype::F32),
        (f32::NEG_INFINITY, Dtype::F64),
    ] {
        let net = trained(10);
        let mut tensors = raw(&net);
        let mut w: Vec<f32> = net.state().get("fc2.weight").unwrap().to_row_major();
        w[5] = value; // row 1, column 0 of [2, 5]
        let bytes = match dtype {
            Dtype::F32 => f32_bytes(&w),
            _ => w.iter().flat_map(|&v| (v as f64).to_le_bytes()).collect(),
        };
        replace(&mut tensors, "fc2.weight", dtype, vec![2, 5], bytes);
        let err = fails(&file(&tensors, None), &LoadOptions::new());
        match &err {
            LoadError::NonFinite {
                tensor,
                index,
                value: v,
                ..
            } => {
                assert_eq!((tensor.as_str(), &index[..]), ("fc2.weight", &[1, 0][..]));
                assert!(
                    v.is_nan() == value.is_nan() && (v.is_nan() || *v == value as f64),
                    "{v}"
                );
            }
            e => panic!("{e}"),
        }
        assert!(
            err.to_string()
                .contains("tensor `fc2.weight` holds the non-finite value"),
            "{err}"
        );
        assert!(err.to_string().ends_with("at index [1, 0]"), "{err}");
    }
    // f16 infinity in a bias.
    let mut tensors = raw(&trained(10));
    let b: Vec<u8> = [1.0f32, 2.0]
        .iter()
        .map(|&v| half::f16::from_f32(v))
        .chain([half::f16::INFINITY])
        .chain([half::f16::ONE, half::f16::ONE])
        .flat_map(|v| v.to_le_bytes())
        .collect();
    replace(&mut tensors, "fc1.bias", Dtype::F16, vec![5], b);
    match fails(&file(&tensors, None), &LoadOptions::new()) {
        LoadError::NonFinite {
            tensor, index, value, ..
        } => {
            assert_eq!(
                (tensor.as_str(), &index[..], value),
                ("fc1.bias", &[2][..], f64::INFINITY)
            )
        }
        e => panic!("{e}"),
    }
}

#[test]
fn file_of_another_network_shows_both_layer_lists() {
    let other = SigmoidNet::<f32>::new(&mut ChaCha8Rng::seed_from_u64(11));
    let bytes = other.to_safetensors();
    let err = fails(&bytes, &LoadOptions::new());
    match &err {
        LoadError::OtherNetwork {
            file_layers,
            expected_layers,
            ..
        } => {
            assert_eq!(
                file_layers,
                "fc1: Affine<3, 5>; act: Sigmoid<5>; fc2: Affine<5, 2>; loss: SoftmaxWithLoss<2>"
            );
            assert_eq!(
                expected_layers,
                "fc1: Affine<3, 5>; act: Tanh<5>; fc2: Affine<5, 2>; loss: SoftmaxWithLoss<2>"
            );
        }
        e => panic!("{e}"),
    }
    assert!(err.to_string().contains("saved from another network"), "{err}");
    // The check can be turned off (the tensors fit), and a file without `nn.layers`
    // (PyTorch's) is never refused by it.
    let mut net = trained(12);
    nn::persist::from_safetensors_into(&mut net, &bytes, &LoadOptions::new().check_layers(false)).unwrap();
    assert_eq!(net.fc1.w.as_slice(), other.fc1.w.as_slice());
    let plain = file(&raw(&trained(13)), None);
    assert!(Net::<f32>::from_safetensors(&plain).is_ok());
    let meta = HashMap::from([("nn.layers".to_string(), "fc1: Affine<3, 5>".to_string())]);
    assert!(matches!(
        fails(&file(&raw(&trained(13)), Some(meta)), &LoadOptions::new()),
        LoadError::OtherNetwork { .. }
    ));
}

#[test]
fn load_into_from_a_file_is_all_or_nothing() {
    let dir = std::env::temp_dir().join(format!("nn-persist-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.safetensors");
    let mut tensors = raw(&trained(14));
    let mut b = vec![0.0f32; 2];
    b[1] = f32::NAN;
    replace(&mut tensors, "fc2.bias", Dtype::F32, vec![2], f32_bytes(&b));
    std::fs::write(&path, file(&tensors, None)).unwrap();
    let mut net = trained(15);
    let before = bits(&net);
    let err = net.load_into(&path).err().unwrap();
    assert!(
        matches!(&err, LoadError::NonFinite { origin: Origin::File(p), .. } if *p == path),
        "{err}"
    );
    assert!(err.to_string().starts_with(&path.display().to_string()), "{err}");
    assert_eq!(bits(&net), before);
    assert!(matches!(Net::<f32>::load(&path), Err(LoadError::NonFinite { .. })));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn duplicate_keys_are_refused_on_save() {
    let opts = SaveOptions::new().rename("fc1", "fc2");
    let err = nn::persist::to_safetensors_with(&trained(16), &opts).err().unwrap();
    assert!(
        matches!(&err, SaveError::DuplicateKey { key } if key == "fc2.weight"),
        "{err}"
    );
    assert!(
        err.to_string().contains("two tensors would be saved as `fc2.weight`"),
        "{err}"
    );
}

// --- A user layer without `visit_tensors`: refused on save and on load. ---

/// `y = a·x` with a learnable `a`, optionally listing it as a tensor.
#[derive(Clone, Debug)]
pub struct Scale<T, const D: usize, const LISTED: bool> {
    a: T,
    da: T,
    y: BatchBuf<T, D>,
}

impl<T: Float, const D: usize, const LISTED: bool> Scale<T, D, LISTED> {
    pub fn new(a: f64) -> Self {
        Self {
            a: T::cast(a),
            da: T::zero(),
            y: BatchBuf::new(),
        }
    }
}

impl<T: Float, const D: usize, const LISTED: bool> Layer<T, D, D> for Scale<T, D, LISTED> {
    const PARAMS: usize = 1;
    fn forward(&mut self, x: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
        self.y.resize(x.ncols());
        let a = self.a;
        for (y, &x) in self.y.as_mut_slice().iter_mut().zip(x.iter()) {
            *y = a * x;
        }
        self.y.view()
    }
    fn backward(&mut self, _x: BatchRef<'_, T, D>, _dout: BatchRef<'_, T, D>) -> BatchRef<'_, T, D> {
        unimplemented!("not trained here")
    }
    fn output(&self) -> BatchRef<'_, T, D> {
        self.y.view()
    }
    fn infer(&self, x: BatchRef<'_, T, D>, mut out: BatchMut<'_, T, D>) {
        for (y, &x) in out.iter_mut().zip(x.iter()) {
            *y = self.a * x;
        }
    }
    fn visit_params(&mut self, f: &mut dyn FnMut(Param<'_, T>)) {
        f(Param::new(
            "a",
            std::slice::from_mut(&mut self.a),
            std::slice::from_ref(&self.da),
        ));
    }
    fn init_params(&mut self, _init: &mut Init<'_>) {}
    fn visit_tensors<'a>(&'a self, f: &mut dyn FnMut(TensorRef<'a, T>)) {
        if LISTED {
            f(TensorRef::new("a", Shape::vector(1), std::slice::from_ref(&self.a)));
        }
    }
    fn visit_tensors_mut(&mut self, f: &mut dyn FnMut(TensorMut<'_, T>)) {
        if LISTED {
            f(TensorMut::new("a", Shape::vector(1), std::slice::from_mut(&mut self.a)));
        }
    }
}

pub type Unlisted<T, const D: usize> = Scale<T, D, false>;
pub type Listed<T, const D: usize> = Scale<T, D, true>;

nn::network! {
    /// A user layer that does not list its parameter.
    pub struct UnlistedNet {
        input: 2,
        fc: Affine(2),
        scale: self::Unlisted(0.5),
    }
}

nn::network! {
    /// The same layer, listing it.
    pub struct ListedNet {
        input: 2,
        fc: Affine(2),
        scale: self::Listed(0.5),
    }
}

#[test]
fn user_layer_without_tensors_is_refused() {
    let net = UnlistedNet::zeroed();
    let err = nn::persist::to_safetensors_with(&net, &SaveOptions::new())
        .err()
        .unwrap();
    match &err {
        SaveError::LayerWithoutTensors {
            layer,
            kind,
            params,
            visited,
        } => assert_eq!(
            (layer.as_str(), kind.as_str(), *params, *visited),
            ("scale", "Unlisted<2>", 1, 0)
        ),
        e => panic!("{e}"),
    }
    assert!(err.to_string().contains("implement `Layer::visit_tensors`"), "{err}");
    let path = std::env::temp_dir().join(format!("nn-unlisted-{}.safetensors", std::process::id()));
    assert!(matches!(net.save(&path), Err(SaveError::LayerWithoutTensors { .. })));
    assert!(!path.exists());
    let panic = std::panic::catch_unwind(|| net.to_safetensors()).err().unwrap();
    let msg = panic.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("layer `scale` (Unlisted<2>) has 1 trainable parameters"),
        "{msg}"
    );

    // Loading into it is refused too (its parameter would silently keep its value).
    let listed = ListedNet::zeroed();
    let bytes = listed.to_safetensors();
    let err = UnlistedNet::<f32>::from_safetensors_with(
        &bytes,
        &LoadOptions::new().check_layers(false).allow_unexpected(true),
    )
    .err()
    .unwrap();
    assert!(
        matches!(&err, LoadError::LayerWithoutTensors { layer, .. } if layer == "scale"),
        "{err}"
    );
    assert!(err.origin().is_none());
}

#[test]
fn user_layer_with_tensors_round_trips() {
    let mut net = ListedNet::zeroed_f64();
    net.scale.a = 1.75;
    net.fc.w[(1, 0)] = -2.0;
    let back = ListedNet::<f64>::from_safetensors(&net.to_safetensors()).unwrap();
    assert_eq!((back.scale.a, back.fc.w[(1, 0)]), (1.75, -2.0));
    assert_eq!(
        back.state().keys().collect::<Vec<_>>(),
        ["fc.weight", "fc.bias", "scale.a"]
    );
}

// --- Files are read in chunks: the same checks as bytes ---

/// The variant of a load's outcome (`Ok`, `Corrupt`, `Shape`, ...), to compare the file
/// and the bytes paths.
fn outcome<T>(r: &Result<T, LoadError>) -> String {
    match r {
        Ok(_) => "Ok".to_string(),
        Err(e) => format!("{e:?}").split([' ', '{', '(']).next().unwrap().to_string(),
    }
}

#[test]
fn files_and_bytes_give_the_same_outcome_for_corrupted_files() {
    let dir = std::env::temp_dir().join(format!("nn-persist-parity-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("mutated.safetensors");
    let good = trained(20).to_safetensors();
    let header_len = u64::from_le_bytes(good[..8].try_into().unwrap()) as usize;
    let mut cases: Vec<Vec<u8>> = vec![
        good.clone(),
        Vec::new(),
        good[..7].to_vec(),
        [&good[..], &[0; 8]].concat(), // bytes the offsets do not cover
        good[..8 + header_len].to_vec(),
    ];
    for claim in [1u64 << 30, u64::MAX, 200_000_000, (good.len() - 8) as u64] {
        let mut b = good.clone();
        b[..8].copy_from_slice(&claim.to_le_bytes());
        cases.push(b);
    }
    // Deterministic bit flips all over the file (most land in the data: NaNs, other
    // values), and truncations.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..300 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut b = good.clone();
        let at = (x as usize) % b.len();
        b[at] ^= 1 << (x >> 60 & 7);
        cases.push(b);
        cases.push(good[..(x >> 20) as usize % good.len()].to_vec());
    }
    let mut failed = 0;
    for (i, bytes) in cases.iter().enumerate() {
        std::fs::write(&path, bytes).unwrap();
        let mut a = trained(21);
        let before = bits(&a);
        let from_bytes = nn::persist::from_safetensors_into(&mut a, bytes, &LoadOptions::new());
        let mut b = trained(21);
        let from_file = b.load_into(&path);
        assert_eq!(
            outcome(&from_bytes),
            outcome(&from_file),
            "case {i}: {from_bytes:?} vs {from_file:?}"
        );
        assert_eq!(bits(&a), bits(&b), "case {i}");
        if from_file.is_err() {
            failed += 1;
            assert_eq!(bits(&b), before, "case {i}: a failed load_into changed the network");
        }
        // `load` (one pass that checks and writes) agrees too.
        let fresh = Net::<f32>::load(&path);
        assert_eq!(outcome(&fresh), outcome(&from_file), "case {i}");
        if let Ok(n) = &fresh {
            assert_eq!(bits(n), bits(&b), "case {i}");
        }
    }
    assert!(
        failed > 300,
        "only {failed} of {} mutated files failed to load",
        cases.len()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
