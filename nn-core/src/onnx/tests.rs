//! The graph's structure, decoded back from the bytes: nodes, initializers (row-major
//! `[OUT, IN]` from nalgebra's column-major storage), outputs, and every error. The numbers
//! an independent runtime computes from it are checked in the facade's `tests/onnx.rs`.

use prost::Message;

use super::error::OnnxError;
use super::graph::{build, VisitOps};
use super::proto::{tensor_proto::DataType, ModelProto, NodeProto};
use crate::layers::{LayerOp, Prediction};
use crate::network::{Summary, SummaryRow};

fn row(name: &'static str, kind: &str, output: usize) -> SummaryRow {
    SummaryRow {
        name,
        kind: kind.into(),
        output,
        params: 0,
    }
}

fn summary(input: usize, rows: Vec<SummaryRow>) -> Summary {
    Summary {
        network: "TestNet",
        input,
        rows,
    }
}

/// `W` (3 × 2) column-major, as nalgebra stores `Affine::w`: `W[o][i] = 10 o + i`.
const W: [f32; 6] = [0.0, 10.0, 20.0, 1.0, 11.0, 21.0];
const B: [f32; 3] = [0.5, 1.5, 2.5];

/// 2 → Affine(3) → Tanh → MatMul(1), through `build` and the protobuf encoding.
fn decode(prediction: Prediction, visit: &mut VisitOps<'_, f32>) -> Result<ModelProto, OnnxError> {
    let s = summary(
        2,
        vec![
            row("fc1", "Affine<2, 3>", 3),
            row("tanh", "Tanh<3>", 3),
            row("fc2", "MatMul<3, 1>", 1),
            row("loss", "SigmoidWithLoss<1>", 1),
        ],
    );
    let model = build::<f32>(2, 1, &s, prediction, visit)?;
    let bytes = model.encode_to_vec();
    Ok(ModelProto::decode(bytes.as_slice()).expect("the bytes decode"))
}

fn good_visit(f: &mut dyn FnMut(&'static str, Option<LayerOp<'_, f32>>)) {
    f(
        "fc1",
        Some(LayerOp::Linear {
            weight: &W,
            bias: Some(&B),
            inputs: 2,
            outputs: 3,
        }),
    );
    f("tanh", Some(LayerOp::Unary("Tanh")));
    f(
        "fc2",
        Some(LayerOp::Linear {
            weight: &[7.0, 8.0, 9.0],
            bias: None,
            inputs: 3,
            outputs: 1,
        }),
    );
}

fn ops(nodes: &[NodeProto]) -> Vec<(&str, &str, Vec<&str>, Vec<&str>)> {
    nodes
        .iter()
        .map(|n| {
            (
                n.name(),
                n.op_type(),
                n.input.iter().map(String::as_str).collect(),
                n.output.iter().map(String::as_str).collect(),
            )
        })
        .collect()
}

#[test]
fn graph_has_one_node_per_layer_and_the_probabilities() {
    let m = decode(Prediction::Sigmoid, &mut good_visit).unwrap();
    assert_eq!(
        (m.ir_version(), m.opset_import[0].version(), m.opset_import[0].domain()),
        (7, 13, "")
    );
    let g = m.graph.as_ref().unwrap();
    assert_eq!(
        ops(&g.node),
        vec![
            ("fc1", "Gemm", vec!["input", "fc1.weight", "fc1.bias"], vec!["fc1.out"]),
            ("tanh", "Tanh", vec!["fc1.out"], vec!["tanh.out"]),
            ("fc2", "Gemm", vec!["tanh.out", "fc2.weight"], vec!["scores"]),
            ("probabilities", "Sigmoid", vec!["scores"], vec!["probabilities"]),
        ]
    );
    let trans_b = &g.node[0].attribute[0];
    assert_eq!((trans_b.name(), trans_b.i()), ("transB", 1));
    let names: Vec<&str> = g.output.iter().map(|o| o.name()).collect();
    assert_eq!(names, ["scores", "probabilities"]);
    assert_eq!(g.input[0].name(), "input");
    let meta: Vec<(&str, &str)> = m.metadata_props.iter().map(|e| (e.key(), e.value())).collect();
    assert_eq!(meta[0], ("nn.network", "TestNet"));
    assert_eq!(
        meta[1],
        (
            "nn.layers",
            "fc1: Affine<2, 3>; tanh: Tanh<3>; fc2: MatMul<3, 1>; loss: SigmoidWithLoss<1>"
        )
    );
}

#[test]
fn weights_are_row_major_out_by_in() {
    let m = decode(Prediction::Scores, &mut good_visit).unwrap();
    let g = m.graph.unwrap();
    let w = &g.initializer[0];
    assert_eq!(
        (w.name(), w.dims.as_slice(), w.data_type()),
        ("fc1.weight", &[3i64, 2][..], DataType::Float as i32)
    );
    let values: Vec<f32> = w
        .raw_data()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    // Row o is output o: W[o][i] = 10 o + i.
    assert_eq!(values, [0.0, 1.0, 10.0, 11.0, 20.0, 21.0]);
    let b = &g.initializer[1];
    assert_eq!((b.name(), b.dims.as_slice()), ("fc1.bias", &[3i64][..]));
    assert_eq!(b.raw_data().len(), 12);
    assert_eq!(g.initializer[2].name(), "fc2.weight");
    assert_eq!(g.initializer.len(), 3, "MatMul has no bias");
    // Regression: no probabilities.
    assert_eq!(g.output.len(), 1);
    assert_eq!(g.node.last().unwrap().output, ["scores"]);
}

#[test]
fn softmax_prediction_is_over_the_features() {
    let m = decode(Prediction::Softmax, &mut good_visit).unwrap();
    let last = m.graph.unwrap().node.pop().unwrap();
    assert_eq!(
        (last.op_type(), last.attribute[0].name(), last.attribute[0].i()),
        ("Softmax", "axis", 1)
    );
}

#[test]
fn a_layer_without_an_op_is_named() {
    let e = decode(Prediction::Scores, &mut |f| {
        good_visit(&mut |name, op| f(name, if name == "tanh" { None } else { op }))
    })
    .unwrap_err();
    assert!(
        matches!(&e, OnnxError::Unsupported { layer: "tanh", kind } if kind == "Tanh<3>"),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(msg.contains("`tanh` (Tanh<3>)") && msg.contains("Layer::op"), "{msg}");
}

#[test]
fn an_op_that_contradicts_the_widths_is_refused() {
    let cases: [(&str, LayerOp<'static, f32>, &str); 5] = [
        (
            "fc1",
            LayerOp::Linear {
                weight: &W,
                bias: Some(&B),
                inputs: 3,
                outputs: 2,
            },
            "is a 3 → 2 linear operator, but the layer maps 2 features to 3",
        ),
        (
            "fc1",
            LayerOp::Linear {
                weight: &W[..5],
                bias: Some(&B),
                inputs: 2,
                outputs: 3,
            },
            "gives 5 weights",
        ),
        (
            "fc1",
            LayerOp::Linear {
                weight: &W,
                bias: Some(&B[..2]),
                inputs: 2,
                outputs: 3,
            },
            "gives 2 biases for 3 outputs",
        ),
        (
            "fc1",
            LayerOp::Unary("Tanh"),
            "element-wise `Tanh`, but the layer maps 2 features to 3",
        ),
        ("tanh", LayerOp::Unary("Tan h"), "names the operator \"Tan h\""),
    ];
    for (layer, bad, problem) in cases {
        let e = decode(Prediction::Scores, &mut |f| {
            good_visit(&mut |name, op| f(name, if name == layer { Some(bad) } else { op }))
        })
        .unwrap_err();
        match &e {
            OnnxError::InvalidOp {
                layer: l, problem: p, ..
            } => {
                assert_eq!(*l, layer);
                assert!(p.contains(problem), "{p}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn identity_and_f64_as_f32() {
    let s = summary(2, vec![row("id", "Id<2>", 2), row("fc", "Affine<2, 1>", 1)]);
    let m = build::<f64>(2, 1, &s, Prediction::Scores, &mut |f| {
        f("id", Some(LayerOp::Identity));
        f(
            "fc",
            Some(LayerOp::Linear {
                weight: &[1.0, -2.0 + 1e-12],
                bias: Some(&[0.25]),
                inputs: 2,
                outputs: 1,
            }),
        );
    })
    .unwrap();
    let g = m.graph.unwrap();
    assert_eq!(g.node[0].op_type(), "Identity");
    let w = &g.initializer[0];
    assert_eq!(w.data_type(), DataType::Float as i32);
    assert_eq!(w.raw_data(), [1.0f32.to_le_bytes(), (-2.0f32).to_le_bytes()].concat());
}
