use nn::network;

// The scalar arguments of the built-ins are number literals, checked when the macro runs.
network! {
    pub struct Net {
        input: 4,
        fc: Affine(8),
        drop: Dropout(1.5),          // a probability in [0, 1)
        two: Dropout(0.1, 0.2),      // one argument at most
        leaky: LeakyRelu(SLOPE),     // a literal, not a constant
        bn: BatchNorm(-1e-5),        // eps must be positive
        relu: Relu(0.1),             // takes no argument
        out: Affine(3),
        loss: SoftmaxWithLoss,
    }
}

const SLOPE: f64 = 0.1;

fn main() {}
