//! Weights from `torch.nn.Embedding`, `LSTM`, `GRU`, `RNN` and `Linear`
//! (tests/fixtures/pytorch/make_sequence_fixtures.py, saved with
//! `safetensors.torch.save_file(model.state_dict(), path)`) load into the `network!` with the
//! same field names and reproduce torch's outputs: a batch of 3 sequences of 6 steps
//! (time-major, as torch's default `batch_first=False`), and one sequence of 40 steps streamed
//! through `step`, in f64 within 1e-12 (relative to the step's largest output).
#![cfg(feature = "safetensors")]

use nn::Batch;
use safetensors::{Dtype, SafeTensors};

nn::network! {
    /// The fixture's module, field for field (no loss: inference).
    pub struct SeqLm {
        input: tokens(11),
        embed: Embedding(6),
        lstm: Lstm(5),
        gru: Gru(4),
        rnn: Rnn(3),
        fc: Affine(7),
    }
}

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pytorch")
        .join(name)
}

/// An F64 tensor of the io file: its shape and values in row-major order.
fn tensor(file: &SafeTensors<'_>, name: &str) -> (Vec<usize>, Vec<f64>) {
    let t = file.tensor(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(t.dtype(), Dtype::F64, "{name}");
    let v = t
        .data()
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
        .collect();
    (t.shape().to_vec(), v)
}

/// `got` against torch's `want`, step by step (7 scores each).
fn assert_close(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (c, (g, w)) in got.chunks(7).zip(want.chunks(7)).enumerate() {
        let scale = w.iter().fold(1e-3f64, |m, v| m.max(v.abs()));
        for k in 0..7 {
            assert!(
                (g[k] - w[k]).abs() <= 1e-12 * scale,
                "{what}: column {c} score {k}: {} vs torch's {}",
                g[k],
                w[k]
            );
        }
    }
}

#[test]
fn torch_recurrent_state_dict_loads_and_reproduces_its_outputs() {
    let mut net = SeqLm::<f64>::load(fixture("seq_lm_f64.safetensors")).unwrap();
    let bytes = std::fs::read(fixture("seq_lm_io_f64.safetensors")).unwrap();
    let io = SafeTensors::deserialize(&bytes).unwrap();
    let (shape, ids) = tensor(&io, "ids");
    let (t, n) = (shape[0], shape[1]);
    let (_, y) = tensor(&io, "y");
    net.set_sequences(n);
    let x = Batch::<f64, 1>::from_row_slice(&ids);
    let mut out = Batch::<f64, 7>::zeros(t * n);
    net.predict_into(&x, out.as_view_mut());
    assert_close(out.as_slice(), &y, "batch of 3 × 6 steps");
    assert_close(net.predict(&x).as_slice(), &y, "predict");

    // One longer sequence, streamed through `step` from a fresh state.
    let (_, ids1) = tensor(&io, "ids1");
    let (_, y1) = tensor(&io, "y1");
    let mut state = net.step_state();
    let streamed: Vec<f64> = ids1.iter().flat_map(|&id| net.step(&[id], &mut state)).collect();
    assert_close(&streamed, &y1, "streamed 40 steps");
}

#[test]
fn saved_recurrent_network_has_torchs_keys_and_shapes() {
    let net = SeqLm::<f64>::load(fixture("seq_lm_f64.safetensors")).unwrap();
    let bytes = net.to_safetensors();
    let ours = SafeTensors::deserialize(&bytes).unwrap();
    let theirs_bytes = std::fs::read(fixture("seq_lm_f64.safetensors")).unwrap();
    let theirs = SafeTensors::deserialize(&theirs_bytes).unwrap();
    let mut a: Vec<String> = ours.names().into_iter().map(String::from).collect();
    let mut b: Vec<String> = theirs.names().into_iter().map(String::from).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    for name in &a {
        let (x, y) = (ours.tensor(name).unwrap(), theirs.tensor(name).unwrap());
        assert_eq!((x.shape(), x.data()), (y.shape(), y.data()), "{name}");
    }
}
