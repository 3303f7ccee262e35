//! The ONNX graph of a network: one node per layer, the parameters as initializers.
//!
//! ```text
//! input [N, IN] ─ Gemm(fc1.weight [H, IN], fc1.bias [H], transB = 1) ─ fc1.out [N, H]
//!               ─ Tanh ─ tanh.out [N, H] ─ Gemm(fc2.weight, fc2.bias) ─ scores [N, OUT]
//!               ─ Softmax(axis = 1) ─ probabilities [N, OUT]   (SoftmaxWithLoss; Sigmoid
//!                                                               for SigmoidWithLoss)
//! ```
//!
//! Samples are rows (batch-major, as PyTorch and every ONNX runtime): `scores` is the
//! transpose of `predict`'s `OUT × N` output. A weight is stored `[OUT, IN]` row-major
//! (`torch.nn.Linear`'s layout) and multiplied transposed (`transB = 1`); a layer without a
//! bias (`MatMul`) is a `Gemm` without `C`. Every tensor is `FLOAT` (f32), also for an
//! `f64` network, whose parameters are rounded to the nearest f32: runtimes' `DOUBLE`
//! support for `Gemm` varies (tract 0.23 fails to optimise a `DOUBLE` `Gemm`), and a
//! deployed model runs in f32 anyway.

use super::error::OnnxError;
use super::proto::attribute_proto::AttributeType;
use super::proto::tensor_proto::DataType;
use super::proto::tensor_shape_proto::{dimension, Dimension};
use super::proto::{
    type_proto, AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, StringStringEntryProto,
    TensorProto, TensorShapeProto, TypeProto, ValueInfoProto,
};
use crate::float::Float;
use crate::layers::{LayerOp, Prediction};
use crate::network::{Network, Summary};

/// The operator set the graph uses: 13 (`Softmax` over the last axis by default, `Gemm`
/// with an optional `C`).
pub const OPSET: i64 = 13;
/// The IR version written: 7, that of ONNX 1.8, the first release with opset 13.
pub const IR_VERSION: i64 = 7;
/// The graph's input, `[N, IN]`.
pub const INPUT: &str = "input";
/// The graph's first output, `[N, OUT]`: what `predict` returns, transposed.
pub const SCORES: &str = "scores";
/// The second output when the loss defines one, `[N, OUT]`: softmax or sigmoid of `scores`.
pub const PROBABILITIES: &str = "probabilities";
/// The symbolic batch dimension of the input and outputs.
pub const BATCH: &str = "N";

/// The model of `net`: the graph, opset 13 and the network's name and layers as metadata.
pub(super) fn model<T: Float, const IN: usize, const OUT: usize, N: Network<T, IN, OUT> + ?Sized>(
    net: &N,
) -> Result<ModelProto, OnnxError> {
    build::<T>(IN, OUT, &net.summary(), net.prediction(), &mut |f| net.visit_ops(f))
}

/// Layers visited by [`Network::visit_ops`].
pub(super) type VisitOps<'n, T> = dyn FnMut(&mut dyn FnMut(&'static str, Option<LayerOp<'_, T>>)) + 'n;

/// [`model`] from the pieces of a network: widths, summary (layer kinds and output widths,
/// in `visit` order), what the scores mean and the visit of its layers.
pub(super) fn build<T: Float>(
    input: usize,
    output: usize,
    summary: &Summary,
    prediction: Prediction,
    visit: &mut VisitOps<'_, T>,
) -> Result<ModelProto, OnnxError> {
    let mut graph = Builder::<T>::new(summary, input);
    visit(&mut |field, op| graph.layer(field, op));
    let mut graph = graph.finish(output)?;
    let elem = ELEM;
    graph.input.push(value_info(INPUT, elem, input));
    graph.output.push(value_info(SCORES, elem, output));
    let probabilities = match prediction {
        Prediction::Scores => None,
        Prediction::Softmax => Some(("Softmax", vec![int_attr("axis", 1)])),
        Prediction::Sigmoid => Some(("Sigmoid", Vec::new())),
    };
    if let Some((op, attribute)) = probabilities {
        graph
            .node
            .push(node(PROBABILITIES, op, vec![SCORES.into()], PROBABILITIES, attribute));
        graph.output.push(value_info(PROBABILITIES, elem, output));
    }
    Ok(ModelProto {
        ir_version: Some(IR_VERSION),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(OPSET),
        }],
        producer_name: Some("nn".into()),
        producer_version: Some(env!("CARGO_PKG_VERSION").into()),
        graph: Some(graph),
        metadata_props: vec![
            entry("nn.network", summary.network),
            entry("nn.layers", &layers_line(summary)),
        ],
        ..ModelProto::default()
    })
}

/// Builds the nodes and initializers layer by layer; the first error stops it.
struct Builder<'s, T> {
    summary: &'s Summary,
    /// Layers visited so far.
    index: usize,
    /// The width and name of the last layer's output.
    width: usize,
    prev: String,
    graph: GraphProto,
    error: Option<OnnxError>,
    float: core::marker::PhantomData<T>,
}

impl<'s, T: Float> Builder<'s, T> {
    fn new(summary: &'s Summary, input: usize) -> Self {
        Builder {
            summary,
            index: 0,
            width: input,
            prev: INPUT.into(),
            graph: GraphProto {
                name: Some(summary.network.into()),
                ..GraphProto::default()
            },
            error: None,
            float: core::marker::PhantomData,
        }
    }

    /// One layer: its node (and initializers), or the error that stops the export.
    fn layer(&mut self, field: &'static str, op: Option<LayerOp<'_, T>>) {
        let index = self.index;
        self.index += 1;
        if self.error.is_some() {
            return;
        }
        let (kind, output) = match self.summary.rows.get(index) {
            Some(row) => (row.kind.clone(), row.output),
            None => (String::from("?"), self.width),
        };
        let invalid = |problem: String| OnnxError::InvalidOp {
            layer: field,
            kind: kind.clone(),
            problem,
        };
        let out_name = format!("{field}.out");
        let node = match op {
            None => Err(OnnxError::Unsupported {
                layer: field,
                kind: kind.clone(),
            }),
            Some(LayerOp::Linear {
                weight,
                bias,
                inputs,
                outputs,
            }) => self
                .linear(field, weight, bias, inputs, outputs, output)
                .map_err(invalid),
            Some(LayerOp::Unary(op_type)) => {
                if op_type.is_empty() || !op_type.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    Err(invalid(format!(
                        "names the operator {op_type:?}, not an ONNX operator type"
                    )))
                } else if output != self.width {
                    Err(invalid(format!(
                        "is the element-wise `{op_type}`, but the layer maps {} features to {output}",
                        self.width
                    )))
                } else {
                    Ok(node(field, op_type, vec![self.prev.clone()], &out_name, Vec::new()))
                }
            }
            Some(LayerOp::Identity) => {
                if output != self.width {
                    Err(invalid(format!(
                        "is the identity, but the layer maps {} features to {output}",
                        self.width
                    )))
                } else {
                    Ok(node(field, "Identity", vec![self.prev.clone()], &out_name, Vec::new()))
                }
            }
        };
        match node {
            Ok(node) => {
                self.graph.node.push(node);
                self.prev = out_name;
                self.width = output;
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// `Gemm(prev, field.weight, field.bias, transB = 1)`, after checking the operator
    /// against the network's widths.
    fn linear(
        &mut self,
        field: &str,
        weight: &[T],
        bias: Option<&[T]>,
        inputs: usize,
        outputs: usize,
        output: usize,
    ) -> Result<NodeProto, String> {
        if inputs != self.width || outputs != output {
            return Err(format!(
                "is a {inputs} → {outputs} linear operator, but the layer maps {} features to {output}",
                self.width
            ));
        }
        if weight.len() != inputs * outputs {
            return Err(format!(
                "gives {} weights for a {inputs} → {outputs} linear operator ({outputs} × {inputs} = {})",
                weight.len(),
                inputs * outputs
            ));
        }
        if let Some(b) = bias.filter(|b| b.len() != outputs) {
            return Err(format!("gives {} biases for {outputs} outputs", b.len()));
        }
        let w_name = format!("{field}.weight");
        // Column-major `OUT × IN` (nalgebra's storage) → row-major `[OUT, IN]`.
        let mut raw = Vec::with_capacity(weight.len() * 4);
        for o in 0..outputs {
            for i in 0..inputs {
                push_le(&mut raw, weight[i * outputs + o]);
            }
        }
        self.graph.initializer.push(tensor(&w_name, &[outputs, inputs], raw));
        let mut inputs_of_node = vec![self.prev.clone(), w_name];
        if let Some(b) = bias {
            let b_name = format!("{field}.bias");
            let mut raw = Vec::with_capacity(b.len() * 4);
            b.iter().for_each(|&v| push_le(&mut raw, v));
            self.graph.initializer.push(tensor(&b_name, &[outputs], raw));
            inputs_of_node.push(b_name);
        }
        Ok(node(
            field,
            "Gemm",
            inputs_of_node,
            &format!("{field}.out"),
            vec![int_attr("transB", 1)],
        ))
    }

    /// The graph, its last layer's output renamed `scores`; or the first error.
    fn finish(mut self, output: usize) -> Result<GraphProto, OnnxError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        assert_eq!(
            self.width, output,
            "{}::visit_ops ends at {} features, the network has {output} outputs",
            self.summary.network, self.width
        );
        match self.graph.node.last_mut() {
            Some(last) => last.output = vec![SCORES.into()],
            None => self
                .graph
                .node
                .push(node("identity", "Identity", vec![INPUT.into()], SCORES, Vec::new())),
        }
        Ok(self.graph)
    }
}

/// The element type of every tensor: `FLOAT` (see the module documentation).
const ELEM: i32 = DataType::Float as i32;

/// Appends `v` as a little-endian f32 (ONNX's `raw_data`): exact for an `f32` network,
/// rounded to nearest for an `f64` one.
fn push_le<T: Float>(out: &mut Vec<u8>, v: T) {
    out.extend_from_slice(&(v.as_f64() as f32).to_le_bytes());
}

/// An initializer of shape `dims` holding `raw` (row-major, little-endian).
fn tensor(name: &str, dims: &[usize], raw: Vec<u8>) -> TensorProto {
    TensorProto {
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type: Some(ELEM),
        name: Some(name.into()),
        raw_data: Some(raw),
        ..TensorProto::default()
    }
}

/// A node named `name`.
fn node(name: &str, op_type: &str, input: Vec<String>, output: &str, attribute: Vec<AttributeProto>) -> NodeProto {
    NodeProto {
        input,
        output: vec![output.into()],
        name: Some(name.into()),
        op_type: Some(op_type.into()),
        attribute,
        ..NodeProto::default()
    }
}

/// An integer attribute.
fn int_attr(name: &str, value: i64) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Int as i32),
        i: Some(value),
        ..AttributeProto::default()
    }
}

/// A graph input or output: a `[N, width]` tensor of `elem` with a symbolic batch size.
fn value_info(name: &str, elem: i32, width: usize) -> ValueInfoProto {
    let dim = |value| Dimension {
        denotation: None,
        value: Some(value),
    };
    ValueInfoProto {
        name: Some(name.into()),
        r#type: Some(TypeProto {
            denotation: None,
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: Some(elem),
                shape: Some(TensorShapeProto {
                    dim: vec![
                        dim(dimension::Value::DimParam(BATCH.into())),
                        dim(dimension::Value::DimValue(width as i64)),
                    ],
                }),
            })),
        }),
        ..ValueInfoProto::default()
    }
}

/// A `metadata_props` entry.
fn entry(key: &str, value: &str) -> StringStringEntryProto {
    StringStringEntryProto {
        key: Some(key.into()),
        value: Some(value.into()),
    }
}

/// `affine1: Affine<2, 10>; sigmoid: Sigmoid<10>; ...` (the loss included).
fn layers_line(summary: &Summary) -> String {
    let rows: Vec<String> = summary.rows.iter().map(|r| format!("{}: {}", r.name, r.kind)).collect();
    rows.join("; ")
}
