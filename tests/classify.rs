//! The deployment story of `examples/spiral.rs` and `examples/classify.rs`: the network the
//! spiral example trains, saved and loaded by the classify example's own declaration, gives
//! the same probabilities; the model compiled into the classify example
//! (`examples/spiral.safetensors`) classifies the book's 300 points as well as training did.
//! The example's own unit tests (its argument parsing) run here too.
#![cfg(feature = "safetensors")]

#[path = "../examples/spiral.rs"]
#[allow(dead_code)]
mod spiral_example;

#[path = "../examples/classify.rs"]
#[allow(dead_code)]
mod classify_example;

use classify_example::{probabilities, TwoLayerNet, BUILT_IN};
use nn::data::{spiral, SPIRAL_SEED};
use nn::layers::argmax;
use nn::train::Progress;

/// The book's 300 points as `[x, y]` pairs, with their classes.
fn points() -> (Vec<[f32; 2]>, Vec<usize>) {
    let data = spiral::<f32>(SPIRAL_SEED);
    let x = data.x();
    let points = (0..data.len()).map(|n| [x[(0, n)], x[(1, n)]]).collect();
    (points, data.labels().to_vec())
}

#[test]
fn spiral_save_then_classify_load_gives_the_same_probabilities() {
    let data = spiral::<f32>(SPIRAL_SEED);
    let mut run = spiral_example::train(&data, 5, Progress::Silent).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spiral.safetensors");
    run.net.save(&path).unwrap();

    let mut loaded = TwoLayerNet::load(&path).unwrap();
    let (points, _) = points();
    let want = nn::batch_from_rows(&points);
    let trained = run.net.predict(want.as_view()).into_owned();
    let p = probabilities(&mut loaded, &points);
    let mut softmax = nn::Batch::<f32, 3>::zeros(points.len());
    nn::layers::softmax_into(trained.as_view(), softmax.as_view_mut());
    assert_eq!(p, softmax, "the loaded network computes other probabilities");
}

#[test]
fn built_in_model_classifies_the_spiral() {
    let mut net = TwoLayerNet::from_safetensors(BUILT_IN).expect("examples/spiral.safetensors loads");
    let (points, labels) = points();
    let p = probabilities(&mut net, &points);
    let mut correct = 0;
    for (column, &label) in p.column_iter().zip(&labels) {
        let sum: f32 = column.iter().sum();
        assert!((sum - 1.0).abs() < 1e-5, "probabilities sum to {sum}");
        correct += usize::from(argmax(column.as_slice()) == label);
    }
    let accuracy = correct as f64 / labels.len() as f64;
    assert!(accuracy >= 0.95, "the built-in model's accuracy is {accuracy}");
}
