//! Deployment: the spiral network trained by `examples/spiral.rs`, loaded from a
//! safetensors file, classifies points given on the command line.
//!
//! ```sh
//! cargo run --release --example spiral -- --save spiral.safetensors  # train and save
//! cargo run --release --example classify -- --model spiral.safetensors 0.1,0.2 -0.3,0.5
//! cargo run --release --example classify -- 0.1,0.2 -0.3,0.5         # the built-in model
//! ```
//!
//! Without `--model` the program uses the weights compiled into it with `include_bytes!`
//! (`examples/spiral.safetensors`, written by `spiral --save examples/spiral.safetensors`),
//! so the binary needs no file at run time. Each point is `x,y`; the program prints the
//! probability of each of the three arms and the most likely one.

use std::error::Error;
use std::path::PathBuf;

use nn::layers::{argmax, softmax_into};
use nn::{batch_from_rows, network, Batch};

network! {
    /// The network `examples/spiral.rs` trains (the same declaration: a file saved from
    /// another network is refused with both layer lists).
    pub struct TwoLayerNet {
        input: 2,
        affine1: Affine(10),
        sigmoid: Sigmoid,
        affine2: Affine(3),
        loss: SoftmaxWithLoss,
    }
}

/// The trained weights, compiled into the binary.
pub static BUILT_IN: &[u8] = include_bytes!("spiral.safetensors");

/// What the command line asked for.
#[derive(Debug, PartialEq)]
struct Args {
    model: Option<PathBuf>,
    points: Vec<[f32; 2]>,
}

const USAGE: &str = "usage: classify [--model FILE.safetensors] X,Y [X,Y ...]";

/// Reads `[--model FILE] X,Y ...`; `Ok(None)` for `--help`.
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<Args>, String> {
    let mut model = None;
    let mut points = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--model" => {
                let path = args.next().ok_or("--model needs a file name")?;
                model = Some(PathBuf::from(path));
            }
            "-h" | "--help" => return Ok(None),
            // A point such as `-0.3,0.5` starts with a minus, so only `--` marks an option.
            other if other.starts_with("--") => {
                return Err(format!("unknown option `{other}` ({USAGE})"));
            }
            point => points.push(parse_point(point)?),
        }
    }
    if points.is_empty() {
        return Err(format!("no points to classify ({USAGE})"));
    }
    Ok(Some(Args { model, points }))
}

/// `x,y` → `[x, y]`, both finite.
fn parse_point(s: &str) -> Result<[f32; 2], String> {
    let bad = || format!("`{s}` is not a point `x,y` of two finite numbers");
    let (x, y) = s.split_once(',').ok_or_else(bad)?;
    let x: f32 = x.trim().parse().map_err(|_| bad())?;
    let y: f32 = y.trim().parse().map_err(|_| bad())?;
    if !(x.is_finite() && y.is_finite()) {
        return Err(bad());
    }
    Ok([x, y])
}

/// Class probabilities of `points`: softmax of the network's scores, 3 × N.
pub fn probabilities(net: &mut TwoLayerNet, points: &[[f32; 2]]) -> Batch<f32, 3> {
    let x = batch_from_rows(points);
    let scores = net.predict(x.as_view());
    let mut p = Batch::<f32, 3>::zeros(points.len());
    softmax_into(scores, p.as_view_mut());
    p
}

fn main() {
    // Errors in their `Display` form (a `LoadError` names the file and the tensor).
    if let Err(e) = run() {
        eprintln!("classify: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let Some(args) = parse_args(std::env::args().skip(1))? else {
        println!("{USAGE}");
        return Ok(());
    };
    let mut net = match &args.model {
        Some(path) => TwoLayerNet::load(path)?,
        None => TwoLayerNet::from_safetensors(BUILT_IN)?,
    };
    let source = args
        .model
        .as_ref()
        .map_or("built-in model".into(), |p| p.display().to_string());
    println!("{source}: {} parameters", net.param_count());
    let p = probabilities(&mut net, &args.points);
    for (point, column) in args.points.iter().zip(p.column_iter()) {
        let probs: Vec<String> = column.iter().map(|q| format!("{q:.3}")).collect();
        println!(
            "({:>7.3}, {:>7.3}): class {} (probabilities {})",
            point[0],
            point[1],
            argmax(column.as_slice()),
            probs.join(" ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Result<Option<Args>, String> {
        parse_args(s.iter().map(|s| s.to_string()))
    }

    #[test]
    fn parses_points_and_model() {
        let a = args(&["--model", "m.safetensors", "0.1,0.2", "-0.3, 0.5"])
            .unwrap()
            .unwrap();
        assert_eq!(a.model, Some(PathBuf::from("m.safetensors")));
        assert_eq!(a.points, vec![[0.1, 0.2], [-0.3, 0.5]]);
        assert_eq!(args(&["--help"]), Ok(None));
    }

    #[test]
    fn rejects_bad_points() {
        for bad in [
            &["0.1"][..],
            &["a,b"],
            &["1,2,3"],
            &["nan,0"],
            &[],
            &["--model"],
            &["--x"],
        ] {
            assert!(args(bad).is_err(), "{bad:?} accepted");
        }
    }
}
