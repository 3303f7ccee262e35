//! (parameter, gradient) pairs: the book's `params` and `grads` lists.

/// One parameter tensor and its gradient, as flat slices of the same length (column-major
/// element order of the nalgebra matrix they come from).
#[derive(Debug)]
pub struct Param<'a, T> {
    /// The field of the network that owns it (`"affine1"`), or `""` for a bare layer.
    pub layer: &'static str,
    /// The parameter's name inside its layer (`"w"`, `"b"`).
    pub name: &'static str,
    /// The values, updated in place by optimizers.
    pub value: &'a mut [T],
    /// The gradient written by the last backward.
    pub grad: &'a [T],
}

impl<'a, T> Param<'a, T> {
    /// A parameter with its gradient. Panics if the lengths differ.
    #[track_caller]
    pub fn new(name: &'static str, value: &'a mut [T], grad: &'a [T]) -> Self {
        assert_eq!(
            value.len(),
            grad.len(),
            "parameter `{name}`: value and gradient lengths differ"
        );
        Self {
            layer: "",
            name,
            value,
            grad,
        }
    }

    /// The same parameter, tagged with the field of the network that owns it.
    pub fn in_layer(self, layer: &'static str) -> Self {
        Self { layer, ..self }
    }
}
