//! A layer described as a standard operator, for exporters (ONNX, `nn::onnx`): what a
//! layer computes without how `nn` computes it. [`Layer::op`](crate::layers::Layer::op)
//! returns a [`LayerOp`]; a layer that has no such form returns `None` and an exporter
//! refuses it by name.

/// What a layer computes on one sample `x` (`inputs` features), as a standard operator.
///
/// `#[non_exhaustive]`: exporters must refuse an operator they do not know.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LayerOp<'a, T> {
    /// `y = W·x (+ b)`, a fully connected layer (ONNX `Gemm`).
    Linear {
        /// `W` (`outputs × inputs`) in column-major order, as nalgebra stores `Affine::w`:
        /// `weight[i * outputs + o] = W[o][i]`.
        weight: &'a [T],
        /// `b` (`outputs`), if the layer has one.
        bias: Option<&'a [T]>,
        /// Input features per sample.
        inputs: usize,
        /// Output features per sample.
        outputs: usize,
    },
    /// An element-wise operator (or one over each sample's features) without attributes,
    /// named by its ONNX operator type: `"Sigmoid"`, `"Tanh"`, `"Relu"`, `"Softmax"` (over
    /// the features: ONNX's default `axis = -1` from opset 13 on).
    Unary(&'static str),
    /// `y = x`.
    Identity,
}

/// What a network's scores mean, from its loss layer
/// ([`LossLayer::PREDICTION`](crate::layers::LossLayer::PREDICTION)): how an exporter turns
/// the scores (`predict`'s output) into the prediction a deployment uses.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Prediction {
    /// The scores are the prediction (regression, or a network without a loss).
    #[default]
    Scores,
    /// Class probabilities are the softmax of each sample's scores (`SoftmaxWithLoss`).
    Softmax,
    /// Each output's probability is the sigmoid of its score (`SigmoidWithLoss`).
    Sigmoid,
}
