//! Deterministic mutation test of the safetensors loading path: thousands of corrupted
//! versions of a valid file (every truncation, seeded bit flips and byte overwrites, edits of
//! every number, dtype and name in the JSON header, header lengths and data offsets claiming
//! gigabytes, non-finite values) are loaded into a network. Each must give `Ok` with finite
//! parameters or a `LoadError` naming its origin, never a panic; a failed `load_into` must
//! leave the network bit-identical; and a file claiming gigabytes must not make the loader
//! allocate them (`nn::alloc_counter::largest_allocation`). Each input is loaded from memory
//! and from a file (read a chunk at a time), which must agree.
//!
//! `cargo fuzz` (fuzz/fuzz_targets/safetensors.rs) explores the same path without a budget;
//! `NN_WRITE_FUZZ_SEEDS=1 cargo test --test all persist_mutation::write_fuzz_seeds -- --ignored`
//! rewrites its seeds.
#![cfg(feature = "safetensors")]

use std::collections::BTreeMap;
use std::path::Path;

use nn::alloc_counter::largest_allocation;
use nn::persist::{from_safetensors_into, LoadError, LoadOptions};
use nn::rand::{Rng, SeedableRng};
use nn::rand_chacha::ChaCha8Rng;
use nn::state::TensorRef;
use nn::Float;
use safetensors::SafeTensors;

nn::network! {
    /// The network of the mutated files (the same declaration as the fuzz target's).
    #[derive(Clone)]
    pub struct FuzzNet {
        input: 3,
        fc1: Affine(4),
        act: Tanh,
        fc2: Affine(2),
        loss: SoftmaxWithLoss,
    }
}

/// The largest single allocation a load of a small file may make, whatever its header
/// claims: the header is at most a few KiB, the network's tensors 26 scalars.
const ALLOCATION_BOUND: usize = 64 << 10;

/// A trained-looking network of either float type (seeded, not zero).
fn network<T: Float>() -> FuzzNet<T> {
    let mut net = <FuzzNet<T> as nn::Network<T, 3, 2>>::zeroed();
    net.init_params(&mut ChaCha8Rng::seed_from_u64(11), nn::InitScheme::Xavier);
    net
}

/// Every parameter's bits, in visiting order.
fn bits<T: Float>(net: &FuzzNet<T>) -> Vec<u64> {
    let mut out = Vec::new();
    net.visit_tensors(&mut |_, t: TensorRef<'_, T>| out.extend(t.data.iter().map(|v| v.as_f64().to_bits())));
    out
}

/// What the loads of one input gave, by `LoadError` variant (`Ok` for success).
#[derive(Default)]
struct Tally(BTreeMap<String, usize>);

impl Tally {
    fn note(&mut self, r: &Result<(), LoadError>) {
        *self.0.entry(kind(r)).or_default() += 1;
    }
}

/// `"Ok"` or the `LoadError` variant's name.
fn kind(r: &Result<(), LoadError>) -> String {
    match r {
        Ok(()) => "Ok".to_string(),
        Err(e) => format!("{e:?}")
            .split([' ', '(', '{'])
            .next()
            .unwrap_or_default()
            .to_string(),
    }
}

/// Loads `bytes` every way (f32 and f64; the constructors and `load_into`; from memory and,
/// if `file` is given, written there, from a file, which is read a chunk at a time),
/// checking each outcome.
fn check(bytes: &[u8], what: &str, file: Option<&Path>, tally: &mut Tally) {
    if let Some(file) = file {
        std::fs::write(file, bytes).unwrap();
    }
    let outcome = std::panic::catch_unwind(|| {
        let memory = [
            FuzzNet::<f32>::from_safetensors(bytes).map(|n| assert_finite(&n)),
            load_into_checked(network::<f32>(), |n| {
                from_safetensors_into(n, bytes, &LoadOptions::new())
            }),
            load_into_checked(network::<f64>(), |n| {
                from_safetensors_into(n, bytes, &LoadOptions::new())
            }),
        ];
        let files = file.map(|file| {
            [
                FuzzNet::<f32>::load(file).map(|n| assert_finite(&n)),
                load_into_checked(network::<f32>(), |n| n.load_into(file)),
                FuzzNet::<f64>::load(file).map(|n| assert_finite(&n)),
            ]
        });
        (memory, files)
    });
    let (memory, files) = outcome.unwrap_or_else(|p| {
        let msg = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        panic!("loading {what} panicked: {msg}")
    });
    let name = file.map(|f| f.display().to_string()).unwrap_or_default();
    let files = files.as_ref().map_or(&[][..], |f| &f[..]);
    for (r, origin) in memory
        .iter()
        .map(|r| (r, "bytes"))
        .chain(files.iter().map(|r| (r, name.as_str())))
    {
        if let Err(e) = r {
            let msg = e.to_string();
            assert!(msg.contains(origin), "{what}: the error does not name {origin}: {msg}");
            assert!(msg.len() < 2000, "{what}: a {}-byte message: {msg}", msg.len());
        }
        tally.note(r);
    }
    // A file loads exactly as its bytes do (the same outcome, the same kind of error).
    for (m, f) in memory.iter().zip(files) {
        assert_eq!(kind(m), kind(f), "{what}: from memory {m:?}, from a file {f:?}");
    }
}

/// A load into `net`: on failure the network must not have changed.
fn load_into_checked<T: Float>(
    mut net: FuzzNet<T>,
    load: impl FnOnce(&mut FuzzNet<T>) -> Result<(), LoadError>,
) -> Result<(), LoadError> {
    let before = bits(&net);
    let r = load(&mut net);
    match &r {
        Ok(()) => assert_finite(&net),
        Err(e) => assert!(bits(&net) == before, "a failed load changed the network: {e}"),
    }
    r
}

fn assert_finite<T: Float>(net: &FuzzNet<T>) {
    net.visit_tensors(&mut |layer, t: TensorRef<'_, T>| {
        assert!(
            t.data.iter().all(|v| v.is_finite()),
            "{layer}.{}: a non-finite value was loaded",
            t.name
        );
    });
}

/// A file's JSON header as data, to edit and render again (in a fixed order: the saved
/// metadata's order depends on a hash map, so the mutations start from this rendering).
#[derive(Clone, Debug)]
struct Header {
    meta: Vec<(String, String)>,
    tensors: Vec<Entry>,
}

#[derive(Clone, Debug)]
struct Entry {
    name: String,
    dtype: String,
    shape: Vec<u64>,
    offsets: (u64, u64),
}

impl Header {
    /// The header of a valid file, with the file's data.
    fn parse(file: &[u8]) -> (Header, Vec<u8>) {
        let (n, meta) = SafeTensors::read_metadata(file).unwrap();
        let mut m: Vec<(String, String)> = meta.metadata().clone().unwrap_or_default().into_iter().collect();
        m.sort();
        let mut tensors: Vec<Entry> = meta
            .tensors()
            .into_iter()
            .map(|(name, info)| Entry {
                name,
                dtype: info.dtype.to_string(),
                shape: info.shape.iter().map(|&d| d as u64).collect(),
                offsets: (info.data_offsets.0 as u64, info.data_offsets.1 as u64),
            })
            .collect();
        tensors.sort_by_key(|e| e.offsets);
        (Header { meta: m, tensors }, file[8 + n..].to_vec())
    }

    fn render(&self) -> String {
        let mut out = String::from("{");
        if !self.meta.is_empty() {
            let kv: Vec<String> = self.meta.iter().map(|(k, v)| format!("\"{k}\":\"{v}\"")).collect();
            out += &format!("\"__metadata__\":{{{}}}", kv.join(","));
        }
        for e in &self.tensors {
            if out.len() > 1 {
                out.push(',');
            }
            let shape: Vec<String> = e.shape.iter().map(u64::to_string).collect();
            out += &format!(
                "\"{}\":{{\"dtype\":\"{}\",\"shape\":[{}],\"data_offsets\":[{},{}]}}",
                e.name,
                e.dtype,
                shape.join(","),
                e.offsets.0,
                e.offsets.1
            );
        }
        out + "}"
    }

    fn file(&self, data: &[u8]) -> Vec<u8> {
        assemble(&self.render(), data)
    }
}

/// A file made of `header` (its true length in front) and `data`.
fn assemble(header: &str, data: &[u8]) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

/// The byte ranges of every run of digits in `s`.
fn numbers(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            out.push((start, i));
        } else {
            i += 1;
        }
    }
    out
}

/// The byte ranges of the contents of every JSON string in `s`.
fn strings(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        if c == '"' {
            match start.take() {
                None => start = Some(i + 1),
                Some(st) => out.push((st, i)),
            }
        }
    }
    out
}

fn splice(s: &str, (a, b): (usize, usize), with: &str) -> String {
    format!("{}{with}{}", &s[..a], &s[b..])
}

/// Numbers a header edit writes in place of each number: zero, off by one, 2³², gigabytes,
/// more than u64, negative, a fraction.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "3",
    "27",
    "4294967296",
    "1000000000",
    "18446744073709551615",
    "99999999999999999999",
    "-1",
    "1.5",
    "1e9",
];

/// What a header edit writes in place of each string.
const STRINGS: &[&str] = &[
    "",
    "F32",
    "F64",
    "F16",
    "BF16",
    "I64",
    "U8",
    "BOOL",
    "F8_E4M3",
    "fc1.weight",
    "fc1.bias",
    "fc2.weight",
    "fc2.bias",
    "fc3.weight",
    "x",
    "dtype",
    "shape",
    "data_offsets",
    "__metadata__",
    "\\u0000",
    "\\",
    "é",
];

/// Every dtype safetensors knows.
const DTYPES: &[&str] = &[
    "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64",
];

fn mutations(saved: &[u8], mut each: impl FnMut(&[u8], &str)) {
    let (parsed, data) = Header::parse(saved);
    let file = &parsed.file(&data)[..];
    let header = &parsed.render()[..];
    let n = header.len();
    let data = &data[..];
    let mut rng = ChaCha8Rng::seed_from_u64(2026);

    // Edits of the header's content, rendered well-formed.
    let edit = |f: &mut dyn FnMut(&mut Header)| {
        let mut h = parsed.clone();
        f(&mut h);
        h
    };
    for i in 0..parsed.tensors.len() {
        let name = parsed.tensors[i].name.clone();
        for dtype in DTYPES {
            let h = edit(&mut |h| h.tensors[i].dtype = dtype.to_string());
            each(&h.file(data), &format!("{name} as {dtype}"));
        }
        let dims = parsed.tensors[i].shape.clone();
        let numel: u64 = dims.iter().product();
        let reversed: Vec<u64> = dims.iter().rev().copied().collect();
        for shape in [
            reversed,
            vec![numel],
            [&[1], &dims[..]].concat(),
            [&dims[..], &[1]].concat(),
            vec![numel + 1],
            vec![],
        ] {
            let h = edit(&mut |h| h.tensors[i].shape = shape.clone());
            each(&h.file(data), &format!("{name} with shape {shape:?}"));
        }
        for new in ["", "x", "fc1", "fc1.weight", "fc2.bias", "fc1.weight.", "0.weight"] {
            let h = edit(&mut |h| h.tensors[i].name = new.to_string());
            each(&h.file(data), &format!("{name} renamed {new:?}"));
        }
    }
    // A tensor more (empty), the last tensor gone (and its bytes), the metadata gone or edited.
    let end = data.len() as u64;
    let h = edit(&mut |h| {
        h.tensors.push(Entry {
            name: "extra".into(),
            dtype: "F32".into(),
            shape: vec![0],
            offsets: (end, end),
        })
    });
    each(&h.file(data), "an empty tensor `extra` more");
    let mut h = parsed.clone();
    let last = h.tensors.pop().unwrap();
    each(&h.file(&data[..last.offsets.0 as usize]), "the last tensor removed");
    each(&edit(&mut |h| h.meta.clear()).file(data), "no metadata");
    for i in 0..parsed.meta.len() {
        for value in ["", "fc1: Affine<3, 5>", "f64", "Other"] {
            let h = edit(&mut |h| h.meta[i].1 = value.to_string());
            each(&h.file(data), &format!("metadata {} = {value:?}", parsed.meta[i].0));
        }
    }

    each(file, "the valid file");
    // Every truncation, and trailing bytes.
    for len in 0..file.len() {
        each(&file[..len], &format!("the first {len} bytes"));
    }
    let mut longer = file.to_vec();
    longer.extend_from_slice(&[0; 9]);
    each(&longer, "9 zero bytes appended");

    // Seeded bit flips (1 to 8 bits), anywhere and inside the header.
    for i in 0..3000 {
        let mut m = file.to_vec();
        let flips = if i < 2000 { 1 } else { rng.random_range(2..=8) };
        let header_only = i % 2 == 1;
        let mut at = Vec::new();
        for _ in 0..flips {
            let pos = if header_only {
                rng.random_range(0..8 + n)
            } else {
                rng.random_range(0..m.len())
            };
            let bit = rng.random_range(0..8);
            m[pos] ^= 1 << bit;
            at.push((pos, bit));
        }
        each(&m, &format!("bits flipped at (byte, bit) {at:?}"));
    }
    // Seeded byte overwrites with JSON's structural characters and extremes.
    for _ in 0..1000 {
        let mut m = file.to_vec();
        let pos = rng.random_range(0..8 + n);
        let v = *[
            b'0', b'9', b'"', b'{', b'}', b'[', b']', b',', b':', b'-', b' ', 0, 0xff,
        ]
        .get(rng.random_range(0..13))
        .unwrap();
        m[pos] = v;
        each(&m, &format!("byte {pos} set to {v:#04x}"));
    }

    // Every number of the header replaced, with the header length kept true and left stale.
    for range in numbers(header) {
        for with in NUMBERS {
            let edited = splice(header, range, with);
            each(
                &assemble(&edited, data),
                &format!("header number at {range:?} -> {with}"),
            );
            let mut stale = (n as u64).to_le_bytes().to_vec();
            stale.extend_from_slice(edited.as_bytes());
            stale.extend_from_slice(data);
            each(&stale, &format!("header number at {range:?} -> {with}, stale length"));
        }
    }
    // Every string of the header replaced (names, dtypes, metadata keys and values).
    for range in strings(header) {
        for with in STRINGS {
            let edited = splice(header, range, with);
            each(
                &assemble(&edited, data),
                &format!("header string at {range:?} -> {with:?}"),
            );
        }
    }
    // The header length itself.
    for claim in [
        0,
        1,
        2,
        n - 1,
        n + 1,
        file.len() - 8,
        file.len() - 7,
        1 << 30,
        1 << 40,
        100 << 20,
        usize::MAX,
    ] {
        let mut m = file.to_vec();
        m[..8].copy_from_slice(&(claim as u64).to_le_bytes());
        each(&m, &format!("header length {claim}"));
    }
    let _ = n;
    // Non-finite values at seeded places of the data (f32 elements, 4-byte aligned).
    for _ in 0..200 {
        let mut m = file.to_vec();
        let k = rng.random_range(0..data.len() / 4);
        let v = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY][rng.random_range(0..3)];
        let at = 8 + n + 4 * k;
        m[at..at + 4].copy_from_slice(&v.to_le_bytes());
        each(&m, &format!("data element {k} set to {v}"));
    }
}

#[test]
fn mutated_files_load_or_fail_cleanly() {
    for file in [network::<f32>().to_safetensors(), network::<f64>().to_safetensors()] {
        let mut tally = Tally::default();
        let mut count = 0;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mutated.safetensors");
        mutations(&file, |bytes, what| {
            // Every fifth input through a file too (file writes dominate the time).
            check(bytes, what, (count % 5 == 0).then_some(path.as_path()), &mut tally);
            count += 1;
        });
        println!("{count} inputs: {:?}", tally.0);
        assert!(count > 5000, "only {count} mutations");
        // The mutations reach every kind of failure the file format allows, and succeed
        // sometimes (a flip in a weight's low bits is a valid file).
        for kind in [
            "Ok",
            "Corrupt",
            "MissingTensors",
            "UnexpectedTensors",
            "Shape",
            "Dtype",
            "NonFinite",
            "OtherNetwork",
        ] {
            assert!(tally.0.contains_key(kind), "no input gave {kind}: {:?}", tally.0);
        }
    }
}

#[test]
fn gigabyte_claims_allocate_little() {
    let (parsed, data) = Header::parse(&network::<f32>().to_safetensors());
    let file = parsed.file(&data);
    let mut claims: Vec<(String, Vec<u8>)> = Vec::new();
    for len in [1u64 << 30, 4 << 30, 1 << 40, u64::MAX] {
        let mut m = file.clone();
        m[..8].copy_from_slice(&len.to_le_bytes());
        claims.push((format!("header length {len}"), m));
    }
    // Data offsets and shapes of gigabytes (the header length true).
    for i in 0..parsed.tensors.len() {
        for big in [1u64 << 30, 4 << 30, 1 << 62, u64::MAX] {
            let mut h = parsed.clone();
            h.tensors[i].offsets.1 = big;
            claims.push((format!("{} ends at {big}", h.tensors[i].name), h.file(&data)));
            let mut h = parsed.clone();
            h.tensors[i].shape[0] = big / 4;
            h.tensors[i].offsets.1 = h.tensors[i].offsets.0.saturating_add(big);
            claims.push((format!("{} of {big} bytes", h.tensors[i].name), h.file(&data)));
        }
    }
    // Every tensor claiming a gigabyte, with offsets that add up (the file still 104 bytes).
    let mut h = parsed.clone();
    let mut at = 0u64;
    for e in &mut h.tensors {
        e.shape = vec![1 << 28];
        e.offsets = (at, at + (1 << 30));
        at += 1 << 30;
    }
    claims.push(("every tensor 1 GiB".into(), h.file(&data)));
    let mut net = network::<f32>();
    let mut largest_seen = 0;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("claim.safetensors");
    for (what, bytes) in &claims {
        std::fs::write(&path, bytes).unwrap();
        let (r, largest) = largest_allocation(|| from_safetensors_into(&mut net, bytes, &LoadOptions::new()));
        let e = r.expect_err(what);
        assert!(largest <= ALLOCATION_BOUND, "{what}: a {largest}-byte allocation ({e})");
        largest_seen = largest_seen.max(largest);
        let (r, largest) = largest_allocation(|| net.load_into(&path));
        let e = r.expect_err(what);
        assert!(
            largest <= ALLOCATION_BOUND,
            "{what}, from a file: a {largest}-byte allocation ({e})"
        );
        largest_seen = largest_seen.max(largest);
        let (r, largest) = largest_allocation(|| FuzzNet::<f32>::load(&path).map(drop));
        let e = r.expect_err(what);
        assert!(
            largest <= ALLOCATION_BOUND,
            "{what}, FuzzNet::load: a {largest}-byte allocation ({e})"
        );
    }
    println!("{} claims, largest allocation {largest_seen} bytes", claims.len());
}

/// Found by the mutation test: an F64 value beyond f32's range used to load into an f32
/// network as an infinity.
#[test]
fn f64_beyond_f32_range_is_refused_by_an_f32_network() {
    let mut big = network::<f64>();
    big.fc2.w[(1, 2)] = 1e300;
    let bytes = big.to_safetensors();
    let err = FuzzNet::<f32>::from_safetensors(&bytes).map(drop).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(&err, LoadError::NonFinite { tensor, index, .. } if tensor == "fc2.weight" && index == &[1, 2]),
        "{msg}"
    );
    assert!(msg.contains("1e300") && msg.contains("beyond f32's range"), "{msg}");
    assert!(
        FuzzNet::<f64>::from_safetensors(&bytes).is_ok(),
        "an f64 network holds 1e300"
    );
}

/// Writes the fuzz target's seeds: valid files of `FuzzNet` and the PyTorch fixtures.
#[test]
#[ignore = "writes fuzz/seeds/safetensors (NN_WRITE_FUZZ_SEEDS=1)"]
fn write_fuzz_seeds() {
    if std::env::var_os("NN_WRITE_FUZZ_SEEDS").is_none() {
        return;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("fuzz/seeds/safetensors");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("fuzznet_f32"), network::<f32>().to_safetensors()).unwrap();
    std::fs::write(dir.join("fuzznet_f64"), network::<f64>().to_safetensors()).unwrap();
    // `0.*` and `2.*` keys, which the fuzz target's key map reads.
    let opts = nn::persist::SaveOptions::new().rename("fc1", "0").rename("fc2", "2");
    let renamed = nn::persist::to_safetensors_with(&network::<f32>(), &opts).unwrap();
    std::fs::write(dir.join("fuzznet_sequential_f32"), renamed).unwrap();
    // An Adam checkpoint after 1 of 2 epochs on the fuzz target's 8 samples, and a standardizer.
    let x = nn::Batch::<f32, 3>::from_fn(8, |f, n| ((f * 8 + n) as f32 * 0.37).sin());
    let data = nn::data::Dataset::classification(x, (0..8).map(|n| n % 2).collect(), 2).unwrap();
    let mut net = network::<f32>();
    let mut trainer = nn::train::Trainer::new(nn::Adam::<f32>::default())
        .epochs(1)
        .batch_size(4)
        .seed(3)
        .progress(nn::train::Progress::Silent);
    trainer.fit(&mut net, &data, None).unwrap();
    trainer.save_checkpoint(&net, dir.join("checkpoint_adam")).unwrap();
    let s = nn::data::Standardizer::fit(data.x());
    std::fs::write(dir.join("standardizer_3"), s.to_safetensors()).unwrap();
    for f in ["mlp_f16", "mlp_sequential_f32"] {
        let from = root.join(format!("tests/fixtures/pytorch/{f}.safetensors"));
        std::fs::copy(from, dir.join(f)).unwrap();
    }
}
