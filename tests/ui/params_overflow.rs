use nn::network;

// A parameter count that does not fit a `usize` is one error at the layer, naming the numbers
// (it made the macro panic with "attempt to add with overflow", or wrap in a release build).
network! {
    pub struct Huge {
        input: 5000000000,
        a: Affine(5000000000),
    }
}

// Each layer fits, but the outputs the inference scratch holds add up past `usize::MAX`.
network! {
    pub struct Wide {
        input: 1,
        a: MatMul(10000000000000000000),
        act: Relu,
        b: MatMul(1),
    }
}

fn main() {}
