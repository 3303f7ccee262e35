//! The three figures are written as PNGs of the documented sizes, and a write into a missing
//! directory is an error naming the file.
#![cfg(feature = "plot")]

use std::path::Path;

use nn_core::data::spiral;
use nn_core::plot::{decision_boundary, loss_curve, predicted_vs_actual, PlotError};
use rand::SeedableRng;

#[path = "common/two_layer_net.rs"]
mod two_layer_net;
use two_layer_net::TwoLayerNet;

fn png_size(path: &Path) -> (u32, u32) {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let reader = decoder.read_info().unwrap();
    let info = reader.info();
    (info.width, info.height)
}

#[test]
fn writes_every_figure() {
    let dir = std::env::temp_dir().join(format!("nn-plot-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let loss = dir.join("loss.png");
    loss_curve(&loss, &[1.1, 0.9, 0.5, 0.3, 0.2], "iterations (×10)").unwrap();
    assert_eq!(png_size(&loss), (640, 400));
    let data = spiral::<f32>(1984);
    let net = TwoLayerNet::new(&mut rand_chacha::ChaCha8Rng::seed_from_u64(0));
    let boundary = dir.join("boundary.png");
    decision_boundary(&boundary, &net, &data).unwrap();
    assert_eq!(png_size(&boundary), (560, 560));
    let scatter = dir.join("scatter.png");
    predicted_vs_actual(&scatter, &[1.0, 2.5, f64::NAN, 3.0], &[1.2, 2.0, 4.0, 3.5], "(units)").unwrap();
    assert_eq!(png_size(&scatter), (560, 560));
    // no finite pair, one distinct value: still a figure
    predicted_vs_actual(&scatter, &[f64::NAN], &[1.0], "").unwrap();
    predicted_vs_actual(&scatter, &[2.0, 2.0], &[2.0, 2.0], "").unwrap();
    let e = loss_curve(dir.join("no/such/dir/x.png"), &[1.0], "x").unwrap_err();
    assert!(
        matches!(e, PlotError::Write { .. }) && e.to_string().contains("x.png"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
