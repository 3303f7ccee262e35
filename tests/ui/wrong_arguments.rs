use nn::network;

network! {
    pub struct Net {
        input: 2,
        a: Affine(),
        b: Sigmoid(3),
        c: Affine(10, 3),
        d: Affine,
        e: Relu -> 4,
    }
}

fn main() {}
